//! The store's behaviour, each case run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use charter_engine::Privacy;
use charter_store::*;

fn sys() -> Actor {
    Actor::System("test".into())
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

/// Adds a person the way the app does: a typed insert and its audit row, in one transaction.
async fn person(s: &Store, first: &str, last: &str, r: &[&str]) -> Person {
    let mut tx = s.begin().await.unwrap();
    let p = tx
        .insert_person(&NewPerson {
            first_name: first.into(),
            last_name: last.into(),
            department: Some("hr".into()),
            location: Some("uk".into()),
            roles: roles(r),
            ..NewPerson::default()
        })
        .await
        .unwrap();
    tx.audit(
        &sys(),
        AuditEntry {
            action: "person.add",
            entity: "person",
            entity_id: Some(p.id),
            person_id: Some(p.id),
            detail: serde_json::json!({"roles": p.roles}),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p
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

/// The problems `audit verify` reports, as `(row, problem)`.
async fn chain_problems(s: &Store) -> Vec<(i64, String)> {
    let r = s.audit_verify().await.unwrap();
    r.problems.into_iter().map(|p| (p.seq, p.problem)).collect()
}

const TYPE_CHANGED: &str = "a cell's type was changed after it was written";

// SQLite is dynamically typed: an `UPDATE` can put text in an integer column or a blob in a
// text column, one cell at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_each_row_whose_cell_changed_type_sqlite() {
    let db = common::sqlite().await;
    let s = &db.store;
    for i in 0..6 {
        person(s, &format!("P{i}"), "X", &["staff"]).await;
    }
    raw_exec(
        &db.url,
        "UPDATE audit SET at = 'yesterday' WHERE seq = 2; \
         UPDATE audit SET seq = 'x' WHERE seq = 3; \
         UPDATE audit SET detail = x'00ff', entity_id = 2.5 WHERE seq = 4; \
         UPDATE audit SET actor = 'someone else' WHERE seq = 5",
    )
    .await;
    assert_eq!(
        chain_problems(s).await,
        vec![
            (2, format!("column `at` is not an integer: {TYPE_CHANGED}")),
            (3, format!("column `seq` is not an integer: {TYPE_CHANGED}")),
            (
                4,
                format!(
                    "column `entity_id` is not an integer or empty, column `detail` is not text: \
                     {TYPE_CHANGED}"
                )
            ),
            // The walk goes on past them and still finds an ordinary edit.
            (
                5,
                "its contents were edited after it was written (hash mismatch)".to_string()
            ),
        ]
    );
    assert_eq!(s.audit_verify().await.unwrap().rows, 6);
    db.drop_db().await;
}

// PostgreSQL types whole columns: changing one makes every row's cell the wrong type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_every_row_of_a_column_whose_type_changed_postgres() {
    let db = common::postgres().await;
    let s = &db.store;
    for i in 0..12 {
        person(s, &format!("P{i}"), "X", &["staff"]).await;
    }
    // As text, `seq` sorts 1, 10, 11, 12, 2, ...: the rows are put back in chain order.
    raw_exec(
        &db.url,
        "ALTER TABLE audit ALTER COLUMN seq TYPE text USING seq::text; \
         ALTER TABLE audit ALTER COLUMN at TYPE text USING at::text; \
         UPDATE audit SET at = 'yesterday' WHERE seq = '2'",
    )
    .await;
    let expected: Vec<(i64, String)> = (1..=12)
        .map(|seq| {
            (
                seq,
                format!(
                    "column `seq` is not an integer, column `at` is not an integer: {TYPE_CHANGED}"
                ),
            )
        })
        .collect();
    assert_eq!(chain_problems(s).await, expected);
    db.drop_db().await;
}

both!(concurrent_writers_keep_one_chain, |s, db| {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                person(&s, &format!("T{i}"), &format!("N{j}"), &[]).await;
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

async fn stock_device(s: &Store, serial: &str) -> Device {
    let mut tx = s.begin().await.unwrap();
    let d = tx
        .insert_device(
            &NewDevice {
                serial: serial.into(),
                kind: "laptop".into(),
                ..NewDevice::default()
            },
            DeviceStatus::InStock,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    d
}

both!(guarded_writes_refuse_a_row_that_moved, |s, db| {
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let d = stock_device(s, "SN-1").await;
    let mut tx = s.begin().await.unwrap();
    // Read as in stock, but someone assigned it meanwhile: the write expecting `assigned`
    // to move it changes nothing and says so.
    let err = tx
        .set_device(d.id, DeviceStatus::Assigned, DeviceStatus::Returned, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Changed { entity: "device", id } if id == d.id),
        "{err}"
    );
    let moved = tx
        .set_device(
            d.id,
            DeviceStatus::InStock,
            DeviceStatus::Assigned,
            Some(p.id),
        )
        .await
        .unwrap();
    assert_eq!(
        (moved.status, moved.assignee),
        (DeviceStatus::Assigned, Some(p.id))
    );
    let r = tx
        .insert_software_request(p.id, "Inkscape", "diagrams")
        .await
        .unwrap();
    tx.decide_software_request(r.id, SoftwareStatus::Approved, p.id, "ok")
        .await
        .unwrap();
    assert!(matches!(
        tx.decide_software_request(r.id, SoftwareStatus::Refused, p.id, "no")
            .await,
        Err(Error::Changed { .. })
    ));
    let l = tx
        .insert_leaver(p.id, "2026-06-30".parse().unwrap(), p.id)
        .await
        .unwrap();
    tx.tick_leaver(l.id, LeaverItem::EquipmentReturned, p.id)
        .await
        .unwrap();
    assert!(matches!(
        tx.tick_leaver(l.id, LeaverItem::EquipmentReturned, p.id)
            .await,
        Err(Error::Changed { .. })
    ));
    tx.commit().await.unwrap();
    // One open checklist per person (a failed statement ends a PostgreSQL transaction: a
    // new one).
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(
        tx.insert_leaver(p.id, "2026-07-31".parse().unwrap(), p.id)
            .await,
        Err(Error::Duplicate { .. })
    ));
    drop(tx);
    assert_eq!(
        s.person(p.id).await.unwrap().leaving_date.as_deref(),
        Some("2026-06-30")
    );
});

both!(
    retention_drops_whole_months_on_postgres_and_deletes_rows_on_sqlite,
    |s, db| {
        let a = sys();
        let batch: Vec<NewRecord> = [
            "2025-01-10T10:00:00Z",
            "2025-03-10T10:00:00Z",
            "2025-03-11T10:00:00Z",
            "2025-06-15T10:00:00Z",
            "2025-06-25T10:00:00Z",
            "2026-05-01T10:00:00Z",
        ]
        .iter()
        .map(|at| record(at, "pat", Privacy::Full, None))
        .collect();
        s.write_records(&a, &batch).await.unwrap();
        let cutoff: jiff::Timestamp = "2025-06-20T00:00:00Z".parse().unwrap();
        let p = s.purge_records(&a, cutoff).await.unwrap();
        assert_eq!(p.deleted, 4);
        assert_eq!(p.oldest.as_deref(), Some("2025-01-10T10:00:00Z"));
        assert_eq!(p.newest.as_deref(), Some("2025-06-15T10:00:00Z"));
        assert_eq!(s.count_records().await.unwrap(), 2);
        let dropped: Vec<(&str, u64)> = p
            .partitions_dropped
            .iter()
            .map(|d| (d.name.as_str(), d.records))
            .collect();
        match s.engine() {
            Engine::Postgres => {
                // January and March go whole; June holds records on both sides of the cutoff,
                // so its early record is deleted as a row.
                assert_eq!(
                    dropped,
                    [("decisions_y2025m01", 1), ("decisions_y2025m03", 2)]
                );
                assert_eq!(p.rows_deleted, 1);
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                let left: Vec<(String,)> = sqlx::query_as(
                "SELECT relname::text FROM pg_class WHERE relname LIKE 'decisions_y%' AND relkind = 'r' ORDER BY relname",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
                let left: Vec<&str> = left.iter().map(|(n,)| n.as_str()).collect();
                assert_eq!(left, ["decisions_y2025m06", "decisions_y2026m05"]);
                pool.close().await;
            }
            Engine::Sqlite => {
                assert!(dropped.is_empty());
                assert_eq!(p.rows_deleted, 4);
            }
        }
        // The purge names what it dropped in the audit chain.
        let audit = s.audit_rows(p.audit_seq, 1).await.unwrap();
        assert_eq!(audit[0].action, "records.purge");
        let detail: serde_json::Value = serde_json::from_str(&audit[0].detail).unwrap();
        assert_eq!(
            detail["partitions_dropped"].as_array().map(Vec::len),
            Some(dropped.len())
        );
        assert!(s.audit_verify().await.unwrap().ok());
    }
);

both!(ids_are_never_reused_after_a_delete, |s, db| {
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let mut tx = s.begin().await.unwrap();
    tx.insert_software_request(p.id, "A", "x").await.unwrap();
    let newest = tx.insert_software_request(p.id, "B", "x").await.unwrap();
    let m = tx
        .insert_media(&NewMedia {
            person_id: p.id,
            description: "USB".into(),
            reason: "x".into(),
            authorised_by: p.id,
            expires_on: None,
            usb_id: None,
            usb_serial: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // An erasure deletes the newest rows; the next rows must not take their ids, or the
    // audit rows that name them would name something else.
    let mut tx = s.begin().await.unwrap();
    assert_eq!(
        tx.delete_software_requests_of(p.id, SoftwareStatus::Requested)
            .await
            .unwrap(),
        2
    );
    assert_eq!(tx.delete_media_of(p.id).await.unwrap(), 1);
    let next = tx.insert_software_request(p.id, "C", "x").await.unwrap();
    let next_m = tx
        .insert_media(&NewMedia {
            person_id: p.id,
            description: "USB".into(),
            reason: "x".into(),
            authorised_by: p.id,
            expires_on: None,
            usb_id: None,
            usb_serial: None,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(next.id > newest.id, "{} reused", next.id);
    assert!(next_m.id > m.id, "{} reused", next_m.id);
    // Monitoring records too: a records.view audit row lists record ids.
    let mut tx = s.begin().await.unwrap();
    tx.insert_account(p.id, "login", "pat", None).await.unwrap();
    tx.commit().await.unwrap();
    s.write_records(
        &sys(),
        &[record("2026-05-01T10:00:00Z", "other", Privacy::Full, None)],
    )
    .await
    .unwrap();
    s.write_records(
        &sys(),
        &[record("2026-05-01T11:00:00Z", "pat", Privacy::Full, None)],
    )
    .await
    .unwrap();
    let max = |recs: Vec<Record>| recs.iter().map(|r| r.id).max().unwrap_or(0);
    let before = max(s
        .view_records(&sys(), &RecordFilter::default())
        .await
        .unwrap());
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.delete_records_of(p.id).await.unwrap(), 1);
    tx.commit().await.unwrap();
    s.write_records(
        &sys(),
        &[record("2026-05-01T12:00:00Z", "other", Privacy::Full, None)],
    )
    .await
    .unwrap();
    let after = max(s
        .view_records(&sys(), &RecordFilter::default())
        .await
        .unwrap());
    assert!(after > before, "record id {after} reused");
});

both!(notices_keep_their_audit_row, |s, db| {
    let p = person(s, "Pat", "Staff", &["staff"]).await;
    let mut tx = s.begin().await.unwrap();
    let n = tx
        .insert_notice(p.id, "Your records were read.", Some(7))
        .await
        .unwrap();
    assert_eq!(tx.notices_of(p.id).await.unwrap(), vec![n.clone()], "{n:?}");
    assert_eq!(tx.delete_notices_of(p.id).await.unwrap(), 1);
    tx.commit().await.unwrap();
});

#[test]
fn states_read_back_only_from_their_words() {
    assert_eq!(
        "lost_stolen_device".parse::<IncidentKind>().unwrap(),
        IncidentKind::LostStolenDevice
    );
    assert_eq!(DeviceStatus::InStock.to_string(), "in_stock");
    assert_eq!(
        serde_json::to_string(&BreachState::Decided).unwrap(),
        "\"decided\""
    );
    let err = "spam".parse::<IncidentKind>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad `kind`: `spam`, expected spam_scam, security_concern, lost_stolen_device, safeguarding, it_issue or disciplinary"
    );
}

/// A store made before ids were guarded (schema version 1) migrates keeping its rows, and
/// from then on never hands out a deleted id again.
#[tokio::test]
async fn a_version_1_sqlite_store_migrates_keeping_its_rows() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let url = format!("sqlite://{}", path.display());
    {
        let mut c = sqlx::SqliteConnection::connect_with(
            &sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(
            include_str!("../migrations/sqlite/0001_registers.sql").to_string()
                + "CREATE TABLE charter_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
                   INSERT INTO charter_migrations VALUES (1, 'registers', 0);
                   INSERT INTO people (id, first_name, last_name, status, created_at, updated_at) VALUES (1, 'Pat', 'Old', 'active', 0, 0);
                   INSERT INTO software_requests (id, person_id, software, reason, status, requested_at) VALUES (1, 1, 'A', 'x', 'requested', 0), (2, 1, 'B', 'x', 'approved', 0);
                   INSERT INTO media_authorisations (id, person_id, description, reason, authorised_by, authorised_at) VALUES (1, 1, 'USB', 'x', 1, 0);
                   INSERT INTO decisions (id, at, user_name, source, subject, verdict, privacy) VALUES (1, 0, 'pat', 'web', 'https://a/', 'block', 'full');",
        ))
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    }
    let s = Store::open(&url).await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let kept = tx.software_requests_of(1).await.unwrap();
    assert_eq!(
        kept.iter()
            .map(|r| (r.id, r.software.as_str(), r.status))
            .collect::<Vec<_>>(),
        vec![
            (1, "A", SoftwareStatus::Requested),
            (2, "B", SoftwareStatus::Approved)
        ]
    );
    assert_eq!(tx.media_of(1).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
    let kept = s
        .view_records(&sys(), &RecordFilter::default())
        .await
        .unwrap();
    assert_eq!(
        kept.iter()
            .map(|r| (r.id, r.subject.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "https://a/")]
    );
    let mut tx = s.begin().await.unwrap();
    tx.delete_software_requests_of(1, SoftwareStatus::Approved)
        .await
        .unwrap();
    let next = tx.insert_software_request(1, "C", "x").await.unwrap();
    assert_eq!(next.id, 3, "id 2 was deleted and must not come back");
    tx.commit().await.unwrap();
    s.close().await;
}

both!(
    usage_figures_add_up_across_statements_and_come_back_in_the_order_given,
    |s, _db| {
        // 250 figures: more than one statement's worth, so the totals of several statements
        // must each find their own figure again.
        let day: jiff::civil::Date = "2026-03-02".parse().unwrap();
        let adds: Vec<UsageAdd> = (0..250)
            .map(|i| UsageAdd {
                person: format!("user{:03}", i % 50),
                day,
                hour: i8::try_from(i / 50).unwrap() + 9,
                category: "shopping".into(),
                inside: i64::from(i),
                outside: 1,
                requests: 1,
            })
            .collect();
        let first = s.add_usage(&adds).await.unwrap();
        let expected: Vec<i64> = adds.iter().map(|a| a.inside + a.outside).collect();
        assert_eq!(first, expected);
        // The same figures again, in reverse order: every total doubles.
        let again: Vec<UsageAdd> = adds.iter().rev().cloned().collect();
        let second = s.add_usage(&again).await.unwrap();
        let doubled: Vec<i64> = again.iter().map(|a| 2 * (a.inside + a.outside)).collect();
        assert_eq!(second, doubled);
        let days = s.usage_days(Some("user007"), day, day).await.unwrap();
        assert_eq!(days.len(), 1);
        // user007 has figures 7, 57, 107, 157, 207 (hours 9 to 13), each added twice.
        assert_eq!(days[0].seconds_inside, 2 * (7 + 57 + 107 + 157 + 207));
        assert_eq!(days[0].requests, 10);
        // The same hour twice in one call: added together, both given the row's total.
        let twice = vec![adds[7].clone(), adds[7].clone()];
        let third = s.add_usage(&twice).await.unwrap();
        assert_eq!(third, vec![4 * (7 + 1), 4 * (7 + 1)]);
    }
);

both!(
    alerts_raised_together_keep_one_per_user_rule_and_hour_and_chain_their_audit_rows,
    |s, _db| {
        let alert = |user: &str, at: &str, score: Option<f64>| NewAlert {
            at: at.parse().unwrap(),
            user: user.into(),
            person_id: None,
            rule: "internet.gambling".into(),
            check: Some("prohibited_category".into()),
            severity: "misconduct".into(),
            routes: vec!["line_manager".into(), "it".into()],
            clause: Some("3.1".into()),
            message: format!("gambling site for {user}"),
            source: "web".into(),
            subject: "http://bet.example/".into(),
            privacy: "full".into(),
            model: score.map(|score| AlertModel {
                name: "site-classifier".into(),
                version: "abc".into(),
                score,
            }),
        };
        // 90 people (more than one statement's worth) twice in the same hour, once an hour
        // later; one already raised before.
        let mut tx = s.begin().await.unwrap();
        assert!(
            tx.insert_alert(&alert("user000", "2026-03-02T09:05:00Z", None))
                .await
                .unwrap()
                .is_some()
        );
        let mut batch = Vec::new();
        for i in 0..90 {
            let user = format!("user{i:03}");
            batch.push(alert(&user, "2026-03-02T09:10:00Z", Some(0.97)));
            batch.push(alert(&user, "2026-03-02T09:50:00Z", None));
            batch.push(alert(&user, "2026-03-02T10:01:00Z", None));
        }
        let raised = tx.insert_alerts(&batch).await.unwrap();
        // Per person the 09:10 alert and the 10:01 one; user000's 09:xx hour was taken.
        assert_eq!(raised.len(), 179);
        assert!(raised.windows(2).all(|w| w[0].id < w[1].id));
        let first = raised.iter().find(|a| a.user == "user001").unwrap();
        assert_eq!(first.message, "gambling site for user001");
        assert_eq!(
            first.routes,
            vec!["line_manager".to_string(), "it".to_string()]
        );
        assert_eq!(first.model.as_ref().map(|m| m.score), Some(0.97));
        // A repeat on its own is no alert.
        assert!(
            tx.insert_alert(&alert("user005", "2026-03-02T10:30:00Z", None))
                .await
                .unwrap()
                .is_none()
        );
        let entries = raised
            .iter()
            .map(|a| AuditEntry {
                action: "alert.raise",
                entity: "alert",
                entity_id: Some(a.id),
                person_id: None,
                detail: serde_json::json!({"rule": a.rule}),
            })
            .collect();
        let seqs = tx.audit_many(&sys(), entries).await.unwrap();
        assert_eq!(seqs.len(), 179);
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
        tx.commit().await.unwrap();
        // The rows chain as if appended one by one, and the next single row follows them.
        let mut tx = s.begin().await.unwrap();
        let next = tx
            .audit(
                &sys(),
                AuditEntry {
                    action: "alert.raise",
                    entity: "alert",
                    entity_id: None,
                    person_id: None,
                    detail: serde_json::Value::Null,
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(next, seqs[178] + 1);
        assert!(s.audit_verify().await.unwrap().ok());
        let rows = s.audit_rows(seqs[0], 300).await.unwrap();
        assert_eq!(rows.len(), 180);
        assert!(rows.windows(2).all(|w| w[1].prev_hash == w[0].hash));
    }
);
