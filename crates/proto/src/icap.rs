//! ICAP (RFC 3507) requests for a REQMOD service: the codec Charter's ICAP server feeds.
//!
//! A [`RequestReader`] is given everything read so far on a connection since the last
//! request and answers [`Parse::Complete`] with the request and how many bytes it used,
//! [`Parse::Incomplete`], or an [`IcapError`] (the server answers 400 or 413 and closes). It
//! keeps where it got to, so a request that arrives a byte at a time costs the same as one
//! that arrives whole; [`parse_request`] is the same reader used once. Limits are set here,
//! in bytes ([`IcapLimits`]): the ICAP head and the encapsulated HTTP head may each be at
//! most [`MAX_HEAD`] bytes and the whole request, body included, at most
//! [`IcapLimits::max_request`]; anything larger is [`IcapError::TooLarge`], never silently
//! cut. The reader never looks past the first `max_request` bytes, so its answer does not
//! depend on how the bytes were split into reads.
//!
//! Bodies: Charter advertises `Preview: 0`, so a client that follows it sends only an empty
//! preview (`0\r\n\r\n` or `0; ieof\r\n\r\n`) and waits; the request ends there and
//! Charter's final answer means the rest is never sent. A client that sends no `Preview`
//! header sends the whole body, which is read to its last chunk.
//!
//! ```
//! use charter_proto::icap::{parse_request, Method, Parse};
//! let raw = b"REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\
//! Allow: 204\r\nEncapsulated: req-hdr=0, null-body=61\r\n\r\n\
//! GET http://www.bet365.com/ HTTP/1.1\r\nHost: www.bet365.com\r\n\r\n";
//! let Parse::Complete(req, used) = parse_request(raw).unwrap() else { panic!() };
//! assert_eq!(req.method, Method::Reqmod);
//! assert_eq!(req.http_url().as_deref(), Some("http://www.bet365.com/"));
//! assert_eq!(used, raw.len());
//! ```

use std::fmt;

mod stream;
pub use stream::{BodyStep, body_step, write_chunk, write_last_chunk};

/// Longest ICAP head, and longest encapsulated HTTP head, in bytes. Squid's own
/// `request_header_max_size` is 64 KB.
pub const MAX_HEAD: usize = 64 * 1024;
/// Default longest request, heads and body together, in bytes: room for two full heads and
/// a small body. Squid sends no body (Charter asks for a preview of 0 bytes); only a client
/// that ignores the preview sends one, for Charter to echo back.
pub const DEFAULT_MAX_REQUEST: usize = 128 * 1024;
/// Longest chunk-size line in a body, in bytes.
const MAX_CHUNK_LINE: usize = 1024;

/// Limits on one request, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcapLimits {
    /// The whole request: ICAP head, encapsulated HTTP head and body on the wire.
    pub max_request: usize,
}

impl Default for IcapLimits {
    fn default() -> Self {
        IcapLimits {
            max_request: DEFAULT_MAX_REQUEST,
        }
    }
}

/// An ICAP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `OPTIONS`: what the service does.
    Options,
    /// `REQMOD`: adapt (here: judge) an HTTP request.
    Reqmod,
    /// `RESPMOD`: adapt (here: measure) an HTTP response.
    Respmod,
}

/// Why bytes are not an ICAP request. Each is answered with `400 Bad Request` (or 413) and
/// the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IcapError {
    /// Not an ICAP request line.
    BadRequestLine,
    /// A header line without a colon, or not UTF-8.
    BadHeader,
    /// An unknown method.
    UnknownMethod(String),
    /// A missing or malformed `Encapsulated` header: offsets that are not numbers, that do
    /// not start at 0, that go backwards, or sections in an impossible order.
    BadEncapsulated,
    /// A malformed chunk in the body.
    BadChunk,
    /// A head or the whole request over the limits.
    TooLarge,
}

impl fmt::Display for IcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IcapError::BadRequestLine => f.write_str("bad ICAP request line"),
            IcapError::BadHeader => f.write_str("bad ICAP header"),
            IcapError::UnknownMethod(m) => write!(f, "unknown ICAP method `{m}`"),
            IcapError::BadEncapsulated => f.write_str("missing or bad Encapsulated header"),
            IcapError::BadChunk => f.write_str("bad chunked body"),
            IcapError::TooLarge => f.write_str("request too large"),
        }
    }
}

impl std::error::Error for IcapError {}

impl IcapError {
    /// The ICAP status to answer with.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            IcapError::TooLarge => (413, "Request Entity Too Large"),
            _ => (400, "Bad Request"),
        }
    }
}

/// The result of trying to parse what has arrived so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse {
    /// A whole request and the number of bytes it took.
    Complete(Request, usize),
    /// More bytes are needed.
    Incomplete,
}

/// One ICAP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The ICAP URI (`icap://host:1344/reqmod`).
    pub uri: String,
    /// ICAP headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// The encapsulated HTTP request head (`req-hdr`), if any.
    pub http_head: Option<String>,
    /// The encapsulated HTTP response head (`res-hdr`, RESPMOD), if any.
    pub response_head: Option<String>,
    /// The body chunks' data (for echoing), when the client sent a body.
    pub body: Option<Vec<u8>>,
    /// Whether the client sent a `Preview` header.
    pub preview: bool,
    /// Whether the body ended with `0; ieof`: a preview that holds the whole body.
    pub ieof: bool,
}

impl Request {
    /// The first ICAP header called `name`, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path of the ICAP URI (`/reqmod`).
    pub fn service(&self) -> &str {
        let rest = self
            .uri
            .split_once("://")
            .map_or(self.uri.as_str(), |(_, r)| r);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        path.split('?').next().unwrap_or(path)
    }

    /// Whether the client takes `204 No Content` for "unchanged".
    pub fn allows_204(&self) -> bool {
        self.preview
            || self
                .header("Allow")
                .is_some_and(|v| v.split(',').any(|t| t.trim() == "204"))
    }

    /// The encapsulated HTTP request line's method, target and the `Host` header, if any.
    fn http_parts(&self) -> Option<(&str, &str, Option<&str>)> {
        let head = self.http_head.as_deref()?;
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next()?.split(' ');
        let method = request_line.next()?;
        let target = request_line.next()?;
        let host = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.trim());
        Some((method, target, host))
    }

    /// The first header called `name` (any case) of the encapsulated HTTP request.
    pub fn http_header(&self, name: &str) -> Option<&str> {
        head_field(self.http_head.as_deref()?, name)
    }

    /// The first header called `name` (any case) of the encapsulated HTTP response.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        head_field(self.response_head.as_deref()?, name)
    }

    /// The HTTP method of the encapsulated request.
    pub fn http_method(&self) -> Option<&str> {
        self.http_parts().map(|(m, _, _)| m)
    }

    /// The URL of the encapsulated request: absolute as sent, `host:port` for CONNECT, or
    /// rebuilt from the `Host` header for an origin-form target.
    pub fn http_url(&self) -> Option<String> {
        let (method, target, host) = self.http_parts()?;
        if target.contains("://") || method.eq_ignore_ascii_case("CONNECT") {
            return Some(target.to_string());
        }
        let host = host?;
        Some(format!("http://{host}{target}"))
    }
}

/// The value of the first field `name` in an HTTP head (request or status line first).
fn head_field<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// An HTTP message's length from its `Content-Length`, when it has exactly one valid value
/// (RFC 9112 §6.3: several different values, or a value that is not digits, make the
/// length unknown here) and no `Transfer-Encoding`.
pub fn content_length(head: &str) -> Option<u64> {
    let mut length = None;
    for (name, value) in head.split("\r\n").skip(1).filter_map(|l| l.split_once(':')) {
        let name = name.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return None;
        }
        if !name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        for v in value.split(',') {
            let v = v.trim();
            if v.is_empty() || v.len() > 19 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u64 = v.parse().ok()?;
            if length.is_some_and(|l| l != n) {
                return None;
            }
            length = Some(n);
        }
    }
    length
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses one request from the start of `buf`, all at once.
pub fn parse_request(buf: &[u8]) -> Result<Parse, IcapError> {
    RequestReader::new(IcapLimits::default()).read(buf)
}

/// An encapsulated head (`req-hdr` or `res-hdr`) and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    response: bool,
    len: usize,
}

/// How the encapsulated message ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// `null-body`: nothing after the heads.
    Null,
    /// `req-body`, `res-body` or `opt-body`: chunks follow.
    Chunked,
}

/// Where a [`RequestReader`] has got to in the current request.
#[derive(Debug, Default)]
enum State {
    /// Looking for the blank line that ends the ICAP head.
    #[default]
    Head,
    /// Head read; waiting for the encapsulated heads, which end at `body_at`.
    Heads {
        request: Request,
        heads: Vec<Head>,
        ending: Ending,
        heads_at: usize,
        body_at: usize,
    },
    /// Reading body chunks; the next chunk-size line starts at `at`.
    Body {
        request: Request,
        body: Vec<u8>,
        at: usize,
    },
}

/// Reads one request after another from a connection's buffer, resuming where it stopped.
///
/// The caller keeps appending what it reads to one buffer and passes all of it to
/// [`RequestReader::read`]; after [`Parse::Complete`] it removes the `used` bytes from the
/// front, and the reader starts on the next request. After an error the connection must
/// close: the reader's state is then meaningless.
#[derive(Debug, Default)]
pub struct RequestReader {
    limits: IcapLimits,
    state: State,
    /// Bytes of the ICAP head already searched for its end.
    scanned: usize,
    /// Whether the request line has been checked (before the head is complete, so garbage
    /// is refused at once).
    line_checked: bool,
}

impl RequestReader {
    /// A reader that refuses requests over `limits`.
    pub fn new(limits: IcapLimits) -> RequestReader {
        RequestReader {
            limits,
            ..RequestReader::default()
        }
    }

    /// Carries on parsing `buf`, which holds what the previous call saw and possibly more.
    pub fn read(&mut self, buf: &[u8]) -> Result<Parse, IcapError> {
        // INVARIANT: nothing past `max_request` is looked at, so the answer for a request
        // does not depend on what follows it or on how it was split into reads.
        let limit = self.limits.max_request;
        let view = &buf[..buf.len().min(limit)];
        let parsed = self.step(view)?;
        match parsed {
            Parse::Complete(request, used) => {
                *self = RequestReader::new(self.limits);
                Ok(Parse::Complete(request, used))
            }
            Parse::Incomplete if buf.len() > limit => Err(IcapError::TooLarge),
            Parse::Incomplete => Ok(Parse::Incomplete),
        }
    }

    fn step(&mut self, buf: &[u8]) -> Result<Parse, IcapError> {
        loop {
            match std::mem::take(&mut self.state) {
                State::Head => match self.head(buf)? {
                    Some(next) => self.state = next,
                    None => return Ok(Parse::Incomplete),
                },
                State::Heads {
                    mut request,
                    heads,
                    ending,
                    heads_at,
                    body_at,
                } => {
                    if buf.len() < body_at {
                        self.state = State::Heads {
                            request,
                            heads,
                            ending,
                            heads_at,
                            body_at,
                        };
                        return Ok(Parse::Incomplete);
                    }
                    let mut at = heads_at;
                    for Head { response, len } in heads {
                        let bytes = &buf[at..at + len];
                        at += len;
                        let text = std::str::from_utf8(bytes).map_err(|_| IcapError::BadHeader)?;
                        if response {
                            request.response_head = Some(text.to_string());
                        } else {
                            request.http_head = Some(text.to_string());
                        }
                    }
                    match ending {
                        Ending::Null => return Ok(Parse::Complete(request, body_at)),
                        Ending::Chunked => {
                            self.state = State::Body {
                                request,
                                body: Vec::new(),
                                at: body_at,
                            }
                        }
                    }
                }
                State::Body {
                    mut request,
                    mut body,
                    at,
                } => match chunk(buf, at)? {
                    Chunk::Incomplete => {
                        self.state = State::Body { request, body, at };
                        return Ok(Parse::Incomplete);
                    }
                    Chunk::Data(range, next) => {
                        body.extend_from_slice(&buf[range]);
                        self.state = State::Body {
                            request,
                            body,
                            at: next,
                        };
                    }
                    Chunk::Last(end, ieof) => {
                        request.body = Some(body);
                        request.ieof = ieof;
                        return Ok(Parse::Complete(request, end));
                    }
                },
            }
        }
    }

    /// Reads the ICAP head once its blank line has arrived; `None` until then.
    fn head(&mut self, buf: &[u8]) -> Result<Option<State>, IcapError> {
        let searchable = &buf[..buf.len().min(MAX_HEAD + 4)];
        // The blank line may straddle the previous read: look again from 3 bytes back.
        let from = self.scanned.saturating_sub(3).min(searchable.len());
        let Some(head_end) = find(&searchable[from..], b"\r\n\r\n").map(|i| from + i) else {
            self.scanned = searchable.len();
            // A request line that is plainly not ICAP need not wait for more bytes. It is
            // checked before the size, as it is when the whole head has arrived.
            if !self.line_checked
                && let Some(line_end) = find(buf, b"\r\n")
            {
                check_request_line(&buf[..line_end])?;
                self.line_checked = true;
            }
            if buf.len() > MAX_HEAD + 4 {
                return Err(IcapError::TooLarge);
            }
            return Ok(None);
        };
        // The request line ends at the first CRLF, at the blank line at the latest.
        let line_end = find(&buf[..head_end + 2], b"\r\n").unwrap_or(head_end);
        let (method, uri) = check_request_line(&buf[..line_end])?;
        let fields = buf.get(line_end + 2..head_end).unwrap_or_default();
        let fields = std::str::from_utf8(fields).map_err(|_| IcapError::BadHeader)?;
        let mut headers = Vec::new();
        for line in fields.split("\r\n").filter(|_| !fields.is_empty()) {
            let (name, value) = line.split_once(':').ok_or(IcapError::BadHeader)?;
            if name.is_empty() || name.contains(' ') {
                return Err(IcapError::BadHeader);
            }
            headers.push((name.to_string(), value.trim().to_string()));
        }
        let mut request = Request {
            method,
            uri,
            headers,
            http_head: None,
            response_head: None,
            body: None,
            preview: false,
            ieof: false,
        };
        request.preview = request.header("Preview").is_some();
        let heads_at = head_end + 4;
        let Some(encapsulated) = request.header("Encapsulated") else {
            if method == Method::Options {
                return Ok(Some(State::Heads {
                    request,
                    heads: Vec::new(),
                    ending: Ending::Null,
                    heads_at,
                    body_at: heads_at,
                }));
            }
            return Err(IcapError::BadEncapsulated);
        };
        let (heads, ending, heads_len) = encapsulated_sections(encapsulated)?;
        // Checked: the heads must fit in the request, so the sum cannot overflow here.
        let body_at = heads_at
            .checked_add(heads_len)
            .filter(|end| *end <= self.limits.max_request)
            .ok_or(IcapError::TooLarge)?;
        Ok(Some(State::Heads {
            request,
            heads,
            ending,
            heads_at,
            body_at,
        }))
    }
}

/// The sections an `Encapsulated` value names, how the message ends, and the heads' total
/// length. Offsets must start at 0 and never go backwards; heads come first, each at most
/// [`MAX_HEAD`] bytes, and exactly one body (or `null-body`) comes last.
fn encapsulated_sections(value: &str) -> Result<(Vec<Head>, Ending, usize), IcapError> {
    let mut parts = Vec::new();
    for part in value.split(',') {
        let (name, offset) = part
            .trim()
            .split_once('=')
            .ok_or(IcapError::BadEncapsulated)?;
        let offset: usize = offset
            .trim()
            .parse()
            .map_err(|_| IcapError::BadEncapsulated)?;
        parts.push((name.trim().to_ascii_lowercase(), offset));
    }
    let Some(((last, body_offset), heads)) = parts.split_last() else {
        return Err(IcapError::BadEncapsulated);
    };
    let ending = match last.as_str() {
        "null-body" => Ending::Null,
        "req-body" | "res-body" | "opt-body" => Ending::Chunked,
        _ => return Err(IcapError::BadEncapsulated),
    };
    if parts.first().map(|(_, offset)| *offset) != Some(0)
        || parts.windows(2).any(|w| w[0].1 > w[1].1)
    {
        return Err(IcapError::BadEncapsulated);
    }
    let mut sections = Vec::with_capacity(heads.len());
    for (i, (name, offset)) in heads.iter().enumerate() {
        let response = match name.as_str() {
            "req-hdr" => false,
            "res-hdr" => true,
            _ => return Err(IcapError::BadEncapsulated),
        };
        // The next offset is at least this one (checked above), so this cannot underflow.
        let end = parts.get(i + 1).map_or(*body_offset, |(_, o)| *o);
        let len = end - offset;
        if len > MAX_HEAD {
            return Err(IcapError::TooLarge);
        }
        sections.push(Head { response, len });
    }
    Ok((sections, ending, *body_offset))
}

/// One step through a chunked body.
#[derive(Debug)]
enum Chunk {
    /// The chunk's data is `buf[range]`; the next chunk-size line starts at the `usize`.
    Data(std::ops::Range<usize>, usize),
    /// The last chunk (or the end of the preview); the request ends at the `usize`; whether
    /// it carried `ieof` (the preview was the whole body).
    Last(usize, bool),
    /// More bytes are needed.
    Incomplete,
}

/// Reads the chunk whose size line starts at `at`.
fn chunk(buf: &[u8], at: usize) -> Result<Chunk, IcapError> {
    let rest = buf.get(at..).unwrap_or_default();
    let Some(line_end) = find(&rest[..rest.len().min(MAX_CHUNK_LINE)], b"\r\n") else {
        if rest.len() > MAX_CHUNK_LINE {
            return Err(IcapError::BadChunk);
        }
        return Ok(Chunk::Incomplete);
    };
    let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| IcapError::BadChunk)?;
    let mut fields = line.split(';');
    let size = fields.next().unwrap_or_default().trim();
    let ieof = fields.any(|f| f.trim() == "ieof");
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(IcapError::BadChunk);
    }
    // A size too large for usize is certainly over the request limit.
    let size = usize::from_str_radix(size, 16).map_err(|_| IcapError::TooLarge)?;
    let data_at = at + line_end + 2;
    if size == 0 {
        // The last chunk (or the end of the preview): an empty line ends it.
        return match buf.get(data_at..data_at + 2) {
            None => Ok(Chunk::Incomplete),
            Some(b"\r\n") => Ok(Chunk::Last(data_at + 2, ieof)),
            Some(_) => Err(IcapError::BadChunk),
        };
    }
    let Some(data_end) = data_at.checked_add(size).filter(|end| *end <= buf.len()) else {
        // `buf` is already cut at the request limit, so a chunk past it may still come
        // (Incomplete) or is too large; the caller tells them apart.
        return Ok(Chunk::Incomplete);
    };
    match buf.get(data_end..data_end + 2) {
        None => Ok(Chunk::Incomplete),
        Some(b"\r\n") => Ok(Chunk::Data(data_at..data_end, data_end + 2)),
        Some(_) => Err(IcapError::BadChunk),
    }
}

fn check_request_line(line: &[u8]) -> Result<(Method, String), IcapError> {
    let line = std::str::from_utf8(line).map_err(|_| IcapError::BadRequestLine)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IcapError::BadRequestLine);
    };
    if version != "ICAP/1.0" || !uri.starts_with("icap://") {
        return Err(IcapError::BadRequestLine);
    }
    let method = match method {
        "OPTIONS" => Method::Options,
        "REQMOD" => Method::Reqmod,
        "RESPMOD" => Method::Respmod,
        other => return Err(IcapError::UnknownMethod(other.chars().take(32).collect())),
    };
    Ok((method, uri.to_string()))
}

/// Writes an ICAP response head: status line, `headers`, and the blank line.
pub fn write_head(out: &mut Vec<u8>, status: u16, reason: &str, headers: &[(&str, &str)]) {
    out.extend_from_slice(format!("ICAP/1.0 {status} {reason}\r\n").as_bytes());
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        // A value can never break the head open.
        out.extend(
            value
                .bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `data` as one chunk and the last chunk.
pub fn write_chunked(out: &mut Vec<u8>, data: &[u8]) {
    if !data.is_empty() {
        out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
}

/// Which HTTP message an answer encapsulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// An HTTP request (`req-hdr`, `req-body`).
    Request,
    /// An HTTP response (`res-hdr`, `res-body`).
    Response,
}

/// A `200 OK` answer carrying an HTTP message: the ICAP head and `http_head`. With `body`,
/// the caller writes the chunks that follow (and the last chunk); without, there are none.
pub fn write_message_head(
    out: &mut Vec<u8>,
    istag: &str,
    message: Message,
    http_head: &str,
    body: bool,
) {
    let (head, rest) = match (message, body) {
        (Message::Request, true) => ("req-hdr", "req-body"),
        (Message::Request, false) => ("req-hdr", "null-body"),
        (Message::Response, true) => ("res-hdr", "res-body"),
        (Message::Response, false) => ("res-hdr", "null-body"),
    };
    let encapsulated = format!("{head}=0, {rest}={}", http_head.len());
    write_head(
        out,
        200,
        "OK",
        &[("ISTag", istag), ("Encapsulated", &encapsulated)],
    );
    out.extend_from_slice(http_head.as_bytes());
}

/// A `204 No Content` answer: the message unchanged.
pub fn write_no_content(out: &mut Vec<u8>, istag: &str) {
    write_head(
        out,
        204,
        "No Content",
        &[("ISTag", istag), ("Encapsulated", "null-body=0")],
    );
}

/// A REQMOD answer that replaces the request with an HTTP response (`res-hdr` and
/// `res-body`): how a block page is sent.
pub fn write_http_response(out: &mut Vec<u8>, istag: &str, http_head: &str, body: &[u8]) {
    write_message_head(out, istag, Message::Response, http_head, true);
    write_chunked(out, body);
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTP: &str = "GET http://www.bet365.com/ HTTP/1.1\r\nHost: www.bet365.com\r\n\r\n";

    fn reqmod(extra: &str, body: &str) -> Vec<u8> {
        let enc = if body.is_empty() {
            format!("req-hdr=0, null-body={}", HTTP.len())
        } else {
            format!("req-hdr=0, req-body={}", HTTP.len())
        };
        format!(
            "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nHost: 127.0.0.1:1344\r\n{extra}Encapsulated: {enc}\r\n\r\n{HTTP}{body}"
        )
        .into_bytes()
    }

    fn complete(buf: &[u8]) -> (Request, usize) {
        match parse_request(buf).unwrap() {
            Parse::Complete(r, n) => (r, n),
            Parse::Incomplete => panic!("incomplete"),
        }
    }

    #[test]
    fn every_prefix_is_incomplete_then_complete() {
        for raw in [
            reqmod("Allow: 204\r\n", ""),
            reqmod("Preview: 0\r\n", "0; ieof\r\n\r\n"),
            reqmod("", "5\r\nhello\r\n0\r\n\r\n"),
        ] {
            for cut in 0..raw.len() {
                assert_eq!(
                    parse_request(&raw[..cut]),
                    Ok(Parse::Incomplete),
                    "cut at {cut}"
                );
            }
            let (req, used) = complete(&raw);
            assert_eq!(used, raw.len());
            assert_eq!(req.http_url().as_deref(), Some("http://www.bet365.com/"));
        }
    }

    #[test]
    fn two_requests_on_one_connection() {
        let mut raw = reqmod("Allow: 204\r\n", "");
        let first = raw.len();
        raw.extend(reqmod("Allow: 204\r\n", ""));
        let (_, used) = complete(&raw);
        assert_eq!(used, first);
        let (_, used) = complete(&raw[first..]);
        assert_eq!(used, first);
    }

    #[test]
    fn body_is_kept_for_echo() {
        let (req, _) = complete(&reqmod("", "5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n"));
        assert_eq!(req.body.as_deref(), Some(&b"helloabc"[..]));
        assert!(!req.allows_204());
    }

    #[test]
    fn preview_implies_204() {
        let (req, _) = complete(&reqmod("Preview: 0\r\n", "0\r\n\r\n"));
        assert!(req.allows_204());
    }

    #[test]
    fn options() {
        let raw = b"OPTIONS icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nHost: x\r\nEncapsulated: null-body=0\r\n\r\n";
        let (req, used) = complete(raw);
        assert_eq!(req.method, Method::Options);
        assert_eq!(req.service(), "/reqmod");
        assert_eq!(used, raw.len());
    }

    #[test]
    fn origin_form_uses_host() {
        let http = "GET /a?b HTTP/1.1\r\nHost: Example.org\r\n\r\n";
        let raw = format!(
            "REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
            http.len()
        );
        let (req, _) = complete(raw.as_bytes());
        assert_eq!(req.http_url().as_deref(), Some("http://Example.org/a?b"));
    }

    #[test]
    fn garbage_is_refused_early() {
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\n"),
            Err(IcapError::BadRequestLine)
        );
        assert_eq!(
            parse_request(b"\x16\x03\x01\x02\x00\r\n"),
            Err(IcapError::BadRequestLine)
        );
        assert!(matches!(
            parse_request(b"BREW icap://h/ ICAP/1.0\r\n\r\n"),
            Err(IcapError::UnknownMethod(_))
        ));
        assert_eq!(
            parse_request(b"REQMOD icap://h/ ICAP/1.0\r\nHost: h\r\n\r\n"),
            Err(IcapError::BadEncapsulated)
        );
        assert_eq!(
            parse_request(
                b"REQMOD icap://h/ ICAP/1.0\r\nEncapsulated: req-hdr=9, null-body=2\r\n\r\n"
            ),
            Err(IcapError::BadEncapsulated)
        );
    }

    #[test]
    fn bad_chunk() {
        let raw = reqmod("", "zz\r\nhello\r\n0\r\n\r\n");
        assert_eq!(parse_request(&raw), Err(IcapError::BadChunk));
    }

    #[test]
    fn oversized_head_is_too_large() {
        let raw = vec![b'a'; MAX_HEAD + 10];
        assert!(parse_request(&raw).is_err());
        let mut raw = b"REQMOD icap://h/ ICAP/1.0\r\nX: ".to_vec();
        raw.extend(vec![b'a'; MAX_HEAD + 10]);
        assert_eq!(parse_request(&raw), Err(IcapError::TooLarge));
    }

    fn reqmod_with(encapsulated: &str, rest: &[u8]) -> Vec<u8> {
        let mut raw = format!(
            "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nEncapsulated: {encapsulated}\r\n\r\n"
        )
        .into_bytes();
        raw.extend_from_slice(rest);
        raw
    }

    /// Regression (issue 8): a body offset far past the bytes sent panicked on a slice.
    #[test]
    fn body_offset_past_the_buffer_is_an_error_not_a_panic() {
        let raw = reqmod_with("req-body=1000000", b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(parse_request(&raw), Err(IcapError::BadEncapsulated));
        let raw = reqmod_with("req-hdr=0, req-body=1000000", b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(parse_request(&raw), Err(IcapError::TooLarge));
        let raw = reqmod_with("req-hdr=0, req-body=18446744073709551615", b"GET");
        assert_eq!(parse_request(&raw), Err(IcapError::TooLarge));
        let raw = reqmod_with("req-hdr=0, null-body=99999999999999999999999", b"GET");
        assert_eq!(parse_request(&raw), Err(IcapError::BadEncapsulated));
        // A body offset within the limit but past what has arrived just waits.
        let raw = reqmod_with("req-hdr=0, req-body=400", b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(parse_request(&raw), Ok(Parse::Incomplete));
    }

    /// Regression (issue 8): sections whose offsets go backwards gave an inverted range.
    #[test]
    fn inverted_sections_are_an_error_not_a_panic() {
        for encapsulated in [
            "req-hdr=50, req-body=10",
            "req-hdr=0, res-hdr=40, req-body=10",
            "req-hdr=10, null-body=0",
            "req-body=0, req-hdr=10",
            "null-body=0, null-body=5",
        ] {
            let raw = reqmod_with(encapsulated, &[b'x'; 90]);
            assert_eq!(
                parse_request(&raw),
                Err(IcapError::BadEncapsulated),
                "{encapsulated}"
            );
        }
    }

    #[test]
    fn a_request_over_the_limit_is_too_large_however_it_arrives() {
        let body = vec![b'x'; 2000];
        let mut chunked = format!("{:x}\r\n", body.len()).into_bytes();
        chunked.extend_from_slice(&body);
        chunked.extend_from_slice(b"\r\n0\r\n\r\n");
        let raw = reqmod("", std::str::from_utf8(&chunked).unwrap());
        let small = IcapLimits { max_request: 1024 };
        assert_eq!(
            RequestReader::new(small).read(&raw),
            Err(IcapError::TooLarge)
        );
        let mut reader = RequestReader::new(small);
        let mut got = Ok(Parse::Incomplete);
        for end in 1..=raw.len() {
            got = reader.read(&raw[..end]);
            if got != Ok(Parse::Incomplete) {
                break;
            }
        }
        assert_eq!(got, Err(IcapError::TooLarge));
        // The same request fits the default limit.
        let (req, used) = complete(&raw);
        assert_eq!((req.body.map(|b| b.len()), used), (Some(2000), raw.len()));
    }

    #[test]
    fn a_reader_fed_a_byte_at_a_time_gives_the_same_requests() {
        let mut raw = reqmod("", "5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n");
        raw.extend(reqmod("Allow: 204\r\n", ""));
        let mut reader = RequestReader::new(IcapLimits::default());
        let mut buf = Vec::new();
        let mut requests = Vec::new();
        for b in &raw {
            buf.push(*b);
            if let Parse::Complete(request, used) = reader.read(&buf).unwrap() {
                buf.drain(..used);
                requests.push(request);
            }
        }
        assert!(buf.is_empty());
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].body.as_deref(), Some(&b"helloabc"[..]));
        assert_eq!(requests[1], complete(&reqmod("Allow: 204\r\n", "")).0);
    }

    #[test]
    fn chunk_sizes_must_be_hex_digits() {
        for bad in ["+5\r\nhello\r\n0\r\n\r\n", "\r\n", " \r\nhello"] {
            assert_eq!(
                parse_request(&reqmod("", bad)),
                Err(IcapError::BadChunk),
                "{bad:?}"
            );
        }
    }

    fn respmod(response: &str, preview: &str, body: &str) -> Vec<u8> {
        let enc = if body.is_empty() {
            format!(
                "req-hdr=0, res-hdr={}, null-body={}",
                HTTP.len(),
                HTTP.len() + response.len()
            )
        } else {
            format!(
                "req-hdr=0, res-hdr={}, res-body={}",
                HTTP.len(),
                HTTP.len() + response.len()
            )
        };
        format!(
            "RESPMOD icap://127.0.0.1:1344/respmod ICAP/1.0\r\nHost: h\r\n{preview}Encapsulated: {enc}\r\n\r\n{HTTP}{response}{body}"
        )
        .into_bytes()
    }

    #[test]
    fn respmod_keeps_both_heads_and_the_length() {
        let response =
            "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\ncontent-length: 734003200\r\n\r\n";
        let (req, used) = complete(&respmod(response, "Preview: 0\r\n", "0\r\n\r\n"));
        assert_eq!(req.method, Method::Respmod);
        assert_eq!(req.http_url().as_deref(), Some("http://www.bet365.com/"));
        assert_eq!(req.response_head.as_deref(), Some(response));
        assert_eq!(req.response_header("Content-Type"), Some("application/zip"));
        assert_eq!(content_length(response), Some(734_003_200));
        assert!(req.preview && !req.ieof);
        assert_eq!(req.body.as_deref(), Some(&b""[..]));
        assert_eq!(used, respmod(response, "Preview: 0\r\n", "0\r\n\r\n").len());
    }

    #[test]
    fn respmod_without_length_chunked_and_ieof() {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let (req, _) = complete(&respmod(chunked, "Preview: 0\r\n", "0\r\n\r\n"));
        assert_eq!(content_length(req.response_head.as_deref().unwrap()), None);
        let empty = "HTTP/1.1 200 OK\r\n\r\n";
        let (req, _) = complete(&respmod(empty, "Preview: 0\r\n", "0; ieof\r\n\r\n"));
        assert!(req.ieof, "the preview was the whole body");
        // A client that sends no Preview sends the body whole.
        let (req, _) = complete(&respmod(empty, "", "4\r\nabcd\r\n0\r\n\r\n"));
        assert_eq!(req.body.as_deref(), Some(&b"abcd"[..]));
        let (req, _) = complete(&respmod(empty, "", ""));
        assert_eq!(req.body, None, "null-body");
    }

    #[test]
    fn content_lengths_that_do_not_count() {
        for head in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\n\r\n",
        ] {
            assert_eq!(content_length(head), None, "{head}");
        }
        assert_eq!(
            content_length("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n"),
            Some(7)
        );
    }

    #[test]
    fn block_page_response() {
        let mut out = Vec::new();
        write_http_response(&mut out, "\"t1\"", "HTTP/1.1 403 Forbidden\r\n\r\n", b"no");
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(
            "ICAP/1.0 200 OK\r\nISTag: \"t1\"\r\nEncapsulated: res-hdr=0, res-body=26\r\n\r\n"
        ));
        assert!(text.ends_with("HTTP/1.1 403 Forbidden\r\n\r\n2\r\nno\r\n0\r\n\r\n"));
    }
}
