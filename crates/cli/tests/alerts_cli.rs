//! `charter alerts` end to end with a real MTA: a private Postfix from Debian on loopback is
//! the `[alerts] smtp` relay and delivers to a maildir. Records imported with `charter records
//! import` go through the monitor hook: the safeguarding alert is mailed at once to the
//! safeguarding lead, the others wait for `charter alerts digest --send`; every mail names the
//! rule and the clause and never carries the body of mail marked personal. Each subcommand
//! of `charter alerts` is run. A missing Postfix fails the test; nothing is skipped.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod ports;
mod postfix_support;

use std::path::Path;
use std::process::{Command, Output};

use postfix_support::{Postfix, TempDir};

const PACK: &str = r#"
[policy]
id = "alerts"
title = "Alerts test pack"
source = "tests"
timezone = "Europe/London"
[organisation]
name = "Acme Ltd"
domains = ["acme.test"]
roles = ["staff", "hr", "safeguarding_lead", "dpo", "compliance", "it"]
[[accounts.address]]
applies_to = "staff"
format = "{first}.{last}"
[[accounts.address]]
applies_to = "hr"
format = "{first}.{last}"
[[accounts.address]]
applies_to = "safeguarding_lead"
format = "{first}.{last}"
[governance]
safeguarding_role = "safeguarding_lead"
register_roles = ["hr"]
[[rule]]
id = "web.extremism"
clause = "4.1 Safeguarding"
quote = "Staff must not access extremist material."
on = "web"
categories = ["extremism"]
action = "block"
severity = "gross_misconduct"
alert = ["safeguarding"]
[[rule]]
id = "mail.abusive"
clause = "6.1 Contents of emails"
quote = "Messages that are obscene or otherwise inappropriate will be treated as misconduct."
on = "mail"
checks = ["abusive_language"]
action = "log"
severity = "misconduct"
alert = ["hr"]
"#;

const RECORDS: &str = r#"{"at":"2026-06-15T10:00","user":"ann","source":"web","subject":"http://bad.example/a","verdict":"block","rule":"web.extremism","check":"prohibited_category","severity":"gross_misconduct","categories":"extremism"}
{"at":"2026-06-15T10:20","user":"ann","source":"web","subject":"http://bad.example/b","verdict":"block","rule":"web.extremism","check":"prohibited_category","severity":"gross_misconduct","categories":"extremism"}
{"at":"2026-06-15T11:05","user":"ann","source":"web","subject":"http://bad.example/c","verdict":"block","rule":"web.extremism","check":"prohibited_category","severity":"gross_misconduct","categories":"extremism"}
{"at":"2026-06-15T12:05","user":"ann","source":"web","subject":"http://bad.example/d","verdict":"block","rule":"web.extremism","check":"prohibited_category","severity":"gross_misconduct","categories":"extremism"}
{"at":"2026-06-15T10:05","user":"ann","source":"mail","subject":"From: ann.staff@acme.test To: pal@client.test Subject: private","verdict":"log","rule":"mail.abusive","check":"abusive_language","severity":"misconduct","headers_only":true,"detail":"BODY-SECRET you are a fool"}
"#;

fn charter(cfg: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(cfg: &Path, args: &[&str]) -> String {
    let o = charter(cfg, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ids(json: &str) -> Vec<i64> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

/// The message's headers and decoded text.
fn readable(raw: &[u8]) -> String {
    let m = mail_parser::MessageParser::new().parse(raw).unwrap();
    format!(
        "{}\n{}",
        String::from_utf8_lossy(raw),
        m.body_text(0).unwrap_or_default()
    )
}

#[test]
fn alerts_are_mailed_digested_and_triaged() {
    let tmp = TempDir::new("alerts-mail");
    let pf = Postfix::start(&tmp.0, "");
    let dir = &tmp.0;
    std::fs::write(dir.join("pack.toml"), PACK).unwrap();
    let cfg = dir.join("charter.toml");
    std::fs::write(
        &cfg,
        format!(
            "policy = \"pack.toml\"\n[store]\nurl = \"sqlite://charter.db\"\n[alerts]\nsmtp = \"127.0.0.1:{}\"\nfrom = \"charter@acme.test\"\ndigest_at = \"08:00\"\n",
            pf.port
        ),
    )
    .unwrap();
    for (first, last, roles) in [
        ("Sam", "Safe", "safeguarding_lead"),
        ("Hana", "Hr", "hr"),
        ("Ann", "Staff", "staff"),
    ] {
        ok(
            &cfg,
            &[
                "people", "add", "--first", first, "--last", last, "--roles", roles, "--email",
            ],
        );
    }
    ok(
        &cfg,
        &[
            "accounts",
            "add",
            "Ann Staff",
            "--system",
            "proxy",
            "--name",
            "ann",
        ],
    );
    let file = dir.join("records.jsonl");
    std::fs::write(&file, RECORDS).unwrap();
    let import = charter(&cfg, &["records", "import", file.to_str().unwrap()]);
    assert_eq!(import.status.code(), Some(0), "{}", text(&import));
    // Three hours of the extremism rule (two hits in the first hour make one alert), and the
    // personal mail: four alerts, three of them safeguarding, mailed at once.
    assert!(
        text(&import).contains("alerts=4 mailed=3"),
        "{}",
        text(&import)
    );

    // The safeguarding mail reached the safeguarding lead through Postfix.
    let raw = pf.delivered("Charter safeguarding alert");
    let mail = readable(&raw);
    assert!(mail.contains("sam.safe@acme.test"), "{mail}");
    assert!(mail.contains("rule web.extremism"), "{mail}");
    assert!(mail.contains("Clause: 4.1 Safeguarding"), "{mail}");
    assert!(
        mail.contains("Staff must not access extremist material."),
        "{mail}"
    );
    assert!(!mail.contains("hana.hr@acme.test"), "{mail}");

    // list: each sees what is routed to them.
    let sams = ids(&ok(&cfg, &["alerts", "list", "--by", "Sam Safe", "--json"]));
    assert_eq!(sams.len(), 3);
    let hanas = ids(&ok(&cfg, &["alerts", "list", "--by", "Hana Hr", "--json"]));
    assert_eq!(hanas.len(), 1);
    let listed = ok(&cfg, &["alerts", "list", "--by", "Hana Hr"]);
    assert!(
        listed.contains("rule mail.abusive (6.1 Contents of emails)"),
        "{listed}"
    );
    assert!(!listed.contains("BODY-SECRET"), "{listed}");

    // show: the alert, its policy quote and its record; others' alerts are refused.
    let shown = ok(
        &cfg,
        &["alerts", "show", &sams[0].to_string(), "--by", "Sam Safe"],
    );
    assert!(
        shown.contains("policy: \"Staff must not access extremist material.\""),
        "{shown}"
    );
    assert!(shown.contains("http://bad.example/"), "{shown}");
    let refused = charter(
        &cfg,
        &["alerts", "show", &sams[0].to_string(), "--by", "Hana Hr"],
    );
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        text(&refused).contains("may not see alerts"),
        "{}",
        text(&refused)
    );
    let audit = ok(&cfg, &["audit", "list"]);
    assert!(
        audit.contains("alert.view") && audit.contains("records.view"),
        "{audit}"
    );

    // digest: printed, then sent to HR through Postfix; never the personal mail's body.
    let digest = ok(&cfg, &["alerts", "digest"]);
    assert!(digest.contains("To: hana.hr@acme.test"), "{digest}");
    assert!(digest.contains("rule mail.abusive"), "{digest}");
    assert!(!digest.contains("BODY-SECRET"), "{digest}");
    let sent = ok(&cfg, &["alerts", "digest", "--send"]);
    assert!(sent.contains("digest sent: 1 mail(s), 0 failed"), "{sent}");
    let raw = pf.delivered("Charter daily digest");
    let mail = readable(&raw);
    assert!(mail.contains("hana.hr@acme.test"), "{mail}");
    assert!(mail.contains("rule mail.abusive"), "{mail}");
    assert!(mail.contains("Clause: 6.1 Contents of emails"), "{mail}");
    assert!(mail.contains("marked personal"), "{mail}");
    assert!(
        !mail.contains("BODY-SECRET") && !mail.contains("fool"),
        "{mail}"
    );
    assert!(ok(&cfg, &["alerts", "digest"]).contains("nothing to send"));

    // confirm, dismiss (a note is required), refer (a disciplinary incident).
    let s = |i: usize| sams[i].to_string();
    assert!(
        ok(
            &cfg,
            &[
                "alerts",
                "confirm",
                &s(0),
                "--by",
                "Sam Safe",
                "--note",
                "spoke to Ann"
            ]
        )
        .contains("confirmed")
    );
    let no_note = charter(&cfg, &["alerts", "dismiss", &s(1), "--by", "Sam Safe"]);
    assert_eq!(no_note.status.code(), Some(2), "{}", text(&no_note));
    let blank = charter(
        &cfg,
        &[
            "alerts",
            "dismiss",
            &s(1),
            "--by",
            "Sam Safe",
            "--note",
            " ",
        ],
    );
    assert_ne!(blank.status.code(), Some(0));
    assert!(text(&blank).contains("needs a note"), "{}", text(&blank));
    assert!(
        ok(
            &cfg,
            &[
                "alerts",
                "dismiss",
                &s(1),
                "--by",
                "Sam Safe",
                "--note",
                "a news report"
            ]
        )
        .contains("dismissed")
    );
    let referred = ok(&cfg, &["alerts", "refer", &s(2), "--by", "Sam Safe"]);
    assert!(referred.contains("disciplinary incident"), "{referred}");
    assert!(referred.contains("gross_misconduct"), "{referred}");
    let open = ok(
        &cfg,
        &[
            "alerts", "list", "--status", "open", "--by", "Sam Safe", "--json",
        ],
    );
    assert!(ids(&open).is_empty(), "{open}");

    // agreement: no alert here came from a model (crates/app/tests/monitoring.rs has those).
    let agreement = ok(&cfg, &["alerts", "agreement", "--by", "Hana Hr"]);
    assert!(
        agreement.contains("no alert has been raised by a model"),
        "{agreement}"
    );
    assert_eq!(
        ok(&cfg, &["alerts", "agreement", "--by", "Hana Hr", "--json"]).trim(),
        "[]"
    );
}
