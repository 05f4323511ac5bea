//! Who sees a defence firm's upload beyond the court, the prosecution and the firm itself:
//! the representatives of the co-defendants the firm shares it with (co-defendants often run
//! opposing defences, so nothing is shared unless the firm says so). A share is with a
//! defendant, so it follows them if they change firm. The firm on record for the document's
//! defendant adds and removes shares from the document's receipt page; each change is
//! conditional (a share added or removed twice at once counts once), audited, and a firm that
//! gains the document is told ([`super::new_material`]).

use super::{defence::Member, read::display_name};
use crate::{
    error::AppError,
    i18n::{Lang, Msg},
    state::AppState,
    web::{Ctx, Outcome, redirect},
};
use leptos::prelude::*;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Another defendant on the document's case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codefendant {
    /// Its id.
    pub id: String,
    /// The name as shown.
    pub name: String,
    /// The firm on record for them now, if any (its name).
    pub firm: Option<String>,
    /// The document is shared with them.
    pub shared: bool,
}

/// A document's sharing as its firm sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sharing {
    /// The document.
    pub material_id: String,
    /// The defendant it was served for.
    pub defendant_id: String,
    /// It may be served (scanned clean, or not scanned where scanning is off).
    pub servable: bool,
    /// The member's firm is on record for its defendant (and so may change who sees it).
    pub acting: bool,
    /// The case's other defendants, in its order.
    pub codefendants: Vec<Codefendant>,
}

/// Why a change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No such upload of the member's firm on this case.
    NotFound,
    /// The firm is no longer on record for the document's defendant.
    NotActing,
    /// Not yet scanned clean (or it failed its check).
    NotServable,
    /// A defendant that is not another defendant on this case.
    UnknownDefendant,
}

/// What a change did: the defendants added and removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// Shared with now.
    pub added: Vec<String>,
    /// No longer shared with.
    pub removed: Vec<String>,
}

/// The sharing of the upload with receipt `receipt` on `case_id`, if the member's firm served it.
pub async fn load(
    conn: &mut AnyConnection,
    member: &Member,
    case_id: &str,
    receipt: &str,
) -> Result<Option<Sharing>, sqlx::Error> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT id, defendant_id, status FROM material WHERE receipt = $1 AND case_id = $2 \
         AND served_by = $3 AND uploaded_by IS NOT NULL",
    )
    .bind(receipt)
    .bind(case_id)
    .bind(&member.organisation_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((material_id, defendant_id, status)) = row else {
        return Ok(None);
    };
    let acting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM associations WHERE defendant_id = $1 AND organisation_id = $2",
    )
    .bind(&defendant_id)
    .bind(&member.organisation_id)
    .fetch_one(&mut *conn)
    .await?;
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id, d.kind, d.first_name, d.last_name, d.company_name, o.name, \
                (SELECT COUNT(*) FROM material_shares sh \
                   WHERE sh.material_id = $3 AND sh.defendant_id = d.id) \
         FROM defendants d LEFT JOIN associations a ON a.defendant_id = d.id \
         LEFT JOIN organisations o ON o.id = a.organisation_id \
         WHERE d.case_id = $1 AND d.id <> $2 ORDER BY d.position",
    )
    .bind(case_id)
    .bind(&defendant_id)
    .bind(&material_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Sharing {
        material_id,
        defendant_id,
        servable: super::access::servable(&status),
        acting: acting > 0,
        codefendants: rows
            .into_iter()
            .map(
                |(id, kind, first, last, company, firm, shared)| Codefendant {
                    name: display_name(&kind, first, last, company),
                    id,
                    firm,
                    shared: shared > 0,
                },
            )
            .collect(),
    }))
}

/// Shares the upload with exactly the defendants in `chosen` (removing the rest), for the
/// firm on record for its defendant. Firms that gain it are told; a firm that loses it loses
/// its "new" tag for it too. Audited when anything changed.
pub async fn set(
    state: &AppState,
    member: &Member,
    case_id: &str,
    receipt: &str,
    chosen: &[String],
    now: i64,
) -> Result<Result<Changed, Refused>, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let Some(s) = load(&mut tx, member, case_id, receipt).await? else {
        return Ok(Err(Refused::NotFound));
    };
    if !s.acting {
        return Ok(Err(Refused::NotActing));
    }
    if !s.servable {
        return Ok(Err(Refused::NotServable));
    }
    if chosen
        .iter()
        .any(|c| !s.codefendants.iter().any(|d| d.id == *c))
    {
        return Ok(Err(Refused::UnknownDefendant));
    }
    let mut changed = Changed::default();
    for d in &s.codefendants {
        let want = chosen.contains(&d.id);
        if want && !d.shared {
            let n = sqlx::query(
                "INSERT INTO material_shares (material_id, defendant_id, shared_by, shared_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (material_id, defendant_id) DO NOTHING",
            )
            .bind(&s.material_id)
            .bind(&d.id)
            .bind(&member.user.id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                changed.added.push(d.id.clone());
            }
        } else if !want && d.shared {
            let n = sqlx::query(
                "DELETE FROM material_shares WHERE material_id = $1 AND defendant_id = $2",
            )
            .bind(&s.material_id)
            .bind(&d.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                changed.removed.push(d.id.clone());
            }
        }
    }
    if changed.added.is_empty() && changed.removed.is_empty() {
        return Ok(Ok(changed));
    }
    // A firm that no longer reaches the document through any share loses its "new" tag.
    sqlx::query(
        "DELETE FROM material_unseen WHERE material_id = $1 AND organisation_id <> $2 \
         AND NOT EXISTS (SELECT 1 FROM material_shares sh \
           JOIN associations a ON a.defendant_id = sh.defendant_id \
           WHERE sh.material_id = $1 AND a.organisation_id = material_unseen.organisation_id)",
    )
    .bind(&s.material_id)
    .bind(&member.organisation_id)
    .execute(&mut *tx)
    .await?;
    let mut per_firm = BTreeMap::<String, Vec<String>>::new();
    for d in &changed.added {
        for firm in super::new_material::firms_for(&mut tx, case_id, Some(d)).await? {
            if firm != member.organisation_id {
                per_firm
                    .entry(firm)
                    .or_default()
                    .push(s.material_id.clone());
            }
        }
    }
    for list in per_firm.values_mut() {
        list.dedup();
    }
    member
        .who()
        .audit(
            &mut tx,
            "material.shared",
            Some(format!("material:{}", s.material_id)),
            json!({ "case": case_id, "receipt": receipt, "defendant": s.defendant_id,
                    "added": changed.added, "removed": changed.removed }),
            now,
        )
        .await?;
    super::new_material::tell(&mut tx, &state.mail, case_id, &per_firm, &member.who(), now).await?;
    tx.commit().await?;
    Ok(Ok(changed))
}

/// `POST /cases/{id}/receipts/{receipt}`: who else sees the document (the `share` boxes ticked).
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    let member = Member::of(ctx.session.as_ref(), &ctx.ip).ok_or(AppError::NotFound)?;
    let (case_id, receipt) = (ctx.param("id").to_owned(), ctx.param("receipt").to_owned());
    let chosen: Vec<String> = ctx
        .form
        .iter()
        .filter(|(k, _)| k == "share")
        .map(|(_, v)| v.clone())
        .collect();
    let r = set(&ctx.state, &member, &case_id, &receipt, &chosen, ctx.now())
        .await
        .map_err(AppError::internal)?;
    let msg = match r {
        Ok(c) => {
            let done = if c.added.is_empty() && c.removed.is_empty() {
                "unchanged"
            } else {
                "saved"
            };
            return Ok(redirect(&format!(
                "/cases/{case_id}/receipts/{receipt}?shared={done}#sharing"
            )));
        }
        Err(Refused::NotFound) => return Err(AppError::NotFound),
        Err(Refused::NotActing) => Msg::SharingNotActing,
        Err(Refused::NotServable) => Msg::SharingNotServable,
        Err(Refused::UnknownDefendant) => Msg::SharingUnknownDefendant,
    };
    Ok(ctx.again_notice(ctx.lang.t(msg).to_owned()))
}

/// The receipt page's "Who can see this document" section, with the form that changes it.
pub fn section(case_id: &str, receipt: &str, s: &Sharing, lang: Lang) -> impl IntoView + use<> {
    let shared: Vec<String> = s
        .codefendants
        .iter()
        .filter(|d| d.shared)
        .map(|d| d.name.clone())
        .collect();
    let banner = match crate::web::query("shared").as_str() {
        "saved" => Some(Msg::SharingSaved),
        "unchanged" => Some(Msg::SharingUnchanged),
        _ => None,
    };
    let can_change = s.acting && s.servable && !s.codefendants.is_empty();
    view! {
        <h2 class="govuk-heading-m govuk-!-margin-top-6" id="sharing">{lang.t(Msg::SharingHeading)}</h2>
        {banner.map(|b| view! {
            <div class="govuk-inset-text" id="sharing-result" role="status">{lang.t(b)}</div>
        })}
        <p class="govuk-body">{lang.t(Msg::SharingAlways)}</p>
        <p class="govuk-body" id="shared-with">
            {if shared.is_empty() {
                lang.t(Msg::SharingNone).to_owned()
            } else {
                lang.tf(Msg::SharingWith, &[("defendants", &shared.join(", "))])
            }}
        </p>
        {if s.codefendants.is_empty() {
            view! { <p class="govuk-body">{lang.t(Msg::SharingNoCodefendants)}</p> }.into_any()
        } else if !s.servable {
            view! { <p class="govuk-body">{lang.t(Msg::SharingNotServable)}</p> }.into_any()
        } else if !s.acting {
            view! { <p class="govuk-body">{lang.t(Msg::SharingNotActing)}</p> }.into_any()
        } else {
            ().into_any()
        }}
        {can_change.then(|| view! {
            <form method="post" action=format!("/cases/{case_id}/receipts/{receipt}") novalidate>
                <div class="govuk-form-group">
                    <fieldset class="govuk-fieldset" aria-describedby="share-hint">
                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::SharingLegend)}</legend>
                        <div id="share-hint" class="govuk-hint">{lang.t(Msg::SharingHint)}</div>
                        <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                            {s.codefendants.iter().enumerate().map(|(i, d)| {
                                let id = if i == 0 { "share".to_owned() } else { format!("share-{}", i + 1) };
                                let hint = format!("{id}-hint");
                                let firm = match &d.firm {
                                    Some(f) => lang.tf(Msg::SharingFirm, &[("organisation", f)]),
                                    None => lang.t(Msg::SharingNoFirm).to_owned(),
                                };
                                view! {
                                    <div class="govuk-checkboxes__item">
                                        <input class="govuk-checkboxes__input" id=id.clone() name="share" type="checkbox"
                                            value=d.id.clone() checked=d.shared aria-describedby=hint.clone() />
                                        <label class="govuk-label govuk-checkboxes__label" for=id>{d.name.clone()}</label>
                                        <div class="govuk-hint govuk-checkboxes__hint" id=hint>{firm}</div>
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                </div>
                <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">{lang.t(Msg::SharingButton)}</button>
            </form>
        })}
    }
}
