//! The shipped packs through the real binary: lint as the issue states, and decisions that
//! follow the written policies (cases read from the seed policies, not from the packs).

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected output"
)]

use std::path::Path;
use std::process::{Command, Output};

fn charter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("charter runs")
}

fn lint(pack: &str) -> (Option<i32>, serde_json::Value) {
    let out = charter(&["policy", "lint", pack, "--today", "2026-11-24", "--json"]);
    let report = serde_json::from_slice(&out.stdout).expect("lint prints JSON");
    (out.status.code(), report)
}

fn codes(report: &serde_json::Value, level: &str) -> Vec<String> {
    report["packs"][0][level]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn iimts_review_is_overdue_since_april() {
    let (code, report) = lint("policies/iimts.toml");
    assert_eq!(code, Some(0));
    assert_eq!(codes(&report, "errors"), Vec::<String>::new());
    assert_eq!(codes(&report, "warnings"), ["review_overdue"]);
    let message = report["packs"][0]["warnings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("due 2026-04-01"), "{message}");
}

#[test]
fn itec_and_allsorts_reviews_from_2021_are_overdue() {
    for pack in ["policies/itec.toml", "policies/allsorts.toml"] {
        let (code, report) = lint(pack);
        assert_eq!(code, Some(0), "{pack}");
        // Besides the review, the rules that need the mail domains neither pack names.
        let warnings = codes(&report, "warnings");
        assert_eq!(warnings[0], "review_overdue", "{pack}");
        assert!(
            warnings.len() > 1 && warnings[1..].iter().all(|c| c == "mail_domains_unknown"),
            "{pack}: {warnings:?}"
        );
        let message = report["packs"][0]["warnings"][0]["message"]
            .as_str()
            .unwrap();
        assert!(
            message.contains("2021") || message.contains("2022"),
            "{pack}: {message}"
        );
    }
}

#[test]
fn template_fails_with_one_error_per_placeholder() {
    let (code, report) = lint("policies/template.toml");
    assert_eq!(code, Some(1));
    let errors = codes(&report, "errors");
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|c| c == "placeholder"), "{errors:?}");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/template.toml"),
    )
    .unwrap();
    // Every `[INSERT ROLE OR POSITION]` and `[your line manager OR the HR Department]` in the
    // file is reported, each on its own line and column.
    let expected = text.matches("[INSERT ROLE OR POSITION]").count()
        + text
            .matches("[your line manager OR the HR Department]")
            .count();
    let reported = report["packs"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let m = e["message"].as_str().unwrap();
            m.contains("[INSERT ROLE OR POSITION]")
                || m.contains("[your line manager OR the HR Department]")
        })
        .count();
    assert!(expected >= 2);
    assert_eq!(reported, expected);
}

#[test]
fn forced_password_changes_get_the_advisory() {
    for pack in ["policies/allsorts.toml", "policies/template.toml"] {
        let (_, report) = lint(pack);
        assert_eq!(
            codes(&report, "advisories"),
            ["periodic_password_change"],
            "{pack}"
        );
    }
    let (_, report) = lint("policies/iimts.toml");
    assert!(codes(&report, "advisories").is_empty());
}

#[test]
fn filled_template_and_demo_have_no_errors() {
    for pack in [
        "policies/template-filled.example.toml",
        "policies/demo.toml",
    ] {
        let (code, report) = lint(pack);
        assert_eq!(code, Some(0), "{pack}: {report}");
        assert_eq!(report["errors"], 0, "{pack}");
    }
}

fn verdict(pack: &str, url: &str, at: &str, roles: &str) -> (String, Vec<String>) {
    let mut args = vec!["check", "url", url, "--policy", pack, "--at", at, "--json"];
    if !roles.is_empty() {
        args.extend(["--roles", roles]);
    }
    let out = charter(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect();
    (d["verdict"].as_str().unwrap().to_string(), checks)
}

// Monday 15 June 2026, Europe/London (BST).
const TEN: &str = "2026-06-15T10:00:00+01:00";
const LUNCH: &str = "2026-06-15T12:45:00+01:00";
const EVENING: &str = "2026-06-15T18:30:00+01:00";

/// Asserts the verdict for `url` at `at` (`!allow` means anything but `allow`).
fn expect(pack: &str, url: &str, at: &str, roles: &str, want: &str) {
    let (got, _) = verdict(pack, url, at, roles);
    match want.strip_prefix('!') {
        Some(not) => assert_ne!(got, not, "{pack}: {url} at {at}"),
        None => assert_eq!(got, want, "{pack}: {url} at {at}"),
    }
}

#[test]
fn iimts_gambling_is_blocked_at_any_time() {
    for at in [TEN, LUNCH, EVENING] {
        expect(
            "policies/iimts.toml",
            "https://www.bet365.com/",
            at,
            "",
            "block",
        );
    }
}

#[test]
fn iimts_social_media_only_in_breaks() {
    let (pack, facebook) = ("policies/iimts.toml", "https://www.facebook.com/");
    expect(pack, facebook, LUNCH, "", "allow");
    expect(pack, facebook, EVENING, "", "allow");
    let (at_ten, checks) = verdict(pack, facebook, TEN, "");
    assert_ne!(at_ten, "allow");
    assert!(checks.contains(&"restricted_outside_window".to_string()));
    expect(pack, facebook, TEN, "social_media_manager", "allow");
}

#[test]
fn itec_chat_rooms_and_gambling_are_forbidden_even_in_breaks() {
    let pack = "policies/itec.toml";
    expect(pack, "https://discord.com/", LUNCH, "", "block");
    expect(pack, "https://www.bet365.com/", LUNCH, "", "block");
    expect(pack, "https://www.pornhub.com/", EVENING, "", "block");
}

#[test]
fn allsorts_no_social_networking_or_video_in_work_time() {
    let pack = "policies/allsorts.toml";
    expect(pack, "https://www.facebook.com/", TEN, "", "!allow");
    expect(pack, "https://www.youtube.com/", TEN, "", "!allow");
    expect(pack, "https://www.facebook.com/", EVENING, "", "allow");
}

#[test]
fn template_never_allows_streaming_webmail_or_social_media() {
    let pack = "policies/template-filled.example.toml";
    for url in [
        "https://www.youtube.com/",
        "https://mail.google.com/",
        "https://www.facebook.com/",
    ] {
        for at in [TEN, LUNCH, EVENING] {
            expect(pack, url, at, "", "block");
        }
    }
}

#[test]
fn template_personal_shopping_before_nine_but_not_at_ten() {
    let pack = "policies/template-filled.example.toml";
    expect(
        pack,
        "https://www.amazon.co.uk/",
        "2026-06-15T08:30:00+01:00",
        "",
        "allow",
    );
    expect(pack, "https://www.amazon.co.uk/", TEN, "", "!allow");
}
