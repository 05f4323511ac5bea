//! What files may be served, checked by their extension **and** their content (docs/uploads.md):
//! a file whose bytes are not what its name says (an executable renamed `.pdf`) is refused. The
//! check reads the bytes as they stream past ([`Checker::update`]) and keeps at most the first
//! 4 KiB and, for the ZIP-based formats, the last 1 MiB (where the archive's directory is), so
//! it works in constant memory whatever the size.

/// The kinds of file accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Portable Document Format.
    Pdf,
    /// Word (Office Open XML).
    Docx,
    /// Word 97–2003.
    Doc,
    /// Excel (Office Open XML).
    Xlsx,
    /// OpenDocument text.
    Odt,
    /// Rich Text Format.
    Rtf,
    /// Plain text (UTF-8).
    Txt,
    /// JPEG image.
    Jpeg,
    /// PNG image.
    Png,
    /// MP3 audio.
    Mp3,
    /// MP4 video or audio.
    Mp4,
}

/// Why a file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its name has no extension, or one not on the list.
    Extension,
    /// It has no bytes.
    Empty,
    /// Its bytes are not the kind its extension names.
    Content,
}

const HEAD: usize = 4096;
const TAIL: usize = 1 << 20;

impl Kind {
    /// Every kind, in the order the upload page lists them.
    pub const ALL: [Kind; 11] = [
        Kind::Pdf,
        Kind::Docx,
        Kind::Doc,
        Kind::Xlsx,
        Kind::Odt,
        Kind::Rtf,
        Kind::Txt,
        Kind::Jpeg,
        Kind::Png,
        Kind::Mp3,
        Kind::Mp4,
    ];

    /// The extensions that name it (lower case, without the dot).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Pdf => &["pdf"],
            Kind::Docx => &["docx"],
            Kind::Doc => &["doc"],
            Kind::Xlsx => &["xlsx"],
            Kind::Odt => &["odt"],
            Kind::Rtf => &["rtf"],
            Kind::Txt => &["txt"],
            Kind::Jpeg => &["jpg", "jpeg"],
            Kind::Png => &["png"],
            Kind::Mp3 => &["mp3"],
            Kind::Mp4 => &["mp4"],
        }
    }

    /// The media type it is stored and served with (whatever the browser said).
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Doc => "application/msword",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Odt => "application/vnd.oasis.opendocument.text",
            Kind::Rtf => "application/rtf",
            Kind::Txt => "text/plain; charset=utf-8",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Mp3 => "audio/mpeg",
            Kind::Mp4 => "video/mp4",
        }
    }

    /// The kind a file name's extension names, if it is on the list.
    pub fn of_name(name: &str) -> Option<Kind> {
        let (_, ext) = name.rsplit_once('.')?;
        let ext = ext.to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.extensions().contains(&ext.as_str()))
    }

    fn zipped(self) -> bool {
        matches!(self, Kind::Docx | Kind::Xlsx | Kind::Odt)
    }
}

/// Checks one file's bytes as they arrive against the kind its name gave.
#[derive(Debug)]
pub struct Checker {
    kind: Kind,
    head: Vec<u8>,
    /// The last [`TAIL`] bytes (ZIP-based kinds only), as a ring from `tail_at`.
    tail: Vec<u8>,
    tail_at: usize,
    size: u64,
    /// Plain text: the bytes of a character cut by a chunk's end.
    carry: Vec<u8>,
    /// Plain text: a NUL byte or a byte sequence that is not UTF-8 was seen.
    not_text: bool,
}

impl Checker {
    /// A checker for a file whose name said `kind`.
    pub fn new(kind: Kind) -> Checker {
        Checker {
            kind,
            head: Vec::with_capacity(HEAD),
            tail: vec![],
            tail_at: 0,
            size: 0,
            carry: vec![],
            not_text: false,
        }
    }

    /// Reads the next bytes.
    pub fn update(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        if self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..n]);
        }
        if self.kind.zipped() {
            self.keep_tail(chunk);
        }
        if self.kind == Kind::Txt && !self.not_text {
            self.check_text(chunk);
        }
    }

    fn keep_tail(&mut self, chunk: &[u8]) {
        let chunk = &chunk[chunk.len().saturating_sub(TAIL)..];
        for &b in chunk {
            if self.tail.len() < TAIL {
                self.tail.push(b);
            } else {
                self.tail[self.tail_at] = b;
                self.tail_at = (self.tail_at + 1) % TAIL;
            }
        }
    }

    fn check_text(&mut self, chunk: &[u8]) {
        if chunk.contains(&0) {
            self.not_text = true;
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        match std::str::from_utf8(&bytes) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                // A character cut at the chunk's end: keep its first bytes for the next chunk.
                self.carry = bytes[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.not_text = true,
        }
    }

    /// The bytes seen so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the whole file was the kind its name said.
    pub fn finish(self) -> Result<Kind, Refusal> {
        if self.size == 0 {
            return Err(Refusal::Empty);
        }
        let h = &self.head;
        let ok = match self.kind {
            Kind::Pdf => h.windows(5).take(1024).any(|w| w == b"%PDF-"),
            Kind::Doc => h.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
            Kind::Rtf => h.starts_with(b"{\\rtf"),
            Kind::Txt => !self.not_text && self.carry.is_empty(),
            Kind::Jpeg => h.starts_with(&[0xFF, 0xD8, 0xFF]),
            Kind::Png => h.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
            Kind::Mp3 => {
                h.starts_with(b"ID3") || (h.len() > 1 && h[0] == 0xFF && h[1] & 0xE0 == 0xE0)
            }
            Kind::Mp4 => h.len() >= 8 && &h[4..8] == b"ftyp",
            Kind::Odt => {
                // The first entry is `mimetype`, stored, holding the type itself.
                h.starts_with(b"PK\x03\x04")
                    && h.get(30..38) == Some(b"mimetype")
                    && h.get(38..77) == Some(b"application/vnd.oasis.opendocument.text")
            }
            Kind::Docx => self.zip_has("word/document.xml"),
            Kind::Xlsx => self.zip_has("xl/workbook.xml"),
        };
        if ok {
            Ok(self.kind)
        } else {
            Err(Refusal::Content)
        }
    }

    /// The tail in order.
    fn tail(&self) -> Vec<u8> {
        let mut t = self.tail[self.tail_at..].to_vec();
        t.extend_from_slice(&self.tail[..self.tail_at]);
        t
    }

    /// Whether the file is a ZIP archive whose directory (at its end) names `entry`.
    fn zip_has(&self, entry: &str) -> bool {
        if !self.head.starts_with(b"PK\x03\x04") {
            return false;
        }
        let tail = self.tail();
        let u16_at = |b: &[u8], i: usize| {
            b.get(i..i + 2)
                .map(|x| u16::from_le_bytes([x[0], x[1]]) as usize)
        };
        let u32_at = |b: &[u8], i: usize| {
            b.get(i..i + 4)
                .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as u64)
        };
        // The end-of-directory record: in the last 22 bytes plus at most a 64 KiB comment.
        let from = tail.len().saturating_sub(22 + 0xFFFF);
        let Some(end) = (from..tail.len().saturating_sub(21))
            .rev()
            .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
        else {
            return false;
        };
        let (Some(dir_size), Some(dir_offset)) = (u32_at(&tail, end + 12), u32_at(&tail, end + 16))
        else {
            return false;
        };
        // Where the directory starts within the tail kept.
        let tail_start = self.size - tail.len() as u64;
        if dir_offset < tail_start || dir_offset + dir_size > self.size {
            return false;
        }
        let mut i = (dir_offset - tail_start) as usize;
        let stop = i + dir_size as usize;
        while i + 46 <= stop && tail[i..].starts_with(b"PK\x01\x02") {
            let (Some(name_len), Some(extra), Some(comment)) = (
                u16_at(&tail, i + 28),
                u16_at(&tail, i + 30),
                u16_at(&tail, i + 32),
            ) else {
                return false;
            };
            if tail.get(i + 46..i + 46 + name_len) == Some(entry.as_bytes()) {
                return true;
            }
            i += 46 + name_len + extra + comment;
        }
        false
    }
}

/// Checks a whole file held in memory: its name's kind, then its bytes.
pub fn check(name: &str, bytes: &[u8]) -> Result<Kind, Refusal> {
    let kind = Kind::of_name(name).ok_or(Refusal::Extension)?;
    let mut c = Checker::new(kind);
    for chunk in bytes.chunks(7919) {
        c.update(chunk);
    }
    c.finish()
}

/// The longest display name kept, in characters.
pub const NAME_MAX: usize = 120;

/// The name a browser gave a file, made safe to show and to offer as a download name: the last
/// part of any path (`/` or `\\`), without control characters, direction overrides or
/// invisible characters (so `invoice\u{202e}fdp.exe` cannot pass for a PDF), spaces collapsed,
/// no leading dots, at most [`NAME_MAX`] characters with the extension kept. It is only ever a
/// display name: files are stored under keys the service makes.
pub fn display_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
    };
    let mut name = String::new();
    for c in last.chars().filter(|c| !hidden(*c)) {
        if c.is_whitespace() {
            if !name.is_empty() && !name.ends_with(' ') {
                name.push(' ');
            }
        } else {
            name.push(c);
        }
    }
    let name = name.trim().trim_start_matches('.').trim().to_owned();
    if name.chars().count() <= NAME_MAX {
        return if name.is_empty() {
            "document".to_owned()
        } else {
            name
        };
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 10 => (stem, Some(ext)),
        _ => (name.as_str(), None),
    };
    let room = NAME_MAX - ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(room).collect();
    let stem = stem.trim_end();
    match ext {
        Some(e) => format!("{stem}.{e}"),
        None => stem.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal ZIP archive holding empty entries named `names` (stored, no compression).
    pub(crate) fn zip(names: &[&str], padding: usize) -> Vec<u8> {
        let mut out = vec![];
        let mut dir = vec![];
        for name in names {
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0; 12]); // crc, sizes
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            dir.extend_from_slice(b"PK\x01\x02");
            dir.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            dir.extend_from_slice(&[0; 12]);
            dir.extend_from_slice(&(name.len() as u16).to_le_bytes());
            dir.extend_from_slice(&[0; 12]);
            dir.extend_from_slice(&offset.to_le_bytes());
            dir.extend_from_slice(name.as_bytes());
        }
        out.extend(std::iter::repeat_n(b'x', padding));
        let dir_offset = out.len() as u32;
        out.extend_from_slice(&dir);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        out.extend_from_slice(&dir_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn each_kind_is_known_by_its_bytes() {
        assert_eq!(check("a.pdf", b"%PDF-1.7\n..."), Ok(Kind::Pdf));
        assert_eq!(check("A.PDF", b"\n\n%PDF-1.4"), Ok(Kind::Pdf));
        assert_eq!(
            check(
                "s.doc",
                &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]
            ),
            Ok(Kind::Doc)
        );
        assert_eq!(check("l.rtf", b"{\\rtf1\\ansi hello}"), Ok(Kind::Rtf));
        assert_eq!(check("n.txt", "Siân’s note\n".as_bytes()), Ok(Kind::Txt));
        assert_eq!(
            check("p.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 0]),
            Ok(Kind::Jpeg)
        );
        assert_eq!(check("p.jpg", &[0xFF, 0xD8, 0xFF, 0xE1, 0]), Ok(Kind::Jpeg));
        assert_eq!(
            check(
                "p.png",
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]
            ),
            Ok(Kind::Png)
        );
        assert_eq!(check("a.mp3", b"ID3\x04\x00rest"), Ok(Kind::Mp3));
        assert_eq!(check("a.mp3", &[0xFF, 0xFB, 0x90, 0x64]), Ok(Kind::Mp3));
        assert_eq!(check("v.mp4", b"\0\0\0\x18ftypmp42"), Ok(Kind::Mp4));
        assert_eq!(
            check(
                "w.docx",
                &zip(&["[Content_Types].xml", "word/document.xml"], 10)
            ),
            Ok(Kind::Docx)
        );
        assert_eq!(
            check(
                "w.xlsx",
                &zip(&["[Content_Types].xml", "xl/workbook.xml"], 10)
            ),
            Ok(Kind::Xlsx)
        );
        let mut odt = zip(&["mimetype"], 0);
        let at = 38;
        odt.splice(
            at..at,
            b"application/vnd.oasis.opendocument.text".iter().copied(),
        );
        assert_eq!(check("t.odt", &odt), Ok(Kind::Odt));
    }

    #[test]
    fn a_renamed_executable_or_a_wrong_archive_is_refused() {
        let exe = b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode";
        for name in [
            "report.pdf",
            "report.docx",
            "report.doc",
            "photo.jpg",
            "notes.txt",
        ] {
            assert_eq!(check(name, exe), Err(Refusal::Content), "{name}");
        }
        assert_eq!(
            check("elf.pdf", b"\x7fELF\x02\x01\x01"),
            Err(Refusal::Content)
        );
        // A spreadsheet called a document, and a ZIP of anything.
        let xlsx = zip(&["[Content_Types].xml", "xl/workbook.xml"], 0);
        assert_eq!(check("w.docx", &xlsx), Err(Refusal::Content));
        assert_eq!(
            check("w.docx", &zip(&["evil.exe"], 0)),
            Err(Refusal::Content)
        );
        assert_eq!(
            check("t.odt", &zip(&["mimetype"], 0)),
            Err(Refusal::Content)
        );
        assert_eq!(check("bad.txt", &[b'a', 0xFF, b'b']), Err(Refusal::Content));
        assert_eq!(check("cut.txt", &[b'a', 0xE2, 0x80]), Err(Refusal::Content));
    }

    #[test]
    fn display_names_are_safe() {
        assert_eq!(
            display_name("Statement of Siân.pdf"),
            "Statement of Siân.pdf"
        );
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("..\\..\\Windows\\win.ini"), "win.ini");
        assert_eq!(display_name("C:\\Users\\ann\\plea.docx"), "plea.docx");
        assert_eq!(display_name(".."), "document");
        assert_eq!(display_name("/"), "document");
        assert_eq!(display_name(".hidden.pdf"), "hidden.pdf");
        assert_eq!(display_name("a\nb\r\u{0}c\u{7}.pdf"), "abc.pdf");
        assert_eq!(display_name("  two   spaces\t.pdf "), "two spaces.pdf");
        // A right-to-left override would show "invoiceexe.pdf"; without it the name is what it is.
        let rtl = display_name("invoice\u{202e}fdp.exe");
        assert_eq!(rtl, "invoicefdp.exe");
        assert_eq!(Kind::of_name(&rtl), None);
        assert_eq!(
            display_name("zero\u{200b}width\u{feff}.pdf"),
            "zerowidth.pdf"
        );
        let long = format!("{}.pdf", "ŵ".repeat(300));
        let kept = display_name(&long);
        assert_eq!(kept.chars().count(), NAME_MAX);
        assert!(kept.ends_with("ŵ.pdf"));
        let no_ext = "x".repeat(500);
        assert_eq!(display_name(&no_ext).chars().count(), NAME_MAX);
    }

    #[test]
    fn names_and_emptiness() {
        assert_eq!(check("programme.exe", b"MZ"), Err(Refusal::Extension));
        assert_eq!(check("no-extension", b"%PDF-"), Err(Refusal::Extension));
        assert_eq!(check("archive.pdf.exe", b"%PDF-"), Err(Refusal::Extension));
        assert_eq!(check("empty.pdf", b""), Err(Refusal::Empty));
        assert_eq!(Kind::of_name("Statement.DOCX"), Some(Kind::Docx));
    }

    #[test]
    fn a_large_archive_is_read_through_its_tail_and_text_across_chunks() {
        // The directory sits after 3 MiB of content: only the tail is kept.
        let big = zip(&["[Content_Types].xml", "word/document.xml"], 3 << 20);
        let mut c = Checker::new(Kind::Docx);
        for chunk in big.chunks(65_536) {
            c.update(chunk);
        }
        assert!(c.tail.len() <= TAIL && c.head.len() <= HEAD);
        assert_eq!(c.finish(), Ok(Kind::Docx));
        // A character split between two chunks is still text.
        let text = "Datganiad – Siân\n".repeat(1000);
        let mut c = Checker::new(Kind::Txt);
        for chunk in text.as_bytes().chunks(3) {
            c.update(chunk);
        }
        assert_eq!(c.finish(), Ok(Kind::Txt));
    }
}
