//! Chooses each request's language and remembers an explicit choice in a cookie.

use app::i18n::{LANG_COOKIE, Lang};
use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// Puts the request's [`Lang`] into its extensions; when `?lang=` chose one, sets the cookie.
pub async fn negotiate(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let lang = Lang::from_headers(&parts);
    let chosen = Lang::query_param(parts.uri.query()).and_then(Lang::from_code);
    parts.extensions.insert(lang);
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(chosen) = chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            chosen.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response.headers_mut().append(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}
