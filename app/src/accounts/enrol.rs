//! Setting up a new second factor after an administrator reset them. The password alone is not
//! enough (it may be exactly what someone else knows): the user opens a fresh emailed link
//! (`/enrol?token=…`, one use, 3 days) and types their password on that page, and only then gets
//! the set-up session. Signing in with the password while a reset is waiting emails a new link
//! (at most one every 15 minutes) instead.

use super::{
    actions::{Ctx, Outcome, redirect_with},
    password,
    session::{self, Stage},
    store::{self, User, Who},
    throttle,
    token::{LinkProblem, check_link, lifetime},
};
use crate::{
    email::{self, MailSettings, templates},
    error::AppError,
    forms::{ErrorSummary, Hidden, TextInput, field, form_title},
    i18n::{Msg, use_lang},
};
use leptos::prelude::*;
use sqlx::AnyConnection;

/// The link's purpose in `user_tokens`.
pub const PURPOSE: &str = "enrol";
/// A new link is sent on sign-in only if the last was sent longer ago than this.
pub const RESEND_AFTER_SECS: i64 = 15 * 60;

fn db_err(e: sqlx::Error) -> AppError {
    AppError::internal(e)
}

/// Issues a new enrolment link for `user` (earlier unused ones stop working) and queues the
/// email that carries it; returns the outbox id.
pub async fn send_link(
    conn: &mut AnyConnection,
    mail: &MailSettings,
    user: &User,
    now: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query(
        "UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(&user.id)
    .bind(PURPOSE)
    .execute(&mut *conn)
    .await?;
    let token = store::issue_token(conn, &user.id, PURPOSE, now, lifetime::ENROL_SECS).await?;
    let message = templates::factor_reset(
        mail,
        &user.id,
        &user.email,
        &user.first_name,
        &token,
        now + lifetime::ENROL_SECS,
    );
    email::enqueue(conn, mail, &message, now).await
}

/// At sign-in, the password was right but the factors were reset: no session; a new link if
/// none was sent in the last 15 minutes; the page says to use the email.
pub async fn refuse_sign_in(ctx: &Ctx, user: &User, now: i64) -> Result<Outcome, AppError> {
    let mut tx = ctx.state.db.begin().await.map_err(db_err)?;
    // The user's row is locked first (an UPDATE that changes nothing), so two sign-ins at once
    // queue here and the second counts the first's link: one email, never two. (SQLite's
    // write transaction already holds the lock from its start.)
    sqlx::query("UPDATE users SET factor_reset_at = factor_reset_at WHERE id = $1")
        .bind(&user.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let (recent,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM user_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3",
    )
    .bind(&user.id)
    .bind(PURPOSE)
    .bind(now - RESEND_AFTER_SECS)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    let outbox = if recent == 0 {
        Some(
            send_link(&mut tx, &ctx.state.mail, user, now)
                .await
                .map_err(db_err)?,
        )
    } else {
        None
    };
    Who::user(user, &ctx.ip)
        .audit(
            &mut tx,
            "auth.sign_in.refused",
            Some(format!("user:{}", user.id)),
            serde_json::json!({ "reason": "factor_reset", "email": outbox }),
            now,
        )
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(ctx.again_notice(ctx.lang.t(Msg::SignInFactorReset).to_owned()))
}

/// `POST /enrol`: the link and the password; then the set-up session.
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    let lang = ctx.lang;
    let db = &ctx.state.db;
    let now = ctx.state.clock.now_unix();
    let link = ctx.get("token").to_owned();
    let Some(row) = store::find_token(db, &link, PURPOSE)
        .await
        .map_err(db_err)?
        .filter(|r| check_link(r.expires_at, r.used_at, now).is_ok())
    else {
        // The page explains why from the token.
        return Ok(ctx.again(vec![]));
    };
    let pw = ctx.get("password").to_owned();
    if pw.is_empty() {
        return Ok(ctx.again(vec![field("password", lang, Msg::SignInPasswordMissing)]));
    }
    let keys = [throttle::reauth_key(&row.user_id)];
    if let Err(wait) = throttle::attempt(db, &keys, now).await.map_err(db_err)? {
        return Ok(ctx.again_notice(super::actions::wait_message(lang, wait)));
    }
    let Some(user) = store::user_by_id(db, &row.user_id).await.map_err(db_err)? else {
        return Ok(ctx.again(vec![]));
    };
    let ok = password::verify(pw, user.password_hash.clone())
        .await
        .map_err(AppError::internal)?;
    let who = Who::user(&user, &ctx.ip);
    let target = Some(format!("user:{}", user.id));
    if !ok {
        who.audit_alone(
            db,
            "account.enrolment.failed",
            target,
            serde_json::json!({}),
            now,
        )
        .await
        .map_err(db_err)?;
        return Ok(ctx.again(vec![field("password", lang, Msg::ConfirmPasswordWrong)]));
    }
    throttle::clear(db, &keys[0]).await.map_err(db_err)?;
    let mut tx = db.begin().await.map_err(db_err)?;
    // Exactly one POST uses the link; the account must still be active and waiting.
    let used = store::consume_token(&mut tx, &link, PURPOSE, now)
        .await
        .map_err(db_err)?;
    if used.as_deref() != Some(user.id.as_str())
        || user.status != "active"
        || user.factor_reset_at.is_none()
    {
        drop(tx);
        return Ok(ctx.again(vec![]));
    }
    let token = session::create(
        &mut tx,
        &user.id,
        Stage::Setup,
        PURPOSE,
        &ctx.ip,
        &ctx.user_agent,
        now,
    )
    .await
    .map_err(db_err)?;
    who.audit(
        &mut tx,
        "account.enrolment.started",
        target,
        serde_json::json!({}),
        now,
    )
    .await
    .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect_with(
        "/account/set-up/authenticator",
        session::set_cookie(&token),
    ))
}

/// The page the link opens: whether it can be used, and the password.
#[component]
pub fn EnrolPage() -> impl IntoView {
    let lang = use_lang();
    // From the link, or from the form posted back with a problem.
    let token = match super::pages::query("token") {
        t if t.is_empty() => crate::forms::use_posted()
            .value("token")
            .unwrap_or_default()
            .to_owned(),
        t => t,
    };
    let check = {
        let token = token.clone();
        async move {
            let state = super::pages::state()?;
            let now = state.clock.now_unix();
            let row = store::find_token(&state.db, &token, PURPOSE).await.ok()?;
            Some(match row {
                None => Err(LinkProblem::Unknown),
                Some(r) => check_link(r.expires_at, r.used_at, now),
            })
        }
    };
    view! {
        // Outside the suspense, so a form posted back with a problem (rendered as a stream) has
        // its "Error:" title; a link that cannot be used sets its own below.
        {form_title(Msg::EnrolTitle)}
        <Suspense>
            {Suspend::new(async move {
                match check.await.unwrap_or(Err(LinkProblem::Unknown)) {
                    Ok(()) => view! {
                        <div class="govuk-grid-row">
                            <div class="govuk-grid-column-two-thirds">
                                <ErrorSummary />
                                <h1 class="govuk-heading-l">{lang.t(Msg::EnrolTitle)}</h1>
                                <p class="govuk-body">{lang.t(Msg::EnrolIntro)}</p>
                                <form method="post" action="/enrol" novalidate>
                                    <Hidden name="token" value=token.clone() />
                                    <TextInput name="password" label=lang.t(Msg::SignInPassword) kind="password" autocomplete="current-password" />
                                    <button type="submit" class="govuk-button" data-prevent-double-click="true">{lang.t(Msg::EnrolButton)}</button>
                                </form>
                            </div>
                        </div>
                    }
                    .into_any(),
                    Err(problem) => view! {
                        <super::pages::LinkProblemPage problem=problem used=Msg::EnrolUsed expired=Msg::EnrolExpired unknown=Msg::EnrolUnknown />
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}
