//! Reading a prosecution import (docs/prosecution-import.md): one case, or `{"cases": [...]}`.
//! Every problem in the document is found and reported with its JSON path, and nothing is
//! written unless there are none ([`super::store::import`] writes in one transaction).

use super::urn::{Urn, UrnProblem};
use crate::date::Date;
use base64::Engine as _;
use serde_json::Value;

/// The most cases one document may carry.
pub const MAX_CASES: usize = 1000;
/// The largest file one document may carry (decoded).
pub const MAX_FILE: usize = 50 << 20;

/// A problem in the document: where (a JSON path such as `$.cases[0].urn`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The JSON path.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// A case as the document describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseDoc {
    /// Its URN.
    pub urn: Urn,
    /// The prosecuting authority's code.
    pub prosecutor: String,
    /// The court it is listed at.
    pub court: String,
    /// Its defendants, in order.
    pub defendants: Vec<DefendantDoc>,
    /// Its hearings.
    pub hearings: Vec<HearingDoc>,
    /// Its material.
    pub material: Vec<MaterialDoc>,
}

/// Who a defendant is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Party {
    /// A person.
    Person {
        /// First name(s).
        first_name: String,
        /// Last name (one-name people: the name, and `first_name` empty is refused — use "-").
        last_name: String,
        /// Date of birth.
        date_of_birth: Date,
    },
    /// A company.
    Company {
        /// Its name.
        name: String,
    },
}

/// A defendant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefendantDoc {
    /// The prosecutor's reference.
    pub r#ref: String,
    /// Who.
    pub party: Party,
    /// The offences charged.
    pub offences: Vec<OffenceDoc>,
}

/// An offence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffenceDoc {
    /// The prosecutor's reference.
    pub r#ref: String,
    /// The charge's wording.
    pub wording: String,
    /// The legislation, e.g. "Theft Act 1968, s.1".
    pub legislation: String,
    /// When.
    pub date: Date,
}

/// A hearing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HearingDoc {
    /// The prosecutor's reference.
    pub r#ref: String,
    /// The court.
    pub court: String,
    /// The courtroom.
    pub courtroom: String,
    /// When it starts (Unix seconds).
    pub starts_at: i64,
    /// Its type, e.g. "First hearing".
    pub hearing_type: String,
}

/// A piece of material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaterialDoc {
    /// The prosecutor's reference.
    pub r#ref: String,
    /// The defendant it is for (their `ref`), or none for the whole case.
    pub defendant: Option<String>,
    /// The section it is served in.
    pub section: String,
    /// Its title.
    pub title: String,
    /// Whether it is the IDPC.
    pub idpc: bool,
    /// The file's name.
    pub file_name: String,
    /// The file's type.
    pub content_type: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// Reads a whole document: its cases, or every problem in it. `sections`: the codes of the
/// sections the prosecution may serve in (`sections::codes_open_to`).
pub fn parse(text: &str, sections: &[String]) -> Result<Vec<CaseDoc>, Vec<Problem>> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![Problem {
                path: "$".into(),
                reason: format!("not JSON: {e}"),
            }]);
        }
    };
    let mut r = Reader {
        problems: vec![],
        sections,
    };
    let cases: Vec<CaseDoc> = match value.get("cases") {
        Some(Value::Array(list)) => {
            if list.is_empty() {
                r.problem("$.cases", "no cases");
            }
            if list.len() > MAX_CASES {
                r.problem("$.cases", &format!("more than {MAX_CASES} cases"));
            }
            list.iter()
                .enumerate()
                .filter_map(|(i, c)| r.case(&format!("$.cases[{i}]"), c))
                .collect()
        }
        Some(_) => {
            r.problem("$.cases", "must be a list");
            vec![]
        }
        None => r.case("$", &value).into_iter().collect(),
    };
    let mut seen = std::collections::HashMap::new();
    for (i, c) in cases.iter().enumerate() {
        if let Some(j) = seen.insert(c.urn.clone(), i) {
            r.problem(
                &format!("$.cases[{i}].urn"),
                &format!("the same URN as $.cases[{j}]"),
            );
        }
    }
    if r.problems.is_empty() {
        Ok(cases)
    } else {
        Err(r.problems)
    }
}

struct Reader<'a> {
    problems: Vec<Problem>,
    sections: &'a [String],
}

impl Reader<'_> {
    fn problem(&mut self, path: &str, reason: &str) {
        self.problems.push(Problem {
            path: path.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// A required string, trimmed, 1 to `max` characters.
    fn text(&mut self, obj: &Value, path: &str, key: &str, max: usize) -> Option<String> {
        let p = format!("{path}.{key}");
        match obj.get(key) {
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    self.problem(&p, "must not be empty");
                    None
                } else if s.chars().count() > max {
                    self.problem(&p, &format!("longer than {max} characters"));
                    None
                } else if s.chars().any(char::is_control) {
                    self.problem(&p, "contains a control character");
                    None
                } else {
                    Some(s.to_owned())
                }
            }
            Some(_) => {
                self.problem(&p, "must be a string");
                None
            }
            None => {
                self.problem(&p, "missing");
                None
            }
        }
    }

    fn date(&mut self, obj: &Value, path: &str, key: &str) -> Option<Date> {
        let s = self.text(obj, path, key, 10)?;
        match s.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                self.problem(&format!("{path}.{key}"), "not a date (YYYY-MM-DD)");
                None
            }
        }
    }

    fn list<'v>(&mut self, obj: &'v Value, path: &str, key: &str) -> &'v [Value] {
        match obj.get(key) {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => &[],
            Some(_) => {
                self.problem(&format!("{path}.{key}"), "must be a list");
                &[]
            }
        }
    }

    /// Records a problem for each `ref` used twice among `refs` (paths alongside).
    fn unique_refs(&mut self, refs: &[(String, String)]) {
        let mut seen = std::collections::HashSet::new();
        for (path, r) in refs {
            if !seen.insert(r.as_str()) {
                self.problem(path, &format!("the reference {r:?} is used twice"));
            }
        }
    }

    fn case(&mut self, path: &str, c: &Value) -> Option<CaseDoc> {
        if !c.is_object() {
            self.problem(path, "must be an object");
            return None;
        }
        let before = self.problems.len();
        let urn = match c.get("urn") {
            Some(Value::String(s)) => match Urn::parse(s) {
                Ok(u) => Some(u),
                Err(p) => {
                    let reason = match p {
                        UrnProblem::Missing => "must not be empty",
                        UrnProblem::BadCharacter => "has a character a URN cannot have",
                        UrnProblem::WrongLength => "must be 11 or 13 characters",
                        UrnProblem::WrongShape => {
                            "must be force (2 digits), unit (2 characters), sequence (5 or 7 digits), year (2 digits)"
                        }
                    };
                    self.problem(&format!("{path}.urn"), reason);
                    None
                }
            },
            Some(_) => {
                self.problem(&format!("{path}.urn"), "must be a string");
                None
            }
            None => {
                self.problem(&format!("{path}.urn"), "missing");
                None
            }
        };
        let prosecutor = self.text(c, path, "prosecutor", 20);
        let court = self.text(c, path, "court", 200);
        let defendants: Vec<DefendantDoc> = self
            .list(c, path, "defendants")
            .iter()
            .enumerate()
            .filter_map(|(i, d)| self.defendant(&format!("{path}.defendants[{i}]"), d))
            .collect();
        if c.get("defendants")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            self.problem(&format!("{path}.defendants"), "a case needs a defendant");
        }
        let refs: Vec<_> = defendants
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("{path}.defendants[{i}].ref"), d.r#ref.clone()))
            .collect();
        self.unique_refs(&refs);
        let hearings: Vec<HearingDoc> = self
            .list(c, path, "hearings")
            .iter()
            .enumerate()
            .filter_map(|(i, h)| self.hearing(&format!("{path}.hearings[{i}]"), h))
            .collect();
        let refs: Vec<_> = hearings
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("{path}.hearings[{i}].ref"), h.r#ref.clone()))
            .collect();
        self.unique_refs(&refs);
        // The references as sent (a defendant with another problem is still named rightly).
        let defendant_refs: Vec<String> = c
            .get("defendants")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| d.get("ref").and_then(Value::as_str))
            .map(|r| r.trim().to_owned())
            .collect();
        let material: Vec<MaterialDoc> = self
            .list(c, path, "material")
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                self.material(&format!("{path}.material[{i}]"), m, &defendant_refs)
            })
            .collect();
        let refs: Vec<_> = material
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("{path}.material[{i}].ref"), m.r#ref.clone()))
            .collect();
        self.unique_refs(&refs);
        if self.problems.len() > before {
            return None;
        }
        Some(CaseDoc {
            urn: urn?,
            prosecutor: prosecutor?,
            court: court?,
            defendants,
            hearings,
            material,
        })
    }

    fn defendant(&mut self, path: &str, d: &Value) -> Option<DefendantDoc> {
        let r = self.text(d, path, "ref", 64);
        let party = match (d.get("person"), d.get("company")) {
            (Some(p), None) if p.is_object() => {
                let p_path = format!("{path}.person");
                let first = self.text(p, &p_path, "first_name", 100);
                let last = self.text(p, &p_path, "last_name", 100);
                let dob = self.date(p, &p_path, "date_of_birth");
                match (first, last, dob) {
                    (Some(first_name), Some(last_name), Some(date_of_birth)) => {
                        Some(Party::Person {
                            first_name,
                            last_name,
                            date_of_birth,
                        })
                    }
                    _ => None,
                }
            }
            (None, Some(c)) if c.is_object() => self
                .text(c, &format!("{path}.company"), "name", 200)
                .map(|name| Party::Company { name }),
            (Some(_), Some(_)) => {
                self.problem(path, "either a person or a company, not both");
                None
            }
            _ => {
                self.problem(
                    path,
                    "needs a person (first_name, last_name, date_of_birth) or a company (name)",
                );
                None
            }
        };
        let offences: Vec<OffenceDoc> = self
            .list(d, path, "offences")
            .iter()
            .enumerate()
            .filter_map(|(i, o)| {
                let p = format!("{path}.offences[{i}]");
                let r = self.text(o, &p, "ref", 64);
                let wording = self.text(o, &p, "wording", 4000);
                let legislation = self.text(o, &p, "legislation", 400);
                let date = self.date(o, &p, "date");
                Some(OffenceDoc {
                    r#ref: r?,
                    wording: wording?,
                    legislation: legislation?,
                    date: date?,
                })
            })
            .collect();
        let refs: Vec<_> = offences
            .iter()
            .enumerate()
            .map(|(i, o)| (format!("{path}.offences[{i}].ref"), o.r#ref.clone()))
            .collect();
        self.unique_refs(&refs);
        Some(DefendantDoc {
            r#ref: r?,
            party: party?,
            offences,
        })
    }

    fn hearing(&mut self, path: &str, h: &Value) -> Option<HearingDoc> {
        let r = self.text(h, path, "ref", 64);
        let court = self.text(h, path, "court", 200);
        let courtroom = self.text(h, path, "courtroom", 50);
        let hearing_type = self.text(h, path, "type", 100);
        let starts = self.text(h, path, "starts_at", 40);
        let starts_at = starts.and_then(|s| match crate::clock::parse_utc(&s) {
            Some(t) => Some(t),
            None => {
                self.problem(
                    &format!("{path}.starts_at"),
                    "not a UTC time (YYYY-MM-DDTHH:MM:SSZ)",
                );
                None
            }
        });
        Some(HearingDoc {
            r#ref: r?,
            court: court?,
            courtroom: courtroom?,
            starts_at: starts_at?,
            hearing_type: hearing_type?,
        })
    }

    fn material(&mut self, path: &str, m: &Value, defendants: &[String]) -> Option<MaterialDoc> {
        let r = self.text(m, path, "ref", 64);
        let section = self.text(m, path, "section", 40).filter(|s| {
            let ok = self.sections.contains(s);
            if !ok {
                let codes = self.sections.join(", ");
                self.problem(
                    &format!("{path}.section"),
                    &format!("not a section the prosecution serves in (one of {codes})"),
                );
            }
            ok
        });
        let title = self.text(m, path, "title", 200);
        let idpc = match m.get("idpc") {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(_) => {
                self.problem(&format!("{path}.idpc"), "must be true or false");
                false
            }
        };
        let defendant = match m.get("defendant") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(d)) if defendants.iter().any(|x| x == d.trim()) => {
                Some(Some(d.trim().to_owned()))
            }
            Some(_) => {
                self.problem(
                    &format!("{path}.defendant"),
                    "not the ref of a defendant on this case",
                );
                None
            }
        };
        let f_path = format!("{path}.file");
        let file = m.get("file").filter(|f| f.is_object());
        if file.is_none() {
            self.problem(&f_path, "missing (name, content_type, base64)");
            return None;
        }
        let file = file?;
        let file_name = self.text(file, &f_path, "name", 200).filter(|n| {
            let ok = !n.contains(['/', '\\']) && n != "." && n != "..";
            if !ok {
                self.problem(&format!("{f_path}.name"), "a file name, not a path");
            }
            ok
        });
        let content_type = self.text(file, &f_path, "content_type", 100);
        let bytes = match file.get("base64") {
            Some(Value::String(b)) => {
                match base64::engine::general_purpose::STANDARD.decode(b.trim()) {
                    Ok(bytes) if bytes.is_empty() => {
                        self.problem(&format!("{f_path}.base64"), "the file is empty");
                        None
                    }
                    Ok(bytes) if bytes.len() > MAX_FILE => {
                        self.problem(
                            &format!("{f_path}.base64"),
                            &format!("larger than {} MiB", MAX_FILE >> 20),
                        );
                        None
                    }
                    Ok(bytes) => Some(bytes),
                    Err(_) => {
                        self.problem(&format!("{f_path}.base64"), "not base64");
                        None
                    }
                }
            }
            _ => {
                self.problem(&format!("{f_path}.base64"), "missing");
                None
            }
        };
        Some(MaterialDoc {
            r#ref: r?,
            defendant: defendant?,
            section: section?,
            title: title?,
            idpc,
            file_name: file_name?,
            content_type: content_type?,
            bytes: bytes?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The sections the prosecution serves in, as migration 0014 ships them (checked against
    /// the table by `the_test_sections_are_the_shipped_ones`).
    pub(crate) fn sections() -> Vec<String> {
        [
            "idpc",
            "case-summary",
            "statements",
            "exhibits",
            "unused-material",
            "pet-form",
            "applications",
            "general-correspondence",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    #[tokio::test]
    async fn the_test_sections_are_the_shipped_ones() {
        for (db, _guard) in crate::db::testing::all().await {
            let mut conn = db.pool.acquire().await.expect("conn");
            let all = crate::cases::sections::all(&mut conn)
                .await
                .expect("sections");
            assert_eq!(
                crate::cases::sections::codes_open_to(
                    &all,
                    crate::cases::sections::Party::Prosecution
                ),
                sections()
            );
        }
    }

    pub(crate) fn example() -> serde_json::Value {
        serde_json::json!({
            "urn": "01 ab 12345 26",
            "prosecutor": "CPS",
            "court": "Cardiff Magistrates' Court",
            "defendants": [
                { "ref": "D1", "person": { "first_name": "Siân", "last_name": "O’Brien-Jones", "date_of_birth": "1990-02-03" },
                  "offences": [ { "ref": "O1", "wording": "Stole a bicycle", "legislation": "Theft Act 1968, s.1", "date": "2026-10-01" } ] },
                { "ref": "D2", "company": { "name": "Cwmni Cyf" } }
            ],
            "hearings": [ { "ref": "H1", "court": "Cardiff Magistrates' Court", "courtroom": "2", "starts_at": "2026-12-07T10:00:00Z", "type": "First hearing" } ],
            "material": [ { "ref": "M1", "section": "idpc", "title": "IDPC", "idpc": true, "defendant": "D1",
                            "file": { "name": "idpc.pdf", "content_type": "application/pdf", "base64": "JVBERi0xLjQK" } } ]
        })
    }

    #[test]
    fn a_good_document_reads() {
        let cases = parse(&example().to_string(), &sections()).expect("valid");
        assert_eq!(cases.len(), 1);
        let c = &cases[0];
        assert_eq!(c.urn.as_str(), "01AB1234526");
        assert_eq!(c.defendants.len(), 2);
        assert!(matches!(&c.defendants[1].party, Party::Company { name } if name == "Cwmni Cyf"));
        assert_eq!(c.hearings[0].starts_at, 1_796_637_600);
        assert_eq!(c.material[0].bytes, b"%PDF-1.4\n");
        let many = serde_json::json!({ "cases": [example()] });
        assert_eq!(
            parse(&many.to_string(), &sections()).expect("valid").len(),
            1
        );
    }

    #[test]
    fn every_problem_is_listed_with_its_path() {
        let mut bad = example();
        bad["urn"] = "01AB123".into();
        bad["defendants"][0]["person"]["date_of_birth"] = "3/2/1990".into();
        bad["defendants"][1] = serde_json::json!({ "ref": "D1", "company": { "name": "" } });
        bad["hearings"][0]["starts_at"] = "tomorrow".into();
        bad["material"][0]["section"] = "secret".into();
        bad["material"][0]["file"]["name"] = "../../etc/passwd".into();
        bad["material"][0]["defendant"] = "D9".into();
        let problems = parse(&bad.to_string(), &sections()).expect_err("invalid");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        for expected in [
            "$.urn",
            "$.defendants[0].person.date_of_birth",
            "$.defendants[1].company.name",
            "$.hearings[0].starts_at",
            "$.material[0].section",
            "$.material[0].file.name",
            "$.material[0].defendant",
        ] {
            assert!(paths.contains(&expected), "{expected} in {problems:#?}");
        }
        let twice = serde_json::json!({ "cases": [example(), example()] });
        let problems = parse(&twice.to_string(), &sections()).expect_err("the same URN twice");
        assert_eq!(problems[0].path, "$.cases[1].urn", "{problems:?}");
        assert_eq!(parse("{", &sections()).expect_err("not JSON")[0].path, "$");
        let none = serde_json::json!({ "urn": "01AB1234526", "prosecutor": "CPS", "court": "X" });
        let problems = parse(&none.to_string(), &sections()).expect_err("no defendant");
        assert_eq!(problems[0].path, "$.defendants");
    }
}
