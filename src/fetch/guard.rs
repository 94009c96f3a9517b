//! Where links taken from feeds and pages may lead: not into the mirror's own machine or
//! network. A feed is written by a stranger; an article link, an image, a redirect hop or a
//! recheck pointing at `127.0.0.1`, `10.x`, `169.254.169.254` or a name resolving there would
//! make newsmirror read another local service and publish what it read.
//!
//! Every hop of every request is checked: an IP-literal host before the request (connections
//! to literals bypass resolvers), a host name by [`GuardedResolver`] on the addresses the
//! connection will actually use (so DNS rebinding gains nothing). Exempt: the origins of the
//! source's configured feed URLs (the keeper's choice), addresses and hosts listed in
//! `allow_private`, and the configured proxy (a trusted hop; behind a proxy that resolves
//! names itself, the target is checked as far as it is known here: literals and `localhost`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

use super::FetchError;
use crate::config::{AddrRule, FetchSettings};

/// Why an address is not a public one, if it is not.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified address (0.0.0.0/8 reaches this machine)",
        (127, _, _) => "a loopback address",
        (10, _, _) | (192, 168, _) => "a private network address (RFC 1918)",
        (172, 16..=31, _) => "a private network address (RFC 1918)",
        (169, 254, _) => "a link-local address (cloud metadata services live there)",
        (100, 64..=127, _) => "a carrier-grade NAT address (RFC 6598)",
        (192, 0, 0) => "an IETF protocol address (192.0.0.0/24)",
        (198, 18..=19, _) => "a benchmarking network address (198.18.0.0/15)",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    let seg = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    Some(match seg[0] {
        // ::/96, IPv4-compatible (deprecated): nothing public lives there.
        0 if seg[1..6].iter().all(|s| *s == 0) => "an IPv4-compatible address (deprecated)",
        // NAT64 and 6to4 carry an IPv4 address that may be a private one.
        0x64 if seg[1] == 0xff9b && seg[2..6].iter().all(|s| *s == 0) => {
            return v4_kind(embedded(seg[6], seg[7]));
        }
        0x2002 => return v4_kind(embedded(seg[1], seg[2])),
        s if s & 0xfe00 == 0xfc00 => "a unique local address (fc00::/7)",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xffc0 == 0xfec0 => "a site-local address (deprecated)",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        _ => return None,
    })
}

/// A refusal by the resolver, carried through reqwest's error chain.
#[derive(Debug)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

const HINT: &str = "links taken from feeds and pages may not reach private networks \
                    (allow some with [fetch] allow_private)";

/// Which client a hop goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The keeper's own choice: any address.
    Trusted,
    /// Through the resolver that refuses private addresses.
    Guarded,
}

/// The rules of one request.
pub struct Guard<'a> {
    settings: &'a FetchSettings,
    /// The URL of a configured feed being fetched: its origin is trusted too.
    feed_origin: Option<String>,
}

impl<'a> Guard<'a> {
    pub fn new(settings: &'a FetchSettings, feed: Option<&Url>) -> Guard<'a> {
        Guard {
            settings,
            feed_origin: feed.map(|u| u.origin().ascii_serialization()),
        }
    }

    /// Checks one hop before it is requested.
    pub async fn check(&self, url: &Url) -> Result<Route, FetchError> {
        let refuse = |why: String| FetchError::Refused {
            url: url.to_string(),
            why,
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse(format!(
                "only http and https links are fetched, not {}:",
                url.scheme()
            )));
        }
        let origin = url.origin().ascii_serialization();
        let port = url.port_or_known_default().unwrap_or(0);
        let host = url
            .host()
            .ok_or_else(|| refuse("the URL has no host".into()))?;
        let rules = &self.settings.allow_private;
        if self.feed_origin.as_deref() == Some(origin.as_str())
            || self.settings.trusted_origins.contains(&origin)
            || matches!(&host, Host::Domain(d) if rules.iter().any(|r| r.allows_host(d, port)))
        {
            return Ok(Route::Trusted);
        }
        match host {
            Host::Ipv4(v4) => check_ip(IpAddr::V4(v4), Some(port), rules)
                .map_err(|why| refuse(format!("the address is {why}; {HINT}")))?,
            Host::Ipv6(v6) => check_ip(IpAddr::V6(v6), Some(port), rules)
                .map_err(|why| refuse(format!("the address is {why}; {HINT}")))?,
            Host::Domain(name) => {
                let lower = name.trim_end_matches('.').to_ascii_lowercase();
                // Behind a proxy that resolves names itself the resolver never sees the name:
                // `localhost` is refused here, unless loopback is allowed on this port.
                if lower == "localhost" || lower.ends_with(".localhost") {
                    check_ip(Ipv4Addr::LOCALHOST.into(), Some(port), rules)
                        .map_err(|why| refuse(format!("{name} is this machine ({why}); {HINT}")))?;
                }
                // A rule for one port of an address: the resolver cannot see ports, so the
                // name is resolved here too and each address checked with its port.
                let port_rules = rules
                    .iter()
                    .any(|r| r.has_port() && matches!(r, AddrRule::Net { .. }));
                if port_rules && self.settings.proxy.is_none() {
                    let addrs = tokio::net::lookup_host((name, port))
                        .await
                        .map_err(|e| FetchError::Connect(format!("cannot resolve {name}: {e}")))?;
                    for a in addrs {
                        check_ip(a.ip(), Some(port), rules)
                            .map_err(|why| refuse(format!("{name} resolves to {why}; {HINT}")))?;
                    }
                }
            }
        }
        Ok(Route::Guarded)
    }
}

/// `Err("127.0.0.1, a loopback address")` when `ip` is private and no rule allows it.
pub fn check_ip(ip: IpAddr, port: Option<u16>, rules: &[AddrRule]) -> Result<(), String> {
    match not_public(ip) {
        Some(kind) if !rules.iter().any(|r| r.allows_ip(ip, port)) => Err(format!("{ip}, {kind}")),
        _ => Ok(()),
    }
}

/// A resolver that keeps only the addresses a link may reach. The names of configured proxies
/// are resolved as they are (the proxy is a trusted hop).
pub struct GuardedResolver {
    rules: Arc<Vec<AddrRule>>,
    proxies: Vec<String>,
}

impl GuardedResolver {
    pub fn new(settings: &FetchSettings) -> GuardedResolver {
        let mut proxies: Vec<String> = settings.proxy.iter().cloned().collect();
        for var in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
        ] {
            if let Ok(v) = std::env::var(var) {
                proxies.push(v);
            }
        }
        let proxies = proxies
            .iter()
            .filter_map(|p| {
                let with_scheme = if p.contains("://") {
                    p.clone()
                } else {
                    format!("http://{p}")
                };
                Url::parse(&with_scheme)
                    .ok()?
                    .host_str()
                    .map(|h| h.to_ascii_lowercase())
            })
            .collect();
        GuardedResolver {
            rules: Arc::new(settings.allow_private.clone()),
            proxies,
        }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_string();
        let rules = self.rules.clone();
        let proxy = self.proxies.iter().any(|p| p.eq_ignore_ascii_case(&name));
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if proxy {
                return Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs);
            }
            let mut refused = None;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match check_ip(a.ip(), None, &rules) {
                    Ok(()) => true,
                    Err(why) => {
                        refused.get_or_insert(why);
                        false
                    }
                })
                .collect();
            match (kept.is_empty(), refused) {
                (true, Some(why)) => Err(Box::new(Refusal(format!(
                    "{name} resolves to {why}; {HINT}"
                )))
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// The resolver's refusal somewhere in an error's chain.
pub fn refusal_in(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<Refusal>() {
            return Some(r.0.clone());
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Option<&'static str> {
        not_public(s.parse().unwrap())
    }

    #[test]
    fn private_addresses() {
        for p in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
        ] {
            assert!(kind(p).is_some(), "{p} passed as public");
        }
        for p in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert!(kind(p).is_none(), "{p} refused: {:?}", kind(p));
        }
    }

    #[tokio::test]
    async fn hops() {
        let mut s = FetchSettings {
            trusted_origins: vec!["http://127.0.0.1:8080".into()],
            ..Default::default()
        };
        let g = Guard::new(&s, None);
        let route = |u: &str| {
            let u = Url::parse(u).unwrap();
            let g = &g;
            async move { g.check(&u).await }
        };
        assert_eq!(
            route("http://127.0.0.1:8080/a").await.unwrap(),
            Route::Trusted
        );
        for bad in [
            "http://127.0.0.1:8081/a",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://localhost:8080/",
            "http://a.localhost/",
            "file:///etc/passwd",
            "ftp://example.org/",
        ] {
            let e = route(bad).await.unwrap_err();
            assert!(matches!(e, FetchError::Refused { .. }), "{bad}: {e}");
        }
        assert_eq!(route("https://example.org/").await.unwrap(), Route::Guarded);
        s.allow_private = vec![
            AddrRule::parse("127.0.0.1:9000").unwrap(),
            AddrRule::parse("10.0.0.0/8").unwrap(),
            AddrRule::parse("intranet:81").unwrap(),
        ];
        let g = Guard::new(&s, None);
        let check = |u: &str| {
            let u = Url::parse(u).unwrap();
            let g = &g;
            async move { g.check(&u).await }
        };
        assert!(check("http://127.0.0.1:9000/").await.is_ok());
        assert!(check("http://127.0.0.1:9001/").await.is_err());
        assert!(check("http://10.9.8.7/").await.is_ok());
        assert_eq!(check("http://intranet:81/").await.unwrap(), Route::Trusted);
        assert!(check("http://localhost:9001/").await.is_err());
    }
}
