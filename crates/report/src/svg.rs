//! Bar charts as SVG, written by hand: one horizontal bar per label, a stacked segment per
//! series, the total at the bar's end and a legend when there is more than one series. The
//! same SVG is inlined in the HTML report and placed as an image in the PDF, so it uses no
//! script, no CSS and no external reference.

use charter_app::report::Chart;
use charter_engine::text::escape_html as esc;

/// Colours of the series, in order (colour-blind-safe, after Okabe and Ito).
const COLOURS: &[&str] = &[
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
];

const WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 170;
const VALUE_WIDTH: u32 = 70;
const ROW: u32 = 22;
const BAR: u32 = 15;
const FONT: &str = "DejaVu Sans, Libertinus Serif, sans-serif";

/// Labels longer than this are cut with an ellipsis so they fit the label column.
const MAX_LABEL: usize = 26;

fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_string()
    } else {
        let cut: String = label.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}…")
    }
}

/// The chart as a standalone SVG document.
pub fn bar_chart(chart: &Chart) -> String {
    let legend = chart.series.len() > 1;
    let top = if legend { 26 } else { 6 };
    let rows = chart.bars.len().max(1) as u32;
    let height = top + rows * ROW + 6;
    let max = chart
        .bars
        .iter()
        .map(|b| b.values.iter().map(|v| (*v).max(0)).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let span = f64::from(WIDTH - LABEL_WIDTH - VALUE_WIDTH);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" \
         role=\"img\" font-family=\"{FONT}\" font-size=\"11\"><title>{}</title>\n\
         <rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\n",
        esc(&format!("{} ({})", chart.title, chart.unit))
    );
    if legend {
        let mut x = LABEL_WIDTH;
        for (i, name) in chart.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            out.push_str(&format!(
                "<rect x=\"{x}\" y=\"6\" width=\"11\" height=\"11\" fill=\"{colour}\"/>\
                 <text x=\"{}\" y=\"15\" fill=\"#222222\">{}</text>\n",
                x + 15,
                esc(name)
            ));
            x += 24 + 7 * name.chars().count() as u32;
        }
    }
    if chart.bars.is_empty() {
        out.push_str(&format!(
            "<text x=\"{LABEL_WIDTH}\" y=\"{}\" fill=\"#666666\">none in this period</text>\n",
            top + 15
        ));
    }
    for (row, bar) in chart.bars.iter().enumerate() {
        let y = top + row as u32 * ROW;
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#222222\">{}</text>\n",
            LABEL_WIDTH - 8,
            y + 12,
            esc(&short(&bar.label))
        ));
        let mut x = f64::from(LABEL_WIDTH);
        for (i, v) in bar.values.iter().enumerate() {
            let w = span * (*v).max(0) as f64 / max as f64;
            if w > 0.0 {
                out.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{}\"/>\n",
                    COLOURS[i % COLOURS.len()]
                ));
            }
            x += w;
        }
        let total: i64 = bar.values.iter().sum();
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" fill=\"#222222\">{total}</text>\n",
            x + 5.0,
            y + 12
        ));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_app::report::Bar;

    fn chart(bars: Vec<Bar>, series: &[&str]) -> Chart {
        Chart {
            title: "Blocked <by> category".into(),
            unit: "requests".into(),
            series: series.iter().map(|s| s.to_string()).collect(),
            bars,
            source: "decisions".into(),
        }
    }

    #[test]
    fn bars_are_as_long_as_their_values_and_labels_are_escaped() {
        let svg = bar_chart(&chart(
            vec![
                Bar {
                    label: "gambling & games".into(),
                    values: vec![40],
                },
                Bar {
                    label: "adult".into(),
                    values: vec![10],
                },
            ],
            &["blocked"],
        ));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("gambling &amp; games"));
        assert!(svg.contains("Blocked &lt;by&gt; category"));
        // The largest bar spans the plot (640 - 170 - 70 = 400), the other a quarter of it.
        assert!(svg.contains("width=\"400.0\""), "{svg}");
        assert!(svg.contains("width=\"100.0\""), "{svg}");
        assert!(!svg.contains("<script"));
        assert!(
            !svg.contains("legend") && !svg.contains("y=\"6\" width=\"11\""),
            "one series, no legend"
        );
    }

    #[test]
    fn stacked_series_get_a_legend_and_a_total() {
        let svg = bar_chart(&chart(
            vec![Bar {
                label: "social_media".into(),
                values: vec![30, 10],
            }],
            &["inside", "outside"],
        ));
        assert!(svg.contains(">inside</text>") && svg.contains(">outside</text>"));
        assert!(svg.contains(">40</text>"), "{svg}");
        assert_eq!(svg.matches("<rect x=\"170.0\"").count(), 1);
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg = bar_chart(&chart(vec![], &["blocked"]));
        assert!(svg.contains("none in this period"));
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(
            short("a very long team name indeed, far too long")
                .chars()
                .count(),
            MAX_LABEL
        );
        assert_eq!(short("Sales"), "Sales");
    }
}
