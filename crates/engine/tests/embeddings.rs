//! The real all-MiniLM-L6-v2 model (installed by .ci/setup/embeddings.sh) under
//! `--features embeddings`: a paraphrase no phrase list holds fires, business text with trap
//! words does not, and a search-term rule names the model. Under CI a missing model fails.
#![cfg(feature = "embeddings")]

#[path = "support/embeddings.rs"]
mod embeddings;

use charter_engine::text::assess::assess_embedded;
use charter_engine::text::embed::{DEFAULT_THRESHOLD, Embeddings, MODEL_NAME};
use charter_engine::{Context, Engine};
use charter_policy::{Check, PhraseList};

#[test]
fn a_paraphrase_fires_and_trap_words_do_not() {
    let Some(model) = embeddings::installed_model() else {
        return;
    };
    let a = assess_embedded("ways to end it all", None, Some(&model));
    assert!(a.concerns.is_empty(), "a phrase list caught it: {a:?}");
    assert_eq!(a.embedded_concern(), Some(PhraseList::SelfHarm), "{a:?}");
    // Not "end the meeting at all costs": its nearest example is "how to end it all
    // quietly" (self_harm) at 0.49, over the threshold, a false alarm docs/classifiers.md
    // reports.
    for text in [
        "kill the process",
        "Please kill the process on the build server before the deploy.",
        "The quarterly figures are attached.",
    ] {
        let a = assess_embedded(text, None, Some(&model));
        assert!(!a.safeguarding() && !a.abusive(), "{text}: {a:?}");
    }
}

#[test]
fn the_same_text_gives_the_same_similarity_and_long_text_is_cut() {
    let Some(model) = embeddings::installed_model() else {
        return;
    };
    let once = model.nearest("ways to end it all");
    assert!(once.is_some());
    assert_eq!(once, model.nearest("ways to end it all"));
    let exact = model.nearest("best method to end everything for good");
    assert!(exact.is_some_and(|n| n.similarity > 0.99), "{exact:?}");
    let long = "the weekly report is attached. ".repeat(2000);
    assert!(model.nearest(&long).is_some());
    assert_eq!(model.nearest("   "), None);
}

const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
[[rule]]
id = "abuse"
clause = "3"
on = "mail"
checks = ["abusive_language"]
action = "log"
severity = "concern"
[[rule]]
id = "selfharm"
clause = "2"
on = "web"
checks = ["search_term"]
phrase_lists = ["self_harm"]
action = "log"
severity = "concern"
alert = ["safeguarding"]
"#;

fn engine(model: Embeddings) -> Engine {
    Engine::new(charter_policy::parse(PACK, "t.toml").expect("pack"))
        .with_embeddings(Some(std::sync::Arc::new(model)))
}

#[test]
fn a_search_term_rule_names_the_model_and_the_example() {
    let Some(model) = embeddings::installed_model() else {
        return;
    };
    let engine = engine(model);
    let ctx = Context::new(
        Some("ann".into()),
        Vec::new(),
        "2026-06-15T10:00:00Z".parse().expect("time"),
    );
    let d = engine.decide_text(&ctx, "ways to end it all");
    assert_eq!(d.findings.len(), 1, "{d:?}");
    let f = &d.findings[0];
    assert_eq!(f.check, Check::SearchTerm);
    let threshold = format!("threshold {DEFAULT_THRESHOLD:.2}");
    assert!(
        f.message.contains("near the self_harm examples")
            && f.message.contains(MODEL_NAME)
            && f.message.contains(&threshold),
        "{}",
        f.message
    );
    let model = f.model.as_ref().expect("the finding carries the model");
    assert_eq!(model.name, MODEL_NAME);
    assert!(model.score >= DEFAULT_THRESHOLD);

    let search =
        charter_engine::web::WebRequest::new("https://www.google.com/search?q=ways+to+end+it+all");
    let d = engine.decide_web(&ctx, &search, &charter_engine::web::Builtin::new());
    assert!(
        d.findings
            .iter()
            .any(|f| f.check == Check::SearchTerm && f.model.is_some()),
        "{d:?}"
    );
    assert!(
        engine
            .decide_text(&ctx, "kill the process")
            .findings
            .is_empty()
    );
}

fn mail(body: &str) -> Vec<u8> {
    format!("From: ann@acme.example\r\nTo: bob@acme.example\r\nSubject: tonight\r\n\r\n{body}\r\n")
        .into_bytes()
}

#[test]
fn mail_text_near_an_abusive_example_is_abusive_language_naming_the_model() {
    let Some(model) = embeddings::installed_model() else {
        return;
    };
    let ctx = Context::new(
        Some("ann".into()),
        Vec::new(),
        "2026-06-15T10:00:00Z".parse().expect("time"),
    );
    let envelope = charter_engine::mail::Envelope::default();
    let threat = mail("Keep looking over your shoulder when you walk home tonight.");
    let input = charter_engine::mail::MailInput::new(&threat, &envelope);
    let without = Engine::new(charter_policy::parse(PACK, "t.toml").expect("pack"));
    assert!(
        without.decide_mail(&ctx, &input).findings.is_empty(),
        "the word lists and the model alone miss it"
    );
    let engine = engine(model);
    let d = engine.decide_mail(&ctx, &input);
    let f = d
        .findings
        .iter()
        .find(|f| f.check == Check::AbusiveLanguage)
        .unwrap_or_else(|| panic!("no abusive_language finding: {d:?}"));
    assert!(f.message.contains(MODEL_NAME), "{}", f.message);
    assert_eq!(f.model.as_ref().map(|m| m.name.as_str()), Some(MODEL_NAME));

    for body in [
        "Please kill the process on the build server before the deploy.",
        "The quarterly figures are attached; the train home was cancelled again.",
    ] {
        let report = mail(body);
        let input = charter_engine::mail::MailInput::new(&report, &envelope);
        let d = engine.decide_mail(&ctx, &input);
        assert!(d.findings.is_empty(), "{body}: {d:?}");
    }
}
