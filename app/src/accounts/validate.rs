//! Formats of the things people type into registration forms. Input is normalised first (spaces,
//! case), as people copy numbers from letters and screens.

/// Trims and collapses runs of whitespace.
pub fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An email address, lower-cased, if it looks deliverable: one `@`, a local part, a dotted
/// domain, no spaces, at most 254 characters.
pub fn email(s: &str) -> Option<String> {
    let e = s.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && e.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && e.chars().all(|c| !c.is_whitespace() && !c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    ok.then_some(e)
}

/// A UK postcode, upper-cased with one space before the inward code.
pub fn postcode(s: &str) -> Option<String> {
    let p: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if !(5..=7).contains(&p.len()) || !p.is_ascii() {
        return None;
    }
    let (outward, inward) = p.split_at(p.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    let o = outward.as_bytes();
    let outward_ok = (2..=4).contains(&o.len())
        && o[0].is_ascii_alphabetic()
        && o.iter().all(u8::is_ascii_alphanumeric)
        && o.iter().any(u8::is_ascii_digit);
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

/// A UK telephone number: digits with optional spaces, brackets, dashes and a leading `+`;
/// 10 to 13 digits.
pub fn phone(s: &str) -> Option<String> {
    let t = tidy(s);
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let chars_ok = t
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " ()-".contains(c) || (c == '+' && i == 0));
    (chars_ok && (10..=13).contains(&digits)).then_some(t)
}

fn squash_upper(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase()
}

/// A Legal Aid Agency account (office) number: digit, letter, three digits, letter — `2N345K`.
pub fn laa_account(s: &str) -> Option<String> {
    let a = squash_upper(s);
    let b = a.as_bytes();
    (b.len() == 6
        && b[0].is_ascii_digit()
        && b[1].is_ascii_alphabetic()
        && b[2..5].iter().all(u8::is_ascii_digit)
        && b[5].is_ascii_alphabetic())
    .then_some(a)
}

/// A Solicitors Regulation Authority number: 4 to 7 digits (`SRA` in front is allowed).
pub fn sra_number(s: &str) -> Option<String> {
    let a = squash_upper(s);
    let a = a.strip_prefix("SRA").unwrap_or(&a).to_owned();
    ((4..=7).contains(&a.len()) && a.chars().all(|c| c.is_ascii_digit())).then_some(a)
}

/// A Bar Standards Board (Bar) number: an optional letter then 4 to 7 digits — `A12345`, `123456`.
pub fn bar_number(s: &str) -> Option<String> {
    let a = squash_upper(s);
    let a = a.strip_prefix("BSB").unwrap_or(&a).to_owned();
    let digits = a
        .strip_prefix(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(&a);
    ((4..=7).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())).then_some(a)
}

/// A person's name: 1 to 100 characters, letters from any script with spaces, hyphens and
/// apostrophes (names with unusual lengths or characters must work).
pub fn name(s: &str) -> Option<String> {
    let t = tidy(s);
    let n = t.chars().count();
    ((1..=100).contains(&n)
        && t.chars().any(char::is_alphabetic)
        && t.chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || "-'’.".contains(c) || is_mark(c)))
    .then_some(t)
}

fn is_mark(c: char) -> bool {
    // Combining diacritical marks, which decomposed names contain.
    ('\u{0300}'..='\u{036f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email(" Ann.Smith@Firm.Example "),
            Some("ann.smith@firm.example".into())
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@firm.example",
            "ann@firm",
            "ann smith@firm.example",
            "a@b@c.example",
            "ann@.example",
            "ann@firm..example",
        ] {
            assert_eq!(email(bad), None, "{bad}");
        }
    }

    #[test]
    fn postcodes() {
        assert_eq!(postcode("sw1h9aj"), Some("SW1H 9AJ".into()));
        assert_eq!(postcode("CF10 1ET"), Some("CF10 1ET".into()));
        assert_eq!(postcode("m1 1ae"), Some("M1 1AE".into()));
        for bad in ["", "SW1", "12345", "SW1H 9A", "SW1H 99J"] {
            assert_eq!(postcode(bad), None, "{bad}");
        }
    }

    #[test]
    fn regulator_numbers() {
        assert_eq!(laa_account("2n 345k"), Some("2N345K".into()));
        assert_eq!(laa_account("2N345"), None);
        assert_eq!(laa_account("N2345K"), None);
        assert_eq!(sra_number("SRA 123456"), Some("123456".into()));
        assert_eq!(sra_number("12a456"), None);
        assert_eq!(bar_number("a12345"), Some("A12345".into()));
        assert_eq!(bar_number("123456"), Some("123456".into()));
        assert_eq!(bar_number("AB1234"), None);
    }

    #[test]
    fn phones_and_names() {
        assert_eq!(phone("020 7946 0000"), Some("020 7946 0000".into()));
        assert_eq!(
            phone("+44 (0)29 2000 0000"),
            Some("+44 (0)29 2000 0000".into())
        );
        assert_eq!(phone("12345"), None);
        assert_eq!(phone("020 7946 000x"), None);
        assert_eq!(name("  Siân   O’Brien-Ng "), Some("Siân O’Brien-Ng".into()));
        assert_eq!(name("Ann 2"), None, "digits are not names");
        assert_eq!(name("Æsa Ó Dálaigh"), Some("Æsa Ó Dálaigh".into()));
        assert_eq!(name("Nguyễn"), Some("Nguyễn".into()));
        assert_eq!(name(""), None);
        assert_eq!(name(&"a".repeat(101)), None);
    }
}
