//! What the commands that run a gateway share (`serve`, `squid-helper`): the pack they
//! decide with, which must pass lint, and the clock they decide by.

use std::path::{Path, PathBuf};

use charter_gateways::web::Clock;
use charter_policy::{Diagnostic, Level, LoadError, Pack, read_pack_text};
use jiff::tz::TimeZone;

use crate::time::{TimeError, parse_time};

/// Why a gateway will not decide with a pack.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The file cannot be read or loaded.
    #[error(transparent)]
    Load(LoadError),
    /// Lint finds errors in it (unfilled placeholders, contradictions, anything the loader
    /// refuses): enforcing it would enforce something nobody wrote.
    #[error(
        "the pack fails lint, so no gateway decides with it: {first}{}; `charter policy lint {path}` lists them all",
        more_errors(*.errors)
    )]
    Rejected {
        /// The pack.
        path: PathBuf,
        /// The first error, with its line.
        first: Box<Diagnostic>,
        /// How many errors lint found.
        errors: usize,
    },
}

/// ` (and N more errors)` after the first, when there are more.
fn more_errors(errors: usize) -> String {
    match errors {
        0 | 1 => String::new(),
        2 => " (and 1 more error)".to_string(),
        n => format!(" (and {} more errors)", n - 1),
    }
}

/// Loads the pack at `path` for a gateway: refused, naming its first error, when lint finds
/// any (DESIGN section 6). Review dates are judged as of today on this machine's clock.
pub fn load_pack_for_gateway(path: &Path) -> Result<Pack, PackError> {
    let text = read_pack_text(path).map_err(PackError::Load)?;
    let file = path.display().to_string();
    let today = jiff::ZonedDateTime::now().date();
    let report = charter_policy::lint::lint(&text, &file, today);
    let errors = report.count(Level::Error);
    match report
        .diagnostics
        .into_iter()
        .find(|d| d.level == Level::Error)
    {
        Some(first) => Err(PackError::Rejected {
            path: path.to_path_buf(),
            first: Box::new(first),
            errors,
        }),
        None => match report.pack {
            Some(pack) => Ok(pack),
            // Lint reports a pack that does not load as an error; were it not to, the loader
            // says why.
            None => charter_policy::parse(&text, &file).map_err(PackError::Load),
        },
    }
}

/// The clock from `--at` (an instant, or a local time in `tz`), else the system clock. Only
/// the command line fixes it: a variable left in Squid's or systemd's environment must not
/// freeze every time window unseen.
pub fn clock_from(at: Option<&str>, tz: &TimeZone) -> Result<Clock, TimeError> {
    match at {
        None => Ok(Clock::System),
        Some(text) => Ok(Clock::Fixed(parse_time(text, tz)?)),
    }
}

/// Says on stderr, as `who`, that a fixed clock is in use, so that it shows in the site's
/// logs (Squid's cache.log, the journal) rather than only as rules that never change.
pub fn announce_fixed_clock(who: &str, clock: &Clock) {
    if let Clock::Fixed(at) = clock {
        eprintln!("{who}: at={at}: Fixed clock in use; time windows will not move.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../policies/{name}.toml"))
    }

    #[test]
    fn a_pack_lint_rejects_is_refused_naming_its_first_error() {
        let err = load_pack_for_gateway(&pack("template"))
            .map(|_| ())
            .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, PackError::Rejected { errors, .. } if errors > 1),
            "{text}"
        );
        assert!(text.contains("fails lint"), "{text}");
        assert!(
            text.contains("template.toml:16:10: error[placeholder]: unfilled template placeholder `[INSERT ROLE OR POSITION]`"),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn a_pack_lint_passes_is_loaded() {
        let loaded = load_pack_for_gateway(&pack("demo"));
        assert!(loaded.is_ok(), "{:?}", loaded.err());
    }

    #[test]
    fn a_missing_pack_says_it_cannot_be_read() {
        let err = load_pack_for_gateway(Path::new("/nonexistent/pack.toml"))
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(err, PackError::Load(_)), "{err}");
        assert!(
            err.to_string()
                .contains("cannot read pack `/nonexistent/pack.toml`"),
            "{err}"
        );
    }

    #[test]
    fn at_is_read_in_the_pack_zone_and_absent_means_the_system_clock() {
        let london = TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC);
        assert_eq!(clock_from(None, &london), Ok(Clock::System));
        let fixed = clock_from(Some("2026-06-15T10:00"), &london);
        assert_eq!(
            fixed,
            Ok(Clock::Fixed(
                "2026-06-15T09:00:00Z"
                    .parse()
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            ))
        );
        assert!(clock_from(Some("tomorrow"), &london).is_err());
    }
}
