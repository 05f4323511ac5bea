//! The JSON endpoints the passkey button calls (the only part of accounts that needs
//! JavaScript: the browser's WebAuthn API has no form equivalent).
//!
//! - `POST /passkeys/register/options`, `POST /passkeys/register`: during activation (after the
//!   password) or when signed in.
//! - `POST /passkeys/sign-in/options`, `POST /passkeys/sign-in`: with no session, any passkey
//!   (it verified the user, so it is the whole sign-in); after a password, one of the account's
//!   own passkeys as the second factor.

use super::{
    actions::{Ctx, Outcome, finish_second_factor},
    passkey::{self, PasskeyError},
    session::{self, Stage},
    store::Who,
    throttle,
};
use crate::{
    error::AppError,
    i18n::{Lang, Msg},
};
use serde_json::{Value, json};

/// The endpoints.
pub const PATHS: &[&str] = &[
    "/passkeys/register/options",
    "/passkeys/register",
    "/passkeys/sign-in/options",
    "/passkeys/sign-in",
];

/// An answer: HTTP status, JSON body, perhaps a new session cookie.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Value,
    /// `Set-Cookie` values.
    pub cookies: Vec<String>,
}

fn ok(body: Value) -> Reply {
    Reply {
        status: 200,
        body,
        cookies: vec![],
    }
}

fn problem(status: u16, lang: Lang, msg: Msg) -> Reply {
    Reply {
        status,
        body: json!({ "error": lang.t(msg) }),
        cookies: vec![],
    }
}

fn go(to: &str, cookies: Vec<String>) -> Reply {
    Reply {
        status: 200,
        body: json!({ "redirect": to }),
        cookies,
    }
}

fn from_outcome(o: Outcome) -> Reply {
    match o {
        Outcome::Redirect { to, cookies } => go(&to, cookies),
        Outcome::Render(_) => go("/sign-in", vec![]),
    }
}

fn db_err(e: sqlx::Error) -> AppError {
    AppError::internal(e)
}

fn explain(lang: Lang, e: &PasskeyError) -> Reply {
    match e {
        PasskeyError::StateGone => problem(409, lang, Msg::PasskeyTimedOut),
        PasskeyError::AlreadyRegistered => problem(409, lang, Msg::PasskeyAlreadyRegistered),
        PasskeyError::TooMany => problem(409, lang, Msg::PasskeyTooMany),
        PasskeyError::Unknown | PasskeyError::Rejected(_) => {
            problem(400, lang, Msg::PasskeyNotAccepted)
        }
        PasskeyError::Unavailable(_) | PasskeyError::Db(_) => {
            problem(503, lang, Msg::PasskeyUnavailable)
        }
    }
}

/// Handles one call; `body` is the request's JSON.
pub async fn handle(path: &str, ctx: Ctx, body: Value) -> Result<Reply, AppError> {
    let lang = ctx.lang;
    let rp = match passkey::relying_party(&ctx.state.mail.public_url) {
        Ok(rp) => rp,
        Err(e) => {
            tracing::warn!(error = %e, "passkeys unavailable");
            return Ok(problem(503, lang, Msg::PasskeyUnavailable));
        }
    };
    let db = &ctx.state.db;
    let now = ctx.state.clock.now_unix();
    let state_id = body["state"].as_str().unwrap_or_default().to_owned();
    let credential = body["credential"].clone();
    match path {
        "/passkeys/register/options" | "/passkeys/register" => {
            // Activation (the password chosen first) or a signed-in user.
            let Some(s) = ctx.session.clone().filter(|s| {
                s.stage == Stage::Full
                    || (s.stage == Stage::Setup
                        && matches!(s.purpose.as_str(), "activate" | "enrol")
                        && s.user.password_hash.is_some())
            }) else {
                return Ok(problem(403, lang, Msg::PasskeySignInFirst));
            };
            // Adding a passkey to a signed-in account needs the password confirmed first.
            if s.stage == Stage::Full && !s.recently_confirmed(now) {
                return Ok(problem(403, lang, Msg::SignInMethodsConfirmFirst));
            }
            if path.ends_with("/options") {
                return Ok(
                    match passkey::start_registration(&rp, db, &s.user, now).await {
                        Ok((state, options)) => ok(json!({ "state": state, "options": options })),
                        Err(e) => explain(lang, &e),
                    },
                );
            }
            let name = super::validate::tidy(body["name"].as_str().unwrap_or_default());
            let name = if name.is_empty() {
                lang.t(Msg::PasskeyDefaultName).to_owned()
            } else {
                name.chars().take(60).collect()
            };
            let mut tx = db.begin().await.map_err(db_err)?;
            let id = match passkey::finish_registration(
                &rp,
                &mut tx,
                &s.user,
                &state_id,
                &name,
                &credential,
                now,
            )
            .await
            {
                Ok(id) => id,
                Err(e) => {
                    drop(tx);
                    return Ok(explain(lang, &e));
                }
            };
            let who = Who::user(&s.user, &ctx.ip);
            let target = Some(format!("user:{}", s.user.id));
            who.audit(
                &mut tx,
                "account.passkey.added",
                target.clone(),
                json!({ "credential": id, "name": name }),
                now,
            )
            .await
            .map_err(db_err)?;
            let reply = if s.stage == Stage::Setup {
                // As for the authenticator: under the organisation's lock, only from invited
                // or active, so a removal that committed first is never undone.
                super::store::lock_organisation_of(&mut tx, &s.user.id, now)
                    .await
                    .map_err(db_err)?;
                let changed = sqlx::query(
                    "UPDATE users SET status = 'active', last_active_at = $1, last_sign_in_at = $1, \
                     factor_reset_at = NULL WHERE id = $2 AND status IN ('invited', 'active')",
                )
                .bind(now)
                .bind(&s.user.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if changed == 0 {
                    drop(tx);
                    return Ok(go("/sign-in", vec![session::clear_cookie()]));
                }
                if s.user.status == "invited" {
                    who.audit(&mut tx, "account.activated", target.clone(), json!({}), now)
                        .await
                        .map_err(db_err)?;
                }
                let token = session::rotate_ending_others(
                    &mut tx,
                    &s.user.id,
                    &s.id_hash,
                    "factor_changed",
                    now,
                )
                .await
                .map_err(db_err)?;
                who.audit(
                    &mut tx,
                    "auth.sign_in",
                    target,
                    json!({ "via": "activation", "factor": "passkey" }),
                    now,
                )
                .await
                .map_err(db_err)?;
                go("/account/set-up/done", vec![session::set_cookie(&token)])
            } else {
                go("/account?passkey=added", vec![])
            };
            tx.commit().await.map_err(db_err)?;
            Ok(reply)
        }
        "/passkeys/sign-in/options" | "/passkeys/sign-in" => {
            let second = ctx
                .session
                .clone()
                .filter(|s| s.stage == Stage::SecondFactor);
            let user = second.as_ref().map(|s| &s.user);
            let keys = [throttle::ip_key(&ctx.ip)];
            let too_many = |wait| Reply {
                status: 429,
                body: json!({ "error": super::actions::wait_message(lang, wait) }),
                cookies: vec![],
            };
            if path.ends_with("/options") {
                // Asking for a challenge is no guess: refused while blocked, never counted.
                if let Some(wait) = throttle::blocked(db, &keys[0], now).await.map_err(db_err)? {
                    return Ok(too_many(wait));
                }
                return Ok(match passkey::start_sign_in(&rp, db, user, now).await {
                    Ok((state, options)) => ok(json!({ "state": state, "options": options })),
                    Err(e) => explain(lang, &e),
                });
            }
            if let Err(wait) = throttle::attempt(db, &keys, now).await.map_err(db_err)? {
                return Ok(too_many(wait));
            }
            let mut tx = db.begin().await.map_err(db_err)?;
            let owner = match passkey::finish_sign_in(
                &rp,
                &mut tx,
                user,
                &state_id,
                &credential,
                now,
            )
            .await
            {
                Ok(u) => u,
                Err(e) => {
                    // The state is gone either way: keep its deletion.
                    tx.commit().await.map_err(db_err)?;
                    crate::metrics::metrics().sign_in_failed("passkey");
                    Who::anonymous(&ctx.ip)
                        .audit_alone(
                            db,
                            "auth.passkey.failed",
                            None,
                            json!({ "reason": e.to_string() }),
                            now,
                        )
                        .await
                        .map_err(db_err)?;
                    return Ok(explain(lang, &e));
                }
            };
            throttle::refund_in(&mut tx, &keys[0])
                .await
                .map_err(db_err)?;
            let who = Who::user(&owner, &ctx.ip);
            if let Some(s) = &second {
                let next = finish_second_factor(
                    &mut tx,
                    s,
                    &who,
                    "passkey",
                    super::device::token(&ctx),
                    now,
                )
                .await?;
                tx.commit().await.map_err(db_err)?;
                return Ok(from_outcome(next));
            }
            if owner.status != "active" {
                who.audit(
                    &mut tx,
                    "auth.sign_in.refused",
                    Some(format!("user:{}", owner.id)),
                    json!({ "status": owner.status, "factor": "passkey" }),
                    now,
                )
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                let msg = match owner.status.as_str() {
                    "deregistered" => Msg::SignInDeregistered,
                    "invited" => Msg::SignInNotActivated,
                    "removed" => Msg::SignInRemoved,
                    _ => Msg::SignInLocked,
                };
                return Ok(problem(403, lang, msg));
            }
            // The passkey verified the user: it is the whole sign-in.
            let token = session::create(
                &mut tx,
                &owner.id,
                Stage::Full,
                "sign_in",
                &ctx.ip,
                &ctx.user_agent,
                now,
            )
            .await
            .map_err(db_err)?;
            sqlx::query("UPDATE users SET last_active_at = $1, last_sign_in_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&owner.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            who.audit(
                &mut tx,
                "auth.sign_in",
                Some(format!("user:{}", owner.id)),
                json!({ "factor": "passkey" }),
                now,
            )
            .await
            .map_err(db_err)?;
            let device =
                super::device::remember(&mut tx, super::device::token(&ctx), &owner.id, now)
                    .await
                    .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            Ok(go(
                crate::web::home(&owner),
                vec![session::set_cookie(&token), device],
            ))
        }
        _ => Err(AppError::NotFound),
    }
}
