//! The HMCTS service centre's inbox (`/staff/service-centre/inbox`): defence documents served
//! in sections that may need action (plea, applications, general correspondence), put there by
//! [`super::notices::served`] once a document is servable. Staff read each one (downloads
//! audited) and mark it done; marking is conditional on it being open, so two members of staff
//! never both close it.

use super::defence::Download;
use crate::{
    accounts::store::Who,
    error::AppError,
    i18n::{Msg, use_lang},
    web::{Ctx, Outcome, current_session, query, redirect, state},
};
use leptos::prelude::*;
use serde_json::json;
use sqlx::AnyConnection;

/// The inbox's address.
pub const PATH: &str = "/staff/service-centre/inbox";
/// A document in it.
pub const DOCUMENT_PATH: &str = "/staff/service-centre/inbox/{material}";
/// The most entries the page lists.
pub const LIMIT: i64 = 200;

/// An open entry.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Item {
    /// The document.
    pub material_id: String,
    /// The case's URN.
    pub urn: String,
    /// The defendant's name.
    pub defendant: String,
    /// The section's code.
    pub section: String,
    /// The document's title.
    pub title: String,
    /// The firm that served it.
    pub organisation: String,
    /// When it reached the inbox.
    pub created_at: i64,
}

/// The open entries, oldest first.
pub async fn open(conn: &mut AnyConnection) -> Result<Vec<Item>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.material_id, c.urn, \
                COALESCE(d.company_name, d.first_name || ' ' || d.last_name) AS defendant, \
                m.section, m.title, o.name AS organisation, i.created_at \
         FROM service_centre_inbox i JOIN material m ON m.id = i.material_id \
         JOIN cases c ON c.id = m.case_id JOIN defendants d ON d.id = m.defendant_id \
         JOIN organisations o ON o.id = m.served_by \
         WHERE i.done_at IS NULL ORDER BY i.created_at, i.material_id LIMIT $1",
    )
    .bind(LIMIT)
    .fetch_all(&mut *conn)
    .await
}

/// How many entries are open.
pub async fn open_count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM service_centre_inbox WHERE done_at IS NULL")
        .fetch_one(&mut *conn)
        .await
}

/// Marks an entry done if it is open (audited); `false`: done already, or no such entry.
pub async fn mark_done(
    db: &crate::db::Db,
    who: &Who,
    staff_id: &str,
    material_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE service_centre_inbox SET done_at = $1, done_by = $2 \
         WHERE material_id = $3 AND done_at IS NULL",
    )
    .bind(now)
    .bind(staff_id)
    .bind(material_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    who.audit(
        &mut tx,
        "staff.inbox.done",
        Some(format!("material:{material_id}")),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A document in the inbox (open or done), for the service centre to read: recorded and
/// audited before a byte is sent. `None`: not in the inbox, or not servable.
pub async fn document(
    db: &crate::db::Db,
    who: &Who,
    material_id: &str,
    now: i64,
) -> Result<Option<Download>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        case_id: String,
        file_name: String,
        content_type: String,
        size: i64,
        sha256: String,
        storage_key: Option<String>,
        status: String,
    }
    let mut tx = db.begin().await?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT m.case_id, m.file_name, m.content_type, m.size, m.sha256, m.storage_key, \
                m.status \
         FROM service_centre_inbox i JOIN material m ON m.id = i.material_id \
         WHERE i.material_id = $1",
    )
    .bind(material_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = row.filter(|r| super::access::servable(&r.status)) else {
        return Ok(None);
    };
    who.audit(
        &mut tx,
        "case.material.downloaded",
        Some(format!("material:{material_id}")),
        json!({ "case": r.case_id, "sha256": r.sha256, "by": "service_centre" }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Download {
        file_name: r.file_name,
        content_type: r.content_type,
        size: r.size,
        sha256: r.sha256,
        storage_key: r.storage_key,
    }))
}

/// `GET /staff/service-centre/inbox/{material}`.
pub async fn get(
    state: crate::state::AppState,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse as _};
    let staff = req
        .extensions()
        .get::<crate::web::Current>()
        .filter(|s| s.user.is_staff("service_centre") && s.user.status == "active")
        .map(|s| Who::user(&s.user, &crate::web::ClientIp::text(req.extensions())));
    let Some(who) = staff else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    let material_id = crate::web::routes::param(DOCUMENT_PATH, req.uri().path(), "material");
    match document(&state.db, &who, &material_id, state.clock.now_unix()).await {
        Ok(Some(d)) => super::download::send(&state, &d, req.headers(), lang).await,
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            AppError::internal(e).message(lang),
        )
            .into_response(),
    }
}

/// `POST /staff/service-centre/inbox`: marks one entry done.
pub async fn done_post(ctx: Ctx) -> Result<Outcome, AppError> {
    let s = ctx
        .session
        .as_ref()
        .filter(|s| s.user.is_staff("service_centre"))
        .ok_or(AppError::NotFound)?;
    let who = Who::user(&s.user, &ctx.ip);
    let done = mark_done(
        &ctx.state.db,
        &who,
        &s.user.id,
        ctx.get("material"),
        ctx.now(),
    )
    .await
    .map_err(AppError::internal)?;
    Ok(redirect(if done {
        "/staff/service-centre/inbox?done=done"
    } else {
        "/staff/service-centre/inbox?done=already"
    }))
}

/// The inbox page.
#[component]
pub fn InboxPage() -> impl IntoView {
    let lang = use_lang();
    let done = query("done");
    let load = async move {
        let state = state()?;
        current_session().filter(|s| s.user.is_staff("service_centre"))?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let items = open(&mut conn).await.ok()?;
        let sections = super::sections::all(&mut conn).await.ok()?;
        Some((items, sections))
    };
    let cols = [
        lang.t(Msg::InboxCase),
        lang.t(Msg::InboxDefendant),
        lang.t(Msg::InboxDocument),
        lang.t(Msg::InboxReceived),
        lang.t(Msg::InboxAction),
    ];
    view! {
        {crate::page_title(Msg::InboxTitle)}
        {(done == "done").then(|| view! { <crate::accounts::pages::SuccessBanner message=Msg::InboxDone /> })}
        {(done == "already").then(|| view! {
            <div class="govuk-inset-text" id="inbox-already">{lang.t(Msg::InboxAlreadyDone)}</div>
        })}
        <h1 class="govuk-heading-l">{lang.t(Msg::InboxTitle)}</h1>
        <p class="govuk-body">{lang.t(Msg::InboxIntro)}</p>
        <Suspense>
            {Suspend::new(async move {
                match load.await {
                    None => view! { <crate::layout::NotFound /> }.into_any(),
                    Some((items, _)) if items.is_empty() => view! {
                        <p class="govuk-body" id="inbox-empty">{lang.t(Msg::InboxEmpty)}</p>
                    }.into_any(),
                    Some((items, sections)) => view! {
                        <table class="govuk-table app-table--reflow" id="inbox">
                            <thead class="govuk-table__head">
                                <tr class="govuk-table__row">
                                    {cols.iter().map(|c| view! { <th scope="col" class="govuk-table__header">{*c}</th> }).collect_view()}
                                </tr>
                            </thead>
                            <tbody class="govuk-table__body">
                                {items.into_iter().map(|i| {
                                    view! {
                                        <tr class="govuk-table__row">
                                            <td class="govuk-table__cell app-nowrap" data-label=cols[0]>{super::pages::urn_spaced(&i.urn)}</td>
                                            <td class="govuk-table__cell" data-label=cols[1]>{i.defendant.clone()}</td>
                                            <td class="govuk-table__cell" data-label=cols[2]>
                                                <a class="govuk-link" href=format!("{PATH}/{}", i.material_id) download>{i.title.clone()}</a>
                                                <br /><span class="app-secondary-text">{super::sections::name_of(&sections, &i.section, lang)}</span>
                                            </td>
                                            // Who sent it and when, in one column: the table fits a tablet.
                                            <td class="govuk-table__cell" data-label=cols[3]>
                                                {crate::clock::uk_time(i.created_at, lang)}
                                                <br /><span class="app-secondary-text">{lang.tf(Msg::InboxFrom, &[("organisation", &i.organisation)])}</span>
                                            </td>
                                            <td class="govuk-table__cell" data-label=cols[4]>
                                                <form method="post" action=PATH>
                                                    <input type="hidden" name="material" value=i.material_id.clone() />
                                                    <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">
                                                        {lang.t(Msg::InboxDoneButton)}
                                                        <span class="govuk-visually-hidden">{format!(" ({})", i.title)}</span>
                                                    </button>
                                                </form>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
