//! The milter's colleague names come from the people register and are refreshed with the
//! roles: `charter serve` started while the store is down holds nothing, and once the store
//! is reachable a stranger using a colleague's name is quarantined, with no restart. Driven
//! by Debian's `miltertest`.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any I/O error"
)]

mod ports;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ports::logged_address;

const PACK: &str = r#"
[policy]
id = "colleagues"
title = "Colleague names"
source = "tests"
[organisation]
name = "Acme Ltd"
domains = ["acme.test"]
[[rule]]
id = "mail.spoof"
clause = "Email security"
quote = "Be wary of messages that claim to come from a colleague"
on = "mail"
checks = ["spoofed_internal_sender"]
action = "hold"
severity = "concern"
"#;

/// `charter serve`, killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn miltertest() -> PathBuf {
    ["/usr/bin/miltertest", "/usr/sbin/miltertest"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`miltertest` not found: install Debian's `miltertest` (.ci/packages/mail.txt)")
        })
}

/// A config in `dir` named `name` for the pack and the SQLite store `db` (relative), with
/// the milter on a port of its own choosing.
fn config(dir: &Path, name: &str, db: &str) -> PathBuf {
    std::fs::write(dir.join("pack.toml"), PACK).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "policy = \"pack.toml\"\n[store]\nurl = \"sqlite://{db}\"\n[milter]\nlisten = \"127.0.0.1:0\"\n"
        ),
    )
    .unwrap();
    path
}

fn charter(cfg: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the milter quarantines a message from an outside client whose From shows Ann
/// Smith's name with a gmail address.
fn stranger_as_ann_is_held(port: u16, dir: &Path) -> bool {
    let script = format!(
        r#"
local conn = mt.connect("inet:{port}@127.0.0.1")
assert(conn, "cannot connect to the milter")
assert(mt.conninfo(conn, "mail.example.net", "203.0.113.5") == nil)
assert(mt.mailfrom(conn, "ann.smith.1980@gmail.com") == nil)
assert(mt.rcptto(conn, "bob@acme.test") == nil)
assert(mt.header(conn, "From", "Ann Smith <ann.smith.1980@gmail.com>") == nil)
assert(mt.header(conn, "To", "bob@acme.test") == nil)
assert(mt.header(conn, "Subject", "Gift cards") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "Buy three gift cards for me today.\r\n") == nil)
assert(mt.eom(conn) == nil)
if mt.eom_check(conn, MT_QUARANTINE) then
  print("HELD")
else
  print("PASSED")
end
mt.disconnect(conn)
"#
    );
    let path = dir.join("spoof.lua");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(miltertest())
        .arg("-s")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "miltertest failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("HELD") || said.contains("PASSED"), "{said}");
    said.contains("HELD")
}

fn wait_for_log(log: &Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(Instant::now() < deadline, "no `{needle}` in:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn colleague_names_arrive_with_the_store_after_a_start_with_it_down() {
    let dir = tempfile::tempdir().unwrap();
    // The register, made in a directory of its own: serve's store is not there yet.
    let prepare = config(dir.path(), "prepare.toml", "prepared/charter.db");
    std::fs::create_dir(dir.path().join("prepared")).unwrap();
    charter(
        &prepare,
        &[
            "people", "add", "--first", "Ann", "--last", "Smith", "--roles", "staff",
        ],
    );
    let cfg = config(dir.path(), "charter.toml", "store/charter.db");
    let log = dir.path().join("serve.log");
    let mut serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(["serve", "--config"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let port = logged_address(&mut serve.0, &log, "Milter started.", "the milter").port();
    wait_for_log(&log, "Starting with an empty people register");
    // With the store down the milter knows no colleague: the message passes.
    assert!(!stranger_as_ann_is_held(port, dir.path()));
    // The store appears, whole, with Ann in it: the register is read and her name is in force.
    std::fs::rename(dir.path().join("prepared"), dir.path().join("store")).unwrap();
    wait_for_log(&log, "colleagues=1 addresses=0: People register read");
    assert!(
        stranger_as_ann_is_held(port, dir.path()),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
