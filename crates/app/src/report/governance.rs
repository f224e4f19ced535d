//! The policy's review status and what the linter says of the pack: its advisories (where
//! current guidance disagrees with the written policy) and inert rules (rules nothing feeds).

use std::path::Path;

use jiff::civil::Date;

use charter_policy::lint::{Site, lint_for_site};
use charter_policy::{Diagnostic, Level, Pack};

use super::{Figure, Gathered, Section, Table};

/// The pack's file linted again as of `today` for `site`; a file that can no longer be read
/// is one error saying so.
pub(super) fn lint(pack: &Pack, today: Date, site: Site) -> Vec<Diagnostic> {
    match charter_policy::read_pack_text(Path::new(&pack.file)) {
        Ok(text) => lint_for_site(&text, &pack.file, today, site).diagnostics,
        Err(e) => vec![Diagnostic {
            level: Level::Error,
            code: "unreadable",
            message: e.to_string(),
            file: pack.file.clone(),
            location: Default::default(),
        }],
    }
}

/// Whether the linter found rule `id` inert.
pub(super) fn inert(g: &Gathered, id: &str) -> bool {
    let named = format!("rule `{id}`");
    g.lint
        .iter()
        .any(|d| d.code == "inert_rule" && d.message.starts_with(&named))
}

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!("the policy pack {}, linted today", g.pack.file);
    let count = |l: Level| g.lint.iter().filter(|d| d.level == l).count();
    let inert_rules = g.lint.iter().filter(|d| d.code == "inert_rule").count();
    let rows: Vec<Vec<String>> = g
        .lint
        .iter()
        .filter(|d| d.level == Level::Advisory || d.code == "inert_rule" || d.level == Level::Error)
        .map(|d| {
            vec![
                d.level.to_string(),
                d.code.to_string(),
                d.message.clone(),
                format!("line {}", d.location.line),
            ]
        })
        .collect();
    let review = match &g.review {
        Some(r) => format!("due {} ({})", r.due, r.clock.remaining),
        None => "no review date in the pack".to_string(),
    };
    Section {
        title: "Policy review and lint".into(),
        summary: format!(
            "{}: its review date and what `charter policy lint` finds in the pack.",
            g.pack.meta.title
        ),
        figures: vec![
            Figure::new(
                "Policy review",
                review,
                "the pack's [policy] review_due or last_reviewed",
            ),
            Figure::new("Lint errors", count(Level::Error), &source),
            Figure::new("Lint warnings", count(Level::Warning), &source),
            Figure::new("Advisories", count(Level::Advisory), &source),
            Figure::new("Inert rules", inert_rules, &source),
        ],
        charts: vec![],
        table: (!rows.is_empty()).then(|| Table {
            head: ["Level", "Code", "Finding", "Where"]
                .map(String::from)
                .to_vec(),
            rows,
            source,
        }),
    }
}
