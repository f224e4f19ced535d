//! Sign-in attempts per address: at most [`PER_WINDOW`] in [`WINDOW`], so one address cannot
//! walk through many logins (each login is also locked by the app after 10 failures).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts one address may make in [`WINDOW`].
pub(crate) const PER_WINDOW: u32 = 30;
/// The window.
pub(crate) const WINDOW: Duration = Duration::from_secs(600);
/// Addresses remembered at most; past it the oldest windows are forgotten.
const MAX_ADDRESSES: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct Limiter {
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    /// Counts an attempt from `addr` at `now`; false when it is over the limit.
    pub(crate) fn allow(&self, addr: IpAddr, now: Instant) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        if seen.len() >= MAX_ADDRESSES {
            seen.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = seen.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= PER_WINDOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_past_the_limit_until_the_window_passes() {
        let l = Limiter::default();
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let t = Instant::now();
        for _ in 0..PER_WINDOW {
            assert!(l.allow(a, t));
        }
        assert!(!l.allow(a, t));
        assert!(l.allow(b, t), "another address is counted apart");
        assert!(l.allow(a, t + WINDOW));
    }
}
