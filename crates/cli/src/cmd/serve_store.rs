//! What `charter serve` does with the store: reads people's roles from the register for the
//! gateways, writes every gateway decision in batches, and runs the retention job that deletes
//! records older than the pack's period, once a day.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use charter_gateways::record::{Recorded, Recorder};
use charter_gateways::web::Roles;
use charter_policy::{Area, Pack};
use charter_store::{
    AccountStatus, Actor, NewRecord, PersonStatus, Source, Store, retention_cutoff,
};

use crate::cmd::storectx::store_url;
use crate::config::Config;

/// Decisions waiting for the writer before gateways start dropping them (about 100 MB at
/// worst); the writer takes up to [`BATCH`] at a time, far faster than gateways produce them.
const QUEUE: usize = 100_000;
/// Records per write: large batches are what make the store fast (docs/store.md).
const BATCH: usize = 10_000;
/// How often the retention job runs.
const DAILY: Duration = Duration::from_secs(24 * 60 * 60);

/// Opens the store named in the config.
pub async fn open(config_path: &Path, config: &Config) -> anyhow::Result<Store> {
    let url = store_url(config_path, &config.store.url);
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open store `{url}`"))?;
    eprintln!("charter serve: store={url}: Recording decisions.");
    Ok(store)
}

/// Starts the writer and the retention job in `tasks`, and returns the recorder gateways
/// offer their decisions to.
pub fn start(store: &Store, pack: &Pack, tasks: &mut JoinSet<anyhow::Result<()>>) -> Recorder {
    let (recorder, queue) = Recorder::channel(QUEUE);
    tasks.spawn(write_records(store.clone(), queue));
    if let Some(months) = pack.monitoring.retention_months {
        tasks.spawn(purge_daily(store.clone(), months));
    }
    recorder
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

fn to_record(decided: Recorded) -> NewRecord {
    let source = match decided.source {
        Area::Web => Source::Web,
        Area::Mail => Source::Mail,
        Area::Activity => Source::Activity,
    };
    NewRecord::from_decision(
        decided.at,
        decided.user,
        source,
        decided.subject,
        None,
        &decided.decision,
    )
}

/// Writes decisions as they come, in batches of whatever has queued up (at most [`BATCH`]).
async fn write_records(store: Store, mut queue: mpsc::Receiver<Recorded>) -> anyhow::Result<()> {
    let actor = Actor::System("serve".into());
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let records: Vec<NewRecord> = batch.drain(..).map(to_record).collect();
        // A failed write is reported and the gateways go on enforcing; the records of that
        // batch are lost, which the log says.
        if let Err(e) = store.write_records(&actor, &records).await {
            eprintln!(
                "charter serve: records={} error={e}: Monitoring records not written.",
                records.len()
            );
        }
    }
    Ok(())
}

/// Deletes records older than the pack's retention period now and then once a day.
async fn purge_daily(store: Store, months: u32) -> anyhow::Result<()> {
    let actor = Actor::System("retention".into());
    loop {
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
