//! Access only from the UK and the EEA. The client address's country comes from a country
//! database the operator supplies in MaxMind's GeoLite2-Country CSV format (the
//! `GeoLite2-Country-Blocks-IPv4.csv`, `-Blocks-IPv6.csv` and `-Locations-en.csv` files, or any
//! files in that format); addresses outside the allowed countries, or in no listed network, get
//! a refusal page. Loopback and the operator's trusted networks always pass, as do the health
//! checks (load balancers).

use super::client_ip::ClientIp;
use anyhow::Context as _;
use app::i18n::Lang;
use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    path::Path,
    sync::Arc,
};

/// The United Kingdom and the European Economic Area (EU 27, Iceland, Liechtenstein, Norway).
pub const UK_AND_EEA: &[&str] = &[
    "GB", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

/// A network as an inclusive range of addresses (IPv4 mapped into IPv6 space).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    first: u128,
    last: u128,
}

fn as_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(v4.to_ipv6_mapped()),
            None => u128::from(v6),
        },
    }
}

impl Network {
    /// Parses `192.0.2.0/24` or `2001:db8::/32` (a bare address is a /32 or /128).
    pub fn parse(s: &str) -> Result<Network, String> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not a network"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len {
            Some(l) => l.parse().map_err(|_| format!("{s:?}: bad prefix length"))?,
            None => max,
        };
        if len > max {
            return Err(format!("{s:?}: prefix longer than {max}"));
        }
        let len = len + (128 - max);
        let host_bits = 128 - len;
        let mask = if host_bits == 128 {
            0
        } else {
            u128::MAX << host_bits
        };
        let first = as_u128(ip) & mask;
        Ok(Network {
            first,
            last: first | !mask,
        })
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        (self.first..=self.last).contains(&as_u128(ip))
    }
}

/// The country database and the rules.
#[derive(Debug)]
pub struct Geo {
    /// Sorted, non-overlapping networks with their country codes.
    ranges: Vec<(u128, u128, [u8; 2])>,
    allowed: HashSet<String>,
    trusted: Vec<Network>,
}

/// What the rules say about an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Loopback or a trusted network.
    Trusted,
    /// In an allowed country.
    Allowed(String),
    /// In another country.
    Refused(String),
    /// In no listed network.
    Unknown,
}

impl Geo {
    /// Builds the lookup from the CSV texts.
    pub fn from_csv(
        blocks: &[&str],
        locations: &str,
        allowed: &[String],
        trusted: Vec<Network>,
    ) -> anyhow::Result<Geo> {
        let mut countries: HashMap<String, [u8; 2]> = HashMap::new();
        let mut reader = csv::Reader::from_reader(locations.as_bytes());
        let headers = reader.headers()?.clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("locations file: no {name} column"))
        };
        let (id_col, iso_col) = (col("geoname_id")?, col("country_iso_code")?);
        for row in reader.records() {
            let row = row?;
            let iso = row.get(iso_col).unwrap_or_default().as_bytes();
            if let (Some(id), [a, b]) = (row.get(id_col), iso) {
                countries.insert(id.to_owned(), [*a, *b]);
            }
        }
        let mut ranges = vec![];
        for text in blocks {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let headers = reader.headers()?.clone();
            let col = |name: &str| {
                headers
                    .iter()
                    .position(|h| h == name)
                    .with_context(|| format!("blocks file: no {name} column"))
            };
            let (net_col, id_col, reg_col) = (
                col("network")?,
                col("geoname_id")?,
                col("registered_country_geoname_id")?,
            );
            for row in reader.records() {
                let row = row?;
                let net = Network::parse(row.get(net_col).unwrap_or_default())
                    .map_err(|e| anyhow::anyhow!("blocks file: {e}"))?;
                // The country where the address is used; failing that, where it is registered.
                let id = row
                    .get(id_col)
                    .filter(|s| !s.is_empty())
                    .or_else(|| row.get(reg_col));
                if let Some(c) = id.and_then(|id| countries.get(id)) {
                    ranges.push((net.first, net.last, *c));
                }
            }
        }
        ranges.sort_unstable_by_key(|r| r.0);
        Ok(Geo {
            ranges,
            allowed: allowed.iter().map(|c| c.trim().to_uppercase()).collect(),
            trusted,
        })
    }

    /// Loads `GeoLite2-Country-Blocks-IPv4.csv`, `-Blocks-IPv6.csv` (either may be absent) and
    /// `GeoLite2-Country-Locations-en.csv` from `dir`.
    pub fn load(dir: &Path, allowed: &[String], trusted: Vec<Network>) -> anyhow::Result<Geo> {
        let read = |name: &str| std::fs::read_to_string(dir.join(name));
        let locations = read("GeoLite2-Country-Locations-en.csv")
            .with_context(|| format!("reading the locations file in {}", dir.display()))?;
        let blocks: Vec<String> = [
            "GeoLite2-Country-Blocks-IPv4.csv",
            "GeoLite2-Country-Blocks-IPv6.csv",
        ]
        .iter()
        .filter_map(|n| read(n).ok())
        .collect();
        anyhow::ensure!(!blocks.is_empty(), "no Blocks file in {}", dir.display());
        let refs: Vec<&str> = blocks.iter().map(String::as_str).collect();
        Geo::from_csv(&refs, &locations, allowed, trusted)
    }

    /// How many networks are known.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// The country of `ip`, if listed.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let x = as_u128(ip);
        let i = self.ranges.partition_point(|r| r.0 <= x);
        let (_, last, c) = self.ranges.get(i.checked_sub(1)?)?;
        (x <= *last).then(|| String::from_utf8_lossy(c).into_owned())
    }

    /// The rules applied to `ip`.
    pub fn verdict(&self, ip: IpAddr) -> Verdict {
        if ip.is_loopback()
            || ip_is_mapped_loopback(ip)
            || self.trusted.iter().any(|n| n.contains(ip))
        {
            return Verdict::Trusted;
        }
        match self.country(ip) {
            Some(c) if self.allowed.contains(&c) => Verdict::Allowed(c),
            Some(c) => Verdict::Refused(c),
            None => Verdict::Unknown,
        }
    }
}

fn ip_is_mapped_loopback(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
}

/// Refuses requests from outside the allowed countries with a page saying so.
pub async fn restrict(State(geo): State<Arc<Geo>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/healthz"
        || path == "/readyz"
        || path.starts_with("/pkg/")
        || path.starts_with("/assets/")
    {
        return next.run(req).await;
    }
    // Set by `client_ip::resolve`, which runs first; without it nothing is let through.
    let Some(ip) = req.extensions().get::<ClientIp>().map(|c| c.0) else {
        return refusal(req.extensions().get::<Lang>().copied().unwrap_or_default());
    };
    match geo.verdict(ip) {
        Verdict::Trusted | Verdict::Allowed(_) => next.run(req).await,
        verdict => {
            tracing::info!(%ip, ?verdict, path = %req.uri().path(), "refused: outside the UK and EEA");
            let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
            refusal(lang)
        }
    }
}

fn refusal(lang: Lang) -> Response {
    use app::i18n::Msg;
    let page = format!(
        "<!DOCTYPE html><html lang=\"{code}\" class=\"govuk-template\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body class=\"govuk-template__body\">\
         <main class=\"govuk-main-wrapper\" id=\"main-content\" style=\"max-width:40em;margin:0 auto;padding:2em 1em;font-family:arial,sans-serif\">\
         <h1>{title}</h1><p>{body}</p><p>{next}</p></main></body></html>",
        code = lang.code(),
        title = lang.t(Msg::GeoRefusedTitle),
        body = lang.t(Msg::GeoRefusedBody),
        next = lang.t(Msg::GeoRefusedNext),
    );
    (
        StatusCode::FORBIDDEN,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny database in the GeoLite2-Country CSV format (documentation address ranges).
    pub const FIXTURE_LOCATIONS: &str =
        include_str!("../../tests/geo/GeoLite2-Country-Locations-en.csv");
    pub const FIXTURE_V4: &str = include_str!("../../tests/geo/GeoLite2-Country-Blocks-IPv4.csv");
    pub const FIXTURE_V6: &str = include_str!("../../tests/geo/GeoLite2-Country-Blocks-IPv6.csv");

    fn geo(trusted: &[&str]) -> Geo {
        let allowed: Vec<String> = UK_AND_EEA.iter().map(|s| (*s).to_owned()).collect();
        Geo::from_csv(
            &[FIXTURE_V4, FIXTURE_V6],
            FIXTURE_LOCATIONS,
            &allowed,
            trusted.iter().map(|t| Network::parse(t).unwrap()).collect(),
        )
        .unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let n = Network::parse("192.0.2.0/24").unwrap();
        assert!(n.contains(ip("192.0.2.255")));
        assert!(!n.contains(ip("192.0.3.0")));
        assert!(
            Network::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8:ffff::1"))
        );
        assert!(Network::parse("10.0.0.1").unwrap().contains(ip("10.0.0.1")));
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("nonsense").is_err());
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("203.0.113.9"))
        );
    }

    #[test]
    fn countries_decide() {
        let g = geo(&["10.20.0.0/16"]);
        assert_eq!(g.verdict(ip("192.0.2.10")), Verdict::Allowed("GB".into()));
        assert_eq!(g.verdict(ip("198.51.100.7")), Verdict::Allowed("IE".into()));
        assert_eq!(g.verdict(ip("203.0.113.5")), Verdict::Refused("US".into()));
        assert_eq!(
            g.verdict(ip("2001:db8:1::5")),
            Verdict::Allowed("NO".into())
        );
        assert_eq!(
            g.verdict(ip("2001:db8:2::5")),
            Verdict::Refused("CN".into())
        );
        // Registered country when the used one is blank.
        assert_eq!(g.verdict(ip("198.18.0.1")), Verdict::Allowed("FR".into()));
        assert_eq!(g.verdict(ip("100.64.0.1")), Verdict::Unknown);
        assert_eq!(g.verdict(ip("127.0.0.1")), Verdict::Trusted);
        assert_eq!(g.verdict(ip("::1")), Verdict::Trusted);
        assert_eq!(g.verdict(ip("::ffff:127.0.0.1")), Verdict::Trusted);
        assert_eq!(g.verdict(ip("10.20.3.4")), Verdict::Trusted);
        assert_eq!(
            g.verdict(ip("::ffff:192.0.2.10")),
            Verdict::Allowed("GB".into())
        );
    }
}
