//! From the spool into the store: batches commit with their spool mark, and one bad record
//! never costs its batch. Each case runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use charter_engine::Privacy;
use charter_store::spool::{Position, Spool};
use charter_store::*;

fn sys() -> Actor {
    Actor::System("serve".into())
}

fn record(i: usize) -> NewRecord {
    NewRecord {
        at: jiff::Timestamp::from_second(1_780_000_000 + i as i64).unwrap(),
        user: Some(format!("user{}", i % 7).into()),
        source: Source::Web,
        subject: format!("http://example.org/{i}").into(),
        verdict: "allow".into(),
        rule: None,
        check: None,
        severity: None,
        categories: None,
        privacy: Privacy::Full,
        detail: None,
        findings: "[]".into(),
    }
}

/// Writes `records` to a new spool in `dir` and reads them back with their positions.
fn spooled(spool: &Spool, records: &[NewRecord]) -> Vec<(NewRecord, Position)> {
    let mut w = spool.writer().unwrap();
    w.append(records).unwrap();
    let batch = spool.reader(None).read(w.end(), usize::MAX).unwrap();
    assert_eq!(batch.records.len(), records.len());
    batch.records
}

async fn subjects(s: &Store) -> Vec<String> {
    let mut out: Vec<String> = s
        .view_records(
            &sys(),
            &RecordFilter {
                limit: Some(1_000_000),
                ..RecordFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.subject)
        .collect();
    out.sort();
    out
}

fn rejects(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("rejects.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

both!(
    a_batch_and_its_mark_commit_together_so_a_restart_repeats_nothing,
    |s, db| {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        assert_eq!(s.spool_mark(spool.id()).await.unwrap(), None);
        let batch = spooled(&spool, &(0..500).map(record).collect::<Vec<_>>());
        let last = batch.last().unwrap().1;
        let done = s.store_spooled(&sys(), &spool, batch).await;
        assert!(done.stopped.is_none(), "{:?}", done.stopped);
        assert_eq!((done.stored, done.acked), (500, Some(last)));
        assert_eq!(s.spool_mark(spool.id()).await.unwrap(), Some(last));
        assert_eq!(s.count_records().await.unwrap(), 500);
        // A restarted reader starts at the mark: nothing is read, so nothing is written twice.
        let end = spool.writer().unwrap().end();
        let mark = s.spool_mark(spool.id()).await.unwrap();
        assert!(
            spool
                .reader(mark)
                .read(end, 100)
                .unwrap()
                .records
                .is_empty()
        );
    }
);

both!(
    a_nul_or_an_over_long_field_is_cleaned_and_its_batch_kept,
    |s, db| {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let mut records: Vec<NewRecord> = (0..2000).map(record).collect();
        records[500].subject = "http://example.org/nul\0here".into();
        records[600].subject = format!("http://example.org/{}", "a".repeat(20_000)).into();
        records[700].user = Some("u".repeat(5000).into());
        let findings: Vec<serde_json::Value> = (0..5000)
            .map(|i| serde_json::json!({"rule": format!("rule.{i}"), "message": "x".repeat(40)}))
            .collect();
        records[800].findings = serde_json::to_string(&findings).unwrap().into();
        let done = s
            .store_spooled(&sys(), &spool, spooled(&spool, &records))
            .await;
        assert!(done.stopped.is_none(), "{:?}", done.stopped);
        assert_eq!((done.stored, done.cleaned), (2000, 4));
        assert!(done.set_aside.is_empty(), "{:?}", done.set_aside);
        let all = s
            .view_records(
                &sys(),
                &RecordFilter {
                    limit: Some(10_000),
                    ..RecordFilter::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 2000);
        assert!(
            all.iter()
                .any(|r| r.subject == "http://example.org/nul\u{FFFD}here")
        );
        let long = all
            .iter()
            .find(|r| r.subject.starts_with("http://example.org/aaa"))
            .unwrap();
        assert_eq!(long.subject.chars().count(), MAX_SUBJECT);
        assert!(long.subject.ends_with('…'));
        let many = all.iter().find(|r| r.findings.len() > 2).unwrap();
        assert!(many.findings.len() <= MAX_DETAIL);
        let kept: Vec<serde_json::Value> = serde_json::from_str(&many.findings).unwrap();
        assert_eq!(kept[0]["rule"], "rule.0");
        let left_out = kept.last().unwrap()["truncated"].as_u64().unwrap() as usize;
        assert_eq!(left_out + kept.len() - 1, 5000);
    }
);

both!(
    a_record_with_no_valid_verdict_is_set_aside_and_the_rest_written,
    |s, db| {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let mut records: Vec<NewRecord> = (0..1000).map(record).collect();
        records[321].verdict = "explode".into();
        let batch = spooled(&spool, &records);
        let last = batch.last().unwrap().1;
        let done = s.store_spooled(&sys(), &spool, batch).await;
        assert!(done.stopped.is_none(), "{:?}", done.stopped);
        assert_eq!((done.stored, done.set_aside.len()), (999, 1));
        assert!(
            done.set_aside[0].contains("verdict"),
            "{:?}",
            done.set_aside
        );
        assert_eq!(s.spool_mark(spool.id()).await.unwrap(), Some(last));
        let rejects = rejects(dir.path());
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0]["subject"], "http://example.org/321");
        assert!(
            !subjects(s)
                .await
                .contains(&"http://example.org/321".to_string())
        );
    }
);

both!(a_set_aside_last_record_still_moves_the_mark, |s, db| {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut records: Vec<NewRecord> = (0..3).map(record).collect();
    records[2].verdict = "nope".into();
    let batch = spooled(&spool, &records);
    let last = batch.last().unwrap().1;
    let done = s.store_spooled(&sys(), &spool, batch).await;
    assert_eq!((done.stored, done.set_aside.len()), (2, 1));
    assert_eq!(s.spool_mark(spool.id()).await.unwrap(), Some(last));
});

/// Makes the database itself refuse any record whose subject holds `poison`, as it would a
/// value it cannot store: the store's own checks pass it, so only splitting finds it.
async fn poison_trigger(url: &str) {
    use sqlx::Connection as _;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TRIGGER poison BEFORE INSERT ON decisions WHEN NEW.subject LIKE '%poison%' \
             BEGIN SELECT RAISE(ABORT, 'poisoned record'); END;",
        )
        .execute(&mut c)
        .await
        .unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF NEW.subject LIKE '%poison%' THEN \
                 RAISE EXCEPTION 'poisoned record' USING ERRCODE = '22023'; \
               END IF; RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION poison();",
        )
        .execute(&mut c)
        .await
        .unwrap();
    }
}

both!(
    a_record_the_database_refuses_is_isolated_and_the_rest_written,
    |s, db| {
        poison_trigger(&db.url).await;
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let mut records: Vec<NewRecord> = (0..3000).map(record).collect();
        records[17].subject = "http://example.org/poison/17".into();
        records[2222].subject = "http://example.org/poison/2222".into();
        let batch = spooled(&spool, &records);
        let last = batch.last().unwrap().1;
        let done = s.store_spooled(&sys(), &spool, batch).await;
        assert!(done.stopped.is_none(), "{:?}", done.stopped);
        assert_eq!((done.stored, done.set_aside.len()), (2998, 2));
        assert!(
            done.set_aside.iter().all(|r| r.contains("poisoned record")),
            "{:?}",
            done.set_aside
        );
        assert_eq!(s.spool_mark(spool.id()).await.unwrap(), Some(last));
        let set_aside: Vec<_> = rejects(dir.path())
            .iter()
            .map(|r| r["subject"].clone())
            .collect();
        assert_eq!(
            set_aside,
            [
                "http://example.org/poison/17",
                "http://example.org/poison/2222"
            ]
        );
        assert_eq!(s.count_records().await.unwrap(), 2998);
        assert!(s.audit_verify().await.unwrap().ok());
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_character_a_latin1_postgresql_cannot_hold_costs_only_its_record() {
    use sqlx::Connection as _;
    let admin = common::admin_url();
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {admin}: {e}"));
    let name = format!("charter_latin1_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
    )))
    .execute(&mut c)
    .await
    .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let s = Store::open(&url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut records: Vec<NewRecord> = (0..100).map(record).collect();
    records[40].subject = "http://example.org/\u{65e5}\u{672c}".into();
    records[41].subject = "http://example.org/caf\u{e9}".into();
    let done = s
        .store_spooled(&sys(), &spool, spooled(&spool, &records))
        .await;
    assert!(done.stopped.is_none(), "{:?}", done.stopped);
    assert_eq!(
        (done.stored, done.set_aside.len()),
        (99, 1),
        "{:?}",
        done.set_aside
    );
    assert_eq!(
        rejects(dir.path())[0]["subject"],
        "http://example.org/\u{65e5}\u{672c}"
    );
    s.close().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut c)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_stops_the_batch_and_sets_nothing_aside() {
    use sqlx::Connection as _;
    let db = common::postgres().await;
    let name = db.url.rsplit_once('/').unwrap().1.to_string();
    let mut admin = sqlx::PgConnection::connect(&common::admin_url())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let batch = spooled(&spool, &(0..50).map(record).collect::<Vec<_>>());
    let last = batch.last().unwrap().1;
    // The server turns this store's connections away, as it would when down.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let done = db.store.store_spooled(&sys(), &spool, batch.clone()).await;
    assert!(done.stopped.is_some());
    assert!(!done.stopped.as_ref().unwrap().is_bad_data());
    assert_eq!(
        (done.stored, done.set_aside.len(), done.acked),
        (0, 0, None)
    );
    assert!(rejects(dir.path()).is_empty());
    // Back up: the same batch goes in whole.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS true"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let done = db.store.store_spooled(&sys(), &spool, batch).await;
    assert!(done.stopped.is_none(), "{:?}", done.stopped);
    assert_eq!((done.stored, done.acked), (50, Some(last)));
    db.drop_db().await;
}

#[tokio::test]
async fn a_new_sqlite_store_and_its_wal_are_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("charter.db");
    let s = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    s.write_records(&sys(), &[record(1)]).await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    s.close().await;
}

#[tokio::test]
async fn a_password_never_appears_in_a_store_error() {
    let err = Store::open("mysql://charter:s3cret@db/charter")
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(err.to_string().contains("charter:***@db"), "{err}");
    let err = Store::open("postgres://charter:s3cret@127.0.0.1:1/charter?sslmode=bogus")
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
    let err = Store::open("postgres://charter:s3cret@127.0.0.1:1/charter")
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
}
