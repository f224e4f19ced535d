//! The audit chain: every change, and every view of a monitoring record, appends one row that
//! holds the hash of the row before. [`verify`](crate::Store::audit_verify) walks the chain and
//! names the first row that was edited, deleted or moved.
//!
//! The head of the chain (last sequence number and hash) sits in `audit_head`, a one-row table.
//! Appending starts by bumping that row (`UPDATE ... RETURNING`), which takes the write lock
//! on both engines, so two writers can never both link to the same predecessor.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{Arg, Tx};
use crate::error::{Error, Result};
use crate::time;

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person in the people register.
    Person(i64),
    /// Charter itself (the retention job, an import); the text says which part.
    System(String),
}

impl Actor {
    /// The acting person, if a person.
    pub fn person(&self) -> Option<i64> {
        match self {
            Actor::Person(id) => Some(*id),
            Actor::System(_) => None,
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Person(id) => write!(f, "person:{id}"),
            Actor::System(what) => write!(f, "system:{what}"),
        }
    }
}

/// One audit row.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRow {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who (`person:3`, `system:retention`).
    pub actor: String,
    /// What (`person.add`, `records.view`, ...).
    pub action: String,
    /// The kind of thing.
    pub entity: String,
    /// Its id, when it has one.
    pub entity_id: Option<i64>,
    /// The person the row is about, for subject access.
    pub person_id: Option<i64>,
    /// Details, JSON.
    pub detail: String,
    /// The hash of the row before.
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

/// What `audit verify` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows read.
    pub rows: i64,
    /// Problems, first to last; empty when the chain is whole.
    pub problems: Vec<ChainProblem>,
}

impl VerifyReport {
    /// Whether the chain is whole.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One break in the chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainProblem {
    /// The row where the chain breaks.
    pub seq: i64,
    /// What is wrong there, in words.
    pub problem: String,
}

/// An entry to append.
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    pub actor: &'a Actor,
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: Option<i64>,
    pub person_id: Option<i64>,
    pub detail: serde_json::Value,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per hashed column keeps the field order visible"
)]
fn row_hash(
    prev: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    person_id: Option<i64>,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    // Length-prefix each field so that moving a character from one field to the next
    // changes the hash.
    for part in [
        prev,
        &seq.to_string(),
        &at.to_string(),
        actor,
        action,
        entity,
        &entity_id.map(|i| i.to_string()).unwrap_or_default(),
        &person_id.map(|i| i.to_string()).unwrap_or_default(),
        detail,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends one row inside `tx`; the row commits or rolls back with the change it records.
pub(crate) async fn append(tx: &mut Tx, e: Entry<'_>) -> Result<i64> {
    let head = tx
        .one(
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
            &[],
        )
        .await?;
    let seq = head.i64("seq")?;
    let prev = head.text("hash")?;
    let at = time::now_us();
    let actor = e.actor.to_string();
    let detail = e.detail.to_string();
    let hash = row_hash(
        &prev,
        seq,
        at,
        &actor,
        e.action,
        e.entity,
        e.entity_id,
        e.person_id,
        &detail,
    );
    tx.exec(
        "INSERT INTO audit (seq, at, actor, action, entity, entity_id, person_id, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            seq.into(),
            at.into(),
            actor.into(),
            e.action.into(),
            e.entity.into(),
            e.entity_id.into(),
            e.person_id.into(),
            detail.into(),
            prev.into(),
            Arg::from(hash.clone()),
        ],
    )
    .await?;
    tx.exec(
        "UPDATE audit_head SET hash = $1 WHERE id = 1",
        &[hash.into()],
    )
    .await?;
    Ok(seq)
}

pub(crate) fn audit_row(r: &crate::db::Row) -> Result<AuditRow> {
    Ok(AuditRow {
        seq: r.i64("seq")?,
        at: time::show_us(r.i64("at")?),
        actor: r.text("actor")?,
        action: r.text("action")?,
        entity: r.text("entity")?,
        entity_id: r.opt_i64("entity_id")?,
        person_id: r.opt_i64("person_id")?,
        detail: r.text("detail")?,
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

/// Walks the chain in `seq` order and reports every break.
pub(crate) async fn verify(tx: &mut Tx) -> Result<VerifyReport> {
    let rows = tx
        .rows(
            "SELECT seq, at, actor, action, entity, entity_id, person_id, detail, prev_hash, hash \
             FROM audit ORDER BY seq",
            &[],
        )
        .await?;
    let mut problems = Vec::new();
    let mut expected_prev = "0".repeat(64);
    let mut expected_seq = 1;
    for r in &rows {
        let seq = r.i64("seq")?;
        let at = r.i64("at")?;
        let (actor, action, entity) = (r.text("actor")?, r.text("action")?, r.text("entity")?);
        let (entity_id, person_id) = (r.opt_i64("entity_id")?, r.opt_i64("person_id")?);
        let (detail, prev, hash) = (r.text("detail")?, r.text("prev_hash")?, r.text("hash")?);
        if seq != expected_seq {
            problems.push(ChainProblem {
                seq,
                problem: if seq > expected_seq {
                    format!("rows {expected_seq} to {} are missing (deleted)", seq - 1)
                } else {
                    format!("sequence number repeats or goes back (expected {expected_seq})")
                },
            });
        }
        if prev != expected_prev {
            problems.push(ChainProblem {
                seq,
                problem: "does not link to the row before it (a row before it was deleted, \
                          edited or moved)"
                    .to_string(),
            });
        }
        let recomputed = row_hash(
            &prev, seq, at, &actor, &action, &entity, entity_id, person_id, &detail,
        );
        if recomputed != hash {
            problems.push(ChainProblem {
                seq,
                problem: "its contents were edited after it was written (hash mismatch)"
                    .to_string(),
            });
        }
        expected_prev = hash;
        expected_seq = seq + 1;
    }
    let head = tx
        .one("SELECT seq, hash FROM audit_head WHERE id = 1", &[])
        .await?;
    let (head_seq, head_hash) = (head.i64("seq")?, head.text("hash")?);
    if head_seq != expected_seq - 1 || head_hash != expected_prev {
        problems.push(ChainProblem {
            seq: head_seq,
            problem: format!(
                "the chain should end at row {head_seq}, but the last row is {} (rows at the end were deleted)",
                expected_seq - 1
            ),
        });
    }
    Ok(VerifyReport {
        rows: i64::try_from(rows.len()).map_err(|e| Error::invalid("audit", e))?,
        problems,
    })
}
