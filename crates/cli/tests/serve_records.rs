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
