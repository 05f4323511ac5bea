//! A calendar date without a time zone, small enough to ship to the browser.
//!
//! Dates travel as `YYYY-MM-DD` strings (in JSON, CSV and the database) so the same value reads
//! the same on SQLite, PostgreSQL and in the page.

use crate::i18n::{Lang, Msg};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A proleptic Gregorian calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not in the form `YYYY-MM-DD`.
    #[error("a date must look like 2024-03-31")]
    Format,
    /// Well formed, but no such day (e.g. 2023-02-29).
    #[error("that day does not exist")]
    NoSuchDay,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A date, if that day exists.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay);
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The date `n` days later (earlier when negative).
    pub fn add_days(self, n: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + n)
    }

    /// Whole days from `self` to `other` (positive when `other` is later).
    pub fn days_until(self, other: Date) -> i64 {
        other.days_since_epoch() - self.days_since_epoch()
    }

    /// The date in the GOV.UK style: "1 March 2021" / "1 Mawrth 2021".
    pub fn long(self, lang: Lang) -> String {
        const MONTHS: [Msg; 12] = [
            Msg::Month1,
            Msg::Month2,
            Msg::Month3,
            Msg::Month4,
            Msg::Month5,
            Msg::Month6,
            Msg::Month7,
            Msg::Month8,
            Msg::Month9,
            Msg::Month10,
            Msg::Month11,
            Msg::Month12,
        ];
        let month = lang.t(MONTHS[usize::from(self.month - 1)]);
        format!("{} {} {}", self.day, month, self.year)
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Format);
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| DateError::Format)
            } else {
                Err(DateError::Format)
            }
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let month = u8::try_from(m).map_err(|_| DateError::NoSuchDay)?;
        let day = u8::try_from(d).map_err(|_| DateError::NoSuchDay)?;
        Date::new(y as i32, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TryFrom<String> for Date {
    type Error = DateError;

    fn try_from(s: String) -> Result<Date, DateError> {
        s.parse()
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let d: Date = "2021-03-01".parse().unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2021, 3, 1));
        assert_eq!(d.to_string(), "2021-03-01");
        assert_eq!(
            " 2024-02-29 ".parse::<Date>().unwrap().to_string(),
            "2024-02-29"
        );
    }

    #[test]
    fn rejects_bad_dates() {
        assert_eq!("2023-02-29".parse::<Date>(), Err(DateError::NoSuchDay));
        assert_eq!("2023-13-01".parse::<Date>(), Err(DateError::NoSuchDay));
        assert_eq!("2023-00-10".parse::<Date>(), Err(DateError::NoSuchDay));
        assert_eq!("2023-1-10".parse::<Date>(), Err(DateError::Format));
        assert_eq!("2023/01/10".parse::<Date>(), Err(DateError::Format));
        assert_eq!("+023-01-10".parse::<Date>(), Err(DateError::Format));
        assert_eq!("".parse::<Date>(), Err(DateError::Format));
        assert_eq!("1900-02-29".parse::<Date>(), Err(DateError::NoSuchDay));
        assert!("2000-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(Date::new(1969, 12, 31).unwrap().days_since_epoch(), -1);
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
    }

    #[test]
    fn adds_days_across_months_and_years() {
        let d = Date::new(2024, 2, 28).unwrap();
        assert_eq!(d.add_days(1).to_string(), "2024-02-29");
        assert_eq!(d.add_days(2).to_string(), "2024-03-01");
        assert_eq!(
            Date::new(2025, 12, 31).unwrap().add_days(1).to_string(),
            "2026-01-01"
        );
        assert_eq!(d.days_until(Date::new(2024, 3, 31).unwrap()), 32);
    }

    #[test]
    fn long_form_in_both_languages() {
        let d = Date::new(2021, 3, 1).unwrap();
        assert_eq!(d.long(Lang::En), "1 March 2021");
        assert_eq!(d.long(Lang::Cy), "1 Mawrth 2021");
    }

    #[test]
    fn serde_uses_iso_strings() {
        let d = Date::new(2026, 11, 21).unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-11-21\"");
        assert_eq!(serde_json::from_str::<Date>("\"2026-11-21\"").unwrap(), d);
        assert!(serde_json::from_str::<Date>("\"2026-02-30\"").is_err());
        assert!(serde_json::from_str::<Date>("20261121").is_err());
    }
}
