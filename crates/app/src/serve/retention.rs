//! The retention job of `serve`: as soon as the store is reachable, then once a day, it
//! removes the monitoring records older than the pack's retention period (on PostgreSQL by
//! dropping whole monthly partitions, logged by name and record count). It acts through
//! [`App::purge_expired`] as the system actor `retention`, so who may purge is checked and
//! the purge is logged like any other.

use std::sync::Arc;
use std::time::Duration;

use charter_engine::Engine;
use charter_store::Actor;

use super::ServeError;
use super::records::StoreLink;
use crate::App;

/// How often the retention job runs.
const DAILY: Duration = Duration::from_secs(24 * 60 * 60);

/// Purges records past the period of `engine`'s pack, now and then daily. Ends at once when
/// the pack keeps records until they are purged by hand.
pub(super) async fn purge_daily(
    mut link: StoreLink,
    engine: Arc<Engine>,
) -> Result<(), ServeError> {
    let actor = Actor::System("retention".into());
    loop {
        let app = App::with_engine(Arc::clone(&engine), link.get().await);
        match app.purge_expired(&actor, jiff::Timestamp::now()).await {
            Ok(Some(report)) => {
                let dropped: Vec<String> = report
                    .partitions_dropped
                    .iter()
                    .map(|p| format!("{}:{}", p.name, p.records))
                    .collect();
                eprintln!(
                    "charter serve: cutoff={} deleted={} rows_deleted={} partitions_dropped={} audit_seq={}: Retention purge done.",
                    report.cutoff,
                    report.deleted,
                    report.rows_deleted,
                    if dropped.is_empty() {
                        "-".to_string()
                    } else {
                        dropped.join(",")
                    },
                    report.audit_seq
                )
            }
            Ok(None) => return Ok(()),
            Err(e) => eprintln!("charter serve: error={e}: Retention purge failed."),
        }
        tokio::time::sleep(DAILY).await;
    }
}
