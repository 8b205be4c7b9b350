//! IP bindings of a key: single IPv4/IPv6 addresses or CIDR ranges (SPEC §3), and
//! how the client address is found behind trusted proxies.

use std::net::IpAddr;

use ipnet::IpNet;

/// One binding, normalised: `10.0.0.7` is stored as `10.0.0.7/32`, `10.0.0.9/24` as `10.0.0.0/24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRule(IpNet);

impl IpRule {
    pub fn parse(s: &str) -> Result<IpRule, String> {
        let s = s.trim();
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(IpRule(net.trunc()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(IpRule(IpNet::from(ip)));
        }
        Err(format!(
            "{s:?} is not an IPv4/IPv6 address or CIDR range (e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/32)"
        ))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&canonical(ip))
    }

    pub fn as_string(&self) -> String {
        self.0.to_string()
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) compare as the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// True for addresses an outbound call may reach by default (SPEC §8): not
/// loopback, private, link-local, shared (CGNAT), unspecified, broadcast,
/// multicast or IPv6 unique-local. `allow` lists ranges the operator opened anyway.
pub fn outbound_allowed(ip: IpAddr, allow: &[IpNet]) -> bool {
    let ip = canonical(ip);
    if allow.iter().any(|n| n.contains(&ip)) {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The client address: the TCP peer, unless the peer is a trusted proxy, in which case
/// the forwarded-for list is walked from the right, skipping trusted proxies.
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if trusted.is_empty() || !is_trusted(&peer) {
        return peer;
    }
    let Some(list) = forwarded else { return peer };
    let mut last = peer;
    for part in list.rsplit(',') {
        match part.trim().parse::<IpAddr>() {
            Ok(ip) => {
                let ip = canonical(ip);
                if !is_trusted(&ip) {
                    return ip;
                }
                last = ip;
            }
            // A malformed entry ends the trust chain: the last trusted hop is reported.
            Err(_) => return last,
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn rules_parse_and_match() {
        let r = IpRule::parse("203.0.113.9/24").expect("cidr");
        assert_eq!(r.as_string(), "203.0.113.0/24");
        assert!(r.contains(ip("203.0.113.200")));
        assert!(!r.contains(ip("203.0.114.1")));
        assert!(r.contains(ip("::ffff:203.0.113.5")));
        let one = IpRule::parse("127.0.0.1").expect("addr");
        assert_eq!(one.as_string(), "127.0.0.1/32");
        let v6 = IpRule::parse("2001:db8::/32").expect("v6");
        assert!(v6.contains(ip("2001:db8::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(IpRule::parse("::1").expect("v6 addr").contains(ip("::1")));
        for bad in ["", "1.2.3", "1.2.3.4/33", "example.com", "1.2.3.4/-1"] {
            assert!(IpRule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_ip_behind_proxies() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        // Untrusted peer: header ignored.
        assert_eq!(client_ip(ip("198.51.100.1"), Some("1.1.1.1"), &proxies), ip("198.51.100.1"));
        // Trusted peer: rightmost untrusted entry.
        assert_eq!(client_ip(ip("10.0.0.2"), Some("6.6.6.6, 1.1.1.1, 10.0.0.3"), &proxies), ip("1.1.1.1"));
        // Trusted peer without header.
        assert_eq!(client_ip(ip("10.0.0.2"), None, &proxies), ip("10.0.0.2"));
        // No proxies configured.
        assert_eq!(client_ip(ip("10.0.0.2"), Some("1.1.1.1"), &[]), ip("10.0.0.2"));
    }

    #[test]
    fn outbound_refuses_internal_ranges_unless_allowed() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!outbound_allowed(ip(internal), &[]), "{internal}");
        }
        for public in ["203.0.113.7", "8.8.8.8", "2001:db8::1", "172.32.0.1", "100.128.0.1"] {
            assert!(outbound_allowed(ip(public), &[]), "{public}");
        }
        let loopback: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("net"), "::1/128".parse().expect("net")];
        assert!(outbound_allowed(ip("127.0.0.1"), &loopback));
        assert!(outbound_allowed(ip("::1"), &loopback));
        assert!(!outbound_allowed(ip("10.0.0.1"), &loopback));
    }
}
