//! Demo accounts for the server's `seed --demo-accounts` (used by `scripts/run` and the browser
//! tests): an HMCTS onboarding officer, a firm's administrator, one of its users and a
//! deregistered user, and a chambers' administrator, all with one published password and
//! authenticator key. Never run this against a live service.

use crate::accounts::{TERMS_VERSION, password, store};
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
pub const ACCOUNTS: [Account; 8] = [
    Account {
        email: "onboarding@hmcts.example",
        what: "HMCTS onboarding officer: approves registrations at /onboarding",
    },
    Account {
        email: "admin@smith-solicitors.example",
        what: "administrator, advocate and accountable person at Smith & Co Solicitors",
    },
    Account {
        email: "dormant@smith-solicitors.example",
        what: "deregistered after 90 days unused (cannot sign in; its administrator can reinstate it)",
    },
    Account {
        email: "caseworker@smith-solicitors.example",
        what: "a user (not an administrator) at Smith & Co Solicitors",
    },
    Account {
        email: "clerk@jones-chambers.example",
        what: "administrator at Jones Chambers (another organisation)",
    },
    Account {
        email: "laa@legalaid.example",
        what: "Legal Aid Agency caseworker: representation records at /staff/laa",
    },
    Account {
        email: "service-centre@hmcts.example",
        what: "HMCTS service centre: finds cases for callers at /staff/service-centre",
    },
    Account {
        email: "usher@hmcts.example",
        what: "court staff (an usher) at Cardiff Magistrates' Court: the live board at /court",
    },
];

/// A demo organisation: name, address, postcode, LAA account, SRA number, Bar number,
/// accountable person's name, email and phone.
type DemoOrg = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

/// A demo person: email, organisation (index), staff role, first name, last name, roles, status.
type DemoPerson = (
    &'static str,
    Option<usize>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const ORGANISATIONS: [DemoOrg; 2] = [
    (
        "Smith & Co Solicitors",
        "1 High Street\nCardiff",
        "CF10 1AA",
        Some("1A234B"),
        Some("612345"),
        None,
        "Sam Smith",
        "admin@smith-solicitors.example",
        "029 2000 0000",
    ),
    (
        "Jones Chambers",
        "4 Temple Row\nBirmingham",
        "B2 5HG",
        None,
        None,
        Some("123456"),
        "Gwen Jones",
        "clerk@jones-chambers.example",
        "0121 400 0000",
    ),
];

/// Creates the demo organisations and accounts if they are not there yet.
pub async fn seed(
    db: &Db,
    keys: &crate::secrets::Keys,
    now: i64,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if store::user_by_email(db, ACCOUNTS[0].email).await?.is_some() {
        return Ok(());
    }
    let hash = password::hash(PASSWORD.to_owned()).await?;
    let mut tx = db.begin().await?;
    let mut orgs = vec![];
    for (name, address, postcode, laa, sra, bar, ap_name, ap_email, ap_phone) in ORGANISATIONS {
        let org = crate::accounts::token::new_id();
        sqlx::query(
            "INSERT INTO organisations (id, name, address, postcode, laa_account, sra_number, bar_number, \
             accountable_name, accountable_email, accountable_phone, terms_version, terms_signed_name, \
             terms_signed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $8, $12, $12)",
        )
        .bind(&org)
        .bind(name)
        .bind(address)
        .bind(postcode)
        .bind(laa)
        .bind(sra)
        .bind(bar)
        .bind(ap_name)
        .bind(ap_email)
        .bind(ap_phone)
        .bind(TERMS_VERSION)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        orgs.push(org);
    }
    let people: [DemoPerson; 8] = [
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
            Some(0),
            None,
            "Sam",
            "Smith",
            "administrator,advocate",
            "active",
        ),
        (
            ACCOUNTS[2].email,
            Some(0),
            None,
            "Dafydd",
            "Morgan",
            "user",
            "deregistered",
        ),
        (
            ACCOUNTS[3].email,
            Some(0),
            None,
            "Priya",
            "Patel",
            "user",
            "active",
        ),
        (
            ACCOUNTS[4].email,
            Some(1),
            None,
            "Gwen",
            "Jones",
            "administrator,advocate",
            "active",
        ),
        (
            ACCOUNTS[5].email,
            None,
            Some("laa"),
            "Lowri",
            "Pritchard",
            "",
            "active",
        ),
        (
            ACCOUNTS[6].email,
            None,
            Some("service_centre"),
            "Sanjay",
            "Mehta",
            "",
            "active",
        ),
        (
            ACCOUNTS[7].email,
            None,
            Some("court"),
            "Ceri",
            "Morgan",
            "",
            "active",
        ),
    ];
    for (email, org, staff_role, first, last, roles, status) in people {
        let organisation_id = org.and_then(|i| orgs.get(i)).map(String::as_str);
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
            .bind(keys.seal(&crate::secrets::totp_context(&id), TOTP_SECRET))
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        // The usher works at Cardiff (or, on a courts list without it, the first court).
        if staff_role == Some("court") {
            sqlx::query(
                "UPDATE users SET staff_court = COALESCE( \
                   (SELECT name FROM courts WHERE name = 'Cardiff Magistrates'' Court'), \
                   (SELECT MIN(name) FROM courts)) WHERE id = $1",
            )
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
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
    for org in &orgs {
        crate::organisation::store::link_accountable(&mut tx, org).await?;
    }
    tx.commit().await?;
    Ok(())
}
