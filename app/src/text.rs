//! Text helpers shared by the server and the browser.

/// Lower-cases, drops accents and apostrophes, and turns every other run of punctuation or
/// white space into one space: the form searches compare.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let c = fold_accent(c);
        if matches!(c, '\'' | '’' | '‘' | '`') {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The letter without its accent, for the Latin letters Welsh and English names use.
fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'Á' | 'À' | 'Â' | 'Ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ŵ' | 'ẁ' | 'ẃ' | 'ẅ' | 'Ŵ' => 'w',
        'ŷ' | 'ỳ' | 'ý' | 'ÿ' | 'Ŷ' => 'y',
        'ç' | 'Ç' => 'c',
        _ => c,
    }
}

/// Encodes a value for a URL query string (`application/x-www-form-urlencoded`).
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_for_search() {
        assert_eq!(normalise("  Magistrates' Court "), "magistrates court");
        assert_eq!(normalise("Ynys Môn"), "ynys mon");
        assert_eq!(normalise("North-West"), "north west");
        assert_eq!(normalise("O’Brien"), "obrien");
        assert_eq!(normalise("..."), "");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode_query_value("north west"), "north+west");
        assert_eq!(encode_query_value("a&b=c"), "a%26b%3Dc");
        assert_eq!(encode_query_value("Môn"), "M%C3%B4n");
    }
}
