//! The web application: pages, shared types and server functions, organised by feature.
//!
//! Server-only code (stores, state) sits behind the `ssr` feature; the browser build
//! (`hydrate`) gets only what pages need.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod clock;
pub mod courts;
pub mod date;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod email;
pub mod error;
pub mod forms;
pub mod i18n;
pub mod info;
pub mod layout;
#[cfg(feature = "ssr")]
pub mod metrics;
pub mod organisation;
#[cfg(feature = "ssr")]
pub mod secrets;
pub mod start;
#[cfg(feature = "ssr")]
pub mod state;
pub mod text;

use i18n::{Msg, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;
#[cfg(feature = "ssr")]
use leptos_meta::provide_meta_context;
#[cfg(feature = "ssr")]
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app: rendered on the server only.
#[cfg(feature = "ssr")]
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;

    let lang = i18n::request_lang();
    provide_context(lang);
    let nonce = leptos::nonce::use_nonce()
        .map(|n| n.to_string())
        .unwrap_or_default();
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(csp) = axum::http::HeaderValue::from_str(&layout::content_security_policy(&nonce))
    {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, csp);
    }
    let assets = use_context::<state::AppState>().map(|s| s.assets.clone());
    let css = assets.as_ref().map(|a| format!("/pkg/{}", a.css));
    let (js, wasm) = assets
        .as_ref()
        .map(|a| (format!("/pkg/{}", a.js), format!("/pkg/{}", a.wasm)))
        .unwrap_or_default();
    // Only islands hydrate: the rest of the page is server HTML and must not expect it.
    if let Some(sc) = Owner::current_shared_context() {
        sc.set_is_hydrating(false);
    }
    let bootstrap = format!(
        "{}({js:?}, {wasm:?});",
        include_str!("islands.js").trim_end()
    );
    view! {
        <!DOCTYPE html>
        <html lang=lang.code() class="govuk-template govuk-template--rebranded">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta name="theme-color" content="#1d70b8" />
                <link rel="icon" href="/assets/images/favicon.svg" type="image/svg+xml" />
                <link rel="icon" href="/assets/images/favicon.ico" sizes="48x48" />
                <link rel="stylesheet" href=css />
                <link rel="modulepreload" href=js.clone() />
                <link rel="preload" href=wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin="" />
                <script type="module" nonce=nonce>{bootstrap}</script>
                <MetaTags />
            </head>
            <body class="govuk-template__body">
                <App />
            </body>
        </html>
    }
}

/// The application: the page template around the routed pages (server-rendered only; the
/// browser hydrates islands, not the app).
#[cfg(feature = "ssr")]
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang = i18n::page_lang();
    provide_context(lang);
    let service = lang.t(Msg::ServiceName);

    view! {
        <Title formatter=move |page: String| {
            if page == service { page } else { format!("{page} – {service}") }
        } />
        <Router>
            <layout::SkipLink />
            <layout::Header />
            <div class="govuk-width-container">
                <layout::PhaseBanner />
                <main class="govuk-main-wrapper" id="main-content" tabindex="-1">
                    <Routes fallback=layout::NotFound>
                        <Route path=path!("/") view=start::StartPage />
                        <Route path=path!("/courts") view=courts::CourtsPage ssr=SsrMode::Async />
                        <Route path=path!("/accessibility") view=info::AccessibilityPage />
                        <Route path=path!("/cookies") view=info::CookiesPage />
                        <Route path=path!("/privacy") view=info::PrivacyPage />
                        <Route path=path!("/help/authenticator-app") view=info::AuthenticatorHelpPage />
                        <Route path=path!("/sign-in") view=accounts::pages::SignInPage />
                        <Route path=path!("/sign-in/verify") view=accounts::pages::VerifyPage />
                        <Route path=path!("/signed-out") view=accounts::pages::SignedOutPage />
                        <Route path=path!("/activate") view=accounts::pages::ActivatePage ssr=SsrMode::Async />
                        <Route path=path!("/enrol") view=accounts::enrol::EnrolPage ssr=SsrMode::Async />
                        <Route path=path!("/account") view=accounts::pages::AccountPage ssr=SsrMode::Async />
                        <Route path=path!("/account/change-password") view=accounts::reset::ChangePasswordPage />
                        <Route path=path!("/forgot-password") view=accounts::reset::ForgotPasswordPage />
                        <Route path=path!("/forgot-password/sent") view=accounts::reset::ForgotSentPage />
                        <Route path=path!("/reset-password") view=accounts::reset::ResetPasswordPage ssr=SsrMode::Async />
                        <Route path=path!("/account/sessions") view=accounts::pages::SessionsPage ssr=SsrMode::Async />
                        <Route path=path!("/account/set-up/password") view=accounts::pages::SetPasswordPage />
                        <Route path=path!("/account/set-up/authenticator") view=accounts::pages::AuthenticatorPage ssr=SsrMode::Async />
                        <Route path=path!("/account/set-up/done") view=accounts::pages::SetupDonePage />
                        <Route path=path!("/register") view=accounts::register_page::RegisterPage />
                        <Route path=path!("/register/barrister") view=accounts::register_page::RegisterBarristerPage />
                        <Route path=path!("/register/submitted") view=accounts::register_page::RegisterSubmittedPage />
                        <Route path=path!("/onboarding") view=accounts::pages::OnboardingPage ssr=SsrMode::Async />
                        <Route path=path!("/onboarding/import") view=accounts::pages::OnboardingImportPage />
                        <Route path=path!("/onboarding/registration") view=accounts::pages::OnboardingRegistrationPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation") view=organisation::pages::OrganisationPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/details") view=organisation::pages::DetailsPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/users") view=organisation::pages::UsersPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/users/add") view=organisation::pages::AddUserPage />
                        <Route path=path!("/organisation/users/import") view=organisation::import::ImportUsersPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/user") view=organisation::pages::UserPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/user/confirm") view=organisation::pages::ConfirmPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/accountable") view=organisation::pages::AccountablePage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/audit") view=organisation::audit::AuditPage ssr=SsrMode::Async />
                        <Route path=path!("/organisation/tell-hmcts") view=organisation::pages::TellHmctsPage />
                        <Route path=path!("/account/confirm-password") view=accounts::security::ConfirmPasswordPage />
                        <Route path=path!("/account/authenticator") view=accounts::security::ReplaceAuthenticatorPage ssr=SsrMode::Async />
                        <Route path=path!("/account/report") view=accounts::security::ReportPage />
                        <Route path=path!("/account/passkey") view=accounts::security::RenamePasskeyPage ssr=SsrMode::Async />
                        <Route path=path!("/account/accountable") view=organisation::pages::ConfirmAccountablePage ssr=SsrMode::Async />
                        <Route path=path!("/dev/emails") view=accounts::pages::DevEmailsPage ssr=SsrMode::Async />
                    </Routes>
                </main>
            </div>
            <layout::Footer />
            <layout::SessionTimeout />
        </Router>
    }
}

/// The page title for a message, used by every page's `<Title>`.
pub fn page_title(msg: Msg) -> impl IntoView {
    let lang = use_lang();
    view! { <Title text=lang.t(msg) /> }
}
