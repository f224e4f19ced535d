//! The software register's approved list feeds the engine's `unauthorised_software` check:
//! request, approve by the pack's approver role, then `check software`.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::path::Path;
use std::process::Command;

fn charter(cfg: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .output()
        .unwrap()
}

fn ok(cfg: &Path, args: &[&str]) -> String {
    let out = charter(cfg, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn only_approved_software_passes_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/allsorts.toml");
    let cfg = dir.path().join("charter.toml");
    std::fs::write(
        &cfg,
        format!(
            "policy = {:?}\n[store]\nurl = \"sqlite://charter.db\"\n",
            pack.display().to_string()
        ),
    )
    .unwrap();
    let check = |name: &str| -> serde_json::Value {
        serde_json::from_str(&ok(
            &cfg,
            &["check", "software", name, "--user", "pat", "--json"],
        ))
        .unwrap()
    };

    // Nothing is approved yet: the Allsorts pack holds any installation for the Manager.
    let before = check("Inkscape");
    assert_eq!(before["verdict"], "hold");
    assert_eq!(before["findings"][0]["check"], "unauthorised_software");
    assert_eq!(before["findings"][0]["clause"], "Computer Software");

    let approver = ok(
        &cfg,
        &[
            "people",
            "add",
            "--first",
            "Nicola",
            "--last",
            "Williams",
            "--roles",
            "management",
            "--json",
        ],
    );
    let approver: serde_json::Value = serde_json::from_str(&approver).unwrap();
    let approver = approver["person"]["id"].to_string();
    ok(
        &cfg,
        &[
            "people", "add", "--first", "Pat", "--last", "Staff", "--roles", "staff",
        ],
    );
    ok(
        &cfg,
        &[
            "software", "request", "--person", "2", "--name", "Inkscape", "--reason", "diagrams",
            "--by", "2",
        ],
    );
    ok(
        &cfg,
        &[
            "software",
            "approve",
            "1",
            "--reason",
            "free licence",
            "--by",
            &approver,
        ],
    );

    assert_eq!(check("inkscape")["verdict"], "allow");
    assert_eq!(check("uTorrent")["verdict"], "hold");
}
