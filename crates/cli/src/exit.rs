//! Exit codes shared by every command (DESIGN section 6): 0 on success whatever the verdict,
//! 1 when lint finds errors, 2 for bad usage or unreadable input.

use std::process::ExitCode;

/// What a command ended with.
#[derive(Debug)]
pub enum Outcome {
    /// Done; the verdict, if any, was printed.
    Success,
    /// The linter found errors (they were printed).
    LintErrors,
    /// Bad input, already said on stderr in the command's own words (a helper that kept
    /// answering until its input closed): exit 2 without saying it again.
    Reported,
}

/// A command's result: an outcome, or a one-line error for bad usage or unreadable input.
pub type CmdResult = anyhow::Result<Outcome>;

/// Prints the error, if any, and maps the result to the process exit code.
pub fn finish(result: CmdResult) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::LintErrors) => ExitCode::from(1),
        Ok(Outcome::Reported) => ExitCode::from(2),
        Err(e) => {
            eprintln!("charter: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, joined by `: `, each stated once: a library whose message
/// already quotes its source (as database drivers do) would otherwise repeat it.
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that quotes its source in its own message.
    #[derive(Debug)]
    struct Quoting(std::io::Error);

    impl std::fmt::Display for Quoting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error returned from database: {}", self.0)
        }
    }

    impl std::error::Error for Quoting {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn each_cause_is_stated_once() {
        let inner = std::io::Error::other("role \"nobody\" does not exist");
        let e = anyhow::Error::new(Quoting(inner)).context("cannot open store `x`");
        assert_eq!(
            one_line(&e),
            "cannot open store `x`: error returned from database: role \"nobody\" does not exist"
        );
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let e = anyhow::anyhow!("connection refused").context("cannot reach the store");
        assert_eq!(one_line(&e), "cannot reach the store: connection refused");
    }
}
