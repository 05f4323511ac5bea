//! Every address the hearings feature serves, with who may reach it. Handlers check again:
//! a defence member's standing on the case for a check-in, court staff's court for the board.

use super::{calendar, court, laa, offline, pages, stream};
use crate::web::{
    Access::{Court, Laa, Public, SignedIn},
    Route,
    routes::{form, raw},
};
use leptos::prelude::*;

/// The hearings feature's addresses.
pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/hearings", SignedIn)
            .page_async(|| view! { <pages::HearingsPage /> }.into_any()),
        // The user's calendar feed: turned on, renewed or off here; read by a calendar app at
        // its secret address (the token is the authority: docs/security.md).
        Route::new(calendar::PAGE, SignedIn)
            .page_async(|| view! { <calendar::CalendarPage /> }.into_any())
            .form(|c| form(calendar::post(c))),
        Route::new(calendar::PATH, Public).raw(
            axum::http::Method::GET,
            |s, r| raw(calendar::get(s, r)),
            0,
        ),
        // A hearing, with the advocate's check-in form (check in, change, withdraw).
        Route::new("/hearings/{id}", SignedIn)
            .page_async(|| view! { <pages::HearingPage /> }.into_any())
            .form(|c| form(pages::post(c))),
        // The offline service worker (for everyone: it is the same script for all, and a
        // signed-out browser must still be able to fetch the update that replaces it).
        Route::new(offline::PATH, Public).raw(
            axum::http::Method::GET,
            |s, r| raw(offline::get(s, r)),
            0,
        ),
        Route::new("/court", Court).page_async(|| view! { <court::CourtPage /> }.into_any()),
        Route::new(stream::PATH, Court).raw(
            axum::http::Method::GET,
            |s, r| raw(stream::get(s, r)),
            0,
        ),
        Route::new("/court/hearings/{id}", Court)
            .page_async(|| view! { <court::CourtHearingPage /> }.into_any())
            .form(|c| form(court::hearing_post(c))),
        Route::new("/court/attendance", Court).form(|c| form(court::attendance_post(c))),
        Route::new("/staff/laa/attendance", Laa)
            .page_async(|| view! { <laa::AttendancePage /> }.into_any()),
        Route::new(laa::CSV_PATH, Laa).raw(
            axum::http::Method::GET,
            |s, r| raw(laa::csv_download(s, r)),
            0,
        ),
    ]
}
