//! A fresh store on each engine, for the store's tests and the app's (which include this file
//! by path). PostgreSQL is reached at `CHARTER_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own new database,
//! dropped at the end. An unreachable server fails the test: it never skips.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::sync::atomic::{AtomicU32, Ordering};

use charter_store::Store;

pub fn admin_url() -> String {
    std::env::var("CHARTER_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database under test and how to remove it.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn drop_db(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.cleanup {
            use sqlx::Connection as _;
            if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
        }
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("charter.db").display());
    let store = Store::open(&url).await.expect("open sqlite store");
    TestDb {
        store,
        url,
        cleanup: None,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> TestDb {
    use sqlx::Connection as _;
    let admin = admin_url();
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL is unreachable at {admin}: {e} (start it: .ci/setup/store.sh)")
        });
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "charter_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create test database");
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("bad CHARTER_TEST_PG `{admin}`"),
    };
    let store = Store::open(&url).await.expect("open postgres store");
    TestDb {
        store,
        url,
        cleanup: Some((admin, name)),
        _dir: None,
    }
}
