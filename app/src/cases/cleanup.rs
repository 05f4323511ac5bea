//! The clean-up of the document store (docs/uploads.md, docs/operations.md): every
//! [`INTERVAL_SECS`] in each instance, and on demand (`server clean-up`).
//!
//! - Resumable uploads nobody appended to before they expired are ended (conditional on being
//!   open, so an append that just arrived wins), and the parts of every upload that is no
//!   longer open (done, refused, ended) are removed.
//! - Objects no record points at are removed once older than the grace period: a document
//!   whose record was never written (the server stopped between storing and recording, or the
//!   record failed and so did the delete), or a part whose append was cut off by a crash.
//!   The grace period keeps clear of a write that is still on its way to being recorded.
//! - On the filesystem, staging files a crash left behind (a write the store never finished).
//!
//! Nothing here touches an object a record points at: a document, once acknowledged with a
//! receipt, is never removed by it.

use crate::{db::Db, objects::Objects};
use std::collections::HashSet;

/// How often each instance runs it.
pub const INTERVAL_SECS: u64 = 10 * 60;
/// How old an object without a record must be before it is removed.
pub const GRACE_SECS: i64 = 60 * 60;

/// What a pass removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Uploads ended because they expired.
    pub expired: usize,
    /// Parts of uploads no longer open.
    pub parts: usize,
    /// Objects no record points at.
    pub orphans: usize,
    /// Staging files left by a crash.
    pub staging: usize,
}

/// Why a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// The database.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The document store.
    #[error(transparent)]
    Store(#[from] object_store::Error),
    /// Removing a staging file.
    #[error("removing {0}: {1}")]
    File(String, std::io::Error),
}

/// One pass at `now`, removing objects without a record older than `grace` seconds.
pub async fn run(db: &Db, objects: &Objects, now: i64, grace: i64) -> Result<Report, CleanError> {
    let mut report = Report::default();
    let expired: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM upload_sessions WHERE status = 'open' AND expires_at <= $1",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    for id in expired {
        report.expired += sqlx::query(
            "UPDATE upload_sessions SET status = 'ended' \
             WHERE id = $1 AND status = 'open' AND expires_at <= $2",
        )
        .bind(&id)
        .bind(now)
        .execute(&db.pool)
        .await?
        .rows_affected() as usize;
    }
    let finished: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT p.session_id FROM upload_parts p \
         JOIN upload_sessions s ON s.id = p.session_id WHERE s.status <> 'open'",
    )
    .fetch_all(&db.pool)
    .await?;
    for id in finished {
        report.parts += super::resumable::remove_parts(db, objects, &id)
            .await
            .map_err(|e| match e {
                super::resumable::AppendError::Db(e) => CleanError::Db(e),
                super::resumable::AppendError::Store(e) => CleanError::Store(e),
                super::resumable::AppendError::Parts(_) => CleanError::Db(sqlx::Error::RowNotFound),
            })?;
    }
    let before = now - grace;
    // The keys are read after the listing, so an object recorded meanwhile is kept.
    let documents = objects.list("documents").await?;
    let uploads = objects.list("uploads").await?;
    let recorded: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT storage_key FROM material WHERE storage_key IS NOT NULL",
    )
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .collect();
    let parts: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT storage_key FROM upload_parts")
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .collect();
    for (key, changed) in documents.into_iter().chain(uploads) {
        if changed < before && !recorded.contains(&key) && !parts.contains(&key) {
            tracing::warn!(%key, "removing an object no record points at");
            objects.delete(&key).await?;
            report.orphans += 1;
        }
    }
    for path in objects.stale_staging(before) {
        tracing::warn!(path = %path.display(), "removing a write a crash left unfinished");
        match std::fs::remove_file(&path) {
            Ok(()) => report.staging += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CleanError::File(path.display().to_string(), e)),
        }
    }
    Ok(report)
}

/// Runs a pass every [`INTERVAL_SECS`], for ever (errors are logged; the next pass tries again).
pub async fn every_interval(
    db: Db,
    objects: Objects,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) {
    loop {
        match run(&db, &objects, clock.now_unix(), GRACE_SECS).await {
            Ok(r) if r != Report::default() => tracing::info!(
                expired = r.expired,
                parts = r.parts,
                orphans = r.orphans,
                staging = r.staging,
                "cleaned up the document store"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cleaning up the document store"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(INTERVAL_SECS)).await;
    }
}
