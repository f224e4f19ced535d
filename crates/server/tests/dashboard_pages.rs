//! The dashboard's pages over real HTTP, on SQLite and on PostgreSQL: the overview with the
//! breach clock and OVERDUE, sections and navigation by role, the policy acknowledged through
//! its form (and refused without the CSRF token), text escaped, htmx served from the binary.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_support;

use charter_store::{Actor, AlertModel, NewAlert, NewBreach};
use dashboard_support::*;
use jiff::{SignedDuration, Timestamp};

async fn signed(s: &Server, first: &str, roles: &[&str], login: &str) -> String {
    let secret = s.user(first, roles, login).await;
    s.sign_in(login, &secret).await
}

async fn breach(s: &Server, by: i64, description: &str, ago_hours: i64) {
    s.app
        .log_breach(
            &Actor::Person(by),
            NewBreach {
                description: description.into(),
                data_categories: "contact details".into(),
                approx_people: None,
                approx_records: None,
                likely_consequences: "none known".into(),
                measures: "remote wipe".into(),
                contact_point: String::new(),
                aware_at: Timestamp::now() - SignedDuration::from_hours(ago_hours),
            },
            &[],
        )
        .await
        .unwrap();
}

both!(
    the_overview_shows_the_breach_clock_and_overdue_by_role,
    |s| {
        let token = signed(s, "Cat", &["staff", "compliance"], "cat").await;
        let me: serde_json::Value =
            serde_json::from_str(&s.api("GET", "/api/me", &token, None, None).await.body).unwrap();
        let dpo = me["person_id"].as_i64().unwrap();
        breach(s, dpo, "laptop left on a train", 96).await;
        breach(s, dpo, "<script>alert(1)</script>", 1).await;
        let page = s.get("/", Some(&token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body
                .contains("Breaches: report to the ICO within 72 hours")
        );
        assert!(page.body.contains("laptop left on a train"));
        assert!(
            page.body.contains("class=\"overdue\">OVERDUE by"),
            "{}",
            page.body
        );
        assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.body.contains("<script>alert"), "text is escaped");
        assert!(
            !page.body.contains("href=\"/approvals\""),
            "not an approver"
        );

        let staff = signed(s, "Ann", &["staff"], "ann").await;
        let page = s.get("/", Some(&staff)).await;
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("Breaches"),
            "staff see no breach section"
        );
        assert!(!page.body.contains("laptop left on a train"));

        let hr = signed(s, "Hal", &["staff", "hr"], "hal").await;
        let page = s.get("/", Some(&hr)).await;
        assert!(
            page.body.contains("href=\"/approvals\""),
            "an approver's navigation"
        );
        assert_eq!(s.get("/approvals", Some(&hr)).await.status, 200);
        assert_eq!(s.get("/approvals", Some(&staff)).await.status, 403);
    }
);

both!(the_policy_is_acknowledged_through_its_form, |s| {
    s.app
        .publish_policy(
            &Actor::System("test".into()),
            "2.0",
            "The policy text.",
            true,
        )
        .await
        .unwrap();
    let token = signed(s, "Ann", &["staff"], "ann").await;
    let page = s.get("/policy", Some(&token)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("I have read the policy and will abide by it")
    );
    let csrf = hidden(&page.body, "csrf");
    let id = hidden(&page.body, "policy_id");
    let hash = hidden(&page.body, "text_hash");
    let r = s
        .post(
            "/policy/acknowledge",
            Some(&token),
            &format!("policy_id={id}&text_hash={hash}"),
        )
        .await;
    assert_eq!(r.status, 403, "no CSRF token");
    let r = s
        .post(
            "/policy/acknowledge",
            Some(&token),
            &format!("csrf={csrf}&policy_id={id}&text_hash={hash}"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = s.get("/policy", Some(&token)).await;
    assert!(page.body.contains("You have acknowledged"), "{}", page.body);
});

both!(pages_need_a_signed_in_session_and_htmx_is_built_in, |s| {
    let r = s.get("/", None).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/login"));
    let js = s.get("/assets/htmx.min.js", None).await;
    assert_eq!(js.status, 200);
    assert!(js.body.contains("htmx"));
    let token = signed(s, "Ann", &["staff"], "ann").await;
    let page = s.get("/alerts", Some(&token)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<script src=\"/assets/htmx.min.js\""));
});

async fn model_alert(s: &Server, minute: i64) -> i64 {
    let mut tx = s.app.store().begin().await.unwrap();
    let alert = tx
        .insert_alert(&NewAlert {
            at: Timestamp::now() - SignedDuration::from_mins(minute * 61),
            user: "bob".into(),
            person_id: None,
            rule: "mail.abuse".into(),
            check: Some("abusive_language".into()),
            severity: "misconduct".into(),
            routes: vec!["compliance".into()],
            clause: None,
            message: "abusive language: model".into(),
            source: "mail".into(),
            subject: "From: bob@acme.test".into(),
            privacy: "full".into(),
            model: Some(AlertModel {
                name: "alt-profanity-check".into(),
                version: "1.9.1".into(),
                score: 0.8731,
            }),
        })
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    alert.id
}

both!(alerts_show_the_model_and_how_often_reviewers_agreed, |s| {
    let token = signed(s, "Cat", &["staff", "compliance"], "cat").await;
    let page = s.get("/alerts", Some(&token)).await;
    assert!(
        page.body
            .contains("How often reviewers agreed with each model</h2>\n<p>Nothing.")
    );
    let first = model_alert(s, 1).await;
    model_alert(s, 2).await;
    let me: serde_json::Value =
        serde_json::from_str(&s.api("GET", "/api/me", &token, None, None).await.body).unwrap();
    let cat = Actor::Person(me["person_id"].as_i64().unwrap());
    s.app
        .dismiss_alert(&cat, first, "a quoted film line")
        .await
        .unwrap();
    let page = s.get("/alerts", Some(&token)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<td>alt-profanity-check 1.9.1 (score 0.87)</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "<td>alt-profanity-check 1.9.1</td><td>1</td><td>1</td><td>0</td><td>0%</td>"
        ),
        "one open, one reviewed, none agreed: {}",
        page.body
    );
    assert!(page.body.contains("href=\"/report\""), "a report maker");
    let staff = signed(s, "Ann", &["staff"], "ann").await;
    let page = s.get("/", Some(&staff)).await;
    assert!(
        !page.body.contains("href=\"/report\""),
        "staff make no report"
    );
});
