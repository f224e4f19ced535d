//! A person's monitoring timeline over the API (`GET /api/people/{id}/records`), on SQLite and
//! on PostgreSQL: the compliance role with a reason reads it newest first a page at a time,
//! and the person is told; staff are refused, and so is a reading without a reason.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_support;

use charter_store::{Actor, NewRecord, Source};
use dashboard_support::*;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

fn record(user: &str, minutes_ago: i64, subject: &str) -> NewRecord {
    NewRecord {
        at: Timestamp::now() - SignedDuration::from_mins(minutes_ago),
        user: Some(user.into()),
        source: Source::Web,
        subject: subject.into(),
        verdict: "allow".into(),
        rule: None,
        check: None,
        severity: None,
        categories: None,
        privacy: charter_engine::Privacy::Full,
        detail: None,
        findings: "[]".into(),
    }
}

fn subjects(body: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(body).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject"].as_str().unwrap().to_string())
        .collect()
}

both!(
    a_persons_timeline_is_paged_newest_first_for_compliance_with_a_reason,
    |s| {
        let system = Actor::System("test".into());
        let ann = s.person("Ann", &["staff"]).await;
        s.app
            .add_account(&system, ann, "proxy", "ann")
            .await
            .unwrap();
        let batch: Vec<NewRecord> = (1..=5)
            .map(|m| record("ann", m, &format!("https://site{m}.example/")))
            .chain([record("bob", 0, "https://bob.example/")])
            .collect();
        s.app.store().write_records(&system, &batch).await.unwrap();

        let officer = s.user("Cat", &["staff", "compliance"], "cat").await;
        let cat = s.sign_in("cat", &officer).await;
        let path = format!("/api/people/{ann}/records?reason=suspected%20misuse&limit=2");
        let first = s.api("GET", &path, &cat, None, None).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(
            subjects(&first.body),
            ["https://site1.example/", "https://site2.example/"],
            "newest first, two a page, Ann's only"
        );
        let last_at: Value = serde_json::from_str(&first.body).unwrap();
        let before = last_at[1]["at"].as_str().unwrap();
        let next = s
            .api("GET", &format!("{path}&before={before}"), &cat, None, None)
            .await;
        assert_eq!(
            subjects(&next.body),
            ["https://site3.example/", "https://site4.example/"]
        );
        let notices = s.app.notices_of(ann).await.unwrap();
        assert!(
            notices.iter().any(|n| n.text.contains("suspected misuse")),
            "Ann is told who looked and why"
        );

        let no_reason = s
            .api(
                "GET",
                &format!("/api/people/{ann}/records?reason=%20"),
                &cat,
                None,
                None,
            )
            .await;
        assert_eq!(no_reason.status, 422, "{}", no_reason.body);
        let staff = s.user("Bob", &["staff"], "bob").await;
        let bob = s.sign_in("bob", &staff).await;
        let refused = s.api("GET", &path, &bob, None, None).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
);
