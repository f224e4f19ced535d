//! Charter's ICAP REQMOD service: with real Squid 5 (the block in docs/squid.md), with
//! c-icap-client as a second real client, and with raw sockets for bad input and limits.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed setup step fails the test"
)]

mod web_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use web_support::icap::Serve;
use web_support::*;

fn squid_with_icap(dir: &TempDir, icap_port: u16) -> Squid {
    let block =
        doc_block("squid-icap").replace("127.0.0.1:1344", &format!("127.0.0.1:{icap_port}"));
    let body = format!("{block}http_access allow localnet\nhttp_access deny all\n");
    Squid::start(dir, &body)
}

/// c-icap-client against the REQMOD service.
fn c_icap_client(port: u16, args: &[&str]) -> String {
    web_support::icap::c_icap_client(port, "reqmod", args)
}

#[test]
fn squid_icap_gambling_at_ten_is_refused_with_our_page() {
    let dir = TempDir::new("icap-gambling");
    let serve = Serve::start(&dir, TEN_AM, "");
    let squid = squid_with_icap(&dir, serve.port);
    let (status, body) = curl(squid.port, "http://www.bet365.com/");
    assert_eq!(status, 403, "{body}\n{}", squid.cache_log());
    assert!(
        body.contains("<code>internet.prohibited-content</code>"),
        "{body}"
    );
    assert!(body.contains("Internet use / Prohibited use"), "{body}");
    assert!(body.contains("Gambling, pornography, terrorism"), "{body}");
    assert!(body.contains("ask the IT Department"), "{body}");
}

#[test]
fn squid_icap_social_media_follows_the_lunch_break() {
    let origin = Origin::start();
    let url = format!("http://www.facebook.com:{}/", origin.port);
    let dir = TempDir::new("icap-social-ten");
    let serve = Serve::start(&dir, TEN_AM, "");
    let squid = squid_with_icap(&dir, serve.port);
    let (status, body) = curl(squid.port, &url);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("social.personal-use-in-breaks"), "{body}");
    drop((squid, serve));

    let dir = TempDir::new("icap-social-lunch");
    let serve = Serve::start(&dir, LUNCH, "");
    let squid = squid_with_icap(&dir, serve.port);
    let (status, body) = curl(squid.port, &url);
    assert_eq!(status, 200, "{body}\n{}", squid.cache_log());
    assert_eq!(body, ORIGIN_BODY);
}

#[test]
fn squid_icap_allowed_site_reaches_the_origin() {
    let origin = Origin::start();
    let dir = TempDir::new("icap-allowed");
    let serve = Serve::start(&dir, TEN_AM, "");
    let squid = squid_with_icap(&dir, serve.port);
    let (status, body) = curl(
        squid.port,
        &format!("http://allowed.test:{}/x", origin.port),
    );
    assert_eq!(status, 200, "{body}\n{}", squid.cache_log());
    assert_eq!(body, ORIGIN_BODY);
}

#[test]
fn squid_icap_fails_closed_when_charter_is_down() {
    // The documented default is bypass=off: with nothing listening on the ICAP port,
    // Squid refuses the request and nothing reaches the origin.
    let origin = Origin::start();
    let dir = TempDir::new("icap-down");
    let (_closed, port) = refusing_port();
    let squid = squid_with_icap(&dir, port);
    let (status, body) = curl(squid.port, &format!("http://allowed.test:{}/", origin.port));
    assert_ne!(status, 200, "{body}");
    assert!(status >= 500, "status {status}: {body}");
    assert!(!body.contains(ORIGIN_BODY));
}

#[test]
fn c_icap_client_options() {
    let dir = TempDir::new("icap-options");
    let serve = Serve::start(&dir, TEN_AM, "");
    let out = c_icap_client(serve.port, &[]);
    let text = out;
    assert!(text.contains("Methods: REQMOD"), "{text}");
    assert!(text.contains("Preview: 0"), "{text}");
    assert!(text.contains("Allow: 204"), "{text}");
    assert!(text.contains("ISTag: \"C"), "{text}");
}

#[test]
fn c_icap_client_block_and_allow() {
    let dir = TempDir::new("icap-client");
    let serve = Serve::start(&dir, TEN_AM, "");
    let out = c_icap_client(serve.port, &["-req", "http://www.bet365.com/"]);
    let text = out;
    assert!(text.contains("HTTP/1.1 403 Forbidden"), "{text}");
    assert!(
        text.contains("<code>internet.prohibited-content</code>"),
        "{text}"
    );
    let out = c_icap_client(serve.port, &["-req", "http://allowed.test/"]);
    let text = out;
    assert!(text.contains("ICAP/1.0 204 No Content"), "{text}");
    // Without 204 and preview, the request comes back unchanged.
    let out = c_icap_client(
        serve.port,
        &["-req", "http://allowed.test/", "-no204", "-nopreview"],
    );
    let text = out;
    assert!(text.contains("ICAP/1.0 200 OK"), "{text}");
    assert!(text.contains("GET http://allowed.test/"), "{text}");
}

/// Everything the server sends until it closes the connection. Fails the test when it
/// keeps the connection open for 20 s: every caller expects the server to hang up.
fn read_until_closed(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            // Closed with our bytes unread: the kernel resets instead of a clean close.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the server did not close the connection within 20 s ({e}); it sent {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

#[test]
fn garbage_gets_400_and_the_connection_is_closed() {
    let dir = TempDir::new("icap-garbage");
    let serve = Serve::start(&dir, TEN_AM, "");
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n",
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=zz\r\n\r\n",
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body=10\r\n\r\nGET / HTTP\r\nXYZZY\r\nhello\r\n",
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
        stream.write_all(garbage).unwrap();
        let reply = read_until_closed(&mut stream);
        assert!(reply.starts_with("ICAP/1.0 400 Bad Request\r\n"), "{reply:?}");
    }
    // The server is still there.
    let out = c_icap_client(serve.port, &["-req", "http://allowed.test/"]);
    assert!(out.contains("204"), "{out}");
}

#[test]
fn connections_are_bounded() {
    let dir = TempDir::new("icap-bounded");
    let serve = Serve::start(&dir, TEN_AM, "max_connections = 2\n");
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(("127.0.0.1", serve.port)).unwrap())
        .collect();
    // Let the server accept the two before the third arrives.
    let mut probe = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    probe
        .write_all(b"OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\n\r\n")
        .unwrap();
    let reply = read_until_closed(&mut probe);
    assert!(
        reply.starts_with("ICAP/1.0 503 Service Unavailable\r\n"),
        "{reply:?}"
    );
    drop(held);
    // Once they are gone, new connections are served again (eventually: the server
    // notices the closes asynchronously).
    let mut served = false;
    for _ in 0..100 {
        let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
        stream
            .write_all(b"OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nConnection: close\r\n\r\n")
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf).unwrap_or(0);
        if buf[..n].starts_with(b"ICAP/1.0 200 OK") {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(served);
}

#[test]
fn a_slow_client_is_disconnected() {
    let dir = TempDir::new("icap-slow");
    let serve = Serve::start(&dir, TEN_AM, "timeout_secs = 1\n");
    let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    stream
        .write_all(b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x")
        .unwrap();
    // No timing is asserted beyond read_until_closed's 20 s: only that the server gives up on
    // its own and closes, silently or with `408 Request Timeout`, never deciding the half
    // request.
    let reply = read_until_closed(&mut stream);
    assert!(
        reply.is_empty() || reply.starts_with("ICAP/1.0 408 Request Timeout\r\n"),
        "{reply:?}"
    );
}

#[test]
fn check_url_helper_and_icap_agree() {
    // One engine: the CLI, the helper and ICAP give the same verdict for the same URL,
    // user and time.
    let dir = TempDir::new("icap-agree");
    let serve = Serve::start(&dir, TEN_AM, "");
    let pack = dir.path().join("policy.toml");
    let index = dir.path().join("categories.idx");
    for (url, blocked) in [
        ("http://www.bet365.com/", true),
        ("http://facebook.com/", true),
        ("http://www.bbc.co.uk/", false),
        ("http://allowed.test/", false),
    ] {
        let check = Command::new(CHARTER)
            .args(["check", "url", url, "--json", "--at", TEN_AM, "--policy"])
            .arg(&pack)
            .arg("--categories")
            .arg(&index)
            .output()
            .unwrap();
        let json = String::from_utf8_lossy(&check.stdout);
        assert_eq!(
            json.contains("\"verdict\": \"block\""),
            blocked,
            "check url {url}: {json}"
        );
        let helper = helper_reply(&pack, &index, url);
        assert_eq!(
            helper.starts_with("1 ERR"),
            blocked,
            "helper {url}: {helper}"
        );
        let icap = c_icap_client(serve.port, &["-req", url]);
        assert_eq!(
            icap.contains("403 Forbidden"),
            blocked,
            "icap {url}: {icap}"
        );
    }
}

fn helper_reply(pack: &Path, index: &Path, url: &str) -> String {
    let mut child = Command::new(CHARTER)
        .args(["squid-helper", "--at", TEN_AM, "--policy"])
        .arg(pack)
        .arg("--categories")
        .arg(index)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("1 {url} - 127.0.0.1\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}
