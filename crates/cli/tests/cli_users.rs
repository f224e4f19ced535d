//! `charter users add|reset|disable|list` end to end over a SQLite store: logins belong to
//! people, the password is generated or read from standard input (never an argument), and
//! a person whose roles see monitoring records cannot go without a second factor.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PACK: &str = r#"
[policy]
id = "users"
title = "Users test pack"
source = "tests"
timezone = "Europe/London"
[organisation]
name = "Acme Ltd"
domains = ["acme.test"]
roles = ["staff", "hr", "compliance"]
[[accounts.address]]
applies_to = "staff"
format = "{first}.{last}"
[governance]
register_roles = ["hr"]
compliance_roles = ["compliance"]
data_protection_roles = ["compliance"]
"#;

fn charter(cfg: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(cfg: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = charter(cfg, args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn setup(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("pack.toml"), PACK).unwrap();
    let cfg = dir.join("charter.toml");
    std::fs::write(
        &cfg,
        "policy = \"pack.toml\"\n[store]\nurl = \"sqlite://charter.db\"\n",
    )
    .unwrap();
    for (first, roles) in [("Ann", "staff"), ("Cat", "staff,compliance")] {
        ok(
            &cfg,
            &[
                "people", "add", "--first", first, "--last", "Test", "--roles", roles,
            ],
            None,
        );
    }
    cfg
}

#[test]
fn logins_are_added_disabled_reset_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = setup(dir.path());

    let added = ok(
        &cfg,
        &[
            "users",
            "add",
            "Ann Test",
            "--login",
            "ann",
            "--no-second-factor",
        ],
        None,
    );
    assert!(added.contains("login ann"), "{added}");
    let password = added
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap();
    assert_eq!(password.len(), 20, "a generated password is shown once");
    assert!(added.contains("no second factor"), "{added}");

    let with_totp: serde_json::Value = serde_json::from_str(&ok(
        &cfg,
        &["users", "add", "Cat Test", "--login", "cat", "--json"],
        None,
    ))
    .unwrap();
    assert_eq!(with_totp["user"]["login"], "cat");
    assert_eq!(with_totp["totp_secret"].as_str().unwrap().len(), 32);
    assert!(
        with_totp["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Charter:cat?")
    );
    assert!(
        with_totp["user"].get("password_hash").is_none(),
        "the hash is never printed"
    );

    ok(&cfg, &["users", "disable", "ann"], None);
    let list = ok(&cfg, &["users", "list"], None);
    assert!(
        list.contains("login ann") && list.contains(" disabled "),
        "{list}"
    );

    let reset = ok(
        &cfg,
        &[
            "users",
            "reset",
            "ann",
            "--password-stdin",
            "--no-second-factor",
        ],
        Some("a long enough passphrase\n"),
    );
    assert!(
        !reset.contains("password:"),
        "a chosen password is not echoed: {reset}"
    );
    let list = ok(&cfg, &["users", "list"], None);
    assert!(
        !list.contains(" disabled "),
        "reset enables the login: {list}"
    );
}

#[test]
fn a_compliance_login_must_have_a_second_factor_and_passwords_are_long() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = setup(dir.path());
    let out = charter(
        &cfg,
        &[
            "users",
            "add",
            "Cat Test",
            "--login",
            "cat",
            "--no-second-factor",
        ],
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("second factor is required"), "{err}");

    let out = charter(
        &cfg,
        &[
            "users",
            "add",
            "Ann Test",
            "--login",
            "ann",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("too short"), "{err}");
}

#[test]
fn users_help_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["add", "reset", "disable", "list"] {
        let help = ok(
            &dir.path().join("none.toml"),
            &["users", sub, "--help"],
            None,
        );
        assert!(help.contains("charter users"), "{sub}: {help}");
    }
}
