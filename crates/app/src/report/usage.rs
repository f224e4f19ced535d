//! Personal-use time against the windows: browsing time per category inside and outside the
//! pack's personal-use windows, from the daily counts that outlive the raw records.

use super::{Bar, Chart, Figure, Gathered, Section};

fn hours(seconds: i64) -> String {
    format!("{:.1} h", seconds as f64 / 3600.0)
}

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!("usage_daily: {}", g.filter("day"));
    let inside: i64 = g.usage.iter().map(|u| u.inside).sum();
    let outside: i64 = g.usage.iter().map(|u| u.outside).sum();
    let mut bars: Vec<Bar> = g
        .usage
        .iter()
        .map(|u| Bar {
            label: u.category.clone(),
            values: vec![u.inside / 60, u.outside / 60],
        })
        .filter(|b| b.values.iter().any(|v| *v > 0))
        .collect();
    bars.sort_by(|a, b| {
        let total = |b: &Bar| b.values.iter().sum::<i64>();
        total(b).cmp(&total(a)).then_with(|| a.label.cmp(&b.label))
    });
    Section {
        title: "Personal use against the windows".into(),
        summary: format!(
            "Browsing time by category in {}, inside the pack's personal-use windows ([hours] personal_use) and outside them.",
            g.month.label()
        ),
        figures: vec![
            Figure::new("Time inside the windows", hours(inside), &source),
            Figure::new("Time outside the windows", hours(outside), &source),
        ],
        charts: vec![Chart {
            title: "Browsing time by category".into(),
            unit: "minutes".into(),
            series: vec!["inside the windows".into(), "outside the windows".into()],
            bars,
            source,
        }],
        table: None,
    }
}
