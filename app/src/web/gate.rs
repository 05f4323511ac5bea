//! The gate in front of every request, and the pages' routes for the Leptos router, both read
//! from the features' declarations.

use super::{
    routes::{Access, AccessTable, Render, Route},
    session::{Current, Stage},
};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use leptos_router::{
    PartialPathMatch, PathSegment, PossibleRouteMatch, SsrMode,
    any_nested_route::{AnyNestedRoute, IntoAnyNestedRoute},
};

/// Deny by default: without the session an address's access needs, the request is sent to sign
/// in; a signed-in user who may not see a page is told it does not exist (404), as is anyone
/// asking for a development tool that is off. A signed-in user whose password is known to be
/// compromised is sent to change it first.
pub async fn gate(
    State((table, dev_tools)): State<(AccessTable, bool)>,
    req: Request,
    next: Next,
) -> Response {
    let s = req.extensions().get::<Current>();
    let full = s.filter(|s| s.stage == Stage::Full);
    let (access, while_due) = table.get(req.uri().path());
    let ok = match access {
        Access::Public => true,
        Access::Stage(stage) => s.is_some_and(|s| s.stage == stage),
        Access::SignedIn => full.is_some(),
        Access::Administrator => {
            if full.is_some_and(|s| !s.user.is_active_admin()) {
                return not_found(req, next).await;
            }
            full.is_some()
        }
        Access::Onboarding => {
            if full.is_some_and(|s| !s.user.is_onboarding()) {
                return not_found(req, next).await;
            }
            full.is_some()
        }
        Access::DevTools => {
            if !dev_tools {
                return not_found(req, next).await;
            }
            true
        }
    };
    let forced = matches!(
        access,
        Access::SignedIn | Access::Administrator | Access::Onboarding
    ) && !while_due
        && full.is_some_and(|s| s.user.change_password.is_some());
    if ok && forced {
        Redirect::to("/account/change-password").into_response()
    } else if ok {
        next.run(req).await
    } else {
        Redirect::to("/sign-in").into_response()
    }
}

/// The service's "page not found" (status 404): the request goes on as a GET to an address no
/// route has.
async fn not_found(mut req: Request, next: Next) -> Response {
    *req.method_mut() = axum::http::Method::GET;
    *req.uri_mut() = axum::http::Uri::from_static("/not-found");
    let mut res = next.run(req).await;
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

/// A path matched exactly (a trailing `/` aside), whatever its number of segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact(pub &'static str);

impl PossibleRouteMatch for Exact {
    fn optional(&self) -> bool {
        false
    }

    fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
        let trimmed = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        let same = trimmed == self.0 || (self.0 == "/" && trimmed.is_empty());
        same.then(|| PartialPathMatch::new("", vec![], path))
    }

    fn generate_path(&self, path: &mut Vec<PathSegment>) {
        path.push(PathSegment::Static(self.0.into()));
    }
}

/// The declared pages as the Leptos router's routes.
pub fn page_routes(routes: &[Route]) -> leptos::tachys::view::iterators::StaticVec<AnyNestedRoute> {
    let pages: Vec<AnyNestedRoute> = routes
        .iter()
        .filter_map(|r| {
            let page = r.page?;
            let mode = match page.render {
                Render::Stream => SsrMode::OutOfOrder,
                Render::Async => SsrMode::Async,
            };
            Some(
                leptos_router::NestedRoute::new(Exact(r.path), page.view)
                    .ssr_mode(mode)
                    .into_any_nested_route(),
            )
        })
        .collect();
    pages.into()
}
