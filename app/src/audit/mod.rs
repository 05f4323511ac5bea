//! The audit trail: who did what to which record, when and from where.
//!
//! Tamper-evident against whoever holds the application's database access:
//! - each event carries an HMAC-SHA256, under a key from configuration (`AUDIT_KEY`, never in the
//!   database), over the bytes stored in its row and the previous event's MAC, so no one without
//!   the key can change, insert or re-chain an event unnoticed ([`verify`] hashes the stored
//!   bytes, not re-serialised JSON);
//! - the database refuses UPDATE and DELETE (triggers on both engines), and on PostgreSQL the
//!   service runs as a role that may only INSERT and SELECT the audit table (`db::grant_service`);
//! - checkpoints of the head are written outside the database ([`anchor`]): an append-only file
//!   and the log. [`verify`] checks the chain against them, so removing the newest events (the
//!   one change a chain cannot show by itself) is found.
//!
//! Events are written inside the transaction of the change they record, so a change and its
//! audit event commit (or fail) together. Without a key installed ([`install_keys`]) nothing can
//! be appended: the change fails rather than going unrecorded.

pub mod anchor;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use std::sync::{Arc, OnceLock};

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

/// A stored event, as its row holds it (the details as the stored text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, in Unix milliseconds (UTC).
    pub at_ms: i64,
    /// Who.
    pub actor: String,
    /// The actor's organisation.
    pub organisation_id: Option<String>,
    /// What.
    pub action: String,
    /// Which record.
    pub target: Option<String>,
    /// The details, exactly as stored.
    pub details: String,
    /// From where.
    pub client_ip: Option<String>,
    /// The MAC of the event before (or [`GENESIS`]).
    pub prev_hash: String,
    /// This event's MAC.
    pub hash: String,
    /// The key that made it (`None` for events written before the chain was keyed).
    pub key_id: Option<String>,
}

type HmacSha256 = Hmac<Sha256>;

/// One audit key and its id (the first 8 hex digits of its SHA-256).
#[derive(Clone)]
pub struct AuditKey {
    id: String,
    bytes: [u8; 32],
}

impl AuditKey {
    /// A key from its 32 bytes.
    pub fn new(bytes: [u8; 32]) -> AuditKey {
        AuditKey {
            id: crate::secrets::key_id(&bytes),
            bytes,
        }
    }

    /// Its id, as written in each event it makes.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// HMAC-SHA256 of `parts`, each length-prefixed so no two different inputs share bytes.
    pub fn mac(&self, parts: &[&str]) -> String {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.bytes)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        for p in parts {
            m.update(p.len().to_string().as_bytes());
            m.update(b":");
            m.update(p.as_bytes());
        }
        m.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The current audit key (which writes) and earlier ones (which only verify).
#[derive(Clone)]
pub struct AuditKeys {
    /// Makes new events and checkpoints.
    pub current: AuditKey,
    /// Still verify what they made.
    pub previous: Vec<AuditKey>,
}

impl std::fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|k| k.id.as_str()).collect();
        write!(
            f,
            "AuditKeys {{ current: {}, previous: {previous:?} }}",
            self.current.id
        )
    }
}

impl AuditKeys {
    /// The keys from their written forms (32 bytes in base64, as for `SECRETS_KEY`).
    pub fn new(current: &str, previous: &[String]) -> Result<AuditKeys, String> {
        Ok(AuditKeys {
            current: AuditKey::new(crate::secrets::parse_key(current)?),
            previous: previous
                .iter()
                .filter(|p| !p.trim().is_empty())
                .map(|p| crate::secrets::parse_key(p).map(AuditKey::new))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The key with this id.
    pub fn by_id(&self, id: &str) -> Option<&AuditKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }
}

static KEYS: OnceLock<Arc<AuditKeys>> = OnceLock::new();

/// Installs the process's audit keys (at start-up, before anything is written). The first
/// installation stands; a later one with other keys is refused.
pub fn install_keys(keys: AuditKeys) -> Result<(), String> {
    let keys = Arc::new(keys);
    let installed = KEYS.get_or_init(|| keys.clone());
    if installed.current.id == keys.current.id {
        Ok(())
    } else {
        Err("another audit key is already installed".into())
    }
}

/// The installed keys.
pub fn keys() -> Result<Arc<AuditKeys>, sqlx::Error> {
    KEYS.get().cloned().ok_or_else(|| {
        sqlx::Error::Configuration("no audit key installed: nothing can be recorded".into())
    })
}

/// The key every test uses.
#[cfg(any(test, feature = "testing"))]
pub fn install_test_keys() {
    let _ = install_keys(AuditKeys {
        current: AuditKey::new([42; 32]),
        previous: vec![],
    });
}

/// Every stored field of an event, as stored (a missing one as NUL), in chain order.
fn stored_fields(s: &Stored) -> [String; 9] {
    let or_nul = |v: &Option<String>| v.clone().unwrap_or_else(|| "\u{0}".to_owned());
    [
        s.seq.to_string(),
        s.at_ms.to_string(),
        s.actor.clone(),
        or_nul(&s.organisation_id),
        s.action.clone(),
        or_nul(&s.target),
        s.details.clone(),
        or_nul(&s.client_ip),
        s.prev_hash.clone(),
    ]
}

/// The MAC of a stored event: every stored field, as stored, and the key's id.
pub fn event_mac(key: &AuditKey, s: &Stored) -> String {
    let fields = stored_fields(s);
    let mut parts: Vec<&str> = vec!["audit-event-v2"];
    parts.extend(fields.iter().map(String::as_str));
    parts.push(&key.id);
    key.mac(&parts)
}

/// The unkeyed SHA-256 of events written before the chain was keyed (checked only for the
/// chain's oldest events, before the first keyed one).
pub fn legacy_hash(s: &Stored) -> String {
    let mut h = Sha256::new();
    for f in stored_fields(s) {
        h.update(f.len().to_string().as_bytes());
        h.update(b":");
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A number for PostgreSQL's transaction advisory lock that queues appends.
const APPEND_LOCK: i64 = 0x6361_7365_6175_6474;

/// Appends an event on `conn` (normally inside the transaction of the change it records) and
/// returns its sequence number. Appends queue, so the chain stays one line: on PostgreSQL on a
/// transaction advisory lock (the service role needs no UPDATE right on the audit table for it),
/// on SQLite on the write lock every transaction takes at its start (`Db::begin`); should two
/// ever race, the sequence number's primary key refuses the second.
pub async fn append(
    conn: &mut AnyConnection,
    event: &Event,
    at_ms: i64,
) -> Result<i64, sqlx::Error> {
    let keys = keys()?;
    if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        sqlx::query("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock($1)) AS l")
            .bind(APPEND_LOCK)
            .fetch_one(&mut *conn)
            .await?;
    }
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_owned()));
    let mut s = Stored {
        seq: prev_seq + 1,
        at_ms,
        actor: event.actor.clone(),
        organisation_id: event.organisation_id.clone(),
        action: event.action.clone(),
        target: event.target.clone(),
        details: event.details.to_string(),
        client_ip: event.client_ip.clone(),
        prev_hash,
        hash: String::new(),
        key_id: Some(keys.current.id.clone()),
    };
    s.hash = event_mac(&keys.current, &s);
    sqlx::query(
        "INSERT INTO audit_events (seq, at_ms, actor, organisation_id, action, target, details, \
         client_ip, prev_hash, hash, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(s.seq)
    .bind(s.at_ms)
    .bind(&s.actor)
    .bind(s.organisation_id.as_deref())
    .bind(&s.action)
    .bind(s.target.as_deref())
    .bind(&s.details)
    .bind(s.client_ip.as_deref())
    .bind(&s.prev_hash)
    .bind(&s.hash)
    .bind(s.key_id.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(s.seq)
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
    /// An event's stored bytes do not match its MAC: it was changed after it was written.
    #[error("event {seq} has been altered: its contents do not match its MAC")]
    Altered {
        /// The event.
        seq: i64,
    },
    /// An event names a key that is not configured.
    #[error("event {seq} was made with audit key {key}, which is not configured")]
    UnknownKey {
        /// The event.
        seq: i64,
        /// The key's id.
        key: String,
    },
    /// An unkeyed event after keyed ones: only the oldest events may predate the key.
    #[error("event {seq} has no MAC, but events before it do")]
    Unkeyed {
        /// The event.
        seq: i64,
    },
    /// The chain ends before a checkpoint written outside the database: events were removed
    /// from the end.
    #[error("the chain ends at event {last} but a checkpoint shows {anchored} were written")]
    Truncated {
        /// The last event present.
        last: i64,
        /// The highest event a checkpoint names.
        anchored: i64,
    },
    /// A checkpoint names an event whose MAC is not the one it recorded.
    #[error("event {seq} is not the event the checkpoint recorded")]
    AnchorMismatch {
        /// The event.
        seq: i64,
    },
    /// A checkpoint line is not one this service wrote (unreadable, or its MAC is wrong).
    #[error("checkpoint line {line} is not valid: {reason}")]
    BadAnchor {
        /// The line number, from 1.
        line: usize,
        /// Why.
        reason: String,
    },
    /// There are events but no checkpoint to check them against.
    #[error(
        "no checkpoints: the newest events could be removed unnoticed (pass --no-anchors to check the chain alone)"
    )]
    NoAnchors,
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
    /// A checkpoint file could not be read.
    #[error("reading checkpoints: {0}")]
    Io(#[from] std::io::Error),
}

/// Checks one event against the one before it (or the genesis). `keyed` says whether a keyed
/// event came before it.
pub fn check_link(
    keys: &AuditKeys,
    prev_seq: i64,
    prev_hash: &str,
    keyed: bool,
    s: &Stored,
) -> Result<(), ChainError> {
    if s.seq != prev_seq + 1 {
        return Err(ChainError::Gap {
            expected: prev_seq + 1,
            found: s.seq,
        });
    }
    if s.prev_hash != prev_hash {
        return Err(ChainError::BrokenLink { seq: s.seq });
    }
    let expected = match &s.key_id {
        Some(id) => {
            let key = keys.by_id(id).ok_or_else(|| ChainError::UnknownKey {
                seq: s.seq,
                key: id.clone(),
            })?;
            event_mac(key, s)
        }
        None if keyed => return Err(ChainError::Unkeyed { seq: s.seq }),
        None => legacy_hash(s),
    };
    if expected != s.hash {
        return Err(ChainError::Altered { seq: s.seq });
    }
    if serde_json::from_str::<serde_json::Value>(&s.details).is_err() {
        return Err(ChainError::BadDetails { seq: s.seq });
    }
    Ok(())
}

fn stored(row: &sqlx::any::AnyRow) -> Result<Stored, sqlx::Error> {
    Ok(Stored {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        actor: row.try_get("actor")?,
        organisation_id: row.try_get("organisation_id")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        details: row.try_get("details")?,
        client_ip: row.try_get("client_ip")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
        key_id: row.try_get("key_id")?,
    })
}

/// The newest event's sequence number and MAC (0 and [`GENESIS`] for an empty trail).
pub async fn head(db: &crate::db::Db) -> Result<(i64, String), sqlx::Error> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&db.pool)
            .await?;
    Ok(last.unwrap_or((0, GENESIS.to_owned())))
}

/// Walks the whole chain in order, then checks it against the checkpoints (`None`: the chain
/// alone, said aloud by the caller); returns how many events it holds, or the first problem.
pub async fn verify(
    db: &crate::db::Db,
    keys: &AuditKeys,
    checkpoints: Option<&[anchor::Checkpoint]>,
) -> Result<i64, VerifyError> {
    const BATCH: i64 = 1000;
    let (mut last_seq, mut last_hash, mut keyed) = (0_i64, GENESIS.to_owned(), false);
    let mut wanted: std::collections::BTreeMap<i64, &str> = checkpoints
        .unwrap_or_default()
        .iter()
        .map(|c| (c.seq, c.hash.as_str()))
        .collect();
    loop {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, organisation_id, action, target, details, client_ip, \
             prev_hash, hash, key_id FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(last_seq)
        .bind(BATCH)
        .fetch_all(&db.pool)
        .await?;
        for row in &rows {
            let s = stored(row)?;
            check_link(keys, last_seq, &last_hash, keyed, &s)?;
            if let Some(hash) = wanted.remove(&s.seq)
                && hash != s.hash
            {
                return Err(ChainError::AnchorMismatch { seq: s.seq }.into());
            }
            keyed |= s.key_id.is_some();
            (last_seq, last_hash) = (s.seq, s.hash);
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    if let Some((&anchored, _)) = wanted.iter().next_back() {
        return Err(ChainError::Truncated {
            last: last_seq,
            anchored,
        }
        .into());
    }
    if checkpoints.is_some_and(<[_]>::is_empty) && last_seq > 0 {
        return Err(ChainError::NoAnchors.into());
    }
    Ok(last_seq)
}

/// The chain alone, with the installed keys (for tests of other modules).
#[cfg(test)]
pub async fn verify_chain(db: &crate::db::Db) -> Result<i64, VerifyError> {
    let keys = keys()?;
    verify(db, &keys, None).await
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
