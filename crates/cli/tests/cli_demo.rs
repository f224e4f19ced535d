//! `charter demo --once` (a day decided and stored) and `charter demo` (the dashboard over a
//! month of generated activity), end to end in a fresh directory.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected output"
)]

use std::process::Command;

#[test]
fn demo_once_decides_the_day_and_keeps_records_in_sqlite() {
    let dir = std::env::temp_dir().join(format!("charter-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(["demo", "--once"])
            .current_dir(&dir)
            .output()
            .expect("charter demo runs")
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with `{needle}` in:\n{text}"))
            .to_string()
    };
    assert!(line("https://www.bet365.com/").contains("block   https://www.bet365.com/"));
    assert!(
        line("12:45  ann.smith").contains("allow"),
        "facebook in the lunch break"
    );
    assert!(
        line("14:20  dev.patel").contains("warn"),
        "instagram at 14:20"
    );
    assert!(line("invoice with an executable").contains("executable_attachment"));
    assert!(line("personal message").contains("[personal: headers only]"));
    assert!(line("Stored 24 monitoring records").contains("(24 in all)"));
    assert!(dir.join("charter-demo.db").exists());

    // A second run adds to the same store and the chain still verifies.
    let again = run();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("(48 in all); the audit chain (2 rows) is intact")
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// One HTTP/1.1 exchange with the demo; `(status, head, body)`.
fn http(addr: &str, request: &str) -> (u16, String, String) {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

fn cookie(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: charter_session=")
                .then(|| l["set-cookie: charter_session=".len()..].to_string())
        })
        .and_then(|v| v.split(';').next().map(str::to_string))
        .unwrap()
}

fn post(addr: &str, path: &str, cookie: Option<&str>, form: &str) -> (u16, String, String) {
    let cookie = cookie.map_or(String::new(), |c| {
        format!("Cookie: charter_session={c}\r\n")
    });
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nOrigin: http://{addr}\r\n{cookie}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )
}

fn get(addr: &str, path: &str, cookie: &str) -> (u16, String, String) {
    http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: charter_session={cookie}\r\n\r\n"
        ),
    )
}

/// The demo running: its address and the `secretary` login's password and secret.
struct Running {
    child: std::process::Child,
    addr: String,
    password: String,
    secret: String,
    said: String,
}

fn start_demo(dir: &std::path::Path) -> Running {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["demo", "--listen", "127.0.0.1:0", "--store"])
        .arg(format!("sqlite://{}", dir.join("demo.db").display()))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("charter demo starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = String::new();
    let mut addr = None;
    let mut secretary = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if let Some(url) = line.strip_prefix("Charter's dashboard: http://") {
            addr = Some(url.trim_end_matches('/').to_string());
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first() == Some(&"secretary") {
            secretary = Some((fields[1].to_string(), fields[2].to_string()));
        }
        if line.starts_with("Ctrl-C stops it") {
            break;
        }
    }
    let (password, secret) = secretary.unwrap_or_else(|| panic!("no secretary login in:\n{said}"));
    Running {
        child,
        addr: addr.unwrap_or_else(|| panic!("no address in:\n{said}")),
        password,
        secret,
        said,
    }
}

/// Signs in as `secretary` with the code of `ahead` seconds from now (a code is good for
/// one step either side, and each only once); the session cookie.
fn sign_in(demo: &Running, ahead: i64) -> String {
    let (status, head, body) = post(
        &demo.addr,
        "/login",
        None,
        &format!("login=secretary&password={}", demo.password),
    );
    assert_eq!(status, 303, "{body}");
    let pending = cookie(&head);
    let (_, _, form) = get(&demo.addr, "/login/code", &pending);
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(ahead);
    let code = charter_app::users::totp_code(&demo.secret, at).unwrap();
    let (status, head, body) = post(
        &demo.addr,
        "/login/code",
        Some(&pending),
        &format!("csrf={csrf}&code={code}"),
    );
    assert_eq!(status, 303, "{body}");
    cookie(&head)
}

#[test]
fn demo_serves_the_dashboard_over_a_month_of_activity_and_reuses_its_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = start_demo(dir.path());
    assert!(demo.said.contains("Filling"), "{}", demo.said);
    for role in ["hr", "it", "safeguarding", "manager", "auditor", "staff"] {
        assert!(
            demo.said
                .lines()
                .any(|l| l.starts_with(&format!("{role} "))),
            "no `{role}` login in:\n{}",
            demo.said
        );
    }
    let session = sign_in(&demo, 0);
    let (status, _, overview) = get(&demo.addr, "/api/overview", &session);
    assert_eq!(status, 200, "{overview}");
    let overview: serde_json::Value = serde_json::from_str(&overview).unwrap();
    assert_eq!(overview["breaches"].as_array().unwrap().len(), 1);
    assert_eq!(overview["subject_requests"].as_array().unwrap().len(), 1);
    assert!(
        !overview["acknowledgements_due"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (_, _, alerts) = get(&demo.addr, "/api/registers/alerts", &session);
    let alerts: serde_json::Value = serde_json::from_str(&alerts).unwrap();
    assert!(alerts.as_array().unwrap().len() > 5, "{alerts}");
    let (status, _, page) = get(&demo.addr, "/registers/leavers", &session);
    assert_eq!(status, 200);
    assert!(page.contains("Tara Lewis"), "{page}");
    let (status, _, lint) = get(&demo.addr, "/api/policy/lint", &session);
    assert_eq!(status, 200, "{lint}");
    assert!(!lint.contains("unreadable"), "{lint}");
    demo.child.kill().unwrap();
    demo.child.wait().unwrap();

    // A second run reuses the store and the logins.
    let mut again = start_demo(dir.path());
    assert!(again.said.contains("Reusing"), "{}", again.said);
    assert_eq!(again.password, demo.password);
    sign_in(&again, 30);
    again.child.kill().unwrap();
    again.child.wait().unwrap();
}
