//! Users and one-time links in the database.

use crate::db::Db;
use sqlx::AnyConnection;

pub use crate::web::session::User;

/// The columns of [`User`], for queries that join.
pub const USER_COLUMNS: &str = "u.id, u.organisation_id, u.staff_role, u.email, u.first_name, \
     u.last_name, u.roles, u.status, u.password_hash, u.change_password, u.totp_secret, \
     u.totp_last_step, u.created_at, u.last_active_at, u.last_sign_in_at, u.factor_reset_at, \
     u.staff_court";

/// A user's organisation as their own account shows it: its name, and who it has nominated
/// as accountable person (until they confirm).
pub async fn organisation_summary(
    conn: &mut AnyConnection,
    org_id: &str,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    sqlx::query_as("SELECT name, accountable_pending_id FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await
}

/// A user by email (lower case).
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"
    ))
    .bind(email.to_lowercase())
    .fetch_optional(&db.pool)
    .await
}

/// A user by id.
pub async fn user_by_id(db: &Db, id: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// A new user to insert.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    /// The organisation, or none for staff.
    pub organisation_id: Option<&'a str>,
    /// Staff role.
    pub staff_role: Option<&'a str>,
    /// Email (any case).
    pub email: &'a str,
    /// First name.
    pub first_name: &'a str,
    /// Last name.
    pub last_name: &'a str,
    /// Comma-separated roles.
    pub roles: &'a str,
    /// Initial status.
    pub status: &'a str,
    /// Password hash, if already set.
    pub password_hash: Option<&'a str>,
}

/// Makes a staff account court staff of `court`: false (and nothing changed) when the court is
/// not on the courts list.
pub async fn set_staff_court(
    conn: &mut AnyConnection,
    user_id: &str,
    court: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE users SET staff_court = $1 WHERE id = $2 AND staff_role = 'court' \
         AND EXISTS (SELECT 1 FROM courts WHERE name = $1)",
    )
    .bind(court)
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// A user, read inside the caller's transaction.
pub async fn user_in(conn: &mut AnyConnection, id: &str) -> Result<User, sqlx::Error> {
    sqlx::query_as::<_, User>(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
}

/// Takes the lock of the user's organisation (the one every administrator's change takes), so a
/// status change made here and a removal made there happen one after the other, never
/// interleaved. Users outside an organisation (HMCTS staff) lock nothing.
pub async fn lock_organisation_of(
    conn: &mut AnyConnection,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE organisations SET updated_at = $1 \
         WHERE id = (SELECT organisation_id FROM users WHERE id = $2)",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Inserts a user; returns the id. Fails (unique constraint) if the email is taken.
pub async fn insert_user(
    conn: &mut AnyConnection,
    u: &NewUser<'_>,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = super::token::new_id();
    sqlx::query(
        "INSERT INTO users (id, organisation_id, staff_role, email, first_name, last_name, roles, \
         status, password_hash, created_at, last_active_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(u.organisation_id)
    .bind(u.staff_role)
    .bind(u.email.to_lowercase())
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.roles)
    .bind(u.status)
    .bind(u.password_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Issues a one-time link token for a user; returns the token (only its hash is stored).
pub async fn issue_token(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: &str,
    now: i64,
    lifetime: i64,
) -> Result<String, sqlx::Error> {
    let token = super::token::new_token();
    sqlx::query(
        "INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(super::token::hash_token(&token))
    .bind(user_id)
    .bind(purpose)
    .bind(now)
    .bind(now + lifetime)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// A stored link.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenRow {
    /// The user.
    pub user_id: String,
    /// Expiry.
    pub expires_at: i64,
    /// When it was used.
    pub used_at: Option<i64>,
}

/// Looks a link up (without using it).
pub async fn find_token(
    db: &Db,
    token: &str,
    purpose: &str,
) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as::<_, TokenRow>(
        "SELECT user_id, expires_at, used_at FROM user_tokens WHERE token_hash = $1 AND purpose = $2",
    )
    .bind(super::token::hash_token(token))
    .bind(purpose)
    .fetch_optional(&db.pool)
    .await
}

/// Uses a link: succeeds for exactly one caller, however many race.
pub async fn consume_token(
    conn: &mut AnyConnection,
    token: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let hash = super::token::hash_token(token);
    let done = sqlx::query(
        "UPDATE user_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&hash)
    .bind(purpose)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done != 1 {
        return Ok(None);
    }
    let (user_id,): (String,) =
        sqlx::query_as("SELECT user_id FROM user_tokens WHERE token_hash = $1")
            .bind(&hash)
            .fetch_one(&mut *conn)
            .await?;
    Ok(Some(user_id))
}

/// Stores an accepted authenticator step if it is later than the last: false means the code was
/// already used (a replay, or a racing request got there first).
pub async fn accept_totp_step(
    conn: &mut AnyConnection,
    user_id: &str,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE users SET totp_last_step = $1 \
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Someone to email.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Recipient {
    /// Their account, when they have one.
    pub user_id: Option<String>,
    /// Their address.
    pub email: String,
    /// How to greet them.
    pub first_name: String,
}

/// One user, while their account is active (someone to email about what they did or asked for).
pub async fn active_recipient(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<Recipient>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id AS user_id, email, first_name FROM users WHERE id = $1 AND status = 'active'",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// HMCTS onboarding: every active onboarding officer or, when there is none, the service's own
/// mailbox, so a message for HMCTS always goes somewhere.
pub async fn hmcts_recipients(
    conn: &mut AnyConnection,
    mail: &crate::email::MailSettings,
) -> Result<Vec<Recipient>, sqlx::Error> {
    let staff = sqlx::query_as::<_, Recipient>(
        "SELECT id AS user_id, email, first_name FROM users \
         WHERE staff_role = 'onboarding' AND status = 'active' ORDER BY email",
    )
    .fetch_all(&mut *conn)
    .await?;
    if !staff.is_empty() {
        return Ok(staff);
    }
    Ok(vec![Recipient {
        user_id: None,
        email: mail.from_address.clone(),
        first_name: "HMCTS".into(),
    }])
}

/// An organisation's active administrators, except one user.
pub async fn administrators(
    conn: &mut AnyConnection,
    org_id: &str,
    except: &str,
) -> Result<Vec<Recipient>, sqlx::Error> {
    sqlx::query_as::<_, Recipient>(
        "SELECT id AS user_id, email, first_name FROM users WHERE organisation_id = $1 \
         AND status = 'active' AND id <> $2 AND (',' || roles || ',') LIKE '%,administrator,%' \
         ORDER BY email",
    )
    .bind(org_id)
    .bind(except)
    .fetch_all(&mut *conn)
    .await
}

/// Who is acting, for audit events: `user:ID`, `staff:ID`, `anonymous`, `system`, `cli`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Who {
    /// The actor.
    pub actor: String,
    /// The actor's organisation.
    pub organisation_id: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
}

impl Who {
    /// A signed-in (or signing-in) user.
    pub fn user(user: &User, ip: &str) -> Who {
        let kind = if user.staff_role.is_some() {
            "staff"
        } else {
            "user"
        };
        Who {
            actor: format!("{kind}:{}", user.id),
            organisation_id: user.organisation_id.clone(),
            ip: Some(ip.to_owned()),
        }
    }

    /// Someone not signed in.
    pub fn anonymous(ip: &str) -> Who {
        Who {
            actor: "anonymous".into(),
            organisation_id: None,
            ip: Some(ip.to_owned()),
        }
    }

    /// The service itself (scheduled jobs).
    pub fn system() -> Who {
        Who {
            actor: "system".into(),
            organisation_id: None,
            ip: None,
        }
    }

    /// Records an audit event in a transaction of its own (for events that change nothing
    /// else, such as a failed attempt).
    pub async fn audit_alone(
        &self,
        db: &Db,
        action: &str,
        target: Option<String>,
        details: serde_json::Value,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = db.begin().await?;
        self.audit(&mut tx, action, target, details, now).await?;
        tx.commit().await
    }

    /// Records an audit event in the caller's transaction. `details` must hold no secret.
    pub async fn audit(
        &self,
        conn: &mut AnyConnection,
        action: &str,
        target: Option<String>,
        details: serde_json::Value,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let event = crate::audit::Event {
            actor: self.actor.clone(),
            organisation_id: self.organisation_id.clone(),
            action: action.to_owned(),
            target,
            details,
            client_ip: self.ip.clone(),
        };
        crate::audit::append(conn, &event, now * 1000)
            .await
            .map(|_| ())
    }
}
