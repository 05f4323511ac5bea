//! The account pages (server-rendered; forms post back to the same address, see `actions`).

use super::{passkey, passkey_button::PasskeyButton, session, store, totp};
use crate::{
    forms::{ErrorSummary, Hidden, TextInput, form_title},
    i18n::{Msg, use_lang},
};
use leptos::prelude::*;

pub use crate::web::{current_session, query, state};

/// The GOV.UK success notification banner.
#[component]
pub(crate) fn SuccessBanner(message: Msg) -> impl IntoView {
    let lang = use_lang();
    view! { <SuccessBannerText text=lang.t(message).to_owned() /> }
}

/// The GOV.UK success notification banner, with words already written.
#[component]
pub(crate) fn SuccessBannerText(text: String) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="govuk-notification-banner govuk-notification-banner--success" role="alert" aria-labelledby="banner-title">
            <div class="govuk-notification-banner__header">
                <h2 class="govuk-notification-banner__title" id="banner-title">{lang.t(Msg::BannerSuccess)}</h2>
            </div>
            <div class="govuk-notification-banner__content">
                <p class="govuk-notification-banner__heading">{text}</p>
            </div>
        </div>
    }
}

/// Sign in: email and password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::SignInTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <h1 class="govuk-heading-l">{lang.t(Msg::SignInTitle)}</h1>
                <form method="post" action="/sign-in" novalidate>
                    <TextInput name="email" label=lang.t(Msg::SignInEmail) kind="email" autocomplete="username" />
                    <TextInput name="password" label=lang.t(Msg::SignInPassword) kind="password" autocomplete="current-password" />
                    <button type="submit" class="govuk-button" data-prevent-double-click="true">
                        {lang.t(Msg::SignInButton)}
                    </button>
                </form>
                <p class="govuk-body">
                    <a class="govuk-link" href="/forgot-password">{lang.t(Msg::SignInForgot)}</a>
                </p>
                <h2 class="govuk-heading-m">{lang.t(Msg::PasskeySignInButton)}</h2>
                <p class="govuk-body">{lang.t(Msg::PasskeySignInIntro)}</p>
                <PasskeyButton mode="sign-in".to_owned() />
                <h2 class="govuk-heading-m">{lang.t(Msg::SignInNoAccountTitle)}</h2>
                <p class="govuk-body">
                    <a class="govuk-link" href="/register">{lang.t(Msg::SignInRegister)}</a>
                </p>
            </div>
        </div>
    }
}

/// The second factor after the password.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::VerifyTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <form method="post" action="/sign-in/verify" novalidate>
                    <TextInput
                        name="code"
                        label=lang.t(Msg::VerifyTitle)
                        heading=true
                        hint=lang.t(Msg::VerifyHint)
                        autocomplete="one-time-code"
                        inputmode="numeric"
                        width="govuk-input--width-10"
                    />
                    <button type="submit" class="govuk-button">{lang.t(Msg::VerifyButton)}</button>
                </form>
                <Suspense>
                    {Suspend::new(async move {
                        let has = async {
                            let state = state()?;
                            let s = current_session()?;
                            passkey::list(&state.db, &s.user.id).await.ok()
                        }
                        .await
                        .is_some_and(|l| !l.is_empty());
                        has.then(|| view! { <PasskeyButton mode="verify".to_owned() /> })
                    })}
                </Suspense>
                <p class="govuk-body">{lang.t(Msg::VerifyLost)}</p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/help/authenticator-app">{lang.t(Msg::HelpAppTitle)}</a>
                </p>
            </div>
        </div>
    }
}

/// The page an activation link opens: says whether the link can be used, and confirms with a
/// button (a POST), since mail scanners follow links.
#[component]
pub fn ActivatePage() -> impl IntoView {
    let lang = use_lang();
    let token = query("token");
    let check = {
        let token = token.clone();
        async move {
            let state = state()?;
            let now = state.clock.now_unix();
            let row = store::find_token(&state.db, &token, "activate")
                .await
                .ok()?;
            Some(match row {
                None => Err(super::token::LinkProblem::Unknown),
                Some(r) => super::token::check_link(r.expires_at, r.used_at, now),
            })
        }
    };
    view! {
        <Suspense>
            {Suspend::new({
                let token = token.clone();
                let check = check;
                async move {
                    let result = check.await.unwrap_or(Err(super::token::LinkProblem::Unknown));
                    match result {
                        Ok(()) => view! {
                            {form_title(Msg::ActivateTitle)}
                            <h1 class="govuk-heading-l">{lang.t(Msg::ActivateTitle)}</h1>
                            <p class="govuk-body">{lang.t(Msg::ActivateIntro)}</p>
                            <form method="post" action="/activate">
                                <Hidden name="token" value=token />
                                <button type="submit" class="govuk-button">{lang.t(Msg::ActivateButton)}</button>
                            </form>
                        }
                        .into_any(),
                        Err(problem) => view! {
                            <LinkProblemPage problem=problem used=Msg::ActivateUsed expired=Msg::ActivateExpired unknown=Msg::ActivateUnknown />
                        }
                        .into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

/// Why an emailed link cannot be used, in the words of the page it belongs to, and the way on.
#[component]
pub(crate) fn LinkProblemPage(
    problem: super::token::LinkProblem,
    used: Msg,
    expired: Msg,
    unknown: Msg,
) -> impl IntoView {
    use super::token::LinkProblem;
    let lang = use_lang();
    let (title, body) = match problem {
        LinkProblem::Used => (Msg::LinkUsedTitle, used),
        LinkProblem::Expired => (Msg::LinkExpiredTitle, expired),
        LinkProblem::Unknown => (Msg::LinkUnknownTitle, unknown),
    };
    view! {
        {crate::page_title(title)}
        <h1 class="govuk-heading-l">{lang.t(title)}</h1>
        <p class="govuk-body">{lang.t(body)}</p>
        <p class="govuk-body">
            <a class="govuk-link" href="/sign-in">{lang.t(Msg::LinkGoSignIn)}</a>
        </p>
    }
}

/// Choosing a password (after an activation or reset link).
#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let lang = use_lang();
    let reset = current_session().is_some_and(|s| s.purpose == "reset");
    view! {
        {form_title(Msg::SetPasswordTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                {(!reset).then(|| view! { <span class="govuk-caption-l">{lang.t(Msg::SetupStep1)}</span> })}
                <h1 class="govuk-heading-l">{lang.t(Msg::SetPasswordTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::SetPasswordIntro)}</p>
                <ul class="govuk-list govuk-list--bullet">
                    <li>{lang.t(Msg::SetPasswordRuleLength)}</li>
                    <li>{lang.t(Msg::SetPasswordRuleCommon)}</li>
                    <li>{lang.t(Msg::SetPasswordRuleName)}</li>
                </ul>
                <form method="post" action="/account/set-up/password" novalidate>
                    <TextInput name="password" label=lang.t(Msg::SetPasswordNew) kind="password" autocomplete="new-password" />
                    <TextInput name="password-confirm" label=lang.t(Msg::SetPasswordConfirm) kind="password" autocomplete="new-password" />
                    <button type="submit" class="govuk-button">{lang.t(Msg::ContinueButton)}</button>
                </form>
            </div>
        </div>
    }
}

/// Setting up an authenticator app: the QR code, the key written out, and a code to confirm.
#[component]
pub fn AuthenticatorPage() -> impl IntoView {
    let lang = use_lang();
    // Activating, or setting a factor up again after a reset: a passkey is offered too.
    let activating =
        current_session().is_some_and(|s| matches!(s.purpose.as_str(), "activate" | "enrol"));
    view! {
        {form_title(Msg::AuthenticatorTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <span class="govuk-caption-l">{lang.t(Msg::SetupStep2)}</span>
                <h1 class="govuk-heading-l">{lang.t(Msg::AuthenticatorTitle)}</h1>
                <AuthenticatorSteps action="/account/set-up/authenticator" qr="/account/set-up/authenticator/qr.svg" />
                {activating.then(|| view! {
                    <h2 class="govuk-heading-m">{lang.t(Msg::PasskeySetupTitle)}</h2>
                    <p class="govuk-body">{lang.t(Msg::PasskeySetupIntro)}</p>
                    <PasskeyButton mode="register".to_owned() />
                })}
            </div>
        </div>
    }
}

/// The steps of adding an authenticator app: a new key (kept with the session until confirmed)
/// as a QR code and written out, and the form for the first code.
#[component]
pub(crate) fn AuthenticatorSteps(action: &'static str, qr: &'static str) -> impl IntoView {
    let lang = use_lang();
    let load = async move {
        let state = state()?;
        let s = current_session()?;
        let secret = match s.pending_totp.clone() {
            Some(sealed) => state.open_pending(&s.user.id, &sealed).ok()?,
            None => {
                let k = totp::new_secret();
                let sealed = state.seal_pending(&s.user.id, &k);
                session::set_pending_totp(&state.db, &s.id_hash, &sealed)
                    .await
                    .ok()?;
                k
            }
        };
        Some(secret)
    };
    view! {
        <p class="govuk-body">{lang.t(Msg::AuthenticatorIntro)}</p>
        <p class="govuk-body">
            <a class="govuk-link" href="/help/authenticator-app" target="_blank" rel="noopener">{lang.t(Msg::HelpAppLink)}</a>
        </p>
        <ol class="govuk-list govuk-list--number">
            <li>{lang.t(Msg::AuthenticatorStepOpen)}</li>
            <li>{lang.t(Msg::AuthenticatorStepScan)}</li>
            <li>{lang.t(Msg::AuthenticatorStepCode)}</li>
        </ol>
        <Suspense>
            {Suspend::new(async move {
                load.await.map(|secret| {
                    view! {
                        <img class="app-qr" src=qr width="240" height="240" alt=lang.t(Msg::AuthenticatorQrAlt) />
                        <details class="govuk-details">
                            <summary class="govuk-details__summary">
                                <span class="govuk-details__summary-text">{lang.t(Msg::AuthenticatorCantScan)}</span>
                            </summary>
                            <div class="govuk-details__text">
                                <p class="govuk-body">{lang.t(Msg::AuthenticatorKeyIntro)}</p>
                                <p class="govuk-body app-secret" id="secret-key">
                                    <code>{totp::grouped(&secret)}</code>
                                </p>
                                <p class="govuk-body">{lang.t(Msg::AuthenticatorKeyType)}</p>
                            </div>
                        </details>
                    }
                })
            })}
        </Suspense>
        <form method="post" action=action novalidate>
            <TextInput
                name="code"
                label=lang.t(Msg::AuthenticatorCodeLabel)
                hint=lang.t(Msg::VerifyHint)
                autocomplete="one-time-code"
                inputmode="numeric"
                width="govuk-input--width-10"
            />
            <button type="submit" class="govuk-button">{lang.t(Msg::ContinueButton)}</button>
        </form>
    }
}

/// The account is ready.
#[component]
pub fn SetupDonePage() -> impl IntoView {
    let lang = use_lang();
    let next = current_session().map_or("/account", |s| crate::web::home(&s.user));
    view! {
        {crate::page_title(Msg::SetupDoneTitle)}
        <div class="govuk-panel govuk-panel--confirmation">
            <h1 class="govuk-panel__title">{lang.t(Msg::SetupDoneTitle)}</h1>
        </div>
        <p class="govuk-body">{lang.t(Msg::SetupDoneBody)}</p>
        <a class="govuk-button" href=next role="button" draggable="false">{lang.t(Msg::ContinueButton)}</a>
    }
}

/// The signed-in user's account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let lang = use_lang();
    let s = current_session();
    let banner = if query("password") == "changed" {
        Some(Msg::PasswordChangedBanner)
    } else if query("passkey") == "added" {
        Some(Msg::PasskeyAddedBanner)
    } else if query("passkey") == "removed" {
        Some(Msg::PasskeyRemovedBanner)
    } else if query("passkey") == "renamed" {
        Some(Msg::PasskeyRenamedBanner)
    } else if query("authenticator") == "replaced" {
        Some(Msg::AuthenticatorReplacedBanner)
    } else if query("authenticator") == "removed" {
        Some(Msg::AuthenticatorRemovedBanner)
    } else if query("accountable") == "confirmed" {
        Some(Msg::AccountableConfirmedBanner)
    } else {
        None
    };
    s.map(|s| {
        let u = s.user;
        let org = u.organisation_id.clone();
        let user_id = u.id.clone();
        let load = async move {
            let state = state()?;
            let org = org?;
            let mut conn = state.db.pool.acquire().await.ok()?;
            let (name, pending) = store::organisation_summary(&mut conn, &org).await.ok()??;
            Some((name, pending.as_deref() == Some(user_id.as_str())))
        };
        let roles = super::role_names(&super::parse_roles(&u.roles), lang);
        view! {
            {form_title(Msg::AccountTitle)}
            {banner.map(|m| view! {
                <SuccessBanner message=m />
            })}
            <ErrorSummary />
            <h1 class="govuk-heading-l">{lang.t(Msg::AccountTitle)}</h1>
            <Suspense>
                {Suspend::new(async move {
                    load.await.map(|(org, pending)| view! {
                        {pending.then(|| view! {
                            <div class="govuk-inset-text" id="accountable-pending">
                                {lang.t(Msg::AccountAccountablePending)}" "
                                <a class="govuk-link" href="/account/accountable">{lang.t(Msg::OrgConfirmAccountableTitle)}</a>
                            </div>
                        })}
                        <p class="govuk-body" id="organisation">{org}</p>
                    })
                })}
            </Suspense>
            <dl class="govuk-summary-list">
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{lang.t(Msg::AccountName)}</dt>
                    <dd class="govuk-summary-list__value">{u.full_name()}</dd>
                </div>
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{lang.t(Msg::AccountEmail)}</dt>
                    <dd class="govuk-summary-list__value">{u.email.clone()}</dd>
                </div>
                {(!roles.is_empty()).then(|| view! {
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">{lang.t(Msg::OrgColRoles)}</dt>
                        <dd class="govuk-summary-list__value">{roles.clone()}</dd>
                    </div>
                })}
            </dl>
            <p class="govuk-body">{lang.t(Msg::AccountDetailsHint)}</p>
            <ul class="govuk-list">
                {u.is_onboarding().then(|| view! {
                    <li><a class="govuk-link" href="/onboarding">{lang.t(Msg::OnboardingTitle)}</a></li>
                })}
                {u.is_active_admin().then(|| view! {
                    <li><a class="govuk-link" href="/organisation">{lang.t(Msg::OrgTitle)}</a></li>
                })}
                <li><a class="govuk-link" href="/account/change-password">{lang.t(Msg::ChangePasswordTitle)}</a></li>
                <li><a class="govuk-link" href="/account/sessions">{lang.t(Msg::SessionsTitle)}</a></li>
            </ul>
            <super::security::SignInMethods />
            <h2 class="govuk-heading-m">{lang.t(Msg::ReportTitle)}</h2>
            <p class="govuk-body">{lang.t(Msg::ReportShort)}" "<a class="govuk-link" href="/account/report">{lang.t(Msg::ReportLink)}</a></p>
        }
    })
}

/// The user's active sessions, each of which they can end.
#[component]
pub fn SessionsPage() -> impl IntoView {
    let lang = use_lang();
    let ended = query("ended") == "1";
    let load = async move {
        let state = state()?;
        let s = current_session()?;
        let now = state.clock.now_unix();
        let list = session::list(&state.db, &s.user.id, now).await.ok()?;
        Some((list, s.handle))
    };
    view! {
        {crate::page_title(Msg::SessionsTitle)}
        <h1 class="govuk-heading-l">{lang.t(Msg::SessionsTitle)}</h1>
        {ended.then(|| view! {
            <SuccessBanner message=Msg::SessionEnded />
        })}
        <p class="govuk-body">{lang.t(Msg::SessionsIntro)}</p>
        <Suspense>
            {Suspend::new(async move {
                load.await.map(|(list, mine)| {
                    view! {
                        <table class="govuk-table">
                            <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::SessionsTitle)}</caption>
                            <thead class="govuk-table__head">
                                <tr class="govuk-table__row">
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::SessionsDevice)}</th>
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::SessionsAddress)}</th>
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::SessionsLastUsed)}</th>
                                    <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">{lang.t(Msg::SessionsAction)}</span></th>
                                </tr>
                            </thead>
                            <tbody class="govuk-table__body">
                                {list.into_iter().map(|l| {
                                    let this = l.handle == mine;
                                    let device = session::describe_agent(&l.user_agent);
                                    let when = crate::clock::uk_time(l.last_seen_at, lang);
                                    view! {
                                        <tr class="govuk-table__row">
                                            <td class="govuk-table__cell">
                                                {device.clone()}
                                                {this.then(|| view! { " " <strong class="govuk-tag govuk-tag--blue">{lang.t(Msg::SessionsThis)}</strong> })}
                                            </td>
                                            <td class="govuk-table__cell">{l.client_ip.clone()}</td>
                                            <td class="govuk-table__cell">{when}</td>
                                            <td class="govuk-table__cell">
                                                <form method="post" action="/account/sessions">
                                                    <Hidden name="session" value=l.handle.clone() />
                                                    <button type="submit" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0">
                                                        {lang.t(if this { Msg::SignOut } else { Msg::SessionsEnd })}
                                                        <span class="govuk-visually-hidden">{format!(" – {device}, {}", l.client_ip)}</span>
                                                    </button>
                                                </form>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })
            })}
        </Suspense>
    }
}

/// After signing out.
#[component]
pub fn SignedOutPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {crate::page_title(Msg::SignedOutTitle)}
        <h1 class="govuk-heading-l">{lang.t(Msg::SignedOutTitle)}</h1>
        {(query("reason") == "timeout").then(|| view! {
            <div class="govuk-inset-text">{lang.t(Msg::SignedOutTimeout)}</div>
        })}
        {(query("reason") == "reported").then(|| view! {
            <div class="govuk-inset-text" id="reported">{lang.t(Msg::SignedOutReported)}</div>
        })}
        <p class="govuk-body">{lang.t(Msg::SignedOutBody)}</p>
        <a class="govuk-button" href="/sign-in" role="button" draggable="false">{lang.t(Msg::SignInTitle)}</a>
    }
}

/// Development only (no SMTP server configured): the emails the service has written.
#[component]
pub fn DevEmailsPage() -> impl IntoView {
    let lang = use_lang();
    let load = async move {
        let state = state()?;
        if !state.dev_tools {
            return None;
        }
        let mut list = crate::email::recent(&state.db, 100).await.ok()?;
        // A delivered message's links are gone from the database: show the mailbox's copy.
        if let Some(dir) = &state.mailbox {
            for m in list
                .iter_mut()
                .filter(|m| m.delivered_via.as_deref() == Some("file"))
            {
                let path = dir.join(crate::email::sender::file_name(m, "txt"));
                if let Ok(text) = tokio::fs::read_to_string(path).await {
                    m.text_body = text;
                }
            }
        }
        Some(list)
    };
    view! {
        {crate::page_title(Msg::DevEmailsTitle)}
        <Suspense>
            {Suspend::new(async move {
                let Some(list) = load.await else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                view! {
                    <h1 class="govuk-heading-l">{lang.t(Msg::DevEmailsTitle)}</h1>
                    <p class="govuk-body">{lang.t(Msg::DevEmailsIntro)}</p>
                    {list.into_iter().map(|m| {
                        let status = match (&m.sent_at, &m.last_error) {
                            (Some(_), _) => lang.t(Msg::DevEmailsSent).to_owned(),
                            (None, Some(e)) => format!("{}: {e}", lang.t(Msg::DevEmailsFailed)),
                            (None, None) => lang.t(Msg::DevEmailsQueued).to_owned(),
                        };
                        view! {
                            <section class="app-email" data-kind=m.kind.clone() data-to=m.to_address.clone()>
                                <h2 class="govuk-heading-s">{m.subject.clone()}</h2>
                                <p class="govuk-body-s">{format!("{} · {} · {}", m.to_address, crate::clock::uk_time(m.created_at, lang), status)}</p>
                                <pre class="app-email__text">{m.text_body.clone()}</pre>
                            </section>
                        }
                    }).collect_view()}
                }.into_any()
            })}
        </Suspense>
    }
}
