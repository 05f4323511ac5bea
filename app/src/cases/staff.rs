//! The staff views of cases (small, real): the HMCTS service centre finds a case by URN or a
//! defendant's name to help a caller and sees who is on record; the Legal Aid Agency reads the
//! representation records and their history. Every search is audited (it reads case data).

use super::{names, urn::Urn};
use crate::{
    accounts::store::Who,
    i18n::{Lang, Msg, use_lang},
    web::{current_session, query, state},
};
use leptos::prelude::*;
use sqlx::AnyConnection;

/// A defendant found for the service centre: (case id, URN, court, defendant's name, date of
/// birth, firm on record, its nature).
pub type Found = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The most rows a staff search shows.
pub const LIMIT: i64 = 50;

/// Defendants on the case with this URN, or with exactly this name (folded as
/// [`names::key`] folds it; first name first, or a company's name), optionally born on `dob`.
/// Both go through an index (`cases.urn`, `defendants_name_key`).
pub async fn find_for_caller(
    conn: &mut AnyConnection,
    q: &str,
    dob: Option<&str>,
) -> Result<Vec<Found>, sqlx::Error> {
    let select = "SELECT c.id, c.urn, c.court, \
                COALESCE(d.company_name, d.first_name || ' ' || d.last_name), d.date_of_birth, \
                o.name, a.nature \
         FROM defendants d JOIN cases c ON c.id = d.case_id \
         LEFT JOIN associations a ON a.defendant_id = d.id \
         LEFT JOIN organisations o ON o.id = a.organisation_id ";
    if let Ok(urn) = Urn::parse(q) {
        return sqlx::query_as(&format!(
            "{select} WHERE c.urn = $1 ORDER BY d.position LIMIT $2"
        ))
        .bind(urn.as_str())
        .bind(LIMIT)
        .fetch_all(&mut *conn)
        .await;
    }
    sqlx::query_as(&format!(
        "{select} WHERE d.name_key = $1 AND ($2 = '' OR d.date_of_birth = $2) \
         ORDER BY c.urn LIMIT $3"
    ))
    .bind(names::key(q))
    .bind(dob.unwrap_or_default())
    .bind(LIMIT)
    .fetch_all(&mut *conn)
    .await
}

/// A representation record: (when, URN, defendant, firm, event, nature, LAA account, case id).
pub type Record = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

/// Representation records, newest first: all, or those for a URN, a defendant's exact name,
/// an LAA account number, or a firm whose name contains `q`.
pub async fn records(conn: &mut AnyConnection, q: &str) -> Result<Vec<Record>, sqlx::Error> {
    let q = q.trim();
    let urn = Urn::parse(q)
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default();
    let account = q.to_uppercase();
    let firm = format!("%{}%", q.to_lowercase().replace(['%', '_', '\\'], ""));
    sqlx::query_as(
        "SELECT e.at, c.urn, COALESCE(d.company_name, d.first_name || ' ' || d.last_name), \
                o.name, e.event, e.nature, e.laa_account, c.id \
         FROM association_events e JOIN cases c ON c.id = e.case_id \
         JOIN defendants d ON d.id = e.defendant_id \
         JOIN organisations o ON o.id = e.organisation_id \
         WHERE $1 = '' OR c.urn = $2 OR d.name_key = $3 OR e.laa_account = $4 \
            OR LOWER(o.name) LIKE $5 \
         ORDER BY e.at DESC, e.id LIMIT 200",
    )
    .bind(q)
    .bind(&urn)
    .bind(names::key(q))
    .bind(&account)
    .bind(&firm)
    .fetch_all(&mut *conn)
    .await
}

/// A date of birth as a caller gives it: `14/7/1988`, `14 7 1988`, `14-07-1988` or
/// `1988-07-14`; `None` if empty or not a date.
pub fn parse_dob(typed: &str) -> Option<String> {
    let parts: Vec<&str> = typed
        .split(|c: char| c == '/' || c == '-' || c == '.' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    if y.len() != 4 {
        return None;
    }
    crate::date::Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        .ok()
        .map(|d| d.to_string())
}

fn staff_who() -> Option<Who> {
    let s = current_session()?;
    Some(Who::user(&s.user, &crate::web::ClientIp::of_page()))
}

fn nature_name(code: Option<&str>, lang: Lang) -> String {
    code.and_then(super::defence::Nature::from_code)
        .map_or_else(String::new, |n| lang.t(n.label()).to_owned())
}

use super::pages::urn_spaced;

/// `/staff/service-centre`: find a case for a caller.
#[component]
pub fn ServiceCentrePage() -> impl IntoView {
    let lang = use_lang();
    let q = query("q");
    let dob = query("dob");
    let (q2, dob2) = (q.clone(), dob.clone());
    let load = async move {
        if q2.trim().is_empty() {
            return Some(None);
        }
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let dob = parse_dob(&dob2);
        let rows = find_for_caller(&mut conn, q2.trim(), dob.as_deref())
            .await
            .ok()?;
        staff_who()?
            .audit_alone(
                &state.db,
                "staff.case.search",
                None,
                serde_json::json!({ "query": q2.trim(), "date_of_birth": dob, "results": rows.len() }),
                state.clock.now_unix(),
            )
            .await
            .ok()?;
        Some(Some(rows))
    };
    let (c_urn, c_def, c_court, c_firm) = (
        lang.t(Msg::CasesColUrn),
        lang.t(Msg::StaffColDefendant),
        lang.t(Msg::CasesColCourt),
        lang.t(Msg::StaffColOnRecord),
    );
    let answered = (query("done") == "answered").then_some(Msg::NoUrnAnsweredBanner);
    let inbox_count = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        super::inbox::open_count(&mut conn).await.ok()
    };
    let queue = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        super::urn_requests::open(&mut conn).await.ok()
    };
    view! {
        {crate::page_title(Msg::ServiceCentreTitle)}
        {answered.map(|m| view! { <crate::accounts::pages::SuccessBanner message=m /> })}
        <h1 class="govuk-heading-l">{lang.t(Msg::ServiceCentreTitle)}</h1>
        <p class="govuk-body">{lang.t(Msg::ServiceCentreIntro)}</p>
        <Suspense>
            {Suspend::new(async move {
                let n = inbox_count.await?;
                Some(view! {
                    <p class="govuk-body">
                        <a class="govuk-link" id="inbox-link" href=super::inbox::PATH>
                            {lang.tf(Msg::InboxLink, &[("n", &n.to_string())])}
                        </a>
                    </p>
                })
            })}
        </Suspense>
        <form method="get" action="/staff/service-centre" class="app-filter" role="search">
            <div class="govuk-form-group app-filter__item">
                <label class="govuk-label" for="q">{lang.t(Msg::ServiceCentreQuery)}</label>
                <div id="q-hint" class="govuk-hint">{lang.t(Msg::ServiceCentreQueryHint)}</div>
                <input class="govuk-input govuk-input--width-30" id="q" name="q" type="search" value=q.clone() aria-describedby="q-hint" />
            </div>
            <div class="govuk-form-group app-filter__item">
                <label class="govuk-label" for="dob">{lang.t(Msg::ServiceCentreDob)}</label>
                <div id="dob-hint" class="govuk-hint">{lang.t(Msg::ServiceCentreDobHint)}</div>
                <input class="govuk-input govuk-input--width-10" id="dob" name="dob" type="text" value=dob.clone() aria-describedby="dob-hint" />
            </div>
            <button type="submit" class="govuk-button app-filter__button">{lang.t(Msg::CasesSearchButton)}</button>
        </form>
        <Suspense>
            {Suspend::new(async move {
                match load.await {
                    None => view! { <crate::layout::NotFound /> }.into_any(),
                    Some(None) => ().into_any(),
                    Some(Some(rows)) if rows.is_empty() => view! { <p class="govuk-body" id="no-results">{lang.t(Msg::StaffNoResults)}</p> }.into_any(),
                    Some(Some(rows)) => view! {
                        <table class="govuk-table app-table--reflow" id="results">
                            <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::StaffResults)}</caption>
                            <thead class="govuk-table__head">
                                <tr class="govuk-table__row">
                                    <th scope="col" class="govuk-table__header">{c_urn}</th>
                                    <th scope="col" class="govuk-table__header">{c_def}</th>
                                    <th scope="col" class="govuk-table__header">{c_court}</th>
                                    <th scope="col" class="govuk-table__header">{c_firm}</th>
                                </tr>
                            </thead>
                            <tbody class="govuk-table__body">
                                {rows.into_iter().map(|(_, urn, court, name, dob, firm, nature)| view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell app-nowrap" data-label=c_urn>{urn_spaced(&urn)}</td>
                                        <td class="govuk-table__cell" data-label=c_def>
                                            {name}
                                            {dob.map(|d| view! { <br /><span class="app-secondary-text">{super::pages::long_date(&d, lang)}</span> })}
                                        </td>
                                        <td class="govuk-table__cell" data-label=c_court>{court}</td>
                                        <td class="govuk-table__cell" data-label=c_firm>
                                            {match firm {
                                                Some(f) => view! { {f}<br /><span class="app-secondary-text">{nature_name(nature.as_deref(), lang)}</span> }.into_any(),
                                                None => lang.t(Msg::CaseOnRecordNone).into_any(),
                                            }}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        <Suspense>
            {Suspend::new(async move { queue.await.map(|rows| super::urn_requests::queue(rows, lang)) })}
        </Suspense>
    }
}

fn event_name(event: &str) -> Msg {
    match event {
        "associated" => Msg::LaaEventAssociated,
        "disassociated" => Msg::LaaEventDisassociated,
        "moved_in" => Msg::LaaEventMovedIn,
        _ => Msg::LaaEventMovedOut,
    }
}

/// `/staff/laa`: representation records and their history.
#[component]
pub fn LaaPage() -> impl IntoView {
    let lang = use_lang();
    let q = query("q");
    let q2 = q.clone();
    let load = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let rows = records(&mut conn, &q2).await.ok()?;
        staff_who()?
            .audit_alone(
                &state.db,
                "staff.representation.search",
                None,
                serde_json::json!({ "query": q2.trim(), "results": rows.len() }),
                state.clock.now_unix(),
            )
            .await
            .ok()?;
        Some(rows)
    };
    let (c_when, c_urn, c_def, c_firm, c_what, c_acct) = (
        lang.t(Msg::HistoryColWhen),
        lang.t(Msg::CasesColUrn),
        lang.t(Msg::StaffColDefendant),
        lang.t(Msg::StaffColFirm),
        lang.t(Msg::HistoryColWhat),
        lang.t(Msg::StaffColAccount),
    );
    let recorded = (query("done") == "order").then_some(Msg::OrderRecordedBanner);
    view! {
        {crate::page_title(Msg::LaaTitle)}
        {recorded.map(|m| view! { <crate::accounts::pages::SuccessBanner message=m /> })}
        <h1 class="govuk-heading-l">{lang.t(Msg::LaaTitle)}</h1>
        <a class="govuk-button govuk-button--secondary" href="/staff/laa/order" role="button" draggable="false">{lang.t(Msg::OrderTitle)}</a>
        <form method="get" action="/staff/laa" class="app-filter" role="search">
            <div class="govuk-form-group app-filter__item">
                <label class="govuk-label" for="q">{lang.t(Msg::LaaQuery)}</label>
                <div id="q-hint" class="govuk-hint">{lang.t(Msg::LaaQueryHint)}</div>
                <input class="govuk-input govuk-input--width-30" id="q" name="q" type="search" value=q.clone() aria-describedby="q-hint" />
            </div>
            <button type="submit" class="govuk-button app-filter__button">{lang.t(Msg::CasesSearchButton)}</button>
        </form>
        <Suspense>
            {Suspend::new(async move {
                match load.await {
                    None => view! { <crate::layout::NotFound /> }.into_any(),
                    Some(rows) if rows.is_empty() => view! { <p class="govuk-body" id="no-results">{lang.t(Msg::StaffNoResults)}</p> }.into_any(),
                    Some(rows) => view! {
                        <table class="govuk-table app-table--reflow" id="records">
                            <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::LaaRecords)}</caption>
                            <thead class="govuk-table__head">
                                <tr class="govuk-table__row">
                                    <th scope="col" class="govuk-table__header">{c_when}</th>
                                    <th scope="col" class="govuk-table__header">{c_urn}</th>
                                    <th scope="col" class="govuk-table__header">{c_def}</th>
                                    <th scope="col" class="govuk-table__header">{c_firm}</th>
                                    <th scope="col" class="govuk-table__header">{c_what}</th>
                                    <th scope="col" class="govuk-table__header">{c_acct}</th>
                                </tr>
                            </thead>
                            <tbody class="govuk-table__body">
                                {rows.into_iter().map(|(at, urn, name, firm, event, nature, account, _)| view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell" data-label=c_when>{crate::clock::uk_time(at, lang)}</td>
                                        <td class="govuk-table__cell app-nowrap" data-label=c_urn>{urn_spaced(&urn)}</td>
                                        <td class="govuk-table__cell" data-label=c_def>{name}</td>
                                        <td class="govuk-table__cell" data-label=c_firm>{firm}</td>
                                        <td class="govuk-table__cell" data-label=c_what>
                                            {lang.t(event_name(&event))}
                                            {nature.map(|n| view! { <br /><span class="app-secondary-text">{nature_name(Some(&n), lang)}</span> })}
                                        </td>
                                        <td class="govuk-table__cell" data-label=c_acct>{account.unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_of_birth_as_callers_say_it() {
        for typed in [
            "14/7/1988",
            "14 07 1988",
            "14-07-1988",
            "1988-07-14",
            " 14.7.1988 ",
        ] {
            assert_eq!(parse_dob(typed).as_deref(), Some("1988-07-14"), "{typed}");
        }
        for typed in ["", "31/2/1988", "14/7/88", "1988", "a/b/c"] {
            assert_eq!(parse_dob(typed), None, "{typed}");
        }
    }
}
