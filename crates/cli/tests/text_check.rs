//! `charter check text`: the DESIGN contract (exit codes, JSON document, stdin) and `--eval`.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any I/O error"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
domains = ["acme.co.uk"]
[[rule]]
id = "mail.abuse"
clause = "Email / Abusive content"
on = "mail"
checks = ["abusive_language"]
action = "block"
severity = "gross_misconduct"
[[rule]]
id = "web.self-harm"
clause = "Safeguarding"
on = "web"
checks = ["search_term"]
phrase_lists = ["self_harm"]
action = "log"
severity = "concern"
alert = ["safeguarding"]
"#;

fn pack(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("charter-text-check-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pack.toml");
    std::fs::write(&path, PACK).unwrap();
    path
}

fn charter(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn an_insult_in_no_word_list_is_blocked_with_the_model_score_in_json() {
    let pack = pack("json");
    let (code, out, err) = charter(
        &[
            "check",
            "text",
            "Your reports are crap and you are a lazy shithead.",
            "--policy",
            pack.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "block");
    assert_eq!(v["privacy"], "full");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "mail.abuse");
    assert_eq!(f["check"], "abusive_language");
    assert_eq!(f["clause"], "Email / Abusive content");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("model alt-profanity-check 1.9.1 score"),
        "{msg}"
    );
    assert!(!msg.contains("shithead"), "{msg}");
}

#[test]
fn a_paraphrase_from_stdin_matches_the_safeguarding_list() {
    let pack = pack("stdin");
    let (code, out, err) = charter(
        &["check", "text", "-", "--policy", pack.to_str().unwrap()],
        Some("some days I just want to end my life\n"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("log  (text)"), "{out}");
    assert!(out.contains("web.self-harm [search_term"), "{out}");
}

#[test]
fn business_text_with_trap_words_is_allowed() {
    let pack = pack("clean");
    let (code, out, err) = charter(
        &[
            "check",
            "text",
            "Can you shoot me an email with the figures by Friday?",
            "--policy",
            pack.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "allow  (text)");
}

#[test]
fn eval_prints_precision_recall_and_f1_per_class() {
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/data/text_eval.tsv");
    let (code, out, err) = charter(&["check", "text", "--eval", set.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("427 sentences, model threshold 0.50"),
        "{out}"
    );
    for row in [
        "abusive       word lists",
        "abusive       model",
        "abusive       combination",
        "safeguarding  word lists",
        "clean         combination",
    ] {
        assert!(out.contains(row), "no `{row}` in\n{out}");
    }
}

#[test]
fn bad_usage_is_exit_two_with_one_line() {
    let pack = pack("bad");
    let (code, _, err) = charter(&["check", "text", "--policy", pack.to_str().unwrap()], None);
    assert_eq!(code, 2, "{err}");
    let dir = std::env::temp_dir().join(format!("charter-text-check-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.tsv");
    std::fs::write(&bad, "angry\tyou idiot\n").unwrap();
    let (code, _, err) = charter(&["check", "text", "--eval", bad.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("line 1: unknown label `angry`"), "{err}");
}

/// `check text` and `check mail` alike.
#[test]
fn an_unusable_embeddings_directory_is_a_clear_error() {
    let pack = pack("embeddings");
    let missing = std::env::temp_dir().join(format!("charter-no-model-{}", std::process::id()));
    let why = if cfg!(feature = "embeddings") {
        "has no config.json"
    } else {
        "built without the `embeddings` feature"
    };
    let message = "From: ann@acme.co.uk\r\nTo: bob@acme.co.uk\r\nSubject: hi\r\n\r\nhello\r\n";
    for (what, input, stdin) in [
        ("text", "ways to end it all", None),
        ("mail", "-", Some(message)),
    ] {
        let (code, _, err) = charter(
            &[
                "check",
                what,
                input,
                "--policy",
                pack.to_str().unwrap(),
                "--embeddings",
                missing.to_str().unwrap(),
            ],
            stdin,
        );
        assert_eq!(code, 2, "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        assert!(
            err.contains(missing.to_str().unwrap()) && err.contains(why),
            "{what}: {err}"
        );
    }
}
