//! One request as a feature's handler sees it ([`Ctx`]) and what the handler answers
//! ([`Outcome`]).

use super::session::Current;
use crate::{error::FieldError, forms::Posted, i18n::Lang, state::AppState};
use std::net::IpAddr;

/// The client's address, as the service sees it (after `TRUSTED_PROXIES`): put into every
/// request's extensions first of all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The client's address in a request's `extensions`, written out (empty for a request that
    /// did not come through the server's middleware).
    pub fn text(extensions: &axum::http::Extensions) -> String {
        extensions
            .get::<ClientIp>()
            .map(|c| c.0.to_string())
            .unwrap_or_default()
    }

    /// [`ClientIp::text`] for the request of the page being rendered.
    pub fn of_page() -> String {
        leptos::prelude::use_context::<axum::http::request::Parts>()
            .map(|p| ClientIp::text(&p.extensions))
            .unwrap_or_default()
    }
}

/// A file sent with a form, as the bytes that came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// The form field's name.
    pub field: String,
    /// The name the browser gave (may be empty).
    pub file_name: String,
    /// The type the browser gave (may be empty; not to be trusted).
    pub content_type: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// One form post (or API call).
pub struct Ctx {
    /// Server state.
    pub state: AppState,
    /// The user's language.
    pub lang: Lang,
    /// The session the request carries.
    pub session: Option<Current>,
    /// The client's address.
    pub ip: String,
    /// The browser's user agent.
    pub user_agent: String,
    /// The request's `Cookie` header(s), joined with "; ".
    pub cookies: String,
    /// The posted text fields (and, for a URL-encoded form, every field).
    pub form: Vec<(String, String)>,
    /// The files posted with a `multipart/form-data` form.
    pub files: Vec<Upload>,
    /// The values of the route's `{name}` path segments.
    pub params: Vec<(String, String)>,
}

impl Ctx {
    /// A context for the request `parts`, with what its body held.
    pub fn from_parts(
        state: AppState,
        parts: &axum::http::request::Parts,
        form: Vec<(String, String)>,
        files: Vec<Upload>,
    ) -> Ctx {
        use axum::http::header;
        Ctx {
            state,
            lang: parts.extensions.get::<Lang>().copied().unwrap_or_default(),
            session: parts.extensions.get::<Current>().cloned(),
            ip: parts
                .extensions
                .get::<ClientIp>()
                .map_or_else(|| "127.0.0.1".to_owned(), |c| c.0.to_string()),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            cookies: parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join("; "),
            form,
            files,
            params: vec![],
        }
    }

    /// With the values of `pattern`'s `{name}` segments in the request's path.
    pub fn with_params(mut self, pattern: &'static str, path: &str) -> Ctx {
        self.params = super::routes::params(pattern, path)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self
    }

    /// The value of the path segment `{name}`, or "".
    pub fn param(&self, name: &str) -> &str {
        crate::forms::value(&self.params, name)
    }

    /// The first value posted under `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        crate::forms::value(&self.form, name)
    }

    /// The first file posted under `name` that has any content.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files
            .iter()
            .find(|f| f.field == name && !f.bytes.is_empty())
    }

    /// The service's clock, now.
    pub fn now(&self) -> i64 {
        self.state.clock.now_unix()
    }

    /// The page again with these errors and the posted values (never passwords or codes).
    pub fn again(&self, errors: Vec<FieldError>) -> Outcome {
        Outcome::Render(Posted {
            values: self
                .form
                .iter()
                .filter(|(k, _)| !k.contains("password") && k != "code")
                .cloned()
                .collect(),
            errors,
            notice: None,
        })
    }

    /// The page again with a message for the whole form.
    pub fn again_notice(&self, msg: String) -> Outcome {
        match self.again(vec![]) {
            Outcome::Render(mut p) => {
                p.notice = Some(msg);
                Outcome::Render(p)
            }
            other => other,
        }
    }
}

/// What to send back.
#[derive(Debug)]
pub enum Outcome {
    /// 303 See Other, optionally setting cookies.
    Redirect {
        /// Where to.
        to: String,
        /// `Set-Cookie` values.
        cookies: Vec<String>,
    },
    /// The same page again, with what was posted.
    Render(Posted),
}

/// 303 to `to`.
pub fn redirect(to: &str) -> Outcome {
    Outcome::Redirect {
        to: to.to_owned(),
        cookies: vec![],
    }
}

/// 303 to `to`, setting one cookie.
pub fn redirect_with(to: &str, cookie: String) -> Outcome {
    Outcome::Redirect {
        to: to.to_owned(),
        cookies: vec![cookie],
    }
}

/// The session the request being rendered carries (put there by the server's session layer).
pub fn current_session() -> Option<Current> {
    use leptos::prelude::use_context;
    use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<Current>().cloned())
}

/// The server state, in a render.
pub fn state() -> Option<AppState> {
    leptos::prelude::use_context::<AppState>()
}

/// A query parameter of the page being rendered, or "".
pub fn query(name: &'static str) -> String {
    use leptos::prelude::*;
    leptos_router::hooks::use_query_map()
        .read_untracked()
        .get(name)
        .unwrap_or_default()
}

/// A JSON answer.
pub fn json(status: axum::http::StatusCode, body: &serde_json::Value) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    (
        status,
        [
            (axum::http::header::CONTENT_TYPE, "application/json"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Adds a `Set-Cookie` header for each value.
pub fn set_cookies(res: &mut axum::response::Response, cookies: Vec<String>) {
    for c in cookies
        .into_iter()
        .filter_map(|c| axum::http::HeaderValue::from_str(&c).ok())
    {
        res.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
}
