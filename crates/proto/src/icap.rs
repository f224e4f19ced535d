//! ICAP (RFC 3507) requests for a REQMOD service: the codec Charter's ICAP server feeds.
//!
//! [`parse_request`] is given everything read so far on a connection and answers
//! [`Parse::Complete`] with the request and how many bytes it used, [`Parse::Incomplete`],
//! or an [`IcapError`] (the server answers 400 and closes). Limits are set here: the ICAP
//! head and the encapsulated HTTP head may each be at most [`MAX_HEAD`] bytes, a body kept
//! for echoing at most [`MAX_BODY`]; anything larger is [`IcapError::TooLarge`], never
//! silently cut.
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

/// Longest ICAP head, and longest encapsulated HTTP head, in bytes.
pub const MAX_HEAD: usize = 64 * 1024;
/// Longest request body kept to echo back to a client that does not allow 204.
pub const MAX_BODY: usize = 1024 * 1024;

/// An ICAP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `OPTIONS`: what the service does.
    Options,
    /// `REQMOD`: adapt (here: judge) an HTTP request.
    Reqmod,
    /// `RESPMOD`: not offered by Charter (answered 405).
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
    /// A missing or malformed `Encapsulated` header.
    BadEncapsulated,
    /// A malformed chunk in the body.
    BadChunk,
    /// A head or body over the limits.
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
    /// The body chunks' data (for echoing), when the client sent a body.
    pub body: Option<Vec<u8>>,
    /// Whether the client sent a `Preview` header.
    pub preview: bool,
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

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses one request from the start of `buf`.
pub fn parse_request(buf: &[u8]) -> Result<Parse, IcapError> {
    let Some(head_end) = find(&buf[..buf.len().min(MAX_HEAD + 4)], b"\r\n\r\n") else {
        if buf.len() > MAX_HEAD {
            return Err(IcapError::TooLarge);
        }
        // A request line that is plainly not ICAP need not wait for more bytes.
        if let Some(line_end) = find(buf, b"\r\n") {
            check_request_line(&buf[..line_end])?;
        }
        return Ok(Parse::Incomplete);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| IcapError::BadHeader)?;
    let mut lines = head.split("\r\n");
    let (method, uri) = check_request_line(lines.next().unwrap_or_default().as_bytes())?;
    let mut headers = Vec::new();
    for line in lines {
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
        body: None,
        preview: false,
    };
    request.preview = request.header("Preview").is_some();
    let mut at = head_end + 4;
    let encapsulated = request.header("Encapsulated").map(str::to_string);
    let Some(encapsulated) = encapsulated else {
        if method == Method::Options {
            return Ok(Parse::Complete(request, at));
        }
        return Err(IcapError::BadEncapsulated);
    };
    let mut sections = Vec::new();
    for part in encapsulated.split(',') {
        let (name, offset) = part
            .trim()
            .split_once('=')
            .ok_or(IcapError::BadEncapsulated)?;
        let offset: usize = offset
            .trim()
            .parse()
            .map_err(|_| IcapError::BadEncapsulated)?;
        sections.push((name.trim().to_ascii_lowercase(), offset));
    }
    if sections.windows(2).any(|w| w[0].1 > w[1].1) || sections.is_empty() {
        return Err(IcapError::BadEncapsulated);
    }
    for (i, (name, offset)) in sections.iter().enumerate() {
        match name.as_str() {
            "req-hdr" | "res-hdr" => {
                let end = sections.get(i + 1).ok_or(IcapError::BadEncapsulated)?.1;
                if end - offset > MAX_HEAD {
                    return Err(IcapError::TooLarge);
                }
                let Some(bytes) = buf.get(at + offset..at + end) else {
                    return Ok(Parse::Incomplete);
                };
                if name == "req-hdr" {
                    let text = std::str::from_utf8(bytes).map_err(|_| IcapError::BadHeader)?;
                    request.http_head = Some(text.to_string());
                }
            }
            "null-body" => {
                if buf.len() < at + offset {
                    return Ok(Parse::Incomplete);
                }
                return Ok(Parse::Complete(request, at + offset));
            }
            "req-body" | "res-body" | "opt-body" => {
                at += offset;
                let mut body = Vec::new();
                loop {
                    let Some(line_end) = find(&buf[at..buf.len().min(at + 1024)], b"\r\n") else {
                        if buf.len() - at > 1024 {
                            return Err(IcapError::BadChunk);
                        }
                        return Ok(Parse::Incomplete);
                    };
                    let line = std::str::from_utf8(&buf[at..at + line_end])
                        .map_err(|_| IcapError::BadChunk)?;
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(size, 16).map_err(|_| IcapError::BadChunk)?;
                    at += line_end + 2;
                    if size == 0 {
                        // The last chunk (or the end of the preview): an empty line ends it.
                        if buf.len() < at + 2 {
                            return Ok(Parse::Incomplete);
                        }
                        if &buf[at..at + 2] != b"\r\n" {
                            return Err(IcapError::BadChunk);
                        }
                        request.body = Some(body);
                        return Ok(Parse::Complete(request, at + 2));
                    }
                    if body.len() + size > MAX_BODY {
                        return Err(IcapError::TooLarge);
                    }
                    if buf.len() < at + size + 2 {
                        return Ok(Parse::Incomplete);
                    }
                    body.extend_from_slice(&buf[at..at + size]);
                    if &buf[at + size..at + size + 2] != b"\r\n" {
                        return Err(IcapError::BadChunk);
                    }
                    at += size + 2;
                }
            }
            _ => return Err(IcapError::BadEncapsulated),
        }
    }
    Err(IcapError::BadEncapsulated)
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

/// A REQMOD answer that replaces the request with an HTTP response (`res-hdr` and
/// `res-body`): how a block page is sent.
pub fn write_http_response(out: &mut Vec<u8>, istag: &str, http_head: &str, body: &[u8]) {
    let encapsulated = format!("res-hdr=0, res-body={}", http_head.len());
    write_head(
        out,
        200,
        "OK",
        &[("ISTag", istag), ("Encapsulated", &encapsulated)],
    );
    out.extend_from_slice(http_head.as_bytes());
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
