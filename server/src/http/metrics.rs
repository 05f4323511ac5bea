//! Requests measured by route, method and status (`app::metrics`), and the metrics' own
//! listener. Routes are labelled only by the paths the router serves, so junk paths cannot
//! make new series.

use app::{clock::Clock, db::Db, metrics::metrics};
use axum::{
    Router,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use std::{collections::HashSet, sync::Arc, time::Instant};

/// The paths the router serves, for labels (a declared `{name}` pattern labels every path it
/// matches).
#[derive(Clone, Debug, Default)]
pub struct KnownRoutes(pub Arc<HashSet<String>>, pub app::web::routes::AccessTable);

fn route_label(known: &KnownRoutes, path: &str) -> String {
    if path.starts_with("/pkg/") {
        "/pkg/*".into()
    } else if path.starts_with("/assets/") {
        "/assets/*".into()
    } else if known.0.contains(path) {
        path.to_owned()
    } else if let Some(pattern) = known.1.route_of(path) {
        pattern.to_owned()
    } else {
        "other".into()
    }
}

fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "other",
    }
}

/// Counts and times every request.
pub async fn record(State(known): State<KnownRoutes>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = route_label(&known, req.uri().path());
    let res = next.run(req).await;
    metrics().request(
        &route,
        method,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// The metrics listener's router: `GET /metrics`.
pub fn router(db: Db, clock: Arc<dyn Clock>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let (db, clock) = (db.clone(), clock.clone());
            async move {
                match metrics().render(&db, clock.now_unix()).await {
                    Ok(text) => (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        text,
                    )
                        .into_response(),
                    Err(e) => {
                        tracing::error!(error = %e, "metrics: reading the outbox failed");
                        StatusCode::SERVICE_UNAVAILABLE.into_response()
                    }
                }
            }
        }),
    )
}
