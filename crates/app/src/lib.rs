//! Charter's application core: every workflow of the registers in one place, so the CLI and
//! the HTTP API are two thin faces over the same rules.
//!
//! [`App`] holds the pack (inside its [`Engine`]) and the [`Store`], and has one method per
//! workflow action: people and accounts, devices and removable media, software, social media
//! accounts, acknowledgements, incidents, breaches, subject requests, leavers, monitoring
//! record views, subject access export and erasure, retention. Each action checks who is
//! acting against the roles the pack's `[governance]` gives it, checks the state, writes,
//! appends its audit row and commits, in one transaction (`act.rs`). The store below keeps
//! typed rows and no rule; the deadlines people read (72 hours, one calendar month, leaving
//! dates, reviews) are in [`clock`], and the one parser for every time a person types is
//! [`time::parse_time`].
//!
//! [`serve`] assembles the long-running gateways from `charter.toml` ([`config`]): the
//! record writer, the register they take roles from, the retention job.
//!
//! ```no_run
//! # async fn demo() -> charter_app::Result<()> {
//! use charter_app::App;
//! use charter_store::{Actor, NewPerson, Store};
//! let pack = charter_policy::load_file(std::path::Path::new("policies/iimts.toml"))
//!     .expect("the pack loads");
//! let app = App::new(pack, Store::open("sqlite://charter.db").await?);
//! let operator = Actor::System("setup".into());
//! let added = app.add_person(&operator, NewPerson {
//!     first_name: "Smith".into(),
//!     last_name: "Brown".into(),
//!     roles: vec!["management".into()],
//!     location: Some("uk".into()),
//!     ..NewPerson::default()
//! }, true).await?;
//! assert_eq!(added.email.map(|e| e.address).as_deref(), Some("smith.brown@iimtsab.co.uk"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use std::sync::Arc;

use charter_engine::Engine;
use charter_policy::{Governance, Pack};
use charter_store::Store;
use jiff::tz::TimeZone;

mod act;
pub mod activity;
pub mod address;
pub mod alerts;
mod approvals;
mod authorisations;
mod breaches;
pub mod clock;
pub mod config;
mod dashboard;
mod devices;
pub mod domains;
mod dsar;
mod error;
pub mod gateway;
mod html;
mod incidents;
pub mod ingest;
mod leavers;
pub mod monitor;
mod names;
pub mod passes;
mod people;
mod policy;
mod records;
pub mod report;
mod requests;
pub mod serve;
mod social;
mod software;
pub mod time;
pub mod users;
mod views;

/// Tables rebuilt for every batch or run and keyed by short names (people, hosts,
/// categories): foldhash, several times faster than the default SipHash on such keys.
/// It is seeded at random, so a log line cannot aim collisions at it beyond a slower run.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub use approvals::{ApprovalView, DEFAULT_APPROVAL, Stopped};
pub use breaches::BreachView;
pub use dashboard::{Inbox, MyAcknowledgements, Overview};
pub use dsar::{ErasureItem, ErasurePlan, SubjectExport};
pub use error::{Error, Result};
pub use incidents::route_incident;
pub use leavers::LeaverView;
pub use names::Names;
pub use people::PersonAdded;
pub use policy::{AckDue, Review};
pub use records::RecordView;
pub use requests::RequestView;
pub use views::{AuditLog, LintLine, Myself, Register, Rows, Timeline, UsageSummary};

/// The application: the pack, the engine built from it, and the store.
#[derive(Debug, Clone)]
pub struct App {
    engine: Arc<Engine>,
    store: Store,
}

impl App {
    /// The app over `store` for `pack`.
    pub fn new(pack: Pack, store: Store) -> App {
        App {
            engine: Arc::new(Engine::new(pack)),
            store,
        }
    }

    /// The app over `store` deciding with `engine`, built once and shared with the gateways
    /// (`serve` runs both).
    pub fn with_engine(engine: Arc<Engine>, store: Store) -> App {
        App { engine, store }
    }

    /// The pack.
    pub fn pack(&self) -> &Pack {
        self.engine.pack()
    }

    /// The engine built from the pack.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The pack's time zone: times people type and read are in it.
    pub fn time_zone(&self) -> &TimeZone {
        self.pack().windows.time_zone()
    }

    fn governance(&self) -> &Governance {
        &self.pack().governance
    }
}

/// The union of role lists, sorted, without repeats.
fn roles(lists: &[&[String]]) -> Vec<String> {
    let mut out: Vec<String> = lists.iter().flat_map(|l| l.iter().cloned()).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_store::{Actor, NewPerson};

    /// The HTTP API runs actions on a multi-threaded runtime: their futures must be `Send`.
    #[test]
    fn actions_can_run_on_any_thread() {
        fn send<T: Send>(_: &T) {}
        async fn check(app: &App, a: &Actor) {
            send(&app.add_person(a, NewPerson::default(), true));
            send(&app.tick_leaver(a, 1, charter_store::LeaverItem::EquipmentReturned));
            send(&app.subject_export(a, 1));
            send(&app.view_records(a, 1, RecordView::default()));
        }
        let _ = check;
    }
}
