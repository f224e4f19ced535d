//! The one percent-decoder: Squid's escaped helper fields, host names in URLs and list
//! entries, and search queries (the engine re-exports it as `charter_engine::web`).

use std::borrow::Cow;

/// What `+` means in the text being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    /// Itself (paths, host names).
    Literal,
    /// A space (`application/x-www-form-urlencoded`: query strings and form bodies).
    Space,
}

/// Decodes `%XX` escapes in `text`. `None` when an escape is malformed or the bytes are not
/// UTF-8: for host names, where either makes the name unusable.
pub fn percent_decode(text: &str, plus: Plus) -> Option<Cow<'_, str>> {
    decode(text, plus, true)
}

/// Decodes `%XX` escapes in `text` as browsers send query strings: a malformed escape stays
/// as written and bytes that are not UTF-8 become U+FFFD, so nothing is lost to a stray `%`.
pub fn percent_decode_lossy(text: &str, plus: Plus) -> Cow<'_, str> {
    decode(text, plus, false).unwrap_or(Cow::Borrowed(text))
}

fn decode(text: &str, plus: Plus, strict: bool) -> Option<Cow<'_, str>> {
    let bytes = text.as_bytes();
    let space = plus == Plus::Space;
    if !bytes.iter().any(|b| *b == b'%' || (*b == b'+' && space)) {
        return Some(Cow::Borrowed(text));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            match hex_pair(bytes.get(i + 1..i + 3)) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None if strict => return None,
                None => {}
            }
        }
        out.push(if b == b'+' && space { b' ' } else { b });
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Some(Cow::Owned(s)),
        Err(_) if strict => None,
        Err(e) => Some(Cow::Owned(
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
        )),
    }
}

fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let pair = pair?;
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding() {
        assert_eq!(
            percent_decode("b%65t365.com", Plus::Literal).unwrap(),
            "bet365.com"
        );
        assert_eq!(percent_decode("a+b", Plus::Literal).unwrap(), "a+b");
        assert_eq!(percent_decode("a+b", Plus::Space).unwrap(), "a b");
        assert!(percent_decode("bad%zz", Plus::Literal).is_none());
        assert!(percent_decode("cut%4", Plus::Literal).is_none());
        assert!(percent_decode("%ff", Plus::Literal).is_none());
        assert!(matches!(
            percent_decode("plain", Plus::Space),
            Some(Cow::Borrowed("plain"))
        ));
    }

    #[test]
    fn lossy_decoding_keeps_what_it_cannot_read() {
        assert_eq!(percent_decode_lossy("100%+sure", Plus::Space), "100% sure");
        assert_eq!(percent_decode_lossy("caf%C3%A9", Plus::Space), "caf\u{e9}");
        assert_eq!(percent_decode_lossy("caf%E9", Plus::Space), "caf\u{fffd}");
        assert_eq!(percent_decode_lossy("a%2Bb", Plus::Space), "a+b");
        assert_eq!(percent_decode_lossy("end%", Plus::Space), "end%");
    }
}
