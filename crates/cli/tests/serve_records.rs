//! `charter serve` keeps what its gateways decide: an ICAP decision becomes a monitoring
//! record in the configured store, readable (for a reason, audited) with `charter records
//! list`.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod serve_support;

use std::path::Path;
use std::time::{Duration, Instant};

use serve_support::*;

/// `person`'s records, read by Cora (compliance).
fn records(cfg: &Path, person: &str) -> serde_json::Value {
    let out = charter(
        cfg,
        &[
            "records",
            "list",
            "--person",
            person,
            "--reason",
            "checking the gateway records",
            "--by",
            "Cora Sec",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn icap_decisions_become_monitoring_records_with_roles_from_the_register() {
    let dir = tempfile::tempdir().unwrap();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/breaks.toml");
    let cfg = config(dir.path(), "sqlite://charter.db", Some(&pack));
    // Ben manages social media: the register gives his proxy login that role.
    charter_ok(
        &cfg,
        &[
            "people",
            "add",
            "--first",
            "Ben",
            "--last",
            "Jones",
            "--roles",
            "social_media_manager",
        ],
    );
    charter_ok(
        &cfg,
        &["accounts", "add", "1", "--system", "login", "--name", "ben"],
    );
    // Ann is staff with a login; Cora reads records (the pack's default compliance role).
    for args in [
        &[
            "people", "add", "--first", "Ann", "--last", "Lee", "--roles", "staff",
        ][..],
        &[
            "accounts", "add", "Ann Lee", "--system", "login", "--name", "ann",
        ][..],
        &[
            "people",
            "add",
            "--first",
            "Cora",
            "--last",
            "Sec",
            "--roles",
            "compliance",
        ][..],
    ] {
        charter_ok(&cfg, args);
    }
    let serve = Serve::start(&cfg);
    let mut icap = Icap::connect(serve.port);
    let (_, page) = icap.reqmod(b"http://www.bet365.com/", "ann");
    assert!(page.contains("403 Forbidden"), "{page}");
    icap.reqmod(b"http://www.facebook.com/", "ann");
    icap.reqmod(b"http://www.facebook.com/", "ben");

    // The writer commits in the background; wait for the records to land (newest first).
    let deadline = Instant::now() + Duration::from_secs(30);
    let list = loop {
        let mut list = records(&cfg, "ann");
        if let Some(both) = list.as_array_mut() {
            both.extend(records(&cfg, "ben").as_array().cloned().unwrap_or_default());
        }
        if list.as_array().is_some_and(|l| l.len() == 3) {
            break list;
        }
        assert!(Instant::now() < deadline, "records not written: {list}");
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(serve);
    let find = |url: &str, user: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["subject"] == url && r["user"] == user)
            .unwrap_or_else(|| panic!("no record of {user} at {url}: {list}"))
            .clone()
    };
    let gambling = find("http://www.bet365.com/", "ann");
    assert_eq!(gambling["verdict"], "block");
    assert_eq!(gambling["rule"], "internet.prohibited-content");
    assert_eq!(gambling["source"], "web");
    assert_eq!(find("http://www.facebook.com/", "ann")["verdict"], "warn");
    assert_eq!(find("http://www.facebook.com/", "ben")["verdict"], "allow");
}

/// A pack with a download limit and no personal data into public AI, and the roles the
/// records commands need.
const BODIES_PACK: &str = r#"
[policy]
id = "bodies"
title = "Bodies test policy"
source = "T"
review_due = 2027-04-01

[organisation]
name = "T Ltd"
roles = ["staff", "hr", "dpo", "compliance"]

[[rule]]
id = "internet.large-downloads"
clause = "Downloads"
quote = "No large downloads."
on = "web"
checks = ["large_download"]
max_download_mb = 100
action = "warn"
severity = "info"

[[rule]]
id = "ai.no-personal-data"
clause = "AI"
quote = "No personal data into public AI tools."
on = "web"
categories = ["public_ai"]
checks = ["sensitive_upload"]
action = "block"
severity = "misconduct"
"#;

#[test]
fn icap_download_sizes_and_uploads_become_monitoring_records() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("bodies.toml");
    std::fs::write(&pack, BODIES_PACK).unwrap();
    let cfg = config(dir.path(), "sqlite://charter.db", Some(&pack));
    for args in [
        &[
            "people", "add", "--first", "Ann", "--last", "Lee", "--roles", "staff",
        ][..],
        &[
            "accounts", "add", "Ann Lee", "--system", "login", "--name", "ann",
        ][..],
        &[
            "people",
            "add",
            "--first",
            "Cora",
            "--last",
            "Sec",
            "--roles",
            "compliance",
        ][..],
    ] {
        charter_ok(&cfg, args);
    }
    let serve = Serve::start(&cfg);
    let ask = |raw: String| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut answer = vec![0; 8192];
        let n = stream.read(&mut answer).unwrap();
        String::from_utf8_lossy(&answer[..n]).into_owned()
    };
    // A 600 MB response, judged on its head (warn: let through, recorded).
    let request = "GET http://files.example/big.iso HTTP/1.1\r\nHost: files.example\r\n\r\n";
    let response = "HTTP/1.1 200 OK\r\nContent-Length: 629145600\r\n\r\n";
    let answer = ask(format!(
        "RESPMOD icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\nX-Client-Username: ann\r\nPreview: 0\r\nEncapsulated: req-hdr=0, res-hdr={}, res-body={}\r\n\r\n{request}{response}0\r\n\r\n",
        request.len(),
        request.len() + response.len()
    ));
    assert!(answer.starts_with("ICAP/1.0 204"), "{answer}");
    // An upload to a public AI tool carrying a National Insurance number, sent whole.
    let body = r#"{"prompt":"Letter for NI AB 12 34 56 C"}"#;
    let http = format!(
        "POST https://chatgpt.com/backend-api/conversation HTTP/1.1\r\nHost: chatgpt.com\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let answer = ask(format!(
        "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nX-Client-Username: ann\r\nEncapsulated: req-hdr=0, req-body={}\r\n\r\n{http}{:x}\r\n{body}\r\n0\r\n\r\n",
        http.len(),
        body.len()
    ));
    assert!(answer.contains("403 Forbidden"), "{answer}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let list = loop {
        let list = records(&cfg, "ann");
        let rules: Vec<&str> = list
            .as_array()
            .map(|l| l.iter().filter_map(|r| r["rule"].as_str()).collect())
            .unwrap_or_default();
        if rules.contains(&"internet.large-downloads") && rules.contains(&"ai.no-personal-data") {
            break list;
        }
        assert!(Instant::now() < deadline, "records not written: {list}");
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(serve);
    let of = |rule: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .unwrap()
            .clone()
    };
    let download = of("internet.large-downloads");
    assert_eq!(download["subject"], "http://files.example/big.iso");
    assert_eq!(download["verdict"], "warn");
    let upload = of("ai.no-personal-data");
    assert_eq!(upload["verdict"], "block");
    assert_eq!(upload["source"], "web");
    let text = upload.to_string();
    assert!(
        !text.contains("AB 12 34 56 C"),
        "the record never holds the data: {text}"
    );
}
