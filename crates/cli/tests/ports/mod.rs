//! Loopback ports for the servers the end-to-end tests start, without the race of handing a
//! closed listener's port to a child: servers that bind port 0 report their address in their
//! log; the others (Squid, Postfix, ICAP) are retried on a fresh port when theirs was taken.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]
#![allow(
    clippy::unwrap_used,
    reason = "test support: a failed setup step fails the test that called it"
)]

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// How many fresh ports a server is tried on before the test gives up.
const PORT_ATTEMPTS: usize = 5;

/// What became of a server started on a port chosen for it.
pub enum Bind<T> {
    /// It says it listens.
    Listening(T),
    /// Another process took the port between choosing and binding it.
    PortTaken,
}

/// Starts a server that must be told its port (Squid refuses port 0): `start` gets a loopback
/// port that was free a moment ago, and when another process took it in between, a fresh one,
/// a few times. Only the server's own log line counts as listening, so a test never talks to
/// whoever took the port.
pub fn on_a_free_port<T>(what: &str, mut start: impl FnMut(u16) -> Bind<T>) -> T {
    for _ in 0..PORT_ATTEMPTS {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if let Bind::Listening(server) = start(port) {
            return server;
        }
    }
    panic!("{what}: {PORT_ATTEMPTS} free ports in a row were taken before it could bind one");
}

/// Waits until `child` writes a line containing `ready` to `log`: `PortTaken` when it exits
/// having failed to bind ("Address already in use"); any other exit, or 30 s without the
/// line, fails the test with the log.
pub fn await_listening(child: &mut Child, log: &Path, ready: &str, what: &str) -> Bind<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.lines().any(|l| l.contains(ready)) {
            return Bind::Listening(());
        }
        if let Some(status) = child.try_wait().unwrap() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if text.contains("Address already in use") {
                return Bind::PortTaken;
            }
            panic!("{what} exited ({status}) before listening:\n{text}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not log `{ready}` within 30 s:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A loopback port that refuses connections for as long as the socket lives: bound, never
/// listening, so no other process can take it.
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// The address a server that bound port 0 reports in its log, on the first line containing
/// `started` and `listen=ADDR: ` (as `charter serve` logs each gateway). Fails the test with
/// the log when the server exits first or says nothing for 30 s.
pub fn logged_address(child: &mut Child, log: &Path, started: &str, what: &str) -> SocketAddr {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(started)) {
            let addr = line
                .split_once("listen=")
                .and_then(|(_, rest)| rest.split_once(": "))
                .and_then(|(addr, _)| addr.split_whitespace().next()?.parse().ok());
            return addr.unwrap_or_else(|| panic!("{what}: no listen=ADDR in `{line}`"));
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{what} exited ({status}) before listening:\n{text}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not log `{started}` within 30 s:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
