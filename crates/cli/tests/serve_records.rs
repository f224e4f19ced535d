//! `charter serve` keeps what its gateways decide: an ICAP decision becomes a monitoring
//! record in the configured store, readable (and audited) with `charter records list`.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn reqmod(port: u16, url: &str, user: &str) -> String {
    let http = format!("GET {url} HTTP/1.1\r\nHost: x\r\n\r\n");
    let request = format!(
        "REQMOD icap://127.0.0.1:{port}/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\nX-Client-Username: {user}\r\nAllow: 204\r\nConnection: close\r\nEncapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
        http.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    // Read up to the end of the encapsulated body's last chunk; the server keeps the
    // connection open for the next request.
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    while !reply.ends_with(b"0\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&reply).into_owned()
}

fn charter_ok(cfg: &Path, args: &[&str]) {
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

fn records(cfg: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["records", "list", "--json", "--config"])
        .arg(cfg)
        .output()
        .unwrap();
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
    let port = free_port();
    let cfg = dir.path().join("charter.toml");
    std::fs::write(
        &cfg,
        format!(
            "policy = {:?}\n[store]\nurl = \"sqlite://charter.db\"\n[icap]\nlisten = \"127.0.0.1:{port}\"\n",
            pack.display().to_string()
        ),
    )
    .unwrap();
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
    let serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(["serve", "--at", "2026-06-15T10:00:00+01:00", "--config"])
            .arg(&cfg)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "charter serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    assert!(reqmod(port, "http://www.bet365.com/", "ann").contains("403 Forbidden"));
    reqmod(port, "http://www.facebook.com/", "ann");
    reqmod(port, "http://www.facebook.com/", "ben");

    // The writer commits in the background; wait for the records to land (newest first).
    let list = loop {
        let list = records(&cfg);
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
