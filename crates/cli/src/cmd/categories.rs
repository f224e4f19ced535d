//! `charter categories build|lookup|train`: compile squidGuard/UT1 lists into an index, say
//! which list entry a host or URL matches, and train the model for hosts in no list.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use charter_engine::web::site_model::{self, TrainingSet};
use charter_engine::web::{CategoryIndex, EntryKind, IndexBuilder, index::SourceKind};
use charter_policy::Category;

use crate::exit::{CmdResult, Outcome};

/// `charter categories ...`
#[derive(Debug, Subcommand)]
pub enum CategoriesCommand {
    /// Compile a squidGuard/UT1 directory (CATEGORY/domains, CATEGORY/urls) into an index.
    #[command(after_help = r#"Example:
  charter categories build --from ../shared/categories/ut1 -o categories.idx
  charter categories build --from /var/lib/charter/ut1 --category-list extremism=/var/lib/charter/ctiru.txt -o categories.idx"#)]
    Build(BuildArgs),
    /// Show the categories of a host or URL and the list entries that gave them.
    #[command(after_help = r#"Example:
  charter categories lookup www.bet365.com --categories categories.idx"#)]
    Lookup(LookupArgs),
    /// Train the model that scores hosts in no list (`unclassified_site`) from the same
    /// lists, and print its precision and recall per category on a held-out tenth of them.
    #[command(
        after_help = r#"Every tenth registrable domain is held out of training and scored
afterwards; the table says, per category, how many held-out hosts the lists hold and the
model's precision and recall at --threshold. The model is deterministic: the same lists
give the same file and version. Load it with `check url --site-model`, `squid-helper
--site-model` or charter.toml's `site_model`.

Example:
  charter categories train --from ../shared/categories/ut1 -o sites.model
  charter categories train --from /var/lib/charter/ut1 --map sports=other -o sites.model --threshold 0.8"#
    )]
    Train(TrainArgs),
}

/// `charter categories train`
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The directory in the squidGuard/UT1 layout.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Where to write the model.
    #[arg(short = 'o', long = "output", value_name = "MODEL")]
    output: PathBuf,
    /// Map a list as `categories build --map` does: LIST=CATEGORY. Repeatable.
    #[arg(long = "map", value_name = "LIST=CATEGORY")]
    map: Vec<String>,
    /// The score the held-out table counts as a match (a rule's `model_threshold`).
    #[arg(long, value_name = "SCORE", default_value_t = site_model::DEFAULT_THRESHOLD)]
    threshold: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `charter categories build`
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The directory in the squidGuard/UT1 layout.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Where to write the index.
    #[arg(short = 'o', long = "output", value_name = "INDEX")]
    output: PathBuf,
    /// Import a list the standard map leaves out, or map one differently: LIST=CATEGORY
    /// (such as `sports=other`). Repeatable.
    #[arg(long = "map", value_name = "LIST=CATEGORY")]
    map: Vec<String>,
    /// Add a named URL list (IWF, CTIRU, local) that rules name in `url_lists`: NAME=FILE,
    /// one host/path prefix a line. Repeatable.
    #[arg(long = "url-list", value_name = "NAME=FILE")]
    url_lists: Vec<String>,
    /// Fill a category from a list in the CTIRU/IWF shape (one host or URL a line, no
    /// scheme needed, `#` comments): CATEGORY=FILE, such as `extremism=ctiru.txt` or
    /// `self_harm=selfharm.txt`. UT1 has no extremism or self-harm list. Repeatable.
    #[arg(long = "category-list", value_name = "CATEGORY=FILE")]
    category_lists: Vec<String>,
}

/// `charter categories lookup`
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// A host, or a URL (URL lists match per URL).
    target: String,
    /// A category index, or a squidGuard/UT1 directory.
    #[arg(long, value_name = "DIR|INDEX")]
    categories: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl CategoriesCommand {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        match self {
            CategoriesCommand::Build(args) => build(&args),
            CategoriesCommand::Lookup(args) => lookup(&args),
            CategoriesCommand::Train(args) => train(&args),
        }
    }
}

fn split_pair<'a>(text: &'a str, flag: &str) -> anyhow::Result<(&'a str, &'a str)> {
    text.split_once('=')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| anyhow::anyhow!("bad {flag} `{text}`, expected NAME=VALUE"))
}

/// `--map LIST=CATEGORY` pairs.
fn list_map(map: &[String]) -> anyhow::Result<Vec<(String, Category)>> {
    let mut extra = Vec::new();
    for pair in map {
        let (list, category) = split_pair(pair, "--map")?;
        let category: Category = category.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        extra.push((list.to_string(), category));
    }
    Ok(extra)
}

fn build(args: &BuildArgs) -> CmdResult {
    let started = Instant::now();
    let extra = list_map(&args.map)?;
    let mut builder = IndexBuilder::new();
    builder
        .add_squidguard_dir(&args.from, &extra)
        .with_context(|| format!("cannot import `{}`", args.from.display()))?;
    for pair in &args.url_lists {
        let (name, file) = split_pair(pair, "--url-list")?;
        let text = std::fs::read(file).with_context(|| format!("cannot read URL list `{file}`"))?;
        let source = builder.add_source(name, SourceKind::UrlList(name.to_string()))?;
        builder.add_urls(source, &String::from_utf8_lossy(&text), name);
    }
    for pair in &args.category_lists {
        let (category, file) = split_pair(pair, "--category-list")?;
        let category: Category = category.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        let text =
            std::fs::read(file).with_context(|| format!("cannot read category list `{file}`"))?;
        let name = std::path::Path::new(file)
            .file_stem()
            .map_or_else(|| file.to_string(), |s| s.to_string_lossy().into_owned());
        let source = builder.add_source(&name, SourceKind::Category(category))?;
        builder.add_list(source, &String::from_utf8_lossy(&text), &name);
    }
    let (bytes, report) = builder.build()?;
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write `{}`", args.output.display()))?;
    println!(
        "wrote {}: {} domains and {} URL prefixes from {} lists ({} domain lines, {} URL lines), {:.1} MB, {:.1} s",
        args.output.display(),
        report.domains,
        report.urls,
        report.lists.len(),
        report.domain_lines,
        report.url_lines,
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    if let Ok(index) = CategoryIndex::from_bytes(bytes) {
        let empty: Vec<&str> = index
            .category_entries()
            .into_iter()
            .filter(|(c, n)| *n == 0 && *c != Category::Other)
            .map(|(c, _)| c.as_str())
            .collect();
        if !empty.is_empty() {
            println!(
                "empty categories (rules naming them cannot fire; fill one with --category-list CATEGORY=FILE): {}",
                empty.join(", ")
            );
        }
    }
    if !report.ignored_lists.is_empty() {
        println!(
            "not imported (no Charter category; add with --map LIST=CATEGORY): {}",
            report.ignored_lists.join(", ")
        );
    }
    if report.skipped_count > 0 {
        println!("skipped {} unusable lines, such as:", report.skipped_count);
        for s in report.skipped.iter().take(5) {
            println!("  {}: `{}`: {}", s.origin, s.line, s.reason);
        }
    }
    Ok(Outcome::Success)
}

fn train(args: &TrainArgs) -> CmdResult {
    if !(args.threshold > 0.0 && args.threshold <= 1.0) {
        anyhow::bail!(
            "bad --threshold {}: expected a score above 0 and at most 1",
            args.threshold
        );
    }
    let started = Instant::now();
    let set = TrainingSet::from_squidguard_dir(&args.from, &list_map(&args.map)?)
        .with_context(|| format!("cannot read `{}`", args.from.display()))?;
    let (training, held_out) = set.split();
    let model = site_model::train(&training, &set);
    if model.categories().is_empty() {
        anyhow::bail!(
            "no Charter category has {} or more domains in `{}` to learn from",
            site_model::train::MIN_HOSTS,
            args.from.display()
        );
    }
    let bytes = model.to_bytes();
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write `{}`", args.output.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    let eval = site_model::evaluate(&model, &held_out, args.threshold);
    if args.json {
        let doc = serde_json::json!({
            "model": args.output,
            "version": model.version(),
            "bytes": bytes.len(),
            "trained_on": training.len(),
            "held_out": held_out.len(),
            "threshold": eval.threshold,
            "categories": eval.categories.iter().map(|f| serde_json::json!({
                "category": f.category,
                "hosts": f.hosts,
                "precision": f.precision(),
                "recall": f.recall(),
            })).collect::<Vec<_>>(),
            "uncategorised": eval.uncategorised,
            "uncategorised_flagged": eval.uncategorised_flagged,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(Outcome::Success);
    }
    println!(
        "wrote {}: version {}, {} categories, {:.1} MB, trained on {} hosts in {seconds:.1} s",
        args.output.display(),
        model.version(),
        model.categories().len(),
        bytes.len() as f64 / 1e6,
        training.len(),
    );
    println!(
        "held out: {} hosts (every tenth registrable domain); a host counts as put in a category at score >= {:.2}",
        held_out.len(),
        eval.threshold
    );
    println!(
        "{:<16} {:>7} {:>9} {:>7}",
        "category", "hosts", "precision", "recall"
    );
    for f in &eval.categories {
        println!(
            "{:<16} {:>7} {:>9.3} {:>7.3}",
            f.category.as_str(),
            f.hosts,
            f.precision(),
            f.recall()
        );
    }
    println!(
        "hosts in no modelled category: {}, of which the model put {} in one",
        eval.uncategorised, eval.uncategorised_flagged
    );
    Ok(Outcome::Success)
}

fn lookup(args: &LookupArgs) -> CmdResult {
    let source = charter_engine::web::open_categories(&args.categories)
        .with_context(|| format!("cannot open categories `{}`", args.categories.display()))?;
    let target = charter_engine::web::parse_web_address(&args.target)?;
    let classification = source.classify(&target);
    let matches = source.explain(&target);
    let kind = |k: EntryKind| match k {
        EntryKind::Domain => "domain",
        EntryKind::WwwTwin => "www_twin",
        EntryKind::Url => "url",
    };
    if args.json {
        let doc = serde_json::json!({
            "host": target.host(),
            "categories": classification.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "url_lists": classification.url_lists,
            "matches": matches.iter().map(|m| serde_json::json!({
                "kind": kind(m.kind),
                "entry": m.entry,
                "lists": m.lists,
                "categories": m.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(Outcome::Success);
    }
    let names: Vec<&str> = classification
        .categories
        .iter()
        .map(|c| c.as_str())
        .collect();
    if names.is_empty() && classification.url_lists.is_empty() {
        println!("{}: no category", target.host());
    } else {
        let mut all = names.join(", ");
        if !classification.url_lists.is_empty() {
            all = format!("{all} (URL lists: {})", classification.url_lists.join(", "));
        }
        println!("{}: {all}", target.host());
    }
    for m in &matches {
        let how = match m.kind {
            EntryKind::Domain => "domain entry",
            EntryKind::WwwTwin => "domain entry (www. form of the host)",
            EntryKind::Url => "URL entry",
        };
        let cats: Vec<&str> = m.categories.iter().map(|c| c.as_str()).collect();
        println!(
            "  {how} `{}` in {} -> {}",
            m.entry,
            m.lists.join(", "),
            cats.join(", ")
        );
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(subcommand)]
        cmd: CategoriesCommand,
    }

    #[test]
    fn build_flags() {
        let w = Wrap::try_parse_from([
            "x",
            "build",
            "--from",
            "ut1",
            "-o",
            "c.idx",
            "--map",
            "sports=other",
            "--url-list",
            "iwf=iwf.txt",
        ])
        .unwrap();
        let CategoriesCommand::Build(b) = w.cmd else {
            panic!()
        };
        assert_eq!(b.output, PathBuf::from("c.idx"));
        assert_eq!(b.map, ["sports=other"]);
        assert_eq!(b.url_lists, ["iwf=iwf.txt"]);
    }

    #[test]
    fn lookup_flags() {
        let w = Wrap::try_parse_from([
            "x",
            "lookup",
            "bet365.com",
            "--categories",
            "c.idx",
            "--json",
        ])
        .unwrap();
        let CategoriesCommand::Lookup(l) = w.cmd else {
            panic!()
        };
        assert!(l.json);
        assert_eq!(l.target, "bet365.com");
    }

    #[test]
    fn bad_pair_is_an_error() {
        assert!(split_pair("sports", "--map").is_err());
    }
}
