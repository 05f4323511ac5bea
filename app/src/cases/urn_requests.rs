//! "No URN?": a defence user asks the HMCTS service centre for a client's URN from the product
//! (the client's names, date of birth and address; the court and hearing date if known). The
//! request lands in the service centre's list; the answer (the URN, or why not) comes back on
//! the user's cases page and by email. Each step is audited; an answer is conditional on the
//! request still being open, so two staff answering at once answer once.

use super::defence::Member;
use crate::{
    accounts::store::{Recipient, Who},
    email::{
        self,
        templates::{Part, compose},
    },
    error::{AppError, FieldError},
    forms::{ErrorSummary, FieldErrorMessage, TextInput, field, form_title, use_posted},
    i18n::{Lang, Msg, use_lang},
    state::AppState,
    web::{Ctx, Outcome, redirect, state},
};
use leptos::prelude::*;
use serde_json::json;

/// A request as it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// The client's first name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// Address.
    pub address: String,
    /// The court, if known.
    pub court: Option<String>,
    /// The hearing date, if known (`YYYY-MM-DD`).
    pub hearing_date: Option<String>,
}

fn date_from(values: &[(String, String)], prefix: &str) -> Result<Option<String>, ()> {
    let get = |p: &str| {
        crate::forms::value(values, &format!("{prefix}-{p}"))
            .trim()
            .to_owned()
    };
    let (d, m, y) = (get("day"), get("month"), get("year"));
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Ok(None);
    }
    match (d.parse::<u8>(), m.parse::<u8>(), y.parse::<i32>()) {
        (Ok(d), Ok(m), Ok(yr)) if y.len() == 4 && yr >= 1900 => crate::date::Date::new(yr, m, d)
            .map(|x| Some(x.to_string()))
            .map_err(|_| ()),
        _ => Err(()),
    }
}

/// Reads the form: every problem in page order, or the request.
pub fn parse(
    values: &[(String, String)],
    courts: &[String],
    lang: Lang,
) -> Result<Ask, Vec<FieldError>> {
    let get = |n: &str| crate::forms::value(values, n).trim().to_owned();
    let mut errors = vec![];
    let (first_name, last_name) = (get("first"), get("last"));
    if first_name.is_empty() {
        errors.push(field("first", lang, Msg::NoUrnFirstMissing));
    }
    if last_name.is_empty() {
        errors.push(field("last", lang, Msg::NoUrnLastMissing));
    }
    if first_name.chars().count() > 100 || last_name.chars().count() > 100 {
        errors.push(field("first", lang, Msg::NoUrnNameTooLong));
    }
    let dob = match date_from(values, "dob") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.push(field("dob-day", lang, Msg::NoUrnDobMissing));
            None
        }
        Err(()) => {
            errors.push(field("dob-day", lang, Msg::NoUrnDobBad));
            None
        }
    };
    let address: String = crate::forms::value(values, "address")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if address.is_empty() {
        errors.push(field("address", lang, Msg::NoUrnAddressMissing));
    } else if address.chars().count() > 500 {
        errors.push(field("address", lang, Msg::RegAddressTooLong));
    }
    let court = Some(get("court")).filter(|c| !c.is_empty());
    if court.as_ref().is_some_and(|c| !courts.contains(c)) {
        errors.push(field("court", lang, Msg::NoUrnCourtUnknown));
    }
    let hearing_date = match date_from(values, "hearing") {
        Ok(d) => d,
        Err(()) => {
            errors.push(field("hearing-day", lang, Msg::NoUrnHearingBad));
            None
        }
    };
    match dob {
        Some(date_of_birth) if errors.is_empty() => Ok(Ask {
            first_name,
            last_name,
            date_of_birth,
            address,
            court,
            hearing_date,
        }),
        _ => Err(errors),
    }
}

async fn service_centre(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
) -> Result<Vec<Recipient>, sqlx::Error> {
    let staff = sqlx::query_as::<_, Recipient>(
        "SELECT id AS user_id, email, first_name FROM users \
         WHERE staff_role = 'service_centre' AND status = 'active' ORDER BY email",
    )
    .fetch_all(&mut *conn)
    .await?;
    if !staff.is_empty() {
        return Ok(staff);
    }
    // Nobody in the role yet: the service's own mailbox, so a request always goes somewhere.
    Ok(vec![Recipient {
        user_id: None,
        email: state.mail.from_address.clone(),
        first_name: "HMCTS".into(),
    }])
}

/// Records a request and emails the service centre; its id.
pub async fn submit(
    state: &AppState,
    member: &Member,
    ask: &Ask,
    now: i64,
) -> Result<String, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let id = crate::accounts::token::new_id();
    sqlx::query(
        "INSERT INTO urn_requests (id, organisation_id, requested_by, first_name, last_name, \
         date_of_birth, address, court, hearing_date, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10)",
    )
    .bind(&id)
    .bind(&member.organisation_id)
    .bind(&member.user.id)
    .bind(&ask.first_name)
    .bind(&ask.last_name)
    .bind(&ask.date_of_birth)
    .bind(&ask.address)
    .bind(ask.court.as_deref())
    .bind(ask.hearing_date.as_deref())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let org = crate::organisation::store::name(&mut tx, &member.organisation_id).await?;
    let link = format!(
        "{}/staff/service-centre/requests/{id}",
        state.mail.public_url
    );
    let mut emails = vec![];
    for to in service_centre(&mut tx, state).await? {
        let mail = compose(
            "urn_request",
            &to.email,
            to.user_id.as_deref(),
            Msg::EmailUrnRequestSubject,
            |lang| {
                vec![
                    Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                    Part::Para(lang.tf(Msg::EmailUrnRequestAsked, &[("organisation", &org)])),
                    Part::Link(link.clone()),
                ]
            },
            &state.mail,
        );
        emails.push(email::enqueue(&mut tx, &state.mail, &mail, now).await?);
    }
    Who::user(&member.user, &member.ip)
        .audit(
            &mut tx,
            "case.urn_request.sent",
            Some(format!("urn_request:{id}")),
            json!({ "court": ask.court, "hearing_date": ask.hearing_date, "emails": emails }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// A request as the lists show it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Row {
    /// Its id.
    pub id: String,
    /// The firm's name.
    pub organisation: String,
    /// Who asked.
    pub requested_by: String,
    /// The client.
    pub first_name: String,
    /// The client.
    pub last_name: String,
    /// The client's date of birth.
    pub date_of_birth: String,
    /// The client's address.
    pub address: String,
    /// The court.
    pub court: Option<String>,
    /// The hearing date.
    pub hearing_date: Option<String>,
    /// `open`, `answered`, `not_found`.
    pub status: String,
    /// The URN given.
    pub answer_urn: Option<String>,
    /// Why not.
    pub answer_reason: Option<String>,
    /// When asked.
    pub created_at: i64,
}

const COLUMNS: &str = "r.id, o.name AS organisation, u.first_name || ' ' || u.last_name AS requested_by, \
     r.first_name, r.last_name, r.date_of_birth, r.address, r.court, r.hearing_date, r.status, \
     r.answer_urn, r.answer_reason, r.created_at";

/// The open requests, oldest first (the service centre's queue).
pub async fn open(conn: &mut sqlx::AnyConnection) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM urn_requests r JOIN organisations o ON o.id = r.organisation_id \
         JOIN users u ON u.id = r.requested_by WHERE r.status = 'open' ORDER BY r.created_at LIMIT 200"
    ))
    .fetch_all(&mut *conn)
    .await
}

/// One request.
pub async fn one(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM urn_requests r JOIN organisations o ON o.id = r.organisation_id \
         JOIN users u ON u.id = r.requested_by WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// The firm's requests of the last 30 days, newest first.
pub async fn firm(
    conn: &mut sqlx::AnyConnection,
    organisation_id: &str,
    now: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM urn_requests r JOIN organisations o ON o.id = r.organisation_id \
         JOIN users u ON u.id = r.requested_by \
         WHERE r.organisation_id = $1 AND r.created_at >= $2 - 2592000 \
         ORDER BY r.created_at DESC LIMIT 50"
    ))
    .bind(organisation_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await
}

/// The service centre's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The case's URN.
    Urn(super::urn::Urn),
    /// Not found, and why.
    NotFound(String),
}

/// Answers a request if it is still open (an UPDATE conditional on `status = 'open'`); the
/// requester is emailed. `false`: answered already.
pub async fn answer(
    state: &AppState,
    staff: &Who,
    staff_id: &str,
    id: &str,
    answer: &Answer,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let (status, urn, reason) = match answer {
        Answer::Urn(u) => ("answered", Some(u.as_str().to_owned()), None),
        Answer::NotFound(r) => ("not_found", None, Some(r.clone())),
    };
    let done: Option<(String, String, String)> = sqlx::query_as(
        "UPDATE urn_requests SET status = $2, answer_urn = $3, answer_reason = $4, \
         answered_by = $5, answered_at = $6 WHERE id = $1 AND status = 'open' \
         RETURNING requested_by, first_name, last_name",
    )
    .bind(id)
    .bind(status)
    .bind(urn.as_deref())
    .bind(reason.as_deref())
    .bind(staff_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((requested_by, first, last)) = done else {
        return Ok(false);
    };
    let to = crate::accounts::store::active_recipient(&mut tx, &requested_by).await?;
    let mut sent = None;
    if let Some(to) = to {
        let client = format!("{first} {last}");
        let spaced = match answer {
            Answer::Urn(u) => u.spaced(),
            Answer::NotFound(_) => String::new(),
        };
        let link = format!("{}/cases", state.mail.public_url);
        let mail = compose(
            "urn_answer",
            &to.email,
            to.user_id.as_deref(),
            Msg::EmailUrnAnswerSubject,
            |lang| {
                let said = match answer {
                    Answer::Urn(_) => lang.tf(
                        Msg::EmailUrnAnswerFound,
                        &[("client", &client), ("urn", &spaced)],
                    ),
                    Answer::NotFound(r) => lang.tf(
                        Msg::EmailUrnAnswerNotFound,
                        &[("client", &client), ("reason", r)],
                    ),
                };
                vec![
                    Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                    Part::Para(said),
                    Part::Link(link.clone()),
                ]
            },
            &state.mail,
        );
        sent = Some(email::enqueue(&mut tx, &state.mail, &mail, now).await?);
    }
    staff
        .audit(
            &mut tx,
            "case.urn_request.answered",
            Some(format!("urn_request:{id}")),
            json!({ "status": status, "urn": urn, "email": sent }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(true)
}

fn date_group(name: &'static str, legend: Msg, hint: Msg, lang: Lang) -> impl IntoView {
    let posted = use_posted();
    let error = posted.error(&format!("{name}-day")).map(str::to_owned);
    let bad = error.is_some();
    let part = |suffix: &'static str, label: Msg, width: &'static str| {
        let id = format!("{name}-{suffix}");
        let v = posted.value(&id).unwrap_or_default().to_owned();
        view! {
            <div class="govuk-date-input__item">
                <div class="govuk-form-group">
                    <label class="govuk-label govuk-date-input__label" for=id.clone()>{lang.t(label)}</label>
                    <input class=format!("govuk-input govuk-date-input__input {width}{}", if bad { " govuk-input--error" } else { "" })
                        id=id.clone() name=id type="text" inputmode="numeric" value=v />
                </div>
            </div>
        }
    };
    view! {
        <div class=if bad { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
            <fieldset class="govuk-fieldset" role="group" aria-describedby=format!("{name}-hint")>
                <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(legend)}</legend>
                <div id=format!("{name}-hint") class="govuk-hint">{lang.t(hint)}</div>
                <FieldErrorMessage id=format!("{name}-day") message=error />
                <div class="govuk-date-input">
                    {part("day", Msg::DateDay, "govuk-input--width-2")}
                    {part("month", Msg::DateMonth, "govuk-input--width-2")}
                    {part("year", Msg::DateYear, "govuk-input--width-4")}
                </div>
            </fieldset>
        </div>
    }
}

/// `/cases/no-urn`: ask the service centre for a client's URN.
#[component]
pub fn NoUrnPage() -> impl IntoView {
    if Member::current().is_none() {
        return view! { <crate::layout::NotFound /> }.into_any();
    }
    let lang = use_lang();
    let posted = use_posted();
    let chosen = posted.value("court").unwrap_or_default().to_owned();
    let court_error = posted.error("court").map(str::to_owned);
    let address_error = posted.error("address").map(str::to_owned);
    let address = posted.value("address").unwrap_or_default().to_owned();
    let courts = async move {
        let s = state()?;
        let list = s.courts.get(&s.db, s.clock.now_unix()).await.ok()?;
        Some(list.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
    };
    view! {
        {form_title(Msg::NoUrnTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <a class="govuk-back-link" href="/cases/find">{lang.t(Msg::BackLink)}</a>
                <h1 class="govuk-heading-l">{lang.t(Msg::NoUrnTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::NoUrnIntro)}</p>
                <form method="post" action="/cases/no-urn" novalidate>
                    <TextInput name="first" label=lang.t(Msg::FindFirstName) width="govuk-input--width-20" />
                    <TextInput name="last" label=lang.t(Msg::FindLastName) width="govuk-input--width-20" />
                    {date_group("dob", Msg::FindDob, Msg::FindDobHint, lang)}
                    <div class=if address_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <label class="govuk-label" for="address">{lang.t(Msg::NoUrnAddress)}</label>
                        <FieldErrorMessage id="address".to_owned() message=address_error.clone() />
                        <textarea class=if address_error.is_some() { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" }
                            id="address" name="address" rows="4" autocomplete="off">{address}</textarea>
                    </div>
                    <Suspense>
                        {Suspend::new(async move {
                            let names = courts.await.unwrap_or_default();
                            let chosen = chosen.clone();
                            view! {
                                <div class=if court_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                                    <label class="govuk-label" for="court">{lang.t(Msg::NoUrnCourt)}</label>
                                    <FieldErrorMessage id="court".to_owned() message=court_error.clone() />
                                    <select class="govuk-select" id="court" name="court">
                                        <option value="">{lang.t(Msg::NoUrnCourtUnknownOption)}</option>
                                        {names.into_iter().map(|n| {
                                            let selected = n == chosen;
                                            view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                </div>
                            }
                        })}
                    </Suspense>
                    {date_group("hearing", Msg::NoUrnHearing, Msg::NoUrnHearingHint, lang)}
                    <button type="submit" class="govuk-button">{lang.t(Msg::NoUrnButton)}</button>
                </form>
            </div>
        </div>
    }
    .into_any()
}

/// `POST /cases/no-urn`.
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    let member = Member::of(ctx.session.as_ref(), &ctx.ip).ok_or(AppError::NotFound)?;
    let courts: Vec<String> = ctx
        .state
        .courts
        .get(&ctx.state.db, ctx.now())
        .await
        .map_err(AppError::internal)?
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let ask = match parse(&ctx.form, &courts, ctx.lang) {
        Ok(a) => a,
        Err(e) => return Ok(ctx.again(e)),
    };
    submit(&ctx.state, &member, &ask, ctx.now())
        .await
        .map_err(AppError::internal)?;
    Ok(redirect("/cases?done=urn-asked"))
}

/// The firm's requests on `/cases`.
pub fn firm_list(rows: Vec<Row>, lang: Lang) -> impl IntoView {
    (!rows.is_empty()).then(|| {
        let (c_client, c_asked, c_answer) = (
            lang.t(Msg::NoUrnColClient),
            lang.t(Msg::NoUrnColAsked),
            lang.t(Msg::NoUrnColAnswer),
        );
        view! {
            <table class="govuk-table app-table--reflow" id="urn-requests">
                <caption class="govuk-table__caption govuk-table__caption--m">{lang.t(Msg::NoUrnListCaption)}</caption>
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">{c_client}</th>
                        <th scope="col" class="govuk-table__header">{c_asked}</th>
                        <th scope="col" class="govuk-table__header">{c_answer}</th>
                    </tr>
                </thead>
                <tbody class="govuk-table__body">
                    {rows.into_iter().map(|r| {
                        let answer = match r.status.as_str() {
                            "answered" => {
                                let urn = r.answer_urn.clone().unwrap_or_default();
                                let spaced = super::urn::Urn::parse(&urn).map_or(urn, |u| u.spaced());
                                lang.tf(Msg::NoUrnAnswered, &[("urn", &spaced)])
                            }
                            "not_found" => lang.tf(Msg::NoUrnNotFound, &[("reason", r.answer_reason.as_deref().unwrap_or_default())]),
                            _ => lang.t(Msg::NoUrnWaiting).to_owned(),
                        };
                        view! {
                            <tr class="govuk-table__row">
                                <td class="govuk-table__cell" data-label=c_client>{format!("{} {}", r.first_name, r.last_name)}<br /><span class="app-secondary-text">{super::pages::long_date(&r.date_of_birth, lang)}</span></td>
                                <td class="govuk-table__cell" data-label=c_asked>{crate::clock::uk_time(r.created_at, lang)}<br /><span class="app-secondary-text">{r.requested_by.clone()}</span></td>
                                <td class="govuk-table__cell" data-label=c_answer>{answer}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
    })
}

/// The service centre's queue, on its page.
pub fn queue(rows: Vec<Row>, lang: Lang) -> impl IntoView {
    view! {
        <h2 class="govuk-heading-m">{lang.t(Msg::NoUrnQueueTitle)}</h2>
        {if rows.is_empty() {
            view! { <p class="govuk-body" id="no-requests">{lang.t(Msg::NoUrnQueueEmpty)}</p> }.into_any()
        } else {
            view! {
                <ul class="govuk-list" id="urn-queue">
                    {rows.into_iter().map(|r| view! {
                        <li>
                            <a class="govuk-link" href=format!("/staff/service-centre/requests/{}", r.id)>{format!("{} {}", r.first_name, r.last_name)}</a>
                            {format!(" – {}, {}", r.organisation, crate::clock::uk_time(r.created_at, lang))}
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// `/staff/service-centre/requests/{request}`: a request and the answer form.
#[component]
pub fn AnswerPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let id = leptos_router::hooks::use_params_map()
        .with_untracked(|p| p.get("request").unwrap_or_default());
    let load = async move {
        let s = state()?;
        let mut conn = s.db.pool.acquire().await.ok()?;
        one(&mut conn, &id).await.ok()?
    };
    view! {
        {form_title(Msg::NoUrnAnswerTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let Some(r) = load.await else { return view! { <crate::layout::NotFound /> }.into_any() };
                        let outcome = posted.value("outcome").unwrap_or_default().to_owned();
                        let outcome_error = posted.error("outcome").map(str::to_owned);
                        let row = |k: Msg, v: String| view! {
                            <div class="govuk-summary-list__row">
                                <dt class="govuk-summary-list__key">{lang.t(k)}</dt>
                                <dd class="govuk-summary-list__value app-pre-line">{v}</dd>
                            </div>
                        };
                        view! {
                            <a class="govuk-back-link" href="/staff/service-centre">{lang.t(Msg::BackLink)}</a>
                            <span class="govuk-caption-l">{r.organisation.clone()}</span>
                            <h1 class="govuk-heading-l">{lang.t(Msg::NoUrnAnswerTitle)}</h1>
                            <dl class="govuk-summary-list" id="request">
                                {row(Msg::NoUrnColClient, format!("{} {}", r.first_name, r.last_name))}
                                {row(Msg::FindDob, super::pages::long_date(&r.date_of_birth, lang))}
                                {row(Msg::NoUrnAddress, r.address.clone())}
                                {row(Msg::NoUrnCourt, r.court.clone().unwrap_or_default())}
                                {row(Msg::NoUrnHearing, r.hearing_date.as_deref().map(|d| super::pages::long_date(d, lang)).unwrap_or_default())}
                                {row(Msg::NoUrnColAsked, format!("{}, {}", r.requested_by, crate::clock::uk_time(r.created_at, lang)))}
                            </dl>
                            {if r.status != "open" {
                                view! { <p class="govuk-body" id="answered">{lang.t(Msg::NoUrnAlreadyAnswered)}</p> }.into_any()
                            } else {
                                view! {
                                    <form method="post" action=format!("/staff/service-centre/requests/{}", r.id) novalidate>
                                        <div class=if outcome_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                                            <fieldset class="govuk-fieldset">
                                                <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::NoUrnOutcomeLegend)}</legend>
                                                <FieldErrorMessage id="outcome".to_owned() message=outcome_error.clone() />
                                                <div class="govuk-radios" data-module="govuk-radios">
                                                    <div class="govuk-radios__item">
                                                        <input class="govuk-radios__input" id="outcome" name="outcome" type="radio" value="found" checked=outcome == "found" />
                                                        <label class="govuk-label govuk-radios__label" for="outcome">{lang.t(Msg::NoUrnOutcomeFound)}</label>
                                                    </div>
                                                    <div class="govuk-radios__item">
                                                        <input class="govuk-radios__input" id="outcome-not-found" name="outcome" type="radio" value="not_found" checked=outcome == "not_found" />
                                                        <label class="govuk-label govuk-radios__label" for="outcome-not-found">{lang.t(Msg::NoUrnOutcomeNotFound)}</label>
                                                    </div>
                                                </div>
                                            </fieldset>
                                        </div>
                                        <TextInput name="urn" label=lang.t(Msg::FindUrn) width="govuk-input--width-20" />
                                        <TextInput name="reason" label=lang.t(Msg::NoUrnReason) hint=lang.t(Msg::NoUrnReasonHint) />
                                        <button type="submit" class="govuk-button">{lang.t(Msg::NoUrnAnswerButton)}</button>
                                    </form>
                                }.into_any()
                            }}
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `POST /staff/service-centre/requests/{request}`.
pub async fn answer_post(ctx: Ctx) -> Result<Outcome, AppError> {
    let s = ctx
        .session
        .as_ref()
        .filter(|s| s.user.is_staff("service_centre"))
        .ok_or(AppError::NotFound)?;
    let id = ctx.param("request").to_owned();
    let mut conn = ctx
        .state
        .db
        .pool
        .acquire()
        .await
        .map_err(AppError::internal)?;
    if one(&mut conn, &id)
        .await
        .map_err(AppError::internal)?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    drop(conn);
    let answer = match ctx.get("outcome") {
        "found" => match super::urn::Urn::parse(ctx.get("urn")) {
            Ok(u) => Answer::Urn(u),
            Err(p) => {
                return Ok(ctx.again(vec![field("urn", ctx.lang, super::forms::urn_message(p))]));
            }
        },
        "not_found" => {
            let reason = ctx.get("reason").trim().to_owned();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Ok(ctx.again(vec![field("reason", ctx.lang, Msg::NoUrnReasonMissing)]));
            }
            Answer::NotFound(reason)
        }
        _ => return Ok(ctx.again(vec![field("outcome", ctx.lang, Msg::NoUrnOutcomeMissing)])),
    };
    let who = Who::user(&s.user, &ctx.ip);
    if answer_for(&ctx, &who, &s.user.id, &id, &answer).await? {
        Ok(redirect("/staff/service-centre?done=answered"))
    } else {
        Ok(ctx.again_notice(ctx.lang.t(Msg::NoUrnAlreadyAnswered).to_owned()))
    }
}

async fn answer_for(
    ctx: &Ctx,
    who: &Who,
    staff_id: &str,
    id: &str,
    a: &Answer,
) -> Result<bool, AppError> {
    answer(&ctx.state, who, staff_id, id, a, ctx.now())
        .await
        .map_err(AppError::internal)
}
