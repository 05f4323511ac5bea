//! The Legal Aid Agency's view of attendance: who checked in for each hearing on a day (and
//! whether the court marked them attended), and the day as CSV for payment. Each view and
//! export is audited: it reads case data.

use super::live_board::{attendance_label, status_label};
use super::rules::{Attendance, Status};
use super::store::day_bounds;
use crate::{
    accounts::store::Who,
    cases::pages::urn_spaced,
    clock::{uk_clock_time, uk_date, utc_rfc3339},
    date::Date,
    i18n::{Lang, Msg, use_lang},
    organisation::audit::csv_cell,
    web::{current_session, query, state},
};
use leptos::prelude::*;
use sqlx::AnyConnection;

/// The CSV's address.
pub const CSV_PATH: &str = "/staff/laa/attendance.csv";

/// One check-in of the day (withdrawn ones are not attendance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The court.
    pub court: String,
    /// The courtroom.
    pub courtroom: String,
    /// The hearing's start.
    pub starts_at: i64,
    /// The URN (normal form).
    pub urn: String,
    /// Hearing type.
    pub hearing_type: String,
    /// The advocate.
    pub advocate: String,
    /// Their organisation.
    pub organisation: String,
    /// Its LAA account number, if it has one.
    pub laa_account: Option<String>,
    /// Status code.
    pub status: String,
    /// Attendance code.
    pub attendance: String,
    /// The defendants' names.
    pub defendants: Vec<String>,
    /// Checked in at.
    pub checked_in_at: i64,
    /// Checked in by court staff on their behalf.
    pub by_staff: bool,
    /// Marked by the court.
    pub attended: Option<bool>,
}

type Row = (
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

/// The day's check-ins (at `court`, or every court), by court, courtroom and time.
pub async fn day(conn: &mut AnyConnection, d: Date, court: &str) -> Result<Vec<Line>, sqlx::Error> {
    let (from, to) = day_bounds(d);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT k.id, h.court, h.courtroom, h.starts_at, c.urn, h.hearing_type, k.advocate_name, \
                o.name, o.laa_account, k.status, k.attendance, k.checked_in_at, \
                CASE WHEN k.checked_in_by <> k.advocate_id THEN 1 ELSE 0 END, k.attended \
         FROM checkins k JOIN hearings h ON h.id = k.hearing_id JOIN cases c ON c.id = h.case_id \
         JOIN organisations o ON o.id = k.organisation_id \
         WHERE h.starts_at >= $1 AND h.starts_at < $2 AND k.withdrawn_at IS NULL \
           AND ($3 = '' OR h.court = $3) \
         ORDER BY h.court, h.courtroom, h.starts_at, c.urn, k.checked_in_at",
    )
    .bind(from)
    .bind(to)
    .bind(court)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, court, room, starts, urn, kind, advocate, org, laa, status, att, at, by, attended) in
        rows
    {
        let defendants = super::store::checkin_defendant_names(conn, &id).await?;
        out.push(Line {
            court,
            courtroom: room,
            starts_at: starts,
            urn,
            hearing_type: kind,
            advocate,
            organisation: org,
            laa_account: laa,
            status,
            attendance: att,
            defendants,
            checked_in_at: at,
            by_staff: by == 1,
            attended: attended.map(|a| a == 1),
        });
    }
    Ok(out)
}

fn words(line: &Line, lang: Lang) -> (String, String) {
    (
        Status::from_code(&line.status)
            .map(|s| lang.t(status_label(s)).to_owned())
            .unwrap_or_default(),
        Attendance::from_code(&line.attendance)
            .map(|a| lang.t(attendance_label(a)).to_owned())
            .unwrap_or_default(),
    )
}

fn attended_words(a: Option<bool>, lang: Lang) -> &'static str {
    match a {
        Some(true) => lang.t(Msg::BoardAttended),
        Some(false) => lang.t(Msg::BoardNotAttended),
        None => lang.t(Msg::AttendanceNotMarked),
    }
}

/// The day as CSV (codes for machines beside words for people; cells defused).
pub fn csv(lines: &[Line], lang: Lang) -> String {
    let mut out = String::from(
        "date,court,courtroom,time_uk,urn,hearing_type,advocate,organisation,laa_account,\
         status,status_name,attendance,attendance_name,defendants,checked_in_at_utc,\
         checked_in_by_court,attended\r\n",
    );
    for l in lines {
        let (status, attendance) = words(l, lang);
        let cells = [
            uk_date(l.starts_at).to_string(),
            l.court.clone(),
            l.courtroom.clone(),
            uk_clock_time(l.starts_at, lang),
            l.urn.clone(),
            l.hearing_type.clone(),
            l.advocate.clone(),
            l.organisation.clone(),
            l.laa_account.clone().unwrap_or_default(),
            l.status.clone(),
            status,
            l.attendance.clone(),
            attendance,
            l.defendants.join("; "),
            utc_rfc3339(l.checked_in_at),
            if l.by_staff { "yes" } else { "no" }.to_owned(),
            match l.attended {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            }
            .to_owned(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn chosen_day(text: &str, now: i64) -> Option<Date> {
    if text.trim().is_empty() {
        Some(uk_date(now))
    } else {
        text.trim().parse().ok()
    }
}

/// `/staff/laa/attendance?date=…&court=…`.
#[component]
pub fn AttendancePage() -> impl IntoView {
    let lang = use_lang();
    let (date_text, court) = (query("date"), query("court"));
    let load = {
        let (date_text, court) = (date_text.clone(), court.clone());
        async move {
            let state = state()?;
            let s = current_session()?;
            let now = state.clock.now_unix();
            let day = chosen_day(&date_text, now);
            let courts = state.courts.get(&state.db, now).await.ok()?;
            let lines = match day {
                Some(d) => {
                    let mut conn = state.db.pool.acquire().await.ok()?;
                    let lines = self::day(&mut conn, d, &court).await.ok()?;
                    Who::user(&s.user, &crate::web::ClientIp::of_page())
                        .audit_alone(
                            &state.db,
                            "laa.attendance.viewed",
                            None,
                            serde_json::json!({ "date": d.to_string(), "court": court }),
                            now,
                        )
                        .await
                        .ok()?;
                    lines
                }
                None => vec![],
            };
            Some((day, courts, lines))
        }
    };
    view! {
        {crate::page_title(Msg::LaaAttendanceTitle)}
        <Suspense>
            {Suspend::new(async move {
                let (day, courts, lines) = load.await?;
                let bad = day.is_none();
                let value = day.map(|d| d.to_string()).unwrap_or(date_text.clone());
                let csv_href = format!(
                    "{CSV_PATH}?date={}&court={}",
                    value,
                    crate::text::encode_query_value(&court)
                );
                Some(view! {
                    {bad.then(|| view! {
                        <div class="govuk-error-summary" data-module="govuk-error-summary">
                            <div role="alert">
                                <h2 class="govuk-error-summary__title">{lang.t(Msg::ErrorTitle)}</h2>
                                <div class="govuk-error-summary__body">
                                    <ul class="govuk-list govuk-error-summary__list">
                                        <li><a href="#date">{lang.t(Msg::HearingsBadDate)}</a></li>
                                    </ul>
                                </div>
                            </div>
                        </div>
                    })}
                    <a class="govuk-back-link" href="/staff/laa">{lang.t(Msg::BackLink)}</a>
                    <h1 class="govuk-heading-l">{lang.t(Msg::LaaAttendanceTitle)}</h1>
                    <form method="get" action="/staff/laa/attendance" class="app-filter app-no-print">
                        <div class=if bad { "govuk-form-group govuk-form-group--error app-filter__item" } else { "govuk-form-group app-filter__item" }>
                            <label class="govuk-label" for="date">{lang.t(Msg::HearingsDate)}</label>
                            <crate::forms::FieldErrorMessage id="date".to_owned() message=bad.then(|| lang.t(Msg::HearingsBadDate).to_owned()) />
                            <input class="govuk-input govuk-input--width-10" id="date" name="date" type="date" value=value.clone() />
                        </div>
                        <div class="govuk-form-group app-filter__item">
                            <label class="govuk-label" for="court">{lang.t(Msg::HearingsCourt)}</label>
                            <select class="govuk-select" id="court" name="court">
                                <option value="">{lang.t(Msg::LaaAllCourts)}</option>
                                {courts.iter().map(|c| view! { <option value=c.name.clone() selected=c.name == court>{c.name.clone()}</option> }).collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="govuk-button govuk-button--secondary app-filter__button">{lang.t(Msg::HearingsShow)}</button>
                    </form>
                    {(!bad).then(|| view! {
                        <p class="govuk-body"><a class="govuk-link" href=csv_href.clone() download="">{lang.t(Msg::LaaAttendanceCsv)}</a></p>
                    })}
                    {if lines.is_empty() {
                        (!bad).then(|| view! { <p class="govuk-body" id="no-attendance">{lang.t(Msg::LaaAttendanceNone)}</p> }).into_any()
                    } else {
                        view! {
                            <table class="govuk-table app-table--reflow" id="attendance">
                                <thead class="govuk-table__head">
                                    <tr class="govuk-table__row">
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::LaaColHearing)}</th>
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::LaaColAdvocate)}</th>
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::CasesColDefendants)}</th>
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::LaaColAttended)}</th>
                                    </tr>
                                </thead>
                                <tbody class="govuk-table__body">
                                    {lines.into_iter().map(|l| {
                                        let (status, attendance) = words(&l, lang);
                                        view! {
                                            <tr class="govuk-table__row">
                                                <td class="govuk-table__cell" data-label=lang.t(Msg::LaaColHearing)>
                                                    {format!("{} {}, {} · {} · {}", uk_clock_time(l.starts_at, lang), l.court, lang.tf(Msg::CourtroomN, &[("room", &l.courtroom)]), urn_spaced(&l.urn), l.hearing_type)}
                                                </td>
                                                <td class="govuk-table__cell" data-label=lang.t(Msg::LaaColAdvocate)>
                                                    {format!("{} ({}), {status}, {attendance}", l.advocate, l.organisation)}
                                                </td>
                                                <td class="govuk-table__cell" data-label=lang.t(Msg::CasesColDefendants)>{l.defendants.join(", ")}</td>
                                                <td class="govuk-table__cell" data-label=lang.t(Msg::LaaColAttended)>{attended_words(l.attended, lang)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                })
            })}
        </Suspense>
    }
}

/// `GET /staff/laa/attendance.csv?date=…&court=…`.
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
        .filter(|s| s.stage == crate::web::Stage::Full && s.user.is_staff("laa"))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let q: Vec<(String, String)> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
    let now = state.clock.now_unix();
    let Some(d) = chosen_day(crate::forms::value(&q, "date"), now) else {
        return (StatusCode::BAD_REQUEST, lang.t(Msg::HearingsBadDate)).into_response();
    };
    let court = crate::forms::value(&q, "court").to_owned();
    let failed = |e: sqlx::Error| {
        let message = crate::error::AppError::internal(e).message(lang);
        (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
    };
    let lines = match state.db.pool.acquire().await {
        Ok(mut conn) => day(&mut conn, d, &court).await,
        Err(e) => Err(e),
    };
    let lines = match lines {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let ip = crate::web::ClientIp::text(req.extensions());
    if let Err(e) = Who::user(&s.user, &ip)
        .audit_alone(
            &state.db,
            "laa.attendance.exported",
            None,
            serde_json::json!({ "date": d.to_string(), "court": court, "lines": lines.len() }),
            now,
        )
        .await
    {
        return failed(e);
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attendance-{d}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        format!("\u{feff}{}", csv(&lines, lang)),
    )
        .into_response()
}
