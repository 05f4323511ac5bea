//! What a feature declares: each address it serves, who may reach it, and what answers there
//! (a page, a form post, a raw handler). The server builds its router from these declarations,
//! the gate in front of every request reads the access from them, and the authorisation matrix
//! test iterates them, so an address cannot be served without saying who may use it.

use super::{context::Ctx, context::Outcome, session::Stage};
use crate::{error::AppError, state::AppState};
use std::{future::Future, pin::Pin};

/// Who may reach an address. Anyone else is sent to sign in (no session, or the wrong stage),
/// or told the page does not exist (signed in, but not theirs to know about).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A session part-way through signing in, at this stage.
    Stage(Stage),
    /// Anyone fully signed in.
    SignedIn,
    /// An active administrator of an organisation (the handler checks it is theirs).
    Administrator,
    /// HMCTS onboarding staff.
    Onboarding,
    /// A prosecution system presenting its API key (the handler checks it; no session).
    ApiKey,
    /// Legal Aid Agency staff.
    Laa,
    /// The HMCTS service centre.
    ServiceCentre,
    /// Court staff (of one court: the handler reads which).
    Court,
    /// Only with the development tools on (`DEV_TOOLS`); "not found" otherwise.
    DevTools,
}

/// The future a form handler returns.
pub type FormFuture = Pin<Box<dyn Future<Output = Result<Outcome, AppError>> + Send>>;

/// The future a raw handler returns.
pub type RawFuture = Pin<Box<dyn Future<Output = axum::response::Response> + Send>>;

/// How a page is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Render {
    /// Sent as it renders (pages that read nothing slow).
    Stream,
    /// Sent whole once every read is done (pages that read the database).
    Async,
}

/// A server-rendered page (GET).
#[derive(Clone, Copy)]
pub struct Page {
    /// The page.
    pub view: fn() -> leptos::prelude::AnyView,
    /// How it is sent.
    pub render: Render,
}

/// A form post (POST): URL-encoded, or multipart with files read as bytes.
#[derive(Clone, Copy)]
pub struct Form {
    /// What happens.
    pub handler: fn(Ctx) -> FormFuture,
    /// The largest body accepted, in bytes.
    pub limit: usize,
}

/// Any other answer: JSON APIs, images, downloads, streams.
#[derive(Clone)]
pub struct Raw {
    /// The method it answers.
    pub method: axum::http::Method,
    /// What answers.
    pub handler: fn(AppState, axum::extract::Request) -> RawFuture,
    /// The largest body accepted, in bytes.
    pub limit: usize,
}

/// One address a feature serves.
#[derive(Clone)]
pub struct Route {
    /// The path, exact.
    pub path: &'static str,
    /// Who may reach it.
    pub access: Access,
    /// Reachable while the user must first change a password known to be compromised (any
    /// other signed-in address sends them to change it).
    pub while_password_due: bool,
    /// Its page.
    pub page: Option<Page>,
    /// Its form post.
    pub form: Option<Form>,
    /// Other handlers.
    pub raw: Vec<Raw>,
}

/// The usual body limit of a form with no file: 256 KiB.
pub const FORM_LIMIT: usize = 256 << 10;

impl Route {
    /// An address with nothing yet.
    pub fn new(path: &'static str, access: Access) -> Route {
        Route {
            path,
            access,
            while_password_due: false,
            page: None,
            form: None,
            raw: vec![],
        }
    }

    /// With a page sent as it renders.
    pub fn page(mut self, view: fn() -> leptos::prelude::AnyView) -> Route {
        self.page = Some(Page {
            view,
            render: Render::Stream,
        });
        self
    }

    /// With a page sent once its reads are done.
    pub fn page_async(mut self, view: fn() -> leptos::prelude::AnyView) -> Route {
        self.page = Some(Page {
            view,
            render: Render::Async,
        });
        self
    }

    /// With a form post, up to [`FORM_LIMIT`].
    pub fn form(self, handler: fn(Ctx) -> FormFuture) -> Route {
        self.form_up_to(handler, FORM_LIMIT)
    }

    /// With a form post, up to `limit` bytes (a form with a file).
    pub fn form_up_to(mut self, handler: fn(Ctx) -> FormFuture, limit: usize) -> Route {
        self.form = Some(Form { handler, limit });
        self
    }

    /// With a raw handler for `method`, reading up to `limit` bytes.
    pub fn raw(
        mut self,
        method: axum::http::Method,
        handler: fn(AppState, axum::extract::Request) -> RawFuture,
        limit: usize,
    ) -> Route {
        self.raw.push(Raw {
            method,
            handler,
            limit,
        });
        self
    }

    /// Reachable before a due password change.
    pub fn while_password_due(mut self) -> Route {
        self.while_password_due = true;
        self
    }

    /// The methods it answers.
    pub fn methods(&self) -> Vec<axum::http::Method> {
        let mut out = vec![];
        if self.page.is_some() {
            out.push(axum::http::Method::GET);
        }
        if self.form.is_some() {
            out.push(axum::http::Method::POST);
        }
        out.extend(self.raw.iter().map(|r| r.method.clone()));
        out
    }
}

/// A feature: a folder of the app with the addresses it serves.
pub struct Feature {
    /// Its name (its folder).
    pub name: &'static str,
    /// Its addresses.
    pub routes: fn() -> Vec<Route>,
    /// A section it adds to the signed-in home, above the firm's cases (the home belongs to a
    /// lower feature, which cannot name a higher one).
    pub home: Option<fn() -> leptos::prelude::AnyView>,
}

/// Checks a set of features' declarations: every path once, starting with `/`, each method
/// once. The server refuses to start on an error; a test runs it on the app's features.
pub fn check(features: &[Feature]) -> Result<Vec<Route>, String> {
    let mut seen = std::collections::HashMap::new();
    let mut all = vec![];
    for f in features {
        for r in (f.routes)() {
            if !is_pattern(r.path) {
                return Err(format!(
                    "{}: {:?} is not a path (exact segments, or a whole {{name}} segment)",
                    f.name, r.path
                ));
            }
            if let Some(other) = seen.insert(r.path, f.name) {
                return Err(format!("{} is declared by {other} and {}", r.path, f.name));
            }
            let methods = r.methods();
            if methods.is_empty() {
                return Err(format!("{}: {} answers nothing", f.name, r.path));
            }
            let mut unique = methods.clone();
            unique.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            unique.dedup();
            if unique.len() != methods.len() {
                return Err(format!("{}: {} declares a method twice", f.name, r.path));
            }
            all.push(r);
        }
    }
    Ok(all)
}

/// Whether `path` is a declarable path: `/` and segments that are plain text (no `?`, `#`,
/// `:`, `*`, braces) or a whole `{name}` parameter.
fn is_pattern(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    rest.split('/').all(|seg| {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        } else {
            !seg.is_empty() && !seg.contains(['?', '#', ':', '*', '{', '}'])
        }
    })
}

/// Whether a request path matches a declared pattern: the same segments, each `{name}` any
/// non-empty segment. A trailing `/` is ignored.
pub fn matches(pattern: &'static str, path: &str) -> bool {
    params(pattern, path).is_some()
}

/// One parameter of `path` as `pattern` names it (`"id"` in `/cases/{id}/…`), or "" when the
/// path does not match or has no such parameter: what a raw handler reads its address with.
pub fn param(pattern: &'static str, path: &str, name: &str) -> String {
    params(pattern, path)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// The parameters of `path` under `pattern` (`{id}` → ("id", value)), if it matches.
pub fn params<'p>(pattern: &'static str, path: &'p str) -> Option<Vec<(&'static str, &'p str)>> {
    let trim = |p: &str| p.len() > 1 && p.ends_with('/');
    let pattern = if trim(pattern) {
        &pattern[..pattern.len() - 1]
    } else {
        pattern
    };
    let path = if trim(path) {
        &path[..path.len() - 1]
    } else {
        path
    };
    let mut out = vec![];
    let (mut a, mut b) = (pattern.split('/'), path.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Some(out),
            (Some(p), Some(v)) => match p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) if !v.is_empty() => out.push((name, v)),
                None if p == v => {}
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// The routes' access by path, for the gate.
#[derive(Clone, Debug, Default)]
pub struct AccessTable {
    exact: std::sync::Arc<std::collections::HashMap<&'static str, (Access, bool)>>,
    patterns: std::sync::Arc<Vec<(&'static str, (Access, bool))>>,
}

impl AccessTable {
    /// From the declarations.
    pub fn new(routes: &[Route]) -> AccessTable {
        let (patterns, exact): (Vec<&Route>, Vec<&Route>) =
            routes.iter().partition(|r| r.path.contains('{'));
        AccessTable {
            exact: std::sync::Arc::new(
                exact
                    .iter()
                    .map(|r| (r.path, (r.access, r.while_password_due)))
                    .collect(),
            ),
            patterns: std::sync::Arc::new(
                patterns
                    .iter()
                    .map(|r| (r.path, (r.access, r.while_password_due)))
                    .collect(),
            ),
        }
    }

    /// The declared path a request path falls under, if any.
    pub fn route_of(&self, path: &str) -> Option<&'static str> {
        let trimmed = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        if let Some((p, _)) = self.exact.get_key_value(trimmed) {
            return Some(p);
        }
        self.patterns
            .iter()
            .find(|(p, _)| matches(p, path))
            .map(|(p, _)| *p)
    }

    /// The access an address needs ([`Access::Public`] for an address no feature declares: it
    /// is a static file or "not found"), and whether it is open while a password change is due.
    pub fn get(&self, path: &str) -> (Access, bool) {
        let trimmed = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        if let Some(a) = self.exact.get(trimmed) {
            return *a;
        }
        self.patterns
            .iter()
            .find(|(p, _)| matches(p, path))
            .map_or((Access::Public, true), |(_, a)| *a)
    }
}

/// Boxes a form handler's future (for `Route::form(|ctx| form(handler(ctx)))`).
pub fn form<F>(f: F) -> FormFuture
where
    F: Future<Output = Result<Outcome, AppError>> + Send + 'static,
{
    Box::pin(f)
}

/// Boxes a raw handler's future.
pub fn raw<F>(f: F) -> RawFuture
where
    F: Future<Output = axum::response::Response> + Send + 'static,
{
    Box::pin(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_patterns() {
        for ok in [
            "/",
            "/cases",
            "/cases/{id}",
            "/cases/{id}/material",
            "/organisation/audit.csv",
        ] {
            assert!(is_pattern(ok), "{ok}");
        }
        for bad in [
            "",
            "cases",
            "/cases/",
            "/cases//x",
            "/cases/:id",
            "/cases/{}",
            "/cases/{Id}",
            "/a/*",
            "/a?b",
            "/x{id}",
        ] {
            assert!(!is_pattern(bad), "{bad}");
        }
        assert_eq!(
            params("/cases/{id}", "/cases/abc"),
            Some(vec![("id", "abc")])
        );
        assert_eq!(
            params("/cases/{id}/material", "/cases/abc/material/"),
            Some(vec![("id", "abc")])
        );
        assert_eq!(params("/cases/{id}", "/cases"), None);
        assert_eq!(params("/cases/{id}", "/cases/"), None);
        assert_eq!(params("/cases/{id}", "/cases/a/b"), None);
        assert_eq!(params("/cases/find", "/cases/find"), Some(vec![]));
        assert_eq!(params("/", "/"), Some(vec![]));
    }

    #[test]
    fn exact_addresses_win_over_patterns_and_unknown_ones_are_public() {
        let routes = vec![
            Route::new("/cases/{id}", Access::SignedIn).raw(
                axum::http::Method::GET,
                |_, _| raw(async { axum::response::Response::default() }),
                0,
            ),
            Route::new("/cases/find", Access::Public).raw(
                axum::http::Method::GET,
                |_, _| raw(async { axum::response::Response::default() }),
                0,
            ),
        ];
        let t = AccessTable::new(&routes);
        assert_eq!(t.get("/cases/find").0, Access::Public);
        assert_eq!(t.get("/cases/123").0, Access::SignedIn);
        assert_eq!(t.get("/cases/123/").0, Access::SignedIn);
        assert_eq!(t.route_of("/cases/123"), Some("/cases/{id}"));
        assert_eq!(t.get("/elsewhere"), (Access::Public, true));
        assert_eq!(t.route_of("/elsewhere"), None);
    }
}
