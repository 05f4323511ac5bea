//! Liveness and readiness probes.

use app::db::Db;
use axum::{extract::State, http::StatusCode};

/// The process is up and answering.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The service can do its work: the database answers.
pub async fn readyz(State(db): State<Db>) -> (StatusCode, &'static str) {
    if db.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
