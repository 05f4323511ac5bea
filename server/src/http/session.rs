//! The session each request carries, looked up once for every page, form and handler.

use app::{accounts::session, state::AppState};
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Puts the live [`Current`] session (if any) into the request's extensions.
/// Static files and health checks skip the session lookup (a signed-in browser sends the cookie
/// with every asset request). Every request but a GET or HEAD is counted by the session cache
/// when it ends (it may have changed a user or a session: `app::session_cache`).
pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/pkg/")
        || path.starts_with("/assets/")
        || path == "/sw.js"
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
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD);
    let response = next.run(req).await;
    if writes {
        state.db.sessions.wrote();
    }
    response
}
