//! Alerts by severity and outcome: what the month's alerts were about and how they ended.

use std::collections::BTreeMap;

use super::{Bar, Chart, Figure, Gathered, Section, Table, rate};

/// Severities from least to most serious (DESIGN section 4), then anything else.
const SEVERITIES: &[&str] = &["info", "concern", "misconduct", "gross_misconduct"];
/// Outcomes in the order triage reaches them.
const OUTCOMES: &[&str] = &["open", "confirmed", "dismissed", "referred"];

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!("alerts: {}", g.filter("at (the event's time)"));
    let mut by: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut outcome_totals = vec![0; OUTCOMES.len()];
    for t in &g.alerts {
        let severity = t.key.first().and_then(|s| s.clone()).unwrap_or_default();
        let status = t.key.get(1).and_then(|s| s.as_deref()).unwrap_or("");
        let Some(i) = OUTCOMES.iter().position(|o| *o == status) else {
            continue;
        };
        by.entry(severity)
            .or_insert_with(|| vec![0; OUTCOMES.len()])[i] += t.count;
        outcome_totals[i] += t.count;
    }
    let rank = |s: &str| {
        SEVERITIES
            .iter()
            .position(|x| *x == s)
            .unwrap_or(SEVERITIES.len())
    };
    let mut bars: Vec<Bar> = by
        .into_iter()
        .map(|(label, values)| Bar { label, values })
        .collect();
    bars.sort_by_key(|b| std::cmp::Reverse(rank(&b.label)));
    let total: i64 = outcome_totals.iter().sum();
    let mut figures = vec![Figure::new("Alerts raised", total, &source)];
    for (o, n) in OUTCOMES.iter().zip(&outcome_totals) {
        figures.push(Figure::new(
            &format!("Alerts {o}"),
            n,
            &format!("{source}, status = {o}"),
        ));
    }
    let table = agreement(g, &source);
    Section {
        title: "Alerts by severity and outcome".into(),
        summary: "Alerts raised by rules that name alert routes, by the severity of the rule and where triage left them.".into(),
        figures,
        charts: vec![Chart {
            title: "Alerts by severity".into(),
            unit: "alerts".into(),
            series: OUTCOMES.iter().map(|o| o.to_string()).collect(),
            bars,
            source,
        }],
        table,
    }
}

/// How often the people who triaged a model's alerts agreed with it (issue 14: no decision
/// rests on a model alone, so its record with reviewers is part of the report).
fn agreement(g: &Gathered, source: &str) -> Option<Table> {
    let rows: Vec<Vec<String>> = g
        .agreement
        .iter()
        .map(|m| {
            let reviewed = usize::try_from(m.reviewed).unwrap_or(0);
            let agreed = usize::try_from(m.agreed).unwrap_or(0);
            vec![
                format!("{} {}", m.model, m.version),
                m.open.to_string(),
                match reviewed {
                    0 => "none reviewed yet".to_string(),
                    _ => rate(agreed, reviewed),
                },
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        head: ["Model", "Alerts still open", "Reviewers agreed"]
            .map(String::from)
            .to_vec(),
        rows,
        source: format!("{source}, model set; reviewer_agreed"),
    })
}
