//! No data lost: a process bulk-writes monitoring records, printing each committed batch; it
//! is killed with SIGKILL mid-way; the store must then open cleanly and hold every
//! acknowledged record, with an intact audit chain. Run on SQLite and PostgreSQL.
//!
//! The writer is this test binary itself, started again to run [`bulk_writer`] alone: the
//! fabricated records it writes never come from a path in the shipped `charter` binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use charter_engine::Privacy;
use charter_store::{Actor, NewRecord, Source, Store};

/// Where [`bulk_writer`] writes, when this binary is started as the writer.
const WRITER_URL: &str = "CHARTER_CRASH_WRITER_URL";
const BATCH: usize = 2000;

fn synthetic(i: usize) -> NewRecord {
    let blocked = i % 4 == 1;
    NewRecord {
        at: jiff::Timestamp::UNIX_EPOCH
            + jiff::SignedDuration::from_secs(1_780_000_000)
            + jiff::SignedDuration::from_millis(i as i64),
        user: Some(format!("user{}", i % 50).into()),
        source: Source::Web,
        subject: format!("https://example.org/{i}").into(),
        verdict: if blocked { "block" } else { "allow" }.into(),
        rule: blocked.then(|| "internet.prohibited-content".into()),
        check: blocked.then(|| "prohibited_category".into()),
        severity: blocked.then(|| "gross_misconduct".into()),
        categories: None,
        privacy: Privacy::Full,
        detail: None,
        findings: "[]".into(),
    }
}

/// The writer: run only when this binary is started by [`kill_mid_write`] (the variable set);
/// otherwise it does nothing. Prints `committed TOTAL` after each commit returns.
#[tokio::test]
#[ignore = "started by the crash tests as their writer"]
async fn bulk_writer() {
    let Ok(url) = std::env::var(WRITER_URL) else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let actor = Actor::System("crash-test".into());
    let mut out = std::io::stdout().lock();
    let mut done = 0;
    loop {
        let batch: Vec<NewRecord> = (done..done + BATCH).map(synthetic).collect();
        store.write_records(&actor, &batch).await.unwrap();
        done += BATCH;
        // INVARIANT: printed only after the batch's commit has returned.
        writeln!(out, "committed {done}").unwrap();
        out.flush().unwrap();
    }
}

fn pack() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies/iimts.toml")
        .display()
        .to_string()
}

fn write_config(dir: &Path, url: &str) -> std::path::PathBuf {
    let cfg = dir.join("charter.toml");
    std::fs::write(
        &cfg,
        format!("policy = {:?}\n[store]\nurl = {:?}\n", pack(), url),
    )
    .unwrap();
    cfg
}

/// Starts a bulk write, kills it after a few acknowledged batches, returns the last count
/// the process acknowledged.
fn kill_mid_write(url: &str) -> u64 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "bulk_writer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_URL, url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut acked = 0u64;
    let mut batches = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        // The test harness prints its own lines around the writer's.
        let Some(n) = line.strip_prefix("committed ") else {
            continue;
        };
        let n: u64 = n.parse().unwrap();
        assert!(n > acked);
        acked = n;
        batches += 1;
        if batches == 5 {
            break;
        }
    }
    // Child::kill sends SIGKILL on Unix: no destructor, no flush, no rollback runs.
    child.kill().unwrap();
    // Whatever it had acknowledged before dying still counts.
    for line in lines {
        match line {
            Ok(l) => {
                if let Some(n) = l.strip_prefix("committed ").and_then(|n| n.parse().ok()) {
                    acked = acked.max(n);
                }
            }
            Err(_) => break,
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the writer was meant to be killed, and it finished"
    );
    assert!(acked >= 10_000, "acknowledged {acked}");
    acked
}

async fn check_after_crash(url: &str, cfg: &Path, acked: u64) {
    let store = Store::open(url)
        .await
        .expect("the store opens cleanly after SIGKILL");
    let n = store.count_records().await.unwrap();
    assert!(n as u64 >= acked, "{acked} records acknowledged, {n} found");
    // A batch commits whole or not at all: the count is a whole number of batches.
    assert_eq!(n % BATCH as i64, 0, "a partial batch is visible: {n}");
    let chain = store.audit_verify().await.unwrap();
    assert!(chain.ok(), "{chain:?}");
    if let Some(path) = url.strip_prefix("sqlite://") {
        use sqlx::Connection as _;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(ok, "ok");
    }
    store.close().await;
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["audit", "verify", "--config"])
        .arg(cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_bulk_write_loses_nothing_acknowledged_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("charter.db").display());
    let cfg = write_config(dir.path(), &url);
    let acked = tokio::task::spawn_blocking({
        let url = url.clone();
        move || kill_mid_write(&url)
    })
    .await
    .unwrap();
    check_after_crash(&url, &cfg, acked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_bulk_write_loses_nothing_acknowledged_postgres() {
    use sqlx::Connection as _;
    let admin = std::env::var("CHARTER_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {admin}: {e}"));
    let name = format!("charter_crash_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &url);
    let acked = tokio::task::spawn_blocking({
        let url = url.clone();
        move || kill_mid_write(&url)
    })
    .await
    .unwrap();
    check_after_crash(&url, &cfg, acked).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut c)
    .await
    .unwrap();
}
