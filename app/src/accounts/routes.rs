//! Every address the accounts feature serves, with who may reach it.

use super::{actions as act, enrol, pages, raw, register, register_page, reset, security};
use crate::web::{
    Access::{DevTools, Public, SignedIn, Stage as AtStage},
    Route, Stage,
    routes::{form, raw as boxed},
};
use axum::http::Method;
use leptos::prelude::*;

/// The accounts feature's addresses.
pub fn routes() -> Vec<Route> {
    let mut out = vec![
        // Signing in.
        Route::new("/sign-in", Public)
            .page(|| view! { <pages::SignInPage /> }.into_any())
            .form(|c| form(act::sign_in(c))),
        Route::new("/sign-in/verify", AtStage(Stage::SecondFactor))
            .page(|| view! { <pages::VerifyPage /> }.into_any())
            .form(|c| form(act::verify_code(c))),
        Route::new("/sign-out", Public).form(|c| form(act::sign_out(c))),
        Route::new("/signed-out", Public).page(|| view! { <pages::SignedOutPage /> }.into_any()),
        // Activation, enrolment after a factor reset, and setting up.
        Route::new("/activate", Public)
            .page_async(|| view! { <pages::ActivatePage /> }.into_any())
            .form(|c| form(act::activate(c))),
        Route::new("/enrol", Public)
            .page_async(|| view! { <enrol::EnrolPage /> }.into_any())
            .form(|c| form(enrol::post(c))),
        Route::new("/account/set-up/password", AtStage(Stage::Setup))
            .page(|| view! { <pages::SetPasswordPage /> }.into_any())
            .form(|c| form(act::set_password(c))),
        Route::new("/account/set-up/authenticator", AtStage(Stage::Setup))
            .page_async(|| view! { <pages::AuthenticatorPage /> }.into_any())
            .form(|c| form(act::confirm_authenticator(c))),
        Route::new(
            "/account/set-up/authenticator/qr.svg",
            AtStage(Stage::Setup),
        )
        .raw(Method::GET, |s, r| boxed(raw::qr(s, r)), 0),
        Route::new("/account/set-up/done", SignedIn)
            .page(|| view! { <pages::SetupDonePage /> }.into_any()),
        // Passwords.
        Route::new("/forgot-password", Public)
            .page(|| view! { <reset::ForgotPasswordPage /> }.into_any())
            .form(|c| form(reset::forgot(c))),
        Route::new("/forgot-password/sent", Public)
            .page(|| view! { <reset::ForgotSentPage /> }.into_any()),
        Route::new("/reset-password", Public)
            .page_async(|| view! { <reset::ResetPasswordPage /> }.into_any())
            .form(|c| form(reset::confirm(c))),
        Route::new("/account/change-password", SignedIn)
            .while_password_due()
            .page(|| view! { <reset::ChangePasswordPage /> }.into_any())
            .form(|c| form(reset::change(c))),
        // Registering an organisation.
        Route::new("/register", Public)
            .page(|| view! { <register_page::RegisterPage /> }.into_any())
            .form(|c| form(register::post(c))),
        Route::new("/register/barrister", Public)
            .page(|| view! { <register_page::RegisterBarristerPage /> }.into_any())
            .form(|c| form(register::post_barrister(c))),
        Route::new("/register/submitted", Public)
            .page(|| view! { <register_page::RegisterSubmittedPage /> }.into_any()),
        // The user's own account.
        Route::new("/account", SignedIn)
            .page_async(|| view! { <pages::AccountPage /> }.into_any())
            .form(|c| form(security::dispatch("/account", c))),
        Route::new("/account/sessions", SignedIn)
            .page_async(|| view! { <pages::SessionsPage /> }.into_any())
            .form(|c| form(act::end_session(c))),
        Route::new("/account/confirm-password", SignedIn)
            .page(|| view! { <security::ConfirmPasswordPage /> }.into_any())
            .form(|c| form(security::dispatch("/account/confirm-password", c))),
        Route::new("/account/authenticator", SignedIn)
            .page_async(|| view! { <security::ReplaceAuthenticatorPage /> }.into_any())
            .form(|c| form(security::dispatch("/account/authenticator", c))),
        Route::new("/account/authenticator/qr.svg", SignedIn).raw(
            Method::GET,
            |s, r| boxed(raw::qr(s, r)),
            0,
        ),
        Route::new("/account/passkey", SignedIn)
            .page_async(|| view! { <security::RenamePasskeyPage /> }.into_any())
            .form(|c| form(security::dispatch("/account/passkey", c))),
        Route::new("/account/report", SignedIn)
            .page(|| view! { <security::ReportPage /> }.into_any())
            .form(|c| form(security::dispatch("/account/report", c))),
        Route::new("/account/keep-alive", SignedIn)
            .while_password_due()
            .raw(Method::POST, |s, r| boxed(raw::keep_alive(s, r)), 1 << 10),
        // Development tools (DEV_TOOLS only).
        Route::new("/dev/emails", DevTools)
            .page_async(|| view! { <pages::DevEmailsPage /> }.into_any()),
        Route::new("/dev/now", DevTools).raw(Method::GET, |s, r| boxed(raw::dev_now(s, r)), 0),
    ];
    // The passkey button's calls: public (each checks the session it needs itself).
    for path in super::passkey_api::PATHS {
        out.push(Route::new(path, Public).raw(
            Method::POST,
            |s, r| boxed(raw::passkey(s, r)),
            raw::PASSKEY_LIMIT,
        ));
    }
    out
}
