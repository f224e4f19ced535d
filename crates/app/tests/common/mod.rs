//! Shared set-up: the app over a fresh store on each engine, with a small test pack.
//! PostgreSQL is reached at `CHARTER_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own new database,
//! dropped at the end. An unreachable server fails the test: it never skips.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use charter_app::App;

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

#[path = "../../../store/tests/common/db.rs"]
mod store_db;

/// An app under test over a fresh store, and how to remove its database.
pub struct TestDb {
    pub app: App,
    db: store_db::TestDb,
}

impl TestDb {
    pub async fn drop_db(self) {
        self.db.drop_db().await;
    }
}

fn with_app(db: store_db::TestDb) -> TestDb {
    let pack = charter_policy::parse(PACK, "test.toml").expect("the test pack loads");
    TestDb {
        app: App::new(pack, db.store.clone()),
        db,
    }
}

pub async fn sqlite() -> TestDb {
    with_app(store_db::sqlite().await)
}

pub async fn postgres() -> TestDb {
    with_app(store_db::postgres().await)
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
