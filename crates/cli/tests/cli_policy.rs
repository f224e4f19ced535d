//! End-to-end tests of `charter policy` and `charter check url` through the real binary:
//! exit codes, JSON contracts and one-line errors (DESIGN section 6).

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected output"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn charter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("charter runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const FIXTURE: &str = "crates/cli/tests/fixtures/breaks.toml";

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn check_url(url: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["check", "url", url, "--policy", FIXTURE, "--json"];
    args.extend_from_slice(extra);
    let out = charter(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)
}

#[test]
fn gambling_at_ten_is_blocked_with_the_contract_fields() {
    let d = check_url(
        "https://www.bet365.com/",
        &["--at", "2026-06-15T10:00:00+01:00"],
    );
    assert_eq!(d["verdict"], "block");
    assert_eq!(d["categories"], serde_json::json!(["gambling"]));
    assert_eq!(d["privacy"], "full");
    let f = &d["findings"][0];
    assert_eq!(f["rule"], "internet.prohibited-content");
    assert_eq!(f["check"], "prohibited_category");
    assert_eq!(
        f["clause"],
        "Internet use / Content and use / Prohibited use"
    );
    assert_eq!(f["severity"], "gross_misconduct");
    assert_eq!(f["action"], "block");
    assert_eq!(f["message"], "gambling site www.bet365.com");
    let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        6,
        "finding has exactly the contract's fields: {keys:?}"
    );
}

#[test]
fn gambling_in_the_lunch_break_is_still_blocked() {
    let d = check_url("bet365.com", &["--at", "2026-06-15T12:45"]);
    assert_eq!(d["verdict"], "block");
}

#[test]
fn social_media_in_the_lunch_break_is_allowed() {
    let d = check_url("https://www.facebook.com/", &["--at", "2026-06-15T12:45"]);
    assert_eq!(d["verdict"], "allow");
    assert_eq!(d["categories"], serde_json::json!(["social_media"]));
    assert_eq!(d["findings"], serde_json::json!([]));
}

#[test]
fn social_media_at_ten_is_warned_as_outside_the_window() {
    let d = check_url("https://www.facebook.com/", &["--at", "2026-06-15T10:00"]);
    assert_eq!(d["verdict"], "warn");
    assert_eq!(d["findings"][0]["check"], "restricted_outside_window");
    assert_eq!(d["findings"][0]["rule"], "social.breaks");
}

#[test]
fn social_media_at_ten_is_allowed_for_the_excepted_role() {
    let d = check_url(
        "https://www.facebook.com/",
        &[
            "--at",
            "2026-06-15T10:00",
            "--roles",
            "staff,social_media_manager",
        ],
    );
    assert_eq!(d["verdict"], "allow");
}

#[test]
fn social_media_after_half_past_five_and_at_weekends_is_allowed() {
    assert_eq!(
        check_url("facebook.com", &["--at", "2026-06-15T17:30"])["verdict"],
        "allow"
    );
    assert_eq!(
        check_url("facebook.com", &["--at", "2026-06-13T11:00"])["verdict"],
        "allow"
    );
}

#[test]
fn winter_and_summer_nine_am_follow_the_local_clock() {
    // 08:30 UTC is 08:30 GMT in January (before work) but 09:30 BST in June (working).
    assert_eq!(
        check_url("facebook.com", &["--at", "2026-01-12T08:30:00Z"])["verdict"],
        "allow"
    );
    assert_eq!(
        check_url("facebook.com", &["--at", "2026-06-15T08:30:00Z"])["verdict"],
        "warn"
    );
}

#[test]
fn unlisted_site_is_allowed_with_no_categories() {
    let d = check_url("https://example.org/", &["--at", "2026-06-15T10:00"]);
    assert_eq!(d["verdict"], "allow");
    assert_eq!(d["categories"], serde_json::json!([]));
}

#[test]
fn missing_pack_exits_two_with_one_line() {
    let out = charter(&["check", "url", "x.com", "--policy", "no/such.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot read pack `no/such.toml`"), "{err}");
}

#[test]
fn bad_time_exits_two() {
    let out = charter(&["check", "url", "x.com", "--policy", FIXTURE, "--at", "noon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad time `noon`: expected RFC 3339"));
}

#[test]
fn unknown_flag_exits_two() {
    let out = charter(&["check", "url", "x.com", "--policy", FIXTURE, "--colour"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_exits_zero_and_teaches() {
    let out = charter(&["check", "url", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("--roles"));
}

#[test]
fn clean_pack_lints_with_exit_zero() {
    let out = charter(&["policy", "lint", FIXTURE, "--today", "2026-11-24"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 errors, 0 warnings, 0 advisories"));
}

#[test]
fn lint_json_counts_by_level() {
    let out = charter(&["policy", "lint", FIXTURE, "--today", "2027-05-01", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["warnings"], 1);
    assert_eq!(report["packs"][0]["policy"], "breaks");
    assert_eq!(report["packs"][0]["warnings"][0]["code"], "review_overdue");
    assert_eq!(report["packs"][0]["warnings"][0]["line"], 5);
}

#[test]
fn lint_errors_exit_one() {
    let dir = tempdir();
    let bad = dir.join("bad.toml");
    let text = std::fs::read_to_string(repo_root().join(FIXTURE)).unwrap();
    std::fs::write(&bad, text.replace("\"adult\"", "\"adults\"")).unwrap();
    let out = charter(&["policy", "lint", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("unknown category `adults`"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn lint_of_a_missing_file_exits_two() {
    let out = charter(&["policy", "lint", "no/such.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn show_lists_windows_and_rules_with_clauses() {
    let out = charter(&["policy", "show", FIXTURE]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("personal_use     Mon-Fri 12:30-13:30 or outside (Mon-Fri 09:00-17:30)"),
        "{text}"
    );
    assert!(text.contains("clause: Social media / Use (b)"), "{text}");
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "charter-cli-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
