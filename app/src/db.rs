//! The database: SQLite (embedded default) or PostgreSQL, chosen by `DATABASE_URL`.
//!
//! Queries are written once, in SQL both engines accept, with `$1`-style parameters (SQLite reads
//! them by number too), and run through sqlx's `Any` driver. Dates are stored as ISO-8601 text and
//! instants as Unix seconds, so values read back the same from either engine.

use crate::session_cache::SessionCache;
use sqlx::{
    AnyPool, Executor,
    any::{AnyPoolOptions, install_default_drivers},
    migrate::Migrator,
};
use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which engine a database runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in a file under the data directory.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(url: &str) -> Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err("DATABASE_URL must start with sqlite:// or postgres://".into())
        }
    }
}

/// A connection pool and the engine behind it.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool every query goes through.
    pub pool: AnyPool,
    /// The engine, for the few places SQL must differ.
    pub backend: Backend,
    /// The connection every transaction ([`Db::begin`]) runs on. SQLite: a pool of one,
    /// beside the readers', so writers queue for it in order instead of in SQLite's busy
    /// handler (which sleeps 1, 2, 5, 10… ms between tries: under load every contended write
    /// idled for milliseconds), and never wait behind readers for a connection
    /// (docs/benchmarks.md, "Cases"). PostgreSQL: the same pool as everything else.
    pub writer: AnyPool,
    /// The sessions this process has looked up in this database (used only while a reader
    /// started with [`crate::session_cache::SessionCache::run`] keeps it current).
    pub sessions: Arc<SessionCache>,
    /// Live pages' events and their subscribers in this process ([`crate::live`]).
    pub live: Arc<crate::live::Feed>,
}

/// A transaction from [`Db::begin`].
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Options for opening the database.
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// Most connections the pool keeps.
    pub max_connections: u32,
    /// How long a query waits for a connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Adds `mode=rwc` to a SQLite URL (so the file is created) and creates its folder.
fn prepare_sqlite_url(url: &str) -> Result<String, sqlx::Error> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    if query.split('&').any(|kv| kv.starts_with("mode=")) {
        Ok(url.to_owned())
    } else if query.is_empty() {
        Ok(format!("sqlite://{path}?mode=rwc"))
    } else {
        Ok(format!("sqlite://{path}?{query}&mode=rwc"))
    }
}

/// `options` with what every SQLite connection is opened with, and `extra` after it.
fn sqlite_pool(options: AnyPoolOptions, extra: &'static str) -> AnyPoolOptions {
    options.after_connect(move |conn, _| {
        Box::pin(async move {
            conn.execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
            )
            .await?;
            if !extra.is_empty() {
                conn.execute(extra).await?;
            }
            Ok(())
        })
    })
}

impl Db {
    /// Opens a pool on `url`. SQLite connections get WAL, foreign keys and a busy time-out; the
    /// readers a memory map and the writer a large page cache (docs/benchmarks.md, "Cases").
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Db, sqlx::Error> {
        install_default_drivers();
        let backend = Backend::from_str(url).map_err(|e| sqlx::Error::Configuration(e.into()))?;
        let pool_options = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout);
        match backend {
            Backend::Sqlite => {
                let url = prepare_sqlite_url(url)?;
                // Readers read through a memory map of the file (up to 1 GiB, shared with every
                // connection through the operating system's cache): each write makes every
                // reader drop its page cache, and reading the pages back through the map costs
                // no system call (a firm's case search: about three times the throughput).
                let pool = sqlite_pool(pool_options, "PRAGMA mmap_size = 1073741824")
                    .connect(&url)
                    .await?;
                // An in-memory database is one per connection: it cannot have a second pool.
                let writer = if url.contains(":memory:") {
                    pool.clone()
                } else {
                    // Waits for its turn as long as SQLite's busy time-out would have. Its page
                    // cache is 64 MiB: only this connection writes, so its cache stays valid
                    // from one transaction to the next and a large import's index pages stay in
                    // memory (a reader's cache is dropped whenever anything is written, so theirs
                    // stay at SQLite's default).
                    sqlite_pool(
                        AnyPoolOptions::new()
                            .max_connections(1)
                            .acquire_timeout(Duration::from_secs(5)),
                        "PRAGMA cache_size = -65536",
                    )
                    .connect(&url)
                    .await?
                };
                Ok(Db {
                    pool,
                    backend,
                    writer,
                    sessions: Arc::default(),
                    live: Arc::default(),
                })
            }
            Backend::Postgres => {
                let pool = pool_options.connect(url).await?;
                Ok(Db {
                    writer: pool.clone(),
                    pool,
                    backend,
                    sessions: Arc::default(),
                    live: Arc::default(),
                })
            }
        }
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await,
        }
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// transaction that reads and then writes would otherwise fail at its first write with
    /// "database is locked" (`SQLITE_BUSY_SNAPSHOT`, 517) whenever another connection wrote in
    /// between, and the busy time-out cannot save it. Waiting for the lock at the start lets the
    /// busy time-out queue writers instead. Readers are never blocked (WAL). The service's own
    /// transactions queue before that, in order, for the one writer connection (see [`Db`]'s
    /// `writer`); the busy time-out is left for other processes (the command line) and single
    /// statements.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
    }

    /// PostgreSQL: lets the service's login role `role` use everything the migrations made,
    /// except that on the audit table it may only INSERT and SELECT. Run on the owner's
    /// connection (the one that migrates). The service role, not being the owner, can neither
    /// alter the audit table nor disable or drop its triggers.
    pub async fn grant_service(&self, role: &str) -> Result<(), sqlx::Error> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        if role.is_empty() || !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(sqlx::Error::Configuration(
                format!("the service role {role:?} must be letters, digits and _").into(),
            ));
        }
        let statements = [
            format!("GRANT USAGE ON SCHEMA public TO {role}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            ),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
            format!(
                "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM {role}"
            ),
            format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM {role}"),
        ];
        let mut tx = self.pool.begin().await?;
        for s in &statements {
            sqlx::query(s).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// Helpers for store tests, which run every case on SQLite and, where a server is configured,
/// on PostgreSQL (also for the server's HTTP tests, through the `testing` feature).
#[cfg(any(test, feature = "testing"))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod testing {
    use super::*;

    /// A fresh, migrated SQLite database in a temporary folder (kept alive by the guard).
    pub async fn sqlite() -> (Db, tempfile::TempDir) {
        crate::audit::install_test_keys();
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url, &DbOptions::default())
            .await
            .expect("connect sqlite");
        db.migrate().await.expect("migrate sqlite");
        (db, dir)
    }

    /// A fresh, migrated schema on the PostgreSQL server named by `TEST_POSTGRES_URL`.
    ///
    /// Returns `None` when that variable is unset, unless `REQUIRE_POSTGRES` is set, in which
    /// case a missing server fails the test: the test command always sets both.
    pub async fn postgres() -> Option<Db> {
        postgres_with_url().await.map(|(db, _)| db)
    }

    /// As [`postgres`], with the new database's URL (for a second pool on it: another instance).
    pub async fn postgres_with_url() -> Option<(Db, String)> {
        crate::audit::install_test_keys();
        let Ok(base) = std::env::var("TEST_POSTGRES_URL") else {
            assert!(
                std::env::var_os("REQUIRE_POSTGRES").is_none(),
                "REQUIRE_POSTGRES is set but TEST_POSTGRES_URL is not"
            );
            eprintln!("TEST_POSTGRES_URL unset: PostgreSQL cases skipped");
            return None;
        };
        install_default_drivers();
        let admin = AnyPool::connect(&base).await.expect("connect postgres");
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("TEST_POSTGRES_URL must end with /DATABASE"),
        };
        let db = Db::connect(
            &url,
            &DbOptions {
                max_connections: 4,
                ..DbOptions::default()
            },
        )
        .await
        .expect("connect test database");
        db.migrate().await.expect("migrate postgres");
        Some((db, url))
    }

    /// Every backend available to this test run.
    pub async fn all() -> Vec<(Db, Option<tempfile::TempDir>)> {
        let (sqlite, dir) = sqlite().await;
        let mut out = vec![(sqlite, Some(dir))];
        if let Some(pg) = postgres().await {
            out.push((pg, None));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_write_transactions_take_turns_on_the_one_writer() {
        let (db, _dir) = testing::sqlite().await;
        sqlx::query("CREATE TABLE counter (n BIGINT NOT NULL)")
            .execute(&db.pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO counter (n) VALUES (0)")
            .execute(&db.pool)
            .await
            .unwrap();
        // Each reads the count and writes it back one higher: only one at a time can do that
        // without losing an update, and none may fail for the lock.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let db = db.clone();
            tasks.spawn(async move {
                let mut tx = db.begin().await?;
                let (n,): (i64,) = sqlx::query_as("SELECT n FROM counter")
                    .fetch_one(&mut *tx)
                    .await?;
                tokio::task::yield_now().await;
                sqlx::query("UPDATE counter SET n = $1")
                    .bind(n + 1)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            });
        }
        for r in tasks.join_all().await {
            r.unwrap();
        }
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM counter")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 40);
        // Readers are not the writer's connection: a read goes on while a write is open.
        let tx = db.begin().await.unwrap();
        let (n,): (i64,) = tokio::time::timeout(
            Duration::from_secs(1),
            sqlx::query_as("SELECT n FROM counter").fetch_one(&db.pool),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(n, 40);
        tx.commit().await.unwrap();
    }

    #[test]
    fn backend_from_url() {
        assert_eq!("sqlite://data/x.db".parse::<Backend>(), Ok(Backend::Sqlite));
        assert_eq!(
            "postgres://u@h/db".parse::<Backend>(),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            "postgresql://u@h/db".parse::<Backend>(),
            Ok(Backend::Postgres)
        );
        assert!("mysql://x".parse::<Backend>().is_err());
    }

    #[test]
    fn sqlite_url_gets_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.db");
        let url = prepare_sqlite_url(&format!("sqlite://{}", path.display())).unwrap();
        assert!(url.ends_with("x.db?mode=rwc"), "{url}");
        assert!(path.parent().unwrap().is_dir());
        let kept = prepare_sqlite_url("sqlite://:memory:?mode=memory").unwrap();
        assert_eq!(kept, "sqlite://:memory:?mode=memory");
    }

    /// The defect review found: transactions that read and then write failed with "database is
    /// locked" (517) when another writer got in between. Many such transactions at once, each
    /// reading a counter and writing it back, all succeed and none is lost.
    #[tokio::test]
    async fn read_then_write_transactions_succeed_side_by_side() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            sqlx::query("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
                .execute(&db.pool)
                .await
                .unwrap();
            sqlx::query("INSERT INTO counter (id, n) VALUES (1, 0)")
                .execute(&db.pool)
                .await
                .unwrap();
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..40 {
                let db = db.clone();
                tasks.spawn(async move {
                    let mut tx = db.begin().await?;
                    // On PostgreSQL the row lock does what BEGIN IMMEDIATE does on SQLite.
                    let lock = if db.backend == Backend::Postgres {
                        " FOR UPDATE"
                    } else {
                        ""
                    };
                    let (n,): (i64,) =
                        sqlx::query_as(&format!("SELECT n FROM counter WHERE id = 1{lock}"))
                            .fetch_one(&mut *tx)
                            .await?;
                    tokio::task::yield_now().await;
                    sqlx::query("UPDATE counter SET n = $1 WHERE id = 1")
                        .bind(n + 1)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                });
            }
            for r in tasks.join_all().await {
                r.unwrap_or_else(|e| panic!("a writer failed on {name}: {e}"));
            }
            let (n,): (i64,) = sqlx::query_as("SELECT n FROM counter WHERE id = 1")
                .fetch_one(&db.pool)
                .await
                .unwrap();
            assert_eq!(n, 40, "{name}");
        }
    }

    #[tokio::test]
    async fn sqlite_pragmas_are_applied() {
        let (db, _dir) = testing::sqlite().await;
        let fk: (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(fk.0, 1);
        let mode: (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(mode.0, "wal");
        assert!(db.ping().await);
    }
}
