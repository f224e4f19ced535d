//! `charter policy lint|show`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use jiff::civil::Date;
use serde_json::json;

use charter_engine::web::CategoryIndex;
use charter_policy::lint::{LintReport, Site, lint_for_site};
use charter_policy::{Area, CategorySet, Diagnostic, Level, Pack, WindowCondition, read_pack_text};

use crate::exit::{CmdResult, Outcome};
use charter_app::config::Config;

/// `charter policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check packs for errors, overdue reviews and clauses current guidance advises against.
    ///
    /// Errors (exit 1): unknown keys, categories or checks, bad times and dates, duplicate
    /// rule ids, rules without a clause, unfilled template placeholders such as
    /// `[INSERT ROLE OR POSITION]`, contradictory rules, roles the pack does not declare.
    /// Warnings: an overdue review; mail rules that need the organisation's mail domains when
    /// neither the pack nor `--config`'s charter.toml names them; rules naming roles in a pack
    /// that declares none. Advisories: forced periodic password changes.
    ///
    /// With `--categories INDEX`, also a warning for every rule that names a category the
    /// index leaves empty (UT1 has no `extremism` or `self_harm` list).
    ///
    /// With `--config charter.toml`, also a warning (`inert_rule`) for every activity rule no
    /// source in its [ingest] can feed, naming what would: sign-ins from syslog for the VPN
    /// and session rules, usbguard for devices, JSON lines for software, files and networks.
    /// Web rules are never inert (Squid starts the helper); an `unacknowledged_policy` rule is
    /// inert in any pack whose [governance] acknowledge_before_use is false.
    #[command(after_help = r#"Example:
  charter policy lint policies/iimts.toml policies/itec.toml
  charter policy lint policies/itec.toml --categories /var/lib/charter/categories.idx
  charter policy lint policies/itec.toml --config /etc/charter/charter.toml"#)]
    Lint(LintArgs),
    /// Print a readable summary of a pack: windows, and rules by area with their clauses.
    #[command(after_help = r#"Example:
  charter policy show policies/iimts.toml"#)]
    Show(ShowArgs),
}

/// `charter policy lint`
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Pack files to lint.
    #[arg(required = true, value_name = "PACK")]
    packs: Vec<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Judge review dates as of this day instead of today.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<Date>,
    /// The site's charter.toml: mail domains it names count as the organisation's, and
    /// activity rules none of its [ingest] sources feeds are named inert.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The category index (or squidGuard/UT1 directory) the site loads: warn about every
    /// rule that names a category it leaves empty, such as `extremism` without a CTIRU list.
    #[arg(long, value_name = "INDEX|DIR")]
    categories: Option<PathBuf>,
}

/// `charter policy show`
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The pack file.
    #[arg(value_name = "PACK")]
    pack: PathBuf,
}

fn parse_date(text: &str) -> Result<Date, String> {
    text.parse::<Date>()
        .map_err(|_| format!("bad date `{text}`, expected YYYY-MM-DD"))
}

impl PolicyCommand {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        match self {
            PolicyCommand::Lint(args) => run_lint(&args),
            PolicyCommand::Show(args) => run_show(&args),
        }
    }
}

fn run_lint(args: &LintArgs) -> CmdResult {
    let today = args
        .today
        .unwrap_or_else(|| jiff::ZonedDateTime::now().date());
    let config = args.config.as_deref().map(Config::load).transpose()?;
    let site = Site {
        mail_domains: config.as_ref().is_some_and(|c| !c.domains.is_empty()),
        feeds: config.as_ref().map(charter_app::activity::feeds),
        filled_categories: match &args.categories {
            Some(path) => Some(filled_categories(path)?),
            None => None,
        },
    };
    let mut reports = Vec::new();
    for path in &args.packs {
        let text = read_pack_text(path)?;
        reports.push((
            path,
            lint_for_site(&text, &path.display().to_string(), today, site),
        ));
    }
    if args.json {
        println!("{}", lint_json(&reports));
    } else {
        for (path, report) in &reports {
            print_lint(path, report);
        }
    }
    Ok(if reports.iter().all(|(_, r)| r.passed()) {
        Outcome::Success
    } else {
        Outcome::LintErrors
    })
}

/// The categories the index or list directory at `path` holds at least one entry for.
fn filled_categories(path: &Path) -> anyhow::Result<CategorySet> {
    let index = if path.is_dir() {
        CategoryIndex::from_squidguard_dir(path)
    } else {
        CategoryIndex::open(path)
    }
    .with_context(|| format!("cannot open categories `{}`", path.display()))?;
    Ok(index
        .category_entries()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, _)| c)
        .collect())
}

fn print_lint(path: &Path, report: &LintReport) {
    for d in &report.diagnostics {
        println!("{d}");
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    println!(
        "{}: {}, {}, {}{}",
        path.display(),
        plural(report.count(Level::Error), "error"),
        plural(report.count(Level::Warning), "warning"),
        plural(report.count(Level::Advisory), "advisory").replace("advisorys", "advisories"),
        if report.passed() {
            ""
        } else {
            " (not fit to enforce)"
        }
    );
}

fn lint_json(reports: &[(&PathBuf, LintReport)]) -> serde_json::Value {
    let items = |report: &LintReport, level: Level| -> Vec<serde_json::Value> {
        report
            .diagnostics
            .iter()
            .filter(|d| d.level == level)
            .map(|d: &Diagnostic| {
                json!({"code": d.code, "message": d.message, "line": d.location.line, "column": d.location.column})
            })
            .collect()
    };
    let total = |level: Level| reports.iter().map(|(_, r)| r.count(level)).sum::<usize>();
    json!({
        "packs": reports.iter().map(|(path, report)| json!({
            "file": path.display().to_string(),
            "policy": report.pack.as_ref().map(|p| p.meta.id.clone()),
            "passed": report.passed(),
            "errors": items(report, Level::Error),
            "warnings": items(report, Level::Warning),
            "advisories": items(report, Level::Advisory),
        })).collect::<Vec<_>>(),
        "errors": total(Level::Error),
        "warnings": total(Level::Warning),
        "advisories": total(Level::Advisory),
    })
}

fn run_show(args: &ShowArgs) -> CmdResult {
    let pack = charter_policy::load_file(&args.pack)
        .with_context(|| format!("cannot show `{}`", args.pack.display()))?;
    print!("{}", describe(&pack));
    Ok(Outcome::Success)
}

/// The readable summary `policy show` prints.
fn describe(pack: &Pack) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let m = &pack.meta;
    let _ = writeln!(out, "{} ({})", m.title, m.id);
    let _ = writeln!(out, "  source:      {}", m.source);
    let _ = writeln!(out, "  organisation: {}", pack.organisation.name);
    if let Some(due) = m.review_due {
        let clock = charter_app::clock::Clock::until_day(
            due,
            jiff::Timestamp::now(),
            pack.windows.time_zone(),
        );
        let _ = writeln!(out, "  review:      {}", clock.text());
    }
    if let Some(last) = m.last_reviewed {
        let _ = writeln!(out, "  reviewed:    {last}");
    }
    let _ = writeln!(out, "  time zone:   {}", m.timezone);
    if let Some(months) = pack.monitoring.retention_months {
        let _ = writeln!(out, "  records kept: {months} months");
    }
    let _ = writeln!(out, "\nWindows");
    for (name, window) in pack.windows.iter() {
        let _ = writeln!(out, "  {name:<16} {window}");
    }
    for area in Area::ALL {
        let rules: Vec<_> = pack.rules_on(*area).collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{} rules ({})",
            capitalise(area.as_str()),
            rules.len()
        );
        for rule in rules {
            let _ = writeln!(
                out,
                "  {:<5} {:<16} {}",
                rule.action, rule.severity, rule.id
            );
            let mut what: Vec<String> = rule.categories.iter().map(|c| c.to_string()).collect();
            what.extend(rule.checks.iter().map(|c| c.to_string()));
            what.extend(rule.url_lists.iter().map(|l| format!("list:{l}")));
            let mut when = String::new();
            match &rule.window {
                Some(WindowCondition::During(w)) => when = format!(" during {w}"),
                Some(WindowCondition::Outside(w)) => when = format!(" outside {w}"),
                None => {}
            }
            if !rule.roles.is_empty() {
                when += &format!(" for {}", rule.roles.join(", "));
            }
            if !rule.except_roles.is_empty() {
                when += &format!(" except {}", rule.except_roles.join(", "));
            }
            let _ = writeln!(out, "        on: {}{when}", what.join(", "));
            let _ = writeln!(
                out,
                "        clause: {}",
                rule.clause.as_deref().unwrap_or("(none)")
            );
        }
    }
    out
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(subcommand)]
        cmd: PolicyCommand,
    }

    #[test]
    fn lint_takes_many_packs_and_a_date() {
        let w = Wrap::try_parse_from([
            "x",
            "lint",
            "a.toml",
            "b.toml",
            "--json",
            "--today",
            "2026-11-24",
        ])
        .unwrap();
        let PolicyCommand::Lint(args) = w.cmd else {
            panic!("not lint")
        };
        assert_eq!(args.packs.len(), 2);
        assert!(args.json);
        assert_eq!(args.today, Some(Date::new(2026, 11, 24).unwrap()));
    }

    #[test]
    fn lint_refuses_a_bad_date() {
        let err =
            Wrap::try_parse_from(["x", "lint", "a.toml", "--today", "24/11/2026"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("bad date `24/11/2026`, expected YYYY-MM-DD")
        );
    }

    #[test]
    fn lint_needs_a_pack() {
        assert!(Wrap::try_parse_from(["x", "lint"]).is_err());
    }
}
