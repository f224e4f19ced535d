//! `charter categories build|lookup`: compile squidGuard/UT1 lists into an index, and say
//! which list entry a host or URL matches.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Subcommand};

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
        }
    }
}

fn split_pair<'a>(text: &'a str, flag: &str) -> anyhow::Result<(&'a str, &'a str)> {
    text.split_once('=')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| anyhow::anyhow!("bad {flag} `{text}`, expected NAME=VALUE"))
}

fn build(args: &BuildArgs) -> CmdResult {
    let started = Instant::now();
    let mut extra = Vec::new();
    for pair in &args.map {
        let (list, category) = split_pair(pair, "--map")?;
        let category: Category = category.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        extra.push((list.to_string(), category));
    }
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
