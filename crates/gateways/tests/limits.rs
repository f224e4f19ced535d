//! Issue 8's bounds, over real sockets: each limit once where it fires and once where it
//! must not (an ordinary request or message passes). Deadlines are set to a second here; no
//! test asserts more than that the server gave up on its own, well within the client's
//! 30-second read timeout.

#![allow(clippy::unwrap_used, reason = "test")]

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use charter_engine::web::Builtin;
use charter_gateways::icap::IcapConfig;
use charter_gateways::milter::{HANDSHAKE, Milter, MilterConfig};
use charter_gateways::policy_service::PolicyServiceConfig;
use charter_gateways::web::{Clock, Roles};

use support::*;

fn clock() -> Clock {
    Clock::Fixed("2026-06-15T10:00:00Z".parse().unwrap())
}

/// An ICAP server with `[icap]` settings `extra`, where ann has the finance role (so
/// gambling is allowed to her and blocked to an unknown user).
fn icap(extra: &str) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = serve_runtime();
    let addr = runtime.block_on(async {
        let config: IcapConfig =
            toml::from_str(&format!("listen = \"127.0.0.1:0\"\n{extra}")).unwrap();
        let mut roles = Roles::default();
        roles.insert("ann", vec!["finance".to_string()]);
        let server = Arc::new(
            config
                .build(engine(), Arc::new(Builtin::new()), clock(), roles)
                .unwrap(),
        );
        let listener = server.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server.serve(listener));
        addr
    });
    (runtime, addr)
}

fn milter(extra: &str) -> (tokio::runtime::Runtime, SocketAddr, Arc<Milter>) {
    let runtime = serve_runtime();
    let (addr, milter) = runtime.block_on(async {
        let config: MilterConfig =
            toml::from_str(&format!("listen = \"127.0.0.1:0\"\n{extra}")).unwrap();
        let milter = Arc::new(config.build(engine(), clock()).unwrap());
        let listener = milter.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(Arc::clone(&milter).serve(listener));
        (addr, milter)
    });
    (runtime, addr, milter)
}

fn policy(extra: &str) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = serve_runtime();
    let addr = runtime.block_on(async {
        let config: PolicyServiceConfig =
            toml::from_str(&format!("listen = \"127.0.0.1:0\"\n{extra}")).unwrap();
        let service = Arc::new(config.build(engine(), clock()).unwrap());
        let listener = service.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(service.serve(listener));
        addr
    });
    (runtime, addr)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Writes `bytes` one at a time, `gap` apart, stopping quietly when the server has closed.
fn trickle(stream: &mut TcpStream, bytes: &[u8], gap: Duration) {
    for b in bytes {
        if stream.write_all(std::slice::from_ref(b)).is_err() {
            return;
        }
        std::thread::sleep(gap);
    }
}

fn small_message() -> (Vec<(String, String)>, Vec<u8>) {
    let headers = vec![
        ("From".to_string(), " bob@client.com".to_string()),
        ("Subject".to_string(), " hello".to_string()),
    ];
    (headers, b"Hello Ann\r\n".to_vec())
}

// ICAP ------------------------------------------------------------------------------------

#[test]
fn icap_identity_is_believed_from_a_trusted_proxy() {
    let (_rt, addr) = icap("");
    // From 127.0.0.1, trusted by default: ann is in finance, so gambling is allowed.
    let answer = icap_exchange(addr, &reqmod("http://www.bet365.com/", Some("ann")));
    assert!(
        answer.starts_with("ICAP/1.0 204 No Content\r\n"),
        "{answer}"
    );
    // Without the header the same request is refused: the header is what made the
    // difference.
    let answer = icap_exchange(addr, &reqmod("http://www.bet365.com/", None));
    assert!(answer.starts_with("ICAP/1.0 200 OK\r\n"), "{answer}");
}

#[test]
fn icap_identity_from_an_untrusted_client_is_ignored() {
    let (_rt, addr) = icap("trusted_clients = [\"10.9.9.9\", \"192.0.2.0/24\"]\n");
    let answer = icap_exchange(addr, &reqmod("http://www.bet365.com/", Some("ann")));
    // Decided as an unknown user: the block page, not ann's exemption.
    assert!(answer.starts_with("ICAP/1.0 200 OK\r\n"), "{answer}");
    assert!(answer.contains("Encapsulated: res-hdr=0"), "{answer}");
    // Requests without identity headers are answered as before.
    let answer = icap_exchange(addr, &reqmod("http://example.org/", None));
    assert!(
        answer.starts_with("ICAP/1.0 204 No Content\r\n"),
        "{answer}"
    );
}

#[test]
fn icap_a_request_trickled_past_its_deadline_gets_408() {
    let (_rt, addr) = icap("timeout_secs = 1\n");
    let mut stream = connect(addr);
    // Every byte comes promptly, but the request as a whole never ends within a second.
    trickle(
        &mut stream,
        b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\n",
        Duration::from_millis(150),
    );
    let (got, _) = read_to_close(&mut stream);
    let got = String::from_utf8_lossy(&got);
    assert!(
        got.starts_with("ICAP/1.0 408 Request Timeout\r\n"),
        "{got:?}"
    );
}

#[test]
fn icap_a_request_split_across_reads_within_its_deadline_is_answered() {
    let (_rt, addr) = icap("timeout_secs = 1\n");
    let mut stream = connect(addr);
    let request = reqmod("http://example.org/", None);
    let (first, second) = request.split_at(request.len() / 2);
    stream.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(second).unwrap();
    let answer = read_icap_head(&mut stream);
    assert!(
        answer.starts_with("ICAP/1.0 204 No Content\r\n"),
        "{answer}"
    );
}

#[test]
fn icap_an_idle_connection_is_closed_but_a_busy_one_is_not() {
    let (_rt, addr) = icap("timeout_secs = 1\n");
    let mut idle = connect(addr);
    let mut busy = connect(addr);
    // Four requests half a second apart: two seconds in all, never a second idle.
    for _ in 0..4 {
        busy.write_all(OPTIONS).unwrap();
        let answer = read_icap_head(&mut busy);
        assert!(answer.starts_with("ICAP/1.0 200 OK\r\n"), "{answer}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let (got, _) = read_to_close(&mut idle);
    assert!(
        got.is_empty(),
        "an idle connection is closed without an answer"
    );
}

#[test]
fn icap_a_request_over_the_byte_limit_gets_413() {
    let (_rt, addr) = icap("max_request_bytes = 16384\n");
    let request = |body_len: usize| {
        let http = "POST http://example.org/upload HTTP/1.1\r\nHost: example.org\r\n\r\n";
        let mut raw = format!(
            "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nEncapsulated: req-hdr=0, req-body={}\r\n\r\n{http}{body_len:x}\r\n",
            http.len()
        )
        .into_bytes();
        raw.resize(raw.len() + body_len, b'x');
        raw.extend_from_slice(b"\r\n0\r\n\r\n");
        raw
    };
    // An ordinary upload, echoed back to a client that allows no 204.
    let answer = icap_exchange(addr, &request(1000));
    assert!(answer.starts_with("ICAP/1.0 200 OK\r\n"), "{answer}");
    let answer = icap_exchange(addr, &request(20_000));
    assert!(
        answer.starts_with("ICAP/1.0 413 Request Entity Too Large\r\n"),
        "{answer}"
    );
}

#[test]
fn icap_one_client_cannot_take_every_slot() {
    let (_rt, addr) = icap("max_connections = 8\nmax_connections_per_client = 2\n");
    // The client's two slots, held open. (A connection closed just before could still hold
    // its slot for a moment, so the OPTIONS answer is read on a held one.)
    let mut held: Vec<TcpStream> = (0..2).map(|_| connect(addr)).collect();
    for stream in &mut held {
        stream.write_all(OPTIONS).unwrap();
        let answer = read_icap_head(stream);
        assert!(answer.starts_with("ICAP/1.0 200 OK"), "{answer}");
        // OPTIONS tells Squid the per-client limit, which it keeps to.
        assert!(answer.contains("Max-Connections: 2\r\n"), "{answer}");
    }
    let answer = icap_exchange(addr, OPTIONS);
    assert!(
        answer.starts_with("ICAP/1.0 503 Service Unavailable\r\n"),
        "{answer}"
    );
    // Another client still gets a slot.
    let mut other = connect_from("127.0.0.2", addr);
    other.write_all(OPTIONS).unwrap();
    let answer = read_icap_head(&mut other);
    assert!(answer.starts_with("ICAP/1.0 200 OK\r\n"), "{answer}");
}

// Milter ----------------------------------------------------------------------------------

#[test]
fn milter_an_idle_connection_is_closed_but_a_busy_one_is_not() {
    let (_rt, addr, _) = milter("idle_timeout_secs = 1\n");
    let mut idle = MilterClient::connect(addr);
    let mut busy = MilterClient::connect(addr);
    let (headers, body) = small_message();
    for _ in 0..4 {
        let answer = busy.send(&headers, &body);
        assert_eq!(answer.last().map(|(c, _)| *c), Some(b'c'), "{answer:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let (got, _) = read_to_close(&mut idle.stream);
    assert!(got.is_empty());
}

#[test]
fn milter_a_connection_that_never_negotiates_is_closed() {
    let (_rt, addr, _) = milter("");
    let mut stream = connect(addr);
    let (got, took) = read_to_close(&mut stream);
    assert!(got.is_empty());
    assert!(took < HANDSHAKE * 4, "closed after {took:?}");
}

#[test]
fn milter_a_message_must_end_within_its_deadline_however_busy_it_looks() {
    let (_rt, addr, _) = milter("message_timeout_secs = 1\nidle_timeout_secs = 60\n");
    let mut client = MilterClient::connect(addr);
    client.expect(b'M', b"<bob@client.com>\0", b'c');
    // A header every 200 ms, each answered, but the message never ends.
    for i in 0.. {
        let header = format!("X-Slow\0 {i}\0");
        if client.ask(b'L', header.as_bytes()).is_empty() {
            break;
        }
        assert!(i < 100, "the milter never gave up on the message");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A message sent promptly on a new connection is decided.
    let mut client = MilterClient::connect(addr);
    let (headers, body) = small_message();
    let answer = client.send(&headers, &body);
    assert_eq!(answer.last().map(|(c, _)| *c), Some(b'c'), "{answer:?}");
}

#[test]
fn milter_memory_budget_tempfails_a_large_message_and_small_mail_still_passes() {
    let (_rt, addr, milter) = milter("max_memory_mib = 1\n");
    let (headers, _) = small_message();
    let large = vec![b'x'; 700 << 10];
    // The first large message fits the budget and waits unfinished.
    let mut first = MilterClient::connect(addr);
    first.send_all_but_end(&headers, &large);
    assert!(milter.memory_in_use() > 600 << 10);
    // A second one does not: it is tempfailed and its connection closed.
    let mut second = MilterClient::connect(addr);
    second.expect(b'M', b"<bob@client.com>\0", b'c');
    let mut refused = None;
    for chunk in large.chunks(65_535) {
        let answer = second.ask(b'B', chunk);
        if answer.first().map(|(c, _)| *c) != Some(b'c') {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("the second large message is refused");
    assert_eq!(
        reply_text(&refused).as_deref(),
        Some("451 4.3.2 Charter is busy; try again later")
    );
    assert!(second.answer().is_empty(), "and its connection closed");
    // Small mail is still checked while the budget is used up.
    let mut small = MilterClient::connect(addr);
    let (headers, body) = small_message();
    let answer = small.send(&headers, &body);
    assert_eq!(answer.last().map(|(c, _)| *c), Some(b'c'), "{answer:?}");
    // And the first large message is decided normally.
    let answer = first.ask(b'E', b"");
    assert_eq!(answer.last().map(|(c, _)| *c), Some(b'c'), "{answer:?}");
}

#[test]
fn milter_a_frame_over_the_limit_is_refused() {
    let (_rt, addr, _) = milter("");
    let mut client = MilterClient::connect(addr);
    client.expect(b'M', b"<bob@client.com>\0", b'c');
    // A header frame announcing 300 KiB: over the 256 KiB frame limit.
    let mut frame = u32::try_from(300 << 10).unwrap().to_be_bytes().to_vec();
    frame.extend_from_slice(b"LSubject\0");
    client.stream.write_all(&frame).unwrap();
    let answer = client.answer();
    assert_eq!(
        reply_text(&answer).as_deref(),
        Some("552 5.3.4 Charter: milter frame too large")
    );
    assert!(client.answer().is_empty(), "and the connection closed");
}

#[test]
fn milter_one_client_cannot_take_every_slot() {
    let (_rt, addr, _) = milter("max_connections_per_client = 1\n");
    let _held = MilterClient::connect(addr);
    let mut second = connect(addr);
    let (got, _) = read_to_close(&mut second);
    assert!(
        got.is_empty(),
        "a second connection from the same address is closed"
    );
    let mut other = connect_from("127.0.0.2", addr);
    other
        .write_all(&packet(
            b'O',
            &[0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0x1f, 0xff, 0xff],
        ))
        .unwrap();
    let mut client = MilterClient { stream: other };
    assert_eq!(client.answer().first().map(|(c, _)| *c), Some(b'O'));
}

// Policy service --------------------------------------------------------------------------

const RCPT: &str = "request=smtpd_access_policy\nprotocol_state=RCPT\ninstance=1\nsender=ann@acme.co.uk\nrecipient=bob@acme.co.uk\nclient_address=127.0.0.1\n\n";

#[test]
fn policy_a_request_over_the_byte_limit_is_deferred_and_closed() {
    let (_rt, addr) = policy("");
    assert_eq!(policy_exchange(addr, RCPT), "action=DUNNO\n\n");
    let mut stream = connect(addr);
    let huge = format!(
        "request=smtpd_access_policy\nccert_subject={}\n",
        "x".repeat(70_000)
    );
    stream.write_all(huge.as_bytes()).unwrap();
    let (got, _) = read_to_close(&mut stream);
    assert_eq!(
        String::from_utf8_lossy(&got),
        "action=DEFER_IF_PERMIT 4.3.0 Charter: policy request over the limit of 65536 bytes\n\n"
    );
}

#[test]
fn policy_a_trickled_request_is_closed_but_a_prompt_one_is_answered() {
    let (_rt, addr) = policy("timeout_secs = 1\n");
    let mut stream = connect(addr);
    trickle(&mut stream, RCPT.as_bytes(), Duration::from_millis(150));
    let (got, _) = read_to_close(&mut stream);
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    // Requests half a second apart on one connection are all answered.
    let mut stream = connect(addr);
    for _ in 0..4 {
        stream.write_all(RCPT.as_bytes()).unwrap();
        let mut answer = [0u8; 14];
        std::io::Read::read_exact(&mut stream, &mut answer).unwrap();
        assert_eq!(&answer, b"action=DUNNO\n\n");
        std::thread::sleep(Duration::from_millis(500));
    }
    // Then, silent, it is closed.
    let (got, _) = read_to_close(&mut stream);
    assert!(got.is_empty());
}
