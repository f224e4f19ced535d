//! [`Txn`]: one write transaction over the registers. Every typed read and write of a
//! register is a method on it (`registers.rs`, `cases.rs`, `dsar.rs`); the workflows that
//! decide which writes are allowed live in `charter-app`, which opens a `Txn`, checks, writes,
//! appends the audit row with [`Txn::audit`] and commits, so a change and its evidence commit
//! together or not at all.
//!
//! Writes that move a row from one state to another name the state they expect
//! (`UPDATE ... WHERE status = $from`): if another writer moved it first, nothing is changed
//! and the write fails with [`Error::Changed`], on both engines, without locks held across
//! the caller's checks.

use crate::Store;
use crate::audit::Actor;
use crate::db::{Row, Tx};
use crate::error::{Error, Result};

/// What an audit row says, apart from who and when.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// What was done (`person.add`, `device.assign`, ...).
    pub action: &'static str,
    /// The kind of thing (`person`, `device`, ...).
    pub entity: &'static str,
    /// Its id.
    pub entity_id: Option<i64>,
    /// The person the row is about, for subject access.
    pub person_id: Option<i64>,
    /// Details.
    pub detail: serde_json::Value,
}

/// One transaction over the registers; dropped without [`commit`](Txn::commit), it rolls back.
#[derive(Debug)]
pub struct Txn {
    pub(crate) tx: Tx,
}

impl Store {
    /// Starts a transaction. On SQLite it holds the write lock until commit or drop, so keep
    /// it short: no waiting on people or the network inside.
    pub async fn begin(&self) -> Result<Txn> {
        Ok(Txn {
            tx: self.backend.begin_write().await?,
        })
    }

    /// Starts a transaction that only reads: it sees one snapshot and, on SQLite, neither
    /// waits for writers nor holds them up. Write nothing in it: nothing stops a write, but
    /// on SQLite one would skip the process's turn to write and may fail as busy.
    pub async fn begin_read(&self) -> Result<Txn> {
        Ok(Txn {
            tx: self.backend.begin_read().await?,
        })
    }
}

impl Txn {
    /// Commits every write made in it.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }

    /// Appends an audit row; it commits with the writes it records.
    pub async fn audit(&mut self, actor: &Actor, e: AuditEntry) -> Result<i64> {
        crate::registers::log(
            &mut self.tx,
            actor,
            e.action,
            e.entity,
            e.entity_id,
            e.person_id,
            e.detail,
        )
        .await
    }

    /// Appends audit rows, in order, with one move of the chain's head; their sequence
    /// numbers.
    pub async fn audit_many(
        &mut self,
        actor: &Actor,
        entries: Vec<AuditEntry>,
    ) -> Result<Vec<i64>> {
        let entries: Vec<crate::audit::Entry<'_>> = entries
            .into_iter()
            .map(|e| crate::audit::Entry {
                actor,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                person_id: e.person_id,
                detail: e.detail,
            })
            .collect();
        crate::audit::append_many(&mut self.tx, &entries).await
    }

    /// The one row with `id` from `sql`, or [`Error::NotFound`].
    pub(crate) async fn by_id<T>(
        &mut self,
        sql: &'static str,
        entity: &'static str,
        id: i64,
        read: fn(&Row) -> Result<T>,
    ) -> Result<T> {
        let row = self
            .tx
            .row(sql, &[id.into()])
            .await?
            .ok_or(Error::NotFound { entity, id })?;
        read(&row)
    }

    /// Every row of `sql`.
    pub(crate) async fn all<T>(
        &mut self,
        sql: &'static str,
        args: &[crate::db::Arg],
        read: fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.tx.rows(sql, args).await?.iter().map(read).collect()
    }

    /// Fails with [`Error::Changed`] when a guarded update touched no row.
    pub(crate) fn changed(n: u64, entity: &'static str, id: i64) -> Result<()> {
        if n == 0 {
            return Err(Error::Changed { entity, id });
        }
        Ok(())
    }
}
