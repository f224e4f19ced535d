//! The dashboard's JSON API over real HTTP, on SQLite and on PostgreSQL: each role reads only
//! what the app lets it, a change needs the session's CSRF token, and a record of another
//! role's is refused by id.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_support;

use charter_store::Actor;
use dashboard_support::*;
use serde_json::Value;

/// Signs in a new person with `roles`; the session token and its CSRF token.
async fn session(s: &Server, first: &str, roles: &[&str], login: &str) -> (String, String) {
    let secret = s.user(first, roles, login).await;
    let token = s.sign_in(login, &secret).await;
    let me = s.api("GET", "/api/me", &token, None, None).await;
    let me: Value = serde_json::from_str(&me.body).unwrap();
    (token, me["csrf"].as_str().unwrap().to_string())
}

fn json(r: &Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

both!(staff_are_refused_the_registers_compliance_reads_them, |s| {
    let (staff, _) = session(s, "Ann", &["staff"], "ann").await;
    let (dpo, _) = session(s, "Cat", &["staff", "compliance"], "cat").await;
    for path in [
        "/api/breaches",
        "/api/people",
        "/api/subject-requests",
        "/api/approvals",
    ] {
        let r = s.api("GET", path, &staff, None, None).await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(
            json(&r)["error"].as_str().unwrap().contains("may not"),
            "{path}"
        );
    }
    for path in ["/api/breaches", "/api/people", "/api/subject-requests"] {
        assert_eq!(
            s.api("GET", path, &dpo, None, None).await.status,
            200,
            "{path}"
        );
    }
    let overview = json(&s.api("GET", "/api/overview", &staff, None, None).await);
    assert!(
        overview["breaches"].is_null(),
        "staff see no breach section: {overview}"
    );
    assert!(overview["approvals_waiting"].is_null());
});

both!(
    a_breach_is_logged_with_its_clock_and_needs_the_csrf_token,
    |s| {
        let (dpo, csrf) = session(s, "Cat", &["staff", "compliance"], "cat").await;
        let body = r#"{"description":"laptop left on a train","data_categories":"staff contact details","likely_consequences":"none known","measures":"remote wipe","people":[]}"#;
        let r = s.api("POST", "/api/breaches", &dpo, None, Some(body)).await;
        assert_eq!(r.status, 403, "without the CSRF token: {}", r.body);
        let r = s
            .api(
                "POST",
                "/api/breaches",
                &dpo,
                Some("0".repeat(64).as_str()),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 403, "with a wrong CSRF token");
        let r = s
            .api("POST", "/api/breaches", &dpo, Some(&csrf), Some(body))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let overview = json(&s.api("GET", "/api/overview", &dpo, None, None).await);
        let b = &overview["breaches"][0];
        assert_eq!(b["description"], "laptop left on a train");
        assert!(b["remaining"].as_str().unwrap().contains("hours"), "{b}");
        assert_eq!(b["overdue"], false);
        // A staff member may not log one.
        let (staff, staff_csrf) = session(s, "Ann", &["staff"], "ann").await;
        let r = s
            .api(
                "POST",
                "/api/breaches",
                &staff,
                Some(&staff_csrf),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
);

both!(another_roles_record_is_refused_by_id, |s| {
    let (staff, csrf) = session(s, "Ann", &["staff"], "ann").await;
    for path in ["/api/approvals/1/approve", "/api/approvals/1/refuse"] {
        let r = s
            .api("POST", path, &staff, Some(&csrf), Some(r#"{"note":"ok"}"#))
            .await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    let (hr, hr_csrf) = session(s, "Hal", &["staff", "hr"], "hal").await;
    let r = s
        .api(
            "POST",
            "/api/approvals/999/approve",
            &hr,
            Some(&hr_csrf),
            Some(r#"{"note":"ok"}"#),
        )
        .await;
    assert_eq!(
        r.status, 404,
        "an approver asking for a missing id: {}",
        r.body
    );
    let r = s
        .api(
            "POST",
            "/api/alerts/999/confirm",
            &staff,
            Some(&csrf),
            Some("{}"),
        )
        .await;
    assert!(matches!(r.status, 403 | 404), "{}: {}", r.status, r.body);
});

both!(a_person_reads_and_acknowledges_the_policy, |s| {
    let v = s
        .app
        .publish_policy(
            &Actor::System("test".into()),
            "1.0",
            "Be kind to the computers.",
            true,
        )
        .await
        .unwrap();
    let (staff, csrf) = session(s, "Ann", &["staff"], "ann").await;
    let mine = json(
        &s.api("GET", "/api/acknowledgements", &staff, None, None)
            .await,
    );
    assert_eq!(mine["acknowledged_latest"], false);
    assert_eq!(mine["latest"]["text_hash"], v.text_hash.as_str());
    let wrong = format!(
        r#"{{"policy_id":{},"text_hash":"{}"}}"#,
        v.id,
        "f".repeat(64)
    );
    let r = s
        .api(
            "POST",
            "/api/acknowledgements",
            &staff,
            Some(&csrf),
            Some(&wrong),
        )
        .await;
    assert_eq!(r.status, 422, "another text: {}", r.body);
    let right = format!(r#"{{"policy_id":{},"text_hash":"{}"}}"#, v.id, v.text_hash);
    let r = s
        .api(
            "POST",
            "/api/acknowledgements",
            &staff,
            Some(&csrf),
            Some(&right),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mine = json(
        &s.api("GET", "/api/acknowledgements", &staff, None, None)
            .await,
    );
    assert_eq!(mine["acknowledged_latest"], true);
});

both!(the_alerts_list_is_the_persons_own, |s| {
    let (staff, _) = session(s, "Ann", &["staff"], "ann").await;
    let r = s.api("GET", "/api/alerts", &staff, None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r), serde_json::json!([]));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_covers_every_api_route_and_swagger_ui_is_built_in() {
    let db = store_db::sqlite().await;
    let s = Server::start(db.store.clone()).await;
    let r = s.get("/api/openapi.json", None).await;
    assert_eq!(r.status, 200);
    let doc = json(&r);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for p in [
        "/api/me",
        "/api/overview",
        "/api/people",
        "/api/acknowledgements",
        "/api/breaches",
        "/api/subject-requests",
        "/api/approvals",
        "/api/approvals/{id}/approve",
        "/api/approvals/{id}/refuse",
        "/api/alerts",
        "/api/alerts/{id}/confirm",
        "/api/alerts/{id}/dismiss",
        "/api/alerts/{id}/refer",
        "/api/registers",
        "/api/registers/{name}",
        "/api/team",
        "/api/people/{id}/summary",
        "/api/people/{id}/timeline",
        "/api/audit",
        "/api/policy/rules",
        "/api/policy/lint",
        "/api/inbox",
        "/api/software",
        "/api/software/{id}/approve",
        "/api/software/{id}/refuse",
        "/api/me/data",
        "/api/me/export",
        "/api/incidents",
        "/api/devices/{id}/lost",
        "/api/access",
        "/api/authorisations",
        "/api/authorisations/{id}/approve",
        "/api/authorisations/{id}/refuse",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    assert!(doc["components"]["securitySchemes"]["csrf"].is_object());
    let ui = s.get("/api/docs/", None).await;
    assert_eq!(ui.status, 200);
    assert!(ui.body.to_lowercase().contains("swagger"), "{}", ui.body);
    let asset = s.get("/api/docs/swagger-ui.css", None).await;
    assert_eq!(
        asset.status, 200,
        "the UI's assets are served from the binary"
    );
    db.drop_db().await;
}
