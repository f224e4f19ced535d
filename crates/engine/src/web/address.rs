//! A web address as a person or an API client types it.
//!
//! A proxy only ever hands over real request URLs, so [`Target::parse`] reads anything
//! host-like from them. A person may type `javascript:alert(1)`, `mailto:ann@example.org`,
//! `http://` or nothing at all; a verdict about such a "host" would be a made-up answer, so
//! [`parse_web_address`] refuses them, saying why. Bare hosts (`example.com`), hosts with a
//! path (`www.example.com/news`) and authorities (`example.com:443`) are web addresses.

use std::fmt;

use super::target::{Target, TargetError};

/// The schemes a web proxy carries.
const WEB_SCHEMES: &[&str] = &["http", "https", "ftp"];

/// How much of the input an error quotes.
const SHOWN_CHARS: usize = 80;

/// Why a text is not a web address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotWebAddress {
    /// The input, cut short and with control characters escaped, fit for one line.
    input: String,
    reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    Empty,
    Scheme(String),
    NoSlashes(String),
    NoHost,
    BadHost(String),
    TooLong,
}

impl fmt::Display for NotWebAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a web address: ", self.input)?;
        match &self.reason {
            Reason::Empty => f.write_str("it is empty"),
            Reason::Scheme(s) => write!(
                f,
                "`{s}:` is not a web scheme; give an http, https or ftp URL or a host such as example.com"
            ),
            Reason::NoSlashes(s) => write!(f, "`{s}:` must be followed by `//` and a host"),
            Reason::NoHost => f.write_str("it names no host"),
            Reason::BadHost(h) => write!(
                f,
                "`{h}` cannot be a host name (letters, digits, `-` and `.` only, no spaces)"
            ),
            Reason::TooLong => f.write_str("it is too long"),
        }
    }
}

impl std::error::Error for NotWebAddress {}

/// `text` cut to [`SHOWN_CHARS`] with control characters (a newline, an escape) escaped, so
/// an error quoting it stays one line and cannot drive a terminal.
fn shown(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The scheme of `text` and what follows its colon, when it starts like a URI
/// (`letter *(letter / digit / "+" / "-" / ".") ":"`, RFC 3986).
fn scheme_of(text: &str) -> Option<(&str, &str)> {
    let first = text.bytes().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let end = text
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))?;
    (text.as_bytes()[end] == b':').then(|| (&text[..end], &text[end + 1..]))
}

/// Whether `rest`, after `host:`, is a port: digits up to the end or the path.
fn is_port(rest: &str) -> bool {
    let port = rest.split(['/', '?', '#']).next().unwrap_or_default();
    port.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a web address a person typed: an http, https or ftp URL, an authority
/// (`host:443`) or a bare host with or without a path. Anything else, including URIs of
/// other schemes (`javascript:`, `mailto:`, `file:`), is refused with the reason.
pub fn parse_web_address(text: &str) -> Result<Target, NotWebAddress> {
    let refuse = |reason| NotWebAddress {
        input: shown(text),
        reason,
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(refuse(Reason::Empty));
    }
    if let Some((scheme, rest)) = scheme_of(trimmed) {
        let web = WEB_SCHEMES.iter().any(|w| w.eq_ignore_ascii_case(scheme));
        if rest.starts_with("//") {
            if !web {
                return Err(refuse(Reason::Scheme(scheme.to_string())));
            }
        } else if web && !is_port(rest) {
            return Err(refuse(Reason::NoSlashes(scheme.to_string())));
        } else if !is_port(rest) && !rest.starts_with(':') {
            // `host:443` is an authority; `javascript:alert(1)` and `mailto:a@b` are not.
            // A leading `:` is an unbracketed IPv6 address, left to the host parser.
            return Err(refuse(Reason::Scheme(scheme.to_string())));
        }
    }
    Target::parse(trimmed).map_err(|e| {
        refuse(match e {
            TargetError::Empty => Reason::NoHost,
            TargetError::TooLong => Reason::TooLong,
            TargetError::BadHost(host) => Reason::BadHost(shown(&host)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        parse_web_address(text)
            .expect_err("not a web address")
            .to_string()
    }

    fn host(text: &str) -> String {
        parse_web_address(text)
            .unwrap_or_else(|e| panic!("{e}"))
            .host()
            .to_string()
    }

    #[test]
    fn bare_hosts_and_paths_are_web_addresses() {
        assert_eq!(host("facebook.com"), "facebook.com");
        assert_eq!(host("www.bet365.com/path"), "www.bet365.com");
        assert_eq!(host("  example.org  "), "example.org");
        assert_eq!(host("localhost"), "localhost");
    }

    #[test]
    fn authorities_are_web_addresses() {
        assert_eq!(host("bet365.com:443"), "bet365.com");
        assert_eq!(host("intranet:8080/wiki"), "intranet");
    }

    #[test]
    fn web_urls_are_web_addresses() {
        assert_eq!(host("https://www.bet365.com/"), "www.bet365.com");
        assert_eq!(host("HTTP://Example.COM/a?b"), "example.com");
        assert_eq!(host("ftp://files.example.org/x.zip"), "files.example.org");
        assert_eq!(host("http://[2001:db8::1]:8080/"), "2001:db8::1");
    }

    #[test]
    fn empty_and_blank_are_refused() {
        assert_eq!(refused(""), "`` is not a web address: it is empty");
        assert_eq!(refused(" \t "), "` \\t ` is not a web address: it is empty");
    }

    #[test]
    fn other_schemes_are_refused() {
        assert_eq!(
            refused("javascript:alert(1)"),
            "`javascript:alert(1)` is not a web address: `javascript:` is not a web scheme; give an http, https or ftp URL or a host such as example.com"
        );
        assert!(refused("mailto:x@y").contains("`mailto:` is not a web scheme"));
        assert!(refused("file:///etc/passwd").contains("`file:` is not a web scheme"));
        assert!(refused("data:text/html,hi").contains("`data:` is not a web scheme"));
    }

    #[test]
    fn a_web_scheme_without_slashes_is_refused() {
        assert!(
            refused("http:example.com").ends_with("`http:` must be followed by `//` and a host")
        );
    }

    #[test]
    fn no_host_is_refused() {
        assert_eq!(
            refused("http://"),
            "`http://` is not a web address: it names no host"
        );
        assert!(refused("https:///path").ends_with("it names no host"));
        assert!(refused("/just/a/path").ends_with("it names no host"));
    }

    #[test]
    fn hosts_with_spaces_or_bad_characters_are_refused() {
        assert!(
            refused("http://ex ample.com/").contains("`ex ample.com` cannot be a host name"),
            "{}",
            refused("http://ex ample.com/")
        );
        assert!(refused("exa$mple.com").contains("`exa$mple.com` cannot be a host name"));
        assert!(refused("a..b").contains("cannot be a host name"));
    }

    #[test]
    fn the_quoted_input_is_one_short_line() {
        let long = format!("javascript:{}", "a".repeat(1000));
        let message = refused(&long);
        assert!(message.len() < 300, "{}", message.len());
        assert!(message.contains('…'));
        let message = refused("mailto:x@y\n\x1b[31mred");
        assert!(
            !message.contains('\n') && !message.contains('\x1b'),
            "{message}"
        );
    }
}
