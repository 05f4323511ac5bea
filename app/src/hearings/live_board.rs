//! The court's live board (an island): the day's hearings in the courtroom with who has
//! checked in, kept current from the court's event stream (`/court/live`). Without JavaScript
//! it is the same list as at the moment the page was served.

use super::{
    board::{BoardCheckin, BoardHearing},
    rules::{Attendance, Status},
};
use crate::i18n::{Lang, Msg, use_lang};
use leptos::prelude::*;

/// A status's words.
pub fn status_label(s: Status) -> Msg {
    match s {
        Status::Solicitor => Msg::StatusSolicitor,
        Status::SolicitorAdvocate => Msg::StatusSolicitorAdvocate,
        Status::JuniorCounsel => Msg::StatusJuniorCounsel,
        Status::LeadingCounsel => Msg::StatusLeadingCounsel,
        Status::KingsCounsel => Msg::StatusKingsCounsel,
    }
}

/// An attendance's words.
pub fn attendance_label(a: Attendance) -> Msg {
    match a {
        Attendance::InPerson => Msg::AttendanceInPerson,
        Attendance::Video => Msg::AttendanceVideo,
    }
}

/// One check-in in words: "Ann Jones (Firm A), solicitor, in person, for Sian Evans".
pub fn checkin_line(c: &BoardCheckin, lang: Lang) -> String {
    let status = Status::from_code(&c.status)
        .map(|s| lang.t(status_label(s)))
        .unwrap_or_default();
    let attendance = Attendance::from_code(&c.attendance)
        .map(|a| lang.t(attendance_label(a)))
        .unwrap_or_default();
    let mut line = lang.tf(
        Msg::CheckinLine,
        &[
            ("name", &c.advocate),
            ("organisation", &c.organisation),
            ("status", status),
            ("attendance", attendance),
            ("defendants", &c.defendants.join(", ")),
        ],
    );
    if let Some(by) = &c.by_staff {
        line.push_str(&lang.tf(Msg::CheckinByStaff, &[("name", by)]));
    }
    line
}

/// The stream's state, as the board says it (set only in the browser).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Connecting,
    Live,
    Reconnecting,
    Closed,
    SignedOut,
}

impl Link {
    fn msg(self) -> Msg {
        match self {
            Link::Connecting => Msg::BoardConnecting,
            Link::Live => Msg::BoardLive,
            Link::Reconnecting => Msg::BoardReconnecting,
            Link::Closed => Msg::BoardClosed,
            Link::SignedOut => Msg::BoardSignedOut,
        }
    }
}

/// The board. `after` is the last event number the list includes; `courtroom` the room shown
/// (empty: all), kept in the forms so a mark returns to the same view.
#[island]
pub fn CourtBoard(hearings: Vec<BoardHearing>, after: i64, courtroom: String) -> impl IntoView {
    let lang = use_lang();
    let list = RwSignal::new(hearings);
    let link = RwSignal::new(Link::Connecting);
    let said = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| connect(list, link, said, after, lang));
    #[cfg(not(feature = "hydrate"))]
    let _ = (after, &said);
    let room = StoredValue::new(courtroom);
    view! {
        <div id="court-board" class="app-board">
            <p class="govuk-body app-board__link" id="board-link" role="status">
                <span class=move || match link.get() {
                    Link::Live => "govuk-tag govuk-tag--green",
                    Link::Connecting | Link::Reconnecting => "govuk-tag govuk-tag--yellow",
                    Link::Closed | Link::SignedOut => "govuk-tag govuk-tag--red",
                }>{move || lang.t(link.get().msg())}</span>
            </p>
            <p class="govuk-visually-hidden" aria-live="polite" id="board-said">{move || said.get()}</p>
            {move || {
                let hs = list.get();
                if hs.is_empty() {
                    return view! { <p class="govuk-body" id="no-hearings">{lang.t(Msg::BoardNone)}</p> }.into_any();
                }
                hs.into_iter().map(|h| hearing_card(h, room.get_value(), lang)).collect_view().into_any()
            }}
        </div>
    }
}

fn hearing_card(h: BoardHearing, room: String, lang: Lang) -> impl IntoView {
    let heading = format!(
        "{} · {} · {}",
        h.time,
        lang.tf(Msg::CourtroomN, &[("room", &h.courtroom)]),
        h.urn
    );
    let on_behalf = format!("/court/hearings/{}", h.id);
    let ended = h.ended;
    let checkins = h.checkins;
    let count = checkins.len();
    view! {
        <section class="app-board__hearing" data-hearing=h.id.clone() aria-label=heading.clone()>
            <h2 class="govuk-heading-s govuk-!-margin-bottom-1">{heading.clone()}</h2>
            <p class="govuk-body-s govuk-!-margin-bottom-2">
                {format!("{} · {}", h.hearing_type, h.defendants.join(", "))}
                {ended.then(|| view! { " "<strong class="govuk-tag govuk-tag--grey">{lang.t(Msg::HearingEndedTag)}</strong> })}
            </p>
            {if count == 0 {
                view! { <p class="govuk-body-s app-board__none">{lang.t(Msg::CheckinsNone)}</p> }.into_any()
            } else {
                view! {
                    <ul class="govuk-list app-board__checkins">
                        {checkins.into_iter().map(|c| checkin_item(c, room.clone(), lang)).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!ended).then(|| view! {
                <div class="govuk-button-group govuk-!-margin-bottom-2">
                    <a class="govuk-link" href=on_behalf.clone()>{lang.t(Msg::BoardCheckInSomeone)}</a>
                    <form method="post" action=on_behalf.clone() class="app-inline-form">
                        <input type="hidden" name="action" value="end" />
                        <input type="hidden" name="courtroom" value=room.clone() />
                        <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">{lang.t(Msg::BoardEndHearing)}</button>
                    </form>
                </div>
            })}
        </section>
    }
}

fn checkin_item(c: BoardCheckin, room: String, lang: Lang) -> impl IntoView {
    let line = checkin_line(&c, lang);
    let mark = |attended: bool, label: Msg| {
        view! {
            <form method="post" action="/court/attendance" class="app-inline-form">
                <input type="hidden" name="checkin" value=c.id.clone() />
                <input type="hidden" name="attended" value=if attended { "yes" } else { "no" } />
                <input type="hidden" name="courtroom" value=room.clone() />
                <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">
                    {lang.t(label)}<span class="govuk-visually-hidden">{format!(": {}", c.advocate)}</span>
                </button>
            </form>
        }
    };
    let state = match c.attended {
        Some(true) => view! { <strong class="govuk-tag govuk-tag--green">{lang.t(Msg::BoardAttended)}</strong> }.into_any(),
        Some(false) => view! { <strong class="govuk-tag govuk-tag--red">{lang.t(Msg::BoardNotAttended)}</strong> }.into_any(),
        None => ().into_any(),
    };
    view! {
        <li class="app-board__checkin" data-checkin=c.id.clone()>
            <span class="app-board__who">{line}</span>" "{state}
            <div class="govuk-button-group govuk-!-margin-top-1 govuk-!-margin-bottom-1">
                {(c.attended != Some(true)).then(|| mark(true, Msg::BoardMarkAttended))}
                {(c.attended != Some(false)).then(|| mark(false, Msg::BoardMarkNotAttended))}
            </div>
        </li>
    }
}

/// Opens the court's stream and applies its events; closes it when the board leaves the page.
#[cfg(feature = "hydrate")]
fn connect(
    list: RwSignal<Vec<BoardHearing>>,
    link: RwSignal<Link>,
    said: RwSignal<String>,
    after: i64,
    lang: Lang,
) {
    use wasm_bindgen::{JsCast, closure::Closure};
    let Ok(es) = web_sys::EventSource::new(&format!("{}?after={after}", super::LIVE_PATH)) else {
        link.set(Link::Closed);
        return;
    };
    let gone = || {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("court-board"))
            .is_none()
    };
    let on_checkin = {
        let es = es.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if gone() {
                es.close();
                return;
            }
            let Some(text) = e.data().as_string() else {
                return;
            };
            if let Ok(c) = serde_json::from_str::<BoardCheckin>(&text) {
                let shown = list.with_untracked(|hs| hs.iter().any(|h| h.id == c.hearing_id));
                if shown {
                    let words = if c.withdrawn {
                        lang.tf(Msg::BoardSaidWithdrawn, &[("name", &c.advocate)])
                    } else {
                        checkin_line(&c, lang)
                    };
                    said.set(words);
                }
                list.update(|hs| super::board::apply(hs, c));
            }
        })
    };
    let on_ended = {
        let es = es.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if gone() {
                es.close();
                return;
            }
            if let Some(Ok(x)) = e
                .data()
                .as_string()
                .map(|t| serde_json::from_str::<super::board::Ended>(&t))
            {
                list.update(|hs| super::board::apply_ended(hs, &x));
            }
        })
    };
    let on_signed_out = {
        let es = es.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_e: web_sys::MessageEvent| {
            es.close();
            link.set(Link::SignedOut);
        })
    };
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        link.set(Link::Live);
    });
    let on_error = {
        let es = es.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
            if gone() {
                es.close();
                return;
            }
            // CONNECTING (0): the browser tries again by itself, with Last-Event-ID.
            if es.ready_state() == 0 {
                link.set(Link::Reconnecting);
            } else if link.get_untracked() != Link::SignedOut {
                link.set(Link::Closed);
            }
        })
    };
    let add = |name: &str, f: &js_sys::Function| {
        let _ = es.add_event_listener_with_callback(name, f);
    };
    add(
        super::board::CHECKIN_EVENT,
        on_checkin.as_ref().unchecked_ref(),
    );
    add(super::board::ENDED_EVENT, on_ended.as_ref().unchecked_ref());
    add("signed-out", on_signed_out.as_ref().unchecked_ref());
    add("open", on_open.as_ref().unchecked_ref());
    add("error", on_error.as_ref().unchecked_ref());
    // They live as long as the stream (closed when the board is gone).
    on_checkin.forget();
    on_ended.forget();
    on_signed_out.forget();
    on_open.forget();
    on_error.forget();
}
