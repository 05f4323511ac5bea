//! Every address the organisation feature serves, with who may reach it.

use super::{audit, forms, import, pages};
use crate::web::{
    Access::{Administrator, SignedIn},
    Route,
    routes::{form, raw},
};
use leptos::prelude::*;

/// The largest spreadsheet of users accepted: 4 MiB (the 500 users a file may add fit in a
/// tenth of that).
pub const IMPORT_LIMIT: usize = 4 << 20;

/// The organisation feature's addresses.
pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/organisation", Administrator)
            .page_async(|| view! { <pages::OrganisationPage /> }.into_any()),
        Route::new("/organisation/details", Administrator)
            .page_async(|| view! { <pages::DetailsPage /> }.into_any())
            .form(|c| form(forms::dispatch("/organisation/details", c))),
        Route::new("/organisation/users", Administrator)
            .page_async(|| view! { <pages::UsersPage /> }.into_any()),
        Route::new("/organisation/users/add", Administrator)
            .page(|| view! { <pages::AddUserPage /> }.into_any())
            .form(|c| form(forms::dispatch("/organisation/users/add", c))),
        Route::new("/organisation/users/import", Administrator)
            .page_async(|| view! { <import::ImportUsersPage /> }.into_any())
            .form_up_to(|c| form(import::post(c)), IMPORT_LIMIT),
        Route::new("/organisation/user", Administrator)
            .page_async(|| view! { <pages::UserPage /> }.into_any())
            .form(|c| form(forms::dispatch("/organisation/user", c))),
        Route::new("/organisation/user/confirm", Administrator)
            .page_async(|| view! { <pages::ConfirmPage /> }.into_any()),
        Route::new("/organisation/accountable", Administrator)
            .page_async(|| view! { <pages::AccountablePage /> }.into_any())
            .form(|c| form(forms::dispatch("/organisation/accountable", c))),
        Route::new("/organisation/audit", Administrator)
            .page_async(|| view! { <audit::AuditPage /> }.into_any()),
        Route::new("/organisation/audit.csv", Administrator).raw(
            axum::http::Method::GET,
            |s, r| raw(audit::csv_download(s, r)),
            0,
        ),
        Route::new("/organisation/tell-hmcts", Administrator)
            .page(|| view! { <pages::TellHmctsPage /> }.into_any())
            .form(|c| form(forms::dispatch("/organisation/tell-hmcts", c))),
        // The accountable person, nominated by an administrator, confirms from their account.
        Route::new("/account/accountable", SignedIn)
            .page_async(|| view! { <pages::ConfirmAccountablePage /> }.into_any())
            .form(|c| form(forms::dispatch("/account/accountable", c))),
    ]
}
