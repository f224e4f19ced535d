//! Text detectors shared by the mail checks: word lists and phrases found in one pass, and
//! scanners for personal data.
//!
//! Everything here works on *normalised* text (see [`normalise_into`]): ASCII lowercased,
//! every run of white space one space, typographic quotes made plain. The detectors are
//! word-list and phrase detectors chosen for precision: each phrase is matched on word
//! boundaries, so `Scunthorpe` is not abuse and `grass` is not `ass`. They stay the explainable
//! baseline; the abusive-language model ([`classifier`]) sits beside them, and [`assess`] runs
//! both with the safeguarding lists.

pub mod assess;
pub mod classifier;
mod decide;
pub mod embed;
pub mod eval;
pub mod marking;
mod phrases;
pub mod pii;
pub mod safeguarding;

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

pub use phrases::AbuseKind;
use phrases::{Cue, PHRASES};

/// What the phrase detectors found in one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextSignals {
    /// Abusive terms by kind, indexed by [`AbuseKind`] as usize.
    pub abusive: [u32; AbuseKind::COUNT],
    /// Chain-letter score (3 or more is a chain letter).
    pub chain_score: u32,
    /// Payment-details-change score (3 or more is a request to change bank details).
    pub payment_score: u32,
    /// Whether the text holds an inline PGP message.
    pub pgp: bool,
}

/// Score at or above which a text is a chain letter.
pub const CHAIN_THRESHOLD: u32 = 3;
/// Score at or above which a text asks to change bank or payment details.
pub const PAYMENT_THRESHOLD: u32 = 3;

impl TextSignals {
    /// How many abusive terms were found in all.
    pub fn abusive_total(&self) -> u32 {
        self.abusive.iter().sum()
    }

    /// The abusive terms as "2 slurs, 1 threat", without quoting them.
    pub fn abusive_summary(&self) -> String {
        AbuseKind::ALL
            .iter()
            .filter(|k| self.abusive[**k as usize] > 0)
            .map(|k| {
                let n = self.abusive[*k as usize];
                format!("{n} {}", k.noun(n))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the chain-letter score reaches [`CHAIN_THRESHOLD`].
    pub fn is_chain_letter(&self) -> bool {
        self.chain_score >= CHAIN_THRESHOLD
    }

    /// Whether the payment-change score reaches [`PAYMENT_THRESHOLD`].
    pub fn is_payment_change(&self) -> bool {
        self.payment_score >= PAYMENT_THRESHOLD
    }
}

fn automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| phrase_automaton(PHRASES.iter().map(|(p, _)| *p)))
}

/// A leftmost-longest DFA over a fixed phrase table.
fn phrase_automaton<'a>(phrases: impl IntoIterator<Item = &'a str>) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(phrases)
        // INVARIANT: the phrase tables are fixed lists of short literals, which always build.
        .unwrap_or_else(|_| unreachable_automaton())
}

#[cold]
fn unreachable_automaton() -> AhoCorasick {
    // A fixed, tiny pattern set; if even this failed the process has no memory left.
    AhoCorasick::new(["\u{0}"]).unwrap_or_else(|_| std::process::abort())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80 || b == b'_'
}

/// Whether `text[start..end]` stands alone as a word or phrase.
pub fn on_word_boundary(text: &[u8], start: usize, end: usize) -> bool {
    (start == 0 || !is_word_byte(text[start - 1]))
        && (end >= text.len() || !is_word_byte(text[end]))
}

/// Runs every phrase detector over normalised `text` in one pass.
pub fn signals(text: &str) -> TextSignals {
    let bytes = text.as_bytes();
    let mut out = TextSignals::default();
    let mut chain_counted = false;
    for m in automaton().find_iter(text) {
        if !on_word_boundary(bytes, m.start(), m.end()) {
            continue;
        }
        match PHRASES[m.pattern().as_usize()].1 {
            Cue::Abuse(kind) => out.abusive[kind as usize] += 1,
            Cue::Chain(w) => out.chain_score += w,
            Cue::ChainForward => {
                out.chain_score += 1;
                if !chain_counted && names_a_crowd(&bytes[m.end()..]) {
                    out.chain_score += 2;
                    chain_counted = true;
                }
            }
            Cue::Payment(w) => out.payment_score += w,
            Cue::Pgp => out.pgp = true,
        }
    }
    out
}

/// Whether the words after "forward this to" name a number of people ("10 friends",
/// "ten people").
fn names_a_crowd(after: &[u8]) -> bool {
    let window = &after[..after.len().min(48)];
    let Ok(window) =
        std::str::from_utf8(window).or_else(|e| std::str::from_utf8(&window[..e.valid_up_to()]))
    else {
        return false;
    };
    let mut words = window
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    let mut saw_number = false;
    for word in words.by_ref().take(6) {
        if saw_number
            && matches!(
                word,
                "people" | "friends" | "persons" | "others" | "contacts" | "more" | "women" | "men"
            )
        {
            return true;
        }
        saw_number = word.bytes().all(|b| b.is_ascii_digit())
            || matches!(
                word,
                "three"
                    | "five"
                    | "seven"
                    | "ten"
                    | "twelve"
                    | "fifteen"
                    | "twenty"
                    | "fifty"
                    | "hundred"
            );
    }
    false
}

/// Appends `text`, normalised, to `out`: ASCII lowercased, white space runs made one space,
/// typographic apostrophes and quotes made plain. Stops once `out` reaches `limit` bytes and
/// returns whether all of `text` fitted. For one-off strings; a buffer filled from many
/// parts uses [`normalise_bytes_into`].
pub fn normalise_into(out: &mut String, text: &str, limit: usize) -> bool {
    let mut bytes = std::mem::take(out).into_bytes();
    let fitted = normalise_bytes_into(&mut bytes, text, limit);
    *out = into_string(bytes);
    fitted
}

/// Turns a buffer filled by [`normalise_bytes_into`] into a string. It is UTF-8 unless the
/// limit cut a character in two, which becomes U+FFFD.
pub fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`normalise_into`] on a byte buffer: one table-free pass over the bytes. ASCII is
/// lowercased and its white space folded; of the rest only the Unicode spaces, the
/// no-break space and the typographic quotes are mapped, every other character is copied
/// as it is, so valid UTF-8 in gives valid UTF-8 out.
pub fn normalise_bytes_into(out: &mut Vec<u8>, text: &str, limit: usize) -> bool {
    // Copy first, then rewrite in place: the output is never longer than the input, so one
    // write index behind the read index does it with no per-byte capacity checks.
    let start = out.len();
    let take = text.len().min(limit.saturating_sub(start));
    out.extend_from_slice(&text.as_bytes()[..take]);
    let buf = out.as_mut_slice();
    let end = buf.len();
    let mut last_space = start == 0 || buf[start - 1] == b' ';
    let (mut r, mut w) = (start, start);
    while r < end {
        let c = buf[r];
        if c < 0x80 {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                if !last_space {
                    buf[w] = b' ';
                    w += 1;
                    last_space = true;
                }
            } else {
                buf[w] = c.to_ascii_lowercase();
                w += 1;
                last_space = false;
            }
            r += 1;
            continue;
        }
        let next = |k: usize| if r + k < end { Some(buf[r + k]) } else { None };
        let mapped = match (c, next(1), next(2)) {
            (0xc2, Some(0xa0 | 0x85), _) => Some((b' ', 2)),
            (0xca, Some(0xbc), _) => Some((b'\'', 2)),
            (0xe2, Some(0x80), Some(0x98 | 0x99)) => Some((b'\'', 3)),
            (0xe2, Some(0x80), Some(0x9c | 0x9d)) => Some((b'"', 3)),
            (0xe2, Some(0x80), Some(0x80..=0x8a | 0xa8 | 0xa9 | 0xaf))
            | (0xe2, Some(0x81), Some(0x9f))
            | (0xe3, Some(0x80), Some(0x80))
            | (0xe1, Some(0x9a), Some(0x80)) => Some((b' ', 3)),
            _ => None,
        };
        match mapped {
            Some((b' ', len)) => {
                if !last_space {
                    buf[w] = b' ';
                    w += 1;
                    last_space = true;
                }
                r += len;
            }
            Some((m, len)) => {
                buf[w] = m;
                w += 1;
                last_space = false;
                r += len;
            }
            None => {
                let len = match c {
                    0xf0.. => 4,
                    0xe0.. => 3,
                    _ => 2,
                };
                let stop = (r + len).min(end);
                buf.copy_within(r..stop, w);
                w += stop - r;
                last_space = false;
                r = stop;
            }
        }
    }
    out.truncate(w);
    let fitted = take == text.len();
    if fitted && !last_space {
        out.push(b' ');
    }
    fitted
}

/// Escapes text for HTML element content and attribute values: the one escaper for every
/// page Charter writes (the ICAP block page, the subject access summary).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Strips tags, comments, scripts and styles from HTML and decodes the common entities,
/// appending the text to `out` until it has grown by about `limit` bytes. Returns how many
/// bytes of `html` were read: all of them unless the limit stopped it. Good enough for the
/// detectors, not a renderer.
pub fn html_to_text(html: &str, out: &mut String, limit: usize) -> usize {
    let bytes = html.as_bytes();
    let limit = out.len().saturating_add(limit);
    let mut i = 0;
    let mut start = 0;
    // Text waiting to be copied (`start..i`) counts towards the limit too.
    while i < bytes.len() && out.len() + (i - start) < limit {
        match bytes[i] {
            b'<' => {
                out.push_str(&html[start..i]);
                let rest = &bytes[i..];
                let skip_to = |needle: &[u8]| -> usize {
                    find(rest, needle).map_or(bytes.len(), |p| i + p + needle.len())
                };
                i = if rest.starts_with(b"<!--") {
                    skip_to(b"-->")
                } else if starts_with_ci(rest, b"<script") {
                    skip_to_ci(bytes, i, b"</script>")
                } else if starts_with_ci(rest, b"<style") {
                    skip_to_ci(bytes, i, b"</style>")
                } else {
                    let is_block = starts_with_ci(rest, b"<br")
                        || starts_with_ci(rest, b"<p")
                        || starts_with_ci(rest, b"</p")
                        || starts_with_ci(rest, b"<div")
                        || starts_with_ci(rest, b"</div")
                        || starts_with_ci(rest, b"<tr")
                        || starts_with_ci(rest, b"<li");
                    if is_block {
                        out.push('\n');
                    } else {
                        out.push(' ');
                    }
                    skip_to(b">")
                };
                start = i.min(bytes.len());
            }
            b'&' => {
                out.push_str(&html[start..i]);
                let rest = &html[i..];
                let (text, len) = entity(rest);
                out.push_str(text);
                i += len;
                start = i;
            }
            _ => i += 1,
        }
    }
    let end = html.floor_char_boundary(i).max(start);
    out.push_str(&html[start..end]);
    end
}

fn entity(rest: &str) -> (&'static str, usize) {
    const ENTITIES: &[(&str, &str)] = &[
        ("&nbsp;", " "),
        ("&amp;", "&"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&apos;", "'"),
        ("&rsquo;", "'"),
        ("&pound;", "\u{a3}"),
    ];
    for (name, text) in ENTITIES {
        if rest.len() >= name.len()
            && rest.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return (text, name.len());
        }
    }
    ("&", 1)
}

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

fn skip_to_ci(bytes: &[u8], from: usize, needle: &[u8]) -> usize {
    let mut j = from;
    while j + needle.len() <= bytes.len() {
        if bytes[j] == b'<' && bytes[j..j + needle.len()].eq_ignore_ascii_case(needle) {
            return j + needle.len();
        }
        j += 1;
    }
    bytes.len()
}

/// The first position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    memchr_like(hay, needle)
}

fn memchr_like(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1]
            .iter()
            .position(|b| *b == first)
        {
            None => return None,
            Some(p) => {
                i += p;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_html_escapes_markup_and_quotes() {
        assert_eq!(
            super::escape_html(r#"<a href="x">O'Brien & co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Brien &amp; co&lt;/a&gt;"
        );
    }

    use super::*;

    fn norm(text: &str) -> String {
        let mut out = String::new();
        normalise_into(&mut out, text, usize::MAX);
        out
    }

    #[test]
    fn normalising_handles_non_ascii_and_runs() {
        assert_eq!(
            norm("  Caf\u{e9}\u{a0}\u{2003}DU\tJour.  "),
            "caf\u{e9} du jour. "
        );
        assert_eq!(norm("ALL CAPS"), "all caps ");
    }

    #[test]
    fn normalising_matches_unicode_white_space() {
        for c in [
            '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{200a}', '\u{2028}', '\u{2029}',
            '\u{202f}', '\u{205f}', '\u{3000}',
        ] {
            assert!(c.is_whitespace());
            assert_eq!(norm(&format!("a{c}b")), "a b ", "U+{:04X}", c as u32);
        }
        assert_eq!(norm("\u{1f600} \u{e9}T\u{2019}S"), "\u{1f600} \u{e9}t's ");
    }

    #[test]
    fn normalising_stops_at_the_limit() {
        let mut out = String::new();
        assert!(!normalise_into(&mut out, "abcdefghij", 4));
        assert_eq!(out, "abcd");
        let mut out = String::new();
        assert!(normalise_into(&mut out, "abc", 10));
        assert_eq!(out, "abc ");
    }

    #[test]
    fn normalising_folds_case_and_space() {
        assert_eq!(
            norm("New  BANK\r\n details\u{2019}s"),
            "new bank details's "
        );
    }

    #[test]
    fn abuse_is_found_on_word_boundaries_only() {
        assert_eq!(signals(&norm("You are an idiot.")).abusive_total(), 1);
        assert_eq!(
            signals(&norm("Scunthorpe and Penistone by the grass")).abusive_total(),
            0
        );
    }

    #[test]
    fn abuse_summary_does_not_quote() {
        let s = signals(&norm("fuck off, I will kill you"));
        assert_eq!(s.abusive_summary(), "1 insult, 1 threat");
    }

    #[test]
    fn ordinary_business_text_is_not_abusive() {
        let text = "Please find attached the retardant specification; the dyke repair \
                    is booked and the analysis was thorough. Kind regards";
        assert_eq!(signals(&norm(text)).abusive_total(), 0);
    }

    #[test]
    fn chain_letter_needs_more_than_one_cue() {
        assert!(!signals(&norm("Please forward this to Sam.")).is_chain_letter());
        let chain = "Forward this to 10 friends within 24 hours or you will have bad luck. \
                     Do not break the chain!";
        assert!(signals(&norm(chain)).is_chain_letter());
    }

    #[test]
    fn payment_change_strong_phrase() {
        let text = "Please note we have changed our bank details, kindly update your records.";
        assert!(signals(&norm(text)).is_payment_change());
    }

    #[test]
    fn ordinary_invoice_is_not_a_payment_change() {
        let text = "Invoice 123 attached. Sort code 12-34-56, account number 12345678.";
        assert!(!signals(&norm(text)).is_payment_change());
    }

    #[test]
    fn html_loses_its_tags() {
        let mut out = String::new();
        let html = "<p>Hello&nbsp;<b>you</b></p><script>x</script><!-- c -->&amp; me";
        assert_eq!(html_to_text(html, &mut out, usize::MAX), html.len());
        assert_eq!(norm(&out), "hello you & me ");
    }

    #[test]
    fn html_stops_at_the_limit() {
        let mut out = String::new();
        let html = format!("<p>{}</p>", "é".repeat(1000));
        let read = html_to_text(&html, &mut out, 101);
        assert!(read < html.len(), "{read}");
        assert!(out.len() <= 101 && out.len() >= 90, "{}", out.len());
        assert!(out.trim_start().chars().all(|c| c == 'é'));
    }
}
