//! The upload form on a case's Material tab (a plain multipart form: it works without
//! JavaScript; `upload::post` takes it) and the receipt page a served document gets.

use super::{
    defence::Member,
    read::CaseView,
    sections::{self, Party},
};
use crate::{
    i18n::{Lang, Msg, use_lang},
    web::{query, state},
};
use leptos::prelude::*;

pub(crate) use super::upload_panel::problem;

/// Whether the page is the form sent back with a problem (its title then starts "Error:").
pub fn has_problem() -> bool {
    problem(&query("problem")).is_some()
}

/// The accepted extensions, for the file chooser.
fn accept() -> String {
    super::file_type::Kind::ALL
        .iter()
        .flat_map(|k| k.extensions().iter().map(|e| format!(".{e}")))
        .collect::<Vec<_>>()
        .join(",")
}

/// The upload panel, for a firm on record for at least one of the case's defendants.
pub fn panel(c: &CaseView, m: &Member, lang: Lang) -> impl IntoView + use<> {
    let ours: Vec<_> = c.defendants.iter().filter(|d| d.ours(m)).cloned().collect();
    let scanning_off = state().is_some_and(|s| s.scanner.is_none());
    let limit = state().map_or(super::upload::DEFAULT_LIMIT, |s| s.upload_limit);
    let text = move |msg: Msg| super::upload_panel::problem_text(msg, lang, limit);
    let open: Vec<_> = c
        .sections
        .iter()
        .filter(|s| s.open_to(Party::Defence))
        .cloned()
        .collect();
    let offer_cps = open
        .iter()
        .filter(|s| s.send_to_cps)
        .map(|s| s.name(lang).to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let cps_ticked = query("send_to_cps") == "yes";
    let shown = problem(&query("problem"));
    let (chosen_defendant, chosen_section, typed_title) =
        (query("defendant"), query("section"), query("title"));
    let error_on = move |field: &str| shown.filter(|(_, f)| *f == field).map(|(msg, _)| msg);
    let group = |field: &str| {
        if error_on(field).is_some() {
            "govuk-form-group govuk-form-group--error"
        } else {
            "govuk-form-group"
        }
    };
    let message = move |field: &'static str| {
        error_on(field).map(|msg| {
            view! {
                <p class="govuk-error-message" id=format!("{field}-error")>
                    <span class="govuk-visually-hidden">{lang.t(Msg::ErrorPrefix)}": "</span>
                    {text(msg)}
                </p>
            }
        })
    };
    let described = move |field: &'static str, hint: Option<&'static str>| {
        let mut ids: Vec<String> = hint.map(|h| vec![h.to_owned()]).unwrap_or_default();
        if error_on(field).is_some() {
            ids.push(format!("{field}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let single = (ours.len() == 1).then(|| ours[0].id.clone());
    let setup = super::upload_panel::Setup {
        case_id: c.id.clone(),
        user_id: m.user.id.clone(),
        defendants: ours
            .iter()
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect(),
        sections: open
            .iter()
            .map(|s| super::upload_panel::Choice {
                code: s.code.clone(),
                name: s.name(lang).to_owned(),
                send_to_cps: s.send_to_cps,
            })
            .collect(),
        extensions: super::file_type::Kind::ALL
            .iter()
            .flat_map(|k| k.extensions().iter().map(|e| (*e).to_owned()))
            .collect(),
        limit,
    };
    let form = view! {
            <form method="post" action=format!("/cases/{}/upload", c.id) enctype="multipart/form-data" novalidate>
                {match single {
                    Some(id) => view! { <input type="hidden" name="defendant" value=id /> }.into_any(),
                    None => view! {
                        <div class=group("upload-defendant")>
                            <fieldset class="govuk-fieldset" aria-describedby=described("upload-defendant", None)>
                                <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::UploadDefendant)}</legend>
                                {message("upload-defendant")}
                                <div class="govuk-radios" data-module="govuk-radios">
                                    {ours.iter().enumerate().map(|(i, d)| {
                                        let id = if i == 0 { "upload-defendant".to_owned() } else { format!("upload-defendant-{i}") };
                                        let checked = d.id == chosen_defendant || (chosen_defendant.is_empty() && i == 0);
                                        view! {
                                            <div class="govuk-radios__item">
                                                <input class="govuk-radios__input" id=id.clone() name="defendant" type="radio" value=d.id.clone() checked=checked />
                                                <label class="govuk-label govuk-radios__label" for=id>{d.name.clone()}</label>
                                            </div>
                                        }
                                    }).collect_view()}
                                </div>
                            </fieldset>
                        </div>
                    }.into_any(),
                }}
                <div class=group("upload-section")>
                    <label class="govuk-label govuk-label--s" for="upload-section">{lang.t(Msg::UploadSection)}</label>
                    {message("upload-section")}
                    <select class="govuk-select" id="upload-section" name="section" aria-describedby=described("upload-section", None)>
                        {open.iter().map(|s| view! {
                            <option value=s.code.clone() selected=s.code == chosen_section>{s.name(lang).to_owned()}</option>
                        }).collect_view()}
                    </select>
                </div>
                {(!offer_cps.is_empty()).then(|| view! {
                    <div class="govuk-form-group">
                        <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                            <div class="govuk-checkboxes__item">
                                <input class="govuk-checkboxes__input" id="upload-send-to-cps" name="send_to_cps" type="checkbox"
                                    value="yes" checked=cps_ticked aria-describedby="upload-send-to-cps-hint" />
                                <label class="govuk-label govuk-checkboxes__label" for="upload-send-to-cps">{lang.t(Msg::UploadSendToCps)}</label>
                                <div id="upload-send-to-cps-hint" class="govuk-hint govuk-checkboxes__hint">
                                    {lang.tf(Msg::UploadSendToCpsHint, &[("sections", &offer_cps)])}
                                </div>
                            </div>
                        </div>
                    </div>
                })}
                <div class=group("upload-title")>
                    <label class="govuk-label govuk-label--s" for="upload-title">{lang.t(Msg::UploadTitle)}</label>
                    <div class="govuk-hint" id="upload-title-hint">{lang.t(Msg::UploadTitleHint)}</div>
                    {message("upload-title")}
                    <input class="govuk-input" id="upload-title" name="title" type="text" spellcheck="true"
                        value=typed_title aria-describedby=described("upload-title", Some("upload-title-hint")) />
                </div>
                <div class=group("upload-file")>
                    <label class="govuk-label govuk-label--s" for="upload-file">{lang.t(Msg::UploadFile)}</label>
                    <div class="govuk-hint" id="upload-file-hint">{text(Msg::UploadFileHint)}</div>
                    {message("upload-file")}
                    <input class="govuk-file-upload" id="upload-file" name="file" type="file" accept=accept()
                        aria-describedby=described("upload-file", Some("upload-file-hint")) />
                </div>
                <button type="submit" class="govuk-button" data-module="govuk-button">{lang.t(Msg::UploadButton)}</button>
            </form>
    }
    .into_any();
    view! {
        <div id="upload" class="govuk-!-margin-top-8">
            <h2 class="govuk-heading-m">{lang.t(Msg::UploadHeading)}</h2>
            {shown.map(|(msg, field)| view! {
                <div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1" autofocus id="upload-errors">
                    <div role="alert">
                        <h2 class="govuk-error-summary__title">{lang.t(Msg::ErrorTitle)}</h2>
                        <div class="govuk-error-summary__body">
                            <ul class="govuk-list govuk-error-summary__list">
                                <li><a href=format!("#{field}")>{text(msg)}</a></li>
                            </ul>
                        </div>
                    </div>
                </div>
            })}
            <p class="govuk-body">{lang.t(Msg::UploadIntro)}</p>
            {scanning_off.then(|| view! {
                <div class="govuk-warning-text" id="scanning-off">
                    <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                    <strong class="govuk-warning-text__text">
                        <span class="govuk-visually-hidden">{lang.t(Msg::WarningHidden)}</span>
                        {lang.t(Msg::UploadScanningOff)}
                    </strong>
                </div>
            })}
            <super::upload_panel::UploadPanel setup=setup.encode()>{form}</super::upload_panel::UploadPanel>
        </div>
    }
}

/// A size as people read it and, past a kilobyte, to the byte (a receipt is evidence).
fn exact_size(bytes: i64, lang: Lang) -> String {
    let shown = super::pages::size(bytes, lang);
    if bytes < 1024 {
        shown
    } else {
        format!(
            "{shown} ({})",
            lang.tf(Msg::SizeBytes, &[("n", &bytes.to_string())])
        )
    }
}

/// A served document's receipt as its firm reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
struct Receipt {
    receipt: String,
    title: String,
    section: String,
    file_name: String,
    size: i64,
    sha256: String,
    served_at: i64,
    status: String,
    urn: String,
    kind: String,
    first_name: Option<String>,
    last_name: Option<String>,
    company_name: Option<String>,
    by_first: Option<String>,
    by_last: Option<String>,
    organisation: String,
    send_to_cps: i64,
    in_inbox: i64,
    cps_mode: Option<String>,
    cps_link_expires_at: Option<i64>,
    cps_sent_at: Option<i64>,
}

/// Whom serving the document told besides the court and the prosecution's view of the case.
fn notified(r: &Receipt, all: &[sections::Section], lang: Lang) -> String {
    let notifies = all
        .iter()
        .any(|s| s.code == r.section && s.notifies_service_centre);
    lang.t(if r.in_inbox > 0 {
        Msg::ReceiptNotifiedServiceCentre
    } else if notifies && r.status == "scanning" {
        Msg::ReceiptNotifiedWaiting
    } else {
        Msg::ReceiptNotifiedNone
    })
    .to_owned()
}

/// Whether and when the document went to the CPS: "sent at" only once the email has gone.
fn cps(r: &Receipt, lang: Lang) -> String {
    if r.send_to_cps == 0 {
        return lang.t(Msg::ReceiptCpsNotAsked).to_owned();
    }
    match (r.cps_mode.as_deref(), r.cps_sent_at) {
        (Some("link"), Some(at)) => lang.tf(
            Msg::ReceiptCpsSentLink,
            &[
                ("time", &crate::clock::uk_time(at, lang)),
                (
                    "expires",
                    &crate::clock::uk_time(r.cps_link_expires_at.unwrap_or(at), lang),
                ),
            ],
        ),
        (Some(_), Some(at)) => lang.tf(
            Msg::ReceiptCpsSent,
            &[("time", &crate::clock::uk_time(at, lang))],
        ),
        (Some(_), None) => lang.t(Msg::ReceiptCpsQueued).to_owned(),
        (None, _) if r.status == "scanning" => lang.t(Msg::ReceiptCpsAfterScan).to_owned(),
        (None, _) => lang.t(Msg::ReceiptCpsNotSent).to_owned(),
    }
}

async fn load_receipt() -> Option<(Receipt, Vec<sections::Section>, super::sharing::Sharing)> {
    let state = state()?;
    let m = Member::current()?;
    let (case_id, receipt) = leptos_router::hooks::use_params_map().with_untracked(|p| {
        (
            p.get("id").unwrap_or_default(),
            p.get("receipt").unwrap_or_default(),
        )
    });
    let mut conn = state.db.pool.acquire().await.ok()?;
    let r: Receipt = sqlx::query_as(
        "SELECT m.receipt, m.title, m.section, m.file_name, m.size, m.sha256, m.served_at, \
                m.status, c.urn, d.kind, d.first_name, d.last_name, d.company_name, \
                u.first_name AS by_first, u.last_name AS by_last, o.name AS organisation, \
                m.send_to_cps, \
                (SELECT COUNT(*) FROM service_centre_inbox i WHERE i.material_id = m.id) \
                  AS in_inbox, \
                s.mode AS cps_mode, s.link_expires_at AS cps_link_expires_at, \
                ob.sent_at AS cps_sent_at \
         FROM material m JOIN cases c ON c.id = m.case_id \
         JOIN defendants d ON d.id = m.defendant_id \
         JOIN organisations o ON o.id = m.served_by \
         LEFT JOIN users u ON u.id = m.uploaded_by \
         LEFT JOIN cps_sends s ON s.material_id = m.id \
         LEFT JOIN outbox ob ON ob.id = s.outbox_id \
         WHERE m.receipt = $1 AND m.case_id = $2 AND m.served_by = $3",
    )
    .bind(&receipt)
    .bind(&case_id)
    .bind(&m.organisation_id)
    .fetch_optional(&mut *conn)
    .await
    .ok()??;
    let all = sections::all(&mut conn).await.ok()?;
    let sharing = super::sharing::load(&mut conn, &m, &case_id, &receipt)
        .await
        .ok()??;
    Some((r, all, sharing))
}

/// The form that checks a copy of the document against the receipt, with the last answer.
fn check_form(case_id: &str, receipt: &str, lang: Lang) -> impl IntoView + use<> {
    let outcome = query("check");
    let limit = crate::web::state().map_or(super::upload::DEFAULT_LIMIT, |s| s.upload_limit);
    // A problem with the file chosen: none, or larger than any document served here.
    let problem = match outcome.as_str() {
        "no_file" => Some(lang.t(Msg::ReceiptCheckNoFile).to_owned()),
        "too_large" => Some(super::upload_panel::problem_text(
            Msg::UploadProblemTooLarge,
            lang,
            limit,
        )),
        _ => None,
    };
    let no_file = problem.is_some();
    let digest: String = query("sha256")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(64)
        .collect();
    view! {
        <h2 class="govuk-heading-m govuk-!-margin-top-6" id="check">{lang.t(Msg::ReceiptCheckHeading)}</h2>
        {no_file.then(|| view! {
            <div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1" autofocus>
                <div role="alert">
                    <h2 class="govuk-error-summary__title">{lang.t(Msg::ErrorTitle)}</h2>
                    <div class="govuk-error-summary__body">
                        <ul class="govuk-list govuk-error-summary__list">
                            <li><a href="#check-file">{problem.clone()}</a></li>
                        </ul>
                    </div>
                </div>
            </div>
        })}
        {(outcome == "match").then(|| view! {
            <div class="govuk-inset-text app-check--match" id="check-result" role="status" tabindex="-1" autofocus>
                <strong>{lang.t(Msg::ReceiptCheckMatch)}</strong>
            </div>
        })}
        {(outcome == "differs").then(|| view! {
            <div class="govuk-warning-text" id="check-result" role="status" tabindex="-1" autofocus>
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text app-break-anywhere">
                    <span class="govuk-visually-hidden">{lang.t(Msg::WarningHidden)}</span>
                    {lang.tf(Msg::ReceiptCheckDiffers, &[("sha256", &digest)])}
                </strong>
            </div>
        })}
        <p class="govuk-body">{lang.t(Msg::ReceiptCheckIntro)}</p>
        <form method="post" action=format!("/cases/{case_id}/receipts/{receipt}/check") enctype="multipart/form-data" novalidate>
            <div class=if no_file { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                <label class="govuk-label govuk-label--s" for="check-file">{lang.t(Msg::ReceiptCheckFile)}</label>
                {no_file.then(|| view! {
                    <p class="govuk-error-message" id="check-file-error">
                        <span class="govuk-visually-hidden">{lang.t(Msg::ErrorPrefix)}": "</span>
                        {problem.clone()}
                    </p>
                })}
                <input class="govuk-file-upload" id="check-file" name="file" type="file"
                    aria-describedby=no_file.then_some("check-file-error") />
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">{lang.t(Msg::ReceiptCheckButton)}</button>
        </form>
    }
}

/// `/cases/{id}/receipts/{receipt}`: what was served, when, by whom, and its digest.
#[component]
pub fn ReceiptPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Suspense>
            {Suspend::new(async move {
                let Some((r, all, sharing)) = load_receipt().await else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                let case_id = leptos_router::hooks::use_params_map()
                    .with_untracked(|p| p.get("id").unwrap_or_default());
                let defendant = if r.kind == "company" {
                    r.company_name.clone().unwrap_or_default()
                } else {
                    format!("{} {}", r.first_name.clone().unwrap_or_default(), r.last_name.clone().unwrap_or_default())
                };
                let by = format!(
                    "{} {}, {}",
                    r.by_first.clone().unwrap_or_default(),
                    r.by_last.clone().unwrap_or_default(),
                    r.organisation
                );
                let status = match r.status.as_str() {
                    "clean" => lang.t(Msg::ReceiptStatusClean),
                    "scanning" => lang.t(Msg::MaterialStatusScanning),
                    "infected" => lang.t(Msg::MaterialStatusInfected),
                    "scan_failed" => lang.t(Msg::MaterialStatusScanFailed),
                    _ => lang.t(Msg::MaterialStatusNotScanned),
                };
                let rows: Vec<(Msg, String, &'static str)> = vec![
                    (Msg::ReceiptReference, r.receipt.clone(), "receipt-reference"),
                    (Msg::ReceiptCase, super::pages::urn_spaced(&r.urn), "receipt-case"),
                    (Msg::ReceiptDefendant, defendant, "receipt-defendant"),
                    (Msg::ReceiptSection, sections::name_of(&all, &r.section, lang), "receipt-section"),
                    (Msg::ReceiptDocumentTitle, r.title.clone(), "receipt-title"),
                    (Msg::ReceiptFileName, r.file_name.clone(), "receipt-file-name"),
                    (Msg::ReceiptSize, exact_size(r.size, lang), "receipt-size"),
                    (Msg::ReceiptServedAt, crate::clock::uk_time(r.served_at, lang), "receipt-served-at"),
                    (Msg::ReceiptServedBy, by, "receipt-served-by"),
                    (Msg::ReceiptSha256, r.sha256.clone(), "receipt-sha256"),
                    (Msg::ReceiptStatus, status.to_owned(), "receipt-status"),
                    (Msg::ReceiptNotified, notified(&r, &all, lang), "receipt-notified"),
                    (Msg::ReceiptCps, cps(&r, lang), "receipt-cps"),
                ];
                view! {
                    <leptos_meta::Title text=format!(
                        "{}{} – {}",
                        if query("check") == "no_file" { format!("{}: ", lang.t(Msg::ErrorPrefix)) } else { String::new() },
                        lang.t(Msg::ReceiptTitle),
                        r.receipt
                    ) />
                    <div class="govuk-grid-row">
                        <div class="govuk-grid-column-two-thirds">
                            <crate::forms::ErrorSummary />
                            <h1 class="govuk-heading-l">{lang.t(Msg::ReceiptTitle)}</h1>
                            <dl class="govuk-summary-list" id="receipt">
                                {rows.into_iter().map(|(key, value, id)| view! {
                                    <div class="govuk-summary-list__row">
                                        <dt class="govuk-summary-list__key">{lang.t(key)}</dt>
                                        <dd class="govuk-summary-list__value app-break-anywhere" id=id>{value}</dd>
                                    </div>
                                }).collect_view()}
                            </dl>
                            <p class="govuk-body">{lang.t(Msg::ReceiptPrint)}</p>
                            {super::sharing::section(&case_id, &r.receipt, &sharing, lang)}
                            {check_form(&case_id, &r.receipt, lang)}
                            <p class="govuk-body"><a class="govuk-link" href=format!("/cases/{case_id}/material")>{lang.t(Msg::ReceiptBack)}</a></p>
                        </div>
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::upload::Refused;

    #[test]
    fn every_refusal_comes_back_with_a_message_on_a_field_of_the_form() {
        let all = [
            Refused::NotOnRecord,
            Refused::Section,
            Refused::TitleMissing,
            Refused::TitleTooLong,
            Refused::SendToCpsNotOffered,
            Refused::Extension,
            Refused::Empty,
            Refused::Content,
            Refused::TooLarge(1),
        ];
        let fields = [
            "upload-defendant",
            "upload-section",
            "upload-title",
            "upload-file",
        ];
        for r in all {
            let (_, field) = problem(r.code()).unwrap_or_else(|| panic!("{r:?} has no message"));
            assert!(fields.contains(&field), "{r:?}");
            let back = Refused::from_code(r.code());
            assert_eq!(back.code(), r.code(), "{r:?} is read back from its code");
        }
        assert_eq!(Refused::from_code("unknown"), Refused::Content);
        assert_eq!(problem("no_file").map(|(_, f)| f), Some("upload-file"));
        assert_eq!(problem("anything else"), None);
    }
}
