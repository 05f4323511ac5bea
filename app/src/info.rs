//! Information pages: the accessibility statement, cookies and privacy (linked from the
//! footer), and help with setting up an authenticator app.

use crate::i18n::{Msg, use_lang};
use leptos::prelude::*;

/// A block of an information page.
enum Block {
    Heading(Msg),
    Para(Msg),
    Bullets(&'static [Msg]),
    Steps(&'static [Msg]),
}

fn render(title: Msg, blocks: &'static [Block]) -> impl IntoView {
    let lang = use_lang();
    let body = blocks
        .iter()
        .map(|b| match b {
            Block::Heading(m) => view! { <h2 class="govuk-heading-m">{lang.t(*m)}</h2> }.into_any(),
            Block::Para(m) => view! { <p class="govuk-body">{lang.t(*m)}</p> }.into_any(),
            Block::Bullets(items) => view! {
                <ul class="govuk-list govuk-list--bullet">
                    {items.iter().map(|m| view! { <li>{lang.t(*m)}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
            Block::Steps(items) => view! {
                <ol class="govuk-list govuk-list--number">
                    {items.iter().map(|m| view! { <li>{lang.t(*m)}</li> }).collect_view()}
                </ol>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        {crate::page_title(title)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">{lang.t(title)}</h1>
                {body}
            </div>
        </div>
    }
}

/// The accessibility statement.
#[component]
pub fn AccessibilityPage() -> impl IntoView {
    use Block::*;
    static BLOCKS: [Block; 13] = [
        Para(Msg::A11yIntro),
        Bullets(&[
            Msg::A11yCanZoom,
            Msg::A11yCanKeyboard,
            Msg::A11yCanScreenReader,
            Msg::A11yCanWelsh,
            Msg::A11yCanNoJs,
        ]),
        Heading(Msg::A11yStatusTitle),
        Para(Msg::A11yStatus),
        Heading(Msg::A11yTestingTitle),
        Para(Msg::A11yTesting),
        Heading(Msg::A11yProblemsTitle),
        Para(Msg::A11yProblems),
        Heading(Msg::A11yFormatsTitle),
        Para(Msg::A11yFormats),
        Heading(Msg::A11yEnforcementTitle),
        Para(Msg::A11yEnforcement),
        Para(Msg::A11yPrepared),
    ];
    render(Msg::AccessibilityTitle, &BLOCKS)
}

/// What cookies the service sets and why.
#[component]
pub fn CookiesPage() -> impl IntoView {
    use Block::*;
    static BLOCKS: [Block; 7] = [
        Para(Msg::CookiesIntro),
        Heading(Msg::CookiesEssentialTitle),
        Para(Msg::CookiesEssential),
        Bullets(&[Msg::CookiesLang, Msg::CookiesSession]),
        Heading(Msg::CookiesNoneTitle),
        Para(Msg::CookiesNone),
        Para(Msg::CookiesChange),
    ];
    render(Msg::CookiesTitle, &BLOCKS)
}

/// The privacy notice.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    use Block::*;
    static BLOCKS: [Block; 15] = [
        Para(Msg::PrivacyIntro),
        Heading(Msg::PrivacyWhatTitle),
        Bullets(&[
            Msg::PrivacyWhatAccount,
            Msg::PrivacyWhatOrg,
            Msg::PrivacyWhatAudit,
            Msg::PrivacyWhatCase,
        ]),
        Heading(Msg::PrivacyWhyTitle),
        Para(Msg::PrivacyWhy),
        Heading(Msg::PrivacySharedTitle),
        Para(Msg::PrivacyShared),
        Heading(Msg::PrivacyKeepTitle),
        Para(Msg::PrivacyKeep),
        Heading(Msg::PrivacyWhereTitle),
        Para(Msg::PrivacyWhere),
        Heading(Msg::PrivacyRightsTitle),
        Para(Msg::PrivacyRights),
        Heading(Msg::PrivacyComplainTitle),
        Para(Msg::PrivacyComplain),
    ];
    render(Msg::PrivacyTitle, &BLOCKS)
}

/// Help with authenticator apps: which work, step by step, and what to do on a new phone
/// (where users of the old platform most often got stuck).
#[component]
pub fn AuthenticatorHelpPage() -> impl IntoView {
    use Block::*;
    static BLOCKS: [Block; 15] = [
        Para(Msg::HelpAppIntro),
        Heading(Msg::HelpAppWhichTitle),
        Para(Msg::HelpAppWhich),
        Bullets(&[
            Msg::HelpAppGoogle,
            Msg::HelpAppMicrosoft,
            Msg::HelpAppApple,
            Msg::HelpAppManagers,
        ]),
        Para(Msg::HelpAppNoSms),
        Heading(Msg::HelpAppStepsTitle),
        Steps(&[
            Msg::HelpAppStep1,
            Msg::HelpAppStep2,
            Msg::HelpAppStep3,
            Msg::HelpAppStep4,
            Msg::HelpAppStep5,
        ]),
        Heading(Msg::HelpAppCodeTitle),
        Bullets(&[
            Msg::HelpAppCodeTime,
            Msg::HelpAppCodeFresh,
            Msg::HelpAppCodeAccount,
        ]),
        Heading(Msg::HelpAppPhoneTitle),
        Para(Msg::HelpAppPhoneBefore),
        Para(Msg::HelpAppPhoneLost),
        Heading(Msg::HelpAppPasskeyTitle),
        Para(Msg::HelpAppPasskey),
        Para(Msg::HelpAppContact),
    ];
    render(Msg::HelpAppTitle, &BLOCKS)
}

/// The information pages' addresses, and the start page's.
#[cfg(feature = "ssr")]
pub fn routes() -> Vec<crate::web::Route> {
    use crate::web::{Access::Public, Route};
    vec![
        Route::new("/", Public).page(|| view! { <crate::start::StartPage /> }.into_any()),
        Route::new("/accessibility", Public).page(|| view! { <AccessibilityPage /> }.into_any()),
        Route::new("/cookies", Public).page(|| view! { <CookiesPage /> }.into_any()),
        Route::new("/privacy", Public).page(|| view! { <PrivacyPage /> }.into_any()),
        Route::new("/help/authenticator-app", Public)
            .page(|| view! { <AuthenticatorHelpPage /> }.into_any()),
    ]
}
