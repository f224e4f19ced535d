//! Shared set-up: a fresh store on each engine. PostgreSQL is reached at
//! `CHARTER_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`); each test gets
//! its own new database, dropped at the end. An unreachable server fails the test: it never
//! skips.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

mod db;
pub use db::*;

/// Defines one test per engine from one async body taking `&Store`.
#[macro_export]
macro_rules! both {
    ($name:ident, |$store:ident, $db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports, reason = "not every test uses everything")]
            use super::*;
            async fn run($db: &common::TestDb) {
                let $store = &$db.store;
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = common::sqlite().await;
                run(&db).await;
                db.drop_db().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = common::postgres().await;
                run(&db).await;
                db.drop_db().await;
            }
        }
    };
}
