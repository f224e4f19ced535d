//! Diagnostics: what loading and linting a pack found, each with its place in the file.

use std::fmt;

use serde::Serialize;

/// How much a diagnostic matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Current guidance disagrees with the written policy; the pack still loads.
    Advisory,
    /// The pack works but something needs attention (an overdue review).
    Warning,
    /// The pack cannot be used as it is.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Advisory => "advisory",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// A line and column in a pack file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text`. For one lookup; many in the same text go
    /// through one [`Lines`].
    pub fn of(text: &str, offset: usize) -> Location {
        Lines::new(text).locate(offset)
    }
}

/// Bytes between the character counts [`Lines`] keeps.
const CHUNK: usize = 256;

/// Where each line of a text starts, and how many characters precede every [`CHUNK`]th byte,
/// so that each lookup costs a binary search and at most `CHUNK` bytes counted, whatever the
/// size of the text or the length of its lines. Counting from the start of the text for every
/// rule made loading a pack of 40,000 rules quadratic.
#[derive(Debug)]
pub(crate) struct Lines<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    chars_before_chunk: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Indexes `text` in one pass.
    pub(crate) fn new(text: &'a str) -> Lines<'a> {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut chars_before_chunk = Vec::with_capacity(bytes.len() / CHUNK + 1);
        let mut chars = 0;
        for chunk in bytes.chunks(CHUNK) {
            chars_before_chunk.push(chars);
            chars += count_chars(chunk);
        }
        // For the end of a text whose length is a whole number of chunks.
        chars_before_chunk.push(chars);
        Lines {
            text,
            line_starts,
            chars_before_chunk,
        }
    }

    /// The location of byte `offset` (clamped to the text).
    pub(crate) fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        // The last line starting at or before `offset`; line_starts[0] is 0, so one exists.
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let line_start = self.line_starts[line - 1];
        let column = self.chars_before(offset) - self.chars_before(line_start) + 1;
        Location { line, column }
    }

    /// Characters in `text[..offset]`, for `offset <= text.len()`.
    fn chars_before(&self, offset: usize) -> usize {
        let chunk = offset / CHUNK;
        // INVARIANT: there is an entry for every chunk start up to and including `text.len()`.
        self.chars_before_chunk[chunk] + count_chars(&self.text.as_bytes()[chunk * CHUNK..offset])
    }
}

/// Characters in UTF-8 `bytes`: every byte that does not continue a character.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xc0) != 0x80).count()
}

/// One finding of the loader or the linter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error, warning or advisory.
    pub level: Level,
    /// A stable code for tests and tools, such as `unknown_key` or `placeholder`.
    pub code: &'static str,
    /// One line: lowercase, user input in backticks, no final period.
    pub message: String,
    /// The pack file the diagnostic is about.
    pub file: String,
    /// Where in that file.
    #[serde(flatten)]
    pub location: Location,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file,
            self.location.line,
            self.location.column,
            self.level,
            self.code,
            self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_columns_from_one() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(Location::of(text, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::of(text, 9), Location { line: 2, column: 4 });
    }

    #[test]
    fn location_at_the_end_of_the_text() {
        let text = "a".repeat(CHUNK * 2);
        assert_eq!(
            Location::of(&text, text.len()),
            Location {
                line: 1,
                column: CHUNK * 2 + 1
            }
        );
        assert_eq!(Location::of("a\n", 2), Location { line: 2, column: 1 });
        assert_eq!(Location::of("", 5), Location { line: 1, column: 1 });
    }

    #[test]
    fn lines_agree_with_counting_from_the_start() {
        // Long lines of mixed-width characters, crossing many chunk boundaries.
        let line = "ab é 中文 🎉 ".repeat(60);
        let text = format!("{line}\n\n{line}\r\nx = 1\n{line}");
        let lines = Lines::new(&text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let before = &text[..offset];
            let expected = Location {
                line: before.matches('\n').count() + 1,
                column: before[before.rfind('\n').map_or(0, |i| i + 1)..]
                    .chars()
                    .count()
                    + 1,
            };
            assert_eq!(lines.locate(offset), expected, "offset {offset}");
        }
    }

    #[test]
    fn location_counts_characters_not_bytes() {
        let text = "q = \"é x\"";
        assert_eq!(Location::of(text, 7), Location { line: 1, column: 7 });
    }
}
