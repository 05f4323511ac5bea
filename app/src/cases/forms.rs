//! The cases feature's form posts. Each checks again that the poster is an active member of a
//! defence organisation (the gate let only the signed-in through), checks the input (every
//! problem, in page order, with the values kept), and calls [`super::defence`].

use super::{
    defence::{self, Found, Member, Nature, Refused, Typed},
    urn::{Urn, UrnProblem},
};
use crate::{
    error::{AppError, FieldError},
    forms::field,
    i18n::{Lang, Msg},
    web::{Ctx, Outcome, redirect},
};

/// The most defendants the find-case form takes.
pub const MAX_DEFENDANTS: usize = 20;

fn member(ctx: &Ctx) -> Result<Member, AppError> {
    Member::of(ctx.session.as_ref(), &ctx.ip).ok_or(AppError::NotFound)
}

/// The poster and the case in the address, if they have standing on it (found it themselves,
/// or their firm is on record for one of its defendants); "not found" otherwise, before any
/// input is looked at.
async fn on_case(ctx: &Ctx) -> Result<(Member, String), AppError> {
    let m = member(ctx)?;
    let case_id = ctx.param("id").to_owned();
    let mut conn = ctx
        .state
        .db
        .pool
        .acquire()
        .await
        .map_err(AppError::internal)?;
    let st = defence::standing(&mut conn, &m.user.id, &m.organisation_id, &case_id)
        .await
        .map_err(AppError::internal)?;
    if st.any() {
        Ok((m, case_id))
    } else {
        Err(AppError::NotFound)
    }
}

/// The message for a URN that is not one.
pub fn urn_message(p: UrnProblem) -> Msg {
    match p {
        UrnProblem::Missing => Msg::FindUrnMissing,
        UrnProblem::BadCharacter => Msg::FindUrnBadCharacter,
        UrnProblem::WrongLength => Msg::FindUrnWrongLength,
        UrnProblem::WrongShape => Msg::FindUrnWrongShape,
    }
}

/// How many defendant rows the form has (posted as `defendants`).
pub fn rows(values: &[(String, String)]) -> usize {
    crate::forms::value(values, "defendants")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, MAX_DEFENDANTS)
}

/// Reads the find-case form: the URN, every defendant row, the declaration; or every
/// problem in page order.
pub fn parse_find(
    values: &[(String, String)],
    lang: Lang,
) -> Result<(Urn, Vec<Typed>), Vec<FieldError>> {
    let get = |n: &str| crate::forms::value(values, n).trim().to_owned();
    let mut errors = vec![];
    let urn = match Urn::parse(&get("urn")) {
        Ok(u) => Some(u),
        Err(p) => {
            errors.push(field("urn", lang, urn_message(p)));
            None
        }
    };
    let mut typed = vec![];
    for i in 1..=rows(values) {
        let n = |f: &str| format!("d{i}-{f}");
        let (first, last, company) = (get(&n("first")), get(&n("last")), get(&n("company")));
        let (day, month, year) = (
            get(&n("dob-day")),
            get(&n("dob-month")),
            get(&n("dob-year")),
        );
        let person_typed = [&first, &last, &day, &month, &year]
            .iter()
            .any(|s| !s.is_empty());
        let count = i.to_string();
        let msg = |m: Msg| FieldError {
            field: String::new(),
            message: lang.tf(m, &[("number", &count)]),
        };
        let at = |f: String, m: Msg| FieldError { field: f, ..msg(m) };
        if !company.is_empty() {
            if person_typed {
                errors.push(at(n("company"), Msg::FindPersonOrCompany));
            } else if company.chars().count() > 200 {
                errors.push(at(n("company"), Msg::FindNameTooLong));
            } else {
                typed.push(Typed::Company { name: company });
            }
            continue;
        }
        if first.is_empty() {
            errors.push(at(n("first"), Msg::FindFirstNameMissing));
        } else if first.chars().count() > 100 {
            errors.push(at(n("first"), Msg::FindNameTooLong));
        }
        if last.is_empty() {
            errors.push(at(n("last"), Msg::FindLastNameMissing));
        } else if last.chars().count() > 100 {
            errors.push(at(n("last"), Msg::FindNameTooLong));
        }
        let dob = if day.is_empty() && month.is_empty() && year.is_empty() {
            errors.push(at(n("dob-day"), Msg::FindDobMissing));
            None
        } else {
            match (day.parse::<u8>(), month.parse::<u8>(), year.parse::<i32>()) {
                (Ok(d), Ok(m), Ok(y)) if year.len() == 4 => match crate::date::Date::new(y, m, d) {
                    Ok(date) if y >= 1900 => Some(date.to_string()),
                    _ => {
                        errors.push(at(n("dob-day"), Msg::FindDobBad));
                        None
                    }
                },
                _ => {
                    errors.push(at(n("dob-day"), Msg::FindDobBad));
                    None
                }
            }
        };
        if let Some(date_of_birth) = dob.filter(|_| !first.is_empty() && !last.is_empty()) {
            typed.push(Typed::Person {
                first_name: first,
                last_name: last,
                date_of_birth,
            });
        }
    }
    if get("declare") != "yes" {
        errors.push(field("declare", lang, Msg::FindDeclareMissing));
    }
    match urn {
        Some(u) if errors.is_empty() => Ok((u, typed)),
        _ => Err(errors),
    }
}

/// Minutes to wait, rounded up, for a message.
fn minutes(secs: i64) -> String {
    ((secs + 59) / 60).max(1).to_string()
}

/// `POST /cases/find`: add or remove a defendant row, or find the case.
pub async fn find(ctx: Ctx) -> Result<Outcome, AppError> {
    let member = member(&ctx)?;
    let n = rows(&ctx.form);
    // Adding or removing a row is the same page again with every value kept.
    let with_rows = |ctx: &Ctx, n: usize| {
        let mut values: Vec<(String, String)> = ctx
            .form
            .iter()
            .filter(|(k, _)| k != "defendants" && k != "action")
            .cloned()
            .collect();
        values.push(("defendants".into(), n.to_string()));
        Outcome::Render(crate::forms::Posted {
            values,
            errors: vec![],
            notice: None,
        })
    };
    match ctx.get("action") {
        "add" => return Ok(with_rows(&ctx, (n + 1).min(MAX_DEFENDANTS))),
        "remove" => return Ok(with_rows(&ctx, n.saturating_sub(1).max(1))),
        _ => {}
    }
    let (urn, typed) = match parse_find(&ctx.form, ctx.lang) {
        Ok(x) => x,
        Err(errors) => return Ok(ctx.again(errors)),
    };
    let now = ctx.now();
    match defence::find(&ctx.state.db, &member, &urn, &typed, now)
        .await
        .map_err(AppError::internal)?
    {
        Found::Case(id) => Ok(redirect(&format!("/cases/{id}?done=found"))),
        Found::NoMatch => Ok(ctx.again_notice(ctx.lang.t(Msg::FindNoMatch).to_owned())),
        Found::Wait(secs) => Ok(ctx.again_notice(
            ctx.lang
                .tf(Msg::FindThrottled, &[("minutes", &minutes(secs))]),
        )),
    }
}

fn refusal(lang: Lang, r: &Refused) -> String {
    match r {
        Refused::NotFound => lang.t(Msg::CaseRefusedNotFound).to_owned(),
        Refused::OtherFirm(name) => lang.tf(Msg::CaseRefusedOtherFirm, &[("organisation", name)]),
        Refused::AlreadyYours => lang.t(Msg::CaseRefusedAlreadyYours).to_owned(),
        Refused::NotYours => lang.t(Msg::CaseRefusedNotYours).to_owned(),
        Refused::AlreadyAsked => lang.t(Msg::CaseRefusedAlreadyAsked).to_owned(),
        Refused::NotNeeded => lang.t(Msg::CaseRefusedIdpcNotNeeded).to_owned(),
    }
}

fn done(ctx: &Ctx, result: Result<(), Refused>, to: String) -> Result<Outcome, AppError> {
    match result {
        Ok(()) => Ok(redirect(&to)),
        Err(r) => Ok(ctx.again_notice(refusal(ctx.lang, &r))),
    }
}

/// Reads the associate form: the nature and, for legal aid, the LAA account number.
pub fn parse_associate(
    values: &[(String, String)],
    lang: Lang,
) -> Result<(Nature, Option<String>), Vec<FieldError>> {
    let get = |n: &str| crate::forms::value(values, n).trim().to_owned();
    let mut errors = vec![];
    let nature = Nature::from_code(&get("nature"));
    if nature.is_none() {
        errors.push(field("nature", lang, Msg::AssociateNatureMissing));
    }
    let account = get("laa_account").to_uppercase();
    let account = if nature.is_some_and(Nature::legal_aid) {
        match crate::accounts::validate::laa_account(&account) {
            Some(a) => Some(a),
            None if account.is_empty() => {
                errors.push(field("laa_account", lang, Msg::AssociateLaaMissing));
                None
            }
            None => {
                errors.push(field("laa_account", lang, Msg::RegLaaBad));
                None
            }
        }
    } else {
        None
    };
    match nature {
        Some(n) if errors.is_empty() => Ok((n, account)),
        _ => Err(errors),
    }
}

/// `POST /cases/{id}/associate`.
pub async fn associate(ctx: Ctx) -> Result<Outcome, AppError> {
    let (member, case_id) = on_case(&ctx).await?;
    let defendant = ctx.get("defendant").to_owned();
    let (nature, account) = match parse_associate(&ctx.form, ctx.lang) {
        Ok(x) => x,
        Err(errors) => return Ok(ctx.again(errors)),
    };
    let r = defence::associate(
        &ctx.state,
        &member,
        &case_id,
        &defendant,
        nature,
        account.as_deref(),
        ctx.now(),
    )
    .await
    .map_err(AppError::internal)?;
    done(&ctx, r, format!("/cases/{case_id}/access?done=associated"))
}

/// `POST /cases/{id}/disassociate`.
pub async fn disassociate(ctx: Ctx) -> Result<Outcome, AppError> {
    let (member, case_id) = on_case(&ctx).await?;
    let defendant = ctx.get("defendant").to_owned();
    if ctx.get("confirm") != "yes" {
        return Ok(ctx.again(vec![field(
            "confirm",
            ctx.lang,
            Msg::DisassociateConfirmMissing,
        )]));
    }
    let r = defence::disassociate(&ctx.state, &member, &case_id, &defendant, ctx.now())
        .await
        .map_err(AppError::internal)?;
    done(
        &ctx,
        r,
        format!("/cases/{case_id}/access?done=disassociated"),
    )
}

/// The longest message with a release request.
pub const MESSAGE_MAX: usize = 1000;

/// `POST /cases/{id}/release`: ask the firm on record to release a defendant.
pub async fn release(ctx: Ctx) -> Result<Outcome, AppError> {
    let (member, case_id) = on_case(&ctx).await?;
    let defendant = ctx.get("defendant").to_owned();
    let message = ctx.get("message").trim().to_owned();
    if message.chars().count() > MESSAGE_MAX {
        return Ok(ctx.again(vec![field("message", ctx.lang, Msg::ReleaseMessageTooLong)]));
    }
    let r = defence::request_release(
        &ctx.state,
        &member,
        &case_id,
        &defendant,
        &message,
        ctx.now(),
    )
    .await
    .map_err(AppError::internal)?;
    done(&ctx, r, format!("/cases/{case_id}/access?done=asked"))
}

/// `POST /cases/{id}/material`: ask the prosecutor for the IDPC.
pub async fn idpc_request(ctx: Ctx) -> Result<Outcome, AppError> {
    let (member, case_id) = on_case(&ctx).await?;
    let r = defence::request_idpc(&ctx.state, &member, &case_id, ctx.now())
        .await
        .map_err(AppError::internal)?;
    done(
        &ctx,
        r,
        format!("/cases/{case_id}/material?done=idpc-requested"),
    )
}

/// `POST /cases/{id}/instruct`: the firm on record instructs counsel for a defendant by the
/// advocate's email address.
pub async fn instruct(ctx: Ctx) -> Result<Outcome, AppError> {
    use super::instructions::{self, Refused};
    let (member, case_id) = on_case(&ctx).await?;
    let defendant = ctx.get("defendant").to_owned();
    let typed = ctx.get("email").trim().to_owned();
    let email = match crate::accounts::validate::email(&typed) {
        Some(e) => e,
        None if typed.is_empty() => {
            return Ok(ctx.again(vec![field("email", ctx.lang, Msg::InstructEmailMissing)]));
        }
        None => return Ok(ctx.again(vec![field("email", ctx.lang, Msg::RegEmailBad)])),
    };
    let r = instructions::instruct(&ctx.state, &member, &case_id, &defendant, &email, ctx.now())
        .await
        .map_err(AppError::internal)?;
    let on_email = |msg: String| {
        Ok(ctx.again(vec![FieldError {
            field: "email".into(),
            message: msg,
        }]))
    };
    match r {
        Ok(_) => Ok(redirect(&format!(
            "/cases/{case_id}/access?done=instructed"
        ))),
        Err(Refused::NoAdvocate) => on_email(ctx.lang.t(Msg::InstructEmailUnknown).to_owned()),
        Err(Refused::OwnOrganisation) => {
            on_email(ctx.lang.t(Msg::InstructOwnOrganisation).to_owned())
        }
        Err(Refused::Already(name)) => on_email(
            ctx.lang
                .tf(Msg::InstructAlready, &[("organisation", &name)]),
        ),
        Err(Refused::NotYours | Refused::NotInstructed) => {
            Ok(ctx.again_notice(ctx.lang.t(Msg::InstructNotYours).to_owned()))
        }
    }
}

/// `POST /cases/{id}/withdraw-counsel`: the firm withdraws an instruction it gave.
pub async fn withdraw_counsel(ctx: Ctx) -> Result<Outcome, AppError> {
    let (member, case_id) = on_case(&ctx).await?;
    let r = super::instructions::withdraw(
        &ctx.state,
        &member,
        &case_id,
        ctx.get("defendant"),
        ctx.get("counsel"),
        ctx.now(),
    )
    .await
    .map_err(AppError::internal)?;
    match r {
        Ok(_) => Ok(redirect(&format!(
            "/cases/{case_id}/access?done=counsel-withdrawn"
        ))),
        Err(_) => Ok(ctx.again_notice(ctx.lang.t(Msg::WithdrawCounselGone).to_owned())),
    }
}

/// `POST /cases/{id}/return-instruction`: counsel's organisation gives back an instruction it
/// holds; it no longer sees the case through it, so the answer is the cases list.
pub async fn return_instruction(ctx: Ctx) -> Result<Outcome, AppError> {
    let (member, case_id) = on_case(&ctx).await?;
    let r = super::instructions::give_back(
        &ctx.state,
        &member,
        &case_id,
        ctx.get("defendant"),
        ctx.now(),
    )
    .await
    .map_err(AppError::internal)?;
    match r {
        Ok(_) => Ok(redirect("/cases?done=instruction-returned")),
        Err(_) => Ok(ctx.again_notice(ctx.lang.t(Msg::ReturnInstructionGone).to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_find_form_lists_every_problem_in_page_order() {
        let errors = parse_find(
            &form(&[
                ("urn", "01 AB"),
                ("defendants", "2"),
                ("d2-company", "Acme"),
            ]),
            Lang::En,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["urn", "d1-first", "d1-last", "d1-dob-day", "declare"]
        );
        assert!(errors[1].message.contains('1'), "{}", errors[1].message);
    }

    #[test]
    fn a_lower_case_spaced_urn_and_a_person_and_a_company_are_read() {
        let (urn, typed) = parse_find(
            &form(&[
                ("urn", " 01ab 12345 21 "),
                ("defendants", "2"),
                ("d1-first", " Siân "),
                ("d1-last", "O'Brien"),
                ("d1-dob-day", "2"),
                ("d1-dob-month", "01"),
                ("d1-dob-year", "1990"),
                ("d2-company", "Acme Ltd"),
                ("declare", "yes"),
            ]),
            Lang::En,
        )
        .unwrap();
        assert_eq!(urn.as_str(), "01AB1234521");
        assert_eq!(
            typed,
            [
                Typed::Person {
                    first_name: "Siân".into(),
                    last_name: "O'Brien".into(),
                    date_of_birth: "1990-01-02".into()
                },
                Typed::Company {
                    name: "Acme Ltd".into()
                }
            ]
        );
    }

    #[test]
    fn an_impossible_date_of_birth_and_both_kinds_at_once_are_refused() {
        let errors = parse_find(
            &form(&[
                ("urn", "01AB1234521"),
                ("d1-first", "A"),
                ("d1-last", "B"),
                ("d1-dob-day", "31"),
                ("d1-dob-month", "2"),
                ("d1-dob-year", "1990"),
                ("declare", "yes"),
            ]),
            Lang::En,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "d1-dob-day");
        let errors = parse_find(
            &form(&[
                ("urn", "01AB1234521"),
                ("d1-first", "A"),
                ("d1-company", "B Ltd"),
                ("declare", "yes"),
            ]),
            Lang::En,
        )
        .unwrap_err();
        assert_eq!(errors[0].field, "d1-company");
    }

    #[test]
    fn legal_aid_needs_a_valid_account_number() {
        assert!(parse_associate(&form(&[("nature", "private")]), Lang::En).is_ok());
        let e = parse_associate(&form(&[("nature", "order_granted")]), Lang::En).unwrap_err();
        assert_eq!(e[0].field, "laa_account");
        let e = parse_associate(&form(&[]), Lang::En).unwrap_err();
        assert_eq!(e[0].field, "nature");
        let e = parse_associate(
            &form(&[("nature", "order_applied"), ("laa_account", "nope!")]),
            Lang::En,
        )
        .unwrap_err();
        assert_eq!(e[0].field, "laa_account");
    }
}
