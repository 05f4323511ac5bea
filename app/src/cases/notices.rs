//! What a served document sets off (docs/uploads.md), in the transaction that makes it
//! servable (recorded unscanned, or scanned clean), never before: a document that fails its
//! virus check reaches no one.
//!
//! - **Send to CPS** (ticked on the upload, in a section that offers it): an email to the CPS
//!   through the outbox with the document attached, read from the document store when the
//!   email goes and checked against the receipt's SHA-256. A document over the attachment
//!   limit goes as a link instead, which works until it expires ([`LINK_SECS`]). The receipt
//!   says which, and when the email went.
//! - **The HMCTS service centre** (sections that notify it: plea, applications, general
//!   correspondence): an entry in its inbox, open until staff mark it done, and an email.

use super::emails::{cps_document, service_centre_document};
use crate::{accounts::store::Who, email::MailSettings};
use serde_json::json;
use sqlx::AnyConnection;
use std::sync::Arc;

/// The largest document sent as an attachment by default (10 MiB: within what mail systems
/// commonly take once base64 has grown it by a third).
pub const ATTACH_MAX: u64 = 10 << 20;
/// How long a link to a document too large to attach works: 14 days.
pub const LINK_SECS: i64 = 14 * 86_400;
/// The link's address (`?token=…`; the outbox forgets the token once the email is sent).
pub const LINK_PATH: &str = "/cps/document";

/// Where a served document's notices go.
#[derive(Clone, Debug)]
pub struct Notices {
    /// The sender address and the public URL links start with.
    pub mail: Arc<MailSettings>,
    /// The CPS's address for defence documents (`CPS_EMAIL`).
    pub cps_address: String,
    /// The HMCTS service centre's address (`SERVICE_CENTRE_EMAIL`).
    pub service_centre_address: String,
    /// Documents up to this size are attached; larger ones are sent as a link.
    pub attach_max: u64,
}

impl Notices {
    /// For tests: example addresses, the default attachment limit.
    #[cfg(test)]
    pub fn for_tests() -> Notices {
        Notices {
            mail: Arc::new(MailSettings {
                from_address: "no-reply@test.example".into(),
                from_name: "Test".into(),
                public_url: "http://localhost:3000".into(),
            }),
            cps_address: "defence-documents@cps.example".into(),
            service_centre_address: "service-centre@hmcts.example".into(),
            attach_max: ATTACH_MAX,
        }
    }
}

/// How a document went to the CPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Attached to the email.
    Attachment,
    /// As a link that expires.
    Link,
}

impl Mode {
    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            Mode::Attachment => "attachment",
            Mode::Link => "link",
        }
    }
}

/// What serving a document set off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetOff {
    /// The service centre's inbox entry and email.
    pub service_centre: bool,
    /// The email to the CPS, and how the document goes with it.
    pub cps: Option<Mode>,
    /// The link's token, when it went as a link (for tests; only its hash is kept).
    pub link_token: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Doc {
    case_id: String,
    urn: String,
    defendant: String,
    section: String,
    title: String,
    file_name: String,
    content_type: String,
    size: i64,
    sha256: String,
    storage_key: Option<String>,
    send_to_cps: i64,
    receipt: Option<String>,
    organisation: String,
}

/// Sends what serving `material_id` sets off, in the caller's transaction (the one that made it
/// servable), and audits each. A document not uploaded by a firm sets off nothing here.
pub async fn served(
    conn: &mut AnyConnection,
    notices: &Notices,
    material_id: &str,
    now: i64,
) -> Result<SetOff, sqlx::Error> {
    let doc: Option<Doc> = sqlx::query_as(
        "SELECT m.case_id, c.urn, \
                COALESCE(d.company_name, d.first_name || ' ' || d.last_name) AS defendant, \
                m.section, m.title, m.file_name, m.content_type, m.size, m.sha256, \
                m.storage_key, m.send_to_cps, m.receipt, o.name AS organisation \
         FROM material m JOIN cases c ON c.id = m.case_id \
         JOIN defendants d ON d.id = m.defendant_id \
         JOIN organisations o ON o.id = m.served_by \
         WHERE m.id = $1 AND m.uploaded_by IS NOT NULL",
    )
    .bind(material_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(doc) = doc else {
        return Ok(SetOff::default());
    };
    let all = super::sections::all(&mut *conn).await?;
    let section = all.iter().find(|s| s.code == doc.section);
    let section_name = section.map_or(doc.section.clone(), |s| s.name_en.clone());
    let receipt = doc.receipt.clone().unwrap_or_default();
    let mut set_off = SetOff::default();
    let target = Some(format!("material:{material_id}"));

    if section.is_some_and(|s| s.notifies_service_centre) {
        let link = format!(
            "{}/staff/service-centre/inbox",
            notices.mail.public_url.trim_end_matches('/')
        );
        let email = service_centre_document(
            &notices.mail,
            &notices.service_centre_address,
            &super::pages::urn_spaced(&doc.urn),
            &doc.defendant,
            &doc.organisation,
            &section_name,
            &doc.title,
            &receipt,
            &link,
        );
        let outbox = crate::email::enqueue(conn, &notices.mail, &email, now).await?;
        sqlx::query(
            "INSERT INTO service_centre_inbox (material_id, case_id, outbox_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(material_id)
        .bind(&doc.case_id)
        .bind(&outbox)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Who::system()
            .audit(
                conn,
                "case.material.service_centre_notified",
                target.clone(),
                json!({ "case": doc.case_id, "section": doc.section, "receipt": receipt,
                        "to": notices.service_centre_address, "email": outbox }),
                now,
            )
            .await?;
        set_off.service_centre = true;
    }

    if doc.send_to_cps == 1 && section.is_some_and(|s| s.send_to_cps) {
        let size = u64::try_from(doc.size).unwrap_or(u64::MAX);
        let mode = if size <= notices.attach_max && doc.storage_key.is_some() {
            Mode::Attachment
        } else {
            Mode::Link
        };
        let (token, expires_at) = match mode {
            Mode::Attachment => (None, None),
            Mode::Link => (
                Some(crate::accounts::token::new_token()),
                Some(now + LINK_SECS),
            ),
        };
        let link = token.as_ref().map(|t| {
            format!(
                "{}{LINK_PATH}?token={t}",
                notices.mail.public_url.trim_end_matches('/')
            )
        });
        let email = cps_document(
            &notices.mail,
            &notices.cps_address,
            &super::pages::urn_spaced(&doc.urn),
            &doc.defendant,
            &doc.organisation,
            &section_name,
            &doc.title,
            &doc.file_name,
            doc.size,
            &doc.sha256,
            &receipt,
            link.as_deref().zip(expires_at),
        );
        let outbox = match (mode, &doc.storage_key) {
            (Mode::Attachment, Some(key)) => {
                crate::email::enqueue_with_attachment(
                    conn,
                    &notices.mail,
                    &email,
                    &crate::email::Attachment {
                        key: key.clone(),
                        name: doc.file_name.clone(),
                        content_type: doc.content_type.clone(),
                        sha256: doc.sha256.clone(),
                    },
                    now,
                )
                .await?
            }
            _ => crate::email::enqueue(conn, &notices.mail, &email, now).await?,
        };
        sqlx::query(
            "INSERT INTO cps_sends (material_id, outbox_id, mode, link_hash, link_expires_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(material_id)
        .bind(&outbox)
        .bind(mode.code())
        .bind(token.as_deref().map(crate::accounts::token::hash_token))
        .bind(expires_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Who::system()
            .audit(
                conn,
                "case.material.sent_to_cps",
                target,
                json!({ "case": doc.case_id, "receipt": receipt, "to": notices.cps_address,
                        "mode": mode.code(), "sha256": doc.sha256, "email": outbox,
                        "link_expires_at": expires_at }),
                now,
            )
            .await?;
        set_off.cps = Some(mode);
        set_off.link_token = token;
    }
    Ok(set_off)
}

/// A document a CPS link opens: what [`super::download::send`] needs.
pub async fn by_link(
    db: &crate::db::Db,
    token: &str,
    ip: &str,
    now: i64,
) -> Result<Option<super::defence::Download>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        material_id: String,
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
        "SELECT m.id AS material_id, m.case_id, m.file_name, m.content_type, m.size, m.sha256, \
                m.storage_key, m.status \
         FROM cps_sends s JOIN material m ON m.id = s.material_id \
         WHERE s.link_hash = $1 AND s.link_expires_at > $2",
    )
    .bind(crate::accounts::token::hash_token(token))
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row.filter(|r| super::access::servable(&r.status)) else {
        return Ok(None);
    };
    Who::anonymous(ip)
        .audit(
            &mut tx,
            "case.material.cps_link_used",
            Some(format!("material:{}", row.material_id)),
            json!({ "case": row.case_id, "sha256": row.sha256 }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Some(super::defence::Download {
        file_name: row.file_name,
        content_type: row.content_type,
        size: row.size,
        sha256: row.sha256,
        storage_key: row.storage_key,
    }))
}

/// `GET /cps/document?token=…`: the document a link in an email to the CPS names, while the
/// link lasts; otherwise the page saying it has expired. Each use is audited.
pub async fn link(
    state: crate::state::AppState,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let token = req
        .uri()
        .query()
        .and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v)
        })
        .unwrap_or_default();
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    let ip = crate::web::ClientIp::text(req.extensions());
    let now = state.clock.now_unix();
    let found = if token.is_empty() || token.len() > 100 {
        Ok(None)
    } else {
        by_link(&state.db, &token, &ip, now).await
    };
    match found {
        Ok(Some(d)) => super::download::send(&state, &d, req.headers(), lang).await,
        Ok(None) => axum::response::Redirect::to(EXPIRED_PATH).into_response(),
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            crate::error::AppError::internal(e).message(lang),
        )
            .into_response(),
    }
}

/// Where a link that has expired, or never worked, leads.
pub const EXPIRED_PATH: &str = "/cps/document/expired";

/// The page a CPS link that no longer works leads to.
#[leptos::component]
pub fn LinkExpiredPage() -> impl leptos::IntoView {
    use crate::i18n::{Msg, use_lang};
    use leptos::prelude::*;
    let lang = use_lang();
    view! {
        <leptos_meta::Title text=lang.t(Msg::CpsLinkTitle) />
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">{lang.t(Msg::CpsLinkTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::CpsLinkBody)}</p>
            </div>
        </div>
    }
}
