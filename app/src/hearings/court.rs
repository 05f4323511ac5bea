//! Court staff's pages: the board for their court today (per courtroom, live), checking an
//! advocate in on their behalf, marking who attended, and marking a hearing ended.

use super::{
    live_board::{CourtBoard, attendance_label, status_label},
    pages::{parse_choice, refusal},
    rules::{Attendance, Status},
    store::{self, By, Problem, Request},
};
use crate::{
    accounts::pages::SuccessBannerText,
    cases::pages::urn_spaced,
    clock::uk_date,
    error::AppError,
    forms::{ErrorSummary, FieldErrorMessage, Hidden, TextInput, field, form_title, use_posted},
    i18n::{Msg, use_lang},
    web::{Ctx, Outcome, User, current_session, query, redirect, state},
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The signed-in member of court staff and their court.
fn court_staff() -> Option<(User, String)> {
    let s = current_session()?;
    let court = s.user.staff_court.clone()?;
    s.user.is_staff("court").then_some((s.user, court))
}

fn staff_of(ctx: &Ctx) -> Result<User, AppError> {
    ctx.session
        .as_ref()
        .filter(|s| s.user.is_staff("court") && s.user.staff_court.is_some())
        .map(|s| s.user.clone())
        .ok_or(AppError::NotFound)
}

fn back(courtroom: &str, done: &str) -> String {
    if courtroom.is_empty() {
        format!("/court?done={done}")
    } else {
        format!(
            "/court?courtroom={}&done={done}",
            crate::text::encode_query_value(courtroom)
        )
    }
}

/// `/court?courtroom=…`: today's board for the staff member's court.
#[component]
pub fn CourtPage() -> impl IntoView {
    let lang = use_lang();
    let room = query("courtroom");
    let load = {
        let room = room.clone();
        async move {
            let (_, court) = court_staff()?;
            let state = state()?;
            let now = state.clock.now_unix();
            let topic = super::board::topic(&court);
            // The number first: an event committed while the list is read comes again on the
            // stream, and the board ignores versions it already shows.
            let after = crate::live::last(&state.db, &topic).await.ok()?;
            let mut conn = state.db.pool.acquire().await.ok()?;
            let today = uk_date(now);
            let rooms = store::courtrooms(&mut conn, &court, today).await.ok()?;
            let shown = Some(room.as_str()).filter(|r| !r.is_empty());
            let board = store::board(&mut conn, &court, today, shown, lang)
                .await
                .ok()?;
            Some((court, today, rooms, board, after))
        }
    };
    let banner = match query("done").as_str() {
        "checked-in" => Some(Msg::BoardDoneCheckedIn),
        "marked" => Some(Msg::BoardDoneMarked),
        "ended" => Some(Msg::BoardDoneEnded),
        _ => None,
    };
    view! {
        {crate::page_title(Msg::BoardTitle)}
        <Suspense>
            {Suspend::new(async move {
                let Some((court, today, rooms, board, after)) = load.await else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                view! {
                    {banner.map(|b| view! { <SuccessBannerText text=lang.t(b).to_owned() /> })}
                    <span class="govuk-caption-l">{format!("{court} — {}", today.long(lang))}</span>
                    <h1 class="govuk-heading-l">{lang.t(Msg::BoardTitle)}</h1>
                    {(!rooms.is_empty()).then(|| view! {
                        <form method="get" action="/court" class="app-filter">
                            <div class="govuk-form-group app-filter__item">
                                <label class="govuk-label" for="courtroom">{lang.t(Msg::HearingsCourtroom)}</label>
                                <select class="govuk-select" id="courtroom" name="courtroom">
                                    <option value="">{lang.t(Msg::HearingsAllCourtrooms)}</option>
                                    {rooms.iter().map(|r| view! {
                                        <option value=r.clone() selected=*r == room>{lang.tf(Msg::CourtroomN, &[("room", r)])}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class="govuk-button govuk-button--secondary app-filter__button">{lang.t(Msg::HearingsShow)}</button>
                        </form>
                    })}
                    <CourtBoard hearings=board after=after courtroom=room.clone() />
                    <p class="govuk-body"><a class="govuk-link" href=format!("/hearings?court={}", crate::text::encode_query_value(&court))>{lang.t(Msg::BoardListLink)}</a></p>
                }.into_any()
            })}
        </Suspense>
    }
}

/// `/court/hearings/{id}`: check an advocate in on their behalf (by the email address of
/// their account).
#[component]
pub fn CourtHearingPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let id = use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    let load = async move {
        let (_, court) = court_staff()?;
        let state = state()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let h = store::hearing(&mut conn, &id).await.ok()??;
        if h.court != court {
            return None;
        }
        let defendants = store::defendants(&mut conn, &h.case_id).await.ok()?;
        Some((h, defendants))
    };
    view! {
        {form_title(Msg::OnBehalfTitle)}
        <Suspense>
            {Suspend::new(async move {
                let Some((h, defendants)) = load.await else {
                    return view! { <crate::layout::NotFound /> }.into_any();
                };
                let status = posted.value("status").unwrap_or_default().to_owned();
                let attendance = posted.value("attendance").unwrap_or(Attendance::InPerson.code()).to_owned();
                let chosen: Vec<String> = posted.values.iter().filter(|(k, _)| k == "defendant").map(|(_, v)| v.clone()).collect();
                let errors = (
                    posted.error("status").map(str::to_owned),
                    posted.error("defendant").map(str::to_owned),
                    posted.error("attendance").map(str::to_owned),
                );
                let group = |e: &Option<String>| if e.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
                view! {
                    <div class="govuk-grid-row">
                        <div class="govuk-grid-column-two-thirds">
                            <a class="govuk-back-link" href="/court">{lang.t(Msg::BackLink)}</a>
                            <ErrorSummary />
                            <span class="govuk-caption-l">{format!("{} · {}", urn_spaced(&h.urn), lang.tf(Msg::CourtroomN, &[("room", &h.courtroom)]))}</span>
                            <h1 class="govuk-heading-l">{lang.t(Msg::OnBehalfTitle)}</h1>
                            <p class="govuk-body">{lang.t(Msg::OnBehalfIntro)}</p>
                            <form method="post" action=format!("/court/hearings/{}", h.id) novalidate>
                                <Hidden name="action" value="check_in" />
                                <TextInput name="email" label=lang.t(Msg::OnBehalfEmail) hint=lang.t(Msg::OnBehalfEmailHint) kind="email" autocomplete="off" />
                                <div class=group(&errors.0)>
                                    <fieldset class="govuk-fieldset">
                                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::CheckinStatusLegend)}</legend>
                                        <FieldErrorMessage id="status".to_owned() message=errors.0.clone() />
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
                                <div class=group(&errors.1)>
                                    <fieldset class="govuk-fieldset">
                                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::CheckinDefendantsLegend)}</legend>
                                        <FieldErrorMessage id="defendant".to_owned() message=errors.1.clone() />
                                        <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                                            {defendants.iter().enumerate().map(|(i, (d, n))| {
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
                                <div class=group(&errors.2)>
                                    <fieldset class="govuk-fieldset">
                                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::CheckinAttendanceLegend)}</legend>
                                        <FieldErrorMessage id="attendance".to_owned() message=errors.2.clone() />
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
                                <button type="submit" class="govuk-button" data-module="govuk-button">{lang.t(Msg::OnBehalfButton)}</button>
                            </form>
                        </div>
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}

/// `POST /court/hearings/{id}`: check an advocate in on their behalf, or (`action=end`) mark
/// the hearing ended.
pub async fn hearing_post(ctx: Ctx) -> Result<Outcome, AppError> {
    let staff = staff_of(&ctx)?;
    let hearing = ctx.param("id").to_owned();
    let room = crate::forms::value(&ctx.form, "courtroom").to_owned();
    let now = ctx.now();
    {
        let mut conn = ctx
            .state
            .db
            .pool
            .acquire()
            .await
            .map_err(AppError::internal)?;
        let h = store::hearing(&mut conn, &hearing)
            .await
            .map_err(AppError::internal)?;
        if h.is_none_or(|h| Some(&h.court) != staff.staff_court.as_ref()) {
            return Err(AppError::NotFound);
        }
    }
    if crate::forms::value(&ctx.form, "action") == "end" {
        return match store::end_hearing(&ctx.state.db, &staff, &hearing, &ctx.ip, now)
            .await
            .map_err(AppError::internal)?
        {
            // Ended twice (two ushers at once): it is ended, as asked.
            Ok(_) | Err(Problem::Refused(super::rules::Refused::Ended)) => {
                Ok(redirect(&back(&room, "ended")))
            }
            Err(_) => Err(AppError::NotFound),
        };
    }
    let email = crate::forms::value(&ctx.form, "email").trim().to_owned();
    let choice = parse_choice(&ctx.form, ctx.lang);
    let advocate = if email.is_empty() {
        None
    } else {
        store::advocate_by_email(&ctx.state.db, &email)
            .await
            .map_err(AppError::internal)?
    };
    let mut errors = vec![];
    if email.is_empty() {
        errors.push(field("email", ctx.lang, Msg::OnBehalfEmailMissing));
    } else if advocate.is_none() {
        errors.push(field("email", ctx.lang, Msg::OnBehalfEmailUnknown));
    }
    let (status, attendance, defendants) = match choice {
        Ok(c) if errors.is_empty() => c,
        Ok(_) => return Ok(ctx.again(errors)),
        Err(e) => {
            errors.extend(e);
            return Ok(ctx.again(errors));
        }
    };
    let Some(advocate) = advocate else {
        return Ok(ctx.again(errors));
    };
    let req = Request {
        hearing_id: &hearing,
        advocate: &advocate,
        status,
        attendance,
        defendants: &defendants,
    };
    match store::check_in(&ctx.state.db, By::Staff(&staff), &req, &ctx.ip, now)
        .await
        .map_err(AppError::internal)?
    {
        Ok(_) => Ok(redirect(&back(&room, "checked-in"))),
        Err(Problem::NotFound) => Err(AppError::NotFound),
        Err(Problem::Refused(r)) => Ok(ctx.again_notice(ctx.lang.t(refusal(r)).to_owned())),
    }
}

/// `POST /court/attendance`: mark whether a checked-in advocate attended.
pub async fn attendance_post(ctx: Ctx) -> Result<Outcome, AppError> {
    let staff = staff_of(&ctx)?;
    let checkin = crate::forms::value(&ctx.form, "checkin").to_owned();
    let attended = match crate::forms::value(&ctx.form, "attended") {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::NotFound),
    };
    let room = crate::forms::value(&ctx.form, "courtroom").to_owned();
    match store::mark_attended(
        &ctx.state.db,
        &staff,
        &checkin,
        attended,
        &ctx.ip,
        ctx.now(),
    )
    .await
    .map_err(AppError::internal)?
    {
        Ok(_) => Ok(redirect(&back(&room, "marked"))),
        Err(_) => Err(AppError::NotFound),
    }
}
