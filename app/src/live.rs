//! Live pages' events: a durable, numbered list per topic (`live_events`) and the wake-ups that
//! bring new rows to the subscribers of this process.
//!
//! A writer [`append`]s in its own transaction: it takes the topic's next number under the row
//! lock of `live_sequences` (so numbers are handed out in commit order: a reader that has seen
//! number n has seen everything before it), and on PostgreSQL `pg_notify('live', topic)`, which
//! is delivered when the transaction commits. After committing it calls [`Feed::wake`].
//!
//! Each process keeps one [`Topic`] per topic someone subscribes to: on a wake-up one reader
//! fetches the rows after the last it broadcast and sends each once to every subscriber
//! (10,000 boards cost one query, not 10,000). A notification is only a wake-up: a subscriber
//! that falls behind, or a wake-up that never came (another instance's NOTIFY lost while the
//! listener reconnected), is caught up from the table — by the reader's poll every
//! [`POLL_EVERY`] and by the subscriber reading [`since`] its last number.

use crate::db::{Backend, Db, Tx};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};
use tokio::sync::broadcast;

/// How often each topic with subscribers is read even without a wake-up.
pub const POLL_EVERY: Duration = Duration::from_secs(5);

/// Events a subscriber may fall behind by before it reads the table instead.
const BACKLOG: usize = 256;

/// The most events one read returns.
pub const PAGE: i64 = 500;

/// One event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its number in the topic.
    pub seq: i64,
    /// What kind (the SSE event name).
    pub kind: String,
    /// JSON.
    pub payload: String,
}

/// A topic's subscribers in this process.
#[derive(Debug)]
pub struct Topic {
    tx: broadcast::Sender<Arc<Event>>,
    /// The last number broadcast (-1: not read yet).
    last: AtomicI64,
    reading: tokio::sync::Mutex<()>,
}

impl Topic {
    /// The last number this process has broadcast (-1 before its first read).
    pub fn last(&self) -> i64 {
        self.last.load(Ordering::SeqCst)
    }
}

/// Every topic this process serves, and the wake-ups.
#[derive(Debug)]
pub struct Feed {
    topics: Mutex<HashMap<String, Arc<Topic>>>,
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for Feed {
    fn default() -> Feed {
        Feed {
            topics: Mutex::default(),
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

impl Feed {
    /// The service is stopping: every stream should end (its browser reconnects, to another
    /// instance), or a graceful shutdown would wait for them for ever.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Says `true` once [`Feed::close`] is called.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Topic>>> {
        self.topics.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to `topic`: events broadcast from now on. Read [`since`] the last number
    /// seen afterwards, so nothing between is missed (an event may then come both ways: skip
    /// numbers already seen).
    pub fn subscribe(&self, topic: &str) -> (Arc<Topic>, broadcast::Receiver<Arc<Event>>) {
        let mut topics = self.lock();
        let t = topics
            .entry(topic.to_owned())
            .or_insert_with(|| {
                Arc::new(Topic {
                    tx: broadcast::channel(BACKLOG).0,
                    last: AtomicI64::new(-1),
                    reading: tokio::sync::Mutex::new(()),
                })
            })
            .clone();
        let rx = t.tx.subscribe();
        (t, rx)
    }

    /// After subscribing, before reading the table: makes sure this process has noted where
    /// `topic` stands, so every event after that is broadcast (an event in between is both in
    /// the table read next and, perhaps, broadcast: skip numbers already seen).
    pub async fn prime(&self, db: &Db, topic: &str) -> Result<(), sqlx::Error> {
        let t = self.lock().get(topic).cloned();
        match t {
            Some(t) if t.last() < 0 => read(db, topic, &t).await,
            _ => Ok(()),
        }
    }

    /// Subscribers to `topic` in this process.
    pub fn subscribers(&self, topic: &str) -> usize {
        self.lock().get(topic).map_or(0, |t| t.tx.receiver_count())
    }

    /// Reads `topic`'s new events and broadcasts them (nothing when no one here subscribes).
    pub async fn wake(&self, db: &Db, topic: &str) {
        let t = self.lock().get(topic).cloned();
        if let Some(t) = t
            && let Err(e) = read(db, topic, &t).await
        {
            tracing::warn!(error = %e, topic, "cannot read live events");
        }
    }

    /// Wakes every topic with subscribers (after a lost notification, and on the poll), and
    /// forgets topics no one subscribes to any more.
    pub async fn wake_all(&self, db: &Db) {
        let topics: Vec<String> = {
            let mut topics = self.lock();
            topics.retain(|_, t| t.tx.receiver_count() > 0);
            topics.keys().cloned().collect()
        };
        for topic in topics {
            self.wake(db, &topic).await;
        }
    }

    /// For as long as the service runs: wakes topics on every PostgreSQL notification (from
    /// any instance: `listen_url` is the database's), and polls every [`POLL_EVERY`]. On
    /// SQLite (one process) only the poll: writers wake their own process.
    pub async fn run(self: Arc<Self>, db: Db, listen_url: Option<String>) {
        let poll = {
            let (feed, db) = (self.clone(), db.clone());
            async move {
                loop {
                    tokio::time::sleep(POLL_EVERY).await;
                    feed.wake_all(&db).await;
                }
            }
        };
        match listen_url.filter(|_| db.backend == Backend::Postgres) {
            Some(url) => {
                tokio::select! {
                    () = poll => {}
                    () = self.listen(&db, &url) => {}
                }
            }
            None => poll.await,
        }
    }

    async fn listen(&self, db: &Db, url: &str) {
        use sqlx::postgres::PgListener;
        let mut failing = false;
        loop {
            let mut listener = match PgListener::connect(url).await {
                Ok(l) => l,
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "cannot listen for live events: reading every few seconds until it can");
                    }
                    failing = true;
                    tokio::time::sleep(POLL_EVERY).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen("live").await {
                tracing::warn!(error = %e, "cannot listen for live events");
                tokio::time::sleep(POLL_EVERY).await;
                continue;
            }
            failing = false;
            // Whatever was notified while not listening.
            self.wake_all(db).await;
            loop {
                match listener.recv().await {
                    Ok(n) => self.wake(db, n.payload()).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "live events' listener lost its connection");
                        break;
                    }
                }
            }
        }
    }
}

/// Broadcasts `topic`'s events after the last this process broadcast; the first read only
/// notes where the topic stands (subscribers read what came before from the table).
async fn read(db: &Db, topic: &str, t: &Topic) -> Result<(), sqlx::Error> {
    let _one_reader = t.reading.lock().await;
    if t.last() < 0 {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT last FROM live_sequences WHERE topic = $1")
                .bind(topic)
                .fetch_optional(&db.pool)
                .await?;
        t.last.store(last.unwrap_or(0), Ordering::SeqCst);
        return Ok(());
    }
    loop {
        let events = since(db, topic, t.last()).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(());
        };
        let full = events.len() >= usize::try_from(PAGE).unwrap_or(usize::MAX);
        for e in events {
            // No receiver is not an error: they come and go.
            let _ = t.tx.send(Arc::new(e));
        }
        t.last.store(last, Ordering::SeqCst);
        if !full {
            return Ok(());
        }
    }
}

/// Up to [`PAGE`] of `topic`'s events after number `after`, in order.
pub async fn since(db: &Db, topic: &str, after: i64) -> Result<Vec<Event>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT seq, kind, payload FROM live_events WHERE topic = $1 AND seq > $2 \
         ORDER BY seq LIMIT $3",
    )
    .bind(topic)
    .bind(after)
    .bind(PAGE)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, kind, payload)| Event { seq, kind, payload })
        .collect())
}

/// The last number given out in `topic` (0: none yet).
pub async fn last(db: &Db, topic: &str) -> Result<i64, sqlx::Error> {
    let last: Option<i64> = sqlx::query_scalar("SELECT last FROM live_sequences WHERE topic = $1")
        .bind(topic)
        .fetch_optional(&db.pool)
        .await?;
    Ok(last.unwrap_or(0))
}

/// Adds an event to `topic` in the caller's transaction and returns its number. Call
/// [`Feed::wake`] after committing.
pub async fn append(
    tx: &mut Tx,
    backend: Backend,
    topic: &str,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO live_sequences (topic, last) VALUES ($1, 0) ON CONFLICT (topic) DO NOTHING",
    )
    .bind(topic)
    .execute(&mut **tx)
    .await?;
    let seq: i64 = sqlx::query_scalar(
        "UPDATE live_sequences SET last = last + 1 WHERE topic = $1 RETURNING last",
    )
    .bind(topic)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO live_events (topic, seq, kind, payload, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(topic)
    .bind(seq)
    .bind(kind)
    .bind(payload)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify('live', $1)")
            .bind(topic)
            .execute(&mut **tx)
            .await?;
    }
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    async fn add(db: &Db, topic: &str, n: usize) {
        let mut tx = db.begin().await.expect("begin");
        for _ in 0..n {
            append(&mut tx, db.backend, topic, "k", "{}", 1)
                .await
                .expect("append");
        }
        tx.commit().await.expect("commit");
    }

    #[tokio::test]
    async fn numbers_follow_commits_and_subscribers_get_each_once() {
        for (db, _dir) in testing::all().await {
            let feed = Feed::default();
            add(&db, "court:A", 2).await;
            let (_t, mut rx) = feed.subscribe("court:A");
            // The first read notes where the topic stands: 1 and 2 come from the table.
            feed.wake(&db, "court:A").await;
            assert!(rx.try_recv().is_err());
            let before: Vec<i64> = since(&db, "court:A", 0)
                .await
                .expect("since")
                .iter()
                .map(|e| e.seq)
                .collect();
            assert_eq!(before, vec![1, 2]);
            add(&db, "court:A", 3).await;
            add(&db, "court:B", 1).await;
            feed.wake(&db, "court:A").await;
            feed.wake(&db, "court:A").await;
            let got: Vec<i64> = std::iter::from_fn(|| rx.try_recv().ok())
                .map(|e| e.seq)
                .collect();
            assert_eq!(got, vec![3, 4, 5], "{:?}", db.backend);
            assert_eq!(last(&db, "court:B").await.expect("last"), 1);
        }
    }

    #[tokio::test]
    async fn concurrent_writers_get_distinct_numbers_with_no_gaps() {
        for (db, _dir) in testing::all().await {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let db = db.clone();
                    tokio::spawn(async move { add(&db, "court:C", 5).await })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
            let seqs: Vec<i64> = since(&db, "court:C", 0)
                .await
                .expect("since")
                .iter()
                .map(|e| e.seq)
                .collect();
            assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "{:?}", db.backend);
        }
    }
}
