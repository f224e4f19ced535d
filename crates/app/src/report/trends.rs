//! Trends against the previous months: flagged records per month by verdict.

use super::{Bar, Chart, Figure, Gathered, Section, TREND_MONTHS};

/// The verdicts that flag a record, strongest first.
const VERDICTS: &[&str] = &["block", "hold", "warn", "log"];

/// `+12%`, `-3%`, or `n/a` when there was nothing the month before.
fn change(now: i64, before: i64) -> String {
    if before == 0 {
        "n/a (none the month before)".to_string()
    } else {
        format!("{:+}%", (now - before) * 100 / before)
    }
}

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!(
        "decisions: verdict in (block, hold, warn, log), at in each of the {TREND_MONTHS} months to {} ({})",
        g.month.label(),
        g.tz.iana_name().unwrap_or("UTC")
    );
    let bars: Vec<Bar> = g
        .history
        .iter()
        .map(|(m, tallies)| Bar {
            label: m.label(),
            values: VERDICTS
                .iter()
                .map(|v| {
                    tallies
                        .iter()
                        .filter(|t| t.key.first().and_then(|k| k.as_deref()) == Some(*v))
                        .map(|t| t.count)
                        .sum()
                })
                .collect(),
        })
        .collect();
    let blocked = |i: usize| {
        bars.get(i)
            .and_then(|b| b.values.first())
            .copied()
            .unwrap_or(0)
    };
    let last = bars.len().saturating_sub(1);
    let mut figures = vec![];
    if last > 0 {
        figures.push(Figure::new(
            "Blocked, against the month before",
            change(blocked(last), blocked(last - 1)),
            &source,
        ));
        let earlier: i64 = (0..last).map(blocked).sum();
        figures.push(Figure::new(
            &format!("Blocked, average of the {last} months before"),
            earlier / last as i64,
            &source,
        ));
    }
    Section {
        title: "Trends".into(),
        summary: format!(
            "Flagged records in each of the last {TREND_MONTHS} months, by verdict. Months before the retention period hold no records."
        ),
        figures,
        charts: vec![Chart {
            title: "Flagged records by month".into(),
            unit: "records".into(),
            series: VERDICTS.iter().map(|v| v.to_string()).collect(),
            bars,
            source,
        }],
        table: None,
    }
}

#[cfg(test)]
mod tests {
    use super::change;

    #[test]
    fn change_is_a_signed_percentage() {
        assert_eq!(change(120, 100), "+20%");
        assert_eq!(change(50, 100), "-50%");
        assert!(change(5, 0).starts_with("n/a"));
    }
}
