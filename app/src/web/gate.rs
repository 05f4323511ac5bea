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
        Access::Public | Access::ApiKey => true,
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
        Access::Laa | Access::ServiceCentre | Access::Court => {
            let role = match access {
                Access::Laa => "laa",
                Access::ServiceCentre => "service_centre",
                _ => "court",
            };
            if full.is_some_and(|s| !s.user.is_staff(role)) {
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

/// A declared path as the Leptos router matches it: the same segments (a trailing `/` aside),
/// a `{name}` segment matching any one segment and read by `use_params_map`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact(pub &'static str);

impl PossibleRouteMatch for Exact {
    fn optional(&self) -> bool {
        false
    }

    fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
        let path_or_root = if path.is_empty() { "/" } else { path };
        let params = super::routes::params(self.0, path_or_root)?;
        Some(PartialPathMatch::new(
            "",
            params
                .into_iter()
                .map(|(k, v)| (std::borrow::Cow::Borrowed(k), v.to_owned()))
                .collect(),
            path,
        ))
    }

    fn generate_path(&self, path: &mut Vec<PathSegment>) {
        // Static runs as one segment each ("/cases"), parameters as axum's `{name}`.
        let mut run = String::new();
        for seg in self.0.split('/').skip(1) {
            match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    if !run.is_empty() {
                        path.push(PathSegment::Static(std::mem::take(&mut run).into()));
                    }
                    path.push(PathSegment::Param(name.to_owned().into()));
                }
                None => {
                    run.push('/');
                    run.push_str(seg);
                }
            }
        }
        if !run.is_empty() || path.is_empty() {
            path.push(PathSegment::Static(if run.is_empty() {
                "/".into()
            } else {
                run.into()
            }));
        }
    }
}

/// The declared pages as the Leptos router's routes.
pub fn page_routes(routes: &[Route]) -> leptos::tachys::view::iterators::StaticVec<AnyNestedRoute> {
    // Exact paths first: `/cases/find` before `/cases/{id}`.
    let mut ordered: Vec<&Route> = routes.iter().collect();
    ordered.sort_by_key(|r| r.path.contains('{'));
    let pages: Vec<AnyNestedRoute> = ordered
        .into_iter()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn axum_path(p: &'static str) -> Vec<PathSegment> {
        let mut out = vec![];
        Exact(p).generate_path(&mut out);
        out
    }

    #[test]
    fn declared_paths_match_and_generate_as_declared() {
        assert_eq!(axum_path("/"), vec![PathSegment::Static("/".into())]);
        assert_eq!(
            axum_path("/account/set-up/password"),
            vec![PathSegment::Static("/account/set-up/password".into())]
        );
        assert_eq!(
            axum_path("/cases/{id}/material"),
            vec![
                PathSegment::Static("/cases".into()),
                PathSegment::Param("id".into()),
                PathSegment::Static("/material".into()),
            ]
        );
        assert!(Exact("/").test("").is_some());
        assert!(Exact("/").test("/").is_some());
        assert!(Exact("/courts").test("/courts/").is_some());
        assert!(Exact("/courts").test("/courts/x").is_none());
        assert!(Exact("/cases/{id}").test("/cases/abc").is_some());
        assert!(Exact("/cases/{id}").test("/cases").is_none());
    }
}
