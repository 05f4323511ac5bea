//! The registration form at `/register`, with the terms of use in full.

use super::{Role, register::user_rows};
use crate::{
    forms::{ErrorSummary, FieldErrorMessage, Hidden, TextInput, form_title, use_posted},
    i18n::{Msg, use_lang},
};
use leptos::prelude::*;

/// Register an organisation.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let rows = user_rows(&posted.values).max(if posted.values.is_empty() { 2 } else { 1 });
    view! {
        {form_title(Msg::RegTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <h1 class="govuk-heading-l">{lang.t(Msg::RegTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::RegIntro)}</p>
                <div class="govuk-inset-text">
                    {lang.t(Msg::RegBarristerPrompt)}" "
                    <a class="govuk-link" href="/register/barrister">{lang.t(Msg::RegBarristerLink)}</a>
                </div>
                <form method="post" action="/register" novalidate>
                    <h2 class="govuk-heading-m">{lang.t(Msg::RegOrgTitle)}</h2>
                    <TextInput name="organisation" label=lang.t(Msg::RegOrgName) autocomplete="organization" />
                    <AddressInput />
                    <TextInput name="postcode" label=lang.t(Msg::RegPostcode) autocomplete="postal-code" width="govuk-input--width-10" />
                    <h2 class="govuk-heading-m">{lang.t(Msg::RegNumbersTitle)}</h2>
                    <p class="govuk-body">{lang.t(Msg::RegNumbersIntro)}</p>
                    <TextInput name="laa" label=lang.t(Msg::RegLaa) hint=lang.t(Msg::RegLaaHint) width="govuk-input--width-10" />
                    <TextInput name="sra" label=lang.t(Msg::RegSra) hint=lang.t(Msg::RegSraHint) width="govuk-input--width-10" />
                    <TextInput name="bar" label=lang.t(Msg::RegBar) hint=lang.t(Msg::RegBarHint) width="govuk-input--width-10" />
                    <h2 class="govuk-heading-m">{lang.t(Msg::RegApTitle)}</h2>
                    <p class="govuk-body">{lang.t(Msg::RegApIntro)}</p>
                    <TextInput name="ap_name" label=lang.t(Msg::RegApName) autocomplete="name" />
                    <TextInput name="ap_email" label=lang.t(Msg::RegEmail) kind="email" autocomplete="email" />
                    <TextInput name="ap_phone" label=lang.t(Msg::RegPhone) kind="tel" autocomplete="tel" width="govuk-input--width-20" />
                    <h2 class="govuk-heading-m">{lang.t(Msg::RegUsersTitle)}</h2>
                    <p class="govuk-body">{lang.t(Msg::RegUsersIntro)}</p>
                    <Hidden name="user_count" value=rows.to_string() />
                    {(1..=rows).map(|i| view! { <UserRow i=i /> }).collect_view()}
                    {(rows < super::register::MAX_USERS).then(|| view! {
                        <button type="submit" name="add_user" value="1" class="govuk-button govuk-button--secondary">
                            {lang.t(Msg::RegAddUser)}
                        </button>
                    })}
                    <Terms />
                    <TextInput name="terms_name" label=lang.t(Msg::RegTermsSign) hint=lang.t(Msg::RegTermsSignHint) autocomplete="name" />
                    <p class="govuk-body">{lang.t(Msg::RegSenderNote)}</p>
                    <button type="submit" class="govuk-button" data-prevent-double-click="true">{lang.t(Msg::RegSubmit)}</button>
                </form>
            </div>
        </div>
    }
}

#[component]
fn UserRow(i: usize) -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let role_name = format!("user{i}_role");
    let chosen = posted.value(&role_name).unwrap_or_default().to_owned();
    let role_error = posted.error(&role_name).map(str::to_owned);
    view! {
        <fieldset class="govuk-fieldset app-user-row">
            <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.tf(Msg::RegUserN, &[("n", &i.to_string())])}</legend>
            <TextInput name=format!("user{i}_first") label=lang.t(Msg::RegFirstName) autocomplete="off" />
            <TextInput name=format!("user{i}_last") label=lang.t(Msg::RegLastName) autocomplete="off" />
            <TextInput name=format!("user{i}_email") label=lang.t(Msg::RegEmail) kind="email" autocomplete="off" />
            <div class=if role_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                <label class="govuk-label" for=role_name.clone()>{lang.t(Msg::RegRole)}</label>
                <FieldErrorMessage id=role_name.clone() message=role_error.clone() />
                <select class="govuk-select" id=role_name.clone() name=role_name.clone()>
                    <option value="" selected=chosen.is_empty()>{lang.t(Msg::RegRoleChoose)}</option>
                    {Role::ALL.into_iter().map(|r| view! {
                        <option value=r.code() selected=chosen == r.code()>{lang.t(r.label())}</option>
                    }).collect_view()}
                </select>
            </div>
        </fieldset>
    }
}

/// After registering.
#[component]
pub fn RegisterSubmittedPage() -> impl IntoView {
    let lang = use_lang();
    let from = use_context::<crate::state::AppState>()
        .map(|s| s.mail.from_address.clone())
        .unwrap_or_default();
    view! {
        {crate::page_title(Msg::RegDoneTitle)}
        <div class="govuk-panel govuk-panel--confirmation">
            <h1 class="govuk-panel__title">{lang.t(Msg::RegDoneTitle)}</h1>
        </div>
        <h2 class="govuk-heading-m">{lang.t(Msg::RegDoneNextTitle)}</h2>
        <p class="govuk-body">{lang.t(Msg::RegDoneNext)}</p>
        <p class="govuk-body">{lang.tf(Msg::RegDoneSender, &[("from", &from)])}</p>
    }
}

/// The terms of use, in full, in a scrollable region.
#[component]
fn Terms() -> impl IntoView {
    let lang = use_lang();
    let terms = [
        Msg::TermsItem1,
        Msg::TermsItem2,
        Msg::TermsItem3,
        Msg::TermsItem4,
        Msg::TermsItem5,
        Msg::TermsItem6,
        Msg::TermsItem7,
        Msg::TermsItem8,
    ];
    view! {
        <h2 class="govuk-heading-m" id="terms">{lang.t(Msg::TermsTitle)}</h2>
        <div class="app-terms" tabindex="0" role="region" aria-labelledby="terms">
            <ol class="govuk-list govuk-list--number">
                {terms.into_iter().map(|t| view! { <li>{lang.t(t)}</li> }).collect_view()}
            </ol>
        </div>
    }
}

/// The self-employed barrister's short form: an organisation of one.
#[component]
pub fn RegisterBarristerPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::RegBarristerTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <h1 class="govuk-heading-l">{lang.t(Msg::RegBarristerTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::RegBarristerIntro)}</p>
                <form method="post" action="/register/barrister" novalidate>
                    <h2 class="govuk-heading-m">{lang.t(Msg::RegBarristerYou)}</h2>
                    <TextInput name="first" label=lang.t(Msg::RegFirstName) autocomplete="given-name" />
                    <TextInput name="last" label=lang.t(Msg::RegLastName) autocomplete="family-name" />
                    <TextInput name="email" label=lang.t(Msg::RegEmail) kind="email" autocomplete="email" />
                    <TextInput name="phone" label=lang.t(Msg::RegPhone) kind="tel" autocomplete="tel" width="govuk-input--width-20" />
                    <TextInput name="bar" label=lang.t(Msg::RegBar) hint=lang.t(Msg::RegBarHint) width="govuk-input--width-10" />
                    <h2 class="govuk-heading-m">{lang.t(Msg::RegBarristerWhere)}</h2>
                    <TextInput name="chambers" label=lang.t(Msg::RegBarristerChambers) autocomplete="organization" />
                    <AddressInput />
                    <TextInput name="postcode" label=lang.t(Msg::RegPostcode) autocomplete="postal-code" width="govuk-input--width-10" />
                    <Terms />
                    <TextInput name="terms_name" label=lang.t(Msg::RegTermsSign) hint=lang.t(Msg::RegBarristerSignHint) autocomplete="name" />
                    <p class="govuk-body">{lang.t(Msg::RegSenderNote)}</p>
                    <button type="submit" class="govuk-button" data-prevent-double-click="true">{lang.t(Msg::RegSubmit)}</button>
                </form>
            </div>
        </div>
    }
}

/// The address textarea, keeping what was posted and showing its error.
#[component]
pub(crate) fn AddressInput(
    /// The value when nothing was posted.
    #[prop(optional)]
    initial: Option<String>,
) -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let address = posted
        .value("address")
        .map(str::to_owned)
        .or(initial)
        .unwrap_or_default();
    let address_error = posted.error("address").map(str::to_owned);
    view! {
        <div class=if address_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
            <label class="govuk-label" for="address">{lang.t(Msg::RegAddress)}</label>
            <div id="address-hint" class="govuk-hint">{lang.t(Msg::RegAddressHint)}</div>
            <FieldErrorMessage id="address".to_owned() message=address_error.clone() />
            <textarea
                class=if address_error.is_some() { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" }
                id="address" name="address" rows="3" autocomplete="street-address"
                aria-describedby=if address_error.is_some() { "address-hint address-error" } else { "address-hint" }
            >{address}</textarea>
        </div>
    }
}
