//! The host and path a request is for, normalised so that list lookups agree.
//!
//! The same [`normalise_host`] is applied to list entries when an index is built and to
//! requests when they are classified, so the two sides always agree: case, a trailing dot,
//! port, userinfo, percent-escapes, Unicode names (IDNA, to punycode), and the many spellings
//! of IP literals (`0x7f.1`, `2130706433`, `[::FFFF:127.0.0.1]`) all come out one way.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use charter_proto::percent::{Plus, percent_decode};

/// Hosts longer than this are not DNS names (RFC 1035 allows 253 characters).
const MAX_HOST_LEN: usize = 253;
/// URLs longer than this are refused; Squid's own limit is 8 KiB by default.
pub const MAX_URL_LEN: usize = 64 * 1024;

/// A normalised request target: lowercase host without port, userinfo or trailing dot, and
/// the path with its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    host: String,
    path: String,
    ip: bool,
}

/// Why a URL has no usable host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// No host at all.
    Empty,
    /// Longer than [`MAX_URL_LEN`] or a host longer than 253 characters.
    TooLong,
    /// A character no host name may contain.
    BadHost(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Empty => f.write_str("no host in URL"),
            TargetError::TooLong => f.write_str("URL or host too long"),
            TargetError::BadHost(host) => write!(f, "bad host `{host}`"),
        }
    }
}

impl std::error::Error for TargetError {}

/// Where the scheme of `url` and its `://` end, if it has one: letters, digits, `+.-` up to
/// `://` (a byte scan; `find` with a string pattern costs more than the rest of the parse).
fn after_scheme(url: &str) -> usize {
    let scheme_end = url
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'-'));
    match scheme_end {
        Some(i) if url.as_bytes()[i..].starts_with(b"://") => i + 3,
        _ => 0,
    }
}

/// Where the authority (`user@host:port`) of `rest`, a URL after its scheme, ends.
fn authority_end(rest: &str) -> usize {
    rest.bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .unwrap_or(rest.len())
}

impl Target {
    /// `url` up to the end of its authority (`http://Host:80` of `http://Host:80/a?b`;
    /// all of `host:443`): every URL that starts with it and parses has the same host.
    /// `None` for a URL that [`Target::parse`] would refuse whatever its host (too long) or
    /// that has spaces around it.
    pub fn host_part(url: &str) -> Option<&str> {
        if url.len() > MAX_URL_LEN || url.trim().len() != url.len() {
            return None;
        }
        let start = after_scheme(url);
        Some(&url[..start + authority_end(&url[start..])])
    }

    /// Parses an absolute URL (`http://user@Host.EXAMPLE.:8080/a?b`), an authority
    /// (`host:443`, as in CONNECT) or a bare host.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        if url.len() > MAX_URL_LEN {
            return Err(TargetError::TooLong);
        }
        let rest = url.trim();
        let rest = &rest[after_scheme(rest)..];
        let (authority, path) = rest.split_at(authority_end(rest));
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let host = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6
                .find(']')
                .ok_or_else(|| TargetError::BadHost(authority.to_string()))?;
            &authority[..close + 2]
        } else {
            match authority.rsplit_once(':') {
                Some((host, port))
                    if !host.contains(':') && port.bytes().all(|c| c.is_ascii_digit()) =>
                {
                    host
                }
                _ => authority,
            }
        };
        let (host, ip) = normalise_host_kind(host)?;
        let path = path.split('#').next().unwrap_or_default();
        Ok(Target {
            host,
            path: if path.is_empty() {
                "/".to_string()
            } else {
                path.to_string()
            },
            ip,
        })
    }

    /// The normalised host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The path and query, starting with `/` (or `?`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the host is an IPv4 or IPv6 literal (matched exactly, never by suffix).
    pub fn is_ip_literal(&self) -> bool {
        self.ip
    }

    /// The host and each parent domain, longest first: `a.b.example.com`, `b.example.com`,
    /// `example.com`, `com`. List entries match on these label boundaries only. An IP
    /// literal has only itself.
    pub fn host_suffixes(&self) -> impl Iterator<Item = &str> {
        let host = self.host.as_str();
        let parents = (!self.ip).then(|| host.match_indices('.').map(move |(i, _)| &host[i + 1..]));
        std::iter::once(host).chain(parents.into_iter().flatten())
    }
}

/// Normalises a host name as written in a list or a request: percent-escapes decoded,
/// lowercase, no trailing dot, Unicode labels in punycode (`xn--`), IP literals in their
/// canonical form (`[::FFFF:7F00:1]` becomes `::ffff:127.0.0.1`, `0x7f.1` becomes
/// `127.0.0.1`). Port and userinfo must already be gone.
pub fn normalise_host(host: &str) -> Result<String, TargetError> {
    normalise_host_kind(host).map(|(host, _)| host)
}

fn normalise_host_kind(raw: &str) -> Result<(String, bool), TargetError> {
    if raw.len() > MAX_HOST_LEN * 4 {
        return Err(TargetError::TooLong);
    }
    // The common case in one pass: a plain lowercase-able ASCII name, no escapes, no
    // brackets or colons, no empty labels, not ending in a number.
    if let Some(host) = plain_ascii_host(raw) {
        return Ok((host, false));
    }
    let decoded;
    let mut host = raw;
    if host.contains('%') {
        decoded = percent_decode(host, Plus::Literal)
            .ok_or_else(|| TargetError::BadHost(raw.to_string()))?;
        host = &decoded;
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| TargetError::BadHost(raw.to_string()))?;
        return ipv6(inner).ok_or_else(|| TargetError::BadHost(raw.to_string()));
    }
    if host.contains(':') {
        return ipv6(host).ok_or_else(|| TargetError::BadHost(raw.to_string()));
    }
    let host = host.trim_end_matches(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}']);
    if host.is_empty() {
        return Err(TargetError::Empty);
    }
    let mut out;
    if host.is_ascii() {
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(TargetError::BadHost(raw.to_string()));
        }
        out = host.to_ascii_lowercase();
    } else {
        out = String::with_capacity(host.len() * 2);
        for (i, label) in host
            .split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
            .enumerate()
        {
            if i > 0 {
                out.push('.');
            }
            let lower: String = label.chars().flat_map(char::to_lowercase).collect();
            if lower.is_ascii() {
                out.push_str(&lower);
            } else {
                out.push_str("xn--");
                punycode_encode(&lower, &mut out)
                    .ok_or_else(|| TargetError::BadHost(raw.to_string()))?;
            }
        }
        if out
            .bytes()
            .any(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
        {
            return Err(TargetError::BadHost(raw.to_string()));
        }
    }
    if out.len() > MAX_HOST_LEN {
        return Err(TargetError::TooLong);
    }
    if out.starts_with('.') || out.contains("..") {
        return Err(TargetError::BadHost(raw.to_string()));
    }
    // WHATWG: a host whose last label is a number is an IPv4 address, in any of the
    // spellings browsers accept; one that does not parse is no usable host.
    let last = out.rsplit('.').next().unwrap_or_default();
    if !last.is_empty() && (last.bytes().all(|b| b.is_ascii_digit()) || is_hex_number(last)) {
        return match ipv4(&out) {
            Some(addr) => Ok((addr.to_string(), true)),
            None => Err(TargetError::BadHost(raw.to_string())),
        };
    }
    Ok((out, false))
}

fn plain_ascii_host(raw: &str) -> Option<String> {
    let bytes = raw.strip_suffix('.').unwrap_or(raw).as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_HOST_LEN || bytes[0] == b'.' {
        return None;
    }
    let mut previous_dot = false;
    let mut last_label_start = 0;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => previous_dot = false,
            b'.' if !previous_dot => {
                previous_dot = true;
                last_label_start = i + 1;
            }
            _ => return None,
        }
    }
    let last = &bytes[last_label_start..];
    if previous_dot || last.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut host = String::with_capacity(bytes.len());
    host.extend(bytes.iter().map(|b| b.to_ascii_lowercase() as char));
    Some(host)
}

fn is_hex_number(label: &str) -> bool {
    let l = label.as_bytes();
    l.len() >= 2 && l[0] == b'0' && (l[1] == b'x') && l[2..].iter().all(u8::is_ascii_hexdigit)
}

fn ipv6(text: &str) -> Option<(String, bool)> {
    let addr: Ipv6Addr = text.parse().ok()?;
    Some((addr.to_string(), true))
}

/// The WHATWG IPv4 parser: one to four parts, each decimal, `0x` hex or leading-zero octal;
/// the last part fills the remaining bytes.
fn ipv4(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 4 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut numbers = Vec::with_capacity(4);
    for part in &parts {
        let (digits, radix) = if let Some(hex) = part.strip_prefix("0x") {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (*part, 10)
        };
        let n = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        numbers.push(n);
    }
    let last = numbers.pop()?;
    if numbers.iter().any(|n| *n > 255) || last >= 256u64.pow(4 - numbers.len() as u32) {
        return None;
    }
    let mut value = last;
    for (i, n) in numbers.iter().enumerate() {
        value += n << (8 * (3 - i));
    }
    Some(Ipv4Addr::from(u32::try_from(value).ok()?))
}

/// RFC 3492 punycode encoding of one label, appended to `out`. `None` on overflow.
fn punycode_encode(label: &str, out: &mut String) -> Option<()> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + SKEW)
    }
    fn digit(d: u32) -> char {
        let d = d as u8;
        (if d < 26 { b'a' + d } else { b'0' + d - 26 }) as char
    }
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let basic = input.iter().filter(|c| **c < 0x80).count() as u32;
    for c in &input {
        if *c < 0x80 {
            out.push(char::from_u32(*c)?);
        }
    }
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut h) = (0x80u32, 0u32, 72u32, basic);
    let total = input.len() as u32;
    while h < total {
        let m = *input.iter().filter(|c| **c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for c in &input {
            if *c < n {
                delta = delta.checked_add(1)?;
            }
            if *c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, h + 1, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(url: &str) -> String {
        Target::parse(url).unwrap().host().to_string()
    }

    #[test]
    fn absolute_url() {
        let t = Target::parse("https://User:pw@WWW.Example.COM.:8443/a/b?c=d#frag").unwrap();
        assert_eq!(t.host(), "www.example.com");
        assert_eq!(t.path(), "/a/b?c=d");
    }

    #[test]
    fn the_host_part_ends_with_the_authority_and_decides_the_host() {
        for (url, part) in [
            (
                "https://User:pw@WWW.Example.COM.:8443/a/b?c=d",
                "https://User:pw@WWW.Example.COM.:8443",
            ),
            ("bet365.com:443", "bet365.com:443"),
            ("http://example.org?q=1", "http://example.org"),
            ("example.org/a://b", "example.org"),
            ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080"),
        ] {
            assert_eq!(Target::host_part(url), Some(part), "{url}");
            assert_eq!(host(url), host(part), "{url}");
        }
        assert_eq!(Target::host_part(" http://example.org/"), None);
        assert_eq!(Target::host_part(&"a".repeat(MAX_URL_LEN + 1)), None);
    }

    #[test]
    fn connect_authority() {
        assert_eq!(host("bet365.com:443"), "bet365.com");
    }

    #[test]
    fn bare_host_gets_root_path() {
        assert_eq!(Target::parse("example.org").unwrap().path(), "/");
    }

    #[test]
    fn ipv6_literal() {
        assert_eq!(host("http://[2001:DB8::1]:8080/"), "2001:db8::1");
    }

    #[test]
    fn ipv6_literal_canonical_form() {
        assert_eq!(host("http://[2001:0db8:0:0:0:0:0:1]/"), "2001:db8::1");
        assert!(Target::parse("http://[2001:0db8]/").is_err());
    }

    #[test]
    fn ipv4_spellings() {
        assert_eq!(host("http://0x7f.1/"), "127.0.0.1");
        assert_eq!(host("http://2130706433/"), "127.0.0.1");
        assert_eq!(host("http://0177.0.0.01/"), "127.0.0.1");
        assert_eq!(host("http://127.0.0.1.:80/"), "127.0.0.1");
        assert!(Target::parse("http://256.1.1.1/").is_err());
        assert!(Target::parse("http://1.2.3.4").unwrap().is_ip_literal());
    }

    #[test]
    fn ip_literal_has_no_parents() {
        let t = Target::parse("http://10.1.2.3/").unwrap();
        assert_eq!(t.host_suffixes().collect::<Vec<_>>(), ["10.1.2.3"]);
    }

    #[test]
    fn idna_to_punycode() {
        assert_eq!(host("http://bücher.example/"), "xn--bcher-kva.example");
        assert_eq!(host("http://BÜCHER.example/"), "xn--bcher-kva.example");
        assert_eq!(host("http://例え.テスト/"), "xn--r8jz45g.xn--zckzah");
    }

    #[test]
    fn percent_escaped_host() {
        assert_eq!(host("http://b%65t365.com/"), "bet365.com");
    }

    #[test]
    fn empty_host_is_an_error() {
        assert_eq!(Target::parse("http:///x"), Err(TargetError::Empty));
    }

    #[test]
    fn bad_characters_are_an_error() {
        assert!(matches!(
            Target::parse("http://ex ample.com/"),
            Err(TargetError::BadHost(_))
        ));
        assert!(matches!(
            Target::parse("http://a..b/"),
            Err(TargetError::BadHost(_))
        ));
    }

    #[test]
    fn underscores_are_kept() {
        assert_eq!(
            host("http://jaque_love.blogger.com.br/"),
            "jaque_love.blogger.com.br"
        );
    }

    #[test]
    fn suffixes_stop_at_labels() {
        let t = Target::parse("a.b.example.com").unwrap();
        let s: Vec<&str> = t.host_suffixes().collect();
        assert_eq!(
            s,
            ["a.b.example.com", "b.example.com", "example.com", "com"]
        );
    }
}
