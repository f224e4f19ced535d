//! `charter report`: the monthly compliance report with the Cyber Essentials readiness
//! check, written as HTML or PDF. The figures are the app's (`charter_app::report`), the
//! rendering `charter-report`'s; this command parses, calls and writes the file.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use charter_app::config::Config;
use charter_policy::lint::Site;

use super::appctx::{self, AppArgs};
use crate::exit::CmdResult;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One HTML file, charts inline as SVG, no script.
    Html,
    /// A PDF typeset in-process (A4).
    Pdf,
}

/// `charter report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The month, `YYYY-MM`, in the pack's time zone.
    #[arg(long, value_name = "YYYY-MM")]
    month: String,
    /// html or pdf.
    #[arg(long, value_enum)]
    format: Format,
    /// Where to write it (`-` for standard output). A new file is readable by its owner only.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    app: AppArgs,
}

/// Writes `bytes` to `path`, a new file made owner-only, or to standard output for `-`.
fn write_out(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        return Ok(out.flush()?);
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// Runs `charter report`.
pub fn run(args: ReportArgs) -> CmdResult {
    let config = Config::load(&args.app.config)?;
    // Lint sees what this site feeds, as `charter policy lint --config` does.
    let site = Site {
        mail_domains: !config.domains.is_empty(),
        feeds: Some(charter_app::activity::feeds(&config)),
        filled_categories: None,
    };
    let ReportArgs {
        month,
        format,
        output,
        app,
    } = args;
    appctx::run(&app, |ctx| async move {
        let report = ctx
            .app
            .monthly_report(&ctx.actor, &month, site, jiff::Timestamp::now())
            .await?;
        let bytes = match format {
            Format::Html => charter_report::html(&report).into_bytes(),
            // Typesetting is CPU work of a second or so; this runtime runs nothing else.
            Format::Pdf => charter_report::pdf(&report)?,
        };
        write_out(&output, &bytes)?;
        if output.as_os_str() != "-" {
            eprintln!(
                "charter: wrote the {} report for {} to {} ({} bytes)",
                match format {
                    Format::Html => "HTML",
                    Format::Pdf => "PDF",
                },
                report.month,
                output.display(),
                bytes.len()
            );
        }
        Ok(ctx)
    })
}
