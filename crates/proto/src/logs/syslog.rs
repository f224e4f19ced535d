//! Syslog lines: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`), RFC 3164
//! (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`), and the files rsyslog writes (the same
//! without `<PRI>`, with either the 3164 stamp or an RFC 3339 one). Written by hand rather
//! than with `syslog_loose`: the framing is a few dozen lines, and this parser borrows from
//! the line instead of allocating.
//!
//! An RFC 3164 stamp has neither year nor zone: the caller's [`LocalClock`] supplies both.
//!
//! ```
//! use charter_proto::logs::syslog::{parse, FixedOffset};
//! let clock = FixedOffset { year: 2026, offset_secs: 0 };
//! let l = parse("<38>Dec  1 03:30:31 vpn1 sshd[812]: Accepted password for ann from 10.0.0.5 port 50022 ssh2", &clock).unwrap();
//! assert_eq!((l.host, l.app, l.pid), ("vpn1", "sshd", Some("812")));
//! assert!(l.message.starts_with("Accepted"));
//! ```

use super::stamp::{civil_to_us, clock_of, digits, month_of, parse_rfc3339};
use super::{LineError, MAX_LINE};

/// One syslog line's parts, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogLine<'a> {
    /// When, UTC microseconds since the epoch.
    pub at_us: i64,
    /// The host that sent it (`-` when the line names none).
    pub host: &'a str,
    /// The program (`sshd`, `postfix/smtpd`, `charon`).
    pub app: &'a str,
    /// Its process id, when given.
    pub pid: Option<&'a str>,
    /// The message.
    pub message: &'a str,
}

/// Turns an RFC 3164 stamp (month, day, time, no year or zone) into an instant.
pub trait LocalClock {
    /// Microseconds since the epoch of `month`/`day` `hour:minute:second` local time, in the
    /// year the caller judges it to be in (the current one, or the last near New Year).
    fn resolve(&self, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<i64>;
}

/// A [`LocalClock`] of one year and one UTC offset, for tests and UTC hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedOffset {
    /// The year.
    pub year: i32,
    /// Seconds east of UTC.
    pub offset_secs: i32,
}

impl LocalClock for FixedOffset {
    fn resolve(&self, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<i64> {
        civil_to_us(
            self.year,
            month,
            day,
            hour,
            minute,
            second,
            0,
            self.offset_secs,
        )
    }
}

/// Reads one syslog line (one UDP datagram, one TCP frame or one line of a file).
pub fn parse<'a>(line: &'a str, clock: &dyn LocalClock) -> Result<SyslogLine<'a>, LineError> {
    if line.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    let line = line.trim_end_matches(['\r', '\n', '\0']);
    let rest = strip_pri(line)?;
    if let Some(v5424) = rest.strip_prefix("1 ") {
        return rfc5424(v5424);
    }
    let first = rest.split(' ').next().unwrap_or_default();
    if first.len() >= 19 && first.as_bytes().get(4) == Some(&b'-') {
        let at_us = parse_rfc3339(first).ok_or(LineError::Malformed("bad RFC 3339 time"))?;
        return host_and_tag(at_us, rest.get(first.len()..).unwrap_or_default());
    }
    rfc3164(rest, clock)
}

/// The line after `<PRI>`, which is optional (files do not carry it).
fn strip_pri(line: &str) -> Result<&str, LineError> {
    let Some(rest) = line.strip_prefix('<') else {
        return Ok(line);
    };
    let (pri, rest) = rest
        .split_once('>')
        .ok_or(LineError::Malformed("unterminated priority"))?;
    match digits::<u16>(pri) {
        Some(p) if pri.len() <= 3 && p <= 191 => Ok(rest),
        _ => Err(LineError::Malformed("bad priority")),
    }
}

fn rfc3164<'a>(rest: &'a str, clock: &dyn LocalClock) -> Result<SyslogLine<'a>, LineError> {
    let bad = LineError::Malformed;
    // `Mmm dd hh:mm:ss ` is 16 bytes; the day is space-padded.
    let stamp = rest.get(..15).ok_or(bad("no time"))?;
    let month = month_of(stamp.get(..3).ok_or(bad("no month"))?).ok_or(bad("bad month"))?;
    let day = digits(stamp.get(4..6).ok_or(bad("no day"))?.trim_start()).ok_or(bad("bad day"))?;
    let (h, m, s) = clock_of(stamp.get(7..15).ok_or(bad("no time"))?).ok_or(bad("bad time"))?;
    let at_us = clock.resolve(month, day, h, m, s).ok_or(bad("bad date"))?;
    host_and_tag(at_us, rest.get(15..).ok_or(bad("no host"))?)
}

/// `HOST TAG[PID]: MSG` after the stamp.
fn host_and_tag(at_us: i64, rest: &str) -> Result<SyslogLine<'_>, LineError> {
    let rest = rest.trim_start_matches(' ');
    let (host, rest) = rest
        .split_once(' ')
        .ok_or(LineError::Malformed("no program"))?;
    // A tag ends at `:`, `[` or a space; messages without a tag keep their text.
    let end = rest.find([':', '[', ' ']).unwrap_or(rest.len());
    let app = &rest[..end];
    let mut after = &rest[end..];
    let mut pid = None;
    if let Some(p) = after.strip_prefix('[')
        && let Some((id, tail)) = p.split_once(']')
    {
        pid = Some(id);
        after = tail;
    }
    let message = after
        .strip_prefix(':')
        .map(|m| m.strip_prefix(' ').unwrap_or(m))
        .unwrap_or(after.trim_start());
    Ok(SyslogLine {
        at_us,
        host,
        app,
        pid,
        message,
    })
}

fn rfc5424(rest: &str) -> Result<SyslogLine<'_>, LineError> {
    let bad = LineError::Malformed;
    let mut f = rest.splitn(6, ' ');
    let stamp = f.next().ok_or(bad("no time"))?;
    let at_us = parse_rfc3339(stamp).ok_or(bad("bad RFC 3339 time"))?;
    let host = f.next().ok_or(bad("no host"))?;
    let app = f.next().ok_or(bad("no app name"))?;
    let pid = f.next().ok_or(bad("no process id"))?;
    let _msgid = f.next().ok_or(bad("no message id"))?;
    let rest = f.next().unwrap_or_default();
    let message = skip_structured_data(rest).ok_or(bad("bad structured data"))?;
    // rsyslog's RFC 5424 output keeps the space that followed the tag of a local message.
    let message = message
        .strip_prefix('\u{feff}')
        .unwrap_or(message)
        .trim_start_matches(' ');
    Ok(SyslogLine {
        at_us,
        host,
        app: if app == "-" { "" } else { app },
        pid: (pid != "-").then_some(pid),
        message,
    })
}

/// The message after `-` or a run of `[...]` elements (with `\]` escapes inside).
fn skip_structured_data(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_prefix('-') {
        return Some(rest.strip_prefix(' ').unwrap_or(rest));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while bytes.get(i) == Some(&b'[') {
        i += 1;
        loop {
            match bytes.get(i)? {
                b'\\' => i += 2,
                b']' => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
    }
    if i == 0 {
        return None;
    }
    let rest = s.get(i..)?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UTC_2026: FixedOffset = FixedOffset {
        year: 2026,
        offset_secs: 0,
    };

    #[test]
    fn rfc3164_with_and_without_priority() {
        for line in [
            "<38>Dec  1 03:30:31 vpn1 sshd[812]: Accepted password for ann",
            "Dec  1 03:30:31 vpn1 sshd[812]: Accepted password for ann",
        ] {
            let l = parse(line, &UTC_2026).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(l.at_us, 1_796_095_831_000_000);
            assert_eq!((l.host, l.app, l.pid), ("vpn1", "sshd", Some("812")));
            assert_eq!(l.message, "Accepted password for ann");
        }
        let l = parse("Dec 10 03:30:31 mx postfix/smtpd[9]: warning: x", &UTC_2026).unwrap();
        assert_eq!((l.app, l.message), ("postfix/smtpd", "warning: x"));
    }

    #[test]
    fn the_caller_s_zone_places_an_rfc3164_time() {
        let bst = FixedOffset {
            year: 2026,
            offset_secs: 3_600,
        };
        let l = parse("Dec  1 04:30:31 h a: m", &bst).unwrap();
        assert_eq!(l.at_us, 1_796_095_831_000_000);
    }

    #[test]
    fn rfc5424_skips_structured_data_and_the_bom() {
        let l = parse(
            "<165>1 2026-12-01T03:30:31.000Z vpn1 charon 77 IKE [exampleSDID@32473 iut=\"3\" x=\"a\\]b\"][b@1 c=\"d\"] \u{feff}IKE_SA established",
            &UTC_2026,
        )
        .unwrap();
        assert_eq!((l.host, l.app, l.pid), ("vpn1", "charon", Some("77")));
        assert_eq!(l.message, "IKE_SA established");
        let l = parse("<13>1 2026-12-01T03:30:31Z h - - - - hello", &UTC_2026).unwrap();
        assert_eq!((l.app, l.pid, l.message), ("", None, "hello"));
    }

    #[test]
    fn rsyslog_high_precision_files_are_read() {
        let l = parse(
            "2026-12-01T03:30:31.123456+00:00 mx dovecot[3]: imap-login: Login: user=<ann>",
            &UTC_2026,
        )
        .unwrap();
        assert_eq!(l.at_us, 1_796_095_831_123_456);
        assert_eq!(
            (l.app, l.message),
            ("dovecot", "imap-login: Login: user=<ann>")
        );
    }

    #[test]
    fn malformed_lines_are_errors() {
        for line in [
            "<999>Dec  1 03:30:31 h a: m",
            "<12",
            "Foo  1 03:30:31 h a: m",
            "Dec",
        ] {
            assert!(parse(line, &UTC_2026).is_err(), "{line}");
        }
        assert!(
            parse(
                "<13>1 2026-12-01T03:30:31Z h a 1 m [unterminated",
                &UTC_2026
            )
            .is_err()
        );
    }
}

/// Splits a syslog TCP stream into messages (RFC 6587): octet counting (`LEN SP MSG`) when a
/// frame starts with a digit, else non-transparent framing (each message ends at a newline or
/// NUL). A message over `max` bytes is refused as [`LineError::TooLong`] and skipped whole.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    max: usize,
    /// Bytes of an over-long octet-counted message still to skip.
    skip_bytes: usize,
    /// Inside an over-long newline-framed message, skipping to its end.
    skip_line: bool,
}

/// Digits an octet count may have before the space: 64 KiB limits fit in far fewer.
const MAX_COUNT_DIGITS: usize = 9;

impl Framer {
    /// A framer refusing messages over `max` bytes.
    pub fn new(max: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            max,
            skip_bytes: 0,
            skip_line: false,
        }
    }

    /// Bytes held for a message not complete yet.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Feeds what a read returned; `each` gets every complete message or its error.
    pub fn feed(&mut self, mut bytes: &[u8], mut each: impl FnMut(Result<&[u8], LineError>)) {
        if self.skip_bytes > 0 {
            let n = self.skip_bytes.min(bytes.len());
            self.skip_bytes -= n;
            bytes = &bytes[n..];
            if self.skip_bytes > 0 {
                return;
            }
        }
        if self.skip_line {
            match bytes.iter().position(|b| *b == b'\n' || *b == 0) {
                Some(end) => {
                    self.skip_line = false;
                    bytes = &bytes[end + 1..];
                }
                None => return,
            }
        }
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        let consumed = loop {
            // Blank lines between frames are nothing.
            let lead = self.buf[start..]
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r' | 0))
                .count();
            start += lead;
            let rest = &self.buf[start..];
            let Some(first) = rest.first() else {
                break start;
            };
            if first.is_ascii_digit() {
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                let refused = if digits > MAX_COUNT_DIGITS {
                    Some("octet count too long")
                } else {
                    match rest.get(digits) {
                        None => break start,
                        Some(b' ') => None,
                        Some(_) => Some("octet count not followed by a space"),
                    }
                };
                if let Some(why) = refused {
                    // The rest of this line is the bad frame; what follows it is read as
                    // usual, however the stream was cut.
                    each(Err(LineError::Malformed(why)));
                    match rest.iter().position(|b| *b == b'\n' || *b == 0) {
                        Some(end) => {
                            start += end + 1;
                            continue;
                        }
                        None => {
                            self.skip_line = true;
                            break self.buf.len();
                        }
                    }
                }
                let len = rest[..digits]
                    .iter()
                    .fold(0usize, |n, b| n * 10 + usize::from(b - b'0'));
                let body = start + digits + 1;
                let have = self.buf.len() - body;
                if len > self.max {
                    each(Err(LineError::TooLong));
                    if have >= len {
                        start = body + len;
                        continue;
                    }
                    self.skip_bytes = len - have;
                    break self.buf.len();
                }
                if have < len {
                    break start;
                }
                each(Ok(&self.buf[body..body + len]));
                start = body + len;
            } else {
                match rest.iter().position(|b| *b == b'\n' || *b == 0) {
                    Some(end) if end > self.max => {
                        each(Err(LineError::TooLong));
                        start += end + 1;
                    }
                    Some(end) => {
                        let line = &rest[..end];
                        each(Ok(line.strip_suffix(b"\r").unwrap_or(line)));
                        start += end + 1;
                    }
                    None if rest.len() > self.max => {
                        each(Err(LineError::TooLong));
                        self.skip_line = true;
                        break self.buf.len();
                    }
                    None => break start,
                }
            }
        };
        self.buf.drain(..consumed);
    }
}

#[cfg(test)]
mod framer_tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Result<String, LineError>> {
        let mut f = Framer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, |m| {
                out.push(m.map(|b| String::from_utf8_lossy(b).into_owned()))
            });
        }
        out
    }

    #[test]
    fn octet_counting_and_newlines_split_anywhere_give_the_same_messages() {
        let stream: &[u8] = b"11 <13>1 - a b17 <13>Dec  1 h a: m\n<14>x y\n\n<15>z\r\n";
        let whole = frames(100, &[stream]);
        assert_eq!(
            whole,
            [
                Ok("<13>1 - a b".to_string()),
                Ok("<13>Dec  1 h a: m".to_string()),
                Ok("<14>x y".to_string()),
                Ok("<15>z".to_string()),
            ]
        );
        for cut in 0..stream.len() {
            assert_eq!(
                frames(100, &[&stream[..cut], &stream[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_bad_octet_count_costs_its_own_line_only_however_the_stream_is_cut() {
        // Squid access.log lines sent as if syslog: each starts with ten digits.
        let stream: &[u8] =
            b"1796096476.602 0 127.0.0.1 NONE/400\n<14>x y\n12x nope\n1796096476.620 a\n<15>z\n";
        let whole = frames(64, &[stream]);
        assert_eq!(
            whole,
            [
                Err(LineError::Malformed("octet count too long")),
                Ok("<14>x y".to_string()),
                Err(LineError::Malformed("octet count not followed by a space")),
                Err(LineError::Malformed("octet count too long")),
                Ok("<15>z".to_string()),
            ]
        );
        for cut in 0..stream.len() {
            assert_eq!(
                frames(64, &[&stream[..cut], &stream[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn over_long_messages_are_skipped_whole() {
        let mut long = b"30 ".to_vec();
        long.extend_from_slice(&[b'x'; 30]);
        long.extend_from_slice(b"5 hello<1>");
        long.extend_from_slice(&[b'y'; 40]);
        long.extend_from_slice(b"\n<2>ok\n");
        let whole = frames(20, &[&long]);
        assert_eq!(
            whole,
            [
                Err(LineError::TooLong),
                Ok("hello".into()),
                Err(LineError::TooLong),
                Ok("<2>ok".into())
            ]
        );
        for cut in 0..long.len() {
            assert_eq!(
                frames(20, &[&long[..cut], &long[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
    }
}
