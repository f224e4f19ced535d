//! Web decisions on the search-term check and the pack's own category lists.

use charter_policy::{Category, Check, Verdict};

use super::{Builtin, WebRequest};
use crate::{Context, Decision, Engine};

const PACK: &str = r#"
[policy]
id = "school"
title = "School e-safety policy"
source = "test"
[organisation]
name = "Test School"
[web]
search_engines = [{ name = "Kiddle", host = "kiddle.co", path = "/s.php", param = "q" }]
[web.lists]
extremism = ["extreme.example", "forum.example/board/banned-group"]
self_harm = []
[[rule]]
id = "safeguarding.searches"
clause = "Monitoring / Searches"
quote = "Searches made are monitored."
on = "web"
checks = ["search_term"]
action = "log"
severity = "concern"
alert = ["safeguarding"]
[[rule]]
id = "safeguarding.weapons-search"
clause = "Weapons"
quote = "No weapons."
on = "web"
checks = ["search_term"]
phrase_lists = ["weapons"]
action = "block"
severity = "misconduct"
[[rule]]
id = "internet.extremism"
clause = "Prohibited content"
quote = "No terrorism."
on = "web"
categories = ["extremism"]
action = "block"
severity = "gross_misconduct"
"#;

fn decide(url: &str) -> Decision {
    let pack = charter_policy::parse(PACK, "school.toml").unwrap();
    let engine = Engine::new(pack);
    let ctx = Context::new(
        Some("pupil".to_string()),
        vec![],
        "2026-06-15T09:00:00Z".parse().unwrap(),
    );
    engine.decide_web(&ctx, &WebRequest::new(url), &Builtin::new())
}

fn rules(d: &Decision) -> Vec<&str> {
    d.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn a_self_harm_search_is_a_search_term_finding() {
    let d = decide("https://www.google.co.uk/search?q=how+to+k1ll+myself&hl=en");
    assert_eq!(rules(&d), ["safeguarding.searches"]);
    let f = &d.findings[0];
    assert_eq!(f.check, Check::SearchTerm);
    assert_eq!(f.action, Verdict::Log);
    assert_eq!(
        f.message,
        "Google search matching the self_harm phrase list (\"kill myself\")"
    );
    assert!(!f.message.contains("how to"), "{}", f.message);
}

#[test]
fn a_harmless_search_or_page_is_not() {
    assert!(
        decide("https://www.google.com/search?q=kill+the+process")
            .findings
            .is_empty()
    );
    assert!(
        decide("https://www.bing.com/search?q=drug+trial+results")
            .findings
            .is_empty()
    );
    // The words outside a search page's query are not searches.
    assert!(
        decide("https://example.org/kill-myself?q=how+to+kill+myself")
            .findings
            .is_empty()
    );
}

#[test]
fn phrase_lists_narrow_a_rule() {
    let d = decide("https://www.youtube.com/results?search_query=how+to+make+a+pipe+bomb");
    assert_eq!(
        rules(&d),
        ["safeguarding.searches", "safeguarding.weapons-search"]
    );
    assert_eq!(d.verdict, Verdict::Block);
    assert!(
        d.findings[1]
            .message
            .starts_with("YouTube search matching the weapons")
    );
    let d = decide("https://duckduckgo.com/?q=buy+weed");
    assert_eq!(rules(&d), ["safeguarding.searches"]);
}

#[test]
fn a_pack_search_engine_is_read() {
    let d = decide("https://www.kiddle.co/s.php?q=suicide");
    assert_eq!(rules(&d), ["safeguarding.searches"]);
    assert!(
        d.findings[0].message.starts_with("Kiddle search"),
        "{}",
        d.findings[0].message
    );
}

#[test]
fn pack_lists_categorise_on_top_of_the_source() {
    let d = decide("https://www.extreme.example/");
    assert_eq!(rules(&d), ["internet.extremism"]);
    assert_eq!(d.categories, Some(vec![Category::Extremism]));
    let d = decide("https://forum.example/board/banned-group?page=2");
    assert_eq!(rules(&d), ["internet.extremism"]);
    assert!(
        decide("https://forum.example/board/other")
            .findings
            .is_empty()
    );
    assert!(decide("https://notextreme.example/").findings.is_empty());
}

#[test]
fn the_path_matters_only_on_search_engines_and_hosts_with_url_entries() {
    let pack = charter_policy::parse(PACK, "school.toml").unwrap();
    let engine = Engine::new(pack);
    let matters =
        |url: &str| engine.path_matters(&super::Target::parse(url).unwrap(), &Builtin::new());
    // A search engine's host, when a rule reads searches.
    assert!(matters("https://kiddle.co/s.php?q=x"));
    assert!(matters("https://www.google.com/"));
    // The pack's own URL entry on the host (with or without www.).
    assert!(matters("http://forum.example/other"));
    assert!(matters("http://www.forum.example/"));
    // A domain entry alone, or nothing at all: every path is decided alike.
    assert!(!matters("http://extreme.example/any/path"));
    assert!(!matters("http://news.example/a"));
    assert!(!matters("10.0.0.1:443"));
}
