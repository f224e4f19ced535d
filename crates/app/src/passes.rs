//! The passes in force, from the store to the gateways' shared [`Passes`] table: read again
//! every second, so that an approval given at the console, or a Continue on the pages served
//! by another process, reaches every gateway within about a second. `serve` runs
//! [`refresh`] on its runtime; the Squid helper, which has none, [`spawn_refresh_thread`].

use std::collections::HashMap;
use std::time::Duration;

use charter_engine::{Pass, PassKind};
use charter_gateways::pass::Passes;
use charter_gateways::web::Clock;
use charter_store::{ApprovalKind, PassRow, Store};

/// How often the passes are read again.
pub const PASSES_EVERY: Duration = Duration::from_secs(1);

/// The table the gateways key by user name.
pub fn table(rows: Vec<PassRow>) -> HashMap<String, Vec<Pass>> {
    let mut table: HashMap<String, Vec<Pass>> = HashMap::new();
    for row in rows {
        table.entry(row.user).or_default().push(Pass {
            site: row.site,
            rule: row.rule,
            kind: match row.kind {
                ApprovalKind::Continue => PassKind::Continued,
                ApprovalKind::Access => PassKind::Approved(row.id),
            },
            until: row.until,
        });
    }
    table
}

/// Reads the passes in force at `clock`'s now into `live`; says how many users have one.
pub async fn read_into(store: &Store, live: &Passes, clock: Clock) -> charter_store::Result<usize> {
    let rows = store.passes_in_force(clock.now()).await?;
    live.replace(table(rows));
    Ok(live.len())
}

/// Keeps `live` up to date from `store` until the task is dropped. A failed read leaves the
/// table as it was and is said once until a read works again.
pub async fn refresh(store: Store, live: Passes, clock: Clock, who: &'static str) {
    let mut failing = false;
    loop {
        match read_into(&store, &live, clock).await {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                failing = true;
                eprintln!("{who}: error={e}: Passes not read; those in force stay.");
            }
            Err(_) => {}
        }
        tokio::time::sleep(PASSES_EVERY).await;
    }
}

/// Runs [`refresh`] on a thread of its own with a small runtime, opening the store at `url`
/// (and trying again every second until it opens).
pub fn spawn_refresh_thread(
    url: String,
    live: Passes,
    clock: Clock,
    who: &'static str,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("passes".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut said = false;
                let store = loop {
                    match Store::open(&url).await {
                        Ok(store) => break store,
                        Err(e) if !said => {
                            said = true;
                            eprintln!(
                                "{who}: error={e}: Store not reachable; no passes until it is."
                            );
                        }
                        Err(_) => {}
                    }
                    tokio::time::sleep(PASSES_EVERY).await;
                };
                refresh(store, live, clock, who).await;
            });
        })
}
