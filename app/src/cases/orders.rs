//! Representation orders from the Legal Aid Agency: an order names the firm granted legal aid
//! for a defendant, and the firm on record moves to it (the LAA records it at `/staff/laa/order`).
//! Both firms' administrators are told; the change is in the records and the audit trail.

use super::{names, urn::Urn};
use crate::{
    accounts::store::{Who, administrators},
    email::{
        self,
        templates::{Part, compose},
    },
    error::{AppError, FieldError},
    forms::{ErrorSummary, TextInput, field, form_title},
    i18n::{Lang, Msg, use_lang},
    state::AppState,
    web::{Ctx, Outcome, redirect},
};
use leptos::prelude::*;
use serde_json::json;

/// An order as the LAA records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// The case.
    pub urn: Urn,
    /// The defendant's full name (first name first).
    pub defendant: String,
    /// The firm's LAA account number.
    pub laa_account: String,
    /// The order's reference.
    pub reference: String,
}

/// Why an order was not recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No defendant of that name on that case (or more than one).
    NoDefendant,
    /// No organisation has that LAA account number (or more than one has).
    NoFirm,
}

/// Reads the form.
pub fn parse(values: &[(String, String)], lang: Lang) -> Result<Order, Vec<FieldError>> {
    let get = |n: &str| crate::forms::value(values, n).trim().to_owned();
    let mut errors = vec![];
    let urn = match Urn::parse(&get("urn")) {
        Ok(u) => Some(u),
        Err(p) => {
            errors.push(field("urn", lang, super::forms::urn_message(p)));
            None
        }
    };
    let defendant = get("defendant");
    if defendant.is_empty() || defendant.chars().count() > 200 {
        errors.push(field("defendant", lang, Msg::OrderDefendantMissing));
    }
    let laa_account = crate::accounts::validate::laa_account(&get("laa_account"));
    if laa_account.is_none() {
        errors.push(field("laa_account", lang, Msg::RegLaaBad));
    }
    let reference = get("reference");
    if reference.is_empty() || reference.chars().count() > 50 {
        errors.push(field("reference", lang, Msg::OrderReferenceMissing));
    }
    match (urn, laa_account) {
        (Some(urn), Some(laa_account)) if errors.is_empty() => Ok(Order {
            urn,
            defendant,
            laa_account,
            reference,
        }),
        _ => Err(errors),
    }
}

/// Records the order: the defendant's firm on record becomes the firm it names (nature: order
/// granted), in one transaction with both firms' emails and the audit event.
pub async fn record(
    state: &AppState,
    staff: &Who,
    order: &Order,
    now: i64,
) -> Result<Result<(), Refused>, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let found: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT d.id, c.id, COALESCE(d.company_name, d.first_name || ' ' || d.last_name) \
         FROM defendants d JOIN cases c ON c.id = d.case_id \
         WHERE c.urn = $1 AND d.name_key = $2",
    )
    .bind(order.urn.as_str())
    .bind(names::key(&order.defendant))
    .fetch_all(&mut *tx)
    .await?;
    let [(defendant_id, case_id, defendant)] = found.as_slice() else {
        return Ok(Err(Refused::NoDefendant));
    };
    let firms: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM organisations WHERE laa_account = $1")
            .bind(&order.laa_account)
            .fetch_all(&mut *tx)
            .await?;
    let [(firm, firm_name)] = firms.as_slice() else {
        return Ok(Err(Refused::NoFirm));
    };
    let before: Option<(String,)> = sqlx::query_as(
        "DELETE FROM associations WHERE defendant_id = $1 RETURNING organisation_id",
    )
    .bind(defendant_id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO associations (defendant_id, case_id, organisation_id, nature, laa_account, \
         associated_by, associated_at) VALUES ($1, $2, $3, 'order_granted', $4, NULL, $5) \
         ON CONFLICT (defendant_id) DO UPDATE SET organisation_id = excluded.organisation_id, \
           nature = excluded.nature, laa_account = excluded.laa_account, associated_by = NULL, \
           associated_at = excluded.associated_at",
    )
    .bind(defendant_id)
    .bind(case_id)
    .bind(firm)
    .bind(&order.laa_account)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let moved_from = before.map(|b| b.0).filter(|b| b != firm);
    // Counsel instructed by the firm the order moves the defendant from lose their access.
    let counsel = match &moved_from {
        Some(old) => {
            super::instructions::lapse(&mut tx, state, defendant_id, old, None, now).await?
        }
        None => vec![],
    };
    let event = |org: String, what: &'static str| (org, what);
    let mut events = vec![event(firm.clone(), "moved_in")];
    if let Some(old) = &moved_from {
        events.push(event(old.clone(), "moved_out"));
    }
    let mut emails = vec![];
    for (org, what) in &events {
        sqlx::query(
            "INSERT INTO association_events (id, defendant_id, case_id, organisation_id, event, \
             nature, laa_account, by_user, at) VALUES ($1, $2, $3, $4, $5, 'order_granted', $6, \
             NULL, $7)",
        )
        .bind(crate::accounts::token::new_id())
        .bind(defendant_id)
        .bind(case_id)
        .bind(org)
        .bind(*what)
        .bind(&order.laa_account)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let msg = if *what == "moved_in" {
            Msg::EmailOrderMovedIn
        } else {
            Msg::EmailOrderMovedOut
        };
        let link = format!("{}/cases/{case_id}/access", state.mail.public_url);
        for to in administrators(&mut tx, org, "").await? {
            let mail = compose(
                "representation_order",
                &to.email,
                to.user_id.as_deref(),
                Msg::EmailOrderSubject,
                |lang| {
                    vec![
                        Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                        Part::Para(lang.tf(
                            msg,
                            &[
                                ("defendant", defendant),
                                ("urn", &order.urn.spaced()),
                                ("organisation", firm_name),
                                ("reference", &order.reference),
                            ],
                        )),
                        Part::Link(link.clone()),
                    ]
                },
                &state.mail,
            );
            emails.push(email::enqueue(&mut tx, &state.mail, &mail, now).await?);
        }
    }
    staff
        .audit(
            &mut tx,
            "case.representation_order",
            Some(format!("defendant:{defendant_id}")),
            json!({ "case": case_id, "urn": order.urn.as_str(), "reference": order.reference,
                    "to_organisation": firm, "from_organisation": moved_from, "emails": emails,
                    "counsel_ended": counsel }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// `/staff/laa/order`: record a representation order.
#[component]
pub fn OrderPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::OrderTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <a class="govuk-back-link" href="/staff/laa">{lang.t(Msg::BackLink)}</a>
                <h1 class="govuk-heading-l">{lang.t(Msg::OrderTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::OrderIntro)}</p>
                <form method="post" action="/staff/laa/order" novalidate>
                    <TextInput name="urn" label=lang.t(Msg::FindUrn) width="govuk-input--width-20" />
                    <TextInput name="defendant" label=lang.t(Msg::OrderDefendant) hint=lang.t(Msg::OrderDefendantHint) />
                    <TextInput name="laa_account" label=lang.t(Msg::OrderAccount) width="govuk-input--width-10" />
                    <TextInput name="reference" label=lang.t(Msg::OrderReference) width="govuk-input--width-20" />
                    <button type="submit" class="govuk-button">{lang.t(Msg::OrderButton)}</button>
                </form>
            </div>
        </div>
    }
}

/// `POST /staff/laa/order`.
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    let s = ctx
        .session
        .as_ref()
        .filter(|s| s.user.is_staff("laa"))
        .ok_or(AppError::NotFound)?;
    let order = match parse(&ctx.form, ctx.lang) {
        Ok(o) => o,
        Err(e) => return Ok(ctx.again(e)),
    };
    let who = Who::user(&s.user, &ctx.ip);
    match record(&ctx.state, &who, &order, ctx.now())
        .await
        .map_err(AppError::internal)?
    {
        Ok(()) => Ok(redirect("/staff/laa?done=order")),
        Err(Refused::NoDefendant) => {
            Ok(ctx.again_notice(ctx.lang.t(Msg::OrderNoDefendant).to_owned()))
        }
        Err(Refused::NoFirm) => {
            Ok(ctx.again(vec![field("laa_account", ctx.lang, Msg::OrderNoFirm)]))
        }
    }
}
