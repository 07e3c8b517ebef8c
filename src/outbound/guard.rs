//! Which addresses an outbound request may reach.
//!
//! Owns: [`Policy`] and the classification of IP addresses as public or not
//! (the IANA special-purpose registries, IPv4 and IPv6, with the IPv4 forms
//! embedded in IPv6). Must not: resolve or connect; the client calls
//! [`Policy::check`] on each resolved address, and connects to that address.

use crate::config::Network;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Who decides where a request may go.
#[derive(Debug, Clone)]
pub enum Policy {
    /// An address the operator configured (an external hub): any address.
    Trusted,
    /// An address someone else gave (a subscriber's callback): only public
    /// unicast addresses, or addresses inside one of these networks.
    Guarded(Arc<[Network]>),
}

impl Policy {
    /// A guard admitting public addresses and the `allowed` networks.
    pub fn guarded(allowed: &[Network]) -> Policy {
        Policy::Guarded(allowed.into())
    }

    /// `Ok` if `ip` may be connected to, or why not.
    pub fn check(&self, ip: IpAddr) -> Result<(), &'static str> {
        match self {
            Policy::Trusted => Ok(()),
            Policy::Guarded(allowed) if allowed.iter().any(|n| n.contains(ip)) => Ok(()),
            Policy::Guarded(_) => match non_global(ip) {
                Some(reason) => Err(reason),
                None => Ok(()),
            },
        }
    }
}

/// Why `ip` is not a public unicast address, or `None` if it is one.
pub(crate) fn non_global(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_global_v4(v4),
        IpAddr::V6(v6) => non_global_v6(v6),
    }
}

fn non_global_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified address",
        (0, _, _) => "'this network' (0.0.0.0/8)",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private network (RFC 1918)",
        (100, 64..=127, _) => "shared address space (100.64.0.0/10, carrier-grade NAT)",
        _ if ip.is_link_local() => "link-local (169.254.0.0/16, cloud metadata)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        _ if ip.is_documentation() => "documentation network",
        (192, 88, 99) => "6to4 relay anycast (192.88.99.0/24)",
        (198, 18..=19, _) => "benchmarking network (198.18.0.0/15)",
        _ if ip.is_broadcast() => "broadcast",
        _ if ip.is_multicast() => "multicast",
        (240..=255, _, _) => "reserved (240.0.0.0/4)",
        _ => return None,
    })
}

fn non_global_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_global_v4(v4).map(|_| "IPv4-mapped form of a non-public IPv4 address");
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    Some(match s {
        _ if ip.is_unspecified() => "unspecified address",
        _ if ip.is_loopback() => "loopback",
        // ::a.b.c.d, deprecated (RFC 4291): never a real destination.
        [0, 0, 0, 0, 0, 0, _, _] => "IPv4-compatible IPv6 address (deprecated)",
        _ if ip.is_multicast() => "multicast",
        _ if ip.is_unique_local() => "unique local address (fc00::/7)",
        _ if ip.is_unicast_link_local() => "link-local (fe80::/10)",
        [0xfec0..=0xfeff, ..] => "site-local (fec0::/10, deprecated)",
        // NAT64 (64:ff9b::/96) reaches the IPv4 address it carries.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            non_global_v4(embedded(hi, lo))?;
            "NAT64 form of a non-public IPv4 address"
        }
        [0x64, 0xff9b, 1, ..] => "local-use NAT64 (64:ff9b:1::/48)",
        [0x100, 0, 0, 0, ..] => "discard-only (100::/64)",
        [0x2001, 0xdb8, ..] => "documentation network (2001:db8::/32)",
        [0x3fff, 0..=0x0fff, ..] => "documentation network (3fff::/20)",
        [0x2001, 0..=0x01ff, ..] => "IETF protocol assignments (2001::/23, Teredo)",
        // 6to4 (2002::/16) reaches the IPv4 address in bits 16..48.
        [0x2002, hi, lo, ..] => {
            non_global_v4(embedded(hi, lo))?;
            "6to4 form of a non-public IPv4 address"
        }
        [0x2000..=0x3fff, ..] => return None,
        _ => "not global unicast (outside 2000::/3)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_non_public_range_is_refused() {
        for bad in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.0.0.2",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::10.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:a00:1::1",
            "2002:7f00:1::1",
            "3fff::1",
            "fc00::1",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "1::1",
            "4000::1",
        ] {
            assert!(non_global(ip(bad)).is_some(), "{bad} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for good in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.0.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2606:4700::1111",
            "2a00:1450::1",
        ] {
            assert_eq!(non_global(ip(good)), None, "{good} is public");
        }
    }

    #[test]
    fn the_allow_list_admits_only_its_networks() {
        let allowed: Vec<Network> = ["127.0.0.1/32", "fd00::/8"]
            .iter()
            .map(|s| Network::try_from(s.to_string()).unwrap())
            .collect();
        let guard = Policy::guarded(&allowed);
        assert_eq!(guard.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(guard.check(ip("::ffff:127.0.0.1")), Ok(()));
        assert_eq!(guard.check(ip("fd00::1")), Ok(()));
        assert_eq!(guard.check(ip("127.0.0.2")), Err("loopback"));
        assert_eq!(guard.check(ip("::1")), Err("loopback"));
        assert!(guard.check(ip("10.0.0.1")).is_err());
        assert_eq!(Policy::Trusted.check(ip("10.0.0.1")), Ok(()));
        assert_eq!(Policy::guarded(&[]).check(ip("8.8.8.8")), Ok(()));
    }
}
