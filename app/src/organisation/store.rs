//! The organisation in the database: the lock every change takes, the snapshot the rules judge,
//! the details and the users table.

use super::rules::{Member, Org, Status};
use crate::accounts::Role;
use sqlx::AnyConnection;

/// Locks the organisation's row until the transaction ends (a write: PostgreSQL takes a row
/// lock, SQLite the database's write lock), so changes to one organisation queue. False if there
/// is no such organisation.
pub async fn lock(conn: &mut AnyConnection, org_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let n = sqlx::query("UPDATE organisations SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(org_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Links the accountable person to their user account when one of the organisation's users has
/// the accountable email (after onboarding creates the users).
pub async fn link_accountable(conn: &mut AnyConnection, org_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE organisations SET accountable_user_id = (SELECT u.id FROM users u \
         WHERE u.organisation_id = organisations.id AND u.email = lower(organisations.accountable_email)) \
         WHERE id = $1",
    )
    .bind(org_id)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// The organisation's name.
pub async fn name(conn: &mut AnyConnection, org_id: &str) -> Result<String, sqlx::Error> {
    sqlx::query_as::<_, (String,)>("SELECT name FROM organisations WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await
        .map(|r| r.0)
}

/// The organisation as the rules see it (read under [`lock`]).
pub async fn snapshot(conn: &mut AnyConnection, org_id: &str) -> Result<Org, sqlx::Error> {
    let (accountable, pending): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT accountable_user_id, accountable_pending_id FROM organisations WHERE id = $1",
    )
    .bind(org_id)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, roles, status FROM users WHERE organisation_id = $1")
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
    let members = rows
        .into_iter()
        .map(|(id, roles, status)| Member {
            id,
            roles: parse_roles(&roles),
            status: Status::from_code(&status).unwrap_or(Status::Removed),
        })
        .collect();
    Ok(Org {
        accountable,
        pending_accountable: pending,
        members,
    })
}

pub use crate::accounts::{parse_roles, roles_code};

/// The organisation's details.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Details {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Address lines (newline separated).
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// LAA account number.
    pub laa_account: Option<String>,
    /// SRA number.
    pub sra_number: Option<String>,
    /// Bar number.
    pub bar_number: Option<String>,
    /// Accountable person's name.
    pub accountable_name: String,
    /// Accountable person's email.
    pub accountable_email: String,
    /// Accountable person's phone.
    pub accountable_phone: String,
    /// The accountable person's user id, if they have an account.
    pub accountable_user_id: Option<String>,
    /// A transfer waiting for this user to confirm.
    pub accountable_pending_id: Option<String>,
}

/// The organisation's details.
pub async fn details(
    conn: &mut AnyConnection,
    org_id: &str,
) -> Result<Option<Details>, sqlx::Error> {
    sqlx::query_as::<_, Details>(
        "SELECT id, name, address, postcode, laa_account, sra_number, bar_number, \
         accountable_name, accountable_email, accountable_phone, accountable_user_id, \
         accountable_pending_id FROM organisations WHERE id = $1",
    )
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await
}

/// A closing or merging request, as HMCTS onboarding lists them.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RequestRow {
    /// The organisation's name.
    pub organisation: String,
    /// `close` or `merge`.
    pub kind: String,
    /// From when (YYYY-MM-DD).
    pub effective_on: String,
    /// The other organisation, for a merger.
    pub merge_with: Option<String>,
    /// Anything else.
    pub details: String,
    /// Who sent it.
    pub requested_by: String,
    /// Their email.
    pub requested_email: String,
    /// When.
    pub created_at: i64,
}

/// The latest requests from organisations, newest first.
pub async fn recent_requests(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    sqlx::query_as::<_, RequestRow>(&format!(
        "SELECT o.name AS organisation, r.kind, r.effective_on, r.merge_with, r.details, \
         u.first_name || ' ' || u.last_name AS requested_by, u.email AS requested_email, r.created_at \
         FROM organisation_requests r JOIN organisations o ON o.id = r.organisation_id \
         JOIN users u ON u.id = r.requested_by ORDER BY r.created_at DESC LIMIT {}",
        limit.max(1)
    ))
    .fetch_all(&mut *conn)
    .await
}

/// An administrator HMCTS onboarding can restore: one who is deregistered or locked, in an
/// organisation with no active administrator.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StrandedAdmin {
    /// The organisation's name.
    pub organisation: String,
    /// The user's id.
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: String,
    /// `deregistered` or `locked`.
    pub status: String,
}

/// Every administrator HMCTS onboarding can restore ([`super::rules::restore`]), by
/// organisation.
pub async fn stranded_administrators(
    conn: &mut AnyConnection,
) -> Result<Vec<StrandedAdmin>, sqlx::Error> {
    sqlx::query_as::<_, StrandedAdmin>(
        "SELECT o.name AS organisation, u.id, u.first_name, u.last_name, u.email, u.status \
         FROM users u JOIN organisations o ON o.id = u.organisation_id \
         WHERE u.status IN ('deregistered', 'locked') \
         AND (',' || u.roles || ',') LIKE '%,administrator,%' \
         AND NOT EXISTS (SELECT 1 FROM users a WHERE a.organisation_id = o.id \
           AND a.status = 'active' AND (',' || a.roles || ',') LIKE '%,administrator,%') \
         ORDER BY o.name, o.id, u.last_name, u.first_name, u.id",
    )
    .fetch_all(&mut *conn)
    .await
}

/// A row of the users table.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    /// Id.
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: String,
    /// Stored role list.
    pub roles: String,
    /// Stored status.
    pub status: String,
    /// Last completed sign-in.
    pub last_sign_in_at: Option<i64>,
    /// When added.
    pub created_at: i64,
    /// 1 when an authenticator app is set up.
    pub has_totp: i64,
    /// How many passkeys.
    pub passkeys: i64,
}

impl UserRow {
    /// Full name.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// Roles.
    pub fn role_list(&self) -> Vec<Role> {
        parse_roles(&self.roles)
    }

    /// Status.
    pub fn status(&self) -> Status {
        Status::from_code(&self.status).unwrap_or(Status::Removed)
    }
}

/// Every user of the organisation, by last then first name.
pub async fn users(conn: &mut AnyConnection, org_id: &str) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as::<_, UserRow>(
        "SELECT u.id, u.first_name, u.last_name, u.email, u.roles, u.status, u.last_sign_in_at, \
         u.created_at, CAST(CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_totp, \
         (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys \
         FROM users u WHERE u.organisation_id = $1 \
         ORDER BY lower(u.last_name), lower(u.first_name), u.email",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await
}

/// One user of the organisation (none if the id is not one of its users).
pub async fn user(
    conn: &mut AnyConnection,
    org_id: &str,
    user_id: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as::<_, UserRow>(
        "SELECT u.id, u.first_name, u.last_name, u.email, u.roles, u.status, u.last_sign_in_at, \
         u.created_at, CAST(CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_totp, \
         (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) AS passkeys \
         FROM users u WHERE u.organisation_id = $1 AND u.id = $2",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_in_form_order() {
        assert_eq!(
            parse_roles("user, administrator,nonsense"),
            vec![Role::Administrator, Role::User]
        );
        assert_eq!(
            roles_code(&[Role::Administrator, Role::User]),
            "administrator,user"
        );
        assert_eq!(
            roles_code(&[Role::User, Role::Administrator, Role::User]),
            "administrator,user"
        );
    }
}
