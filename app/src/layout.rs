//! The GOV.UK page template: skip link, header, navigation, phase banner, footer, error pages.

use crate::i18n::{Lang, Msg, use_lang};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The Content-Security-Policy for a page whose inline bootstrap script carries `nonce`.
pub fn content_security_policy(nonce: &str) -> String {
    let script = if nonce.is_empty() {
        String::new()
    } else {
        format!(" 'nonce-{nonce}'")
    };
    format!(
        "default-src 'self'; script-src 'self'{script} 'wasm-unsafe-eval'; style-src 'self'{script}; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// "Skip to main content": the first thing a keyboard user reaches.
#[component]
pub fn SkipLink() -> impl IntoView {
    let lang = use_lang();
    // rel="external" keeps the router out of it, so the browser moves focus to the target.
    view! {
        <a href="#main-content" rel="external" class="govuk-skip-link">
            {lang.t(Msg::SkipToMain)}
        </a>
    }
}

/// The header: the service name and the service navigation.
#[component]
pub fn Header() -> impl IntoView {
    let lang = use_lang();
    view! {
        <header class="app-header">
            <div class="govuk-width-container">
                <a href="/" class="app-header__link">{lang.t(Msg::ServiceName)}</a>
            </div>
        </header>
        <section class="govuk-service-navigation" aria-label=lang.t(Msg::NavLabel)>
            <div class="govuk-width-container">
                <div class="govuk-service-navigation__container">
                    <nav aria-label=lang.t(Msg::NavMenu) class="govuk-service-navigation__wrapper">
                        <ul class="govuk-service-navigation__list">
                            <NavItem href="/" label=Msg::NavHome exact=true />
                            <NavItem href="/courts" label=Msg::NavCourts exact=false />
                            <AccountItems />
                        </ul>
                    </nav>
                </div>
            </div>
        </section>
    }
}

/// Signed in: "Your account" and a sign-out button (a POST, so a prefetch or a crafted link
/// cannot sign anyone out). Signed out: "Sign in".
#[component]
fn AccountItems() -> impl IntoView {
    let lang = use_lang();
    #[cfg(feature = "ssr")]
    let (signed_in, admin, home, account) = crate::web::current_session()
        .filter(|s| s.stage == crate::web::Stage::Full)
        .map_or((false, false, "/account", String::new()), |s| {
            (
                true,
                s.user.is_active_admin(),
                crate::web::home(&s.user),
                s.user.id.clone(),
            )
        });
    #[cfg(not(feature = "ssr"))]
    let (signed_in, admin, home, account) = (false, false, "/account", String::new());
    let work = match home {
        "/cases" => Some(Msg::NavCases),
        "/staff/laa" | "/staff/service-centre" => Some(Msg::NavStaffCases),
        _ => None,
    };
    if signed_in {
        view! {
            {work.map(|label| view! { <NavItem href=home label=label exact=false /> })}
            {admin.then(|| view! { <NavItem href="/organisation" label=Msg::NavOrganisation exact=false /> })}
            <NavItem href="/account" label=Msg::NavAccount exact=false />
            <li class="govuk-service-navigation__item">
                // Whose pages these are, for the page script: check-ins waiting on this device
                // are sent only for the account that made them (hearings::offline).
                <form method="post" action="/sign-out" class="app-nav-form" data-account=account>
                    <button type="submit" class="govuk-service-navigation__link app-link-button">
                        {lang.t(Msg::SignOut)}
                    </button>
                </form>
            </li>
        }
        .into_any()
    } else {
        view! { <NavItem href="/sign-in" label=Msg::SignInTitle exact=false /> }.into_any()
    }
}

/// The time-out warning on signed-in pages, told how long the session has left (less the
/// server's touch interval, as the stored last use may be that much older).
#[cfg(feature = "ssr")]
#[component]
pub fn SessionTimeout() -> impl IntoView {
    use crate::web::session::{Stage, TOUCH_SECS};
    let s = crate::web::current_session().filter(|s| s.stage == Stage::Full);
    let now = use_context::<crate::state::AppState>().map(|st| st.clock.now_unix());
    match (s, now) {
        (Some(s), Some(now)) => Some(view! {
            <crate::web::timeout::TimeoutWarning expires_in=s.expires_at() - now - TOUCH_SECS />
        }),
        _ => None,
    }
}

#[component]
fn NavItem(href: &'static str, label: Msg, exact: bool) -> impl IntoView {
    let lang = use_lang();
    let location = use_location();
    let active = move || {
        let path = location.pathname.get();
        if exact {
            path == href
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        }
    };
    view! {
        <li
            class="govuk-service-navigation__item"
            class:govuk-service-navigation__item--active=active
        >
            <a
                class="govuk-service-navigation__link"
                href=href
                aria-current=move || active().then_some("page")
            >
                {lang.t(label)}
            </a>
        </li>
    }
}

/// The phase banner and the English / Cymraeg switch.
#[component]
pub fn PhaseBanner() -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <div class="govuk-phase-banner">
                    <p class="govuk-phase-banner__content">
                        <strong class="govuk-tag govuk-phase-banner__content__tag">
                            {lang.t(Msg::PhaseTag)}
                        </strong>
                        <span class="govuk-phase-banner__text">{lang.t(Msg::PhaseText)}</span>
                    </p>
                </div>
            </div>
            <div class="govuk-grid-column-one-third">
                <LanguageSwitch />
            </div>
        </div>
    }
}

/// Links to the same page in the other language. The current language is plain text; the
/// other is a link in its own language, loaded in full so the server sets the cookie.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let lang = use_lang();
    let location = use_location();
    let href_for = move |target: Lang| {
        let path = location.pathname.get();
        let query: Vec<String> = location
            .query
            .get()
            .into_iter()
            .filter(|(k, _)| k != "lang")
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::text::encode_query_value(&k),
                    crate::text::encode_query_value(&v)
                )
            })
            .chain(std::iter::once(format!("lang={}", target.code())))
            .collect();
        format!("{path}?{}", query.join("&"))
    };
    let item = move |target: Lang, label: &'static str| {
        if target == lang {
            view! {
                <li class="app-language-switch__item">
                    <span aria-current="true" lang=target.code()>{label}</span>
                </li>
            }
            .into_any()
        } else {
            view! {
                <li class="app-language-switch__item">
                    <a
                        class="govuk-link"
                        href=move || href_for(target)
                        rel="external"
                        lang=target.code()
                        hreflang=target.code()
                    >
                        {label}
                    </a>
                </li>
            }
            .into_any()
        }
    };
    view! {
        <nav aria-label=lang.t(Msg::LanguageSwitchLabel)>
            <ul class="app-language-switch">
                {item(Lang::En, "English")}
                {item(Lang::Cy, "Cymraeg")}
            </ul>
        </nav>
    }
}

/// The footer with the accessibility statement, cookies and privacy.
#[component]
pub fn Footer() -> impl IntoView {
    let lang = use_lang();
    view! {
        <footer class="govuk-footer">
            <div class="govuk-width-container">
                <div class="govuk-footer__meta">
                    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
                        <h2 class="govuk-visually-hidden">{lang.t(Msg::FooterSupportLinks)}</h2>
                        <ul class="govuk-footer__inline-list">
                            <li class="govuk-footer__inline-list-item">
                                <a class="govuk-footer__link" href="/accessibility">
                                    {lang.t(Msg::AccessibilityTitle)}
                                </a>
                            </li>
                            <li class="govuk-footer__inline-list-item">
                                <a class="govuk-footer__link" href="/cookies">
                                    {lang.t(Msg::CookiesTitle)}
                                </a>
                            </li>
                            <li class="govuk-footer__inline-list-item">
                                <a class="govuk-footer__link" href="/privacy">
                                    {lang.t(Msg::PrivacyTitle)}
                                </a>
                            </li>
                        </ul>
                        <p class="govuk-body-s">{lang.t(Msg::FooterAbout)}</p>
                    </div>
                </div>
            </div>
        </footer>
    }
}

/// Makes the server's response for this render a 404.
#[cfg(feature = "ssr")]
pub fn not_found_status() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

/// "Page not found", with a 404 status on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    not_found_status();
    let lang = use_lang();
    view! {
        {crate::page_title(Msg::NotFoundTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">{lang.t(Msg::NotFoundTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::NotFoundTyped)}</p>
                <p class="govuk-body">{lang.t(Msg::NotFoundPasted)}</p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/">{lang.t(Msg::NotFoundHome)}</a>
                </p>
            </div>
        </div>
    }
}

/// A problem loading a page's data: the message (with any incident id) and, where trying again
/// may help, a button that does.
#[component]
pub fn LoadError(error: crate::error::AppError) -> impl IntoView {
    let lang = use_lang();
    let retryable = matches!(error, crate::error::AppError::Unavailable(_));
    let here = use_location();
    let href = format!(
        "{}{}",
        here.pathname.get_untracked(),
        here.search.get_untracked()
    );
    view! {
        <div class="govuk-error-summary" role="alert">
            <h2 class="govuk-error-summary__title">{lang.t(Msg::ErrorTitle)}</h2>
            <div class="govuk-error-summary__body">
                <p class="govuk-body">{error.message(lang)}</p>
            </div>
        </div>
        {retryable.then(|| {
            view! {
                <a href=href role="button" draggable="false" class="govuk-button govuk-button--secondary">
                    {lang.t(Msg::TryAgain)}
                </a>
            }
        })}
    }
}
