//! The accounts feature's answers that are not pages or forms: the passkey button's JSON calls,
//! the authenticator QR image, "stay signed in", and the development clock.

use super::session::Stage;
use crate::{
    i18n::Lang,
    state::AppState,
    web::{self, Ctx},
};
use axum::{
    extract::Request,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

/// The largest passkey call accepted.
pub const PASSKEY_LIMIT: usize = 64 << 10;

/// "Stay signed in" from the time-out warning: extends the session without leaving the page.
pub async fn keep_alive(state: AppState, req: Request) -> Response {
    let Some(s) = req
        .extensions()
        .get::<web::Current>()
        .filter(|s| s.stage == Stage::Full)
    else {
        return web::json(StatusCode::UNAUTHORIZED, &serde_json::json!({}));
    };
    match super::session::touch(&state.db, s, state.clock.now_unix()).await {
        Ok(left) => web::json(StatusCode::OK, &serde_json::json!({ "expires_in": left })),
        Err(e) => {
            let _ = crate::error::AppError::internal(e);
            web::json(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({}))
        }
    }
}

/// A call from the passkey button (JSON in, JSON out).
pub async fn passkey(state: AppState, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let json_body = match axum::body::to_bytes(body, PASSKEY_LIMIT).await {
        Ok(b) => serde_json::from_slice::<serde_json::Value>(&b).unwrap_or_default(),
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
    let ctx = Ctx::from_parts(state, &parts, vec![], vec![]);
    match super::passkey_api::handle(parts.uri.path(), ctx, json_body).await {
        Ok(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut res = web::json(status, &reply.body);
            web::set_cookies(&mut res, reply.cookies);
            res
        }
        Err(crate::error::AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => web::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({ "error": e.message(lang) }),
        ),
    }
}

/// The QR code for the authenticator key being set up: its own `no-store` image.
pub async fn qr(state: AppState, req: Request) -> Response {
    let Some(s) = req.extensions().get::<web::Current>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(svg) = s
        .pending_totp
        .as_deref()
        .and_then(|sealed| state.open_pending(&s.user.id, sealed).ok())
        .and_then(|k| super::totp::otpauth_url(&k, &s.user.email))
        .and_then(|url| super::totp::qr_svg(&url))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // `nosniff` and the CSP come from the security headers every answer gets.
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response()
}

/// Development only (the gate checks): the service's clock, so browser tests can compute
/// authenticator codes.
pub async fn dev_now(state: AppState, _req: Request) -> Response {
    if !state.dev_tools {
        return StatusCode::NOT_FOUND.into_response();
    }
    state.clock.now_unix().to_string().into_response()
}
