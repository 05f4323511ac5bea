//! Throttling of guesses and of unauthenticated writes: passwords, authenticator codes, reset
//! requests, registrations.
//!
//! Every attempt is counted **before** it is judged, by one statement that returns the new count
//! ([`attempt`]): a key that is blocked is not updated and the attempt is refused; otherwise the
//! count goes up and, from the allowance on, the key is blocked for 30 s doubling to an hour. A
//! burst of parallel guesses therefore evaluates at most the allowance (check-then-act would let
//! them all through before the first failure was written). A success clears the account's key
//! ([`clear`]) and gives the attempt back to an address's key ([`refund`]).
//!
//! Keys are what was typed (the email), not the account, so unknown emails are throttled exactly
//! like known ones. The address keys have a large allowance and a browser that has signed in to
//! an account before is not subject to them for that account (see `device`), so one person's
//! mistakes, or one attacker, behind a shared address (a firm's office, a court's Wi-Fi) does not
//! shut everyone else out; docs/security.md explains the design.

use crate::db::Db;

/// Attempts allowed before the first block, for an email address or an account.
pub const FREE_FAILURES: i64 = 5;
/// Attempts allowed from one client address (without a recognised browser) before it is
/// blocked: a firm's whole office, or a court building's Wi-Fi, may share one address.
pub const FREE_FAILURES_PER_ADDRESS: i64 = 50;
/// Attempts are forgotten after a quiet day.
pub const FORGET_AFTER: i64 = 24 * 3600;
/// The longest block.
pub const LONGEST_BLOCK: i64 = 3600;

/// Attempts allowed on `key` before the first block.
pub fn allowance(key: &str) -> i64 {
    if key.starts_with("ip:")
        || key.starts_with("reset-ip:")
        || key.starts_with("register-ip:")
        || key.starts_with("find-org:")
    {
        FREE_FAILURES_PER_ADDRESS
    } else {
        FREE_FAILURES
    }
}

/// How long to block after the `n`th attempt in a row, with `free` allowed.
pub fn block_secs(n: i64, free: i64) -> i64 {
    if n < free {
        0
    } else {
        let exp = (n - free).min(7);
        (30_i64 << exp).min(LONGEST_BLOCK)
    }
}

/// The key for an email address typed into the sign-in form.
pub fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

/// The key for sign-in attempts from a client address.
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The key for sign-in attempts from a browser recognised for the account it tries.
pub fn device_key(device_hash: &str) -> String {
    format!("device:{device_hash}")
}

/// The key for an account's second-factor attempts.
pub fn code_key(user_id: &str) -> String {
    format!("code:{user_id}")
}

/// The key for a signed-in user typing their password again (confirming it is them, changing
/// it): kept apart from sign-in, so someone hammering the sign-in form does not stop them.
pub fn reauth_key(user_id: &str) -> String {
    format!("reauth:{user_id}")
}

/// The key for password-reset requests for an email address (kept apart from sign-in, so
/// asking for links never locks anyone out of signing in).
pub fn reset_key(email: &str) -> String {
    format!("reset:{}", email.trim().to_lowercase())
}

/// The key for password-reset requests from a client address.
pub fn reset_ip_key(ip: &str) -> String {
    format!("reset-ip:{ip}")
}

/// The key for registrations naming an email address.
pub fn register_key(email: &str) -> String {
    format!("register:{}", email.trim().to_lowercase())
}

/// The key for registrations from a client address.
pub fn register_ip_key(ip: &str) -> String {
    format!("register-ip:{ip}")
}

/// The key for a user's attempts to find a case (a URN and its defendants' details).
pub fn find_key(user_id: &str) -> String {
    format!("find:{user_id}")
}

/// The key for attempts to find a case from anyone in an organisation: a firm's staff between
/// them get the larger allowance, so one person's guessing is slow and a firm's is visible.
pub fn find_org_key(organisation_id: &str) -> String {
    format!("find-org:{organisation_id}")
}

/// The new count of an attempt, in SQL: one more, or the first again after a quiet day.
const NEXT: &str =
    "(CASE WHEN $2 - throttle.last_failure >= $3 THEN 1 ELSE throttle.failures + 1 END)";

/// The upsert that counts an attempt unless the key is blocked, and returns the new count (no
/// row when blocked). `$4` is the allowance; the block ladder is [`block_secs`] written out.
fn attempt_sql() -> String {
    let mut ladder = String::from("CASE");
    for over in 0..7 {
        ladder.push_str(&format!(
            " WHEN {NEXT} - $4 = {over} THEN {}",
            block_secs(FREE_FAILURES + over, FREE_FAILURES)
        ));
    }
    ladder.push_str(&format!(" ELSE {LONGEST_BLOCK} END"));
    format!(
        "INSERT INTO throttle (key, failures, last_failure, blocked_until) \
         VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $2 + 30 ELSE 0 END) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = {NEXT}, \
           blocked_until = CASE WHEN {NEXT} >= $4 THEN $2 + {ladder} ELSE 0 END, \
           last_failure = $2 \
         WHERE throttle.blocked_until <= $2 \
         RETURNING failures"
    )
}

/// Counts an attempt against each key in turn and judges it: `Ok(())` to go ahead, or
/// `Err(seconds)` while a key is blocked (that key is not counted, and neither are the ones
/// after it; the ones before it get their attempt back).
pub async fn attempt(db: &Db, keys: &[String], now: i64) -> Result<Result<(), i64>, sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    attempt_in(&mut conn, keys, now).await
}

/// [`attempt`] on the caller's connection: inside a transaction, the count, the judging and any
/// refund are one write (on PostgreSQL the keys' rows stay locked until it ends, so attempts on
/// one key are still counted one after another).
pub async fn attempt_in(
    conn: &mut sqlx::AnyConnection,
    keys: &[String],
    now: i64,
) -> Result<Result<(), i64>, sqlx::Error> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(attempt_sql);
    for (i, key) in keys.iter().enumerate() {
        let counted: Option<(i64,)> = sqlx::query_as(sql)
            .bind(key)
            .bind(now)
            .bind(FORGET_AFTER)
            .bind(allowance(key))
            .fetch_optional(&mut *conn)
            .await?;
        if counted.is_none() {
            crate::metrics::metrics().throttled(key);
            refund_all_in(conn, &keys[..i]).await?;
            let until: Option<(i64,)> =
                sqlx::query_as("SELECT blocked_until FROM throttle WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&mut *conn)
                    .await?;
            let wait = until.map_or(1, |(u,)| (u - now).max(1));
            return Ok(Err(wait));
        }
    }
    Ok(Ok(()))
}

/// If `key` is blocked at `now`, the seconds left. Only for refusing early what is no guess
/// (asking for a passkey challenge): every decision on a guess is [`attempt`]'s.
pub async fn blocked(db: &Db, key: &str, now: i64) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT blocked_until FROM throttle WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|(until,)| until - now).filter(|left| *left > 0))
}

/// Gives an attempt back to `key` (a success from a shared address, or an attempt refused by a
/// later key), lifting its block if the count falls below the allowance.
pub async fn refund(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    refund_in(&mut conn, key).await
}

/// [`refund`] on the caller's connection (inside a transaction that is writing already: on
/// SQLite another connection would wait for that transaction's lock).
pub async fn refund_in(conn: &mut sqlx::AnyConnection, key: &str) -> Result<(), sqlx::Error> {
    refund_all_in(conn, &[key.to_owned()]).await
}

/// [`refund_in`] for every one of `keys`, in one statement.
pub async fn refund_all_in(
    conn: &mut sqlx::AnyConnection,
    keys: &[String],
) -> Result<(), sqlx::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    // Each key's own allowance: `CASE key WHEN $1 THEN $2 WHEN $3 THEN $4 … END`.
    let mut allowances = String::from("CASE key");
    let mut list = vec![];
    for i in 0..keys.len() {
        allowances.push_str(&format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2));
        list.push(format!("${}", 2 * i + 1));
    }
    allowances.push_str(" END");
    let sql = format!(
        "UPDATE throttle SET failures = failures - 1, \
           blocked_until = CASE WHEN failures - 1 < {allowances} THEN 0 ELSE blocked_until END \
         WHERE key IN ({}) AND failures > 0",
        list.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for key in keys {
        q = q.bind(key).bind(allowance(key));
    }
    q.execute(&mut *conn).await.map(|_| ())
}

/// Forgets the attempts against a key (after a success).
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM throttle WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Forgets the attempts against an account's sign-in (its email and its codes), in the caller's
/// transaction: an administrator or HMCTS gives the account a fresh start.
pub async fn forget_account(
    conn: &mut sqlx::AnyConnection,
    email: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM throttle WHERE key = $1 OR key = $2 OR key = $3")
        .bind(email_key(email))
        .bind(code_key(user_id))
        .bind(reauth_key(user_id))
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    #[test]
    fn delay_grows_after_the_allowance() {
        let f = |n| block_secs(n, FREE_FAILURES);
        assert_eq!((1..5).map(f).collect::<Vec<_>>(), vec![0, 0, 0, 0]);
        assert_eq!(f(5), 30);
        assert_eq!(f(6), 60);
        assert_eq!(f(7), 120);
        assert_eq!(f(12), 3600);
        assert_eq!(f(100), 3600);
        assert_eq!(allowance(&email_key("a@b.example")), FREE_FAILURES);
        assert_eq!(allowance(&code_key("u1")), FREE_FAILURES);
        assert_eq!(allowance(&device_key("h")), FREE_FAILURES);
        assert_eq!(allowance(&ip_key("192.0.2.1")), FREE_FAILURES_PER_ADDRESS);
        assert_eq!(
            allowance(&reset_ip_key("192.0.2.1")),
            FREE_FAILURES_PER_ADDRESS
        );
        assert_eq!(
            allowance(&register_ip_key("192.0.2.1")),
            FREE_FAILURES_PER_ADDRESS
        );
    }

    async fn go(db: &Db, keys: &[String], now: i64) -> Result<(), i64> {
        attempt(db, keys, now).await.unwrap()
    }

    #[tokio::test]
    async fn an_address_gets_a_larger_allowance_than_an_email() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let ip = vec![ip_key("192.0.2.9")];
            for _ in 0..FREE_FAILURES_PER_ADDRESS {
                assert_eq!(go(&db, &ip, 1000).await, Ok(()), "{name}");
            }
            assert_eq!(go(&db, &ip, 1000).await, Err(30), "{name}");
        }
    }

    #[tokio::test]
    async fn blocks_and_clears_on_both_engines() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let keys = vec![email_key("A@b.example"), code_key("user-1")];
            for _ in 0..FREE_FAILURES {
                assert_eq!(go(&db, &keys, 1000).await, Ok(()), "{name}");
            }
            assert_eq!(go(&db, &keys, 1000).await, Err(30), "{name}");
            assert_eq!(go(&db, &keys, 1029).await, Err(1), "{name}");
            assert_eq!(
                go(&db, &keys, 1030).await,
                Ok(()),
                "the block is over ({name})"
            );
            assert_eq!(go(&db, &keys, 1031).await, Err(59), "then 60 s ({name})");
            clear(&db, &keys[0]).await.unwrap();
            assert_eq!(go(&db, &keys[..1], 1031).await, Ok(()), "{name}");
            assert_eq!(
                go(&db, &keys[1..], 1031).await,
                Err(59),
                "the other key stays blocked ({name})"
            );
            // A quiet day forgets earlier attempts.
            let later = 1030 + FORGET_AFTER;
            assert_eq!(go(&db, &keys[1..], later).await, Ok(()), "{name}");
            for _ in 1..FREE_FAILURES {
                assert_eq!(go(&db, &keys[1..], later).await, Ok(()), "{name}");
            }
            assert_eq!(go(&db, &keys[1..], later).await, Err(30), "{name}");
        }
    }

    #[tokio::test]
    async fn a_refused_attempt_is_given_back_to_the_keys_before() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let email = email_key("x@y.example");
            for _ in 0..FREE_FAILURES {
                go(&db, std::slice::from_ref(&email), 1000).await.unwrap();
            }
            let ip = ip_key("192.0.2.7");
            for _ in 0..20 {
                assert!(go(&db, &[ip.clone(), email.clone()], 1001).await.is_err());
            }
            let (n,): (i64,) = sqlx::query_as("SELECT failures FROM throttle WHERE key = $1")
                .bind(&ip)
                .fetch_one(&db.pool)
                .await
                .unwrap();
            assert_eq!(
                n, 0,
                "the address was not charged for refused attempts ({name})"
            );
            // A success from the address gives its attempt back, and lifts its block.
            for _ in 0..FREE_FAILURES_PER_ADDRESS {
                go(&db, std::slice::from_ref(&ip), 1002).await.unwrap();
            }
            assert!(
                go(&db, std::slice::from_ref(&ip), 1002).await.is_err(),
                "{name}"
            );
            refund(&db, &ip).await.unwrap();
            assert_eq!(
                go(&db, std::slice::from_ref(&ip), 1002).await,
                Ok(()),
                "{name}"
            );
        }
    }

    /// The defect review found: 60 parallel guesses were all evaluated. Counting first, a burst
    /// of 100 gets exactly the allowance through, on both engines.
    #[tokio::test]
    async fn a_parallel_burst_gets_only_the_allowance_through() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let keys = vec![email_key("burst@example.com")];
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..100 {
                let (db, keys) = (db.clone(), keys.clone());
                tasks.spawn(async move { attempt(&db, &keys, 5000).await.unwrap().is_ok() });
            }
            let allowed = tasks.join_all().await.into_iter().filter(|ok| *ok).count();
            assert_eq!(allowed as i64, FREE_FAILURES, "{name}");
        }
    }

    #[tokio::test]
    async fn refunding_two_keys_at_once_goes_by_each_key_s_own_allowance() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let (user, org) = (find_key("u1"), find_org_key("o1"));
            let keys = [user.clone(), org.clone()];
            let now = 1_000_000;
            for _ in 0..FREE_FAILURES {
                assert_eq!(go(&db, &keys, now).await, Ok(()), "{name}");
            }
            // The user's key is at its allowance and blocked; the firm's (larger) is not.
            assert!(go(&db, &keys, now).await.is_err(), "{name}");
            let mut conn = db.pool.acquire().await.unwrap();
            refund_all_in(&mut conn, &keys).await.unwrap();
            let row = |k: String| {
                sqlx::query_as::<_, (i64, i64)>(
                    "SELECT failures, blocked_until FROM throttle WHERE key = $1",
                )
                .bind(k)
            };
            let (f, until) = row(user).fetch_one(&mut *conn).await.unwrap();
            assert_eq!((f, until), (FREE_FAILURES - 1, 0), "{name}: user unblocked");
            let (f, until) = row(org).fetch_one(&mut *conn).await.unwrap();
            assert_eq!((f, until), (FREE_FAILURES - 1, 0), "{name}: firm");
            drop(conn);
            assert_eq!(go(&db, &keys, now).await, Ok(()), "{name}: allowed again");
        }
    }
}
