//! `charter serve` serves the dashboard on the `[server]` listener beside the warn and hold
//! pages: a login made with `charter users add` signs in with its password and a TOTP code
//! computed here, and reads `/api/me` as its person.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod ports;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use ports::{Bind, await_listening, on_a_free_port};

const CHARTER: &str = env!("CARGO_BIN_EXE_charter");

const PACK: &str = r#"
[policy]
id = "dash"
title = "Dashboard pack"
source = "tests"
timezone = "Europe/London"
[organisation]
name = "Acme Ltd"
domains = ["acme.test"]
roles = ["staff", "hr", "compliance"]
[governance]
register_roles = ["hr"]
compliance_roles = ["compliance"]
data_protection_roles = ["compliance"]
"#;

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn charter(cfg: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(CHARTER)
        .args(args)
        .arg("--config")
        .arg(cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One HTTP/1.1 exchange on loopback; `(status, head, body)`.
fn http(port: u16, request: &str) -> (u16, String, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

fn cookie(head: &str) -> String {
    let line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    line.split_once(':')
        .unwrap()
        .1
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn post(port: u16, path: &str, cookie: Option<&str>, form: &str) -> (u16, String, String) {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    http(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nOrigin: http://127.0.0.1:{port}\r\n{cookie}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )
}

fn get(port: u16, path: &str, cookie: &str) -> (u16, String, String) {
    http(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n"
        ),
    )
}

#[test]
fn serve_signs_a_cli_made_login_in_on_the_pages_listener() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pack.toml"), PACK).unwrap();
    let log_path = dir.path().join("serve.log");
    let mut cfg = PathBuf::new();
    let (_serve, port) = on_a_free_port("charter serve", |port| {
        cfg = dir.path().join("charter.toml");
        std::fs::write(
            &cfg,
            format!(
                "policy = \"pack.toml\"\n[store]\nurl = \"sqlite://charter.db\"\n[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n"
            ),
        )
        .unwrap();
        let mut child = Command::new(CHARTER)
            .args(["serve", "--config"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap();
        match await_listening(
            &mut child,
            &log_path,
            "Warn and hold pages started.",
            "serve",
        ) {
            Bind::Listening(()) => Bind::Listening((Serve(child), port)),
            Bind::PortTaken => Bind::PortTaken,
        }
    });
    charter(
        &cfg,
        &[
            "people",
            "add",
            "--first",
            "Cat",
            "--last",
            "Test",
            "--roles",
            "staff,compliance",
        ],
        "",
    );
    let made: serde_json::Value = serde_json::from_str(&charter(
        &cfg,
        &[
            "users",
            "add",
            "Cat Test",
            "--login",
            "cat",
            "--password-stdin",
            "--json",
        ],
        "correct horse battery\n",
    ))
    .unwrap();
    let secret = made["totp_secret"].as_str().unwrap();

    let (status, head, _) = post(
        port,
        "/login",
        None,
        "login=cat&password=correct+horse+battery",
    );
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("location: /login/code"), "{head}");
    let pending = cookie(&head);
    let (_, _, form) = get(port, "/login/code", &pending);
    let marker = "name=\"csrf\" value=\"";
    let start = form.find(marker).unwrap() + marker.len();
    let csrf = form[start..].split('"').next().unwrap();
    let code = charter_app::users::totp_code(secret, jiff::Timestamp::now()).unwrap();
    let (status, head, _) = post(
        port,
        "/login/code",
        Some(&pending),
        &format!("csrf={csrf}&code={code}"),
    );
    assert_eq!(status, 303, "{head}");
    let (status, _, me) = get(port, "/api/me", &cookie(&head));
    assert_eq!(status, 200, "{me}");
    let me: serde_json::Value = serde_json::from_str(&me).unwrap();
    assert_eq!(me["login"], "cat");
    assert_eq!(me["name"], "Cat Test");
}
