//! The start page at `/`, in the GOV.UK start-page pattern.

use crate::i18n::{Msg, use_lang};
use leptos::prelude::*;

/// What the service is for, who can use it, and where to go next.
#[component]
pub fn StartPage() -> impl IntoView {
    let lang = use_lang();
    let t = move |m| lang.t(m);
    view! {
        {crate::page_title(Msg::ServiceName)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-xl">{t(Msg::ServiceName)}</h1>
                <p class="govuk-body-l">{t(Msg::StartLead)}</p>
                <p class="govuk-body">{t(Msg::StartCanIntro)}</p>
                <ul class="govuk-list govuk-list--bullet">
                    <li>{t(Msg::StartCanFind)}</li>
                    <li>{t(Msg::StartCanAssociate)}</li>
                    <li>{t(Msg::StartCanMaterial)}</li>
                    <li>{t(Msg::StartCanCheckIn)}</li>
                </ul>
                <h2 class="govuk-heading-m">{t(Msg::StartAccountTitle)}</h2>
                <p class="govuk-body">
                    <a class="govuk-link" href="/sign-in">{t(Msg::StartSignIn)}</a>
                    {t(Msg::StartSignInAfter)}
                </p>
                <p class="govuk-body">
                    <a class="govuk-link" href="/register">{t(Msg::StartRegister)}</a>
                    {t(Msg::StartRegisterAfter)}
                </p>
                <h2 class="govuk-heading-m">{t(Msg::StartWhoTitle)}</h2>
                <p class="govuk-body">{t(Msg::StartWho)}</p>
                <p class="govuk-body">{t(Msg::StartRegistered)}</p>
                <h2 class="govuk-heading-m">{t(Msg::StartCourtsTitle)}</h2>
                <p class="govuk-body">{t(Msg::StartCourts)}</p>
                <a href="/courts" role="button" draggable="false" class="govuk-button govuk-button--start">
                    {t(Msg::StartCourtsButton)}
                    <svg
                        class="govuk-button__start-icon"
                        xmlns="http://www.w3.org/2000/svg"
                        width="17.5"
                        height="19"
                        viewBox="0 0 33 40"
                        aria-hidden="true"
                        focusable="false"
                    >
                        <path fill="currentColor" d="M0 0h13l20 20-20 20H0l20-20z" />
                    </svg>
                </a>
                <h2 class="govuk-heading-m">{t(Msg::StartHelpTitle)}</h2>
                <p class="govuk-body">{t(Msg::StartHelp)}</p>
            </div>
        </div>
    }
}
