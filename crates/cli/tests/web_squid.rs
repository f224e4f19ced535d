//! Real Squid 5 with Charter's external_acl helper, configured with exactly the block in
//! docs/squid.md, fetched through with curl.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod web_support;

use web_support::*;

/// Starts Squid with the documented external_acl block at `now` (local time).
fn squid_at(dir: &TempDir, now: &str, index: Option<&std::path::Path>) -> Squid {
    let (pack, built) = pack_and_index(dir);
    let index = index.map(std::path::Path::to_path_buf).unwrap_or(built);
    let block = localise(&doc_block("squid-external-acl"), dir, &pack, &index, now);
    let body = format!("{block}http_access allow localnet\nhttp_access deny all\n");
    Squid::start(dir, &body)
}

#[test]
fn gambling_at_ten_is_refused_with_our_page() {
    let dir = TempDir::new("squid-gambling");
    let squid = squid_at(&dir, TEN_AM, None);
    let (status, body) = curl(squid.port, "http://www.bet365.com/");
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("blocked by your organisation's IT policy"),
        "{body}"
    );
    assert!(body.contains("internet.prohibited-content"), "{body}");
    assert!(body.contains("Internet use / Prohibited use"), "{body}");
    assert!(body.contains("Gambling, pornography, terrorism"), "{body}");
    assert!(body.contains("ask the IT Department"), "{body}");
    // The fixed clock shows in Squid's cache.log, where the helpers' stderr goes.
    assert!(
        squid.cache_log_shows(
            "charter squid-helper: at=2026-06-15T09:00:00Z: Fixed clock in use; time windows will not move."
        ),
        "{}",
        squid.cache_log()
    );
    drop(squid);
    let log = std::fs::read_to_string(dir.path().join("logs/access.log")).unwrap_or_default();
    assert!(
        log.contains("TCP_DENIED/403") && log.contains("internet.prohibited-content gambling"),
        "access.log should carry the rule (%ea) and the category note:\n{log}"
    );
}

#[test]
fn social_media_allowed_in_the_lunch_break() {
    let origin = Origin::start();
    let dir = TempDir::new("squid-lunch");
    let squid = squid_at(&dir, LUNCH, None);
    let (status, body) = curl(
        squid.port,
        &format!("http://www.facebook.com:{}/", origin.port),
    );
    assert_eq!(status, 200, "{body}\n{}", squid.cache_log());
    assert_eq!(body, ORIGIN_BODY);
}

#[test]
fn social_media_refused_at_ten() {
    let origin = Origin::start();
    let dir = TempDir::new("squid-social");
    let squid = squid_at(&dir, TEN_AM, None);
    let (status, body) = curl(squid.port, &format!("http://facebook.com:{}/", origin.port));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("social.personal-use-in-breaks"), "{body}");
    assert!(body.contains("allowed only during break times"), "{body}");
}

#[test]
fn allowed_site_reaches_the_origin() {
    let origin = Origin::start();
    let dir = TempDir::new("squid-allowed");
    let squid = squid_at(&dir, TEN_AM, None);
    let (status, body) = curl(
        squid.port,
        &format!("http://allowed.test:{}/page", origin.port),
    );
    assert_eq!(status, 200, "{body}\n{}", squid.cache_log());
    assert_eq!(body, ORIGIN_BODY);
    // A news site (categorised, no rule) passes too.
    let (status, _) = curl(
        squid.port,
        &format!("http://www.bbc.co.uk:{}/", origin.port),
    );
    assert_eq!(status, 200);
}

#[test]
fn fails_closed_when_the_index_cannot_be_loaded() {
    // The documented default: the helper stays up and answers BH, and the documented
    // http_access line turns that into a refusal. Nothing reaches the origin.
    let origin = Origin::start();
    let dir = TempDir::new("squid-failclosed");
    let missing = dir.path().join("no-such-index.idx");
    let squid = squid_at(&dir, TEN_AM, Some(&missing));
    let (status, body) = curl(squid.port, &format!("http://allowed.test:{}/", origin.port));
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains(ORIGIN_BODY));
    assert!(body.contains("charter cannot decide"), "{body}");
}

#[test]
fn url_rewrite_redirects_gambling() {
    let origin = Origin::start();
    let dir = TempDir::new("squid-rewrite");
    let (pack, index) = pack_and_index(&dir);
    let block = localise(&doc_block("squid-url-rewrite"), &dir, &pack, &index, TEN_AM);
    let body = format!("{block}http_access allow localnet\nhttp_access deny all\n");
    let squid = Squid::start(&dir, &body);
    let curl = require("curl", "curl");
    let out = std::process::Command::new(curl)
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            "-x",
        ])
        .arg(format!("http://127.0.0.1:{}", squid.port))
        .arg("http://www.bet365.com/")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.starts_with("302 http://intranet.example/blocked?rule=internet.prohibited-content&url=http%3A%2F%2Fwww.bet365.com%2F"),
        "{text}\n{}",
        squid.cache_log()
    );
    let (status, body) = curl_fetch(squid.port, &format!("http://allowed.test:{}/", origin.port));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, ORIGIN_BODY);
}

#[test]
fn url_rewrite_fails_open_when_the_index_cannot_be_loaded() {
    // As docs/squid.md warns: Squid's url_rewrite interface passes a request unchanged when
    // the rewriter answers BH, so this integration fails open.
    let origin = Origin::start();
    let dir = TempDir::new("squid-rewrite-open");
    let (pack, _) = pack_and_index(&dir);
    let missing = dir.path().join("no-such-index.idx");
    let block = localise(
        &doc_block("squid-url-rewrite"),
        &dir,
        &pack,
        &missing,
        TEN_AM,
    );
    let body = format!("{block}http_access allow localnet\nhttp_access deny all\n");
    let squid = Squid::start(&dir, &body);
    let (status, body) = curl_fetch(
        squid.port,
        &format!("http://www.bet365.com:{}/", origin.port),
    );
    assert_eq!(status, 200, "{body}\n{}", squid.cache_log());
    assert_eq!(body, ORIGIN_BODY);
}

/// Runs the helper on one request line with `CHARTER_NOW` in its environment, as a stray
/// variable in Squid's or systemd's environment would be: (stdout, stderr).
fn helper_with_charter_now(dir: &TempDir, charter_now: &str, args: &[&str]) -> (String, String) {
    use std::io::Write as _;
    let (pack, index) = pack_and_index(dir);
    let mut child = std::process::Command::new(CHARTER)
        .arg("squid-helper")
        .arg("--policy")
        .arg(&pack)
        .arg("--categories")
        .arg(&index)
        .args(args)
        .env("CHARTER_NOW", charter_now)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"1 http://facebook.com/ - 127.0.0.1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn only_the_command_line_fixes_the_clock() {
    let dir = TempDir::new("squid-clock");
    // `--at` fixes it, and the helper says so at start.
    let (reply, log) = helper_with_charter_now(&dir, LUNCH, &["--at", TEN_AM]);
    assert!(reply.starts_with("1 ERR"), "{reply}");
    assert!(
        log.contains(
            "charter squid-helper: at=2026-06-15T09:00:00Z: Fixed clock in use; time windows will not move."
        ),
        "{log}"
    );
    // A stray CHARTER_NOW does nothing: the answer follows the system clock whatever it says
    // (social media is refused at ten and allowed at lunch), and no fixed clock is announced.
    let (at_ten, log) = helper_with_charter_now(&dir, TEN_AM, &[]);
    assert!(!log.contains("Fixed clock"), "{log}");
    let (at_lunch, _) = helper_with_charter_now(&dir, LUNCH, &[]);
    let verdict = |reply: &str| reply.split_whitespace().nth(1).map(str::to_string);
    assert!(verdict(&at_ten).is_some(), "{at_ten}");
    assert_eq!(
        verdict(&at_ten),
        verdict(&at_lunch),
        "{at_ten} / {at_lunch}"
    );
}

fn curl_fetch(port: u16, url: &str) -> (u16, String) {
    curl(port, url)
}
