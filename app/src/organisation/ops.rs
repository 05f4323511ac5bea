//! What administrators do to their organisation, each in one transaction: lock the
//! organisation, judge the change against a fresh snapshot ([`rules::apply`]), write it, audit it
//! (with what it was before), and queue any email — all committed together or not at all.

use super::{
    rules::{self, Change, Org, Refusal, Status},
    store,
};
use crate::{
    accounts::{
        Role, session,
        store::{self as users, NewUser, User, Who},
        throttle,
        token::lifetime,
    },
    email::{self, templates},
    state::AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

use crate::db::Tx;

/// What stops an operation: a rule, or the database.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The rules refuse it.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The email address belongs to an account in another organisation (or HMCTS).
    #[error("email taken")]
    EmailTaken,
    /// The database failed.
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// The result of an operation.
pub type OpResult<T> = Result<T, OpError>;

/// Someone acting on an organisation: the signed-in user and where from.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The user.
    pub user: User,
    /// Their address.
    pub ip: String,
}

impl Actor {
    fn who(&self) -> Who {
        Who::user(&self.user, &self.ip)
    }

    fn org(&self) -> Result<&str, Refusal> {
        self.user
            .organisation_id
            .as_deref()
            .ok_or(Refusal::NotAdministrator)
    }
}

/// Begins a transaction, locks the actor's organisation and judges `change`: the transaction
/// (to write the change in) and the organisation before and after.
async fn judge(state: &AppState, actor: &Actor, change: &Change, now: i64) -> OpResult<(Tx, Org)> {
    let (tx, before) = locked(state, actor.org()?, now)
        .await?
        .ok_or(Refusal::NotAdministrator)?;
    rules::apply(&before, &actor.user.id, change)?;
    Ok((tx, before))
}

/// Begins a transaction and locks the organisation: the transaction and a fresh snapshot, or
/// `None` if there is no such organisation.
async fn locked(state: &AppState, org_id: &str, now: i64) -> OpResult<Option<(Tx, Org)>> {
    let mut tx = state.db.begin().await?;
    if !store::lock(&mut tx, org_id, now).await? {
        return Ok(None);
    }
    let before = store::snapshot(&mut tx, org_id).await?;
    Ok(Some((tx, before)))
}

/// Makes a deregistered or locked user active; a deregistered user's 90 days start again.
/// Only from those statuses: anything else means the user changed since the change was judged.
async fn reactivate(tx: &mut AnyConnection, user_id: &str, now: i64) -> OpResult<()> {
    let n = sqlx::query(
        "UPDATE users SET status = 'active', deregistered_at = NULL, last_active_at = $1 \
         WHERE id = $2 AND status IN ('deregistered', 'locked')",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    changed_one(n)
}

/// A status change that was judged on a snapshot changed exactly its one row, or the user had
/// changed meanwhile.
fn changed_one(rows: u64) -> OpResult<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(Refusal::WrongStatus.into())
    }
}

async fn audit(
    tx: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    user_id: &str,
    details: serde_json::Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    actor
        .who()
        .audit(tx, action, Some(format!("user:{user_id}")), details, now)
        .await
}

/// Moves a user from the status the change was judged on to `to`; refused if it is not that
/// status any more.
async fn set_status(
    tx: &mut AnyConnection,
    user_id: &str,
    from: Status,
    to: Status,
) -> OpResult<()> {
    let n = sqlx::query("UPDATE users SET status = $1 WHERE id = $2 AND status = $3")
        .bind(to.code())
        .bind(user_id)
        .bind(from.code())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    changed_one(n)
}

/// Stops every way into the account: passkeys, the authenticator, unused links and sessions.
async fn revoke_factors(
    tx: &mut AnyConnection,
    user_id: &str,
    reason: &str,
    now: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let passkeys = sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let sessions = session::end_all(tx, user_id, None, reason, now).await?;
    crate::accounts::device::forget_all(tx, user_id).await?;
    Ok((passkeys, sessions))
}

async fn invite(
    state: &AppState,
    tx: &mut AnyConnection,
    org_id: &str,
    user_id: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query(
        "UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = 'activate' AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    let u = users::user_in(tx, user_id).await?;
    let token = users::issue_token(tx, user_id, "activate", now, lifetime::ACTIVATE_SECS).await?;
    let org = store::name(tx, org_id).await?;
    let mail = templates::activation(
        &state.mail,
        user_id,
        &u.email,
        &u.first_name,
        &org,
        &token,
        now + lifetime::ACTIVATE_SECS,
    );
    email::enqueue(tx, &state.mail, &mail, now).await
}

/// A user to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joiner {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email (lower case).
    pub email: String,
    /// Roles.
    pub roles: Vec<Role>,
}

/// Adds users (invited, each sent an activation link): all of them, or none. A removed user of
/// this organisation with the same email is invited again. Returns the users' ids.
pub async fn add_users(
    state: &AppState,
    actor: &Actor,
    joiners: &[Joiner],
    source: &str,
    now: i64,
) -> OpResult<Vec<String>> {
    let org_id = actor.org()?.to_owned();
    let mut tx = state.db.begin().await?;
    if !store::lock(&mut tx, &org_id, now).await? {
        return Err(Refusal::NotAdministrator.into());
    }
    let mut org = store::snapshot(&mut tx, &org_id).await?;
    let mut ids = vec![];
    for j in joiners {
        let existing: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT id, organisation_id FROM users WHERE email = $1")
                .bind(&j.email)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, change) = match existing {
            Some((id, Some(o))) if o == org_id => {
                let change = Change::Reinvite {
                    user: id.clone(),
                    roles: j.roles.clone(),
                };
                (id, change)
            }
            Some(_) => return Err(OpError::EmailTaken),
            None => {
                let id = users::insert_user(
                    &mut tx,
                    &NewUser {
                        organisation_id: Some(&org_id),
                        staff_role: None,
                        email: &j.email,
                        first_name: &j.first_name,
                        last_name: &j.last_name,
                        roles: &store::roles_code(&j.roles),
                        status: "invited",
                        password_hash: None,
                    },
                    now,
                )
                .await?;
                let change = Change::Add(rules::Member {
                    id: id.clone(),
                    roles: j.roles.clone(),
                    status: Status::Invited,
                });
                (id, change)
            }
        };
        org = rules::apply(&org, &actor.user.id, &change)?;
        if matches!(change, Change::Reinvite { .. }) {
            sqlx::query(
                "UPDATE users SET status = 'invited', roles = $1, first_name = $2, last_name = $3, \
                 password_hash = NULL, change_password = NULL, factor_reset_at = NULL, removed_at = NULL, \
                 deregistered_at = NULL, last_active_at = $4 WHERE id = $5",
            )
            .bind(store::roles_code(&j.roles))
            .bind(&j.first_name)
            .bind(&j.last_name)
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
        let outbox = invite(state, &mut tx, &org_id, &id, now).await?;
        audit(
            &mut tx,
            actor,
            "user.invited",
            &id,
            json!({
                "organisation_id": org_id,
                "roles": store::roles_code(&j.roles),
                "email": outbox,
                "source": source,
                "again": matches!(change, Change::Reinvite { .. }),
            }),
            now,
        )
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// Sends a new activation link to an invited user (the old one stops working).
pub async fn resend_invitation(
    state: &AppState,
    actor: &Actor,
    user_id: &str,
    now: i64,
) -> OpResult<()> {
    let change = Change::Resend {
        user: user_id.to_owned(),
    };
    let (mut tx, _) = judge(state, actor, &change, now).await?;
    let org_id = actor.org()?;
    let outbox = invite(state, &mut tx, org_id, user_id, now).await?;
    audit(
        &mut tx,
        actor,
        "user.invitation.resent",
        user_id,
        json!({ "email": outbox }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a user's roles.
pub async fn set_roles(
    state: &AppState,
    actor: &Actor,
    user_id: &str,
    roles: &[Role],
    now: i64,
) -> OpResult<()> {
    let change = Change::SetRoles {
        user: user_id.to_owned(),
        roles: roles.to_vec(),
    };
    let (mut tx, before) = judge(state, actor, &change, now).await?;
    let old = before
        .member(user_id)
        .map(|m| store::roles_code(&m.roles))
        .unwrap_or_default();
    let new = store::roles_code(&store::parse_roles(&store::roles_code(roles)));
    if old == new {
        return Ok(());
    }
    sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
        .bind(&new)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "user.roles.changed",
        user_id,
        json!({ "before": old, "after": new }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a user (or cancels an invitation): at once, their sessions end and their passkeys,
/// authenticator and links stop working. The row, its history and the audit trail remain.
pub async fn remove(state: &AppState, actor: &Actor, user_id: &str, now: i64) -> OpResult<()> {
    let change = Change::Remove {
        user: user_id.to_owned(),
    };
    let (mut tx, before) = judge(state, actor, &change, now).await?;
    let was = before.member(user_id).map(|m| m.status);
    set_status(
        &mut tx,
        user_id,
        was.ok_or(Refusal::NotMember)?,
        Status::Removed,
    )
    .await?;
    sqlx::query("UPDATE users SET removed_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if before.pending_accountable.as_deref() == Some(user_id) {
        sqlx::query(
            "UPDATE organisations SET accountable_pending_id = NULL, accountable_pending_at = NULL \
             WHERE id = $1",
        )
        .bind(actor.org()?)
        .execute(&mut *tx)
        .await?;
    }
    let (passkeys, sessions) = revoke_factors(&mut tx, user_id, "removed", now).await?;
    let action = if was == Some(Status::Invited) {
        "user.invitation.cancelled"
    } else {
        "user.removed"
    };
    audit(
        &mut tx,
        actor,
        action,
        user_id,
        json!({
            "before": was.map(Status::code),
            "sessions_ended": sessions,
            "passkeys_removed": passkeys,
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Reinstates a deregistered user: they can sign in again with their password and second
/// factor, and their 90 days start again. They are emailed.
pub async fn reinstate(state: &AppState, actor: &Actor, user_id: &str, now: i64) -> OpResult<()> {
    let change = Change::Reinstate {
        user: user_id.to_owned(),
    };
    let (mut tx, _) = judge(state, actor, &change, now).await?;
    reactivate(&mut tx, user_id, now).await?;
    let u = users::user_in(&mut tx, user_id).await?;
    let mail = templates::reinstated(&state.mail, &u.id, &u.email, &u.first_name);
    let outbox = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    audit(
        &mut tx,
        actor,
        "user.reinstated",
        user_id,
        json!({ "before": "deregistered", "email": outbox }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Unlocks a locked user. If they reported their details as disclosed, they still change
/// their password at their next sign-in.
pub async fn unlock(state: &AppState, actor: &Actor, user_id: &str, now: i64) -> OpResult<()> {
    let change = Change::Unlock {
        user: user_id.to_owned(),
    };
    let (mut tx, _) = judge(state, actor, &change, now).await?;
    set_status(&mut tx, user_id, Status::Locked, Status::Active).await?;
    let u = users::user_in(&mut tx, user_id).await?;
    throttle::forget_account(&mut tx, &u.email, &u.id).await?;
    audit(
        &mut tx,
        actor,
        "user.unlocked",
        user_id,
        json!({ "before": "locked" }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// HMCTS onboarding restores an administrator of an organisation that has no active one
/// ([`rules::restore`]), so it can manage itself again: the user is active (a deregistered
/// user's 90 days restart; a locked user still changes their password at their next sign-in,
/// as after an unlock), their failed-attempt counts are cleared, and they are emailed.
pub async fn restore_administrator(
    state: &AppState,
    hmcts: &Actor,
    user_id: &str,
    now: i64,
) -> OpResult<()> {
    if !hmcts.user.is_onboarding() {
        return Err(Refusal::NotAdministrator.into());
    }
    // A user never changes organisation, so theirs is read before it is locked.
    let Some(org_id) = users::user_by_id(&state.db, user_id)
        .await?
        .and_then(|u| u.organisation_id)
    else {
        return Err(Refusal::NotMember.into());
    };
    let (mut tx, before) = locked(state, &org_id, now)
        .await?
        .ok_or(Refusal::NotMember)?;
    rules::restore(&before, user_id)?;
    let was = before
        .member(user_id)
        .map_or("", |m| m.status.code())
        .to_owned();
    reactivate(&mut tx, user_id, now).await?;
    let u = users::user_in(&mut tx, user_id).await?;
    throttle::forget_account(&mut tx, &u.email, &u.id).await?;
    let mail = templates::restored(
        &state.mail,
        &u.id,
        &u.email,
        &u.first_name,
        u.change_password.is_some(),
    );
    let outbox = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    Who {
        organisation_id: Some(org_id),
        ..hmcts.who()
    }
    .audit(
        &mut tx,
        "user.restored",
        Some(format!("user:{user_id}")),
        json!({ "before": was, "by": "hmcts", "email": outbox }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Resets a user's second factors: passkeys and authenticator removed, sessions ended. They are
/// emailed a link with which (and their password) they set one up again.
pub async fn reset_factors(
    state: &AppState,
    actor: &Actor,
    user_id: &str,
    now: i64,
) -> OpResult<()> {
    let change = Change::ResetFactors {
        user: user_id.to_owned(),
    };
    let (mut tx, _) = judge(state, actor, &change, now).await?;
    let (passkeys, sessions) = revoke_factors(&mut tx, user_id, "factor_reset", now).await?;
    sqlx::query("UPDATE users SET factor_reset_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let u = users::user_in(&mut tx, user_id).await?;
    let outbox = crate::accounts::enrol::send_link(&mut tx, &state.mail, &u, now).await?;
    audit(
        &mut tx,
        actor,
        "user.second_factor.reset",
        user_id,
        json!({ "passkeys_removed": passkeys, "sessions_ended": sessions, "email": outbox }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends all of a user's sessions. Returns how many were open.
pub async fn end_sessions(
    state: &AppState,
    actor: &Actor,
    user_id: &str,
    now: i64,
) -> OpResult<u64> {
    let change = Change::EndSessions {
        user: user_id.to_owned(),
    };
    let (mut tx, _) = judge(state, actor, &change, now).await?;
    let n = session::end_all(&mut tx, user_id, None, "ended_by_administrator", now).await?;
    audit(
        &mut tx,
        actor,
        "user.sessions.ended",
        user_id,
        json!({ "sessions_ended": n }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Names a new accountable person, who is emailed and must confirm.
pub async fn nominate(state: &AppState, actor: &Actor, user_id: &str, now: i64) -> OpResult<()> {
    let change = Change::NominateAccountable {
        user: user_id.to_owned(),
    };
    let (mut tx, before) = judge(state, actor, &change, now).await?;
    let org_id = actor.org()?.to_owned();
    sqlx::query(
        "UPDATE organisations SET accountable_pending_id = $1, accountable_pending_at = $2 WHERE id = $3",
    )
    .bind(user_id)
    .bind(now)
    .bind(&org_id)
    .execute(&mut *tx)
    .await?;
    let u = users::user_in(&mut tx, user_id).await?;
    let org = store::name(&mut tx, &org_id).await?;
    let mail = templates::accountable_nominated(&state.mail, &u.id, &u.email, &u.first_name, &org);
    let outbox = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    audit(
        &mut tx,
        actor,
        "organisation.accountable.nominated",
        user_id,
        json!({ "current": before.accountable, "replacing": before.pending_accountable, "email": outbox }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws a transfer of the accountable person that has not been confirmed.
pub async fn withdraw_nomination(state: &AppState, actor: &Actor, now: i64) -> OpResult<()> {
    let (mut tx, before) = judge(state, actor, &Change::WithdrawNomination, now).await?;
    sqlx::query(
        "UPDATE organisations SET accountable_pending_id = NULL, accountable_pending_at = NULL WHERE id = $1",
    )
    .bind(actor.org()?)
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        "organisation.accountable.withdrawn",
        before.pending_accountable.as_deref().unwrap_or(""),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The nominee confirms they are the accountable person, giving a phone number.
pub async fn confirm_accountable(
    state: &AppState,
    actor: &Actor,
    phone: &str,
    now: i64,
) -> OpResult<()> {
    let change = Change::ConfirmAccountable {
        user: actor.user.id.clone(),
    };
    let (mut tx, _) = judge(state, actor, &change, now).await?;
    let org_id = actor.org()?.to_owned();
    let before = store::details(&mut tx, &org_id)
        .await?
        .ok_or(Refusal::NotMember)?;
    sqlx::query(
        "UPDATE organisations SET accountable_user_id = $1, accountable_name = $2, \
         accountable_email = $3, accountable_phone = $4, accountable_pending_id = NULL, \
         accountable_pending_at = NULL WHERE id = $5",
    )
    .bind(&actor.user.id)
    .bind(actor.user.full_name())
    .bind(&actor.user.email)
    .bind(phone)
    .bind(&org_id)
    .execute(&mut *tx)
    .await?;
    actor
        .who()
        .audit(
            &mut tx,
            "organisation.accountable.transferred",
            Some(format!("organisation:{org_id}")),
            json!({
                "before": { "user": before.accountable_user_id, "name": before.accountable_name,
                            "email": before.accountable_email, "phone": before.accountable_phone },
                "after": { "user": actor.user.id, "name": actor.user.full_name(),
                           "email": actor.user.email, "phone": phone },
            }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The details an administrator can change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changeable {
    /// Address lines.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// LAA account number.
    pub laa_account: Option<String>,
    /// SRA number.
    pub sra_number: Option<String>,
    /// Bar number.
    pub bar_number: Option<String>,
    /// The accountable person's phone.
    pub accountable_phone: String,
}

/// Changes the organisation's details, auditing each changed field before and after. Returns
/// the names of the fields that changed.
pub async fn update_details(
    state: &AppState,
    actor: &Actor,
    new: &Changeable,
    now: i64,
) -> OpResult<Vec<&'static str>> {
    let (mut tx, _) = judge(state, actor, &Change::Organisation, now).await?;
    let org_id = actor.org()?.to_owned();
    let old = store::details(&mut tx, &org_id)
        .await?
        .ok_or(Refusal::NotMember)?;
    let pairs: [(&'static str, Option<&str>, Option<&str>); 6] = [
        ("address", Some(&old.address), Some(&new.address)),
        ("postcode", Some(&old.postcode), Some(&new.postcode)),
        (
            "laa_account",
            old.laa_account.as_deref(),
            new.laa_account.as_deref(),
        ),
        (
            "sra_number",
            old.sra_number.as_deref(),
            new.sra_number.as_deref(),
        ),
        (
            "bar_number",
            old.bar_number.as_deref(),
            new.bar_number.as_deref(),
        ),
        (
            "accountable_phone",
            Some(&old.accountable_phone),
            Some(&new.accountable_phone),
        ),
    ];
    let changed: Vec<_> = pairs.iter().filter(|(_, a, b)| a != b).collect();
    if changed.is_empty() {
        return Ok(vec![]);
    }
    sqlx::query(
        "UPDATE organisations SET address = $1, postcode = $2, laa_account = $3, sra_number = $4, \
         bar_number = $5, accountable_phone = $6 WHERE id = $7",
    )
    .bind(&new.address)
    .bind(&new.postcode)
    .bind(new.laa_account.as_deref())
    .bind(new.sra_number.as_deref())
    .bind(new.bar_number.as_deref())
    .bind(&new.accountable_phone)
    .bind(&org_id)
    .execute(&mut *tx)
    .await?;
    let before: serde_json::Map<_, _> = changed
        .iter()
        .map(|(k, a, _)| ((*k).to_owned(), json!(a)))
        .collect();
    let after: serde_json::Map<_, _> = changed
        .iter()
        .map(|(k, _, b)| ((*k).to_owned(), json!(b)))
        .collect();
    actor
        .who()
        .audit(
            &mut tx,
            "organisation.details.changed",
            Some(format!("organisation:{org_id}")),
            json!({ "before": before, "after": after }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(changed.iter().map(|(k, _, _)| *k).collect())
}

/// A request to HMCTS onboarding about the organisation closing or merging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `close` or `merge`.
    pub kind: String,
    /// From when (YYYY-MM-DD).
    pub effective_on: String,
    /// The organisation it merges with.
    pub merge_with: Option<String>,
    /// Anything else HMCTS should know.
    pub details: String,
}

/// Sends a closing or merging request to HMCTS onboarding (every onboarding officer is
/// emailed) and records it. Returns the request's id.
pub async fn tell_hmcts(
    state: &AppState,
    actor: &Actor,
    req: &Request,
    now: i64,
) -> OpResult<String> {
    let (mut tx, _) = judge(state, actor, &Change::Organisation, now).await?;
    let org_id = actor.org()?.to_owned();
    let org = store::name(&mut tx, &org_id).await?;
    let id = crate::accounts::token::new_id();
    let mut outbox = vec![];
    for to in users::hmcts_recipients(&mut tx, &state.mail).await? {
        let mail = templates::organisation_request(
            &state.mail,
            &to,
            &org,
            &actor.user.full_name(),
            &actor.user.email,
            req,
        );
        outbox.push(email::enqueue(&mut tx, &state.mail, &mail, now).await?);
    }
    sqlx::query(
        "INSERT INTO organisation_requests (id, organisation_id, kind, effective_on, merge_with, \
         details, requested_by, created_at, outbox_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&org_id)
    .bind(&req.kind)
    .bind(&req.effective_on)
    .bind(req.merge_with.as_deref())
    .bind(&req.details)
    .bind(&actor.user.id)
    .bind(now)
    .bind(outbox.first().map_or("", String::as_str))
    .execute(&mut *tx)
    .await?;
    actor
        .who()
        .audit(
            &mut tx,
            "organisation.request.sent",
            Some(format!("organisation:{org_id}")),
            json!({ "request": id, "kind": req.kind, "effective_on": req.effective_on,
                    "merge_with": req.merge_with, "emails": outbox }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}
