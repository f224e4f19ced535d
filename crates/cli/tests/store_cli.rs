//! The register commands as a person would run them (README workflows), on SQLite.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

#[path = "site_support/mod.rs"]
mod site_support;
use site_support::Site;

impl Site {
    fn new() -> Site {
        Site::with_pack("iimts")
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&self.ok(&a)).unwrap()
    }

    /// Fails with exit 2 and a one-line error containing `want`.
    fn refused(&self, args: &[&str], want: &str) {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn people_get_addresses_by_the_naming_convention() {
    let s = Site::new();
    let a = s.json(&[
        "people",
        "add",
        "--first",
        "Smith",
        "--last",
        "Brown",
        "--roles",
        "management",
        "--location",
        "uk",
        "--email",
    ]);
    assert_eq!(a["email"]["address"], "smith.brown@iimtsab.co.uk");
    let b = s.json(&[
        "people",
        "add",
        "--first",
        "Smith",
        "--last",
        "Jones",
        "--roles",
        "staff",
        "--location",
        "uk",
        "--email",
    ]);
    assert_eq!(b["email"]["address"], "smith.uk@iimtsab.co.uk");
    let c = s.json(&[
        "people",
        "add",
        "--first",
        "Smith",
        "--last",
        "Green",
        "--roles",
        "staff",
        "--location",
        "uk",
        "--email",
    ]);
    assert_eq!(c["email"]["address"], "smith.uk2@iimtsab.co.uk");
    assert!(
        c["email"]["explanation"]
            .as_str()
            .unwrap()
            .contains("taken by person 2")
    );
    let d = s.json(&[
        "people",
        "add",
        "--first",
        "Ann",
        "--last",
        "Ext",
        "--roles",
        "external",
        "--department",
        "hr",
        "--location",
        "uk",
        "--email",
    ]);
    assert_eq!(d["email"]["address"], "hr.uk@iimtsab.co.uk");
    let list = s.json(&["people", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 4);
    s.refused(&["people", "show", "99"], "no person with id 99");
    s.refused(
        &["people", "update", "1", "--roles", "x", "--by", "42"],
        "--by 42: no person with id 42",
    );
}

#[test]
fn devices_and_software_need_the_packs_approver_role() {
    let s = Site::new();
    s.ok(&[
        "people", "add", "--first", "Ian", "--last", "Tech", "--roles", "it",
    ]);
    s.ok(&[
        "people", "add", "--first", "Pat", "--last", "Staff", "--roles", "staff",
    ]);
    s.ok(&[
        "devices",
        "add",
        "--serial",
        "SN-1",
        "--kind",
        "laptop",
        "--encrypted",
    ]);
    s.refused(
        &["devices", "add", "--serial", "SN-1", "--kind", "laptop"],
        "device serial `SN-1` already exists",
    );
    s.refused(
        &["devices", "assign", "1", "--to", "2", "--by", "2"],
        "person 2 (Pat Staff) may not assign devices",
    );
    let d = s.json(&["devices", "assign", "1", "--to", "2", "--by", "1"]);
    assert_eq!(d["status"], "assigned");
    s.refused(
        &["devices", "assign", "1", "--to", "2", "--by", "1"],
        "device 1 (laptop SN-1) is assigned",
    );
    s.ok(&[
        "software", "request", "--person", "2", "--name", "Inkscape", "--reason", "diagrams",
        "--by", "2",
    ]);
    s.ok(&[
        "software",
        "approve",
        "1",
        "--reason",
        "free licence",
        "--by",
        "1",
    ]);
    assert_eq!(s.ok(&["software", "approved"]).trim(), "Inkscape");
}

#[test]
fn breach_after_72_hours_needs_reasons() {
    let s = Site::new();
    s.ok(&[
        "people", "add", "--first", "Cora", "--last", "Sec", "--roles", "dpo",
    ]);
    let b = s.json(&[
        "breach",
        "open",
        "--description",
        "laptop stolen",
        "--categories",
        "names",
        "--people-count",
        "10",
        "--consequences",
        "fraud",
        "--measures",
        "wipe",
        "--contact",
        "Company Secretary",
        "--aware-at",
        "2026-01-09T16:00:00Z",
        "--by",
        "1",
    ]);
    assert_eq!(b["notify_by"], "2026-01-12T16:00:00Z");
    s.ok(&[
        "breach",
        "decide",
        "1",
        "--notify",
        "--reason",
        "risk to people",
        "--by",
        "1",
    ]);
    s.refused(
        &[
            "breach",
            "notify-ico",
            "1",
            "--at",
            "2026-01-13T16:00:00Z",
            "--by",
            "1",
        ],
        "24 hours after the 72-hour deadline",
    );
    s.ok(&[
        "breach",
        "notify-ico",
        "1",
        "--at",
        "2026-01-13T16:00:00Z",
        "--late-reason",
        "police asked us to wait",
        "--by",
        "1",
    ]);
    let b = s.json(&["breach", "close", "1", "--by", "1"]);
    assert_eq!(b["status"], "closed");
}

#[test]
fn subject_request_due_dates_and_export() {
    let s = Site::new();
    s.ok(&[
        "people", "add", "--first", "Dee", "--last", "Pro", "--roles", "dpo",
    ]);
    s.ok(&[
        "people",
        "add",
        "--first",
        "Pat",
        "--last",
        "Staff",
        "--roles",
        "staff",
        "--location",
        "uk",
        "--email",
    ]);
    let r = s.json(&[
        "request",
        "receive",
        "--kind",
        "access",
        "--requester",
        "Pat Staff",
        "--person",
        "Pat Staff",
        "--received",
        "2026-01-31",
        "--by",
        "Dee Pro",
    ]);
    assert_eq!(r["due_on"], "2026-02-28");
    let out = s.dir.path().join("dsar");
    s.ok(&[
        "dsar",
        "export",
        "--person",
        "pat.uk@iimtsab.co.uk",
        "-o",
        out.to_str().unwrap(),
        "--by",
        "1",
    ]);
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("export.json")).unwrap()).unwrap();
    assert_eq!(export["accounts"][0]["name"], "pat.uk@iimtsab.co.uk");
    assert_eq!(export["subject_requests"][0]["kind"], "access");
    let html = std::fs::read_to_string(out.join("summary.html")).unwrap();
    assert!(html.contains("IIMT Studies") && html.contains("pat.uk@iimtsab.co.uk"));
}

#[test]
fn audit_verify_names_the_edited_row() {
    let s = Site::new();
    for n in ["A", "B", "C"] {
        s.ok(&["people", "add", "--first", n, "--last", "X"]);
    }
    assert!(s.ok(&["audit", "verify"]).contains("intact: 3 rows"));
    let db = s.dir.path().join("charter.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection as _;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query("UPDATE audit SET actor = 'person:99' WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap();
    });
    let out = s.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("row 2: its contents were edited"), "{text}");
}

/// The IMPRESS pack (compliance: the company secretary) with Cora (company secretary, 1)
/// and Pat (staff, 2, login `pat`), and two of Pat's records: one 400 days old, one now.
fn records_site() -> Site {
    let s = Site::with_pack("impress");
    let now = jiff::Timestamp::now();
    let old = now - jiff::SignedDuration::from_hours(24 * 400);
    let file = s.dir.path().join("records.jsonl");
    std::fs::write(&file, format!(
        "{{\"at\": \"{old}\", \"user\": \"pat\", \"subject\": \"https://old.example/\", \"verdict\": \"allow\"}}\n\
         {{\"at\": \"{now}\", \"user\": \"pat\", \"source\": \"mail\", \"subject\": \"From: a To: b Subject: personal\", \"verdict\": \"log\", \"headers_only\": true, \"detail\": \"the body\"}}\n"
    )).unwrap();
    assert!(
        s.ok(&["records", "import", file.to_str().unwrap()])
            .contains("committed 2")
    );
    for (first, last, roles) in [
        ("Cora", "Sec", "company_secretary"),
        ("Pat", "Staff", "staff"),
    ] {
        s.ok(&[
            "people", "add", "--first", first, "--last", last, "--roles", roles,
        ]);
    }
    s.ok(&[
        "accounts",
        "add",
        "Pat Staff",
        "--system",
        "login",
        "--name",
        "pat",
    ]);
    s
}

/// The audit rows, with each row's detail parsed.
fn audit(s: &Site) -> Vec<serde_json::Value> {
    let rows = s.json(&["audit", "list", "--limit", "1000"]);
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["detail"] = serde_json::from_str(r["detail"].as_str().unwrap()).unwrap();
            r
        })
        .collect()
}

#[test]
fn retention_purges_by_the_packs_period_and_logs_it() {
    let s = records_site();
    let purge = s.json(&["records", "purge"]);
    assert_eq!(purge["deleted"], 1);
    let rows = audit(&s);
    let purged = rows
        .iter()
        .find(|r| r["action"] == "records.purge")
        .unwrap();
    assert_eq!(purged["detail"]["deleted"], 1);
    // Staff may not purge; the data protection role may.
    s.refused(
        &["records", "purge", "--before", "2030-01-01", "--by", "Pat Staff"],
        "person 2 (Pat Staff) may not purge monitoring records: it needs one of the roles company_secretary",
    );
    let purge = s.json(&[
        "records",
        "purge",
        "--before",
        "2000-01-01",
        "--by",
        "Cora Sec",
    ]);
    assert_eq!(purge["deleted"], 0);
    s.refused(
        &["records", "import", "/nonexistent/file.jsonl"],
        "cannot read",
    );
}

#[test]
fn reading_records_needs_the_compliance_role() {
    let s = records_site();
    for by in [&["--by", "Pat Staff"][..], &[][..]] {
        let mut args = vec!["records", "list", "--person", "pat", "--reason", "curious"];
        args.extend_from_slice(by);
        s.refused(
            &args,
            "may not read monitoring records: it needs one of the roles auditor, company_secretary",
        );
    }
    assert!(audit(&s).iter().all(|r| r["action"] != "records.view"));
    assert_eq!(s.json(&["people", "notices", "pat"]), serde_json::json!([]));
}

#[test]
fn reading_records_needs_a_reason() {
    let s = records_site();
    for reason in [&[][..], &["--reason", "   "][..]] {
        let mut args = vec![
            "records",
            "list",
            "--person",
            "Pat Staff",
            "--by",
            "Cora Sec",
        ];
        args.extend_from_slice(reason);
        s.refused(&args, "reading someone's monitoring records needs a reason");
    }
    assert!(audit(&s).iter().all(|r| r["action"] != "records.view"));
}

#[test]
fn a_reasoned_read_is_audited_with_its_reason_and_the_person_is_told() {
    let s = records_site();
    let recs = s.json(&[
        "records",
        "list",
        "--person",
        "pat",
        "--reason",
        "suspected excessive personal use",
        "--by",
        "Cora Sec",
    ]);
    assert_eq!(recs.as_array().unwrap().len(), 2);
    assert_eq!(
        recs[0]["detail"],
        serde_json::Value::Null,
        "personal mail keeps headers only"
    );
    let rows = audit(&s);
    let seen = rows.iter().find(|r| r["action"] == "records.view").unwrap();
    assert_eq!(seen["actor"], "person:1");
    assert_eq!(seen["person_id"], 2);
    assert_eq!(
        seen["detail"]["purpose"],
        serde_json::json!({"reason": "suspected excessive personal use", "confidential": false})
    );
    let notices = s.json(&["people", "notices", "Pat Staff"]);
    assert_eq!(notices.as_array().unwrap().len(), 1, "{notices}");
    let text = notices[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Cora Sec") && text.contains("suspected excessive personal use"),
        "{text}"
    );
}

#[test]
fn a_confidential_read_is_audited_and_the_person_is_not_told() {
    let s = records_site();
    let recs = s.json(&[
        "records",
        "list",
        "--person",
        "2",
        "--reason",
        "suspected fraud",
        "--confidential",
        "--flagged",
        "--by",
        "Cora Sec",
    ]);
    assert_eq!(
        recs.as_array().unwrap().len(),
        1,
        "only the flagged one: {recs}"
    );
    let rows = audit(&s);
    let seen = rows.iter().find(|r| r["action"] == "records.view").unwrap();
    assert_eq!(
        seen["detail"]["purpose"],
        serde_json::json!({"reason": "suspected fraud", "confidential": true})
    );
    assert_eq!(s.json(&["people", "notices", "pat"]), serde_json::json!([]));
}
