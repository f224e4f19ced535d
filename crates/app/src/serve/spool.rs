//! The spool writer of `serve`: one thread takes every decision the gateways offer to the
//! [`Recorder`] and appends it to the spool on disk (`charter_store::spool`). Each batch it
//! finds waiting goes to the operating system in one write as soon as it arrives, so a killed
//! process loses only decisions made in the last moments (well under 100 ms), and the disk
//! is synced once a second against power cuts. The store is not its concern: however slow or
//! absent the store, the spool grows and nothing is dropped while the disk has room.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use charter_gateways::record::{Recorded, Recorder};
use charter_policy::Area;
use charter_store::Source;
use charter_store::spool::{Counters, Decided, Position, Spool, SpoolWriter, write_stats};

use super::ServeError;

/// Decisions that may wait for the thread (a few megabytes). It writes hundreds of thousands
/// a second, far more than gateways decide; the queue only absorbs bursts.
const QUEUE: usize = 32_768;
/// Decisions per write.
const PER_WRITE: usize = 4096;
/// How often the thread looks up from the queue: to stop, sync and publish its counters.
const TICK: Duration = Duration::from_millis(100);
/// How long the thread lets decisions gather after a batch that did not fill a write. While
/// it sleeps, a gateway's offer is a push onto the queue, not a wake-up of this thread (a
/// futex call on every request, a fifth of ICAP's CPU when it woke per decision).
const GATHER: Duration = Duration::from_millis(2);
/// How often the spool is synced to disk and `stats.json` rewritten.
const EVERY: Duration = Duration::from_secs(1);

/// The running spool writer.
#[derive(Debug)]
pub(super) struct SpoolFeed {
    thread: JoinHandle<()>,
    stop: Arc<AtomicBool>,
    end: watch::Receiver<Position>,
}

impl SpoolFeed {
    /// Writes what is queued, syncs, and stops the thread; returns where the spool ends.
    pub(super) async fn finish(self) -> Position {
        self.stop.store(true, Ordering::Release);
        let thread = self.thread;
        // A panic in the thread has already been printed; what it wrote stays in the spool.
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        *self.end.borrow()
    }
}

/// Starts the writer on `spool`: returns the recorder gateways offer decisions to, the
/// thread, and where the spool ends (moved after every write, for the store writer).
pub(super) fn start(
    spool: Arc<Spool>,
    counters: Arc<Counters>,
) -> Result<(Recorder, SpoolFeed, watch::Receiver<Position>), ServeError> {
    let writer = spool.writer()?;
    let (end_tx, end_rx) = watch::channel(writer.end());
    let (recorder, queue) = Recorder::channel(QUEUE);
    let stop = Arc::new(AtomicBool::new(false));
    let feed = Feed {
        spool,
        appender: Appender::new("charter serve", writer, Arc::clone(&counters), end_tx),
        counters,
        recorder: recorder.clone(),
        queue,
        stop: Arc::clone(&stop),
        queue_drops_seen: 0,
    };
    let thread = std::thread::Builder::new()
        .name("spool-writer".into())
        .spawn(move || feed.run())
        .map_err(|cause| ServeError::Start {
            what: "start the spool writer",
            cause,
        })?;
    let feed = SpoolFeed {
        thread,
        stop,
        end: end_rx.clone(),
    };
    Ok((recorder, feed, end_rx))
}

struct Feed {
    spool: Arc<Spool>,
    appender: Appender,
    counters: Arc<Counters>,
    recorder: Recorder,
    queue: Receiver<Recorded>,
    stop: Arc<AtomicBool>,
    queue_drops_seen: u64,
}

/// Appends batches of records to a spool, counting what it did and publishing where the
/// spool ends for the store writer: `serve`'s spool thread and each Squid helper process
/// (`helper.rs`) write through one of these.
pub(super) struct Appender {
    /// Who logs (`charter serve`, `charter squid-helper`).
    who: &'static str,
    writer: SpoolWriter,
    counters: Arc<Counters>,
    end: watch::Sender<Position>,
    failed_since_log: u64,
}

impl Appender {
    pub(super) fn new(
        who: &'static str,
        writer: SpoolWriter,
        counters: Arc<Counters>,
        end: watch::Sender<Position>,
    ) -> Appender {
        Appender {
            who,
            writer,
            counters,
            end,
            failed_since_log: 0,
        }
    }

    /// Appends `batch` in one write, each decision encoded straight from the engine's, and
    /// empties it; a failed write is counted as dropped.
    pub(super) fn append(&mut self, batch: &mut Vec<Recorded>) {
        if batch.is_empty() {
            return;
        }
        let who = self.who;
        let n = batch.len() as u64;
        self.counters.received.fetch_add(n, Ordering::Relaxed);
        match self.writer.append(batch.iter().map(decided)) {
            Ok(done) => {
                self.counters
                    .spooled
                    .fetch_add(done.written, Ordering::Relaxed);
                if done.too_large > 0 {
                    self.counters
                        .dropped
                        .fetch_add(done.too_large, Ordering::Relaxed);
                    eprintln!(
                        "{who}: dropped={}: Decisions too large to spool were dropped.",
                        done.too_large
                    );
                }
                self.end.send_replace(self.writer.end());
            }
            Err(e) => {
                self.counters.dropped.fetch_add(n, Ordering::Relaxed);
                if self.failed_since_log == 0 {
                    eprintln!("{who}: dropped={n} error={e}: Decisions not spooled.");
                }
                self.failed_since_log += n;
            }
        }
        batch.clear();
    }

    /// Syncs to disk from this thread.
    fn sync(&mut self) {
        if let Err(e) = self.writer.sync() {
            eprintln!("{}: error={e}: Spool not synced to disk.", self.who);
        }
    }

    /// Logs the decisions not spooled since the last call.
    pub(super) fn log_failed(&mut self) {
        if self.failed_since_log > 0 {
            eprintln!(
                "{}: dropped={}: Decisions not spooled in the last second.",
                self.who, self.failed_since_log
            );
            self.failed_since_log = 0;
        }
    }
}

impl Feed {
    fn run(mut self) {
        let mut batch = Vec::with_capacity(PER_WRITE);
        let mut last = Instant::now();
        loop {
            if self.stop.load(Ordering::Acquire) {
                // What was offered before the stop is written; the queue is bounded, so this
                // ends even if a connection still being served keeps deciding.
                while let Ok(next) = self.queue.try_recv() {
                    batch.push(next);
                    if batch.len() == PER_WRITE {
                        self.write(&mut batch);
                    }
                }
                self.write(&mut batch);
                break;
            }
            match self.queue.recv_timeout(TICK) {
                Ok(first) => {
                    batch.push(first);
                    while batch.len() < PER_WRITE
                        && let Ok(next) = self.queue.try_recv()
                    {
                        batch.push(next);
                    }
                    let full = batch.len() == PER_WRITE;
                    self.write(&mut batch);
                    if !full {
                        std::thread::sleep(GATHER);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if last.elapsed() >= EVERY {
                last = Instant::now();
                self.tick();
            }
        }
        self.tick();
    }

    fn write(&mut self, batch: &mut Vec<Recorded>) {
        self.appender.append(batch);
    }

    /// Syncs, brings the drop count in from the recorder, logs drops, writes `stats.json`.
    fn tick(&mut self) {
        self.appender.sync();
        let queue_drops = self.recorder.dropped();
        let new = queue_drops - self.queue_drops_seen;
        if new > 0 {
            self.queue_drops_seen = queue_drops;
            self.counters.dropped.fetch_add(new, Ordering::Relaxed);
            eprintln!(
                "charter serve: dropped={new} total={}: Decisions dropped: the spool writer fell behind.",
                self.counters.dropped.load(Ordering::Relaxed)
            );
        }
        self.appender.log_failed();
        let stats = self.counters.snapshot(true);
        if let Err(e) = write_stats(self.spool.dir(), &stats) {
            eprintln!(
                "charter serve: spool={} error={e}: Spool counters not written.",
                self.spool.dir().display()
            );
        }
    }
}

/// The spool's view of a gateway's decision.
fn decided(r: &Recorded) -> Decided<'_> {
    Decided {
        at: r.at,
        user: r.user.as_deref(),
        source: match r.source {
            Area::Web => Source::Web,
            Area::Mail => Source::Mail,
            Area::Activity => Source::Activity,
        },
        subject: &r.subject,
        detail: None,
        decision: &r.decision,
    }
}
