//! `unclassified_site` (issue 14 item 2): a host in no list is scored by the site model and a
//! rule naming the check fires on a score at or above its threshold; listed hosts never reach
//! the model, and a rule on list categories never fires on a guess.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::{Arc, OnceLock};

use charter_engine::web::site_model::{self, TrainingSet};
use charter_engine::web::{Builtin, CategorySource, SiteModel, Target, WebRequest, WithSiteModel};
use charter_engine::{Context, Decision, Engine};
use charter_policy::{Category, CategorySet, Check, Verdict};

const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
[organisation]
name = "T Ltd"
[[rule]]
id = "internet.gambling"
clause = "4.1"
quote = "No gambling sites."
on = "web"
categories = ["gambling"]
action = "block"
severity = "misconduct"
[[rule]]
id = "internet.unlisted-gambling"
clause = "4.1"
quote = "No gambling sites."
on = "web"
categories = ["gambling"]
checks = ["unclassified_site"]
THRESHOLD
action = "warn"
severity = "concern"
"#;

/// A model trained on made-up lists: gambling words, job words and plain businesses.
fn model() -> Arc<SiteModel> {
    static MODEL: OnceLock<Arc<SiteModel>> = OnceLock::new();
    Arc::clone(MODEL.get_or_init(|| {
        let mut hosts = Vec::new();
        for i in 0..300 {
            let gambling = CategorySet::of(Category::Gambling);
            hosts.push((format!("casino{i}bet.com"), gambling));
            hosts.push((format!("poker{i}slots.net"), gambling));
            hosts.push((
                format!("jobs{i}careers.org"),
                CategorySet::of(Category::Jobsearch),
            ));
            hosts.push((format!("plumbing{i}supplies.co.uk"), CategorySet::EMPTY));
            hosts.push((format!("bakery{i}town.com"), CategorySet::EMPTY));
        }
        let set = TrainingSet::from_hosts(hosts, "test lists");
        let (training, _) = set.split();
        Arc::new(site_model::train(&training, &set))
    }))
}

fn decide(url: &str, threshold: &str) -> Decision {
    let pack = PACK.replace("THRESHOLD", threshold);
    let engine = Engine::new(charter_policy::parse(&pack, "t.toml").unwrap());
    let ctx = Context::new(
        Some("ann".into()),
        vec![],
        "2026-06-15T09:00:00Z".parse().unwrap(),
    );
    let source = WithSiteModel::new(Builtin::new(), model());
    engine.decide_web(&ctx, &WebRequest::new(url), &source)
}

#[test]
fn an_unlisted_gambling_host_gets_a_finding_with_the_score() {
    let d = decide("https://www.royalcasinobet.com/", "");
    assert_eq!(d.verdict, Verdict::Warn, "{d:?}");
    assert_eq!(d.findings.len(), 1, "{d:?}");
    let f = &d.findings[0];
    assert_eq!(f.check, Check::UnclassifiedSite);
    assert_eq!(f.rule, "internet.unlisted-gambling");
    let version = model().version();
    assert!(
        f.message.starts_with(&format!(
            "unlisted site www.royalcasinobet.com: model site-classifier {version} says gambling, score 0."
        )) && f.message.ends_with("(threshold 0.90)"),
        "{}",
        f.message
    );
    // The guess is no list category: the list rule did not fire, and the decision names none.
    assert_eq!(d.categories, Some(vec![]));
}

#[test]
fn a_plain_unlisted_host_gets_none() {
    let d = decide("https://www.plumbingtownsupplies.co.uk/", "");
    assert!(d.findings.is_empty(), "{d:?}");
}

#[test]
fn a_listed_host_is_decided_by_the_lists_alone() {
    let target = Target::parse("https://www.bet365.com/").unwrap();
    let source = WithSiteModel::new(Builtin::new(), model());
    assert_eq!(source.classify(&target).guess, None);
    let d = decide("https://www.bet365.com/", "");
    assert_eq!(d.findings.len(), 1, "{d:?}");
    assert_eq!(d.findings[0].check, Check::ProhibitedCategory);
}

#[test]
fn the_rule_threshold_decides() {
    // A host the model is unsure of, so that a threshold either side of its score exists.
    let (host, score) = [
        "pokerjobs.org",
        "betplumbing.co.uk",
        "slotsbakery.com",
        "casino.org",
        "jobsbet.com",
    ]
    .into_iter()
    .map(|h| (h, model().guess(h).score(Category::Gambling)))
    .find(|(_, s)| *s > 0.2 && *s < 0.999)
    .expect("a host with a middling gambling score");
    let url = format!("https://{host}/");
    let above = format!("model_threshold = {:.4}", score + 0.0001);
    assert!(decide(&url, &above).findings.is_empty(), "{score}");
    let below = format!("model_threshold = {:.4}", score - 0.0001);
    assert_eq!(decide(&url, &below).findings.len(), 1, "{score}");
}

#[test]
fn a_job_site_is_not_gambling() {
    // The model scores it high for jobsearch, a category the rule does not name.
    let guess = model().guess("bestjobscareers.org");
    assert!(guess.score(Category::Jobsearch) > 0.9, "{guess:?}");
    assert!(
        decide("https://bestjobscareers.org/", "")
            .findings
            .is_empty()
    );
}

#[test]
fn ip_addresses_are_not_scored() {
    let source = WithSiteModel::new(Builtin::new(), model());
    let target = Target::parse("http://10.1.2.3/casino").unwrap();
    assert_eq!(source.classify(&target).guess, None);
}

#[test]
fn the_file_round_trips_and_damage_is_refused() {
    let model = model();
    let bytes = model.to_bytes();
    assert!((bytes.len() as u64) < site_model::MAX_MODEL_BYTES);
    let back = SiteModel::from_bytes(&bytes).unwrap();
    assert_eq!(back.version(), model.version());
    assert_eq!(back.categories(), model.categories());
    assert_eq!(
        back.guess("casino-royal.example"),
        model.guess("casino-royal.example")
    );
    assert!(SiteModel::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    assert!(SiteModel::from_bytes(b"CHRTIDX4 not a model").is_err());
    // The first bias, just after the header, made not a number.
    let header = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let mut bad = bytes.clone();
    bad[12 + header..16 + header].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(SiteModel::from_bytes(&bad).is_err());
}
