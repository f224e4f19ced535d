//! Confidentiality markings ("Private and Confidential", "OFFICIAL-SENSITIVE"): a line that
//! is a marking, or a marking standing as words in a subject. Mail's
//! `confidential_unencrypted` and the web's `sensitive_upload` both read them from here.

/// Markings that make a message confidential, lowercase.
pub const CONFIDENTIAL_MARKINGS: &[&str] = &[
    "strictly private and confidential",
    "private and confidential",
    "private & confidential",
    "strictly confidential",
    "highly confidential",
    "company confidential",
    "commercial in confidence",
    "official-sensitive",
    "official sensitive",
    "confidential",
];

/// Whether `line` is a marking on its own (`CONFIDENTIAL`, `Classification: Official-Sensitive`,
/// `*** Private and Confidential ***`), not a sentence that uses the word.
pub fn marking_in_line(line: &str) -> bool {
    // Every marking starts with one of these letters: most lines are rejected without work.
    let first = line
        .bytes()
        .find(|b| b.is_ascii_alphabetic())
        .map(|b| b.to_ascii_lowercase());
    if !matches!(first, Some(b'c' | b'h' | b'o' | b'p' | b's')) {
        return false;
    }
    let trimmed = line.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '*' | '[' | ']' | '(' | ')' | '-' | '_' | '=' | '#' | '>' | '|' | ':'
            )
    });
    if trimmed.is_empty() || trimmed.len() > 60 {
        return false;
    }
    let lower = trimmed.to_ascii_lowercase();
    let lower = lower
        .strip_prefix("classification:")
        .or_else(|| lower.strip_prefix("security classification:"))
        .map_or(lower.as_str(), str::trim);
    CONFIDENTIAL_MARKINGS.iter().any(|m| {
        lower == *m
            || lower
                .strip_prefix(m)
                .is_some_and(|rest| rest.starts_with(':') || rest.starts_with(" -"))
    })
}

/// Whether lowercased `subject_lower` holds a marking as words.
pub fn subject_marking(subject_lower: &str) -> bool {
    let b = subject_lower.as_bytes();
    CONFIDENTIAL_MARKINGS.iter().any(|m| {
        let mut from = 0;
        while let Some(p) = subject_lower[from..].find(m) {
            let at = from + p;
            from = at + m.len();
            if super::on_word_boundary(b, at, from) {
                return true;
            }
        }
        false
    })
}

/// Whether one of the first `max_lines` lines of `text` is a marking.
pub fn marked_line(text: &str, max_lines: usize) -> bool {
    text.lines().take(max_lines).any(marking_in_line)
}
