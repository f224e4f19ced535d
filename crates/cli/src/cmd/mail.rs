//! `charter check mail FILE|-`: what the policy decides about one message.
//!
//! `cmd/check.rs` wires `CheckCommand::Mail(CheckMailArgs)` to [`check_mail`].

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use charter_engine::Context;
use charter_engine::mail::{Envelope, MailInput, MailLimits, check_message};
use charter_engine::text::embed::load_from;
use charter_policy::Direction;

use crate::decision::{load_engine, parse_at, print_decision, with_site_domains};
use crate::exit::{CmdResult, Outcome};

/// The most bytes `check mail` reads; larger input is refused as unreadable. Messages between
/// the engine's parsing limit and this are judged on their headers with an `unscannable`
/// finding.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// `charter check mail`
#[derive(Debug, Args)]
pub struct CheckMailArgs {
    /// The message (RFC 5322, as saved from a mail client or a queue), or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    pub file: String,
    /// The policy pack to decide by.
    #[arg(long, value_name = "PACK")]
    pub policy: PathBuf,
    /// Which way the message goes; default: worked out from the sender's and recipients'
    /// domains against the pack's internal domains.
    #[arg(long, value_name = "inbound|outbound|internal", value_parser = parse_direction)]
    pub direction: Option<Direction>,
    /// The user sending or receiving it.
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// The user's roles, comma-separated (such as `staff,marketing`).
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    pub roles: Vec<String>,
    /// Envelope sender (`MAIL FROM`); default: the From header.
    #[arg(long, value_name = "ADDR")]
    pub mail_from: Option<String>,
    /// Envelope recipient (`RCPT TO`), repeatable; default: To, Cc and Bcc.
    #[arg(long, value_name = "ADDR")]
    pub rcpt: Vec<String>,
    /// When the message is sent (default now). A time without an offset is local time in the pack's
    /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,
    /// The site's charter.toml, for the organisation's mail domains when the pack names none:
    /// its `domains`, else those of the email accounts in its people register.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A sentence-embedding model directory (all-MiniLM-L6-v2, as .ci/setup/embeddings.sh
    /// installs it): `abusive_language` also fires on text near the model's abusive example
    /// phrases, as the milter does when charter.toml names the model. About 70 ms a message.
    /// Needs a charter built with `--features embeddings`.
    #[arg(long, value_name = "DIR")]
    pub embeddings: Option<PathBuf>,
}

fn parse_direction(text: &str) -> Result<Direction, String> {
    text.parse::<Direction>().map_err(|e| e.to_string())
}

/// Reads the message: a file, or standard input for `-`, refusing more than
/// [`MAX_INPUT_BYTES`].
pub fn read_message(file: &str) -> anyhow::Result<Vec<u8>> {
    let mut raw = Vec::new();
    let read = if file == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut raw)
            .context("cannot read the message from standard input")?
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut raw))
            .with_context(|| format!("cannot read message `{file}`"))?
    };
    if read as u64 > MAX_INPUT_BYTES {
        anyhow::bail!(
            "message `{file}` is over {} MiB, too large to check",
            MAX_INPUT_BYTES >> 20
        );
    }
    Ok(raw)
}

/// Runs `charter check mail`.
pub fn check_mail(args: &CheckMailArgs) -> CmdResult {
    let mut engine = load_engine(&args.policy)?;
    engine.pack().check_roles(&args.roles)?;
    if let Some(config) = &args.config {
        engine = with_site_domains(&engine, config, "charter check mail")?;
    }
    let engine = engine.with_embeddings(load_from(args.embeddings.as_deref())?);
    let at = parse_at(args.at.as_deref(), engine.pack().windows.time_zone())?;
    let raw = read_message(&args.file)?;
    let subject = if args.file == "-" {
        "(standard input)"
    } else {
        &args.file
    };
    check_message(&raw).map_err(|e| anyhow::anyhow!("`{subject}` is {e}"))?;
    let envelope = Envelope {
        mail_from: args.mail_from.clone(),
        rcpt_to: args.rcpt.clone(),
        authenticated: None,
        from_outside: None,
    };
    let ctx = Context::new(args.user.clone(), args.roles.clone(), at);
    let input = MailInput {
        direction: args.direction,
        ..MailInput::new(&raw, &envelope)
    };
    let decision = engine
        .decide_mail_with(&ctx, &input, &MailLimits::default())
        .decision;
    print_decision(&decision, subject, args.json)?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        args: CheckMailArgs,
    }

    fn parse(argv: &[&str]) -> Result<CheckMailArgs, clap::Error> {
        let mut full = vec!["mail"];
        full.extend_from_slice(argv);
        Wrap::try_parse_from(full).map(|w| w.args)
    }

    #[test]
    fn every_flag() {
        let args = parse(&[
            "m.eml",
            "--policy",
            "p.toml",
            "--direction",
            "outbound",
            "--user",
            "ann",
            "--roles",
            "staff,marketing",
            "--mail-from",
            "ann@x.org",
            "--rcpt",
            "a@y.org",
            "--rcpt",
            "b@y.org",
            "--at",
            "2026-06-15T10:00:00Z",
            "--json",
            "--config",
            "charter.toml",
        ])
        .unwrap();
        assert_eq!(args.file, "m.eml");
        assert_eq!(args.config, Some(PathBuf::from("charter.toml")));
        assert_eq!(args.direction, Some(Direction::Outbound));
        assert_eq!(args.roles, ["staff", "marketing"]);
        assert_eq!(args.rcpt, ["a@y.org", "b@y.org"]);
        assert!(args.json);
    }

    #[test]
    fn stdin_dash() {
        assert_eq!(parse(&["-", "--policy", "p.toml"]).unwrap().file, "-");
    }

    #[test]
    fn bad_direction() {
        let err = parse(&["m.eml", "--policy", "p", "--direction", "sideways"]).unwrap_err();
        assert!(
            err.to_string().contains("unknown direction `sideways`"),
            "{err}"
        );
    }

    #[test]
    fn needs_a_policy() {
        assert!(parse(&["m.eml"]).is_err());
    }
}
