//! A user's own sign-in methods: confirm it is you (re-enter the password) before changing
//! them; add and remove passkeys; replace or remove the authenticator app (never the last way to
//! sign in); and report that sign-in details may have been disclosed (locks the account, ends
//! every session, tells the organisation's administrators and HMCTS).

use super::{
    actions::{Ctx, Outcome, redirect, redirect_with},
    pages::{AuthenticatorSteps, current_session, query},
    passkey, password,
    session::{self, Current, Stage},
    store::{self, Who},
    throttle, totp,
};
use crate::{
    email::{self, templates},
    error::AppError,
    forms::{ErrorSummary, Hidden, TextInput, field, form_title},
    i18n::{Msg, use_lang},
};
use leptos::prelude::*;
use serde_json::json;

fn db_err(e: sqlx::Error) -> AppError {
    AppError::internal(e)
}

/// Handles a post to one of the account settings' addresses.
pub async fn dispatch(path: &str, ctx: Ctx) -> Result<Outcome, AppError> {
    let Some(s) = ctx.session.clone().filter(|s| s.stage == Stage::Full) else {
        return Ok(redirect("/sign-in"));
    };
    match path {
        "/account/confirm-password" => confirm_password(ctx, s).await,
        "/account/report" => report(ctx, s).await,
        _ => {
            let now = ctx.state.clock.now_unix();
            if !s.recently_confirmed(now) {
                // Back to where they were, the passkey being renamed included.
                let next = match path {
                    "/account" => "/account#sign-in-methods".to_owned(),
                    "/account/passkey" => format!(
                        "/account/passkey?id={}",
                        crate::text::encode_query_value(ctx.get("credential"))
                    ),
                    _ => path.to_owned(),
                };
                return Ok(redirect(&format!(
                    "/account/confirm-password?next={}",
                    crate::text::encode_query_value(&next)
                )));
            }
            match (path, ctx.get("action")) {
                ("/account/authenticator", _) => replace_authenticator(ctx, s).await,
                ("/account/passkey", _) => rename_passkey(ctx, s).await,
                ("/account", "remove-passkey") => remove_passkey(ctx, s).await,
                ("/account", "remove-authenticator") => remove_authenticator(ctx, s).await,
                _ => Err(AppError::NotFound),
            }
        }
    }
}

/// Where to go after confirming: only somewhere in the user's own account.
pub fn safe_next(next: &str) -> &str {
    let ok = (next == "/account" || next.starts_with("/account/") || next.starts_with("/account#"))
        && !next.contains("//")
        && !next.contains('\\');
    if ok { next } else { "/account#sign-in-methods" }
}

async fn confirm_password(ctx: Ctx, s: Current) -> Result<Outcome, AppError> {
    let lang = ctx.lang;
    let db = &ctx.state.db;
    let now = ctx.state.clock.now_unix();
    let pw = ctx.get("password").to_owned();
    if pw.is_empty() {
        return Ok(ctx.again(vec![field("password", lang, Msg::SignInPasswordMissing)]));
    }
    let keys = [throttle::reauth_key(&s.user.id)];
    if let Err(wait) = throttle::attempt(db, &keys, now).await.map_err(db_err)? {
        return Ok(ctx.again_notice(super::actions::wait_message(lang, wait)));
    }
    let ok = password::verify(pw, s.user.password_hash.clone())
        .await
        .map_err(AppError::internal)?;
    let who = Who::user(&s.user, &ctx.ip);
    let target = Some(format!("user:{}", s.user.id));
    if !ok {
        who.audit_alone(db, "account.confirm.failed", target, json!({}), now)
            .await
            .map_err(db_err)?;
        return Ok(ctx.again(vec![field("password", lang, Msg::ConfirmPasswordWrong)]));
    }
    throttle::clear(db, &keys[0]).await.map_err(db_err)?;
    let mut tx = db.begin().await.map_err(db_err)?;
    sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(&s.id_hash)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    who.audit(&mut tx, "account.confirmed", target, json!({}), now)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect(safe_next(ctx.get("next"))))
}

/// How many ways the user has to confirm it is them, counted under a lock on their row (a
/// write as the transaction's first statement: a row lock on PostgreSQL, the write lock on
/// SQLite), so two removals at once (two tabs) queue and the second sees the first.
async fn factors(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<(bool, i64), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_secret = totp_secret WHERE id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let (totp,): (i64,) = sqlx::query_as(
        "SELECT CAST(CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    let (keys,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((totp == 1, keys))
}

/// The name of one of the user's passkeys; `None` if the credential is not theirs.
async fn passkey_named(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    credential: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_as::<_, (String,)>(
        "SELECT name FROM passkeys WHERE credential_id = $1 AND user_id = $2",
    )
    .bind(credential)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.0))
}

async fn remove_passkey(ctx: Ctx, s: Current) -> Result<Outcome, AppError> {
    let now = ctx.state.clock.now_unix();
    let credential = ctx.get("credential").to_owned();
    let mut tx = ctx.state.db.begin().await.map_err(db_err)?;
    let (app, keys) = factors(&mut tx, &s.user.id).await.map_err(db_err)?;
    let Some(name) = passkey_named(&mut tx, &s.user.id, &credential)
        .await
        .map_err(db_err)?
    else {
        return Ok(redirect("/account#sign-in-methods"));
    };
    if !app && keys <= 1 {
        return Ok(ctx.again_notice(ctx.lang.t(Msg::FactorLastRefused).to_owned()));
    }
    sqlx::query("DELETE FROM passkeys WHERE credential_id = $1 AND user_id = $2")
        .bind(&credential)
        .bind(&s.user.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Who::user(&s.user, &ctx.ip)
        .audit(
            &mut tx,
            "account.passkey.removed",
            Some(format!("user:{}", s.user.id)),
            json!({ "credential": credential, "name": name }),
            now,
        )
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect("/account?passkey=removed#sign-in-methods"))
}

/// A passkey's name: 1 to 60 characters after tidying.
pub fn passkey_name(raw: &str) -> Option<String> {
    let name = super::validate::tidy(raw);
    (!name.is_empty() && name.chars().count() <= 60).then_some(name)
}

async fn rename_passkey(ctx: Ctx, s: Current) -> Result<Outcome, AppError> {
    let now = ctx.state.clock.now_unix();
    let credential = ctx.get("credential").to_owned();
    let Some(name) = passkey_name(ctx.get("name")) else {
        let msg = if ctx.get("name").trim().is_empty() {
            Msg::PasskeyNameMissing
        } else {
            Msg::PasskeyNameTooLong
        };
        return Ok(ctx.again(vec![field("name", ctx.lang, msg)]));
    };
    let mut tx = ctx.state.db.begin().await.map_err(db_err)?;
    let Some(old) = passkey_named(&mut tx, &s.user.id, &credential)
        .await
        .map_err(db_err)?
    else {
        return Ok(redirect("/account#sign-in-methods"));
    };
    sqlx::query("UPDATE passkeys SET name = $1 WHERE credential_id = $2 AND user_id = $3")
        .bind(&name)
        .bind(&credential)
        .bind(&s.user.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Who::user(&s.user, &ctx.ip)
        .audit(
            &mut tx,
            "account.passkey.renamed",
            Some(format!("user:{}", s.user.id)),
            json!({ "credential": credential, "before": old, "after": name }),
            now,
        )
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect("/account?passkey=renamed#sign-in-methods"))
}

async fn remove_authenticator(ctx: Ctx, s: Current) -> Result<Outcome, AppError> {
    let now = ctx.state.clock.now_unix();
    let mut tx = ctx.state.db.begin().await.map_err(db_err)?;
    let (app, keys) = factors(&mut tx, &s.user.id).await.map_err(db_err)?;
    if !app {
        return Ok(redirect("/account#sign-in-methods"));
    }
    if keys == 0 {
        return Ok(ctx.again_notice(ctx.lang.t(Msg::FactorLastRefused).to_owned()));
    }
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1")
        .bind(&s.user.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Who::user(&s.user, &ctx.ip)
        .audit(
            &mut tx,
            "account.authenticator.removed",
            Some(format!("user:{}", s.user.id)),
            json!({}),
            now,
        )
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect("/account?authenticator=removed#sign-in-methods"))
}

async fn replace_authenticator(ctx: Ctx, s: Current) -> Result<Outcome, AppError> {
    let lang = ctx.lang;
    let now = ctx.state.clock.now_unix();
    let Some(pending) = s.pending_totp.clone() else {
        return Ok(redirect("/account/authenticator"));
    };
    let secret = ctx.state.open_pending(&s.user.id, &pending)?;
    let code = ctx.get("code");
    if code.trim().is_empty() {
        return Ok(ctx.again(vec![field("code", lang, Msg::VerifyCodeMissing)]));
    }
    let Some(step) = totp::verify(&secret, code, now, None) else {
        return Ok(ctx.again(vec![field("code", lang, Msg::SetupCodeWrong)]));
    };
    let had = s.user.totp_secret.is_some();
    let mut tx = ctx.state.db.begin().await.map_err(db_err)?;
    sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3")
        .bind(ctx.state.seal_totp(&s.user.id, &secret))
        .bind(step)
        .bind(&s.user.id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE sessions SET pending_totp = NULL WHERE id_hash = $1")
        .bind(&s.id_hash)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let ended = session::end_all(&mut tx, &s.user.id, Some(&s.id_hash), "factor_changed", now)
        .await
        .map_err(db_err)?;
    Who::user(&s.user, &ctx.ip)
        .audit(
            &mut tx,
            if had {
                "account.authenticator.replaced"
            } else {
                "account.authenticator.set_up"
            },
            Some(format!("user:{}", s.user.id)),
            json!({ "other_sessions_ended": ended }),
            now,
        )
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect("/account?authenticator=replaced#sign-in-methods"))
}

async fn report(ctx: Ctx, s: Current) -> Result<Outcome, AppError> {
    let now = ctx.state.clock.now_unix();
    let state = &ctx.state;
    let mut tx = state.db.begin().await.map_err(db_err)?;
    // Under the organisation's lock, and only an active user is locked: one an administrator
    // removed a moment ago stays removed.
    super::store::lock_organisation_of(&mut tx, &s.user.id, now)
        .await
        .map_err(db_err)?;
    let locked = sqlx::query(
        "UPDATE users SET status = 'locked', change_password = 'reported' \
         WHERE id = $1 AND status = 'active'",
    )
    .bind(&s.user.id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if locked == 0 {
        drop(tx);
        return Ok(redirect_with("/signed-out", session::clear_cookie()));
    }
    let ended = session::end_all(&mut tx, &s.user.id, None, "reported", now)
        .await
        .map_err(db_err)?;
    super::device::forget_all(&mut tx, &s.user.id)
        .await
        .map_err(db_err)?;
    // Everyone to tell: the organisation's other active administrators, and HMCTS onboarding.
    let mut recipients = vec![];
    let mut org_name = "HMCTS".to_owned();
    if let Some(o) = &s.user.organisation_id {
        org_name = store::organisation_summary(&mut tx, o)
            .await
            .map_err(db_err)?
            .map_or(org_name, |(name, _)| name);
        recipients = store::administrators(&mut tx, o, &s.user.id)
            .await
            .map_err(db_err)?;
    }
    recipients.extend(
        store::hmcts_recipients(&mut tx, &state.mail)
            .await
            .map_err(db_err)?
            .into_iter()
            .filter(|r| r.user_id.as_deref() != Some(s.user.id.as_str())),
    );
    let mut outbox = vec![];
    for to in &recipients {
        let mail = templates::disclosure_reported(
            &state.mail,
            &to.email,
            &to.first_name,
            &s.user.full_name(),
            &s.user.email,
            &org_name,
        );
        outbox.push(
            email::enqueue(&mut tx, &state.mail, &mail, now)
                .await
                .map_err(db_err)?,
        );
    }
    Who::user(&s.user, &ctx.ip)
        .audit(
            &mut tx,
            "account.disclosure.reported",
            Some(format!("user:{}", s.user.id)),
            json!({ "sessions_ended": ended, "told": recipients.len(), "emails": outbox }),
            now,
        )
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(redirect_with(
        "/signed-out?reason=reported",
        session::clear_cookie(),
    ))
}

/// `/account/confirm-password?next=…`.
#[component]
pub fn ConfirmPasswordPage() -> impl IntoView {
    let lang = use_lang();
    let next = query("next");
    let next = safe_next(&next).to_owned();
    view! {
        {form_title(Msg::ConfirmPasswordTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <h1 class="govuk-heading-l">{lang.t(Msg::ConfirmPasswordTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::ConfirmPasswordIntro)}</p>
                <form method="post" action=format!("/account/confirm-password?next={}", crate::text::encode_query_value(&next)) novalidate>
                    <Hidden name="next" value=next.clone() />
                    <TextInput name="password" label=lang.t(Msg::SignInPassword) kind="password" autocomplete="current-password" />
                    <button type="submit" class="govuk-button">{lang.t(Msg::ContinueButton)}</button>
                </form>
                <p class="govuk-body"><a class="govuk-link" href="/forgot-password">{lang.t(Msg::SignInForgot)}</a></p>
            </div>
        </div>
    }
}

/// `/account/authenticator`: set up a new authenticator app in place of the old one.
#[component]
pub fn ReplaceAuthenticatorPage() -> impl IntoView {
    let lang = use_lang();
    let ready = current_session().is_some_and(|s| {
        let now = super::pages::state().map_or(0, |st| st.clock.now_unix());
        s.recently_confirmed(now)
    });
    view! {
        {form_title(Msg::ReplaceAuthenticatorTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <a class="govuk-back-link" href="/account#sign-in-methods">{lang.t(Msg::BackLink)}</a>
                <h1 class="govuk-heading-l">{lang.t(Msg::ReplaceAuthenticatorTitle)}</h1>
                {if ready {
                    view! {
                        <div class="govuk-inset-text">{lang.t(Msg::ReplaceAuthenticatorWarning)}</div>
                        <AuthenticatorSteps action="/account/authenticator" qr="/account/authenticator/qr.svg" />
                    }.into_any()
                } else {
                    view! {
                        <p class="govuk-body">{lang.t(Msg::ConfirmPasswordIntro)}</p>
                        <a class="govuk-button" role="button" draggable="false" href="/account/confirm-password?next=%2Faccount%2Fauthenticator">{lang.t(Msg::ConfirmPasswordTitle)}</a>
                    }.into_any()
                }}
            </div>
        </div>
    }
}

/// `/account/passkey?id=…`: rename a passkey.
#[component]
pub fn RenamePasskeyPage() -> impl IntoView {
    let lang = use_lang();
    let id = query("id");
    let load = async move {
        let state = super::pages::state()?;
        let s = current_session()?;
        let keys = passkey::list(&state.db, &s.user.id).await.ok()?;
        keys.into_iter().find(|k| k.credential_id == id)
    };
    view! {
        {form_title(Msg::PasskeyRenameTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <a class="govuk-back-link" href="/account#sign-in-methods">{lang.t(Msg::BackLink)}</a>
                <Suspense>
                    {Suspend::new(async move {
                        match load.await {
                            None => view! {
                                <h1 class="govuk-heading-l">{lang.t(Msg::PasskeyRenameTitle)}</h1>
                                <p class="govuk-body">{lang.t(Msg::PasskeyRenameMissing)}</p>
                            }.into_any(),
                            Some(k) => view! {
                                <form method="post" action=format!("/account/passkey?id={}", crate::text::encode_query_value(&k.credential_id)) novalidate>
                                    <Hidden name="credential" value=k.credential_id.clone() />
                                    <TextInput name="name" label=lang.t(Msg::PasskeyRenameTitle) hint=lang.t(Msg::PasskeyNameHint) initial=k.name.clone() heading=true autocomplete="off" />
                                    <div class="govuk-button-group">
                                        <button type="submit" class="govuk-button">{lang.t(Msg::SaveButton)}</button>
                                        <a class="govuk-link" href="/account#sign-in-methods">{lang.t(Msg::CancelLink)}</a>
                                    </div>
                                </form>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/account/report`: report that sign-in details may have been disclosed.
#[component]
pub fn ReportPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::ReportTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <a class="govuk-back-link" href="/account">{lang.t(Msg::BackLink)}</a>
                <h1 class="govuk-heading-l">{lang.t(Msg::ReportTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::ReportIntro)}</p>
                <ul class="govuk-list govuk-list--bullet">
                    <li>{lang.t(Msg::ReportWhat1)}</li>
                    <li>{lang.t(Msg::ReportWhat2)}</li>
                    <li>{lang.t(Msg::ReportWhat3)}</li>
                </ul>
                <div class="govuk-warning-text">
                    <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                    <strong class="govuk-warning-text__text">
                        <span class="govuk-visually-hidden">{lang.t(Msg::WarningHidden)}</span>
                        {lang.t(Msg::ReportWarning)}
                    </strong>
                </div>
                <form method="post" action="/account/report">
                    <div class="govuk-button-group">
                        <button type="submit" class="govuk-button govuk-button--warning">{lang.t(Msg::ReportButton)}</button>
                        <a class="govuk-link" href="/account">{lang.t(Msg::CancelLink)}</a>
                    </div>
                </form>
            </div>
        </div>
    }
}

/// The sign-in methods on the account page: the authenticator app and passkeys, each with what
/// can be done to it once the user has confirmed their password.
#[component]
pub fn SignInMethods() -> impl IntoView {
    let lang = use_lang();
    let Some(s) = current_session() else {
        return ().into_any();
    };
    let now = super::pages::state().map_or(0, |st| st.clock.now_unix());
    let confirmed = s.recently_confirmed(now);
    let has_app = s.user.totp_secret.is_some();
    let user_id = s.user.id.clone();
    let keys = async move {
        let state = super::pages::state()?;
        passkey::list(&state.db, &user_id).await.ok()
    };
    view! {
        <h2 class="govuk-heading-m" id="sign-in-methods">{lang.t(Msg::SignInMethodsTitle)}</h2>
        <p class="govuk-body">{lang.t(Msg::SignInMethodsIntro)}</p>
        {(!confirmed).then(|| view! {
            <div class="govuk-inset-text">
                <p class="govuk-body">{lang.t(Msg::SignInMethodsConfirmFirst)}</p>
                <a class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" role="button" draggable="false"
                    href="/account/confirm-password?next=%2Faccount%23sign-in-methods">{lang.t(Msg::ConfirmPasswordTitle)}</a>
            </div>
        })}
        <h3 class="govuk-heading-s">{lang.t(Msg::OrgFactorApp)}</h3>
        <dl class="govuk-summary-list" id="authenticator">
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{lang.t(Msg::OrgFactorApp)}</dt>
                <dd class="govuk-summary-list__value">
                    {lang.t(if has_app { Msg::AuthenticatorIsSetUp } else { Msg::AuthenticatorNotSetUp })}
                </dd>
                {confirmed.then(|| view! {
                    <dd class="govuk-summary-list__actions">
                        <ul class="govuk-summary-list__actions-list">
                            <li class="govuk-summary-list__actions-list-item">
                                <a class="govuk-link" href="/account/authenticator">
                                    {lang.t(if has_app { Msg::AuthenticatorReplaceLink } else { Msg::AuthenticatorSetUpLink })}
                                </a>
                            </li>
                            {has_app.then(|| view! {
                                <li class="govuk-summary-list__actions-list-item">
                                    <form method="post" action="/account" class="app-inline-form">
                                        <Hidden name="action" value="remove-authenticator" />
                                        <button type="submit" class="app-link-button govuk-link" id="remove-authenticator">
                                            {lang.t(Msg::RemoveLink)}
                                            <span class="govuk-visually-hidden">{format!(" {}", lang.t(Msg::OrgFactorApp).to_lowercase())}</span>
                                        </button>
                                    </form>
                                </li>
                            })}
                        </ul>
                    </dd>
                })}
            </div>
        </dl>
        <h3 class="govuk-heading-s">{lang.t(Msg::PasskeysTitle)}</h3>
        <Suspense>
            {Suspend::new(async move {
                let keys = keys.await.unwrap_or_default();
                if keys.is_empty() {
                    return view! { <p class="govuk-body">{lang.t(Msg::PasskeysNone)}</p> }.into_any();
                }
                view! {
                    <table class="govuk-table" id="passkeys">
                        <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::PasskeysTitle)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::PasskeyNameLabel)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::PasskeysAdded)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::PasskeysLastUsed)}</th>
                                {confirmed.then(|| view! {
                                    <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">{lang.t(Msg::SessionsAction)}</span></th>
                                })}
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {keys.into_iter().map(|k| view! {
                                <tr class="govuk-table__row">
                                    <td class="govuk-table__cell">{k.name.clone()}</td>
                                    <td class="govuk-table__cell">{crate::clock::uk_time(k.created_at, lang)}</td>
                                    <td class="govuk-table__cell">
                                        {k.last_used_at.map_or_else(|| lang.t(Msg::PasskeysNever).to_owned(), |t| crate::clock::uk_time(t, lang))}
                                    </td>
                                    {confirmed.then(|| view! {
                                        <td class="govuk-table__cell">
                                            <a class="govuk-link govuk-!-margin-right-3" href=format!("/account/passkey?id={}", crate::text::encode_query_value(&k.credential_id))>
                                                {lang.t(Msg::PasskeyRenameLink)}
                                                <span class="govuk-visually-hidden">{format!(" {}", k.name)}</span>
                                            </a>
                                            <form method="post" action="/account" class="app-inline-form">
                                                <Hidden name="action" value="remove-passkey" />
                                                <Hidden name="credential" value=k.credential_id.clone() />
                                                <button type="submit" class="app-link-button govuk-link">
                                                    {lang.t(Msg::RemoveLink)}
                                                    <span class="govuk-visually-hidden">{format!(" {}", k.name)}</span>
                                                </button>
                                            </form>
                                        </td>
                                    })}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            })}
        </Suspense>
        {confirmed.then(|| view! { <super::passkey_button::PasskeyButton mode="register".to_owned() /> })}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_account_pages_are_followed_after_confirming() {
        assert_eq!(
            safe_next("/account/authenticator"),
            "/account/authenticator"
        );
        assert_eq!(
            safe_next("/account#sign-in-methods"),
            "/account#sign-in-methods"
        );
        assert_eq!(
            safe_next("https://evil.example/account"),
            "/account#sign-in-methods"
        );
        assert_eq!(safe_next("//evil.example"), "/account#sign-in-methods");
        assert_eq!(safe_next("/account/..//evil"), "/account#sign-in-methods");
        assert_eq!(safe_next("/accounts-elsewhere"), "/account#sign-in-methods");
        assert_eq!(safe_next("/account\\evil"), "/account#sign-in-methods");
    }

    #[test]
    fn passkey_names_are_tidied_and_limited() {
        assert_eq!(
            passkey_name("  Work   laptop "),
            Some("Work laptop".to_owned())
        );
        assert_eq!(passkey_name("   "), None);
        assert_eq!(passkey_name(&"x".repeat(61)), None);
        assert_eq!(
            passkey_name(&"ŵ".repeat(60)).map(|n| n.chars().count()),
            Some(60)
        );
    }

    /// Two tabs remove the authenticator app and the only passkey at the same moment, many
    /// times over, on both engines: one removal wins each time, and a way in remains.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn simultaneous_removals_leave_a_way_in() {
        use crate::{
            accounts::store::{NewUser, insert_user},
            db::testing,
            i18n::Lang,
            state::for_tests,
        };
        const NOW: i64 = 1_795_251_600;
        for (db, _guard) in testing::all().await {
            let state = for_tests(db.clone(), NOW);
            for round in 0..12 {
                let mut conn = db.pool.acquire().await.expect("conn");
                let email = format!("two.tabs.{round}@x.example");
                let id = insert_user(
                    &mut conn,
                    &NewUser {
                        organisation_id: None,
                        staff_role: None,
                        email: &email,
                        first_name: "Two",
                        last_name: "Tabs",
                        roles: "user",
                        status: "active",
                        password_hash: None,
                    },
                    NOW,
                )
                .await
                .expect("user");
                sqlx::query("UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = $1")
                    .bind(&id)
                    .execute(&mut *conn)
                    .await
                    .expect("app");
                sqlx::query(
                    "INSERT INTO passkeys (credential_id, user_id, name, passkey, created_at) \
                     VALUES ($1, $2, 'Laptop', '{}', $3)",
                )
                .bind(format!("cred-{round}-{id}"))
                .bind(&id)
                .bind(NOW)
                .execute(&mut *conn)
                .await
                .expect("passkey");
                let mut tabs = vec![];
                for _ in 0..2 {
                    let token =
                        session::create(&mut conn, &id, Stage::Full, "sign_in", "ip", "ua", NOW)
                            .await
                            .expect("session");
                    tabs.push(token);
                }
                sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE user_id = $2")
                    .bind(NOW)
                    .bind(&id)
                    .execute(&mut *conn)
                    .await
                    .expect("confirmed");
                drop(conn);
                let ctx = |token: &str, form: Vec<(String, String)>| {
                    let state = state.clone();
                    let token = token.to_owned();
                    async move {
                        let current = session::lookup(&state.db, &token, NOW)
                            .await
                            .expect("lookup")
                            .expect("a session");
                        Ctx {
                            state,
                            lang: Lang::En,
                            session: Some(current),
                            ip: "192.0.2.1".into(),
                            user_agent: "test".into(),
                            cookies: String::new(),
                            files: vec![],
                            params: vec![],
                            form,
                        }
                    }
                };
                let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
                let app = ctx(&tabs[0], vec![pair("action", "remove-authenticator")]).await;
                let key = ctx(
                    &tabs[1],
                    vec![
                        pair("action", "remove-passkey"),
                        pair("credential", &format!("cred-{round}-{id}")),
                    ],
                )
                .await;
                // Either may fail outright (SQLite's writer lock can refuse the loser); what
                // matters is what is left.
                let _ = tokio::join!(dispatch("/account", app), dispatch("/account", key));
                let mut conn = db.pool.acquire().await.expect("conn");
                let (totp, keys) = factors(&mut conn, &id).await.expect("count");
                assert!(
                    totp || keys > 0,
                    "round {round} on {:?}: no way in left",
                    db.backend
                );
                assert!(
                    !(totp && keys > 0),
                    "round {round}: neither removal went through"
                );
            }
        }
    }
}
