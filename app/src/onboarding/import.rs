//! Importing the registration spreadsheet as CSV (HMCTS onboarding): one row per user, the
//! organisation's details on each row (rows with the same organisation name make one
//! registration). Every row is checked with the same rules as the web form; a preview lists
//! every problem by line before anything is saved, and an import saves all or nothing.

use crate::accounts::{
    register::{self, Registration},
    roles_from_cell as roles,
};
use crate::csv_file::LineError;
use crate::i18n::{Lang, Msg};

/// The columns, in the order the template has them.
pub const COLUMNS: [&str; 14] = [
    "organisation",
    "address",
    "postcode",
    "laa_account",
    "sra_number",
    "bar_number",
    "accountable_name",
    "accountable_email",
    "accountable_phone",
    "terms_signed_name",
    "user_first_name",
    "user_last_name",
    "user_email",
    "user_roles",
];

/// The most rows one file may have.
pub const MAX_ROWS: usize = 2000;

/// A row of the file: its line number and its cells in [`COLUMNS`] order.
type Row = (usize, Vec<String>);

/// A registration from the file and the lines it came from.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The registration.
    pub registration: Registration,
    /// Its rows' line numbers.
    pub lines: Vec<usize>,
}

fn column_label(field: &str) -> &str {
    match field {
        "laa" => "laa_account",
        "sra" => "sra_number",
        "bar" => "bar_number",
        "ap_name" => "accountable_name",
        "ap_email" => "accountable_email",
        "ap_phone" => "accountable_phone",
        "terms_name" => "terms_signed_name",
        f if f.ends_with("_first") => "user_first_name",
        f if f.ends_with("_last") => "user_last_name",
        f if f.ends_with("_email") => "user_email",
        f if f.ends_with("_role") => "user_roles",
        f => f,
    }
}

/// Checks a whole file: the registrations, or every problem found, by line.
pub fn parse(text: &str, lang: Lang, now: i64) -> Result<Vec<Parsed>, Vec<LineError>> {
    let err = |line: usize, message: String| LineError { line, message };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_lowercase()).collect(),
        Err(_) => return Err(vec![err(1, lang.t(Msg::ImportNotCsv).to_owned())]),
    };
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(vec![err(
            1,
            lang.tf(
                Msg::ImportMissingColumns,
                &[("columns", &missing.join(", "))],
            ),
        )]);
    }
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or(0);
    let idx: Vec<usize> = COLUMNS.iter().map(|c| col(c)).collect();

    // Group the rows by organisation name, keeping file order.
    let mut errors = vec![];
    let mut groups: Vec<(String, Vec<Row>)> = vec![];
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if line > MAX_ROWS + 1 {
            errors.push(err(line, lang.t(Msg::ImportTooMany).to_owned()));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push(err(line, lang.t(Msg::ImportNotCsv).to_owned()));
                continue;
            }
        };
        let cells: Vec<String> = idx
            .iter()
            .map(|i| record.get(*i).unwrap_or_default().to_owned())
            .collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let key = cells[0].to_lowercase();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push((line, cells)),
            None => groups.push((key, vec![(line, cells)])),
        }
    }
    if groups.is_empty() && errors.is_empty() {
        return Err(vec![err(1, lang.t(Msg::ImportEmpty).to_owned())]);
    }

    let mut out = vec![];
    let mut seen_emails = std::collections::HashMap::<String, usize>::new();
    for (_, rows) in groups {
        let (first_line, first) = &rows[0];
        // Organisation columns must agree on every row (blank means "as above").
        for (line, cells) in &rows[1..] {
            for c in 1..10 {
                if !cells[c].is_empty() && cells[c] != first[c] {
                    errors.push(err(
                        *line,
                        lang.tf(Msg::ImportDiffers, &[("column", COLUMNS[c])]),
                    ));
                }
            }
        }
        let mut values: Vec<(String, String)> = [
            "organisation",
            "address",
            "postcode",
            "laa",
            "sra",
            "bar",
            "ap_name",
            "ap_email",
            "ap_phone",
            "terms_name",
        ]
        .iter()
        .zip(first.iter())
        .map(|(k, v)| ((*k).to_owned(), v.replace(" | ", "\n")))
        .collect();
        values.push(("user_count".into(), rows.len().to_string()));
        let mut role_lists = vec![];
        for (i, (line, cells)) in rows.iter().enumerate() {
            let u = i + 1;
            let parsed_roles = roles(&cells[13]);
            if parsed_roles.is_none() {
                errors.push(err(
                    *line,
                    format!("user_roles: {}", lang.t(Msg::ImportRolesBad)),
                ));
            }
            let first_role = parsed_roles
                .as_ref()
                .and_then(|r| r.first())
                .map_or("", |r| r.code());
            values.push((format!("user{u}_first"), cells[10].clone()));
            values.push((format!("user{u}_last"), cells[11].clone()));
            values.push((format!("user{u}_email"), cells[12].clone()));
            values.push((format!("user{u}_role"), first_role.to_owned()));
            role_lists.push(parsed_roles.unwrap_or_default());
            let email = cells[12].trim().to_lowercase();
            if !email.is_empty()
                && let Some(other) = seen_emails.insert(email, *line)
                && rows.iter().all(|(l, _)| *l != other)
            {
                errors.push(err(
                    *line,
                    lang.tf(Msg::ImportEmailElsewhere, &[("line", &other.to_string())]),
                ));
            }
        }
        let line_of = |field: &str| -> usize {
            field
                .strip_prefix("user")
                .and_then(|rest| rest.split('_').next())
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| rows.get(n - 1))
                .map_or(*first_line, |(l, _)| *l)
        };
        match register::parse(&values, lang, now) {
            Ok(mut registration) => {
                // The form takes one role per user; the spreadsheet may give several.
                for (user, roles) in registration.users.iter_mut().zip(role_lists) {
                    if !roles.is_empty() {
                        user.roles = roles;
                    }
                }
                if rows.len() > register::MAX_USERS {
                    errors.push(err(*first_line, lang.t(Msg::ImportTooManyUsers).to_owned()));
                }
                out.push(Parsed {
                    registration,
                    lines: rows.iter().map(|(l, _)| *l).collect(),
                });
            }
            Err(field_errors) => {
                for e in field_errors {
                    // "Add an administrator" concerns the whole organisation.
                    let line = line_of(&e.field);
                    errors.push(err(
                        line,
                        format!("{}: {}", column_label(&e.field), e.message),
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        errors.dedup();
        Err(errors)
    }
}

/// `POST /onboarding/import`: `step=preview` (a file) or `step=import` (the previewed text).
pub async fn post(ctx: crate::web::Ctx) -> Result<crate::web::Outcome, crate::error::AppError> {
    use crate::forms::{Posted, field};
    use crate::web::Outcome;
    let s = super::decide::officer(&ctx)?;
    let lang = ctx.lang;
    let step = ctx.get("step").to_owned();
    let text = match crate::csv_file::posted(&ctx, "csv") {
        Ok(text) => text,
        Err(msg) => {
            return Ok(Outcome::Render(Posted {
                values: vec![("step".into(), step)],
                errors: vec![field("csv", lang, msg)],
                notice: None,
            }));
        }
    };
    let keep = |errors, notice| {
        Outcome::Render(Posted {
            values: vec![("csv".into(), text.clone()), ("step".into(), step.clone())],
            errors,
            notice,
        })
    };
    if text.trim().is_empty() {
        return Ok(keep(vec![field("csv", lang, Msg::ImportChooseFile)], None));
    }
    let now = ctx.state.clock.now_unix();
    let parsed = match parse(&text, lang, now) {
        Ok(p) => p,
        Err(_) => return Ok(keep(vec![field("csv", lang, Msg::ImportHasErrors)], None)),
    };
    if step != "import" {
        return Ok(keep(vec![], None));
    }
    let who = crate::accounts::store::Who::user(&s.user, &ctx.ip);
    let mut tx = ctx
        .state
        .db
        .begin()
        .await
        .map_err(crate::error::AppError::internal)?;
    for p in &parsed {
        register::save_in(&mut tx, &ctx.state.mail, &p.registration, "csv", &who, now)
            .await
            .map_err(crate::error::AppError::internal)?;
    }
    who.audit(
        &mut tx,
        "registration.imported",
        None,
        serde_json::json!({ "registrations": parsed.len() }),
        now,
    )
    .await
    .map_err(crate::error::AppError::internal)?;
    tx.commit()
        .await
        .map_err(crate::error::AppError::internal)?;
    Ok(Outcome::Redirect {
        to: format!("/onboarding?imported={}", parsed.len()),
        cookies: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;

    const HEADER: &str = "organisation,address,postcode,laa_account,sra_number,bar_number,accountable_name,accountable_email,accountable_phone,terms_signed_name,user_first_name,user_last_name,user_email,user_roles\n";

    #[test]
    fn rows_group_into_registrations() {
        let text = format!(
            "{HEADER}\
             Pritchard & Co,1 High Street | Cardiff,CF10 1ET,2N345K,,,Aled Pritchard,aled@p.example,029 2000 0000,Aled Pritchard,Aled,Pritchard,aled@p.example,administrator;advocate\n\
             Pritchard & Co,,,,,,,,,,Bethan,Lloyd,bethan@p.example,user\n\
             Jones Chambers,2 Park Place,CF10 3DQ,,,A12345,Ceri Jones,ceri@j.example,029 2000 1111,Ceri Jones,Ceri,Jones,ceri@j.example,administrator+advocate\n"
        );
        let regs = parse(&text, Lang::En, 100).unwrap();
        assert_eq!(regs.len(), 2);
        assert_eq!(regs[0].lines, vec![2, 3]);
        let r = &regs[0].registration;
        assert_eq!(r.address, "1 High Street\nCardiff");
        assert_eq!(r.users.len(), 2);
        assert_eq!(r.users[0].roles, vec![Role::Administrator, Role::Advocate]);
        assert_eq!(r.users[1].roles, vec![Role::User]);
        assert_eq!(regs[1].registration.bar_number.as_deref(), Some("A12345"));
    }

    #[test]
    fn every_problem_is_listed_by_line() {
        let text = format!(
            "{HEADER}\
             Pritchard & Co,1 High Street,CF10 1ET,bad,,,Aled Pritchard,aled@p.example,029 2000 0000,Aled Pritchard,Aled,Pritchard,aled@p.example,administrator\n\
             Pritchard & Co,,XX,,,,,,,,Bethan,Lloyd,not-an-email,boss\n\
             Jones Chambers,2 Park Place,CF10 3DQ,,,A12345,Ceri Jones,ceri@j.example,029 2000 1111,Ceri Jones,Ceri,Jones,aled@p.example,user\n"
        );
        let errors = parse(&text, Lang::En, 100).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert!(
            errors
                .iter()
                .any(|e| e.line == 2 && e.message.starts_with("laa_account")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.line == 3 && e.message.contains("postcode")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.line == 3 && e.message.starts_with("user_roles")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.line == 3 && e.message.starts_with("user_email")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.line == 4 && e.message.contains("line 2")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.line == 4 && e.message.starts_with("user_roles")),
            "Jones Chambers has no administrator: {errors:?}"
        );
        let mut sorted = lines.clone();
        sorted.sort_unstable();
        assert_eq!(lines, sorted, "in file order");
    }

    #[test]
    fn a_file_that_is_not_the_template_is_refused_clearly() {
        let e = parse("name,email\nA,b@c.example\n", Lang::En, 1).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 1);
        assert!(e[0].message.contains("organisation"), "{e:?}");
        let e = parse(HEADER, Lang::En, 1).unwrap_err();
        assert_eq!(e[0].line, 1, "no rows");
        let e = parse(&format!("\u{feff}{HEADER}"), Lang::Cy, 1).unwrap_err();
        assert_eq!(e[0].line, 1, "a byte-order mark is fine; still no rows");
    }
}
