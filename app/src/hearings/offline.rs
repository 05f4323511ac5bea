//! The service worker that keeps Today and a hearing's page working offline (`sw.js`, served
//! with this build's bundle names), and the region where the page script (`offline.js`, part of
//! every page's bootstrap) shows check-ins waiting on this device to be sent.

use crate::i18n::{Lang, Msg};
use crate::state::Assets;

/// Where the worker is served: the site's root, so that its scope can be the whole site.
pub const PATH: &str = "/sw.js";

/// On a page with no one signed in: the pages kept for whoever was, deleted.
pub const FORGET: &str = "if (window.caches) caches.delete('caseaccess-pages').catch(() => {});";

/// The worker's source for this build: the bundle to keep, and a version that changes with it
/// (a changed worker is a new worker, which drops the old bundle).
pub fn script(assets: &Assets) -> String {
    let bundle: Vec<String> = [&assets.css, &assets.js, &assets.wasm]
        .iter()
        .map(|name| format!("/pkg/{name}"))
        .collect();
    let list = serde_json::to_string(&bundle).unwrap_or_else(|_| "[]".into());
    let version = serde_json::to_string(&format!("{}+{}+{}", assets.css, assets.js, assets.wasm))
        .unwrap_or_else(|_| "\"0\"".into());
    include_str!("sw.js")
        .replacen("__BUNDLE__", &list, 1)
        .replacen("__VERSION__", &version, 1)
}

/// `GET /sw.js`: never cached by the browser's HTTP cache, so a release reaches every device at
/// its next visit.
pub async fn get(
    state: crate::state::AppState,
    _req: axum::extract::Request,
) -> axum::response::Response {
    use axum::{http::header, response::IntoResponse};
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        script(&state.assets),
    )
        .into_response()
}

/// The texts the page script needs, in the page's language, by the name it knows them by.
pub fn texts(lang: Lang) -> Vec<(&'static str, &'static str)> {
    vec![
        ("offline", lang.t(Msg::QueueOffline)),
        ("offline-copy", lang.t(Msg::QueueOfflineCopy)),
        ("title", lang.t(Msg::QueueTitle)),
        ("waiting", lang.t(Msg::QueueWaiting)),
        ("sign-in", lang.t(Msg::QueueSignIn)),
        ("sent", lang.t(Msg::QueueSent)),
        ("failed", lang.t(Msg::QueueFailed)),
        ("gone", lang.t(Msg::QueueGone)),
        ("retry", lang.t(Msg::QueueRetry)),
        ("dismiss", lang.t(Msg::QueueDismiss)),
        ("tag", lang.t(Msg::QueueTag)),
        ("sign-out", lang.t(Msg::QueueSignOut)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_names_this_builds_bundle_and_changes_with_it() {
        let a = Assets {
            js: "caseaccess.1.js".into(),
            wasm: "caseaccess_bg.1.wasm".into(),
            css: "caseaccess.1.css".into(),
        };
        let s = script(&a);
        assert!(s.contains(
            r#"const BUNDLE = ["/pkg/caseaccess.1.css","/pkg/caseaccess.1.js","/pkg/caseaccess_bg.1.wasm"];"#
        ));
        assert!(!s.contains("__BUNDLE__") && !s.contains("__VERSION__"));
        let b = Assets {
            wasm: "caseaccess_bg.2.wasm".into(),
            ..a
        };
        assert_ne!(s, script(&b));
    }

    #[test]
    fn every_text_is_there_in_both_languages() {
        for lang in [Lang::En, Lang::Cy] {
            for (name, text) in texts(lang) {
                assert!(name.starts_with(""));
                assert!(!text.trim().is_empty(), "{name} in {lang:?}");
            }
        }
        assert!(Lang::Cy.t(Msg::QueueOfflineCopy).contains("{time}"));
    }
}

/// The region the page script fills (empty, and so not shown, until there is something to
/// say), with its texts, on every page for a signed-in user.
#[leptos::component]
pub fn QueueRegion() -> impl leptos::IntoView {
    use leptos::prelude::*;
    let lang = crate::i18n::use_lang();
    view! {
        <div id="app-queue" class="app-queue" aria-live="polite"></div>
        <div id="app-queue-texts" hidden="">
            {texts(lang).into_iter().map(|(name, text)| view! { <span data-text=name>{text}</span> }).collect_view()}
        </div>
    }
}
