//! Accounts on the HTTP side: the client's address, the session each request carries, the gate
//! in front of signed-in pages, form posts, and the authenticator QR image.

use super::client_ip::ClientIp;
use app::{
    accounts::{
        actions::{self, Ctx, Outcome},
        session::{self, Current, Stage},
    },
    i18n::Lang,
    shell,
    state::AppState,
};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use leptos::prelude::*;

/// Puts the live [`Current`] session (if any) into the request's extensions.
/// Static files and health checks skip the session lookup (a signed-in browser sends the cookie
/// with every asset request).
pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/pkg/")
        || path.starts_with("/assets/")
        || path == "/healthz"
        || path == "/readyz"
    {
        return next.run(req).await;
    }
    let token = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session::token_from_cookie_header)
        .map(str::to_owned);
    if let Some(token) = token {
        let now = state.clock.now_unix();
        match session::lookup(&state.db, &token, now).await {
            Ok(Some(current)) => {
                req.extensions_mut().insert(current);
            }
            Ok(None) => {}
            Err(e) => {
                let _ = app::error::AppError::internal(e);
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The service is unavailable. Try again shortly.",
                )
                    .into_response();
            }
        }
    }
    next.run(req).await
}

/// What a path needs.
#[derive(Debug, PartialEq, Eq)]
enum Need {
    Nothing,
    Stage(Stage),
    Full,
    Onboarding,
    Administrator,
}

fn need(path: &str) -> Need {
    if path == "/sign-in/verify" {
        Need::Stage(Stage::SecondFactor)
    } else if path.starts_with("/account/set-up/") && path != "/account/set-up/done" {
        Need::Stage(Stage::Setup)
    } else if path == "/account" || path.starts_with("/account/") {
        Need::Full
    } else if path == "/onboarding" || path.starts_with("/onboarding/") {
        Need::Onboarding
    } else if path == "/organisation" || path.starts_with("/organisation/") {
        Need::Administrator
    } else {
        Need::Nothing
    }
}

/// Deny by default for signed-in areas: without the right session, a page sends the user to
/// sign in (and staff pages answer "not found" to anyone else).
pub async fn gate(req: Request, next: Next) -> Response {
    let s = req.extensions().get::<Current>();
    let ok = match need(req.uri().path()) {
        Need::Nothing => true,
        Need::Stage(stage) => s.is_some_and(|s| s.stage == stage),
        Need::Full => s.is_some_and(|s| s.stage == Stage::Full),
        Need::Onboarding => {
            if s.is_some_and(|s| s.stage == Stage::Full && !s.user.is_onboarding()) {
                return not_found(req, next).await;
            }
            s.is_some_and(|s| s.stage == Stage::Full)
        }
        // Organisation settings: only its active administrators; anyone else signed in is told
        // the page does not exist.
        Need::Administrator => {
            let full = s.filter(|s| s.stage == Stage::Full);
            if full.is_some_and(|s| !s.user.is_active_admin()) {
                return not_found(req, next).await;
            }
            full.is_some()
        }
    };
    // A password known to be compromised is changed before anything else is reached.
    let forced = matches!(
        need(req.uri().path()),
        Need::Full | Need::Onboarding | Need::Administrator
    ) && req.uri().path() != "/account/change-password"
        && req.uri().path() != "/account/keep-alive"
        && s.is_some_and(|s| s.user.change_password.is_some());
    if ok && forced {
        Redirect::to("/account/change-password").into_response()
    } else if ok {
        next.run(req).await
    } else {
        Redirect::to("/sign-in").into_response()
    }
}

/// The service's "page not found" (status 404), for a signed-in user who may not see a page:
/// the request goes on as a GET to an address no route has.
async fn not_found(mut req: Request, next: Next) -> Response {
    *req.method_mut() = axum::http::Method::GET;
    *req.uri_mut() = axum::http::Uri::from_static("/not-found");
    let mut res = next.run(req).await;
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

/// A form post to one of [`actions::PATHS`].
pub async fn post(
    State((state, options)): State<(AppState, LeptosOptions)>,
    req: Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let limit = if boundary.is_some() {
        4 << 20
    } else {
        256 << 10
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let form: Vec<(String, String)> = match boundary {
        Some(boundary) => multipart_fields(bytes, boundary).await,
        None => serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
    };
    let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
    let ip = parts
        .extensions
        .get::<ClientIp>()
        .map_or_else(|| "127.0.0.1".to_owned(), |c| c.0.to_string());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let path = parts.uri.path().to_owned();
    let ctx = Ctx {
        state: state.clone(),
        lang,
        session: parts.extensions.get::<Current>().cloned(),
        ip,
        user_agent,
        device: device_token(&parts.headers),
        form,
    };
    match actions::dispatch(&path, ctx).await {
        Ok(Outcome::Redirect { to, cookies }) => {
            let mut res = Redirect::to(&to).into_response();
            set_cookies(&mut res, cookies);
            res
        }
        Ok(Outcome::Render(posted)) => {
            parts.method = axum::http::Method::GET;
            let render = leptos_axum::render_app_to_stream_with_context(
                move || {
                    provide_context(state.clone());
                    provide_context(posted.clone());
                },
                move || shell(options.clone()),
            );
            render(Request::from_parts(parts, Body::empty())).await
        }
        Err(app::error::AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            let message = e.message(lang);
            (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
        }
    }
}

/// The fields of a `multipart/form-data` body, files as (lossy) UTF-8 text.
async fn multipart_fields(bytes: axum::body::Bytes, boundary: String) -> Vec<(String, String)> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut out = vec![];
    while let Ok(Some(field)) = parts.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        match field.bytes().await {
            Ok(b) => out.push((name, String::from_utf8_lossy(&b).into_owned())),
            Err(_) => break,
        }
    }
    out
}

/// "Stay signed in" from the time-out warning: extends the session without leaving the page.
pub async fn keep_alive(State(state): State<AppState>, req: Request) -> Response {
    let Some(s) = req
        .extensions()
        .get::<Current>()
        .filter(|s| s.stage == Stage::Full)
    else {
        return json_response(StatusCode::UNAUTHORIZED, &serde_json::json!({}));
    };
    match session::touch(&state.db, s, state.clock.now_unix()).await {
        Ok(left) => {
            let mut res = json_response(StatusCode::OK, &serde_json::json!({ "expires_in": left }));
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => {
            let _ = app::error::AppError::internal(e);
            json_response(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({}))
        }
    }
}

/// A call from the passkey button (JSON in, JSON out).
pub async fn passkey(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let json_body = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => serde_json::from_slice::<serde_json::Value>(&b).unwrap_or_default(),
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
    let ctx = Ctx {
        state,
        lang,
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
        device: device_token(&parts.headers),
        form: vec![],
    };
    match app::accounts::passkey_api::handle(parts.uri.path(), ctx, json_body).await {
        Ok(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut res = json_response(status, &reply.body);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            set_cookies(&mut res, reply.cookies);
            res
        }
        Err(app::error::AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({ "error": e.message(lang) }),
        ),
    }
}

/// The recognised-browser token in the request's cookies, if any.
fn device_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(app::accounts::device::token_from_cookie_header)
        .map(str::to_owned)
}

/// Adds a `Set-Cookie` header for each value.
fn set_cookies(res: &mut Response, cookies: Vec<String>) {
    for c in cookies
        .into_iter()
        .filter_map(|c| HeaderValue::from_str(&c).ok())
    {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The QR code for the authenticator key being set up: its own `no-store` image.
pub async fn qr(State(state): State<AppState>, req: Request) -> Response {
    let Some(s) = req.extensions().get::<Current>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(svg) = s
        .pending_totp
        .as_deref()
        .and_then(|sealed| state.open_pending(&s.user.id, sealed).ok())
        .and_then(|k| app::accounts::totp::otpauth_url(&k, &s.user.email))
        .and_then(|url| app::accounts::totp::qr_svg(&url))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response()
}

/// Development only: the service's clock, so browser tests can compute authenticator codes.
pub async fn dev_now(State(state): State<AppState>) -> Response {
    if !state.dev_tools {
        return StatusCode::NOT_FOUND.into_response();
    }
    state.clock.now_unix().to_string().into_response()
}

/// `/organisation/audit.csv`: the organisation's audit events matching the page's filters, as
/// a spreadsheet. Administrators only (the gate checked; this checks again).
pub async fn audit_csv(State(state): State<AppState>, req: Request) -> Response {
    use app::organisation::audit;
    let Some(s) = req
        .extensions()
        .get::<Current>()
        .filter(|s| s.stage == Stage::Full && s.user.is_active_admin())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(org_id) = s.user.organisation_id.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let q: Vec<(String, String)> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
    let get = |k: &str| app::forms::value(&q, k);
    let (filter, _) = audit::AuditFilter::parse(get("user"), get("action"), get("from"), get("to"));
    let now = state.clock.now_unix();
    let body = match state.db.pool.acquire().await {
        Ok(mut conn) => audit::csv(&mut conn, &org_id, &filter, lang).await,
        Err(e) => Err(e),
    };
    match body {
        Ok(body) => {
            let ip = req
                .extensions()
                .get::<ClientIp>()
                .map(|c| c.0.to_string())
                .unwrap_or_default();
            let who = app::accounts::store::Who::user(&s.user, &ip);
            if let Err(e) = who
                .audit_alone(
                    &state.db,
                    "organisation.audit.exported",
                    Some(format!("organisation:{org_id}")),
                    serde_json::json!({ "filter": filter.query() }),
                    now,
                )
                .await
            {
                let message = app::error::AppError::internal(e).message(lang);
                return (StatusCode::INTERNAL_SERVER_ERROR, message).into_response();
            }
            let date = app::clock::uk_date(now);
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"audit-{date}.csv\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                format!("\u{feff}{body}"),
            )
                .into_response()
        }
        Err(e) => {
            let message = app::error::AppError::internal(e).message(lang);
            (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_in_areas_are_gated() {
        assert_eq!(need("/"), Need::Nothing);
        assert_eq!(need("/sign-in"), Need::Nothing);
        assert_eq!(need("/sign-in/verify"), Need::Stage(Stage::SecondFactor));
        assert_eq!(need("/account/set-up/password"), Need::Stage(Stage::Setup));
        assert_eq!(need("/account/set-up/done"), Need::Full);
        assert_eq!(need("/account"), Need::Full);
        assert_eq!(need("/account/sessions"), Need::Full);
        assert_eq!(need("/accounts-of-others"), Need::Nothing);
        assert_eq!(need("/onboarding/registration"), Need::Onboarding);
        assert_eq!(need("/organisation"), Need::Administrator);
        assert_eq!(need("/organisation/users"), Need::Administrator);
        assert_eq!(need("/organisations-elsewhere"), Need::Nothing);
    }
}
