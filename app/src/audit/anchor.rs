//! Checkpoints of the audit chain's head, kept outside the database: every minute the service
//! appends a line naming the newest event and its MAC to an append-only file (`AUDIT_ANCHORS`),
//! and logs the same line. Each line carries its own HMAC under the audit key, so a line cannot be
//! forged either. `server audit verify` checks the chain against them: removing the newest events
//! and resetting the chain's end — the one change a chain cannot show by itself — is found, for
//! every event up to the last checkpoint. Keep the file (and the logs) where the database's
//! users cannot write.

use super::{AuditKeys, ChainError};
use std::{io::Write as _, path::Path};

/// One checkpoint: the chain had `seq` events at `at_ms`, the last with MAC `hash`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// When it was taken (Unix milliseconds).
    pub at_ms: i64,
    /// The newest event's sequence number.
    pub seq: i64,
    /// The newest event's MAC.
    pub hash: String,
}

fn mac(keys: &super::AuditKey, c: &Checkpoint) -> String {
    keys.mac(&[
        "audit-checkpoint-v1",
        &c.at_ms.to_string(),
        &c.seq.to_string(),
        &c.hash,
        keys.id(),
    ])
}

/// The checkpoint as a line of the file: `v1 AT SEQ HASH KEY MAC`.
pub fn line(keys: &AuditKeys, c: &Checkpoint) -> String {
    format!(
        "v1 {} {} {} {} {}",
        c.at_ms,
        c.seq,
        c.hash,
        keys.current.id(),
        mac(&keys.current, c)
    )
}

/// Reads checkpoint lines, checking each one's MAC; blank lines are skipped.
pub fn parse(keys: &AuditKeys, text: &str) -> Result<Vec<Checkpoint>, ChainError> {
    let mut out = vec![];
    for (i, l) in text.lines().enumerate() {
        let bad = |reason: &str| ChainError::BadAnchor {
            line: i + 1,
            reason: reason.to_owned(),
        };
        if l.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = l.split_whitespace().collect();
        let ["v1", at, seq, hash, key, tag] = parts.as_slice() else {
            return Err(bad("not a checkpoint line"));
        };
        let c = Checkpoint {
            at_ms: at.parse().map_err(|_| bad("the time is not a number"))?,
            seq: seq
                .parse()
                .map_err(|_| bad("the event number is not a number"))?,
            hash: (*hash).to_owned(),
        };
        let key = keys.by_id(key).ok_or_else(|| {
            bad(&format!(
                "made with audit key {key}, which is not configured"
            ))
        })?;
        if mac(key, &c) != *tag {
            return Err(bad("its MAC is wrong"));
        }
        out.push(c);
    }
    Ok(out)
}

/// Reads the checkpoint files given; a missing file holds none.
pub fn read(
    keys: &AuditKeys,
    paths: &[impl AsRef<Path>],
) -> Result<Vec<Checkpoint>, super::VerifyError> {
    let mut all = vec![];
    for p in paths {
        match std::fs::read_to_string(p.as_ref()) {
            Ok(text) => all.extend(parse(keys, &text)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(all)
}

/// Appends a line to the file and waits until it is on disk.
pub fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(format!("{line}\n").as_bytes())?;
    f.sync_data()
}

/// Takes a checkpoint if the chain has grown past `last` (the last one taken); returns it.
pub async fn checkpoint(
    db: &crate::db::Db,
    path: &Path,
    last: &mut i64,
    now_ms: i64,
) -> Result<Option<Checkpoint>, String> {
    let keys = super::keys().map_err(|e| e.to_string())?;
    let (seq, hash) = super::head(db).await.map_err(|e| e.to_string())?;
    if seq <= *last {
        return Ok(None);
    }
    let c = Checkpoint {
        at_ms: now_ms,
        seq,
        hash,
    };
    let text = line(&keys, &c);
    let path = path.to_owned();
    let written = text.clone();
    tokio::task::spawn_blocking(move || append_line(&path, &written))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    tracing::info!(target: "audit_checkpoint", checkpoint = %text, "audit checkpoint");
    *last = seq;
    Ok(Some(c))
}

/// Takes a checkpoint every minute while the chain grows, for as long as the server runs.
pub async fn every_minute(
    db: crate::db::Db,
    path: std::path::PathBuf,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) {
    let mut last = 0;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let result = checkpoint(&db, &path, &mut last, clock.now_unix() * 1000).await;
        crate::metrics::metrics().job("audit_checkpoint", result.is_ok());
        if let Err(e) = result {
            tracing::error!(error = %e, path = %path.display(), "audit checkpoint failed");
        }
    }
}
