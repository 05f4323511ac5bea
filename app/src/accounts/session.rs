//! Server-side sessions. The cookie carries 256 random bits; the database keeps only their
//! SHA-256, so a copy of the database opens no session. Sessions end on sign-out, after 30 idle
//! minutes, after 12 hours whatever happens, and when the user is deregistered or removed or
//! changes a password or factor (their other sessions).

use super::{store::USER_COLUMNS, store::User, token};
use crate::db::Db;
use sqlx::AnyConnection;

/// The cookie's name. `__Host-` makes browsers insist on Secure, Path=/ and no Domain.
pub const COOKIE: &str = "__Host-session";
pub use crate::web::session::{
    ABSOLUTE_SECS, CONFIRM_SECS, Current, IDLE_SECS, PENDING_SECS, Stage, TOUCH_SECS, WARN_SECS,
};

/// The `Set-Cookie` value for a new session id.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The session id in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    token_cookie(header, COOKIE)
}

/// The value of cookie `name` in a `Cookie` header, if it is shaped like a token (43 characters).
pub(crate) fn token_cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| v.len() == 43)
}

/// Starts a session; returns the cookie's token.
pub async fn create(
    conn: &mut AnyConnection,
    user_id: &str,
    stage: Stage,
    purpose: &str,
    ip: &str,
    user_agent: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let token = token::new_token();
    sqlx::query(
        "INSERT INTO sessions (id_hash, handle, user_id, stage, purpose, created_at, last_seen_at, \
         client_ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
    )
    .bind(token::hash_token(&token))
    .bind(token::new_id())
    .bind(user_id)
    .bind(stage.code())
    .bind(purpose)
    .bind(now)
    .bind(ip)
    .bind(user_agent.chars().take(300).collect::<String>())
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

#[derive(sqlx::FromRow)]
struct Row {
    s_id_hash: String,
    s_handle: String,
    s_stage: String,
    s_purpose: String,
    s_pending_totp: Option<String>,
    s_created_at: i64,
    s_last_seen_at: i64,
    s_confirmed_at: Option<i64>,
    #[sqlx(flatten)]
    user: User,
}

/// The live session for a cookie token at `now` (touching its last use), or none. Answered from
/// [`Db::sessions`] when it may be (`crate::session_cache`), otherwise from the database.
pub async fn lookup(db: &Db, token: &str, now: i64) -> Result<Option<Current>, sqlx::Error> {
    let id_hash = token::hash_token(token);
    let (kept, ticket) = db.sessions.get(&id_hash);
    // A kept session past its time here goes to the database, which decides (another instance
    // may have kept it in use).
    if let Some(current) = kept
        && now < current.expires_at()
    {
        return touch_if_due(db, current, now).await;
    }
    let row = sqlx::query_as::<_, Row>(&format!(
        "SELECT s.id_hash AS s_id_hash, s.handle AS s_handle, s.stage AS s_stage, \
         s.purpose AS s_purpose, s.pending_totp AS s_pending_totp, s.created_at AS s_created_at, \
         s.last_seen_at AS s_last_seen_at, s.confirmed_at AS s_confirmed_at, {USER_COLUMNS} \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.ended_at IS NULL"
    ))
    .bind(&id_hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        db.sessions.forget(&id_hash);
        return Ok(None);
    };
    let Some(stage) = Stage::from_code(&row.s_stage) else {
        return Ok(None);
    };
    let current = Current {
        id_hash: row.s_id_hash,
        handle: row.s_handle,
        stage,
        purpose: row.s_purpose,
        pending_totp: row.s_pending_totp,
        created_at: row.s_created_at,
        last_seen_at: row.s_last_seen_at,
        confirmed_at: row.s_confirmed_at,
        user: row.user,
    };
    let usable = matches!(current.user.status.as_str(), "active" | "invited");
    if now >= current.expires_at() || !usable {
        db.sessions.forget(&id_hash);
        let reason = if usable {
            "timed_out"
        } else {
            "account_closed"
        };
        let mut conn = db.writer.acquire().await?;
        end(&mut conn, &id_hash, reason, now).await?;
        return Ok(None);
    }
    if let Some(ticket) = ticket {
        db.sessions.put(&id_hash, &current, ticket);
    }
    touch_if_due(db, current, now).await
}

/// Writes a signed-in session's last use if it was written [`TOUCH_SECS`] ago or more; none if
/// it has ended meanwhile.
async fn touch_if_due(db: &Db, current: Current, now: i64) -> Result<Option<Current>, sqlx::Error> {
    if current.stage != Stage::Full {
        return Ok(Some(current));
    }
    if now - current.last_seen_at >= TOUCH_SECS {
        let n = sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(&current.id_hash)
        .execute(&db.writer)
        .await?
        .rows_affected();
        if n == 0 {
            db.sessions.forget(&current.id_hash);
            return Ok(None);
        }
        db.sessions.touched(&current.id_hash, now);
    }
    Ok(Some(Current {
        last_seen_at: now,
        ..current
    }))
}

/// Marks a signed-in session used now ("stay signed in"); returns the seconds it has left.
pub async fn touch(db: &Db, current: &Current, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(&current.id_hash)
        .execute(&db.writer)
        .await?;
    db.sessions.touched(&current.id_hash, now);
    Ok((now + IDLE_SECS).min(current.created_at + ABSOLUTE_SECS) - now)
}

/// Moves a session on a stage under a new id (so an id seen before sign-in is useless after);
/// returns the new cookie token.
pub async fn advance(
    conn: &mut AnyConnection,
    id_hash: &str,
    stage: Stage,
    now: i64,
) -> Result<String, sqlx::Error> {
    let token = token::new_token();
    sqlx::query(
        "UPDATE sessions SET id_hash = $1, stage = $2, last_seen_at = $3, pending_totp = NULL \
         WHERE id_hash = $4",
    )
    .bind(token::hash_token(&token))
    .bind(stage.code())
    .bind(now)
    .bind(id_hash)
    .execute(&mut *conn)
    .await?;
    if stage == Stage::Full {
        // The absolute time-out counts from the moment the user is fully signed in.
        sqlx::query("UPDATE sessions SET created_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(token::hash_token(&token))
            .execute(&mut *conn)
            .await?;
    }
    Ok(token)
}

/// Finishes a change of credentials in this session (a new password, a first or replaced second
/// factor): every other session of the user ends for `reason`, and this one is fully signed in
/// under a new id. Returns the new cookie token.
pub async fn rotate_ending_others(
    conn: &mut AnyConnection,
    user_id: &str,
    id_hash: &str,
    reason: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    end_all(&mut *conn, user_id, Some(id_hash), reason, now).await?;
    advance(conn, id_hash, Stage::Full, now).await
}

/// Keeps an authenticator key being set up with the session. (The page that shows the key does
/// this on a GET, so it tells the session cache itself: the form that follows must see the key.)
pub async fn set_pending_totp(db: &Db, id_hash: &str, secret: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET pending_totp = $1 WHERE id_hash = $2")
        .bind(secret)
        .bind(id_hash)
        .execute(&db.writer)
        .await?;
    db.sessions.wrote();
    Ok(())
}

/// Ends one session.
pub async fn end(
    conn: &mut AnyConnection,
    id_hash: &str,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET ended_at = $1, ended_reason = $2 WHERE id_hash = $3 AND ended_at IS NULL")
        .bind(now)
        .bind(reason)
        .bind(id_hash)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Ends a user's session by its public handle; false if it is not theirs or already ended.
pub async fn end_by_handle(
    conn: &mut AnyConnection,
    user_id: &str,
    handle: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE sessions SET ended_at = $1, ended_reason = 'ended_by_user' \
         WHERE handle = $2 AND user_id = $3 AND ended_at IS NULL",
    )
    .bind(now)
    .bind(handle)
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Ends all of a user's sessions except (optionally) one.
pub async fn end_all(
    conn: &mut AnyConnection,
    user_id: &str,
    except_id_hash: Option<&str>,
    reason: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE sessions SET ended_at = $1, ended_reason = $2 \
         WHERE user_id = $3 AND ended_at IS NULL AND id_hash <> $4",
    )
    .bind(now)
    .bind(reason)
    .bind(user_id)
    .bind(except_id_hash.unwrap_or(""))
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// A session as the sessions page lists it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Listed {
    /// Public id.
    pub handle: String,
    /// Started (full sign-in).
    pub created_at: i64,
    /// Last request.
    pub last_seen_at: i64,
    /// From where.
    pub client_ip: String,
    /// Which browser.
    pub user_agent: String,
}

/// A user's live, fully signed-in sessions, most recent first.
pub async fn list(db: &Db, user_id: &str, now: i64) -> Result<Vec<Listed>, sqlx::Error> {
    sqlx::query_as::<_, Listed>(
        "SELECT handle, created_at, last_seen_at, client_ip, user_agent FROM sessions \
         WHERE user_id = $1 AND ended_at IS NULL AND stage = 'full' \
         AND last_seen_at > $2 AND created_at > $3 ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .bind(now - IDLE_SECS)
    .bind(now - ABSOLUTE_SECS)
    .fetch_all(&db.pool)
    .await
}

/// A short description of a browser from its user agent: "Chrome on Windows".
pub fn describe_agent(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        ""
    };
    let os = if ua.contains("iPad") {
        "iPad"
    } else if ua.contains("iPhone") {
        "iPhone"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "Mac"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    match (browser, os) {
        ("", "") => ua.chars().take(60).collect(),
        (b, "") => b.to_owned(),
        ("", o) => o.to_owned(),
        (b, o) => format!("{b} · {o}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_is_host_prefixed_and_strict() {
        let c = set_cookie("abc");
        assert!(c.starts_with("__Host-session=abc;"));
        for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(c.contains(attr), "{attr}");
        }
        assert!(!c.contains("Domain"));
        assert!(clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn reads_the_token_from_a_cookie_header() {
        let t = "a".repeat(43);
        assert_eq!(
            token_from_cookie_header(&format!("lang=cy; __Host-session={t}")),
            Some(t.as_str())
        );
        assert_eq!(token_from_cookie_header("__Host-session=short"), None);
        assert_eq!(token_from_cookie_header("session=x"), None);
    }

    #[test]
    fn agents() {
        let ua = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_agent(ua), "Safari · iPad");
        assert_eq!(
            describe_agent("Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 Safari/537.36 Edg/130.0"),
            "Edge · Windows"
        );
    }

    mod cache {
        use super::super::*;
        use crate::{
            accounts::store::{NewUser, insert_user},
            db::testing,
            session_cache::TRUST_FOR,
        };

        const NOW: i64 = 1_800_000_000;

        async fn roles(db: &Db, token: &str) -> Option<String> {
            lookup(db, token, NOW)
                .await
                .expect("lookup")
                .map(|c| c.user.roles)
        }

        /// Another process (or instance) changes the user: the cache cannot know until it reads
        /// the version.
        async fn set_roles(db: &Db, id: &str, roles: &str) {
            sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
                .bind(roles)
                .bind(id)
                .execute(&db.writer)
                .await
                .expect("roles");
        }

        async fn version(db: &Db) -> i64 {
            sqlx::query_scalar("SELECT version FROM session_version WHERE id = 1")
                .fetch_one(&db.pool)
                .await
                .expect("version")
        }

        async fn signed_in(db: &Db, email: &str) -> (String, String) {
            let mut conn = db.writer.acquire().await.expect("conn");
            let id = insert_user(
                &mut conn,
                &NewUser {
                    organisation_id: None,
                    staff_role: None,
                    email,
                    first_name: "Kept",
                    last_name: "Session",
                    roles: "user",
                    status: "active",
                    password_hash: None,
                },
                NOW,
            )
            .await
            .expect("user");
            let token = create(&mut conn, &id, Stage::Full, "sign_in", "ip", "ua", NOW)
                .await
                .expect("session");
            (id, token)
        }

        #[tokio::test]
        async fn a_kept_session_goes_when_the_version_moves_or_this_process_writes() {
            for (db, _guard) in testing::all().await {
                let name = format!("{:?}", db.backend);
                let (id, token) = signed_in(&db, "kept@x.example").await;

                // Until the version has been read, nothing is kept.
                assert_eq!(roles(&db, &token).await.as_deref(), Some("user"));
                set_roles(&db, &id, "administrator").await;
                assert_eq!(
                    roles(&db, &token).await.as_deref(),
                    Some("administrator"),
                    "{name}"
                );

                // Once read, a look-up is kept: a change elsewhere is not seen…
                db.sessions.poll(&db).await.expect("poll");
                assert_eq!(roles(&db, &token).await.as_deref(), Some("administrator"));
                set_roles(&db, &id, "user").await;
                assert_eq!(
                    roles(&db, &token).await.as_deref(),
                    Some("administrator"),
                    "kept ({name})"
                );
                // …until the version is read again.
                db.sessions.poll(&db).await.expect("poll");
                assert_eq!(roles(&db, &token).await.as_deref(), Some("user"), "{name}");

                // A write in this process is seen by the next look-up, before any reading.
                set_roles(&db, &id, "administrator").await;
                db.sessions.wrote();
                assert_eq!(
                    roles(&db, &token).await.as_deref(),
                    Some("administrator"),
                    "after a local write ({name})"
                );

                // A reading too old is not trusted.
                db.sessions.poll(&db).await.expect("poll");
                assert_eq!(roles(&db, &token).await.as_deref(), Some("administrator"));
                set_roles(&db, &id, "user").await;
                db.sessions.age(TRUST_FOR);
                assert_eq!(
                    roles(&db, &token).await.as_deref(),
                    Some("user"),
                    "stale reading ({name})"
                );

                // A session ended elsewhere is gone at the next reading.
                db.sessions.poll(&db).await.expect("poll");
                assert!(roles(&db, &token).await.is_some());
                sqlx::query("UPDATE sessions SET ended_at = $1 WHERE user_id = $2")
                    .bind(NOW)
                    .bind(&id)
                    .execute(&db.writer)
                    .await
                    .expect("end");
                db.sessions.poll(&db).await.expect("poll");
                assert_eq!(roles(&db, &token).await, None, "ended ({name})");
            }
        }

        #[tokio::test]
        async fn a_look_up_that_raced_a_change_is_not_kept() {
            for (db, _guard) in testing::all().await {
                let name = format!("{:?}", db.backend);
                let (id, token) = signed_in(&db, "raced@x.example").await;
                let current = lookup(&db, &token, NOW)
                    .await
                    .expect("lookup")
                    .expect("session");
                db.sessions.poll(&db).await.expect("poll");
                let (kept, ticket) = db.sessions.get(&current.id_hash);
                assert!(kept.is_none());
                let ticket = ticket.expect("a reading");
                // The change commits and is read while the look-up is under way…
                set_roles(&db, &id, "administrator").await;
                db.sessions.poll(&db).await.expect("poll");
                // …so what the look-up read before it is not kept.
                db.sessions.put(&current.id_hash, &current, ticket);
                assert_eq!(
                    db.sessions.get(&current.id_hash).0.map(|c| c.user.roles),
                    None,
                    "{name}"
                );
                assert_eq!(
                    roles(&db, &token).await.as_deref(),
                    Some("administrator"),
                    "{name}"
                );
            }
        }

        #[tokio::test]
        async fn the_version_moves_with_users_and_sessions_but_not_a_session_s_last_use() {
            for (db, _guard) in testing::all().await {
                let name = format!("{:?}", db.backend);
                let (id, token) = signed_in(&db, "version@x.example").await;
                let v = version(&db).await;
                let current = lookup(&db, &token, NOW + TOUCH_SECS)
                    .await
                    .expect("lookup")
                    .expect("session");
                touch(&db, &current, NOW + 2 * TOUCH_SECS)
                    .await
                    .expect("touch");
                assert_eq!(version(&db).await, v, "last use ({name})");
                set_roles(&db, &id, "administrator").await;
                assert!(version(&db).await > v, "user ({name})");
                let v = version(&db).await;
                let mut tx = db.begin().await.expect("tx");
                set_confirmed(&mut tx, &current.id_hash, NOW).await;
                // Not before it commits.
                assert_eq!(version(&db).await, v, "uncommitted ({name})");
                tx.commit().await.expect("commit");
                assert!(version(&db).await > v, "session ({name})");
            }
        }

        async fn set_confirmed(conn: &mut AnyConnection, id_hash: &str, at: i64) {
            sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE id_hash = $2")
                .bind(at)
                .bind(id_hash)
                .execute(&mut *conn)
                .await
                .expect("confirm");
        }
    }
}
