//! The web application: pages, shared types and server functions, organised by feature.
//!
//! Server-only code (stores, state) sits behind the `ssr` feature; the browser build
//! (`hydrate`) gets only what pages need.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod cases;
pub mod clock;
pub mod courts;
#[cfg(feature = "ssr")]
pub mod csv_file;
pub mod date;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod email;
pub mod error;
#[cfg(feature = "ssr")]
pub mod files;
pub mod forms;
pub mod hearings;
pub mod i18n;
pub mod info;
#[cfg(all(test, feature = "ssr"))]
mod layers_tests;
pub mod layout;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod objects;
pub mod onboarding;
pub mod organisation;
#[cfg(feature = "ssr")]
pub mod scan;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod session_cache;
pub mod start;
#[cfg(feature = "ssr")]
pub mod state;
pub mod text;
pub mod web;

use i18n::{Msg, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;
#[cfg(feature = "ssr")]
use leptos_meta::provide_meta_context;
#[cfg(feature = "ssr")]
use leptos_router::components::{Router, Routes};

/// How often a live stream looks its session up again: a user signed out or removed stops
/// receiving within this time (`AppState::live_recheck`).
#[cfg(feature = "ssr")]
pub const LIVE_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// The features, lowest first: each may import only those above it in this list (a test
/// checks), and declares every address it serves ([`web::routes`]).
#[cfg(feature = "ssr")]
pub const FEATURES: &[web::Feature] = &[
    web::Feature {
        name: "info",
        routes: info::routes,
        home: None,
    },
    web::Feature {
        name: "courts",
        routes: courts::routes,
        home: None,
    },
    web::Feature {
        name: "accounts",
        routes: accounts::routes,
        home: None,
    },
    web::Feature {
        name: "organisation",
        routes: organisation::routes,
        home: None,
    },
    web::Feature {
        name: "onboarding",
        routes: onboarding::routes,
        home: None,
    },
    web::Feature {
        name: "cases",
        routes: cases::routes,
        home: None,
    },
    web::Feature {
        name: "hearings",
        routes: hearings::routes,
        home: Some(hearings::pages::today_section),
    },
];

/// Every feature's declared addresses, checked once ([`web::routes::check`]): the server refuses
/// to start if they clash.
#[cfg(feature = "ssr")]
pub fn routes() -> Result<&'static [web::Route], String> {
    static ROUTES: std::sync::OnceLock<Result<Vec<web::Route>, String>> =
        std::sync::OnceLock::new();
    ROUTES
        .get_or_init(|| web::routes::check(FEATURES))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

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
    // A defence user's pages carry the script for check-ins on bad Wi-Fi; a page with no one
    // signed in forgets the pages it kept for someone (hearings::offline).
    let session = web::current_session().filter(|s| s.stage == web::Stage::Full);
    let offline = match &session {
        Some(s) if s.user.staff_role.is_none() => include_str!("hearings/offline.js").trim_end(),
        Some(_) => "",
        None => hearings::offline::FORGET,
    };
    let bootstrap = format!(
        "{}({js:?}, {wasm:?});\n{offline}",
        include_str!("islands.js").trim_end(),
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
    // Defence users' check-ins can wait on the device for a connection: their pages carry the
    // region that says so (hearings::offline).
    let queue = web::current_session()
        .is_some_and(|s| s.stage == web::Stage::Full && s.user.staff_role.is_none());

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
                    {queue.then(|| view! { <hearings::offline::QueueRegion /> })}
                    <Pages />
                </main>
            </div>
            <layout::Footer />
            <layout::SessionTimeout />
        </Router>
    }
}

/// Tests: a form post to `path` as the server would make it, through the declared handler.
#[cfg(all(feature = "ssr", any(test, feature = "testing")))]
pub async fn post_form(path: &str, ctx: web::Ctx) -> Result<web::Outcome, error::AppError> {
    let routes = routes().map_err(|_| error::AppError::NotFound)?;
    let route = routes
        .iter()
        .find(|r| r.path == path)
        .or_else(|| routes.iter().find(|r| web::routes::matches(r.path, path)))
        .ok_or(error::AppError::NotFound)?;
    let form = route.form.ok_or(error::AppError::NotFound)?;
    (form.handler)(ctx.with_params(route.path, path)).await
}

/// The declared pages, routed.
#[cfg(feature = "ssr")]
#[component]
fn Pages() -> impl IntoView {
    use leptos::children::ToChildren as _;
    use leptos_router::components::{RouteChildren, RoutesProps};
    Routes(
        RoutesProps::builder()
            .fallback(layout::NotFound)
            .children(RouteChildren::to_children(|| {
                web::page_routes(routes().unwrap_or_default())
            }))
            .build(),
    )
}

/// The page title for a message, used by every page's `<Title>`.
pub fn page_title(msg: Msg) -> impl IntoView {
    let lang = use_lang();
    view! { <Title text=lang.t(msg) /> }
}
