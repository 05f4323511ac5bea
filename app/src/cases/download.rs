//! Sending a case file: checked and recorded first ([`super::defence::download`]), then
//! streamed from disk in chunks (constant memory, whatever the file's size), with a safe
//! file name (RFC 6266), `attachment`, `no-store`, `nosniff` and a sandboxing CSP.

use super::defence::{self, Member};
use crate::state::AppState;
use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// The download's address.
pub const PATH: &str = "/cases/{id}/material/{material}";

/// Types sent as themselves; anything else is `application/octet-stream` (a browser never
/// renders what the service cannot vouch for).
const SAFE_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
    "audio/mpeg",
    "video/mp4",
];

/// The `Content-Type` to send for a stored type.
pub fn content_type(stored: &str) -> &'static str {
    let base = stored.split(';').next().unwrap_or_default().trim();
    match SAFE_TYPES
        .iter()
        .copied()
        .find(|t| t.eq_ignore_ascii_case(base))
    {
        Some("text/plain") => "text/plain; charset=utf-8",
        Some("text/csv") => "text/csv; charset=utf-8",
        Some(t) => t,
        None => "application/octet-stream",
    }
}

/// `Content-Disposition: attachment` with the name as ASCII (anything else, quotes,
/// backslashes and control characters replaced) and, when it differs, the exact name as
/// RFC 5987 UTF-8 (`filename*`). Path separators never survive.
pub fn disposition(file_name: &str) -> String {
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let name = if name.trim().is_empty() || name == "." || name == ".." {
        "document".to_owned()
    } else {
        name
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        return format!("attachment; filename=\"{ascii}\"");
    }
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// `GET /cases/{id}/material/{material}`.
pub async fn get(state: AppState, req: axum::extract::Request) -> Response {
    let Some(member) = Member::of_request(req.extensions()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (case_id, material_id) = (
        crate::web::routes::param(PATH, req.uri().path(), "id"),
        crate::web::routes::param(PATH, req.uri().path(), "material"),
    );
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    let failed = |e: crate::error::AppError| {
        (StatusCode::INTERNAL_SERVER_ERROR, e.message(lang)).into_response()
    };
    let now = state.clock.now_unix();
    let d = match defence::download(&state.db, &member, &case_id, &material_id, now).await {
        Ok(Some(d)) => d,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return failed(crate::error::AppError::internal(e)),
    };
    send(&state, &d, req.headers(), lang).await
}

/// Sends a document already checked and recorded: the part a `Range` header asks for, or all
/// of it, from the document store or the case files, as an attachment.
pub async fn send(
    state: &AppState,
    d: &defence::Download,
    headers: &axum::http::HeaderMap,
    lang: crate::i18n::Lang,
) -> Response {
    let failed = |e: crate::error::AppError| {
        (StatusCode::INTERNAL_SERVER_ERROR, e.message(lang)).into_response()
    };
    let size = u64::try_from(d.size).unwrap_or(0);
    let range = match headers.get(header::RANGE).map(|v| v.to_str().unwrap_or("")) {
        None => None,
        Some(asked) => match byte_range(asked, size) {
            Some(r) => Some(r),
            None => {
                let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return res;
            }
        },
    };
    let body = match &d.storage_key {
        Some(key) => match state.objects.get(key, range.clone()).await {
            Ok(stream) => Body::from_stream(stream),
            Err(e) => {
                return failed(crate::error::AppError::internal(format!(
                    "document {key}: {e}"
                )));
            }
        },
        None => {
            let Some(path) = crate::files::path_of(&state.files, &d.sha256) else {
                return failed(crate::error::AppError::internal(
                    "a stored hash that is not one",
                ));
            };
            match open_range(&path, range.clone()).await {
                Ok(reader) => Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
                    reader,
                    64 << 10,
                )),
                Err(e) => {
                    return failed(crate::error::AppError::internal(format!(
                        "case file {}: {e}",
                        d.sha256
                    )));
                }
            }
        }
    };
    let mut res = body.into_response();
    let sent = match &range {
        Some(r) => {
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start, r.end - 1))
            {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r.end - r.start
        }
        None => size,
    };
    res.headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&sent.to_string()) {
        res.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&d.content_type)),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&d.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; style-src 'unsafe-inline'"),
    );
    res
}

/// The part of a file a `Range` header asks for, as a half-open byte range of a file of `size`
/// bytes: one range (`bytes=a-b`, `bytes=a-`, `bytes=-n`), clipped to the file. None: a header
/// that cannot be met (416); several ranges are not offered and are refused the same way.
pub fn byte_range(header: &str, size: u64) -> Option<std::ops::Range<u64>> {
    let spec = header.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        size.saturating_sub(n)..size
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size
        } else {
            b.parse::<u64>().ok()?.saturating_add(1).min(size)
        };
        start..end
    };
    (range.start < range.end && range.start < size).then_some(range)
}

/// A file on disk from `range`'s start, read no further than its end.
async fn open_range(
    path: &std::path::Path,
    range: Option<std::ops::Range<u64>>,
) -> std::io::Result<tokio::io::Take<tokio::fs::File>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut file = tokio::fs::File::open(path).await?;
    let (start, len) = range.map_or((0, u64::MAX), |r| (r.start, r.end - r.start));
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start)).await?;
    }
    Ok(file.take(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(byte_range("bytes=0-99", 1000), Some(0..100));
        assert_eq!(byte_range("bytes=900-", 1000), Some(900..1000));
        assert_eq!(byte_range("bytes=-100", 1000), Some(900..1000));
        assert_eq!(byte_range("bytes=-5000", 1000), Some(0..1000));
        assert_eq!(byte_range("bytes=990-5000", 1000), Some(990..1000));
        assert_eq!(byte_range("bytes=1000-", 1000), None);
        assert_eq!(byte_range("bytes=5-4", 1000), None);
        assert_eq!(byte_range("bytes=-0", 1000), None);
        assert_eq!(byte_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(byte_range("items=0-1", 1000), None);
        assert_eq!(byte_range("bytes=a-b", 1000), None);
        assert_eq!(byte_range("bytes=0-0", 0), None);
    }

    #[test]
    fn file_names_are_safe_and_exact() {
        assert_eq!(disposition("IDPC.pdf"), "attachment; filename=\"IDPC.pdf\"");
        assert_eq!(
            disposition("../../etc/passwd"),
            "attachment; filename=\"passwd\""
        );
        assert_eq!(
            disposition("a\"b\r\n.pdf"),
            "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf"
        );
        assert_eq!(
            disposition("Siân Ŵyn.pdf"),
            "attachment; filename=\"Si_n _yn.pdf\"; filename*=UTF-8''Si%C3%A2n%20%C5%B4yn.pdf"
        );
        assert_eq!(disposition(""), "attachment; filename=\"document\"");
        assert_eq!(
            disposition("C:\\x\\..\\"),
            "attachment; filename=\"document\""
        );
    }

    #[test]
    fn only_known_types_are_sent_as_themselves() {
        assert_eq!(content_type("application/pdf"), "application/pdf");
        assert_eq!(content_type("APPLICATION/PDF; x=1"), "application/pdf");
        assert_eq!(content_type("text/html"), "application/octet-stream");
        assert_eq!(content_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(content_type("text/plain"), "text/plain; charset=utf-8");
    }
}
