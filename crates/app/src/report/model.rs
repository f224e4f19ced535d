//! The report as plain data: sections of figures, charts and tables, each naming the records
//! it counts, and the Cyber Essentials readiness. `charter-report` renders it to HTML and
//! PDF without knowing where a figure came from.

use serde::Serialize;

/// A month's compliance report.
#[derive(Debug, Clone, Serialize)]
pub struct MonthlyReport {
    /// The organisation's name.
    pub organisation: String,
    /// The written policy the pack enforces.
    pub policy: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The month in words with its zone: `November 2026 (Europe/London)`.
    pub period: String,
    /// When it was made, in the pack's zone.
    pub generated_at: String,
    /// The report's sections, in reading order.
    pub sections: Vec<Section>,
    /// Cyber Essentials readiness, one entry per technical control theme.
    pub readiness: Vec<Requirement>,
}

/// One section: a heading, a sentence, figures, charts and at most one table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    /// The heading.
    pub title: String,
    /// One or two sentences saying what it shows.
    pub summary: String,
    /// Single figures.
    pub figures: Vec<Figure>,
    /// Bar charts.
    pub charts: Vec<Chart>,
    /// A table, when there are rows to list.
    pub table: Option<Table>,
}

/// One figure and the records it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    /// What it is.
    pub label: String,
    /// Its value as shown (`42`, `87%`, `n/a`).
    pub value: String,
    /// The records it counts: table and filter.
    pub source: String,
}

/// A horizontal bar chart of one or more series (stacked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    /// The chart's title.
    pub title: String,
    /// What the values count (`blocked requests`, `hours`).
    pub unit: String,
    /// The series' names, in the order of each bar's values.
    pub series: Vec<String>,
    /// The bars, in the order shown.
    pub bars: Vec<Bar>,
    /// The records it counts.
    pub source: String,
}

/// One bar: a label and a value per series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    /// The bar's label (a category, a team, a month: never a person).
    pub label: String,
    /// One value per series.
    pub values: Vec<i64>,
}

/// A table of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Column headings.
    pub head: Vec<String>,
    /// Rows, each as long as `head`.
    pub rows: Vec<Vec<String>>,
    /// The records it lists.
    pub source: String,
}

/// Met, not met, or not known from what Charter holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// The evidence Charter holds shows it.
    Met,
    /// The evidence Charter holds shows a gap.
    NotMet,
    /// Charter holds no evidence either way.
    Unknown,
}

impl Readiness {
    /// `met`, `not met`, `unknown`.
    pub fn words(self) -> &'static str {
        match self {
            Readiness::Met => "met",
            Readiness::NotMet => "not met",
            Readiness::Unknown => "unknown",
        }
    }

    /// A theme's standing from its controls': not met if any is, met only if all are.
    pub fn of_all(parts: impl IntoIterator<Item = Readiness>) -> Readiness {
        let mut all_met = true;
        let mut any = false;
        for p in parts {
            any = true;
            match p {
                Readiness::NotMet => return Readiness::NotMet,
                Readiness::Unknown => all_met = false,
                Readiness::Met => {}
            }
        }
        if any && all_met {
            Readiness::Met
        } else {
            Readiness::Unknown
        }
    }
}

/// One Cyber Essentials technical control theme (NCSC requirements v3.3).
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// `Firewalls`, `Secure configuration`, ...
    pub theme: String,
    /// Met only when every control is; not met when any is not.
    pub status: Readiness,
    /// The controls Charter can speak to, and those it cannot.
    pub controls: Vec<Control>,
}

/// One control within a theme and the evidence for it.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// What the requirement asks.
    pub control: String,
    /// What the evidence shows.
    pub status: Readiness,
    /// What was found, or what is missing.
    pub finding: String,
    /// The records looked at (`not held by Charter` when none).
    pub source: String,
}

impl Figure {
    /// A figure from any displayable value.
    pub fn new(label: &str, value: impl ToString, source: &str) -> Figure {
        Figure {
            label: label.to_string(),
            value: value.to_string(),
            source: source.to_string(),
        }
    }
}

/// `n of d (p%)`, or `none due` when `d` is zero.
pub fn rate(n: usize, d: usize) -> String {
    match (n * 100).checked_div(d) {
        Some(percent) => format!("{n} of {d} ({percent}%)"),
        None => "none due".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_is_met_only_when_every_control_is() {
        use Readiness::*;
        assert_eq!(Readiness::of_all([Met, Met]), Met);
        assert_eq!(Readiness::of_all([Met, Unknown]), Unknown);
        assert_eq!(Readiness::of_all([Unknown, NotMet, Met]), NotMet);
        assert_eq!(Readiness::of_all([]), Unknown);
    }

    #[test]
    fn rates_say_when_nothing_was_due() {
        assert_eq!(rate(3, 4), "3 of 4 (75%)");
        assert_eq!(rate(0, 0), "none due");
    }
}
