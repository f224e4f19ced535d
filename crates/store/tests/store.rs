//! The store's behaviour, each case run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use charter_engine::Privacy;
use charter_policy::{AddressFormat, Governance};
use charter_store::*;
use jiff::civil::date;
use jiff::{Timestamp, ToSpan as _};

fn sys() -> Actor {
    Actor::System("test".into())
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

async fn person(s: &Store, first: &str, last: &str, r: &[&str]) -> Person {
    s.add_person(
        &sys(),
        NewPerson {
            first_name: first.into(),
            last_name: last.into(),
            department: Some("hr".into()),
            location: Some("uk".into()),
            roles: roles(r),
            ..NewPerson::default()
        },
    )
    .await
    .unwrap()
}

fn iimts_formats() -> Vec<AddressFormat> {
    let f = |a: &str, f: &str| AddressFormat {
        applies_to: a.into(),
        format: f.into(),
        clause: Some("Email ID creation".into()),
    };
    vec![
        f("management", "{first}.{last}"),
        f("staff", "{first}.{location}"),
        f("external", "{department}.{location}"),
    ]
}

async fn raw_exec(url: &str, sql: &str) {
    use sqlx::Connection as _;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await
            .unwrap();
    }
}

fn record(at: &str, user: &str, privacy: Privacy, detail: Option<&str>) -> NewRecord {
    NewRecord {
        at: at.parse().unwrap(),
        user: Some(user.into()),
        source: Source::Mail,
        subject: "From: a@x.uk To: b@y.uk Subject: personal".into(),
        verdict: "log".into(),
        rule: Some("mail.personal".into()),
        check: Some("personal_marked".into()),
        severity: Some("info".into()),
        categories: None,
        privacy,
        detail: detail.map(Into::into),
        findings: "[]".into(),
    }
}

both!(email_addresses_follow_the_naming_convention, |s, db| {
    let boss = person(s, "Smith", "Brown", &["management"]).await;
    let staff1 = person(s, "Smith", "Jones", &["staff"]).await;
    let staff2 = person(s, "Smith", "Green", &["staff"]).await;
    let ext = person(s, "Ann", "Other", &["external"]).await;
    let f = iimts_formats();
    let (a, _) = s
        .make_email(&sys(), boss.id, &f, "iimtsab.co.uk")
        .await
        .unwrap();
    assert_eq!(a.name, "smith.brown@iimtsab.co.uk");
    let (a, _) = s
        .make_email(&sys(), staff1.id, &f, "iimtsab.co.uk")
        .await
        .unwrap();
    assert_eq!(a.name, "smith.uk@iimtsab.co.uk");
    let (a, made) = s
        .make_email(&sys(), staff2.id, &f, "iimtsab.co.uk")
        .await
        .unwrap();
    assert_eq!(a.name, "smith.uk2@iimtsab.co.uk");
    assert!(
        made.explanation
            .contains(&format!("taken by person {}", staff1.id)),
        "{}",
        made.explanation
    );
    assert_eq!(a.note.as_deref(), Some(made.explanation.as_str()));
    let (a, _) = s
        .make_email(&sys(), ext.id, &f, "iimtsab.co.uk")
        .await
        .unwrap();
    assert_eq!(a.name, "hr.uk@iimtsab.co.uk");
    let err = s
        .add_account(&sys(), boss.id, "email", "smith.uk@iimtsab.co.uk", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Duplicate { .. }), "{err}");
});

both!(people_update_and_bad_input, |s, db| {
    let m = person(s, "Mary", "Major", &["management"]).await;
    let p = person(s, "Pat", "Minor", &["staff"]).await;
    let p = s
        .update_person(
            &sys(),
            p.id,
            PersonUpdate {
                line_manager: Some(m.id),
                leaving_date: Some("2026-12-31".into()),
                ..PersonUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(p.line_manager, Some(m.id));
    assert_eq!(p.leaving_date.as_deref(), Some("2026-12-31"));
    assert!(matches!(
        s.person(9999).await,
        Err(Error::NotFound {
            entity: "person",
            id: 9999
        })
    ));
    let long = "x".repeat(10_000);
    let err = s
        .add_person(
            &sys(),
            NewPerson {
                first_name: long,
                last_name: "L".into(),
                ..NewPerson::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLong {
                field: "first_name",
                ..
            }
        ),
        "{err}"
    );
    let err = s
        .update_person(
            &sys(),
            p.id,
            PersonUpdate {
                leaving_date: Some("31/12/2026".into()),
                ..PersonUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    let err = s
        .update_person(
            &sys(),
            p.id,
            PersonUpdate {
                line_manager: Some(p.id),
                ..PersonUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
});

both!(devices_follow_their_lifecycle, |s, db| {
    let it = person(s, "Ian", "Tech", &["it_manager"]).await;
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let approvers = roles(&["it_manager"]);
    let d = s
        .add_device(
            &Actor::Person(it.id),
            NewDevice {
                serial: "SN-1".into(),
                kind: "laptop".into(),
                encrypted: true,
                ..NewDevice::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(d.status, "in_stock");
    let err = s
        .add_device(
            &sys(),
            NewDevice {
                serial: "SN-1".into(),
                kind: "laptop".into(),
                ..NewDevice::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Duplicate {
                what: "device serial",
                ..
            }
        ),
        "{err}"
    );
    let err = s
        .assign_device(&Actor::Person(p.id), d.id, p.id, &approvers)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorised { .. }), "{err}");
    let err = s
        .return_device(&Actor::Person(it.id), d.id, &approvers)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transition { .. }), "{err}");
    let d = s
        .assign_device(&Actor::Person(it.id), d.id, p.id, &approvers)
        .await
        .unwrap();
    assert_eq!((d.status.as_str(), d.assignee), ("assigned", Some(p.id)));
    let (d, inc) = s
        .report_device_lost(&Actor::Person(p.id), d.id, true, "taken from car", "it")
        .await
        .unwrap();
    assert_eq!(d.status, "stolen");
    assert_eq!(
        (inc.kind.as_str(), inc.device_id),
        ("lost_stolen_device", Some(d.id))
    );
    let err = s
        .report_device_lost(&Actor::Person(p.id), d.id, false, "again", "it")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transition { .. }), "{err}");
    let d = s
        .return_device(&Actor::Person(it.id), d.id, &approvers)
        .await
        .unwrap();
    assert_eq!((d.status.as_str(), d.assignee), ("returned", None));
    let m = s
        .authorise_media(
            &Actor::Person(it.id),
            p.id,
            "USB stick",
            "course files",
            Some("2026-12-31"),
            &approvers,
        )
        .await
        .unwrap();
    assert_eq!(m.authorised_by, it.id);
    assert!(matches!(
        s.assign_device(&Actor::Person(it.id), 777, p.id, &approvers)
            .await,
        Err(Error::NotFound {
            entity: "device",
            ..
        })
    ));
});

both!(software_requests_need_an_approver, |s, db| {
    let cs = person(s, "Cora", "Sec", &["company_secretary"]).await;
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let approvers = roles(&["company_secretary"]);
    let r = s
        .request_software(&Actor::Person(p.id), p.id, "Inkscape", "diagrams")
        .await
        .unwrap();
    let err = s
        .decide_software(&Actor::Person(p.id), r.id, true, "ok", &approvers)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAuthorised { .. }), "{err}");
    let own = s
        .request_software(&Actor::Person(cs.id), cs.id, "Zoom", "calls")
        .await
        .unwrap();
    assert!(matches!(
        s.decide_software(&Actor::Person(cs.id), own.id, true, "ok", &approvers)
            .await,
        Err(Error::Refused(_))
    ));
    let r = s
        .decide_software(
            &Actor::Person(cs.id),
            r.id,
            true,
            "licence is free",
            &approvers,
        )
        .await
        .unwrap();
    assert_eq!((r.status.as_str(), r.decided_by), ("approved", Some(cs.id)));
    assert!(matches!(
        s.decide_software(&Actor::Person(cs.id), r.id, false, "no", &approvers)
            .await,
        Err(Error::Transition { .. })
    ));
    let r2 = s
        .request_software(&Actor::Person(p.id), p.id, "BitTorrent", "films")
        .await
        .unwrap();
    s.decide_software(
        &Actor::Person(cs.id),
        r2.id,
        false,
        "piracy risk",
        &approvers,
    )
    .await
    .unwrap();
    assert_eq!(
        s.approved_software().await.unwrap(),
        vec!["Inkscape".to_string()]
    );
});

both!(social_accounts_need_two_factor_and_hand_over, |s, db| {
    let hr = person(s, "Hana", "Res", &["hr_manager"]).await;
    let sm = person(s, "Sam", "Media", &["social_media_manager"]).await;
    let nw = person(s, "Nia", "Next", &["social_media_manager"]).await;
    let approvers = roles(&["hr_manager", "it_manager"]);
    let a = Actor::Person(hr.id);
    assert!(matches!(
        s.add_social_account(&a, "linkedin", "@iimts", sm.id, hr.id, false, &approvers)
            .await,
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        s.add_social_account(
            &Actor::Person(sm.id),
            "linkedin",
            "@iimts",
            sm.id,
            hr.id,
            true,
            &approvers
        )
        .await,
        Err(Error::NotAuthorised { .. })
    ));
    let acc = s
        .add_social_account(&a, "linkedin", "@iimts", sm.id, hr.id, true, &approvers)
        .await
        .unwrap();
    let acc = s
        .authorise_social_user(&a, acc.id, nw.id, &approvers)
        .await
        .unwrap();
    assert_eq!(acc.authorised_users, vec![nw.id]);
    let acc = s
        .hand_over_social(&a, acc.id, nw.id, hr.id, &approvers)
        .await
        .unwrap();
    assert_eq!(acc.owner_id, nw.id);
    assert!(matches!(
        s.add_social_account(&a, "linkedin", "@iimts", sm.id, hr.id, true, &approvers)
            .await,
        Err(Error::Duplicate { .. })
    ));
});

both!(acknowledgements_bind_to_the_text, |s, db| {
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let gov = Governance {
        acknowledge_before_use: true,
        briefing_every_months: Some(12),
        induction: true,
        ..Governance::default()
    };
    let v1 = s
        .publish_policy(
            &sys(),
            "itec",
            "2021-02",
            "e-Safety Policy",
            "text one",
            false,
        )
        .await
        .unwrap();
    assert_eq!(v1.text_hash, text_hash("text one"));
    let err = s
        .acknowledge(
            &Actor::Person(p.id),
            p.id,
            v1.id,
            &text_hash("another text"),
            AckKind::Agreement,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err}");
    // Nothing is recorded yet: all three are owed, whatever the day.
    let due = s
        .acknowledgements_due(date(2021, 2, 1), &gov)
        .await
        .unwrap();
    let kinds: Vec<&str> = due.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, vec!["agreement", "induction", "briefing"]);
    s.acknowledge(
        &Actor::Person(p.id),
        p.id,
        v1.id,
        &v1.text_hash,
        AckKind::Agreement,
        None,
    )
    .await
    .unwrap();
    let induction = s
        .acknowledge(
            &Actor::Person(p.id),
            p.id,
            v1.id,
            &v1.text_hash,
            AckKind::Induction,
            None,
        )
        .await
        .unwrap();
    // "Today" is the day the store stamped the induction, not a second reading of the clock,
    // which would be tomorrow's date if the test ran across midnight UTC.
    let today = induction
        .at
        .parse::<Timestamp>()
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    assert!(
        s.acknowledgements_due(today, &gov)
            .await
            .unwrap()
            .is_empty()
    );
    // A year on, the yearly briefing is due again.
    let next_year = today.checked_add(12.months()).unwrap();
    let due = s.acknowledgements_due(next_year, &gov).await.unwrap();
    assert_eq!(
        due.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(),
        vec!["briefing"]
    );
    // A minor version does not ask for re-acknowledgement; a material change does.
    s.publish_policy(
        &sys(),
        "itec",
        "2021-03",
        "e-Safety Policy",
        "text two",
        false,
    )
    .await
    .unwrap();
    assert!(
        s.acknowledgements_due(today, &gov)
            .await
            .unwrap()
            .is_empty()
    );
    let v3 = s
        .publish_policy(
            &sys(),
            "itec",
            "2022-01",
            "e-Safety Policy",
            "text three",
            true,
        )
        .await
        .unwrap();
    let due = s.acknowledgements_due(today, &gov).await.unwrap();
    assert!(
        due.iter()
            .any(|d| d.kind == "agreement" && d.reason.contains("material change")),
        "{due:?}"
    );
    s.acknowledge(
        &Actor::Person(p.id),
        p.id,
        v3.id,
        &v3.text_hash,
        AckKind::Agreement,
        None,
    )
    .await
    .unwrap();
    assert!(
        s.acknowledgements_due(today, &gov)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.publish_policy(&sys(), "itec", "2022-01", "x", "y", false)
            .await,
        Err(Error::Duplicate { .. })
    ));
});

both!(
    safeguarding_concerns_go_to_the_safeguarding_lead,
    |s, db| {
        let lead = person(s, "Sara", "Guard", &["safeguarding_lead"]).await;
        let it = person(s, "Ian", "Tech", &["it"]).await;
        let p = person(s, "Pat", "Staff", &["staff"]).await;
        let gov = Governance {
            safeguarding_role: Some("safeguarding_lead".into()),
            ..Governance::default()
        };
        let to = route_incident(IncidentKind::Safeguarding, &gov);
        let inc = s
            .report_incident(
                &Actor::Person(p.id),
                IncidentKind::Safeguarding,
                "a learner asked to follow me",
                None,
                &to,
            )
            .await
            .unwrap();
        assert_eq!(inc.routed_to, "safeguarding_lead");
        let err = s
            .close_incident(&Actor::Person(it.id), inc.id, "done", &roles(&["it"]))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotAuthorised { .. }), "{err}");
        let inc = s
            .close_incident(&Actor::Person(lead.id), inc.id, "blocked and reported", &[])
            .await
            .unwrap();
        assert_eq!(inc.status, "closed");
        let spam = s
            .report_incident(
                &Actor::Person(p.id),
                IncidentKind::SpamScam,
                "fake invoice",
                None,
                &route_incident(IncidentKind::SpamScam, &gov),
            )
            .await
            .unwrap();
        assert_eq!(spam.routed_to, "it");
    }
);

both!(breaches_keep_the_72_hour_clock, |s, db| {
    let cs = person(s, "Cora", "Sec", &["company_secretary"]).await;
    let victim = person(s, "Vic", "Tim", &["staff"]).await;
    let a = Actor::Person(cs.id);
    let aware: Timestamp = "2026-01-09T16:00:00Z".parse().unwrap(); // a Friday
    let b = s
        .log_breach(
            &a,
            NewBreach {
                description: "laptop with learner records stolen".into(),
                data_categories: "names, dates of birth".into(),
                approx_people: Some(120),
                approx_records: Some(480),
                likely_consequences: "identity fraud".into(),
                measures: "remote wipe requested".into(),
                contact_point: "Company Secretary".into(),
                aware_at: aware,
            },
            &[victim.id],
        )
        .await
        .unwrap();
    assert_eq!(b.notify_by, "2026-01-12T16:00:00Z");
    assert!(matches!(
        s.notify_ico(&a, b.id, aware, None, None).await,
        Err(Error::Transition { .. })
    ));
    assert!(matches!(
        s.close_breach(&a, b.id).await,
        Err(Error::Transition { .. })
    ));
    s.decide_breach(
        &a,
        b.id,
        true,
        "dates of birth: risk to rights and freedoms",
    )
    .await
    .unwrap();
    assert!(matches!(
        s.close_breach(&a, b.id).await,
        Err(Error::Refused(_))
    ));
    let late: Timestamp = "2026-01-13T10:00:00Z".parse().unwrap();
    let err = s
        .notify_ico(&a, b.id, late, Some("ICO/1"), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("18 hours after"), "{err}");
    let b2 = s
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
    s.tell_people(&a, b.id, late, "letter").await.unwrap();
    let b3 = s.close_breach(&a, b.id).await.unwrap();
    assert_eq!(
        (b3.status.as_str(), b3.people.clone()),
        ("closed", vec![victim.id])
    );
    let err = s
        .log_breach(
            &a,
            NewBreach {
                description: String::new(),
                ..NewBreach::default()
            },
            &[],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
});

both!(subject_requests_count_calendar_months, |s, db| {
    let cs = person(s, "Cora", "Sec", &["company_secretary"]).await;
    let a = Actor::Person(cs.id);
    let r = s
        .receive_request(
            &a,
            None,
            "J. Bloggs",
            RequestKind::Access,
            date(2026, 1, 31),
        )
        .await
        .unwrap();
    assert_eq!(r.due_on, "2026-02-28");
    let r = s
        .pause_request(&a, r.id, date(2026, 2, 2), "identity")
        .await
        .unwrap();
    assert_eq!(r.status, "paused");
    assert!(matches!(
        s.pause_request(&a, r.id, date(2026, 2, 3), "identity")
            .await,
        Err(Error::Transition { .. })
    ));
    assert!(matches!(
        s.pause_request(&a, r.id, date(2026, 2, 3), "holiday").await,
        Err(Error::Invalid { .. })
    ));
    let r = s.resume_request(&a, r.id, date(2026, 2, 12)).await.unwrap();
    assert_eq!((r.paused_days, r.due_on.as_str()), (10, "2026-03-10"));
    assert!(matches!(
        s.extend_request(&a, r.id, "complex", date(2026, 3, 20))
            .await,
        Err(Error::Refused(_))
    ));
    let r = s
        .extend_request(&a, r.id, "many systems to search", date(2026, 3, 1))
        .await
        .unwrap();
    assert_eq!(r.due_on, "2026-05-10");
    assert!(matches!(
        s.extend_request(&a, r.id, "again", date(2026, 3, 2)).await,
        Err(Error::Transition { .. })
    ));
    assert!(matches!(
        s.close_request(&a, r.id, date(2026, 4, 1), false, "manifestly unfounded")
            .await,
        Err(Error::Refused(_))
    ));
    let r = s
        .close_request(&a, r.id, date(2026, 4, 1), true, "export sent")
        .await
        .unwrap();
    assert_eq!(r.status, "completed");
    assert!(matches!(
        s.resume_request(&a, r.id, date(2026, 4, 2)).await,
        Err(Error::Transition { .. })
    ));
});

both!(leavers_close_only_when_every_item_is_done, |s, db| {
    let it = person(s, "Ian", "Tech", &["it_manager"]).await;
    let hr = person(s, "Hana", "Res", &["hr_manager"]).await;
    let p = person(s, "Pat", "Leaver", &["staff"]).await;
    s.update_person(
        &sys(),
        p.id,
        PersonUpdate {
            line_manager: Some(hr.id),
            ..PersonUpdate::default()
        },
    )
    .await
    .unwrap();
    s.add_account(&sys(), p.id, "login", "pat", None)
        .await
        .unwrap();
    let approvers = roles(&["it_manager"]);
    let d = s
        .add_device(
            &sys(),
            NewDevice {
                serial: "LT-9".into(),
                kind: "laptop".into(),
                assignee: Some(p.id),
                ..NewDevice::default()
            },
        )
        .await
        .unwrap();
    let social = s
        .add_social_account(
            &Actor::Person(hr.id),
            "x",
            "@itec",
            p.id,
            p.id,
            true,
            &roles(&["hr_manager"]),
        )
        .await
        .unwrap();
    let l = s
        .open_leaver(&Actor::Person(hr.id), p.id, date(2026, 6, 30))
        .await
        .unwrap();
    assert!(matches!(
        s.open_leaver(&Actor::Person(hr.id), p.id, date(2026, 6, 30))
            .await,
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        s.close_leaver(&Actor::Person(it.id), l.id, &approvers)
            .await,
        Err(Error::Refused(_))
    ));
    let err = s
        .tick_leaver(
            &Actor::Person(it.id),
            l.id,
            LeaverItem::EquipmentReturned,
            &approvers,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("LT-9"), "{err}");
    assert!(matches!(
        s.tick_leaver(
            &Actor::Person(p.id),
            l.id,
            LeaverItem::CredentialsHandedOver,
            &approvers
        )
        .await,
        Err(Error::NotAuthorised { .. })
    ));
    s.return_device(&Actor::Person(it.id), d.id, &approvers)
        .await
        .unwrap();
    s.tick_leaver(
        &Actor::Person(it.id),
        l.id,
        LeaverItem::EquipmentReturned,
        &approvers,
    )
    .await
    .unwrap();
    // The line manager may take the credentials.
    s.tick_leaver(
        &Actor::Person(hr.id),
        l.id,
        LeaverItem::CredentialsHandedOver,
        &approvers,
    )
    .await
    .unwrap();
    s.tick_leaver(
        &Actor::Person(it.id),
        l.id,
        LeaverItem::AccountsDisabled,
        &approvers,
    )
    .await
    .unwrap();
    assert!(
        s.accounts_of(p.id)
            .await
            .unwrap()
            .iter()
            .all(|a| a.status == "disabled")
    );
    assert!(matches!(
        s.tick_leaver(
            &Actor::Person(it.id),
            l.id,
            LeaverItem::SocialHandedOver,
            &approvers
        )
        .await,
        Err(Error::Refused(_))
    ));
    s.hand_over_social(
        &Actor::Person(hr.id),
        social.id,
        hr.id,
        hr.id,
        &roles(&["hr_manager"]),
    )
    .await
    .unwrap();
    s.tick_leaver(
        &Actor::Person(it.id),
        l.id,
        LeaverItem::SocialHandedOver,
        &approvers,
    )
    .await
    .unwrap();
    assert!(matches!(
        s.tick_leaver(
            &Actor::Person(it.id),
            l.id,
            LeaverItem::SocialHandedOver,
            &approvers
        )
        .await,
        Err(Error::Transition { .. })
    ));
    let l = s
        .close_leaver(&Actor::Person(it.id), l.id, &approvers)
        .await
        .unwrap();
    assert!(l.closed.is_some());
    assert_eq!(s.person(p.id).await.unwrap().status, "left");
});

both!(monitoring_records_keep_headers_only_and_purge, |s, db| {
    let a = sys();
    let batch = vec![
        record(
            "2025-01-10T10:00:00Z",
            "pat",
            Privacy::HeadersOnly,
            Some("Dear Pat, the test results..."),
        ),
        record(
            "2025-03-10T10:00:00Z",
            "pat",
            Privacy::Full,
            Some("invoice attached"),
        ),
        record("2026-05-01T10:00:00Z", "sam", Privacy::Full, None),
    ];
    assert_eq!(s.write_records(&a, &batch).await.unwrap(), 3);
    let viewer = Actor::Person(1);
    let recs = s
        .view_records(
            &viewer,
            &RecordFilter {
                users: vec!["pat".into()],
                ..RecordFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(recs.len(), 2);
    let personal = recs.iter().find(|r| r.privacy == "headers_only").unwrap();
    assert_eq!(personal.detail, None, "personal mail keeps headers only");
    assert!(
        recs.iter()
            .any(|r| r.detail.as_deref() == Some("invoice attached"))
    );
    // The view is in the audit chain.
    let audit = s.audit_rows(1, 100).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.action == "records.view" && r.actor == "person:1")
    );
    // Allowed traffic is kept too, and `flagged_only` leaves it out.
    let mut allowed = record("2025-03-11T10:00:00Z", "pat", Privacy::Full, None);
    allowed.verdict = "allow".into();
    s.write_records(&a, &[allowed]).await.unwrap();
    let all = s
        .view_records(
            &viewer,
            &RecordFilter {
                users: vec!["pat".into()],
                ..RecordFilter::default()
            },
        )
        .await
        .unwrap();
    let flagged = s
        .view_records(
            &viewer,
            &RecordFilter {
                users: vec!["pat".into()],
                flagged_only: true,
                ..RecordFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((all.len(), flagged.len()), (3, 2));
    // One-year retention from 2026-06-01: the three 2025 records go, and the purge is logged.
    let cutoff = retention_cutoff("2026-06-01T00:00:00Z".parse().unwrap(), 12);
    assert_eq!(cutoff.to_string(), "2025-06-01T00:00:00Z");
    let p = s
        .purge_records(&Actor::System("retention".into()), cutoff)
        .await
        .unwrap();
    assert_eq!(p.deleted, 3);
    assert_eq!(p.oldest.as_deref(), Some("2025-01-10T10:00:00Z"));
    assert_eq!(s.count_records().await.unwrap(), 1);
    let audit = s.audit_rows(p.audit_seq, 1).await.unwrap();
    assert_eq!(audit[0].action, "records.purge");
    assert!(s.audit_verify().await.unwrap().ok());
    let mut bad = record("2026-05-01T10:00:00Z", "x", Privacy::Full, None);
    bad.subject = "u".repeat(MAX_SUBJECT + 1).into();
    assert!(matches!(
        s.write_records(&a, &[bad]).await,
        Err(Error::TooLong {
            field: "subject",
            ..
        })
    ));
    let mut bad = record("2026-05-01T10:00:00Z", "x", Privacy::Full, None);
    bad.verdict = "explode".into();
    assert!(matches!(
        s.write_records(&a, &[bad]).await,
        Err(Error::Invalid { .. })
    ));
    assert_eq!(s.count_records().await.unwrap(), 1);
});

both!(
    audit_verify_finds_edits_deletions_and_reordering,
    |s, db| {
        for i in 0..5 {
            person(s, &format!("P{i}"), "X", &["staff"]).await;
        }
        let r = s.audit_verify().await.unwrap();
        assert!(r.ok(), "{r:?}");
        assert_eq!(r.rows, 5);
        raw_exec(
            &db.url,
            "UPDATE audit SET detail = '{\"roles\":\"management\"}' WHERE seq = 3",
        )
        .await;
        let r = s.audit_verify().await.unwrap();
        assert_eq!(
            r.problems.iter().map(|p| p.seq).collect::<Vec<_>>(),
            vec![3]
        );
        assert!(r.problems[0].problem.contains("edited"));
    }
);

both!(audit_verify_finds_a_deleted_row, |s, db| {
    for i in 0..5 {
        person(s, &format!("P{i}"), "X", &["staff"]).await;
    }
    raw_exec(&db.url, "DELETE FROM audit WHERE seq = 2").await;
    let r = s.audit_verify().await.unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.seq == 3 && p.problem.contains("missing")),
        "{r:?}"
    );
    raw_exec(&db.url, "DELETE FROM audit WHERE seq = 5").await;
    let r = s.audit_verify().await.unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.problem.contains("rows at the end were deleted")),
        "{r:?}"
    );
});

both!(audit_verify_finds_reordered_rows, |s, db| {
    for i in 0..5 {
        person(s, &format!("P{i}"), "X", &["staff"]).await;
    }
    // Swap rows 2 and 4 by renumbering them.
    raw_exec(&db.url, "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 100").await;
    let r = s.audit_verify().await.unwrap();
    let seqs: Vec<i64> = r.problems.iter().map(|p| p.seq).collect();
    assert!(seqs.contains(&2) && seqs.contains(&4), "{r:?}");
});

both!(concurrent_writers_keep_one_chain, |s, db| {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                s.add_person(
                    &sys(),
                    NewPerson {
                        first_name: format!("T{i}"),
                        last_name: format!("N{j}"),
                        ..NewPerson::default()
                    },
                )
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let r = s.audit_verify().await.unwrap();
    assert!(r.ok(), "{r:?}");
    assert_eq!(r.rows, 40);
});

both!(subject_export_and_erasure, |s, db| {
    let cs = person(s, "Cora", "Sec", &["company_secretary"]).await;
    let p = person(s, "Pat", "Leaver", &["staff"]).await;
    let (acc, _) = s
        .make_email(&sys(), p.id, &iimts_formats(), "itec.uk")
        .await
        .unwrap();
    assert_eq!(acc.name, "pat.uk@itec.uk");
    s.write_records(
        &sys(),
        &[
            record(
                "2026-05-01T10:00:00Z",
                "pat.uk@itec.uk",
                Privacy::Full,
                Some("x"),
            ),
            record("2026-05-01T11:00:00Z", "pat.uk", Privacy::Full, None),
            record("2026-05-01T12:00:00Z", "someone.else", Privacy::Full, None),
        ],
    )
    .await
    .unwrap();
    s.request_software(&Actor::Person(p.id), p.id, "Inkscape", "diagrams")
        .await
        .unwrap();
    let e = s
        .subject_export(&Actor::Person(cs.id), p.id, date(2026, 6, 1))
        .await
        .unwrap();
    assert_eq!(e.monitoring_records.len(), 2);
    assert_eq!(e.accounts.len(), 1);
    assert_eq!(e.software_requests.len(), 1);
    assert!(e.audit.iter().any(|a| a.action == "records.view"));
    let html = render_html(&e, "ITEC");
    assert!(html.contains("Monitoring records (2)") && html.contains("pat.uk@itec.uk"));
    // Someone still employed cannot be erased.
    assert!(matches!(
        s.erase_person(&Actor::Person(cs.id), p.id).await,
        Err(Error::Refused(_))
    ));
    let l = s
        .open_leaver(&Actor::Person(cs.id), p.id, date(2026, 6, 30))
        .await
        .unwrap();
    let r = roles(&["company_secretary"]);
    for item in LeaverItem::ALL {
        s.tick_leaver(&Actor::Person(cs.id), l.id, item, &r)
            .await
            .unwrap();
    }
    s.close_leaver(&Actor::Person(cs.id), l.id, &r)
        .await
        .unwrap();
    let rep = s.erase_person(&Actor::Person(cs.id), p.id).await.unwrap();
    let erased = |w: &str| rep.erased.iter().find(|e| e.what == w).map(|e| e.count);
    assert_eq!(erased("monitoring records"), Some(2));
    assert_eq!(erased("software requests"), Some(1));
    assert!(
        rep.kept
            .iter()
            .any(|k| k.what == "audit rows" && k.reason.contains("append-only"))
    );
    assert!(rep.kept.iter().any(|k| k.what == "leaver checklist"));
    assert_eq!(s.count_records().await.unwrap(), 1);
    assert_eq!(s.person(p.id).await.unwrap().status, "erased");
    assert!(s.audit_verify().await.unwrap().ok());
});

both!(reopening_keeps_everything, |s, db| {
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let again = Store::open(&db.url).await.unwrap();
    assert_eq!(again.person(p.id).await.unwrap(), p);
    assert!(again.audit_verify().await.unwrap().ok());
    again.close().await;
});

both!(awkward_text_round_trips, |s, db| {
    let mut r = record(
        "2026-05-01T10:00:00Z",
        "o'brien\t\\x",
        Privacy::Full,
        Some("line one\nline two\r\n\\N\ttab"),
    );
    r.subject = "https://example.org/a\tb\\c\nd?q=\u{e9}\u{1F600}".into();
    s.write_records(&sys(), &[r.clone()]).await.unwrap();
    let got = s
        .view_records(&sys(), &RecordFilter::default())
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].subject, &*r.subject);
    assert_eq!(got[0].detail.as_deref(), r.detail.as_deref());
    assert_eq!(got[0].user.as_deref(), r.user.as_deref());
    let mut nul = r.clone();
    nul.subject = "https://x/\0".into();
    assert!(matches!(
        s.write_records(&sys(), &[nul]).await,
        Err(Error::Invalid {
            field: "subject",
            ..
        })
    ));
});

both!(the_itec_agreement_names_the_assigned_laptop, |s, db| {
    let it = person(s, "Ian", "Tech", &["it"]).await;
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let v = s
        .publish_policy(
            &sys(),
            "itec",
            "2021-02",
            "e-Safety",
            "agreement text",
            false,
        )
        .await
        .unwrap();
    let lt = s
        .add_device(
            &sys(),
            NewDevice {
                serial: "ITEC-LT-7".into(),
                kind: "laptop".into(),
                assignee: Some(it.id),
                ..NewDevice::default()
            },
        )
        .await
        .unwrap();
    let err = s
        .acknowledge(
            &Actor::Person(p.id),
            p.id,
            v.id,
            &v.text_hash,
            AckKind::Agreement,
            Some(lt.id),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not assigned to person"), "{err}");
    let mine = s
        .add_device(
            &sys(),
            NewDevice {
                serial: "ITEC-LT-8".into(),
                kind: "laptop".into(),
                assignee: Some(p.id),
                ..NewDevice::default()
            },
        )
        .await
        .unwrap();
    let a = s
        .acknowledge(
            &Actor::Person(p.id),
            p.id,
            v.id,
            &v.text_hash,
            AckKind::Agreement,
            Some(mine.id),
        )
        .await
        .unwrap();
    assert_eq!(a.device_id, Some(mine.id));
    let m = s
        .authorise_media(
            &Actor::Person(it.id),
            p.id,
            "USB stick",
            "files",
            None,
            &roles(&["it"]),
        )
        .await
        .unwrap();
    let m = s
        .revoke_media(&Actor::Person(it.id), m.id, &roles(&["it"]))
        .await
        .unwrap();
    assert!(m.revoked_at.is_some());
    assert!(matches!(
        s.revoke_media(&Actor::Person(it.id), m.id, &roles(&["it"]))
            .await,
        Err(Error::Transition { .. })
    ));
});
