//! Every `on = "activity"` rule of every shipped pack has a source that fires it: one test per
//! pack names its rules, and for each a log line in a real format (OpenVPN 2.6 through
//! rsyslog, usbguard 1.1's audit file, the JSON lines of docs/ingest.md), read by ingest's
//! parser and decided by `App::decide_event`, makes the rule fire, and the clean line of the
//! same kind does not. The unfilled template
//! (`policies/template.toml`) is left out: its approver roles are placeholders nobody holds.
//! `excessive_personal_use` and `unusual_activity` are fed by personal-use accounting and
//! the baselines, not by one line; their tests are theirs.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use std::path::PathBuf;

use charter_app::App;
use charter_app::activity::UsbDevice;
use charter_app::ingest::{Format, LineParser, ZoneClock};
use charter_engine::Context;
use charter_policy::{Area, Check, Pack, Rule};
use charter_proto::logs::LogEvent;
use charter_store::*;
use jiff::Timestamp;

/// The checks one log line feeds, which this test proves for every pack.
const FROM_ONE_LINE: &[Check] = &[
    Check::AccessOutsideHours,
    Check::LoginWithoutMfa,
    Check::ConcurrentSessions,
    Check::UnauthorisedDevice,
    Check::UnauthorisedSoftware,
    Check::WorkFilesOnLocalDrive,
    Check::UnacknowledgedPolicy,
    Check::UnknownNetwork,
];

/// Fed by accounting over many lines (issue 11 items 3 and 4), not by one line.
const FROM_ACCOUNTING: &[Check] = &[Check::ExcessivePersonalUse, Check::UnusualActivity];

fn packs() -> Vec<(String, Pack)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".toml") || name == "template.toml" {
            continue;
        }
        out.push((name, charter_policy::load_file(&path).unwrap()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 6, "{out:?}");
    out
}

fn op() -> Actor {
    Actor::System("test".into())
}

/// A role the rule applies to, declared by the pack.
fn role_for(pack: &Pack, rule: &Rule) -> String {
    if let Some(r) = rule.roles.first() {
        return r.clone();
    }
    let declared = &pack.organisation.roles;
    ["staff".to_string()]
        .iter()
        .chain(declared.iter())
        .find(|r| (declared.is_empty() || declared.contains(r)) && !rule.except_roles.contains(r))
        .cloned()
        .unwrap()
}

async fn person(app: &App, first: &str, role: &str, login: Option<&str>) -> Person {
    let p = app
        .add_person(
            &op(),
            NewPerson {
                first_name: first.into(),
                last_name: "Test".into(),
                location: Some("uk".into()),
                department: Some("ops".into()),
                roles: vec![role.to_string()],
                ..NewPerson::default()
            },
            false,
        )
        .await
        .unwrap()
        .person;
    if let Some(login) = login {
        app.add_account(&op(), p.id, "vpn", login).await.unwrap();
    }
    p
}

/// Candidate times, local to the pack: a weekday morning and afternoon, a weekday night,
/// a Sunday small hour.
fn candidates(app: &App) -> Vec<Timestamp> {
    [
        "2026-06-15T10:00",
        "2026-06-15T14:00",
        "2026-06-15T22:30",
        "2026-06-14T03:00",
    ]
    .iter()
    .map(|t| {
        t.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned_datetime(app.time_zone().clone())
            .unwrap()
            .timestamp()
    })
    .collect()
}

/// A time when `rule` is in force for someone holding `role`, and one when it is not (for
/// rules with a window).
fn times(app: &App, rule: &Rule, role: &str) -> (Timestamp, Option<Timestamp>) {
    let in_force = |at: Timestamp| {
        let ctx = Context::new(Some("x".into()), vec![role.to_string()], at);
        app.engine()
            .rules_in_force(Area::Activity, &ctx)
            .any(|r| r.id == rule.id)
    };
    let all = candidates(app);
    let on = all.iter().copied().find(|t| in_force(*t)).unwrap();
    let off = all.iter().copied().find(|t| !in_force(*t));
    (on, off)
}

/// One log line in a real format, and the format ingest reads it with.
struct Line {
    format: Format,
    text: String,
}

/// RFC 3164's stamp (`Jun 15 10:00:00`), in the pack's zone, as rsyslog writes it.
fn stamp(app: &App, at: Timestamp) -> String {
    let z = at.to_zoned_datetime(app.time_zone().clone());
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {:>2} {:02}:{:02}:{:02}",
        MONTHS[usize::try_from(z.month() - 1).unwrap()],
        z.day(),
        z.hour(),
        z.minute(),
        z.second()
    )
}

/// An OpenVPN 2.6 server's sign-in line through rsyslog, as in
/// crates/proto/tests/fixtures/logs/openvpn.log.
fn openvpn_in(app: &App, at: Timestamp, user: &str, ip: &str) -> Line {
    Line {
        format: Format::Syslog,
        text: format!(
            "{} vpn1 openvpn[1989]: {ip}:37347 [{user}] Peer Connection Initiated with [AF_INET]{ip}:37347",
            stamp(app, at)
        ),
    }
}

/// Its line when the client leaves.
fn openvpn_out(app: &App, at: Timestamp, user: &str, ip: &str) -> Line {
    Line {
        format: Format::Syslog,
        text: format!(
            "{} vpn1 openvpn[1989]: {user}/{ip}:37347 SIGTERM[soft,remote-exit] received, client-instance exiting",
            stamp(app, at)
        ),
    }
}

/// A JSON line (docs/ingest.md); `fields` follow `kind` and `at`.
fn json(kind: &str, at: Timestamp, fields: &str) -> Line {
    Line {
        format: Format::Events,
        text: format!(r#"{{"kind":"{kind}","at":"{at}",{fields}}}"#),
    }
}

/// usbguard 1.1's audit line for a device its policy blocked, as in
/// crates/proto/tests/fixtures/logs/usbguard-audit.log.
fn usbguard(at: Timestamp, id: &str, serial: &str, name: &str) -> Line {
    let secs = at.as_second();
    Line {
        format: Format::Usbguard,
        text: format!(
            "[{secs}.101] (A) uid=0 pid=812 device.rule='block id {id} serial \"{serial}\" name \"{name}\" with-interface 08:06:50' device.system_name='/devices/pci0000:00/0000:00:14.0/usb1/1-2' result='SUCCESS' target='block' type='Policy.Device.Insert'"
        ),
    }
}

/// The event ingest reads from `line` (each line is read by a parser of its own: OpenVPN's
/// sign-ins need no earlier line).
fn parse(app: &App, line: &Line) -> LogEvent {
    let now: Timestamp = "2026-06-16T00:00:00Z".parse().unwrap();
    let clock = ZoneClock::new(app.time_zone().clone(), now);
    LineParser::new(line.format, clock, "lt-07")
        .parse(line.text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}: {}", line.text))
        .unwrap_or_else(|| panic!("no event in {}", line.text))
}

async fn fired(app: &App, line: &Line, rule: &str) -> bool {
    let d = app.decide_event(&parse(app, line)).await.unwrap();
    d.is_some_and(|d| d.findings.iter().any(|f| f.rule == rule))
}

/// Proves `rule` of the app's pack fires from its event and not from the clean one.
async fn prove(app: &App, rule: &Rule, n: usize) {
    let check = *rule
        .checks
        .iter()
        .find(|c| FROM_ONE_LINE.contains(c))
        .unwrap();
    let role = role_for(app.pack(), rule);
    let (on, off) = times(app, rule, &role);
    let user = format!("user{n}");
    let who = person(app, &format!("P{n}"), &role, Some(&user)).await;
    let id = rule.id.as_str();
    let host = "lt-07";
    let (bad, clean): (Vec<Line>, Vec<Line>) = match check {
        Check::AccessOutsideHours => {
            let off = off.expect("an hours rule has a time it is not in force");
            (
                vec![openvpn_in(app, on, &user, "203.0.113.9")],
                vec![
                    openvpn_out(app, on, &user, "203.0.113.9"),
                    openvpn_in(app, off, &user, "203.0.113.9"),
                ],
            )
        }
        Check::LoginWithoutMfa => {
            let login = |mfa: bool| {
                json(
                    "login",
                    on,
                    &format!(
                        r#""host":"vpn1","user":"{user}","system":"vpn","from":"203.0.113.9","mfa":{mfa},"success":true"#
                    ),
                )
            };
            let logout = json(
                "logout",
                on,
                &format!(r#""host":"vpn1","user":"{user}","system":"vpn","from":"203.0.113.9""#),
            );
            (vec![login(false)], vec![logout, login(true)])
        }
        Check::ConcurrentSessions => (
            vec![
                openvpn_in(app, on, &user, "203.0.113.9"),
                openvpn_in(app, on, &user, "198.51.100.4"),
            ],
            vec![
                openvpn_out(app, on, &user, "203.0.113.9"),
                openvpn_out(app, on, &user, "198.51.100.4"),
                openvpn_in(app, on, &user, "192.0.2.1"),
            ],
        ),
        Check::UnauthorisedDevice => {
            let approver = app.pack().governance.device_approvers[0].clone();
            let it = person(app, &format!("A{n}"), &approver, None).await;
            let usb = UsbDevice {
                id: "0951:1666".into(),
                serial: Some(format!("SER{n}")),
            };
            app.authorise_media(
                &Actor::Person(it.id),
                who.id,
                "Kingston",
                "work",
                None,
                Some(usb),
            )
            .await
            .unwrap();
            (
                vec![usbguard(on, "0951:1666", "OTHER", "DataTraveler 3.0")],
                vec![usbguard(
                    on,
                    "0951:1666",
                    &format!("SER{n}"),
                    "DataTraveler 3.0",
                )],
            )
        }
        Check::UnauthorisedSoftware => {
            let approver = app.pack().governance.software_approvers[0].clone();
            let sec = person(app, &format!("S{n}"), &approver, None).await;
            let req = app
                .request_software(&Actor::Person(who.id), who.id, "LibreOffice", "work")
                .await
                .unwrap();
            app.decide_software(&Actor::Person(sec.id), req.id, true, "ok")
                .await
                .unwrap();
            let software = |name: &str| {
                json(
                    "software",
                    on,
                    &format!(r#""host":"{host}","user":"{user}","name":"{name}","version":"1.0""#),
                )
            };
            (vec![software("uTorrent")], vec![software("LibreOffice")])
        }
        Check::WorkFilesOnLocalDrive => {
            let file = |local: bool| {
                json(
                    "file_location",
                    on,
                    &format!(
                        r#""host":"{host}","user":"{user}","path":"C:/Users/p/Documents/learners.xlsx","local":{local}"#
                    ),
                )
            };
            (vec![file(true)], vec![file(false)])
        }
        Check::UnknownNetwork => {
            let network = |name: &str| {
                json(
                    "network",
                    on,
                    &format!(r#""host":"{host}","user":"{user}","network":"{name}""#),
                )
            };
            (
                vec![network("Costa Free WiFi")],
                vec![network(&rule.networks[0])],
            )
        }
        Check::UnacknowledgedPolicy => {
            assert!(
                app.pack().governance.acknowledge_before_use,
                "rule {id}: acknowledge_before_use is off, so nothing can feed it"
            );
            let v = app
                .publish_policy(&op(), "1", "the policy", true)
                .await
                .unwrap();
            let signed_user = format!("signed{n}");
            let signed = person(app, &format!("Q{n}"), &role, Some(&signed_user)).await;
            app.acknowledge(
                &Actor::Person(signed.id),
                signed.id,
                v.id,
                &v.text_hash,
                AckKind::Agreement,
                None,
            )
            .await
            .unwrap();
            (
                vec![openvpn_in(app, on, &user, "203.0.113.9")],
                vec![openvpn_in(app, on, &signed_user, "203.0.113.9")],
            )
        }
        other => panic!("no line feeds {other}"),
    };
    let (last_bad, before) = bad.split_last().unwrap();
    for line in before {
        app.decide_event(&parse(app, line)).await.unwrap();
    }
    assert!(
        fired(app, last_bad, id).await,
        "rule {id} ({check}) did not fire on {}",
        last_bad.text
    );
    let (last_clean, before) = clean.split_last().unwrap();
    for line in before {
        app.decide_event(&parse(app, line)).await.unwrap();
    }
    assert!(
        !fired(app, last_clean, id).await,
        "rule {id} ({check}) fired on the clean {}",
        last_clean.text
    );
}

/// Proves every rule of `file` fed by one line, after checking they are exactly `rules`.
async fn prove_pack(file: &str, rules: &[&str]) {
    let (_, pack) = packs().into_iter().find(|(n, _)| n == file).unwrap();
    let fed: Vec<&Rule> = pack
        .rules_on(Area::Activity)
        .filter(|r| !r.checks.iter().all(|c| FROM_ACCOUNTING.contains(c)))
        .collect();
    let ids: Vec<&str> = fed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, rules, "{file}: the activity rules one line feeds");
    let db = common::sqlite().await;
    let app = App::new(pack.clone(), db.app.store().clone());
    for (n, rule) in fed.into_iter().enumerate() {
        prove(&app, rule, n).await;
    }
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allsorts_activity_rules_fire_from_their_lines() {
    prove_pack(
        "allsorts.toml",
        &[
            "software.manager-authorisation",
            "security.removable-media",
            "security.password-sharing",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_activity_rules_fire_from_their_lines() {
    prove_pack(
        "demo.toml",
        &[
            "remote.agreed-hours",
            "remote.two-factor",
            "accounts.shared-credentials",
            "devices.removable-media",
            "software.authorisation",
            "devices.agreed-networks",
            "policy.sign-before-use",
            "storage.local-drive",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iimts_activity_rules_fire_from_their_lines() {
    prove_pack(
        "iimts.toml",
        &[
            "activity.unauthorised-software",
            "activity.shared-credentials",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impress_activity_rules_fire_from_their_lines() {
    prove_pack(
        "impress.toml",
        &[
            "storage.no-local-drive",
            "security.vpn-two-factor",
            "equipment.software-consent",
            "equipment.hardware-consent",
            "security.security-information",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn itec_activity_rules_fire_from_their_lines() {
    prove_pack(
        "itec.toml",
        &[
            "remote.vpn-work-hours",
            "laptop.software-authorised",
            "laptop.third-party-hardware",
            "esafety.learner-data-storage",
            "laptop.assigned-user-only",
            "agreement.sign-before-use",
            "laptop.authorised-networks",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_filled_activity_rules_fire_from_their_lines() {
    prove_pack(
        "template-filled.example.toml",
        &[
            "systems.usb-devices",
            "systems.software-authorisation",
            "passwords.no-sharing",
        ],
    )
    .await;
}

#[test]
fn every_pack_has_its_test() {
    let tested = [
        "allsorts.toml",
        "demo.toml",
        "iimts.toml",
        "impress.toml",
        "itec.toml",
        "template-filled.example.toml",
    ];
    let names: Vec<String> = packs().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, tested);
}
