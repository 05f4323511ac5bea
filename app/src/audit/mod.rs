//! The audit trail: who did what to which record, when and from where.
//!
//! Append-only on three counts: the database refuses UPDATE and DELETE on `audit_events`
//! (triggers on SQLite and PostgreSQL); each event stores the SHA-256 of the event before it, so
//! a change made behind the triggers' back breaks the chain; and [`verify`] walks the chain and
//! names the first event that does not fit. Events are written inside the transaction of the
//! change they record, so a change and its audit event commit (or fail) together.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

/// The hash the first event points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to record. `details` is a JSON object and must never hold a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Who: `user:ID`, `staff:ID`, `cli`, `system` or `anonymous`.
    pub actor: String,
    /// The actor's organisation, when there is one.
    pub organisation_id: Option<String>,
    /// What happened, dotted: `courts.import`, `auth.sign_in.failed`, …
    pub action: String,
    /// Which record: `case:01AB1234521`, `user:42`, …
    pub target: Option<String>,
    /// Further facts, as a JSON object.
    pub details: serde_json::Value,
    /// The client's address.
    pub client_ip: Option<String>,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, in Unix milliseconds (UTC).
    pub at_ms: i64,
    /// The event.
    pub event: Event,
    /// The hash of the event before (or [`GENESIS`]).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// The hash of an event: SHA-256 over every field, each length-prefixed so that no two
/// different events share an input.
pub fn chain_hash(seq: i64, at_ms: i64, e: &Event, prev_hash: &str) -> String {
    let details = e.details.to_string();
    let fields: [&str; 9] = [
        &seq.to_string(),
        &at_ms.to_string(),
        &e.actor,
        e.organisation_id.as_deref().unwrap_or("\u{0}"),
        &e.action,
        e.target.as_deref().unwrap_or("\u{0}"),
        &details,
        e.client_ip.as_deref().unwrap_or("\u{0}"),
        prev_hash,
    ];
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.len().to_string().as_bytes());
        h.update(b":");
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends an event on `conn` (normally inside the transaction of the change it records) and
/// returns its sequence number. Locking the head row first makes concurrent appends queue, so
/// the chain stays one line on both engines.
pub async fn append(
    conn: &mut AnyConnection,
    event: &Event,
    at_ms: i64,
) -> Result<i64, sqlx::Error> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev: String = head.try_get("hash")?;
    let hash = chain_hash(seq, at_ms, event, &prev);
    sqlx::query(
        "INSERT INTO audit_events (seq, at_ms, actor, organisation_id, action, target, details, \
         client_ip, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(at_ms)
    .bind(&event.actor)
    .bind(event.organisation_id.as_deref())
    .bind(&event.action)
    .bind(event.target.as_deref())
    .bind(event.details.to_string())
    .bind(event.client_ip.as_deref())
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Why the chain does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An event is missing: the sequence jumps.
    #[error("event {expected} is missing (the next event is {found})")]
    Gap {
        /// The sequence number that should come next.
        expected: i64,
        /// The one found instead.
        found: i64,
    },
    /// An event does not point back to the one before it.
    #[error("event {seq} does not follow event {}: its previous-hash is wrong", seq - 1)]
    BrokenLink {
        /// The event.
        seq: i64,
    },
    /// An event's contents do not match its hash: it was changed after it was written.
    #[error("event {seq} has been altered: its contents do not match its hash")]
    Altered {
        /// The event.
        seq: i64,
    },
    /// The head does not match the last event: events were removed from the end.
    #[error("the chain ends at event {last} but {head} were written")]
    Truncated {
        /// The last event present.
        last: i64,
        /// How many were written.
        head: i64,
    },
    /// An event's details are not JSON.
    #[error("event {seq} has details that are not JSON")]
    BadDetails {
        /// The event.
        seq: i64,
    },
}

/// What verifying the chain found.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The chain is broken; the first bad event is named.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The database could not be read.
    #[error("reading the audit trail: {0}")]
    Db(#[from] sqlx::Error),
}

/// Checks one event against the one before it (or the genesis).
pub fn check_link(prev_seq: i64, prev_hash: &str, s: &Stored) -> Result<(), ChainError> {
    if s.seq != prev_seq + 1 {
        return Err(ChainError::Gap {
            expected: prev_seq + 1,
            found: s.seq,
        });
    }
    if s.prev_hash != prev_hash {
        return Err(ChainError::BrokenLink { seq: s.seq });
    }
    if chain_hash(s.seq, s.at_ms, &s.event, &s.prev_hash) != s.hash {
        return Err(ChainError::Altered { seq: s.seq });
    }
    Ok(())
}

fn stored(row: &sqlx::any::AnyRow) -> Result<Result<Stored, ChainError>, sqlx::Error> {
    let seq: i64 = row.try_get("seq")?;
    let details: String = row.try_get("details")?;
    let Ok(details) = serde_json::from_str(&details) else {
        return Ok(Err(ChainError::BadDetails { seq }));
    };
    Ok(Ok(Stored {
        seq,
        at_ms: row.try_get("at_ms")?,
        event: Event {
            actor: row.try_get("actor")?,
            organisation_id: row.try_get("organisation_id")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            details,
            client_ip: row.try_get("client_ip")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    }))
}

/// Walks the whole chain in order and returns how many events it holds, or the first problem.
pub async fn verify(db: &crate::db::Db) -> Result<i64, VerifyError> {
    const BATCH: i64 = 1000;
    let (mut last_seq, mut last_hash) = (0_i64, GENESIS.to_owned());
    loop {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, organisation_id, action, target, details, client_ip, \
             prev_hash, hash FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(last_seq)
        .bind(BATCH)
        .fetch_all(&db.pool)
        .await?;
        for row in &rows {
            let s = stored(row)??;
            check_link(last_seq, &last_hash, &s)?;
            (last_seq, last_hash) = (s.seq, s.hash);
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    let head: i64 = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?
        .try_get("seq")?;
    if head != last_seq {
        return Err(ChainError::Truncated {
            last: last_seq,
            head,
        }
        .into());
    }
    Ok(last_seq)
}

/// Records one event in its own transaction (for changes that are not themselves in the
/// database, such as a failed sign-in).
pub async fn record(db: &crate::db::Db, event: &Event, at_ms: i64) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let seq = append(&mut tx, event, at_ms).await?;
    tx.commit().await?;
    Ok(seq)
}

#[cfg(test)]
mod tests;
