//! How fast the spool takes records and gives them back, and what going through it costs a
//! write to SQLite. Not run in CI.
//!
//! `cargo bench -p charter-store --bench spool [-- N]` (default 1,000,000 records, appended in
//! batches of 4,096 as `charter serve`'s spool writer does, read in batches of 10,000).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that fails should stop"
)]

use std::time::Instant;

use charter_engine::Privacy;
use charter_store::spool::Spool;
use charter_store::{Actor, NewRecord, Source, Store, Text};
use jiff::{SignedDuration, Timestamp};

fn records(n: usize) -> Vec<NewRecord> {
    let start: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
    let users: Vec<Text> = (0..500).map(|u| format!("user{u}").into()).collect();
    let (allow, block): (Text, Text) = ("allow".into(), "block".into());
    let finding: Text =
        r#"[{"rule":"internet.prohibited-content","check":"prohibited_category"}]"#.into();
    (0..n)
        .map(|i| {
            let flagged = i % 20 == 0;
            NewRecord {
                at: start + SignedDuration::from_millis(i as i64 * 7),
                user: Some(users[i % users.len()].clone()),
                source: Source::Web,
                subject: format!("https://www.example.org/path/{}/index.html?q={i}", i % 977)
                    .into(),
                verdict: if flagged {
                    block.clone()
                } else {
                    allow.clone()
                },
                rule: flagged.then(|| "internet.prohibited-content".into()),
                check: flagged.then(|| "prohibited_category".into()),
                severity: flagged.then(|| "gross_misconduct".into()),
                categories: Some("news".into()),
                privacy: Privacy::Full,
                detail: None,
                findings: if flagged {
                    finding.clone()
                } else {
                    "[]".into()
                },
            }
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let data = records(n);
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool")).unwrap();

    let mut writer = spool.writer().unwrap();
    let t = Instant::now();
    for chunk in data.chunks(4096) {
        writer.append(chunk).unwrap();
    }
    writer.sync().unwrap();
    let write = t.elapsed().as_secs_f64();
    let bytes = charter_store::spool::usage(spool.dir()).unwrap().bytes;

    let mut reader = spool.reader(None);
    let t = Instant::now();
    let mut read = 0;
    loop {
        let batch = reader.read(writer.end(), 10_000).unwrap();
        if batch.records.is_empty() {
            break;
        }
        read += batch.records.len();
    }
    let read_secs = t.elapsed().as_secs_f64();
    assert_eq!(read, n);

    // Into SQLite through the spool (read, clean, write with the mark), against writing the
    // same records straight in.
    let actor = Actor::System("bench".into());
    let through = Store::open(&format!("sqlite://{}", dir.path().join("a.db").display()))
        .await
        .unwrap();
    let mut reader = spool.reader(None);
    let t = Instant::now();
    loop {
        let batch = reader.read(writer.end(), 10_000).unwrap();
        if batch.records.is_empty() {
            break;
        }
        let done = through.store_spooled(&actor, &spool, batch.records).await;
        assert!(done.stopped.is_none());
    }
    let through_secs = t.elapsed().as_secs_f64();
    let direct = Store::open(&format!("sqlite://{}", dir.path().join("b.db").display()))
        .await
        .unwrap();
    let t = Instant::now();
    for chunk in data.chunks(10_000) {
        direct.write_records(&actor, chunk).await.unwrap();
    }
    let direct_secs = t.elapsed().as_secs_f64();

    let mb = bytes as f64 / 1e6;
    println!(
        "{n} web records, {:.0} bytes each on disk",
        bytes as f64 / n as f64
    );
    println!(
        "spool append   {:>10.0} records/s  {:>7.1} MB/s",
        n as f64 / write,
        mb / write
    );
    println!(
        "spool read     {:>10.0} records/s  {:>7.1} MB/s",
        n as f64 / read_secs,
        mb / read_secs
    );
    println!(
        "SQLite via spool {:>8.0} records/s; written directly {:.0} records/s",
        n as f64 / through_secs,
        n as f64 / direct_secs
    );
    println!(
        "load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
