//! The work one message may cost, counted in bytes and in time.
//!
//! Declared sizes cannot bound the work: a zip's entries can say they hold 1,000 bytes each
//! and all point at the same data that inflates to megabytes, and archives nest. So every
//! byte that decompression and scanning actually read or produce is charged to one
//! [`Budget`] shared by the whole message (all parts, all archive entries, nested archives),
//! and the time spent is checked at each charge. Past either limit the work stops and the
//! rest of the message is `unscannable`.

use std::fmt;
use std::time::{Duration, Instant};

/// The default for [`MailLimits::max_work_bytes`](super::MailLimits::max_work_bytes).
pub const DEFAULT_WORK_BYTES: u64 = 64 << 20;

/// The default for [`MailLimits::time_limit`](super::MailLimits::time_limit).
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(2);

/// Which limit stopped the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// More than this many bytes were read or produced.
    Bytes(u64),
    /// The work took longer than this.
    Time(Duration),
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exhausted::Bytes(max) => {
                write!(
                    f,
                    "work limit of {} MiB reached; the rest was not checked",
                    max >> 20
                )
            }
            Exhausted::Time(limit) => write!(
                f,
                "time limit of {} ms reached; the rest was not checked",
                limit.as_millis()
            ),
        }
    }
}

/// Bytes and time left for one message.
#[derive(Debug, Clone)]
pub struct Budget {
    max_bytes: u64,
    spent: u64,
    time_limit: Duration,
    // A monotonic clock, read only to stop runaway work. It is not a decision clock: time
    // windows and everything else a rule looks at use `Context::at`, which the gateway hands
    // in. Only a message that runs out of time gets a different answer (`unscannable`).
    started: Instant,
    exhausted: Option<Exhausted>,
}

impl Budget {
    /// A budget of `max_bytes` read or produced and `time_limit` from now.
    pub fn new(max_bytes: u64, time_limit: Duration) -> Budget {
        Budget {
            max_bytes,
            spent: 0,
            time_limit,
            started: Instant::now(),
            exhausted: None,
        }
    }

    /// Counts `bytes` of work. `Err` once either limit is passed, and at every call after.
    pub fn charge(&mut self, bytes: usize) -> Result<(), Exhausted> {
        if let Some(why) = self.exhausted {
            return Err(why);
        }
        self.spent = self
            .spent
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
        if self.spent > self.max_bytes {
            self.exhausted = Some(Exhausted::Bytes(self.max_bytes));
        } else if self.started.elapsed() > self.time_limit {
            self.exhausted = Some(Exhausted::Time(self.time_limit));
        }
        self.exhausted.map_or(Ok(()), Err)
    }

    /// Bytes counted so far (more than the limit once it was passed).
    pub fn spent(&self) -> u64 {
        self.spent
    }

    /// Bytes that may still be charged before the byte limit is passed.
    pub fn bytes_left(&self) -> u64 {
        self.max_bytes.saturating_sub(self.spent)
    }

    /// Which limit stopped the work, if one did.
    pub fn exhausted(&self) -> Option<Exhausted> {
        self.exhausted
    }
}

impl Default for Budget {
    /// The default limits, starting now.
    fn default() -> Self {
        Budget::new(DEFAULT_WORK_BYTES, DEFAULT_TIME_LIMIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_past_the_limit_exhaust_it_for_good() {
        let mut b = Budget::new(100, Duration::from_secs(60));
        assert_eq!(b.charge(60), Ok(()));
        assert_eq!(b.bytes_left(), 40);
        assert_eq!(b.charge(41), Err(Exhausted::Bytes(100)));
        assert_eq!(b.charge(0), Err(Exhausted::Bytes(100)));
        assert_eq!(b.spent(), 101);
    }

    #[test]
    fn time_past_the_limit_exhausts_it() {
        let mut b = Budget::new(u64::MAX, Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(b.charge(1), Err(Exhausted::Time(Duration::ZERO)));
    }
}
