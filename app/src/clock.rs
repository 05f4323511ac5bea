//! The injected clock: everything time-based asks this, never the system directly.

use crate::date::Date;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, as seconds since the Unix epoch (UTC).
    fn now_unix(&self) -> i64;

    /// Today's date in England and Wales (UK civil time).
    fn today_uk(&self) -> Date {
        uk_date(self.now_unix())
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs() as i64
    }
}

/// A clock stopped at one instant: for tests and reproducible demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}

/// The real clock moved to start at a chosen instant and then tick: for demos and browser tests
/// (`FIXED_NOW`), where codes and time-outs must still advance.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: i64,
}

impl ShiftedClock {
    /// A clock that reads `start` now and advances in real time.
    pub fn starting_at(start: i64) -> ShiftedClock {
        ShiftedClock {
            offset: start - SystemClock.now_unix(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now_unix(&self) -> i64 {
        SystemClock.now_unix() + self.offset
    }
}

/// A clock a test moves by hand.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock reading `at`.
    pub fn new(at: i64) -> ManualClock {
        ManualClock(std::sync::atomic::AtomicI64::new(at))
    }

    /// Moves the clock forward (or back) by `secs`.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, at: i64) {
        self.0.store(at, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Unix seconds as an RFC 3339 UTC instant such as `2026-11-21T09:30:00Z` (the inverse of
/// [`parse_utc`]).
pub fn utc_rfc3339(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Date::from_days_since_epoch(unix.div_euclid(86_400)),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Parses an RFC 3339 UTC instant such as `2026-11-21T09:30:00Z` into Unix seconds.
pub fn parse_utc(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once(['T', ' '])?;
    let date: Date = date.parse().ok()?;
    let time = time
        .strip_suffix('Z')
        .or_else(|| time.strip_suffix("+00:00"))?;
    let mut parts = time.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec: i64 = parts
        .next()
        .map(|p| p.split('.').next().unwrap_or("0"))
        .unwrap_or("0")
        .parse()
        .ok()?;
    if parts.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..61).contains(&sec)
    {
        return None;
    }
    Some(date.days_since_epoch() * 86_400 + h * 3600 + m * 60 + sec)
}

/// The last Sunday of `month` in `year`, as days since the epoch.
fn last_sunday(year: i32, month: u8) -> i64 {
    // Only used for March and October, which both have 31 days.
    let days = Date::new(year, month, 31)
        .map(Date::days_since_epoch)
        .unwrap_or_default();
    // 1970-01-01 was a Thursday: weekday 0 = Sunday when (days + 4) % 7 == 0.
    days - (days + 4).rem_euclid(7)
}

/// The calendar date in the UK at a Unix instant: British Summer Time (UTC+1) runs from 01:00
/// UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
pub fn uk_date(unix: i64) -> Date {
    Date::from_days_since_epoch((unix + uk_offset(unix)).div_euclid(86_400))
}

/// Seconds the UK is ahead of UTC at an instant (3600 in British Summer Time).
pub fn uk_offset(unix: i64) -> i64 {
    let year = Date::from_days_since_epoch(unix.div_euclid(86_400)).year();
    let bst_start = last_sunday(year, 3) * 86_400 + 3600;
    let bst_end = last_sunday(year, 10) * 86_400 + 3600;
    if (bst_start..bst_end).contains(&unix) {
        3600
    } else {
        0
    }
}

/// The time of day in the UK, as GOV.UK writes it: "9:05am" ("9:05yb" in Welsh).
pub fn uk_clock_time(unix: i64, lang: crate::i18n::Lang) -> String {
    let local = unix + uk_offset(unix);
    let secs = local.rem_euclid(86_400);
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    let (h12, half) = match (h % 12, h < 12) {
        (0, am) => (12, am),
        (x, am) => (x, am),
    };
    let suffix = match (lang, half) {
        (crate::i18n::Lang::Cy, true) => "yb",
        (crate::i18n::Lang::Cy, false) => "yh",
        (_, true) => "am",
        (_, false) => "pm",
    };
    format!("{h12}:{m:02}{suffix}")
}

/// Date and time in the UK, as GOV.UK writes them: "21 November 2026, 9:05am".
pub fn uk_time(unix: i64, lang: crate::i18n::Lang) -> String {
    format!(
        "{}, {}",
        uk_date(unix).long(lang),
        uk_clock_time(unix, lang)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_written_reads_back() {
        for t in [0, 951_782_400, 1_795_251_600, 1_795_253_459] {
            assert_eq!(parse_utc(&utc_rfc3339(t)), Some(t));
        }
        assert_eq!(utc_rfc3339(1_795_251_600), "2026-11-21T09:00:00Z");
    }

    #[test]
    fn times_in_the_uk() {
        use crate::i18n::Lang;
        assert_eq!(
            uk_time(at("2026-11-21T09:05:00Z"), Lang::En),
            "21 November 2026, 9:05am"
        );
        assert_eq!(
            uk_time(at("2026-07-01T12:30:00Z"), Lang::En),
            "1 July 2026, 1:30pm"
        );
        assert_eq!(
            uk_time(at("2026-11-21T00:00:00Z"), Lang::Cy),
            "21 Tachwedd 2026, 12:00yb"
        );
    }

    fn at(s: &str) -> i64 {
        parse_utc(s).unwrap()
    }

    #[test]
    fn parses_instants() {
        assert_eq!(at("1970-01-01T00:00:00Z"), 0);
        assert_eq!(at("2026-11-21T09:30:15Z"), 1_795_253_415);
        assert_eq!(at("2026-11-21T09:30:15.250Z"), 1_795_253_415);
        assert!(parse_utc("2026-11-21T09:30:15").is_none());
        assert!(parse_utc("2026-11-21T25:00:00Z").is_none());
        assert!(parse_utc("yesterday").is_none());
    }

    #[test]
    fn uk_date_follows_summer_time() {
        // Winter: UK time is UTC.
        assert_eq!(
            uk_date(at("2026-01-15T23:30:00Z")).to_string(),
            "2026-01-15"
        );
        // Summer: 23:30 UTC is 00:30 the next day in London.
        assert_eq!(
            uk_date(at("2026-07-15T23:30:00Z")).to_string(),
            "2026-07-16"
        );
        // BST 2026 starts 29 March 01:00 UTC and ends 25 October 01:00 UTC.
        assert_eq!(
            uk_date(at("2026-03-28T23:30:00Z")).to_string(),
            "2026-03-28"
        );
        assert_eq!(
            uk_date(at("2026-03-29T23:30:00Z")).to_string(),
            "2026-03-30"
        );
        assert_eq!(
            uk_date(at("2026-10-24T23:30:00Z")).to_string(),
            "2026-10-25"
        );
        assert_eq!(
            uk_date(at("2026-10-25T23:30:00Z")).to_string(),
            "2026-10-25"
        );
    }

    #[test]
    fn fixed_clock_is_fixed() {
        let c = FixedClock(at("2026-11-21T09:00:00Z"));
        assert_eq!(c.today_uk().to_string(), "2026-11-21");
        assert_eq!(c.now_unix(), c.now_unix());
    }
}
