//! Time to load and lint a generated pack of many rules (40,000 by default), to show both
//! stay linear: `cargo bench -p charter-policy --bench large_pack -- [RULES]`.
//!
//! The pack mixes web and mail rules, roles, windows and a few `allow` rules against
//! `block` rules in the same scope (contradictions), in under `MAX_PACK_BYTES`.
#![allow(clippy::unwrap_used, reason = "a benchmark; a bad argument ends it")]

use std::fmt::Write;
use std::time::Instant;

use charter_policy::lint::lint;
use charter_policy::{Level, LoadError, MAX_PACK_BYTES, parse};
use jiff::civil::Date;

const HEADER: &str = r#"[policy]
id = "large"
title = "Large"
source = "generated"
review_due = 2030-01-01
[organisation]
name = "Large Ltd"
domains = ["large.example"]
[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]
"#;

const CATEGORIES: &[&str] = &["gambling", "adult", "games", "dating", "shopping"];

/// A pack of `rules` rules, written tightly (no spaces around `=`) to stay under the size limit.
fn pack(rules: usize) -> String {
    let mut text = String::from(HEADER);
    for i in 0..rules {
        let _ = writeln!(text, "[[rule]]\nid=\"r{i}\"\nclause=\"{}\"", i % 9);
        match i % 10 {
            0..=6 => {
                let category = CATEGORIES[i % CATEGORIES.len()];
                let _ = writeln!(text, "on=\"web\"\ncategories=[\"{category}\"]");
            }
            7 => {
                let _ = writeln!(
                    text,
                    "on=\"web\"\ncategories=[\"games\"]\nduring=\"working\"\nroles=[\"t{}\"]",
                    i % 50
                );
            }
            _ => text.push_str("on=\"mail\"\nchecks=[\"mass_mail\"]\n"),
        }
        // Every 1,000th rule allows what others block: a contradiction.
        let action = if i % 1000 == 999 { "allow" } else { "block" };
        let _ = writeln!(text, "action=\"{action}\"\nseverity=\"info\"");
    }
    text
}

fn main() {
    let rules: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or(40_000, |a| a.parse().unwrap());
    let text = pack(rules);
    println!(
        "pack: {rules} rules, {} bytes (limit {MAX_PACK_BYTES})",
        text.len()
    );

    let started = Instant::now();
    let loaded = parse(&text, "large.toml");
    let took = started.elapsed();
    let outcome = match &loaded {
        Ok(pack) => format!("{} rules", pack.rules.len()),
        Err(LoadError::Invalid(d)) => format!("{} errors", d.len()),
        Err(e) => e.to_string(),
    };
    println!("load: {:.3} s ({outcome})", took.as_secs_f64());

    let started = Instant::now();
    let report = lint(&text, "large.toml", Date::new(2026, 11, 24).unwrap());
    let took = started.elapsed();
    println!(
        "lint: {:.3} s ({} errors, {} warnings)",
        took.as_secs_f64(),
        report.count(Level::Error),
        report.count(Level::Warning)
    );
}
