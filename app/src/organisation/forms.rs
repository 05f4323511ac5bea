//! The organisation pages' form posts. Each handler checks again that the poster is an active
//! administrator of an organisation (the gate already did; this is the second lock), checks
//! the input, and calls [`ops`]; a refusal comes back on the same page in the error summary.

use super::{
    ops::{self, Actor, Changeable, Joiner, OpError},
    rules::Refusal,
};
use crate::{
    accounts::{Role, register::Checker, validate},
    error::AppError,
    forms::field,
    i18n::{Lang, Msg},
    web::{Ctx, Outcome, Stage, redirect},
};

/// Handles a post to one of the organisation feature's forms (declared in `super::routes`).
pub async fn dispatch(path: &str, ctx: Ctx) -> Result<Outcome, AppError> {
    if path == "/account/accountable" {
        return confirm_accountable(ctx).await;
    }
    let Some(actor) = admin(&ctx) else {
        return Err(AppError::NotFound);
    };
    match path {
        "/organisation/details" => details(ctx, actor).await,
        "/organisation/users/add" => add_user(ctx, actor).await,
        "/organisation/user" => user_action(ctx, actor).await,
        "/organisation/accountable" => nominate(ctx, actor).await,
        "/organisation/tell-hmcts" => tell_hmcts(ctx, actor).await,
        _ => Err(AppError::NotFound),
    }
}

/// The poster, if they are fully signed in as an active administrator of an organisation.
pub fn admin(ctx: &Ctx) -> Option<Actor> {
    let s = ctx.session.as_ref().filter(|s| s.stage == Stage::Full)?;
    s.user.is_active_admin().then(|| Actor {
        user: s.user.clone(),
        ip: ctx.ip.clone(),
    })
}

/// What to tell an administrator when the rules refuse.
pub fn refusal_message(r: Refusal) -> Msg {
    match r {
        Refusal::NotAdministrator => Msg::OrgRefusedNotAdmin,
        Refusal::NotMember => Msg::OrgRefusedNotMember,
        Refusal::LastAdministrator => Msg::OrgRefusedLastAdmin,
        Refusal::Accountable => Msg::OrgRefusedAccountable,
        Refusal::NoRoles => Msg::OrgRolesMissing,
        Refusal::WrongStatus => Msg::OrgRefusedStatus,
        Refusal::Yourself => Msg::OrgRefusedYourself,
        Refusal::AlreadyMember => Msg::OrgEmailAlreadyUser,
        Refusal::NoTransfer => Msg::OrgRefusedNoTransfer,
        Refusal::HasAdministrator => Msg::RestoreRefusedHasAdmin,
    }
}

fn refused(ctx: &Ctx, e: OpError) -> Result<Outcome, AppError> {
    let msg = match e {
        OpError::Refused(r) => refusal_message(r),
        OpError::EmailTaken => Msg::OrgEmailTaken,
        OpError::Db(e) => return Err(AppError::internal(e)),
    };
    Ok(ctx.again_notice(ctx.lang.t(msg).to_owned()))
}

fn now(ctx: &Ctx) -> i64 {
    ctx.state.clock.now_unix()
}

/// Roles ticked on a form (`roles` repeated).
pub fn posted_roles(values: &[(String, String)]) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| values.iter().any(|(k, v)| k == "roles" && v == r.code()))
        .collect()
}

async fn details(ctx: Ctx, actor: Actor) -> Result<Outcome, AppError> {
    let new = match parse_details(&ctx.form, ctx.lang) {
        Ok(d) => d,
        Err(errors) => return Ok(ctx.again(errors)),
    };
    match ops::update_details(&ctx.state, &actor, &new, now(&ctx)).await {
        Ok(changed) if changed.is_empty() => Ok(redirect("/organisation?done=unchanged")),
        Ok(_) => Ok(redirect("/organisation?done=details")),
        Err(e) => refused(&ctx, e),
    }
}

/// Checks the organisation details form: every problem in page order, or the new details.
pub fn parse_details(
    values: &[(String, String)],
    lang: Lang,
) -> Result<Changeable, Vec<crate::error::FieldError>> {
    let mut c = Checker {
        errors: vec![],
        lang,
    };
    let (address, postcode) = c.address(values);
    let laa_account = c.optional(values, "laa", validate::laa_account, Msg::RegLaaBad);
    let sra_number = c.optional(values, "sra", validate::sra_number, Msg::RegSraBad);
    let bar_number = c.optional(values, "bar", validate::bar_number, Msg::RegBarBad);
    let get = |n: &str| crate::forms::value(values, n);
    if ["laa", "sra", "bar"]
        .iter()
        .all(|n| get(n).trim().is_empty())
    {
        c.push("laa", Msg::RegNumberMissing);
    }
    let accountable_phone = c.need(
        validate::phone(get("ap_phone")),
        "ap_phone",
        get("ap_phone"),
        Msg::RegPhoneMissing,
        Msg::RegPhoneBad,
    );
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Changeable {
        address,
        postcode,
        laa_account,
        sra_number,
        bar_number,
        accountable_phone,
    })
}

/// Checks the add-a-user form.
pub fn parse_joiner(
    values: &[(String, String)],
    lang: Lang,
) -> Result<Joiner, Vec<crate::error::FieldError>> {
    let mut c = Checker {
        errors: vec![],
        lang,
    };
    let get = |n: &str| crate::forms::value(values, n);
    let first_name = c.need(
        validate::name(get("first_name")),
        "first_name",
        get("first_name"),
        Msg::RegFirstMissing,
        Msg::RegNameBad,
    );
    let last_name = c.need(
        validate::name(get("last_name")),
        "last_name",
        get("last_name"),
        Msg::RegLastMissing,
        Msg::RegNameBad,
    );
    let email = c.need(
        validate::email(get("email")),
        "email",
        get("email"),
        Msg::RegEmailMissing,
        Msg::RegEmailBad,
    );
    let roles = posted_roles(values);
    if roles.is_empty() {
        c.push("roles", Msg::OrgRolesMissing);
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Joiner {
        first_name,
        last_name,
        email,
        roles,
    })
}

async fn add_user(ctx: Ctx, actor: Actor) -> Result<Outcome, AppError> {
    let joiner = match parse_joiner(&ctx.form, ctx.lang) {
        Ok(j) => j,
        Err(errors) => return Ok(ctx.again(errors)),
    };
    match ops::add_users(&ctx.state, &actor, &[joiner], "form", now(&ctx)).await {
        Ok(ids) => Ok(redirect(&format!(
            "/organisation/user?id={}&done=invited",
            ids.first().map_or("", String::as_str)
        ))),
        Err(OpError::EmailTaken) => {
            Ok(ctx.again(vec![field("email", ctx.lang, Msg::OrgEmailTaken)]))
        }
        Err(OpError::Refused(Refusal::AlreadyMember)) => {
            Ok(ctx.again(vec![field("email", ctx.lang, Msg::OrgEmailAlreadyUser)]))
        }
        Err(e) => refused(&ctx, e),
    }
}

async fn user_action(ctx: Ctx, actor: Actor) -> Result<Outcome, AppError> {
    let user = ctx.get("user").to_owned();
    let action = ctx.get("action").to_owned();
    let t = now(&ctx);
    // The id goes back into addresses: encoded, so a posted id cannot break the redirect.
    let id = crate::text::encode_query_value(&user);
    let back = |done: &str| redirect(&format!("/organisation/user?id={id}&done={done}"));
    // The two that cannot be undone are confirmed on a page of their own first.
    if matches!(action.as_str(), "remove" | "reset-factors") && ctx.get("confirm") != "yes" {
        return Ok(redirect(&format!(
            "/organisation/user/confirm?id={id}&action={action}"
        )));
    }
    let state = &ctx.state;
    let result = match action.as_str() {
        "roles" => {
            let roles = posted_roles(&ctx.form);
            if roles.is_empty() {
                return Ok(ctx.again(vec![field("roles", ctx.lang, Msg::OrgRolesMissing)]));
            }
            ops::set_roles(state, &actor, &user, &roles, t).await
        }
        "resend" => ops::resend_invitation(state, &actor, &user, t).await,
        "remove" => ops::remove(state, &actor, &user, t).await,
        "reinstate" => ops::reinstate(state, &actor, &user, t).await,
        "unlock" => ops::unlock(state, &actor, &user, t).await,
        "reset-factors" => ops::reset_factors(state, &actor, &user, t).await,
        "end-sessions" => ops::end_sessions(state, &actor, &user, t).await.map(|_| ()),
        _ => return Err(AppError::NotFound),
    };
    match result {
        // Removing yourself ends your own session.
        Ok(()) if action == "remove" && user == actor.user.id => Ok(redirect("/signed-out")),
        Ok(()) => Ok(back(&action)),
        Err(OpError::Refused(Refusal::NotMember)) => Err(AppError::NotFound),
        Err(e) => refused(&ctx, e),
    }
}

async fn nominate(ctx: Ctx, actor: Actor) -> Result<Outcome, AppError> {
    let t = now(&ctx);
    if ctx.get("action") == "withdraw" {
        return match ops::withdraw_nomination(&ctx.state, &actor, t).await {
            Ok(()) => Ok(redirect("/organisation?done=withdrawn")),
            Err(e) => refused(&ctx, e),
        };
    }
    let user = ctx.get("user").to_owned();
    if user.is_empty() {
        return Ok(ctx.again(vec![field("user", ctx.lang, Msg::OrgAccountableChoose)]));
    }
    match ops::nominate(&ctx.state, &actor, &user, t).await {
        Ok(()) => Ok(redirect("/organisation?done=nominated")),
        Err(e) => refused(&ctx, e),
    }
}

async fn confirm_accountable(ctx: Ctx) -> Result<Outcome, AppError> {
    let Some(s) = ctx.session.as_ref().filter(|s| s.stage == Stage::Full) else {
        return Ok(redirect("/sign-in"));
    };
    let actor = Actor {
        user: s.user.clone(),
        ip: ctx.ip.clone(),
    };
    let raw = ctx.get("phone");
    let Some(phone) = validate::phone(raw) else {
        let msg = if raw.trim().is_empty() {
            Msg::RegPhoneMissing
        } else {
            Msg::RegPhoneBad
        };
        return Ok(ctx.again(vec![field("phone", ctx.lang, msg)]));
    };
    match ops::confirm_accountable(&ctx.state, &actor, &phone, now(&ctx)).await {
        Ok(()) => Ok(redirect("/account?accountable=confirmed")),
        Err(e) => refused(&ctx, e),
    }
}

/// Checks the "Tell HMCTS" form.
pub fn parse_request(
    values: &[(String, String)],
    lang: Lang,
    today: crate::date::Date,
) -> Result<ops::Request, Vec<crate::error::FieldError>> {
    let get = |n: &str| crate::forms::value(values, n).trim();
    let mut errors = vec![];
    let kind = get("kind");
    if kind != "close" && kind != "merge" {
        errors.push(field("kind", lang, Msg::OrgRequestKindMissing));
    }
    let (d, m, y) = (get("date-day"), get("date-month"), get("date-year"));
    let date = if d.is_empty() && m.is_empty() && y.is_empty() {
        errors.push(field("date-day", lang, Msg::OrgRequestDateMissing));
        None
    } else {
        let parsed = (d.parse::<u8>(), m.parse::<u8>(), y.parse::<i32>());
        match parsed {
            (Ok(d), Ok(m), Ok(y)) if (1000..=9999).contains(&y) => {
                match crate::date::Date::new(y, m, d) {
                    Ok(date) if date.days_since_epoch() < today.days_since_epoch() - 366 => {
                        errors.push(field("date-day", lang, Msg::OrgRequestDateFar));
                        None
                    }
                    Ok(date) if date.days_since_epoch() > today.days_since_epoch() + 3 * 366 => {
                        errors.push(field("date-day", lang, Msg::OrgRequestDateFar));
                        None
                    }
                    Ok(date) => Some(date),
                    Err(_) => {
                        errors.push(field("date-day", lang, Msg::OrgRequestDateBad));
                        None
                    }
                }
            }
            _ => {
                errors.push(field("date-day", lang, Msg::OrgRequestDateBad));
                None
            }
        }
    };
    let merge_with = validate::tidy(get("merge_with"));
    if kind == "merge" && merge_with.is_empty() {
        errors.push(field("merge_with", lang, Msg::OrgRequestMergeMissing));
    }
    let details = get("details").to_owned();
    if details.chars().count() > 2000 {
        errors.push(field("details", lang, Msg::OrgRequestDetailsLong));
    }
    match (errors.is_empty(), date) {
        (true, Some(date)) => Ok(ops::Request {
            kind: kind.to_owned(),
            effective_on: date.to_string(),
            merge_with: (kind == "merge").then_some(merge_with),
            details,
        }),
        _ => Err(errors),
    }
}

async fn tell_hmcts(ctx: Ctx, actor: Actor) -> Result<Outcome, AppError> {
    let t = now(&ctx);
    let req = match parse_request(&ctx.form, ctx.lang, crate::clock::uk_date(t)) {
        Ok(r) => r,
        Err(errors) => return Ok(ctx.again(errors)),
    };
    match ops::tell_hmcts(&ctx.state, &actor, &req, t).await {
        Ok(_) => Ok(redirect("/organisation?done=request")),
        Err(e) => refused(&ctx, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn fields(e: Vec<crate::error::FieldError>) -> Vec<String> {
        e.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn details_need_an_address_a_number_and_a_phone() {
        let r = parse_details(&v(&[("address", " "), ("postcode", "nope")]), Lang::En);
        assert_eq!(
            r.map_err(fields),
            Err(vec![
                "address".to_owned(),
                "postcode".into(),
                "laa".into(),
                "ap_phone".into()
            ])
        );
        let ok = parse_details(
            &v(&[
                ("address", "1 High St\n\n Cardiff "),
                ("postcode", "cf10 1aa"),
                ("sra", "612345"),
                ("ap_phone", "029 2000 0000"),
            ]),
            Lang::En,
        );
        let Ok(ok) = ok else { panic!("valid details") };
        assert_eq!(ok.address, "1 High St\nCardiff");
        assert_eq!(ok.postcode, "CF10 1AA");
        assert_eq!(ok.sra_number.as_deref(), Some("612345"));
        assert_eq!(ok.laa_account, None);
    }

    #[test]
    fn a_joiner_needs_names_an_email_and_a_role() {
        let r = parse_joiner(&v(&[("email", "not an email")]), Lang::Cy);
        assert_eq!(
            r.map_err(fields),
            Err(vec![
                "first_name".to_owned(),
                "last_name".into(),
                "email".into(),
                "roles".into()
            ])
        );
        let ok = parse_joiner(
            &v(&[
                ("first_name", "Rhys"),
                ("last_name", "Evans"),
                ("email", "Rhys@Firm.Example"),
                ("roles", "user"),
                ("roles", "advocate"),
            ]),
            Lang::En,
        );
        assert_eq!(
            ok.map(|j| (j.email, j.roles)),
            Ok((
                "rhys@firm.example".to_owned(),
                vec![Role::Advocate, Role::User]
            ))
        );
    }

    #[test]
    fn a_request_needs_a_kind_a_real_date_and_for_a_merger_the_other_firm() {
        let today = crate::date::Date::new(2026, 11, 21).unwrap_or_else(|_| panic!("date"));
        let r = parse_request(
            &v(&[
                ("kind", "merge"),
                ("date-day", "31"),
                ("date-month", "2"),
                ("date-year", "2027"),
            ]),
            Lang::En,
            today,
        );
        assert_eq!(
            r.map_err(fields),
            Err(vec!["date-day".to_owned(), "merge_with".into()])
        );
        let r = parse_request(&v(&[("date-day", "1")]), Lang::En, today);
        assert_eq!(
            r.map_err(fields),
            Err(vec!["kind".to_owned(), "date-day".into()])
        );
        let ok = parse_request(
            &v(&[
                ("kind", "close"),
                ("date-day", "31"),
                ("date-month", "12"),
                ("date-year", "2026"),
                ("merge_with", "ignored"),
            ]),
            Lang::En,
            today,
        );
        assert_eq!(
            ok.map(|r| (r.effective_on, r.merge_with)),
            Ok(("2026-12-31".to_owned(), None))
        );
    }
}
