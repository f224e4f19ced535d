//! No data lost: the `charter` binary bulk-writes monitoring records, printing each
//! committed batch; it is killed with SIGKILL mid-way; the store must then open cleanly and
//! hold every acknowledged record, with an intact audit chain. Run on SQLite and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test"
)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use charter_store::Store;

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
fn kill_mid_write(cfg: &Path) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args([
            "records",
            "load-synthetic",
            "5000000",
            "--batch",
            "2000",
            "--config",
        ])
        .arg(cfg)
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
        let n: u64 = line.strip_prefix("committed ").unwrap().parse().unwrap();
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
    assert_eq!(n % 2000, 0, "a partial batch is visible: {n}");
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
        let cfg = cfg.clone();
        move || kill_mid_write(&cfg)
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
        let cfg = cfg.clone();
        move || kill_mid_write(&cfg)
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
