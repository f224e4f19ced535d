//! `charter serve` serves the dashboard on the `[server]` listener beside the warn and hold
//! pages: a login made with `charter users add` signs in with its password and a TOTP code
//! computed here, and reads `/api/me` as its person.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_site;
mod ports;

use std::io::{Read as _, Write as _};

use dashboard_site::DashboardSite;

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
    let site = DashboardSite::start(PACK);
    let port = site.port;
    site.person("Cat", "Test", "staff,compliance");
    let secret = site.user("Cat Test", "cat");

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
    let code = charter_app::users::totp_code(&secret, jiff::Timestamp::now()).unwrap();
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
