//! Handing decisions to the monitoring records without slowing a gateway down.
//!
//! A gateway answers its peer first and then offers what it decided to a [`Recorder`]. The
//! receiving end is a thread of the CLI's `serve` that appends every decision to the spool
//! on disk (`charter_store::spool`), from where another task writes them to the store: a
//! slow or absent store makes the spool grow, it never makes a gateway wait or a record drop.
//! Offering never blocks; only if that thread itself fell a whole queue behind (the disk
//! stalled) would a decision be dropped, and then it is counted ([`Recorder::dropped`]) and
//! the count logged and shown by `charter records stats`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use jiff::Timestamp;

use charter_engine::Decision;
use charter_policy::Area;

/// One decision a gateway made, for the monitoring records.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When it was decided.
    pub at: Timestamp,
    /// Who, when known.
    pub user: Option<String>,
    /// Web or mail.
    pub source: Area,
    /// The URL, or the message's envelope and subject (never its body).
    pub subject: String,
    /// What was decided.
    pub decision: Decision,
}

/// Where the Squid helper puts its decisions: a process of its own that Squid may kill at any
/// moment, so each read's decisions are written to the spool before their answers go out
/// (nothing Squid has been answered about is lost), and the store is left to a thread.
pub trait Journal: Send {
    /// Puts `batch` where a killed process cannot lose it (one write to the operating
    /// system, no sync), and empties it. Never waits on the store.
    fn write(&mut self, batch: &mut Vec<Recorded>);
}

/// Where gateways offer their decisions. Cheap to clone; [`Recorder::off`] records nothing.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    queue: Option<mpsc::SyncSender<Recorded>>,
    dropped: Arc<AtomicU64>,
}

impl Recorder {
    /// A recorder that keeps nothing.
    pub fn off() -> Recorder {
        Recorder::default()
    }

    /// A recorder feeding a queue of `capacity` decisions, and the queue's receiving end, for
    /// a thread that may block on it.
    pub fn channel(capacity: usize) -> (Recorder, mpsc::Receiver<Recorded>) {
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        let recorder = Recorder {
            queue: Some(tx),
            dropped: Arc::default(),
        };
        (recorder, rx)
    }

    /// Offers one decision; never waits.
    pub fn record(&self, decided: Recorded) {
        if let Some(queue) = &self.queue
            && queue.try_send(decided).is_err()
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many decisions were dropped because the queue was full or its reader gone.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_engine::Privacy;

    fn decided() -> Recorded {
        Recorded {
            at: Timestamp::UNIX_EPOCH,
            user: None,
            source: Area::Web,
            subject: "http://example.org/".into(),
            decision: Decision::from_findings(Vec::new(), Privacy::Full, Some(Vec::new())),
        }
    }

    #[test]
    fn off_keeps_nothing_and_drops_nothing() {
        let r = Recorder::off();
        r.record(decided());
        assert_eq!(r.dropped(), 0);
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let (r, rx) = Recorder::channel(1);
        r.record(decided());
        r.record(decided());
        assert_eq!(r.dropped(), 1);
        assert!(rx.try_recv().is_ok());
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_gone_reader_is_counted_as_dropped() {
        let (r, rx) = Recorder::channel(8);
        drop(rx);
        r.record(decided());
        assert_eq!(r.dropped(), 1);
    }

    #[test]
    fn clones_share_one_queue_and_one_count() {
        let (r, rx) = Recorder::channel(1);
        let other = r.clone();
        r.record(decided());
        other.record(decided());
        assert_eq!((r.dropped(), other.dropped()), (1, 1));
        assert!(rx.try_recv().is_ok());
    }
}
