//! `charter categories build|lookup` and `check url` on the real UT1 snapshot in
//! ../shared/categories/ut1 (never copied into the repository).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod web_support;

use std::path::PathBuf;
use std::process::Command;

use web_support::*;

fn ut1() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/categories/ut1");
    assert!(
        dir.join("gambling/domains").is_file(),
        "the UT1 snapshot is missing at {}: these tests need ../shared/categories/ut1",
        dir.display()
    );
    dir
}

fn charter(args: &[&str]) -> (bool, String) {
    let out = Command::new(CHARTER).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn ut1_builds_looks_up_and_decides() {
    let dir = TempDir::new("ut1");
    let index = dir.path().join("ut1.idx");
    let index_arg = index.display().to_string();
    let (ok, text) = charter(&[
        "categories",
        "build",
        "--from",
        &ut1().display().to_string(),
        "-o",
        &index_arg,
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("from 41 lists"), "{text}");
    assert!(text.contains("not imported"), "{text}");

    // Several categories for one domain, and the entry that gave them.
    let (ok, text) = charter(&[
        "categories",
        "lookup",
        "https://www.facebook.com/",
        "--categories",
        &index_arg,
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("social_media"), "{text}");
    assert!(text.contains("domain entry `facebook.com` in"), "{text}");
    assert!(text.contains("social_networks"), "{text}");

    // UT1's blog list is the `blog` category (DESIGN section 4).
    let (ok, text) = charter(&[
        "categories",
        "lookup",
        "0blog.com",
        "--categories",
        &index_arg,
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("blog"), "{text}");
    assert!(text.contains("domain entry `0blog.com` in"), "{text}");

    // A URL-list entry matches per URL, not per domain.
    let (_, text) = charter(&[
        "categories",
        "lookup",
        "http://cri.univ-tlse1.fr/tools/test_filtrage/gambling/page",
        "--categories",
        &index_arg,
    ]);
    assert!(
        text.contains("URL entry `cri.univ-tlse1.fr/tools/test_filtrage/gambling/`"),
        "{text}"
    );
    let (_, text) = charter(&[
        "categories",
        "lookup",
        "http://cri.univ-tlse1.fr/",
        "--categories",
        &index_arg,
    ]);
    assert!(!text.contains("gambling"), "{text}");

    // JSON for tools.
    let (ok, text) = charter(&[
        "categories",
        "lookup",
        "bet365.com",
        "--categories",
        &index_arg,
        "--json",
    ]);
    assert!(ok, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        doc["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "gambling"),
        "{text}"
    );

    // check url on the real index: the pack's rules, at a fixed local time.
    let pack = dir.write("policy.toml", PACK);
    let (ok, text) = charter(&[
        "check",
        "url",
        "https://www.bet365.com/",
        "--policy",
        &pack.display().to_string(),
        "--categories",
        &index_arg,
        "--at",
        TEN_AM,
        "--json",
    ]);
    assert!(ok, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["verdict"], "block", "{text}");
    assert_eq!(
        doc["findings"][0]["rule"], "internet.prohibited-content",
        "{text}"
    );
}

#[test]
fn a_damaged_index_is_a_clear_error() {
    let dir = TempDir::new("badidx");
    let bad = dir.write("bad.idx", "not an index");
    let (ok, text) = charter(&[
        "categories",
        "lookup",
        "a.com",
        "--categories",
        &bad.display().to_string(),
    ]);
    assert!(!ok);
    assert!(text.contains("is not a usable category index"), "{text}");
}
