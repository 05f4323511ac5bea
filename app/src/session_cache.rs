//! Sessions looked up recently, kept in memory so that a signed-in page does not read the
//! database for them every time.
//!
//! The database keeps one number, `session_version`, that its triggers raise in the same
//! transaction as any change to a user or to a session's stage, keys, confirmation or end
//! (migration 0013; a session's last use, written every half minute, is not a change). Each
//! instance reads it a few times a second ([`SessionCache::run`]) and forgets every session it
//! kept when it has moved, so a change made anywhere (another instance, the command line, a
//! background job) is seen everywhere within [`POLL_EVERY`].
//!
//! In this process the cache is stronger than that: every request that may write (anything but
//! GET and HEAD) is counted when it ends ([`SessionCache::wrote`]), and the cache is not used
//! again until the number has been read after it, so the next request (the redirect after a
//! form, say) sees what the form changed. The cache fails closed: until the number has been
//! read, or once it has not been read for [`TRUST_FOR`], every look-up goes to the database.
//!
//! A session is kept only with the number read before its look-up began, and used only while
//! that is still the number: a look-up that raced a change cannot keep what it read.

use crate::web::session::Current;
use std::{
    collections::HashMap,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio::{sync::Notify, time::Instant};

/// How often the number is read when nothing in this process has written.
pub const POLL_EVERY: Duration = Duration::from_millis(250);
/// After a write in this process, the number is read again this soon (at most this often).
const AFTER_WRITE: Duration = Duration::from_millis(5);
/// A number read longer ago than this is not trusted: the cache is off until the next read.
pub const TRUST_FOR: Duration = Duration::from_secs(1);
/// Most sessions kept; when full, the cache starts again empty (each session is one look-up
/// away from coming back).
const MAX_ENTRIES: usize = 20_000;

/// The sessions one database's instance keeps (see the module's documentation).
#[derive(Debug, Default)]
pub struct SessionCache {
    /// Requests that may have written, counted as they end.
    writes: AtomicU64,
    /// Wakes the reader of the number after a write.
    wake: Notify,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The last reading of the number.
    seen: Option<Seen>,
    entries: HashMap<String, Entry>,
}

#[derive(Clone, Copy, Debug)]
struct Seen {
    /// The number.
    version: i64,
    /// The writes counted before the reading began.
    writes: u64,
    /// When the reading began.
    at: Instant,
}

#[derive(Debug)]
struct Entry {
    version: i64,
    current: Current,
}

/// What a look-up that missed may keep its answer under: the number when it began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(i64);

impl SessionCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-changed in a way that
        // matters (each change is one insert, remove or clear).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The number, if it may be trusted now: read within [`TRUST_FOR`], and after every write
    /// this process has finished.
    fn trusted(&self, inner: &Inner) -> Option<i64> {
        let seen = inner.seen?;
        (seen.writes == self.writes.load(Ordering::SeqCst) && seen.at.elapsed() < TRUST_FOR)
            .then_some(seen.version)
    }

    /// The kept session for `id_hash`, if there is one and the cache may be used; and the
    /// ticket to keep a fresh answer under, if the cache may be used.
    pub fn get(&self, id_hash: &str) -> (Option<Current>, Option<Ticket>) {
        let inner = self.lock();
        let Some(version) = self.trusted(&inner) else {
            return (None, None);
        };
        let hit = inner
            .entries
            .get(id_hash)
            .filter(|e| e.version == version)
            .map(|e| e.current.clone());
        (hit, Some(Ticket(version)))
    }

    /// Keeps a session read from the database by a look-up that began with `ticket`, unless
    /// anything may have changed since.
    pub fn put(&self, id_hash: &str, current: &Current, ticket: Ticket) {
        let mut inner = self.lock();
        if self.trusted(&inner) != Some(ticket.0) {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES && !inner.entries.contains_key(id_hash) {
            inner.entries.clear();
        }
        inner.entries.insert(
            id_hash.to_owned(),
            Entry {
                version: ticket.0,
                current: current.clone(),
            },
        );
    }

    /// Records that a kept session's last use was written as `at`.
    pub fn touched(&self, id_hash: &str, at: i64) {
        if let Some(e) = self.lock().entries.get_mut(id_hash) {
            e.current.last_seen_at = at;
        }
    }

    /// Forgets one session.
    pub fn forget(&self, id_hash: &str) {
        self.lock().entries.remove(id_hash);
    }

    /// Counts a request (or job) in this process that may have changed a user or a session:
    /// the cache is not used again until the number has been read after it.
    pub fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Reads the number; when it has moved, forgets every session. On an error the cache is off
    /// until a reading succeeds.
    pub async fn poll(&self, db: &crate::db::Db) -> Result<(), sqlx::Error> {
        let writes = self.writes.load(Ordering::SeqCst);
        let at = Instant::now();
        let read = sqlx::query_scalar::<_, i64>("SELECT version FROM session_version WHERE id = 1")
            .fetch_one(&db.pool)
            .await;
        let mut inner = self.lock();
        match read {
            Ok(version) => {
                if inner.seen.map(|s| s.version) != Some(version) {
                    inner.entries.clear();
                }
                inner.seen = Some(Seen {
                    version,
                    writes,
                    at,
                });
                Ok(())
            }
            Err(e) => {
                inner.seen = None;
                inner.entries.clear();
                Err(e)
            }
        }
    }

    /// Reads the number every [`POLL_EVERY`], and soon after each write, for as long as the
    /// service runs. A failed reading is logged once until one succeeds.
    pub async fn run(&self, db: crate::db::Db) {
        let mut failing = false;
        loop {
            match self.poll(&db).await {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "cannot read the session version: sessions are not cached until it can be read");
                }
                Err(_) => {}
            }
            tokio::select! {
                () = tokio::time::sleep(POLL_EVERY) => {}
                () = self.wake.notified() => tokio::time::sleep(AFTER_WRITE).await,
            }
        }
    }

    /// Tests: makes the last reading look `by` older.
    #[cfg(test)]
    pub(crate) fn age(&self, by: Duration) {
        if let Some(s) = self.lock().seen.as_mut() {
            s.at -= by;
        }
    }
}
