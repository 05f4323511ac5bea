//! The organisation's audit trail: events by its users, and events about its users by anyone
//! (HMCTS staff, the service's scheduled jobs), filtered by user, action and date, on a page and
//! as CSV.

use super::{
    pages::{OrgNav, admin},
    store,
};
use crate::{
    accounts::pages::{query, state},
    clock::{uk_offset, uk_time},
    date::Date,
    i18n::{Lang, Msg, PluralMsg, use_lang},
};
use leptos::prelude::*;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The most events the page shows (the CSV has them all, up to [`CSV_LIMIT`]).
pub const PAGE_LIMIT: i64 = 200;
/// The most events one CSV file holds.
pub const CSV_LIMIT: i64 = 100_000;

/// The filters, from the query string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// A user id: events they did or that were done to them.
    pub user: String,
    /// An action, or the start of one (`user.` for every user event).
    pub action: String,
    /// From this day (UK time).
    pub from: Option<Date>,
    /// To this day, inclusive.
    pub to: Option<Date>,
}

impl AuditFilter {
    /// Reads the filters from query values; a date that is not one is ignored (and reported).
    pub fn parse(user: &str, action: &str, from: &str, to: &str) -> (AuditFilter, bool) {
        let date = |s: &str| -> (Option<Date>, bool) {
            if s.trim().is_empty() {
                (None, false)
            } else {
                match s.parse::<Date>() {
                    Ok(d) => (Some(d), false),
                    Err(_) => (None, true),
                }
            }
        };
        let (from, bad_from) = date(from);
        let (to, bad_to) = date(to);
        (
            AuditFilter {
                user: user.trim().to_owned(),
                // Action codes are lower case; lowered here, so a hand-typed address matches
                // the same on SQLite (whose LIKE ignores case) and PostgreSQL (whose does not).
                action: action.trim().to_lowercase(),
                from,
                to,
            },
            bad_from || bad_to,
        )
    }

    /// The query string for these filters.
    pub fn query(&self) -> String {
        let mut parts = vec![];
        for (k, v) in [
            ("user", self.user.clone()),
            ("action", self.action.clone()),
            ("from", self.from.map(|d| d.to_string()).unwrap_or_default()),
            ("to", self.to.map(|d| d.to_string()).unwrap_or_default()),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", crate::text::encode_query_value(&v)));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Midnight at the start of a UK day, in Unix milliseconds.
fn uk_midnight_ms(d: Date) -> i64 {
    let utc = d.days_since_epoch() * 86_400;
    (utc - uk_offset(utc)) * 1000
}

/// One event as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// Position in the trail.
    pub seq: i64,
    /// When (Unix ms).
    pub at_ms: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub target: Option<String>,
    /// Details (JSON).
    pub details: String,
    /// From where.
    pub client_ip: Option<String>,
}

/// The organisation's events matching the filter, newest first.
pub async fn events(
    conn: &mut AnyConnection,
    org_id: &str,
    f: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT seq, at_ms, actor, action, target, details, client_ip FROM audit_events \
         WHERE (organisation_id = $1 OR target IN (SELECT 'user:' || id FROM users WHERE organisation_id = $1) \
         OR target = $2)",
    );
    // Text goes in as parameters (a number may appear twice in the SQL); the day bounds are
    // integers computed here, so they are written in.
    let mut binds: Vec<String> = vec![org_id.to_owned(), format!("organisation:{org_id}")];
    if !f.user.is_empty() {
        binds.push(format!("user:{}", f.user));
        let n = binds.len();
        sql.push_str(&format!(" AND (actor = ${n} OR target = ${n})"));
    }
    if !f.action.is_empty() {
        binds.push(f.action.clone());
        binds.push(format!("{}.%", f.action.trim_end_matches('.')));
        let n = binds.len();
        sql.push_str(&format!(" AND (action = ${} OR action LIKE ${n})", n - 1));
    }
    if let Some(d) = f.from {
        sql.push_str(&format!(" AND at_ms >= {}", uk_midnight_ms(d)));
    }
    if let Some(d) = f.to {
        sql.push_str(&format!(" AND at_ms < {}", uk_midnight_ms(d.add_days(1))));
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", limit.max(1)));
    let mut q = sqlx::query_as::<_, AuditRow>(&sql);
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(&mut *conn).await
}

/// A readable name for an action the organisation sees, if it has one.
pub fn action_name(action: &str) -> Option<Msg> {
    Some(match action {
        "auth.sign_in" => Msg::AuditSignIn,
        "auth.sign_in.failed" | "auth.second_factor.failed" => Msg::AuditSignInFailed,
        "auth.sign_in.refused" => Msg::AuditSignInRefused,
        "auth.sign_out" => Msg::AuditSignOut,
        "user.invited" => Msg::AuditUserInvited,
        "user.invitation.resent" => Msg::AuditInvitationResent,
        "user.invitation.cancelled" => Msg::AuditInvitationCancelled,
        "user.roles.changed" => Msg::AuditRolesChanged,
        "user.removed" => Msg::AuditUserRemoved,
        "user.reinstated" => Msg::AuditUserReinstated,
        "user.unlocked" => Msg::AuditUserUnlocked,
        "user.restored" => Msg::AuditUserRestored,
        "user.second_factor.reset" => Msg::AuditFactorsReset,
        "user.sessions.ended" => Msg::AuditSessionsEnded,
        "account.activated" => Msg::AuditActivated,
        "account.password.changed" => Msg::AuditPasswordChanged,
        "account.passkey.added" => Msg::AuditPasskeyAdded,
        "account.passkey.removed" => Msg::AuditPasskeyRemoved,
        "account.passkey.renamed" => Msg::AuditPasskeyRenamed,
        "account.authenticator.set_up" => Msg::AuditAuthenticatorSetUp,
        "account.disclosure.reported" => Msg::AuditDisclosureReported,
        "account.deregistered" => Msg::AuditDeregistered,
        "organisation.details.changed" => Msg::AuditDetailsChanged,
        "organisation.accountable.nominated" => Msg::AuditAccountableNominated,
        "organisation.accountable.transferred" => Msg::AuditAccountableTransferred,
        "organisation.accountable.withdrawn" => Msg::AuditAccountableWithdrawn,
        "organisation.request.sent" => Msg::AuditRequestSent,
        "organisation.audit.exported" => Msg::AuditExported,
        _ => return None,
    })
}

/// The actions the filter offers.
pub const FILTER_ACTIONS: &[&str] = &[
    "auth",
    "auth.sign_in",
    "user",
    "user.invited",
    "user.roles.changed",
    "user.removed",
    "user.second_factor.reset",
    "account",
    "organisation",
];

fn action_label(action: &str, lang: Lang) -> String {
    match action {
        "auth" => lang.t(Msg::AuditGroupAuth).to_owned(),
        "user" => lang.t(Msg::AuditGroupUser).to_owned(),
        "account" => lang.t(Msg::AuditGroupAccount).to_owned(),
        "organisation" => lang.t(Msg::AuditGroupOrganisation).to_owned(),
        a => action_name(a).map_or_else(|| a.to_owned(), |m| lang.t(m).to_owned()),
    }
}

/// Names for the organisation's users' `user:ID` references (HMCTS staff and the service are
/// named by [`who`]).
fn names(users: &[store::UserRow]) -> HashMap<String, String> {
    users
        .iter()
        .map(|u| (format!("user:{}", u.id), u.name()))
        .collect()
}

fn who(actor: &str, names: &HashMap<String, String>, lang: Lang) -> String {
    if let Some(n) = names.get(actor) {
        return n.clone();
    }
    if actor.starts_with("staff:") {
        return lang.t(Msg::AuditActorHmcts).to_owned();
    }
    match actor {
        "system" | "cli" => lang.t(Msg::AuditActorService).to_owned(),
        "anonymous" => lang.t(Msg::AuditActorAnonymous).to_owned(),
        other => other.to_owned(),
    }
}

/// The CSV export: a header and one line per event, newest first. Cells that a spreadsheet
/// would run as a formula are quoted with a leading apostrophe.
pub async fn csv(
    conn: &mut AnyConnection,
    org_id: &str,
    f: &AuditFilter,
    lang: Lang,
) -> Result<String, sqlx::Error> {
    let rows = events(conn, org_id, f, CSV_LIMIT).await?;
    let names = names(&store::users(conn, org_id).await?);
    let mut out = String::from(
        "sequence,time_utc,time_uk,actor,actor_name,action,action_name,target,target_name,details,client_ip\r\n",
    );
    for r in rows {
        let target = r.target.clone().unwrap_or_default();
        let cells = [
            r.seq.to_string(),
            utc_iso(r.at_ms),
            uk_time(r.at_ms / 1000, lang),
            r.actor.clone(),
            who(&r.actor, &names, lang),
            r.action.clone(),
            action_label(&r.action, lang),
            target.clone(),
            names.get(&target).cloned().unwrap_or_default(),
            r.details.clone(),
            r.client_ip.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// A CSV cell: quoted when needed; a leading `= + - @` (a formula to a spreadsheet) is made
/// harmless with an apostrophe.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn utc_iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let d = Date::from_days_since_epoch(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!("{d}T{:02}:{:02}:{:02}Z", t / 3600, (t % 3600) / 60, t % 60)
}

/// `/organisation/audit`.
#[component]
pub fn AuditPage() -> impl IntoView {
    let lang = use_lang();
    let (filter, bad_date) = AuditFilter::parse(
        &query("user"),
        &query("action"),
        &query("from"),
        &query("to"),
    );
    let f2 = filter.clone();
    let load = async move {
        let state = state()?;
        let org_id = admin()?.organisation_id?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let d = store::details(&mut conn, &org_id).await.ok()??;
        let users = store::users(&mut conn, &org_id).await.ok()?;
        let rows = events(&mut conn, &org_id, &f2, PAGE_LIMIT + 1).await.ok()?;
        let names = names(&users);
        Some((d, users, rows, names))
    };
    view! {
        {crate::page_title(Msg::AuditTitle)}
        <Suspense>
            {Suspend::new(async move {
                let filter = filter.clone();
                load.await.map(|(d, users, mut rows, names)| {
                    let more = rows.len() as i64 > PAGE_LIMIT;
                    rows.truncate(usize::try_from(PAGE_LIMIT).unwrap_or(200));
                    let csv_href = format!("/organisation/audit.csv{}", filter.query());
                    let shown = rows.len() as u64;
                    view! {
                        <span class="govuk-caption-l">{d.name.clone()}</span>
                        <h1 class="govuk-heading-l">{lang.t(Msg::AuditTitle)}</h1>
                        <OrgNav current="/organisation/audit" />
                        <p class="govuk-body">{lang.t(Msg::AuditIntro)}</p>
                        {bad_date.then(|| view! {
                            <div class="govuk-error-summary" data-module="govuk-error-summary">
                                <div role="alert">
                                    <h2 class="govuk-error-summary__title">{lang.t(Msg::ErrorTitle)}</h2>
                                    <div class="govuk-error-summary__body">
                                        <ul class="govuk-list govuk-error-summary__list">
                                            <li><a href="#from">{lang.t(Msg::AuditDateBad)}</a></li>
                                        </ul>
                                    </div>
                                </div>
                            </div>
                        })}
                        <form method="get" action="/organisation/audit" class="app-filter" role="search">
                            <div class="govuk-form-group app-filter__item">
                                <label class="govuk-label" for="user">{lang.t(Msg::AuditFilterUser)}</label>
                                <select class="govuk-select" id="user" name="user">
                                    <option value="" selected=filter.user.is_empty()>{lang.t(Msg::OrgFilterAny)}</option>
                                    {users.iter().map(|u| {
                                        let sel = u.id == filter.user;
                                        view! { <option value=u.id.clone() selected=sel>{u.name()}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="govuk-form-group app-filter__item">
                                <label class="govuk-label" for="action">{lang.t(Msg::AuditFilterAction)}</label>
                                <select class="govuk-select" id="action" name="action">
                                    <option value="" selected=filter.action.is_empty()>{lang.t(Msg::OrgFilterAny)}</option>
                                    {FILTER_ACTIONS.iter().map(|a| {
                                        let sel = *a == filter.action;
                                        view! { <option value=*a selected=sel>{action_label(a, lang)}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="govuk-form-group app-filter__item">
                                <label class="govuk-label" for="from">{lang.t(Msg::AuditFilterFrom)}</label>
                                <input class="govuk-input govuk-input--width-10" id="from" name="from" type="date"
                                    value=filter.from.map(|d| d.to_string()).unwrap_or_default() />
                            </div>
                            <div class="govuk-form-group app-filter__item">
                                <label class="govuk-label" for="to">{lang.t(Msg::AuditFilterTo)}</label>
                                <input class="govuk-input govuk-input--width-10" id="to" name="to" type="date"
                                    value=filter.to.map(|d| d.to_string()).unwrap_or_default() />
                            </div>
                            <button type="submit" class="govuk-button govuk-button--secondary app-filter__button">{lang.t(Msg::OrgFilterApply)}</button>
                        </form>
                        <p class="govuk-body">
                            <a class="govuk-link" href=csv_href download="audit.csv">{lang.t(Msg::AuditDownload)}</a>
                        </p>
                        <p class="govuk-body app-results-count" role="status">
                            {lang.tp(PluralMsg::AuditShown, shown)}
                            {more.then(|| format!(" {}", lang.t(Msg::AuditMore)))}
                        </p>
                        <table class="govuk-table app-audit" id="audit">
                            <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::AuditTitle)}</caption>
                            <thead class="govuk-table__head">
                                <tr class="govuk-table__row">
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::AuditColWhen)}</th>
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::AuditColWho)}</th>
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::AuditColWhat)}</th>
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::AuditColTarget)}</th>
                                    <th scope="col" class="govuk-table__header">{lang.t(Msg::AuditColDetails)}</th>
                                </tr>
                            </thead>
                            <tbody class="govuk-table__body">
                                {rows.into_iter().map(|r| {
                                    let target = r.target.clone().unwrap_or_default();
                                    let target_name = names.get(&target).cloned()
                                        .or_else(|| target.starts_with("organisation:").then(|| d.name.clone()))
                                        .unwrap_or(target);
                                    view! {
                                        <tr class="govuk-table__row">
                                            <td class="govuk-table__cell">{uk_time(r.at_ms / 1000, lang)}</td>
                                            <td class="govuk-table__cell">{who(&r.actor, &names, lang)}</td>
                                            <td class="govuk-table__cell">{action_label(&r.action, lang)}</td>
                                            <td class="govuk-table__cell">{target_name}</td>
                                            <td class="govuk-table__cell app-audit__details"><code>{r.details.clone()}</code></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })
            })}
        </Suspense>
    }
}

/// `/organisation/audit.csv`: the organisation's audit events matching the page's filters, as
/// a spreadsheet, its export itself audited. Administrators only (the gate checked; this checks
/// again).
pub async fn csv_download(
    state: crate::state::AppState,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::{
        http::{StatusCode, header},
        response::IntoResponse,
    };
    let Some(s) = req
        .extensions()
        .get::<crate::web::Current>()
        .filter(|s| s.stage == crate::web::Stage::Full && s.user.is_active_admin())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(org_id) = s.user.organisation_id.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let q: Vec<(String, String)> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
    let get = |k: &str| crate::forms::value(&q, k);
    let (filter, _) = AuditFilter::parse(get("user"), get("action"), get("from"), get("to"));
    let now = state.clock.now_unix();
    let failed = |e: sqlx::Error| {
        let message = crate::error::AppError::internal(e).message(lang);
        (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
    };
    let body = match state.db.pool.acquire().await {
        Ok(mut conn) => csv(&mut conn, &org_id, &filter, lang).await,
        Err(e) => Err(e),
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let ip = crate::web::ClientIp::text(req.extensions());
    let who = crate::accounts::store::Who::user(&s.user, &ip);
    if let Err(e) = who
        .audit_alone(
            &state.db,
            "organisation.audit.exported",
            Some(format!("organisation:{org_id}")),
            serde_json::json!({ "filter": filter.query() }),
            now,
        )
        .await
    {
        return failed(e);
    }
    let date = crate::clock::uk_date(now);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audit-{date}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        format!("\u{feff}{body}"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn filters_round_trip_and_bad_dates_are_reported() {
        let (f, bad) = AuditFilter::parse("u1", "user", "2026-11-01", "2026-11-30");
        assert!(!bad);
        assert_eq!(
            f.query(),
            "?user=u1&action=user&from=2026-11-01&to=2026-11-30"
        );
        let (f, bad) = AuditFilter::parse("", "", "2026-02-31", "");
        assert!(bad);
        assert_eq!(f, AuditFilter::default());
        // Typed in capitals, an action still matches on both engines.
        assert_eq!(AuditFilter::parse("", " USER ", "", "").0.action, "user");
    }

    #[test]
    fn days_start_at_uk_midnight() {
        // 1 July is in British Summer Time: midnight is 23:00 UTC the day before.
        let d = Date::new(2026, 7, 1).unwrap_or_else(|_| panic!("date"));
        assert_eq!(utc_iso(uk_midnight_ms(d)), "2026-06-30T23:00:00Z");
        let d = Date::new(2026, 12, 1).unwrap_or_else(|_| panic!("date"));
        assert_eq!(utc_iso(uk_midnight_ms(d)), "2026-12-01T00:00:00Z");
    }
}
