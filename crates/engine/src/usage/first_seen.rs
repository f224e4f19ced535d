//! Where a login came from, as a place a person can have been seen before: the country from a
//! site-provided CIDR-to-country table when there is one (no GeoIP database ships with
//! Charter or can be fetched offline), else the network itself, its /24 for IPv4 or /48 for
//! IPv6. A login from a place the person has never logged in from is `unusual_activity`.

use std::net::IpAddr;

/// A CIDR-to-country table, from a CSV file of `network,country` lines (`203.0.113.0/24,GB`).
/// The longest matching prefix wins.
#[derive(Debug, Clone, Default)]
pub struct Countries {
    v4: Vec<(u32, u8, String)>,
    v6: Vec<(u128, u8, String)>,
}

/// A line of the table that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its number, from 1.
    pub line: usize,
    /// Why.
    pub reason: String,
}

impl Countries {
    /// Reads the table; lines that are blank or start with `#` are skipped, a first line
    /// naming the columns too. Bad lines are returned with their numbers, never fatal.
    pub fn parse(text: &str) -> (Countries, Vec<BadLine>) {
        let mut out = Countries::default();
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((net, country)) = line.split_once(',') else {
                bad.push(BadLine {
                    line: i + 1,
                    reason: "expected `network,country`".into(),
                });
                continue;
            };
            let country = country.trim().trim_matches('"');
            match parse_cidr(net.trim().trim_matches('"')) {
                Some((IpAddr::V4(a), len)) if len <= 32 && !country.is_empty() => {
                    out.v4
                        .push((u32::from(a) & mask4(len), len, country.to_string()))
                }
                Some((IpAddr::V6(a), len)) if len <= 128 && !country.is_empty() => {
                    out.v6
                        .push((u128::from(a) & mask6(len), len, country.to_string()))
                }
                _ if i == 0 => {} // a header line
                _ => bad.push(BadLine {
                    line: i + 1,
                    reason: format!("`{}` is not a network with a country", net.trim()),
                }),
            }
        }
        (out, bad)
    }

    /// How many networks the table holds.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The country of `ip`, by the longest matching network.
    pub fn country(&self, ip: IpAddr) -> Option<&str> {
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4
                    .iter()
                    .filter(|(net, len, _)| a & mask4(*len) == *net)
                    .max_by_key(|(_, len, _)| *len)
                    .map(|(_, _, c)| c.as_str())
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6
                    .iter()
                    .filter(|(net, len, _)| a & mask6(*len) == *net)
                    .max_by_key(|(_, len, _)| *len)
                    .map(|(_, _, c)| c.as_str())
            }
        }
    }
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, l.parse().ok()?),
        None => (text, if text.contains(':') { 128 } else { 32 }),
    };
    Some((addr.parse().ok()?, len))
}

fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}

fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    }
}

/// Where a login came from, as the key kept for "seen before": `country:GB` from the table,
/// else `net:203.0.113.0/24` (or the /48 for IPv6).
pub fn place(ip: IpAddr, countries: Option<&Countries>) -> String {
    if let Some(c) = countries.and_then(|t| t.country(ip)) {
        return format!("country:{c}");
    }
    match ip {
        IpAddr::V4(a) => {
            let net = std::net::Ipv4Addr::from(u32::from(a) & mask4(24));
            format!("net:{net}/24")
        }
        IpAddr::V6(a) => {
            let net = std::net::Ipv6Addr::from(u128::from(a) & mask6(48));
            format!("net:{net}/48")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("a test address")
    }

    #[test]
    fn country_from_the_longest_prefix() {
        let (t, bad) = Countries::parse("network,country\n203.0.0.0/8,AU\n203.0.113.0/24,GB\n");
        assert!(bad.is_empty());
        assert_eq!(t.country(ip("203.0.113.9")), Some("GB"));
        assert_eq!(t.country(ip("203.1.1.1")), Some("AU"));
        assert_eq!(t.country(ip("198.51.100.1")), None);
    }

    #[test]
    fn bad_lines_are_numbered_not_fatal() {
        let (t, bad) = Countries::parse("10.0.0.0/8,GB\nnonsense\n300.1.1.1/8,FR\n");
        assert_eq!(t.len(), 1);
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn place_is_the_country_when_the_table_knows_it() {
        let (t, _) = Countries::parse("2001:db8::/32,DE\n");
        assert_eq!(place(ip("2001:db8:1::5"), Some(&t)), "country:DE");
    }

    #[test]
    fn place_is_the_slash_24_without_a_table() {
        assert_eq!(place(ip("198.51.100.77"), None), "net:198.51.100.0/24");
        assert_eq!(place(ip("2001:db8:1:2::5"), None), "net:2001:db8:1::/48");
    }
}
