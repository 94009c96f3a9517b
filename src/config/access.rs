//! `allow_private`: the private addresses a keeper lets links from feeds and pages reach.
//!
//! Parsing and matching only; which addresses are private at all, and where the rules are
//! applied (every connection, every redirect), is `fetch`'s business.

use std::net::IpAddr;

/// One `allow_private` entry: `10.0.0.0/8`, `127.0.0.1`, `127.0.0.1:8080`, `[::1]:8080`,
/// `fd00::/8`, or a host name with or without a port (`intranet.example:8080`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddrRule {
    /// Addresses in `addr/prefix`, on `port` only when given.
    Net {
        addr: IpAddr,
        prefix: u8,
        port: Option<u16>,
    },
    /// A host name (lower case, no trailing dot), on `port` only when given.
    Host { name: String, port: Option<u16> },
}

impl AddrRule {
    /// Reads one entry; the error says what is wrong in words.
    pub fn parse(s: &str) -> Result<AddrRule, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("an empty entry".into());
        }
        if s.contains("://") {
            return Err("a URL; write an address, a network or a host (e.g. \"10.0.0.0/8\", \"127.0.0.1:8080\", \"intranet.example\")".into());
        }
        if let Some((addr, prefix)) = s.split_once('/') {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{addr:?} is not an IP address"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix: u8 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{prefix:?} is not a prefix length from 0 to {max}"))?;
            return Ok(AddrRule::Net {
                addr,
                prefix,
                port: None,
            });
        }
        if let Ok(addr) = s.parse::<IpAddr>() {
            return Ok(AddrRule::Net {
                prefix: if addr.is_ipv4() { 32 } else { 128 },
                addr,
                port: None,
            });
        }
        if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
            return Ok(AddrRule::Net {
                addr: sa.ip(),
                prefix: if sa.is_ipv4() { 32 } else { 128 },
                port: Some(sa.port()),
            });
        }
        let (name, port) = match s.rsplit_once(':') {
            Some((n, p)) => (
                n,
                Some(
                    p.parse::<u16>()
                        .map_err(|_| format!("{p:?} is not a port number"))?,
                ),
            ),
            None => (s, None),
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let valid = !name.is_empty()
            && name
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !valid {
            return Err(format!(
                "{s:?} is neither an address, a network (10.0.0.0/8) nor a host name"
            ));
        }
        Ok(AddrRule::Host { name, port })
    }

    /// Whether the rule allows `ip` on `port` (`None`: the port is not known yet, and a rule
    /// for one port of this address allows it for now; the port is checked where it is known).
    pub fn allows_ip(&self, ip: IpAddr, port: Option<u16>) -> bool {
        match self {
            AddrRule::Net {
                addr,
                prefix,
                port: p,
            } => in_net(ip, *addr, *prefix) && port_ok(*p, port),
            AddrRule::Host { .. } => false,
        }
    }

    /// Whether the rule names `host` (a host name as a URL holds it) on `port`.
    pub fn allows_host(&self, host: &str, port: u16) -> bool {
        match self {
            AddrRule::Host { name, port: p } => {
                host.trim_end_matches('.').eq_ignore_ascii_case(name) && port_ok(*p, Some(port))
            }
            AddrRule::Net { .. } => false,
        }
    }

    /// Whether the rule holds only for one port.
    pub fn has_port(&self) -> bool {
        matches!(
            self,
            AddrRule::Net { port: Some(_), .. } | AddrRule::Host { port: Some(_), .. }
        )
    }
}

fn port_ok(rule: Option<u16>, port: Option<u16>) -> bool {
    match (rule, port) {
        (None, _) | (Some(_), None) => true,
        (Some(r), Some(p)) => r == p,
    }
}

/// Whether `ip` lies in `net/prefix` (IPv4-mapped IPv6 addresses count as their IPv4 address).
fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forms() {
        let net = AddrRule::parse("10.0.0.0/8").unwrap();
        assert!(net.allows_ip(ip("10.1.2.3"), Some(80)));
        assert!(!net.allows_ip(ip("11.0.0.1"), Some(80)));
        assert!(net.allows_ip(ip("::ffff:10.0.0.1"), None));
        let one = AddrRule::parse("127.0.0.1:8080").unwrap();
        assert!(one.allows_ip(ip("127.0.0.1"), Some(8080)));
        assert!(!one.allows_ip(ip("127.0.0.1"), Some(22)));
        assert!(!one.allows_ip(ip("127.0.0.2"), Some(8080)));
        assert!(one.has_port());
        let v6 = AddrRule::parse("[::1]:8080").unwrap();
        assert!(v6.allows_ip(ip("::1"), Some(8080)));
        let ula = AddrRule::parse("fd00::/8").unwrap();
        assert!(ula.allows_ip(ip("fd12::1"), None) && !ula.allows_ip(ip("fe80::1"), None));
        let all = AddrRule::parse("0.0.0.0/0").unwrap();
        assert!(all.allows_ip(ip("192.168.1.1"), None));
        let host = AddrRule::parse("Intranet.Example:8080").unwrap();
        assert!(host.allows_host("intranet.example", 8080));
        assert!(!host.allows_host("intranet.example", 80));
        assert!(
            AddrRule::parse("localhost")
                .unwrap()
                .allows_host("localhost", 1)
        );
    }

    #[test]
    fn mistakes_are_named() {
        for bad in [
            "",
            "http://10.0.0.1/",
            "10.0.0.0/33",
            "1.2.3.4/x",
            "a b",
            "host:port",
        ] {
            assert!(AddrRule::parse(bad).is_err(), "{bad:?}");
        }
    }
}
