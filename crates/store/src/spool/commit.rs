//! Moving one batch from the spool into the store so that one bad record never costs its
//! batch: every record is cleaned first ([`NewRecord::clean`]); one the store would still
//! refuse is set aside; and if the database refuses the batch for its content anyway, the
//! batch is split in halves until the record it refuses is alone, and that one is set aside.

use std::ops::Range;

use super::{Position, Spool};
use crate::Store;
use crate::audit::Actor;
use crate::error::Error;
use crate::records::NewRecord;

/// What [`Store::store_spooled`] did with a batch.
#[derive(Debug, Default)]
pub struct Committed {
    /// Records committed.
    pub stored: u64,
    /// Of them, records with a field truncated or cleaned.
    pub cleaned: u64,
    /// Why each record set aside was (it is in the spool's `rejects.jsonl`).
    pub set_aside: Vec<String>,
    /// The spool's mark after the last commit, when one was made.
    pub acked: Option<Position>,
    /// The error that stopped the batch part-way, one that a later try may not meet (the
    /// store unreachable, locked). Records after `acked` are not stored and must be retried.
    pub stopped: Option<Error>,
}

struct Item {
    record: NewRecord,
    after: Position,
    cleaned: bool,
    set_aside: bool,
}

impl Store {
    /// Writes records read from `spool` (each with the position after it), moving the spool's
    /// mark with every commit.
    pub async fn store_spooled(
        &self,
        actor: &Actor,
        spool: &Spool,
        batch: Vec<(NewRecord, Position)>,
    ) -> Committed {
        let mut done = Committed::default();
        let mut items = Vec::with_capacity(batch.len());
        for (mut record, after) in batch {
            let mut item = Item {
                cleaned: record.clean(),
                record,
                after,
                set_aside: false,
            };
            if let Err(e) = item.record.validate()
                && let Err(e) = set_aside(spool, &mut item, &e, &mut done)
            {
                done.stopped = Some(e);
                return done;
            }
            items.push(item);
        }
        // Ranges still to write, the next on top. A range whose last item is set aside is
        // still written (perhaps empty): that is what moves the mark past it.
        let mut todo: Vec<Range<usize>> = Vec::new();
        todo.push(0..items.len());
        while let Some(range) = todo.pop() {
            let Some(last) = range.end.checked_sub(1).map(|i| items[i].after) else {
                continue;
            };
            let records: Vec<NewRecord> = items[range.clone()]
                .iter()
                .filter(|i| !i.set_aside)
                .map(|i| i.record.clone())
                .collect();
            match self.write_spooled(actor, &records, spool.id(), last).await {
                Ok(n) => {
                    done.stored += n;
                    done.cleaned += items[range]
                        .iter()
                        .filter(|i| i.cleaned && !i.set_aside)
                        .count() as u64;
                    done.acked = Some(last);
                }
                Err(e) if e.is_bad_data() && records.len() > 1 => {
                    let mid = range.start + range.len() / 2;
                    todo.push(mid..range.end);
                    todo.push(range.start..mid);
                }
                Err(e) if e.is_bad_data() && records.len() == 1 => {
                    let Some(item) = items[range.clone()].iter_mut().find(|i| !i.set_aside) else {
                        continue;
                    };
                    if let Err(e) = set_aside(spool, item, &e, &mut done) {
                        done.stopped = Some(e);
                        return done;
                    }
                    todo.push(range);
                }
                Err(e) => {
                    done.stopped = Some(e);
                    return done;
                }
            }
        }
        done
    }
}

fn set_aside(
    spool: &Spool,
    item: &mut Item,
    why: &Error,
    done: &mut Committed,
) -> Result<(), Error> {
    let reason = why.to_string();
    spool.set_aside(&item.record, &reason)?;
    item.set_aside = true;
    done.set_aside.push(reason);
    Ok(())
}
