//! Security headers on every response, and the origin check on state-changing requests.

use super::HttpSettings;
use app::layout::content_security_policy;
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Refuses cross-site state-changing requests, then adds the security headers to the response.
///
/// Leptos server functions have no CSRF protection of their own, so any method other than GET,
/// HEAD or OPTIONS must come from this site: `Sec-Fetch-Site: same-origin` (or `none`), or an
/// `Origin` equal to the public origin or the request's own host.
pub async fn headers(
    State(settings): State<HttpSettings>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = if is_state_changing(request.method())
        && !same_origin(request.headers(), &settings)
    {
        tracing::warn!(method = %request.method(), path = %request.uri().path(), "cross-site request refused");
        (StatusCode::FORBIDDEN, "Cross-site request refused").into_response()
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&content_security_policy(""))
                .unwrap_or(HeaderValue::from_static("default-src 'none'")),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    if settings.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    // Pages and API answers may carry case data: never stored by browsers or proxies.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(headers: &HeaderMap, settings: &HttpSettings) -> bool {
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    match get(header::ORIGIN) {
        Some(origin) => {
            origin == settings.public_origin
                || get(header::HOST).is_some_and(|host| {
                    origin
                        .strip_prefix("http://")
                        .or_else(|| origin.strip_prefix("https://"))
                        == Some(host)
                })
        }
        // Neither header: not a browser (browsers send Origin on every POST); allow tools.
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> HttpSettings {
        HttpSettings {
            https: false,
            public_origin: "http://localhost:3000".into(),
            geo: None,
            trusted_proxies: Default::default(),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origin_rules() {
        let s = settings();
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            &s
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            &s
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            &s
        ));
        assert!(same_origin(
            &headers(&[("origin", "http://localhost:3000")]),
            &s
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            &s
        ));
        assert!(same_origin(
            &headers(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ]),
            &s
        ));
        assert!(!same_origin(
            &headers(&[("origin", "http://evil:3000"), ("host", "127.0.0.1:3000")]),
            &s
        ));
        assert!(same_origin(&headers(&[]), &s));
    }

    #[test]
    fn only_unsafe_methods_are_checked() {
        assert!(!is_state_changing(&Method::GET));
        assert!(!is_state_changing(&Method::HEAD));
        assert!(is_state_changing(&Method::POST));
        assert!(is_state_changing(&Method::DELETE));
    }
}
