//! IP networks written as CIDR (`127.0.0.0/8`, `::1/128`, or a bare address),
//! parsed once when the configuration is read.
//!
//! Owns: [`Network`] and its parsing and membership test. Must not: resolve
//! names or open sockets.

use serde::Deserialize;
use std::fmt;
use std::net::IpAddr;

/// An IPv4 or IPv6 network: an address and a prefix length, with the host
/// bits zero (so `10.1.0.0/8` is refused rather than silently widened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// The network of `addr` with `prefix` bits, if the prefix fits and the
    /// host bits are zero.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Network> {
        let n = Network { addr, prefix };
        (prefix <= n.width() && n.masked(addr) == bits(addr)).then_some(n)
    }

    /// Whether `ip` is inside. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
    /// is the IPv4 address it carries, and the other way round.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (own, prefix) = match self.addr {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                // `::ffff:a.b.c.d/n` is the IPv4 network `a.b.c.d/(n-96)`.
                Some(v4) if self.prefix >= 96 => (IpAddr::V4(v4), self.prefix - 96),
                _ => (self.addr, self.prefix),
            },
            v4 => (v4, self.prefix),
        };
        let ip = canonical(ip);
        own.is_ipv4() == ip.is_ipv4() && prefix_eq(own, ip, prefix)
    }

    fn width(&self) -> u8 {
        match self.addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    fn masked(&self, ip: IpAddr) -> u128 {
        let width = self.width();
        let keep = u32::from(width - self.prefix);
        let value = bits(ip);
        if keep >= 128 {
            0
        } else {
            (value >> keep) << keep
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it stands for.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Whether the first `prefix` bits of `a` and `b` (same family) are equal.
fn prefix_eq(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    let width: u32 = if a.is_ipv4() { 32 } else { 128 };
    let keep = width - u32::from(prefix);
    if keep >= 128 {
        return true;
    }
    (bits(a) >> keep) == (bits(b) >> keep)
}

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(text: String) -> Result<Network, String> {
        let bad = || {
            format!(
                "{text:?} is not a network such as \"127.0.0.0/8\", \"10.1.2.3/32\" or \"::1/128\" (address, '/', prefix length, host bits zero)"
            )
        };
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.as_str(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let full = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse().map_err(|_| bad())?,
            Some(_) => return Err(bad()),
            None => full,
        };
        Network::new(addr, prefix).ok_or_else(bad)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Network {
        Network::try_from(s.to_owned()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_hold_their_addresses_and_no_others() {
        let lo = net("127.0.0.0/8");
        assert!(lo.contains(ip("127.0.0.1")) && lo.contains(ip("127.255.0.9")));
        assert!(!lo.contains(ip("128.0.0.1")) && !lo.contains(ip("::1")));
        assert!(lo.contains(ip("::ffff:127.0.0.2")), "mapped form");
        let one = net("127.0.0.1/32");
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        assert_eq!(net("127.0.0.1"), one, "a bare address is a /32");
        let v6 = net("fd00::/8");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(net("::1").contains(ip("::1")) && !net("::1").contains(ip("::2")));
        assert!(net("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(net("::/0").contains(ip("2001:db8::1")));
        let mapped = net("::ffff:10.0.0.0/104");
        assert!(mapped.contains(ip("10.3.4.5")) && !mapped.contains(ip("11.0.0.1")));
        assert_eq!(one.to_string(), "127.0.0.1/32");
    }

    #[test]
    fn malformed_networks_are_refused_with_an_example() {
        for bad in [
            "127.0.0.1/33",
            "10.1.0.0/8",
            "localhost",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "",
        ] {
            let e = Network::try_from(bad.to_owned()).unwrap_err();
            assert!(e.contains("127.0.0.0/8"), "{bad}: {e}");
        }
    }
}
