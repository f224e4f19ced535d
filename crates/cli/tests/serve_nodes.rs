//! More than one node (issue 11 item 6): two `charter serve` processes, each with its own spool,
//! share one PostgreSQL; each takes ICAP traffic while following (`[ingest]`) a Squid
//! access.log of its own; node A reads a VPN sign-in from a followed syslog file, node B
//! receives one through its syslog listener. Every record arrives exactly once,
//! the monthly partitions both nodes need at once are made once (nothing lands in the default
//! partition), and sessions opened on one node are seen by the other.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod serve_support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use serve_support::*;

/// How many lines each node's access.log has, spread over five months none of which has a
/// partition yet.
const LINES: usize = 5_000;

fn charter_ok(cfg: &Path, args: &[&str]) -> Output {
    let out = charter(cfg, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A native Squid access.log for `node`: one request a line, each URL its own, January to
/// May 2026.
fn access_log(dir: &Path, node: &str) -> (PathBuf, Vec<String>) {
    let mut text = String::new();
    let mut urls = Vec::with_capacity(LINES);
    let january = 1_767_225_600_i64; // 2026-01-01T00:00:00Z
    for i in 0..LINES {
        let at = january + (i as i64 % 5) * 31 * 86_400 + i as i64;
        let url = format!("http://example.org/{node}/file/{i}");
        writeln!(
            text,
            "{at}.123    120 10.0.0.7 TCP_MISS/200 1234 GET {url} user{} HIER_DIRECT/93.184.216.34 text/html",
            i % 7
        )
        .unwrap();
        urls.push(url);
    }
    let path = dir.join(format!("access-{node}.log"));
    std::fs::write(&path, text).unwrap();
    (path, urls)
}

/// OpenVPN sign-ins through rsyslog: `pat` from a different address on each node, at the
/// same hour.
fn vpn_log(dir: &Path, node: &str, ip: &str) -> PathBuf {
    let path = dir.join(format!("vpn-{node}.log"));
    std::fs::write(
        &path,
        format!("Jun 15 10:00:00 vpn-{node} openvpn[1989]: {ip}:37347 [pat] Peer Connection Initiated with [AF_INET]{ip}:37347\n"),
    )
    .unwrap();
    path
}

fn pg_count(url: &str, sql: &str) -> i64 {
    use sqlx::Connection as _;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
                .fetch_one(&mut c)
                .await
                .unwrap();
            n
        })
}

/// Waits (up to two minutes) until `sql` counts `n`.
fn wait_for(url: &str, sql: &str, n: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let got = pg_count(url, sql);
        if got >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{sql}: {got}, waiting for {n}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn two_serves_sharing_one_postgres_lose_and_duplicate_nothing() {
    let db = PgDb::new("nodes");
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/iimts.toml");
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cfg_a = config(a_dir.path(), &db.url, Some(&pack));
    let cfg_b = config(b_dir.path(), &db.url, Some(&pack));
    // Pat, whose VPN account both nodes see.
    charter_ok(
        &cfg_a,
        &[
            "people", "add", "--first", "Pat", "--last", "Jones", "--roles", "staff",
        ],
    );
    charter_ok(
        &cfg_a,
        &[
            "accounts",
            "add",
            "Pat Jones",
            "--system",
            "vpn",
            "--name",
            "pat",
        ],
    );
    let (log_a, urls_a) = access_log(a_dir.path(), "a");
    let (log_b, urls_b) = access_log(b_dir.path(), "b");
    let vpn_a = vpn_log(a_dir.path(), "a", "203.0.113.9");
    let vpn_b = vpn_log(b_dir.path(), "b", "198.51.100.4");

    // Each node follows its own access.log; node A a syslog file too, node B listens for
    // syslog over UDP.
    for (cfg, access, extra) in [
        (
            &cfg_a,
            &log_a,
            format!(
                "[[ingest.files]]\npath = {:?}\nformat = \"syslog\"\n",
                vpn_a.display().to_string()
            ),
        ),
        (
            &cfg_b,
            &log_b,
            "[ingest.syslog]\nudp = \"127.0.0.1:0\"\n".to_string(),
        ),
    ] {
        let mut text = std::fs::read_to_string(cfg).unwrap();
        write!(
            text,
            "[[ingest.files]]\npath = {:?}\nformat = \"squid\"\n{extra}",
            access.display().to_string()
        )
        .unwrap();
        std::fs::write(cfg, text).unwrap();
    }
    let vpn_b_line = std::fs::read_to_string(&vpn_b).unwrap();

    let serve_a = Serve::start(&cfg_a);
    let serve_b = Serve::start(&cfg_b);
    let (port_a, port_b) = (serve_a.port, serve_b.port);
    // Everything at once: ICAP on both nodes while both follow their access.logs.
    let icap_a = std::thread::spawn(move || load(port_a, 2, 1500, "icap-a"));
    let icap_b = std::thread::spawn(move || load(port_b, 2, 1500, "icap-b"));
    let sent_a = icap_a.join().unwrap();
    let sent_b = icap_b.join().unwrap();
    let vpn_count = "SELECT COUNT(*) FROM decisions WHERE subject LIKE 'vpn sign-in%'";
    wait_for(&db.url, vpn_count, 1);
    // Node B's sign-in arrives as rsyslog forwards it (`*.* @host:port`), once A's is stored.
    assert!(
        serve_b.wait_for_log("listen=udp:", std::time::Duration::from_secs(30)),
        "{}",
        serve_b.log()
    );
    let udp = serve_b
        .log()
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("listen=udp:127.0.0.1:"))
        })
        .and_then(|p| p.trim_end_matches(':').parse::<u16>().ok())
        .unwrap();
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(
            format!("<38>{}", vpn_b_line.trim_end()).as_bytes(),
            ("127.0.0.1", udp),
        )
        .unwrap();
    wait_for(&db.url, vpn_count, 2);
    wait_for(
        &db.url,
        "SELECT COUNT(*) FROM decisions",
        (6_000 + 2 * LINES + 2) as i64,
    );
    for serve in [serve_a, serve_b] {
        let (status, log) = serve.terminate();
        assert!(status.success(), "serve exited with {status}:\n{log}");
    }

    let mut sent: Vec<String> = sent_a.into_iter().chain(sent_b).map(|(u, _)| u).collect();
    assert_eq!(sent.len(), 6_000);
    sent.extend(urls_a);
    sent.extend(urls_b);
    assert_stored_once(&db.url, &sent);
    let vpn = pg_count(
        &db.url,
        "SELECT COUNT(*) FROM decisions WHERE subject LIKE 'vpn sign-in%'",
    );
    assert_eq!(vpn, 2);
    assert_eq!(
        pg_count(&db.url, "SELECT COUNT(*) FROM decisions") as usize,
        sent.len() + 2
    );
    // Both ingests needed January to May at the same moment: each month got its partition
    // once, and no record fell into the default partition.
    assert_eq!(
        pg_count(&db.url, "SELECT COUNT(*) FROM decisions_default"),
        0
    );
    assert_eq!(
        pg_count(
            &db.url,
            "SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'decisions_y2026m0%' AND relkind = 'r' AND relname <= 'decisions_y2026m05'"
        ),
        5
    );
    // The session node A opened (from its followed file) is what node B's sign-in from
    // elsewhere (through its listener) ran into.
    let shared = pg_count(
        &db.url,
        "SELECT COUNT(*) FROM decisions WHERE subject LIKE 'vpn sign-in%198.51.100.4%' AND findings LIKE '%concurrent_sessions%'",
    );
    assert_eq!(shared, 1, "node B did not see node A's open session");
    eprintln!(
        "two nodes: {} records, each once; partitions made once; sessions shared",
        sent.len() + 2
    );
}
