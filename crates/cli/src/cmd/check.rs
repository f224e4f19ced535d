//! `charter check url|mail`: what the policy decides about one URL or one message.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use charter_engine::web::{Builtin, CategorySource, WebRequest};
use charter_engine::{Context, Decision, Engine};

use crate::exit::{CmdResult, Outcome};

/// `charter check ...`
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Decide one web request: its categories, the rules that match and the verdict.
    ///
    /// Example: charter check url https://www.bet365.com/ --policy policies/iimts.toml --at 2026-06-15T10:00:00+01:00
    Url(UrlArgs),
    /// Decide one mail message: every mail check the pack applies, and the verdict.
    ///
    /// Example: charter check mail message.eml --policy policies/allsorts.toml --direction outbound
    Mail(crate::cmd::mail::CheckMailArgs),
    /// Decide an installation of software against the software register's approved list.
    ///
    /// Example: charter check software uTorrent --user ann --config charter.toml
    Software(crate::cmd::activity::SoftwareArgs),
}

/// `charter check url`
#[derive(Debug, Args)]
pub struct UrlArgs {
    /// The URL (`https://host/path`), an authority (`host:443`) or a bare host.
    url: String,
    /// The policy pack to decide by.
    #[arg(long, value_name = "PACK")]
    policy: PathBuf,
    /// A category index from `charter categories build`, or a squidGuard/UT1 directory.
    /// Without it a small built-in list of well-known domains is used.
    #[arg(long, value_name = "DIR|INDEX")]
    categories: Option<PathBuf>,
    /// The user making the request.
    #[arg(long, value_name = "U")]
    user: Option<String>,
    /// The user's roles, comma-separated (such as `staff,marketing`).
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    roles: Vec<String>,
    /// When the request is made: RFC 3339 (`2026-06-15T10:00:00+01:00`), or a local time
    /// without offset (`2026-06-15T10:00`) read in the pack's time zone. Default: now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

impl CheckCommand {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        match self {
            CheckCommand::Url(args) => check_url(&args),
            CheckCommand::Mail(args) => crate::cmd::mail::check_mail(&args),
            CheckCommand::Software(args) => crate::cmd::activity::check_software(&args),
        }
    }
}

/// Loads a pack for deciding; any problem is unreadable input (exit 2).
pub fn load_engine(path: &Path) -> anyhow::Result<Engine> {
    let pack = charter_policy::load_file(path)
        .with_context(|| format!("cannot use pack `{}`", path.display()))?;
    Ok(Engine::new(pack))
}

/// Parses `--at`: an instant, or a local civil time in `tz`.
pub fn parse_at(text: Option<&str>, tz: &TimeZone) -> anyhow::Result<Timestamp> {
    let Some(text) = text else {
        return Ok(Timestamp::now());
    };
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|local| local.to_zoned_datetime(tz.clone()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "bad time `{text}` for --at, expected RFC 3339 such as 2026-06-15T10:00:00+01:00"
            )
        })
}

/// Opens `--categories`, or the built-in list when it is not given.
pub fn open_categories(path: Option<&Path>) -> anyhow::Result<Box<dyn CategorySource>> {
    match path {
        None => Ok(Box::new(Builtin::new())),
        Some(path) => Ok(charter_engine::web::open_categories(path)
            .with_context(|| format!("cannot open categories `{}`", path.display()))?),
    }
}

fn check_url(args: &UrlArgs) -> CmdResult {
    let engine = load_engine(&args.policy)?;
    let at = parse_at(args.at.as_deref(), engine.pack().windows.time_zone())?;
    let source = open_categories(args.categories.as_deref())?;
    let ctx = Context::new(args.user.clone(), args.roles.clone(), at);
    let decision = engine.decide_web(&ctx, &WebRequest::new(&args.url), source.as_ref());
    print_decision(&decision, &args.url, args.json)?;
    Ok(Outcome::Success)
}

/// Prints a decision as the DESIGN's JSON document, or as readable lines.
pub fn print_decision(decision: &Decision, subject: &str, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(decision)?);
        return Ok(());
    }
    let categories = decision
        .categories
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|c| {
            let names: Vec<&str> = c.iter().map(|c| c.as_str()).collect();
            format!(" ({})", names.join(", "))
        })
        .unwrap_or_default();
    println!("{}  {subject}{categories}", decision.verdict);
    for f in &decision.findings {
        println!(
            "  {} [{}, {}, {}]: {}",
            f.rule, f.check, f.severity, f.action, f.message
        );
        println!("    clause: {}", f.clause);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(subcommand)]
        cmd: CheckCommand,
    }

    fn url_args(argv: &[&str]) -> UrlArgs {
        let mut full = vec!["x", "url"];
        full.extend_from_slice(argv);
        match Wrap::try_parse_from(full).unwrap().cmd {
            CheckCommand::Url(args) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn url_flags() {
        let args = url_args(&[
            "https://bet365.com/",
            "--policy",
            "p.toml",
            "--user",
            "ann",
            "--roles",
            "staff,marketing",
            "--at",
            "2026-06-15T10:00:00Z",
            "--json",
            "--categories",
            "idx",
        ]);
        assert_eq!(args.url, "https://bet365.com/");
        assert_eq!(args.roles, ["staff", "marketing"]);
        assert_eq!(args.user.as_deref(), Some("ann"));
        assert!(args.json);
        assert_eq!(args.categories, Some(PathBuf::from("idx")));
    }

    #[test]
    fn url_needs_a_policy() {
        let full = ["x", "url", "https://bet365.com/"];
        assert!(Wrap::try_parse_from(full).is_err());
    }

    #[test]
    fn at_accepts_an_offset() {
        let london = TimeZone::get("Europe/London").unwrap();
        let at = parse_at(Some("2026-06-15T10:00:00+01:00"), &london).unwrap();
        assert_eq!(at, "2026-06-15T09:00:00Z".parse().unwrap());
    }

    #[test]
    fn at_reads_a_local_time_in_the_pack_zone() {
        let london = TimeZone::get("Europe/London").unwrap();
        let at = parse_at(Some("2026-06-15T10:00"), &london).unwrap();
        assert_eq!(at, "2026-06-15T09:00:00Z".parse().unwrap());
    }

    #[test]
    fn at_refuses_nonsense() {
        let err = parse_at(Some("tomorrow"), &TimeZone::UTC).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad time `tomorrow` for --at, expected RFC 3339 such as 2026-06-15T10:00:00+01:00"
        );
    }
}
