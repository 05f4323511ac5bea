//! Browser entry point. Pages are server-rendered HTML; only the interactive "islands" inside them
//! (marked `#[island]` in the `app` crate) are hydrated, by `app/src/islands.js`,, so the download stays small however many
//! pages the service has.
#![cfg(target_arch = "wasm32")]

// Links the app crate, whose islands `#[island]` exports to JavaScript, into this bundle.
#[allow(unused_imports)]
use app::*;

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the bootstrap script in the page head once the module has loaded, before the
/// islands on the page are hydrated one by one.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
