//! A gateway decides only with a pack lint passes (DESIGN section 6): `serve` and
//! `squid-helper` given the template, whose placeholders are unfilled, exit 2 with one line
//! naming the first error; given the demo pack they start and decide.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod serve_support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serve_support::{Icap, Serve, config};

fn pack(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../policies/{name}.toml"))
}

/// A squidGuard-layout list directory with one gambling domain.
fn lists(dir: &Path) -> PathBuf {
    let lists = dir.join("lists");
    std::fs::create_dir_all(lists.join("gambling")).unwrap();
    std::fs::write(lists.join("gambling/domains"), "bet365.com\n").unwrap();
    lists
}

/// Runs `charter squid-helper` on `pack` with `input` on stdin.
fn squid_helper(pack: &Path, lists: &Path, input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args([
            "squid-helper",
            "--at",
            "2026-06-15T10:00:00+01:00",
            "--policy",
        ])
        .arg(pack)
        .arg("--categories")
        .arg(lists)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Exit 2 and one line on stderr naming the template's first error.
fn refused_naming_the_first_error(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("fails lint"), "{err}");
    assert!(
        err.contains(
            "template.toml:16:10: error[placeholder]: unfilled template placeholder `[INSERT ROLE OR POSITION]`"
        ),
        "{err}"
    );
}

#[test]
fn serve_refuses_a_pack_lint_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "sqlite://charter.db", Some(&pack("template")));
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    refused_naming_the_first_error(&out);
    assert!(
        !dir.path().join("spool").exists(),
        "serve got as far as its spool"
    );
}

#[test]
fn serve_starts_on_the_demo_pack() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "sqlite://charter.db", Some(&pack("demo")));
    let serve = Serve::start(&cfg);
    let (status, page) = Icap::connect(serve.port).reqmod(b"http://www.bet365.com/", "ann");
    assert_eq!((status, page.contains("403")), (200, true), "{page}");
    let (exit, log) = serve.terminate();
    assert!(exit.success(), "{log}");
}

#[test]
fn squid_helper_refuses_a_pack_lint_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let out = squid_helper(
        &pack("template"),
        &lists(dir.path()),
        b"1 http://www.bet365.com/ - 127.0.0.1\n",
    );
    refused_naming_the_first_error(&out);
    // Until Squid closes its input it keeps answering, with BH: Squid gives up on helpers
    // that die at start.
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(reply.starts_with("1 BH"), "{reply}");
}

#[test]
fn squid_helper_starts_on_the_demo_pack() {
    let dir = tempfile::tempdir().unwrap();
    let out = squid_helper(
        &pack("demo"),
        &lists(dir.path()),
        b"1 http://www.bet365.com/ - 127.0.0.1\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(reply.starts_with("1 ERR"), "{reply}");
}
