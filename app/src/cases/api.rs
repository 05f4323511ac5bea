//! Cases sent by prosecution systems: `POST /api/prosecution/cases` with an API key per
//! prosecuting authority (`Authorization: Bearer cak_<id>_<secret>`), the same JSON document as
//! `server import` (docs/prosecution-import.md), saved whole or refused whole with every
//! problem by JSON path. An authority sends only its own cases. Keys are made and revoked from
//! the command line; only a SHA-256 of the secret is stored, and the key is shown once.

use crate::{accounts::store::Who, db::Db, state::AppState, web::json};
use axum::http::{HeaderValue, StatusCode, header};
use serde_json::json as j;

/// The address.
pub const PATH: &str = "/api/prosecution/cases";

/// The largest document accepted: 256 MiB (files travel inside it as base64).
pub const LIMIT: usize = 256 << 20;

/// A key made for an authority: its id (for revoking) and the key itself, shown once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewKey {
    /// The key's id.
    pub id: String,
    /// The whole key, to give to the prosecution system.
    pub key: String,
}

/// Makes a key for the prosecuting authority `code`, audited.
pub async fn create_key(
    db: &Db,
    code: &str,
    label: &str,
    now: i64,
) -> Result<Option<NewKey>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let known: Option<(String,)> = sqlx::query_as("SELECT code FROM prosecutors WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Ok(None);
    }
    let id: String = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let secret = crate::accounts::token::new_token();
    sqlx::query(
        "INSERT INTO prosecution_keys (id, prosecutor, secret_hash, label, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(code)
    .bind(crate::accounts::token::hash_token(&secret))
    .bind(label)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    cli()
        .audit(
            &mut tx,
            "prosecution.key.created",
            Some(format!("prosecutor:{code}")),
            j!({ "key": id, "label": label }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Some(NewKey {
        key: format!("cak_{id}_{secret}"),
        id,
    }))
}

/// Revokes a key (conditional on it being live); whether one was.
pub async fn revoke_key(db: &Db, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let done: Option<(String,)> = sqlx::query_as(
        "UPDATE prosecution_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL \
         RETURNING prosecutor",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((code,)) = done else {
        return Ok(false);
    };
    cli()
        .audit(
            &mut tx,
            "prosecution.key.revoked",
            Some(format!("prosecutor:{code}")),
            j!({ "key": id }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// The keys: (id, prosecutor, label, created, revoked, last used).
pub type KeyRow = (String, String, String, i64, Option<i64>, Option<i64>);

/// Every key, newest first.
pub async fn keys(db: &Db) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, prosecutor, label, created_at, revoked_at, last_used_at \
         FROM prosecution_keys ORDER BY created_at DESC, id",
    )
    .fetch_all(&db.pool)
    .await
}

fn cli() -> Who {
    Who {
        actor: "cli".into(),
        organisation_id: None,
        ip: None,
    }
}

/// The authority a presented key belongs to, if the key is live: (key id, prosecutor code).
pub async fn authenticate(
    db: &Db,
    presented: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let Some(rest) = presented.strip_prefix("cak_") else {
        return Ok(None);
    };
    let Some((id, secret)) = rest.split_once('_') else {
        return Ok(None);
    };
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT prosecutor, secret_hash FROM prosecution_keys \
         WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some((code, stored)) = row else {
        return Ok(None);
    };
    let given = crate::accounts::token::hash_token(secret);
    // Both are hex digests of the same length: compared without an early exit.
    let same = given.len() == stored.len()
        && given
            .bytes()
            .zip(stored.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    Ok(same.then(|| (id.to_owned(), code)))
}

/// The key a request presents (`Authorization: Bearer …`), or "".
pub fn presented(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

/// 401, saying a key is needed.
pub fn unauthorised() -> axum::response::Response {
    let mut res = json(
        StatusCode::UNAUTHORIZED,
        &j!({ "error": "an API key is needed: Authorization: Bearer cak_…" }),
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"prosecution\""),
    );
    res
}

/// `POST /api/prosecution/cases`.
pub async fn post(state: AppState, req: axum::extract::Request) -> axum::response::Response {
    let presented = presented(req.headers());
    let failed = |e: sqlx::Error| {
        let e = crate::error::AppError::internal(e);
        json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &j!({ "error": e.message(crate::i18n::Lang::En) }),
        )
    };
    let (key_id, code) = match authenticate(&state.db, &presented).await {
        Ok(Some(k)) => k,
        Ok(None) => return unauthorised(),
        Err(e) => return failed(e),
    };
    let ip = req
        .extensions()
        .get::<crate::web::ClientIp>()
        .map(|c| c.0.to_string());
    let bytes = match axum::body::to_bytes(req.into_body(), LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &j!({ "error": format!("the document is larger than {} MiB", LIMIT >> 20) }),
            );
        }
    };
    let refused = |problems: Vec<super::import::Problem>| {
        json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &j!({ "problems": problems.iter().map(|p| j!({ "path": p.path, "problem": p.reason })).collect::<Vec<_>>() }),
        )
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return refused(vec![super::import::Problem {
            path: "$".into(),
            reason: "the document is not UTF-8".into(),
        }]);
    };
    let sections = match state.db.pool.acquire().await {
        Ok(mut conn) => match super::sections::all(&mut conn).await {
            Ok(s) => s,
            Err(e) => return failed(e),
        },
        Err(e) => return failed(e),
    };
    let open = super::sections::codes_open_to(&sections, super::sections::Party::Prosecution);
    let cases = match super::import::parse(text, &open) {
        Ok(c) => c,
        Err(problems) => return refused(problems),
    };
    let many = cases.len() > 1;
    let theirs: Vec<_> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.prosecutor != code)
        .map(|(i, _)| super::import::Problem {
            path: if many {
                format!("$.cases[{i}].prosecutor")
            } else {
                "$.prosecutor".into()
            },
            reason: format!("this key sends {code}'s cases only"),
        })
        .collect();
    if !theirs.is_empty() {
        return refused(theirs);
    }
    let now = state.clock.now_unix();
    let who = Who {
        actor: format!("prosecutor:{code}:{key_id}"),
        organisation_id: None,
        ip,
    };
    match super::store::import(&state.db, &state.files, &cases, &who, &state.mail, now).await {
        Ok(s) => {
            if let Err(e) =
                sqlx::query("UPDATE prosecution_keys SET last_used_at = $2 WHERE id = $1")
                    .bind(&key_id)
                    .bind(now)
                    .execute(&state.db.pool)
                    .await
            {
                tracing::warn!(error = %e, "recording a key's last use");
            }
            json(
                StatusCode::OK,
                &j!({ "added": s.added, "updated": s.updated }),
            )
        }
        Err(super::store::ImportError::Refused(p)) => refused(p),
        Err(super::store::ImportError::Files(e)) => {
            let e = crate::error::AppError::internal(e);
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &j!({ "error": e.message(crate::i18n::Lang::En) }),
            )
        }
        Err(super::store::ImportError::Db(e)) => failed(e),
    }
}
