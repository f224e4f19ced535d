//! Every workflow of the app, each case run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use charter_app::{App, Error, RecordView};
use charter_engine::Privacy;
use charter_store::*;
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

fn op() -> Actor {
    Actor::System("test".into())
}

fn by(p: &Person) -> Actor {
    Actor::Person(p.id)
}

async fn person(app: &App, first: &str, last: &str, roles: &[&str]) -> Person {
    app.add_person(
        &op(),
        NewPerson {
            first_name: first.into(),
            last_name: last.into(),
            department: Some("hr".into()),
            location: Some("uk".into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            ..NewPerson::default()
        },
        false,
    )
    .await
    .unwrap()
    .person
}

async fn device(app: &App, serial: &str, assignee: Option<i64>) -> Device {
    app.add_device(
        &op(),
        NewDevice {
            serial: serial.into(),
            kind: "laptop".into(),
            assignee,
            ..NewDevice::default()
        },
    )
    .await
    .unwrap()
}

async fn audit_actions(app: &App) -> Vec<String> {
    app.audit_rows(1, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

fn record(at: &str, user: &str) -> NewRecord {
    NewRecord {
        at: at.parse().unwrap(),
        user: Some(user.into()),
        source: Source::Web,
        subject: "https://www.bet365.com/".into(),
        verdict: "block".into(),
        rule: Some("internet.prohibited-content".into()),
        check: Some("prohibited_category".into()),
        severity: Some("gross_misconduct".into()),
        categories: Some("gambling".into()),
        privacy: Privacy::Full,
        detail: None,
        findings: "[]".into(),
    }
}

both!(email_addresses_follow_the_naming_convention, |app| {
    let add = async |first: &str, last: &str, role: &str| {
        let p = NewPerson {
            first_name: first.into(),
            last_name: last.into(),
            department: Some("hr".into()),
            location: Some("uk".into()),
            roles: vec![role.into()],
            ..NewPerson::default()
        };
        app.add_person(&op(), p, true).await
    };
    let boss = add("Smith", "Brown", "management").await.unwrap();
    assert_eq!(boss.email.unwrap().address, "smith.brown@test.example");
    let one = add("Smith", "Jones", "staff").await.unwrap();
    assert_eq!(one.email.unwrap().address, "smith.uk@test.example");
    let two = add("Smith", "Green", "staff").await.unwrap();
    let made = two.email.unwrap();
    assert_eq!(made.address, "smith.uk2@test.example");
    assert!(
        made.explanation
            .contains(&format!("taken by person {} (Smith Jones)", one.person.id)),
        "{}",
        made.explanation
    );
    let ext = add("Ann", "Other", "external").await.unwrap();
    assert_eq!(ext.email.unwrap().address, "hr.uk@test.example");
    let err = app
        .add_account(&op(), boss.person.id, "email", "smith.uk@test.example")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(charter_store::Error::Duplicate { .. })),
        "{err}"
    );
});

both!(adding_a_person_with_an_email_is_all_or_nothing, |app| {
    let before = app.audit_rows(1, 100).await.unwrap().len();
    // Staff addresses need a location; this person has none, so no address can be made
    // and the person must not be recorded either.
    let err = app
        .add_person(
            &op(),
            NewPerson {
                first_name: "Nola".into(),
                last_name: "Cation".into(),
                roles: vec!["staff".into()],
                ..NewPerson::default()
            },
            true,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs `location`"), "{err}");
    assert!(app.people().await.unwrap().is_empty());
    assert_eq!(app.audit_rows(1, 100).await.unwrap().len(), before);
});

both!(people_are_found_by_id_name_or_email, |app| {
    let a = app
        .add_person(
            &op(),
            NewPerson {
                first_name: "Pat".into(),
                last_name: "Jones".into(),
                location: Some("uk".into()),
                roles: vec!["staff".into()],
                ..NewPerson::default()
            },
            true,
        )
        .await
        .unwrap();
    let b = person(app, "Pat", "Jones", &["staff"]).await;
    let c = person(app, "Cora", "Sec", &["dpo"]).await;
    assert_eq!(app.find_person(&c.id.to_string()).await.unwrap(), c);
    assert_eq!(app.find_person("  cora   SEC ").await.unwrap(), c);
    assert_eq!(
        app.find_person("pat.uk@test.example").await.unwrap().id,
        a.person.id
    );
    let err = app.find_person("Pat Jones").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Ambiguous { count: 2, .. }), "{text}");
    assert!(
        text.contains(&format!(
            "person {} (Pat Jones, pat.uk@test.example",
            a.person.id
        )) && text.contains(&format!("person {} (Pat Jones, hr)", b.id)),
        "{text}"
    );
    assert!(matches!(
        app.find_person("Nobody Here").await,
        Err(Error::NoSuchPerson(_))
    ));
    assert!(matches!(
        app.find_person("999").await,
        Err(Error::Store(charter_store::Error::NotFound {
            entity: "person",
            id: 999
        }))
    ));
});

both!(the_operator_keeps_registers_but_does_not_decide, |app| {
    let it = person(app, "Ian", "Tech", &["it"]).await;
    let p = person(app, "Pat", "Staff", &["staff"]).await;
    let d = device(app, "SN-1", None).await;
    let err = app.assign_device(&op(), d.id, p.id).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the operator (system:test, no --by given) may not assign devices"),
        "{err}"
    );
    // Register keeping belongs to the register roles: staff may not add people.
    let err = app
        .add_person(
            &by(&p),
            NewPerson {
                first_name: "X".into(),
                last_name: "Y".into(),
                ..NewPerson::default()
            },
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "person {} (Pat Staff) may not add people: it needs one of the roles hr",
            p.id
        )
    );
    app.assign_device(&by(&it), d.id, p.id).await.unwrap();
});

both!(devices_follow_their_lifecycle, |app| {
    let it = person(app, "Ian", "Tech", &["it"]).await;
    let p = person(app, "Pat", "Staff", &["staff"]).await;
    let d = device(app, "SN-1", None).await;
    assert_eq!(d.status, DeviceStatus::InStock);
    assert!(matches!(
        app.add_device(
            &op(),
            NewDevice {
                serial: "SN-1".into(),
                kind: "laptop".into(),
                ..NewDevice::default()
            }
        )
        .await,
        Err(Error::Store(charter_store::Error::Duplicate {
            what: "device serial",
            ..
        }))
    ));
    assert!(matches!(
        app.assign_device(&by(&p), d.id, p.id).await,
        Err(Error::NotAuthorised { .. })
    ));
    let err = app.return_device(&by(&it), d.id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "device {} (laptop SN-1) is in_stock: cannot record it returned",
            d.id
        )
    );
    let d = app.assign_device(&by(&it), d.id, p.id).await.unwrap();
    assert_eq!((d.status, d.assignee), (DeviceStatus::Assigned, Some(p.id)));
    let (d, inc) = app
        .report_device_lost(&by(&p), d.id, true, "taken from car")
        .await
        .unwrap();
    assert_eq!((d.status, d.assignee), (DeviceStatus::Stolen, Some(p.id)));
    assert_eq!(
        (inc.kind, inc.device_id, inc.routed_to.as_str()),
        (IncidentKind::LostStolenDevice, Some(d.id), "it")
    );
    assert!(matches!(
        app.report_device_lost(&by(&p), d.id, false, "again").await,
        Err(Error::Transition { .. })
    ));
    // A stolen device is written off only once its incident is dealt with.
    let err = app.retire_device(&by(&it), d.id, "gone").await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("close incident {} about it first", inc.id)),
        "{err}"
    );
    app.close_incident(&by(&it), inc.id, "reported to police")
        .await
        .unwrap();
    let d = app
        .retire_device(&by(&it), d.id, "not recovered")
        .await
        .unwrap();
    assert_eq!((d.status, d.assignee), (DeviceStatus::Retired, None));
    let m = app
        .authorise_media(
            &by(&it),
            p.id,
            "USB stick",
            "course files",
            Some(date(2026, 12, 31)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (m.authorised_by, m.expires_on.as_deref()),
        (it.id, Some("2026-12-31"))
    );
    let m = app.revoke_media(&by(&it), m.id).await.unwrap();
    assert!(m.revoked_at.is_some());
    assert!(matches!(
        app.revoke_media(&by(&it), m.id).await,
        Err(Error::Transition { .. })
    ));
    assert!(matches!(
        app.assign_device(&by(&it), 777, p.id).await,
        Err(Error::Store(charter_store::Error::NotFound {
            entity: "device",
            ..
        }))
    ));
});

both!(software_requests_need_an_approver, |app| {
    let cs = person(app, "Cora", "Sec", &["company_secretary"]).await;
    let boss = person(app, "Mo", "Manager", &["management"]).await;
    let p = person(app, "Pat", "Staff", &["staff"]).await;
    let other = person(app, "Oli", "Other", &["staff"]).await;
    app.update_person(
        &op(),
        p.id,
        PersonUpdate {
            line_manager: Some(boss.id),
            ..PersonUpdate::default()
        },
    )
    .await
    .unwrap();
    let r = app
        .request_software(&by(&p), p.id, "Inkscape", "diagrams")
        .await
        .unwrap();
    // Someone else may ask only as line manager or as a register keeper or approver.
    assert!(matches!(
        app.request_software(&by(&other), p.id, "Zoom", "calls")
            .await,
        Err(Error::NotAuthorised { .. })
    ));
    app.request_software(&by(&boss), p.id, "Zoom", "calls")
        .await
        .unwrap();
    assert!(matches!(
        app.decide_software(&by(&p), r.id, true, "ok").await,
        Err(Error::NotAuthorised { .. })
    ));
    let own = app
        .request_software(&by(&cs), cs.id, "Slack", "chat")
        .await
        .unwrap();
    assert!(matches!(
        app.decide_software(&by(&cs), own.id, true, "ok").await,
        Err(Error::Refused(_))
    ));
    let r = app
        .decide_software(&by(&cs), r.id, true, "licence is free")
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.decided_by),
        (SoftwareStatus::Approved, Some(cs.id))
    );
    assert!(matches!(
        app.decide_software(&by(&cs), r.id, false, "no").await,
        Err(Error::Transition { .. })
    ));
    assert_eq!(
        app.approved_software().await.unwrap(),
        vec!["Inkscape".to_string()]
    );
});

both!(social_accounts_need_two_factor_and_hand_over, |app| {
    let hr = person(app, "Hana", "Res", &["hr"]).await;
    let sm = person(app, "Sam", "Media", &["social_media_manager"]).await;
    let nw = person(app, "Nia", "Next", &["social_media_manager"]).await;
    let new = |two_factor| NewSocial {
        platform: "linkedin".into(),
        handle: "@test".into(),
        owner_id: sm.id,
        custodian_id: hr.id,
        two_factor,
    };
    assert!(matches!(
        app.add_social_account(&by(&hr), new(false)).await,
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        app.add_social_account(&by(&sm), new(true)).await,
        Err(Error::NotAuthorised { .. })
    ));
    let acc = app.add_social_account(&by(&hr), new(true)).await.unwrap();
    let acc = app
        .authorise_social_user(&by(&hr), acc.id, nw.id)
        .await
        .unwrap();
    assert_eq!(acc.authorised_users, vec![nw.id]);
    let acc = app
        .hand_over_social(&by(&hr), acc.id, nw.id, hr.id)
        .await
        .unwrap();
    assert_eq!(acc.owner_id, nw.id);
    assert!(matches!(
        app.add_social_account(&by(&hr), new(true)).await,
        Err(Error::Store(charter_store::Error::Duplicate { .. }))
    ));
});

both!(
    acknowledgements_bind_to_the_text_and_have_deadlines,
    |app| {
        let p = person(app, "Pat", "Staff", &["staff"]).await;
        let other = person(app, "Oli", "Other", &["staff"]).await;
        let v1 = app
            .publish_policy(&op(), "2021-02", "text one", false)
            .await
            .unwrap();
        assert_eq!(v1.text_hash, text_hash("text one"));
        assert!(matches!(
            app.acknowledge(
                &by(&p),
                p.id,
                v1.id,
                &text_hash("another text"),
                AckKind::Agreement,
                None
            )
            .await,
            Err(Error::Refused(_))
        ));
        // One person cannot sign for another.
        assert!(matches!(
            app.acknowledge(
                &by(&other),
                p.id,
                v1.id,
                &v1.text_hash,
                AckKind::Agreement,
                None
            )
            .await,
            Err(Error::NotAuthorised { .. })
        ));
        let now = Timestamp::now();
        let due = app.acknowledgements_due(now).await.unwrap();
        let mine: Vec<_> = due.iter().filter(|d| d.person_id == p.id).collect();
        assert_eq!(
            mine.iter().map(|d| d.kind).collect::<Vec<_>>(),
            vec![AckKind::Agreement, AckKind::Induction, AckKind::Briefing]
        );
        // Staff sign before using the facilities: the agreement was due the day they joined,
        // the day the store stamped them (not a second reading of the clock, which could fall
        // after midnight).
        let joined = p
            .created_at
            .parse::<Timestamp>()
            .unwrap()
            .to_zoned_datetime(app.time_zone().clone())
            .date();
        assert_eq!(mine[0].clock.deadline_local, joined.to_string());
        assert_eq!(mine[0].person_name, "Pat Staff");
        for kind in [AckKind::Agreement, AckKind::Induction] {
            app.acknowledge(&by(&p), p.id, v1.id, &v1.text_hash, kind, None)
                .await
                .unwrap();
        }
        assert!(
            app.acknowledgements_due(now)
                .await
                .unwrap()
                .iter()
                .all(|d| d.person_id != p.id)
        );
        // A year on, the yearly briefing is due again, and overdue a month later.
        let year = now + SignedDuration::from_hours(24 * 366);
        let due = app.acknowledgements_due(year).await.unwrap();
        let mine: Vec<_> = due.iter().filter(|d| d.person_id == p.id).collect();
        assert_eq!(
            mine.iter().map(|d| d.kind).collect::<Vec<_>>(),
            vec![AckKind::Briefing]
        );
        let later = app
            .acknowledgements_due(year + SignedDuration::from_hours(24 * 31))
            .await
            .unwrap();
        let b = later.iter().find(|d| d.person_id == p.id).unwrap();
        assert!(
            b.clock.overdue && b.clock.remaining.starts_with("OVERDUE by "),
            "{b:?}"
        );
        // A minor version does not ask for re-acknowledgement; a material change does.
        app.publish_policy(&op(), "2021-03", "text two", false)
            .await
            .unwrap();
        assert!(
            app.acknowledgements_due(now)
                .await
                .unwrap()
                .iter()
                .all(|d| d.person_id != p.id)
        );
        let v3 = app
            .publish_policy(&op(), "2022-01", "text three", true)
            .await
            .unwrap();
        let due = app.acknowledgements_due(now).await.unwrap();
        assert!(
            due.iter().any(|d| d.person_id == p.id
                && d.kind == AckKind::Agreement
                && d.reason.contains("material change")),
            "{due:?}"
        );
        app.acknowledge(
            &by(&p),
            p.id,
            v3.id,
            &v3.text_hash,
            AckKind::Agreement,
            None,
        )
        .await
        .unwrap();
        assert!(matches!(
            app.publish_policy(&op(), "2022-01", "y", false).await,
            Err(Error::Store(charter_store::Error::Duplicate { .. }))
        ));
        // The review date of the pack (2026-04-01) reads as a deadline too.
        let r = app
            .policy_review("2026-04-03T12:00:00Z".parse().unwrap())
            .unwrap();
        assert_eq!(
            (r.due.as_str(), r.clock.remaining.as_str(), r.clock.overdue),
            ("2026-04-01", "OVERDUE by 2 days", true)
        );
    }
);

both!(the_agreement_names_the_assigned_laptop, |app| {
    let it = person(app, "Ian", "Tech", &["it"]).await;
    let p = person(app, "Pat", "Staff", &["staff"]).await;
    let v = app
        .publish_policy(&op(), "2021-02", "agreement text", false)
        .await
        .unwrap();
    let theirs = device(app, "LT-7", Some(it.id)).await;
    let err = app
        .acknowledge(
            &by(&p),
            p.id,
            v.id,
            &v.text_hash,
            AckKind::Agreement,
            Some(theirs.id),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "device {} (laptop LT-7) is not assigned to person {} (Pat Staff)",
            theirs.id, p.id
        )),
        "{err}"
    );
    let mine = device(app, "LT-8", Some(p.id)).await;
    let a = app
        .acknowledge(
            &by(&p),
            p.id,
            v.id,
            &v.text_hash,
            AckKind::Agreement,
            Some(mine.id),
        )
        .await
        .unwrap();
    assert_eq!(a.device_id, Some(mine.id));
});

both!(safeguarding_concerns_go_to_the_safeguarding_lead, |app| {
    let lead = person(app, "Sara", "Guard", &["safeguarding_lead"]).await;
    let it = person(app, "Ian", "Tech", &["it"]).await;
    let p = person(app, "Pat", "Staff", &["staff"]).await;
    assert!(matches!(
        app.report_incident(&op(), IncidentKind::SpamScam, "x", None)
            .await,
        Err(Error::Refused(_))
    ));
    let inc = app
        .report_incident(
            &by(&p),
            IncidentKind::Safeguarding,
            "a learner asked to follow me",
            None,
        )
        .await
        .unwrap();
    assert_eq!(inc.routed_to, "safeguarding_lead");
    assert!(matches!(
        app.close_incident(&by(&it), inc.id, "done").await,
        Err(Error::NotAuthorised { .. })
    ));
    let inc = app
        .close_incident(&by(&lead), inc.id, "blocked and reported")
        .await
        .unwrap();
    assert_eq!(inc.status, IncidentStatus::Closed);
    let spam = app
        .report_incident(&by(&p), IncidentKind::SpamScam, "fake invoice", None)
        .await
        .unwrap();
    assert_eq!(spam.routed_to, "it");
    app.close_incident(&by(&it), spam.id, "blocked")
        .await
        .unwrap();
});

both!(breaches_keep_the_72_hour_clock, |app| {
    let dpo = person(app, "Dee", "Pro", &["dpo"]).await;
    let victim = person(app, "Vic", "Tim", &["staff"]).await;
    let a = by(&dpo);
    let aware: Timestamp = "2026-01-09T16:00:00Z".parse().unwrap(); // a Friday
    let new = NewBreach {
        description: "laptop with learner records stolen".into(),
        data_categories: "names, dates of birth".into(),
        approx_people: Some(120),
        approx_records: Some(480),
        likely_consequences: "identity fraud".into(),
        measures: "remote wipe requested".into(),
        contact_point: String::new(),
        aware_at: aware,
    };
    // Staff report incidents; the breach log is the data protection officer's.
    assert!(matches!(
        app.log_breach(&by(&victim), new.clone(), &[]).await,
        Err(Error::NotAuthorised { .. })
    ));
    let b = app.log_breach(&a, new, &[victim.id]).await.unwrap();
    assert_eq!(b.contact_point, "the Data Protection Officer");
    let v = app
        .breach(b.id, "2026-01-10T12:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(v.notify_by, "2026-01-12T16:00:00Z");
    assert_eq!(
        (
            v.clock.deadline_local.as_str(),
            v.clock.remaining.as_str(),
            v.clock.overdue
        ),
        ("2026-01-12 16:00 GMT", "2 days 4 hours", false)
    );
    assert_eq!(v.people_names, vec!["Vic Tim".to_string()]);
    let v = app
        .breach(b.id, "2026-01-13T10:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (v.clock.remaining.as_str(), v.clock.overdue),
        ("OVERDUE by 18 hours", true)
    );
    assert!(matches!(
        app.notify_ico(&a, b.id, aware, None, None).await,
        Err(Error::Transition { .. })
    ));
    assert!(matches!(
        app.close_breach(&a, b.id).await,
        Err(Error::Transition { .. })
    ));
    app.decide_breach(
        &a,
        b.id,
        true,
        "dates of birth: risk to rights and freedoms",
    )
    .await
    .unwrap();
    assert!(matches!(
        app.close_breach(&a, b.id).await,
        Err(Error::Refused(_))
    ));
    let late: Timestamp = "2026-01-13T10:00:00Z".parse().unwrap();
    let err = app
        .notify_ico(&a, b.id, late, Some("ICO/1"), None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("18 hours after the 72-hour deadline (2026-01-12 16:00 GMT)"),
        "{err}"
    );
    let b2 = app
        .notify_ico(
            &a,
            b.id,
            late,
            Some("ICO/1"),
            Some("police asked us to wait"),
        )
        .await
        .unwrap();
    assert_eq!(b2.late_reason.as_deref(), Some("police asked us to wait"));
    let v = app.breach(b.id, Timestamp::now()).await.unwrap();
    assert_eq!(
        (v.clock.remaining.as_str(), v.clock.overdue),
        ("ICO told 2026-01-13 10:00 GMT, 18 hours late", false)
    );
    app.tell_people(&a, b.id, late, "letter").await.unwrap();
    let b3 = app.close_breach(&a, b.id).await.unwrap();
    assert_eq!(
        (b3.status, b3.people.clone()),
        (BreachState::Closed, vec![victim.id])
    );
    // Summer time: aware at 09:00 in London is 08:00 UTC, due 08:00 UTC three days on.
    let summer = charter_app::time::parse_time("2026-06-12 09:00", app.time_zone()).unwrap();
    let s = app
        .log_breach(
            &a,
            NewBreach {
                description: "mail to the wrong list".into(),
                data_categories: "names".into(),
                likely_consequences: "embarrassment".into(),
                measures: "recall".into(),
                contact_point: "DPO".into(),
                aware_at: summer,
                ..NewBreach::default()
            },
            &[],
        )
        .await
        .unwrap();
    let v = app.breach(s.id, summer).await.unwrap();
    assert_eq!(v.notify_by, "2026-06-15T08:00:00Z");
    assert_eq!(v.clock.deadline_local, "2026-06-15 09:00 BST");
    let err = app
        .log_breach(
            &a,
            NewBreach {
                aware_at: aware,
                ..NewBreach::default()
            },
            &[],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(charter_store::Error::Invalid { .. })),
        "{err}"
    );
});

both!(subject_requests_count_calendar_months, |app| {
    let dpo = person(app, "Dee", "Pro", &["dpo"]).await;
    let staff = person(app, "Pat", "Staff", &["staff"]).await;
    let a = by(&dpo);
    assert!(matches!(
        app.receive_request(
            &by(&staff),
            None,
            "J. Bloggs",
            RequestKind::Access,
            date(2026, 1, 31)
        )
        .await,
        Err(Error::NotAuthorised { .. })
    ));
    let r = app
        .receive_request(
            &a,
            Some(staff.id),
            "J. Bloggs",
            RequestKind::Access,
            date(2026, 1, 31),
        )
        .await
        .unwrap();
    assert_eq!(r.due_on, "2026-02-28");
    assert_eq!(r.person_name.as_deref(), Some("Pat Staff"));
    let id = r.request.id;
    let r = app
        .pause_request(&a, id, date(2026, 2, 2), PauseReason::Identity)
        .await
        .unwrap();
    assert_eq!(r.request.status, RequestStatus::Paused);
    assert!(!r.clock.overdue && r.clock.remaining.starts_with("paused since 2026-02-02"));
    assert!(matches!(
        app.pause_request(&a, id, date(2026, 2, 3), PauseReason::Identity)
            .await,
        Err(Error::Transition { .. })
    ));
    let r = app.resume_request(&a, id, date(2026, 2, 12)).await.unwrap();
    assert_eq!(
        (r.request.paused_days, r.due_on.as_str()),
        (10, "2026-03-10")
    );
    assert!(matches!(
        app.extend_request(&a, id, "complex", date(2026, 3, 20))
            .await,
        Err(Error::Refused(_))
    ));
    let r = app
        .extend_request(&a, id, "many systems to search", date(2026, 3, 1))
        .await
        .unwrap();
    assert_eq!(r.due_on, "2026-05-10");
    assert!(matches!(
        app.extend_request(&a, id, "again", date(2026, 3, 2)).await,
        Err(Error::Transition { .. })
    ));
    let list = app
        .subject_requests("2026-05-12T12:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (list[0].clock.remaining.as_str(), list[0].clock.overdue),
        ("OVERDUE by 2 days", true)
    );
    assert!(matches!(
        app.close_request(&a, id, date(2026, 4, 1), false, "manifestly unfounded")
            .await,
        Err(Error::Refused(_))
    ));
    let r = app
        .close_request(&a, id, date(2026, 4, 1), true, "export sent")
        .await
        .unwrap();
    assert_eq!(r.request.status, RequestStatus::Completed);
    assert_eq!(r.clock.remaining, "completed 2026-04-01, in time");
    assert!(matches!(
        app.resume_request(&a, id, date(2026, 4, 2)).await,
        Err(Error::Transition { .. })
    ));
});

both!(leavers_close_only_when_every_item_is_done, |app| {
    let it = person(app, "Ian", "Tech", &["it"]).await;
    let hr = person(app, "Hana", "Res", &["hr"]).await;
    let p = person(app, "Pat", "Leaver", &["staff"]).await;
    app.update_person(
        &op(),
        p.id,
        PersonUpdate {
            line_manager: Some(hr.id),
            ..PersonUpdate::default()
        },
    )
    .await
    .unwrap();
    app.add_account(&op(), p.id, "login", "pat").await.unwrap();
    let d = device(app, "LT-9", Some(p.id)).await;
    let social = app
        .add_social_account(
            &by(&hr),
            NewSocial {
                platform: "x".into(),
                handle: "@test".into(),
                owner_id: p.id,
                custodian_id: p.id,
                two_factor: true,
            },
        )
        .await
        .unwrap();
    let media = app
        .authorise_media(&by(&it), p.id, "USB stick", "site visits", None, None)
        .await
        .unwrap();
    // Someone with no part in it may not open a checklist; the line manager may.
    let other = person(app, "Oli", "Other", &["staff"]).await;
    assert!(matches!(
        app.open_leaver(&by(&other), p.id, date(2026, 6, 30)).await,
        Err(Error::NotAuthorised { .. })
    ));
    let l = app
        .open_leaver(&by(&hr), p.id, date(2026, 6, 30))
        .await
        .unwrap();
    assert_eq!(
        (l.person_name.as_str(), l.leaver.opened_by),
        ("Pat Leaver", hr.id)
    );
    let id = l.leaver.id;
    assert!(matches!(
        app.open_leaver(&by(&hr), p.id, date(2026, 6, 30)).await,
        Err(Error::Store(charter_store::Error::Duplicate { .. }))
    ));
    assert!(matches!(
        app.close_leaver(&by(&it), id).await,
        Err(Error::Refused(_))
    ));
    let err = app
        .tick_leaver(&by(&it), id, LeaverItem::EquipmentReturned)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("still holds device"), "{err}");
    assert!(err.to_string().contains("LT-9"), "{err}");
    assert!(matches!(
        app.tick_leaver(&by(&p), id, LeaverItem::CredentialsHandedOver)
            .await,
        Err(Error::NotAuthorised { .. })
    ));
    // A stolen laptop is not a returned one: the tick is refused and names the incident.
    let (_, inc) = app
        .report_device_lost(&by(&p), d.id, true, "taken from a car")
        .await
        .unwrap();
    let err = app
        .tick_leaver(&by(&it), id, LeaverItem::EquipmentReturned)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "device {} (laptop LT-9) was reported stolen (incident {} (open)), which is not a return",
            d.id, inc.id
        )),
        "{err}"
    );
    app.close_incident(&by(&it), inc.id, "police informed")
        .await
        .unwrap();
    app.retire_device(&by(&it), d.id, "not recovered")
        .await
        .unwrap();
    app.tick_leaver(&by(&it), id, LeaverItem::EquipmentReturned)
        .await
        .unwrap();
    // The line manager may take the credentials.
    app.tick_leaver(&by(&hr), id, LeaverItem::CredentialsHandedOver)
        .await
        .unwrap();
    app.tick_leaver(&by(&it), id, LeaverItem::AccountsDisabled)
        .await
        .unwrap();
    let (_, accounts) = app.person(p.id).await.unwrap();
    assert!(accounts.iter().all(|a| a.status == AccountStatus::Disabled));
    // An account added after the tick is still ended at close.
    app.add_account(&op(), p.id, "vpn", "pat-vpn")
        .await
        .unwrap();
    assert!(matches!(
        app.tick_leaver(&by(&hr), id, LeaverItem::SocialHandedOver)
            .await,
        Err(Error::Refused(_))
    ));
    app.hand_over_social(&by(&hr), social.id, hr.id, hr.id)
        .await
        .unwrap();
    app.tick_leaver(&by(&hr), id, LeaverItem::SocialHandedOver)
        .await
        .unwrap();
    assert!(matches!(
        app.tick_leaver(&by(&hr), id, LeaverItem::SocialHandedOver)
            .await,
        Err(Error::Transition { .. })
    ));
    let l = app.close_leaver(&by(&it), id).await.unwrap();
    assert!(l.leaver.closed.is_some());
    assert!(l.clock.remaining.starts_with("closed "), "{:?}", l.clock);
    let (after, accounts) = app.person(p.id).await.unwrap();
    assert_eq!(after.status, PersonStatus::Left);
    assert!(
        accounts.iter().all(|a| a.status == AccountStatus::Disabled),
        "{accounts:?}"
    );
    let media = app
        .media_authorisations()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == media.id)
        .unwrap();
    assert!(
        media.revoked_at.is_some(),
        "closing a leaver ends their media authorisations"
    );
});

both!(
    reading_records_needs_compliance_and_a_reason_and_tells_the_person,
    |app| {
        let comp = person(app, "Cam", "Pliance", &["compliance"]).await;
        let staff = person(app, "Sid", "Staff", &["staff"]).await;
        let p = person(app, "Pat", "Watched", &["staff"]).await;
        app.add_account(&op(), p.id, "login", "pat").await.unwrap();
        app.store()
            .write_records(
                &op(),
                &[
                    record("2026-05-01T10:00:00Z", "pat"),
                    record("2026-05-01T10:05:00Z", "sid"),
                ],
            )
            .await
            .unwrap();
        let view = |reason: &str, confidential| RecordView {
            reason: reason.into(),
            confidential,
            ..RecordView::default()
        };
        assert!(matches!(
            app.view_records(&by(&staff), p.id, view("curious", false))
                .await,
            Err(Error::NotAuthorised { .. })
        ));
        assert!(matches!(
            app.view_records(&op(), p.id, view("curious", false)).await,
            Err(Error::NotAuthorised { .. })
        ));
        assert!(matches!(
            app.view_records(&by(&comp), p.id, view("  ", false)).await,
            Err(Error::Refused(_))
        ));
        let recs = app
            .view_records(
                &by(&comp),
                p.id,
                view("absent: checking for supplier replies", false),
            )
            .await
            .unwrap();
        assert_eq!(
            recs.iter().map(|r| r.user.as_deref()).collect::<Vec<_>>(),
            vec![Some("pat")]
        );
        let rows = app.audit_rows(1, 1000).await.unwrap();
        let seen = rows.iter().rfind(|r| r.action == "records.view").unwrap();
        assert_eq!(seen.person_id, Some(p.id));
        assert!(
            seen.detail
                .contains("absent: checking for supplier replies"),
            "{}",
            seen.detail
        );
        let notices = app.notices_of(p.id).await.unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].audit_seq, Some(seen.seq));
        assert!(
            notices[0].text.contains("by Cam Pliance")
                && notices[0]
                    .text
                    .contains("absent: checking for supplier replies"),
            "{}",
            notices[0].text
        );
        // A confidential investigation is logged, and the person is not told.
        app.view_records(&by(&comp), p.id, view("suspected fraud", true))
            .await
            .unwrap();
        let rows = app.audit_rows(1, 1000).await.unwrap();
        let seen = rows.iter().rfind(|r| r.action == "records.view").unwrap();
        assert!(
            seen.detail.contains("\"confidential\":true"),
            "{}",
            seen.detail
        );
        assert_eq!(app.notices_of(p.id).await.unwrap().len(), 1);
        assert!(app.audit_verify().await.unwrap().ok());
    }
);

both!(retention_purges_by_the_packs_period, |app| {
    let dpo = person(app, "Dee", "Pro", &["dpo"]).await;
    let staff = person(app, "Sid", "Staff", &["staff"]).await;
    app.store()
        .write_records(
            &op(),
            &[
                record("2025-01-10T10:00:00Z", "a"),
                record("2026-05-10T10:00:00Z", "a"),
            ],
        )
        .await
        .unwrap();
    let now = "2026-06-01T00:00:00Z".parse().unwrap();
    assert!(matches!(
        app.purge_expired(&by(&staff), now).await,
        Err(Error::NotAuthorised { .. })
    ));
    let r = app
        .purge_expired(&Actor::System("retention".into()), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.cutoff.as_str(), r.deleted), ("2025-06-01T00:00:00Z", 1));
    let r = app.purge_expired(&by(&dpo), now).await.unwrap().unwrap();
    assert_eq!(r.deleted, 0);
});

both!(subject_export_and_erasure, |app| {
    let dpo = person(app, "Dee", "Pro", &["dpo"]).await;
    let cs = person(app, "Cora", "Sec", &["company_secretary"]).await;
    let it = person(app, "Ian", "Tech", &["it"]).await;
    let p = app
        .add_person(
            &op(),
            NewPerson {
                first_name: "Pat".into(),
                last_name: "O'Leaver".into(),
                location: Some("uk".into()),
                roles: vec!["staff".into(), "company_secretary".into()],
                ..NewPerson::default()
            },
            true,
        )
        .await
        .unwrap()
        .person;
    app.store()
        .write_records(
            &op(),
            &[
                record("2026-05-01T10:00:00Z", "pat.uk@test.example"),
                record("2026-05-01T11:00:00Z", "pat.uk"),
                record("2026-05-01T12:00:00Z", "someone.else"),
            ],
        )
        .await
        .unwrap();
    let refused = app
        .request_software(&by(&p), p.id, "BitTorrent", "films")
        .await
        .unwrap();
    app.decide_software(&by(&cs), refused.id, false, "piracy risk")
        .await
        .unwrap();
    let approved = app
        .request_software(&by(&p), p.id, "Inkscape", "diagrams")
        .await
        .unwrap();
    app.decide_software(&by(&cs), approved.id, true, "free")
        .await
        .unwrap();
    // An approval the leaver made for someone else belongs to the organisation.
    let theirs = app
        .request_software(&by(&it), it.id, "Wireshark", "network checks")
        .await
        .unwrap();
    app.decide_software(&by(&p), theirs.id, true, "needed")
        .await
        .unwrap();
    app.authorise_media(&by(&it), p.id, "USB stick", "files", None, None)
        .await
        .unwrap();

    assert!(matches!(
        app.subject_export(&by(&cs), p.id).await,
        Err(Error::NotAuthorised { .. })
    ));
    let e = app.subject_export(&by(&dpo), p.id).await.unwrap();
    assert_eq!(e.monitoring_records.len(), 2);
    assert_eq!(e.accounts.len(), 1);
    assert_eq!(e.software_requests.len(), 2);
    assert!(e.audit.iter().any(|a| a.action == "records.view"));
    assert!(e.audit.iter().any(|a| a.action == "dsar.export"));
    let html = app.subject_summary_html(&e).await.unwrap();
    assert!(html.contains("<h2>Monitoring records</h2>") && html.contains("pat.uk@test.example"));
    assert!(html.contains("O&#39;Leaver"), "names are escaped");
    assert!(html.contains("2026-05-01 11:00 BST"), "times are local");
    assert!(!html.contains("{\"") && !html.contains("\":"), "no JSON");
    for h in e.audit.iter().map(|a| a.hash.as_str()) {
        assert!(!html.contains(h), "no hashes");
    }

    // Someone still employed cannot be erased.
    assert!(matches!(
        app.erase_person(&by(&dpo), p.id, "Pat O'Leaver").await,
        Err(Error::Refused(_))
    ));
    app.open_leaver(&by(&it), p.id, date(2026, 6, 30))
        .await
        .unwrap();
    let l = app
        .leavers(Timestamp::now())
        .await
        .unwrap()
        .remove(0)
        .leaver
        .id;
    let hr = person(app, "Hana", "Res", &["hr"]).await;
    for item in LeaverItem::ALL {
        let who = if *item == LeaverItem::SocialHandedOver {
            &hr
        } else {
            &it
        };
        app.tick_leaver(&by(who), l, *item).await.unwrap();
    }
    app.close_leaver(&by(&it), l).await.unwrap();
    // The plan says what will go and what stays, and changes nothing.
    assert!(matches!(
        app.erasure_plan(&by(&it), p.id).await,
        Err(Error::NotAuthorised { .. })
    ));
    let plan = app.erasure_plan(&by(&dpo), p.id).await.unwrap();
    let count = |items: &[charter_app::ErasureItem], w: &str| {
        items.iter().find(|e| e.what == w).map(|e| e.count)
    };
    assert_eq!(count(&plan.erase, "monitoring records"), Some(2));
    assert_eq!(
        count(&plan.erase, "software requests not approved"),
        Some(1)
    );
    assert_eq!(
        count(&plan.keep, "software approved at their request"),
        Some(1)
    );
    assert!(
        count(
            &plan.keep,
            "approvals and decisions they made for the organisation"
        )
        .unwrap()
            >= 1
    );
    assert_eq!(app.store().count_records().await.unwrap(), 3);
    // The confirmation must be their name.
    let err = app.erase_person(&by(&dpo), p.id, "Pat").await.unwrap_err();
    assert!(err.to_string().starts_with("nothing erased"), "{err}");
    let done = app
        .erase_person(&by(&dpo), p.id, "pat  o'leaver")
        .await
        .unwrap();
    assert_eq!(count(&done.erase, "monitoring records"), Some(2));
    assert!(
        done.keep
            .iter()
            .any(|k| k.what == "audit rows" && k.reason.contains("append-only"))
    );
    assert_eq!(app.store().count_records().await.unwrap(), 1);
    let (gone, _) = app.person(p.id).await.unwrap();
    assert_eq!(
        (gone.status, gone.first_name.as_str()),
        (PersonStatus::Erased, "erased")
    );
    // What the organisation owns stays: the approval the leaver made, the approved list.
    let requests = app.software_requests().await.unwrap();
    let theirs = requests.iter().find(|r| r.id == theirs.id).unwrap();
    assert_eq!(
        (theirs.status, theirs.decided_by),
        (SoftwareStatus::Approved, Some(p.id))
    );
    assert!(
        app.approved_software()
            .await
            .unwrap()
            .contains(&"Inkscape".to_string())
    );
    assert!(!requests.iter().any(|r| r.id == refused.id));
    // Ids are never reused: the next request does not take a deleted one's id.
    let next = app
        .request_software(&by(&it), it.id, "GIMP", "images")
        .await
        .unwrap();
    assert!(
        next.id > theirs.id.max(approved.id).max(refused.id),
        "id {} reused",
        next.id
    );
    let actions = audit_actions(app).await;
    assert_eq!(actions.last().map(String::as_str), Some("software.request"));
    assert!(actions.contains(&"dsar.erase".to_string()));
    assert!(app.audit_verify().await.unwrap().ok());
});

both!(only_roles_the_pack_declares_are_given, |app| {
    let add = |roles: Vec<String>| NewPerson {
        first_name: "Hal".into(),
        last_name: "Typo".into(),
        roles,
        ..NewPerson::default()
    };
    let err = app
        .add_person(&op(), add(vec!["staff".into(), "hr_manager".into()]), false)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Roles(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "role `hr_manager` is not declared by the pack: its [organisation] roles are staff, management, external, marketing, social_media_manager, it, hr, dpo, compliance, company_secretary, safeguarding_lead"
    );
    assert!(app.people().await.unwrap().is_empty());
    let p = app
        .add_person(&op(), add(vec!["staff".into()]), false)
        .await
        .unwrap()
        .person;
    let change = PersonUpdate {
        roles: Some(vec!["staff".into(), "managment".into()]),
        ..PersonUpdate::default()
    };
    let err = app.update_person(&op(), p.id, change).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("role `managment` is not declared"),
        "{err}"
    );
    assert_eq!(app.person(p.id).await.unwrap().0.roles, ["staff"]);
});

both!(
    organisation_domains_come_from_active_email_accounts,
    |app| {
        let pat = person(app, "Pat", "Jones", &["staff"]).await;
        let kim = person(app, "Kim", "Lee", &["staff"]).await;
        let add = |id: i64, system: &'static str, name: &'static str| async move {
            app.add_account(&op(), id, system, name).await.unwrap()
        };
        add(pat.id, "email", "Pat.Jones@Allsorts.org.uk").await;
        add(kim.id, "email", "kim.lee@allsorts.org.uk").await;
        add(kim.id, "email", "kim@mail.allsorts.org.uk").await;
        // A private address on record is not the organisation's, nor a login elsewhere, nor an
        // address that no longer works.
        add(pat.id, "email", "pat.jones76@gmail.com").await;
        add(kim.id, "login", "kim@elsewhere.example").await;
        let old = add(kim.id, "email", "kim@old-name.example").await;
        app.disable_account(&op(), old.id).await.unwrap();
        assert_eq!(
            app.organisation_domains().await.unwrap(),
            ["allsorts.org.uk", "mail.allsorts.org.uk"]
        );
    }
);
