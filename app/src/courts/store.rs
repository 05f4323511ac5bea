//! Courts in the database.

use super::{Court, Region};
use crate::db::Db;
use sqlx::Row;

/// Every court, by region (in [`Region::ALL`] order) then name.
pub async fn list(db: &Db) -> Result<Vec<Court>, sqlx::Error> {
    let rows = sqlx::query("SELECT name, region, go_live_date FROM courts ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    let mut courts = Vec::with_capacity(rows.len());
    for row in rows {
        let region: String = row.try_get("region")?;
        let date: String = row.try_get("go_live_date")?;
        courts.push(Court {
            name: row.try_get("name")?,
            region: Region::from_code(&region)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown region {region}").into()))?,
            go_live: date.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        });
    }
    courts.sort_by(|a, b| a.region.cmp(&b.region).then_with(|| a.name.cmp(&b.name)));
    Ok(courts)
}

/// What an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Courts that were not there before.
    pub added: usize,
    /// Courts whose region or go-live date changed.
    pub updated: usize,
    /// Courts already exactly as imported.
    pub unchanged: usize,
}

/// Adds or updates every court in one transaction: all of them, or (on any error) none. The
/// import is audited (as `courts.import` by `actor`, naming `source`) in the same transaction.
pub async fn upsert_all(
    db: &Db,
    courts: &[Court],
    now_unix: i64,
    actor: &str,
    source: &str,
) -> Result<ImportSummary, sqlx::Error> {
    let mut tx = db.begin().await?;
    let mut summary = ImportSummary::default();
    for court in courts {
        let existing = sqlx::query("SELECT region, go_live_date FROM courts WHERE name = $1")
            .bind(&court.name)
            .fetch_optional(&mut *tx)
            .await?;
        let date = court.go_live.to_string();
        match existing {
            None => {
                sqlx::query(
                    "INSERT INTO courts (name, region, go_live_date, updated_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&court.name)
                .bind(court.region.code())
                .bind(&date)
                .bind(now_unix)
                .execute(&mut *tx)
                .await?;
                summary.added += 1;
            }
            Some(row) => {
                let region: String = row.try_get("region")?;
                let old_date: String = row.try_get("go_live_date")?;
                if region == court.region.code() && old_date == date {
                    summary.unchanged += 1;
                } else {
                    sqlx::query(
                        "UPDATE courts SET region = $1, go_live_date = $2, updated_at = $3 WHERE name = $4",
                    )
                    .bind(court.region.code())
                    .bind(&date)
                    .bind(now_unix)
                    .bind(&court.name)
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += 1;
                }
            }
        }
    }
    let event = crate::audit::Event {
        actor: actor.to_owned(),
        organisation_id: None,
        action: "courts.import".into(),
        target: None,
        details: serde_json::json!({
            "source": source,
            "added": summary.added,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        }),
        client_ip: None,
    };
    crate::audit::append(&mut tx, &event, now_unix * 1000).await?;
    tx.commit().await?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    fn court(name: &str, region: Region, date: &str) -> Court {
        Court {
            name: name.into(),
            region,
            go_live: date.parse().unwrap(),
        }
    }

    #[tokio::test]
    async fn import_then_list_on_every_backend() {
        for (db, _guard) in testing::all().await {
            let first = [
                court("Swansea Magistrates' Court", Region::Wales, "2021-03-01"),
                court(
                    "Westminster Magistrates' Court",
                    Region::London,
                    "2020-09-14",
                ),
                court("Cardiff Magistrates' Court", Region::Wales, "2021-03-01"),
            ];
            let s = upsert_all(&db, &first, 1, "cli", "test").await.unwrap();
            assert_eq!(
                s,
                ImportSummary {
                    added: 3,
                    updated: 0,
                    unchanged: 0
                },
                "{:?}",
                db.backend
            );

            let listed = list(&db).await.unwrap();
            let names: Vec<_> = listed.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(
                names,
                [
                    "Westminster Magistrates' Court",
                    "Cardiff Magistrates' Court",
                    "Swansea Magistrates' Court"
                ],
                "London before Wales, then by name ({:?})",
                db.backend
            );
            assert_eq!(listed[0].go_live.to_string(), "2020-09-14");

            let second = [
                court("Cardiff Magistrates' Court", Region::Wales, "2021-04-01"),
                court("Swansea Magistrates' Court", Region::Wales, "2021-03-01"),
                court(
                    "Newport (South Wales) Magistrates' Court",
                    Region::Wales,
                    "2027-01-04",
                ),
            ];
            let s = upsert_all(&db, &second, 2, "cli", "test").await.unwrap();
            assert_eq!(
                s,
                ImportSummary {
                    added: 1,
                    updated: 1,
                    unchanged: 1
                },
                "{:?}",
                db.backend
            );
            let listed = list(&db).await.unwrap();
            assert_eq!(listed.len(), 4);
            assert_eq!(
                crate::audit::verify_chain(&db).await.unwrap(),
                2,
                "each import is audited"
            );
            let cardiff = listed
                .iter()
                .find(|c| c.name.starts_with("Cardiff"))
                .unwrap();
            assert_eq!(cardiff.go_live.to_string(), "2021-04-01");
        }
    }

    #[tokio::test]
    async fn a_failed_import_changes_nothing() {
        for (db, _guard) in testing::all().await {
            upsert_all(
                &db,
                &[court("A Magistrates' Court", Region::London, "2021-01-01")],
                1,
                "cli",
                "test",
            )
            .await
            .unwrap();
            // The database refuses a date that is not ISO text, half-way through the batch.
            let mut tx = db.begin().await.unwrap();
            let refused = sqlx::query(
                "INSERT INTO courts (name, region, go_live_date, updated_at) VALUES ('B', 'mars', '2021-01-01', 1)",
            )
            .execute(&mut *tx)
            .await;
            assert!(
                refused.is_err(),
                "unknown region accepted on {:?}",
                db.backend
            );
            drop(tx);
            assert_eq!(list(&db).await.unwrap().len(), 1);
        }
    }
}
