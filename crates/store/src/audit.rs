//! The audit chain: every change, and every view of a monitoring record, appends one row that
//! holds the hash of the row before. [`verify`](crate::Store::audit_verify) walks the chain and
//! names the first row that was edited, deleted or moved.
//!
//! The head of the chain (last sequence number and hash) sits in `audit_head`, a one-row table.
//! Appending starts by bumping that row (`UPDATE ... RETURNING`), which takes the write lock
//! on both engines, so two writers can never both link to the same predecessor.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{Arg, Engine, Tx, push_rows};
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
    charter_proto::hex::encode(&h.finalize())
}

/// Appends one row inside `tx`; the row commits or rolls back with the change it records.
pub(crate) async fn append(tx: &mut Tx, e: Entry<'_>) -> Result<i64> {
    let seqs = append_many(tx, std::slice::from_ref(&e)).await?;
    seqs.first()
        .copied()
        .ok_or(Error::Database(sqlx::Error::RowNotFound))
}

/// Rows of the audit table one statement appends: 500 parameters.
const ROWS_PER_STATEMENT: usize = 50;

/// Appends rows inside `tx`, in order, chained as if appended one by one; returns their
/// sequence numbers. The head moves once for all of them.
pub(crate) async fn append_many(tx: &mut Tx, entries: &[Entry<'_>]) -> Result<Vec<i64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let head = tx
        .one(
            "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash",
            &[n.into()],
        )
        .await?;
    let first = head.i64("seq")? - n + 1;
    let mut prev = head.text("hash")?;
    let at = time::now_us();
    let mut args: Vec<Arg> = Vec::with_capacity(entries.len() * 10);
    let mut seqs = Vec::with_capacity(entries.len());
    for (seq, e) in (first..).zip(entries) {
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
        args.extend([
            seq.into(),
            at.into(),
            actor.into(),
            e.action.into(),
            e.entity.into(),
            e.entity_id.into(),
            e.person_id.into(),
            detail.into(),
            std::mem::replace(&mut prev, hash.clone()).into(),
            hash.into(),
        ]);
        seqs.push(seq);
    }
    // The head's row stays locked until commit, so every other writer of the audit log waits
    // for this transaction: on PostgreSQL the last statement also moves the head (one round
    // trip fewer while others wait); SQLite, in process, moves it in a statement of its own.
    let engine = tx.engine();
    let chunks: Vec<&[Arg]> = args.chunks(ROWS_PER_STATEMENT * 10).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let mut sql = String::new();
        let moves_head = last && engine == Engine::Postgres;
        if moves_head {
            sql.push_str("WITH appended AS (");
        }
        sql.push_str("INSERT INTO audit (seq, at, actor, action, entity, entity_id, person_id, detail, prev_hash, hash) VALUES ");
        push_rows(&mut sql, engine, chunk.len() / 10, 10);
        let mut bound = chunk.to_vec();
        if moves_head {
            let _ = write!(
                sql,
                ") UPDATE audit_head SET hash = ${} WHERE id = 1",
                chunk.len() + 1
            );
            bound.push(prev.clone().into());
        }
        tx.exec_dyn(sql, &bound).await?;
    }
    if engine == Engine::Sqlite {
        tx.exec(
            "UPDATE audit_head SET hash = $1 WHERE id = 1",
            &[prev.into()],
        )
        .await?;
    }
    Ok(seqs)
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

/// The hash a chain starts from.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Reads the cells of one row for verification, noting each that does not hold its column's
/// type instead of failing: SQLite keeps whatever value an `UPDATE` writes (`seq = 'x'`), and
/// a changed type is tampering to report on its row, not a reason to stop.
struct Cells<'r> {
    row: &'r crate::db::Row,
    bad: Vec<String>,
}

impl Cells<'_> {
    fn note(&mut self, col: &str, what: &str) {
        self.bad.push(format!("column `{col}` is not {what}"));
    }

    fn i64(&mut self, col: &str) -> Option<i64> {
        self.row
            .i64(col)
            .map_err(|_| self.note(col, "an integer"))
            .ok()
    }

    fn opt_i64(&mut self, col: &str) -> Option<i64> {
        self.row.opt_i64(col).unwrap_or_else(|_| {
            self.note(col, "an integer or empty");
            None
        })
    }

    fn text(&mut self, col: &str) -> String {
        self.row.text(col).unwrap_or_else(|_| {
            self.note(col, "text");
            String::new()
        })
    }
}

/// One audit row as verification reads it.
struct ChainRow {
    /// `None` when the `seq` cell holds something other than an integer.
    seq: Option<i64>,
    prev: String,
    hash: String,
    /// The hash recomputed from the row's cells; `None` when a cell could not be read.
    recomputed: Option<String>,
    /// The cells that do not hold their column's type.
    bad: Vec<String>,
}

impl ChainRow {
    fn of(r: &crate::db::Row) -> ChainRow {
        let mut c = Cells {
            row: r,
            bad: Vec::new(),
        };
        let seq = c.i64("seq");
        let at = c.i64("at");
        let (actor, action, entity) = (c.text("actor"), c.text("action"), c.text("entity"));
        let (entity_id, person_id) = (c.opt_i64("entity_id"), c.opt_i64("person_id"));
        let (detail, prev, hash) = (c.text("detail"), c.text("prev_hash"), c.text("hash"));
        let recomputed = match (seq, at) {
            (Some(seq), Some(at)) if c.bad.is_empty() => Some(row_hash(
                &prev, seq, at, &actor, &action, &entity, entity_id, person_id, &detail,
            )),
            _ => None,
        };
        ChainRow {
            seq,
            prev,
            hash,
            recomputed,
            bad: c.bad,
        }
    }
}

/// Puts the rows whose `seq` cannot be read back in the chain, each after the row its
/// `prev_hash` links to (SQLite sorts a text `seq` after every number). Rows that link to
/// nothing readable go last.
fn in_chain_order(rows: Vec<ChainRow>) -> Vec<ChainRow> {
    let (good, unreadable): (Vec<ChainRow>, Vec<ChainRow>) =
        rows.into_iter().partition(|r| r.seq.is_some());
    if unreadable.is_empty() {
        return good;
    }
    let mut after: BTreeMap<String, Vec<ChainRow>> = BTreeMap::new();
    for r in unreadable {
        after.entry(r.prev.clone()).or_default().push(r);
    }
    let mut out = Vec::with_capacity(good.len() + after.len());
    for r in after.remove(GENESIS).unwrap_or_default() {
        place(r, &mut out, &mut after);
    }
    for r in good {
        place(r, &mut out, &mut after);
    }
    out.extend(after.into_values().flatten());
    out
}

/// Appends `row`, then the rows waiting in `after` for its hash, and theirs in turn.
fn place(row: ChainRow, out: &mut Vec<ChainRow>, after: &mut BTreeMap<String, Vec<ChainRow>>) {
    let mut stack = vec![row];
    while let Some(r) = stack.pop() {
        let next = after.remove(&r.hash).unwrap_or_default();
        out.push(r);
        stack.extend(next.into_iter().rev());
    }
}

/// Walks the chain in `seq` order and reports every break, naming the row of each.
pub(crate) async fn verify(tx: &mut Tx) -> Result<VerifyReport> {
    let rows = tx
        .rows(
            "SELECT seq, at, actor, action, entity, entity_id, person_id, detail, prev_hash, hash \
             FROM audit ORDER BY seq",
            &[],
        )
        .await?;
    let count = i64::try_from(rows.len()).map_err(|e| Error::invalid("audit", e))?;
    let rows = in_chain_order(rows.iter().map(ChainRow::of).collect());
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1;
    for r in rows {
        // A row whose `seq` cannot be read is named by its place in the chain.
        let seq = r.seq.unwrap_or(expected_seq);
        if !r.bad.is_empty() {
            problems.push(ChainProblem {
                seq,
                problem: format!(
                    "{}: a cell's type was changed after it was written",
                    r.bad.join(", ")
                ),
            });
        }
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
        if r.prev != expected_prev {
            problems.push(ChainProblem {
                seq,
                problem: "does not link to the row before it (a row before it was deleted, \
                          edited or moved)"
                    .to_string(),
            });
        }
        if r.recomputed.as_ref().is_some_and(|h| *h != r.hash) {
            problems.push(ChainProblem {
                seq,
                problem: "its contents were edited after it was written (hash mismatch)"
                    .to_string(),
            });
        }
        expected_prev = r.hash;
        expected_seq = seq + 1;
    }
    let head = tx
        .row("SELECT seq, hash FROM audit_head WHERE id = 1", &[])
        .await?;
    let last = expected_seq - 1;
    match head.as_ref().map(|h| (h.i64("seq"), h.text("hash"))) {
        Some((Ok(head_seq), Ok(head_hash))) => {
            if head_seq != last || head_hash != expected_prev {
                problems.push(ChainProblem {
                    seq: head_seq,
                    problem: format!(
                        "the chain should end at row {head_seq}, but the last row is {last} (rows at the end were deleted)"
                    ),
                });
            }
        }
        Some(_) => problems.push(ChainProblem {
            seq: last,
            problem: "the chain's head (`audit_head`) holds a value of the wrong type".to_string(),
        }),
        None => problems.push(ChainProblem {
            seq: last,
            problem: "the chain's head (`audit_head`) is missing".to_string(),
        }),
    }
    Ok(VerifyReport {
        rows: count,
        problems,
    })
}
