//! The log parsers on the fixtures of tests/fixtures/logs, which the real programs wrote
//! (make.sh, make-squid.sh, make-openvpn.sh) except where a file's first line says it is hand-written.

use charter_proto::logs::login::Logins;
use charter_proto::logs::syslog::{self, FixedOffset};
use charter_proto::logs::{
    DeviceAction, EventKind, LogEvent, LoginSystem, access_log, json, usbguard,
};

const UTC_2026: FixedOffset = FixedOffset {
    year: 2026,
    offset_secs: 0,
};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lines(name: &str) -> Vec<String> {
    fixture(name)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Every event of a syslog fixture; every line must frame.
fn syslog_events(name: &str) -> Vec<LogEvent> {
    let mut logins = Logins::new();
    lines(name)
        .iter()
        .filter_map(|l| {
            let parsed = syslog::parse(l, &UTC_2026).unwrap_or_else(|e| panic!("{name}: {l}: {e}"));
            logins.parse(&parsed)
        })
        .collect()
}

/// `(user, from, success, mfa)` of each sign-in; `logout user` of each sign-out.
fn summary(events: &[LogEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Login {
                from, success, mfa, ..
            } => format!(
                "login {} from {} {} mfa={mfa:?}",
                e.user.as_deref().unwrap_or("?"),
                from.as_deref().unwrap_or("?"),
                if *success { "ok" } else { "failed" }
            ),
            EventKind::Logout { .. } => format!("logout {}", e.user.as_deref().unwrap_or("?")),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn sshd_password_key_two_factor_and_failures() {
    let events = syslog_events("sshd.log");
    assert_eq!(
        summary(&events),
        [
            "login ann from 127.0.0.1 ok mfa=Some(false)",
            "logout ann",
            "login ann from 127.0.0.1 ok mfa=Some(false)",
            "logout ann",
            "login ann from 127.0.0.1 failed mfa=None",
            "login bob from 127.0.0.1 ok mfa=Some(true)",
            "logout bob",
            "login mallory from 127.0.0.1 failed mfa=None",
        ]
    );
    assert!(events.iter().all(|e| e.reporter == "vm"));
}

#[test]
fn openvpn_server_sign_in_refusal_and_exit() {
    let events = syslog_events("openvpn.log");
    assert_eq!(
        summary(&events),
        [
            "login ann from 127.0.0.1 ok mfa=Some(true)",
            "login ann from 127.0.0.1 failed mfa=None",
            "logout ann",
        ]
    );
    assert!(events.iter().all(|e| matches!(
        e.kind,
        EventKind::Login {
            system: LoginSystem::Vpn,
            ..
        } | EventKind::Logout {
            system: LoginSystem::Vpn,
            ..
        }
    )));
}

#[test]
fn openvpn_certificate_and_password_are_two_factors_either_alone_one() {
    assert_eq!(
        summary(&syslog_events("openvpn-factors.log")),
        [
            // verify-client-cert require and auth-user-pass-verify
            "login ann from 127.0.0.1 ok mfa=Some(true)",
            "login ann from 127.0.0.1 failed mfa=None",
            "logout ann",
            // verify-client-cert none: the password alone
            "login bob from 127.0.0.1 ok mfa=Some(false)",
            // no password check: the certificate alone
            "login ann from 127.0.0.1 ok mfa=Some(false)",
            "logout bob",
            "logout ann",
        ]
    );
}

#[test]
fn dovecot_imap_and_pop3() {
    assert_eq!(
        summary(&syslog_events("dovecot.log")),
        [
            "login ann from 127.0.0.1 ok mfa=Some(false)",
            "logout ann",
            "login ann from 127.0.0.1 failed mfa=None",
            "login ann from 127.0.0.1 ok mfa=Some(false)",
            "logout ann",
            "login ann from 127.0.0.1 failed mfa=None",
        ]
    );
}

#[test]
fn the_same_lines_in_rfc5424_and_rfc3339_files_give_the_same_events() {
    let mut all = syslog_events("sshd.log");
    all.extend(syslog_events("openvpn.log"));
    all.extend(syslog_events("dovecot.log"));
    let mut from_5424 = syslog_events("all-5424.log");
    let mut from_3339 = syslog_events("all-rfc3339.log");
    // The 3164 stamps are whole seconds; the others carry microseconds.
    for e in from_5424.iter_mut().chain(from_3339.iter_mut()) {
        e.at_us -= e.at_us % 1_000_000;
    }
    let key = |e: &LogEvent| format!("{}{:?}", e.at_us, e.kind);
    all.sort_by_key(key);
    from_5424.sort_by_key(key);
    from_3339.sort_by_key(key);
    assert_eq!(summary(&from_5424), summary(&all));
    assert_eq!(from_3339, all);
}

#[test]
fn strongswan_and_postfix_documented_lines() {
    assert_eq!(
        summary(&syslog_events("strongswan.log")),
        [
            "login ann@example.org from 198.51.100.7 ok mfa=None",
            "logout ann@example.org",
            "login bob from ? failed mfa=None",
        ]
    );
    assert_eq!(
        summary(&syslog_events("postfix.log")),
        [
            "login ann from 10.0.0.5 ok mfa=Some(false)",
            "login bob from 203.0.113.9 failed mfa=None",
        ]
    );
}

#[test]
fn squid_formats_give_the_same_requests() {
    let read = |name: &str| -> Vec<(Option<String>, String, u16)> {
        lines(name)
            .iter()
            .map(|l| {
                let e = access_log::parse(l.as_bytes())
                    .unwrap_or_else(|e| panic!("{name}: {l}: {e}"))
                    .unwrap_or_else(|| panic!("{name}: {l}: no event"));
                match e.kind {
                    EventKind::Web { url, status, .. } => (e.user, url, status),
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    };
    let native = read("squid-native.log");
    assert_eq!(native.len(), 7);
    assert_eq!(native[4].0.as_deref(), Some("ann"));
    assert_eq!(native[3].2, 407);
    for other in [
        "squid-common.log",
        "squid-combined.log",
        "squid-charter.log",
    ] {
        assert_eq!(read(other), native, "{other}");
    }
}

#[test]
fn usbguard_audit_lines() {
    let events: Vec<(String, DeviceAction)> = lines("usbguard-audit.log")
        .iter()
        .filter_map(|l| {
            usbguard::parse(l.as_bytes(), "laptop-7", 0).unwrap_or_else(|e| panic!("{l}: {e}"))
        })
        .map(|e| match e.kind {
            EventKind::Device { id, action, .. } => (id, action),
            other => panic!("{other:?}"),
        })
        .collect();
    let ids: Vec<(&str, DeviceAction)> = events.iter().map(|(i, a)| (i.as_str(), *a)).collect();
    assert_eq!(
        ids,
        [
            ("0781:5567", DeviceAction::Blocked),
            ("0781:5567", DeviceAction::Blocked),
            ("0781:5567", DeviceAction::Allowed),
            ("05ac:12a8", DeviceAction::Rejected),
            ("0781:5567", DeviceAction::Removed),
        ]
    );
}

#[test]
fn json_event_lines() {
    let parsed: Vec<_> = lines("events.jsonl")
        .iter()
        .map(|l| json::parse(l.as_bytes()))
        .collect();
    assert_eq!(
        parsed.iter().filter(|p| matches!(p, Ok(Some(_)))).count(),
        5
    );
    assert!(parsed[5].is_err(), "an unknown kind is refused");
}
