//! The record writer of `serve`: connects to the store (and keeps trying while it is down)
//! and writes what the spool holds in batches. The other tasks that need the store (the
//! register, the retention job) wait for it through the same [`StoreLink`].
//!
//! None of it can stop the gateways deciding: until the store is reachable decisions wait
//! in the spool.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use charter_store::spool::{Counters, Position, Spool, usage};
use charter_store::{Actor, Error, Store, redact_url};

use super::ServeError;
use super::monitor;
use crate::monitor::Monitor;

/// Records per write: large batches are what make the store fast (docs/store.md).
const BATCH: usize = 10_000;
/// How long decisions gather in the spool after a batch that did not fill a write: fewer,
/// larger transactions cost the store a fraction of the CPU of one per spool write, and a
/// record reaches the store (and its alert the monitor) this much later at most.
const GATHER: Duration = Duration::from_millis(20);
/// Waits between tries while the store is down: doubling from the first to the last.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_LAST: Duration = Duration::from_secs(5);
/// How often a store that stays down is logged again, with the spool's backlog.
const DOWN_LOG_EVERY: Duration = Duration::from_secs(60);

/// The store as `serve` sees it: not there yet, then open.
#[derive(Debug, Clone)]
pub(super) struct StoreLink {
    store: watch::Receiver<Option<Store>>,
    through: watch::Receiver<Position>,
}

impl StoreLink {
    /// The store, once it has been reached.
    pub(super) async fn get(&mut self) -> Store {
        loop {
            if let Some(store) = self.store.borrow_and_update().clone() {
                return store;
            }
            if self.store.changed().await.is_err() {
                // The connecting task ended without a store: `serve` is failing anyway.
                std::future::pending::<()>().await;
            }
        }
    }

    /// The store if it is reached within `wait`.
    pub(super) async fn within(&mut self, wait: Duration) -> Option<Store> {
        tokio::time::timeout(wait, self.get()).await.ok()
    }

    /// Waits (at most `wait`) until every record before `end` has been committed to the store
    /// (or set aside); says whether that happened.
    pub(super) async fn drained_to(&mut self, end: Position, wait: Duration) -> bool {
        let done = self.through.wait_for(|through| *through >= end);
        matches!(tokio::time::timeout(wait, done).await, Ok(Ok(_)))
    }
}

/// Starts connecting to the store at `url` and, in `tasks`, the writer that moves the spool
/// into it.
pub(super) fn start(
    url: String,
    spool: Arc<Spool>,
    counters: Arc<Counters>,
    end: watch::Receiver<Position>,
    monitor: Option<Arc<Monitor>>,
    tasks: &mut JoinSet<Result<(), ServeError>>,
) -> StoreLink {
    let (link, through) = connecting(url, Arc::clone(&counters), tasks);
    tasks.spawn(
        Writer {
            link: link.clone(),
            spool,
            counters,
            end,
            through,
            monitor,
        }
        .run(),
    );
    link
}

/// Starts connecting to the store at `url` in `tasks`, for a process that writes no spool
/// to it (a Squid helper that could not claim a spool slot still reads the register).
pub(super) fn start_reading(
    url: String,
    counters: Arc<Counters>,
    tasks: &mut JoinSet<Result<(), ServeError>>,
) -> StoreLink {
    connecting(url, counters, tasks).0
}

/// The link to the store that `connect`, spawned in `tasks`, provides once reached, and the
/// sender of how far the spool is committed.
fn connecting(
    url: String,
    counters: Arc<Counters>,
    tasks: &mut JoinSet<Result<(), ServeError>>,
) -> (StoreLink, watch::Sender<Position>) {
    let (store_tx, store_rx) = watch::channel(None);
    let (through_tx, through_rx) = watch::channel(Position::default());
    tasks.spawn(connect(url, counters, store_tx));
    let link = StoreLink {
        store: store_rx,
        through: through_rx,
    };
    (link, through_tx)
}

/// Opens the store, trying again while it cannot be reached; a URL that can never work
/// (neither SQLite nor PostgreSQL) ends `serve`.
async fn connect(
    url: String,
    counters: Arc<Counters>,
    link: watch::Sender<Option<Store>>,
) -> Result<(), ServeError> {
    let shown = redact_url(&url);
    let mut wait = RETRY_FIRST;
    let mut logged = Instant::now();
    loop {
        match Store::open(&url).await {
            Ok(store) => {
                counters.set_store(true, None);
                eprintln!("charter serve: store={shown}: Store reachable; recording decisions.");
                link.send_replace(Some(store));
                return Ok(());
            }
            Err(e @ Error::Url(_)) => return Err(ServeError::Store(e)),
            Err(e) => {
                if counters.set_store(false, Some(e.to_string()))
                    || logged.elapsed() >= DOWN_LOG_EVERY
                {
                    logged = Instant::now();
                    eprintln!(
                        "charter serve: store={shown} error={e}: Store unreachable; decisions wait in the spool until it is."
                    );
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RETRY_LAST);
            }
        }
    }
}

/// Moves the spool into the store.
struct Writer {
    link: StoreLink,
    spool: Arc<Spool>,
    counters: Arc<Counters>,
    end: watch::Receiver<Position>,
    /// Everything before this is committed (or set aside).
    through: watch::Sender<Position>,
    /// Alerts and personal-use accounting, fed every committed batch.
    monitor: Option<Arc<Monitor>>,
}

impl Writer {
    async fn run(mut self) -> Result<(), ServeError> {
        let actor = Actor::System("serve".into());
        let mut wait = RETRY_FIRST;
        let mut logged = Instant::now();
        loop {
            let store = self.link.get().await;
            // Resume where the store says the last committed batch ended: a batch written
            // before a kill is never written twice, and one not committed is written again.
            let mark = match store.spool_mark(self.spool.id()).await {
                Ok(mark) => {
                    if let Some(mark) = mark {
                        self.counters.set_acked(mark);
                    }
                    mark
                }
                Err(e) => {
                    self.down(&e, &mut logged);
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_LAST);
                    continue;
                }
            };
            let mut reader = Some(self.spool.reader(mark));
            let stopped = loop {
                let end = *self.end.borrow_and_update();
                let Some(mut r) = reader.take() else {
                    break None;
                };
                let (r, read) = tokio::task::spawn_blocking(move || {
                    let read = r.read(end, BATCH);
                    (r, read)
                })
                .await?;
                let batch = match read {
                    Ok(batch) => batch,
                    Err(e) => {
                        eprintln!(
                            "charter serve: spool={} error={e}: Spool not readable; trying again.",
                            self.spool.dir().display()
                        );
                        break None;
                    }
                };
                if batch.damaged > 0 {
                    self.counters
                        .damaged_bytes
                        .fetch_add(batch.damaged, Ordering::Relaxed);
                    eprintln!(
                        "charter serve: spool={} bytes={}: Damaged spool bytes skipped (a torn write from a killed process, or disk damage).",
                        self.spool.dir().display(),
                        batch.damaged
                    );
                }
                if batch.records.is_empty() {
                    self.through.send_replace(r.position());
                    reader = Some(r);
                    // INVARIANT: `end` is published after every spool write, so a change
                    // always follows records to read.
                    if self.end.changed().await.is_err() {
                        return Ok(());
                    }
                    continue;
                }
                let full = batch.records.len() >= BATCH;
                let kept = monitor::keep(self.monitor.as_deref(), &batch.records);
                let done = store
                    .store_spooled(&actor, &self.spool, batch.records)
                    .await;
                monitor::after_commit(self.monitor.as_deref(), &store, kept, done.acked).await;
                self.counters
                    .stored
                    .fetch_add(done.stored, Ordering::Relaxed);
                self.counters
                    .cleaned
                    .fetch_add(done.cleaned, Ordering::Relaxed);
                self.counters
                    .set_aside
                    .fetch_add(done.set_aside.len() as u64, Ordering::Relaxed);
                if done.cleaned > 0 {
                    eprintln!(
                        "charter serve: cleaned={}: Records stored with a field truncated or NUL characters replaced.",
                        done.cleaned
                    );
                }
                for reason in &done.set_aside {
                    eprintln!(
                        "charter serve: spool={} reason={reason}: Record set aside in rejects.jsonl; the rest of its batch was stored.",
                        self.spool.dir().display()
                    );
                }
                if let Some(acked) = done.acked {
                    self.counters.set_acked(acked);
                    if let Err(e) = self.spool.remove_before(acked) {
                        eprintln!("charter serve: error={e}: Spool segments not removed.");
                    }
                }
                match done.stopped {
                    Some(e) => break Some(e),
                    None => {
                        self.through.send_replace(r.position());
                        reader = Some(r);
                        self.up();
                        wait = RETRY_FIRST;
                        if !full {
                            tokio::time::sleep(GATHER).await;
                        }
                    }
                }
            };
            if let Some(e) = stopped {
                self.down(&e, &mut logged);
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(RETRY_LAST);
        }
    }

    fn up(&self) {
        if self.counters.set_store(true, None) {
            eprintln!("charter serve: Store taking records again; catching up from the spool.");
        }
    }

    fn down(&self, e: &Error, logged: &mut Instant) {
        if self.counters.set_store(false, Some(e.to_string())) || logged.elapsed() >= DOWN_LOG_EVERY
        {
            *logged = Instant::now();
            let bytes = usage(self.spool.dir())
                .map(|u| u.bytes.to_string())
                .unwrap_or_else(|_| "?".into());
            eprintln!(
                "charter serve: error={e} spool_bytes={bytes}: Store not taking records; they wait in the spool."
            );
        }
    }
}
