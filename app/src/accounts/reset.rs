//! Forgotten passwords (an emailed link, then the second factor, then a new password) and
//! changing a password when signed in (needed only on evidence of compromise, never on a timer).

use super::{
    actions::{Ctx, Outcome, redirect, redirect_with},
    pages::{current_session, query, state},
    password,
    session::{self, Stage},
    store::{self, Who},
    throttle,
    token::{self, LinkProblem, lifetime},
    validate,
};
use crate::{
    email::{self, templates},
    error::AppError,
    forms::{ErrorSummary, Hidden, TextInput, field, form_title},
    i18n::{Msg, use_lang},
};
use leptos::prelude::*;

fn db_err(e: sqlx::Error) -> AppError {
    AppError::internal(e)
}

/// `POST /forgot-password`: the answer is the same whether or not the email has an account.
pub async fn forgot(ctx: Ctx) -> Result<Outcome, AppError> {
    let lang = ctx.lang;
    let email = ctx.get("email").trim().to_lowercase();
    if email.is_empty() {
        return Ok(ctx.again(vec![field("email", lang, Msg::SignInEmailMissing)]));
    }
    if validate::email(&email).is_none() {
        return Ok(ctx.again(vec![field("email", lang, Msg::ForgotEmailInvalid)]));
    }
    let db = &ctx.state.db;
    let now = ctx.state.clock.now_unix();
    // Every request counts against the address and the email, so the form cannot be used to
    // flood someone's inbox; past the allowance the same "check your email" page is shown, and
    // nothing is written (no email, no audit row).
    let keys = [throttle::reset_key(&email), throttle::reset_ip_key(&ctx.ip)];
    if throttle::attempt(db, &keys, now)
        .await
        .map_err(db_err)?
        .is_err()
    {
        return Ok(redirect("/forgot-password/sent"));
    }
    let user = store::user_by_email(db, &email).await.map_err(db_err)?;
    let mut tx = db.begin().await.map_err(db_err)?;
    match user {
        Some(u) if u.status == "active" => {
            let link = store::issue_token(&mut tx, &u.id, "reset", now, lifetime::RESET_SECS)
                .await
                .map_err(db_err)?;
            let mail = templates::reset(&ctx.state.mail, &u.id, &u.email, &u.first_name, &link);
            let outbox = email::enqueue(&mut tx, &ctx.state.mail, &mail, now)
                .await
                .map_err(db_err)?;
            Who::anonymous(&ctx.ip)
                .audit(
                    &mut tx,
                    "account.password.reset_requested",
                    Some(format!("user:{}", u.id)),
                    serde_json::json!({ "email": outbox }),
                    now,
                )
                .await
                .map_err(db_err)?;
        }
        _ => {
            Who::anonymous(&ctx.ip)
                .audit(
                    &mut tx,
                    "account.password.reset_refused",
                    None,
                    serde_json::json!({ "reason": "no_active_account" }),
                    now,
                )
                .await
                .map_err(db_err)?;
        }
    }
    tx.commit().await.map_err(db_err)?;
    Ok(redirect("/forgot-password/sent"))
}

/// `POST /reset-password`: uses the link and asks for the second factor before the password.
pub async fn confirm(ctx: Ctx) -> Result<Outcome, AppError> {
    let link = ctx.get("token").to_owned();
    let db = &ctx.state.db;
    let now = ctx.state.clock.now_unix();
    let mut tx = db.begin().await.map_err(db_err)?;
    let Some(user_id) = store::consume_token(&mut tx, &link, "reset", now)
        .await
        .map_err(db_err)?
    else {
        drop(tx);
        return Ok(ctx.again(vec![]));
    };
    let user = store::user_in(&mut tx, &user_id).await.map_err(db_err)?;
    if user.status != "active" {
        drop(tx);
        return Ok(redirect("/sign-in"));
    }
    let cookie = session::create(
        &mut tx,
        &user_id,
        Stage::SecondFactor,
        "reset",
        &ctx.ip,
        &ctx.user_agent,
        now,
    )
    .await
    .map_err(db_err)?;
    Who::user(&user, &ctx.ip)
        .audit(
            &mut tx,
            "account.password.reset_started",
            Some(format!("user:{user_id}")),
            serde_json::json!({}),
            now,
        )
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect_with(
        "/sign-in/verify",
        session::set_cookie(&cookie),
    ))
}

/// `POST /account/change-password`: the current password, then a new one.
pub async fn change(ctx: Ctx) -> Result<Outcome, AppError> {
    let lang = ctx.lang;
    let Some(s) = ctx.session.clone().filter(|s| s.stage == Stage::Full) else {
        return Ok(redirect("/sign-in"));
    };
    let current = ctx.get("current-password").to_owned();
    let new = ctx.get("password").to_owned();
    let confirm = ctx.get("password-confirm").to_owned();
    let db = &ctx.state.db;
    let now = ctx.state.clock.now_unix();
    if current.is_empty() {
        return Ok(ctx.again(vec![field(
            "current-password",
            lang,
            Msg::ChangePasswordCurrentMissing,
        )]));
    }
    let keys = [throttle::reauth_key(&s.user.id)];
    if let Err(wait) = throttle::attempt(db, &keys, now).await.map_err(db_err)? {
        return Ok(ctx.again_notice(super::actions::wait_message(lang, wait)));
    }
    let ok = password::verify(current.clone(), s.user.password_hash.clone())
        .await
        .map_err(AppError::internal)?;
    let who = Who::user(&s.user, &ctx.ip);
    let target = Some(format!("user:{}", s.user.id));
    if !ok {
        who.audit_alone(
            db,
            "account.password.change_failed",
            target,
            serde_json::json!({}),
            now,
        )
        .await
        .map_err(db_err)?;
        return Ok(ctx.again(vec![field(
            "current-password",
            lang,
            Msg::ChangePasswordCurrentWrong,
        )]));
    }
    // The current password was right: later mistakes with the new one are not guesses.
    throttle::clear(db, &keys[0]).await.map_err(db_err)?;
    let rules = password::Context {
        first_name: &s.user.first_name,
        last_name: &s.user.last_name,
        email: &s.user.email,
    };
    if let Err(msg) = password::check(&new, &rules) {
        return Ok(ctx.again(vec![field("password", lang, msg)]));
    }
    if new == current {
        return Ok(ctx.again(vec![field("password", lang, Msg::ChangePasswordSame)]));
    }
    if new != confirm {
        return Ok(ctx.again(vec![field("password-confirm", lang, Msg::PasswordMismatch)]));
    }
    let hash = password::hash(new).await.map_err(AppError::internal)?;
    let mut tx = db.begin().await.map_err(db_err)?;
    sqlx::query("UPDATE users SET password_hash = $1, change_password = NULL WHERE id = $2")
        .bind(&hash)
        .bind(&s.user.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    // Whoever else knew the old password is signed out everywhere; this session is rotated.
    let token =
        session::rotate_ending_others(&mut tx, &s.user.id, &s.id_hash, "password_changed", now)
            .await
            .map_err(db_err)?;
    who.audit(
        &mut tx,
        "account.password.changed",
        target,
        serde_json::json!({ "prompted_by": s.user.change_password }),
        now,
    )
    .await
    .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect_with(
        "/account?password=changed",
        session::set_cookie(&token),
    ))
}

/// `/forgot-password`: the email address to send a link to.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::ForgotTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <h1 class="govuk-heading-l">{lang.t(Msg::ForgotTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::ForgotIntro)}</p>
                <form method="post" action="/forgot-password" novalidate>
                    <TextInput name="email" label=lang.t(Msg::SignInEmail) kind="email" autocomplete="username" />
                    <button type="submit" class="govuk-button" data-prevent-double-click="true">
                        {lang.t(Msg::ForgotButton)}
                    </button>
                </form>
            </div>
        </div>
    }
}

/// `/forgot-password/sent`: the same for every address typed.
#[component]
pub fn ForgotSentPage() -> impl IntoView {
    let lang = use_lang();
    let sender = state()
        .map(|s| s.mail.from_address.clone())
        .unwrap_or_default();
    view! {
        {crate::page_title(Msg::ForgotSentTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">{lang.t(Msg::ForgotSentTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::ForgotSentBody)}</p>
                <p class="govuk-body">{lang.tf(Msg::ForgotSentSender, &[("address", &sender)])}</p>
                <p class="govuk-body">{lang.t(Msg::ForgotSentNoEmail)}</p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/forgot-password">{lang.t(Msg::ForgotSendAgain)}</a>
                </p>
            </div>
        </div>
    }
}

/// `/reset-password?token=`: says whether the link can be used and confirms with a POST.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let lang = use_lang();
    let link = query("token");
    let check = {
        let link = link.clone();
        async move {
            let state = state()?;
            let now = state.clock.now_unix();
            let row = store::find_token(&state.db, &link, "reset").await.ok()?;
            Some(match row {
                None => Err(LinkProblem::Unknown),
                Some(r) => token::check_link(r.expires_at, r.used_at, now),
            })
        }
    };
    view! {
        <Suspense>
            {Suspend::new(async move {
                match check.await.unwrap_or(Err(LinkProblem::Unknown)) {
                    Ok(()) => view! {
                        {form_title(Msg::ResetTitle)}
                        <div class="govuk-grid-row">
                            <div class="govuk-grid-column-two-thirds">
                                <h1 class="govuk-heading-l">{lang.t(Msg::ResetTitle)}</h1>
                                <p class="govuk-body">{lang.t(Msg::ResetIntro)}</p>
                                <form method="post" action="/reset-password">
                                    <Hidden name="token" value=link />
                                    <button type="submit" class="govuk-button">{lang.t(Msg::ContinueButton)}</button>
                                </form>
                            </div>
                        </div>
                    }
                    .into_any(),
                    Err(problem) => {
                        let (title, body) = match problem {
                            LinkProblem::Used => (Msg::LinkUsedTitle, Msg::ResetUsed),
                            LinkProblem::Expired => (Msg::LinkExpiredTitle, Msg::ResetExpired),
                            LinkProblem::Unknown => (Msg::LinkUnknownTitle, Msg::ResetUnknown),
                        };
                        view! {
                            {crate::page_title(title)}
                            <h1 class="govuk-heading-l">{lang.t(title)}</h1>
                            <p class="govuk-body">{lang.t(body)}</p>
                            <a class="govuk-button" href="/forgot-password" role="button" draggable="false">
                                {lang.t(Msg::ResetRequestNew)}
                            </a>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// `/account/change-password`. When the service asks for a change (the password is on the
/// common list, an administrator reset it, or the user reported it known), it says why.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let lang = use_lang();
    let reason = current_session().and_then(|s| s.user.change_password);
    let why = reason.map(|r| match r.as_str() {
        "common" => Msg::ChangePasswordWhyCommon,
        "admin_reset" => Msg::ChangePasswordWhyAdmin,
        _ => Msg::ChangePasswordWhyReported,
    });
    view! {
        {form_title(Msg::ChangePasswordTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <h1 class="govuk-heading-l">{lang.t(Msg::ChangePasswordTitle)}</h1>
                {why.map(|m| view! {
                    <div class="govuk-inset-text" id="change-password-reason">{lang.t(m)}</div>
                })}
                <form method="post" action="/account/change-password" novalidate>
                    <TextInput name="current-password" label=lang.t(Msg::ChangePasswordCurrent) kind="password" autocomplete="current-password" />
                    <p class="govuk-body">{lang.t(Msg::SetPasswordIntro)}</p>
                    <ul class="govuk-list govuk-list--bullet">
                        <li>{lang.t(Msg::SetPasswordRuleLength)}</li>
                        <li>{lang.t(Msg::SetPasswordRuleCommon)}</li>
                        <li>{lang.t(Msg::SetPasswordRuleName)}</li>
                    </ul>
                    <TextInput name="password" label=lang.t(Msg::SetPasswordNew) kind="password" autocomplete="new-password" />
                    <TextInput name="password-confirm" label=lang.t(Msg::SetPasswordConfirm) kind="password" autocomplete="new-password" />
                    <button type="submit" class="govuk-button">{lang.t(Msg::ChangePasswordButton)}</button>
                </form>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defect review found: /forgot-password could email any address without limit. Past
    /// the allowance for one address the answer is the same page, and nothing is written: no
    /// link, no email, no audit row.
    #[tokio::test]
    async fn reset_requests_are_throttled_and_a_refused_one_writes_nothing() {
        for (db, _guard) in crate::db::testing::all().await {
            let name = format!("{:?}", db.backend);
            let state = crate::state::for_tests(db.clone(), 1_795_251_600);
            let mut tx = db.begin().await.unwrap();
            store::insert_user(
                &mut tx,
                &store::NewUser {
                    organisation_id: None,
                    staff_role: Some("onboarding"),
                    email: "forgetful@example.com",
                    first_name: "For",
                    last_name: "Getful",
                    roles: "",
                    status: "active",
                    password_hash: None,
                },
                0,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let count = |sql: &'static str| {
                let db = db.clone();
                async move {
                    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&db.pool).await.unwrap();
                    n
                }
            };
            let ctx = || Ctx {
                state: state.clone(),
                lang: crate::i18n::Lang::En,
                session: None,
                ip: "192.0.2.30".into(),
                user_agent: "t".into(),
                cookies: String::new(),
                files: vec![],
                params: vec![],
                form: vec![("email".into(), "Forgetful@example.com".into())],
            };
            for _ in 0..super::super::throttle::FREE_FAILURES + 3 {
                let out = forgot(ctx()).await.unwrap();
                assert!(
                    matches!(&out, Outcome::Redirect { to, .. } if to == "/forgot-password/sent"),
                    "{name}: always the same answer"
                );
            }
            assert_eq!(
                count("SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'").await,
                super::super::throttle::FREE_FAILURES,
                "{name}"
            );
            assert_eq!(
                count(
                    "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'account.password.reset%'"
                )
                .await,
                super::super::throttle::FREE_FAILURES,
                "{name}: the refused requests left no audit rows"
            );
        }
    }
}
