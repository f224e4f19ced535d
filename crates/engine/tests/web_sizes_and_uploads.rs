//! `large_download` and `sensitive_upload` as the engine decides them, from the size and the
//! body text a gateway supplies.

#![allow(clippy::unwrap_used, reason = "test")]

use charter_engine::web::{Builtin, Upload, WebRequest};
use charter_engine::{Context, Engine};
use charter_policy::{Check, Verdict};

const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
[organisation]
name = "T Ltd"
[web]
sensitive_terms = ["Project Falcon"]
[[rule]]
id = "downloads"
clause = "1"
quote = "No large downloads."
on = "web"
checks = ["large_download"]
max_download_mb = 100
action = "block"
severity = "concern"
[[rule]]
id = "ai-uploads"
clause = "2"
quote = "No confidential or customer data into public AI."
on = "web"
categories = ["public_ai", "webmail", "file_sharing"]
checks = ["sensitive_upload"]
action = "block"
severity = "misconduct"
"#;

fn engine() -> Engine {
    Engine::new(charter_policy::parse(PACK, "t.toml").unwrap())
}

fn ctx() -> Context {
    Context::new(
        Some("alice".into()),
        Vec::new(),
        "2026-06-15T09:00:00Z".parse().unwrap(),
    )
}

fn sized(url: &str, size: Option<u64>) -> (Verdict, Vec<Check>) {
    let request = WebRequest {
        size_bytes: size,
        ..WebRequest::new(url)
    };
    let d = engine().decide_web(&ctx(), &request, &Builtin::new());
    (d.verdict, d.findings.iter().map(|f| f.check).collect())
}

fn uploaded(url: &str, text: &str) -> charter_engine::Decision {
    let request = WebRequest {
        upload: Some(Upload {
            text,
            read_bytes: text.len() as u64,
            body_bytes: Some(text.len() as u64),
            cut: false,
            unread_parts: 0,
        }),
        ..WebRequest::new(url)
    };
    engine().decide_web(&ctx(), &request, &Builtin::new())
}

#[test]
fn large_download_fires_over_the_limit_only() {
    let mib = 1024 * 1024;
    assert_eq!(
        sized("http://example.org/big.iso", Some(101 * mib)),
        (Verdict::Block, vec![Check::LargeDownload])
    );
    assert_eq!(
        sized("http://example.org/ok.iso", Some(100 * mib)),
        (Verdict::Allow, vec![])
    );
    assert_eq!(
        sized("http://example.org/unknown", None),
        (Verdict::Allow, vec![])
    );
}

#[test]
fn sensitive_upload_fires_on_personal_data_to_public_ai() {
    let d = uploaded(
        "https://chat.openai.com/backend-api/conversation",
        "{\"prompt\": \"Write to Jo, NI number AB 12 34 56 C\"}",
    );
    assert_eq!(d.verdict, Verdict::Block);
    let f = &d.findings[0];
    assert_eq!(f.check, Check::SensitiveUpload);
    assert_eq!(
        f.message,
        "upload to chat.openai.com carries 1 National Insurance number"
    );
    assert!(!f.message.contains("AB 12"), "never the data itself");
}

#[test]
fn sensitive_upload_fires_on_markings_and_listed_terms() {
    let d = uploaded("https://chatgpt.com/", "PRIVATE AND CONFIDENTIAL\nthe plan");
    assert_eq!(d.findings[0].check, Check::SensitiveUpload);
    let d = uploaded("https://chatgpt.com/", "a summary of project falcon please");
    assert_eq!(
        d.findings[0].message,
        "upload to chatgpt.com carries 1 term the policy lists"
    );
}

#[test]
fn sensitive_upload_stays_quiet_for_clean_text_and_other_sites() {
    let d = uploaded("https://chatgpt.com/", "Write a poem about spring");
    assert_eq!(d.verdict, Verdict::Allow, "{:?}", d.findings);
    let d = uploaded("https://example.org/form", "NI number AB 12 34 56 C");
    assert_eq!(d.verdict, Verdict::Allow, "not an upload category");
    let d = engine().decide_web(
        &ctx(),
        &WebRequest::new("https://chatgpt.com/"),
        &Builtin::new(),
    );
    assert_eq!(d.verdict, Verdict::Allow, "no body read");
}

#[test]
fn bodies_are_wanted_only_where_a_rule_could_use_them() {
    let engine = engine();
    let source = Builtin::new();
    let wants = |engine: &Engine, url: &str| {
        use charter_engine::web::{CategorySource, Target};
        let target = Target::parse(url).unwrap();
        engine.wants_upload(&ctx(), Some(&target), &source.classify(&target))
    };
    assert!(wants(&engine, "https://chat.openai.com/"));
    assert!(!wants(&engine, "https://example.org/"));
    let plain = Engine::new(
        charter_policy::parse(
            &PACK.replace("sensitive_upload", "large_download"),
            "t.toml",
        )
        .unwrap(),
    );
    assert!(!wants(&plain, "https://chat.openai.com/"));
}

#[test]
fn the_download_limit_is_the_smallest_rule_in_scope() {
    use charter_engine::web::{CategorySource, Target};
    let source = Builtin::new();
    let target = Target::parse("http://example.org/").unwrap();
    let classification = source.classify(&target);
    assert_eq!(
        engine().download_limit(&ctx(), Some(&target), &classification),
        Some(100 * 1024 * 1024)
    );
    let none = Engine::new(
        charter_policy::parse(
            &PACK.replace("large_download", "sensitive_upload"),
            "t.toml",
        )
        .unwrap(),
    );
    assert_eq!(
        none.download_limit(&ctx(), Some(&target), &classification),
        None
    );
}
