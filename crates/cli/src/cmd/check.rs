//! `charter check url|mail|text`: what the policy decides about one URL, message or text.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use charter_engine::Context;
use charter_engine::web::{Builtin, CategorySource, WebRequest, parse_web_address};
use clap::{Args, Subcommand};

use crate::decision::{load_engine, parse_at, print_decision};
use crate::exit::{CmdResult, Outcome};

/// `charter check ...`
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Decide one web request: its categories, the rules that match and the verdict.
    #[command(after_help = r#"Example:
  charter check url https://www.bet365.com/ --policy policies/iimts.toml --at 2026-06-15T10:00:00+01:00
  charter check url new-casino-bets.example --policy policies/demo.toml --categories categories.idx --site-model sites.model"#)]
    Url(UrlArgs),
    /// Decide one mail message: every mail check the pack applies, and the verdict.
    #[command(after_help = r#"Example:
  charter check mail message.eml --policy policies/allsorts.toml --direction outbound"#)]
    Mail(crate::cmd::mail::CheckMailArgs),
    /// Decide one text with the text checks and classifiers alone (abusive language, chain
    /// letters, bank-details changes, safeguarding phrases), or measure them with --eval.
    #[command(after_help = r#"Example:
  charter check text "you are a useless idiot" --policy policies/allsorts.toml --json
  echo "I want to end my life" | charter check text - --policy policies/itec.toml
  charter check text --eval crates/engine/tests/data/text_eval.tsv"#)]
    Text(crate::cmd::text::CheckTextArgs),
    /// Decide an installation of software against the software register's approved list.
    #[command(after_help = r#"Example:
  charter check software uTorrent --user ann --config charter.toml"#)]
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
    /// A model from `charter categories train`: a host in no list is scored by it, for
    /// `unclassified_site` rules.
    #[arg(long, value_name = "MODEL")]
    site_model: Option<PathBuf>,
    /// The user making the request.
    #[arg(long, value_name = "U")]
    user: Option<String>,
    /// The user's roles, comma-separated (such as `staff,marketing`).
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    roles: Vec<String>,
    /// When the request is made (default now). A time without an offset is local time in the pack's
    /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
    #[arg(long, value_name = "TIME")]
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
            CheckCommand::Text(args) => crate::cmd::text::check_text(&args),
            CheckCommand::Software(args) => crate::cmd::activity::check_software(&args),
        }
    }
}

/// Opens `--categories`, or the built-in list when it is not given, with `--site-model`
/// behind it when given.
pub fn open_categories(
    path: Option<&Path>,
    site_model: Option<&Path>,
) -> anyhow::Result<Box<dyn CategorySource + Send + Sync>> {
    let lists: Box<dyn CategorySource + Send + Sync> = match path {
        None => Box::new(Builtin::new()),
        Some(path) => charter_engine::web::open_categories(path)
            .with_context(|| format!("cannot open categories `{}`", path.display()))?,
    };
    Ok(charter_engine::web::site_model::behind(lists, site_model)?)
}

fn check_url(args: &UrlArgs) -> CmdResult {
    // What the person typed is checked before anything else: a verdict about a "host" read
    // out of `javascript:alert(1)` would be an answer to a question nobody asked.
    parse_web_address(&args.url)?;
    let engine = load_engine(&args.policy)?;
    engine.pack().check_roles(&args.roles)?;
    let at = parse_at(args.at.as_deref(), engine.pack().windows.time_zone())?;
    let source = open_categories(args.categories.as_deref(), args.site_model.as_deref())?;
    let ctx = Context::new(args.user.clone(), args.roles.clone(), at);
    let decision = engine.decide_web(&ctx, &WebRequest::new(&args.url), source.as_ref());
    print_decision(&decision, &args.url, args.json)?;
    Ok(Outcome::Success)
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
}
