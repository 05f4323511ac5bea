//! Every address the cases feature serves, with who may reach it. The handlers check again that
//! the user is an active member of a defence organisation and has standing on the case (found
//! it themselves, or their firm is on record for one of its defendants): anyone else is told
//! the page does not exist.

use super::{
    api, api_material, download, forms, inbox, notices, orders, pages, pet, resumable, sharing,
    staff, upload, upload_page, urn_requests,
};
use crate::web::{
    Access::{ApiKey, Laa, Public, ServiceCentre, SignedIn},
    Route,
    routes::{form, raw},
};
use leptos::prelude::*;

/// The cases feature's addresses.
pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/cases", SignedIn).page_async(|| view! { <pages::CasesHome /> }.into_any()),
        Route::new("/cases/find", SignedIn)
            .page(|| view! { <pages::FindPage /> }.into_any())
            .form(|c| form(forms::find(c))),
        Route::new("/cases/{id}", SignedIn)
            .page_async(|| view! { <pages::CaseSummaryPage /> }.into_any()),
        // Its form asks the prosecutor for a missing IDPC.
        Route::new("/cases/{id}/material", SignedIn)
            .page_async(|| view! { <pages::CaseMaterialPage /> }.into_any())
            .form(|c| form(forms::idpc_request(c))),
        Route::new("/cases/{id}/hearings", SignedIn)
            .page_async(|| view! { <pages::CaseHearingsPage /> }.into_any()),
        Route::new("/cases/{id}/access", SignedIn)
            .page_async(|| view! { <pages::CaseAccessPage /> }.into_any()),
        Route::new("/cases/{id}/associate", SignedIn)
            .page_async(|| view! { <pages::AssociatePage /> }.into_any())
            .form(|c| form(forms::associate(c))),
        Route::new("/cases/{id}/disassociate", SignedIn)
            .page_async(|| view! { <pages::DisassociatePage /> }.into_any())
            .form(|c| form(forms::disassociate(c))),
        Route::new("/cases/{id}/instruct", SignedIn)
            .page_async(|| view! { <pages::InstructPage /> }.into_any())
            .form(|c| form(forms::instruct(c))),
        Route::new("/cases/{id}/withdraw-counsel", SignedIn)
            .page_async(|| view! { <pages::WithdrawCounselPage /> }.into_any())
            .form(|c| form(forms::withdraw_counsel(c))),
        Route::new("/cases/{id}/return-instruction", SignedIn)
            .page_async(|| view! { <pages::ReturnInstructionPage /> }.into_any())
            .form(|c| form(forms::return_instruction(c))),
        Route::new("/cases/{id}/release", SignedIn)
            .page_async(|| view! { <pages::ReleasePage /> }.into_any())
            .form(|c| form(forms::release(c))),
        // The upload form (multipart, streamed to the document store) and its receipts.
        Route::new(upload::PATH, SignedIn).raw(
            axum::http::Method::POST,
            |s, r| raw(upload::post(s, r)),
            upload::BODY_LIMIT,
        ),
        // Resumable uploads (the core of tus 1.0): the upload panel's way in.
        Route::new(resumable::PATH, SignedIn)
            .raw(
                axum::http::Method::POST,
                |s, r| raw(resumable::create_post(s, r)),
                0,
            )
            .raw(
                axum::http::Method::OPTIONS,
                |s, r| raw(resumable::options(s, r)),
                0,
            ),
        Route::new(resumable::ONE_PATH, SignedIn)
            .raw(
                axum::http::Method::HEAD,
                |s, r| raw(resumable::head(s, r)),
                0,
            )
            .raw(
                axum::http::Method::PATCH,
                |s, r| raw(resumable::patch(s, r)),
                resumable::APPEND_LIMIT,
            )
            .raw(
                axum::http::Method::DELETE,
                |s, r| raw(resumable::delete(s, r)),
                0,
            ),
        // A document's receipt; its form changes who else sees the document.
        Route::new("/cases/{id}/receipts/{receipt}", SignedIn)
            .page_async(|| view! { <upload_page::ReceiptPage /> }.into_any())
            .form(|c| form(sharing::post(c))),
        Route::new(upload::CHECK_PATH, SignedIn).raw(
            axum::http::Method::POST,
            |s, r| raw(upload::check_post(s, r)),
            upload::BODY_LIMIT,
        ),
        Route::new(download::PATH, SignedIn).raw(
            axum::http::Method::GET,
            |s, r| raw(download::get(s, r)),
            0,
        ),
        Route::new("/staff/service-centre", ServiceCentre)
            .page_async(|| view! { <staff::ServiceCentrePage /> }.into_any()),
        Route::new(inbox::PATH, ServiceCentre)
            .page_async(|| view! { <inbox::InboxPage /> }.into_any())
            .form(|c| form(inbox::done_post(c))),
        Route::new(inbox::DOCUMENT_PATH, ServiceCentre).raw(
            axum::http::Method::GET,
            |s, r| raw(inbox::get(s, r)),
            0,
        ),
        Route::new("/cases/no-urn", SignedIn)
            .page(|| view! { <urn_requests::NoUrnPage /> }.into_any())
            .form(|c| form(urn_requests::post(c))),
        Route::new("/staff/service-centre/requests/{request}", ServiceCentre)
            .page_async(|| view! { <urn_requests::AnswerPage /> }.into_any())
            .form(|c| form(urn_requests::answer_post(c))),
        Route::new("/staff/laa", Laa).page_async(|| view! { <staff::LaaPage /> }.into_any()),
        Route::new("/staff/laa/order", Laa)
            .page(|| view! { <orders::OrderPage /> }.into_any())
            .form(|c| form(orders::post(c))),
        // A link in an email to the CPS: the token is the authority (docs/security.md).
        Route::new(notices::LINK_PATH, Public).raw(
            axum::http::Method::GET,
            |s, r| raw(notices::link(s, r)),
            0,
        ),
        Route::new(notices::EXPIRED_PATH, Public)
            .page(|| view! { <notices::LinkExpiredPage /> }.into_any()),
        Route::new(pet::PATH, SignedIn).raw(axum::http::Method::GET, |s, r| raw(pet::get(s, r)), 0),
        Route::new(api::PATH, ApiKey).raw(
            axum::http::Method::POST,
            |s, r| raw(api::post(s, r)),
            api::LIMIT,
        ),
        // The prosecution's view of defence material (docs/prosecution-import.md).
        Route::new(api_material::LIST_PATH, ApiKey).raw(
            axum::http::Method::GET,
            |s, r| raw(api_material::list(s, r)),
            0,
        ),
        Route::new(api_material::ONE_PATH, ApiKey).raw(
            axum::http::Method::GET,
            |s, r| raw(api_material::get(s, r)),
            0,
        ),
    ]
}
