//! The report as one HTML document: no script, styles inline, charts as inline SVG, every
//! piece of text through the project's one escaper.

use charter_app::report::{MonthlyReport, Readiness, Requirement, Section, Table};
use charter_engine::text::escape_html as esc;

use crate::svg::bar_chart;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;line-height:1.4;color:#222}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}td,th{border-bottom:1px solid #ccc;padding:.25rem .4rem;text-align:left;vertical-align:top}\
th{background:#f2f2f2}.source{color:#555;font-size:85%}figure{margin:1rem 0}figcaption{font-size:85%;color:#555}\
.met{color:#006b3c;font-weight:bold}.not_met{color:#a00000;font-weight:bold}.unknown{color:#7a5c00;font-weight:bold}\
section{page-break-inside:avoid}";

fn status(r: Readiness) -> String {
    let class = match r {
        Readiness::Met => "met",
        Readiness::NotMet => "not_met",
        Readiness::Unknown => "unknown",
    };
    format!("<span class=\"{class}\">{}</span>", esc(r.words()))
}

fn table(t: &Table) -> String {
    let mut out = String::from("<table><tr>");
    for h in &t.head {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", esc(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str(&format!(
        "</table>\n<p class=\"source\">Source: {}</p>\n",
        esc(&t.source)
    ));
    out
}

fn section(s: &Section) -> String {
    let mut out = format!(
        "<section>\n<h2>{}</h2>\n<p>{}</p>\n",
        esc(&s.title),
        esc(&s.summary)
    );
    if !s.figures.is_empty() {
        out.push_str("<table><tr><th>Figure</th><th>Value</th><th>Source records</th></tr>\n");
        for f in &s.figures {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"source\">{}</td></tr>\n",
                esc(&f.label),
                esc(&f.value),
                esc(&f.source)
            ));
        }
        out.push_str("</table>\n");
    }
    for c in &s.charts {
        out.push_str(&format!(
            "<figure>\n{}<figcaption>{} ({}). Source: {}</figcaption>\n</figure>\n",
            bar_chart(c),
            esc(&c.title),
            esc(&c.unit),
            esc(&c.source)
        ));
    }
    if let Some(t) = &s.table {
        out.push_str(&table(t));
    }
    out.push_str("</section>\n");
    out
}

fn readiness(themes: &[Requirement]) -> String {
    let mut out = String::from(
        "<section>\n<h2>Cyber Essentials readiness</h2>\n<p>The five technical control themes of the NCSC's \
         Cyber Essentials requirements (v3.3), from the evidence Charter holds. What Charter cannot see is \
         unknown, never met; a theme is met only when every control in it is. This is a readiness check, \
         not a certification.</p>\n<table><tr><th>Theme</th><th>Standing</th></tr>\n",
    );
    for t in themes {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            esc(&t.theme),
            status(t.status)
        ));
    }
    out.push_str("</table>\n");
    for t in themes {
        out.push_str(&format!(
            "<h3>{}: {}</h3>\n<table><tr><th>Control</th><th>Standing</th><th>Found or missing</th><th>Source records</th></tr>\n",
            esc(&t.theme),
            status(t.status)
        ));
        for c in &t.controls {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"source\">{}</td></tr>\n",
                esc(&c.control),
                status(c.status),
                esc(&c.finding),
                esc(&c.source)
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
    out
}

/// The whole report as an HTML document.
pub fn html(r: &MonthlyReport) -> String {
    let title = format!("{}: compliance report, {}", r.organisation, r.period);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title><style>{STYLE}</style></head>\n<body>\n\
         <header><h1>{t}</h1>\n<p>{policy}. Made {at}. Every figure names the records it counts; no chart singles out a person.</p></header>\n",
        t = esc(&title),
        policy = esc(&r.policy),
        at = esc(&r.generated_at),
    );
    out.push_str(&readiness(&r.readiness));
    for s in &r.sections {
        out.push_str(&section(s));
    }
    out.push_str("</body></html>\n");
    out
}
