//! Least privilege on the dashboard (DESIGN section 1), over real HTTP on SQLite and
//! PostgreSQL: a line manager sees their own team's summaries and nobody else's; raw records
//! need the compliance role and a reason, the view is audited and the person told (unless
//! confidential); the safeguarding lead sees safeguarding incidents, IT does not; staff see
//! only their own data; the auditor reads everything, changes nothing, and every read is
//! logged. Each register, page and self-service call is run.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_support;

use charter_engine::{Decision, Privacy};
use charter_store::{Actor, NewPerson, NewRecord, Source, UsageAdd};
use dashboard_support::*;
use jiff::Timestamp;
use serde_json::Value;

const REGISTERS: [&str; 14] = [
    "people",
    "accounts",
    "devices",
    "media",
    "software",
    "social",
    "incidents",
    "breaches",
    "subject-requests",
    "leavers",
    "approvals",
    "authorisations",
    "alerts",
    "acknowledgements",
];

/// A signed-in person: their session, CSRF token and person id.
struct Who {
    token: String,
    csrf: String,
    id: i64,
}

async fn session(s: &Server, first: &str, roles: &[&str], login: &str) -> Who {
    let secret = s.user(first, roles, login).await;
    let token = s.sign_in(login, &secret).await;
    let me = json(&s.api("GET", "/api/me", &token, None, None).await);
    Who {
        token,
        csrf: me["csrf"].as_str().unwrap().to_string(),
        id: me["person_id"].as_i64().unwrap(),
    }
}

/// `who` asks for `software`; the request's id.
async fn ask_for_software(s: &Server, who: &Who, software: &str) -> i64 {
    let body = serde_json::json!({"software": software, "reason": "for work"}).to_string();
    let asked = s
        .api(
            "POST",
            "/api/software",
            &who.token,
            Some(&who.csrf),
            Some(&body),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    json(&asked)["id"].as_i64().unwrap()
}

fn json(r: &Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// A person managed by `manager`, with an account `user` and an hour of personal use today
/// and a record of a visit.
async fn report(s: &Server, first: &str, manager: i64, user: &str) -> i64 {
    let system = Actor::System("test".into());
    let id = s
        .app
        .add_person(
            &system,
            NewPerson {
                first_name: first.into(),
                last_name: "Report".into(),
                roles: vec!["staff".into()],
                line_manager: Some(manager),
                ..NewPerson::default()
            },
            false,
        )
        .await
        .unwrap()
        .person
        .id;
    s.app.add_account(&system, id, "login", user).await.unwrap();
    let today = Timestamp::now()
        .to_zoned_datetime(s.app.time_zone().clone())
        .date();
    s.app
        .store()
        .add_usage(&[UsageAdd {
            person: user.into(),
            day: today,
            hour: 12,
            category: "social_media".into(),
            inside: 3_000,
            outside: 600,
            requests: 40,
        }])
        .await
        .unwrap();
    let allow = Decision::from_findings(Vec::new(), Privacy::Full, None);
    let headers_only = Decision::from_findings(Vec::new(), Privacy::HeadersOnly, None);
    let at = Timestamp::now();
    s.app
        .store()
        .write_records(
            &system,
            &[
                NewRecord::from_decision(
                    at,
                    Some(user.into()),
                    Source::Web,
                    "https://www.example.com/".into(),
                    None,
                    &allow,
                ),
                NewRecord::from_decision(
                    at,
                    Some(user.into()),
                    Source::Mail,
                    "From: a@acme.test; To: b@example.org; Subject: personal".into(),
                    None,
                    &headers_only,
                ),
            ],
        )
        .await
        .unwrap();
    id
}

both!(
    a_line_manager_sees_their_team_s_summaries_and_no_one_else_s,
    |s| {
        let mo = session(s, "Mo", &["staff"], "mo").await;
        let other = session(s, "Ola", &["staff"], "ola").await;
        let rita = report(s, "Rita", mo.id, "rita.report").await;
        let sid = report(s, "Sid", other.id, "sid.report").await;

        let team = json(&s.api("GET", "/api/team", &mo.token, None, None).await);
        let team = team.as_array().unwrap();
        assert_eq!(team.len(), 1, "{team:?}");
        assert_eq!(team[0]["person_id"], rita);
        assert_eq!(team[0]["seconds_inside"], 3_000);
        assert_eq!(team[0]["seconds_outside"], 600);

        let own = s
            .api(
                "GET",
                &format!("/api/people/{rita}/summary"),
                &mo.token,
                None,
                None,
            )
            .await;
        assert_eq!(own.status, 200, "{}", own.body);
        let theirs = s
            .api(
                "GET",
                &format!("/api/people/{sid}/summary"),
                &mo.token,
                None,
                None,
            )
            .await;
        assert_eq!(
            theirs.status, 403,
            "another team's summary: {}",
            theirs.body
        );

        // Summaries, never records: the manager may not read even their own team's records.
        let records = s
            .api(
                "POST",
                &format!("/api/people/{rita}/timeline"),
                &mo.token,
                Some(&mo.csrf),
                Some(r#"{"reason":"curious"}"#),
            )
            .await;
        assert_eq!(records.status, 403, "{}", records.body);
        let page = s.get("/team", Some(&mo.token)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Rita Report") && !page.body.contains("Sid Report"));
        let overview = json(&s.api("GET", "/api/overview", &mo.token, None, None).await);
        assert_eq!(overview["manages"], true);
        assert_eq!(overview["may_read_records"], false);
    }
);

both!(
    records_need_compliance_and_a_reason_and_the_person_is_told,
    |s| {
        let cat = session(s, "Cat", &["staff", "compliance"], "cat").await;
        let rita_login = session(s, "Rita", &["staff"], "rita").await;
        s.app
            .add_account(
                &Actor::System("test".into()),
                rita_login.id,
                "login",
                "rita.login",
            )
            .await
            .unwrap();
        let rita = rita_login.id;
        let other = report(s, "Sid", cat.id, "sid.report").await;
        let path = format!("/api/people/{other}/timeline");

        let none = s
            .api(
                "POST",
                &path,
                &cat.token,
                Some(&cat.csrf),
                Some(r#"{"reason":"  "}"#),
            )
            .await;
        assert_eq!(none.status, 422, "no reason: {}", none.body);
        let forged = s
            .api(
                "POST",
                &path,
                &cat.token,
                None,
                Some(r#"{"reason":"absence"}"#),
            )
            .await;
        assert_eq!(forged.status, 403, "no CSRF token");

        let t = s
            .api(
                "POST",
                &path,
                &cat.token,
                Some(&cat.csrf),
                Some(r#"{"reason":"suspected excessive personal use"}"#),
            )
            .await;
        assert_eq!(t.status, 200, "{}", t.body);
        let t = json(&t);
        assert_eq!(t["records"].as_array().unwrap().len(), 2);
        let mail = t["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["source"] == "mail")
            .unwrap();
        assert_eq!(mail["privacy"], "headers_only");
        assert_eq!(t["summary"]["seconds_inside"], 3_000);
        assert_eq!(t["usage"][0]["category"], "social_media");

        // The view is in the audit log with its reason.
        let audit = json(&s.api("GET", "/api/audit", &cat.token, None, None).await);
        assert_eq!(audit["verify"]["problems"], serde_json::json!([]));
        let view = audit["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == "records.view")
            .unwrap();
        assert!(
            view["detail"]
                .as_str()
                .unwrap()
                .contains("suspected excessive personal use")
        );

        // Rita is told when her records are read, but not in a confidential investigation.
        let read =
            |confidential: bool| format!(r#"{{"reason":"absence","confidential":{confidential}}}"#);
        let rita_path = format!("/api/people/{rita}/timeline");
        s.api(
            "POST",
            &rita_path,
            &cat.token,
            Some(&cat.csrf),
            Some(&read(true)),
        )
        .await;
        let mine = json(
            &s.api("GET", "/api/me/data", &rita_login.token, None, None)
                .await,
        );
        assert_eq!(
            mine["notices"],
            serde_json::json!([]),
            "confidential: not told"
        );
        s.api(
            "POST",
            &rita_path,
            &cat.token,
            Some(&cat.csrf),
            Some(&read(false)),
        )
        .await;
        let mine = json(
            &s.api("GET", "/api/me/data", &rita_login.token, None, None)
                .await,
        );
        let notice = mine["notices"][0]["text"].as_str().unwrap();
        assert!(
            notice.contains("Cat Test") && notice.contains("absence"),
            "{notice}"
        );

        // Staff may not read anyone's records, their own included.
        let own = s
            .api(
                "POST",
                &rita_path,
                &rita_login.token,
                Some(&rita_login.csrf),
                Some(&read(false)),
            )
            .await;
        assert_eq!(own.status, 403);

        // The page asks for the reason and shows the timeline.
        let form = s.get("/monitoring", Some(&cat.token)).await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains("<label for=\"reason\">"));
        let page = s
            .post(
                "/monitoring",
                Some(&cat.token),
                &format!("csrf={}&person={other}&reason=absence", cat.csrf),
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("headers only"), "{}", page.body);
        let refused = s.get("/monitoring", Some(&rita_login.token)).await;
        assert_eq!(refused.status, 403);
    }
);

both!(
    the_auditor_reads_everything_changes_nothing_and_is_logged,
    |s| {
        let aud = session(s, "Aud", &["auditor"], "aud").await;
        let names = json(&s.api("GET", "/api/registers", &aud.token, None, None).await);
        assert_eq!(names.as_array().unwrap().len(), REGISTERS.len(), "{names}");
        for name in REGISTERS {
            let r = s
                .api(
                    "GET",
                    &format!("/api/registers/{name}"),
                    &aud.token,
                    None,
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{name}: {}", r.body);
            assert!(json(&r).is_array(), "{name}");
            let page = s.get(&format!("/registers/{name}"), Some(&aud.token)).await;
            assert_eq!(page.status, 200, "{name}");
            assert!(page.body.contains("<h1>"), "{name}");
        }
        let audit = s.api("GET", "/api/audit", &aud.token, None, None).await;
        assert_eq!(audit.status, 200);
        let rows = json(&audit)["rows"].as_array().unwrap().clone();
        assert!(
            rows.iter().any(|r| r["action"] == "dashboard.read"
                && r["detail"].as_str().unwrap().contains("read this register")),
            "the auditor's reads are logged"
        );
        assert_eq!(s.get("/audit", Some(&aud.token)).await.status, 200);

        // Changes are refused.
        let breach = r#"{"description":"x","people":[]}"#;
        let r = s
            .api(
                "POST",
                "/api/breaches",
                &aud.token,
                Some(&aud.csrf),
                Some(breach),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = s
            .api(
                "POST",
                "/api/software/1/approve",
                &aud.token,
                Some(&aud.csrf),
                Some("{}"),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = s.api("GET", "/api/inbox", &aud.token, None, None).await;
        assert_eq!(r.status, 403, "the auditor decides nothing");
        let unknown = s
            .api("GET", "/api/registers/nothing", &aud.token, None, None)
            .await;
        assert_eq!(unknown.status, 404);
    }
);

both!(staff_see_only_their_own_and_ask_through_self_service, |s| {
    let ann = session(s, "Ann", &["staff"], "ann").await;
    let ivy = session(s, "Ivy", &["staff", "it"], "ivy").await;
    let names = json(&s.api("GET", "/api/registers", &ann.token, None, None).await);
    assert_eq!(names, serde_json::json!([]));
    for name in REGISTERS {
        let r = s
            .api(
                "GET",
                &format!("/api/registers/{name}"),
                &ann.token,
                None,
                None,
            )
            .await;
        assert_eq!(r.status, 403, "{name}: {}", r.body);
    }
    assert_eq!(
        s.api("GET", "/api/audit", &ann.token, None, None)
            .await
            .status,
        403
    );
    assert_eq!(
        s.get("/registers/people", Some(&ann.token)).await.status,
        403
    );
    assert_eq!(s.get("/audit", Some(&ann.token)).await.status, 403);

    // Ask for software: it waits in IT's inbox, never in Ann's.
    let id = ask_for_software(s, &ann, "Audacity").await;
    let inbox = json(&s.api("GET", "/api/inbox", &ivy.token, None, None).await);
    assert_eq!(inbox["software"][0]["software"], "Audacity");
    assert!(inbox["access"].is_null(), "IT does not decide access here");
    let page = s.get("/approvals", Some(&ivy.token)).await;
    assert!(
        page.body.contains("Approve software request"),
        "{}",
        page.body
    );
    let done = s
        .api(
            "POST",
            &format!("/api/software/{id}/approve"),
            &ivy.token,
            Some(&ivy.csrf),
            Some(r#"{"note":"fine"}"#),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    // A second request is refused with the page's form: a forged form and an unknown
    // action change nothing; the real one redirects to the inbox and the request is refused.
    let id = ask_for_software(s, &ann, "Blender").await;
    let path = format!("/approvals/software/{id}/refuse");
    let forged = s.post(&path, Some(&ivy.token), "csrf=wrong&note=no").await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let form = format!("csrf={}&note=not+needed", ivy.csrf);
    let unknown = s
        .post(
            &format!("/approvals/software/{id}/ignore"),
            Some(&ivy.token),
            &form,
        )
        .await;
    assert_eq!(unknown.status, 404);
    let inbox = json(&s.api("GET", "/api/inbox", &ivy.token, None, None).await);
    assert_eq!(inbox["software"][0]["software"], "Blender", "still waiting");
    let refused = s.post(&path, Some(&ivy.token), &form).await;
    assert_eq!(refused.status, 303, "{}", refused.body);
    assert_eq!(refused.header("location").as_deref(), Some("/approvals"));
    let inbox = json(&s.api("GET", "/api/inbox", &ivy.token, None, None).await);
    assert_eq!(
        inbox["software"].as_array().map(Vec::len),
        Some(0),
        "{inbox}"
    );

    // Report an incident with a script in it: stored as typed, shown escaped.
    let script = "<script>alert(1)</script> phishing";
    let body = serde_json::json!({"kind": "spam_scam", "description": script}).to_string();
    let r = s
        .api(
            "POST",
            "/api/incidents",
            &ann.token,
            Some(&ann.csrf),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = s.get("/registers/incidents", Some(&ivy.token)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; phishing")
    );
    assert!(!page.body.contains(script));

    // A device of Ann's, reported lost from self-service.
    let device = s
        .app
        .add_device(
            &Actor::System("test".into()),
            charter_store::NewDevice {
                serial: "SN-1".into(),
                kind: "laptop".into(),
                assignee: Some(ann.id),
                ..charter_store::NewDevice::default()
            },
        )
        .await
        .unwrap();
    let me = s.get("/me", Some(&ann.token)).await;
    assert!(
        me.body
            .contains(&format!("Report device {} lost", device.id))
    );
    let lost = s
        .post(
            &format!("/me/devices/{}/lost", device.id),
            Some(&ann.token),
            &format!("csrf={}&description=left+on+a+train", ann.csrf),
        )
        .await;
    assert_eq!(lost.status, 303, "{}", lost.body);
    let mine = json(&s.api("GET", "/api/me/data", &ann.token, None, None).await);
    assert_eq!(mine["devices"][0]["status"], "lost");
    assert_eq!(mine["software_requests"][0]["status"], "approved");
    assert_eq!(mine["incidents"].as_array().unwrap().len(), 2);

    // The export of everything held about Ann, and only Ann.
    let export = s.api("GET", "/api/me/export", &ann.token, None, None).await;
    assert_eq!(export.status, 200);
    assert!(
        export
            .header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    assert_eq!(json(&export)["person"]["id"], ann.id);

    // The self-service forms, by page.
    for (path, form) in [
        (
            "/me/incident",
            "kind=it_issue&description=printer+jammed".to_string(),
        ),
        ("/me/software", "software=GIMP&reason=images".to_string()),
    ] {
        let r = s
            .post(path, Some(&ann.token), &format!("csrf={}&{form}", ann.csrf))
            .await;
        assert_eq!(r.status, 303, "{path}: {}", r.body);
    }
    let held = s
        .api(
            "POST",
            "/api/access",
            &ann.token,
            Some(&ann.csrf),
            Some(r#"{"site":"example.com","rule":"no.such-rule","reason":"work"}"#),
        )
        .await;
    assert_eq!(held.status, 422, "only a hold rule's site: {}", held.body);
    let forged = s.post("/me/software", Some(&ann.token), "software=x").await;
    assert_eq!(forged.status, 403, "no CSRF token");
});

both!(
    safeguarding_incidents_go_to_the_safeguarding_lead_not_it,
    |s| {
        let ann = session(s, "Ann", &["staff"], "ann").await;
        let lead = session(s, "Gia", &["staff", "safeguarding_lead"], "gia").await;
        let ivy = session(s, "Ivy", &["staff", "it"], "ivy").await;
        for kind in ["safeguarding", "it_issue"] {
            let body = serde_json::json!({"kind": kind, "description": format!("a {kind} report")})
                .to_string();
            let r = s
                .api(
                    "POST",
                    "/api/incidents",
                    &ann.token,
                    Some(&ann.csrf),
                    Some(&body),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let kinds = |who: &Who| {
            let token = who.token.clone();
            async move {
                let r = json(
                    &s.api("GET", "/api/registers/incidents", &token, None, None)
                        .await,
                );
                let mut k: Vec<String> = r
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["kind"].as_str().unwrap().to_string())
                    .collect();
                k.sort();
                k
            }
        };
        assert_eq!(kinds(&lead).await, ["it_issue", "safeguarding"]);
        assert_eq!(kinds(&ivy).await, ["it_issue"]);
    }
);

both!(every_page_answers_for_the_compliance_role, |s| {
    let cat = session(s, "Cat", &["staff", "compliance", "hr"], "cat").await;
    for path in [
        "/",
        "/policy",
        "/alerts",
        "/registers",
        "/team",
        "/monitoring",
        "/audit",
        "/me",
        "/approvals",
    ] {
        let r = s.get(path, Some(&cat.token)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(
            r.body.contains("<main>") && r.body.contains("<h1>"),
            "{path}"
        );
    }
    let policy = s.get("/policy", Some(&cat.token)).await;
    assert!(policy.body.contains("Lint"), "{}", policy.body);
    let lint = s
        .api("GET", "/api/policy/lint", &cat.token, None, None)
        .await;
    assert_eq!(lint.status, 200, "{}", lint.body);
    let rules = s
        .api("GET", "/api/policy/rules", &cat.token, None, None)
        .await;
    assert_eq!(rules.status, 200);
    assert!(json(&rules).is_array());
});

both!(
    authorisation_requests_go_to_the_roles_that_decide_their_kind,
    |s| {
        let ann = session(s, "Ann", &["staff"], "ann").await;
        let ivy = session(s, "Ivy", &["staff", "it"], "ivy").await;
        let hal = session(s, "Hal", &["staff", "hr"], "hal").await;
        let ask = |kind: &str, details: &str| {
            serde_json::json!({"kind": kind, "details": details}).to_string()
        };
        let vpn = s
            .api(
                "POST",
                "/api/authorisations",
                &ann.token,
                Some(&ann.csrf),
                Some(&ask(
                    "out_of_hours_vpn",
                    "Saturday mornings to finish marking",
                )),
            )
            .await;
        assert_eq!(vpn.status, 200, "{}", vpn.body);
        let vpn = json(&vpn)["id"].as_i64().unwrap();
        let mail = s
            .post(
                "/me/authorisation",
                Some(&ann.token),
                &format!(
                    "csrf={}&kind=mass_mail&details=Newsletter+to+400+learners",
                    ann.csrf
                ),
            )
            .await;
        assert_eq!(mail.status, 303, "{}", mail.body);
        let bad = s
            .api(
                "POST",
                "/api/authorisations",
                &ann.token,
                Some(&ann.csrf),
                Some(&ask("pony", "x")),
            )
            .await;
        assert_eq!(bad.status, 422);

        // IT decides the VPN, HR the mailing; each sees only their kind.
        let it = json(&s.api("GET", "/api/inbox", &ivy.token, None, None).await);
        let kinds: Vec<&str> = it["authorisations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["out_of_hours_vpn"]);
        let hr = json(&s.api("GET", "/api/inbox", &hal.token, None, None).await);
        assert_eq!(hr["authorisations"][0]["kind"], "mass_mail");
        let page = s.get("/approvals", Some(&hal.token)).await;
        assert!(
            page.body.contains("Newsletter to 400 learners"),
            "{}",
            page.body
        );

        let wrong = s
            .api(
                "POST",
                &format!("/api/authorisations/{vpn}/approve"),
                &hal.token,
                Some(&hal.csrf),
                Some("{}"),
            )
            .await;
        assert_eq!(
            wrong.status, 403,
            "HR does not decide VPN hours: {}",
            wrong.body
        );
        let own = s
            .api(
                "POST",
                &format!("/api/authorisations/{vpn}/approve"),
                &ann.token,
                Some(&ann.csrf),
                Some("{}"),
            )
            .await;
        assert_eq!(own.status, 403, "staff decide nothing: {}", own.body);
        let ok = s
            .api(
                "POST",
                &format!("/api/authorisations/{vpn}/approve"),
                &ivy.token,
                Some(&ivy.csrf),
                Some(r#"{"note":"agreed with the manager"}"#),
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(json(&ok)["status"], "approved");
        let again = s
            .api(
                "POST",
                &format!("/api/authorisations/{vpn}/refuse"),
                &ivy.token,
                Some(&ivy.csrf),
                Some("{}"),
            )
            .await;
        assert_eq!(again.status, 409, "decided already");
        let mine = json(&s.api("GET", "/api/me/data", &ann.token, None, None).await);
        assert_eq!(mine["authorisations"].as_array().unwrap().len(), 2);
    }
);
