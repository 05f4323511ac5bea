//! New material on a case, told to the firm on record (docs/uploads.md): material the
//! prosecution's import adds (or sends again with other bytes), and defence material another
//! defendant's firm shares with a defendant the firm acts for. Each is marked unseen for the
//! firm — the case shows a "new" tag until a member of the firm opens its material — and the
//! firm is emailed once for the lot, in the transaction that wrote the material, and audited.

use crate::{
    accounts::store::{Recipient, Who, administrators},
    email::{self, MailSettings},
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The firms to tell about material just served on `case_id` for `defendant` (none: the whole
/// case): the firm on record for that defendant, or every firm on record on the case.
pub async fn firms_for(
    conn: &mut AnyConnection,
    case_id: &str,
    defendant: Option<&str>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT organisation_id FROM associations \
         WHERE case_id = $1 AND ($2 IS NULL OR defendant_id = $2) ORDER BY organisation_id",
    )
    .bind(case_id)
    .bind(defendant)
    .fetch_all(&mut *conn)
    .await
}

/// Who at a firm hears of new material on a case: its active members who made the
/// declaration of appointment on it (the people working it) or, when none is active, its
/// active administrators.
async fn recipients(
    conn: &mut AnyConnection,
    organisation_id: &str,
    case_id: &str,
) -> Result<Vec<Recipient>, sqlx::Error> {
    let working: Vec<Recipient> = sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.first_name FROM users u \
         WHERE u.organisation_id = $1 AND u.status = 'active' AND EXISTS \
           (SELECT 1 FROM declarations d WHERE d.user_id = u.id AND d.case_id = $2) \
         ORDER BY u.email",
    )
    .bind(organisation_id)
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    if !working.is_empty() {
        return Ok(working);
    }
    administrators(conn, organisation_id, "").await
}

/// Marks each firm's material unseen and emails each firm once; audits what was told to whom.
/// A document a firm has not opened yet is not marked again (nor emailed again).
pub async fn tell(
    conn: &mut AnyConnection,
    mail: &MailSettings,
    case_id: &str,
    per_firm: &BTreeMap<String, Vec<String>>,
    who: &Who,
    now: i64,
) -> Result<(), sqlx::Error> {
    if per_firm.values().all(Vec::is_empty) {
        return Ok(());
    }
    let urn: String = sqlx::query_scalar("SELECT urn FROM cases WHERE id = $1")
        .bind(case_id)
        .fetch_one(&mut *conn)
        .await?;
    for (organisation_id, material) in per_firm {
        let mut marked = vec![];
        for m in material {
            let n = sqlx::query(
                "INSERT INTO material_unseen (organisation_id, material_id, case_id, since) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (organisation_id, material_id) DO NOTHING",
            )
            .bind(organisation_id)
            .bind(m)
            .bind(case_id)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if n > 0 {
                marked.push(m.clone());
            }
        }
        if marked.is_empty() {
            continue;
        }
        let mut emails = vec![];
        for to in recipients(conn, organisation_id, case_id).await? {
            let e = super::emails::new_material(mail, &to, &urn, case_id, marked.len());
            emails.push(email::enqueue(conn, mail, &e, now).await?);
        }
        who.audit(
            conn,
            "case.material_new",
            Some(format!("organisation:{organisation_id}")),
            json!({ "case": case_id, "urn": urn, "material": marked, "emails": emails }),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Takes the "new" tag off every document on the case for the firm: a member has opened its
/// material. How many were new.
pub async fn seen(
    conn: &mut AnyConnection,
    organisation_id: &str,
    case_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM material_unseen WHERE organisation_id = $1 AND case_id = $2")
            .bind(organisation_id)
            .bind(case_id)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}
