//! The URN (unique reference number) of a police-charged case: police force (2 digits), police
//! unit (2 characters, at least one a letter), sequence (5 or 7 digits), year (2 digits) — 11 or
//! 13 characters, e.g. `01AB1234521`. People type it from charge sheets and court lists, so lower
//! case, spaces, dashes, dots and slashes are accepted and dropped before the shape is checked.

use serde::{Deserialize, Serialize};

/// A URN in its normal form: upper case, nothing but the 11 or 13 characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Urn(String);

/// Why a typed URN is not one, for the message beside the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrnProblem {
    /// Nothing typed.
    Missing,
    /// A character that is neither a letter, a digit nor a separator.
    BadCharacter,
    /// Not 11 or 13 characters once the separators are gone.
    WrongLength,
    /// 11 or 13 characters, but not force, unit, sequence and year.
    WrongShape,
}

/// The separators people type inside a URN.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '‐' | '‑' | '‒' | '–' | '—' | '−' | '/' | '\\' | '.' | '_'
        )
}

impl Urn {
    /// Normalises and checks what was typed.
    pub fn parse(typed: &str) -> Result<Urn, UrnProblem> {
        let mut s = String::with_capacity(13);
        for c in typed.chars() {
            if is_separator(c) {
                continue;
            }
            if !c.is_ascii_alphanumeric() {
                return Err(UrnProblem::BadCharacter);
            }
            s.push(c.to_ascii_uppercase());
        }
        if s.is_empty() {
            return Err(UrnProblem::Missing);
        }
        if s.len() != 11 && s.len() != 13 {
            return Err(UrnProblem::WrongLength);
        }
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let unit = &b[2..4];
        let unit_ok =
            unit.iter().all(u8::is_ascii_alphanumeric) && unit.iter().any(u8::is_ascii_uppercase);
        if digits(0..2) && unit_ok && digits(4..b.len()) {
            Ok(Urn(s))
        } else {
            Err(UrnProblem::WrongShape)
        }
    }

    /// The normal form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As court lists print it: force and unit, sequence, year (`01 AB 12345 21`).
    pub fn spaced(&self) -> String {
        let s = &self.0;
        let year = s.len() - 2;
        format!("{} {} {} {}", &s[0..2], &s[2..4], &s[4..year], &s[year..])
    }
}

impl std::fmt::Display for Urn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Urn {
    type Error = String;
    fn try_from(s: String) -> Result<Urn, String> {
        Urn::parse(&s).map_err(|p| format!("not a URN ({p:?})"))
    }
}

impl From<Urn> for String {
    fn from(u: Urn) -> String {
        u.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the properties run the same everywhere.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn digit(&mut self) -> char {
            char::from(b'0' + self.below(10) as u8)
        }
        fn letter(&mut self) -> char {
            char::from(b'A' + self.below(26) as u8)
        }
        fn valid(&mut self) -> String {
            let mut s = String::new();
            s.push(self.digit());
            s.push(self.digit());
            match self.below(3) {
                0 => {
                    s.push(self.letter());
                    s.push(self.letter());
                }
                1 => {
                    s.push(self.letter());
                    s.push(self.digit());
                }
                _ => {
                    s.push(self.digit());
                    s.push(self.letter());
                }
            }
            let seq = if self.below(2) == 0 { 5 } else { 7 };
            for _ in 0..seq + 2 {
                s.push(self.digit());
            }
            s
        }
        /// `s` as someone might type it: any mix of case, spaces, dashes and slashes.
        fn typed(&mut self, s: &str) -> String {
            let seps = [" ", "  ", "-", " - ", "/", "–", "\t", ".", ""];
            let mut out = String::new();
            if self.below(3) == 0 {
                out.push(' ');
            }
            for c in s.chars() {
                out.push(if self.below(2) == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                });
                if self.below(4) == 0 {
                    out.push_str(seps[self.below(seps.len())]);
                }
            }
            if self.below(3) == 0 {
                out.push_str(" \n");
            }
            out
        }
    }

    #[test]
    fn examples() {
        assert_eq!(Urn::parse("01AB1234521").unwrap().as_str(), "01AB1234521");
        assert_eq!(
            Urn::parse(" 01 ab 12345 21 ").unwrap().as_str(),
            "01AB1234521"
        );
        assert_eq!(
            Urn::parse("01-ab-1234567-21").unwrap().as_str(),
            "01AB123456721"
        );
        assert_eq!(
            Urn::parse("62/C1/23456/26").unwrap().as_str(),
            "62C12345626"
        );
        assert_eq!(
            Urn::parse("01AB1234521").unwrap().spaced(),
            "01 AB 12345 21"
        );
        assert_eq!(Urn::parse(""), Err(UrnProblem::Missing));
        assert_eq!(Urn::parse(" - "), Err(UrnProblem::Missing));
        assert_eq!(Urn::parse("01AB12345"), Err(UrnProblem::WrongLength));
        assert_eq!(Urn::parse("01AB123452"), Err(UrnProblem::WrongLength));
        assert_eq!(Urn::parse("01AB12345211"), Err(UrnProblem::WrongLength));
        assert_eq!(Urn::parse("0AAB1234521"), Err(UrnProblem::WrongShape));
        assert_eq!(
            Urn::parse("01001234521"),
            Err(UrnProblem::WrongShape),
            "a unit needs a letter"
        );
        assert_eq!(Urn::parse("01AB12C4521"), Err(UrnProblem::WrongShape));
        assert_eq!(Urn::parse("01AB1234521é"), Err(UrnProblem::BadCharacter));
        assert_eq!(
            Urn::parse("01AB 12345 2l"),
            Err(UrnProblem::WrongShape),
            "l is not 1"
        );
    }

    #[test]
    fn every_valid_urn_survives_any_way_of_typing_it() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let urn = g.valid();
            let typed = g.typed(&urn);
            assert_eq!(
                Urn::parse(&typed).map(String::from),
                Ok(urn.clone()),
                "{typed:?}"
            );
        }
    }

    /// Anything that passes is exactly the shape: checked against an independent reading of
    /// the rule, over random strings near the shape (where mistakes hide).
    #[test]
    fn no_malformed_string_passes() {
        let mut g = Gen(0x2545_f491_4f6c_dd1d);
        let alphabet: Vec<char> = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabz -/é!O"
            .chars()
            .collect();
        let mut passed = 0;
        for _ in 0..200_000 {
            let len = 9 + g.below(7);
            let s: String = (0..len)
                .map(|i| {
                    // Mostly digits where digits belong, so near misses are common.
                    if !(2..4).contains(&i) && g.below(4) != 0 {
                        g.digit()
                    } else {
                        alphabet[g.below(alphabet.len())]
                    }
                })
                .collect();
            if let Ok(u) = Urn::parse(&s) {
                passed += 1;
                let n: Vec<char> = u.as_str().chars().collect();
                assert!(n.len() == 11 || n.len() == 13, "{s:?}");
                assert!(n[0].is_ascii_digit() && n[1].is_ascii_digit(), "{s:?}");
                assert!(n[2..4].iter().any(char::is_ascii_uppercase), "{s:?}");
                assert!(
                    n[2..4]
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                );
                assert!(n[4..].iter().all(char::is_ascii_digit), "{s:?}");
                let kept: String = s
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                assert_eq!(kept, u.as_str(), "only separators dropped: {s:?}");
            }
        }
        assert!(passed > 100, "the generator reaches valid URNs ({passed})");
    }
}
