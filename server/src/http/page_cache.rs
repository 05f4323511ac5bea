//! Rendered public pages, kept for a minute.
//!
//! The public pages (start, courts, accessibility, cookies, privacy) are the same for every
//! visitor in a language on a given day, and the courts page is the one most requested when a
//! court day starts. Rendering it takes about a millisecond; sending a stored copy takes
//! microseconds. Each stored page keeps the CSP nonce it was rendered with, and every response
//! gets a fresh nonce substituted in the page and in its Content-Security-Policy header, so a
//! nonce is never sent twice. Requests that carry a session cookie are never served from here.

use app::{clock::Clock, date::Date, i18n::Lang};
use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use bytes::Bytes;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Pages that are the same for every visitor.
const PUBLIC_PAGES: [&str; 5] = ["/", "/courts", "/accessibility", "/cookies", "/privacy"];
/// Seconds a stored page is used.
const TTL_SECS: i64 = 60;
/// Most searches kept (each query makes its own page). Past it, expired pages are dropped and,
/// if it is still full, a new search is not kept: a flood of junk queries cannot push out the
/// pages already kept, and the plain pages (no query) are always kept.
const MAX_ENTRIES: usize = 512;

/// The query parameters each public page reads: any other parameter leaves the page as it is,
/// so it is no part of the key.
fn reads(path: &str) -> &'static [&'static str] {
    match path {
        "/courts" => &["q"],
        _ => &[],
    }
}

/// The key a page is stored under: the language, the path and the values of the parameters
/// the page reads. `None` when a parameter the page reads is given twice (the page would take
/// one of them; which is the page's business, so it is simply not stored).
fn cache_key(lang: Lang, path: &str, query: Option<&str>) -> Option<String> {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    let mut key = format!("{}|{path}", lang.code());
    for name in reads(path) {
        let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (Some(v), None) => key.push_str(&format!("|{name}={v}")),
            (None, _) => {}
            (Some(_), Some(_)) => return None,
        }
    }
    Some(key)
}
/// Largest page kept.
const MAX_BODY: usize = 2 * 1024 * 1024;

struct Entry {
    stored_at: i64,
    day: Date,
    headers: HeaderMap,
    /// The page cut at each place its nonce stood: a fresh nonce goes between the pieces.
    pieces: Vec<Bytes>,
}

impl Entry {
    fn new(stored_at: i64, day: Date, headers: HeaderMap, body: &Bytes, nonce: &str) -> Entry {
        let mut pieces = Vec::new();
        let mut start = 0;
        let needle = nonce.as_bytes();
        let mut i = 0;
        while i + needle.len() <= body.len() {
            if &body[i..i + needle.len()] == needle {
                pieces.push(body.slice(start..i));
                i += needle.len();
                start = i;
            } else {
                i += 1;
            }
        }
        pieces.push(body.slice(start..));
        Entry {
            stored_at,
            day,
            headers,
            pieces,
        }
    }
}

/// The store of rendered pages.
pub struct PageCache {
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

impl PageCache {
    /// An empty store that tells time by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> PageCache {
        PageCache {
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lookup(&self, key: &str, now: i64, day: Date) -> Option<Arc<Entry>> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        ((0..TTL_SECS).contains(&(now - e.stored_at)) && e.day == day).then(|| e.clone())
    }

    fn store(&self, key: String, entry: Entry) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let plain = !key.contains("|q=");
        let searches =
            |e: &HashMap<String, Arc<Entry>>| e.keys().filter(|k| k.contains("|q=")).count();
        if !plain && !entries.contains_key(&key) && searches(&entries) >= MAX_ENTRIES {
            let now = entry.stored_at;
            entries.retain(|_, e| (0..TTL_SECS).contains(&(now - e.stored_at)));
            if searches(&entries) >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(key, Arc::new(entry));
    }
}

fn nonce_of(csp: &str) -> Option<&str> {
    csp.split("'nonce-")
        .nth(1)?
        .split('\'')
        .next()
        .filter(|n| n.len() >= 16)
}

fn respond(entry: &Entry) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    // The pieces are shared, not copied: only the nonce is new.
    let fresh = Bytes::from(nonce.clone());
    let mut chunks = Vec::with_capacity(entry.pieces.len() * 2);
    for (i, piece) in entry.pieces.iter().enumerate() {
        if i > 0 {
            chunks.push(Ok::<_, std::convert::Infallible>(fresh.clone()));
        }
        chunks.push(Ok(piece.clone()));
    }
    let mut response = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
    *response.headers_mut() = entry.headers.clone();
    if let Ok(csp) = HeaderValue::from_str(&app::layout::content_security_policy(&nonce)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// Serves a stored copy of a public page when there is a fresh one; otherwise renders it and
/// stores the result.
pub async fn serve(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    let cacheable = request.method() == Method::GET
        && PUBLIC_PAGES.contains(&request.uri().path())
        && !request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .any(|c| c.to_str().is_ok_and(|c| c.contains("__Host-session")))
        && !request.uri().query().is_some_and(|q| q.contains("lang="));
    if !cacheable {
        return next.run(request).await;
    }
    let lang = request
        .extensions()
        .get::<Lang>()
        .copied()
        .unwrap_or_default();
    let Some(key) = cache_key(lang, request.uri().path(), request.uri().query()) else {
        return next.run(request).await;
    };
    let (now, day) = (cache.clock.now_unix(), cache.clock.today_uk());
    if let Some(entry) = cache.lookup(&key, now, day) {
        return respond(&entry);
    }

    let response = next.run(request).await;
    let nonce = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .and_then(nonce_of)
        .map(str::to_owned);
    let (Some(nonce), StatusCode::OK, false) = (
        nonce,
        response.status(),
        response.headers().contains_key(header::SET_COOKIE),
    ) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        let incident = app::error::new_incident_id();
        tracing::error!(incident = %incident, "a public page was over {MAX_BODY} bytes");
        let mut failed = Response::new(Body::from(format!(
            "Sorry, there is a problem with the service ({incident})."
        )));
        *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return failed;
    };
    let entry = Entry::new(now, day, parts.headers, &bytes, &nonce);
    let response = respond(&entry);
    cache.store(key, entry);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nonce() {
        let csp =
            "default-src 'self'; script-src 'self' 'nonce-abcdefghijklmnop12' 'wasm-unsafe-eval'";
        assert_eq!(nonce_of(csp), Some("abcdefghijklmnop12"));
        assert_eq!(nonce_of("default-src 'self'"), None);
        assert_eq!(nonce_of("script-src 'nonce-short'"), None);
    }

    #[derive(Debug)]
    struct At(i64);
    impl Clock for At {
        fn now_unix(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn entries_expire_and_belong_to_their_day() {
        let day = Date::new(2026, 11, 21).unwrap();
        let cache = PageCache::new(Arc::new(At(0)));
        let entry = |stored_at| {
            Entry::new(
                stored_at,
                day,
                HeaderMap::new(),
                &Bytes::new(),
                &"N".repeat(16),
            )
        };
        cache.store("en|/courts".into(), entry(1000));
        assert!(
            cache
                .lookup("en|/courts", 1000 + TTL_SECS - 1, day)
                .is_some()
        );
        assert!(
            cache.lookup("en|/courts", 1000 + TTL_SECS, day).is_none(),
            "expired"
        );
        assert!(
            cache.lookup("en|/courts", 1001, day.add_days(1)).is_none(),
            "a new day"
        );
        assert!(
            cache.lookup("cy|/courts", 1001, day).is_none(),
            "another language"
        );
        cache.store("en|/courts|q=cardiff".into(), entry(1000));
        for i in 0..2 * MAX_ENTRIES {
            cache.store(format!("en|/courts|q=junk{i}"), entry(1000));
        }
        let kept = cache.entries.lock().unwrap().len();
        assert!(kept <= MAX_ENTRIES + 1, "bounded: {kept}");
        assert!(
            cache.lookup("en|/courts", 1001, day).is_some()
                && cache.lookup("en|/courts|q=cardiff", 1001, day).is_some(),
            "a flood of searches pushes out nothing already kept"
        );
        cache.store("en|/cookies".into(), entry(1000));
        assert!(
            cache.lookup("en|/cookies", 1001, day).is_some(),
            "a plain page is always kept"
        );
        // Once the flood has expired, new searches are kept again.
        cache.store("en|/courts|q=swansea".into(), entry(1000 + TTL_SECS));
        assert!(
            cache
                .lookup("en|/courts|q=swansea", 1000 + TTL_SECS, day)
                .is_some()
        );
    }

    #[test]
    fn the_key_holds_only_what_the_page_reads() {
        let key = |path, q| cache_key(Lang::En, path, q);
        assert_eq!(key("/courts", None).as_deref(), Some("en|/courts"));
        assert_eq!(
            key("/courts", Some("q=cardiff&utm_source=x&junk=1")),
            key("/courts", Some("q=cardiff"))
        );
        assert_eq!(key("/", Some("anything=at-all")), key("/", None));
        assert_eq!(
            key("/courts", Some("q=Caerdydd+Ynadon")).as_deref(),
            Some("en|/courts|q=Caerdydd Ynadon")
        );
        assert_ne!(key("/courts", Some("q=a")), key("/courts", Some("q=b")));
        assert_eq!(key("/courts", Some("q=a&q=b")), None, "not kept");
        assert_eq!(
            cache_key(Lang::Cy, "/courts", None).as_deref(),
            Some("cy|/courts")
        );
    }

    #[test]
    fn cuts_the_page_at_each_nonce() {
        let body = Bytes::from_static(b"a NONCE b NONCE c NONC");
        let e = Entry::new(
            0,
            Date::new(2026, 1, 1).unwrap(),
            HeaderMap::new(),
            &body,
            "NONCE",
        );
        assert_eq!(e.pieces, ["a ", " b ", " c NONC"]);
        let e = Entry::new(
            0,
            Date::new(2026, 1, 1).unwrap(),
            HeaderMap::new(),
            &Bytes::from_static(b"NONCE"),
            "NONCE",
        );
        assert_eq!(e.pieces, ["", ""]);
    }

    #[test]
    fn every_response_gets_a_new_nonce() {
        let body = Bytes::from_static(b"<script nonce=\"OLDNONCEOLDNONCE1234\">x</script>");
        let entry = Entry::new(
            0,
            Date::new(2026, 11, 21).unwrap(),
            HeaderMap::new(),
            &body,
            "OLDNONCEOLDNONCE1234",
        );
        let a = respond(&entry);
        let b = respond(&entry);
        let csp = |r: &Response| {
            r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_ne!(csp(&a), csp(&b));
        assert!(!csp(&a).contains("OLDNONCE"));
    }
}
