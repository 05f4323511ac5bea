//! Counsel instructed by the firm on record for a defendant (docs/hearings.md): an advocate of
//! another organisation, such as a self-employed barrister, told by email. While the firm stays
//! on record, counsel's organisation sees the case and the defendant's material as the firm
//! does (`super::access`), and its advocates may check in for the defendant's hearings. The
//! firm withdraws an instruction from the case's Access tab, or counsel give it back from
//! theirs; one lapses (and is deleted, so a later return to record does not revive it) when the
//! firm stops acting.
//!
//! Every decision is one conditional statement: the firm's association is locked by a no-op
//! `UPDATE` (none: not on record), the instruction inserted `ON CONFLICT DO NOTHING` (one per
//! organisation and defendant, the primary key), withdrawn by a `DELETE` naming the firm that
//! gave it, and given back by one naming counsel's organisation.

use super::defence::Member;
use super::emails::{self, Ended};
use crate::{
    accounts::store::{Recipient, active_recipient},
    email,
    state::AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

/// Why an instruction was not given or withdrawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The member's firm is not on record for the defendant (or no such defendant on the case).
    NotYours,
    /// No active member of a defence organisation has that email address.
    NoAdvocate,
    /// The advocate is in the member's own organisation, which acts already.
    OwnOrganisation,
    /// That advocate's organisation is instructed for the defendant already (named).
    Already(String),
    /// Nothing to withdraw: the instruction was withdrawn already, or is not the firm's.
    NotInstructed,
}

/// An outcome.
pub type Change<T> = Result<Result<T, Refused>, sqlx::Error>;

/// Who was instructed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instructed {
    /// Counsel's organisation.
    pub organisation: String,
    /// The advocate's name.
    pub name: String,
}

/// The case's URN and the defendant's name, when `defendant_id` is on `case_id`.
async fn about(
    conn: &mut AnyConnection,
    case_id: &str,
    defendant_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.urn, COALESCE(d.company_name, d.first_name || ' ' || d.last_name) \
         FROM defendants d JOIN cases c ON c.id = d.case_id WHERE d.id = $1 AND d.case_id = $2",
    )
    .bind(defendant_id)
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Records what happened to an instruction, for the Access tab's history of both sides (the
/// instruction's own row goes when it ends).
#[allow(clippy::too_many_arguments)]
async fn record_event(
    conn: &mut AnyConnection,
    defendant_id: &str,
    case_id: &str,
    instructing_org: &str,
    counsel_org: &str,
    event: &str,
    by_user: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO instruction_events (id, defendant_id, case_id, instructing_org, \
           counsel_org, event, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::accounts::token::new_id())
    .bind(defendant_id)
    .bind(case_id)
    .bind(instructing_org)
    .bind(counsel_org)
    .bind(event)
    .bind(by_user)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn organisation_name(conn: &mut AnyConnection, id: &str) -> Result<String, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM organisations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(name.unwrap_or_default())
}

/// The member's firm instructs the organisation of the advocate with `email` for the
/// defendant: audited, and the advocate is emailed.
pub async fn instruct(
    state: &AppState,
    member: &Member,
    case_id: &str,
    defendant_id: &str,
    email_address: &str,
    now: i64,
) -> Change<Instructed> {
    let mut tx = state.db.begin().await?;
    let Some((urn, defendant)) = about(&mut tx, case_id, defendant_id).await? else {
        return Ok(Err(Refused::NotYours));
    };
    #[derive(sqlx::FromRow)]
    struct Advocate {
        id: String,
        organisation_id: String,
        first_name: String,
        last_name: String,
        email: String,
    }
    let advocate: Option<Advocate> = sqlx::query_as(
        "SELECT id, organisation_id, first_name, last_name, email FROM users \
         WHERE email = $1 AND status = 'active' AND organisation_id IS NOT NULL \
           AND staff_role IS NULL",
    )
    .bind(email_address.trim().to_lowercase())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(advocate) = advocate else {
        return Ok(Err(Refused::NoAdvocate));
    };
    if advocate.organisation_id == member.organisation_id {
        return Ok(Err(Refused::OwnOrganisation));
    }
    // The firm's association, locked for the rest of the transaction (a no-op update): a
    // disassociation at the same moment waits for this instruction, then ends it with the
    // rest, so none outlives the firm's time on record.
    let on_record = sqlx::query(
        "UPDATE associations SET nature = nature WHERE defendant_id = $1 AND case_id = $2 \
         AND organisation_id = $3",
    )
    .bind(defendant_id)
    .bind(case_id)
    .bind(&member.organisation_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if on_record == 0 {
        return Ok(Err(Refused::NotYours));
    }
    // An instruction left by a firm that has since stopped acting stands for nothing: cleared,
    // so it neither blocks this one nor comes back.
    sqlx::query(
        "DELETE FROM instructions WHERE defendant_id = $1 AND organisation_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM associations a WHERE a.defendant_id = $1 \
                           AND a.organisation_id = instructions.instructing_org)",
    )
    .bind(defendant_id)
    .bind(&advocate.organisation_id)
    .execute(&mut *tx)
    .await?;
    let given = sqlx::query(
        "INSERT INTO instructions (defendant_id, case_id, organisation_id, user_id, \
           instructing_org, instructed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (defendant_id, organisation_id) DO NOTHING",
    )
    .bind(defendant_id)
    .bind(case_id)
    .bind(&advocate.organisation_id)
    .bind(&advocate.id)
    .bind(&member.organisation_id)
    .bind(&member.user.id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let chambers = organisation_name(&mut tx, &advocate.organisation_id).await?;
    if given == 0 {
        return Ok(Err(Refused::Already(chambers)));
    }
    record_event(
        &mut tx,
        defendant_id,
        case_id,
        &member.organisation_id,
        &advocate.organisation_id,
        "instructed",
        Some(&member.user.id),
        now,
    )
    .await?;
    let firm = organisation_name(&mut tx, &member.organisation_id).await?;
    let to = Recipient {
        user_id: Some(advocate.id.clone()),
        email: advocate.email.clone(),
        first_name: advocate.first_name.clone(),
    };
    let link = format!("{}/cases/{case_id}", state.mail.public_url);
    let mail =
        emails::counsel_instructed(&state.mail, &to, &urn, &defendant, &firm, &chambers, &link);
    let outbox = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    member
        .who()
        .audit(
            &mut tx,
            "case.counsel.instructed",
            Some(format!("defendant:{defendant_id}")),
            json!({ "case": case_id, "urn": urn, "counsel_organisation": advocate.organisation_id,
                    "advocate": advocate.id, "email": outbox }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(Instructed {
        organisation: chambers,
        name: format!("{} {}", advocate.first_name, advocate.last_name),
    }))
}

/// The member's firm withdraws its instruction of `counsel_org` for the defendant: their
/// access through it ends at once; audited, and the advocate told is emailed.
pub async fn withdraw(
    state: &AppState,
    member: &Member,
    case_id: &str,
    defendant_id: &str,
    counsel_org: &str,
    now: i64,
) -> Change<String> {
    let mut tx = state.db.begin().await?;
    let Some((urn, defendant)) = about(&mut tx, case_id, defendant_id).await? else {
        return Ok(Err(Refused::NotInstructed));
    };
    let removed: Option<(String,)> = sqlx::query_as(
        "DELETE FROM instructions WHERE defendant_id = $1 AND case_id = $2 \
         AND organisation_id = $3 AND instructing_org = $4 RETURNING user_id",
    )
    .bind(defendant_id)
    .bind(case_id)
    .bind(counsel_org)
    .bind(&member.organisation_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((advocate,)) = removed else {
        return Ok(Err(Refused::NotInstructed));
    };
    record_event(
        &mut tx,
        defendant_id,
        case_id,
        &member.organisation_id,
        counsel_org,
        "withdrawn",
        Some(&member.user.id),
        now,
    )
    .await?;
    let firm = organisation_name(&mut tx, &member.organisation_id).await?;
    let chambers = organisation_name(&mut tx, counsel_org).await?;
    let outbox = tell_ended(
        &mut tx,
        state,
        &advocate,
        (&urn, &defendant, &firm),
        Ended::Withdrawn,
        now,
    )
    .await?;
    member
        .who()
        .audit(
            &mut tx,
            "case.counsel.withdrawn",
            Some(format!("defendant:{defendant_id}")),
            json!({ "case": case_id, "urn": urn, "counsel_organisation": counsel_org,
                    "advocate": advocate, "email": outbox }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(chambers))
}

/// Counsel's organisation (the member's) returns its instruction for the defendant: its access
/// through it ends at once (check-ins already made stay on the court's record); audited, and
/// whoever at the firm gave the instruction is emailed. The instructing firm's name.
pub async fn give_back(
    state: &AppState,
    member: &Member,
    case_id: &str,
    defendant_id: &str,
    now: i64,
) -> Change<String> {
    let mut tx = state.db.begin().await?;
    let Some((urn, defendant)) = about(&mut tx, case_id, defendant_id).await? else {
        return Ok(Err(Refused::NotInstructed));
    };
    // One instruction per organisation and defendant (the primary key), so this names it.
    let removed: Option<(String, String, String)> = sqlx::query_as(
        "DELETE FROM instructions WHERE defendant_id = $1 AND case_id = $2 \
         AND organisation_id = $3 RETURNING instructing_org, instructed_by, user_id",
    )
    .bind(defendant_id)
    .bind(case_id)
    .bind(&member.organisation_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((firm, instructed_by, advocate)) = removed else {
        return Ok(Err(Refused::NotInstructed));
    };
    record_event(
        &mut tx,
        defendant_id,
        case_id,
        &firm,
        &member.organisation_id,
        "returned",
        Some(&member.user.id),
        now,
    )
    .await?;
    let firm_name = organisation_name(&mut tx, &firm).await?;
    let chambers = organisation_name(&mut tx, &member.organisation_id).await?;
    let outbox = match active_recipient(&mut tx, &instructed_by).await? {
        Some(to) => {
            let mail = emails::instruction_returned(&state.mail, &to, &urn, &defendant, &chambers);
            Some(email::enqueue(&mut tx, &state.mail, &mail, now).await?)
        }
        None => None,
    };
    member
        .who()
        .audit(
            &mut tx,
            "case.counsel.returned",
            Some(format!("defendant:{defendant_id}")),
            json!({ "case": case_id, "urn": urn, "instructing_organisation": firm,
                    "advocate": advocate, "told": instructed_by, "email": outbox }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(firm_name))
}

/// Emails the advocate an instruction was given to (if still active) that it ended.
async fn tell_ended(
    tx: &mut AnyConnection,
    state: &AppState,
    advocate: &str,
    (urn, defendant, firm): (&str, &str, &str),
    why: Ended,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let Some(to) = active_recipient(tx, advocate).await? else {
        return Ok(None);
    };
    let mail = emails::counsel_ended(&state.mail, &to, urn, defendant, firm, why);
    Ok(Some(email::enqueue(tx, &state.mail, &mail, now).await?))
}

/// In the transaction that takes `firm` off record for the defendant: its instructions for
/// the defendant end with it (deleted, and each advocate told). `by_user` is who took the firm
/// off record, if a person did. What ended, for the audit.
pub async fn lapse(
    tx: &mut AnyConnection,
    state: &AppState,
    defendant_id: &str,
    firm: &str,
    by_user: Option<&str>,
    now: i64,
) -> Result<Vec<serde_json::Value>, sqlx::Error> {
    let ended: Vec<(String, String, String)> = sqlx::query_as(
        "DELETE FROM instructions WHERE defendant_id = $1 AND instructing_org = $2 \
         RETURNING organisation_id, user_id, case_id",
    )
    .bind(defendant_id)
    .bind(firm)
    .fetch_all(&mut *tx)
    .await?;
    if ended.is_empty() {
        return Ok(vec![]);
    }
    let about: Option<(String, String)> = sqlx::query_as(
        "SELECT c.urn, COALESCE(d.company_name, d.first_name || ' ' || d.last_name) \
         FROM defendants d JOIN cases c ON c.id = d.case_id WHERE d.id = $1",
    )
    .bind(defendant_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (urn, defendant) = about.unwrap_or_default();
    let firm_name = organisation_name(tx, firm).await?;
    let mut out = vec![];
    for (organisation, advocate, case_id) in ended {
        record_event(
            tx,
            defendant_id,
            &case_id,
            firm,
            &organisation,
            "lapsed",
            by_user,
            now,
        )
        .await?;
        let outbox = tell_ended(
            tx,
            state,
            &advocate,
            (&urn, &defendant, &firm_name),
            Ended::FirmOffRecord,
            now,
        )
        .await?;
        out.push(
            json!({ "counsel_organisation": organisation, "advocate": advocate,
                         "email": outbox }),
        );
    }
    Ok(out)
}
