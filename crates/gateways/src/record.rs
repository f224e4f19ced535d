//! Handing decisions to the monitoring records without slowing a gateway down.
//!
//! A gateway answers its peer first and then offers what it decided to a [`Recorder`]; a
//! writer task elsewhere (the CLI's `serve`) batches them into the store. Offering never
//! waits: when the writer falls so far behind that the queue is full, the record is counted
//! as dropped and the gateway carries on, because enforcement must not stall on the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use tokio::sync::mpsc;

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

/// Where gateways offer their decisions. Cheap to clone; [`Recorder::off`] records nothing.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    queue: Option<mpsc::Sender<Recorded>>,
    dropped: Arc<AtomicU64>,
}

impl Recorder {
    /// A recorder that keeps nothing.
    pub fn off() -> Recorder {
        Recorder::default()
    }

    /// A recorder feeding a queue of `capacity` decisions, and the queue's receiving end.
    pub fn channel(capacity: usize) -> (Recorder, mpsc::Receiver<Recorded>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
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

    /// How many decisions were dropped because the queue was full or closed.
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
        let (r, mut rx) = Recorder::channel(1);
        r.record(decided());
        r.record(decided());
        assert_eq!(r.dropped(), 1);
        assert!(rx.try_recv().is_ok());
        assert!(rx.try_recv().is_err());
    }
}
