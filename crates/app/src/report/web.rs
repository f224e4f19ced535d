//! Blocked attempts: the month's blocked requests by category and by team.

use std::collections::BTreeMap;

use super::teams::{OTHER_TEAMS, Teams};
use super::{Bar, Chart, Figure, Gathered, Section};

/// Bars sorted by value, largest first, then by label.
pub(super) fn ranked(counts: BTreeMap<String, i64>) -> Vec<Bar> {
    let mut bars: Vec<Bar> = counts
        .into_iter()
        .map(|(label, v)| Bar {
            label,
            values: vec![v],
        })
        .collect();
    bars.sort_by(|a, b| b.values.cmp(&a.values).then_with(|| a.label.cmp(&b.label)));
    bars
}

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!("decisions: verdict = block, {}", g.filter("at"));
    let teams = Teams::new(&g.people, &g.accounts);
    let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_team: BTreeMap<String, i64> = BTreeMap::new();
    let mut total = 0;
    for t in &g.blocked {
        total += t.count;
        let user = t.key.first().and_then(|u| u.as_deref());
        *by_team
            .entry(teams.of_account(user).to_string())
            .or_default() += t.count;
        let cats = t.key.get(1).and_then(|c| c.as_deref()).unwrap_or("");
        let mut any = false;
        // A request in several categories counts once under each.
        for c in cats.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            *by_category.entry(c.to_string()).or_default() += t.count;
            any = true;
        }
        if !any {
            *by_category.entry("uncategorised".into()).or_default() += t.count;
        }
    }
    let team_source = format!(
        "{source}; teams are departments in the people register, teams under {} people merged into \"{OTHER_TEAMS}\"",
        super::teams::MIN_TEAM
    );
    Section {
        title: "Blocked attempts".into(),
        summary: format!(
            "Requests the policy blocked in {}, by web category and by team. No chart names a person.",
            g.month.label()
        ),
        figures: vec![
            Figure::new(
                "Monitoring records",
                g.records,
                &format!("decisions: {}", g.filter("at")),
            ),
            Figure::new("Blocked requests", total, &source),
            Figure::new(
                "Teams shown by name",
                teams.named.len(),
                "people: active, grouped by department",
            ),
        ],
        charts: vec![
            Chart {
                title: "Blocked by category".into(),
                unit: "blocked requests".into(),
                series: vec!["blocked".into()],
                bars: ranked(by_category),
                source: format!("{source}; a request in several categories counts under each"),
            },
            Chart {
                title: "Blocked by team".into(),
                unit: "blocked requests".into(),
                series: vec!["blocked".into()],
                bars: ranked(by_team),
                source: team_source,
            },
        ],
        table: None,
    }
}
