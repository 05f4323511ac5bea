//! Recognised browsers: a browser that completed a sign-in keeps a random token (cookie
//! `__Host-device`, only its hash stored) for 90 days. An attempt to sign in to the same account
//! from it is throttled on its own key, not on the email typed or the client address, so an
//! attacker hammering an account's email, or anyone sharing the user's address (an office, a
//! court's Wi-Fi, a load balancer), cannot lock the user out. It never replaces the password or
//! the second factor: it only decides which throttle an attempt counts against.

use super::token::{hash_token, new_token};
use sqlx::AnyConnection;

/// The cookie's name.
pub const COOKIE: &str = "__Host-device";
/// How long a browser stays recognised after its last sign-in.
pub const LIFETIME_SECS: i64 = 90 * 24 * 3600;

/// The device token in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    super::session::token_cookie(header, COOKIE)
}

/// The device token a request carries, if any.
pub fn token(ctx: &crate::web::Ctx) -> Option<&str> {
    token_from_cookie_header(&ctx.cookies)
}

/// The `Set-Cookie` value for a device token.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={LIFETIME_SECS}")
}

/// The account a device token is recognised for at `now`, and the token's hash.
pub async fn recognise(
    db: &crate::db::Db,
    token: &str,
    now: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let hash = hash_token(token);
    let row: Option<(String,)> =
        sqlx::query_as("SELECT user_id FROM devices WHERE token_hash = $1 AND expires_at > $2")
            .bind(&hash)
            .bind(now)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(user_id,)| (user_id, hash)))
}

/// After a complete sign-in: keeps the browser's token if it is already this user's (for
/// another 90 days), or gives it a new one. Returns the `Set-Cookie` value.
pub async fn remember(
    conn: &mut AnyConnection,
    presented: Option<&str>,
    user_id: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    if let Some(token) = presented {
        let kept = sqlx::query(
            "UPDATE devices SET last_used_at = $1, expires_at = $2 \
             WHERE token_hash = $3 AND user_id = $4 AND expires_at > $1",
        )
        .bind(now)
        .bind(now + LIFETIME_SECS)
        .bind(hash_token(token))
        .bind(user_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if kept == 1 {
            return Ok(set_cookie(token));
        }
    }
    let token = new_token();
    sqlx::query(
        "INSERT INTO devices (token_hash, user_id, created_at, last_used_at, expires_at) \
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(hash_token(&token))
    .bind(user_id)
    .bind(now)
    .bind(now + LIFETIME_SECS)
    .execute(&mut *conn)
    .await?;
    // Expired tokens of this user are no use to anyone.
    sqlx::query("DELETE FROM devices WHERE user_id = $1 AND expires_at <= $2")
        .bind(user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(set_cookie(&token))
}

/// Forgets every browser of a user (removal, or a report that their details were disclosed).
pub async fn forget_all(conn: &mut AnyConnection, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM devices WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    #[test]
    fn cookie_round_trip() {
        let t = new_token();
        let set = set_cookie(&t);
        assert!(set.starts_with("__Host-device=") && set.contains("HttpOnly"));
        let header = format!("lang=cy; __Host-session=x; {COOKIE}={t}");
        assert_eq!(token_from_cookie_header(&header), Some(t.as_str()));
        assert_eq!(token_from_cookie_header("__Host-device=short"), None);
    }

    #[tokio::test]
    async fn a_browser_is_recognised_for_its_own_account_until_it_expires() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let mut conn = db.pool.acquire().await.unwrap();
            let new = crate::accounts::store::NewUser {
                organisation_id: None,
                staff_role: Some("onboarding"),
                email: "dev@example.com",
                first_name: "Dev",
                last_name: "Ice",
                roles: "",
                status: "active",
                password_hash: None,
            };
            let user = crate::accounts::store::insert_user(&mut conn, &new, 1000)
                .await
                .unwrap();
            let cookie = remember(&mut conn, None, &user, 1000).await.unwrap();
            let token = token_from_cookie_header(&cookie).unwrap().to_owned();
            let (who, _) = recognise(&db, &token, 2000).await.unwrap().unwrap();
            assert_eq!(who, user, "{name}");
            // Signing in again from it keeps the same token for another 90 days.
            let again = remember(&mut conn, Some(&token), &user, 2000)
                .await
                .unwrap();
            assert_eq!(
                token_from_cookie_header(&again),
                Some(token.as_str()),
                "{name}"
            );
            assert!(
                recognise(&db, &token, 2000 + LIFETIME_SECS - 1)
                    .await
                    .unwrap()
                    .is_some()
            );
            assert!(
                recognise(&db, &token, 2000 + LIFETIME_SECS)
                    .await
                    .unwrap()
                    .is_none(),
                "{name}"
            );
            forget_all(&mut conn, &user).await.unwrap();
            assert!(
                recognise(&db, &token, 2001).await.unwrap().is_none(),
                "{name}"
            );
        }
    }
}
