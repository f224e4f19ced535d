//! Shared set-up: the app over a fresh store on each engine, with a small test pack.
//! PostgreSQL is reached at `CHARTER_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own new database,
//! dropped at the end. An unreachable server fails the test: it never skips.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::sync::atomic::{AtomicU32, Ordering};

use charter_app::App;
use charter_store::Store;

/// The pack every test runs with: London time, roles for each duty.
pub const PACK: &str = r#"
[policy]
id = "test"
title = "Test Ltd IT policy"
source = "test"
review_due = 2026-04-01
timezone = "Europe/London"

[organisation]
name = "Test Ltd"
domains = ["test.example"]
roles = ["staff", "management", "external", "marketing", "social_media_manager", "it", "hr",
    "dpo", "compliance", "company_secretary", "safeguarding_lead"]

[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }

[monitoring]
retention_months = 12

[[accounts.address]]
applies_to = "management"
format = "{first}.{last}"

[[accounts.address]]
applies_to = "staff"
format = "{first}.{location}"

[[accounts.address]]
applies_to = "external"
format = "{department}.{location}"

[governance]
acknowledge_before_use = true
briefing_every_months = 12
induction = true
safeguarding_role = "safeguarding_lead"
software_approvers = ["company_secretary"]
device_approvers = ["it"]
social_media_approvers = ["hr"]
register_roles = ["hr"]
data_protection_roles = ["dpo"]
compliance_roles = ["compliance"]
breach_contact = "the Data Protection Officer"
"#;

pub fn admin_url() -> String {
    std::env::var("CHARTER_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// An app under test and how to remove its database.
pub struct TestDb {
    pub app: App,
    pub url: String,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn drop_db(self) {
        self.app.store().close().await;
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

fn app(store: Store) -> App {
    App::new(
        charter_policy::parse(PACK, "test.toml").expect("the test pack loads"),
        store,
    )
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("charter.db").display());
    let store = Store::open(&url).await.expect("open sqlite store");
    TestDb {
        app: app(store),
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
        "charter_app_test_{}_{}_{}",
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
        app: app(store),
        url,
        cleanup: Some((admin, name)),
        _dir: None,
    }
}

/// Defines one test per engine from one async body taking `&App`.
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports, reason = "not every test uses everything")]
            use super::*;
            async fn run($app: &charter_app::App) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = common::sqlite().await;
                run(&db.app).await;
                db.drop_db().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = common::postgres().await;
                run(&db.app).await;
                db.drop_db().await;
            }
        }
    };
}
