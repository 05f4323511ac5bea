//! The hearings pages: a court's list for a day, a hearing with the advocate's check-in form,
//! and the Today section of the signed-in home.

use super::{
    live_board::{attendance_label, checkin_line, status_label},
    rules::{Attendance, Refused, Status},
    store::{self, By, Listed, Problem, Request},
};
use crate::{
    accounts::pages::SuccessBannerText,
    cases::{defence::Member, pages::urn_spaced},
    clock::{uk_clock_time, uk_date},
    date::Date,
    error::AppError,
    forms::{ErrorSummary, FieldErrorMessage, Hidden, field, form_title, use_posted},
    i18n::{Lang, Msg, use_lang},
    web::{Ctx, Outcome, current_session, query, redirect, state},
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// What a refusal says to the person who asked.
pub fn refusal(r: Refused) -> Msg {
    match r {
        Refused::NotToday => Msg::CheckinNotToday,
        Refused::Ended => Msg::CheckinEnded,
        Refused::Inactive => Msg::CheckinInactive,
        Refused::NoStanding => Msg::CheckinNoStanding,
        Refused::NoDefendant => Msg::CheckinNoDefendant,
        Refused::NotTheirDefendant => Msg::CheckinNotTheirDefendant,
        Refused::AlreadyCheckedIn => Msg::CheckinAlready,
        Refused::NotCheckedIn => Msg::CheckinNotCheckedIn,
        Refused::OtherCourt => Msg::CheckinOtherCourt,
    }
}

/// A hearing as a check-in waiting on the device names it (hearings::offline).
fn queue_hearing(hearing_type: &str, urn: &str, starts_at: i64, lang: Lang) -> String {
    lang.tf(
        Msg::QueueHearing,
        &[
            ("type", hearing_type),
            ("urn", &urn_spaced(urn)),
            ("time", &uk_clock_time(starts_at, lang)),
        ],
    )
}

fn hearing_id() -> String {
    use_params_map().with_untracked(|p| p.get("id").unwrap_or_default())
}

/// The Today section of the signed-in home: the hearings of the organisation's cases today and
/// tomorrow, each with its check-in state and, today, one button to check in.
pub fn today_section() -> AnyView {
    view! { <TodaySection /> }.into_any()
}

#[component]
fn TodaySection() -> impl IntoView {
    let lang = use_lang();
    let load = async move {
        let state = state()?;
        let m = Member::current()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let now = state.clock.now_unix();
        let list = store::ours(&mut conn, &m.user, uk_date(now), 2)
            .await
            .ok()?;
        let last = last_status(&mut conn, &m.user.id).await.ok()?;
        let mut quick = vec![];
        for h in &list {
            let (on_record, _) = store::standing(&mut conn, &h.case_id, &m.organisation_id)
                .await
                .ok()?;
            quick.push(on_record);
        }
        Some((list, quick, last, uk_date(now)))
    };
    let banner = match query("checkin").as_str() {
        "done" => Some(Msg::CheckinDoneBanner),
        "withdrawn" => Some(Msg::CheckinWithdrawnBanner),
        _ => None,
    };
    view! {
        <Suspense>
            {Suspend::new(async move {
                let (list, quick, last, today) = load.await?;
                Some(view! {
                    {banner.map(|b| view! { <SuccessBannerText text=lang.t(b).to_owned() /> })}
                    <section class="app-today" aria-labelledby="today-heading" id="today">
                        <h2 class="govuk-heading-m" id="today-heading">{lang.t(Msg::TodayHeading)}</h2>
                        {if list.is_empty() {
                            view! { <p class="govuk-body" id="no-hearings">{lang.t(Msg::TodayNone)}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="govuk-list app-today__list">
                                    {list.into_iter().zip(quick).map(|(h, on_record)| {
                                        today_item(h, &on_record, last, today, lang)
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <ul class="govuk-list">
                            <li><a class="govuk-link" href="/hearings">{lang.t(Msg::TodayAllLink)}</a></li>
                            <li><a class="govuk-link" href="/hearings/calendar">{lang.t(Msg::TodayCalendarLink)}</a></li>
                        </ul>
                    </section>
                })
            })}
        </Suspense>
    }
}

fn today_item(
    h: Listed,
    on_record: &[String],
    last: Option<Status>,
    today: Date,
    lang: Lang,
) -> impl IntoView + use<> {
    let is_today = uk_date(h.starts_at) == today;
    let when = if is_today {
        lang.tf(Msg::TodayAt, &[("time", &uk_clock_time(h.starts_at, lang))])
    } else {
        lang.tf(
            Msg::TomorrowAt,
            &[("time", &uk_clock_time(h.starts_at, lang))],
        )
    };
    let href = format!("/hearings/{}", h.id);
    // One tap: the status they used last, the defendants their firm is on record for, in
    // person. Anything else (first check-in, counsel choosing defendants) opens the form.
    let quick = is_today && !h.ended && h.mine.is_none() && last.is_some() && !on_record.is_empty();
    let state = if h.mine.is_some() {
        view! { <strong class="govuk-tag govuk-tag--green">{lang.t(Msg::TodayCheckedIn)}</strong> }
            .into_any()
    } else if h.ended {
        view! { <strong class="govuk-tag govuk-tag--grey">{lang.t(Msg::HearingEndedTag)}</strong> }
            .into_any()
    } else {
        ().into_any()
    };
    let what = lang.tf(
        Msg::QueueLabelCheckIn,
        &[(
            "hearing",
            &queue_hearing(&h.hearing_type, &h.urn, h.starts_at, lang),
        )],
    );
    let title = lang.tf(
        Msg::TodayItemTitle,
        &[("urn", &urn_spaced(&h.urn)), ("type", &h.hearing_type)],
    );
    view! {
        <li class="app-today__item" data-hearing=h.id.clone()>
            <p class="govuk-body govuk-!-margin-bottom-1">
                <strong>{when}</strong>" · "{h.court.clone()}", "{lang.tf(Msg::CourtroomN, &[("room", &h.courtroom)])}
            </p>
            <p class="govuk-body govuk-!-margin-bottom-1"><a class="govuk-link" href=href.clone()>{title}</a>" "{state}</p>
            <p class="govuk-body-s govuk-!-margin-bottom-2">{h.defendants.join(", ")}</p>
            {quick.then(|| {
                let status = last.map(Status::code).unwrap_or_default();
                view! {
                    <form method="post" action=href.clone() class="app-today__form" data-checkin-form="" data-checkin-label=what>
                        <Hidden name="action" value="check_in" />
                        <Hidden name="status" value=status />
                        <Hidden name="attendance" value=Attendance::InPerson.code() />
                        <Hidden name="from" value="today" />
                        {on_record.iter().map(|d| view! { <Hidden name="defendant" value=d.clone() /> }).collect_view()}
                        <div class="govuk-button-group">
                            <button type="submit" class="govuk-button govuk-!-margin-bottom-0" data-module="govuk-button">
                                {lang.t(Msg::CheckinButton)}
                                <span class="govuk-visually-hidden">{format!(" {}", urn_spaced(&h.urn))}</span>
                            </button>
                            <a class="govuk-link" href=href.clone()>{lang.t(Msg::TodayChangeDetails)}</a>
                        </div>
                    </form>
                }
            })}
            {(is_today && !h.ended && h.mine.is_none() && !quick).then(|| view! {
                <a class="govuk-button govuk-button--secondary govuk-!-margin-bottom-2" href=href.clone() role="button" draggable="false">{lang.t(Msg::CheckinButton)}</a>
            })}
        </li>
    }
}

async fn last_status(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<Option<Status>, sqlx::Error> {
    let s: Option<String> = sqlx::query_scalar(
        "SELECT status FROM checkins WHERE advocate_id = $1 ORDER BY checked_in_at DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(s.as_deref().and_then(Status::from_code))
}

/// `/hearings?court=…&date=…&courtroom=…`: a court's list for a day.
#[component]
pub fn HearingsPage() -> impl IntoView {
    let lang = use_lang();
    let (court, date_text, room) = (query("court"), query("date"), query("courtroom"));
    let load = {
        let (court, date_text, room) = (court.clone(), date_text.clone(), room.clone());
        async move {
            let state = state()?;
            let now = state.clock.now_unix();
            let courts = state.courts.get(&state.db, now).await.ok()?;
            let day = if date_text.trim().is_empty() {
                Some(uk_date(now))
            } else {
                date_text.trim().parse::<Date>().ok()
            };
            let user = current_session().map(|s| s.user);
            let mut conn = state.db.pool.acquire().await.ok()?;
            let (list, rooms) = match (day, courts.iter().any(|c| c.name == court)) {
                (Some(d), true) => (
                    store::day_list(
                        &mut conn,
                        &court,
                        d,
                        Some(&room).filter(|r| !r.is_empty()).map(String::as_str),
                        user.as_ref(),
                    )
                    .await
                    .ok()?,
                    store::courtrooms(&mut conn, &court, d).await.ok()?,
                ),
                _ => (vec![], vec![]),
            };
            Some((courts, day, list, rooms))
        }
    };
    view! {
        {crate::page_title(Msg::HearingsTitle)}
        <Suspense>
            {Suspend::new(async move {
                let (courts, day, list, rooms) = load.await?;
                let bad_date = day.is_none();
                let day_value = day.map(|d| d.to_string()).unwrap_or(date_text.clone());
                let known = courts.iter().any(|c| c.name == court);
                Some(view! {
                    {bad_date.then(|| view! {
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
                    <h1 class="govuk-heading-l">{lang.t(Msg::HearingsTitle)}</h1>
                    <form method="get" action="/hearings" class="app-filter app-no-print" role="search">
                        <div class="govuk-form-group app-filter__item">
                            <label class="govuk-label" for="court">{lang.t(Msg::HearingsCourt)}</label>
                            <select class="govuk-select" id="court" name="court">
                                <option value="" selected=!known>{lang.t(Msg::HearingsChooseCourt)}</option>
                                {courts.iter().map(|c| view! {
                                    <option value=c.name.clone() selected=c.name == court>{c.name.clone()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div class=if bad_date { "govuk-form-group govuk-form-group--error app-filter__item" } else { "govuk-form-group app-filter__item" }>
                            <label class="govuk-label" for="date">{lang.t(Msg::HearingsDate)}</label>
                            <FieldErrorMessage id="date".to_owned() message=bad_date.then(|| lang.t(Msg::HearingsBadDate).to_owned()) />
                            <input class=if bad_date { "govuk-input govuk-input--width-10 govuk-input--error" } else { "govuk-input govuk-input--width-10" } id="date" name="date" type="date" value=day_value />
                        </div>
                        {(!rooms.is_empty()).then(|| view! {
                            <div class="govuk-form-group app-filter__item">
                                <label class="govuk-label" for="courtroom">{lang.t(Msg::HearingsCourtroom)}</label>
                                <select class="govuk-select" id="courtroom" name="courtroom">
                                    <option value="">{lang.t(Msg::HearingsAllCourtrooms)}</option>
                                    {rooms.iter().map(|r| view! {
                                        <option value=r.clone() selected=*r == room>{lang.tf(Msg::CourtroomN, &[("room", r)])}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                        })}
                        <button type="submit" class="govuk-button govuk-button--secondary app-filter__button">{lang.t(Msg::HearingsShow)}</button>
                    </form>
                    {match (known, day) {
                        (false, _) => view! { <p class="govuk-body">{lang.t(Msg::HearingsPickCourt)}</p> }.into_any(),
                        (true, None) => ().into_any(),
                        (true, Some(d)) if list.is_empty() => view! {
                            <p class="govuk-body" id="no-hearings">{lang.tf(Msg::HearingsNone, &[("court", &court), ("date", &d.long(lang))])}</p>
                        }.into_any(),
                        (true, Some(d)) => day_tables(&court, d, list, lang).into_any(),
                    }}
                })
            })}
        </Suspense>
    }
}

fn day_tables(court: &str, d: Date, list: Vec<Listed>, lang: Lang) -> impl IntoView + use<> {
    let mut rooms: Vec<(String, Vec<Listed>)> = vec![];
    for h in list {
        match rooms.last_mut() {
            Some((r, hs)) if *r == h.courtroom => hs.push(h),
            _ => rooms.push((h.courtroom.clone(), vec![h])),
        }
    }
    let heading = format!("{} — {}", court, d.long(lang));
    view! {
        <h2 class="govuk-heading-m">{heading}</h2>
        {rooms.into_iter().map(|(room, hs)| view! {
            <table class="govuk-table app-table--reflow app-hearings">
                <caption class="govuk-table__caption govuk-table__caption--s">{lang.tf(Msg::CourtroomN, &[("room", &room)])}</caption>
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::HearingsColTime)}</th>
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::CasesColUrn)}</th>
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::CasesColDefendants)}</th>
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::HearingsColType)}</th>
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::HearingsColCheckins)}</th>
                    </tr>
                </thead>
                <tbody class="govuk-table__body">
                    {hs.into_iter().map(|h| {
                        let urn = urn_spaced(&h.urn);
                        view! {
                            <tr class=if h.ours { "govuk-table__row app-hearings__ours" } else { "govuk-table__row" }>
                                <td class="govuk-table__cell" data-label=lang.t(Msg::HearingsColTime)>{uk_clock_time(h.starts_at, lang)}</td>
                                <td class="govuk-table__cell" data-label=lang.t(Msg::CasesColUrn)>
                                    {if h.ours {
                                        view! {
                                            <a class="govuk-link" href=format!("/hearings/{}", h.id)>{urn}</a>
                                            " "<strong class="govuk-tag govuk-tag--blue">{lang.t(Msg::HearingsOurs)}</strong>
                                        }.into_any()
                                    } else {
                                        view! { {urn} }.into_any()
                                    }}
                                </td>
                                <td class="govuk-table__cell" data-label=lang.t(Msg::CasesColDefendants)>{h.defendants.join(", ")}</td>
                                <td class="govuk-table__cell" data-label=lang.t(Msg::HearingsColType)>{h.hearing_type.clone()}</td>
                                <td class="govuk-table__cell" data-label=lang.t(Msg::HearingsColCheckins)>
                                    {lang.tp(crate::i18n::PluralMsg::CheckedInCount, u64::try_from(h.checked_in).unwrap_or(0))}
                                    {h.mine.is_some().then(|| view! { " "<strong class="govuk-tag govuk-tag--green">{lang.t(Msg::TodayCheckedIn)}</strong> })}
                                    {h.ended.then(|| view! { " "<strong class="govuk-tag govuk-tag--grey">{lang.t(Msg::HearingEndedTag)}</strong> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }).collect_view()}
    }
}

/// What the hearing page shows an advocate.
struct ForAdvocate {
    /// The defendants the organisation acts for (id, name), in the case's order.
    acts_for: Vec<(String, String)>,
    /// Those it is on record for.
    on_record: Vec<String>,
    mine: Option<store::Mine>,
    last: Option<Status>,
}

/// `/hearings/{id}`: the hearing, who has checked in, and the advocate's check-in form.
#[component]
pub fn HearingPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let id = hearing_id();
    let load = async move {
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let h = store::hearing(&mut conn, &id).await.ok()??;
        let now = state.clock.now_unix();
        let defendants = store::defendants(&mut conn, &h.case_id).await.ok()?;
        let checkins = store::live_checkins(&mut conn, &h.id).await.ok()?;
        let member = Member::current();
        let advocate = match &member {
            Some(m) => {
                let (on_record, instructed) =
                    store::standing(&mut conn, &h.case_id, &m.organisation_id)
                        .await
                        .ok()?;
                let acts_for = defendants
                    .iter()
                    .filter(|(d, _)| on_record.contains(d) || instructed.contains(d))
                    .cloned()
                    .collect::<Vec<_>>();
                Some(ForAdvocate {
                    acts_for,
                    on_record,
                    mine: store::mine(&mut conn, &h.id, &m.user.id).await.ok()?,
                    last: last_status(&mut conn, &m.user.id).await.ok()?,
                })
            }
            None => None,
        };
        // Only those with standing, or court and LAA staff, see who is checked in.
        let staff =
            current_session().is_some_and(|s| s.user.is_staff("court") || s.user.is_staff("laa"));
        let sees = staff || advocate.as_ref().is_some_and(|a| !a.acts_for.is_empty());
        Some((h, defendants, checkins, advocate, sees, uk_date(now)))
    };
    view! {
        {form_title(Msg::HearingTitle)}
        <Suspense>
            {Suspend::new(async move {
                let Some((h, defendants, checkins, advocate, sees, today)) = load.await else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                let banner = match query("checkin").as_str() {
                    "done" => Some(Msg::CheckinDoneBanner),
                    "changed" => Some(Msg::CheckinChangedBanner),
                    "withdrawn" => Some(Msg::CheckinWithdrawnBanner),
                    _ => None,
                };
                let open = h.date() == today && h.ended_at.is_none();
                let names: Vec<String> = defendants.iter().map(|(_, n)| n.clone()).collect();
                view! {
                    <div class="govuk-grid-row">
                        <div class="govuk-grid-column-two-thirds">
                            {banner.map(|b| view! { <SuccessBannerText text=lang.t(b).to_owned() /> })}
                            <ErrorSummary />
                            <span class="govuk-caption-l">{urn_spaced(&h.urn)}</span>
                            <h1 class="govuk-heading-l">{lang.tf(Msg::HearingHeading, &[("type", &h.hearing_type)])}</h1>
                            <dl class="govuk-summary-list">
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">{lang.t(Msg::HearingWhen)}</dt>
                                    <dd class="govuk-summary-list__value">{crate::clock::uk_time(h.starts_at, lang)}</dd>
                                </div>
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">{lang.t(Msg::HearingWhere)}</dt>
                                    <dd class="govuk-summary-list__value">{format!("{}, {}", h.court, lang.tf(Msg::CourtroomN, &[("room", &h.courtroom)]))}</dd>
                                </div>
                                <div class="govuk-summary-list__row">
                                    <dt class="govuk-summary-list__key">{lang.t(Msg::CasesColDefendants)}</dt>
                                    <dd class="govuk-summary-list__value">{names.join(", ")}</dd>
                                </div>
                            </dl>
                            {h.ended_at.is_some().then(|| view! { <p class="govuk-body"><strong class="govuk-tag govuk-tag--grey">{lang.t(Msg::HearingEndedTag)}</strong></p> })}
                            {advocate.filter(|a| !a.acts_for.is_empty()).map(|a| {
                                if open {
                                    let what = queue_hearing(&h.hearing_type, &h.urn, h.starts_at, lang);
                                    checkin_form(&h.id, &what, &a, &posted, lang).into_any()
                                } else if h.date() != today {
                                    view! { <p class="govuk-body" id="checkin-closed">{lang.t(Msg::CheckinOpensOnTheDay)}</p> }.into_any()
                                } else {
                                    view! { <p class="govuk-body" id="checkin-closed">{lang.t(Msg::CheckinEnded)}</p> }.into_any()
                                }
                            })}
                            {sees.then(|| checkin_list(checkins, lang))}
                        </div>
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}

fn checkin_form(
    hearing: &str,
    what: &str,
    a: &ForAdvocate,
    posted: &crate::forms::Posted,
    lang: Lang,
) -> impl IntoView + use<> {
    let what = what.to_owned();
    let action = format!("/hearings/{hearing}");
    let posting = !posted.values.is_empty();
    let status = posted
        .value("status")
        .map(str::to_owned)
        .or_else(|| a.mine.as_ref().map(|m| m.status.code().to_owned()))
        .or_else(|| a.last.map(|s| s.code().to_owned()))
        .unwrap_or_default();
    let attendance = posted
        .value("attendance")
        .map(str::to_owned)
        .or_else(|| a.mine.as_ref().map(|m| m.attendance.code().to_owned()))
        .unwrap_or_else(|| Attendance::InPerson.code().to_owned());
    let chosen: Vec<String> = if posting {
        posted
            .values
            .iter()
            .filter(|(k, _)| k == "defendant")
            .map(|(_, v)| v.clone())
            .collect()
    } else if let Some(m) = &a.mine {
        m.defendants.clone()
    } else {
        a.on_record.clone()
    };
    let (status_error, defendant_error, attendance_error) = (
        posted.error("status").map(str::to_owned),
        posted.error("defendant").map(str::to_owned),
        posted.error("attendance").map(str::to_owned),
    );
    let group = |e: &Option<String>| {
        if e.is_some() {
            "govuk-form-group govuk-form-group--error"
        } else {
            "govuk-form-group"
        }
    };
    let amending = a.mine.is_some();
    let name = current_session()
        .map(|s| s.user.full_name())
        .unwrap_or_default();
    view! {
        <h2 class="govuk-heading-m" id="checkin">{lang.t(if amending { Msg::CheckinChangeHeading } else { Msg::CheckinHeading })}</h2>
        {amending.then(|| view! { <p class="govuk-body" id="checked-in"><strong class="govuk-tag govuk-tag--green">{lang.t(Msg::TodayCheckedIn)}</strong></p> })}
        <p class="govuk-body">{lang.tf(Msg::CheckinAs, &[("name", &name)])}</p>
        <form method="post" action=action.clone() novalidate data-checkin-form="" data-checkin-label=lang.tf(if amending { Msg::QueueLabelAmend } else { Msg::QueueLabelCheckIn }, &[("hearing", &what)])>
            <Hidden name="action" value=if amending { "amend" } else { "check_in" } />
            <div class=group(&status_error)>
                <fieldset class="govuk-fieldset">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::CheckinStatusLegend)}</legend>
                    <FieldErrorMessage id="status".to_owned() message=status_error.clone() />
                    <div class="govuk-radios govuk-radios--small" data-module="govuk-radios">
                        {Status::ALL.into_iter().enumerate().map(|(i, s)| {
                            let id = if i == 0 { "status".to_owned() } else { format!("status-{}", s.code()) };
                            view! {
                                <div class="govuk-radios__item">
                                    <input class="govuk-radios__input" id=id.clone() name="status" type="radio" value=s.code() checked=status == s.code() />
                                    <label class="govuk-label govuk-radios__label" for=id>{lang.t(status_label(s))}</label>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            </div>
            <div class=group(&defendant_error)>
                <fieldset class="govuk-fieldset" aria-describedby="defendant-hint">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::CheckinDefendantsLegend)}</legend>
                    <div id="defendant-hint" class="govuk-hint">{lang.t(Msg::CheckinDefendantsHint)}</div>
                    <FieldErrorMessage id="defendant".to_owned() message=defendant_error.clone() />
                    <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                        {a.acts_for.iter().enumerate().map(|(i, (d, n))| {
                            let id = if i == 0 { "defendant".to_owned() } else { format!("defendant-{}", i + 1) };
                            view! {
                                <div class="govuk-checkboxes__item">
                                    <input class="govuk-checkboxes__input" id=id.clone() name="defendant" type="checkbox" value=d.clone() checked=chosen.contains(d) />
                                    <label class="govuk-label govuk-checkboxes__label" for=id>{n.clone()}</label>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            </div>
            <div class=group(&attendance_error)>
                <fieldset class="govuk-fieldset">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::CheckinAttendanceLegend)}</legend>
                    <FieldErrorMessage id="attendance".to_owned() message=attendance_error.clone() />
                    <div class="govuk-radios govuk-radios--small govuk-radios--inline" data-module="govuk-radios">
                        {Attendance::ALL.into_iter().enumerate().map(|(i, x)| {
                            let id = if i == 0 { "attendance".to_owned() } else { format!("attendance-{}", x.code()) };
                            view! {
                                <div class="govuk-radios__item">
                                    <input class="govuk-radios__input" id=id.clone() name="attendance" type="radio" value=x.code() checked=attendance == x.code() />
                                    <label class="govuk-label govuk-radios__label" for=id>{lang.t(attendance_label(x))}</label>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            </div>
            <button type="submit" class="govuk-button" data-module="govuk-button">{lang.t(if amending { Msg::CheckinSaveButton } else { Msg::CheckinButton })}</button>
        </form>
        {amending.then(|| view! {
            <form method="post" action=action.clone() novalidate data-checkin-form="" data-checkin-label=lang.tf(Msg::QueueLabelWithdraw, &[("hearing", &what)])>
                <Hidden name="action" value="withdraw" />
                <button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button">{lang.t(Msg::CheckinWithdrawButton)}</button>
            </form>
        })}
    }
}

fn checkin_list(list: Vec<super::board::BoardCheckin>, lang: Lang) -> impl IntoView + use<> {
    view! {
        <h2 class="govuk-heading-m" id="checked-in-heading">{lang.t(Msg::CheckinsHeading)}</h2>
        {if list.is_empty() {
            view! { <p class="govuk-body" id="no-checkins">{lang.t(Msg::CheckinsNone)}</p> }.into_any()
        } else {
            view! {
                <ul class="govuk-list" id="checkins">
                    {list.into_iter().map(|c| view! { <li>{checkin_line(&c, lang)}</li> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// The status, attendance and defendants a check-in form posted, or what is wrong with them.
pub fn parse_choice(
    form: &[(String, String)],
    lang: Lang,
) -> Result<(Status, Attendance, Vec<String>), Vec<crate::error::FieldError>> {
    let status = Status::from_code(crate::forms::value(form, "status"));
    let attendance = Attendance::from_code(crate::forms::value(form, "attendance"));
    let defendants: Vec<String> = form
        .iter()
        .filter(|(k, v)| k == "defendant" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();
    let mut errors = vec![];
    if status.is_none() {
        errors.push(field("status", lang, Msg::CheckinStatusMissing));
    }
    if defendants.is_empty() {
        errors.push(field("defendant", lang, Msg::CheckinNoDefendant));
    }
    if attendance.is_none() {
        errors.push(field("attendance", lang, Msg::CheckinAttendanceMissing));
    }
    match (status, attendance) {
        (Some(s), Some(a)) if errors.is_empty() => Ok((s, a, defendants)),
        _ => Err(errors),
    }
}

/// Whether a live check-in is what was asked for again: the same status, attendance and
/// defendants (in any order).
pub fn same_choice(
    m: &store::Mine,
    (status, attendance, defendants): &(Status, Attendance, Vec<String>),
) -> bool {
    let mut asked = defendants.clone();
    asked.sort();
    asked.dedup();
    let mut has = m.defendants.clone();
    has.sort();
    m.status == *status && m.attendance == *attendance && has == asked
}

/// `POST /hearings/{id}`: check in, change it, or withdraw (`action`). From the Today list
/// (`from=today`) it goes back there.
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    let member = Member::of(ctx.session.as_ref(), &ctx.ip).ok_or(AppError::NotFound)?;
    let hearing = ctx.param("id").to_owned();
    let action = crate::forms::value(&ctx.form, "action").to_owned();
    let back_today = crate::forms::value(&ctx.form, "from") == "today";
    let now = ctx.now();
    let db = &ctx.state.db;
    {
        let mut conn = db.pool.acquire().await.map_err(AppError::internal)?;
        store::hearing(&mut conn, &hearing)
            .await
            .map_err(AppError::internal)?
            .ok_or(AppError::NotFound)?;
    }
    let choice = if action == "withdraw" {
        None
    } else {
        match parse_choice(&ctx.form, ctx.lang) {
            Ok(c) => Some(c),
            Err(e) => return Ok(ctx.again(e)),
        }
    };
    let result = if let Some((status, attendance, defendants)) = &choice {
        let req = Request {
            hearing_id: &hearing,
            advocate: &member.user,
            status: *status,
            attendance: *attendance,
            defendants,
        };
        if action == "amend" {
            store::amend(db, By::Advocate, &req, &ctx.ip, now).await
        } else {
            store::check_in(db, By::Advocate, &req, &ctx.ip, now).await
        }
    } else {
        store::withdraw(db, By::Advocate, &hearing, &member.user, &ctx.ip, now).await
    }
    .map_err(AppError::internal)?;
    // The same check-in sent again (a post that timed out on bad Wi-Fi arrived after all, and
    // the phone sent it once more): it is done, as asked.
    let repeated = match (&result, &choice) {
        (Err(Problem::Refused(Refused::AlreadyCheckedIn)), Some(c)) if action != "amend" => {
            let mut conn = db.pool.acquire().await.map_err(AppError::internal)?;
            store::mine(&mut conn, &hearing, &member.user.id)
                .await
                .map_err(AppError::internal)?
                .is_some_and(|m| same_choice(&m, c))
        }
        _ => false,
    };
    match result {
        _ if repeated => Ok(redirect(&if back_today {
            "/cases?checkin=done#today".to_owned()
        } else {
            format!("/hearings/{hearing}?checkin=done")
        })),
        Ok(_) => {
            let done = match action.as_str() {
                "withdraw" => "withdrawn",
                "amend" => "changed",
                _ => "done",
            };
            Ok(redirect(&if back_today {
                format!("/cases?checkin={done}#today")
            } else {
                format!("/hearings/{hearing}?checkin={done}")
            }))
        }
        Err(Problem::NotFound) => Err(AppError::NotFound),
        Err(Problem::Refused(Refused::NoDefendant)) => {
            Ok(ctx.again(vec![field("defendant", ctx.lang, Msg::CheckinNoDefendant)]))
        }
        Err(Problem::Refused(r)) => Ok(ctx.again_notice(ctx.lang.t(refusal(r)).to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mine(defendants: &[&str]) -> store::Mine {
        store::Mine {
            id: "c1".into(),
            status: Status::SolicitorAdvocate,
            attendance: Attendance::InPerson,
            defendants: defendants.iter().map(|d| (*d).to_owned()).collect(),
            version: 1,
        }
    }

    #[test]
    fn a_check_in_sent_twice_is_the_same_only_if_every_choice_is() {
        let asked = |s, a, d: &[&str]| (s, a, d.iter().map(|x| (*x).to_owned()).collect());
        let m = mine(&["d1", "d2"]);
        assert!(same_choice(
            &m,
            &asked(
                Status::SolicitorAdvocate,
                Attendance::InPerson,
                &["d2", "d1"]
            )
        ));
        assert!(same_choice(
            &m,
            &asked(
                Status::SolicitorAdvocate,
                Attendance::InPerson,
                &["d1", "d2", "d1"]
            )
        ));
        assert!(!same_choice(
            &m,
            &asked(Status::Solicitor, Attendance::InPerson, &["d1", "d2"])
        ));
        assert!(!same_choice(
            &m,
            &asked(Status::SolicitorAdvocate, Attendance::Video, &["d1", "d2"])
        ));
        assert!(!same_choice(
            &m,
            &asked(Status::SolicitorAdvocate, Attendance::InPerson, &["d1"])
        ));
        assert!(!same_choice(
            &m,
            &asked(
                Status::SolicitorAdvocate,
                Attendance::InPerson,
                &["d1", "d2", "d3"]
            )
        ));
    }
}
