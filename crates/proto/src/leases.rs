//! DHCP leases files: who had which address when, for telling a person from a client address
//! when Squid has no login (DESIGN section 7, identity).
//!
//! Two formats: ISC dhcpd's `dhcpd.leases`
//!
//! ```text
//! lease 10.0.0.5 {
//!   starts 1 2026/06/15 08:00:00;
//!   ends 1 2026/06/15 20:00:00;
//!   binding state active;
//!   hardware ethernet 52:54:00:12:34:56;
//!   client-hostname "ann-laptop";
//! }
//! ```
//!
//! (times in UTC, or `epoch N;` with `db-time-format local`; `ends never;`), and dnsmasq's
//! one line per lease: `expiry mac ip hostname clientid`, expiry in seconds since the epoch
//! (0: never), `*` for no hostname.
//!
//! Parsing never fails as a whole: a line or block that cannot be read is skipped and
//! counted ([`Leases::skipped`]), and input beyond [`MAX_LEASES_BYTES`] is not read. Times are
//! seconds since the epoch; which lease is current is for the caller, who has a clock
//! ([`Lease::current_at`]).
//!
//! ```
//! use charter_proto::leases::parse_dnsmasq;
//! let leases = parse_dnsmasq(b"1781550000 52:54:00:12:34:56 10.0.0.5 ann-laptop *\n");
//! let lease = &leases.leases[0];
//! assert_eq!(lease.hostname.as_deref(), Some("ann-laptop"));
//! assert!(lease.current_at(1781500000));
//! assert!(!lease.current_at(1781550000));
//! ```

use std::net::IpAddr;

use crate::logs::stamp::days_from_civil;

/// The most of a leases file that is read. A site's file is kilobytes; dhcpd appends, so an
/// old file may grow to megabytes before dhcpd rewrites it.
pub const MAX_LEASES_BYTES: usize = 64 << 20;

/// One lease: an address given to a machine for a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The address.
    pub ip: IpAddr,
    /// The machine's MAC address, lowercase with colons ([`normalise_mac`]).
    pub mac: Option<String>,
    /// The name the machine gave, lowercase.
    pub hostname: Option<String>,
    /// When it began (seconds since the epoch); `None` when the format does not say.
    pub starts: Option<i64>,
    /// When it ends (seconds since the epoch); `None` for never.
    pub ends: Option<i64>,
}

impl Lease {
    /// Whether the lease holds at `now` (seconds since the epoch): `starts <= now < ends`.
    pub fn current_at(&self, now: i64) -> bool {
        self.starts.is_none_or(|s| s <= now) && self.ends.is_none_or(|e| now < e)
    }
}

/// What a leases file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leases {
    /// The leases read, in file order (dhcpd appends: a later one for an address is newer).
    pub leases: Vec<Lease>,
    /// Lines (dnsmasq) or blocks (dhcpd) that could not be read.
    pub skipped: usize,
    /// Whether the input was longer than [`MAX_LEASES_BYTES`] and its end not read.
    pub truncated: bool,
}

/// Reads a leases file in either format: dhcpd's when it has a `lease ADDRESS {` block,
/// else dnsmasq's.
pub fn parse(data: &[u8]) -> Leases {
    let head = &data[..data.len().min(MAX_LEASES_BYTES)];
    let looks_isc = head
        .split(|b| *b == b'\n')
        .any(|l| l.trim_ascii_start().starts_with(b"lease ") && l.contains(&b'{'));
    if looks_isc {
        parse_isc(data)
    } else {
        parse_dnsmasq(data)
    }
}

/// Reads dnsmasq's leases file: `expiry mac ip hostname clientid` lines. `duid` lines and
/// DHCPv6 lines (an IAID where the MAC would be) give no MAC.
pub fn parse_dnsmasq(data: &[u8]) -> Leases {
    let (data, truncated) = limit(data);
    let mut out = Leases {
        truncated,
        ..Leases::default()
    };
    for line in data.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let mut fields = line.split_ascii_whitespace();
        let Some(first) = fields.next() else {
            continue;
        };
        if first == "duid" {
            continue;
        }
        let lease = (|| {
            let expiry: i64 = first.parse().ok()?;
            let mac = fields.next()?;
            let ip: IpAddr = fields.next()?.parse().ok()?;
            let hostname = fields.next().filter(|h| *h != "*").and_then(hostname);
            Some(Lease {
                ip,
                mac: normalise_mac(mac),
                hostname,
                starts: None,
                ends: (expiry != 0).then_some(expiry),
            })
        })();
        match lease {
            Some(lease) => out.leases.push(lease),
            None => out.skipped += 1,
        }
    }
    out
}

/// Reads ISC dhcpd's `dhcpd.leases`. Only leases whose binding state is `active` (or not
/// given) are kept; statements Charter does not need are passed over.
pub fn parse_isc(data: &[u8]) -> Leases {
    let (data, truncated) = limit(data);
    let text = String::from_utf8_lossy(data);
    let mut out = Leases {
        truncated,
        ..Leases::default()
    };
    let mut block: Option<Block> = None;
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("lease ") {
            if block.take().is_some() {
                out.skipped += 1;
            }
            let addr = rest.trim_end_matches('{').trim();
            block = match (addr.parse::<IpAddr>(), rest.trim_end().ends_with('{')) {
                (Ok(ip), true) => Some(Block::new(ip)),
                _ => {
                    out.skipped += 1;
                    None
                }
            };
            continue;
        }
        let Some(current) = block.as_mut() else {
            continue;
        };
        if line == "}" {
            if let Some(b) = block.take() {
                match b.finish() {
                    Some(Some(lease)) => out.leases.push(lease),
                    Some(None) => {}
                    None => out.skipped += 1,
                }
            }
            continue;
        }
        current.statement(line.trim_end_matches(';').trim());
    }
    if block.is_some() {
        out.skipped += 1;
    }
    out
}

/// A `lease { ... }` block being read.
struct Block {
    ip: IpAddr,
    starts: Option<Option<i64>>,
    ends: Option<Option<i64>>,
    active: bool,
    mac: Option<String>,
    hostname: Option<String>,
    bad: bool,
}

impl Block {
    fn new(ip: IpAddr) -> Block {
        Block {
            ip,
            starts: None,
            ends: None,
            active: true,
            mac: None,
            hostname: None,
            bad: false,
        }
    }

    fn statement(&mut self, s: &str) {
        if let Some(t) = s.strip_prefix("starts ") {
            self.starts = Some(isc_time(t));
            self.bad |= matches!(self.starts, Some(None)) && t.trim() != "never";
        } else if let Some(t) = s.strip_prefix("ends ") {
            self.ends = Some(isc_time(t));
            self.bad |= matches!(self.ends, Some(None)) && t.trim() != "never";
        } else if let Some(state) = s.strip_prefix("binding state ") {
            self.active = state.trim() == "active";
        } else if let Some(mac) = s.strip_prefix("hardware ethernet ") {
            self.mac = normalise_mac(mac.trim());
        } else if let Some(name) = s.strip_prefix("client-hostname ") {
            self.hostname = hostname(name.trim().trim_matches('"'));
        }
    }

    /// `None`: unreadable; `Some(None)`: read, but not an active lease.
    fn finish(self) -> Option<Option<Lease>> {
        if self.bad {
            return None;
        }
        if !self.active {
            return Some(None);
        }
        Some(Some(Lease {
            ip: self.ip,
            mac: self.mac,
            hostname: self.hostname,
            starts: self.starts.flatten(),
            ends: self.ends.flatten(),
        }))
    }
}

/// `W YYYY/MM/DD HH:MM:SS` (UTC) or `epoch N`; `None` for `never` or anything unreadable.
fn isc_time(t: &str) -> Option<i64> {
    let t = t.trim();
    if let Some(n) = t.strip_prefix("epoch ") {
        return n.trim().parse().ok();
    }
    let mut parts = t.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let date = parts.next()?;
    let time = parts.next()?;
    let mut d = date.split('/').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut c = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, min, s) = (c.next()??, c.next()??, c.next()??);
    let valid = (1970..=9999).contains(&y)
        && (1..=12).contains(&m)
        && (1..=31).contains(&day)
        && (0..24).contains(&h)
        && (0..60).contains(&min)
        && (0..=60).contains(&s);
    valid.then(|| days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + s)
}

fn limit(data: &[u8]) -> (&[u8], bool) {
    if data.len() > MAX_LEASES_BYTES {
        // Up to the last whole line within the limit.
        let head = &data[..MAX_LEASES_BYTES];
        let end = head.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        (&head[..end], true)
    } else {
        (data, false)
    }
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`, from six hex octets separated by `:` or `-`;
/// `None` for anything else.
pub fn normalise_mac(text: &str) -> Option<String> {
    let octets: Vec<&str> = text.split([':', '-']).collect();
    if octets.len() != 6
        || !octets
            .iter()
            .all(|o| o.len() == 2 && o.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    Some(octets.join(":").to_ascii_lowercase())
}

/// A host name as leases compare it: lowercase, at most 253 bytes of letters, digits, `-`,
/// `_` and `.`; `None` otherwise.
pub fn hostname(text: &str) -> Option<String> {
    let ok = !text.is_empty()
        && text.len() <= 253
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISC: &str = r#"# The format of this file is documented in the dhcpd.leases(5) manual page.
authoring-byte-order little-endian;

lease 10.0.0.5 {
  starts 1 2026/06/15 08:00:00;
  ends 1 2026/06/15 20:00:00;
  cltt 1 2026/06/15 08:00:00;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet 52:54:00:AB:CD:EF;
  uid "\001RT\000\253\315\357";
  client-hostname "Ann-Laptop";
}
lease 10.0.0.6 {
  starts 1 2026/06/15 08:00:00;
  ends 1 2026/06/15 09:00:00;
  binding state free;
  hardware ethernet 52:54:00:00:00:06;
}
lease 10.0.0.7 {
  starts epoch 1781510400; # Mon Jun 15 08:00:00 2026
  ends never;
  hardware ethernet 52:54:00:00:00:07;
}
"#;

    // 2026-06-15T08:00:00Z and 20:00:00Z.
    const EIGHT: i64 = 1_781_510_400;
    const TWENTY: i64 = 1_781_553_600;

    #[test]
    fn isc_active_lease_with_times_mac_and_hostname() {
        let read = parse_isc(ISC.as_bytes());
        assert_eq!(read.skipped, 0);
        let first = &read.leases[0];
        assert_eq!(first.ip, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(first.mac.as_deref(), Some("52:54:00:ab:cd:ef"));
        assert_eq!(first.hostname.as_deref(), Some("ann-laptop"));
        assert_eq!((first.starts, first.ends), (Some(EIGHT), Some(TWENTY)));
    }

    #[test]
    fn isc_free_leases_are_left_out_and_never_ends_is_none() {
        let read = parse_isc(ISC.as_bytes());
        let ips: Vec<String> = read.leases.iter().map(|l| l.ip.to_string()).collect();
        assert_eq!(ips, ["10.0.0.5", "10.0.0.7"]);
        assert_eq!(read.leases[1].starts, Some(EIGHT));
        assert_eq!(read.leases[1].ends, None);
        assert!(read.leases[1].current_at(EIGHT + 10 * 365 * 86_400));
    }

    #[test]
    fn isc_expired_lease_is_not_current() {
        let read = parse_isc(ISC.as_bytes());
        let lease = &read.leases[0];
        assert!(!lease.current_at(EIGHT - 1), "before it starts");
        assert!(lease.current_at(EIGHT));
        assert!(lease.current_at(TWENTY - 1));
        assert!(!lease.current_at(TWENTY), "once it ends");
    }

    #[test]
    fn isc_junk_blocks_are_skipped_and_counted() {
        let text = "lease not-an-ip {\n starts 1 2026/06/15 08:00:00;\n}\n\
                    lease 10.0.0.9 {\n starts 1 2026/13/45 08:00:00;\n}\n\
                    garbage line;\n\
                    lease 10.0.0.10 {\n ends 1 2026/06/15 20:00:00;\n hardware ethernet zz;\n}\n\
                    lease 10.0.0.11 {\n";
        let read = parse_isc(text.as_bytes());
        assert_eq!(read.skipped, 3, "{read:?}");
        assert_eq!(read.leases.len(), 1);
        assert_eq!(read.leases[0].mac, None);
    }

    #[test]
    fn dnsmasq_lines_with_expiry_and_star_hostname() {
        let text = format!(
            "{TWENTY} 52:54:00:ab:cd:ef 10.0.0.5 ann-laptop 01:52:54:00:ab:cd:ef\n\
             0 52-54-00-00-00-08 10.0.0.8 * *\n\
             duid 00:01:00:01:2c:5a:1b:2d:52:54:00:00:00:01\n\
             {TWENTY} 1234567 fd00::5 ben-pc 00:01:00:01\n"
        );
        let read = parse_dnsmasq(text.as_bytes());
        assert_eq!(read.skipped, 0);
        assert_eq!(read.leases.len(), 3);
        assert_eq!(read.leases[0].ends, Some(TWENTY));
        assert_eq!(read.leases[0].starts, None);
        assert_eq!(read.leases[1].mac.as_deref(), Some("52:54:00:00:00:08"));
        assert_eq!(read.leases[1].hostname, None);
        assert_eq!(read.leases[1].ends, None, "expiry 0 is never");
        assert_eq!(read.leases[2].mac, None, "an IAID is not a MAC");
        assert_eq!(read.leases[2].hostname.as_deref(), Some("ben-pc"));
    }

    #[test]
    fn dnsmasq_expired_lease_is_not_current() {
        let read = parse_dnsmasq(format!("{TWENTY} 52:54:00:ab:cd:ef 10.0.0.5 a *\n").as_bytes());
        assert!(read.leases[0].current_at(TWENTY - 1));
        assert!(!read.leases[0].current_at(TWENTY));
    }

    #[test]
    fn dnsmasq_junk_lines_are_skipped_and_counted() {
        let text = b"soon 52:54:00:ab:cd:ef 10.0.0.5 a *\n1 mac\n1 m 999.0.0.1 a\n\xff\xfe\n\n";
        let read = parse_dnsmasq(text);
        assert_eq!((read.leases.len(), read.skipped), (0, 4));
    }

    #[test]
    fn parse_tells_the_formats_apart() {
        assert_eq!(parse(ISC.as_bytes()).leases.len(), 2);
        assert_eq!(parse(b"0 52:54:00:ab:cd:ef 10.0.0.5 a *\n").leases.len(), 1);
    }

    #[test]
    fn input_over_the_limit_is_cut_at_a_line_and_flagged() {
        let line = b"0 52:54:00:ab:cd:ef 10.0.0.5 a *\n";
        let mut data = line.repeat(MAX_LEASES_BYTES / line.len() + 2);
        data.extend_from_slice(b"0 52:54:00:ab:cd:ef 10.0.0.6 late *\n");
        let read = parse_dnsmasq(&data);
        assert!(read.truncated);
        assert_eq!(read.skipped, 0);
        assert!(read.leases.iter().all(|l| l.ip.to_string() == "10.0.0.5"));
    }

    #[test]
    fn macs_are_normalised_or_refused() {
        assert_eq!(
            normalise_mac("52-54-00-AB-cd-EF").as_deref(),
            Some("52:54:00:ab:cd:ef")
        );
        for bad in ["", "52:54:00:ab:cd", "52:54:00:ab:cd:eg", "5254.00ab.cdef"] {
            assert_eq!(normalise_mac(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(isc_time("1 2026/06/15 08:00:00"), Some(EIGHT));
    }
}
