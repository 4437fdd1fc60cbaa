//! The client's address behind reverse proxies. Only a connection from a trusted
//! proxy (`http.trusted_proxies`) has its forwarding header read, and only the
//! one header the proxies set (`http.proxy_header`): walking it right to left,
//! each hop is believed only while the hop after it is itself a trusted proxy,
//! so a client can prepend whatever it likes and still be seen as itself. From
//! anyone else the headers are ignored: the TCP peer is the client.

use std::net::IpAddr;

use http::HeaderMap;

/// An address block, `10.0.0.0/8` or one address (`192.0.2.7`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(s: &str) -> Result<Network, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("'{s}': not an address or address/prefix"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("'{s}': prefix 0..={max}"))?,
            None => max,
        };
        // `::ffff:10.0.0.0/104` is `10.0.0.0/8`: peers are compared as IPv4, so the
        // block must be too, with its prefix counted from the IPv4 part.
        match (addr, canonical(addr)) {
            (IpAddr::V6(_), v4 @ IpAddr::V4(_)) => {
                let prefix = prefix
                    .checked_sub(96)
                    .ok_or_else(|| format!("'{s}': an IPv4-mapped block needs a prefix of at least 96"))?;
                Ok(Network { addr: v4, prefix })
            }
            _ => Ok(Network { addr, prefix }),
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => masked(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32),
            (IpAddr::V6(net), IpAddr::V6(ip)) => masked(u128::from(net), u128::from(ip), self.prefix, 128),
            _ => false,
        }
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn masked(net: u128, ip: u128, prefix: u8, bits: u8) -> bool {
    // A prefix longer than the address never comes out of `parse`; match nothing.
    let Some(shift) = bits.checked_sub(prefix) else { return false };
    if prefix == 0 {
        return true;
    }
    (net >> u32::from(shift)) == (ip >> u32::from(shift))
}

/// `::ffff:192.0.2.1` is `192.0.2.1`: a dual-stack listener reports IPv4 peers so.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Which header the trusted proxies set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for="[2001:db8::1]:443"`.
    Forwarded,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    pub networks: Vec<Network>,
    pub header: ProxyHeader,
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }

    /// The client's address: `peer` unless `peer` is a trusted proxy, then the
    /// right-most hop of the header not itself a trusted proxy. A hop that does
    /// not parse (`unknown`, an obfuscated name, garbage) stops the walk at the
    /// proxy before it: a proxy's address, never an address nobody vouched for.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut current = canonical(peer);
        if self.networks.is_empty() || !self.trusts(current) {
            return current;
        }
        for hop in self.hops(headers).into_iter().rev() {
            if !self.trusts(current) {
                break;
            }
            match hop {
                Some(ip) => current = canonical(ip),
                None => break,
            }
        }
        current
    }

    /// Every hop of the header, left to right, across repeated header lines.
    fn hops(&self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let name = match self.header {
            ProxyHeader::XForwardedFor => "x-forwarded-for",
            ProxyHeader::Forwarded => "forwarded",
        };
        let mut hops = Vec::new();
        for value in headers.get_all(name) {
            let Ok(text) = value.to_str() else {
                hops.push(None);
                continue;
            };
            for element in text.split(',') {
                hops.push(match self.header {
                    ProxyHeader::XForwardedFor => node(element.trim()),
                    ProxyHeader::Forwarded => forwarded_for(element),
                });
            }
        }
        hops
    }
}

/// The `for=` of one RFC 7239 element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let pair = element.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
    })?;
    node(pair.trim_matches('"'))
}

/// An address with an optional port: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:443`.
fn node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str], header: ProxyHeader) -> TrustedProxies {
        TrustedProxies { networks: nets.iter().map(|n| Network::parse(n).unwrap()).collect(), header }
    }

    fn headers(name: &str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let n = Network::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.200.3.4")) && !n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.2.3")));
        assert!(Network::parse("192.0.2.7").unwrap().contains(ip("192.0.2.7")));
        assert!(!Network::parse("192.0.2.7").unwrap().contains(ip("192.0.2.8")));
        assert!(Network::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        // IPv4-mapped blocks are IPv4 blocks.
        let mapped = Network::parse("::ffff:10.0.0.0/104").unwrap();
        assert!(mapped.contains(ip("10.9.8.7")) && !mapped.contains(ip("11.0.0.1")));
        assert_eq!(mapped, Network::parse("10.0.0.0/8").unwrap());
        assert!(Network::parse("::ffff:192.0.2.7").unwrap().contains(ip("192.0.2.7")));
        assert!(!Network::parse("::ffff:192.0.2.7").unwrap().contains(ip("203.0.113.1")));
        for bad in ["10.0.0.0/33", "fd00::/129", "ten/8", "10.0.0.0/", "", "::ffff:10.0.0.0/64"] {
            assert!(Network::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_send() {
        let p = proxies(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        let spoof = headers("x-forwarded-for", &["1.2.3.4"]);
        assert_eq!(p.client(ip("203.0.113.9"), &spoof), ip("203.0.113.9"));
        // No trusted proxies configured: headers never read.
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.1"), &spoof), ip("10.0.0.1"));
    }

    #[test]
    fn walks_right_to_left_through_trusted_hops_only() {
        let p = proxies(&["10.0.0.0/8", "192.0.2.1"], ProxyHeader::XForwardedFor);
        // The client prepended a fake address; the first proxy appended the real one.
        let h = headers("x-forwarded-for", &["1.2.3.4, 198.51.100.7", "192.0.2.1"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("198.51.100.7"));
        // Every hop trusted: the left-most.
        let h = headers("x-forwarded-for", &["10.1.1.1, 192.0.2.1"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("10.1.1.1"));
        // Garbage stops the walk at the proxy before it.
        let h = headers("x-forwarded-for", &["198.51.100.7, unknown"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("10.0.0.5"));
        // Ports and brackets.
        let h = headers("x-forwarded-for", &["198.51.100.7:5555"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("198.51.100.7"));
        // The other header is not read.
        let h = headers("forwarded", &["for=198.51.100.7"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("10.0.0.5"));
    }

    #[test]
    fn forwarded_elements_give_their_for() {
        let p = proxies(&["10.0.0.0/8"], ProxyHeader::Forwarded);
        let h = headers("forwarded", &["for=1.2.3.4, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.1"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("2001:db8:cafe::17"));
        let h = headers("forwarded", &["for=_hidden;proto=https"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("10.0.0.5"));
        let h = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(p.client(ip("10.0.0.5"), &h), ip("10.0.0.5"));
    }
}
