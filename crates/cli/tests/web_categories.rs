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

    // UT1 leaves extremism empty: lint says so for the ITEC rule naming it, and for nothing
    // UT1 fills.
    let (ok, text) = charter(&["policy", "lint", &itec(), "--categories", &index_arg]);
    assert!(ok, "{text}");
    let empty: Vec<&str> = text.lines().filter(|l| l.contains("0 entries")).collect();
    assert_eq!(empty.len(), 1, "{text}");
    assert!(
        empty[0].contains("`internet.inappropriate-material`: extremism: 0 entries"),
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

/// A small squidGuard directory with some of UT1's lists, and no extremism list.
fn small_lists(dir: &TempDir) -> String {
    for (list, host) in [
        ("gambling", "bet365.com"),
        ("press", "bbc.co.uk"),
        ("adult", "adult.example"),
        ("agressif", "hate.example"),
        ("drogue", "drugs.example"),
        ("hacking", "hacking.example"),
        ("sect", "cult.example"),
    ] {
        dir.write(&format!("lists/{list}/domains"), &format!("{host}\n"));
    }
    dir.path().join("lists").display().to_string()
}

fn itec() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies/itec.toml")
        .display()
        .to_string()
}

#[test]
fn a_ctiru_shaped_list_fills_extremism_and_lint_says_when_it_is_empty() {
    let dir = TempDir::new("ctiru");
    let lists = small_lists(&dir);
    let bare = dir.path().join("bare.idx").display().to_string();
    let (ok, text) = charter(&["categories", "build", "--from", &lists, "-o", &bare]);
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "empty categories (rules naming them cannot fire; fill one with --category-list \
             CATEGORY=FILE): extremism, malware,"
        ),
        "{text}"
    );

    // Without a list, lint warns about the rule naming extremism, and still exits 0.
    let (ok, text) = charter(&["policy", "lint", &itec(), "--categories", &bare]);
    assert!(ok, "warnings keep exit 0: {text}");
    assert!(
        text.contains(
            "rule `internet.inappropriate-material`: extremism: 0 entries: this rule cannot fire \
             on extremism until a list is loaded"
        ),
        "{text}"
    );
    let (_, plain) = charter(&["policy", "lint", &itec()]);
    assert!(!plain.contains("0 entries"), "{plain}");

    // A CTIRU-shaped list: hosts and URLs, no scheme, comments.
    let ctiru = dir.write(
        "ctiru.txt",
        "# CTIRU list, 2026-06-01\nterror-propaganda.example\nvideos.example/watch/recruitment-1\n\n",
    );
    let full = dir.path().join("full.idx").display().to_string();
    let pair = format!("extremism={}", ctiru.display());
    let (ok, text) = charter(&[
        "categories",
        "build",
        "--from",
        &lists,
        "--category-list",
        &pair,
        "-o",
        &full,
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("8 domains and 1 URL prefixes"), "{text}");
    let (ok, text) = charter(&[
        "categories",
        "lookup",
        "https://www.terror-propaganda.example/",
        "--categories",
        &full,
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("extremism"), "{text}");
    assert!(text.contains("in ctiru"), "{text}");
    let (_, text) = charter(&[
        "categories",
        "lookup",
        "https://videos.example/watch/other",
        "--categories",
        &full,
    ]);
    assert!(
        !text.contains("extremism"),
        "a URL entry matches its path only: {text}"
    );

    // The ITEC pack now blocks it, and lint no longer warns about extremism.
    let (ok, text) = charter(&[
        "check",
        "url",
        "https://videos.example/watch/recruitment-1?t=5",
        "--policy",
        &itec(),
        "--categories",
        &full,
        "--at",
        TEN_AM,
        "--json",
    ]);
    assert!(ok, "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["verdict"], "block", "{text}");
    assert_eq!(
        doc["findings"][0]["rule"], "internet.inappropriate-material",
        "{text}"
    );
    let (ok, text) = charter(&["policy", "lint", &itec(), "--categories", &full]);
    assert!(ok, "{text}");
    assert!(!text.contains("extremism: 0 entries"), "{text}");
}

#[test]
fn a_bad_category_list_is_a_usage_error() {
    let dir = TempDir::new("ctiru-bad");
    let lists = small_lists(&dir);
    let out = dir.path().join("x.idx").display().to_string();
    let result = Command::new(CHARTER)
        .args(["categories", "build", "--from", &lists, "-o", &out])
        .args(["--category-list", "extremist=list.txt"])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let err = String::from_utf8_lossy(&result.stderr);
    assert!(err.contains("unknown category `extremist`"), "{err}");
    let result = Command::new(CHARTER)
        .args(["policy", "lint", &itec(), "--categories"])
        .arg(dir.path().join("missing.idx"))
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
}

/// Lists a model can learn from: gambling and job-site words, and a list with no Charter
/// category (UT1's `sports`) as hosts of neither.
fn lists_to_learn(dir: &TempDir) -> String {
    let names = |f: &dyn Fn(usize) -> String| (0..300).map(f).collect::<Vec<_>>().join("\n");
    dir.write(
        "learn/gambling/domains",
        &names(&|i| format!("casino{i}bet.com\npoker{i}slots.net")),
    );
    dir.write(
        "learn/jobsearch/domains",
        &names(&|i| format!("jobs{i}careers.org")),
    );
    dir.write(
        "learn/sports/domains",
        &names(&|i| format!("plumbing{i}supplies.co.uk\nbakery{i}town.com")),
    );
    dir.path().join("learn").display().to_string()
}

fn demo() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies/demo.toml")
        .display()
        .to_string()
}

#[test]
fn train_measures_a_held_out_tenth_and_check_url_uses_the_model() {
    let dir = TempDir::new("train");
    let lists = lists_to_learn(&dir);
    let model = dir.path().join("sites.model").display().to_string();
    let (ok, text) = charter(&["categories", "train", "--from", &lists, "-o", &model]);
    assert!(ok, "{text}");
    assert!(text.contains("2 categories"), "{text}");
    assert!(text.contains("held out:"), "{text}");
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row: {text}"))
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    // category, held-out hosts, precision, recall: these made-up lists are easy.
    let gambling = row("gambling");
    assert!(gambling[1].parse::<usize>().unwrap() > 0, "{text}");
    assert!(gambling[2].parse::<f64>().unwrap() > 0.9, "{text}");
    assert!(gambling[3].parse::<f64>().unwrap() > 0.9, "{text}");
    assert!(row("jobsearch")[3].parse::<f64>().unwrap() > 0.9, "{text}");
    assert!(text.contains("of which the model put 0 in one"), "{text}");

    // The same lists give the same model.
    let again = dir.path().join("again.model").display().to_string();
    let (ok, _) = charter(&["categories", "train", "--from", &lists, "-o", &again]);
    assert!(ok);
    assert_eq!(
        std::fs::read(&model).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // A gambling site in no list: the demo pack's rule for unlisted sites logs it, with the
    // model, its version and score; the lists' rule does not fire on a guess.
    let check = |url: &str| {
        charter(&[
            "check",
            "url",
            url,
            "--policy",
            &demo(),
            "--categories",
            &lists,
            "--site-model",
            &model,
            "--json",
        ])
    };
    let (ok, text) = check("https://www.royalcasinobet.com/");
    assert!(ok, "{text}");
    let d: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f = &d["findings"][0];
    assert_eq!(f["check"], "unclassified_site", "{text}");
    assert_eq!(f["rule"], "internet.unlisted-prohibited", "{text}");
    assert_eq!(f["model"]["name"], "site-classifier", "{text}");
    assert!(f["model"]["score"].as_f64().unwrap() >= 0.9, "{text}");
    assert_eq!(d["verdict"], "log", "{text}");
    let (ok, text) = check("https://www.plumbingtownsupplies.co.uk/");
    assert!(ok, "{text}");
    assert!(!text.contains("unclassified_site"), "{text}");
    // A listed host is the lists' alone.
    let (_, text) = check("https://casino1bet.com/");
    assert!(text.contains("prohibited_category"), "{text}");
    assert!(!text.contains("unclassified_site"), "{text}");
}

#[test]
fn a_damaged_site_model_is_a_clear_error() {
    let dir = TempDir::new("badmodel");
    let bad = dir.write("bad.model", "CHRTSIT1 cut short");
    let result = Command::new(CHARTER)
        .args([
            "check",
            "url",
            "https://a.example/",
            "--policy",
            &demo(),
            "--site-model",
            &bad.display().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let text = String::from_utf8_lossy(&result.stderr);
    assert!(text.contains("is not a usable site model"), "{text}");
}
