//! The monthly report's figures on both engines: blocked attempts by category and team with
//! small teams merged, trends, who may make it, and the Cyber Essentials readiness check
//! saying unknown or not met where the evidence does not show a control met.

mod common;

use charter_app::App;
use charter_app::report::{Chart, MonthlyReport, Readiness, Section};
use charter_engine::Privacy;
use charter_policy::lint::Site;
use charter_store::{Actor, NewDevice, NewPerson, NewRecord, Source};
use jiff::Timestamp;

/// The test pack with rules the readiness check looks for, in a file lint can read again.
fn report_app(app: &App, dir: &tempfile::TempDir) -> App {
    let text = format!(
        "{}\n{}",
        common::PACK,
        r#"
[[rule]]
id = "internet.malicious"
clause = "Internet / Security"
quote = "Do not visit malicious sites."
on = "web"
categories = ["malware", "phishing", "gambling"]
action = "block"
severity = "misconduct"
"#
    );
    let path = dir.path().join("pack.toml");
    std::fs::write(&path, text).expect("write pack");
    let pack = charter_policy::load_file(&path).expect("pack loads");
    App::new(pack, app.store().clone())
}

fn blocked(at: &str, user: &str, categories: &str) -> NewRecord {
    NewRecord {
        at: at.parse().expect("instant"),
        user: Some(user.into()),
        source: Source::Web,
        subject: "http://bet.example/".into(),
        verdict: "block".into(),
        rule: Some("internet.malicious".into()),
        check: Some("prohibited_category".into()),
        severity: Some("misconduct".into()),
        categories: Some(categories.into()),
        privacy: Privacy::Full,
        detail: None,
        findings: "[]".into(),
    }
}

fn allowed(at: &str, user: &str) -> NewRecord {
    NewRecord {
        verdict: "allow".into(),
        rule: None,
        check: None,
        severity: None,
        categories: Some("news".into()),
        ..blocked(at, user, "news")
    }
}

fn section<'a>(r: &'a MonthlyReport, title: &str) -> &'a Section {
    r.sections
        .iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("no section {title}"))
}

fn chart<'a>(s: &'a Section, title: &str) -> &'a Chart {
    s.charts
        .iter()
        .find(|c| c.title == title)
        .unwrap_or_else(|| panic!("no chart {title}"))
}

fn bar(c: &Chart, label: &str) -> Option<Vec<i64>> {
    c.bars
        .iter()
        .find(|b| b.label == label)
        .map(|b| b.values.clone())
}

fn theme(r: &MonthlyReport, name: &str) -> Readiness {
    r.readiness
        .iter()
        .find(|t| t.theme == name)
        .unwrap_or_else(|| panic!("no theme {name}"))
        .status
}

const NOW: &str = "2026-12-10T12:00:00Z";

both!(
    the_month_is_counted_by_category_and_team_without_naming_anyone,
    |app| {
        let dir = tempfile::tempdir().expect("dir");
        let app = report_app(app, &dir);
        let op = Actor::System("test".into());
        // Sales has six people and is shown; Finance (two) and Legal (three) are merged, five
        // people together, so no one is singled out.
        let mut accounts = Vec::new();
        for (i, dept) in [
            "Sales", "Sales", "Sales", "Sales", "Sales", "Sales", "Finance", "Finance", "Legal",
            "Legal", "Legal",
        ]
        .iter()
        .enumerate()
        {
            let p = app
                .add_person(
                    &op,
                    NewPerson {
                        first_name: format!("Person{i}"),
                        last_name: "Tester".into(),
                        department: Some(dept.to_string()),
                        roles: vec!["staff".into()],
                        location: Some("uk".into()),
                        ..NewPerson::default()
                    },
                    false,
                )
                .await
                .expect("add person")
                .person;
            let name = format!("user{i}");
            app.add_account(&op, p.id, "proxy", &name)
                .await
                .expect("account");
            accounts.push((name, p.id));
        }
        app.add_device(
            &op,
            NewDevice {
                serial: "LAP-1".into(),
                kind: "laptop".into(),
                encrypted: false,
                assignee: Some(accounts[0].1),
                ..NewDevice::default()
            },
        )
        .await
        .expect("device");
        let records = vec![
            blocked("2026-11-03T10:00:00Z", "user0", "gambling"),
            blocked("2026-11-03T10:05:00Z", "user1", "gambling"),
            blocked("2026-11-04T10:00:00Z", "user6", "malware,phishing"),
            blocked("2026-11-30T23:30:00Z", "user7", "gambling"),
            // Outside the month: October (a trend) and December.
            blocked("2026-10-20T10:00:00Z", "user0", "gambling"),
            blocked("2026-12-01T00:30:00Z", "user0", "gambling"),
            allowed("2026-11-05T10:00:00Z", "user2"),
            allowed("2026-11-05T10:01:00Z", "nobody-known"),
        ];
        app.store()
            .write_records(&op, &records)
            .await
            .expect("records");

        let report = app
            .monthly_report(
                &op,
                "2026-11",
                Site::default(),
                NOW.parse::<Timestamp>().expect("now"),
            )
            .await
            .expect("report");
        assert_eq!(report.month, "2026-11");
        let web = section(&report, "Blocked attempts");
        let figure = |label: &str| {
            web.figures
                .iter()
                .find(|f| f.label == label)
                .map(|f| f.value.clone())
                .unwrap_or_default()
        };
        // London is on GMT in November: 23:30 UTC on the 30th is still November.
        assert_eq!(figure("Blocked requests"), "4");
        assert_eq!(figure("Monitoring records"), "6");
        let by_category = chart(web, "Blocked by category");
        assert_eq!(bar(by_category, "gambling"), Some(vec![3]));
        assert_eq!(bar(by_category, "malware"), Some(vec![1]));
        assert_eq!(bar(by_category, "phishing"), Some(vec![1]));
        let by_team = chart(web, "Blocked by team");
        assert_eq!(bar(by_team, "Sales"), Some(vec![2]));
        assert_eq!(bar(by_team, "other teams"), Some(vec![2]), "Finance merged");
        assert_eq!(bar(by_team, "Finance"), None);
        // No chart anywhere carries a person's name or account.
        for s in &report.sections {
            for c in &s.charts {
                for b in &c.bars {
                    assert!(
                        !b.label.contains("Person") && !b.label.starts_with("user"),
                        "{b:?}"
                    );
                }
            }
        }
        for s in &report.sections {
            for f in &s.figures {
                assert!(!f.source.is_empty(), "{} names no source", f.label);
            }
        }
        let trends = chart(section(&report, "Trends"), "Flagged records by month");
        assert_eq!(trends.bars.len(), 6);
        assert_eq!(bar(trends, "2026-10").map(|v| v[0]), Some(1));
        assert_eq!(bar(trends, "2026-11").map(|v| v[0]), Some(4));

        // Readiness: what Charter cannot see stays unknown; the unencrypted laptop is a gap.
        assert_eq!(theme(&report, "Firewalls"), Readiness::Unknown);
        assert_eq!(theme(&report, "Secure configuration"), Readiness::NotMet);
        assert_eq!(
            theme(&report, "Security update management"),
            Readiness::Unknown
        );
        assert_ne!(
            theme(&report, "Malware protection"),
            Readiness::Met,
            "anti-malware installs are unseen"
        );
        for t in &report.readiness {
            for c in &t.controls {
                if c.source == "not held by Charter" {
                    assert_eq!(c.status, Readiness::Unknown, "{}", c.control);
                }
            }
        }
        let malware = report
            .readiness
            .iter()
            .find(|t| t.theme == "Malware protection")
            .expect("theme");
        let filter = malware
            .controls
            .iter()
            .find(|c| c.control.starts_with("Connections to malicious websites"))
            .expect("control");
        assert_eq!(
            filter.status,
            Readiness::Met,
            "the pack blocks malware and phishing"
        );
    }
);

both!(only_policy_owners_and_the_operator_make_the_report, |app| {
    let dir = tempfile::tempdir().expect("dir");
    let app = report_app(app, &dir);
    let op = Actor::System("test".into());
    let add = |roles: &[&str], name: &str| NewPerson {
        first_name: name.into(),
        last_name: "Tester".into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        location: Some("uk".into()),
        ..NewPerson::default()
    };
    let staff = app
        .add_person(&op, add(&["staff"], "Sam"), false)
        .await
        .expect("staff")
        .person;
    let dpo = app
        .add_person(&op, add(&["dpo"], "Dee"), false)
        .await
        .expect("dpo")
        .person;
    let now: Timestamp = NOW.parse().expect("now");
    let refused = app
        .monthly_report(&Actor::Person(staff.id), "2026-11", Site::default(), now)
        .await
        .expect_err("staff may not");
    assert!(
        matches!(refused, charter_app::Error::NotAuthorised { .. }),
        "{refused}"
    );
    let report = app
        .monthly_report(&Actor::Person(dpo.id), "2026-11", Site::default(), now)
        .await
        .expect("the DPO may");
    // Nothing happened: the readiness check has no evidence and says so.
    assert_eq!(theme(&report, "User access control"), Readiness::Unknown);
    assert_eq!(theme(&report, "Secure configuration"), Readiness::Unknown);
    let bad = app
        .monthly_report(&op, "2026-13", Site::default(), now)
        .await
        .expect_err("no such month");
    assert!(bad.to_string().contains("not a month"), "{bad}");
    let rows = app.store().audit_rows(0, 1000).await.expect("audit");
    assert!(
        rows.iter().any(|r| r.action == "report.make"),
        "making a report is audited"
    );
});
