//! Identity and records from the Squid helper (`--config`): real Squid with exactly the
//! documented block, curl through it from 127.0.0.1 without proxy authentication. With a
//! device or DHCP lease mapping 127.0.0.1 to a person the request is decided for that person
//! (a role exception applies); without, `unknown_user` fires. Every decision reaches the
//! store; a helper killed with SIGKILL loses nothing it had answered, and its successor
//! writes nothing twice.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod serve_support;
mod web_support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serve_support::{
    Icap, PgDb, Serve, assert_stored_once, charter_ok, hold_write_lock, records_of, subjects,
};
use web_support::*;

/// Gambling always refused; social media outside the breaks refused except for marketing;
/// nobody unidentified may use the internet.
const IDENTITY_PACK: &str = r#"
[policy]
id = "web-identity"
title = "Test Ltd IT Policy"
source = "TEST-IT-1"
timezone = "Europe/London"

[organisation]
name = "Test Ltd"
contact = "the IT Department"
roles = ["staff", "marketing", "hr", "dpo", "compliance", "safeguarding_lead"]

[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]

[[rule]]
id = "internet.prohibited-content"
clause = "Internet use / Prohibited use"
quote = "Gambling, pornography, terrorism and other inappropriate content."
on = "web"
categories = ["gambling"]
action = "block"
severity = "gross_misconduct"
alert = ["safeguarding"]

[[rule]]
id = "social.personal-use-in-breaks"
clause = "Social media / Use (b)"
quote = "Any use for non-work purposes is allowed only during break times."
on = "web"
categories = ["social_media"]
outside = "personal_use"
except_roles = ["marketing"]
action = "block"
severity = "concern"

[[rule]]
id = "internet.unknown-users"
clause = "Internet use / Authorised users"
quote = "Only authorised users may use the internet connection."
on = "web"
checks = ["unknown_user"]
action = "block"
severity = "concern"
"#;

/// How a test maps 127.0.0.1 to Ann (a marketing person), if at all.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mapping {
    /// Her laptop's MAC address is in the register; a dnsmasq lease gives it 127.0.0.1.
    Lease,
    /// Her laptop has 127.0.0.1 as its fixed address in the register.
    FixedIp,
    /// Nothing maps 127.0.0.1.
    None,
}

struct Site {
    dir: TempDir,
    cfg: PathBuf,
    pack: PathBuf,
    index: PathBuf,
    url: String,
}

/// A site: the pack, an index, a store at `store` (`None`: SQLite in the directory), Ann in
/// the register with a `login` account and a laptop, mapped as `mapping` says; everything
/// handed to Squid's `proxy` user, which the helpers run as.
fn site(tag: &str, mapping: Mapping, store: Option<&str>) -> Site {
    let dir = TempDir::new(tag);
    let (_, index) = pack_and_index(&dir);
    let pack = dir.write("policy.toml", IDENTITY_PACK);
    let url = store.map_or_else(
        || format!("sqlite://{}", dir.path().join("charter.db").display()),
        str::to_string,
    );
    let leases = dir.write(
        "dnsmasq.leases",
        if mapping == Mapping::Lease {
            "0 52:54:00:ab:cd:ef 127.0.0.1 ann-laptop *\n"
        } else {
            ""
        },
    );
    let cfg = dir.write(
        "helper.toml",
        &format!(
            "policy = {:?}\n[store]\nurl = {url:?}\n[spool]\ndir = {:?}\ndrain_seconds = 20\n[identity]\nleases = [{:?}]\n",
            pack.display().to_string(),
            dir.path().join("spool").display().to_string(),
            leases.display().to_string(),
        ),
    );
    charter_ok(
        &cfg,
        &[
            "people",
            "add",
            "--first",
            "Ann",
            "--last",
            "Lee",
            "--roles",
            "marketing",
        ],
    );
    charter_ok(
        &cfg,
        &[
            "accounts", "add", "Ann Lee", "--system", "login", "--name", "ann",
        ],
    );
    charter_ok(
        &cfg,
        &[
            "devices",
            "add",
            "--serial",
            "SN-1",
            "--kind",
            "laptop",
            "--assignee",
            "Ann Lee",
        ],
    );
    match mapping {
        Mapping::Lease => {
            let shown = charter_ok(
                &cfg,
                &["devices", "network", "1", "--mac", "52-54-00-AB-CD-EF"],
            );
            assert!(shown.contains("mac=52:54:00:ab:cd:ef"), "{shown}");
        }
        Mapping::FixedIp => {
            let shown = charter_ok(&cfg, &["devices", "network", "1", "--ip", "127.0.0.1"]);
            assert!(shown.contains("ip=127.0.0.1"), "{shown}");
        }
        Mapping::None => {}
    }
    // Safeguarding gets alerts; compliance reads records (`charter records list --by`).
    charter_ok(
        &cfg,
        &[
            "people",
            "add",
            "--first",
            "Sam",
            "--last",
            "Safe",
            "--roles",
            "safeguarding_lead",
        ],
    );
    charter_ok(
        &cfg,
        &[
            "people",
            "add",
            "--first",
            "Cora",
            "--last",
            "Sec",
            "--roles",
            "compliance",
        ],
    );
    let _ = Command::new("chown")
        .args(["-R", "proxy:proxy"])
        .arg(dir.path())
        .status();
    Site {
        dir,
        cfg,
        pack,
        index,
        url,
    }
}

/// Squid with the documented `--config` block, its clock at `at`.
fn squid(site: &Site, at: &str) -> Squid {
    let block = localise(
        &doc_block("squid-external-acl-config"),
        &site.dir,
        &site.pack,
        &site.index,
        at,
    )
    .replace("/etc/charter/helper.toml", &site.cfg.display().to_string());
    Squid::start(
        &site.dir,
        &format!("{block}http_access allow localnet\nhttp_access deny all\n"),
    )
}

/// Waits (at most 30 s) until `subject` has a record in the store.
fn wait_for_record(url: &str, subject: &str) -> Vec<(Option<String>, String, Option<String>)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = records_of(url, subject);
        if !rows.is_empty() || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn decided_for_ann_through(mapping: Mapping, tag: &str) {
    let origin = Origin::start();
    let site = site(tag, mapping, None);
    let squid = squid(&site, TEN_AM);
    // Social media at ten: refused for everyone but marketing, and Ann is in marketing.
    let social = format!("http://www.facebook.com:{}/ann", origin.port);
    let (status, body) = curl(squid.port, &social);
    assert_eq!(status, 200, "{body}\n{}", squid.cache_log());
    assert_eq!(body, ORIGIN_BODY);
    let gambling = "http://www.bet365.com/ann";
    let (status, body) = curl(squid.port, gambling);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("internet.prohibited-content"), "{body}");
    assert!(!body.contains("internet.unknown-users"), "{body}");
    let social_rows = wait_for_record(&site.url, &social);
    let gambling_rows = wait_for_record(&site.url, gambling);
    assert_eq!(
        social_rows,
        [(Some("ann".to_string()), "allow".to_string(), None)],
        "{}",
        squid.cache_log()
    );
    assert_eq!(
        gambling_rows,
        [(
            Some("ann".to_string()),
            "block".to_string(),
            Some("internet.prohibited-content".to_string())
        )]
    );
    // Readable with the records command, for a reason.
    let listed = charter_ok(
        &site.cfg,
        &[
            "records",
            "list",
            "--person",
            "Ann Lee",
            "--reason",
            "identity test",
            "--by",
            "Cora Sec",
            "--json",
        ],
    );
    assert!(listed.contains("www.bet365.com/ann"), "{listed}");
}

#[test]
fn a_current_lease_of_a_registered_device_decides_for_its_person() {
    decided_for_ann_through(Mapping::Lease, "identity-lease");
}

#[test]
fn a_fixed_address_of_a_registered_device_decides_for_its_person() {
    decided_for_ann_through(Mapping::FixedIp, "identity-fixed");
}

#[test]
fn without_a_login_or_a_mapping_unknown_user_fires_and_is_recorded() {
    let origin = Origin::start();
    let site = site("identity-unknown", Mapping::None, None);
    let squid = squid(&site, TEN_AM);
    let url = format!("http://allowed.test:{}/anyone", origin.port);
    let (status, body) = curl(squid.port, &url);
    assert_eq!(status, 403, "{body}\n{}", squid.cache_log());
    assert!(body.contains("internet.unknown-users"), "{body}");
    assert!(body.contains("Only authorised users"), "{body}");
    assert_eq!(
        wait_for_record(&site.url, &url),
        [(
            None,
            "block".to_string(),
            Some("internet.unknown-users".to_string())
        )],
        "{}",
        squid.cache_log()
    );
}

#[test]
fn icap_maps_x_client_ip_through_a_lease_to_its_person() {
    let site = site("identity-icap", Mapping::Lease, None);
    let mut cfg = std::fs::read_to_string(&site.cfg).unwrap();
    cfg.push_str("[icap]\nlisten = \"127.0.0.1:0\"\n");
    std::fs::write(&site.cfg, cfg).unwrap();
    let serve = Serve::start(&site.cfg);
    let mut icap = Icap::connect(serve.port);
    // Social media at ten, from Ann's laptop: the marketing exception applies.
    let social = "http://www.facebook.com/icap";
    let (status, _) = icap.reqmod_with(social.as_bytes(), "X-Client-IP: 127.0.0.1\r\n");
    assert_eq!(status, 204, "{}", serve.log());
    // From an address nobody's device has: an unknown user.
    let stranger = "http://allowed.test/icap";
    let (status, page) = icap.reqmod_with(stranger.as_bytes(), "X-Client-IP: 10.9.9.9\r\n");
    assert_eq!((status, page.as_str()), (200, "HTTP/1.1 403 Forbidden"));
    let (code, log) = serve.terminate();
    assert!(code.success(), "{log}");
    assert_eq!(
        records_of(&site.url, social),
        [(Some("ann".to_string()), "allow".to_string(), None)]
    );
    assert_eq!(
        records_of(&site.url, stranger),
        [(
            None,
            "block".to_string(),
            Some("internet.unknown-users".to_string())
        )]
    );
}

/// A helper started as Squid starts it, fed lines directly so the test knows exactly what
/// it has answered.
struct Helper {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Helper {
    fn start(site: &Site) -> Helper {
        let mut child = Command::new(CHARTER)
            .args(["squid-helper", "--at", TEN_AM, "--policy"])
            .arg(&site.pack)
            .arg("--categories")
            .arg(&site.index)
            .arg("--config")
            .arg(&site.cfg)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Helper {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one request and reads its answer.
    fn ask(&mut self, channel: usize, url: &str) -> String {
        writeln!(self.stdin, "{channel} {url} - 127.0.0.1").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line
    }
}

fn nothing_answered_is_lost_when_a_helper_is_killed(url: Option<&str>, tag: &str) {
    let site = site(tag, Mapping::Lease, url);
    // The store takes nothing while the first helper runs: what it answered is only in its
    // spool slot when it is killed.
    let release = hold_write_lock(&site.url);
    let mut helper = Helper::start(&site);
    let mut answered = Vec::new();
    for i in 0..400 {
        let url = format!("http://www.bet365.com/kill/{i}");
        let answer = helper.ask(i, &url);
        assert!(answer.starts_with(&format!("{i} ERR")), "{answer}");
        answered.push(url);
    }
    // Killed mid-stream: the last answers went out a moment ago.
    helper.child.kill().unwrap();
    helper.child.wait().unwrap();
    // (On PostgreSQL a query now would queue behind the lock the killed helper's session
    // still waits for, until the lock is released.)
    if site.url.starts_with("sqlite://") {
        assert!(subjects(&site.url).is_empty(), "the store was locked");
    }
    release.send(()).unwrap();
    // Squid starts a new helper; it claims the same slot, writes what is left, and on EOF
    // waits for the store.
    let mut next = Helper::start(&site);
    let after = "http://www.bet365.com/after-restart";
    assert!(next.ask(0, after).starts_with("0 ERR"));
    drop(next.stdin);
    let status = next.child.wait().unwrap();
    assert!(status.success(), "{status}");
    answered.push(after.to_string());
    assert_stored_once(&site.url, &answered);
    assert_eq!(
        subjects(&site.url).len(),
        answered.len(),
        "only what was asked is stored"
    );
}

#[test]
fn the_helpers_records_raise_alerts_as_serves_do() {
    let site = site("identity-alerts", Mapping::Lease, None);
    let mut helper = Helper::start(&site);
    assert!(
        helper
            .ask(0, "http://www.bet365.com/alert")
            .starts_with("0 ERR")
    );
    drop(helper.stdin);
    assert!(helper.child.wait().unwrap().success());
    let alerts = charter_ok(&site.cfg, &["alerts", "list", "--by", "Sam Safe", "--json"]);
    assert!(alerts.contains("internet.prohibited-content"), "{alerts}");
    assert!(alerts.contains("safeguarding"), "{alerts}");
}

#[test]
fn a_helper_killed_mid_stream_loses_nothing_it_answered_sqlite() {
    nothing_answered_is_lost_when_a_helper_is_killed(None, "identity-kill");
}

#[test]
fn a_helper_killed_mid_stream_loses_nothing_it_answered_postgres() {
    let db = PgDb::new("helper_kill");
    nothing_answered_is_lost_when_a_helper_is_killed(Some(&db.url), "identity-kill-pg");
}
