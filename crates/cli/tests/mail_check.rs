//! `charter check mail`: the DESIGN contract (exit codes, JSON document, stdin).
#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any I/O error"
)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
domains = ["acme.co.uk"]
[mail]
disclaimer = "Acme Ltd. Registered number 123."
[[rule]]
id = "mail.executables"
clause = "Email security (b)"
on = "mail"
checks = ["executable_attachment", "double_extension"]
action = "block"
severity = "misconduct"
[[rule]]
id = "mail.disclaimer"
clause = "Email disclaimer"
on = "mail"
direction = "outbound"
checks = ["missing_disclaimer"]
action = "log"
severity = "info"
[[rule]]
id = "mail.personal"
clause = "Personal use"
on = "mail"
checks = ["personal_marked"]
action = "log"
severity = "info"
"#;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("charter-mail-check-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pack.toml"), PACK).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn charter(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const EXE: &str = "From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: files\r\n\
    Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
    See attached.\r\nAcme Ltd. Registered number 123.\r\n--b\r\n\
    Content-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n\r\nxx\r\n--b--\r\n";

#[test]
fn block_is_exit_zero_with_the_json_contract() {
    let dir = Dir::new("json");
    let msg = dir.write("m.eml", EXE);
    let pack = dir.0.join("pack.toml");
    let (code, out, err) = charter(
        &[
            "check",
            "mail",
            msg.to_str().unwrap(),
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
    assert!(v.get("categories").is_none());
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "mail.executables");
    assert_eq!(f["check"], "executable_attachment");
    assert_eq!(f["clause"], "Email security (b)");
    assert_eq!(f["severity"], "misconduct");
    assert_eq!(f["action"], "block");
    assert_eq!(f["message"], "attachment invoice.pdf.exe is a .exe file");
}

#[test]
fn stdin_and_direction() {
    let dir = Dir::new("stdin");
    let pack = dir.0.join("pack.toml");
    let msg = "From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: hi\r\n\r\nhello\r\n";
    let (code, out, _) = charter(
        &["check", "mail", "-", "--policy", pack.to_str().unwrap()],
        Some(msg),
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("log  (standard input)"), "{out}");
    assert!(
        out.contains("mail.disclaimer [missing_disclaimer, info, log]"),
        "{out}"
    );
    let (_, out, _) = charter(
        &[
            "check",
            "mail",
            "-",
            "--policy",
            pack.to_str().unwrap(),
            "--direction",
            "inbound",
        ],
        Some(msg),
    );
    assert!(out.starts_with("allow"), "{out}");
}

#[test]
fn personal_marked_is_headers_only() {
    let dir = Dir::new("personal");
    let pack = dir.0.join("pack.toml");
    let msg = EXE.replace("Subject: files", "Subject: Private - my CV");
    let (_, out, _) = charter(
        &[
            "check",
            "mail",
            "-",
            "--policy",
            pack.to_str().unwrap(),
            "--json",
        ],
        Some(&msg),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["privacy"], "headers_only");
    assert!(!out.contains("invoice"), "{out}");
    assert!(!out.contains("See attached"), "{out}");
}

#[test]
fn unreadable_input_is_exit_two() {
    let dir = Dir::new("missing");
    let pack = dir.0.join("pack.toml");
    let (code, _, err) = charter(
        &[
            "check",
            "mail",
            "/nonexistent.eml",
            "--policy",
            pack.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("charter: error: cannot read message `/nonexistent.eml`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    let (code, _, err) = charter(
        &["check", "mail", "-", "--policy", "/nonexistent.toml"],
        Some(""),
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn bad_direction_is_usage_error() {
    let (code, _, err) = charter(
        &[
            "check",
            "mail",
            "-",
            "--policy",
            "p.toml",
            "--direction",
            "up",
        ],
        Some(""),
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown direction `up`"), "{err}");
}
