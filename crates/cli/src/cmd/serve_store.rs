//! What `charter serve` does with the store: connects to it (and keeps trying while it is
//! down), writes what the spool holds in batches, reads people's roles from the register for
//! the gateways (and reads them again now and then), and runs the retention job that deletes
//! records older than the pack's period, once a day.
//!
//! None of it can stop the gateways deciding: until the store is reachable decisions wait
//! in the spool, and the gateways decide with the roles last read (none at first).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use charter_gateways::web::Roles;
use charter_store::spool::{Counters, Position, Spool, usage};
use charter_store::{
    AccountStatus, Actor, Error, PersonStatus, Store, redact_url, retention_cutoff,
};

/// Records per write: large batches are what make the store fast (docs/store.md).
const BATCH: usize = 10_000;
/// How often the retention job runs.
const DAILY: Duration = Duration::from_secs(24 * 60 * 60);
/// How often the people register is read again.
const REGISTER_EVERY: Duration = Duration::from_secs(300);
/// Waits between tries while the store is down: doubling from the first to the last.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_LAST: Duration = Duration::from_secs(5);
/// How often a store that stays down is logged again, with the spool's backlog.
const DOWN_LOG_EVERY: Duration = Duration::from_secs(60);

/// The store as `serve` sees it: not there yet, then open.
#[derive(Debug, Clone)]
pub struct StoreLink {
    store: watch::Receiver<Option<Store>>,
    through: watch::Receiver<Position>,
}

impl StoreLink {
    /// The store, once it has been reached.
    async fn get(&mut self) -> Store {
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
    pub async fn within(&mut self, wait: Duration) -> Option<Store> {
        tokio::time::timeout(wait, self.get()).await.ok()
    }

    /// Waits (at most `wait`) until every record before `end` has been committed to the store
    /// (or set aside); says whether that happened.
    pub async fn drained_to(&mut self, end: Position, wait: Duration) -> bool {
        let done = self.through.wait_for(|through| *through >= end);
        matches!(tokio::time::timeout(wait, done).await, Ok(Ok(_)))
    }
}

/// Starts connecting to the store at `url` and, in `tasks`, the writer that moves the spool
/// into it and the retention job.
pub fn start(
    url: String,
    spool: Arc<Spool>,
    counters: Arc<Counters>,
    end: watch::Receiver<Position>,
    retention_months: Option<u32>,
    tasks: &mut JoinSet<anyhow::Result<()>>,
) -> StoreLink {
    let (store_tx, store_rx) = watch::channel(None);
    let (through_tx, through_rx) = watch::channel(Position::default());
    let link = StoreLink {
        store: store_rx,
        through: through_rx,
    };
    tasks.spawn(connect(url, Arc::clone(&counters), store_tx));
    tasks.spawn(
        Writer {
            link: link.clone(),
            spool,
            counters,
            end,
            through: through_tx,
        }
        .run(),
    );
    if let Some(months) = retention_months {
        tasks.spawn(purge_daily(link.clone(), months));
    }
    link
}

/// Opens the store, trying again while it cannot be reached; a URL that can never work
/// (neither SQLite nor PostgreSQL) ends `serve`.
async fn connect(
    url: String,
    counters: Arc<Counters>,
    link: watch::Sender<Option<Store>>,
) -> anyhow::Result<()> {
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
            Err(e @ Error::Url(_)) => return Err(e.into()),
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
}

impl Writer {
    async fn run(mut self) -> anyhow::Result<()> {
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
                let done = store
                    .store_spooled(&actor, &self.spool, batch.records)
                    .await;
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

/// What the gateways need from the people register.
#[derive(Debug, Default)]
pub struct Register {
    /// Every active person's roles under each of their active account names (proxy logins,
    /// mail addresses), for rules with `roles` and `except_roles`.
    pub roles: Roles,
    /// Active people's names, lowercase, for the milter's spoofed-sender check.
    pub directory: Vec<String>,
}

/// Reads [`Register`] from the store.
pub async fn read_register(store: &Store) -> anyhow::Result<Register> {
    let mut register = Register::default();
    for person in store.people().await? {
        if person.status != PersonStatus::Active {
            continue;
        }
        register
            .directory
            .push(format!("{} {}", person.first_name, person.last_name).to_lowercase());
        for account in store.accounts_of(person.id).await? {
            if account.status == AccountStatus::Active {
                register.roles.insert(account.name, person.roles.clone());
            }
        }
    }
    Ok(register)
}

/// Keeps `live` (the roles every gateway holds) up to date: the register's roles, read as
/// soon as the store is reachable (unless `serve` has just read them) and every few minutes
/// after, with `overrides` (the `user_roles` file) winning.
pub async fn refresh_roles(
    mut link: StoreLink,
    live: Roles,
    overrides: Roles,
    just_read: bool,
) -> anyhow::Result<()> {
    let mut first = !just_read;
    if just_read {
        tokio::time::sleep(REGISTER_EVERY).await;
    }
    loop {
        let store = link.get().await;
        match read_register(&store).await {
            Ok(register) => {
                let mut roles = register.roles;
                let before = live.len();
                roles.extend(overrides.clone());
                live.replace(&roles);
                if first || before != live.len() {
                    first = false;
                    eprintln!(
                        "charter serve: users={}: People register read; roles in force.",
                        live.len()
                    );
                }
            }
            Err(e) => {
                eprintln!("charter serve: error={e}: People register not read; roles unchanged.")
            }
        }
        tokio::time::sleep(REGISTER_EVERY).await;
    }
}

/// Deletes records older than the pack's retention period as soon as the store is
/// reachable, then once a day.
async fn purge_daily(mut link: StoreLink, months: u32) -> anyhow::Result<()> {
    let actor = Actor::System("retention".into());
    loop {
        let store = link.get().await;
        let cutoff = retention_cutoff(jiff::Timestamp::now(), months);
        match store.purge_records(&actor, cutoff).await {
            Ok(report) => eprintln!(
                "charter serve: cutoff={} deleted={} audit_seq={}: Retention purge done.",
                report.cutoff, report.deleted, report.audit_seq
            ),
            Err(e) => eprintln!("charter serve: error={e}: Retention purge failed."),
        }
        tokio::time::sleep(DAILY).await;
    }
}
