//! Adding many users at once from a CSV file in the registration spreadsheet's user-details
//! format (`user_first_name`, `user_last_name`, `user_email`, `user_roles`; the `user_` prefix
//! may be left off). Upload, a preview with every row's problems, then all or nothing.

use super::{
    forms::admin,
    ops::{self, Joiner, OpError},
    pages::OrgNav,
};
use crate::{
    accounts::{roles_from_cell as roles, validate},
    csv_file::LineError,
    error::AppError,
    forms::{ErrorSummary, Hidden, Posted, field, form_title, use_posted},
    i18n::{Lang, Msg, PluralMsg, use_lang},
    web::{Ctx, Outcome, redirect, state},
};
use leptos::prelude::*;

/// The columns, as the registration spreadsheet names them.
pub const COLUMNS: [&str; 4] = [
    "user_first_name",
    "user_last_name",
    "user_email",
    "user_roles",
];
/// The most users one file may add.
pub const MAX_ROWS: usize = 500;

/// Checks a file: the users (with their line numbers), or every problem by line.
pub fn parse(text: &str, lang: Lang) -> Result<Vec<(usize, Joiner)>, Vec<LineError>> {
    let err = |line: usize, message: String| LineError { line, message };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|s| {
                let s = s.to_lowercase();
                if s.starts_with("user_") {
                    s
                } else {
                    format!("user_{s}")
                }
            })
            .collect(),
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
    let idx: Vec<usize> = COLUMNS
        .iter()
        .map(|c| headers.iter().position(|h| h == c).unwrap_or(0))
        .collect();
    let mut errors = vec![];
    let mut out: Vec<(usize, Joiner)> = vec![];
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut rows = 0;
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let Ok(record) = record else {
            errors.push(err(line, lang.t(Msg::ImportNotCsv).to_owned()));
            continue;
        };
        let cells: Vec<&str> = idx
            .iter()
            .map(|i| record.get(*i).unwrap_or_default())
            .collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            errors.push(err(line, lang.t(Msg::OrgImportTooMany).to_owned()));
            break;
        }
        let mut problems = vec![];
        let mut need = |ok: Option<String>, raw: &str, column: &str, empty: Msg, bad: Msg| {
            ok.unwrap_or_else(|| {
                let m = if raw.trim().is_empty() { empty } else { bad };
                problems.push(format!("{column}: {}", lang.t(m)));
                String::new()
            })
        };
        let first_name = need(
            validate::name(cells[0]),
            cells[0],
            COLUMNS[0],
            Msg::RegFirstMissing,
            Msg::RegNameBad,
        );
        let last_name = need(
            validate::name(cells[1]),
            cells[1],
            COLUMNS[1],
            Msg::RegLastMissing,
            Msg::RegNameBad,
        );
        let email = need(
            validate::email(cells[2]),
            cells[2],
            COLUMNS[2],
            Msg::RegEmailMissing,
            Msg::RegEmailBad,
        );
        let role_list = roles(cells[3]);
        if role_list.is_none() {
            problems.push(format!("{}: {}", COLUMNS[3], lang.t(Msg::ImportRolesBad)));
        }
        if !email.is_empty()
            && let Some(other) = seen.insert(email.clone(), line)
        {
            problems.push(lang.tf(Msg::OrgImportDuplicate, &[("line", &other.to_string())]));
        }
        if problems.is_empty() {
            out.push((
                line,
                Joiner {
                    first_name,
                    last_name,
                    email,
                    roles: role_list.unwrap_or_default(),
                },
            ));
        } else {
            errors.extend(problems.into_iter().map(|m| err(line, m)));
        }
    }
    if out.is_empty() && errors.is_empty() {
        return Err(vec![err(1, lang.t(Msg::ImportEmpty).to_owned())]);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The problems only the database knows: emails already used by this organisation's current
/// users, or by anyone elsewhere.
pub async fn check_existing(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    rows: &[(usize, Joiner)],
    lang: Lang,
) -> Result<Vec<LineError>, sqlx::Error> {
    let mut out = vec![];
    for (line, j) in rows {
        let found: Option<(Option<String>, String)> =
            sqlx::query_as("SELECT organisation_id, status FROM users WHERE email = $1")
                .bind(&j.email)
                .fetch_optional(&mut *conn)
                .await?;
        let msg = match found {
            Some((Some(o), status)) if o == org_id && status != "removed" => {
                Some(Msg::OrgEmailAlreadyUser)
            }
            Some((Some(o), _)) if o == org_id => None,
            Some(_) => Some(Msg::OrgEmailTaken),
            None => None,
        };
        if let Some(m) = msg {
            out.push(LineError {
                line: *line,
                message: format!("user_email: {}", lang.t(m)),
            });
        }
    }
    Ok(out)
}

fn keep(text: &str, step: &str, errors: Vec<crate::error::FieldError>) -> Outcome {
    Outcome::Render(Posted {
        values: vec![
            ("csv".into(), text.to_owned()),
            ("step".into(), step.to_owned()),
        ],
        errors,
        notice: None,
    })
}

/// The form post: `step=preview` checks, `step=import` adds.
pub async fn post(ctx: Ctx) -> Result<Outcome, AppError> {
    let Some(actor) = admin(&ctx) else {
        return Err(AppError::NotFound);
    };
    let lang = ctx.lang;
    let step = ctx.get("step").to_owned();
    let text = match crate::csv_file::posted(&ctx, "csv") {
        Ok(text) => text,
        Err(msg) => return Ok(keep("", &step, vec![field("csv", lang, msg)])),
    };
    if text.trim().is_empty() {
        return Ok(keep(
            &text,
            &step,
            vec![field("csv", lang, Msg::ImportChooseFile)],
        ));
    }
    let Ok(rows) = parse(&text, lang) else {
        return Ok(keep(
            &text,
            &step,
            vec![field("csv", lang, Msg::ImportHasErrors)],
        ));
    };
    if step != "import" {
        return Ok(keep(&text, &step, vec![]));
    }
    let joiners: Vec<Joiner> = rows.into_iter().map(|(_, j)| j).collect();
    let now = ctx.state.clock.now_unix();
    match ops::add_users(&ctx.state, &actor, &joiners, "csv", now).await {
        Ok(ids) => Ok(redirect(&format!(
            "/organisation/users?added={}",
            ids.len()
        ))),
        Err(OpError::Db(e)) => Err(AppError::internal(e)),
        // Something changed since the preview: show it again, with the problems now.
        Err(_) => Ok(keep(
            &text,
            "preview",
            vec![field("csv", lang, Msg::ImportHasErrors)],
        )),
    }
}

/// `/organisation/users/import`.
#[component]
pub fn ImportUsersPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let text = posted.value("csv").unwrap_or_default().to_owned();
    let file_error = posted.error("csv").map(str::to_owned);
    let has_file_error = file_error.is_some();
    let t2 = text.clone();
    let load = async move {
        if t2.trim().is_empty() {
            return None;
        }
        let result = match parse(&t2, lang) {
            Err(e) => Err(e),
            Ok(rows) => {
                let state = state()?;
                let org_id = super::pages::admin()?.organisation_id?;
                let mut conn = state.db.pool.acquire().await.ok()?;
                let existing = check_existing(&mut conn, &org_id, &rows, lang).await.ok()?;
                if existing.is_empty() {
                    Ok(rows)
                } else {
                    Err(existing)
                }
            }
        };
        Some(result)
    };
    view! {
        {form_title(Msg::OrgImportTitle)}
        <ErrorSummary />
        <a class="govuk-back-link" href="/organisation/users">{lang.t(Msg::OrgBackToUsers)}</a>
        <h1 class="govuk-heading-l">{lang.t(Msg::OrgImportTitle)}</h1>
        <OrgNav current="/organisation/users" />
        <Suspense>
            {Suspend::new(async move {
                let text = text.clone();
                match load.await {
                    Some(Err(errors)) => view! {
                        <crate::csv_file::LineProblems errors=errors />
                    }.into_any(),
                    Some(Ok(rows)) => {
                        let n = rows.len() as u64;
                        view! {
                            <h2 class="govuk-heading-m">{lang.t(Msg::ImportPreviewTitle)}</h2>
                            <table class="govuk-table" id="import-preview">
                                <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::ImportPreviewTitle)}</caption>
                                <thead class="govuk-table__head">
                                    <tr class="govuk-table__row">
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::ImportLine)}</th>
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::OrgColName)}</th>
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::RegEmail)}</th>
                                        <th scope="col" class="govuk-table__header">{lang.t(Msg::OrgColRoles)}</th>
                                    </tr>
                                </thead>
                                <tbody class="govuk-table__body">
                                    {rows.into_iter().map(|(line, j)| view! {
                                        <tr class="govuk-table__row">
                                            <td class="govuk-table__cell">{line}</td>
                                            <td class="govuk-table__cell">{format!("{} {}", j.first_name, j.last_name)}</td>
                                            <td class="govuk-table__cell">{j.email.clone()}</td>
                                            <td class="govuk-table__cell">{j.roles.iter().map(|r| lang.t(r.label())).collect::<Vec<_>>().join(", ")}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <form method="post" action="/organisation/users/import">
                                <Hidden name="csv" value=text />
                                <Hidden name="step" value="import" />
                                <button type="submit" class="govuk-button" data-prevent-double-click="true">
                                    {lang.tp(PluralMsg::OrgImportButton, n)}
                                </button>
                            </form>
                        }.into_any()
                    }
                    None => ().into_any(),
                }
            })}
        </Suspense>
        <form method="post" action="/organisation/users/import" enctype="multipart/form-data" novalidate>
            <Hidden name="step" value="preview" />
            <div class=if has_file_error { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                <label class="govuk-label govuk-label--m" for="csv">{lang.t(Msg::OrgImportFileLabel)}</label>
                <div id="csv-hint" class="govuk-hint">{lang.t(Msg::OrgImportFileHint)}</div>
                <crate::forms::FieldErrorMessage id="csv".to_owned() message=file_error />
                <input class=if has_file_error { "govuk-file-upload govuk-file-upload--error" } else { "govuk-file-upload" }
                    id="csv" name="csv" type="file" accept=".csv,text/csv" aria-describedby="csv-hint" />
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary">{lang.t(Msg::ImportPreviewButton)}</button>
        </form>
        <details class="govuk-details">
            <summary class="govuk-details__summary"><span class="govuk-details__summary-text">{lang.t(Msg::ImportColumnsTitle)}</span></summary>
            <div class="govuk-details__text">
                <p class="govuk-body">{lang.t(Msg::OrgImportColumnsIntro)}</p>
                <pre class="app-csv-example"><code>"user_first_name,user_last_name,user_email,user_roles\nRhian,Owen,rhian.owen@firm.example,administrator;advocate\nTom,Price,tom.price@firm.example,user"</code></pre>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_listed_by_line() {
        let csv = "user_first_name,user_last_name,user_email,user_roles\n\
                   Rhian,Owen,rhian@firm.example,administrator;advocate\n\
                   ,Price,not-an-email,boss\n\
                   Tom,Price,RHIAN@firm.example,user\n";
        let Err(errors) = parse(csv, Lang::En) else {
            panic!("the file has problems")
        };
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 3, 3, 4]);
        assert!(errors[3].message.contains("line 2"), "{errors:?}");
    }

    #[test]
    fn a_good_file_without_the_prefix_or_with_a_bom_is_read() {
        let csv = "\u{feff}First_Name,Last_Name,Email,Roles\nRhian,Owen,Rhian@Firm.example,advocate+user\n\n";
        let Ok(rows) = parse(csv, Lang::Cy) else {
            panic!("a good file")
        };
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.email, "rhian@firm.example");
        assert_eq!(rows[0].1.roles.len(), 2);
    }

    #[test]
    fn the_row_limit_counts_rows_not_problems() {
        let header = "user_first_name,user_last_name,user_email,user_roles\n";
        // Every row with four problems: all of them are still read and reported.
        let bad: String = (0..MAX_ROWS).map(|_| ",,bad,boss\n").collect();
        let Err(errors) = parse(&format!("{header}{bad}"), Lang::En) else {
            panic!("bad rows")
        };
        assert_eq!(errors.len(), MAX_ROWS * 4);
        assert_eq!(errors.last().map(|e| e.line), Some(MAX_ROWS + 1));
        // One row too many is refused at that row.
        let good: String = (0..=MAX_ROWS)
            .map(|i| format!("A,B,a{i}@firm.example,user\n"))
            .collect();
        let Err(errors) = parse(&format!("{header}{good}"), Lang::En) else {
            panic!("too many rows")
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, MAX_ROWS + 2);
    }

    #[test]
    fn missing_columns_and_empty_files_are_explained() {
        let Err(e) = parse("name,email\nA,b@c.example\n", Lang::En) else {
            panic!("missing columns")
        };
        assert!(e[0].message.contains("user_first_name"));
        let Err(e) = parse(
            "user_first_name,user_last_name,user_email,user_roles\n",
            Lang::En,
        ) else {
            panic!("empty")
        };
        assert_eq!(e[0].line, 1);
    }
}
