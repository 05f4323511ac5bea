//! English and Welsh: the language of a request, message look-up and plural rules.
//!
//! Messages live in `app/locales/*.toml`; `build.rs` turns them into [`Msg`] and [`PluralMsg`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/messages.rs"));

/// A language the service is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Welsh (Cymraeg).
    Cy,
}

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    /// The BCP 47 code used in `<html lang>`, `?lang=` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Cy => "cy",
        }
    }

    /// Parses `en` or `cy` (any case, with or without a region such as `cy-GB`).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("cy") {
            Some(Lang::Cy)
        } else {
            None
        }
    }

    /// The other language, for the language switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Cy,
            Lang::Cy => Lang::En,
        }
    }

    /// The language chosen from an `Accept-Language` header: the supported language with the
    /// highest quality, earlier entries winning ties; English when none is supported.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Lang, f32)> = None;
        for part in header.split(',') {
            let mut fields = part.split(';');
            let Some(lang) = fields.next().and_then(Lang::from_code) else {
                continue;
            };
            let q = fields
                .filter_map(|f| f.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((lang, q));
            }
        }
        best.map(|(l, _)| l).unwrap_or_default()
    }

    /// The raw value of `lang=` in a query string, if there is one.
    pub fn query_param(query: Option<&str>) -> Option<&str> {
        query?
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .map(|(_, v)| v)
    }

    /// The language a request asks for: `?lang=` first, then the cookie, then `Accept-Language`.
    pub fn negotiate(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        query
            .and_then(Lang::from_code)
            .or_else(|| cookie.and_then(Lang::from_code))
            .unwrap_or_else(|| accept.map(Lang::from_accept_language).unwrap_or_default())
    }

    /// The text of a message in this language.
    pub fn t(self, msg: Msg) -> &'static str {
        match self {
            Lang::En => EN[msg as usize],
            Lang::Cy => CY[msg as usize],
        }
    }

    /// A message with `{name}` placeholders filled in.
    pub fn tf(self, msg: Msg, args: &[(&str, &str)]) -> String {
        fill(self.t(msg), args)
    }

    /// The form of a plural message for `n`, with `{count}` filled in.
    pub fn tp(self, msg: PluralMsg, n: u64) -> String {
        let forms = match self {
            Lang::En => &EN_PLURAL[msg as usize],
            Lang::Cy => &CY_PLURAL[msg as usize],
        };
        fill(
            forms[self.plural_category(n) as usize],
            &[("count", &n.to_string())],
        )
    }

    /// CLDR cardinal plural category of `n` (Welsh distinguishes six).
    pub fn plural_category(self, n: u64) -> PluralCategory {
        match (self, n) {
            (Lang::En, 1) => PluralCategory::One,
            (Lang::En, _) => PluralCategory::Other,
            (Lang::Cy, 0) => PluralCategory::Zero,
            (Lang::Cy, 1) => PluralCategory::One,
            (Lang::Cy, 2) => PluralCategory::Two,
            (Lang::Cy, 3) => PluralCategory::Few,
            (Lang::Cy, 6) => PluralCategory::Many,
            (Lang::Cy, _) => PluralCategory::Other,
        }
    }
}

/// CLDR plural categories, in the order the message tables store them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluralCategory {
    /// zero
    Zero = 0,
    /// one
    One = 1,
    /// two
    Two = 2,
    /// few
    Few = 3,
    /// many
    Many = 4,
    /// other
    Other = 5,
}

fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The language of the page being rendered (provided once by the shell).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_else(page_lang)
}

/// The language the server chose for this request (set by the language middleware, or
/// negotiated from the request's headers).
#[cfg(feature = "ssr")]
pub fn request_lang() -> Lang {
    use_context::<axum::http::request::Parts>()
        .map(|parts| {
            parts
                .extensions
                .get::<Lang>()
                .copied()
                .unwrap_or_else(|| Lang::from_headers(&parts))
        })
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
impl Lang {
    /// Negotiates the language from a request's query string, cookie and `Accept-Language`.
    pub fn from_headers(parts: &axum::http::request::Parts) -> Lang {
        let query = Lang::query_param(parts.uri.query());
        let cookie = parts
            .headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .map(|(_, v)| v);
        let accept = parts
            .headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Lang::negotiate(query, cookie, accept)
    }
}

/// The page's language: on the server the request's, in the browser the one the server wrote
/// into `<html lang>` (so hydration renders the same text).
pub fn page_lang() -> Lang {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use_context::<Lang>().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        assert_eq!(Lang::from_code("cy"), Some(Lang::Cy));
        assert_eq!(Lang::from_code("CY-gb"), Some(Lang::Cy));
        assert_eq!(Lang::from_code("en_GB"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    #[test]
    fn accept_language_picks_highest_quality_supported() {
        assert_eq!(
            Lang::from_accept_language("cy-GB,cy;q=0.9,en;q=0.8"),
            Lang::Cy
        );
        assert_eq!(Lang::from_accept_language("en-GB,cy;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr, cy;q=0.5, en;q=0.4"),
            Lang::Cy
        );
        assert_eq!(Lang::from_accept_language("fr,de"), Lang::En);
        assert_eq!(Lang::from_accept_language("cy;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0.2, cy;q=0.7"), Lang::Cy);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn finds_the_lang_query_parameter() {
        assert_eq!(Lang::query_param(Some("q=x&lang=cy")), Some("cy"));
        assert_eq!(Lang::query_param(Some("language=cy")), None);
        assert_eq!(Lang::query_param(None), None);
    }

    #[test]
    fn query_beats_cookie_beats_header() {
        assert_eq!(
            Lang::negotiate(Some("cy"), Some("en"), Some("en")),
            Lang::Cy
        );
        assert_eq!(Lang::negotiate(None, Some("cy"), Some("en")), Lang::Cy);
        assert_eq!(Lang::negotiate(Some("xx"), None, Some("cy")), Lang::Cy);
        assert_eq!(Lang::negotiate(None, None, None), Lang::En);
    }

    #[test]
    fn welsh_plural_categories() {
        let cats: Vec<_> = (0..8).map(|n| Lang::Cy.plural_category(n)).collect();
        use PluralCategory::*;
        assert_eq!(cats, [Zero, One, Two, Few, Other, Other, Many, Other]);
        assert_eq!(Lang::En.plural_category(1), One);
        assert_eq!(Lang::En.plural_category(0), Other);
    }

    #[test]
    fn fills_placeholders_and_plurals() {
        assert_eq!(Lang::En.tp(PluralMsg::CourtsShown, 1), "1 court");
        assert_eq!(Lang::En.tp(PluralMsg::CourtsShown, 12), "12 courts");
        assert_eq!(Lang::Cy.tp(PluralMsg::CourtsShown, 2), "2 lys");
        assert_eq!(Lang::Cy.tp(PluralMsg::CourtsShown, 3), "3 llys");
        assert_eq!(fill("a {x} b {x}", &[("x", "1")]), "a 1 b 1");
    }

    #[test]
    fn every_message_is_translated() {
        for (i, (en, cy)) in EN.iter().zip(CY.iter()).enumerate() {
            assert!(!en.trim().is_empty(), "English message {i} is empty");
            assert!(!cy.trim().is_empty(), "Welsh message {i} is empty");
        }
    }
}
