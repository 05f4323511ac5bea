//! The cases pages (server HTML; forms post to their own address, see [`super::forms`]):
//! the firm's cases (`/cases`, the signed-in home), finding a case, and the case page with its
//! sub-navigation (real addresses, so it works without JavaScript).

use super::{
    defence::{Member, Nature},
    forms::MAX_DEFENDANTS,
    read::{self, CaseLine, CaseView, DefendantView},
};
use crate::{
    accounts::pages::SuccessBanner,
    forms::{ErrorSummary, FieldErrorMessage, Hidden, TextInput, form_title, use_posted},
    i18n::{Lang, Msg, use_lang},
    web::{current_session, query, state},
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

fn case_id() -> String {
    use_params_map().with_untracked(|p| p.get("id").unwrap_or_default())
}

/// A date stored as `YYYY-MM-DD`, written out.
pub fn long_date(iso: &str, lang: Lang) -> String {
    iso.parse::<crate::date::Date>()
        .map_or_else(|_| iso.to_owned(), |d| d.long(lang))
}

/// A size in bytes, as people read it.
pub use super::upload_panel::size;

pub(crate) fn urn_spaced(urn: &str) -> String {
    super::urn::Urn::parse(urn).map_or_else(|_| urn.to_owned(), |u| u.spaced())
}

fn load_error() -> impl IntoView {
    view! { <crate::layout::NotFound /> }
}

/// The firm's cases as a table that reflows on narrow screens.
#[component]
fn CaseTable(lines: Vec<CaseLine>, caption: String, id: &'static str) -> impl IntoView {
    let lang = use_lang();
    let (c_urn, c_def, c_court, c_next) = (
        lang.t(Msg::CasesColUrn),
        lang.t(Msg::CasesColDefendants),
        lang.t(Msg::CasesColCourt),
        lang.t(Msg::CasesColNextHearing),
    );
    view! {
        <table class="govuk-table app-table--reflow" id=id>
            <caption class="govuk-table__caption govuk-table__caption--m">{caption}</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">{c_urn}</th>
                    <th scope="col" class="govuk-table__header">{c_def}</th>
                    <th scope="col" class="govuk-table__header">{c_court}</th>
                    <th scope="col" class="govuk-table__header">{c_next}</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">
                {lines.into_iter().map(|l| view! {
                    <tr class="govuk-table__row">
                        <td class="govuk-table__cell" data-label=c_urn>
                            <a class="govuk-link app-nowrap" href=format!("/cases/{}", l.id)>{urn_spaced(&l.urn)}</a>
                            {(l.new_material > 0).then(|| view! {
                                " " <strong class="govuk-tag govuk-tag--blue app-new-tag">{lang.tp(crate::i18n::PluralMsg::NewMaterialDocuments, l.new_material.unsigned_abs())}</strong>
                            })}
                        </td>
                        <td class="govuk-table__cell" data-label=c_def>{l.defendants}</td>
                        <td class="govuk-table__cell" data-label=c_court>{l.court}</td>
                        <td class="govuk-table__cell" data-label=c_next>
                            {l.next_hearing.map_or_else(|| lang.t(Msg::CasesNoHearing).to_owned(), |t| crate::clock::uk_time(t, lang))}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// `/cases`: the signed-in home — the firm's cases with the next hearing, searchable.
#[component]
pub fn CasesHome() -> impl IntoView {
    let lang = use_lang();
    let search = query("q");
    let search_for_load = search.clone();
    let load = async move {
        let state = state()?;
        let m = Member::current()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let now = state.clock.now_unix();
        let firm = read::firm_cases(&mut conn, &m.organisation_id, &search_for_load, now)
            .await
            .ok()?;
        let (found, asked) = if search_for_load.trim().is_empty() {
            (
                read::found_recently(&mut conn, &m, now).await.ok()?,
                super::urn_requests::firm(&mut conn, &m.organisation_id, now)
                    .await
                    .ok()?,
            )
        } else {
            (vec![], vec![])
        };
        Some((firm, found, asked))
    };
    let asked_banner = match query("done").as_str() {
        "urn-asked" => Some(Msg::NoUrnSentBanner),
        "instruction-returned" => Some(Msg::CaseInstructionReturnedBanner),
        _ => None,
    };
    let staff = current_session().is_some_and(|s| s.user.staff_role.is_some());
    view! {
        {crate::page_title(Msg::CasesTitle)}
        {asked_banner.map(|m| view! { <SuccessBanner message=m /> })}
        <h1 class="govuk-heading-l">{lang.t(Msg::CasesTitle)}</h1>
        {staff.then(|| view! { <p class="govuk-body">{lang.t(Msg::CasesStaffIntro)}</p> })}
        {(!staff).then(|| crate::FEATURES.iter().filter_map(|f| f.home).map(|section| section()).collect_view())}
        {(!staff).then(|| view! {
            <a class="govuk-button" href="/cases/find" role="button" draggable="false">{lang.t(Msg::FindTitle)}</a>
            <form method="get" action="/cases" class="app-filter" role="search">
                <div class="govuk-form-group app-filter__item">
                    <label class="govuk-label" for="q">{lang.t(Msg::CasesSearchLabel)}</label>
                    <div id="q-hint" class="govuk-hint">{lang.t(Msg::CasesSearchHint)}</div>
                    <input class="govuk-input govuk-input--width-20" id="q" name="q" type="search" value=search.clone() aria-describedby="q-hint" />
                </div>
                <button type="submit" class="govuk-button govuk-button--secondary app-filter__button">{lang.t(Msg::CasesSearchButton)}</button>
            </form>
        })}
        <Suspense>
            {Suspend::new(async move {
                let searching = !search.trim().is_empty();
                load.await.map(|(firm, found, asked)| view! {
                    {if firm.is_empty() {
                        let m = if searching { Msg::CasesNoneFound } else { Msg::CasesNone };
                        view! { <p class="govuk-body" id="no-cases">{lang.t(m)}</p> }.into_any()
                    } else {
                        let caption = if searching { lang.tf(Msg::CasesResults, &[("q", search.trim())]) } else { lang.t(Msg::CasesFirmCaption).to_owned() };
                        view! { <CaseTable lines=firm caption=caption id="firm-cases" /> }.into_any()
                    }}
                    {(!found.is_empty()).then(|| view! {
                        <CaseTable lines=found caption=lang.t(Msg::CasesFoundCaption).to_owned() id="found-cases" />
                    })}
                    {super::urn_requests::firm_list(asked, lang)}
                })
            })}
        </Suspense>
    }
}

fn date_part(
    posted: &crate::forms::Posted,
    name: String,
    label: Msg,
    width: &'static str,
    err: bool,
    lang: Lang,
) -> impl IntoView {
    let v = posted.value(&name).unwrap_or_default().to_owned();
    let autocomplete = match label {
        Msg::DateDay => "bday-day",
        Msg::DateMonth => "bday-month",
        _ => "bday-year",
    };
    view! {
        <div class="govuk-date-input__item">
            <div class="govuk-form-group">
                <label class="govuk-label govuk-date-input__label" for=name.clone()>{lang.t(label)}</label>
                <input class=format!("govuk-input govuk-date-input__input {width}{}", if err { " govuk-input--error" } else { "" })
                    id=name.clone() name=name type="text" inputmode="numeric" value=v autocomplete=autocomplete />
            </div>
        </div>
    }
}

fn defendant_rows(n: usize, lang: Lang) -> impl IntoView {
    let posted = use_posted();
    (1..=n)
        .map(|i| {
            let f = |s: &str| format!("d{i}-{s}");
            let count = i.to_string();
            let dob_error = posted.error(&f("dob-day")).map(str::to_owned);
            let dob_bad = dob_error.is_some();
            let legend = if n == 1 {
                lang.t(Msg::FindDefendant).to_owned()
            } else {
                lang.tf(Msg::FindDefendantNumber, &[("number", &count)])
            };
            view! {
                <fieldset class="govuk-fieldset app-defendant" id=f("fieldset")>
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{legend}</legend>
                    <TextInput name=f("first") label=lang.t(Msg::FindFirstName) width="govuk-input--width-20" />
                    <TextInput name=f("last") label=lang.t(Msg::FindLastName) width="govuk-input--width-20" />
                    <div class=if dob_bad { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <fieldset class="govuk-fieldset" role="group" aria-describedby=format!("{}-hint", f("dob"))>
                            <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::FindDob)}</legend>
                            <div id=format!("{}-hint", f("dob")) class="govuk-hint">{lang.t(Msg::FindDobHint)}</div>
                            <FieldErrorMessage id=f("dob-day") message=dob_error />
                            <div class="govuk-date-input">
                                {date_part(&posted, f("dob-day"), Msg::DateDay, "govuk-input--width-2", dob_bad, lang)}
                                {date_part(&posted, f("dob-month"), Msg::DateMonth, "govuk-input--width-2", dob_bad, lang)}
                                {date_part(&posted, f("dob-year"), Msg::DateYear, "govuk-input--width-4", dob_bad, lang)}
                            </div>
                        </fieldset>
                    </div>
                    <TextInput name=f("company") label=lang.t(Msg::FindCompany) hint=lang.t(Msg::FindCompanyHint) width="govuk-input--width-30" />
                </fieldset>
            }
        })
        .collect_view()
}

/// `/cases/find`: the URN, every defendant, and the declaration of appointment.
#[component]
pub fn FindPage() -> impl IntoView {
    if Member::current().is_none() {
        return load_error().into_any();
    }
    let lang = use_lang();
    let posted = use_posted();
    let n = super::forms::rows(&posted.values);
    let declare_error = posted.error("declare").map(str::to_owned);
    let declared = posted.value("declare") == Some("yes");
    view! {
        {form_title(Msg::FindTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <a class="govuk-back-link" href="/cases">{lang.t(Msg::BackLink)}</a>
                <h1 class="govuk-heading-l">{lang.t(Msg::FindTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::FindIntro)}</p>
                <form method="post" action="/cases/find" novalidate>
                    <Hidden name="defendants" value=n.to_string() />
                    <TextInput name="urn" label=lang.t(Msg::FindUrn) hint=lang.t(Msg::FindUrnHint) width="govuk-input--width-20" />
                    {defendant_rows(n, lang)}
                    <div class="govuk-button-group">
                        {(n < MAX_DEFENDANTS).then(|| view! {
                            <button type="submit" class="govuk-button govuk-button--secondary" name="action" value="add">{lang.t(Msg::FindAddDefendant)}</button>
                        })}
                        {(n > 1).then(|| view! {
                            <button type="submit" class="govuk-button govuk-button--secondary" name="action" value="remove">{lang.t(Msg::FindRemoveDefendant)}</button>
                        })}
                    </div>
                    <div class=if declare_error.is_some()  { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <fieldset class="govuk-fieldset">
                            <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::FindDeclareLegend)}</legend>
                            <FieldErrorMessage id="declare".to_owned() message=declare_error.clone() />
                            <div class="govuk-checkboxes" data-module="govuk-checkboxes">
                                <div class="govuk-checkboxes__item">
                                    <input class="govuk-checkboxes__input" id="declare" name="declare" type="checkbox" value="yes" checked=declared />
                                    <label class="govuk-label govuk-checkboxes__label" for="declare">{lang.t(Msg::FindDeclareText)}</label>
                                </div>
                            </div>
                        </fieldset>
                    </div>
                    <button type="submit" class="govuk-button">{lang.t(Msg::FindButton)}</button>
                </form>
                <h2 class="govuk-heading-m">{lang.t(Msg::FindNoUrnTitle)}</h2>
                <p class="govuk-body">{lang.t(Msg::FindNoUrnText)}</p>
                <p class="govuk-body"><a class="govuk-link" href="/cases/no-urn">{lang.t(Msg::FindNoUrnLink)}</a></p>
            </div>
        </div>
    }
    .into_any()
}

/// The case page's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// Defendants, offences, hearings, prosecutor.
    Summary,
    /// Material by section.
    Material,
    /// Hearings.
    Hearings,
    /// Who is on record, requests, the firm's history.
    Access,
}

impl Tab {
    fn path(self, id: &str) -> String {
        match self {
            Tab::Summary => format!("/cases/{id}"),
            Tab::Material => format!("/cases/{id}/material"),
            Tab::Hearings => format!("/cases/{id}/hearings"),
            Tab::Access => format!("/cases/{id}/access"),
        }
    }

    fn label(self) -> Msg {
        match self {
            Tab::Summary => Msg::CaseTabSummary,
            Tab::Material => Msg::CaseTabMaterial,
            Tab::Hearings => Msg::CaseTabHearings,
            Tab::Access => Msg::CaseTabAccess,
        }
    }
}

fn sub_nav(id: &str, current: Tab, new_material: usize, lang: Lang) -> impl IntoView {
    view! {
        <nav class="moj-sub-navigation" aria-label=lang.t(Msg::CaseNavLabel)>
            <ul class="moj-sub-navigation__list">
                {[Tab::Summary, Tab::Material, Tab::Hearings, Tab::Access].into_iter().map(|t| view! {
                    <li class="moj-sub-navigation__item">
                        <a class="moj-sub-navigation__link" href=t.path(id) aria-current=(t == current).then_some("page")>
                            {lang.t(t.label())}
                            {(t == Tab::Material && new_material > 0).then(|| view! {
                                " " <strong class="govuk-tag govuk-tag--blue app-new-tag" id="new-material">{lang.tp(crate::i18n::PluralMsg::NewMaterialDocuments, new_material as u64)}</strong>
                            })}
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        </nav>
    }
}

fn banner() -> Option<Msg> {
    match query("done").as_str() {
        "found" => Some(Msg::CaseFoundBanner),
        "associated" => Some(Msg::CaseAssociatedBanner),
        "disassociated" => Some(Msg::CaseDisassociatedBanner),
        "asked" => Some(Msg::CaseReleaseAskedBanner),
        "idpc-requested" => Some(Msg::CaseIdpcRequestedBanner),
        "instructed" => Some(Msg::CaseInstructedBanner),
        "counsel-withdrawn" => Some(Msg::CaseCounselWithdrawnBanner),
        _ => None,
    }
}

async fn load_case() -> Option<(CaseView, Member, Vec<read::HistoryLine>)> {
    load_case_at(None).await
}

/// The case; at its material tab, the "new" tags are taken off for the firm once read.
async fn load_case_at(tab: Option<Tab>) -> Option<(CaseView, Member, Vec<read::HistoryLine>)> {
    let state = state()?;
    let m = Member::current()?;
    let mut conn = state.db.pool.acquire().await.ok()?;
    let id = case_id();
    let c = read::case(&mut conn, &m, &id).await.ok()??;
    if tab == Some(Tab::Material) && c.material.iter().any(|x| x.new) {
        super::new_material::seen(&mut conn, &m.organisation_id, &id)
            .await
            .ok()?;
    }
    let history = read::history(&mut conn, &m.organisation_id, &id)
        .await
        .ok()?;
    Some((c, m, history))
}

fn defendant_status(d: &DefendantView, m: &Member, lang: Lang) -> impl IntoView + use<> {
    match &d.on_record {
        Some(_) if d.ours(m) => view! { <strong class="govuk-tag govuk-tag--green">{lang.t(Msg::CaseOnRecordYou)}</strong> }.into_any(),
        Some(_) if d.instructed_by.is_some() => view! { <strong class="govuk-tag govuk-tag--green">{lang.t(Msg::CaseInstructedTag)}</strong> }.into_any(),
        Some((_, name, ..)) => view! { <strong class="govuk-tag govuk-tag--grey">{lang.tf(Msg::CaseOnRecordOther, &[("organisation", name)])}</strong> }.into_any(),
        None => view! { <strong class="govuk-tag govuk-tag--blue">{lang.t(Msg::CaseOnRecordNone)}</strong> }.into_any(),
    }
}

fn summary(c: &CaseView, m: &Member, lang: Lang) -> impl IntoView + use<> {
    let id = c.id.clone();
    view! {
        <dl class="govuk-summary-list" id="case-details">
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{lang.t(Msg::CaseProsecutor)}</dt>
                <dd class="govuk-summary-list__value">{c.prosecutor.clone()}</dd>
            </div>
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{lang.t(Msg::CaseCourt)}</dt>
                <dd class="govuk-summary-list__value">{c.court.clone()}</dd>
            </div>
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{lang.t(Msg::CaseNextHearing)}</dt>
                <dd class="govuk-summary-list__value">
                    {c.hearings.first().map_or_else(|| lang.t(Msg::CasesNoHearing).to_owned(), |h| lang.tf(Msg::CaseHearingLine, &[("when", &crate::clock::uk_time(h.starts_at, lang)), ("room", &h.courtroom), ("kind", &h.hearing_type)]))}
                </dd>
            </div>
        </dl>
        <h2 class="govuk-heading-m">{lang.t(Msg::CaseDefendants)}</h2>
        {c.defendants.iter().map(|d| {
            let assoc = format!("/cases/{id}/associate?defendant={}", d.id);
            let release = format!("/cases/{id}/release?defendant={}", d.id);
            view! {
                <div class="govuk-summary-card app-defendant-card" id=format!("defendant-{}", d.id)>
                    <div class="govuk-summary-card__title-wrapper">
                        <h3 class="govuk-summary-card__title">{d.name.clone()}</h3>
                        {defendant_status(d, m, lang)}
                    </div>
                    <div class="govuk-summary-card__content">
                        <dl class="govuk-summary-list">
                            {d.date_of_birth.clone().map(|dob| view! {
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">{lang.t(Msg::FindDob)}</dt>
                                    <dd class="govuk-summary-list__value">{long_date(&dob, lang)}</dd>
                                </div>
                            })}
                            {d.company.then(|| view! {
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">{lang.t(Msg::CaseDefendantKind)}</dt>
                                    <dd class="govuk-summary-list__value">{lang.t(Msg::CaseCompany)}</dd>
                                </div>
                            })}
                            {d.offences.iter().map(|(wording, legislation, date)| view! {
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">{lang.t(Msg::CaseOffence)}</dt>
                                    <dd class="govuk-summary-list__value">
                                        <p class="govuk-body govuk-!-margin-bottom-1">{wording.clone()}</p>
                                        <p class="govuk-body-s app-secondary-text govuk-!-margin-bottom-0">{format!("{legislation} · {}", long_date(date, lang))}</p>
                                    </dd>
                                </div>
                            }).collect_view()}
                        </dl>
                        {match &d.on_record {
                            None => view! {
                                <a class="govuk-button govuk-!-margin-bottom-0" href=assoc>
                                    {lang.t(Msg::CaseAssociateButton)}
                                    <span class="govuk-visually-hidden">{format!(" {}", d.name)}</span>
                                </a>
                            }.into_any(),
                            Some(_) if d.ours(m) => ().into_any(),
                            Some((_, firm, ..)) if d.instructed_by.is_some() => view! {
                                <p class="govuk-body govuk-!-margin-bottom-0">{lang.tf(Msg::CaseInstructedBy, &[("organisation", firm)])}</p>
                            }.into_any(),
                            Some(_) if d.we_asked => view! { <p class="govuk-body govuk-!-margin-bottom-0">{lang.t(Msg::CaseReleaseWaiting)}</p> }.into_any(),
                            Some(_) => view! {
                                <a class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" href=release>
                                    {lang.t(Msg::CaseReleaseButton)}
                                    <span class="govuk-visually-hidden">{format!(" {}", d.name)}</span>
                                </a>
                            }.into_any(),
                        }}
                    </div>
                </div>
            }
        }).collect_view()}
    }
}

fn material(c: &CaseView, m: &Member, lang: Lang) -> impl IntoView + use<> {
    let id = c.id.clone();
    let rows = c.material.clone();
    let sections = c.sections.clone();
    let (c_title, c_section, c_by, c_date, c_size) = (
        lang.t(Msg::MaterialColTitle),
        lang.t(Msg::MaterialColSection),
        lang.t(Msg::MaterialColServedBy),
        lang.t(Msg::MaterialColDate),
        lang.t(Msg::MaterialColSize),
    );
    let has_idpc = c.material.iter().any(|m| m.idpc);
    let requested = c.idpc_requested.clone();
    // Just uploaded (the upload panel comes here when every file is in): said, with receipts.
    let asked = crate::web::query("uploaded");
    let asked: Vec<&str> = asked.split(',').filter(|r| !r.is_empty()).collect();
    let uploaded: Vec<(String, String)> = c
        .material
        .iter()
        .filter_map(|m| {
            m.receipt
                .as_ref()
                .filter(|r| asked.contains(&r.as_str()))
                .map(|r| (m.title.clone(), r.clone()))
        })
        .collect();
    view! {
        {(!uploaded.is_empty()).then(|| view! {
            <div class="govuk-notification-banner govuk-notification-banner--success" role="alert" tabindex="-1"
                aria-labelledby="uploaded-title" data-module="govuk-notification-banner" id="uploaded">
                <div class="govuk-notification-banner__header">
                    <h2 class="govuk-notification-banner__title" id="uploaded-title">{lang.t(Msg::UploadedBannerTitle)}</h2>
                </div>
                <div class="govuk-notification-banner__content">
                    <h3 class="govuk-notification-banner__heading">{lang.tp(crate::i18n::PluralMsg::UploadedBannerHeading, uploaded.len() as u64)}</h3>
                    <ul class="govuk-list">
                        {uploaded.iter().map(|(title, receipt)| view! {
                            <li>
                                <a class="govuk-notification-banner__link" href=format!("/cases/{id}/receipts/{receipt}")>{title.clone()}</a>
                                " — "{lang.tf(Msg::UploadPanelReceipt, &[("receipt", receipt)])}
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            </div>
        })}
        {(!has_idpc).then(|| match requested {
            Some((at, org)) => view! {
                <div class="govuk-inset-text" id="idpc-requested">
                    {lang.tf(Msg::MaterialIdpcRequested, &[("organisation", &org), ("when", &crate::clock::uk_time(at, lang))])}
                </div>
            }.into_any(),
            None => view! {
                <div class="govuk-inset-text" id="idpc-missing">
                    <p class="govuk-body">{lang.t(Msg::MaterialNoIdpc)}</p>
                    <form method="post" action=format!("/cases/{id}/material")>
                        <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">{lang.t(Msg::MaterialIdpcRequestButton)}</button>
                    </form>
                </div>
            }.into_any(),
        })}
        {(!c.associated()).then(|| view! { <p class="govuk-body" id="idpc-only">{lang.t(Msg::MaterialIdpcOnly)}</p> })}
        <p class="govuk-body"><a class="govuk-link" id="pet-form" href=format!("/cases/{id}/pet-form") download="">{lang.t(Msg::MaterialPetForm)}</a></p>
        {if rows.is_empty() {
            view! { <p class="govuk-body">{lang.t(Msg::MaterialNone)}</p> }.into_any()
        } else {
            view! {
                <table class="govuk-table app-table--reflow" id="material">
                    <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::CaseTabMaterial)}</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">{c_title}</th>
                            <th scope="col" class="govuk-table__header">{c_section}</th>
                            <th scope="col" class="govuk-table__header">{c_by}</th>
                            <th scope="col" class="govuk-table__header">{c_date}</th>
                            <th scope="col" class="govuk-table__header govuk-table__header--numeric">{c_size}</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">
                        {rows.into_iter().map(|m| view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell" data-label=c_title>
                                    {match (m.readable, m.status.as_str()) {
                                        (true, status) => view! {
                                            <a class="govuk-link" href=format!("/cases/{id}/material/{}", m.id) download=m.file_name.clone()>{m.title.clone()}</a>
                                            {(status == "not_scanned").then(|| view! { <br /><span class="app-secondary-text">{lang.t(Msg::MaterialStatusNotScanned)}</span> })}
                                        }.into_any(),
                                        (false, "scanning" | "infected" | "scan_failed") => {
                                            let text = match m.status.as_str() {
                                                "scanning" => Msg::MaterialStatusScanning,
                                                "infected" => Msg::MaterialStatusInfected,
                                                _ => Msg::MaterialStatusScanFailed,
                                            };
                                            view! {
                                                <span>{m.title.clone()}</span><br />
                                                <span class="app-secondary-text" data-status=m.status.clone()>{lang.t(text)}</span>
                                            }.into_any()
                                        }
                                        (false, _) => view! { <span>{m.title.clone()}</span><br /><span class="app-secondary-text">{lang.t(Msg::MaterialNotYours)}</span> }.into_any(),
                                    }}
                                    {m.idpc.then(|| view! { " " <strong class="govuk-tag govuk-tag--turquoise">{lang.t(Msg::MaterialIdpcTag)}</strong> })}
                                    {m.new.then(|| view! { " " <strong class="govuk-tag govuk-tag--blue app-new-tag">{lang.t(Msg::MaterialNewTag)}</strong> })}
                                    {m.shared_to_us.then(|| view! { <br /><span class="app-secondary-text app-shared">{lang.t(Msg::MaterialSharedToUs)}</span> })}
                                    {(!m.shared_with.is_empty()).then(|| view! {
                                        <br /><span class="app-secondary-text app-shared">{lang.tf(Msg::MaterialSharedWith, &[("defendants", &m.shared_with.join(", "))])}</span>
                                    })}
                                    {m.receipt.clone().map(|r| view! {
                                        <br /><a class="govuk-link" href=format!("/cases/{id}/receipts/{r}")>
                                            {lang.tf(Msg::MaterialReceiptLink, &[("receipt", &r)])}
                                            <span class="govuk-visually-hidden">{format!(" – {}", m.title)}</span>
                                        </a>
                                    })}
                                </td>
                                <td class="govuk-table__cell" data-label=c_section>{super::sections::name_of(&sections, &m.section, lang)}</td>
                                <td class="govuk-table__cell" data-label=c_by>{m.served_by.clone()}</td>
                                <td class="govuk-table__cell" data-label=c_date>{crate::clock::uk_date(m.served_at).long(lang)}</td>
                                <td class="govuk-table__cell govuk-table__cell--numeric" data-label=c_size>{size(m.size, lang)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {c.defendants.iter().any(|d| d.ours(m)).then(|| super::upload_page::panel(c, m, lang))}
    }
}

fn hearings(c: &CaseView, lang: Lang) -> impl IntoView + use<> {
    let rows = c.hearings.clone();
    let (c_when, c_court, c_room, c_type) = (
        lang.t(Msg::HearingColWhen),
        lang.t(Msg::CaseCourt),
        lang.t(Msg::HearingColRoom),
        lang.t(Msg::HearingColType),
    );
    if rows.is_empty() {
        return view! { <p class="govuk-body">{lang.t(Msg::CasesNoHearing)}</p> }.into_any();
    }
    view! {
        <table class="govuk-table app-table--reflow" id="hearings">
            <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::CaseTabHearings)}</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">{c_when}</th>
                    <th scope="col" class="govuk-table__header">{c_court}</th>
                    <th scope="col" class="govuk-table__header">{c_room}</th>
                    <th scope="col" class="govuk-table__header">{c_type}</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">
                {rows.into_iter().map(|h| view! {
                    <tr class="govuk-table__row">
                        <td class="govuk-table__cell" data-label=c_when>{crate::clock::uk_time(h.starts_at, lang)}</td>
                        <td class="govuk-table__cell" data-label=c_court>{h.court}</td>
                        <td class="govuk-table__cell" data-label=c_room>{h.courtroom}</td>
                        <td class="govuk-table__cell" data-label=c_type>{h.hearing_type}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn history_what(what: &str) -> Msg {
    match what {
        "declared" => Msg::HistoryDeclared,
        "downloaded" => Msg::HistoryDownloaded,
        "associated" => Msg::HistoryAssociated,
        "disassociated" => Msg::HistoryDisassociated,
        "moved_in" => Msg::HistoryMovedIn,
        "counsel_instructed" => Msg::HistoryCounselInstructed,
        "counsel_withdrawn" => Msg::HistoryCounselWithdrawn,
        "counsel_lapsed" => Msg::HistoryCounselLapsed,
        "counsel_returned" => Msg::HistoryCounselReturned,
        "instructed_instructed" => Msg::HistoryInstructedInstructed,
        "instructed_withdrawn" => Msg::HistoryInstructedWithdrawn,
        "instructed_lapsed" => Msg::HistoryInstructedLapsed,
        "instructed_returned" => Msg::HistoryInstructedReturned,
        _ => Msg::HistoryMovedOut,
    }
}

fn access(
    c: &CaseView,
    m: &Member,
    history: Vec<read::HistoryLine>,
    lang: Lang,
) -> impl IntoView + use<> {
    let id = c.id.clone();
    let (c_when, c_who, c_what) = (
        lang.t(Msg::HistoryColWhen),
        lang.t(Msg::HistoryColWho),
        lang.t(Msg::HistoryColWhat),
    );
    let ours: Vec<DefendantView> = c.defendants.iter().filter(|d| d.ours(m)).cloned().collect();
    let instructed: Vec<DefendantView> = c
        .defendants
        .iter()
        .filter(|d| d.instructed_by.is_some())
        .cloned()
        .collect();
    let nothing = ours.is_empty() && instructed.is_empty();
    view! {
        {(!ours.is_empty() || nothing).then(|| view! { <h2 class="govuk-heading-m">{lang.t(Msg::AccessOnRecordTitle)}</h2> })}
        {if nothing {
            view! { <p class="govuk-body" id="not-on-record">{lang.t(Msg::AccessNotOnRecord)}</p> }.into_any()
        } else if ours.is_empty() {
            ().into_any()
        } else {
            view! {
                <dl class="govuk-summary-list" id="on-record">
                    {ours.into_iter().map(|d| {
                        let (_, _, nature, since) = d.on_record.clone().unwrap_or_default();
                        let nature = Nature::from_code(&nature).map_or(nature.clone(), |n| lang.t(n.label()).to_owned());
                        let defendant_id = d.id.clone();
                        view! {
                            <div class="govuk-summary-list__row">
                                <dt class="govuk-summary-list__key">{d.name.clone()}</dt>
                                <dd class="govuk-summary-list__value">
                                    {nature}<br />
                                    <span class="app-secondary-text">{lang.tf(Msg::AccessSince, &[("when", &crate::clock::uk_time(since, lang))])}</span>
                                    {d.asked_of_us.iter().map(|(firm, who, message, at)| view! {
                                        <div class="govuk-inset-text govuk-!-margin-bottom-0 app-release-request">
                                            {lang.tf(Msg::AccessReleaseAsked, &[("organisation", firm), ("name", who), ("when", &crate::clock::uk_time(*at, lang))])}
                                            {(!message.is_empty()).then(|| view! { <br /><q>{message.clone()}</q> })}
                                        </div>
                                    }).collect_view()}
                                    {d.counsel.iter().map(|k| view! {
                                        <div class="app-counsel" data-counsel=k.organisation_id.clone()>
                                            <p class="govuk-body govuk-!-margin-top-2 govuk-!-margin-bottom-1">
                                                {lang.tf(Msg::AccessCounselLine, &[("organisation", &k.organisation), ("name", &k.name), ("email", &k.email)])}<br />
                                                <span class="app-secondary-text">{lang.tf(Msg::AccessSince, &[("when", &crate::clock::uk_time(k.since, lang))])}</span>
                                            </p>
                                            <a class="govuk-link" href=format!("/cases/{id}/withdraw-counsel?defendant={defendant_id}&counsel={}", k.organisation_id)>
                                                {lang.t(Msg::AccessCounselWithdrawLink)}
                                                <span class="govuk-visually-hidden">{format!(" {} – {}", k.organisation, d.name)}</span>
                                            </a>
                                        </div>
                                    }).collect_view()}
                                </dd>
                                <dd class="govuk-summary-list__actions">
                                    <ul class="govuk-summary-list__actions-list">
                                        <li class="govuk-summary-list__actions-list-item">
                                            <a class="govuk-link" href=format!("/cases/{id}/instruct?defendant={}", d.id)>
                                                {lang.t(Msg::AccessInstructLink)}
                                                <span class="govuk-visually-hidden">{format!(" {}", d.name)}</span>
                                            </a>
                                        </li>
                                        <li class="govuk-summary-list__actions-list-item">
                                            <a class="govuk-link" href=format!("/cases/{id}/disassociate?defendant={}", d.id)>
                                                {lang.t(Msg::AccessDisassociateLink)}
                                                <span class="govuk-visually-hidden">{format!(" {}", d.name)}</span>
                                            </a>
                                        </li>
                                    </ul>
                                </dd>
                            </div>
                        }
                    }).collect_view()}
                </dl>
            }.into_any()
        }}
        {(!instructed.is_empty()).then(|| view! {
            <h2 class="govuk-heading-m">{lang.t(Msg::AccessInstructedTitle)}</h2>
            <dl class="govuk-summary-list" id="instructed">
                {instructed.into_iter().map(|d| {
                    let firm = d.instructed_by.clone().map(|f| f.1).unwrap_or_default();
                    view! {
                        <div class="govuk-summary-list__row">
                            <dt class="govuk-summary-list__key">{d.name.clone()}</dt>
                            <dd class="govuk-summary-list__value">{lang.tf(Msg::CaseInstructedBy, &[("organisation", &firm)])}</dd>
                            <dd class="govuk-summary-list__actions">
                                <a class="govuk-link" href=format!("/cases/{id}/return-instruction?defendant={}", d.id)>
                                    {lang.t(Msg::AccessReturnInstructionLink)}
                                    <span class="govuk-visually-hidden">{format!(" {}", d.name)}</span>
                                </a>
                            </dd>
                        </div>
                    }
                }).collect_view()}
            </dl>
        })}
        <table class="govuk-table app-table--reflow" id="history">
            <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::AccessHistoryTitle)}</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">{c_when}</th>
                    <th scope="col" class="govuk-table__header">{c_who}</th>
                    <th scope="col" class="govuk-table__header">{c_what}</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">
                {history.into_iter().map(|h| view! {
                    <tr class="govuk-table__row">
                        <td class="govuk-table__cell" data-label=c_when>{crate::clock::uk_time(h.at, lang)}</td>
                        <td class="govuk-table__cell" data-label=c_who>{h.who}</td>
                        <td class="govuk-table__cell" data-label=c_what>{lang.tf(history_what(&h.what), &[("about", &h.about), ("other", &h.other)])}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A case page at one of its tabs.
fn case_page(tab: Tab) -> impl IntoView {
    let lang = use_lang();
    let banner = banner();
    view! {
        <Suspense>
            {Suspend::new(async move {
                match load_case_at(Some(tab)).await {
                    None => load_error().into_any(),
                    Some((c, m, history)) => {
                        // The material tab shows what is new in its rows (and so no longer
                        // counts it once open).
                        let new_material = if tab == Tab::Material { 0 } else { c.material.iter().filter(|x| x.new).count() };
                        let title = format!("{} – {}", lang.t(tab.label()), urn_spaced(&c.urn));
                        let title = if tab == Tab::Material && super::upload_page::has_problem() {
                            format!("{}: {title}", lang.t(Msg::ErrorPrefix))
                        } else {
                            title
                        };
                        let body = match tab {
                            Tab::Summary => summary(&c, &m, lang).into_any(),
                            Tab::Material => material(&c, &m, lang).into_any(),
                            Tab::Hearings => hearings(&c, lang).into_any(),
                            Tab::Access => access(&c, &m, history, lang).into_any(),
                        };
                        view! {
                            <leptos_meta::Title text=title />
                            {banner.map(|b| view! { <SuccessBanner message=b /> })}
                            <ErrorSummary />
                            <span class="govuk-caption-l">{c.court.clone()}</span>
                            <h1 class="govuk-heading-l">{lang.tf(Msg::CaseHeading, &[("urn", &urn_spaced(&c.urn))])}</h1>
                            {sub_nav(&c.id, tab, new_material, lang)}
                            {body}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// `/cases/{id}`.
#[component]
pub fn CaseSummaryPage() -> impl IntoView {
    case_page(Tab::Summary)
}

/// `/cases/{id}/material`.
#[component]
pub fn CaseMaterialPage() -> impl IntoView {
    case_page(Tab::Material)
}

/// `/cases/{id}/hearings`.
#[component]
pub fn CaseHearingsPage() -> impl IntoView {
    case_page(Tab::Hearings)
}

/// `/cases/{id}/access`.
#[component]
pub fn CaseAccessPage() -> impl IntoView {
    case_page(Tab::Access)
}

/// The case and one of its defendants, for the pages that act on a defendant.
async fn load_defendant() -> Option<(CaseView, Member, DefendantView)> {
    let (c, m, _) = load_case().await?;
    let want = query("defendant");
    let posted = use_posted();
    let want = posted.value("defendant").map_or(want, str::to_owned);
    let d = c.defendants.iter().find(|d| d.id == want)?.clone();
    Some((c, m, d))
}

/// `/cases/{id}/associate?defendant=…`: the nature of representation.
#[component]
pub fn AssociatePage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    view! {
        {form_title(Msg::AssociateTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let Some((c, _m, d)) = load_defendant().await else { return load_error().into_any() };
                        let laa = async {
                            let state = state()?;
                            let org = Member::current()?.organisation_id;
                            let mut conn = state.db.pool.acquire().await.ok()?;
                            crate::organisation::store::details(&mut conn, &org).await.ok()??.laa_account
                        }.await.unwrap_or_default();
                        let chosen = posted.value("nature").unwrap_or_default().to_owned();
                        let nature_error = posted.error("nature").map(str::to_owned);
                        view! {
                            <a class="govuk-back-link" href=format!("/cases/{}", c.id)>{lang.t(Msg::BackLink)}</a>
                            <span class="govuk-caption-l">{urn_spaced(&c.urn)}</span>
                            <h1 class="govuk-heading-l">{lang.tf(Msg::AssociateHeading, &[("name", &d.name)])}</h1>
                            <p class="govuk-body">{lang.t(Msg::AssociateIntro)}</p>
                            <form method="post" action=format!("/cases/{}/associate", c.id) novalidate>
                                <Hidden name="defendant" value=d.id.clone() />
                                <div class=if nature_error.is_some()  { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                                    <fieldset class="govuk-fieldset">
                                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::AssociateNatureLegend)}</legend>
                                        <FieldErrorMessage id="nature".to_owned() message=nature_error.clone() />
                                        <div class="govuk-radios" data-module="govuk-radios">
                                            {Nature::ALL.into_iter().enumerate().map(|(i, n)| {
                                                let id = if i == 0 { "nature".to_owned() } else { format!("nature-{}", n.code()) };
                                                view! {
                                                    <div class="govuk-radios__item">
                                                        <input class="govuk-radios__input" id=id.clone() name="nature" type="radio" value=n.code() checked=chosen == n.code() />
                                                        <label class="govuk-label govuk-radios__label" for=id>{lang.t(n.label())}</label>
                                                    </div>
                                                }
                                            }).collect_view()}
                                        </div>
                                    </fieldset>
                                </div>
                                <TextInput name="laa_account" label=lang.t(Msg::AssociateLaaLabel) hint=lang.t(Msg::AssociateLaaHint) width="govuk-input--width-10" initial=laa />
                                <p class="govuk-body">{lang.t(Msg::AssociateLaaTold)}</p>
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button">{lang.t(Msg::AssociateButton)}</button>
                                    <a class="govuk-link" href=format!("/cases/{}", c.id)>{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/cases/{id}/disassociate?defendant=…`: confirm the firm stops acting.
#[component]
pub fn DisassociatePage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    view! {
        {form_title(Msg::DisassociateTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let Some((c, _m, d)) = load_defendant().await else { return load_error().into_any() };
                        let confirm_error = posted.error("confirm").map(str::to_owned);
                        view! {
                            <a class="govuk-back-link" href=format!("/cases/{}/access", c.id)>{lang.t(Msg::BackLink)}</a>
                            <span class="govuk-caption-l">{urn_spaced(&c.urn)}</span>
                            <h1 class="govuk-heading-l">{lang.tf(Msg::DisassociateHeading, &[("name", &d.name)])}</h1>
                            <div class="govuk-warning-text">
                                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                                <strong class="govuk-warning-text__text">
                                    <span class="govuk-visually-hidden">{lang.t(Msg::WarningHidden)}</span>
                                    {lang.t(Msg::DisassociateWarning)}
                                </strong>
                            </div>
                            <form method="post" action=format!("/cases/{}/disassociate", c.id) novalidate>
                                <Hidden name="defendant" value=d.id.clone() />
                                <div class=if confirm_error.is_some()  { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                                    <FieldErrorMessage id="confirm".to_owned() message=confirm_error.clone() />
                                    <div class="govuk-checkboxes" data-module="govuk-checkboxes">
                                        <div class="govuk-checkboxes__item">
                                            <input class="govuk-checkboxes__input" id="confirm" name="confirm" type="checkbox" value="yes" />
                                            <label class="govuk-label govuk-checkboxes__label" for="confirm">{lang.tf(Msg::DisassociateConfirm, &[("name", &d.name)])}</label>
                                        </div>
                                    </div>
                                </div>
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button govuk-button--warning">{lang.t(Msg::DisassociateButton)}</button>
                                    <a class="govuk-link" href=format!("/cases/{}/access", c.id)>{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/cases/{id}/release?defendant=…`: ask the firm on record to release a defendant.
#[component]
pub fn ReleasePage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    view! {
        {form_title(Msg::ReleaseTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let Some((c, _m, d)) = load_defendant().await else { return load_error().into_any() };
                        let firm = d.on_record.as_ref().map(|r| r.1.clone()).unwrap_or_default();
                        let message_error = posted.error("message").map(str::to_owned);
                        let message = posted.value("message").unwrap_or_default().to_owned();
                        view! {
                            <a class="govuk-back-link" href=format!("/cases/{}", c.id)>{lang.t(Msg::BackLink)}</a>
                            <span class="govuk-caption-l">{urn_spaced(&c.urn)}</span>
                            <h1 class="govuk-heading-l">{lang.t(Msg::ReleaseTitle)}</h1>
                            <p class="govuk-body" id="on-record-firm">{lang.tf(Msg::ReleaseIntro, &[("organisation", &firm), ("name", &d.name)])}</p>
                            <form method="post" action=format!("/cases/{}/release", c.id) novalidate>
                                <Hidden name="defendant" value=d.id.clone() />
                                <div class=if message_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                                    <label class="govuk-label" for="message">{lang.t(Msg::ReleaseMessage)}</label>
                                    <div id="message-hint" class="govuk-hint">{lang.t(Msg::ReleaseMessageHint)}</div>
                                    <FieldErrorMessage id="message".to_owned() message=message_error.clone() />
                                    <textarea class=if message_error.is_some() { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" }
                                        id="message" name="message" rows="4" aria-describedby="message-hint">{message}</textarea>
                                </div>
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button">{lang.t(Msg::ReleaseButton)}</button>
                                    <a class="govuk-link" href=format!("/cases/{}", c.id)>{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/cases/{id}/instruct?defendant=…`: the firm on record instructs counsel by email.
#[component]
pub fn InstructPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::InstructTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let Some((c, m, d)) = load_defendant().await else { return load_error().into_any() };
                        let back = format!("/cases/{}/access", c.id);
                        if !d.ours(&m) {
                            return view! {
                                <a class="govuk-back-link" href=back.clone()>{lang.t(Msg::BackLink)}</a>
                                <h1 class="govuk-heading-l">{lang.tf(Msg::InstructHeading, &[("name", &d.name)])}</h1>
                                <p class="govuk-body" id="not-yours">{lang.t(Msg::InstructNotYours)}</p>
                                <p class="govuk-body"><a class="govuk-link" href=back>{lang.t(Msg::InstructBackToAccess)}</a></p>
                            }.into_any();
                        }
                        view! {
                            <a class="govuk-back-link" href=back.clone()>{lang.t(Msg::BackLink)}</a>
                            <span class="govuk-caption-l">{urn_spaced(&c.urn)}</span>
                            <h1 class="govuk-heading-l">{lang.tf(Msg::InstructHeading, &[("name", &d.name)])}</h1>
                            <p class="govuk-body">{lang.tf(Msg::InstructIntro, &[("name", &d.name)])}</p>
                            {(!d.counsel.is_empty()).then(|| view! {
                                <div class="govuk-inset-text" id="already-instructed">
                                    {lang.tf(Msg::InstructAlreadyList, &[("organisations", &d.counsel.iter().map(|k| k.organisation.clone()).collect::<Vec<_>>().join(", "))])}
                                </div>
                            })}
                            <form method="post" action=format!("/cases/{}/instruct", c.id) novalidate>
                                <Hidden name="defendant" value=d.id.clone() />
                                <TextInput name="email" label=lang.t(Msg::InstructEmail) hint=lang.t(Msg::InstructEmailHint) kind="email" autocomplete="off" />
                                <p class="govuk-body">{lang.t(Msg::InstructTold)}</p>
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button">{lang.t(Msg::InstructButton)}</button>
                                    <a class="govuk-link" href=back>{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/cases/{id}/return-instruction?defendant=…`: counsel confirm they give an instruction back.
#[component]
pub fn ReturnInstructionPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::ReturnInstructionTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let Some((c, _m, d)) = load_defendant().await else { return load_error().into_any() };
                        let back = format!("/cases/{}/access", c.id);
                        let Some((_, firm)) = d.instructed_by.clone() else {
                            // Given back, withdrawn or lapsed already: nothing left to confirm.
                            return view! {
                                <a class="govuk-back-link" href=back.clone()>{lang.t(Msg::BackLink)}</a>
                                <h1 class="govuk-heading-l">{lang.t(Msg::ReturnInstructionTitle)}</h1>
                                <p class="govuk-body" id="nothing-to-return">{lang.t(Msg::ReturnInstructionGone)}</p>
                                <p class="govuk-body"><a class="govuk-link" href=back>{lang.t(Msg::InstructBackToAccess)}</a></p>
                            }.into_any();
                        };
                        view! {
                            <a class="govuk-back-link" href=back.clone()>{lang.t(Msg::BackLink)}</a>
                            <span class="govuk-caption-l">{urn_spaced(&c.urn)}</span>
                            <h1 class="govuk-heading-l">{lang.tf(Msg::ReturnInstructionHeading, &[("organisation", &firm), ("name", &d.name)])}</h1>
                            <div class="govuk-warning-text">
                                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                                <strong class="govuk-warning-text__text">
                                    <span class="govuk-visually-hidden">{lang.t(Msg::WarningHidden)}</span>
                                    {lang.tf(Msg::ReturnInstructionWarning, &[("organisation", &firm), ("name", &d.name)])}
                                </strong>
                            </div>
                            <form method="post" action=format!("/cases/{}/return-instruction", c.id) novalidate>
                                <Hidden name="defendant" value=d.id.clone() />
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button govuk-button--warning">{lang.t(Msg::ReturnInstructionButton)}</button>
                                    <a class="govuk-link" href=back>{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/cases/{id}/withdraw-counsel?defendant=…&counsel=…`: confirm an instruction ends.
#[component]
pub fn WithdrawCounselPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    view! {
        {form_title(Msg::WithdrawCounselTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let Some((c, _m, d)) = load_defendant().await else { return load_error().into_any() };
                        let want = posted.value("counsel").map_or_else(|| query("counsel"), str::to_owned);
                        let back = format!("/cases/{}/access", c.id);
                        let Some(k) = d.counsel.iter().find(|k| k.organisation_id == want).cloned() else {
                            // Withdrawn already (or never given): nothing left to confirm.
                            return view! {
                                <a class="govuk-back-link" href=back.clone()>{lang.t(Msg::BackLink)}</a>
                                <h1 class="govuk-heading-l">{lang.t(Msg::WithdrawCounselTitle)}</h1>
                                <p class="govuk-body" id="nothing-to-withdraw">{lang.t(Msg::WithdrawCounselGone)}</p>
                                <p class="govuk-body"><a class="govuk-link" href=back>{lang.t(Msg::InstructBackToAccess)}</a></p>
                            }.into_any();
                        };
                        view! {
                            <a class="govuk-back-link" href=back.clone()>{lang.t(Msg::BackLink)}</a>
                            <span class="govuk-caption-l">{urn_spaced(&c.urn)}</span>
                            <h1 class="govuk-heading-l">{lang.tf(Msg::WithdrawCounselHeading, &[("organisation", &k.organisation), ("name", &d.name)])}</h1>
                            <div class="govuk-warning-text">
                                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                                <strong class="govuk-warning-text__text">
                                    <span class="govuk-visually-hidden">{lang.t(Msg::WarningHidden)}</span>
                                    {lang.tf(Msg::WithdrawCounselWarning, &[("organisation", &k.organisation), ("name", &d.name), ("advocate", &k.name)])}
                                </strong>
                            </div>
                            <form method="post" action=format!("/cases/{}/withdraw-counsel", c.id) novalidate>
                                <Hidden name="defendant" value=d.id.clone() />
                                <Hidden name="counsel" value=k.organisation_id.clone() />
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button govuk-button--warning">{lang.t(Msg::WithdrawCounselButton)}</button>
                                    <a class="govuk-link" href=back>{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </div>
    }
}
