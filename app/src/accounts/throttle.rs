//! Sign-in and code throttling, per email address typed and per client address: after a few
//! failures each further one blocks that key for longer (30 s doubling to an hour). Keys are the
//! typed email, not the account, so unknown emails are throttled exactly like known ones.

use crate::db::Db;

/// Failures allowed before the first block.
pub const FREE_FAILURES: i64 = 5;
/// Failures are forgotten after a quiet day.
pub const FORGET_AFTER: i64 = 24 * 3600;

/// How long to block after `failures` failures in a row.
pub fn block_secs(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else {
        let exp = (failures - FREE_FAILURES).min(7);
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

/// Records a failure against each key.
pub async fn fail(db: &Db, keys: &[String], now: i64) -> Result<(), sqlx::Error> {
    for key in keys {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, last_failure FROM throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(&db.pool)
                .await?;
        let failures = match row {
            Some((n, last)) if now - last < FORGET_AFTER => n + 1,
            _ => 1,
        };
        let until = now + block_secs(failures);
        sqlx::query(
            "INSERT INTO throttle (key, failures, last_failure, blocked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = $2, last_failure = $3, blocked_until = $4",
        )
        .bind(key)
        .bind(failures)
        .bind(now)
        .bind(until)
        .execute(&db.pool)
        .await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    #[test]
    fn delay_grows_after_five_failures() {
        assert_eq!((1..5).map(block_secs).collect::<Vec<_>>(), vec![0, 0, 0, 0]);
        assert_eq!(block_secs(5), 30);
        assert_eq!(block_secs(6), 60);
        assert_eq!(block_secs(7), 120);
        assert_eq!(block_secs(12), 3600);
        assert_eq!(block_secs(100), 3600);
    }

    #[tokio::test]
    async fn blocks_and_clears_on_both_engines() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let keys = vec![email_key("A@b.example"), ip_key("192.0.2.1")];
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
                "the address stays blocked ({name})"
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
