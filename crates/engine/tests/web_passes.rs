//! Warn and hold with passes (DESIGN section 7): a warning continued past lets that person
//! through to that site for the rest of the window; an approval lifts a hold for its period.
//! The finding stays, as `log`, saying why.

#![allow(clippy::unwrap_used, reason = "tests")]

use charter_engine::web::{Builtin, WebRequest};
use charter_engine::{Context, Engine, Pass, PassKind};
use charter_policy::Verdict;
use jiff::Timestamp;

const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
[organisation]
name = "T Ltd"
[[rule]]
id = "shopping.warn"
clause = "6.1"
quote = "Shopping sites only with care."
on = "web"
categories = ["shopping"]
action = "warn"
severity = "concern"
[[rule]]
id = "games.hold"
clause = "6.2"
quote = "Games sites need a manager's say-so."
on = "web"
categories = ["games"]
action = "hold"
severity = "concern"
"#;

fn at() -> Timestamp {
    "2026-06-15T09:00:00Z".parse().unwrap()
}

fn decide(url: &str, passes: Vec<Pass>) -> charter_engine::Decision {
    let engine = Engine::new(charter_policy::parse(PACK, "t.toml").unwrap());
    let ctx = Context::new(Some("ann".into()), vec![], at()).with_passes(passes);
    engine.decide_web(&ctx, &WebRequest::new(url), &Builtin::new())
}

fn pass(site: &str, rule: &str, kind: PassKind, hours: i64) -> Pass {
    Pass {
        site: site.into(),
        rule: rule.into(),
        kind,
        until: at()
            .checked_add(jiff::SignedDuration::from_hours(hours))
            .unwrap(),
    }
}

#[test]
fn without_a_pass_warn_and_hold_stand() {
    assert_eq!(
        decide("http://www.amazon.co.uk/", vec![]).verdict,
        Verdict::Warn
    );
    assert_eq!(decide("http://roblox.com/", vec![]).verdict, Verdict::Hold);
}

#[test]
fn continuing_past_a_warning_lets_the_site_through_and_says_so() {
    let d = decide(
        "http://smile.www.amazon.co.uk/basket",
        vec![pass(
            "amazon.co.uk",
            "shopping.warn",
            PassKind::Continued,
            2,
        )],
    );
    assert_eq!(d.verdict, Verdict::Log);
    assert_eq!(d.findings.len(), 1);
    assert_eq!(d.findings[0].rule, "shopping.warn");
    assert!(
        d.findings[0]
            .message
            .ends_with("continued after the warning"),
        "{}",
        d.findings[0].message
    );
}

#[test]
fn a_pass_holds_only_for_its_site_its_rule_and_its_time() {
    let other_site = pass("ebay.co.uk", "shopping.warn", PassKind::Continued, 2);
    assert_eq!(
        decide("http://amazon.co.uk/", vec![other_site]).verdict,
        Verdict::Warn
    );
    let other_rule = pass("amazon.co.uk", "games.hold", PassKind::Approved(1), 2);
    assert_eq!(
        decide("http://amazon.co.uk/", vec![other_rule]).verdict,
        Verdict::Warn
    );
    let ended = pass("amazon.co.uk", "shopping.warn", PassKind::Continued, 0);
    assert_eq!(
        decide("http://amazon.co.uk/", vec![ended]).verdict,
        Verdict::Warn
    );
}

#[test]
fn continuing_never_lifts_a_hold_but_an_approval_does() {
    let continued = pass("roblox.com", "games.hold", PassKind::Continued, 2);
    assert_eq!(
        decide("http://www.roblox.com/", vec![continued]).verdict,
        Verdict::Hold
    );
    let approved = pass("roblox.com", "games.hold", PassKind::Approved(7), 2);
    let d = decide("http://www.roblox.com/", vec![approved]);
    assert_eq!(d.verdict, Verdict::Log);
    assert!(
        d.findings[0]
            .message
            .ends_with("access approved (request 7)"),
        "{}",
        d.findings[0].message
    );
}
