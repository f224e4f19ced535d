//! The dashboard in a real browser: each test starts `charter serve` over a fresh SQLite
//! store with logins made by `charter users add`, then runs one scenario of
//! `tests/browser/dashboard.mjs`, which drives Debian's Chromium through playwright-core
//! (signing in with TOTP codes it computes) and checks the main pages with axe-core.
//!
//! Needs `/usr/bin/chromium` (`.ci/packages/dashboard.txt`) and `npm ci` in `tests/browser`
//! (`.ci/setup/dashboard.sh`); without them the tests fail, saying so. With
//! `CHARTER_SCREENSHOTS=DIR` the accessibility scenario saves the main pages as PNGs there
//! (`docs/screenshots/`).
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_site;
mod ports;

use std::path::{Path, PathBuf};
use std::process::Command;

use dashboard_site::{DashboardSite, PASSWORD};

const PACK: &str = r#"
[policy]
id = "browser"
title = "Acme acceptable use policy"
source = "tests"
timezone = "Europe/London"
[organisation]
name = "Acme Ltd"
domains = ["acme.test"]
roles = ["staff", "hr", "compliance"]
[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
[governance]
register_roles = ["hr"]
compliance_roles = ["compliance"]
data_protection_roles = ["compliance"]
access_approvers = ["hr"]
breach_contact = "the Data Protection Officer"
[[rule]]
id = "remote.vpn-work-hours"
clause = "4. Remote working"
quote = "Access outside of work hours without express permission is prohibited."
on = "activity"
checks = ["access_outside_hours"]
outside = "working"
action = "block"
severity = "misconduct"
alert = ["hr"]
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

const RECORDS: &str = r#"{"at":"2026-06-15T10:05","user":"ann","source":"mail","subject":"From: ann.staff@acme.test To: pal@client.test Subject: lunch","verdict":"log","rule":"mail.abusive","check":"abusive_language","severity":"misconduct"}
"#;

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// The site every scenario starts from; the description `run.mjs` reads.
fn seeded_site() -> (DashboardSite, serde_json::Value) {
    let site = DashboardSite::start(PACK);
    let mut logins = serde_json::Map::new();
    for (first, last, roles, login) in [
        ("Cat", "Officer", "staff,compliance", "cat"),
        ("Hal", "Hr", "staff,hr", "hal"),
        ("Ann", "Staff", "staff", "ann"),
    ] {
        site.person(first, last, roles);
        let secret = site.user(&format!("{first} {last}"), login);
        logins.insert(
            login.into(),
            serde_json::json!({ "secret": secret, "name": format!("{first} {last}") }),
        );
    }
    let text = site.path("policy.txt");
    std::fs::write(&text, "Acme's acceptable use policy.").unwrap();
    site.charter(
        &[
            "acks",
            "publish",
            "--version",
            "2.0",
            "--text",
            text.to_str().unwrap(),
        ],
        "",
    );
    site.charter(
        &[
            "approvals",
            "ask-out-of-hours",
            "--reason",
            "month-end close, evenings this week",
            "--by",
            "Ann Staff",
        ],
        "",
    );
    site.charter(
        &[
            "accounts",
            "add",
            "Ann Staff",
            "--system",
            "proxy",
            "--name",
            "ann",
        ],
        "",
    );
    let records = site.path("records.jsonl");
    std::fs::write(&records, RECORDS).unwrap();
    site.charter(&["records", "import", records.to_str().unwrap()], "");
    let description = serde_json::json!({
        "url": site.url(),
        "password": PASSWORD,
        "logins": logins,
    });
    (site, description)
}

/// Runs `scenario` against a fresh site; fails with the browser's account of what went wrong.
fn scenario(name: &str) {
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run `npm ci` in {} (.ci/setup/dashboard.sh)",
        dir.display()
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: apt-get install chromium (.ci/packages/dashboard.txt)"
    );
    let (site, description) = seeded_site();
    let file = site.path("site.json");
    std::fs::write(&file, description.to_string()).unwrap();
    let out = Command::new("node")
        .arg(dir.join("run.mjs"))
        .arg(&file)
        .arg(name)
        .output()
        .expect("node runs (apt-get install nodejs)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{name} in Chromium:\n{said}");
    assert!(said.contains("1 passed, 0 failed"), "{said}");
}

/// One test a scenario of `tests/browser/dashboard.mjs`.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                scenario(stringify!($name));
            }
        )*
    };
}

scenarios!(
    signs_in_with_a_totp_code,
    acknowledges_the_policy,
    logs_a_breach_and_sees_its_clock,
    approves_an_access_request,
    triages_an_alert,
    staff_are_refused_what_their_role_may_not_see,
    main_pages_are_accessible,
);
