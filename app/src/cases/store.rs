//! Cases in the database: the prosecution import, all or nothing.

use super::{
    import::{CaseDoc, Party, Problem},
    names,
};
use crate::{accounts::store::Who, db::Db};
use sqlx::AnyConnection;
use std::path::Path;

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases new to the service.
    pub added: usize,
    /// Cases sent again and updated.
    pub updated: usize,
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub enum ImportError {
    /// The document does not fit what the service holds (an unknown court, a defendant
    /// dropped from a case): every such problem, by JSON path.
    Refused(Vec<Problem>),
    /// Storing a file failed.
    Files(std::io::Error),
    /// The database failed.
    Db(sqlx::Error),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> ImportError {
        ImportError::Db(e)
    }
}

fn new_id() -> String {
    crate::accounts::token::new_id()
}

/// Adds a prosecuting authority, or updates its name and email.
pub async fn upsert_prosecutor(
    db: &Db,
    code: &str,
    name: &str,
    email: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO prosecutors (code, name, email, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, email = excluded.email",
    )
    .bind(code)
    .bind(name)
    .bind(email)
    .bind(now)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

/// The names of the courts using the service, in order.
pub async fn court_names(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM courts ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// `path` of the document's case `i` (one case: `$`; a list: `$.cases[i]`).
fn case_path(many: bool, i: usize) -> String {
    if many {
        format!("$.cases[{i}]")
    } else {
        "$".to_owned()
    }
}

/// Whether `sql` counts any row for `value`, asked once per import for each value (a batch
/// of cases names the same few courts and prosecutors over and over).
async fn exists(
    conn: &mut AnyConnection,
    known: &mut std::collections::HashMap<(&'static str, String), bool>,
    sql: &'static str,
    value: &str,
) -> Result<bool, sqlx::Error> {
    if let Some(found) = known.get(&(sql, value.to_owned())) {
        return Ok(*found);
    }
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(value)
        .fetch_one(&mut *conn)
        .await?;
    known.insert((sql, value.to_owned()), n > 0);
    Ok(n > 0)
}

/// Imports `cases` (read by [`super::import::parse`]): files stored first (under `files`,
/// content-addressed), then every case in one transaction — a case new to the service is
/// added, one sent again is updated (defendants, hearings and material matched by their `ref`;
/// offences replaced; a hearing no longer sent is marked vacated, kept for its check-ins, the
/// LAA's evidence of attendance; material is never removed), each
/// audited. Problems only the database can see refuse the whole document. Material new to a
/// case, or sent again with other bytes, is told to the firms on record
/// ([`super::new_material::tell`]).
pub async fn import(
    db: &Db,
    files: &Path,
    cases: &[CaseDoc],
    who: &Who,
    mail: &crate::email::MailSettings,
    now: i64,
) -> Result<Summary, ImportError> {
    for c in cases {
        for m in &c.material {
            crate::files::put(files, &m.bytes).map_err(ImportError::Files)?;
        }
    }
    let many = cases.len() > 1;
    let mut tx = db.begin().await?;
    let mut problems = vec![];
    let mut known = std::collections::HashMap::new();
    for (i, c) in cases.iter().enumerate() {
        let path = case_path(many, i);
        if !exists(
            &mut tx,
            &mut known,
            "SELECT COUNT(*) FROM prosecutors WHERE code = $1",
            &c.prosecutor,
        )
        .await?
        {
            problems.push(Problem {
                path: format!("{path}.prosecutor"),
                reason: format!(
                    "{:?} is not a prosecuting authority the service knows",
                    c.prosecutor
                ),
            });
        }
        let court_sql = "SELECT COUNT(*) FROM courts WHERE name = $1";
        if !exists(&mut tx, &mut known, court_sql, &c.court).await? {
            problems.push(Problem {
                path: format!("{path}.court"),
                reason: format!("{:?} is not a court using the service", c.court),
            });
        }
        for (j, h) in c.hearings.iter().enumerate() {
            if !exists(&mut tx, &mut known, court_sql, &h.court).await? {
                problems.push(Problem {
                    path: format!("{path}.hearings[{j}].court"),
                    reason: format!("{:?} is not a court using the service", h.court),
                });
            }
        }
        let id: Option<(String,)> = sqlx::query_as("SELECT id FROM cases WHERE urn = $1")
            .bind(c.urn.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((id,)) = &id {
            let refs: Vec<(String,)> =
                sqlx::query_as("SELECT ref FROM defendants WHERE case_id = $1 ORDER BY position")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            for (r,) in refs {
                if !c.defendants.iter().any(|d| d.r#ref == r) {
                    problems.push(Problem {
                        path: format!("{path}.defendants"),
                        reason: format!(
                            "the defendant {r:?} is on the case: an import cannot remove a defendant"
                        ),
                    });
                }
            }
        }
    }
    if !problems.is_empty() {
        tx.rollback().await?;
        return Err(ImportError::Refused(problems));
    }
    let mut summary = Summary::default();
    for c in cases {
        // Added or updated in one statement each (never a read, then a write that assumes it):
        // an import of the same new case at the same moment waits, then updates.
        let inserted: Option<(String,)> = sqlx::query_as(
            "INSERT INTO cases (id, urn, prosecutor, court, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (urn) DO NOTHING RETURNING id",
        )
        .bind(new_id())
        .bind(c.urn.as_str())
        .bind(&c.prosecutor)
        .bind(&c.court)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let new = inserted.is_some();
        let case_id = match inserted {
            Some((id,)) => {
                summary.added += 1;
                id
            }
            None => {
                let (id,): (String,) = sqlx::query_as(
                    "UPDATE cases SET prosecutor = $1, court = $2, updated_at = $3 \
                     WHERE urn = $4 RETURNING id",
                )
                .bind(&c.prosecutor)
                .bind(&c.court)
                .bind(now)
                .bind(c.urn.as_str())
                .fetch_one(&mut *tx)
                .await?;
                summary.updated += 1;
                id
            }
        };
        let served = write_case(&mut tx, &case_id, new, c, now).await?;
        let mut per_firm = std::collections::BTreeMap::<String, Vec<String>>::new();
        for (material, defendant) in &served {
            for firm in
                super::new_material::firms_for(&mut tx, &case_id, defendant.as_deref()).await?
            {
                per_firm.entry(firm).or_default().push(material.clone());
            }
        }
        super::new_material::tell(&mut tx, mail, &case_id, &per_firm, who, now).await?;
        who.audit(
            &mut tx,
            "case.imported",
            Some(format!("case:{}", c.urn)),
            serde_json::json!({
                "prosecutor": c.prosecutor,
                "defendants": c.defendants.len(),
                "hearings": c.hearings.len(),
                "material": c.material.len(),
            }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(summary)
}

/// The case's defendants, offences, hearings and material, as the document has them (for a
/// `new` case there is nothing of its own to replace or remove). What material is new, or
/// came again with other bytes: (material id, its defendant).
async fn write_case(
    tx: &mut AnyConnection,
    case_id: &str,
    new: bool,
    c: &CaseDoc,
    now: i64,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    let mut defendant_ids = std::collections::HashMap::new();
    for (position, d) in c.defendants.iter().enumerate() {
        let (first, last, dob, company, key) = match &d.party {
            Party::Person {
                first_name,
                last_name,
                date_of_birth,
            } => (
                Some(first_name.clone()),
                Some(last_name.clone()),
                Some(date_of_birth.to_string()),
                None,
                names::key(&format!("{first_name} {last_name}")),
            ),
            Party::Company { name } => (None, None, None, Some(name.clone()), names::key(name)),
        };
        let kind = if company.is_some() {
            "company"
        } else {
            "person"
        };
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        let (id,): (String,) = sqlx::query_as(
            "INSERT INTO defendants (id, case_id, ref, position, kind, first_name, last_name, \
             date_of_birth, company_name, name_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (case_id, ref) DO UPDATE SET position = excluded.position, \
             kind = excluded.kind, first_name = excluded.first_name, \
             last_name = excluded.last_name, date_of_birth = excluded.date_of_birth, \
             company_name = excluded.company_name, name_key = excluded.name_key \
             RETURNING id",
        )
        .bind(new_id())
        .bind(case_id)
        .bind(&d.r#ref)
        .bind(position)
        .bind(kind)
        .bind(&first)
        .bind(&last)
        .bind(&dob)
        .bind(&company)
        .bind(&key)
        .fetch_one(&mut *tx)
        .await?;
        if !new {
            sqlx::query("DELETE FROM offences WHERE defendant_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        for (k, o) in d.offences.iter().enumerate() {
            sqlx::query(
                "INSERT INTO offences (id, defendant_id, ref, position, wording, legislation, \
                 offence_date) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(&o.r#ref)
            .bind(i64::try_from(k).unwrap_or(i64::MAX))
            .bind(&o.wording)
            .bind(&o.legislation)
            .bind(o.date.to_string())
            .execute(&mut *tx)
            .await?;
        }
        defendant_ids.insert(d.r#ref.clone(), id);
    }
    let kept: Vec<(String,)> = if new {
        vec![]
    } else {
        sqlx::query_as("SELECT ref FROM hearings WHERE case_id = $1 AND vacated_at IS NULL")
            .bind(case_id)
            .fetch_all(&mut *tx)
            .await?
    };
    for (r,) in kept {
        if !c.hearings.iter().any(|h| h.r#ref == r) {
            sqlx::query("UPDATE hearings SET vacated_at = $3 WHERE case_id = $1 AND ref = $2")
                .bind(case_id)
                .bind(&r)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
    }
    for h in &c.hearings {
        sqlx::query(
            "INSERT INTO hearings (id, case_id, ref, court, courtroom, starts_at, hearing_type) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id, ref) DO UPDATE SET \
             court = excluded.court, courtroom = excluded.courtroom, \
             starts_at = excluded.starts_at, hearing_type = excluded.hearing_type, \
             vacated_at = NULL",
        )
        .bind(new_id())
        .bind(case_id)
        .bind(&h.r#ref)
        .bind(&h.court)
        .bind(&h.courtroom)
        .bind(h.starts_at)
        .bind(&h.hearing_type)
        .execute(&mut *tx)
        .await?;
    }
    let mut served = vec![];
    for m in &c.material {
        let defendant = m.defendant.as_ref().and_then(|r| defendant_ids.get(r));
        let size = i64::try_from(m.bytes.len()).unwrap_or(i64::MAX);
        let sha256 = crate::files::sha256_hex(&m.bytes);
        // New, or the same reference with other bytes (then served again, now): returned. The
        // same bytes again only update what is said about them.
        let changed: Option<String> = sqlx::query_scalar(
            "INSERT INTO material (id, case_id, defendant_id, ref, section, title, idpc, \
             file_name, content_type, size, sha256, served_by, served_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (case_id, ref) DO UPDATE SET defendant_id = excluded.defendant_id, \
             section = excluded.section, title = excluded.title, idpc = excluded.idpc, \
             file_name = excluded.file_name, content_type = excluded.content_type, \
             size = excluded.size, sha256 = excluded.sha256, served_at = excluded.served_at \
             WHERE material.sha256 <> excluded.sha256 RETURNING id",
        )
        .bind(new_id())
        .bind(case_id)
        .bind(defendant.cloned())
        .bind(&m.r#ref)
        .bind(&m.section)
        .bind(&m.title)
        .bind(i64::from(m.idpc))
        .bind(&m.file_name)
        .bind(&m.content_type)
        .bind(size)
        .bind(&sha256)
        .bind(&c.prosecutor)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        match changed {
            Some(id) => served.push((id, defendant.cloned())),
            None => {
                sqlx::query(
                    "UPDATE material SET defendant_id = $3, section = $4, title = $5, idpc = $6, \
                     file_name = $7, content_type = $8 WHERE case_id = $1 AND ref = $2",
                )
                .bind(case_id)
                .bind(&m.r#ref)
                .bind(defendant.cloned())
                .bind(&m.section)
                .bind(&m.title)
                .bind(i64::from(m.idpc))
                .bind(&m.file_name)
                .bind(&m.content_type)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    Ok(served)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{cases::import, db::testing};

    async fn court(db: &Db, name: &str) {
        let c = crate::courts::Court {
            name: name.into(),
            region: crate::courts::Region::Wales,
            go_live: "2026-10-05".parse().expect("date"),
        };
        crate::courts::store::upsert_all(db, &[c], 0, "cli", "test")
            .await
            .expect("court");
    }

    async fn count(db: &Db, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .expect("count");
        n
    }

    #[tokio::test]
    async fn an_import_adds_then_updates_and_a_refused_one_writes_nothing() {
        crate::audit::install_test_keys();
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let files = tempfile::tempdir().expect("dir");
            court(&db, "Cardiff Magistrates' Court").await;
            upsert_prosecutor(
                &db,
                "CPS",
                "Crown Prosecution Service",
                "cps@cps.example",
                1,
            )
            .await
            .expect("prosecutor");
            let doc = import::tests::example();
            let cases = import::parse(&doc.to_string(), &import::tests::sections()).expect("valid");
            let s = import(
                &db,
                files.path(),
                &cases,
                &Who::system(),
                &crate::state::test_mail(),
                10,
            )
            .await
            .expect("imported");
            assert_eq!(
                s,
                Summary {
                    added: 1,
                    updated: 0
                },
                "{name}"
            );
            assert_eq!(count(&db, "defendants").await, 2, "{name}");
            assert_eq!(count(&db, "offences").await, 1, "{name}");
            let (key,): (String,) =
                sqlx::query_as("SELECT name_key FROM defendants WHERE ref = 'D1'")
                    .fetch_one(&db.pool)
                    .await
                    .expect("key");
            assert_eq!(key, names::key("Sian O'Brien-Jones"), "{name}");
            let (sha,): (String,) = sqlx::query_as("SELECT sha256 FROM material")
                .fetch_one(&db.pool)
                .await
                .expect("material");
            let stored = crate::files::path_of(files.path(), &sha).expect("path");
            assert_eq!(std::fs::read(stored).expect("file"), b"%PDF-1.4\n");

            // Sent again with a new hearing time, one offence fewer and a third defendant.
            let mut again = doc.clone();
            again["hearings"][0]["starts_at"] = "2026-12-08T14:00:00Z".into();
            again["defendants"][0]["offences"] = serde_json::json!([]);
            again["defendants"]
                .as_array_mut()
                .expect("list")
                .push(serde_json::json!({ "ref": "D3", "person": { "first_name": "Ng", "last_name": "Li", "date_of_birth": "2001-01-01" } }));
            let cases =
                import::parse(&again.to_string(), &import::tests::sections()).expect("valid");
            let s = import(
                &db,
                files.path(),
                &cases,
                &Who::system(),
                &crate::state::test_mail(),
                20,
            )
            .await
            .expect("updated");
            assert_eq!(
                s,
                Summary {
                    added: 0,
                    updated: 1
                },
                "{name}"
            );
            assert_eq!(count(&db, "cases").await, 1, "{name}");
            assert_eq!(count(&db, "defendants").await, 3, "{name}");
            assert_eq!(count(&db, "offences").await, 0, "{name}");
            let (starts,): (i64,) = sqlx::query_as("SELECT starts_at FROM hearings")
                .fetch_one(&db.pool)
                .await
                .expect("hearing");
            assert_eq!(starts, 1_796_738_400, "{name}");

            // Refused whole: an unknown court on a second case, and a defendant dropped from the
            // first. Nothing of either is written.
            let mut dropped = again.clone();
            dropped["defendants"].as_array_mut().expect("list").pop();
            dropped["prosecutor"] = "CPS".into();
            let mut other = doc.clone();
            other["urn"] = "01AB7654326".into();
            other["court"] = "Atlantis Magistrates' Court".into();
            let both = serde_json::json!({ "cases": [dropped, other] });
            let cases = import::parse(&both.to_string(), &import::tests::sections())
                .expect("valid as a document");
            let before = (count(&db, "cases").await, count(&db, "audit_events").await);
            match import(
                &db,
                files.path(),
                &cases,
                &Who::system(),
                &crate::state::test_mail(),
                30,
            )
            .await
            {
                Err(ImportError::Refused(p)) => {
                    let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
                    assert!(paths.contains(&"$.cases[0].defendants"), "{name}: {p:?}");
                    assert!(paths.contains(&"$.cases[1].court"), "{name}: {p:?}");
                }
                other => panic!("{name}: {other:?}"),
            }
            assert_eq!(
                (count(&db, "cases").await, count(&db, "audit_events").await),
                before,
                "{name}: nothing written"
            );
            assert_eq!(count(&db, "defendants").await, 3, "{name}");
        }
    }
}
