//! Squid's access.log, in the three formats Squid 5 predefines and Charter's own:
//!
//! - `squid` (native): `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`
//! - `common`: `%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh`
//! - `combined`: `common` with `"%{Referer}>h" "%{User-Agent}>h"` before `%Ss:%Sh`
//! - `charter` (docs/squid.md): the native fields followed by `%ea %{category}note`
//!
//! The format is told by the line itself: a native line starts with the epoch time, a common
//! or combined one has its local time in brackets. A user of `-` is nobody (no proxy login);
//! common and combined fall back to the ident (`%[ui`) when the login is `-`.
//!
//! ```
//! use charter_proto::logs::{access_log, EventKind};
//! let e = access_log::parse(b"1796095831.123    157 10.0.0.5 TCP_MISS/200 4212 GET http://bet365.com/ ann HIER_DIRECT/1.2.3.4 text/html")
//!     .unwrap().unwrap();
//! assert_eq!(e.user.as_deref(), Some("ann"));
//! assert!(matches!(e.kind, EventKind::Web { status: 200, .. }));
//! ```

use super::stamp::{civil_to_us, clock_of, digits, epoch_us, month_of, offset_of};
use super::{EventKind, LineError, LogEvent, Parsed, text_line};

/// Reads one access.log line in any of the formats.
pub fn parse(line: &[u8]) -> Parsed {
    Ok(fields(line)?.map(|f| f.event()))
}

/// Reads one line into `event`, reusing its strings (no allocation once they are long
/// enough): for readers of millions of lines. Returns whether the line held a request; on
/// `false` or an error `event` is left as it was.
pub fn parse_into(line: &[u8], event: &mut LogEvent) -> Result<bool, LineError> {
    let Some(f) = fields(line)? else {
        return Ok(false);
    };
    if let EventKind::Web {
        client,
        url,
        method,
        status,
        bytes,
        elapsed_ms,
    } = &mut event.kind
    {
        event.at_us = f.at_us;
        set(client, f.client);
        set(url, f.url);
        set(method, f.method);
        (*status, *bytes, *elapsed_ms) = (f.status, f.bytes, f.elapsed_ms);
        match (f.user(), &mut event.user) {
            (Some(u), Some(have)) => set(have, u),
            (u, slot) => *slot = u.map(str::to_string),
        }
        if event.reporter != REPORTER {
            set(&mut event.reporter, REPORTER);
        }
    } else {
        *event = f.event();
    }
    Ok(true)
}

fn set(to: &mut String, from: &str) {
    to.clear();
    to.push_str(from);
}

/// Who reports access.log lines.
const REPORTER: &str = "squid";

/// One line's fields, borrowed from it.
struct Fields<'a> {
    at_us: i64,
    user: Option<&'a str>,
    client: &'a str,
    url: &'a str,
    method: &'a str,
    status: u16,
    bytes: u64,
    elapsed_ms: u64,
}

impl Fields<'_> {
    fn user(&self) -> Option<&str> {
        self.user.filter(|u| *u != "-" && !u.is_empty())
    }

    fn event(&self) -> LogEvent {
        LogEvent {
            at_us: self.at_us,
            user: self.user().map(str::to_string),
            reporter: REPORTER.to_string(),
            kind: EventKind::Web {
                client: self.client.to_string(),
                url: self.url.to_string(),
                method: self.method.to_string(),
                status: self.status,
                bytes: self.bytes,
                elapsed_ms: self.elapsed_ms,
            },
        }
    }
}

fn fields(line: &[u8]) -> Result<Option<Fields<'_>>, LineError> {
    let line = text_line(line)?;
    let line = line.trim_start();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let first = line.split(' ').next().unwrap_or_default();
    // `1796095831.123` (native) against `10.0.0.5` (common): one dot, not three.
    let native_time =
        first.matches('.').count() == 1 && first.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if native_time {
        native(line).map(Some)
    } else {
        common(line).map(Some)
    }
}

/// Native (and Charter's, which only adds fields at the end).
fn native(line: &str) -> Result<Fields<'_>, LineError> {
    let mut f = line.split_ascii_whitespace();
    let mut next = |what: &'static str| f.next().ok_or(LineError::Malformed(what));
    let at_us = epoch_us(next("no time")?).ok_or(LineError::Malformed("bad time"))?;
    let elapsed_ms =
        digits(next("no elapsed time")?).ok_or(LineError::Malformed("bad elapsed time"))?;
    let client = next("no client address")?;
    let (_, status) = next("no result code")?
        .split_once('/')
        .ok_or(LineError::Malformed("result code without a status"))?;
    let status = digits(status).unwrap_or(0);
    let bytes = digits(next("no size")?).ok_or(LineError::Malformed("bad size"))?;
    let method = next("no method")?;
    let url = next("no URL")?;
    let user = f.next();
    Ok(Fields {
        at_us,
        user,
        client,
        url,
        method,
        status,
        bytes,
        elapsed_ms,
    })
}

/// Common and combined.
fn common(line: &str) -> Result<Fields<'_>, LineError> {
    let bad = LineError::Malformed;
    let (head, rest) = line
        .split_once(" [")
        .ok_or(bad("neither native nor common format"))?;
    let mut h = head.split(' ');
    let client = h
        .next()
        .filter(|c| !c.is_empty())
        .ok_or(bad("no client address"))?;
    let ident = h.next().ok_or(bad("no ident"))?;
    let login = h.next().ok_or(bad("no user"))?;
    let (stamp, rest) = rest.split_once("] \"").ok_or(bad("no request"))?;
    let at_us = local_stamp(stamp).ok_or(bad("bad time"))?;
    let (request, rest) = rest.split_once('"').ok_or(bad("unterminated request"))?;
    let mut r = request.split(' ');
    let method = r.next().filter(|m| !m.is_empty()).ok_or(bad("no method"))?;
    let url = r.next().ok_or(bad("no URL"))?;
    let mut after = rest.split_ascii_whitespace();
    let status = digits(after.next().ok_or(bad("no status"))?).ok_or(bad("bad status"))?;
    let bytes = after.next().and_then(digits).unwrap_or(0);
    let user = if login == "-" { ident } else { login };
    Ok(Fields {
        at_us,
        user: Some(user),
        client,
        url,
        method,
        status,
        bytes,
        elapsed_ms: 0,
    })
}

/// `%tl`: `10/Oct/2026:13:55:36 +0100`.
fn local_stamp(s: &str) -> Option<i64> {
    let (when, zone) = s.split_once(' ')?;
    let mut p = when.splitn(3, '/');
    let day = digits(p.next()?)?;
    let month = month_of(p.next()?)?;
    let (year, time) = p.next()?.split_once(':')?;
    let (h, m, sec) = clock_of(time)?;
    civil_to_us(digits(year)?, month, day, h, m, sec, 0, offset_of(zone)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web_of(line: &str) -> (LogEvent, String, u16, u64) {
        let e = parse(line.as_bytes())
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .unwrap_or_else(|| panic!("{line}: no event"));
        let EventKind::Web {
            url, status, bytes, ..
        } = &e.kind
        else {
            panic!("not web")
        };
        let (url, status, bytes) = (url.clone(), *status, *bytes);
        (e, url, status, bytes)
    }

    #[test]
    fn native_lines_give_user_url_status_and_time() {
        let (e, url, status, bytes) = web_of(
            "1796095831.123    157 10.0.0.5 TCP_MISS/200 4212 GET http://bet365.com/ ann HIER_DIRECT/1.2.3.4 text/html",
        );
        assert_eq!(e.at_us, 1_796_095_831_123_000);
        assert_eq!(e.user.as_deref(), Some("ann"));
        assert_eq!(
            (url.as_str(), status, bytes),
            ("http://bet365.com/", 200, 4212)
        );
    }

    #[test]
    fn a_charter_line_with_notes_and_no_user_is_nobody_s() {
        let (e, url, status, _) = web_of(
            "1796095831.000      0 10.0.0.5 TCP_DENIED/403 3900 CONNECT bet365.com:443 - HIER_NONE/- text/html - category=gambling",
        );
        assert_eq!(e.user, None);
        assert_eq!((url.as_str(), status), ("bet365.com:443", 403));
    }

    #[test]
    fn common_and_combined_lines_read_the_local_time_with_its_offset() {
        let (e, url, status, bytes) = web_of(
            r#"10.0.0.5 - ann [01/Dec/2026:04:30:31 +0100] "GET http://example.org/a HTTP/1.1" 200 512 TCP_MISS:HIER_DIRECT"#,
        );
        assert_eq!(e.at_us, 1_796_095_831_000_000);
        assert_eq!(e.user.as_deref(), Some("ann"));
        assert_eq!(
            (url.as_str(), status, bytes),
            ("http://example.org/a", 200, 512)
        );
        let (e, _, _, _) = web_of(
            r#"10.0.0.5 bob - [01/Dec/2026:03:30:31 +0000] "GET http://example.org/ HTTP/1.1" 404 0 "http://ref/" "Mozilla/5.0 (X11)" TCP_MISS:HIER_DIRECT"#,
        );
        assert_eq!(
            e.user.as_deref(),
            Some("bob"),
            "the ident when the login is -"
        );
    }

    #[test]
    fn parse_into_gives_what_parse_gives_and_keeps_the_event_on_a_bad_line() {
        let lines = [
            "1796095831.123    157 10.0.0.5 TCP_MISS/200 4212 GET http://bet365.com/ ann HIER_DIRECT/1.2.3.4 text/html",
            r#"10.0.0.6 - - [01/Dec/2026:04:30:31 +0100] "GET http://example.org/a HTTP/1.1" 200 512 TCP_MISS:HIER_DIRECT"#,
            "1796095832.000      1 10.0.0.7 TCP_TUNNEL/200 1 CONNECT a.example:443 bob HIER_DIRECT/1.2.3.4 -",
        ];
        let mut event = LogEvent {
            at_us: 0,
            user: None,
            reporter: String::new(),
            kind: EventKind::Network {
                host: "h".into(),
                network: "n".into(),
            },
        };
        for line in lines {
            assert_eq!(parse_into(line.as_bytes(), &mut event), Ok(true));
            assert_eq!(Some(&event), parse(line.as_bytes()).unwrap().as_ref());
        }
        let before = event.clone();
        assert!(parse_into(b"junk", &mut event).is_err());
        assert_eq!(parse_into(b"", &mut event), Ok(false));
        assert_eq!(event, before);
    }

    #[test]
    fn broken_lines_say_what_is_wrong() {
        assert_eq!(
            parse(b"1796095831.123 157"),
            Err(LineError::Malformed("no client address"))
        );
        assert_eq!(
            parse(b"hello world"),
            Err(LineError::Malformed("neither native nor common format"))
        );
        assert_eq!(parse(&[0xff, 0xfe]), Err(LineError::NotText));
        assert_eq!(parse(b""), Ok(None));
    }
}
