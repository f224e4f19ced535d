//! Engine work off the async reactor. A mail decision can take far longer than a network
//! answer should (a crafted archive, a huge message), so the mail gateways never call the
//! engine on a reactor thread: each decision runs on tokio's blocking threads, at most
//! `threads` at once per pool, and the gateway waits for it only until a deadline. Past the
//! deadline the gateway answers its peer as for an engine failure (milter: tempfail; policy
//! service: defer) and the work carries on to its end in the background, still holding its
//! thread, so a pool never runs more than `threads` decisions however many time out.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// Why a decision did not come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfinished {
    /// Not done by the deadline, counting the wait for a free thread.
    TimedOut,
    /// The engine panicked.
    Panicked,
}

/// A bounded set of threads for engine work, with a deadline per decision.
#[derive(Debug, Clone)]
pub struct DecisionPool {
    threads: Arc<Semaphore>,
    deadline: Duration,
}

impl DecisionPool {
    /// At most `threads` decisions at once (at least one), each given up on after `deadline`.
    pub fn new(threads: usize, deadline: Duration) -> DecisionPool {
        DecisionPool {
            threads: Arc::new(Semaphore::new(threads.max(1))),
            deadline,
        }
    }

    /// A pool with one thread fewer than the machine has cores (at least one), so a run of
    /// slow decisions always leaves a core for the reactor that answers ICAP and the policy
    /// service.
    pub fn sized_to_cores(deadline: Duration) -> DecisionPool {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        DecisionPool::new(cores.saturating_sub(1), deadline)
    }

    /// How long a decision is waited for.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Runs `work` on a pool thread and waits for its answer until the deadline.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Unfinished>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let threads = Arc::clone(&self.threads);
        let job = async move {
            // INVARIANT: the semaphore is never closed, so acquiring fails only by waiting
            // past the deadline, which the timeout below reports.
            let Ok(permit) = threads.acquire_owned().await else {
                return Err(Unfinished::TimedOut);
            };
            let handle = tokio::task::spawn_blocking(move || {
                // Held until the work ends, even when nobody waits for it any more.
                let _permit = permit;
                catch_unwind(AssertUnwindSafe(work))
            });
            match handle.await {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(_)) | Err(_) => Err(Unfinished::Panicked),
            }
        };
        tokio::time::timeout(self.deadline, job)
            .await
            .unwrap_or(Err(Unfinished::TimedOut))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn an_answer_comes_back() {
        let pool = DecisionPool::new(1, Duration::from_secs(5));
        assert_eq!(runtime().block_on(pool.run(|| 6 * 7)), Ok(42));
    }

    #[test]
    fn a_panic_is_reported_not_propagated() {
        let pool = DecisionPool::new(1, Duration::from_secs(5));
        let got = runtime().block_on(pool.run(|| -> u32 { panic!("engine bug") }));
        assert_eq!(got, Err(Unfinished::Panicked));
        // The thread it held is free again.
        assert_eq!(runtime().block_on(pool.run(|| 1)), Ok(1));
    }

    #[test]
    fn slow_work_times_out_and_keeps_its_thread_until_it_ends() {
        let pool = DecisionPool::new(1, Duration::from_millis(200));
        let rt = runtime();
        let release = Arc::new(std::sync::Barrier::new(2));
        let held = Arc::clone(&release);
        let got = rt.block_on(pool.run(move || {
            held.wait();
        }));
        assert_eq!(got, Err(Unfinished::TimedOut));
        // The slow work still holds the only thread: the next decision waits for it and
        // times out without running.
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&ran);
        let got = rt.block_on(pool.run(move || counter.fetch_add(1, Ordering::SeqCst)));
        assert_eq!(got, Err(Unfinished::TimedOut));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        // Once it ends, decisions run again.
        release.wait();
        let counter = Arc::clone(&ran);
        let got = rt.block_on(pool.run(move || counter.fetch_add(1, Ordering::SeqCst)));
        assert_eq!(got, Ok(0));
    }
}
