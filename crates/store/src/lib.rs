//! Charter's store: the registers of the written policy, the monitoring records the gateways
//! produce and the audit chain over both, on SQLite (the embedded default: one file, WAL) or
//! PostgreSQL.
//!
//! [`Store`] is the one type callers see. Behind it is an enum of the two engines, as in
//! Stalwart's store; every register query is written once with `$1` placeholders and runs on
//! both through a small portable layer (`db.rs`). Only three things differ by engine: the
//! migrations (`migrations/{sqlite,postgres}`), connection set-up, and the bulk path for
//! monitoring records (multi-row inserts on SQLite, `COPY` into monthly partitions on
//! PostgreSQL).
//!
//! The store is typed storage and nothing more: every state is an enum ([`PersonStatus`],
//! [`DeviceStatus`], [`BreachState`], ...) and no workflow rule lives here. `charter-app`
//! opens a [`Txn`], checks who may do what, writes through the `Txn`'s typed methods, appends
//! the audit row with [`Txn::audit`] and commits, so a change and its evidence commit together
//! or not at all.
//!
//! ```no_run
//! # async fn demo() -> charter_store::Result<()> {
//! use charter_store::{Actor, AuditEntry, NewPerson, Store};
//! let store = Store::open("sqlite://charter.db").await?;
//! let mut tx = store.begin().await?;
//! let person = tx.insert_person(&NewPerson {
//!     first_name: "Smith".into(),
//!     last_name: "Brown".into(),
//!     roles: vec!["management".into()],
//!     ..NewPerson::default()
//! }).await?;
//! tx.audit(&Actor::System("setup".into()), AuditEntry {
//!     action: "person.add",
//!     entity: "person",
//!     entity_id: Some(person.id),
//!     person_id: Some(person.id),
//!     detail: serde_json::json!({}),
//! }).await?;
//! tx.commit().await?;
//! assert!(store.audit_verify().await?.ok());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod alerts;
mod approvals;
mod audit;
mod authorisations;
mod cases;
mod db;
mod dsar;
mod error;
mod ingest;
mod model;
mod partitions;
mod records;
mod registers;
mod report;
mod sessions;
pub mod spool;
pub mod time;
mod txn;
mod usage;
mod users;

pub use alerts::{Alert, AlertDecision, AlertModel, ModelAgreement, NewAlert};
pub use approvals::{Approval, NewApproval, PassRow};
pub use audit::{Actor, AuditRow, ChainProblem, VerifyReport};
pub use authorisations::Authorisation;
pub use db::{CONNECT_TIMEOUT, Engine, redact_url};
pub use dsar::Holdings;
pub use error::{Error, Result};
pub use ingest::IngestPosition;
pub use model::*;
pub use partitions::DroppedPartition;
pub use records::{
    MAX_DETAIL, MAX_SHORT, MAX_SUBJECT, NewRecord, PurgeReport, Record, RecordFilter, Source, Text,
    retention_cutoff,
};
pub use registers::{bytes_hash, text_hash};
pub use report::{Tally, UsageTotal};
pub use sessions::{ActivitySession, NewSession};
pub use txn::{AuditEntry, Txn};
pub use usage::{UsageAdd, UsageDay};
pub use users::{LoginSession, NewUser, User};

/// The store: registers, monitoring records and the audit chain.
#[derive(Debug, Clone)]
pub struct Store {
    backend: db::Backend,
}

impl Store {
    /// Opens the store at `url` (`sqlite://PATH` or `postgres://USER@HOST/DB`), creating a
    /// SQLite file when missing, and applies any migrations not yet applied.
    pub async fn open(url: &str) -> Result<Store> {
        Ok(Store {
            backend: db::Backend::connect(url).await?,
        })
    }

    /// Which engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.backend.engine()
    }

    /// Closes every connection; pending writes have already committed.
    pub async fn close(&self) {
        self.backend.close().await;
    }

    /// Walks the audit chain and reports every row that was edited, deleted or moved.
    pub async fn audit_verify(&self) -> Result<VerifyReport> {
        let mut tx = self.backend.begin_read().await?;
        let report = audit::verify(&mut tx).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The audit rows, oldest first, from `from_seq` on, at most `limit`.
    pub async fn audit_rows(&self, from_seq: i64, limit: i64) -> Result<Vec<AuditRow>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT seq, at, actor, action, entity, entity_id, person_id, detail, prev_hash, hash \
                 FROM audit WHERE seq >= $1 ORDER BY seq LIMIT $2",
                &[from_seq.into(), limit.into()],
            )
            .await?;
        tx.commit().await?;
        rows.iter().map(audit::audit_row).collect()
    }
}
