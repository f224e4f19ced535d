//! Every activity check fed from log events (App::decide_event): each fires on the event that
//! breaks its rule and stays quiet on the clean one, each case on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use charter_app::App;
use charter_app::activity::UsbDevice;
use charter_engine::Decision;
use charter_policy::{Check, Verdict};
use charter_proto::logs::{DeviceAction, EventKind, LogEvent, LoginSystem};
use charter_store::*;
use jiff::Timestamp;

/// The test pack with one rule per activity check, and the company secretary approving
/// access.
fn app_with_rules(app: &App) -> App {
    let pack = format!(
        "{}access_approvers = [\"company_secretary\"]\n{RULES}",
        common::PACK
    );
    App::new(
        charter_policy::parse(&pack, "test.toml").unwrap(),
        app.store().clone(),
    )
}

const RULES: &str = r#"
[[rule]]
id = "vpn.hours"
clause = "4"
quote = "Access outside of work hours without express permission is prohibited."
on = "activity"
checks = ["access_outside_hours"]
outside = "working"
action = "block"
severity = "misconduct"

[[rule]]
id = "vpn.mfa"
clause = "5"
quote = "a 2-factor authentication VPN connection when outside the office"
on = "activity"
checks = ["login_without_mfa"]
action = "block"
severity = "concern"

[[rule]]
id = "accounts.shared"
clause = "6"
quote = "Never use another person's login."
on = "activity"
checks = ["concurrent_sessions"]
action = "warn"
severity = "concern"

[[rule]]
id = "media"
clause = "7"
quote = "USB drives need authorisation."
on = "activity"
checks = ["unauthorised_device"]
action = "hold"
severity = "concern"

[[rule]]
id = "software"
clause = "8"
quote = "Software is authorised before installation."
on = "activity"
checks = ["unauthorised_software"]
action = "hold"
severity = "misconduct"

[[rule]]
id = "files"
clause = "9"
quote = "Work files are kept on the server."
on = "activity"
checks = ["work_files_on_local_drive"]
action = "warn"
severity = "concern"

[[rule]]
id = "networks"
clause = "3.3"
quote = "The laptop must not be connected to any other network other than ILT without authorisation"
on = "activity"
checks = ["unknown_network"]
networks = ["ILT"]
action = "warn"
severity = "concern"

[[rule]]
id = "agreement"
clause = "1"
quote = "sign a copy of the agreement prior to using the facilities"
on = "activity"
checks = ["unacknowledged_policy"]
action = "warn"
severity = "concern"
"#;

fn op() -> Actor {
    Actor::System("test".into())
}

fn by(p: &Person) -> Actor {
    Actor::Person(p.id)
}

async fn person(app: &App, first: &str, roles: &[&str], login: &str) -> Person {
    let p = app
        .add_person(
            &op(),
            NewPerson {
                first_name: first.into(),
                last_name: "Test".into(),
                location: Some("uk".into()),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                ..NewPerson::default()
            },
            false,
        )
        .await
        .unwrap()
        .person;
    app.add_account(&op(), p.id, "vpn", login).await.unwrap();
    p
}

/// Monday 15 June 2026 at `hh:mm` London time (BST, UTC+1).
fn monday(hh: i64, mm: i64) -> i64 {
    let t: Timestamp = "2026-06-15T00:00:00Z".parse().unwrap();
    t.as_microsecond() + ((hh - 1) * 3600 + mm * 60) * 1_000_000
}

fn event(at_us: i64, user: Option<&str>, kind: EventKind) -> LogEvent {
    LogEvent {
        at_us,
        user: user.map(str::to_string),
        reporter: "test".into(),
        kind,
    }
}

fn vpn(at_us: i64, user: &str, from: &str, mfa: Option<bool>) -> LogEvent {
    event(
        at_us,
        Some(user),
        EventKind::Login {
            system: LoginSystem::Vpn,
            from: Some(from.into()),
            mfa,
            success: true,
            session: Some(format!("{user}/{from}")),
        },
    )
}

fn vpn_off(at_us: i64, user: &str, from: &str) -> LogEvent {
    event(
        at_us,
        Some(user),
        EventKind::Logout {
            system: LoginSystem::Vpn,
            from: Some(from.into()),
            session: Some(format!("{user}/{from}")),
        },
    )
}

async fn decide(app: &App, e: &LogEvent) -> Decision {
    app.decide_event(e).await.unwrap().expect("a decision")
}

fn checks(d: &Decision) -> Vec<Check> {
    d.findings.iter().map(|f| f.check).collect()
}

both!(
    vpn_outside_the_agreed_hours_needs_express_permission,
    |app| {
        let app = app_with_rules(app);
        let ann = person(&app, "Ann", &["staff"], "ann").await;
        let sec = person(&app, "Sue", &["company_secretary"], "sue").await;
        let day = decide(&app, &vpn(monday(10, 0), "ann", "203.0.113.9", Some(true))).await;
        assert_eq!(day.verdict, Verdict::Allow, "{day:?}");
        app.decide_event(&vpn_off(monday(11, 0), "ann", "203.0.113.9"))
            .await
            .unwrap();
        let night = decide(&app, &vpn(monday(22, 0), "ann", "203.0.113.9", Some(true))).await;
        assert_eq!(checks(&night), [Check::AccessOutsideHours]);
        assert_eq!(night.verdict, Verdict::Block);
        app.decide_event(&vpn_off(monday(22, 30), "ann", "203.0.113.9"))
            .await
            .unwrap();
        // Permission: asked for, approved by an access approver for a week from Monday.
        let asked = app
            .ask_out_of_hours(&by(&ann), "month-end close")
            .await
            .unwrap();
        assert_eq!(asked.site, charter_app::activity::OUT_OF_HOURS_SITE);
        let from = Timestamp::from_microsecond(monday(8, 0)).unwrap();
        app.decide_access(&by(&sec), asked.id, true, "agreed", from, None)
            .await
            .unwrap();
        let permitted = decide(&app, &vpn(monday(23, 0), "ann", "203.0.113.9", Some(true))).await;
        assert_eq!(permitted.verdict, Verdict::Allow, "{permitted:?}");
    }
);

both!(
    vpn_without_a_second_factor_is_found_but_an_unknown_one_is_not,
    |app| {
        let app = app_with_rules(app);
        person(&app, "Ann", &["staff"], "ann").await;
        let without = decide(
            &app,
            &vpn(monday(10, 0), "ann", "198.51.100.1", Some(false)),
        )
        .await;
        assert_eq!(checks(&without), [Check::LoginWithoutMfa]);
        app.decide_event(&vpn_off(monday(10, 5), "ann", "198.51.100.1"))
            .await
            .unwrap();
        let unknown = decide(&app, &vpn(monday(10, 10), "ann", "198.51.100.1", None)).await;
        assert_eq!(unknown.verdict, Verdict::Allow, "{unknown:?}");
        // A failed sign-in decides nothing.
        let mut failed = vpn(monday(10, 20), "ann", "198.51.100.1", Some(false));
        if let EventKind::Login { success, .. } = &mut failed.kind {
            *success = false;
        }
        assert!(app.decide_event(&failed).await.unwrap().is_none());
        // SSH is remote access too; mail sign-ins never carry a second factor and are not
        // judged.
        let login = |system, at| {
            event(
                at,
                Some("ann"),
                EventKind::Login {
                    system,
                    from: Some("198.51.100.1".into()),
                    mfa: Some(false),
                    success: true,
                    session: None,
                },
            )
        };
        let ssh = decide(&app, &login(LoginSystem::Ssh, monday(10, 30))).await;
        assert_eq!(checks(&ssh), [Check::LoginWithoutMfa]);
        assert_eq!(
            ssh.findings[0].message,
            "ann signed in to SSH without two-factor sign-in"
        );
        let mail = decide(&app, &login(LoginSystem::Mail, monday(10, 31))).await;
        assert_eq!(mail.verdict, Verdict::Allow, "{mail:?}");
    }
);

both!(the_registers_read_once_decide_all_but_sessions, |app| {
    let app = app_with_rules(app);
    let ann = person(&app, "Ann", &["staff"], "ann").await;
    let sec = person(&app, "Sue", &["company_secretary"], "sue").await;
    let it = person(&app, "Ian", &["it"], "ian").await;
    let hr = person(&app, "Hal", &["hr"], "hal").await;
    let asked = app.ask_out_of_hours(&by(&ann), "close").await.unwrap();
    let from = Timestamp::from_microsecond(monday(8, 0)).unwrap();
    app.decide_access(&by(&sec), asked.id, true, "ok", from, None)
        .await
        .unwrap();
    let usb = UsbDevice {
        id: "0781:5567".into(),
        serial: None,
    };
    app.authorise_media(&by(&it), ann.id, "stick", "visits", None, Some(usb))
        .await
        .unwrap();
    app.publish_policy(&by(&hr), "1", "the policy", true)
        .await
        .unwrap();
    let facts = app.event_facts().await.unwrap();
    let decide = |e: &LogEvent| {
        charter_app::ingest::decide_activity(app.engine(), &facts, e).expect("a decision")
    };
    // At night with the approval: only the agreement Ann has not signed.
    let night = decide(&vpn(monday(22, 0), "ann", "203.0.113.9", Some(true)));
    assert_eq!(checks(&night), [Check::UnacknowledgedPolicy]);
    // Before the approval's start it does not hold.
    let early = decide(&vpn(monday(7, 0), "ann", "203.0.113.9", Some(true)));
    assert!(
        checks(&early).contains(&Check::AccessOutsideHours),
        "{early:?}"
    );
    // The device is authorised by its usbguard id.
    let stick = event(
        monday(10, 0),
        Some("ann"),
        EventKind::Device {
            host: "lt-07".into(),
            id: "0781:5567".into(),
            serial: Some("X".into()),
            name: "Cruzer".into(),
            action: DeviceAction::Inserted,
        },
    );
    assert!(!checks(&decide(&stick)).contains(&Check::UnauthorisedDevice));
    // Two places at once: without the store's sessions this path cannot tell.
    decide(&vpn(monday(10, 0), "ann", "203.0.113.9", Some(true)));
    let second = decide(&vpn(monday(10, 1), "ann", "192.0.2.7", Some(true)));
    assert!(!checks(&second).contains(&Check::ConcurrentSessions));
});

both!(one_account_signed_in_from_two_places_at_once, |app| {
    let app = app_with_rules(app);
    person(&app, "Ann", &["staff"], "ann").await;
    let first = decide(&app, &vpn(monday(10, 0), "ann", "203.0.113.9", Some(true))).await;
    assert_eq!(first.verdict, Verdict::Allow);
    // The same place again is not a second place.
    let again = decide(&app, &vpn(monday(10, 1), "ann", "203.0.113.9", Some(true))).await;
    assert_eq!(again.verdict, Verdict::Allow);
    // A restart: a new app over the same store still knows the open session.
    let restarted = App::with_engine(app.engine().clone(), app.store().clone());
    let second = decide(
        &restarted,
        &vpn(monday(10, 5), "ann", "192.0.2.7", Some(true)),
    )
    .await;
    assert_eq!(checks(&second), [Check::ConcurrentSessions]);
    assert!(
        second.findings[0]
            .message
            .contains("203.0.113.9, 192.0.2.7"),
        "{}",
        second.findings[0].message
    );
    // After both end, one place is one place.
    for (at, from) in [(monday(11, 0), "203.0.113.9"), (monday(11, 0), "192.0.2.7")] {
        app.decide_event(&vpn_off(at, "ann", from)).await.unwrap();
    }
    let later = decide(&app, &vpn(monday(12, 0), "ann", "192.0.2.7", Some(true))).await;
    assert_eq!(later.verdict, Verdict::Allow, "{later:?}");
});

both!(a_session_never_closed_expires, |app| {
    let app = app_with_rules(app);
    person(&app, "Ann", &["staff"], "ann").await;
    decide(&app, &vpn(monday(9, 0), "ann", "203.0.113.9", Some(true))).await;
    let hours = charter_app::activity::SESSION_EXPIRY.as_hours();
    let after = monday(9, 1) + hours * 3_600_000_000;
    // 13 hours on is outside working hours too: only the hours rule may fire.
    let d = decide(&app, &vpn(after, "ann", "192.0.2.7", Some(true))).await;
    assert!(!checks(&d).contains(&Check::ConcurrentSessions), "{d:?}");
});

both!(devices_not_in_the_media_register_are_unauthorised, |app| {
    let app = app_with_rules(app);
    let ann = person(&app, "Ann", &["staff"], "ann").await;
    let it = person(&app, "Ian", &["it"], "ian").await;
    let stick = |at| {
        event(
            at,
            None,
            EventKind::Device {
                host: "lt-07".into(),
                id: "0781:5567".into(),
                serial: Some("4C530001".into()),
                name: "SanDisk Cruzer Blade".into(),
                action: DeviceAction::Blocked,
            },
        )
    };
    let d = decide(&app, &stick(monday(10, 0))).await;
    assert_eq!(checks(&d), [Check::UnauthorisedDevice]);
    assert!(
        d.findings[0]
            .message
            .contains("SanDisk Cruzer Blade (0781:5567) on lt-07")
    );
    let usb = UsbDevice {
        id: "0781:5567".into(),
        serial: Some("4C530001".into()),
    };
    app.authorise_media(&by(&it), ann.id, "SanDisk stick", "visits", None, Some(usb))
        .await
        .unwrap();
    let d = decide(&app, &stick(monday(10, 5))).await;
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
    let rules = app
        .usbguard_rules(Timestamp::from_microsecond(monday(10, 5)).unwrap())
        .await
        .unwrap();
    assert!(
        rules.contains("allow id 0781:5567 serial \"4C530001\" label \"charter media"),
        "{rules}"
    );
    // Another stick of the same model, another serial: not authorised.
    let mut other = stick(monday(10, 10));
    if let EventKind::Device { serial, .. } = &mut other.kind {
        *serial = Some("99".into());
    }
    assert_eq!(
        checks(&decide(&app, &other).await),
        [Check::UnauthorisedDevice]
    );
    // A bad id is refused before it reaches usbguard's rules.
    let bad = UsbDevice {
        id: "0781:5567 allow".into(),
        serial: None,
    };
    assert!(
        app.authorise_media(&by(&it), ann.id, "x", "y", None, Some(bad))
            .await
            .is_err()
    );
});

both!(
    software_files_and_networks_are_decided_from_their_lines,
    |app| {
        let app = app_with_rules(app);
        let ann = person(&app, "Ann", &["staff"], "ann").await;
        let sec = person(&app, "Sue", &["company_secretary"], "sue").await;
        let req = app
            .request_software(&by(&ann), ann.id, "LibreOffice", "documents")
            .await
            .unwrap();
        app.decide_software(&by(&sec), req.id, true, "fine")
            .await
            .unwrap();
        let software = |name: &str| {
            event(
                monday(10, 0),
                Some("ann"),
                EventKind::Software {
                    host: "lt-07".into(),
                    name: name.into(),
                    version: None,
                },
            )
        };
        assert_eq!(
            decide(&app, &software("libreoffice")).await.verdict,
            Verdict::Allow
        );
        assert_eq!(
            checks(&decide(&app, &software("uTorrent")).await),
            [Check::UnauthorisedSoftware]
        );
        let file = |local: bool| {
            event(
                monday(10, 0),
                None,
                EventKind::FileLocation {
                    host: "lt-07".into(),
                    path: "C:/Users/ann/learners.xlsx".into(),
                    local,
                },
            )
        };
        assert_eq!(
            checks(&decide(&app, &file(true)).await),
            [Check::WorkFilesOnLocalDrive]
        );
        assert_eq!(decide(&app, &file(false)).await.verdict, Verdict::Allow);
        let network = |name: &str| {
            event(
                monday(10, 0),
                None,
                EventKind::Network {
                    host: "lt-07".into(),
                    network: name.into(),
                },
            )
        };
        assert_eq!(decide(&app, &network("ILT")).await.verdict, Verdict::Allow);
        assert_eq!(
            checks(&decide(&app, &network("Cafe WiFi")).await),
            [Check::UnknownNetwork]
        );
        // Web requests are the web path's.
        let web = event(
            monday(10, 0),
            Some("ann"),
            EventKind::Web {
                client: "10.0.0.7".into(),
                url: "http://example.com/".into(),
                method: "GET".into(),
                status: 200,
                bytes: 1,
                elapsed_ms: 1,
            },
        );
        assert!(app.decide_event(&web).await.unwrap().is_none());
    }
);

both!(use_before_signing_the_agreement_is_found, |app| {
    let app = app_with_rules(app);
    let ann = person(&app, "Ann", &["staff"], "ann").await;
    let hr = person(&app, "Hal", &["hr"], "hal").await;
    // Nothing published: nothing to sign.
    let d = decide(&app, &vpn(monday(10, 0), "ann", "203.0.113.9", Some(true))).await;
    assert_eq!(d.verdict, Verdict::Allow);
    let v = app
        .publish_policy(&by(&hr), "1", "the policy", true)
        .await
        .unwrap();
    let d = decide(&app, &vpn(monday(10, 1), "ann", "203.0.113.9", Some(true))).await;
    assert_eq!(checks(&d), [Check::UnacknowledgedPolicy]);
    assert_eq!(
        d.findings[0].message,
        "ann signed in to the VPN before acknowledging the policy"
    );
    app.acknowledge(
        &by(&ann),
        ann.id,
        v.id,
        &v.text_hash,
        AckKind::Agreement,
        None,
    )
    .await
    .unwrap();
    let d = decide(&app, &vpn(monday(10, 2), "ann", "203.0.113.9", Some(true))).await;
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
});
