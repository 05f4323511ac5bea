//! The prosecution's view of defence material: a prosecution system, with its authority's API
//! key, lists what defence firms have served on that authority's cases and downloads it
//! (with `Range`, for long audio and video). Only documents that may be served (scanned clean,
//! or not scanned where scanning is off) are listed; every download is audited with the key
//! that made it. An authority sees only its own cases: any other is "not found".
//!
//! - `GET /api/prosecution/cases/{urn}/material` → `{ "urn", "material": [{ "id", "receipt",
//!   "defendant", "section", "title", "file_name", "content_type", "size", "sha256",
//!   "served_by", "served_at" }] }` (`defendant` is the prosecution's own `ref`).
//! - `GET /api/prosecution/cases/{urn}/material/{id}` → the bytes, as the receipt's SHA-256.

use super::{download, urn::Urn};
use crate::{state::AppState, web::json};
use axum::{http::StatusCode, response::IntoResponse as _};
use serde_json::json as j;

/// The list's address.
pub const LIST_PATH: &str = "/api/prosecution/cases/{urn}/material";
/// One document's address.
pub const ONE_PATH: &str = "/api/prosecution/cases/{urn}/material/{material}";

/// The key presented and the authority it belongs to, or the answer to send instead.
async fn authority(
    state: &AppState,
    presented: String,
) -> Result<(String, String), axum::response::Response> {
    match super::api::authenticate(&state.db, &presented).await {
        Ok(Some(k)) => Ok(k),
        Ok(None) => Err(super::api::unauthorised()),
        Err(e) => Err(failed(e)),
    }
}

fn failed(e: sqlx::Error) -> axum::response::Response {
    let e = crate::error::AppError::internal(e);
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &j!({ "error": e.message(crate::i18n::Lang::En) }),
    )
}

fn not_found() -> axum::response::Response {
    json(
        StatusCode::NOT_FOUND,
        &j!({ "error": "no such case or document" }),
    )
}

/// The case with this URN if it is the authority's: its id.
async fn case_of(state: &AppState, urn: &str, code: &str) -> Result<Option<String>, sqlx::Error> {
    let Ok(urn) = Urn::parse(urn) else {
        return Ok(None);
    };
    sqlx::query_scalar("SELECT id FROM cases WHERE urn = $1 AND prosecutor = $2")
        .bind(urn.as_str())
        .bind(code)
        .fetch_optional(&state.db.pool)
        .await
}

/// `GET /api/prosecution/cases/{urn}/material`.
pub async fn list(state: AppState, req: axum::extract::Request) -> axum::response::Response {
    let (_key, code) = match authority(&state, super::api::presented(req.headers())).await {
        Ok(k) => k,
        Err(res) => return res,
    };
    let urn = crate::web::routes::param(LIST_PATH, req.uri().path(), "urn");
    let case_id = match case_of(&state, &urn, &code).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(),
        Err(e) => return failed(e),
    };
    type Row = (
        String,
        Option<String>,
        String,
        String,
        String,
        String,
        String,
        i64,
        String,
        String,
        i64,
        String,
    );
    let rows: Vec<Row> = match sqlx::query_as(
        "SELECT m.id, m.receipt, d.ref, m.section, m.title, m.file_name, m.content_type, \
                m.size, m.sha256, o.name, m.served_at, c.urn \
         FROM material m JOIN defendants d ON d.id = m.defendant_id \
         JOIN organisations o ON o.id = m.served_by JOIN cases c ON c.id = m.case_id \
         WHERE m.case_id = $1 AND m.uploaded_by IS NOT NULL \
           AND m.status IN ('clean', 'not_scanned') \
         ORDER BY m.served_at, m.id",
    )
    .bind(&case_id)
    .fetch_all(&state.db.pool)
    .await
    {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let urn = rows.first().map_or_else(
        || {
            Urn::parse(&urn)
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default()
        },
        |r| r.11.clone(),
    );
    let material: Vec<serde_json::Value> = rows
        .into_iter()
        .map(
            |(
                id,
                receipt,
                defendant,
                section,
                title,
                file_name,
                content_type,
                size,
                sha256,
                by,
                at,
                _,
            )| {
                j!({ "id": id, "receipt": receipt, "defendant": defendant, "section": section,
                     "title": title, "file_name": file_name,
                     "content_type": download::content_type(&content_type), "size": size,
                     "sha256": sha256, "served_by": by,
                     "served_at": crate::clock::utc_rfc3339(at) })
            },
        )
        .collect();
    json(StatusCode::OK, &j!({ "urn": urn, "material": material }))
}

/// `GET /api/prosecution/cases/{urn}/material/{material}`.
pub async fn get(state: AppState, req: axum::extract::Request) -> axum::response::Response {
    let (key, code) = match authority(&state, super::api::presented(req.headers())).await {
        Ok(k) => k,
        Err(res) => return res,
    };
    let path = req.uri().path().to_owned();
    let urn = crate::web::routes::param(ONE_PATH, &path, "urn");
    let material = crate::web::routes::param(ONE_PATH, &path, "material");
    let case_id = match case_of(&state, &urn, &code).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(),
        Err(e) => return failed(e),
    };
    let now = state.clock.now_unix();
    let ip = req
        .extensions()
        .get::<crate::web::ClientIp>()
        .map(|c| c.0.to_string());
    let by = crate::accounts::store::Who {
        actor: format!("prosecutor:{code}:{key}"),
        organisation_id: None,
        ip,
    };
    let d = match record(&state, &case_id, &material, &by, req.headers(), now).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(),
        Err(e) => return failed(e),
    };
    download::send(&state, &d, req.headers(), crate::i18n::Lang::En)
        .await
        .into_response()
}

/// The defence document `material` on the case, if servable, with its download audited
/// (the key, and the range asked for) before a byte is sent.
async fn record(
    state: &AppState,
    case_id: &str,
    material: &str,
    by: &crate::accounts::store::Who,
    headers: &axum::http::HeaderMap,
    now: i64,
) -> Result<Option<super::defence::Download>, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    type Row = (String, String, i64, String, Option<String>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT file_name, content_type, size, sha256, storage_key, receipt FROM material \
             WHERE id = $1 AND case_id = $2 AND uploaded_by IS NOT NULL \
               AND status IN ('clean', 'not_scanned')",
    )
    .bind(material)
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((file_name, content_type, size, sha256, storage_key, receipt)) = row else {
        return Ok(None);
    };
    let range = headers
        .get(axum::http::header::RANGE)
        .and_then(|v| v.to_str().ok());
    by.audit(
        &mut tx,
        "material.prosecution_download",
        Some(format!("material:{material}")),
        j!({ "case": case_id, "receipt": receipt, "sha256": sha256, "range": range }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(super::defence::Download {
        file_name,
        content_type,
        size,
        sha256,
        storage_key,
    }))
}
