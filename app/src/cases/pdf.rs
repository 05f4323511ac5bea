//! A small PDF writer: one A4 page of text in the standard Helvetica fonts, enough for the
//! documents the service generates itself (the demo cases' IDPC). Text outside the fonts'
//! Windows-1252 repertoire loses its accent (ŵ → w) rather than becoming a wrong glyph.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// A line of the page.
pub enum Line {
    /// The title, large and bold.
    Title(String),
    /// A heading, bold.
    Heading(String),
    /// Body text.
    Text(String),
    /// Space.
    Gap,
}

/// The Windows-1252 byte for `c`, if it has one.
fn win_ansi(c: char) -> Option<u8> {
    let code = u32::from(c);
    match c {
        '€' => Some(0x80),
        '‘' => Some(0x91),
        '’' => Some(0x92),
        '“' => Some(0x93),
        '”' => Some(0x94),
        '–' => Some(0x96),
        '—' => Some(0x97),
        _ if (0x20..0x7f).contains(&code) || (0xa0..=0xff).contains(&code) => {
            u8::try_from(code).ok()
        }
        _ => None,
    }
}

/// `s` as a PDF string literal's bytes: escaped, in Windows-1252.
fn literal(s: &str, out: &mut Vec<u8>) {
    out.push(b'(');
    for c in s.chars() {
        let bytes: Vec<u8> = match win_ansi(c) {
            Some(b) => vec![b],
            // Not in the font: the letter without its accent, else a question mark.
            None => c
                .to_string()
                .nfkd()
                .filter(|c| !is_combining_mark(*c))
                .map(|c| win_ansi(c).unwrap_or(b'?'))
                .collect(),
        };
        for b in bytes {
            if matches!(b, b'(' | b')' | b'\\') {
                out.push(b'\\');
            }
            out.push(b);
        }
    }
    out.push(b')');
}

/// One page with `lines`, top to bottom (a line too long for the page is cut at 95 characters;
/// lines past the bottom are dropped).
pub fn page(lines: &[Line]) -> Vec<u8> {
    let mut content = Vec::new();
    let mut y = 790;
    for line in lines {
        let (font, size, text, step) = match line {
            Line::Title(t) => ("F2", 18, t.as_str(), 30),
            Line::Heading(t) => ("F2", 12, t.as_str(), 20),
            Line::Text(t) => ("F1", 11, t.as_str(), 16),
            Line::Gap => {
                y -= 10;
                continue;
            }
        };
        if y < 60 {
            break;
        }
        let cut: String = text.chars().take(95).collect();
        content.extend_from_slice(format!("BT /{font} {size} Tf 56 {y} Td ").as_bytes());
        literal(&cut, &mut content);
        content.extend_from_slice(b" Tj ET\n");
        y -= step;
    }
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec(),
        {
            let mut s = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            s.extend_from_slice(&content);
            s.extend_from_slice(b"endstream");
            s
        },
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = vec![];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_a_well_formed_pdf() {
        let pdf = page(&[
            Line::Title("Initial details of the prosecution case".into()),
            Line::Gap,
            Line::Heading("Defendant".into()),
            Line::Text("Siân O’Brien (Ŵyn) – £5 (a) \\ b".into()),
        ]);
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // Every cross-reference offset points at its object.
        let marker = b"startxref\n";
        let at = pdf
            .windows(marker.len())
            .rposition(|w| w == marker)
            .expect("startxref");
        let tail = std::str::from_utf8(&pdf[at + marker.len()..]).expect("ASCII");
        let xref_at: usize = tail
            .lines()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("offset");
        let table = std::str::from_utf8(&pdf[xref_at..]).expect("ASCII");
        assert!(table.starts_with("xref\n0 7\n"), "{table}");
        for (i, line) in table.lines().skip(3).take(6).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            assert!(
                pdf[offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
        let text = String::from_utf8_lossy(&pdf);
        // Windows-1252 for what it has, the bare letter for what it lacks, escapes kept.
        let wanted: &[u8] = b"(Si\xe2n O\x92Brien \\(Wyn\\) \x96 \xa35 \\(a\\) \\\\ b)";
        assert!(pdf.windows(wanted.len()).any(|w| w == wanted), "{text}");
    }
}
