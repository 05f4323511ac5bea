//! The sections a case's material is served in: reference data in the `sections` table
//! (migration 0014, docs/sections.md), each with who may serve there and what an upload there
//! sets off.

use crate::i18n::Lang;
use sqlx::AnyConnection;

/// Who serves a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// A defence firm on record for a defendant.
    Defence,
    /// The prosecuting authority (its import or API key).
    Prosecution,
    /// The court (HMCTS staff).
    Court,
}

/// One section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Its code, as stored on material and sent in imports.
    pub code: String,
    /// Its name in English.
    pub name_en: String,
    /// Its name in Welsh.
    pub name_cy: String,
    /// The defence may serve documents here.
    pub defence: bool,
    /// The prosecution may serve documents here.
    pub prosecution: bool,
    /// The court may serve documents here.
    pub court: bool,
    /// A defence upload here tells the HMCTS service centre that action may be needed.
    pub notifies_service_centre: bool,
    /// The upload form offers "Send to CPS" here.
    pub send_to_cps: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    code: String,
    name_en: String,
    name_cy: String,
    defence: i64,
    prosecution: i64,
    court: i64,
    notifies_service_centre: i64,
    send_to_cps: i64,
}

impl Section {
    /// Its name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.name_en,
            Lang::Cy => &self.name_cy,
        }
    }

    /// Whether `party` may serve documents here.
    pub fn open_to(&self, party: Party) -> bool {
        match party {
            Party::Defence => self.defence,
            Party::Prosecution => self.prosecution,
            Party::Court => self.court,
        }
    }
}

/// Every section, in the order pages list them.
pub async fn all(conn: &mut AnyConnection) -> Result<Vec<Section>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT code, name_en, name_cy, defence, prosecution, court, notifies_service_centre, \
         send_to_cps FROM sections ORDER BY position",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Section {
            code: r.code,
            name_en: r.name_en,
            name_cy: r.name_cy,
            defence: r.defence == 1,
            prosecution: r.prosecution == 1,
            court: r.court == 1,
            notifies_service_centre: r.notifies_service_centre == 1,
            send_to_cps: r.send_to_cps == 1,
        })
        .collect())
}

/// The codes of the sections `party` may serve documents in, in order.
pub fn codes_open_to(sections: &[Section], party: Party) -> Vec<String> {
    sections
        .iter()
        .filter(|s| s.open_to(party))
        .map(|s| s.code.clone())
        .collect()
}

/// The name of the section with `code` in `lang` (the code itself for one not in the list, which
/// the table's rows never leave on material).
pub fn name_of(sections: &[Section], code: &str, lang: Lang) -> String {
    sections
        .iter()
        .find(|s| s.code == code)
        .map_or_else(|| code.to_owned(), |s| s.name(lang).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    #[tokio::test]
    async fn the_sections_and_their_rules_are_the_same_on_both_engines() {
        let mut seen = vec![];
        for (db, _guard) in testing::all().await {
            let mut conn = db.pool.acquire().await.expect("conn");
            let sections = all(&mut conn).await.expect("sections");
            assert_eq!(sections[0].code, "idpc", "the IDPC first");
            let defence = codes_open_to(&sections, Party::Defence);
            assert!(
                !defence.contains(&"idpc".to_owned()),
                "only the prosecution serves the IDPC"
            );
            for code in ["plea", "applications", "general-correspondence"] {
                let s = sections.iter().find(|s| s.code == code).expect(code);
                assert!(s.defence && s.notifies_service_centre, "{code}");
            }
            assert!(
                sections
                    .iter()
                    .filter(|s| s.notifies_service_centre)
                    .all(|s| ["plea", "applications", "general-correspondence"]
                        .contains(&s.code.as_str())),
                "only those three tell the service centre"
            );
            assert!(sections.iter().all(|s| !s.name_cy.is_empty()));
            assert_eq!(name_of(&sections, "plea", Lang::Cy), "Ple");
            assert_eq!(name_of(&sections, "gone", Lang::En), "gone");
            seen.push(sections);
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]));
    }
}
