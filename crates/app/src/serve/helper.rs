//! What `charter squid-helper --config charter.toml` runs beside its answering loop: roles
//! and devices from the people register, the DHCP leases files, and the monitoring records,
//! each through the same code as `serve`.
//!
//! Squid starts several helper processes (`children-max`) and restarts them on reconfigure,
//! and one spool has one writer. So each process claims a spool of its own, the first free
//! `helper-N` directory under `[spool] dir` (each locked while its process lives, as
//! `serve`'s spool is), and moves it into the store itself with `serve`'s record writer: the
//! store's mark for that slot makes a restarted helper that claims it resume exactly after
//! the last committed batch, so nothing is lost or written twice across a restart.
//!
//! The answering loop never waits for any of it: each read's decisions go to the slot in one
//! write to the operating system before their answers (so a helper killed at any moment has
//! lost nothing Squid was answered about), and everything else (the store, the disk sync,
//! the register, the leases files) happens on a thread of its own.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use charter_gateways::identity::Identities;
use charter_gateways::record::{Journal, Recorded};
use charter_gateways::web::Roles;
use charter_store::redact_url;
use charter_store::spool::{
    Counters, Position, Spool, SpoolError, read_stats, sync_newest, write_stats,
};

use super::identity::{read_leases, watch_leases};
use super::register::{Register, read_register, refresh};
use super::spool::Appender;
use super::{ServeError, first_failure, monitor, records, waiting};
use crate::config::{Config, refuse_world_writable};
use crate::monitor::Monitor;
use charter_engine::Engine;

/// Who the helper's log lines (in Squid's cache.log) come from.
const WHO: &str = "charter squid-helper";
/// Slots a spool directory offers helpers; Squid's `children-max` is usually a handful.
const SLOTS: usize = 32;
/// How long a starting helper waits for the first read of the register before answering.
const REGISTER_AT_START: Duration = Duration::from_secs(2);
/// How often the slot is synced to disk and its counters written.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// What the answering loop decides and records with.
pub struct HelperParts {
    /// Roles from the register, with the `--user-roles` file winning.
    pub roles: Roles,
    /// Client addresses mapped to people.
    pub identities: Identities,
    /// Where each read's decisions go before their answers; `None` when this helper could
    /// not claim a spool slot (it then decides without recording, and has said why).
    pub journal: Option<Box<dyn Journal>>,
}

impl std::fmt::Debug for HelperParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelperParts")
            .field("users", &self.roles.len())
            .finish_non_exhaustive()
    }
}

/// The helper's background thread.
#[derive(Debug)]
pub struct HelperRun {
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl HelperRun {
    /// Reads the config at `path`, claims a spool slot and starts the background thread;
    /// waits up to two seconds for the first read of the register. `overrides` (the
    /// `--user-roles` file) win over the register. A spool slot this process cannot use (the
    /// directory belongs to another user) is logged, and the helper decides without recording
    /// rather than refusing everyone.
    pub fn start(
        path: &Path,
        engine: Arc<Engine>,
        overrides: Roles,
    ) -> Result<(HelperRun, HelperParts), ServeError> {
        let config = Config::load(path)?;
        let watcher = monitor::build(&config, &engine)?;
        let url = config.store_url(path)?;
        refuse_world_writable(&config.spool.dir, "spool")?;
        let (slot, journal) = match Slot::claim(&config.spool.dir) {
            Ok((slot, journal)) => {
                eprintln!(
                    "{WHO}: spool={} store={}: Recording decisions through this helper's spool slot.",
                    slot.spool.dir().display(),
                    redact_url(&url)
                );
                (Some(slot), Some(Box::new(journal) as Box<dyn Journal>))
            }
            Err(e) => {
                eprintln!(
                    "{WHO}: spool={} error={e}: Decisions NOT recorded: this helper cannot use a spool slot there (docs/squid.md, \"Identity, the register and the records\").",
                    config.spool.dir.display()
                );
                (None, None)
            }
        };
        let register = Register::from_overrides(&overrides);
        let leases = config.identity.leases.clone();
        let stamps = read_leases(WHO, &leases, &register.identities);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel();
        let background = Background {
            url,
            slot,
            monitor: watcher,
            register: register.clone(),
            overrides,
            leases,
            drain: Duration::from_secs(config.spool.drain_seconds),
        };
        let thread = std::thread::Builder::new()
            .name("helper-background".into())
            .spawn(move || background.run(stamps, ready_tx, stopped))
            .map_err(|cause| ServeError::Start {
                what: "start the helper's background thread",
                cause,
            })?;
        if ready_rx.recv_timeout(REGISTER_AT_START).is_err() {
            eprintln!(
                "{WHO}: users={}: Answering before the people register is read; roles and devices come when it is.",
                register.roles.len()
            );
        }
        let parts = HelperParts {
            roles: register.roles.clone(),
            identities: register.identities.live(),
            journal,
        };
        Ok((HelperRun { stop, thread }, parts))
    }

    /// Once Squid has closed stdin (and the journal is dropped): syncs the slot and waits at
    /// most `[spool] drain_seconds` for the store to take it; what it does not take waits in
    /// the slot for the next helper that claims it.
    pub fn finish(self) {
        let _ = self.stop.send(());
        // A panic in the thread has been printed; what was spooled stays in the slot.
        let _ = self.thread.join();
    }
}

/// This process's spool slot and what the store writer follows.
struct Slot {
    spool: Arc<Spool>,
    counters: Arc<Counters>,
    end: watch::Receiver<Position>,
}

impl Slot {
    /// Claims a slot under `base` and opens it for appending.
    fn claim(base: &Path) -> Result<(Slot, SpoolJournal), ServeError> {
        let spool = Arc::new(claim_slot(base)?);
        let earlier = read_stats(spool.dir()).map_err(|cause| ServeError::Stats {
            path: spool.dir().join("stats.json"),
            cause,
        })?;
        let counters = Arc::new(Counters::resume(&earlier.unwrap_or_default()));
        let writer = spool.writer()?;
        let (end_tx, end) = watch::channel(writer.end());
        let journal = SpoolJournal {
            appender: Appender::new(WHO, writer, Arc::clone(&counters), end_tx),
        };
        Ok((
            Slot {
                spool,
                counters,
                end,
            },
            journal,
        ))
    }
}

/// The first `helper-N` slot under `base` no other process holds.
fn claim_slot(base: &Path) -> Result<Spool, ServeError> {
    for n in 0..SLOTS {
        match Spool::open(&base.join(format!("helper-{n}"))) {
            Ok(spool) => return Ok(spool),
            Err(SpoolError::InUse(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServeError::Section(format!(
        "all {SLOTS} helper spool slots under `{}` are held by running helpers",
        base.display()
    )))
}

/// Appends each read's decisions to the slot, on the answering thread.
struct SpoolJournal {
    appender: Appender,
}

impl Journal for SpoolJournal {
    fn write(&mut self, batch: &mut Vec<Recorded>) {
        self.appender.append(batch);
    }
}

struct Background {
    url: String,
    slot: Option<Slot>,
    /// Alerts from what the slot commits, as `serve`'s record writer raises them.
    monitor: Arc<Monitor>,
    register: Register,
    overrides: Roles,
    leases: Vec<PathBuf>,
    drain: Duration,
}

impl Background {
    fn run(
        self,
        stamps: Vec<Option<(std::time::SystemTime, u64)>>,
        ready: std::sync::mpsc::Sender<()>,
        stopped: oneshot::Receiver<()>,
    ) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!(
                    "{WHO}: error={e}: No background runtime; decisions stay in the spool slot."
                );
                return;
            }
        };
        runtime.block_on(self.serve(stamps, ready, stopped));
    }

    async fn serve(
        self,
        stamps: Vec<Option<(std::time::SystemTime, u64)>>,
        ready: std::sync::mpsc::Sender<()>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        let mut tasks = JoinSet::new();
        let mut link = match &self.slot {
            Some(slot) => {
                tasks.spawn(sync_slot(
                    Arc::clone(&slot.spool),
                    Arc::clone(&slot.counters),
                ));
                records::start(
                    self.url.clone(),
                    Arc::clone(&slot.spool),
                    Arc::clone(&slot.counters),
                    slot.end.clone(),
                    Some(Arc::clone(&self.monitor)),
                    &mut tasks,
                )
            }
            None => records::start_reading(self.url.clone(), Arc::default(), &mut tasks),
        };
        tasks.spawn(keep_register(
            link.clone(),
            self.register.clone(),
            self.overrides.clone(),
            ready,
        ));
        let (leases, identities) = (self.leases.clone(), self.register.identities.clone());
        tasks.spawn(async move {
            watch_leases(WHO, leases, identities, stamps).await;
            Ok(())
        });
        tokio::select! {
            _ = &mut stopped => {}
            e = first_failure(&mut tasks) => {
                eprintln!("{WHO}: error={e}: Recording stopped; decisions stay in the spool slot.");
                let _ = stopped.await;
            }
        }
        if let Some(slot) = &self.slot {
            slot.drain(&mut link, self.drain).await;
        }
    }
}

impl Slot {
    /// Syncs the slot, then waits at most `drain` for the store to take what it holds.
    async fn drain(&self, link: &mut records::StoreLink, drain: Duration) {
        let dir = self.spool.dir().to_path_buf();
        if let Err(e) = sync_newest(&dir) {
            eprintln!("{WHO}: error={e}: Spool not synced to disk.");
        }
        let end = *self.end.borrow();
        let started = Instant::now();
        let idle = waiting(&self.spool, &self.counters).await == Some(0);
        if idle || link.drained_to(end, drain).await {
            eprintln!(
                "{WHO}: elapsed_ms={}: Spool slot written to the store; stopped.",
                started.elapsed().as_millis()
            );
        } else {
            eprintln!(
                "{WHO}: spool={} seconds={}: The store did not take the whole slot in time; the next helper to claim it writes the rest.",
                dir.display(),
                drain.as_secs()
            );
        }
        if let Err(e) = write_stats(&dir, &self.counters.snapshot(false)) {
            eprintln!("{WHO}: error={e}: Spool counters not written.");
        }
    }
}

/// Reads the register as soon as the store is reachable, says so on `ready`, then keeps it
/// fresh as `serve` does.
async fn keep_register(
    mut link: records::StoreLink,
    live: Register,
    overrides: Roles,
    ready: std::sync::mpsc::Sender<()>,
) -> Result<(), ServeError> {
    let store = link.get().await;
    let read = match read_register(&store).await {
        Ok(read) => {
            live.put_in_force(read, &overrides);
            live.log_in_force(WHO);
            true
        }
        Err(e) => {
            eprintln!("{WHO}: error={e}: People register not read.");
            false
        }
    };
    let _ = ready.send(());
    refresh(WHO, link, live, overrides, read).await
}

/// Puts the slot on the disk and writes its counters, once a second, so that the answering
/// thread never waits for a sync.
async fn sync_slot(spool: Arc<Spool>, counters: Arc<Counters>) -> Result<(), ServeError> {
    loop {
        tokio::time::sleep(SYNC_EVERY).await;
        let (dir, stats) = (spool.dir().to_path_buf(), counters.snapshot(true));
        let done = tokio::task::spawn_blocking(move || {
            sync_newest(&dir).map_err(|e| e.to_string())?;
            write_stats(&dir, &stats).map_err(|e| e.to_string())
        })
        .await?;
        if let Err(e) = done {
            eprintln!("{WHO}: error={e}: Spool slot not synced.");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn each_process_claims_a_free_slot_and_a_released_one_is_claimed_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = claim_slot(dir.path()).unwrap();
        let second = claim_slot(dir.path()).unwrap();
        assert_eq!(first.dir(), dir.path().join("helper-0"));
        assert_eq!(second.dir(), dir.path().join("helper-1"));
        let id = first.id().to_string();
        drop(first);
        let again = claim_slot(dir.path()).unwrap();
        assert_eq!(again.dir(), dir.path().join("helper-0"));
        assert_eq!(again.id(), id, "the same slot keeps its mark in the store");
    }
}
