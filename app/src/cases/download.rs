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
    let path = req.uri().path().to_owned();
    let params = crate::web::routes::params(PATH, &path).unwrap_or_default();
    let param = |n: &str| params.iter().find(|(k, _)| *k == n).map_or("", |(_, v)| *v);
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    let failed = |e: crate::error::AppError| {
        (StatusCode::INTERNAL_SERVER_ERROR, e.message(lang)).into_response()
    };
    let now = state.clock.now_unix();
    let d = match defence::download(&state.db, &member, param("id"), param("material"), now).await {
        Ok(Some(d)) => d,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return failed(crate::error::AppError::internal(e)),
    };
    let Some(file) = crate::files::path_of(&state.files, &d.sha256) else {
        return failed(crate::error::AppError::internal(
            "a stored hash that is not one",
        ));
    };
    let file = match tokio::fs::File::open(&file).await {
        Ok(f) => f,
        Err(e) => {
            return failed(crate::error::AppError::internal(format!(
                "case file {}: {e}",
                d.sha256
            )));
        }
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 << 10));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&d.content_type)),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&d.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&d.size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
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

#[cfg(test)]
mod tests {
    use super::*;

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
