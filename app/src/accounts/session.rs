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

/// The live session for a cookie token at `now` (touching its last use), or none.
pub async fn lookup(db: &Db, token: &str, now: i64) -> Result<Option<Current>, sqlx::Error> {
    let id_hash = token::hash_token(token);
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
    let Some(row) = row else { return Ok(None) };
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
        let reason = if usable {
            "timed_out"
        } else {
            "account_closed"
        };
        let mut conn = db.pool.acquire().await?;
        end(&mut conn, &id_hash, reason, now).await?;
        return Ok(None);
    }
    if current.stage == Stage::Full && now - current.last_seen_at >= TOUCH_SECS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(&id_hash)
            .execute(&db.pool)
            .await?;
    }
    Ok(Some(Current {
        last_seen_at: if current.stage == Stage::Full {
            now
        } else {
            current.last_seen_at
        },
        ..current
    }))
}

/// Marks a signed-in session used now ("stay signed in"); returns the seconds it has left.
pub async fn touch(db: &Db, current: &Current, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(&current.id_hash)
        .execute(&db.pool)
        .await?;
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

/// Keeps an authenticator key being set up with the session.
pub async fn set_pending_totp(db: &Db, id_hash: &str, secret: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET pending_totp = $1 WHERE id_hash = $2")
        .bind(secret)
        .bind(id_hash)
        .execute(&db.pool)
        .await
        .map(|_| ())
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
}
