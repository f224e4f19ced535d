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
            eprintln!("charter: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
