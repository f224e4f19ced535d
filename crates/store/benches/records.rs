//! Writes monitoring records in batches, with the dashboard's indexes in place, and prints
//! records per second for SQLite and PostgreSQL side by side. Not run in CI.
//!
//! `cargo bench -p charter-store --bench records [-- N BATCH FLAGGED%]` (default 500,000 in
//! batches of 50,000, 50% of them flagged). PostgreSQL is taken from `CHARTER_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); a fresh database is made and dropped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark that fails should stop"
)]

use std::time::Instant;

use charter_engine::Privacy;
use charter_store::{Actor, NewRecord, Source, Store, Text};
use jiff::{SignedDuration, Timestamp};
use sqlx::Connection as _;

fn records(n: usize, start: Timestamp, flagged_pct: usize) -> Vec<NewRecord> {
    // A gateway interns what repeats (users, verdicts, rules); the URL is new every time.
    let t = |s: &str| -> Text { s.into() };
    let hosts = [
        "www.bbc.co.uk",
        "www.bet365.com",
        "mail.google.com",
        "www.linkedin.com",
        "intranet.example.org",
        "github.com",
    ];
    let allow = t("allow");
    let flags = [t("log"), t("warn"), t("block")];
    let categories = [
        t("news"),
        t("gambling"),
        t("webmail"),
        t("social_media"),
        t("other"),
        t("other"),
    ];
    let users: Vec<Text> = (0..500).map(|u| format!("user{u}").into()).collect();
    let (rule, check, severity) = (
        t("internet.prohibited-content"),
        t("prohibited_category"),
        t("gross_misconduct"),
    );
    let (empty, finding) = (
        t("[]"),
        t(r#"[{"rule":"internet.prohibited-content","check":"prohibited_category"}]"#),
    );
    (0..n)
        .map(|i| {
            let k = i % hosts.len();
            // Spread the flagged records evenly: `flagged_pct` of every hundred.
            let flagged = (i * 37) % 100 < flagged_pct;
            NewRecord {
                at: start + SignedDuration::from_millis(i as i64 * 7),
                user: Some(users[i % users.len()].clone()),
                source: Source::Web,
                subject: format!("https://{}/path/{}/index.html?q={}", hosts[k], i % 977, i).into(),
                verdict: if flagged {
                    flags[i % 3].clone()
                } else {
                    allow.clone()
                },
                rule: flagged.then(|| rule.clone()),
                check: flagged.then(|| check.clone()),
                severity: flagged.then(|| severity.clone()),
                categories: Some(categories[k].clone()),
                privacy: Privacy::Full,
                detail: None,
                findings: if flagged {
                    finding.clone()
                } else {
                    empty.clone()
                },
            }
        })
        .collect()
}

/// CPU seconds this process has used (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}

/// Records per wall-clock second, and per CPU second (the machine may be shared).
async fn run(store: &Store, n: usize, batch: usize, flagged_pct: usize) -> (f64, f64) {
    let start: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
    let data = records(n, start, flagged_pct);
    let actor = Actor::System("bench".into());
    // Warm up: the first batch creates partitions and prepares statements.
    store
        .write_records(&actor, &data[..batch.min(n)])
        .await
        .unwrap();
    let t = Instant::now();
    let cpu = cpu_seconds();
    for chunk in data[batch.min(n)..].chunks(batch) {
        store.write_records(&actor, chunk).await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = (cpu_seconds() - cpu).max(0.01);
    let written = (n - batch.min(n)) as f64;
    (written / secs, written / cpu)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(500_000);
    let batch: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    // Web traffic is mostly allowed; 50% flagged is a pessimistic default.
    let flagged: usize = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50)
        .min(100);

    let only = std::env::var("CHARTER_BENCH_ONLY").unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let sqlite = Store::open(&url).await.unwrap();
    if let Ok(sql) = std::env::var("CHARTER_BENCH_SQL") {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    let s = run(&sqlite, n, batch, flagged).await;
    sqlite.close().await;
    if only == "sqlite" {
        println!(
            "sqlite {:.0} records/s ({:.0} per CPU second), {flagged}% flagged",
            s.0, s.1
        );
        return;
    }

    let admin = std::env::var("CHARTER_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("charter_bench_{}", std::process::id());
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let pg_url = format!(
        "{}/{name}",
        admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin)
    );
    let pg = Store::open(&pg_url).await.unwrap();
    let p = run(&pg, n, batch, flagged).await;
    pg.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut c)
    .await
    .unwrap();

    println!(
        "{n} monitoring records, {flagged}% flagged, batches of {batch}; indexes (at), (user_name, at) WHERE flagged, (at) WHERE flagged"
    );
    println!(
        "{:<12} {:>14} {:>22}",
        "engine", "records/s", "records/CPU-second"
    );
    println!("{:<12} {:>14.0} {:>22.0}", "sqlite", s.0, s.1);
    println!(
        "{:<12} {:>14.0} {:>22.0}  (client CPU only; the server's is not counted)",
        "postgresql", p.0, p.1
    );
    println!(
        "load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
