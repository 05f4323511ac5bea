//! Every address the onboarding feature serves: HMCTS onboarding staff only.

use super::{decide, import, pages};
use crate::web::{Access::Onboarding, Route, routes::form};
use leptos::prelude::*;

/// The largest registration spreadsheet accepted: 4 MiB (2,000 rows fit in a quarter of that).
pub const IMPORT_LIMIT: usize = 4 << 20;

/// The onboarding feature's addresses.
pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/onboarding", Onboarding)
            .page_async(|| view! { <pages::OnboardingPage /> }.into_any())
            .form(|c| form(decide::restore(c))),
        Route::new("/onboarding/registration", Onboarding)
            .page_async(|| view! { <pages::OnboardingRegistrationPage /> }.into_any())
            .form(|c| form(decide::decide(c))),
        Route::new("/onboarding/import", Onboarding)
            .page(|| view! { <pages::OnboardingImportPage /> }.into_any())
            .form_up_to(|c| form(import::post(c)), IMPORT_LIMIT),
    ]
}
