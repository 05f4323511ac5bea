//! Matching a defendant's name as a user types it against the name on the case: not fuzzy, but
//! blind to what a keyboard, a charge sheet or a court list changes. Case, accents (Siân,
//! Siàn and Sian are one name; so are Ŵyn and Wyn), the apostrophe used (O’Brien, O'Brien,
//! O`Brien), the dash used, and white space at the ends, between words and around a hyphen
//! (Smith - Jones, Smith–Jones) do not matter. Letters, their order, hyphens against spaces,
//! and an apostrophe's presence do.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// The form two names are compared in.
pub fn key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = false;
    for c in name.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            '\'' | '’' | '‘' | '`' | '´' | 'ʼ' | 'ʻ' | '′' => '\'',
            '-' | '‐' | '‑' | '‒' | '–' | '—' | '−' | '﹣' | '－' => '-',
            c if c.is_whitespace() => {
                space = true;
                continue;
            }
            c => c,
        };
        // A space before or after a hyphen is dropped; elsewhere runs of space are one.
        if space && c != '-' && !out.is_empty() && !out.ends_with('-') {
            out.push(' ');
        }
        space = false;
        if c == '-' && out.ends_with(' ') {
            out.pop();
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Whether the typed name is the name on the case.
pub fn same(typed: &str, on_case: &str) -> bool {
    let k = key(typed);
    !k.is_empty() && k == key(on_case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_keyboard_changes_does_not_matter() {
        for (a, b) in [
            ("Siân", "sian"),
            ("SIÂN", "Siàn"),
            ("Ŵyn", "wyn"),
            ("Llŷr", "LLYR"),
            ("Zoë", "Zoe"),
            ("José", "jose\u{301}"),
            ("O’Brien", "o'brien"),
            ("O`Brien", "O‘Brien"),
            ("Smith-Jones", "smith – jones"),
            ("Smith‑Jones", "SMITH-JONES"),
            ("  Mary   Ann ", "mary ann"),
            ("ap Gwilym", "Ap  Gwilym"),
            ("Nguyễn", "nguyen"),
            ("Ｍａｒｙ", "mary"),
        ] {
            assert!(same(a, b), "{a:?} = {b:?}");
            assert!(same(b, a), "{b:?} = {a:?}");
        }
    }

    #[test]
    fn what_makes_another_name_does() {
        for (a, b) in [
            ("Sian", "Sion"),
            ("Smith-Jones", "Smith Jones"),
            ("Smith-Jones", "Jones-Smith"),
            ("OBrien", "O'Brien"),
            ("Ann", "Anne"),
            ("Mary Ann", "Maryann"),
            ("", ""),
            ("   ", " "),
        ] {
            assert!(!same(a, b), "{a:?} ≠ {b:?}");
        }
    }
}
