//! The magistrates' court Preparation for Effective Trial (PET) form, blank but for the case's
//! URN and court, as a one-page PDF to fill in and serve. (Served versions, with their history,
//! come with uploads.) Each download is audited.

use super::{
    defence::{Member, standing},
    pdf::{Line, page},
    urn::Urn,
};
use crate::{accounts::store::Who, state::AppState};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// The download's address.
pub const PATH: &str = "/cases/{id}/pet-form";

/// The form for a case.
pub fn form(urn: &Urn, court: &str, defendants: &[String]) -> Vec<u8> {
    let blank = "________________________________________________";
    let mut lines = vec![
        Line::Title("Preparation for effective trial (magistrates' court)".into()),
        Line::Text(format!("URN {}   ·   {}", urn.spaced(), court)),
        Line::Text(format!("Defendant(s): {}", defendants.join(", "))),
        Line::Gap,
        Line::Heading("Part 1: contact details".into()),
        Line::Text(format!("Defence representative: {blank}")),
        Line::Text(format!("Telephone and email: {blank}")),
        Line::Text(format!("Prosecutor: {blank}")),
        Line::Gap,
        Line::Heading("Part 2: plea and issues".into()),
        Line::Text(format!("Plea entered: {blank}")),
        Line::Text(format!("The real issues in the case: {blank}")),
        Line::Text(blank.into()),
        Line::Gap,
        Line::Heading("Part 3: witnesses".into()),
        Line::Text(format!("Prosecution witnesses required to attend: {blank}")),
        Line::Text(format!("Defence witnesses and their availability: {blank}")),
        Line::Text(format!("Interpreter or special measures needed: {blank}")),
        Line::Gap,
        Line::Heading("Part 4: evidence and applications".into()),
        Line::Text(format!(
            "Disputed evidence (CCTV, exhibits, statements): {blank}"
        )),
        Line::Text(format!(
            "Bad character, hearsay or other applications: {blank}"
        )),
        Line::Gap,
        Line::Heading("Part 5: trial".into()),
        Line::Text(format!("Estimated length of trial: {blank}")),
        Line::Text(format!("Dates to avoid: {blank}")),
        Line::Gap,
        Line::Text(format!("Signed: {blank}   Date: ______________")),
    ];
    lines.shrink_to_fit();
    page(&lines)
}

/// `GET /cases/{id}/pet-form`: for a member with standing on the case.
pub async fn get(state: AppState, req: axum::extract::Request) -> Response {
    let Some(member) = Member::of_request(req.extensions()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let case_id = crate::web::routes::param(PATH, req.uri().path(), "id");
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    drop(req);
    let failed = |e: sqlx::Error| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            crate::error::AppError::internal(e).message(lang),
        )
            .into_response()
    };
    let result = async {
        let mut conn = state.db.pool.acquire().await?;
        let st = standing(
            &mut conn,
            &member.user.id,
            &member.organisation_id,
            &case_id,
        )
        .await?;
        if !st.any() {
            return Ok(None);
        }
        let head: Option<(String, String)> =
            sqlx::query_as("SELECT urn, court FROM cases WHERE id = $1")
                .bind(&case_id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((urn, court)) = head else {
            return Ok(None);
        };
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT COALESCE(company_name, first_name || ' ' || last_name) FROM defendants \
             WHERE case_id = $1 ORDER BY position",
        )
        .bind(&case_id)
        .fetch_all(&mut *conn)
        .await?;
        drop(conn);
        Who::user(&member.user, &member.ip)
            .audit_alone(
                &state.db,
                "case.pet_form.downloaded",
                Some(format!("case:{case_id}")),
                serde_json::json!({ "urn": urn }),
                state.clock.now_unix(),
            )
            .await?;
        Ok::<_, sqlx::Error>(Some((urn, court, names)))
    }
    .await;
    let (urn, court, names) = match result {
        Ok(Some(x)) => x,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return failed(e),
    };
    let Ok(urn) = Urn::parse(&urn) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let names: Vec<String> = names.into_iter().map(|n| n.0).collect();
    let body = form(&urn, &court, &names);
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&super::download::disposition(&format!(
        "PET form {}.pdf",
        urn.as_str()
    ))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; style-src 'unsafe-inline'"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_a_pdf_naming_the_case() {
        let urn = Urn::parse("45KD123456726").expect("urn");
        let pdf = form(&urn, "Cardiff Magistrates' Court", &["Siân Evans".into()]);
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("45 KD 1234567 26"), "the URN is written in");
        assert!(text.contains("Preparation for effective trial"));
    }
}
