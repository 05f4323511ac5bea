//! Demo accounts for the server's `seed --demo-accounts` (used by `scripts/run` and the browser tests): an
//! HMCTS onboarding officer, a firm's administrator, and a deregistered user, all with one
//! published password and authenticator key. Never run this against a live service.

use super::{TERMS_VERSION, password, store};
use crate::db::Db;

/// The demo password (not on the common-password list; printed by `seed`).
pub const PASSWORD: &str = "harbour ledger winter 42";
/// The demo authenticator key (base32), to add to an authenticator app by hand.
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// One demo account.
pub struct Account {
    /// Email address.
    pub email: &'static str,
    /// What it is for.
    pub what: &'static str,
}

/// The demo accounts.
pub const ACCOUNTS: [Account; 3] = [
    Account {
        email: "onboarding@hmcts.example",
        what: "HMCTS onboarding officer: approves registrations at /onboarding",
    },
    Account {
        email: "admin@smith-solicitors.example",
        what: "administrator and advocate at Smith & Co Solicitors",
    },
    Account {
        email: "dormant@smith-solicitors.example",
        what: "deregistered after 90 days unused (cannot sign in)",
    },
];

/// Creates the demo organisation and accounts if they are not there yet.
pub async fn seed(db: &Db, now: i64) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if store::user_by_email(db, ACCOUNTS[0].email).await?.is_some() {
        return Ok(());
    }
    let hash = password::hash(PASSWORD.to_owned()).await?;
    let org = super::token::new_id();
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO organisations (id, name, address, postcode, laa_account, sra_number, bar_number, \
         accountable_name, accountable_email, accountable_phone, terms_version, terms_signed_name, \
         terms_signed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10, $7, $11, $11)",
    )
    .bind(&org)
    .bind("Smith & Co Solicitors")
    .bind("1 High Street\nCardiff")
    .bind("CF10 1AA")
    .bind("1A234B")
    .bind("612345")
    .bind("Sam Smith")
    .bind(ACCOUNTS[1].email)
    .bind("029 2000 0000")
    .bind(TERMS_VERSION)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let people = [
        (
            ACCOUNTS[0].email,
            None,
            Some("onboarding"),
            "Olwen",
            "Jones",
            "",
            "active",
        ),
        (
            ACCOUNTS[1].email,
            Some(org.as_str()),
            None,
            "Sam",
            "Smith",
            "administrator,advocate",
            "active",
        ),
        (
            ACCOUNTS[2].email,
            Some(org.as_str()),
            None,
            "Dafydd",
            "Morgan",
            "user",
            "deregistered",
        ),
    ];
    for (email, organisation_id, staff_role, first, last, roles, status) in people {
        let id = store::insert_user(
            &mut tx,
            &store::NewUser {
                organisation_id,
                staff_role,
                email,
                first_name: first,
                last_name: last,
                roles,
                status,
                password_hash: Some(&hash),
            },
            now,
        )
        .await?;
        sqlx::query("UPDATE users SET totp_secret = $1, last_active_at = $2 WHERE id = $3")
            .bind(TOTP_SECRET)
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        store::Who {
            actor: "cli".into(),
            organisation_id: organisation_id.map(str::to_owned),
            ip: None,
        }
        .audit(
            &mut tx,
            "demo.account_created",
            Some(format!("user:{id}")),
            serde_json::json!({ "status": status }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
