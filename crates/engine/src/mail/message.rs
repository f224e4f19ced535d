//! Whether bytes someone hands over are a mail message at all.
//!
//! The mail checks decide anything they are given (a part they cannot read is `unscannable`),
//! which is right for a gateway: Postfix only ever passes messages. A person asking `charter
//! check mail photo.png`, or an API client sending the wrong file, should instead hear that
//! it is not a message. A message (RFC 5322) starts with header fields, `Name: value` lines,
//! before the first blank line, and its header section is text: no NUL bytes. A mailbox's
//! `From ` separator line before the headers is allowed, as files saved from an mbox have one.

use std::fmt;

/// How far into the input the header section is looked for. Real header sections are a few
/// KiB; the check reads no more than this whatever the input's size.
const MAX_HEADER_SCAN: usize = 1 << 20;

/// Why bytes are not a mail message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotAMessage {
    /// Nothing, or only blank lines.
    Empty,
    /// A NUL byte among the header lines: binary data such as an image or a program.
    Binary {
        /// Where the NUL byte is.
        offset: usize,
    },
    /// The first line is not a header field (`Name: value`).
    NoHeader,
}

impl fmt::Display for NotAMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a mail message: ")?;
        match self {
            NotAMessage::Empty => f.write_str("it is empty"),
            NotAMessage::Binary { offset } => write!(
                f,
                "it holds binary data (a NUL byte at offset {offset}) where header lines should be"
            ),
            NotAMessage::NoHeader => f.write_str(
                "it does not start with header lines such as `From: ann@example.org` (RFC 5322)",
            ),
        }
    }
}

impl std::error::Error for NotAMessage {}

/// Whether `line` is a header field: a name of printable ASCII other than `:`, then `:`
/// (RFC 5322 section 2.2). Obsolete syntax allows spaces before the colon.
fn is_header_field(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return false;
    };
    let name = line[..colon].trim_ascii_end();
    !name.is_empty() && name.iter().all(|b| (33..=126).contains(b))
}

/// Checks that `raw` looks like a mail message: header lines first, no NUL among them.
pub fn check_message(raw: &[u8]) -> Result<(), NotAMessage> {
    if raw
        .iter()
        .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
    {
        return Err(NotAMessage::Empty);
    }
    let scan = &raw[..raw.len().min(MAX_HEADER_SCAN)];
    // The first blank line, with either line ending.
    let lf = scan.windows(2).position(|w| w == b"\n\n");
    let crlf = scan.windows(4).position(|w| w == b"\r\n\r\n");
    let header_end = lf.into_iter().chain(crlf).min().unwrap_or(scan.len());
    let header = &scan[..header_end];
    if let Some(offset) = header.iter().position(|b| *b == 0) {
        return Err(NotAMessage::Binary { offset });
    }
    let mut lines = header.split(|b| *b == b'\n');
    let mut first = lines.next().unwrap_or_default();
    if first.starts_with(b"From ") {
        first = lines.next().unwrap_or_default();
    }
    if is_header_field(first.strip_suffix(b"\r").unwrap_or(first)) {
        Ok(())
    } else {
        Err(NotAMessage::NoHeader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_message_is_a_message() {
        assert_eq!(
            check_message(b"From: ann@example.org\r\nSubject: hi\r\n\r\nHello\r\n"),
            Ok(())
        );
    }

    #[test]
    fn headers_without_a_body_are_a_message() {
        assert_eq!(check_message(b"Subject: only headers\n"), Ok(()));
    }

    #[test]
    fn an_mbox_separator_may_come_first() {
        let raw = b"From ann@example.org  Thu Aug 22 13:17:22 2002\nReturn-Path: <ann@example.org>\n\nbody";
        assert_eq!(check_message(raw), Ok(()));
    }

    #[test]
    fn binary_parts_after_the_headers_are_fine() {
        let mut raw = b"Content-Type: application/octet-stream\n\n".to_vec();
        raw.extend_from_slice(&[0, 1, 2, 0xff, 0]);
        assert_eq!(check_message(&raw), Ok(()));
    }

    #[test]
    fn empty_and_blank_input_is_empty() {
        assert_eq!(check_message(b""), Err(NotAMessage::Empty));
        assert_eq!(check_message(b"\r\n\n  \n"), Err(NotAMessage::Empty));
    }

    #[test]
    fn a_png_is_not_a_message() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
        assert!(matches!(
            check_message(png),
            Err(NotAMessage::Binary { .. } | NotAMessage::NoHeader)
        ));
    }

    #[test]
    fn a_nul_in_the_headers_is_binary() {
        assert_eq!(
            check_message(b"Subject: a\0b\n\nbody"),
            Err(NotAMessage::Binary { offset: 10 })
        );
    }

    #[test]
    fn text_without_header_lines_is_not_a_message() {
        assert_eq!(
            check_message(b"Dear Ann,\nsee you at 10: bring the keys.\n"),
            Err(NotAMessage::NoHeader)
        );
        assert_eq!(check_message(b"hello world\n"), Err(NotAMessage::NoHeader));
    }

    #[test]
    fn a_name_with_spaces_is_not_a_header_field() {
        assert!(!is_header_field(b"see you at 10: bring"));
        assert!(is_header_field(b"X-Mailer: test"));
        assert!(is_header_field(b"Subject : obsolete spacing"));
        assert!(!is_header_field(b": no name"));
    }

    #[test]
    fn the_reason_is_one_line() {
        for e in [
            NotAMessage::Empty,
            NotAMessage::Binary { offset: 3 },
            NotAMessage::NoHeader,
        ] {
            let text = e.to_string();
            assert!(text.starts_with("not a mail message: "), "{text}");
            assert!(!text.contains('\n'));
        }
    }
}
