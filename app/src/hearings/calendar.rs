//! Each user's calendar of upcoming hearings: an iCalendar feed at a secret address
//! (`/calendar/{token}.ics`: 256 random bits, only its SHA-256 stored) that a calendar app
//! subscribes to. The user turns it on, renews it (the old address stops at once) or turns it
//! off at `/hearings/calendar`. The feed answers only while its user is an active member of a
//! defence organisation, lists the hearings of the cases their organisation acts on for the next
//! 60 days, and each fetch is audited (it reads case data).

use super::store::{self, Listed};
use crate::{
    accounts::{
        pages::SuccessBannerText,
        store::Who,
        token::{hash_token, new_token},
    },
    cases::{defence::Member, pages::urn_spaced},
    clock::uk_date,
    error::AppError,
    forms::{Hidden, Posted},
    i18n::{Msg, use_lang},
    state::AppState,
    web::{Ctx, Outcome, current_session, redirect, state},
};
use leptos::prelude::*;

/// The feed's address pattern.
pub const PATH: &str = "/calendar/{token}";

/// The page that manages it.
pub const PAGE: &str = "/hearings/calendar";

/// How far ahead the feed looks.
pub const DAYS: i64 = 60;

/// A hearing's length in the calendar (courts list a start time only).
const LENGTH: &str = "PT1H";

/// iCalendar text: backslash, semicolon, comma and new lines escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace(['\r', '\n'], "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn stamp(unix: i64) -> String {
    crate::clock::utc_rfc3339(unix)
        .replace(['-', ':'], "")
        .trim_end_matches('Z')
        .to_owned()
        + "Z"
}

/// The feed's text for these hearings, written at `now`.
pub fn ics(hearings: &[Listed], public_url: &str, now: i64) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//HMCTS//Defence case access//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Hearings",
    ] {
        out.push_str(&fold(l));
    }
    for h in hearings {
        let host = public_url
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split(['/', ':'])
            .next()
            .unwrap_or("caseaccess");
        let lines = [
            "BEGIN:VEVENT".to_owned(),
            format!("UID:hearing-{}@{host}", h.id),
            format!("DTSTAMP:{}", stamp(now)),
            format!("DTSTART:{}", stamp(h.starts_at)),
            format!("DURATION:{LENGTH}"),
            format!(
                "SUMMARY:{}",
                escape(&format!("{} – {}", urn_spaced(&h.urn), h.hearing_type))
            ),
            format!(
                "LOCATION:{}",
                escape(&format!("{}, courtroom {}", h.court, h.courtroom))
            ),
            format!("DESCRIPTION:{}", escape(&h.defendants.join(", "))),
            format!("URL:{}/hearings/{}", public_url.trim_end_matches('/'), h.id),
            if h.ended {
                "STATUS:CANCELLED".to_owned()
            } else {
                "STATUS:CONFIRMED".to_owned()
            },
            "END:VEVENT".to_owned(),
        ];
        for l in lines {
            out.push_str(&fold(&l));
        }
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

/// Makes (or replaces) the user's feed; returns its new secret. The old address stops at once.
pub async fn renew(state: &AppState, m: &Member, now: i64) -> Result<String, sqlx::Error> {
    let token = new_token();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, \
           created_at = excluded.created_at",
    )
    .bind(&m.user.id)
    .bind(hash_token(&token))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    m.who()
        .audit(
            &mut tx,
            "calendar.renewed",
            Some(format!("user:{}", m.user.id)),
            serde_json::json!({}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(token)
}

/// Turns the user's feed off.
pub async fn turn_off(state: &AppState, m: &Member, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let n = sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(&m.user.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n > 0 {
        m.who()
            .audit(
                &mut tx,
                "calendar.turned_off",
                Some(format!("user:{}", m.user.id)),
                serde_json::json!({}),
                now,
            )
            .await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// `GET /calendar/{token}.ics`.
pub async fn get(state: AppState, req: axum::extract::Request) -> axum::response::Response {
    use axum::{
        http::{StatusCode, header},
        response::IntoResponse,
    };
    let raw = crate::web::routes::param(PATH, req.uri().path(), "token");
    let token = raw.trim_end_matches(".ics");
    let now = state.clock.now_unix();
    let failed = |e: sqlx::Error| {
        tracing::warn!(error = %e, "calendar feed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    };
    let sql = format!(
        "SELECT {} FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
         WHERE f.token_hash = $1 AND u.status = 'active' AND u.organisation_id IS NOT NULL \
           AND u.staff_role IS NULL",
        crate::accounts::store::USER_COLUMNS
    );
    let user: Option<crate::web::User> = match sqlx::query_as(&sql)
        .bind(hash_token(token))
        .fetch_optional(&state.db.pool)
        .await
    {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let Some(user) = user else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let list = match state.db.pool.acquire().await {
        Ok(mut conn) => store::ours(&mut conn, &user, uk_date(now), DAYS).await,
        Err(e) => Err(e),
    };
    let list = match list {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let ip = crate::web::ClientIp::text(req.extensions());
    if let Err(e) = Who::user(&user, &ip)
        .audit_alone(
            &state.db,
            "calendar.fetched",
            Some(format!("user:{}", user.id)),
            serde_json::json!({ "hearings": list.len() }),
            now,
        )
        .await
    {
        return failed(e);
    }
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        ics(&list, &state.mail.public_url, now),
    )
        .into_response()
}

/// `/hearings/calendar`: turn the feed on, renew it or turn it off. A new address is shown once
/// (only its SHA-256 is kept).
#[component]
pub fn CalendarPage() -> impl IntoView {
    let lang = use_lang();
    let posted = crate::forms::use_posted();
    let new_address = posted.value("address").map(str::to_owned);
    let load = async move {
        let state = state()?;
        let s = current_session()?;
        let on: Option<i64> =
            sqlx::query_scalar("SELECT created_at FROM calendar_feeds WHERE user_id = $1")
                .bind(&s.user.id)
                .fetch_optional(&state.db.pool)
                .await
                .ok()?;
        Some(on)
    };
    let off_banner = crate::web::query("done") == "off";
    view! {
        {crate::page_title(Msg::CalendarTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                {off_banner.then(|| view! { <SuccessBannerText text=lang.t(Msg::CalendarOffBanner).to_owned() /> })}
                <a class="govuk-back-link" href="/cases">{lang.t(Msg::BackLink)}</a>
                <h1 class="govuk-heading-l">{lang.t(Msg::CalendarTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::CalendarIntro)}</p>
                <Suspense>
                    {Suspend::new(async move {
                        let on = load.await?;
                        Some(view! {
                            {new_address.clone().map(|a| view! {
                                <div class="govuk-panel govuk-panel--confirmation govuk-!-text-align-left">
                                    <h2 class="govuk-panel__title govuk-!-font-size-27">{lang.t(Msg::CalendarNewHeading)}</h2>
                                </div>
                                <div class="govuk-form-group">
                                    <label class="govuk-label" for="calendar-address">{lang.t(Msg::CalendarAddressLabel)}</label>
                                    <div id="calendar-address-hint" class="govuk-hint">{lang.t(Msg::CalendarAddressHint)}</div>
                                    <input class="govuk-input" id="calendar-address" type="text" readonly value=a aria-describedby="calendar-address-hint" spellcheck="false" />
                                </div>
                            })}
                            {match (on, new_address.is_some()) {
                                (Some(_), false) => view! { <p class="govuk-body" id="calendar-state">{lang.t(Msg::CalendarIsOn)}</p> }.into_any(),
                                (None, _) => view! { <p class="govuk-body" id="calendar-state">{lang.t(Msg::CalendarIsOff)}</p> }.into_any(),
                                _ => ().into_any(),
                            }}
                            <div class="govuk-button-group">
                                <form method="post" action=PAGE class="app-inline-form">
                                    <Hidden name="action" value="renew" />
                                    <button type="submit" class="govuk-button" data-module="govuk-button">
                                        {lang.t(if on.is_some() { Msg::CalendarRenewButton } else { Msg::CalendarOnButton })}
                                    </button>
                                </form>
                                {on.is_some().then(|| view! {
                                    <form method="post" action=PAGE class="app-inline-form">
                                        <Hidden name="action" value="off" />
                                        <button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button">{lang.t(Msg::CalendarOffButton)}</button>
                                    </form>
                                })}
                            </div>
                        })
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `POST /hearings/calendar`.
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    let m = Member::of(ctx.session.as_ref(), &ctx.ip).ok_or(AppError::NotFound)?;
    let now = ctx.now();
    match crate::forms::value(&ctx.form, "action") {
        "renew" => {
            let token = renew(&ctx.state, &m, now)
                .await
                .map_err(AppError::internal)?;
            let address = format!(
                "{}/calendar/{token}.ics",
                ctx.state.mail.public_url.trim_end_matches('/')
            );
            Ok(Outcome::Render(Posted {
                values: vec![("address".into(), address)],
                ..Posted::default()
            }))
        }
        "off" => {
            turn_off(&ctx.state, &m, now)
                .await
                .map_err(AppError::internal)?;
            Ok(redirect(&format!("{PAGE}?done=off")))
        }
        _ => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hearing() -> Listed {
        Listed {
            id: "h1".into(),
            case_id: "c1".into(),
            urn: "62CF987654326".into(),
            court: "Cardiff Magistrates' Court".into(),
            courtroom: "5".into(),
            starts_at: 1_795_260_600,
            hearing_type: "Trial; day 1, of 2".into(),
            defendants: vec!["Gareth Price".into(), "Llŷr Haulage Cyf".into()],
            ended: false,
            ours: true,
            checked_in: 0,
            mine: None,
        }
    }

    #[test]
    fn the_feed_is_valid_icalendar() {
        let text = ics(&[hearing()], "https://caseaccess.example", 1_795_251_600);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(text.contains("UID:hearing-h1@caseaccess.example\r\n"));
        assert!(text.contains("DTSTART:20261121T113000Z\r\n"));
        assert!(text.contains("DTSTAMP:20261121T090000Z\r\n"));
        assert!(text.contains("SUMMARY:62 CF 9876543 26 – Trial\\; day 1\\, of 2\r\n"));
        assert!(text.contains("LOCATION:Cardiff Magistrates' Court\\, courtroom 5\r\n"));
        assert!(text.contains("URL:https://caseaccess.example/hearings/h1\r\n"));
        // Every line at most 75 octets, continuation lines starting with a space.
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 1);
    }

    #[test]
    fn long_lines_fold_without_splitting_a_character() {
        let folded = fold(&format!("DESCRIPTION:{}", "ŷ".repeat(60)));
        for line in folded.trim_end().split("\r\n") {
            assert!(line.len() <= 75);
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("DESCRIPTION:{}\r\n", "ŷ".repeat(60))
        );
    }
}
