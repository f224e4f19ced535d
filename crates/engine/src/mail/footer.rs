//! Adding the pack's disclaimer to a message, correctly for every body encoding.
//!
//! The footer goes into each body part that people read (the text/plain and text/html parts
//! `mail-parser` reports as the message body, not attachments or attached messages), encoded
//! the way that part is: appended as is to 7bit/8bit text, quoted-printable encoded after
//! quoted-printable text (a literal `=` in a footer would otherwise corrupt the part), and
//! base64 parts decoded, extended and encoded again. HTML gets the footer as a paragraph
//! before `</body>`. Nothing else in the message changes: its decoded text is the old text
//! followed by the footer.

use mail_parser::{Encoding, MimeHeaders, PartType};

/// A message with its footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footed {
    /// The whole new message.
    pub message: Vec<u8>,
    /// Where its body starts (what a milter sends back with `SMFIR_REPLBODY`).
    pub body_start: usize,
}

impl Footed {
    /// The new body.
    pub fn body(&self) -> &[u8] {
        &self.message[self.body_start.min(self.message.len())..]
    }
}

/// The HTML form of a footer, as inserted into HTML parts.
pub fn footer_html(footer: &str) -> String {
    let mut out = String::from("<p class=\"charter-disclaimer\">");
    for (i, line) in footer.lines().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        for c in line.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
        }
    }
    out.push_str("</p>");
    out
}

/// Adds `footer` to every body part of `raw`. `None` when the message has no body part the
/// footer can go into safely (no text part, or a charset the footer cannot be written in).
pub fn add_footer(raw: &[u8], footer: &str) -> Option<Footed> {
    let message = super::facts::parser().parse(raw)?;
    let nl: &[u8] = if raw.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let body_start = message
        .parts
        .first()
        .map_or(raw.len(), |p| p.offset_body as usize);
    let mut ids: Vec<u32> = message
        .text_body
        .iter()
        .chain(message.html_body.iter())
        .copied()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut edits: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    for id in ids {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let html = match part.body {
            PartType::Text(_) => false,
            PartType::Html(_) => true,
            _ => continue,
        };
        if part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
        {
            continue;
        }
        let charset = part
            .content_type()
            .and_then(|c| c.attribute("charset"))
            .unwrap_or("us-ascii")
            .to_ascii_lowercase();
        if charset.starts_with("utf-16")
            || charset.starts_with("utf-32")
            || charset.starts_with("ucs")
        {
            continue;
        }
        if !footer.is_ascii() && charset != "utf-8" && charset != "utf8" {
            continue;
        }
        let (start, end) = (part.offset_body as usize, part.offset_end as usize);
        let Some(region) = raw.get(start..end) else {
            continue;
        };
        let (content, tail) = split_tail(region);
        let new = match part.encoding {
            Encoding::None => {
                let mut decoded = content.to_vec();
                extend(&mut decoded, html, footer, nl);
                decoded
            }
            Encoding::QuotedPrintable if !html => {
                let mut out = content.to_vec();
                if !out.is_empty() && !out.ends_with(b"\n") {
                    out.extend_from_slice(nl);
                }
                let mut addition = Vec::new();
                addition.extend_from_slice(nl);
                addition.extend_from_slice(footer.replace("\r\n", "\n").as_bytes());
                qp_encode_into(&addition, nl, &mut out);
                out
            }
            Encoding::QuotedPrintable => {
                // Insert the encoded paragraph into the encoded text, leaving every other
                // byte as it was: decoders differ on details such as white space before a
                // line end, so re-encoding the whole part could change what one shows.
                let (decoded, map) = qp_decode_mapped(content);
                let at = rfind_ci(&decoded, b"</body>")
                    .or_else(|| rfind_ci(&decoded, b"</html>"))
                    .map_or(content.len(), |d| map[d]);
                let mut out = Vec::with_capacity(content.len() + footer.len() * 2);
                out.extend_from_slice(&content[..at]);
                if at > 0 && !matches!(content[at - 1], b'\n' | b' ' | b'\t') {
                    out.push(b'=');
                    out.extend_from_slice(nl);
                }
                qp_encode_into(footer_html(footer).as_bytes(), nl, &mut out);
                if at < content.len() {
                    out.push(b'=');
                    out.extend_from_slice(nl);
                }
                out.extend_from_slice(&content[at..]);
                out
            }
            Encoding::Base64 => {
                let Some(mut decoded) = base64_decode(content) else {
                    continue;
                };
                extend(&mut decoded, html, footer, nl);
                base64_encode_lines(&decoded, nl)
            }
        };
        let mut new = new;
        if tail.is_empty() && end >= raw.len() {
            new.extend_from_slice(nl);
        } else {
            new.extend_from_slice(tail);
        }
        edits.push((start, end, new));
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|e| e.0);
    let mut out = Vec::with_capacity(raw.len() + footer.len() * 3 + 64);
    let mut at = 0;
    for (start, end, new) in edits {
        if start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..start]);
        out.extend_from_slice(&new);
        at = end;
    }
    out.extend_from_slice(&raw[at..]);
    Some(Footed {
        message: out,
        body_start,
    })
}

/// Splits one final line ending off a part body.
fn split_tail(region: &[u8]) -> (&[u8], &[u8]) {
    if let Some(c) = region.strip_suffix(b"\r\n") {
        (c, &region[c.len()..])
    } else if let Some(c) = region.strip_suffix(b"\n") {
        (c, &region[c.len()..])
    } else {
        (region, &[])
    }
}

/// Adds the footer to decoded content: after a blank line for text, before `</body>` for HTML.
fn extend(decoded: &mut Vec<u8>, html: bool, footer: &str, nl: &[u8]) {
    if html {
        let snippet = footer_html(footer);
        let at = rfind_ci(decoded, b"</body>")
            .or_else(|| rfind_ci(decoded, b"</html>"))
            .unwrap_or(decoded.len());
        decoded.splice(at..at, snippet.into_bytes());
    } else {
        decoded.extend_from_slice(nl);
        decoded.extend_from_slice(nl);
        let lines: Vec<&str> = footer.lines().collect();
        decoded.extend_from_slice(
            lines
                .join(std::str::from_utf8(nl).unwrap_or("\n"))
                .as_bytes(),
        );
    }
}

fn rfind_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=hay.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// Decodes quoted-printable and, for each decoded byte, where it starts in `input`.
fn qp_decode_mapped(input: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(input.len());
    let mut map = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'=' {
            let rest = &input[i + 1..];
            let ws = rest
                .iter()
                .take_while(|c| **c == b' ' || **c == b'\t')
                .count();
            if rest[ws..].starts_with(b"\r\n") {
                i += 1 + ws + 2;
                continue;
            }
            if rest[ws..].starts_with(b"\n") {
                i += 1 + ws + 1;
                continue;
            }
            if let (Some(h), Some(l)) = (
                input.get(i + 1).and_then(|c| hex(*c)),
                input.get(i + 2).and_then(|c| hex(*c)),
            ) {
                out.push((h << 4) | l);
                map.push(i);
                i += 3;
                continue;
            }
        }
        out.push(b);
        map.push(i);
        i += 1;
    }
    (out, map)
}

/// Decodes quoted-printable: soft breaks removed, malformed escapes kept as written. White
/// space at the end of a line is kept, as mail clients (and `mail-parser`) keep it, so that
/// encoding again changes nothing a reader sees.
pub fn qp_decode(input: &[u8]) -> Vec<u8> {
    qp_decode_mapped(input).0
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Quoted-printable encodes `input` (RFC 2045): line breaks stay hard breaks, lines are at
/// most 76 characters with soft breaks, `=`, control and 8-bit bytes and white space before a
/// line end are escaped.
pub fn qp_encode_into(input: &[u8], nl: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut col = 0;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'\r' && input.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        if b == b'\n' {
            out.extend_from_slice(nl);
            col = 0;
            i += 1;
            continue;
        }
        let at_line_end = matches!(input.get(i + 1), None | Some(b'\n') | Some(b'\r'));
        let literal =
            (b == b' ' || b == b'\t') && !at_line_end || (33..=126).contains(&b) && b != b'=';
        let width = if literal { 1 } else { 3 };
        if col + width > 75 {
            out.push(b'=');
            out.extend_from_slice(nl);
            col = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'=', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        }
        col += width;
        i += 1;
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes base64, skipping white space; `None` on any other stray character, including
/// anything after the padding (so a part is only re-encoded when its decoding is certain).
pub fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    let mut padded = false;
    for &c in input {
        let v = match c {
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            b'=' => {
                padded = true;
                continue;
            }
            _ if padded => return None,
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Encodes base64 in lines of 76 characters.
pub fn base64_encode_lines(input: &[u8], nl: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 4 / 3 + input.len() / 57 * 2 + 4);
    for line in input.chunks(57) {
        for chunk in line.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            out.push(B64[(n >> 18) as usize & 63]);
            out.push(B64[(n >> 12) as usize & 63]);
            out.push(if chunk.len() > 1 {
                B64[(n >> 6) as usize & 63]
            } else {
                b'='
            });
            out.push(if chunk.len() > 2 {
                B64[n as usize & 63]
            } else {
                b'='
            });
        }
        out.extend_from_slice(nl);
    }
    if out.ends_with(nl) {
        out.truncate(out.len() - nl.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOOTER: &str = "Acme Ltd, registered number 123. Views = mine; 100% true.";

    fn decoded_bodies(raw: &[u8]) -> Vec<String> {
        let m = mail_parser::MessageParser::new().parse(raw).unwrap();
        let mut ids: Vec<u32> = m
            .text_body
            .iter()
            .chain(m.html_body.iter())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.iter()
            .filter_map(|id| {
                m.parts[*id as usize]
                    .text_contents()
                    .map(|t| t.replace("\r\n", "\n"))
            })
            .collect()
    }

    fn check_plain(raw: &str) {
        let footed = add_footer(raw.as_bytes(), FOOTER).unwrap();
        let before = decoded_bodies(raw.as_bytes());
        let after = decoded_bodies(&footed.message);
        assert_eq!(before.len(), after.len());
        for (old, new) in before.iter().zip(&after) {
            let old = old.trim_end();
            assert!(new.starts_with(old), "{new:?} does not start with {old:?}");
            assert_eq!(new[old.len()..].trim(), FOOTER, "{new:?}");
        }
    }

    #[test]
    fn plain_7bit() {
        check_plain("From: a@x.org\r\nTo: b@y.org\r\nSubject: hi\r\n\r\nHello there\r\n");
    }

    #[test]
    fn quoted_printable_keeps_its_text() {
        let raw = "From: a@x.org\r\nSubject: q\r\nContent-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                   Caf=C3=A9 prices =3D 5 euros, a very long line that goes on and on and on =\r\n\
                   and wraps softly\r\n";
        check_plain(raw);
        let footed = add_footer(raw.as_bytes(), FOOTER).unwrap();
        let text = String::from_utf8(footed.message).unwrap();
        assert!(text.contains("Views =3D mine"), "{text}");
    }

    #[test]
    fn base64_text() {
        let body = base64_encode_lines(
            "Hello, base64 world.\r\nSecond line.\r\n".as_bytes(),
            b"\r\n",
        );
        let raw = format!(
            "From: a@x.org\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            String::from_utf8(body).unwrap()
        );
        check_plain(&raw);
    }

    #[test]
    fn multipart_alternative_gets_both() {
        let raw = "From: a@x.org\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n\
                   --b1\r\nContent-Type: text/plain\r\n\r\nPlain text\r\n\
                   --b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                   <html><body><p>Hi =3D there</p></body></html>\r\n--b1--\r\n";
        let footed = add_footer(raw.as_bytes(), FOOTER).unwrap();
        let after = decoded_bodies(&footed.message);
        assert!(after[0].starts_with("Plain text\n\n"), "{:?}", after[0]);
        let snippet = footer_html(FOOTER);
        assert!(after[1].contains(&snippet));
        assert_eq!(
            after[1].replacen(&snippet, "", 1).trim(),
            "<html><body><p>Hi = there</p></body></html>"
        );
    }

    #[test]
    fn attachment_is_untouched() {
        let raw = "From: a@x.org\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
                   --b1\r\nContent-Type: text/plain\r\n\r\nBody\r\n\
                   --b1\r\nContent-Type: text/plain; name=\"a.txt\"\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\n\r\n\
                   Attached text\r\n--b1--\r\n";
        let footed = add_footer(raw.as_bytes(), FOOTER).unwrap();
        let text = String::from_utf8(footed.message).unwrap();
        assert_eq!(text.matches(FOOTER).count(), 1);
        assert!(text.contains("Attached text\r\n--b1--"));
    }

    #[test]
    fn qp_round_trip() {
        let input = "a=b \t\nlong ".repeat(30) + "caf\u{e9}";
        let mut enc = Vec::new();
        qp_encode_into(input.as_bytes(), b"\r\n", &mut enc);
        assert!(enc.split(|b| *b == b'\n').all(|l| l.len() <= 77));
        assert_eq!(qp_decode(&enc).replace_crlf(), input.as_bytes());
    }

    trait ReplaceCrlf {
        fn replace_crlf(&self) -> Vec<u8>;
    }
    impl ReplaceCrlf for Vec<u8> {
        fn replace_crlf(&self) -> Vec<u8> {
            String::from_utf8_lossy(self)
                .replace("\r\n", "\n")
                .into_bytes()
        }
    }
}
