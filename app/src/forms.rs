//! GOV.UK forms that post to the server and come back with errors and every value kept.
//!
//! A form posts (plain HTML, so it works before the bundle loads and on a flaky connection) to
//! its own page's address. The server either redirects (303) or renders the page again with a
//! [`Posted`] in the context: the submitted values and the field errors. The components here read
//! it, so the error summary, the messages beside fields and the values all come back.

use crate::{
    error::FieldError,
    i18n::{Msg, use_lang},
};
use leptos::prelude::*;

/// What was posted, for a page rendered again after a submission.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Posted {
    /// The submitted fields, in order (a name may repeat).
    pub values: Vec<(String, String)>,
    /// The problems, in the order of the fields on the page.
    pub errors: Vec<FieldError>,
    /// A message for the whole form, shown in the summary without a field.
    pub notice: Option<String>,
}

impl Posted {
    /// The first value submitted under `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The message for a field, if it has a problem.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Whether anything needs correcting.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.notice.is_some()
    }
}

/// The first value under `name` in form or query pairs, or "".
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The posted form for this render (empty on a plain GET).
pub fn use_posted() -> Posted {
    use_context::<Posted>().unwrap_or_default()
}

/// The title, with "Error: " in front when the form has problems (so screen reader users hear it
/// first).
pub fn form_title(msg: Msg) -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let title = if posted.has_errors() {
        format!("{}: {}", lang.t(Msg::ErrorPrefix), lang.t(msg))
    } else {
        lang.t(msg).to_owned()
    };
    view! { <leptos_meta::Title text=title /> }
}

/// The GOV.UK error summary: focused when the page loads, each problem linking to its field.
#[component]
pub fn ErrorSummary() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    posted.has_errors().then(|| {
        view! {
            <div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1" autofocus>
                <div role="alert">
                    <h2 class="govuk-error-summary__title">{lang.t(Msg::ErrorTitle)}</h2>
                    <div class="govuk-error-summary__body">
                        <ul class="govuk-list govuk-error-summary__list">
                            {posted.notice.clone().map(|n| view! { <li>{n}</li> })}
                            {posted
                                .errors
                                .iter()
                                .map(|e| {
                                    view! {
                                        <li>
                                            <a href=format!("#{}", e.field)>{e.message.clone()}</a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </div>
                </div>
            </div>
        }
    })
}

/// The error message beside a field.
#[component]
pub fn FieldErrorMessage(id: String, message: Option<String>) -> impl IntoView {
    let lang = use_lang();
    message.map(|m| {
        view! {
            <p id=format!("{id}-error") class="govuk-error-message">
                <span class="govuk-visually-hidden">{lang.t(Msg::ErrorPrefix)}": "</span>
                {m}
            </p>
        }
    })
}

/// A text input with label, optional hint and error, keeping the posted value. Passwords are
/// never sent back.
#[component]
pub fn TextInput(
    /// The field's name and id.
    #[prop(into)]
    name: String,
    /// The label.
    #[prop(into)]
    label: String,
    /// A hint under the label.
    #[prop(optional, into)]
    hint: Option<String>,
    /// `text`, `email`, `tel`, `password`, …
    #[prop(default = "text")]
    kind: &'static str,
    /// The `autocomplete` token.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// Extra classes for the input, e.g. `govuk-input--width-10`.
    #[prop(optional)]
    width: Option<&'static str>,
    /// `numeric` for codes.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// The value when nothing was posted.
    #[prop(optional, into)]
    initial: Option<String>,
    /// Make the label a page heading.
    #[prop(optional)]
    heading: bool,
) -> impl IntoView {
    let posted = use_posted();
    let error = posted.error(&name).map(str::to_owned);
    let value = if kind == "password" {
        None
    } else {
        posted.value(&name).map(str::to_owned).or(initial)
    };
    let hint_id = hint.as_ref().map(|_| format!("{name}-hint"));
    let error_id = error.as_ref().map(|_| format!("{name}-error"));
    let described = [hint_id.clone(), error_id]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let group = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let class = format!(
        "govuk-input{}{}",
        width.map(|w| format!(" {w}")).unwrap_or_default(),
        if error.is_some() {
            " govuk-input--error"
        } else {
            ""
        }
    );
    let label_view = if heading {
        view! {
            <h1 class="govuk-label-wrapper">
                <label class="govuk-label govuk-label--l" for=name.clone()>{label}</label>
            </h1>
        }
        .into_any()
    } else {
        view! { <label class="govuk-label" for=name.clone()>{label}</label> }.into_any()
    };
    view! {
        <div class=group>
            {label_view}
            {hint.map(|h| view! { <div id=hint_id.clone() class="govuk-hint">{h}</div> })}
            <FieldErrorMessage id=name.clone() message=error />
            <input
                class=class
                id=name.clone()
                name=name.clone()
                type=kind
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                spellcheck=(kind == "email" || kind == "password").then_some("false")
                aria-describedby=(!described.is_empty()).then_some(described)
            />
        </div>
    }
}

/// A hidden field.
#[component]
pub fn Hidden(#[prop(into)] name: String, #[prop(into)] value: String) -> impl IntoView {
    view! { <input type="hidden" name=name value=value /> }
}

/// Builds a field error in the user's language.
#[cfg(feature = "ssr")]
pub fn field(field: &str, lang: crate::i18n::Lang, msg: Msg) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: lang.t(msg).to_owned(),
    }
}
