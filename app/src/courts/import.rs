//! Reading the courts CSV (`name,region,go_live_date`) with every row's problems reported.

use super::{Court, Region};
use crate::date::Date;
use std::collections::HashSet;

/// A problem with one line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses the whole file. Either every row is valid and all courts are returned, or every
/// problem in the file is returned, so one run of the import shows everything to fix.
pub fn parse_courts_csv(text: &str) -> Result<Vec<Court>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![RowError {
                line: 1,
                message: format!("cannot read the header: {e}"),
            }]);
        }
    };
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(name_i), Some(region_i), Some(date_i)) =
        (column("name"), column("region"), column("go_live_date"))
    else {
        return Err(vec![RowError {
            line: 1,
            message: "the header must name the columns name, region and go_live_date".into(),
        }]);
    };

    let mut courts = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| p.line() as usize);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    message: format!("cannot read the row: {e}"),
                });
                continue;
            }
        };
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let mut problems = Vec::new();
        let name = field(name_i);
        if name.is_empty() {
            problems.push("the court name is missing".to_owned());
        } else if name.chars().count() > 200 {
            problems.push("the court name is longer than 200 characters".to_owned());
        } else if !seen.insert(name.to_lowercase()) {
            problems.push(format!("{name} appears more than once"));
        }
        let region = Region::from_name(field(region_i));
        if region.is_none() {
            problems.push(format!(
                "region \"{}\" is not one of London, South East, South West, Midlands, North East, North West, Wales",
                field(region_i)
            ));
        }
        let date = match field(date_i).parse::<Date>() {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(format!("go-live date \"{}\": {e}", field(date_i)));
                None
            }
        };
        match (region, date) {
            (Some(region), Some(go_live)) if problems.is_empty() => courts.push(Court {
                name: name.to_owned(),
                region,
                go_live,
            }),
            _ => errors.extend(
                problems
                    .into_iter()
                    .map(|message| RowError { line, message }),
            ),
        }
    }
    if errors.is_empty() {
        Ok(courts)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_good_file() {
        let csv = "name,region,go_live_date\n\
                   \"Newport (South Wales) Magistrates' Court\",Wales,2021-03-01\n\
                   Westminster Magistrates' Court, London ,2020-09-14\n";
        let courts = parse_courts_csv(csv).unwrap();
        assert_eq!(courts.len(), 2);
        assert_eq!(courts[0].name, "Newport (South Wales) Magistrates' Court");
        assert_eq!(courts[1].region, Region::London);
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let csv = "name,region,go_live_date\n\
                   Good Court,Wales,2021-03-01\n\
                   ,Wales,2021-03-01\n\
                   Bad Region,Scotland,2021-03-01\n\
                   Bad Date,London,2021-02-30\n\
                   good court,Wales,2021-03-01\n";
        let errors = parse_courts_csv(csv).unwrap_err();
        let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6], "{errors:?}");
        assert!(errors[1].message.contains("Scotland"));
        assert!(errors[2].message.contains("2021-02-30"));
        assert!(errors[3].message.contains("more than once"));
    }

    #[test]
    fn needs_the_right_header() {
        let errors = parse_courts_csv("court,area,date\nA,Wales,2021-01-01\n").unwrap_err();
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn shipped_data_file_is_valid() {
        let courts = parse_courts_csv(include_str!("../../../server/data/courts.csv")).unwrap();
        assert!(courts.len() > 50, "only {} courts", courts.len());
        for region in Region::ALL {
            assert!(
                courts.iter().any(|c| c.region == region),
                "no court in {region:?}"
            );
        }
    }
}
