//! The client's address: the connection's peer, unless the peer is a trusted proxy
//! (`TRUSTED_PROXIES`), in which case the forwarding headers are read from the right and the
//! client is the rightmost hop that is not itself a trusted proxy. Every hop to the left of that
//! one could have been written by the client, so it is never believed. With no trusted proxies,
//! the headers are ignored. The address found is used for throttling, the country check and the
//! audit trail.

use super::geo::Network;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::Response,
};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

pub use app::web::ClientIp;

/// The networks whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<Vec<Network>>);

impl TrustedProxies {
    /// Parses a list such as `10.0.0.0/8, 2001:db8::/32` (blank entries ignored).
    pub fn parse(list: &[String]) -> Result<TrustedProxies, String> {
        list.iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| Network::parse(n).map_err(|e| format!("TRUSTED_PROXIES: {e}")))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| TrustedProxies(Arc::new(v)))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }
}

/// The hops named by `Forwarded` (RFC 7239) if present, else by `X-Forwarded-For`, leftmost
/// first; `None` for a hop that names no address (`unknown`, an obfuscated name, junk).
fn hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all(header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| node_address(v))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(','))
        .map(node_address)
        .collect()
}

/// The address in a node: `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(v6) = node.strip_prefix('[') {
        return v6.split(']').next()?.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// The client's address for a request from `peer` with these headers.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let mut client = peer;
    if !trusted.trusts(peer) {
        return client;
    }
    for hop in hops(headers).into_iter().rev() {
        match hop {
            // A trusted proxy passed it on: look further left.
            Some(ip) if trusted.trusts(ip) => client = ip,
            Some(ip) => return ip,
            // A hop without an address: the last trusted proxy is all that is known.
            None => return client,
        }
    }
    client
}

/// Puts the [`ClientIp`] into the request's extensions, first of all.
pub async fn resolve(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let ip = client_address(peer, req.headers(), &trusted);
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_are_ignored_without_trusted_proxies() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_address(ip("10.0.0.5"), &h, &none), ip("10.0.0.5"));
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let t = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(client_address(ip("203.0.113.9"), &h, &t), ip("203.0.113.9"));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let t = TrustedProxies::parse(&["10.0.0.0/8".into(), " ".into()]).unwrap();
        // The client wrote a fake first hop; the load balancer appended the real one.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7")]);
        assert_eq!(client_address(ip("10.0.0.5"), &h, &t), ip("198.51.100.7"));
        // Two proxies of ours in a row.
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.7, 10.1.1.1"),
        ]);
        assert_eq!(client_address(ip("10.0.0.5"), &h, &t), ip("198.51.100.7"));
        // Only our own proxies: the leftmost of them.
        let h = headers(&[("x-forwarded-for", "10.2.2.2, 10.1.1.1")]);
        assert_eq!(client_address(ip("10.0.0.5"), &h, &t), ip("10.2.2.2"));
        // A hop without an address stops the walk at the proxy that reported it.
        let h = headers(&[("x-forwarded-for", "198.51.100.7, unknown, 10.1.1.1")]);
        assert_eq!(client_address(ip("10.0.0.5"), &h, &t), ip("10.1.1.1"));
    }

    #[test]
    fn forwarded_is_preferred_and_parsed() {
        let t = TrustedProxies::parse(&["10.0.0.0/8".into(), "2001:db8::/32".into()]).unwrap();
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            (
                "forwarded",
                "for=1.2.3.4, for=\"[2001:db9::1]:4711\";proto=https, for=10.9.9.9;by=10.0.0.1",
            ),
        ]);
        assert_eq!(client_address(ip("10.0.0.5"), &h, &t), ip("2001:db9::1"));
        let h = headers(&[("forwarded", "for=192.0.2.60:8080;proto=http")]);
        assert_eq!(client_address(ip("2001:db8::5"), &h, &t), ip("192.0.2.60"));
        let h = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(client_address(ip("10.0.0.5"), &h, &t), ip("10.0.0.5"));
    }

    #[test]
    fn bad_networks_are_refused() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["not a network".into()]).is_err());
    }
}
