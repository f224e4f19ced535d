//! `charter check text TEXT|- --policy PACK`: the text checks and classifiers alone on one
//! text; `--eval FILE` measures them on a labelled set instead.
//!
//! `cmd/check.rs` wires `CheckCommand::Text(CheckTextArgs)` to [`check_text`].

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use charter_engine::Context;
use charter_engine::text::assess::assess_embedded;
use charter_engine::text::classifier::DEFAULT_THRESHOLD;
use charter_engine::text::embed::{Embeddings, MODEL_NAME, load_from};
use charter_engine::text::eval::{Scored, Thresholds, parse_eval_set, table};

use crate::decision::{load_engine, parse_at, print_decision};
use crate::exit::{CmdResult, Outcome};

/// The most bytes `check text` reads, from standard input or an evaluation file.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// `charter check text`
#[derive(Debug, Args)]
pub struct CheckTextArgs {
    /// The text, or `-` to read it from standard input.
    #[arg(value_name = "TEXT|-", required_unless_present = "eval")]
    pub text: Option<String>,
    /// The policy pack to decide by.
    #[arg(long, value_name = "PACK", required_unless_present = "eval")]
    pub policy: Option<PathBuf>,
    /// The user who wrote it.
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// The user's roles, comma-separated (such as `staff,marketing`).
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    pub roles: Vec<String>,
    /// When it was written (default now), for rules with time windows. A time without an offset is local time in the pack's zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,
    /// Instead of deciding one text, measure the detectors on a labelled set of
    /// `label<TAB>sentence` lines (labels abusive, safeguarding, clean): precision, recall and
    /// F1 per class for the word lists, the model and the combination.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "json"])]
    pub eval: Option<PathBuf>,
    /// The model threshold for `--eval` (default 0.5).
    #[arg(long, value_name = "SCORE", requires = "eval")]
    pub threshold: Option<f64>,
    /// A sentence-embedding model directory (all-MiniLM-L6-v2, as .ci/setup/embeddings.sh
    /// installs it): safeguarding text beyond the phrase lists, and abuse beyond the word
    /// lists and model. Needs a charter built with `--features embeddings`.
    #[arg(long, value_name = "DIR")]
    pub embeddings: Option<PathBuf>,
}

fn read_limited(mut from: impl std::io::Read, what: &str) -> anyhow::Result<String> {
    let mut raw = Vec::new();
    from.by_ref()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut raw)
        .with_context(|| format!("cannot read {what}"))?;
    if raw.len() as u64 > MAX_INPUT_BYTES {
        anyhow::bail!("{what} is over {} MiB", MAX_INPUT_BYTES >> 20);
    }
    String::from_utf8(raw).map_err(|_| anyhow::anyhow!("{what} is not UTF-8 text"))
}

/// Runs `charter check text`.
pub fn check_text(args: &CheckTextArgs) -> CmdResult {
    let embeddings = load_from(args.embeddings.as_deref())?;
    if let Some(path) = &args.eval {
        return eval(path, args.threshold, embeddings.as_deref());
    }
    let (Some(text), Some(policy)) = (&args.text, &args.policy) else {
        anyhow::bail!("give the text (or -) and --policy PACK");
    };
    let engine = load_engine(policy)?.with_embeddings(embeddings);
    engine.pack().check_roles(&args.roles)?;
    let at = parse_at(args.at.as_deref(), engine.pack().windows.time_zone())?;
    let text = if text == "-" {
        read_limited(std::io::stdin().lock(), "standard input")?
    } else {
        text.clone()
    };
    let ctx = Context::new(args.user.clone(), args.roles.clone(), at);
    let decision = engine.decide_text(&ctx, &text);
    print_decision(&decision, "(text)", args.json)?;
    Ok(Outcome::Success)
}

fn eval(
    path: &std::path::Path,
    threshold: Option<f64>,
    embeddings: Option<&Embeddings>,
) -> CmdResult {
    let threshold = threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(threshold > 0.0 && threshold <= 1.0) {
        anyhow::bail!("bad --threshold {threshold}: expected a score above 0 and at most 1");
    }
    let what = format!("evaluation set `{}`", path.display());
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {what}"))?;
    let set =
        parse_eval_set(&read_limited(file, &what)?).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    let scored: Vec<Scored> = set
        .iter()
        .map(|l| {
            let a = assess_embedded(&l.text, Some(threshold), embeddings);
            Scored::new(l.label, &a)
        })
        .collect();
    let t = Thresholds {
        model: threshold,
        ..Thresholds::DEFAULT
    };
    print!("{} sentences, model threshold {threshold:.2}", scored.len());
    if embeddings.is_some() {
        print!(
            ", embeddings {MODEL_NAME} thresholds {:.2} (safeguarding) and {:.2} (abusive)",
            t.embeddings, t.embeddings_abuse
        );
    }
    println!();
    print!("{}", table(&scored, t));
    Ok(Outcome::Success)
}
