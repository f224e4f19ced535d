//! No monitoring record lost: real `charter serve` processes take ICAP decisions through the
//! spool into the store while the store is locked (saturated), down at start, and while
//! serve is stopped with SIGTERM or killed with SIGKILL; bad records cost only themselves.
//! Each scenario runs on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod serve_support;

use std::collections::HashSet;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serve_support::*;

/// The load tests run one at a time: each measures what one `serve` does under its own load,
/// and on a small machine two of them at once would starve each other's writer threads.
static UNDER_LOAD: Mutex<()> = Mutex::new(());

fn one_load_at_a_time() -> MutexGuard<'static, ()> {
    UNDER_LOAD
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("charter.db").display())
}

fn engine(url: &str) -> &'static str {
    if url.starts_with("sqlite://") {
        "sqlite"
    } else {
        "postgres"
    }
}

fn urls(answered: &[(String, Instant)]) -> Vec<String> {
    answered.iter().map(|(u, _)| u.clone()).collect()
}

// --- SIGTERM right after a burst -------------------------------------------------------------

fn sigterm_after_a_burst(url: &str, dir: &Path) {
    let _alone = one_load_at_a_time();
    let cfg = config(dir, url, None);
    let serve = Serve::start(&cfg);
    let sent = load(serve.port, 4, 2500, "burst");
    assert_eq!(sent.len(), 10_000);
    let (status, log) = serve.terminate();
    assert!(status.success(), "serve exited with {status}:\n{log}");
    assert!(log.contains("Spool written to the store"), "{log}");
    // Straight after the exit, with no restart: every decision of the burst is stored.
    assert_stored_once(url, &urls(&sent));
    assert_eq!(subjects(url).len(), sent.len());
    let s = stats(&cfg);
    assert_eq!(
        (&s["received"], &s["stored"], &s["dropped"], &s["waiting"]),
        (&10_000.into(), &10_000.into(), &0.into(), &0.into()),
        "{s}"
    );
    assert_eq!(s["running"], false);
    eprintln!(
        "sigterm ({}): sent {} stored {}",
        engine(url),
        sent.len(),
        subjects(url).len()
    );
}

#[test]
fn sigterm_after_a_burst_stores_every_record_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigterm_after_a_burst(&sqlite_url(dir.path()), dir.path());
}

#[test]
fn sigterm_after_a_burst_stores_every_record_postgres() {
    let db = PgDb::new("sigterm");
    let dir = tempfile::tempdir().unwrap();
    sigterm_after_a_burst(&db.url, dir.path());
}

// --- SIGKILL under load ----------------------------------------------------------------------

fn sigkill_under_load(url: &str, dir: &Path) {
    let _alone = one_load_at_a_time();
    let cfg = config(dir, url, None);
    let serve = Serve::start(&cfg);
    let port = serve.port;
    let loader = std::thread::spawn(move || load(port, 4, usize::MAX, "kill"));
    // Kill it mid-way: once the store has taken some of the load, with more on the way.
    let deadline = Instant::now() + Duration::from_secs(60);
    while stats(&cfg)["stored"].as_u64().unwrap_or(0) < 2000 {
        assert!(Instant::now() < deadline, "nothing stored under load");
        std::thread::sleep(Duration::from_millis(100));
    }
    let killed_at = serve.kill();
    let answered = loader.join().unwrap();
    let due: Vec<String> = answered
        .iter()
        .filter(|(_, at)| *at + Duration::from_millis(100) <= killed_at)
        .map(|(u, _)| u.clone())
        .collect();
    let stored_at_kill = subjects(url).len();
    let text = String::from_utf8(charter(&cfg, &["records", "stats"]).stdout).unwrap();
    assert!(text.contains("ended without saying so"), "{text}");
    assert!(
        stored_at_kill < answered.len(),
        "the kill came after the store had everything: the test proves nothing"
    );
    // The restart replays the spool from the store's mark.
    let serve = Serve::start(&cfg);
    wait_until_drained(&cfg);
    let (status, log) = serve.terminate();
    assert!(status.success(), "{log}");
    assert_stored_once(url, &due);
    let stored = subjects(url);
    let sent: HashSet<String> = urls(&answered).into_iter().collect();
    let lost = sent.iter().filter(|u| !stored.contains_key(*u)).count();
    // Anything else stored was decided but not yet answered when the kill came.
    assert!(
        stored
            .keys()
            .all(|u| u.starts_with("http://example.org/kill/"))
    );
    eprintln!(
        "sigkill ({}): answered {} (of them {} more than 100 ms before the kill), stored before the kill {}, stored after the restart {}, answered but lost {lost}",
        engine(url),
        answered.len(),
        due.len(),
        stored_at_kill,
        stored.len()
    );
}

#[test]
fn sigkill_under_load_loses_nothing_answered_100ms_before_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigkill_under_load(&sqlite_url(dir.path()), dir.path());
}

#[test]
fn sigkill_under_load_loses_nothing_answered_100ms_before_postgres() {
    let db = PgDb::new("sigkill");
    let dir = tempfile::tempdir().unwrap();
    sigkill_under_load(&db.url, dir.path());
}

// --- A saturated store -----------------------------------------------------------------------

fn saturated_store(url: &str, dir: &Path) {
    let _alone = one_load_at_a_time();
    let cfg = config(dir, url, None);
    let serve = Serve::start(&cfg);
    let release = hold_write_lock(url);
    let sent = load(serve.port, 4, 5000, "saturated");
    assert_eq!(sent.len(), 20_000, "a request went unanswered");
    // Every decision waits in the spool; the store has none of them.
    let s = wait_for_stat(&cfg, "spooled", 20_000);
    assert_eq!(
        (&s["spooled"], &s["dropped"]),
        (&20_000.into(), &0.into()),
        "{s}"
    );
    assert_eq!(
        (&s["waiting"], &s["stored"]),
        (&20_000.into(), &0.into()),
        "{s}"
    );
    assert!(s["bytes"].as_u64().unwrap() > 1_000_000, "{s}");
    release.send(()).unwrap();
    let s = wait_until_drained(&cfg);
    assert_eq!(
        (&s["stored"], &s["dropped"]),
        (&20_000.into(), &0.into()),
        "{s}"
    );
    assert_stored_once(url, &urls(&sent));
    let (status, log) = serve.terminate();
    assert!(status.success(), "{log}");
    eprintln!(
        "saturation ({}): sent {} stored {}",
        engine(url),
        sent.len(),
        subjects(url).len()
    );
}

#[test]
fn a_saturated_store_grows_the_spool_and_drops_nothing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    saturated_store(&sqlite_url(dir.path()), dir.path());
}

#[test]
fn a_saturated_store_grows_the_spool_and_drops_nothing_postgres() {
    let db = PgDb::new("saturated");
    let dir = tempfile::tempdir().unwrap();
    saturated_store(&db.url, dir.path());
}

// --- The store down at start -----------------------------------------------------------------

/// A TCP port that refuses PostgreSQL (accepts and hangs up) until `up` is set, then
/// forwards to the real server: the store down, then back.
fn flaky_postgres() -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let up = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&up);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if !flag.load(Ordering::Acquire) {
                drop(client);
                continue;
            }
            let Ok(server) = TcpStream::connect(("127.0.0.1", 5432)) else {
                continue;
            };
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    (port, up)
}

#[test]
fn serve_starts_with_postgres_down_and_catches_up_with_roles_from_the_register() {
    let db = PgDb::new("down");
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/breaks.toml");
    // Ben manages social media: the register, in the store, gives his login that role.
    let direct = tempfile::tempdir().unwrap();
    let cfg = config(direct.path(), &db.url, Some(&pack));
    for args in [
        &[
            "people",
            "add",
            "--first",
            "Ben",
            "--last",
            "Jones",
            "--roles",
            "social_media_manager",
        ][..],
        &["accounts", "add", "1", "--system", "login", "--name", "ben"][..],
    ] {
        let out = charter(&cfg, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (port, up) = flaky_postgres();
    let through_proxy = db
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"));
    assert_ne!(
        through_proxy, db.url,
        "CHARTER_TEST_PG must be on 127.0.0.1:5432"
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &through_proxy, Some(&pack));
    let serve = Serve::start(&cfg);
    assert!(serve.log().contains("Store unreachable"), "{}", serve.log());
    assert!(
        serve
            .log()
            .contains("Starting with an empty people register"),
        "{}",
        serve.log()
    );
    // Deciding goes on: without the register Ben has no role, so social media warns him.
    let mut icap = Icap::connect(serve.port);
    icap.reqmod(b"http://www.facebook.com/before", "ben");
    let sent = load(serve.port, 2, 500, "down");
    assert_eq!(sent.len(), 1000);
    let s = wait_for_stat(&cfg, "waiting", 1001);
    assert_eq!(
        (&s["store"]["up"], &s["waiting"]),
        (&false.into(), &1001.into()),
        "{s}"
    );
    up.store(true, Ordering::Release);
    wait_until_drained(&cfg);
    assert_stored_once(&db.url, &urls(&sent));
    assert_eq!(
        verdicts(&db.url, "http://www.facebook.com/before"),
        ["warn"]
    );
    // The register is read once the store is reachable: Ben's role is in force.
    assert!(
        serve.wait_for_log("People register read", Duration::from_secs(30)),
        "{}",
        serve.log()
    );
    icap.reqmod(b"http://www.facebook.com/after", "ben");
    let (status, log) = serve.terminate();
    assert!(status.success(), "{log}");
    assert_eq!(
        verdicts(&db.url, "http://www.facebook.com/after"),
        ["allow"]
    );
}

#[test]
fn serve_starts_with_the_sqlite_directory_missing_and_catches_up_when_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let later = dir.path().join("later");
    let url = format!("sqlite://{}", later.join("charter.db").display());
    let cfg = config(dir.path(), &url, None);
    let serve = Serve::start(&cfg);
    assert!(serve.log().contains("Store unreachable"), "{}", serve.log());
    let sent = load(serve.port, 2, 500, "missing");
    assert_eq!(wait_for_stat(&cfg, "waiting", 1000)["waiting"], 1000);
    std::fs::create_dir(&later).unwrap();
    wait_until_drained(&cfg);
    assert_stored_once(&url, &urls(&sent));
    let (status, log) = serve.terminate();
    assert!(status.success(), "{log}");
    assert!(log.contains("Store reachable"), "{log}");
}

// --- Bad records ------------------------------------------------------------------------------

fn bad_records_cost_only_themselves(url: &str, dir: &Path) {
    let _alone = one_load_at_a_time();
    let cfg = config(dir, url, None);
    let serve = Serve::start(&cfg);
    let mut icap = Icap::connect(serve.port);
    let mut sent = Vec::new();
    for i in 0..3000 {
        let url = match i {
            1000 => format!("http://example.org/long/{}", "a".repeat(20_000)),
            2000 => "http://example.org/nul/\0/here".to_string(),
            _ => format!("http://example.org/bad/{i}"),
        };
        assert_eq!(icap.reqmod(url.as_bytes(), "ann").0, 204);
        sent.push(url);
    }
    assert_eq!(icap.reqmod(b"http://example.org/user", "ann\0x").0, 204);
    let (status, log) = serve.terminate();
    assert!(status.success(), "{log}");
    let stored = subjects(url);
    assert_eq!(stored.len(), 3001, "a bad record cost others");
    let fine: Vec<String> = sent
        .iter()
        .filter(|u| u.starts_with("http://example.org/bad/"))
        .cloned()
        .collect();
    assert_stored_once(url, &fine);
    assert!(stored.contains_key("http://example.org/nul/\u{FFFD}/here"));
    let long = stored.keys().find(|u| u.contains("/long/")).unwrap();
    assert_eq!(long.chars().count(), charter_store::MAX_SUBJECT);
    let s = stats(&cfg);
    assert_eq!(
        (&s["cleaned"], &s["set_aside"], &s["stored"]),
        (&3.into(), &0.into(), &3001.into()),
        "{s}"
    );
    assert!(log.contains("cleaned="), "{log}");
}

#[test]
fn a_nul_or_over_long_request_costs_no_other_record_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    bad_records_cost_only_themselves(&sqlite_url(dir.path()), dir.path());
}

#[test]
fn a_nul_or_over_long_request_costs_no_other_record_postgres() {
    let db = PgDb::new("bad");
    let dir = tempfile::tempdir().unwrap();
    bad_records_cost_only_themselves(&db.url, dir.path());
}

// --- records stats, the spool's files, exposure ------------------------------------------------

#[test]
fn records_stats_shows_the_counters_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let cfg = config(dir.path(), &url, None);
    let out = charter(&cfg, &["records", "stats"]);
    assert_eq!(out.status.code(), Some(2), "no spool yet is an error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no spool at"));
    let serve = Serve::start(&cfg);
    let sent = load(serve.port, 1, 250, "stats");
    let (status, _) = serve.terminate();
    assert!(status.success());
    let text = String::from_utf8(charter(&cfg, &["records", "stats"]).stdout).unwrap();
    for line in [
        "waiting    0 records not yet in the store",
        "received   250 decisions from the gateways",
        "spooled    250",
        "dropped    0",
        "stored     250",
        "set aside  0",
        "serve      stopped",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    let json = stats(&cfg);
    assert_eq!(json["stored"], sent.len());
    assert_eq!(
        json["spool"],
        dir.path().join("spool").display().to_string()
    );
    assert!(json["acked"]["segment"].as_u64().is_some(), "{json}");
}

#[test]
fn the_spool_is_private_and_one_serve_at_a_time_uses_it() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let cfg = config(dir.path(), &url, None);
    let serve = Serve::start(&cfg);
    load(serve.port, 1, 10, "private");
    let second = charter(&cfg, &["serve"]);
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("is in use by another process"));
    let (status, _) = serve.terminate();
    assert!(status.success());
    let spool = dir.path().join("spool");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&spool), 0o700);
    for entry in std::fs::read_dir(&spool).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    for file in ["charter.db", "charter.db-wal", "charter.db-shm"] {
        let path = dir.path().join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}
