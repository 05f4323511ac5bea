//! The GOV.UK time-out warning: two minutes before an idle session ends, a modal dialog says
//! so and counts down; "Stay signed in" extends the session in the background (nothing typed on
//! the page is lost, WCAG 2.2.1), Escape does the same, and "Sign out" signs out. If nobody
//! answers, the page signs out and says why.

use crate::i18n::{Msg, PluralMsg, use_lang};
use leptos::prelude::*;

/// How long before the end the dialog opens.
pub const WARN_SECS: i64 = 120;

/// Rendered on signed-in pages; `expires_in` is the seconds the session has left.
#[island]
pub fn TimeoutWarning(expires_in: i64) -> impl IntoView {
    let lang = use_lang();
    let left = RwSignal::new(expires_in);
    let open = RwSignal::new(false);
    // What screen readers hear: changed at 2 minutes, 1 minute, 30 and 10 seconds, not every tick.
    let announced = RwSignal::new(String::new());
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let describe = move |secs: i64| {
        if secs >= 60 {
            lang.tp(PluralMsg::TimeoutMinutes, ((secs + 59) / 60) as u64)
        } else {
            lang.tp(PluralMsg::TimeoutSeconds, secs.max(0) as u64)
        }
    };
    #[cfg(feature = "hydrate")]
    let deadline = RwSignal::new(js_sys::Date::now() + expires_in as f64 * 1000.0);
    let stay = move || {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match client::keep_alive().await {
                Some(secs) => {
                    deadline.set(js_sys::Date::now() + secs as f64 * 1000.0);
                    left.set(secs);
                    open.set(false);
                    if let Some(d) = dialog.get_untracked() {
                        d.close();
                    }
                }
                None => client::go("/sign-in"),
            }
        });
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // The page may be swapped out by client-side navigation (the new page has its own
        // warning): then this one stops, so it never signs out a session the user is using.
        let handle = std::rc::Rc::new(std::cell::Cell::new(None::<IntervalHandle>));
        let own = handle.clone();
        let started = set_interval_with_handle(
            move || {
                if dialog
                    .get_untracked()
                    .is_some_and(|d| !web_sys::Node::is_connected(&d))
                {
                    if let Some(h) = own.get() {
                        h.clear();
                    }
                    return;
                }
                let secs =
                    ((deadline.get_untracked() - js_sys::Date::now()) / 1000.0).ceil() as i64;
                left.set(secs);
                if secs <= 0 {
                    client::sign_out_and_go("/signed-out?reason=timeout");
                } else if secs <= WARN_SECS && !open.get_untracked() {
                    open.set(true);
                    if let Some(d) = dialog.get_untracked() {
                        let _ = d.show_modal();
                    }
                }
                if open.get_untracked() && [120, 60, 30, 10].contains(&secs) {
                    announced.set(lang.tf(Msg::TimeoutBody, &[("time", &describe(secs))]));
                }
            },
            std::time::Duration::from_secs(1),
        );
        handle.set(started.ok());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = open;
    // Escape closes a modal dialog: treat it as "stay signed in".
    let on_cancel = move |ev: leptos::ev::Event| {
        ev.prevent_default();
        stay();
    };
    view! {
        <dialog class="app-timeout" node_ref=dialog aria-labelledby="timeout-title" aria-describedby="timeout-text" on:cancel=on_cancel>
            <h2 class="govuk-heading-m" id="timeout-title">{lang.t(Msg::TimeoutTitle)}</h2>
            <p class="govuk-body" id="timeout-text">
                {move || lang.tf(Msg::TimeoutBody, &[("time", &describe(left.get()))])}
            </p>
            <p class="govuk-visually-hidden" aria-live="assertive">{move || announced.get()}</p>
            <div class="govuk-button-group">
                <button type="button" class="govuk-button" id="timeout-stay" on:click=move |_| stay()>
                    {lang.t(Msg::TimeoutStay)}
                </button>
                <form method="post" action="/sign-out" class="app-nav-form">
                    <button type="submit" class="govuk-button govuk-button--secondary">{lang.t(Msg::SignOut)}</button>
                </form>
            </div>
        </dialog>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use js_sys::Reflect;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    pub fn go(to: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign(to);
        }
    }

    async fn post(url: &str) -> Option<web_sys::Response> {
        let window = web_sys::window()?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        let res = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .ok()?;
        res.dyn_into().ok()
    }

    /// Extends the session; the seconds it now has, or `None` if it has already ended.
    pub async fn keep_alive() -> Option<i64> {
        let res = post("/account/keep-alive").await?;
        if !res.ok() || res.redirected() {
            return None;
        }
        let json = JsFuture::from(res.json().ok()?).await.ok()?;
        Reflect::get(&json, &"expires_in".into())
            .ok()?
            .as_f64()
            .map(|f| f as i64)
    }

    pub fn sign_out_and_go(to: &'static str) {
        leptos::task::spawn_local(async move {
            let _ = post("/sign-out").await;
            go(to);
        });
    }
}
