//! Registering an organisation: the form's fields, their validation, and saving a registration
//! for HMCTS onboarding to check.

use super::{
    Role, TERMS_VERSION,
    actions::{Ctx, Outcome},
    store::Who,
    validate,
};
use crate::{
    email::{self, templates},
    error::{AppError, FieldError},
    forms::{field, value},
    i18n::{Lang, Msg},
};
use serde::{Deserialize, Serialize};

/// The most users one registration form takes (more can be added after approval).
pub const MAX_USERS: usize = 30;

/// A person named in a registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email (lower case).
    pub email: String,
    /// Roles.
    pub roles: Vec<Role>,
}

/// A registration as submitted (and stored as JSON until onboarding decides).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Organisation name.
    pub organisation: String,
    /// Head office address lines.
    pub address: String,
    /// Postcode.
    pub postcode: String,
    /// LAA account number.
    pub laa_account: Option<String>,
    /// SRA number.
    pub sra_number: Option<String>,
    /// Bar number.
    pub bar_number: Option<String>,
    /// Accountable person's name.
    pub accountable_name: String,
    /// Accountable person's email.
    pub accountable_email: String,
    /// Accountable person's phone.
    pub accountable_phone: String,
    /// The users to create.
    pub users: Vec<Person>,
    /// The name typed to sign the terms.
    pub terms_signed_name: String,
    /// When the terms were signed (Unix seconds).
    pub terms_signed_at: i64,
    /// Which terms.
    pub terms_version: String,
}

/// How many user rows the form shows.
pub fn user_rows(values: &[(String, String)]) -> usize {
    values
        .iter()
        .find(|(k, _)| k == "user_count")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_USERS)
}

pub(crate) struct Checker {
    pub(crate) errors: Vec<FieldError>,
    pub(crate) lang: Lang,
}

impl Checker {
    pub(crate) fn push(&mut self, id: &str, msg: Msg) {
        self.errors.push(field(id, self.lang, msg));
    }

    /// The valid value, or an error: "missing" when nothing was typed, otherwise "bad".
    pub(crate) fn need(
        &mut self,
        ok: Option<String>,
        id: &str,
        raw: &str,
        empty: Msg,
        bad: Msg,
    ) -> String {
        ok.unwrap_or_else(|| {
            self.push(id, if raw.trim().is_empty() { empty } else { bad });
            String::new()
        })
    }

    /// The address (lines tidied) and postcode fields.
    pub(crate) fn address(&mut self, values: &[(String, String)]) -> (String, String) {
        let raw = value(values, "address");
        let address: String = raw
            .lines()
            .map(validate::tidy)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let address = self.need(
            (!address.is_empty() && address.chars().count() <= 500).then_some(address),
            "address",
            raw,
            Msg::RegAddressMissing,
            Msg::RegAddressTooLong,
        );
        let pc = value(values, "postcode");
        let postcode = self.need(
            validate::postcode(pc),
            "postcode",
            pc,
            Msg::RegPostcodeMissing,
            Msg::RegPostcodeBad,
        );
        (address, postcode)
    }

    pub(crate) fn optional(
        &mut self,
        values: &[(String, String)],
        id: &str,
        f: fn(&str) -> Option<String>,
        bad: Msg,
    ) -> Option<String> {
        let raw = value(values, id);
        if raw.trim().is_empty() {
            return None;
        }
        let v = f(raw);
        if v.is_none() {
            self.push(id, bad);
        }
        v
    }
}

/// Checks a posted firm registration: every problem, in page order, or the registration.
pub fn parse(
    values: &[(String, String)],
    lang: Lang,
    now: i64,
) -> Result<Registration, Vec<FieldError>> {
    let mut c = Checker {
        errors: vec![],
        lang,
    };
    let org_raw = value(values, "organisation");
    let organisation = validate::tidy(org_raw);
    let organisation = c.need(
        (!organisation.is_empty() && organisation.chars().count() <= 200).then_some(organisation),
        "organisation",
        org_raw,
        Msg::RegOrgMissing,
        Msg::RegOrgTooLong,
    );
    let (address, postcode) = c.address(values);
    let laa_account = c.optional(values, "laa", validate::laa_account, Msg::RegLaaBad);
    let sra_number = c.optional(values, "sra", validate::sra_number, Msg::RegSraBad);
    let bar_number = c.optional(values, "bar", validate::bar_number, Msg::RegBarBad);
    if [
        value(values, "laa"),
        value(values, "sra"),
        value(values, "bar"),
    ]
    .iter()
    .all(|v| v.trim().is_empty())
    {
        c.push("laa", Msg::RegNumberMissing);
    }
    let accountable_name = c.need(
        validate::name(value(values, "ap_name")),
        "ap_name",
        value(values, "ap_name"),
        Msg::RegApNameMissing,
        Msg::RegNameBad,
    );
    let accountable_email = c.need(
        validate::email(value(values, "ap_email")),
        "ap_email",
        value(values, "ap_email"),
        Msg::RegEmailMissing,
        Msg::RegEmailBad,
    );
    let accountable_phone = c.need(
        validate::phone(value(values, "ap_phone")),
        "ap_phone",
        value(values, "ap_phone"),
        Msg::RegPhoneMissing,
        Msg::RegPhoneBad,
    );

    let mut users = vec![];
    let mut seen = std::collections::HashSet::new();
    for i in 1..=user_rows(values) {
        let f = |n: &str| format!("user{i}_{n}");
        let raw: Vec<&str> = ["first", "last", "email", "role"]
            .iter()
            .map(|n| value(values, &f(n)))
            .collect();
        if raw.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let first_name = c.need(
            validate::name(raw[0]),
            &f("first"),
            raw[0],
            Msg::RegFirstMissing,
            Msg::RegNameBad,
        );
        let last_name = c.need(
            validate::name(raw[1]),
            &f("last"),
            raw[1],
            Msg::RegLastMissing,
            Msg::RegNameBad,
        );
        let email = c.need(
            validate::email(raw[2]),
            &f("email"),
            raw[2],
            Msg::RegEmailMissing,
            Msg::RegEmailBad,
        );
        if !email.is_empty() && !seen.insert(email.clone()) {
            c.push(&f("email"), Msg::RegEmailDuplicate);
        }
        let role = Role::from_code(raw[3]);
        if role.is_none() {
            c.push(&f("role"), Msg::RegRoleMissing);
        }
        users.push(Person {
            first_name,
            last_name,
            email,
            roles: role.into_iter().collect(),
        });
    }
    if users.is_empty() {
        c.push("user1_first", Msg::RegUsersMissing);
    } else if !users.iter().any(|u| u.roles.contains(&Role::Administrator)) {
        c.push("user1_role", Msg::RegAdminMissing);
    }
    let signed = validate::tidy(value(values, "terms_name"));
    if signed.is_empty() {
        c.push("terms_name", Msg::RegTermsMissing);
    } else if !accountable_name.is_empty()
        && signed.to_lowercase() != accountable_name.to_lowercase()
    {
        c.push("terms_name", Msg::RegTermsMismatch);
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Registration {
        organisation,
        address,
        postcode,
        laa_account,
        sra_number,
        bar_number,
        accountable_name,
        accountable_email,
        accountable_phone,
        users,
        terms_signed_name: signed,
        terms_signed_at: now,
        terms_version: TERMS_VERSION.to_owned(),
    })
}

/// Checks the self-employed barrister's short form: one person who is the organisation, its
/// accountable person, its administrator and an advocate.
pub fn parse_barrister(
    values: &[(String, String)],
    lang: Lang,
    now: i64,
) -> Result<Registration, Vec<FieldError>> {
    let mut c = Checker {
        errors: vec![],
        lang,
    };
    let first_name = c.need(
        validate::name(value(values, "first")),
        "first",
        value(values, "first"),
        Msg::RegFirstMissing,
        Msg::RegNameBad,
    );
    let last_name = c.need(
        validate::name(value(values, "last")),
        "last",
        value(values, "last"),
        Msg::RegLastMissing,
        Msg::RegNameBad,
    );
    let email = c.need(
        validate::email(value(values, "email")),
        "email",
        value(values, "email"),
        Msg::RegEmailMissing,
        Msg::RegEmailBad,
    );
    let phone = c.need(
        validate::phone(value(values, "phone")),
        "phone",
        value(values, "phone"),
        Msg::RegPhoneMissing,
        Msg::RegPhoneBad,
    );
    let bar = value(values, "bar");
    let bar_number = c.need(
        validate::bar_number(bar),
        "bar",
        bar,
        Msg::RegBarMissing,
        Msg::RegBarBad,
    );
    let chambers = validate::tidy(value(values, "chambers"));
    if chambers.chars().count() > 200 {
        c.push("chambers", Msg::RegOrgTooLong);
    }
    let (address, postcode) = c.address(values);
    let name = format!("{first_name} {last_name}");
    let signed = validate::tidy(value(values, "terms_name"));
    if signed.is_empty() {
        c.push("terms_name", Msg::RegTermsMissing);
    } else if !first_name.is_empty()
        && !last_name.is_empty()
        && signed.to_lowercase() != name.to_lowercase()
    {
        c.push("terms_name", Msg::RegTermsMismatchBarrister);
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let organisation = if chambers.is_empty() {
        name.clone()
    } else {
        format!("{name}, {chambers}")
    };
    Ok(Registration {
        organisation,
        address,
        postcode,
        laa_account: None,
        sra_number: None,
        bar_number: Some(bar_number),
        accountable_name: name,
        accountable_email: email.clone(),
        accountable_phone: phone,
        users: vec![Person {
            first_name,
            last_name,
            email,
            roles: vec![Role::Administrator, Role::Advocate],
        }],
        terms_signed_name: signed,
        terms_signed_at: now,
        terms_version: TERMS_VERSION.to_owned(),
    })
}

/// The barrister form's post.
pub async fn post_barrister(ctx: Ctx) -> Result<Outcome, AppError> {
    let now = ctx.state.clock.now_unix();
    match parse_barrister(&ctx.form, ctx.lang, now) {
        Err(errors) => Ok(ctx.again(errors)),
        Ok(reg) => submit(&ctx, &reg, now).await,
    }
}

/// Saves a valid registration from the web, throttled per accountable email and per client
/// address (each one emails and writes an audit event): past the allowance the form comes back
/// with the wait and its values, and nothing is written.
async fn submit(ctx: &Ctx, reg: &Registration, now: i64) -> Result<Outcome, AppError> {
    let keys = [
        super::throttle::register_key(&reg.accountable_email),
        super::throttle::register_ip_key(&ctx.ip),
    ];
    if let Err(wait) = super::throttle::attempt(&ctx.state.db, &keys, now)
        .await
        .map_err(AppError::internal)?
    {
        return Ok(ctx.again_notice(super::actions::wait_message(ctx.lang, wait)));
    }
    save(&ctx.state, reg, "web", &Who::anonymous(&ctx.ip), now)
        .await
        .map_err(AppError::internal)?;
    Ok(Outcome::Redirect {
        to: "/register/submitted".into(),
        cookies: vec![],
    })
}

/// Saves a registration for onboarding, with the "received" email, in one transaction.
pub async fn save(
    state: &crate::state::AppState,
    reg: &Registration,
    source: &str,
    who: &Who,
    now: i64,
) -> Result<String, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let id = save_in(&mut tx, &state.mail, reg, source, who, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Saves a registration in the caller's transaction (an import saves many in one).
pub async fn save_in(
    tx: &mut sqlx::AnyConnection,
    mail: &crate::email::MailSettings,
    reg: &Registration,
    source: &str,
    who: &Who,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = super::token::new_id();
    let data = serde_json::to_string(reg).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO registrations (id, status, source, organisation, data, submitted_at) \
         VALUES ($1, 'pending', $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(source)
    .bind(&reg.organisation)
    .bind(&data)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let message = templates::registration_received(
        mail,
        &reg.accountable_email,
        &reg.accountable_name,
        &reg.organisation,
    );
    email::enqueue(tx, mail, &message, now).await?;
    who.audit(
        tx,
        "registration.submitted",
        Some(format!("registration:{id}")),
        serde_json::json!({ "organisation": reg.organisation, "users": reg.users.len(), "source": source }),
        now,
    )
    .await?;
    Ok(id)
}

/// The registration form's post: "add another user", or submit.
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    if !ctx.get("add_user").is_empty() {
        let mut values = ctx.form.clone();
        let n = (user_rows(&values) + 1).min(MAX_USERS);
        values.retain(|(k, _)| k != "user_count" && k != "add_user");
        values.push(("user_count".into(), n.to_string()));
        return Ok(Outcome::Render(crate::forms::Posted {
            values,
            errors: vec![],
            notice: None,
        }));
    }
    let now = ctx.state.clock.now_unix();
    match parse(&ctx.form, ctx.lang, now) {
        Err(errors) => Ok(ctx.again(errors)),
        Ok(reg) => submit(&ctx, &reg, now).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_barrister_registers_an_organisation_of_one() {
        let f = form(&[
            ("first", "Rhian"),
            ("last", "Owen"),
            ("email", "Rhian.Owen@Chambers.example"),
            ("phone", "029 2000 1111"),
            ("bar", "123456"),
            ("chambers", "Angel Chambers"),
            ("address", "9 Park Place\nCardiff"),
            ("postcode", "cf10 3dq"),
            ("terms_name", "rhian owen"),
        ]);
        let reg = parse_barrister(&f, Lang::En, 100).unwrap();
        assert_eq!(reg.organisation, "Rhian Owen, Angel Chambers");
        assert_eq!(reg.bar_number.as_deref(), Some("123456"));
        assert_eq!(reg.accountable_email, "rhian.owen@chambers.example");
        assert_eq!(reg.users.len(), 1);
        assert_eq!(
            reg.users[0].roles,
            vec![Role::Administrator, Role::Advocate]
        );
        assert_eq!(reg.terms_signed_at, 100);

        let errors =
            parse_barrister(&form(&[("bar", "12"), ("terms_name", "x")]), Lang::En, 1).unwrap_err();
        let ids: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "first", "last", "email", "phone", "bar", "address", "postcode"
            ],
            "every problem, in page order (the signature is checked once the name is known)"
        );
        let mut wrong = f.clone();
        wrong.retain(|(k, _)| k != "terms_name");
        wrong.push(("terms_name".into(), "Someone Else".into()));
        let errors = parse_barrister(&wrong, Lang::En, 1).unwrap_err();
        assert_eq!(errors[0].field, "terms_name");
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn good() -> Vec<(String, String)> {
        form(&[
            ("organisation", "Pritchard & Co Solicitors"),
            ("address", "1 High Street\nCardiff"),
            ("postcode", "cf101et"),
            ("laa", "2n345k"),
            ("ap_name", "Aled Pritchard"),
            ("ap_email", "Aled@Pritchard.example"),
            ("ap_phone", "029 2000 0000"),
            ("user_count", "2"),
            ("user1_first", "Aled"),
            ("user1_last", "Pritchard"),
            ("user1_email", "aled@pritchard.example"),
            ("user1_role", "administrator"),
            ("user2_first", ""),
            ("user2_last", ""),
            ("user2_email", ""),
            ("terms_name", "aled pritchard"),
        ])
    }

    #[test]
    fn a_good_registration_is_normalised() {
        let r = parse(&good(), Lang::En, 100).unwrap();
        assert_eq!(r.postcode, "CF10 1ET");
        assert_eq!(r.laa_account.as_deref(), Some("2N345K"));
        assert_eq!(r.accountable_email, "aled@pritchard.example");
        assert_eq!(r.users.len(), 1, "empty rows are ignored");
        assert_eq!(r.terms_signed_at, 100);
    }

    #[test]
    fn every_problem_is_reported_in_page_order() {
        let errs = parse(&form(&[("postcode", "nope"), ("sra", "12x")]), Lang::En, 0).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "organisation",
                "address",
                "postcode",
                "sra",
                "ap_name",
                "ap_email",
                "ap_phone",
                "user1_first",
                "terms_name"
            ]
        );
    }

    #[test]
    fn needs_a_number_an_administrator_and_a_matching_signature() {
        let mut f = good();
        f.retain(|(k, _)| k != "laa");
        for (k, v) in f.iter_mut() {
            if k == "user1_role" {
                *v = "user".into();
            }
            if k == "terms_name" {
                *v = "Someone Else".into();
            }
        }
        let errs = parse(&f, Lang::En, 0).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["laa", "user1_role", "terms_name"]);
    }

    #[test]
    fn duplicate_user_emails_are_refused() {
        let mut f = good();
        f.extend(form(&[
            ("user2_first", "Bea"),
            ("user2_last", "Jones"),
            ("user2_email", "ALED@pritchard.example"),
            ("user2_role", "user"),
        ]));
        f.retain(|(k, v)| !(k.starts_with("user2_") && v.is_empty()));
        let errs = parse(&f, Lang::En, 0).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["user2_email"]
        );
    }

    /// The defect review found: each post to /register emailed any address and appended audit
    /// rows, unlimited. Valid registrations naming one accountable email are throttled: past
    /// the allowance the form comes back with its values and the wait, and nothing is written.
    #[tokio::test]
    async fn registrations_are_throttled_and_a_refused_one_writes_nothing() {
        for (db, _guard) in crate::db::testing::all().await {
            let name = format!("{:?}", db.backend);
            let state = crate::state::for_tests(db.clone(), 1_795_251_600);
            let count = |table: &'static str| {
                let db = db.clone();
                async move {
                    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                        .fetch_one(&db.pool)
                        .await
                        .unwrap();
                    n
                }
            };
            let ctx = || Ctx {
                state: state.clone(),
                lang: Lang::En,
                session: None,
                ip: "192.0.2.20".into(),
                user_agent: "t".into(),
                cookies: String::new(),
                files: vec![],
                params: vec![],
                form: good(),
            };
            for i in 0..super::super::throttle::FREE_FAILURES {
                let out = post(ctx()).await.unwrap();
                assert!(
                    matches!(&out, Outcome::Redirect { to, .. } if to == "/register/submitted"),
                    "{name} #{i}: {out:?}"
                );
            }
            let (registrations, emails, events) = (
                count("registrations").await,
                count("outbox").await,
                count("audit_events").await,
            );
            let out = post(ctx()).await.unwrap();
            let Outcome::Render(posted) = out else {
                panic!("{name}: the form again");
            };
            assert!(posted.notice.is_some(), "{name}: the wait is said");
            assert_eq!(
                posted.value("organisation"),
                Some("Pritchard & Co Solicitors"),
                "{name}: nothing typed is lost"
            );
            assert_eq!(count("registrations").await, registrations, "{name}");
            assert_eq!(count("outbox").await, emails, "{name}");
            assert_eq!(count("audit_events").await, events, "{name}");
        }
    }
}
