//! The text of an HTTP request body, for `sensitive_upload`: form fields
//! (`application/x-www-form-urlencoded`), JSON strings, and the text and textual file parts of
//! `multipart/form-data`. Pure and bounded: the caller passes at most the bytes it chose to
//! read (the body may be cut there, mid-part or mid-string, and that is not an error), the
//! text written is at most [`BodyLimits::max_text`] bytes, and at most
//! [`BodyLimits::max_parts`] multipart parts are read. Nothing here fails: what cannot be read
//! as text is counted in [`BodyText::unread_parts`], and a body that is not what its type
//! says is [`BodyText::malformed`].
//!
//! ```
//! use charter_proto::body::{body_text, BodyLimits};
//! let t = body_text(Some("application/json"), br#"{"prompt":"Hi\nthere"}"#, &BodyLimits::default());
//! assert_eq!(t.text, "Hi\nthere\n");
//! ```

use crate::percent::{Plus, percent_decode_lossy};

/// Bounds on what [`body_text`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Longest text written, in bytes.
    pub max_text: usize,
    /// Most multipart parts read; the rest count as unread.
    pub max_parts: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            max_text: 4 * 1024 * 1024,
            max_parts: 64,
        }
    }
}

/// Longest multipart part head, in bytes.
const MAX_PART_HEAD: usize = 8 * 1024;
/// Longest multipart boundary (RFC 2046: 70).
const MAX_BOUNDARY: usize = 70;

/// The text found in a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyText {
    /// Form values, JSON strings and text parts, each followed by a newline.
    pub text: String,
    /// Parts (or whole bodies) that are not text: binary files, compressed bodies.
    pub unread_parts: u32,
    /// Whether the body did not match its type (a multipart body with no boundary, a
    /// JSON string that never ends before the body does).
    pub malformed: bool,
    /// Whether the text reached [`BodyLimits::max_text`] and was cut.
    pub cut: bool,
}

impl BodyText {
    fn push(&mut self, text: &str, limits: &BodyLimits) {
        let room = limits.max_text.saturating_sub(self.text.len());
        if text.len() + 1 > room {
            self.cut = true;
            let end = text.floor_char_boundary(room);
            self.text.push_str(&text[..end]);
            return;
        }
        self.text.push_str(text);
        self.text.push('\n');
    }
}

/// The text of `body`, read as `content_type` says (the request's `Content-Type` header).
pub fn body_text(content_type: Option<&str>, body: &[u8], limits: &BodyLimits) -> BodyText {
    let mut out = BodyText::default();
    read_typed(content_type, body, limits, &mut out, true);
    out
}

/// The media type of a `Content-Type` value, lowercase, and the value of its `name`
/// parameter.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn parameter<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"'))
    })
}

fn read_typed(
    content_type: Option<&str>,
    body: &[u8],
    limits: &BodyLimits,
    out: &mut BodyText,
    top: bool,
) {
    let media = content_type.map(media_type).unwrap_or_default();
    match media.as_str() {
        "application/x-www-form-urlencoded" => form(body, limits, out),
        "multipart/form-data" | "multipart/mixed" if top => {
            match content_type.and_then(|v| parameter(v, "boundary")) {
                Some(b) if !b.is_empty() && b.len() <= MAX_BOUNDARY => {
                    multipart(b.as_bytes(), body, limits, out);
                }
                _ => {
                    out.malformed = true;
                    out.unread_parts += 1;
                }
            }
        }
        m if m == "application/json" || m.ends_with("+json") => json(body, limits, out),
        m if textual(m) => match std::str::from_utf8(body) {
            Ok(text) => out.push(text, limits),
            // A body cut at the limit may end inside a character.
            Err(e) if e.error_len().is_none() => {
                out.push(&String::from_utf8_lossy(&body[..e.valid_up_to()]), limits);
            }
            Err(_) => out.unread_parts += 1,
        },
        _ => out.unread_parts += 1,
    }
}

/// Whether a media type (possibly empty: none given) is worth reading as text when its
/// bytes are UTF-8.
fn textual(media: &str) -> bool {
    media.is_empty()
        || media.starts_with("text/")
        || media.ends_with("+xml")
        || matches!(
            media,
            "application/xml" | "application/javascript" | "application/x-ndjson"
        )
}

/// `name=value&...`: the values, `+` as space, percent escapes undone as browsers send them
/// (a bad escape stays as written).
fn form(body: &[u8], limits: &BodyLimits, out: &mut BodyText) {
    let text = String::from_utf8_lossy(body);
    for pair in text.split('&') {
        let value = pair.split_once('=').map_or(pair, |(_, v)| v);
        if value.is_empty() {
            continue;
        }
        out.push(&percent_decode_lossy(value, Plus::Space), limits);
        if out.cut {
            return;
        }
    }
}

/// Every JSON string that is not an object key, escapes undone. No recursion: nesting
/// costs nothing, and a body cut mid-string keeps what it has.
fn json(body: &[u8], limits: &BodyLimits, out: &mut BodyText) {
    let mut i = 0;
    let mut value = String::new();
    while i < body.len() {
        if body[i] != b'"' {
            i += 1;
            continue;
        }
        value.clear();
        let (end, closed) = json_string(body, i + 1, &mut value);
        i = end;
        if !closed {
            out.malformed = true;
        }
        let mut next = i;
        while next < body.len() && body[next].is_ascii_whitespace() {
            next += 1;
        }
        let is_key = body.get(next) == Some(&b':');
        if !is_key && !value.is_empty() {
            out.push(&value, limits);
            if out.cut {
                return;
            }
        }
    }
}

/// Reads a JSON string whose first byte after the quote is at `at` into `out`; returns
/// where reading stopped and whether the closing quote was seen.
fn json_string(body: &[u8], mut at: usize, out: &mut String) -> (usize, bool) {
    let mut raw = Vec::new();
    while at < body.len() {
        match body[at] {
            b'"' => {
                out.push_str(&String::from_utf8_lossy(&raw));
                return (at + 1, true);
            }
            b'\\' => {
                let Some(&e) = body.get(at + 1) else {
                    break;
                };
                at += 2;
                match e {
                    b'n' => raw.push(b'\n'),
                    b't' => raw.push(b'\t'),
                    b'r' => raw.push(b'\r'),
                    b'b' | b'f' => raw.push(b' '),
                    b'u' => {
                        let Some(unit) = hex4(body, at) else {
                            break;
                        };
                        at += 4;
                        let c = if (0xd800..0xdc00).contains(&unit) {
                            match (body.get(at..at + 2), hex4(body, at + 2)) {
                                (Some(b"\\u"), Some(low @ 0xdc00..0xe000)) => {
                                    at += 6;
                                    char::from_u32(
                                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00),
                                    )
                                }
                                _ => None,
                            }
                        } else {
                            char::from_u32(unit)
                        };
                        let mut utf8 = [0; 4];
                        raw.extend_from_slice(
                            c.unwrap_or('\u{fffd}').encode_utf8(&mut utf8).as_bytes(),
                        );
                    }
                    other => raw.push(other),
                }
            }
            b => {
                raw.push(b);
                at += 1;
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&raw));
    (body.len(), false)
}

fn hex4(body: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(body.get(at..at + 4)?).ok()?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `multipart/form-data`: each part's text by its own `Content-Type`; file parts that are
/// not text are counted unread. Parts end at the next delimiter or, for a cut body, at its
/// end.
fn multipart(boundary: &[u8], body: &[u8], limits: &BodyLimits, out: &mut BodyText) {
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(boundary);
    let Some(first) = find(body, &delimiter) else {
        out.malformed = true;
        out.unread_parts += 1;
        return;
    };
    let mut next_delimiter = b"\r\n".to_vec();
    next_delimiter.extend_from_slice(&delimiter);
    let mut at = first + delimiter.len();
    let mut parts = 0;
    loop {
        // After a delimiter: `--` closes the body, else the rest of the line is padding.
        if body.get(at..at + 2) == Some(b"--") || at >= body.len() {
            return;
        }
        let Some(line_end) = find(&body[at..], b"\r\n") else {
            return;
        };
        let start = at + line_end + 2;
        let (end, more) = match find(&body[start..], &next_delimiter) {
            Some(p) => (start + p, true),
            None => (body.len(), false),
        };
        parts += 1;
        if parts > limits.max_parts {
            out.unread_parts += 1;
        } else {
            part(&body[start..end], limits, out);
        }
        if !more || out.cut {
            return;
        }
        at = end + next_delimiter.len();
    }
}

fn part(bytes: &[u8], limits: &BodyLimits, out: &mut BodyText) {
    let searchable = &bytes[..bytes.len().min(MAX_PART_HEAD)];
    let (head, content) = if bytes.starts_with(b"\r\n") {
        ("", &bytes[2..])
    } else if let Some(p) = find(searchable, b"\r\n\r\n") {
        (
            std::str::from_utf8(&bytes[..p]).unwrap_or_default(),
            &bytes[p + 4..],
        )
    } else {
        out.malformed = true;
        out.unread_parts += 1;
        return;
    };
    let content_type = head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim())
    });
    let before = out.unread_parts;
    read_typed(content_type, content, limits, out, false);
    // A file sent as application/octet-stream is read when it is plainly text.
    if out.unread_parts > before
        && content_type.is_some_and(|t| media_type(t) == "application/octet-stream")
        && !content.contains(&0)
        && let Ok(text) = std::str::from_utf8(content)
    {
        out.unread_parts = before;
        out.push(text, limits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(content_type: &str, body: &[u8]) -> BodyText {
        body_text(Some(content_type), body, &BodyLimits::default())
    }

    #[test]
    fn form_values_are_decoded() {
        let t = read(
            "application/x-www-form-urlencoded; charset=UTF-8",
            b"q=NI+number+AB%2012%2034%2056%20C&empty=&bad=100%&x",
        );
        assert_eq!(t.text, "NI number AB 12 34 56 C\n100%\nx\n");
        assert!(!t.malformed);
    }

    #[test]
    fn json_strings_not_keys() {
        let t = read(
            "application/json",
            br#"{"model":"gpt","messages":[{"role":"user","content":"tab\there \u00e9 \ud83d\ude00"}], "n": 1}"#,
        );
        assert_eq!(t.text, "gpt\nuser\ntab\there \u{e9} \u{1f600}\n");
    }

    #[test]
    fn json_cut_mid_string_keeps_what_it_has() {
        let t = read("application/json", br#"{"prompt":"AB 12 34 5"#);
        assert_eq!(t.text, "AB 12 34 5\n");
        assert!(t.malformed);
        let t = read("application/json", b"\"\\u12");
        assert!(t.malformed);
    }

    const MULTIPART: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello there\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile text\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\x00\x01\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"h\"; filename=\"b.csv\"\r\nContent-Type: application/octet-stream\r\n\r\nname,ni\r\n\
--XyZ\r\nContent-Type: application/json\r\n\r\n{\"k\":\"json part\"}\r\n--XyZ--\r\n";

    #[test]
    fn multipart_text_and_file_parts() {
        let t = read("multipart/form-data; boundary=\"XyZ\"", MULTIPART);
        assert_eq!(
            t.text, "hello there\nfile text\nname,ni\njson part\n",
            "{t:?}"
        );
        assert_eq!(t.unread_parts, 1, "the PNG");
        assert!(!t.malformed);
    }

    #[test]
    fn multipart_cut_anywhere_never_fails() {
        for cut in 0..MULTIPART.len() {
            let t = read("multipart/form-data; boundary=XyZ", &MULTIPART[..cut]);
            assert!(t.text.len() <= cut, "cut {cut}");
        }
    }

    #[test]
    fn malformed_multipart() {
        let t = read("multipart/form-data", b"--a\r\n\r\nx");
        assert!(t.malformed, "no boundary parameter");
        let t = read("multipart/form-data; boundary=nope", b"just text");
        assert!(t.malformed);
        assert_eq!(t.unread_parts, 1);
        let long = format!("multipart/form-data; boundary={}", "b".repeat(71));
        assert!(read(&long, b"x").malformed);
        let t = read(
            "multipart/form-data; boundary=a",
            b"--a\r\nContent-Type: text/plain\r\nno blank line",
        );
        assert!(t.malformed);
    }

    #[test]
    fn too_many_parts_are_counted_unread() {
        let mut body = Vec::new();
        for i in 0..5 {
            body.extend_from_slice(format!("--b\r\n\r\npart {i}\r\n").as_bytes());
        }
        body.extend_from_slice(b"--b--\r\n");
        let limits = BodyLimits {
            max_parts: 3,
            ..BodyLimits::default()
        };
        let t = body_text(Some("multipart/form-data; boundary=b"), &body, &limits);
        assert_eq!(
            (t.text.as_str(), t.unread_parts),
            ("part 0\npart 1\npart 2\n", 2)
        );
    }

    #[test]
    fn text_is_capped() {
        let limits = BodyLimits {
            max_text: 10,
            ..BodyLimits::default()
        };
        let t = body_text(Some("text/plain"), "é".repeat(20).as_bytes(), &limits);
        assert!(t.cut);
        assert_eq!(t.text.len(), 10);
    }

    #[test]
    fn binary_and_unknown_types_are_unread() {
        assert_eq!(
            read("application/octet-stream", b"\x00\x01").unread_parts,
            1
        );
        assert_eq!(read("image/png", b"abc").unread_parts, 1);
        assert_eq!(read("text/plain", b"\xff\xfe").unread_parts, 1);
        let t = body_text(None, b"plain words", &BodyLimits::default());
        assert_eq!(t.text, "plain words\n");
    }
}
