//! HMCTS onboarding: the queue of registrations, and approving (creating the organisation and
//! its users, each sent an activation link) or rejecting with a reason.

use crate::accounts::{
    register::Registration,
    store::{self, NewUser, Who},
    token::lifetime,
};
use crate::web::{Ctx, Current, Outcome, Stage};
use crate::{
    db::Db,
    email::{self, templates},
    error::AppError,
    forms::field,
    i18n::Msg,
    state::AppState,
};

/// A registration in the queue.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Queued {
    /// Id.
    pub id: String,
    /// pending, approved, rejected.
    pub status: String,
    /// web or csv.
    pub source: String,
    /// The organisation's name.
    pub organisation: String,
    /// The registration as JSON.
    pub data: String,
    /// Submitted.
    pub submitted_at: i64,
    /// Why it was rejected.
    pub reason: Option<String>,
}

impl Queued {
    /// The registration itself.
    pub fn registration(&self) -> Option<Registration> {
        serde_json::from_str(&self.data).ok()
    }
}

const COLUMNS: &str = "id, status, source, organisation, data, submitted_at, reason";

/// Pending registrations, oldest first.
pub async fn pending(db: &Db) -> Result<Vec<Queued>, sqlx::Error> {
    sqlx::query_as::<_, Queued>(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE status = 'pending' ORDER BY submitted_at, id"
    ))
    .fetch_all(&db.pool)
    .await
}

/// One registration.
pub async fn get(db: &Db, id: &str) -> Result<Option<Queued>, sqlx::Error> {
    sqlx::query_as::<_, Queued>(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Why an approval could not be made.
#[derive(Debug)]
pub enum ApproveError {
    /// Someone decided it already.
    AlreadyDecided,
    /// A user's email belongs to an existing account.
    EmailTaken(String),
    /// The database failed.
    Db(sqlx::Error),
}

impl From<sqlx::Error> for ApproveError {
    fn from(e: sqlx::Error) -> Self {
        ApproveError::Db(e)
    }
}

/// Approves a registration: creates the organisation and its users (invited), and queues each
/// user's activation email, all in one transaction. Returns the organisation id.
pub async fn approve(
    state: &AppState,
    id: &str,
    who: &Who,
    now: i64,
) -> Result<String, ApproveError> {
    let mut tx = state.db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE registrations SET status = 'approved', decided_at = $1, decided_by = $2 \
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(now)
    .bind(&who.actor)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(ApproveError::AlreadyDecided);
    }
    let (data,): (String,) = sqlx::query_as("SELECT data FROM registrations WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let reg: Registration = serde_json::from_str(&data)
        .map_err(|e| ApproveError::Db(sqlx::Error::Decode(Box::new(e))))?;
    for u in &reg.users {
        let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
            .bind(&u.email)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(ApproveError::EmailTaken(u.email.clone()));
        }
    }
    let org_id = crate::accounts::token::new_id();
    sqlx::query(
        "INSERT INTO organisations (id, name, address, postcode, laa_account, sra_number, bar_number, \
         accountable_name, accountable_email, accountable_phone, terms_version, terms_signed_name, \
         terms_signed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&org_id)
    .bind(&reg.organisation)
    .bind(&reg.address)
    .bind(&reg.postcode)
    .bind(reg.laa_account.as_deref())
    .bind(reg.sra_number.as_deref())
    .bind(reg.bar_number.as_deref())
    .bind(&reg.accountable_name)
    .bind(&reg.accountable_email)
    .bind(&reg.accountable_phone)
    .bind(&reg.terms_version)
    .bind(&reg.terms_signed_name)
    .bind(reg.terms_signed_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE registrations SET organisation_id = $1 WHERE id = $2")
        .bind(&org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let expires = now + lifetime::ACTIVATE_SECS;
    for u in &reg.users {
        let roles = u
            .roles
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(",");
        let user_id = store::insert_user(
            &mut tx,
            &NewUser {
                organisation_id: Some(&org_id),
                staff_role: None,
                email: &u.email,
                first_name: &u.first_name,
                last_name: &u.last_name,
                roles: &roles,
                status: "invited",
                password_hash: None,
            },
            now,
        )
        .await?;
        let token =
            store::issue_token(&mut tx, &user_id, "activate", now, lifetime::ACTIVATE_SECS).await?;
        let mail = templates::activation(
            &state.mail,
            &user_id,
            &u.email,
            &u.first_name,
            &reg.organisation,
            &token,
            expires,
        );
        let outbox_id = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
        who.audit(
            &mut tx,
            "user.invited",
            Some(format!("user:{user_id}")),
            serde_json::json!({ "organisation_id": org_id, "roles": roles, "email": outbox_id }),
            now,
        )
        .await?;
    }
    crate::organisation::store::link_accountable(&mut tx, &org_id).await?;
    who.audit(
        &mut tx,
        "registration.approved",
        Some(format!("registration:{id}")),
        serde_json::json!({ "organisation_id": org_id, "users": reg.users.len() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(org_id)
}

/// Rejects a registration with a reason, emailed to the accountable person.
pub async fn reject(
    state: &AppState,
    id: &str,
    reason: &str,
    who: &Who,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE registrations SET status = 'rejected', decided_at = $1, decided_by = $2, reason = $3 \
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(now)
    .bind(&who.actor)
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Ok(false);
    }
    let (data,): (String,) = sqlx::query_as("SELECT data FROM registrations WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if let Ok(reg) = serde_json::from_str::<Registration>(&data) {
        let mail = templates::registration_rejected(
            &state.mail,
            &reg.accountable_email,
            &reg.accountable_name,
            &reg.organisation,
            reason,
        );
        email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    }
    who.audit(
        &mut tx,
        "registration.rejected",
        Some(format!("registration:{id}")),
        serde_json::json!({ "reason": reason }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The onboarding officer posting a form: a fully signed-in member of HMCTS onboarding, or
/// "not found" for anyone else (the gate already refuses them; this checks again).
pub(crate) fn officer(ctx: &Ctx) -> Result<Current, AppError> {
    ctx.session
        .clone()
        .filter(|s| s.stage == Stage::Full && s.user.is_onboarding())
        .ok_or(AppError::NotFound)
}

/// The decision form on a registration's page.
pub async fn decide(ctx: Ctx) -> Result<Outcome, AppError> {
    let s = officer(&ctx)?;
    let lang = ctx.lang;
    let id = ctx.get("id").to_owned();
    let who = Who::user(&s.user, &ctx.ip);
    let now = ctx.state.clock.now_unix();
    match ctx.get("decision") {
        "approve" => match approve(&ctx.state, &id, &who, now).await {
            Ok(_) => Ok(Outcome::Redirect {
                to: "/onboarding?approved=1".into(),
                cookies: vec![],
            }),
            Err(ApproveError::AlreadyDecided) => Ok(Outcome::Redirect {
                to: "/onboarding".into(),
                cookies: vec![],
            }),
            Err(ApproveError::EmailTaken(email)) => Ok(ctx.again(vec![crate::error::FieldError {
                field: "decision".into(),
                message: lang.tf(Msg::OnboardingEmailTaken, &[("email", &email)]),
            }])),
            Err(ApproveError::Db(e)) => Err(AppError::internal(e)),
        },
        "reject" => {
            let reason = ctx.get("reason").trim().to_owned();
            if reason.is_empty() {
                return Ok(ctx.again(vec![field("reason", lang, Msg::OnboardingReasonMissing)]));
            }
            reject(&ctx.state, &id, &reason, &who, now)
                .await
                .map_err(AppError::internal)?;
            Ok(Outcome::Redirect {
                to: "/onboarding?rejected=1".into(),
                cookies: vec![],
            })
        }
        _ => Ok(ctx.again(vec![field(
            "decision",
            lang,
            Msg::OnboardingDecisionMissing,
        )])),
    }
}

/// A post to `/onboarding`: restore an administrator of an organisation that has no active one
/// ([`crate::organisation::ops::restore_administrator`]).
pub async fn restore(ctx: Ctx) -> Result<Outcome, AppError> {
    use crate::organisation::{
        ops::{self, Actor, OpError},
        rules::Refusal,
    };
    let s = officer(&ctx)?;
    let actor = Actor {
        user: s.user,
        ip: ctx.ip.clone(),
    };
    let now = ctx.state.clock.now_unix();
    let msg = match ops::restore_administrator(&ctx.state, &actor, ctx.get("restore"), now).await {
        Ok(()) => {
            return Ok(Outcome::Redirect {
                to: "/onboarding?restored=1".into(),
                cookies: vec![],
            });
        }
        Err(OpError::Refused(Refusal::HasAdministrator)) => Msg::RestoreRefusedHasAdmin,
        Err(OpError::Refused(_) | OpError::EmailTaken) => Msg::RestoreRefusedNotMember,
        Err(OpError::Db(e)) => return Err(AppError::internal(e)),
    };
    Ok(ctx.again_notice(ctx.lang.t(msg).to_owned()))
}
