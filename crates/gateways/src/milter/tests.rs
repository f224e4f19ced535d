//! The milter session, fed commands as Postfix sends them.

use super::*;
use charter_engine::mail::footer;
use charter_policy::Verdict;
use charter_proto::milter::{Command, action};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
domains = ["acme.co.uk"]
[mail]
disclaimer = "Acme Ltd, registered in England 123. Views = the sender's."
add_disclaimer = true
[[rule]]
id = "mail.executables"
clause = "Email security (b)"
on = "mail"
checks = ["executable_attachment"]
action = "block"
severity = "misconduct"
[[rule]]
id = "mail.bank-details"
clause = "Best practice"
on = "mail"
checks = ["payment_details_change"]
action = "hold"
severity = "concern"
[[rule]]
id = "mail.disclaimer"
clause = "Disclaimer"
on = "mail"
checks = ["missing_disclaimer"]
action = "log"
severity = "info"
"#;

fn engine() -> Arc<Engine> {
    Arc::new(Engine::new(charter_policy::parse(PACK, "t.toml").unwrap()))
}

/// Handles one command as the connection loop does, deciding on this thread.
fn feed(s: &mut Session<'_>, command: Command<'_>, out: &mut Vec<u8>) -> Step {
    match s.handle(command, now(), out) {
        Step::Decide(job) => {
            s.finish(Ok(job.run()), out);
            Step::Continue
        }
        step => step,
    }
}

fn now() -> jiff::Timestamp {
    "2026-06-15T10:00:00Z".parse().unwrap()
}

/// Decodes every response frame in `out` as (command byte, data).
fn responses(out: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut list = Vec::new();
    let mut at = 0;
    while at + 5 <= out.len() {
        let len = u32::from_be_bytes([out[at], out[at + 1], out[at + 2], out[at + 3]]) as usize;
        list.push((out[at + 4], out[at + 5..at + 4 + len].to_vec()));
        at += 4 + len;
    }
    list
}

fn negotiate(s: &mut Session<'_>) {
    let mut out = Vec::new();
    s.handle(
        Command::OptNeg {
            version: 6,
            actions: 0x1ff,
            protocol: 0x1f_ffff,
        },
        now(),
        &mut out,
    );
    let r = responses(&out);
    assert_eq!(r[0].0, b'O');
    let actions = u32::from_be_bytes([r[0].1[4], r[0].1[5], r[0].1[6], r[0].1[7]]);
    assert_eq!(
        actions,
        action::ADD_HEADERS | action::CHANGE_BODY | action::CHANGE_HEADERS | action::QUARANTINE
    );
}

/// Runs one message through a negotiated session; returns the end-of-message responses.
fn run(headers: &[(&str, &str)], body: &str, from: &str, rcpt: &str) -> Vec<(u8, Vec<u8>)> {
    let trusted = vec!["127.0.0.0/8".parse().unwrap()];
    let mut s = Session::new(engine(), &trusted, MailLimits::default());
    negotiate(&mut s);
    let mut out = Vec::new();
    s.handle(
        Command::Connect {
            hostname: "localhost",
            family: charter_proto::milter::Family::Inet,
            port: 4000,
            address: "127.0.0.1",
        },
        now(),
        &mut out,
    );
    s.handle(Command::Mail(vec![from]), now(), &mut out);
    s.handle(Command::Rcpt(vec![rcpt]), now(), &mut out);
    for (name, value) in headers {
        s.handle(Command::Header { name, value }, now(), &mut out);
    }
    s.handle(Command::EndOfHeaders, now(), &mut out);
    for chunk in body.as_bytes().chunks(7) {
        s.handle(Command::Body(chunk), now(), &mut out);
    }
    assert!(responses(&out).iter().all(|(c, _)| *c == b'c'));
    out.clear();
    feed(&mut s, Command::EndOfMessage, &mut out);
    responses(&out)
}

fn pe_base64() -> String {
    let mut pe = vec![0u8; 0x100];
    pe[..2].copy_from_slice(b"MZ");
    pe[0x3c] = 0x80;
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    String::from_utf8(footer::base64_encode_lines(&pe, b"\r\n")).unwrap()
}

#[test]
fn executable_is_rejected_naming_the_rule() {
    let body = format!(
        "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        pe_base64()
    );
    let r = run(
        &[
            ("From", " ann@acme.co.uk"),
            ("To", " bob@client.com"),
            ("Subject", " x"),
            ("Content-Type", " multipart/mixed; boundary=\"b\""),
        ],
        &body,
        "<ann@acme.co.uk>",
        "<bob@client.com>",
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, b'y');
    let text = String::from_utf8(r[0].1.clone()).unwrap();
    assert_eq!(
        text,
        "550 5.7.1 Charter: rule mail.executables (Email security (b)): attachment a.bin is a Windows executable\0"
    );
}

#[test]
fn clean_outbound_gets_header_and_footer() {
    let r = run(
        &[
            ("From", " ann@acme.co.uk"),
            ("To", " bob@client.com"),
            ("Subject", " hello"),
        ],
        "Hello Bob\r\n",
        "<ann@acme.co.uk>",
        "<bob@client.com>",
    );
    let codes: Vec<u8> = r.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, b"hbc");
    assert_eq!(r[0].1, b"X-Charter-Verdict\0 log; rules=mail.disclaimer\0");
    assert_eq!(
        String::from_utf8(r[1].1.clone()).unwrap(),
        "Hello Bob\r\n\r\nAcme Ltd, registered in England 123. Views = the sender's.\r\n"
    );
}

#[test]
fn inbound_gets_no_footer() {
    let r = run(
        &[
            ("From", " bob@client.com"),
            ("To", " ann@acme.co.uk"),
            ("Subject", " hello"),
        ],
        "Hello Ann\r\n",
        "<bob@client.com>",
        "<ann@acme.co.uk>",
    );
    let codes: Vec<u8> = r.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, b"hc");
    assert_eq!(r[0].1, b"X-Charter-Verdict\0 allow\0");
}

#[test]
fn hold_quarantines() {
    let r = run(
        &[
            ("From", " accounts@supplier.com"),
            ("To", " ann@acme.co.uk"),
            ("Subject", " invoice"),
        ],
        "Please note our bank details have changed.\r\n",
        "<accounts@supplier.com>",
        "<ann@acme.co.uk>",
    );
    let codes: Vec<u8> = r.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, b"hqc");
    assert!(String::from_utf8_lossy(&r[1].1).starts_with("Charter: rule mail.bank-details"));
}

#[test]
fn forged_verdict_header_is_removed() {
    let r = run(
        &[
            ("From", " bob@client.com"),
            ("X-Charter-Verdict", " allow"),
            ("To", " ann@acme.co.uk"),
        ],
        "hi\r\n",
        "<bob@client.com>",
        "<ann@acme.co.uk>",
    );
    assert_eq!(r[0], (b'm', b"\0\0\0\x01X-Charter-Verdict\0\0".to_vec()));
}

#[test]
fn hold_without_quarantine_permission_tempfails() {
    let mut s = Session::new(engine(), &[], MailLimits::default());
    let mut out = Vec::new();
    s.handle(
        Command::OptNeg {
            version: 6,
            actions: action::ADD_HEADERS,
            protocol: 0,
        },
        now(),
        &mut out,
    );
    out.clear();
    s.handle(Command::Mail(vec!["<x@supplier.com>"]), now(), &mut out);
    s.handle(
        Command::Header {
            name: "Subject",
            value: " x",
        },
        now(),
        &mut out,
    );
    s.handle(
        Command::Body(b"We have new bank details.\r\n"),
        now(),
        &mut out,
    );
    out.clear();
    feed(&mut s, Command::EndOfMessage, &mut out);
    let r = responses(&out);
    assert_eq!(r[0].0, b'y');
    assert!(String::from_utf8_lossy(&r[0].1).starts_with("451 4.7.1 "));
}

#[test]
fn abort_forgets_the_message() {
    let mut s = Session::new(engine(), &[], MailLimits::default());
    let mut out = Vec::new();
    s.handle(Command::Mail(vec!["<a@acme.co.uk>"]), now(), &mut out);
    s.handle(Command::Body(b"data"), now(), &mut out);
    assert!(s.in_message() && s.held_bytes() > 0);
    s.handle(Command::Abort, now(), &mut out);
    assert!(!s.in_message() && s.held_bytes() == 0);
    assert!(matches!(
        s.handle(Command::Quit, now(), &mut out),
        Step::Close
    ));
}

#[test]
fn body_is_bounded() {
    let limits = MailLimits {
        max_message_bytes: 100,
        ..MailLimits::default()
    };
    let mut s = Session::new(engine(), &[], limits);
    let mut out = Vec::new();
    s.handle(Command::Mail(vec!["<a@acme.co.uk>"]), now(), &mut out);
    for _ in 0..10 {
        s.handle(Command::Body(&[b'x'; 50]), now(), &mut out);
    }
    // One byte over the engine's limit is kept, so it judges the message on its headers.
    assert_eq!(s.held_bytes(), 101);
}

/// Starts a negotiated session with a message from outside under way.
fn message_session(limits: MessageLimits) -> Session<'static> {
    let mut s = Session::new(engine(), &[], MailLimits::default()).with_message_limits(limits);
    negotiate(&mut s);
    let mut out = Vec::new();
    s.handle(Command::Mail(vec!["<bob@client.com>"]), now(), &mut out);
    s
}

fn reply_text(out: &[u8]) -> String {
    let r = responses(out);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].0, b'y', "{r:?}");
    String::from_utf8_lossy(&r[0].1)
        .trim_end_matches('\0')
        .to_string()
}

#[test]
fn headers_over_the_limit_refuse_the_message() {
    let limits = MessageLimits {
        max_header_bytes: 100,
        ..MessageLimits::default()
    };
    let mut s = message_session(limits);
    let mut out = Vec::new();
    // 60 bytes: fits.
    s.handle(
        Command::Header {
            name: "Subject",
            value: &"x".repeat(50),
        },
        now(),
        &mut out,
    );
    assert_eq!(responses(&out), [(b'c', vec![])]);
    out.clear();
    s.handle(
        Command::Header {
            name: "Subject",
            value: &"y".repeat(50),
        },
        now(),
        &mut out,
    );
    assert_eq!(
        reply_text(&out),
        "552 5.3.4 Charter: message headers over 100 bytes"
    );
    assert!(s.held_bytes() <= 100);
    // Whatever else comes for this message is not kept, and its end gets the same answer.
    out.clear();
    s.handle(Command::Body(&[b'z'; 1000]), now(), &mut out);
    assert!(s.held_bytes() <= 100);
    out.clear();
    assert!(matches!(
        s.handle(Command::EndOfMessage, now(), &mut out),
        Step::Continue
    ));
    assert_eq!(
        reply_text(&out),
        "552 5.3.4 Charter: message headers over 100 bytes"
    );
    // The next message starts afresh.
    out.clear();
    s.handle(Command::Mail(vec!["<bob@client.com>"]), now(), &mut out);
    s.handle(
        Command::Header {
            name: "Subject",
            value: " hi",
        },
        now(),
        &mut out,
    );
    assert!(matches!(
        s.handle(Command::EndOfMessage, now(), &mut out),
        Step::Decide(_)
    ));
}

#[test]
fn recipients_over_the_limit_are_refused_one_by_one() {
    let limits = MessageLimits {
        max_recipient_bytes: 40,
        ..MessageLimits::default()
    };
    let mut s = message_session(limits);
    let mut out = Vec::new();
    // Each recipient is 13 bytes: three fit in 40 bytes.
    for i in 0..3 {
        s.handle(
            Command::Rcpt(vec![&format!("<r{i}@acme.co.uk>")]),
            now(),
            &mut out,
        );
    }
    assert!(responses(&out).iter().all(|(c, _)| *c == b'c'));
    out.clear();
    s.handle(Command::Rcpt(vec!["<r3@acme.co.uk>"]), now(), &mut out);
    assert!(
        reply_text(&out).starts_with("452 4.5.3 Charter: too many recipients for one message"),
        "{}",
        reply_text(&out)
    );
    assert_eq!(s.held_bytes(), 39);
}

#[test]
fn an_engine_that_fails_or_runs_out_of_time_tempfails_the_message() {
    for (why, text) in [
        (
            Unfinished::TimedOut,
            "451 4.3.0 Charter could not check this message in time; try again later",
        ),
        (
            Unfinished::Panicked,
            "451 4.3.0 Charter could not check this message; try again later",
        ),
    ] {
        let mut s = message_session(MessageLimits::default());
        let mut out = Vec::new();
        let Step::Decide(_job) = s.handle(Command::EndOfMessage, now(), &mut out) else {
            panic!("the end of a message is decided")
        };
        s.finish(Err(why), &mut out);
        assert_eq!(reply_text(&out), text);
        assert!(
            s.take_decided().is_none(),
            "nothing decided, nothing recorded"
        );
    }
}

#[test]
fn config() {
    let cfg: MilterConfig = toml::from_str("listen = \"127.0.0.1:8891\"").unwrap();
    assert_eq!(cfg.trusted_networks, ["127.0.0.0/8", "::1/128"]);
    assert_eq!(
        (
            cfg.idle_timeout_secs,
            cfg.message_timeout_secs,
            cfg.decision_timeout_secs,
            cfg.max_connections,
            cfg.max_connections_per_client,
            cfg.max_memory_mib,
            cfg.max_header_bytes,
            cfg.max_recipient_bytes,
        ),
        (30, 600, 20, 256, 128, 256, 1 << 20, 256 << 10)
    );
    assert!(toml::from_str::<MilterConfig>("listen = \"x\"\nfoo = 1").is_err());
    let old: MilterConfig = toml::from_str("listen = \"127.0.0.1:1\"\ntimeout_secs = 9").unwrap();
    assert_eq!(old.idle_timeout_secs, 9);
    let milter = cfg.build(engine(), Clock::System).unwrap();
    assert_eq!(milter.listen_addr().port(), 8891);
    let zero: MilterConfig =
        toml::from_str("listen = \"127.0.0.1:1\"\nmax_memory_mib = 0").unwrap();
    assert_eq!(
        zero.build(engine(), Clock::System).unwrap_err().to_string(),
        "[milter] max_memory_mib must be at least 1"
    );
}

#[test]
fn over_a_socket() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cfg: MilterConfig = toml::from_str("listen = \"127.0.0.1:0\"").unwrap();
        let milter = Arc::new(cfg.build(engine(), Clock::System).unwrap());
        let listener = milter.bind().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(Arc::clone(&milter).serve(listener));
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut req = Vec::new();
        let mut packet = |cmd: u8, data: &[u8]| {
            req.extend_from_slice(&((data.len() + 1) as u32).to_be_bytes());
            req.push(cmd);
            req.extend_from_slice(data);
        };
        packet(b'O', &[0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0x1f, 0xff, 0xff]);
        packet(b'M', b"<bob@client.com>\0");
        packet(b'L', b"Subject\0 hi\0");
        packet(b'E', b"");
        packet(b'Q', b"");
        // One byte at a time: the codec must cope with any split.
        for b in &req {
            stream.write_all(std::slice::from_ref(b)).await.unwrap();
        }
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap();
        let mut at = 0;
        let mut codes = Vec::new();
        while at + 5 <= got.len() {
            let len = u32::from_be_bytes([got[at], got[at + 1], got[at + 2], got[at + 3]]) as usize;
            codes.push(got[at + 4]);
            at += 4 + len;
        }
        assert_eq!(codes, b"Occhc");
        // Everything the connection held is given back.
        assert_eq!(milter.memory_in_use(), 0);
    });
}
#[test]
fn colleague_names_from_the_register_catch_a_spoof_and_the_decision_is_recorded() {
    let pack = format!(
        "{PACK}[[rule]]\nid = \"mail.spoof\"\nclause = \"Security\"\non = \"mail\"\nchecks = [\"spoofed_internal_sender\"]\naction = \"hold\"\nseverity = \"concern\"\n"
    );
    let engine = Arc::new(Engine::new(charter_policy::parse(&pack, "t.toml").unwrap()));
    let colleagues = Colleagues::default();
    let mut s = Session::new(engine, &[], MailLimits::default()).with_colleagues(&colleagues);
    // The names come from the register after the connection opened: the message ending
    // now is checked against them.
    colleagues.replace(vec!["ann smith".to_string()]);
    negotiate(&mut s);
    let mut out = Vec::new();
    s.handle(
        Command::Mail(vec!["<ann.smith.1980@gmail.com>"]),
        now(),
        &mut out,
    );
    s.handle(Command::Rcpt(vec!["<bob@acme.co.uk>"]), now(), &mut out);
    for (name, value) in [
        ("From", "Ann Smith <ann.smith.1980@gmail.com>"),
        ("To", "bob@acme.co.uk"),
        ("Subject", "Gift cards"),
    ] {
        s.handle(Command::Header { name, value }, now(), &mut out);
    }
    s.handle(Command::EndOfHeaders, now(), &mut out);
    s.handle(
        Command::Body(b"Buy three gift cards for me today.\r\n"),
        now(),
        &mut out,
    );
    feed(&mut s, Command::EndOfMessage, &mut out);
    let decided = s.take_decided().expect("a decision to record");
    assert!(s.take_decided().is_none(), "recorded once");
    assert_eq!(decided.decision.verdict, Verdict::Hold);
    assert_eq!(
        decided.decision.findings[0].message,
        "display name `Ann Smith` is a colleague's but the sender is ann.smith.1980@gmail.com"
    );
    assert_eq!(
        decided.subject,
        "From: ann.smith.1980@gmail.com; To: bob@acme.co.uk; Subject: Gift cards"
    );
}
