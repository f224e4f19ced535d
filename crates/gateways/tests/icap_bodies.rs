//! Bodies read after `100 Continue`, over real sockets: an upload held up to the scan limit and
//! the rest relayed unread, a response counted while relayed and cut off past its limit, and
//! the limits on a body (a silent client, an oversized chunk). Each once where it fires and
//! once where it must not.

#![allow(clippy::unwrap_used, reason = "test")]

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use charter_engine::Engine;
use charter_engine::web::Builtin;
use charter_gateways::icap::IcapConfig;
use charter_gateways::web::{Clock, Roles};

use support::{read_icap_head, read_to_close, serve_runtime};

const PACK: &str = r#"
[policy]
id = "bodies"
title = "T"
source = "T"
[organisation]
name = "T Ltd"
[[rule]]
id = "ai.uploads"
clause = "1"
quote = "No personal data into public AI."
on = "web"
categories = ["public_ai"]
checks = ["sensitive_upload"]
action = "block"
severity = "misconduct"
[[rule]]
id = "downloads"
clause = "2"
quote = "No large downloads."
on = "web"
checks = ["large_download"]
max_download_mb = 1
action = "block"
severity = "concern"
"#;

fn icap(extra: &str) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = serve_runtime();
    let addr = runtime.block_on(async {
        let config: IcapConfig =
            toml::from_str(&format!("listen = \"127.0.0.1:0\"\n{extra}")).unwrap();
        let engine = Arc::new(Engine::new(charter_policy::parse(PACK, "b.toml").unwrap()));
        let server = Arc::new(
            config
                .build(
                    engine,
                    Arc::new(Builtin::new()),
                    Clock::Fixed("2026-06-15T10:00:00Z".parse().unwrap()),
                    Roles::default(),
                )
                .unwrap(),
        );
        let listener = server.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server.serve(listener));
        addr
    });
    (runtime, addr)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// The preview (heads only) of a JSON POST to a public AI tool.
fn upload_preview(length: usize) -> Vec<u8> {
    let http = format!(
        "POST https://chat.openai.com/backend-api/conversation HTTP/1.1\r\nHost: chat.openai.com\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    format!(
        "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nPreview: 0\r\nEncapsulated: req-hdr=0, req-body={}\r\n\r\n{http}0\r\n\r\n",
        http.len()
    )
    .into_bytes()
}

/// The preview (heads only) of a response without a length.
fn chunked_response_preview() -> Vec<u8> {
    let request = "GET http://files.example/x HTTP/1.1\r\nHost: files.example\r\n\r\n";
    let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    format!(
        "RESPMOD icap://127.0.0.1/respmod ICAP/1.0\r\nHost: x\r\nPreview: 0\r\nEncapsulated: req-hdr=0, res-hdr={}, res-body={}\r\n\r\n{request}{response}0\r\n\r\n",
        request.len(),
        request.len() + response.len()
    )
    .into_bytes()
}

#[test]
fn an_upload_with_personal_data_within_the_limit_is_refused() {
    let (_rt, addr) = icap("");
    let mut s = connect(addr);
    let body = br#"{"prompt":"Letter for NI AB 12 34 56 C"}"#;
    s.write_all(&upload_preview(body.len())).unwrap();
    assert_eq!(read_icap_head(&mut s), "ICAP/1.0 100 Continue\r\n\r\n");
    s.write_all(&chunk(body)).unwrap();
    s.write_all(b"0\r\n\r\n").unwrap();
    let head = read_icap_head(&mut s);
    assert!(head.starts_with("ICAP/1.0 200 OK\r\n"), "{head}");
    assert!(head.contains("res-hdr=0, res-body="), "a page: {head}");
}

#[test]
fn past_the_scan_limit_the_rest_is_relayed_unread() {
    let (_rt, addr) = icap("max_upload_scan_bytes = 64\n");
    let mut s = connect(addr);
    let clean = [b'a'; 100];
    let late = b" NI AB 12 34 56 C";
    s.write_all(&upload_preview(clean.len() + late.len()))
        .unwrap();
    assert_eq!(read_icap_head(&mut s), "ICAP/1.0 100 Continue\r\n\r\n");
    s.write_all(&chunk(&clean)).unwrap();
    // Judged on the first 100 bytes (one chunk past the 64-byte limit): allowed, echoed.
    let head = read_icap_head(&mut s);
    assert!(head.contains("req-hdr=0, req-body="), "{head}");
    s.write_all(&chunk(late)).unwrap();
    s.write_all(b"0\r\n\r\n").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let (rest, _) = read_to_close(&mut s);
    let rest = String::from_utf8_lossy(&rest);
    assert!(rest.contains(&"a".repeat(100)), "{rest}");
    assert!(
        rest.contains("NI AB 12 34 56 C\r\n0\r\n\r\n"),
        "relayed: {rest}"
    );
}

#[test]
fn a_response_without_a_length_is_relayed_and_cut_off_past_the_limit() {
    let (_rt, addr) = icap("");
    let mut s = connect(addr);
    s.write_all(&chunked_response_preview()).unwrap();
    assert_eq!(read_icap_head(&mut s), "ICAP/1.0 100 Continue\r\n\r\n");
    let head = read_icap_head(&mut s);
    assert!(head.contains("res-hdr=0, res-body="), "{head}");
    let block = vec![b'x'; 64 * 1024];
    // 16 chunks are 1 MiB exactly: not over the limit.
    for _ in 0..16 {
        s.write_all(&chunk(&block)).unwrap();
    }
    let mut echoed = vec![0u8; 16 * (block.len() + 9)];
    let mut got = 0;
    while got < echoed.len() {
        let n = s.read(&mut echoed[got..]).unwrap();
        assert!(n > 0, "closed after {got} bytes");
        got += n;
    }
    s.write_all(&chunk(b"one byte too many")).unwrap();
    let (tail, _) = read_to_close(&mut s);
    assert!(
        !String::from_utf8_lossy(&tail).contains("0\r\n\r\n"),
        "cut off: no last chunk"
    );
}

#[test]
fn a_response_without_a_length_under_the_limit_is_passed_back_whole() {
    let (_rt, addr) = icap("");
    let mut s = connect(addr);
    s.write_all(&chunked_response_preview()).unwrap();
    assert_eq!(read_icap_head(&mut s), "ICAP/1.0 100 Continue\r\n\r\n");
    s.write_all(&chunk(b"hello")).unwrap();
    s.write_all(&chunk(b"world")).unwrap();
    s.write_all(b"0\r\n\r\n").unwrap();
    let head = read_icap_head(&mut s);
    assert!(head.starts_with("ICAP/1.0 200 OK\r\n"), "{head}");
    let mut rest = Vec::new();
    let mut buf = [0u8; 256];
    while !rest.ends_with(b"0\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        rest.extend_from_slice(&buf[..n]);
    }
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.ends_with("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"),
        "{rest}"
    );
}

#[test]
fn a_body_that_falls_silent_is_closed() {
    let (_rt, addr) = icap("body_timeout_secs = 1\n");
    let mut s = connect(addr);
    s.write_all(&upload_preview(100)).unwrap();
    assert_eq!(read_icap_head(&mut s), "ICAP/1.0 100 Continue\r\n\r\n");
    s.write_all(b"64\r\nonly part").unwrap();
    // Only that the server gives up on its own, within the client's 30 s.
    let (got, _) = read_to_close(&mut s);
    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
}

#[test]
fn an_oversized_chunk_is_refused() {
    let (_rt, addr) = icap("");
    let mut s = connect(addr);
    s.write_all(&chunked_response_preview()).unwrap();
    assert_eq!(read_icap_head(&mut s), "ICAP/1.0 100 Continue\r\n\r\n");
    let _ = read_icap_head(&mut s);
    // A chunk announced at 16 MiB: the server will not hold it whole.
    s.write_all(b"1000000\r\n").unwrap();
    let block = vec![b'x'; 64 * 1024];
    for _ in 0..20 {
        if s.write_all(&block).is_err() {
            break;
        }
    }
    let (tail, _) = read_to_close(&mut s);
    assert!(
        !String::from_utf8_lossy(&tail).contains("0\r\n\r\n"),
        "closed without a last chunk"
    );
}
