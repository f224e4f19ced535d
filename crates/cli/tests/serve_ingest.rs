//! `serve` with `[ingest]`: sign-in lines sent over syslog UDP and TCP (octet counting) and a
//! followed access.log all reach the store as records, decided.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

mod serve_support;

use std::io::Write as _;
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use serve_support::Serve;

fn fixture_lines(name: &str) -> Vec<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../proto/tests/fixtures/logs/{name}"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `(subject, verdict, user)` of every record.
fn records(url: &str) -> Vec<(String, String, Option<String>)> {
    use sqlx::Connection as _;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let Ok(mut c) = sqlx::SqliteConnection::connect(url).await else {
                return Vec::new();
            };
            sqlx::query_as("SELECT subject, verdict, user_name FROM decisions ORDER BY id")
                .fetch_all(&mut c)
                .await
                .unwrap_or_default()
        })
}

fn port_of(log: &str, proto: &str) -> u16 {
    log.lines()
        .filter(|l| l.contains("Syslog listener started"))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("listen={proto}:127.0.0.1:")))
        })
        .and_then(|p| p.trim_end_matches(':').parse().ok())
        .unwrap_or_else(|| panic!("no {proto} port in:\n{log}"))
}

#[test]
fn syslog_over_udp_and_tcp_and_a_followed_file_become_records() {
    let dir = tempfile::tempdir().unwrap();
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/demo.toml");
    let url = format!("sqlite://{}", dir.path().join("charter.db").display());
    let access = dir.path().join("access.log");
    std::fs::write(&access, "").unwrap();
    let cfg = dir.path().join("charter.toml");
    std::fs::write(
        &cfg,
        format!(
            "policy = {:?}\n[store]\nurl = {url:?}\n[icap]\nlisten = \"127.0.0.1:0\"\n\
             [ingest.syslog]\nudp = \"127.0.0.1:0\"\ntcp = \"127.0.0.1:0\"\nmax_message_bytes = 2048\n\
             [[ingest.files]]\npath = \"access.log\"\nformat = \"squid\"\n",
            pack.display().to_string()
        ),
    )
    .unwrap();
    let serve = Serve::start(&cfg);
    assert!(
        serve.wait_for_log("listen=tcp:", Duration::from_secs(30)),
        "{}",
        serve.log()
    );
    let log = serve.log();
    let (udp, tcp) = (port_of(&log, "udp"), port_of(&log, "tcp"));

    // sshd's lines as datagrams, as rsyslog forwards them (`*.* @host:port`).
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for line in fixture_lines("sshd.log") {
        socket
            .send_to(format!("<38>{line}").as_bytes(), ("127.0.0.1", udp))
            .unwrap();
    }
    // One datagram over the limit is refused, not fatal.
    socket.send_to(&[b'x'; 4000], ("127.0.0.1", udp)).unwrap();
    // Dovecot's as RFC 5424 over TCP with octet counting (`@@host:port`, RFC 6587).
    let mut stream = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
    for line in fixture_lines("all-5424.log")
        .iter()
        .filter(|l| l.contains(" dovecot "))
    {
        stream
            .write_all(format!("{} {line}", line.len()).as_bytes())
            .unwrap();
    }
    stream.flush().unwrap();
    // And a line appended to the followed access.log.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&access)
        .unwrap();
    f.write_all(b"1796096500.000      5 10.0.0.5 TCP_MISS/200 900 GET http://www.bet365.com/ ann HIER_DIRECT/1.2.3.4 text/html\n")
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let found = loop {
        let r = records(&url);
        let ssh = r.iter().filter(|r| r.0.starts_with("ssh sign-in")).count();
        let mail = r.iter().filter(|r| r.0.starts_with("mail sign-in")).count();
        let web = r
            .iter()
            .any(|r| r.0 == "http://www.bet365.com/" && r.1 == "block");
        if (ssh >= 5 && mail >= 4 && web) || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (status, log) = serve.terminate();
    assert!(status.success(), "{log}");
    let ssh: Vec<_> = found
        .iter()
        .filter(|r| r.0.starts_with("ssh sign-in"))
        .collect();
    assert_eq!(ssh.len(), 5, "{found:?}\n{log}");
    // ann's one-factor sign-ins meet the demo pack's two-factor rule; bob's two factors pass.
    assert!(
        ssh.iter()
            .any(|r| r.2.as_deref() == Some("ann") && r.1 == "block"),
        "{ssh:?}"
    );
    assert!(
        ssh.iter().any(|r| r.2.as_deref() == Some("bob")
            && r.1 == "allow"
            && r.0.contains("second factor"))
    );
    assert_eq!(
        found
            .iter()
            .filter(|r| r.0.starts_with("mail sign-in"))
            .count(),
        4,
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|r| r.0 == "http://www.bet365.com/" && r.1 == "block"),
        "{found:?}"
    );
    assert!(log.contains("Syslog message refused"), "{log}");
}
