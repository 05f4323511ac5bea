//! The account pages (server-rendered; forms post back to the same address, see `actions`).

use super::{
    onboarding, passkey,
    passkey_button::PasskeyButton,
    session::{self, Current},
    store, totp,
};
use crate::{
    clock::uk_date,
    forms::{ErrorSummary, Hidden, TextInput, form_title, use_posted},
    i18n::{Msg, use_lang},
    state::AppState,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The session the request carries (put there by the server's session layer).
pub fn current_session() -> Option<Current> {
    use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<Current>().cloned())
}

pub(crate) fn state() -> Option<AppState> {
    use_context::<AppState>()
}

pub(crate) fn query(name: &'static str) -> String {
    use_query_map()
        .read_untracked()
        .get(name)
        .unwrap_or_default()
}

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
    view! {
        {crate::page_title(Msg::SetupDoneTitle)}
        <div class="govuk-panel govuk-panel--confirmation">
            <h1 class="govuk-panel__title">{lang.t(Msg::SetupDoneTitle)}</h1>
        </div>
        <p class="govuk-body">{lang.t(Msg::SetupDoneBody)}</p>
        <a class="govuk-button" href="/account" role="button" draggable="false">{lang.t(Msg::ContinueButton)}</a>
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
            let d = crate::organisation::store::details(&mut conn, &org).await.ok()??;
            let pending = d.accountable_pending_id.as_deref() == Some(user_id.as_str());
            Some((d.name, pending))
        };
        let roles = crate::organisation::pages::role_names(
            &crate::organisation::store::parse_roles(&u.roles),
            lang,
        );
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

/// The onboarding queue.
#[component]
pub fn OnboardingPage() -> impl IntoView {
    let lang = use_lang();
    let banner = match (
        query("approved").as_str(),
        query("rejected").as_str(),
        query("imported").is_empty(),
        query("restored").as_str(),
    ) {
        ("1", _, _, _) => Some(Msg::OnboardingApproved),
        (_, "1", _, _) => Some(Msg::OnboardingRejected),
        (_, _, false, _) => Some(Msg::ImportDone),
        (_, _, _, "1") => Some(Msg::OnboardingRestored),
        _ => None,
    };
    let stranded = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        crate::organisation::store::stranded_administrators(&mut conn)
            .await
            .ok()
    };
    let load = async move {
        let state = state()?;
        onboarding::pending(&state.db).await.ok()
    };
    let requests = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        crate::organisation::store::recent_requests(&mut conn, 50)
            .await
            .ok()
    };
    view! {
        {form_title(Msg::OnboardingTitle)}
        {banner.map(|m| view! {
            <SuccessBanner message=m />
        })}
        <ErrorSummary />
        <h1 class="govuk-heading-l">{lang.t(Msg::OnboardingTitle)}</h1>
        <p class="govuk-body">
            <a class="govuk-link" href="/onboarding/import">{lang.t(Msg::ImportTitle)}</a>
        </p>
        <Suspense>
            {Suspend::new(async move {
                let list = load.await.unwrap_or_default();
                if list.is_empty() {
                    return view! { <p class="govuk-body">{lang.t(Msg::OnboardingEmpty)}</p> }.into_any();
                }
                view! {
                    <table class="govuk-table">
                        <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::OnboardingPending)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingSubmitted)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingUsers)}</th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|q| {
                                let users = q.registration().map_or(0, |r| r.users.len());
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">
                                            <a class="govuk-link" href=format!("/onboarding/registration?id={}", q.id)>{q.organisation.clone()}</a>
                                        </td>
                                        <td class="govuk-table__cell">{uk_date(q.submitted_at).long(lang)}</td>
                                        <td class="govuk-table__cell">{users}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
        <h2 class="govuk-heading-m" id="stranded">{lang.t(Msg::OnboardingStrandedTitle)}</h2>
        <Suspense>
            {Suspend::new(async move {
                let list = stranded.await.unwrap_or_default();
                if list.is_empty() {
                    return view! { <p class="govuk-body">{lang.t(Msg::OnboardingStrandedNone)}</p> }.into_any();
                }
                view! {
                    <p class="govuk-body">{lang.t(Msg::OnboardingStrandedIntro)}</p>
                    <table class="govuk-table" id="stranded-administrators">
                        <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::OnboardingStrandedTitle)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingStrandedAdmin)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingStrandedStatus)}</th>
                                <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">{lang.t(Msg::OnboardingRestoreButton)}</span></th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|a| {
                                let name = format!("{} {}", a.first_name, a.last_name);
                                let status = crate::organisation::rules::Status::from_code(&a.status)
                                    .map_or_else(|| a.status.clone(), |st| lang.t(crate::organisation::pages::status_name(st)).to_owned());
                                let tag = format!("govuk-tag {}", crate::organisation::users_table::status_tag(&a.status));
                                let hidden = format!(" {}", lang.tf(Msg::OnboardingRestoreFor, &[("name", &name)]));
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">{a.organisation.clone()}</td>
                                        <td class="govuk-table__cell">{name}<br /><span class="app-secondary-text">{a.email.clone()}</span></td>
                                        <td class="govuk-table__cell"><strong class=tag>{status}</strong></td>
                                        <td class="govuk-table__cell">
                                            <form method="post" action="/onboarding" novalidate>
                                                <Hidden name="restore" value=a.id.clone() />
                                                <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">
                                                    {lang.t(Msg::OnboardingRestoreButton)}
                                                    <span class="govuk-visually-hidden">{hidden}</span>
                                                </button>
                                            </form>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
        <h2 class="govuk-heading-m">{lang.t(Msg::OnboardingRequestsTitle)}</h2>
        <Suspense>
            {Suspend::new(async move {
                let list = requests.await.unwrap_or_default();
                if list.is_empty() {
                    return view! { <p class="govuk-body">{lang.t(Msg::OnboardingRequestsNone)}</p> }.into_any();
                }
                view! {
                    <table class="govuk-table" id="organisation-requests">
                        <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::OnboardingRequestsTitle)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingRequestWhat)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingRequestFrom)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingSubmitted)}</th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|r| {
                                let when = r.effective_on.parse::<crate::date::Date>().map_or_else(|_| r.effective_on.clone(), |d| d.long(lang));
                                let other = r.merge_with.clone().unwrap_or_default();
                                let what = if r.kind == "merge" {
                                    lang.tf(Msg::OnboardingRequestMerge, &[("date", &when), ("other", &other)])
                                } else {
                                    lang.tf(Msg::OnboardingRequestClose, &[("date", &when)])
                                };
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">{r.organisation.clone()}</td>
                                        <td class="govuk-table__cell">
                                            {what}
                                            {(!r.details.is_empty()).then(|| view! { <br /><span class="app-secondary-text">{r.details.clone()}</span> })}
                                        </td>
                                        <td class="govuk-table__cell">{format!("{} ({})", r.requested_by, r.requested_email)}</td>
                                        <td class="govuk-table__cell">{uk_date(r.created_at).long(lang)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
    }
}

/// One registration: everything submitted, and the decision.
#[component]
pub fn OnboardingRegistrationPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let id = posted
        .value("id")
        .map(str::to_owned)
        .unwrap_or_else(|| query("id"));
    let load = {
        let id = id.clone();
        async move {
            let state = state()?;
            onboarding::get(&state.db, &id).await.ok().flatten()
        }
    };
    view! {
        {form_title(Msg::OnboardingReviewTitle)}
        <Suspense>
            {Suspend::new(async move {
                let Some(q) = load.await else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                let Some(r) = q.registration() else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                let row = |k: Msg, v: String| view! {
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">{lang.t(k)}</dt>
                        <dd class="govuk-summary-list__value app-pre-line">{v}</dd>
                    </div>
                };
                let pending = q.status == "pending";
                view! {
                    <ErrorSummary />
                    <span class="govuk-caption-l">{lang.t(Msg::OnboardingReviewTitle)}</span>
                    <h1 class="govuk-heading-l">{r.organisation.clone()}</h1>
                    <dl class="govuk-summary-list">
                        {row(Msg::RegAddress, format!("{}\n{}", r.address, r.postcode))}
                        {row(Msg::RegLaa, r.laa_account.clone().unwrap_or_default())}
                        {row(Msg::RegSra, r.sra_number.clone().unwrap_or_default())}
                        {row(Msg::RegBar, r.bar_number.clone().unwrap_or_default())}
                        {row(Msg::RegApTitle, format!("{}\n{}\n{}", r.accountable_name, r.accountable_email, r.accountable_phone))}
                        {row(Msg::RegTermsSigned, format!("{} – {}", r.terms_signed_name, crate::clock::uk_time(r.terms_signed_at, lang)))}
                    </dl>
                    <table class="govuk-table">
                        <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::RegUsersTitle)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::AccountName)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::AccountEmail)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::RegRole)}</th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {r.users.iter().map(|u| view! {
                                <tr class="govuk-table__row">
                                    <td class="govuk-table__cell">{format!("{} {}", u.first_name, u.last_name)}</td>
                                    <td class="govuk-table__cell">{u.email.clone()}</td>
                                    <td class="govuk-table__cell">{u.roles.iter().map(|r| lang.t(r.label())).collect::<Vec<_>>().join(", ")}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {pending.then(|| view! { <DecisionForm id=q.id.clone() /> })}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn DecisionForm(id: String) -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let decision_error = posted.error("decision").map(str::to_owned);
    let reason_error = posted.error("reason").map(str::to_owned);
    let reason = posted.value("reason").unwrap_or_default().to_owned();
    let group = |e: &Option<String>| {
        if e.is_some() {
            "govuk-form-group govuk-form-group--error"
        } else {
            "govuk-form-group"
        }
    };
    let decision_class = group(&decision_error);
    let reason_class = group(&reason_error);
    view! {
        <form method="post" action="/onboarding/registration" novalidate>
            <Hidden name="id" value=id />
            <div class=decision_class>
                <fieldset class="govuk-fieldset" aria-describedby=decision_error.as_ref().map(|_| "decision-error")>
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::OnboardingDecision)}</legend>
                    <crate::forms::FieldErrorMessage id="decision".to_owned() message=decision_error.clone() />
                    <div class="govuk-radios" data-module="govuk-radios">
                        <div class="govuk-radios__item">
                            <input class="govuk-radios__input" id="decision" name="decision" type="radio" value="approve" />
                            <label class="govuk-label govuk-radios__label" for="decision">{lang.t(Msg::OnboardingApprove)}</label>
                        </div>
                        <div class="govuk-radios__item">
                            <input class="govuk-radios__input" id="decision-reject" name="decision" type="radio" value="reject" />
                            <label class="govuk-label govuk-radios__label" for="decision-reject">{lang.t(Msg::OnboardingReject)}</label>
                        </div>
                    </div>
                </fieldset>
            </div>
            <div class=reason_class>
                <label class="govuk-label" for="reason">{lang.t(Msg::OnboardingReason)}</label>
                <div id="reason-hint" class="govuk-hint">{lang.t(Msg::OnboardingReasonHint)}</div>
                <crate::forms::FieldErrorMessage id="reason".to_owned() message=reason_error />
                <textarea class="govuk-textarea" id="reason" name="reason" rows="4" aria-describedby="reason-hint">{reason}</textarea>
            </div>
            <button type="submit" class="govuk-button">{lang.t(Msg::OnboardingSave)}</button>
        </form>
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

/// Importing the registration spreadsheet: upload, preview (every problem by line), import.
#[component]
pub fn OnboardingImportPage() -> impl IntoView {
    use super::import;
    let lang = use_lang();
    let posted = use_posted();
    let text = posted.value("csv").unwrap_or_default().to_owned();
    let now = state().map_or(0, |s| s.clock.now_unix());
    let result = (!text.trim().is_empty()).then(|| import::parse(&text, lang, now));
    let file_error = posted.error("csv").map(str::to_owned);
    let preview = match result {
        Some(Err(errors)) => view! {
            <import::LineProblems errors=errors />
        }
        .into_any(),
        Some(Ok(list)) => {
            let n = list.len();
            view! {
                <h2 class="govuk-heading-m">{lang.t(Msg::ImportPreviewTitle)}</h2>
                <table class="govuk-table" id="import-preview">
                    <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::ImportPreviewTitle)}</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                            <th scope="col" class="govuk-table__header">{lang.t(Msg::RegApTitle)}</th>
                            <th scope="col" class="govuk-table__header govuk-table__header--numeric">{lang.t(Msg::RegUsersTitle)}</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">
                        {list.into_iter().map(|p| view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell">{p.registration.organisation.clone()}</td>
                                <td class="govuk-table__cell">{format!("{} ({})", p.registration.accountable_name, p.registration.accountable_email)}</td>
                                <td class="govuk-table__cell govuk-table__cell--numeric">{p.registration.users.len()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <form method="post" action="/onboarding/import">
                    <Hidden name="csv" value=text.clone() />
                    <Hidden name="step" value="import".to_owned() />
                    <button type="submit" class="govuk-button" data-prevent-double-click="true">
                        {lang.tp(crate::i18n::PluralMsg::ImportButton, n as u64)}
                    </button>
                </form>
            }
            .into_any()
        }
        None => ().into_any(),
    };
    let group = if file_error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    view! {
        {form_title(Msg::ImportTitle)}
        <ErrorSummary />
        <h1 class="govuk-heading-l">{lang.t(Msg::ImportTitle)}</h1>
        {preview}
        <form method="post" action="/onboarding/import" enctype="multipart/form-data" novalidate>
            <Hidden name="step" value="preview".to_owned() />
            <div class=group>
                <label class="govuk-label govuk-label--m" for="csv">{lang.t(Msg::ImportFileLabel)}</label>
                <div id="csv-hint" class="govuk-hint">{lang.t(Msg::ImportFileHint)}</div>
                <crate::forms::FieldErrorMessage id="csv".to_owned() message=file_error.clone() />
                <input class="govuk-file-upload" id="csv" name="csv" type="file" accept=".csv,text/csv" aria-describedby="csv-hint" />
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary">{lang.t(Msg::ImportPreviewButton)}</button>
        </form>
        <details class="govuk-details">
            <summary class="govuk-details__summary">
                <span class="govuk-details__summary-text">{lang.t(Msg::ImportColumnsTitle)}</span>
            </summary>
            <div class="govuk-details__text">
                <p class="govuk-body">{lang.t(Msg::ImportColumnsIntro)}</p>
                <p class="govuk-body"><code>{super::import::COLUMNS.join(",")}</code></p>
            </div>
        </details>
    }
}
