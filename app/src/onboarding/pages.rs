//! The HMCTS onboarding pages: the queue of registrations, one registration and its decision,
//! and importing the registration spreadsheet.

use super::{decide as onboarding, import};
use crate::{
    accounts::pages::SuccessBanner,
    clock::uk_date,
    csv_file::LineProblems,
    forms::{ErrorSummary, Hidden, form_title, use_posted},
    i18n::{Msg, use_lang},
    web::{query, state},
};
use leptos::prelude::*;

/// The onboarding queue.
#[component]
pub fn OnboardingPage() -> impl IntoView {
    let lang = use_lang();
    let banner = match (
        query("approved").as_str(),
        query("rejected").as_str(),
        query("imported").is_empty(),
        query("restored").as_str(),
    ) {
        ("1", _, _, _) => Some(Msg::OnboardingApproved),
        (_, "1", _, _) => Some(Msg::OnboardingRejected),
        (_, _, false, _) => Some(Msg::ImportDone),
        (_, _, _, "1") => Some(Msg::OnboardingRestored),
        _ => None,
    };
    let stranded = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        crate::organisation::store::stranded_administrators(&mut conn)
            .await
            .ok()
    };
    let load = async move {
        let state = state()?;
        onboarding::pending(&state.db).await.ok()
    };
    let requests = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        crate::organisation::store::recent_requests(&mut conn, 50)
            .await
            .ok()
    };
    view! {
        {form_title(Msg::OnboardingTitle)}
        {banner.map(|m| view! {
            <SuccessBanner message=m />
        })}
        <ErrorSummary />
        <h1 class="govuk-heading-l">{lang.t(Msg::OnboardingTitle)}</h1>
        <p class="govuk-body">
            <a class="govuk-link" href="/onboarding/import">{lang.t(Msg::ImportTitle)}</a>
        </p>
        <Suspense>
            {Suspend::new(async move {
                let list = load.await.unwrap_or_default();
                if list.is_empty() {
                    return view! { <p class="govuk-body">{lang.t(Msg::OnboardingEmpty)}</p> }.into_any();
                }
                view! {
                    <table class="govuk-table">
                        <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::OnboardingPending)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingSubmitted)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingUsers)}</th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|q| {
                                let users = q.registration().map_or(0, |r| r.users.len());
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">
                                            <a class="govuk-link" href=format!("/onboarding/registration?id={}", q.id)>{q.organisation.clone()}</a>
                                        </td>
                                        <td class="govuk-table__cell">{uk_date(q.submitted_at).long(lang)}</td>
                                        <td class="govuk-table__cell">{users}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
        <h2 class="govuk-heading-m" id="stranded">{lang.t(Msg::OnboardingStrandedTitle)}</h2>
        <Suspense>
            {Suspend::new(async move {
                let list = stranded.await.unwrap_or_default();
                if list.is_empty() {
                    return view! { <p class="govuk-body">{lang.t(Msg::OnboardingStrandedNone)}</p> }.into_any();
                }
                view! {
                    <p class="govuk-body">{lang.t(Msg::OnboardingStrandedIntro)}</p>
                    <table class="govuk-table" id="stranded-administrators">
                        <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::OnboardingStrandedTitle)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingStrandedAdmin)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingStrandedStatus)}</th>
                                <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">{lang.t(Msg::OnboardingRestoreButton)}</span></th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|a| {
                                let name = format!("{} {}", a.first_name, a.last_name);
                                let status = crate::organisation::rules::Status::from_code(&a.status)
                                    .map_or_else(|| a.status.clone(), |st| lang.t(crate::organisation::pages::status_name(st)).to_owned());
                                let tag = format!("govuk-tag {}", crate::organisation::users_table::status_tag(&a.status));
                                let hidden = format!(" {}", lang.tf(Msg::OnboardingRestoreFor, &[("name", &name)]));
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">{a.organisation.clone()}</td>
                                        <td class="govuk-table__cell">{name}<br /><span class="app-secondary-text">{a.email.clone()}</span></td>
                                        <td class="govuk-table__cell"><strong class=tag>{status}</strong></td>
                                        <td class="govuk-table__cell">
                                            <form method="post" action="/onboarding" novalidate>
                                                <Hidden name="restore" value=a.id.clone() />
                                                <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">
                                                    {lang.t(Msg::OnboardingRestoreButton)}
                                                    <span class="govuk-visually-hidden">{hidden}</span>
                                                </button>
                                            </form>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
        <h2 class="govuk-heading-m">{lang.t(Msg::OnboardingRequestsTitle)}</h2>
        <Suspense>
            {Suspend::new(async move {
                let list = requests.await.unwrap_or_default();
                if list.is_empty() {
                    return view! { <p class="govuk-body">{lang.t(Msg::OnboardingRequestsNone)}</p> }.into_any();
                }
                view! {
                    <table class="govuk-table" id="organisation-requests">
                        <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::OnboardingRequestsTitle)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingRequestWhat)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingRequestFrom)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingSubmitted)}</th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|r| {
                                let when = r.effective_on.parse::<crate::date::Date>().map_or_else(|_| r.effective_on.clone(), |d| d.long(lang));
                                let other = r.merge_with.clone().unwrap_or_default();
                                let what = if r.kind == "merge" {
                                    lang.tf(Msg::OnboardingRequestMerge, &[("date", &when), ("other", &other)])
                                } else {
                                    lang.tf(Msg::OnboardingRequestClose, &[("date", &when)])
                                };
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">{r.organisation.clone()}</td>
                                        <td class="govuk-table__cell">
                                            {what}
                                            {(!r.details.is_empty()).then(|| view! { <br /><span class="app-secondary-text">{r.details.clone()}</span> })}
                                        </td>
                                        <td class="govuk-table__cell">{format!("{} ({})", r.requested_by, r.requested_email)}</td>
                                        <td class="govuk-table__cell">{uk_date(r.created_at).long(lang)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
    }
}

/// One registration: everything submitted, and the decision.
#[component]
pub fn OnboardingRegistrationPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let id = posted
        .value("id")
        .map(str::to_owned)
        .unwrap_or_else(|| query("id"));
    let load = {
        let id = id.clone();
        async move {
            let state = state()?;
            onboarding::get(&state.db, &id).await.ok().flatten()
        }
    };
    view! {
        {form_title(Msg::OnboardingReviewTitle)}
        <Suspense>
            {Suspend::new(async move {
                let Some(q) = load.await else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                let Some(r) = q.registration() else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                let row = |k: Msg, v: String| view! {
                    <div class="govuk-summary-list__row">
                        <dt class="govuk-summary-list__key">{lang.t(k)}</dt>
                        <dd class="govuk-summary-list__value app-pre-line">{v}</dd>
                    </div>
                };
                let pending = q.status == "pending";
                view! {
                    <ErrorSummary />
                    <span class="govuk-caption-l">{lang.t(Msg::OnboardingReviewTitle)}</span>
                    <h1 class="govuk-heading-l">{r.organisation.clone()}</h1>
                    <dl class="govuk-summary-list">
                        {row(Msg::RegAddress, format!("{}\n{}", r.address, r.postcode))}
                        {row(Msg::RegLaa, r.laa_account.clone().unwrap_or_default())}
                        {row(Msg::RegSra, r.sra_number.clone().unwrap_or_default())}
                        {row(Msg::RegBar, r.bar_number.clone().unwrap_or_default())}
                        {row(Msg::RegApTitle, format!("{}\n{}\n{}", r.accountable_name, r.accountable_email, r.accountable_phone))}
                        {row(Msg::RegTermsSigned, format!("{} – {}", r.terms_signed_name, crate::clock::uk_time(r.terms_signed_at, lang)))}
                    </dl>
                    <table class="govuk-table">
                        <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::RegUsersTitle)}</caption>
                        <thead class="govuk-table__head">
                            <tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::AccountName)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::AccountEmail)}</th>
                                <th scope="col" class="govuk-table__header">{lang.t(Msg::RegRole)}</th>
                            </tr>
                        </thead>
                        <tbody class="govuk-table__body">
                            {r.users.iter().map(|u| view! {
                                <tr class="govuk-table__row">
                                    <td class="govuk-table__cell">{format!("{} {}", u.first_name, u.last_name)}</td>
                                    <td class="govuk-table__cell">{u.email.clone()}</td>
                                    <td class="govuk-table__cell">{u.roles.iter().map(|r| lang.t(r.label())).collect::<Vec<_>>().join(", ")}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {pending.then(|| view! { <DecisionForm id=q.id.clone() /> })}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn DecisionForm(id: String) -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let decision_error = posted.error("decision").map(str::to_owned);
    let reason_error = posted.error("reason").map(str::to_owned);
    let reason = posted.value("reason").unwrap_or_default().to_owned();
    let group = |e: &Option<String>| {
        if e.is_some() {
            "govuk-form-group govuk-form-group--error"
        } else {
            "govuk-form-group"
        }
    };
    let decision_class = group(&decision_error);
    let reason_class = group(&reason_error);
    view! {
        <form method="post" action="/onboarding/registration" novalidate>
            <Hidden name="id" value=id />
            <div class=decision_class>
                <fieldset class="govuk-fieldset" aria-describedby=decision_error.as_ref().map(|_| "decision-error")>
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::OnboardingDecision)}</legend>
                    <crate::forms::FieldErrorMessage id="decision".to_owned() message=decision_error.clone() />
                    <div class="govuk-radios" data-module="govuk-radios">
                        <div class="govuk-radios__item">
                            <input class="govuk-radios__input" id="decision" name="decision" type="radio" value="approve" />
                            <label class="govuk-label govuk-radios__label" for="decision">{lang.t(Msg::OnboardingApprove)}</label>
                        </div>
                        <div class="govuk-radios__item">
                            <input class="govuk-radios__input" id="decision-reject" name="decision" type="radio" value="reject" />
                            <label class="govuk-label govuk-radios__label" for="decision-reject">{lang.t(Msg::OnboardingReject)}</label>
                        </div>
                    </div>
                </fieldset>
            </div>
            <div class=reason_class>
                <label class="govuk-label" for="reason">{lang.t(Msg::OnboardingReason)}</label>
                <div id="reason-hint" class="govuk-hint">{lang.t(Msg::OnboardingReasonHint)}</div>
                <crate::forms::FieldErrorMessage id="reason".to_owned() message=reason_error />
                <textarea class="govuk-textarea" id="reason" name="reason" rows="4" aria-describedby="reason-hint">{reason}</textarea>
            </div>
            <button type="submit" class="govuk-button">{lang.t(Msg::OnboardingSave)}</button>
        </form>
    }
}

/// Importing the registration spreadsheet: upload, preview (every problem by line), import.
#[component]
pub fn OnboardingImportPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let text = posted.value("csv").unwrap_or_default().to_owned();
    let now = state().map_or(0, |s| s.clock.now_unix());
    let result = (!text.trim().is_empty()).then(|| import::parse(&text, lang, now));
    let file_error = posted.error("csv").map(str::to_owned);
    let preview = match result {
        Some(Err(errors)) => view! {
            <LineProblems errors=errors />
        }
        .into_any(),
        Some(Ok(list)) => {
            let n = list.len();
            view! {
                <h2 class="govuk-heading-m">{lang.t(Msg::ImportPreviewTitle)}</h2>
                <table class="govuk-table" id="import-preview">
                    <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::ImportPreviewTitle)}</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">{lang.t(Msg::OnboardingOrganisation)}</th>
                            <th scope="col" class="govuk-table__header">{lang.t(Msg::RegApTitle)}</th>
                            <th scope="col" class="govuk-table__header govuk-table__header--numeric">{lang.t(Msg::RegUsersTitle)}</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">
                        {list.into_iter().map(|p| view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell">{p.registration.organisation.clone()}</td>
                                <td class="govuk-table__cell">{format!("{} ({})", p.registration.accountable_name, p.registration.accountable_email)}</td>
                                <td class="govuk-table__cell govuk-table__cell--numeric">{p.registration.users.len()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <form method="post" action="/onboarding/import">
                    <Hidden name="csv" value=text.clone() />
                    <Hidden name="step" value="import".to_owned() />
                    <button type="submit" class="govuk-button" data-prevent-double-click="true">
                        {lang.tp(crate::i18n::PluralMsg::ImportButton, n as u64)}
                    </button>
                </form>
            }
            .into_any()
        }
        None => ().into_any(),
    };
    let group = if file_error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    view! {
        {form_title(Msg::ImportTitle)}
        <ErrorSummary />
        <h1 class="govuk-heading-l">{lang.t(Msg::ImportTitle)}</h1>
        {preview}
        <form method="post" action="/onboarding/import" enctype="multipart/form-data" novalidate>
            <Hidden name="step" value="preview".to_owned() />
            <div class=group>
                <label class="govuk-label govuk-label--m" for="csv">{lang.t(Msg::ImportFileLabel)}</label>
                <div id="csv-hint" class="govuk-hint">{lang.t(Msg::ImportFileHint)}</div>
                <crate::forms::FieldErrorMessage id="csv".to_owned() message=file_error.clone() />
                <input class="govuk-file-upload" id="csv" name="csv" type="file" accept=".csv,text/csv" aria-describedby="csv-hint" />
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary">{lang.t(Msg::ImportPreviewButton)}</button>
        </form>
        <details class="govuk-details">
            <summary class="govuk-details__summary">
                <span class="govuk-details__summary-text">{lang.t(Msg::ImportColumnsTitle)}</span>
            </summary>
            <div class="govuk-details__text">
                <p class="govuk-body">{lang.t(Msg::ImportColumnsIntro)}</p>
                <p class="govuk-body"><code>{import::COLUMNS.join(",")}</code></p>
            </div>
        </details>
    }
}
