//! Sign-in and code throttling, per email address typed and per client address: after a few
//! failures each further one blocks that key for longer (30 s doubling to an hour). Keys are the
//! typed email, not the account, so unknown emails are throttled exactly like known ones.

use crate::db::Db;

/// Failures allowed before the first block, for an email address or an account.
pub const FREE_FAILURES: i64 = 5;
/// Failures allowed from one client address before it is blocked: a firm's whole office, or a
/// court building's Wi-Fi, may share one address, so it gets a larger allowance.
pub const FREE_FAILURES_PER_ADDRESS: i64 = 50;
/// Failures are forgotten after a quiet day.
pub const FORGET_AFTER: i64 = 24 * 3600;

/// Failures allowed on `key` before the first block.
pub fn allowance(key: &str) -> i64 {
    if key.starts_with("ip:") || key.starts_with("reset-ip:") {
        FREE_FAILURES_PER_ADDRESS
    } else {
        FREE_FAILURES
    }
}

/// How long to block after `failures` failures in a row, with `free` allowed.
pub fn block_secs(failures: i64, free: i64) -> i64 {
    if failures < free {
        0
    } else {
        let exp = (failures - free).min(7);
        (30_i64 << exp).min(3600)
    }
}

/// The key for an email address typed into a form.
pub fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

/// The key for a client address.
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The key for an account's second-factor attempts.
pub fn code_key(user_id: &str) -> String {
    format!("code:{user_id}")
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

/// If any key is blocked at `now`, the seconds left.
pub async fn blocked(db: &Db, keys: &[String], now: i64) -> Result<Option<i64>, sqlx::Error> {
    let mut longest = 0;
    for key in keys {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT blocked_until FROM throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(&db.pool)
                .await?;
        if let Some((until,)) = row {
            longest = longest.max(until - now);
        }
    }
    Ok((longest > 0).then_some(longest))
}

/// Records a failure against each key (one statement per key, so concurrent failures are all
/// counted).
pub async fn fail(db: &Db, keys: &[String], now: i64) -> Result<(), sqlx::Error> {
    for key in keys {
        let (failures,): (i64,) = sqlx::query_as(
            "INSERT INTO throttle (key, failures, last_failure, blocked_until) VALUES ($1, 1, $2, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN $2 - throttle.last_failure < $3 THEN throttle.failures + 1 ELSE 1 END, \
               last_failure = $2 \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(FORGET_AFTER)
        .fetch_one(&db.pool)
        .await?;
        let wait = block_secs(failures, allowance(key));
        if wait > 0 {
            sqlx::query("UPDATE throttle SET blocked_until = $1 WHERE key = $2")
                .bind(now + wait)
                .bind(key)
                .execute(&db.pool)
                .await?;
        }
    }
    Ok(())
}

/// Forgets the failures against a key (after a success).
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM throttle WHERE key = $1")
        .bind(key)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Forgets the failures against an account's sign-in (its email and its codes), in the caller's
/// transaction: an administrator or HMCTS gives the account a fresh start.
pub async fn forget_account(
    conn: &mut sqlx::AnyConnection,
    email: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM throttle WHERE key = $1 OR key = $2")
        .bind(email_key(email))
        .bind(code_key(user_id))
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
        assert_eq!(allowance(&ip_key("192.0.2.1")), FREE_FAILURES_PER_ADDRESS);
        assert_eq!(
            allowance(&reset_ip_key("192.0.2.1")),
            FREE_FAILURES_PER_ADDRESS
        );
    }

    #[tokio::test]
    async fn an_address_gets_a_larger_allowance_than_an_email() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let ip = vec![ip_key("192.0.2.9")];
            for _ in 0..FREE_FAILURES_PER_ADDRESS - 1 {
                fail(&db, &ip, 1000).await.unwrap();
            }
            assert_eq!(blocked(&db, &ip, 1000).await.unwrap(), None, "{name}");
            fail(&db, &ip, 1000).await.unwrap();
            assert_eq!(blocked(&db, &ip, 1000).await.unwrap(), Some(30), "{name}");
        }
    }

    #[tokio::test]
    async fn blocks_and_clears_on_both_engines() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let keys = vec![email_key("A@b.example"), code_key("user-1")];
            for _ in 0..4 {
                fail(&db, &keys, 1000).await.unwrap();
            }
            assert_eq!(blocked(&db, &keys, 1000).await.unwrap(), None, "{name}");
            fail(&db, &keys, 1000).await.unwrap();
            assert_eq!(blocked(&db, &keys, 1000).await.unwrap(), Some(30), "{name}");
            assert_eq!(blocked(&db, &keys, 1030).await.unwrap(), None, "{name}");
            fail(&db, &keys, 1031).await.unwrap();
            assert_eq!(blocked(&db, &keys, 1031).await.unwrap(), Some(60), "{name}");
            clear(&db, &keys[0]).await.unwrap();
            assert_eq!(
                blocked(&db, &keys[..1], 1031).await.unwrap(),
                None,
                "{name}"
            );
            assert_eq!(
                blocked(&db, &keys, 1031).await.unwrap(),
                Some(60),
                "the other key stays blocked ({name})"
            );
            // A quiet day forgets earlier failures.
            fail(&db, &keys[1..], 1031 + FORGET_AFTER).await.unwrap();
            assert_eq!(
                blocked(&db, &keys[1..], 1031 + FORGET_AFTER).await.unwrap(),
                None,
                "{name}"
            );
        }
    }
}
