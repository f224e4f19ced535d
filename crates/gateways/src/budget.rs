//! A memory budget in bytes, shared by every connection of one gateway. Each connection
//! keeps an [`Account`] of the bytes it holds (read buffer, message so far); growing it past
//! what the budget has left fails, and the gateway refuses that message or request with a
//! temporary error instead of growing without bound. The first `free` bytes of every
//! connection are not charged, so small requests keep working while large ones have used
//! the budget up; the worst case is `limit + max_connections × free`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes shared by the connections of one gateway.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: usize,
    free: usize,
    used: AtomicUsize,
}

/// The budget could not cover what a connection asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    /// The bytes the connection wanted to hold.
    pub wanted: usize,
}

impl fmt::Display for OverBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "memory budget exhausted holding {} bytes", self.wanted)
    }
}

impl std::error::Error for OverBudget {}

impl MemoryBudget {
    /// A budget of `limit` bytes, charging each connection only for what it holds beyond
    /// `free` bytes.
    pub fn new(limit: usize, free: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            limit,
            free,
            used: AtomicUsize::new(0),
        })
    }

    /// Bytes charged now, over all connections.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// An empty account for a new connection.
    pub fn account(self: &Arc<Self>) -> Account {
        Account {
            budget: Arc::clone(self),
            charged: 0,
        }
    }

    fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// What one connection holds of its gateway's budget; given back when dropped.
#[derive(Debug)]
pub struct Account {
    budget: Arc<MemoryBudget>,
    charged: usize,
}

impl Account {
    /// Records that the connection now holds `bytes`. Fails, keeping the previous amount,
    /// when the budget cannot cover the growth.
    pub fn hold(&mut self, bytes: usize) -> Result<(), OverBudget> {
        let charge = bytes.saturating_sub(self.budget.free);
        if charge <= self.charged {
            self.budget.give_back(self.charged - charge);
        } else if !self.budget.take(charge - self.charged) {
            return Err(OverBudget { wanted: bytes });
        }
        self.charged = charge;
        Ok(())
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        self.budget.give_back(self.charged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_share_the_limit_beyond_their_free_bytes() {
        let budget = MemoryBudget::new(1000, 100);
        let mut a = budget.account();
        let mut b = budget.account();
        assert_eq!(a.hold(100), Ok(()));
        assert_eq!(budget.used(), 0);
        assert_eq!(a.hold(900), Ok(()));
        assert_eq!(budget.used(), 800);
        assert_eq!(b.hold(400), Err(OverBudget { wanted: 400 }));
        assert_eq!(b.hold(300), Ok(()));
        assert_eq!(budget.used(), 1000);
        // Shrinking gives bytes back; dropping gives back the rest.
        assert_eq!(a.hold(500), Ok(()));
        assert_eq!(budget.used(), 600);
        drop(a);
        assert_eq!(budget.used(), 200);
        assert_eq!(b.hold(0), Ok(()));
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_failed_hold_keeps_the_previous_amount() {
        let budget = MemoryBudget::new(100, 0);
        let mut a = budget.account();
        a.hold(60).unwrap();
        assert!(a.hold(200).is_err());
        assert_eq!(budget.used(), 60);
        drop(a);
        assert_eq!(budget.used(), 0);
    }
}
