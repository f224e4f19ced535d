//! End to end with real peers: a private Postfix from Debian on loopback, its `smtpd_milters`
//! and `check_policy_service` pointing at Charter with exactly the settings in
//! docs/postfix.md (ports changed), mail sent with swaks; and Debian's `miltertest` driving the
//! milter directly.
//!
//! Charter runs as `charter serve --config charter.toml`, the file taken from the docs too.
//! Missing peers fail the test with what to install; nothing is skipped.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any I/O error"
)]

mod ports;
mod postfix_support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ports::logged_address;
use postfix_support::{Postfix, TempDir, require};

const PACK: &str = r#"
[policy]
id = "e2e"
title = "End-to-end pack"
source = "tests"
[organisation]
name = "Acme Ltd"
registered_number = "11373253"
domains = ["acme.test"]
[mail]
disclaimer = "Acme Ltd, registered in England no. 11373253. Views = the sender's own; 100% theirs."
add_disclaimer = true
[[rule]]
id = "mail.executables"
clause = "Email security (b)"
quote = "Attachments, which may include viruses, must not be opened"
on = "mail"
checks = ["executable_attachment", "double_extension"]
action = "block"
severity = "misconduct"
[[rule]]
id = "mail.bank-details"
clause = "Best practice: bank details"
on = "mail"
checks = ["payment_details_change"]
action = "hold"
severity = "concern"
[[rule]]
id = "mail.mass"
clause = "Email marketing and mass mail"
on = "mail"
direction = "outbound"
checks = ["mass_mail"]
max_recipients = 3
action = "block"
severity = "concern"
[[rule]]
id = "mail.disclaimer"
clause = "Email disclaimer"
on = "mail"
direction = "outbound"
checks = ["missing_disclaimer"]
action = "log"
severity = "info"
"#;

const DISCLAIMER: &str =
    "Acme Ltd, registered in England no. 11373253. Views = the sender's own; 100% theirs.";

/// The fenced block of docs/postfix.md whose info string is `lang name`.
fn doc_block(name: &str) -> String {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/postfix.md"),
    )
    .unwrap();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") && line.split_whitespace().nth(1) == Some(name) {
            return lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
    panic!("docs/postfix.md has no ``` block named {name}");
}

/// `charter serve` with the documented charter.toml (our ports), killed when dropped.
struct Charter(Child);

impl Drop for Charter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `charter serve` on ports of its own choosing (port 0), as the log reports them:
/// (the server, the milter's port, the policy service's port).
fn start_charter(dir: &Path) -> (Charter, u16, u16) {
    std::fs::write(dir.join("pack.toml"), PACK).unwrap();
    let config = doc_block("charter.toml")
        .replace("policies/allsorts.toml", "pack.toml")
        .replace("127.0.0.1:8891", "127.0.0.1:0")
        .replace("127.0.0.1:10040", "127.0.0.1:0");
    let path = dir.join("charter.toml");
    std::fs::write(&path, &config).unwrap();
    let log = dir.join("serve.log");
    let child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["serve", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut charter = Charter(child);
    let milter = logged_address(&mut charter.0, &log, "Milter started.", "the milter");
    let policy = logged_address(
        &mut charter.0,
        &log,
        "Postfix policy service started.",
        "the policy service",
    );
    (charter, milter.port(), policy.port())
}

fn tiny_pe() -> Vec<u8> {
    let mut pe = vec![0u8; 0x200];
    pe[..2].copy_from_slice(b"MZ");
    pe[0x3c] = 0x80;
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    pe
}

/// The decoded text and HTML body parts of a message.
fn bodies(raw: &[u8]) -> Vec<String> {
    let m = mail_parser::MessageParser::new().parse(raw).unwrap();
    let mut ids: Vec<u32> = m
        .text_body
        .iter()
        .chain(m.html_body.iter())
        .copied()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .filter_map(|id| {
            m.parts[*id as usize]
                .text_contents()
                .map(|t| t.replace("\r\n", "\n"))
        })
        .collect()
}

#[test]
fn postfix_end_to_end() {
    let tmp = TempDir::new("postfix-e2e");
    let (_charter, milter_port, policy_port) = start_charter(&tmp.0);
    let charter = doc_block("main.cf")
        .replace("127.0.0.1:8891", &format!("127.0.0.1:{milter_port}"))
        .replace("127.0.0.1:10040", &format!("127.0.0.1:{policy_port}"));
    let pf = Postfix::start(&tmp.0, &format!("# From docs/postfix.md:\n{charter}"));

    // 1. An .exe attachment is refused with a 5xx that names the rule.
    let exe = tmp.0.join("update.exe");
    std::fs::write(&exe, tiny_pe()).unwrap();
    let (code, text) = pf.swaks(&[
        "--from",
        "ann@acme.test",
        "--to",
        "bob@client.test",
        "--header",
        "Subject: e2e-exe",
        "--body",
        "Please run the update.",
        "--attach",
        &format!("@{}", exe.display()),
    ]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("<** 550 5.7.1 Charter: rule mail.executables (Email security (b)): attachment update.exe is a Windows executable"),
        "{text}"
    );

    // 2. A clean quoted-printable message is delivered with the verdict header and the
    //    disclaimer, its text unchanged.
    let body = "Dear Bob,\n\nThe price is =E2=82=AC5 =3D five euros, as agreed; this line is long enough t=\no wrap softly.\n\nAnn\n";
    let msg = tmp.0.join("clean.eml");
    std::fs::write(
        &msg,
        format!(
            "From: Ann <ann@acme.test>\r\nTo: bob@client.test\r\nSubject: e2e-clean\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            body.replace('\n', "\r\n")
        ),
    )
    .unwrap();
    let (code, text) = pf.swaks(&[
        "--from",
        "ann@acme.test",
        "--to",
        "bob@client.test",
        "--data",
        &format!("@{}", msg.display()),
    ]);
    assert_eq!(code, 0, "{text}");
    let raw = pf.delivered("e2e-clean");
    let head = String::from_utf8_lossy(&raw);
    assert!(
        head.contains("X-Charter-Verdict: log; rules=mail.disclaimer"),
        "{head}"
    );
    let text_part = &bodies(&raw)[0];
    let original = "Dear Bob,\n\nThe price is \u{20ac}5 = five euros, as agreed; this line is long enough to wrap softly.\n\nAnn";
    assert_eq!(
        text_part.trim_end(),
        format!("{original}\n\n{DISCLAIMER}"),
        "{head}"
    );

    // 3. HTML and text alternatives both get the disclaimer, intact.
    let msg = tmp.0.join("html.eml");
    std::fs::write(
        &msg,
        "From: ann@acme.test\r\nTo: bob@client.test\r\nSubject: e2e-html\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\nHello in text.\r\n--alt\r\n\
         Content-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         <html><body><p style=3D\"color:red\">Hello in HTML.</p></body></html>\r\n--alt--\r\n",
    )
    .unwrap();
    let (code, text) = pf.swaks(&[
        "--from",
        "ann@acme.test",
        "--to",
        "bob@client.test",
        "--data",
        &format!("@{}", msg.display()),
    ]);
    assert_eq!(code, 0, "{text}");
    let parts = bodies(&pf.delivered("e2e-html"));
    assert_eq!(
        parts[0].trim_end(),
        format!("Hello in text.\n\n{DISCLAIMER}")
    );
    let html = charter_engine::mail::footer::footer_html(DISCLAIMER);
    assert_eq!(
        parts[1].trim_end(),
        format!("<html><body><p style=\"color:red\">Hello in HTML.</p>{html}</body></html>")
    );

    // 4. A request to change bank details is held in Postfix's hold queue.
    let (code, text) = pf.swaks(&[
        "--from",
        "accounts@client.test",
        "--to",
        "ann@acme.test",
        "--header",
        "Subject: e2e-bank",
        "--body",
        "Please note our bank details have changed.",
    ]);
    assert_eq!(code, 0, "{text}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while pf.held().is_empty() {
        assert!(
            Instant::now() < deadline,
            "nothing in the hold queue; log:\n{}",
            pf.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let id = &pf.held()[0];
    let out = Command::new(require("postcat", "postfix"))
        .arg("-c")
        .arg(pf.dir.join("etc"))
        .args(["-h", "-q", id])
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&out.stdout);
    assert!(
        headers.contains("X-Charter-Verdict: hold; rules=mail.bank-details"),
        "{headers}"
    );

    // 5. Mass mail: the policy service refuses the envelope at DATA, naming the rule.
    let (code, text) = pf.swaks(&[
        "--from",
        "ann@acme.test",
        "--to",
        "c1@client.test,c2@client.test,c3@client.test,c4@client.test",
        "--header",
        "Subject: e2e-mass",
        "--body",
        "Offer!",
    ]);
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("554 5.7.1") && text.contains("Charter: rule mail.mass (Email marketing and mass mail): 4 outside recipients, over 3"),
        "{text}"
    );

    // 6. A forged verdict header from outside is replaced by Charter's own.
    let msg = tmp.0.join("forged.eml");
    std::fs::write(
        &msg,
        "From: bob@client.test\r\nTo: ann@acme.test\r\nSubject: e2e-forged\r\nX-Charter-Verdict: allow; forged\r\n\r\nhi\r\n",
    )
    .unwrap();
    let (code, text) = pf.swaks(&[
        "--from",
        "bob@client.test",
        "--to",
        "ann@acme.test",
        "--data",
        &format!("@{}", msg.display()),
    ]);
    assert_eq!(code, 0, "{text}");
    let raw = String::from_utf8_lossy(&pf.delivered("e2e-forged")).into_owned();
    assert_eq!(raw.matches("X-Charter-Verdict:").count(), 1, "{raw}");
    assert!(
        raw.contains("X-Charter-Verdict: allow\n") || raw.contains("X-Charter-Verdict: allow\r\n"),
        "{raw}"
    );
}

#[test]
fn miltertest_against_the_milter() {
    let miltertest = require("miltertest", "miltertest");
    let tmp = TempDir::new("miltertest");
    let (_charter, milter_port, _) = start_charter(&tmp.0);
    let pe = tiny_pe();
    let pe_b64: String = {
        let mut s = String::new();
        for line in
            charter_engine::mail::footer::base64_encode_lines(&pe, b"\r\n").split(|b| *b == b'\n')
        {
            s.push_str(String::from_utf8_lossy(line).trim_end());
            s.push_str("\\r\\n");
        }
        s
    };
    let script = format!(
        r#"
-- A clean outgoing message: accepted with the verdict header and a new body.
local conn = mt.connect("inet:{milter_port}@127.0.0.1")
assert(conn, "cannot connect to the milter")
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil)
assert(mt.getreply(conn) == SMFIR_CONTINUE)
assert(mt.mailfrom(conn, "ann@acme.test") == nil)
assert(mt.getreply(conn) == SMFIR_CONTINUE)
assert(mt.rcptto(conn, "bob@client.test") == nil)
assert(mt.getreply(conn) == SMFIR_CONTINUE)
assert(mt.header(conn, "From", "ann@acme.test") == nil)
assert(mt.header(conn, "To", "bob@client.test") == nil)
assert(mt.header(conn, "Subject", "hello") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "Hello Bob\r\n") == nil)
assert(mt.eom(conn) == nil)
assert(mt.getreply(conn) == SMFIR_CONTINUE)
assert(mt.eom_check(conn, MT_HDRADD, "X-Charter-Verdict", " log; rules=mail.disclaimer"), "no verdict header")
assert(mt.eom_check(conn, MT_BODYCHANGE), "no disclaimer")
mt.disconnect(conn)

-- An executable: rejected with 550 naming the rule.
conn = mt.connect("inet:{milter_port}@127.0.0.1")
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil)
assert(mt.mailfrom(conn, "ann@acme.test") == nil)
assert(mt.rcptto(conn, "bob@client.test") == nil)
assert(mt.header(conn, "From", "ann@acme.test") == nil)
assert(mt.header(conn, "Content-Type", "multipart/mixed; boundary=b") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "--b\r\nContent-Type: application/octet-stream; name=run.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n{pe_b64}--b--\r\n") == nil)
assert(mt.eom(conn) == nil)
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "expected a reply code")
assert(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", "Charter: rule mail.executables (Email security (b)): attachment run.bin is a Windows executable"), "wrong reply text")
mt.disconnect(conn)

-- A bank-details change: quarantined.
conn = mt.connect("inet:{milter_port}@127.0.0.1")
assert(mt.conninfo(conn, "localhost", "127.0.0.1") == nil)
assert(mt.mailfrom(conn, "accounts@client.test") == nil)
assert(mt.rcptto(conn, "ann@acme.test") == nil)
assert(mt.header(conn, "Subject", "invoice") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "Our bank details have changed.\r\n") == nil)
assert(mt.eom(conn) == nil)
assert(mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
mt.disconnect(conn)
"#
    );
    let path = tmp.0.join("charter.lua");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = Command::new(miltertest)
        .args(["-vv", "-s"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "miltertest failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
