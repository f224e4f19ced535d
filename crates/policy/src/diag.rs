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
    /// The location of byte `offset` in `text`.
    pub fn of(text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Location { line, column }
    }
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
    fn location_counts_characters_not_bytes() {
        let text = "q = \"é x\"";
        assert_eq!(Location::of(text, 7), Location { line: 1, column: 7 });
    }
}
