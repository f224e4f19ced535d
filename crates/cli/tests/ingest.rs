//! `charter ingest` on each format, as an administrator runs it: the records land in the
//! store through the record path, unparseable lines are counted with their numbers, a restart
//! neither loses nor repeats a line, and `--follow` follows a file across rotation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod serve_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serve_support::{PgDb, assert_stored_once, subjects};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../proto/tests/fixtures/logs/{name}"))
}

struct Site {
    dir: tempfile::TempDir,
    cfg: PathBuf,
    url: String,
}

impl Site {
    fn sqlite() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("charter.db").display());
        Site::at(dir, url)
    }

    fn at(dir: tempfile::TempDir, url: String) -> Site {
        let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/demo.toml");
        let cfg = dir.path().join("charter.toml");
        std::fs::write(
            &cfg,
            format!(
                "policy = {:?}\n[store]\nurl = {url:?}\n",
                pack.display().to_string()
            ),
        )
        .unwrap();
        Site { dir, cfg, url }
    }

    fn ingest(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_charter"))
            .arg("ingest")
            .args(args)
            .arg("--config")
            .arg(&self.cfg)
            .output()
            .unwrap()
    }

    fn ingest_json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.ingest(&a);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `(subject, verdict, rule)` of every record, oldest first.
    fn records(&self) -> Vec<(String, String, Option<String>, Option<String>)> {
        use sqlx::Connection as _;
        let sql = "SELECT subject, verdict, rule, user_name FROM decisions ORDER BY at, id";
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                if self.url.starts_with("sqlite://") {
                    let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                    sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
                } else {
                    let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                    sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
                }
            })
    }

    /// `(subject, user, findings as JSON)` of every record, oldest first.
    fn findings(&self) -> Vec<(String, Option<String>, Option<String>)> {
        use sqlx::Connection as _;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query_as("SELECT subject, user_name, findings FROM decisions ORDER BY at, id")
                    .fetch_all(&mut c)
                    .await
                    .unwrap()
            })
    }
}

/// How many records there are, 0 while the store is not created yet.
fn count(site: &Site) -> i64 {
    use sqlx::Connection as _;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let Ok(mut c) = sqlx::SqliteConnection::connect(&site.url).await else {
                return 0;
            };
            sqlx::query_scalar("SELECT COUNT(*) FROM decisions")
                .fetch_one(&mut c)
                .await
                .unwrap_or(0)
        })
}

fn file_report(v: &serde_json::Value) -> &serde_json::Value {
    &v["files"][0]
}

#[test]
fn squid_lines_are_decided_like_the_gateways_and_bad_lines_are_counted() {
    let site = Site::sqlite();
    let log = site.path("access.log");
    let mut text = std::fs::read_to_string(fixture("squid-native.log")).unwrap();
    text.push_str("1796096500.000      5 10.0.0.5 TCP_MISS/200 900 GET http://www.bet365.com/ ann HIER_DIRECT/1.2.3.4 text/html\n");
    text.push_str("this is not an access.log line\n");
    std::fs::write(&log, text).unwrap();
    let v = site.ingest_json(&["squid", log.to_str().unwrap()]);
    let r = file_report(&v);
    assert_eq!(
        (
            r["lines"].as_u64(),
            r["records"].as_u64(),
            r["bad"].as_u64()
        ),
        (Some(9), Some(8), Some(1))
    );
    assert_eq!(r["bad_lines"][0]["line"], 9);
    let records = site.records();
    let bet = records
        .iter()
        .find(|r| r.0 == "http://www.bet365.com/")
        .unwrap();
    assert_eq!(
        (bet.1.as_str(), bet.2.as_deref(), bet.3.as_deref()),
        ("block", Some("internet.prohibited-content"), Some("ann"))
    );
    // Decided as the Squid helper decides: the request without a login is nobody's.
    let anon = records
        .iter()
        .find(|r| r.0 == "http://127.0.0.1:18080/index.html")
        .unwrap();
    assert_eq!(anon.3, None);
    // A second run finds nothing new.
    let v = site.ingest_json(&["squid", log.to_str().unwrap()]);
    assert_eq!(file_report(&v)["lines"], 0);
    assert_eq!(file_report(&v)["resumed"], "resumed");
    assert_eq!(site.records().len(), 8);
}

#[test]
fn syslog_sign_ins_are_decided_by_the_activity_rules() {
    let site = Site::sqlite();
    let sshd = fixture("sshd.log");
    let v = site.ingest_json(&[
        "syslog",
        sshd.to_str().unwrap(),
        fixture("openvpn.log").to_str().unwrap(),
    ]);
    assert_eq!(v["files"][0]["bad"], 0);
    assert_eq!(v["files"][0]["events"], 8);
    let records = site.records();
    let flagged: Vec<_> = records.iter().filter(|r| r.1 != "allow").collect();
    // ann's password and key sign-ins have one factor: the demo pack's remote-access rule;
    // bob's publickey+keyboard-interactive has two and passes; failures are recorded only.
    let ssh_one_factor: Vec<_> = flagged
        .iter()
        .filter(|r| r.0.starts_with("ssh sign-in succeeded with one factor"))
        .collect();
    assert_eq!(ssh_one_factor.len(), 2, "{flagged:?}");
    assert!(
        ssh_one_factor
            .iter()
            .all(|r| r.2.as_deref() == Some("remote.two-factor"))
    );
    let bob = records
        .iter()
        .find(|r| r.3.as_deref() == Some("bob"))
        .unwrap();
    assert_eq!(
        (bob.0.contains("with a second factor"), bob.1.as_str()),
        (true, "allow")
    );
    assert!(
        records
            .iter()
            .any(|r| r.0.starts_with("ssh sign-in failed") && r.3.as_deref() == Some("mallory"))
    );
    assert!(records.iter().any(|r| {
        r.0.starts_with("vpn sign-in succeeded with a second factor from 127.0.0.1")
    }));
}

#[test]
fn an_openvpn_password_alone_is_a_sign_in_without_a_second_factor() {
    let site = Site::sqlite();
    let v = site.ingest_json(&["syslog", fixture("openvpn-factors.log").to_str().unwrap()]);
    assert_eq!(
        (
            file_report(&v)["bad"].as_u64(),
            file_report(&v)["events"].as_u64()
        ),
        (Some(0), Some(7))
    );
    // Each successful sign-in's subject and whether `login_without_mfa` fired on it.
    let sign_ins: Vec<(String, Option<String>, bool)> = site
        .findings()
        .into_iter()
        .filter(|(subject, ..)| subject.starts_with("vpn sign-in succeeded"))
        .map(|(subject, user, findings)| {
            let fired = findings
                .unwrap_or_default()
                .contains("\"rule\":\"remote.two-factor\"");
            (subject, user, fired)
        })
        .collect();
    let of = |user: &str, how: &str| {
        sign_ins
            .iter()
            .find(|(s, u, _)| u.as_deref() == Some(user) && s.contains(how))
            .unwrap_or_else(|| panic!("no sign-in by {user} {how}: {sign_ins:?}"))
            .2
    };
    assert_eq!(sign_ins.len(), 3, "{sign_ins:?}");
    assert!(
        !of("ann", "with a second factor"),
        "certificate and password: {sign_ins:?}"
    );
    assert!(of("bob", "with one factor"), "password alone: {sign_ins:?}");
    assert!(
        of("ann", "with one factor"),
        "certificate alone: {sign_ins:?}"
    );
}

#[test]
fn usbguard_and_event_lines_reach_the_device_and_software_checks() {
    let site = Site::sqlite();
    let v = site.ingest_json(&[
        "usbguard",
        fixture("usbguard-audit.log").to_str().unwrap(),
        "--host",
        "laptop-7",
    ]);
    let r = file_report(&v);
    // The file's first line says it is hand-written: not an audit line.
    assert_eq!(
        (r["events"].as_u64(), r["bad"].as_u64()),
        (Some(5), Some(1))
    );
    let records = site.records();
    let stick = records
        .iter()
        .find(|r| {
            r.0.starts_with(
                "device blocked Cruzer Blade (0781:5567 serial 4C530001230528116033) on laptop-7",
            )
        })
        .unwrap();
    assert_eq!(
        stick.1, "hold",
        "not in the removable media register: {stick:?}"
    );
    let v = site.ingest_json(&["events", fixture("events.jsonl").to_str().unwrap()]);
    assert_eq!(
        (
            file_report(&v)["events"].as_u64(),
            file_report(&v)["bad"].as_u64()
        ),
        (Some(5), Some(1))
    );
    let steam = site
        .records()
        .into_iter()
        .find(|r| r.0.starts_with("software Steam"))
        .unwrap();
    assert_ne!(
        steam.1, "allow",
        "Steam is not on the approved list: {steam:?}"
    );
}

#[test]
fn an_unreadable_file_or_an_unknown_format_is_exit_2() {
    let site = Site::sqlite();
    let out = site.ingest(&["squid", "/nonexistent/access.log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `/nonexistent/access.log`"));
    let out = site.ingest(&["nginx", fixture("squid-native.log").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let help = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["ingest", "--help"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&help.stdout)
            .contains("charter ingest squid /var/log/squid/access.log")
    );
}

/// `n` native access.log lines, each with a URL of its own.
fn lines(from: usize, n: usize) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut urls = Vec::new();
    for i in from..from + n {
        let url = format!("http://example.org/page/{i}");
        text.push_str(&format!(
            "{}.000     12 10.0.0.{} TCP_MISS/200 {} GET {url} user{} HIER_DIRECT/93.184.216.34 text/html\n",
            1_796_000_000 + i,
            i % 200,
            1000 + i,
            i % 50
        ));
        urls.push(url);
    }
    (text, urls)
}

#[test]
fn a_killed_run_and_a_restart_neither_lose_nor_repeat_a_line() {
    let site = Site::sqlite();
    let log = site.path("big.log");
    let (text, urls) = lines(0, 300_000);
    std::fs::write(&log, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["ingest", "squid", log.to_str().unwrap(), "--config"])
        .arg(&site.cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some batches are committed and before it is done.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if count(&site) > 0 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait().unwrap();
    let first: i64 = subjects(&site.url).values().sum();
    assert!(first > 0, "nothing was stored before the kill");
    let v = site.ingest_json(&["squid", log.to_str().unwrap()]);
    assert_eq!(file_report(&v)["resumed"], "resumed");
    assert_stored_once(&site.url, &urls);
    assert_eq!(subjects(&site.url).len(), urls.len());
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn wait_for_count(site: &Site, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(site) < n as i64 {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} records arrived",
            count(site)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn follow_reads_across_rename_rotation_and_copytruncate() {
    let site = Site::sqlite();
    let log = site.path("access.log");
    let (a, mut urls) = lines(0, 100);
    append(&log, &a);
    let child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args([
            "ingest",
            "squid",
            log.to_str().unwrap(),
            "--follow",
            "--config",
        ])
        .arg(&site.cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_count(&site, 100);
    // Lines written just before a rename belong to the old file; then a new file.
    let (b, more) = lines(100, 50);
    urls.extend(more);
    append(&log, &b);
    std::fs::rename(&log, site.path("access.log.1")).unwrap();
    let (c, more) = lines(150, 50);
    urls.extend(more);
    append(&log, &c);
    wait_for_count(&site, 200);
    // copytruncate: the content copied away, the file emptied in place and written again.
    std::fs::copy(&log, site.path("access.log.2")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let (d, more) = lines(200, 30);
    urls.extend(more);
    append(&log, &d);
    wait_for_count(&site, 230);
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("resumed=rotated: File rotated"), "{stderr}");
    assert!(
        stderr.contains("resumed=truncated: File rotated"),
        "{stderr}"
    );
    assert_stored_once(&site.url, &urls);
}

#[test]
fn ingest_writes_to_postgresql_too() {
    let db = PgDb::new("ingest");
    let site = Site::at(tempfile::tempdir().unwrap(), db.url.clone());
    let log = site.path("access.log");
    let (text, urls) = lines(0, 25_000);
    std::fs::write(&log, text).unwrap();
    let v = site.ingest_json(&["squid", log.to_str().unwrap()]);
    assert_eq!(file_report(&v)["records"], 25_000);
    assert_stored_once(&site.url, &urls);
    let v = site.ingest_json(&["syslog", fixture("dovecot.log").to_str().unwrap()]);
    assert_eq!(file_report(&v)["events"], 6);
    let v = site.ingest_json(&["squid", log.to_str().unwrap()]);
    assert_eq!(
        file_report(&v)["lines"],
        0,
        "the position is kept in PostgreSQL too"
    );
}

#[test]
fn the_same_request_is_decided_again_across_a_window_edge() {
    // IIMTS: social media only in breaks (12:30-13:30 London). Monday 15 June 2026, BST.
    let site = Site::sqlite();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/iimts.toml");
    std::fs::write(
        &site.cfg,
        format!(
            "policy = {:?}\n[store]\nurl = {:?}\n",
            pack.display().to_string(),
            site.url
        ),
    )
    .unwrap();
    let log = site.path("access.log");
    let line = |at: &str| {
        let at = at.parse::<jiff::Timestamp>().unwrap().as_second();
        format!(
            "{at}.000 5 10.0.0.5 TCP_TUNNEL/200 900 CONNECT www.facebook.com:443 ann HIER_DIRECT/1.2.3.4 -\n"
        )
    };
    let text: String = [
        "2026-06-15T09:00:00Z",
        "2026-06-15T09:01:00Z",
        "2026-06-15T11:45:00Z",
        "2026-06-15T11:46:00Z",
        "2026-06-15T12:31:00Z",
    ]
    .iter()
    .map(|t| line(t))
    .collect();
    std::fs::write(&log, text).unwrap();
    site.ingest_json(&["squid", log.to_str().unwrap()]);
    let verdicts: Vec<String> = site.records().into_iter().map(|r| r.1).collect();
    assert_eq!(verdicts, ["warn", "warn", "allow", "allow", "warn"]);
}

#[test]
fn people_with_the_same_roles_share_a_decision_but_the_unidentified_do_not() {
    // The demo pack refuses requests from no known user (internet.unknown-users).
    let site = Site::sqlite();
    let log = site.path("access.log");
    let mut text = String::new();
    for (i, user) in ["ann", "-", "bob", "-", "ann"].iter().enumerate() {
        text.push_str(&format!(
            "{}.000 5 10.0.0.5 TCP_TUNNEL/200 900 CONNECT www.example.org:443 {user} HIER_DIRECT/1.2.3.4 -\n",
            1_796_000_000 + i
        ));
    }
    std::fs::write(&log, text).unwrap();
    site.ingest_json(&["squid", log.to_str().unwrap()]);
    let got: Vec<(String, Option<String>)> =
        site.records().into_iter().map(|r| (r.1, r.2)).collect();
    let unknown = (
        "block".to_string(),
        Some("internet.unknown-users".to_string()),
    );
    let known = ("allow".to_string(), None);
    assert_eq!(
        got,
        [
            known.clone(),
            unknown.clone(),
            known.clone(),
            unknown,
            known
        ]
    );
}

/// `(user, rule, routes)` of every alert.
fn alerts(site: &Site) -> Vec<(String, String, String)> {
    use sqlx::Connection as _;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut c = sqlx::SqliteConnection::connect(&site.url).await.unwrap();
            sqlx::query_as("SELECT user_name, rule, routes FROM alerts ORDER BY id")
                .fetch_all(&mut c)
                .await
                .unwrap()
        })
}

#[test]
fn ingested_records_raise_their_rules_alerts_as_the_gateways_do() {
    let site = Site::sqlite();
    let log = site.path("access.log");
    // Two requests in one hour: one alert (de-duplicated per person, rule and hour).
    std::fs::write(
        &log,
        "1796096500.000      5 10.0.0.5 TCP_MISS/200 900 GET http://www.bet365.com/ ann HIER_DIRECT/1.2.3.4 text/html\n\
         1796096560.000      5 10.0.0.5 TCP_MISS/200 900 GET http://www.bet365.com/casino ann HIER_DIRECT/1.2.3.4 text/html\n\
         1796096600.000      5 10.0.0.6 TCP_MISS/200 900 GET http://www.bbc.co.uk/ bob HIER_DIRECT/1.2.3.4 text/html\n",
    )
    .unwrap();
    // Measuring only: nothing is written, so nothing is raised.
    site.ingest_json(&["squid", log.to_str().unwrap(), "--decide-only"]);
    site.ingest_json(&["squid", log.to_str().unwrap()]);
    assert_eq!(
        alerts(&site),
        [(
            "ann".to_string(),
            "internet.prohibited-content".to_string(),
            "safeguarding".to_string()
        )]
    );
}
