//! Squid helper lines: external_acl (`external_acl_type`) and url_rewrite
//! (`url_rewrite_program`) requests and replies.
//!
//! A request is one line: `[channel-ID] field field ...`. With `concurrency=N` in squid.conf
//! Squid puts a numeric channel-ID first, the helper echoes it, and replies may come back in
//! any order. Fields are separated by spaces; external_acl fields are URL-escaped (`%20`),
//! a missing value is `-`.
//!
//! [`LineSplitter`] is the byte-level codec: fed whatever `read` returned, it hands out
//! complete lines and reports a line longer than its limit as [`LineError::TooLong`] (the
//! rest of that line is skipped, never truncated into a request). [`parse_request`] turns one
//! line into a [`Request`], and [`Reply::write`] formats the answer.
//!
//! ```
//! use charter_proto::squid::{parse_request, Answer, Mode, Reply};
//! let req = parse_request(b"7 http://bet365.com/ alice 10.0.0.5", Mode::ExternalAcl).unwrap();
//! assert_eq!(req.channel, Some(7));
//! assert_eq!(req.url, "http://bet365.com/");
//! let mut out = Vec::new();
//! Reply { channel: req.channel, answer: Answer::Err, message: Some("no \"gambling\""), ..Reply::default() }
//!     .write(&mut out);
//! assert_eq!(out, b"7 ERR message=\"no \\\"gambling\\\"\"\n");
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::percent::{Plus, percent_decode};

/// The default longest request line, in bytes. Squid's own URL limit is 8 KiB; a line
/// carries a URL and a few short fields.
pub const MAX_LINE_LEN: usize = 32 * 1024;

/// Why a line could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineError {
    /// Longer than the limit; the whole line was skipped. `channel` is its channel-ID, when
    /// its start held one, so the reply can still be matched.
    TooLong {
        /// The channel-ID at the start of the line, if any.
        channel: Option<u64>,
    },
}

/// Splits a byte stream into lines, each at most `max_len` bytes (without the newline).
#[derive(Debug)]
pub struct LineSplitter {
    partial: Vec<u8>,
    max_len: usize,
    /// Skipping the rest of an overlong line.
    overlong: bool,
    overlong_channel: Option<u64>,
}

impl LineSplitter {
    /// A splitter that refuses lines longer than `max_len` bytes.
    pub fn new(max_len: usize) -> LineSplitter {
        LineSplitter {
            partial: Vec::new(),
            max_len,
            overlong: false,
            overlong_channel: None,
        }
    }

    /// Feeds bytes; calls `on_line` for each complete line (without `\n` or `\r\n`) or line
    /// error, in order. Lines wholly inside `data` are passed without copying.
    pub fn feed(&mut self, mut data: &[u8], mut on_line: impl FnMut(Result<&[u8], LineError>)) {
        while !data.is_empty() {
            let newline = memchr::memchr(b'\n', data);
            let (chunk, rest, complete) = match newline {
                Some(i) => (&data[..i], &data[i + 1..], true),
                None => (data, &[][..], false),
            };
            data = rest;
            if self.overlong {
                if complete {
                    self.overlong = false;
                    on_line(Err(LineError::TooLong {
                        channel: self.overlong_channel.take(),
                    }));
                }
                continue;
            }
            if self.partial.len() + chunk.len() > self.max_len {
                self.partial
                    .extend_from_slice(&chunk[..chunk.len().min(24)]);
                self.overlong_channel = leading_channel(&self.partial);
                self.partial.clear();
                if complete {
                    on_line(Err(LineError::TooLong {
                        channel: self.overlong_channel.take(),
                    }));
                } else {
                    self.overlong = true;
                }
                continue;
            }
            if !complete {
                self.partial.extend_from_slice(chunk);
                continue;
            }
            if self.partial.is_empty() {
                on_line(Ok(trim_cr(chunk)));
            } else {
                self.partial.extend_from_slice(chunk);
                let line = std::mem::take(&mut self.partial);
                on_line(Ok(trim_cr(&line)));
                self.partial = line;
                self.partial.clear();
            }
        }
    }

    /// Whether part of a line is waiting for its newline.
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty() || self.overlong
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn leading_channel(line: &[u8]) -> Option<u64> {
    let end = line.iter().position(|b| *b == b' ')?;
    parse_channel(&line[..end])
}

fn parse_channel(token: &[u8]) -> Option<u64> {
    if token.is_empty() || token.len() > 19 || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// The space- or tab-separated fields of a line, found with byte compares (spaces and tabs
/// are ASCII, so every cut is on a character boundary).
struct Fields<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() && matches!(bytes[self.at], b' ' | b'\t') {
            self.at += 1;
        }
        if self.at >= bytes.len() {
            return None;
        }
        let start = self.at;
        while self.at < bytes.len() && !matches!(bytes[self.at], b' ' | b'\t') {
            self.at += 1;
        }
        self.text.get(start..self.at)
    }
}

/// Which helper interface a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `external_acl_type ... %>ru %un %>a`: URL, user, client address, all URL-escaped.
    ExternalAcl,
    /// `url_rewrite_program`: URL, then `client/fqdn user method key=value...`.
    UrlRewrite,
}

/// One request from Squid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The channel-ID, with `concurrency` on.
    pub channel: Option<u64>,
    /// The URL (absolute, or `host:port` for CONNECT).
    pub url: Cow<'a, str>,
    /// The user name, when Squid knows one.
    pub user: Option<Cow<'a, str>>,
    /// The client address.
    pub client: Option<Cow<'a, str>>,
    /// The request method (url_rewrite only).
    pub method: Option<&'a str>,
}

/// Why a request line could not be understood. Carries the channel-ID when it was read, so
/// the `BH` reply reaches the right request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The channel-ID, if the line started with one.
    pub channel: Option<u64>,
    kind: RequestErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RequestErrorKind {
    Empty,
    NotUtf8,
    NoUrl,
    BadEscape,
    TooLong,
}

impl RequestError {
    /// The error for an overlong line.
    pub fn too_long(channel: Option<u64>) -> RequestError {
        RequestError {
            channel,
            kind: RequestErrorKind::TooLong,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            RequestErrorKind::Empty => "empty request line",
            RequestErrorKind::NotUtf8 => "request line is not valid UTF-8",
            RequestErrorKind::NoUrl => "request line has no URL",
            RequestErrorKind::BadEscape => "bad %-escape in request line",
            RequestErrorKind::TooLong => "request line too long",
        })
    }
}

impl std::error::Error for RequestError {}

/// Parses one request line (without its newline).
///
/// The channel-ID is recognised as a leading all-digit token followed by more fields; a URL
/// is never all digits, so this needs no configuration.
pub fn parse_request(line: &[u8], mode: Mode) -> Result<Request<'_>, RequestError> {
    let channel_end = line.iter().position(|b| *b == b' ');
    let channel = channel_end.and_then(|end| parse_channel(&line[..end]));
    let error = |kind| RequestError { channel, kind };
    let text = std::str::from_utf8(line).map_err(|_| error(RequestErrorKind::NotUtf8))?;
    let mut fields = Fields { text, at: 0 };
    if channel.is_some() {
        fields.next();
    }
    let url = fields.next().ok_or_else(|| {
        error(if text.trim().is_empty() {
            RequestErrorKind::Empty
        } else {
            RequestErrorKind::NoUrl
        })
    })?;
    if url == "-" {
        return Err(error(RequestErrorKind::NoUrl));
    }
    match mode {
        Mode::ExternalAcl => {
            let url = unescape_field(url).ok_or_else(|| error(RequestErrorKind::BadEscape))?;
            let user = fields
                .next()
                .and_then(optional)
                .map(|f| unescape_field(f).ok_or(()))
                .transpose();
            let client = fields
                .next()
                .and_then(optional)
                .map(|f| unescape_field(f).ok_or(()))
                .transpose();
            Ok(Request {
                channel,
                url,
                user: user.map_err(|_| error(RequestErrorKind::BadEscape))?,
                client: client.map_err(|_| error(RequestErrorKind::BadEscape))?,
                method: None,
            })
        }
        Mode::UrlRewrite => {
            let client = fields
                .next()
                .and_then(optional)
                .map(|c| c.split('/').next().unwrap_or(c))
                .and_then(optional);
            let user = fields
                .next()
                .and_then(optional)
                .map(|f| unescape_field(f).ok_or(()))
                .transpose()
                .map_err(|_| error(RequestErrorKind::BadEscape))?;
            let method = fields.next().and_then(optional);
            Ok(Request {
                channel,
                url: Cow::Borrowed(url),
                user,
                client: client.map(Cow::Borrowed),
                method,
            })
        }
    }
}

/// What the fourth external_acl field says about the response: the reply access lines'
/// `%<h{Content-Length}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplySize {
    /// Not a reply line: a request line (`http_access`).
    NotAReply,
    /// A reply line whose response gave no usable length (`-`, or not a number).
    Unknown,
    /// A reply line whose response is this many bytes long.
    Bytes(u64),
}

/// The response size an external_acl line carries after its URL, user and client fields
/// (`%>ru %un %>a %<h{Content-Length}`, for `http_reply_access`). Read apart from
/// [`parse_request`], which ignores fields past the client.
///
/// Squid appends the ACL's arguments to every line, `-` when it has none, so a request line
/// (`%>ru %un %>a`) has four fields and a reply line five: the fourth is then the size.
pub fn reply_size(line: &[u8]) -> ReplySize {
    let Ok(text) = std::str::from_utf8(line) else {
        return ReplySize::NotAReply;
    };
    let mut fields = Fields { text, at: 0 };
    let channel_end = line.iter().position(|b| *b == b' ');
    if channel_end
        .and_then(|end| parse_channel(&line[..end]))
        .is_some()
    {
        fields.next();
    }
    let (Some(size), Some(_arguments)) = (fields.nth(3), fields.next()) else {
        return ReplySize::NotAReply;
    };
    let size = unescape_field(size).unwrap_or_default();
    // A repeated header is sent comma-separated; equal values are one length.
    let mut values = size.split(',').map(str::trim);
    let first = values.next().unwrap_or_default();
    let digits =
        !first.is_empty() && first.len() <= 19 && first.bytes().all(|b| b.is_ascii_digit());
    match first.parse::<u64>() {
        Ok(n) if digits && values.all(|v| v == first) => ReplySize::Bytes(n),
        _ => ReplySize::Unknown,
    }
}

fn optional(field: &str) -> Option<&str> {
    (field != "-" && !field.is_empty()).then_some(field)
}

/// Undoes Squid's URL-escaping of a field (`%20`, `%25`); `None` for a bad escape or
/// bytes that are not UTF-8.
pub fn unescape_field(field: &str) -> Option<Cow<'_, str>> {
    percent_decode(field, Plus::Literal)
}

/// The result word of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Answer {
    /// external_acl: the ACL matches (Charter: allowed). url_rewrite: rewrite or redirect.
    Ok,
    /// external_acl: the ACL does not match (Charter: refused). url_rewrite: no change.
    #[default]
    Err,
    /// The helper could not judge the request ("broken helper").
    Bh,
}

/// One reply line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply<'a> {
    /// The request's channel-ID, echoed.
    pub channel: Option<u64>,
    /// OK, ERR or BH.
    pub answer: Answer,
    /// `message=`: shown on Squid's error page as `%o`.
    pub message: Option<&'a str>,
    /// `log=`: logged as `%ea`.
    pub log: Option<&'a str>,
    /// `category=`: a note Squid can log as `%{category}note`.
    pub category: Option<&'a str>,
    /// `ttl=`: how long the answer holds (a note for Squid 5, which caches by the
    /// `external_acl_type` ttl).
    pub ttl: Option<u64>,
    /// url_rewrite: `status=302 url="..."` to redirect.
    pub redirect: Option<&'a str>,
    /// `charter_page=`: `warn` or `hold` when the refusal has a page the person can act on
    /// (docs/squid.md matches it with a `note` ACL and sends them there with `deny_info`).
    pub page: Option<&'a str>,
}

impl Reply<'_> {
    /// Appends the reply line, newline included, to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        if let Some(channel) = self.channel {
            out.extend_from_slice(channel.to_string().as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(match self.answer {
            Answer::Ok => b"OK",
            Answer::Err => b"ERR",
            Answer::Bh => b"BH",
        });
        if let Some(url) = self.redirect {
            out.extend_from_slice(b" status=302");
            quoted(out, "url", url);
        }
        if let Some(category) = self.category {
            quoted(out, "category", category);
        }
        if let Some(ttl) = self.ttl {
            out.extend_from_slice(format!(" ttl={ttl}").as_bytes());
        }
        if let Some(log) = self.log {
            quoted(out, "log", log);
        }
        if let Some(page) = self.page {
            quoted(out, "charter_page", page);
        }
        if let Some(message) = self.message {
            quoted(out, "message", message);
        }
        out.push(b'\n');
    }
}

/// ` key="value"` with `"` and `\` escaped and control characters made spaces, so a value
/// can never end the line or the field early.
fn quoted(out: &mut Vec<u8>, key: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"=\"");
    let bytes = value.as_bytes();
    let mut run = 0;
    for (i, b) in bytes.iter().enumerate() {
        // Multi-byte UTF-8 sequences never contain ASCII bytes, so checking bytes is
        // enough; C1 controls (U+0080..U+009F) are two bytes starting 0xC2 0x80..0x9F.
        let c1 = *b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n));
        let special = matches!(b, b'"' | b'\\') || *b < 0x20 || *b == 0x7f || c1;
        if !special {
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        match b {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', *b]),
            _ => out.push(b' '),
        }
        run = if c1 { i + 2 } else { i + 1 };
    }
    out.extend_from_slice(&bytes[run.min(bytes.len())..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines_carry_a_size() {
        // As Squid 5 sends them: the ACL's arguments (`-`, none) come last.
        assert_eq!(
            reply_size(b"3 http://example.org/a.iso - 10.0.0.5 734003200 -"),
            ReplySize::Bytes(734_003_200)
        );
        assert_eq!(
            reply_size(b"http://example.org/ ann 10.0.0.5 12 -"),
            ReplySize::Bytes(12)
        );
        assert_eq!(
            reply_size(b"3 http://example.org/ - 10.0.0.5 - -"),
            ReplySize::Unknown
        );
        assert_eq!(
            reply_size(b"3 http://example.org/ - 10.0.0.5 5,%206 -"),
            ReplySize::Unknown
        );
        assert_eq!(
            reply_size(b"3 http://example.org/ - 10.0.0.5 7,%207 -"),
            ReplySize::Bytes(7)
        );
        assert_eq!(
            reply_size(b"3 http://example.org/ - 10.0.0.5 99999999999999999999 -"),
            ReplySize::Unknown
        );
        // A request line: four fields, the last the ACL's arguments.
        assert_eq!(
            reply_size(b"1 http://www.bet365.com/ - 127.0.0.1 -"),
            ReplySize::NotAReply
        );
        assert_eq!(
            reply_size(b"3 http://example.org/ - 10.0.0.5"),
            ReplySize::NotAReply
        );
        assert_eq!(reply_size(b"\xff"), ReplySize::NotAReply);
    }

    fn lines(chunks: &[&[u8]], max: usize) -> Vec<Result<Vec<u8>, LineError>> {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, |l| out.push(l.map(<[u8]>::to_vec)));
        }
        out
    }

    #[test]
    fn split_at_every_offset() {
        let input = b"1 http://a.com/ - -\r\n2 http://b.com/ bob 10.0.0.1\n";
        for cut in 0..input.len() {
            let got = lines(&[&input[..cut], &input[cut..]], 1024);
            assert_eq!(
                got,
                [
                    Ok(b"1 http://a.com/ - -".to_vec()),
                    Ok(b"2 http://b.com/ bob 10.0.0.1".to_vec())
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn overlong_line_is_an_error_and_the_next_line_works() {
        let long = format!("9 http://x.com/{}\n3 http://ok.com/\n", "a".repeat(100));
        for cut in 0..long.len() {
            let got = lines(&[&long.as_bytes()[..cut], &long.as_bytes()[cut..]], 40);
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert!(
                matches!(got[0], Err(LineError::TooLong { .. })),
                "cut at {cut}"
            );
            assert_eq!(got[1], Ok(b"3 http://ok.com/".to_vec()));
        }
        let got = lines(&[long.as_bytes()], 40);
        assert_eq!(got[0], Err(LineError::TooLong { channel: Some(9) }));
    }

    #[test]
    fn external_acl_fields() {
        let r = parse_request(
            b"12 http://a.com/x%20y alice%40corp 10.0.0.1",
            Mode::ExternalAcl,
        )
        .unwrap();
        assert_eq!(r.channel, Some(12));
        assert_eq!(r.url, "http://a.com/x y");
        assert_eq!(r.user.as_deref(), Some("alice@corp"));
        assert_eq!(r.client.as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn without_concurrency() {
        let r = parse_request(b"http://a.com/ - 10.0.0.1", Mode::ExternalAcl).unwrap();
        assert_eq!(r.channel, None);
        assert_eq!(r.user, None);
    }

    #[test]
    fn url_rewrite_fields() {
        let r = parse_request(
            b"0 http://bet365.com/ 10.0.0.5/- bob GET myip=127.0.0.1 myport=3128",
            Mode::UrlRewrite,
        )
        .unwrap();
        assert_eq!(r.channel, Some(0));
        assert_eq!(r.url, "http://bet365.com/");
        assert_eq!(r.client.as_deref(), Some("10.0.0.5"));
        assert_eq!(r.user.as_deref(), Some("bob"));
        assert_eq!(r.method, Some("GET"));
    }

    #[test]
    fn bad_lines_keep_their_channel() {
        let e = parse_request(b"5 \xff\xfe", Mode::ExternalAcl).unwrap_err();
        assert_eq!(e.channel, Some(5));
        assert_eq!(e.to_string(), "request line is not valid UTF-8");
        let e = parse_request(b"6 http://a.com/%zz", Mode::ExternalAcl).unwrap_err();
        assert_eq!(e.channel, Some(6));
        assert_eq!(
            parse_request(b"", Mode::ExternalAcl).unwrap_err().channel,
            None
        );
        assert_eq!(
            parse_request(b"7 -", Mode::ExternalAcl)
                .unwrap_err()
                .channel,
            Some(7)
        );
    }

    #[test]
    fn reply_escapes_values() {
        let mut out = Vec::new();
        Reply {
            channel: Some(3),
            answer: Answer::Err,
            message: Some("a \"b\"\nc\\"),
            category: Some("gambling"),
            ttl: Some(42),
            ..Reply::default()
        }
        .write(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "3 ERR category=\"gambling\" ttl=42 message=\"a \\\"b\\\" c\\\\\"\n"
        );
    }

    #[test]
    fn rewrite_reply() {
        let mut out = Vec::new();
        Reply {
            channel: None,
            answer: Answer::Ok,
            redirect: Some("http://block.local/?r=x"),
            ..Reply::default()
        }
        .write(&mut out);
        assert_eq!(out, b"OK status=302 url=\"http://block.local/?r=x\"\n");
    }
}
