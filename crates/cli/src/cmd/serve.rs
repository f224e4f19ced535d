//! `charter serve --config charter.toml`: the long-running gateways. Each gateway whose
//! section is in the config file is started by its own small block below; a missing section
//! means that gateway is off. Decisions go through the spool (`serve_spool`) to the store
//! (`serve_store`); the gateways start and decide whether or not the store is reachable.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::task::JoinSet;

use charter_engine::Engine;
use charter_engine::web::{Builtin, CategorySource};
use charter_gateways::record::Recorder;
use charter_gateways::web::{Clock, Roles};
use charter_store::redact_url;
use charter_store::spool::{Counters, Spool, count_from, read_stats, write_stats};

use crate::cmd::squid_helper::{announce_fixed_clock, clock_from};
use crate::cmd::storectx::{refuse_exposed_store, store_url};
use crate::cmd::{serve_spool, serve_store};
use crate::config::{Config, refuse_world_writable};
use crate::decision::load_engine;
use crate::exit::{CmdResult, Outcome};

/// `charter serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE", default_value = "charter.toml")]
    config: PathBuf,
    /// Decide as if it were this time, for demonstrations; announced at start, since time
    /// windows then never move. A time without an offset is local time in the pack's zone, e.g.
    /// 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
}

/// How long `serve` waits at start for the store before deciding with no roles from the
/// register (they come when the store does).
const STORE_AT_START: Duration = Duration::from_secs(5);

/// Starts every configured gateway and runs until one fails or the process is stopped
/// (SIGTERM, SIGINT): then it stops accepting, writes what the spool holds to the store
/// (waiting at most `[spool] drain_seconds`) and exits 0.
pub fn run(args: ServeArgs) -> CmdResult {
    let config = Config::load(&args.config)?;
    if config.icap.is_none() && config.milter.is_none() && config.policy_service.is_none() {
        anyhow::bail!(
            "nothing to serve: `{}` has no gateway section such as [icap] or [milter]",
            args.config.display()
        );
    }
    let url = store_url(&args.config, &config.store.url);
    refuse_exposed_store(&url)?;
    refuse_world_writable(&config.spool.dir, "spool")?;
    let engine = Arc::new(load_engine(&config.policy)?);
    let clock = clock_from(args.at.as_deref(), engine.pack().windows.time_zone())?;
    announce_fixed_clock("charter serve", &clock);
    let source: Arc<dyn CategorySource + Send + Sync> = match &config.categories {
        Some(path) => Arc::from(
            charter_engine::web::open_categories(path)
                .with_context(|| format!("cannot open categories `{}`", path.display()))?,
        ),
        None => Arc::new(Builtin::new()),
    };
    // The `user_roles` file (for proxy logins the register does not know) wins over the
    // register.
    let overrides = match config.icap.as_ref().and_then(|i| i.user_roles.as_ref()) {
        Some(path) => Roles::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read user roles `{}`", path.display()))?,
        ),
        None => Roles::default(),
    };
    let spool = Arc::new(Spool::open(&config.spool.dir)?);
    let earlier = read_stats(spool.dir())
        .with_context(|| format!("cannot read `{}/stats.json`", spool.dir().display()))?;
    let counters = Arc::new(Counters::resume(&earlier.unwrap_or_default()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        // Taken first, so that a signal during start-up is handled rather than fatal.
        let mut stop = Stop::new()?;
        let (recorder, feed, end) = serve_spool::start(Arc::clone(&spool), Arc::clone(&counters))?;
        eprintln!(
            "charter serve: spool={} store={}: Recording decisions through the spool.",
            spool.dir().display(),
            redact_url(&url)
        );
        let mut background = JoinSet::new();
        let mut link = serve_store::start(
            url.clone(),
            Arc::clone(&spool),
            Arc::clone(&counters),
            end,
            engine.pack().monitoring.retention_months,
            &mut background,
        );
        let roles = overrides.clone();
        let register = match link.within(STORE_AT_START).await {
            Some(store) => match serve_store::read_register(&store).await {
                Ok(register) => Some(register),
                Err(e) => {
                    eprintln!("charter serve: error={e}: People register not read.");
                    None
                }
            },
            None => None,
        };
        let directory = match &register {
            Some(register) => {
                let mut from_register = register.roles.clone();
                from_register.extend(overrides.clone());
                roles.replace(&from_register);
                eprintln!(
                    "charter serve: users={}: People register read; roles in force.",
                    roles.len()
                );
                register.directory.clone()
            }
            None => {
                eprintln!(
                    "charter serve: users={}: Starting with an empty people register: roles come from the register once the store is reachable; the milter's spoofed-sender check has no directory until a restart.",
                    roles.len()
                );
                Vec::new()
            }
        };
        background.spawn(serve_store::refresh_roles(
            link.clone(),
            roles.clone(),
            overrides,
            register.is_some(),
        ));
        let register = serve_store::Register { roles, directory };

        let mut gateways = JoinSet::new();
        let started = start_gateways(
            &config, &engine, &source, clock, &recorder, &register, &mut gateways,
        )
        .await;
        let outcome = match started {
            Err(e) => Err(e),
            Ok(()) => tokio::select! {
                e = first_failure(&mut gateways) => Err(e),
                e = first_failure(&mut background) => Err(e),
                signal = stop.signalled() => {
                    eprintln!("charter serve: signal={signal}: Stopping: no new connections; writing the spool to the store.");
                    Ok(Outcome::Success)
                }
            },
        };
        gateways.abort_all();
        drop(recorder);
        let end = feed.finish().await;
        let wait = Duration::from_secs(config.spool.drain_seconds);
        let (started, stored) = (Instant::now(), counters.stored.load(Ordering::Relaxed));
        // With nothing waiting there is nothing to wait for, even with the store down.
        let idle = waiting(&spool, &counters).await == Some(0);
        if idle || link.drained_to(end, wait).await {
            eprintln!(
                "charter serve: records={} elapsed_ms={}: Spool written to the store; stopped.",
                counters.stored.load(Ordering::Relaxed) - stored,
                started.elapsed().as_millis()
            );
        } else {
            let waiting = waiting(&spool, &counters)
                .await
                .map_or_else(|| "?".to_string(), |n| n.to_string());
            eprintln!(
                "charter serve: waiting={waiting} seconds={}: The store did not take the whole spool in time; the rest is written at the next start.",
                config.spool.drain_seconds
            );
        }
        if let Err(e) = write_stats(spool.dir(), &counters.snapshot(false)) {
            eprintln!("charter serve: error={e}: Spool counters not written.");
        }
        outcome
    })
}

/// How many records in the spool the store has not committed, as far as this process knows.
async fn waiting(spool: &Arc<Spool>, counters: &Counters) -> Option<u64> {
    let (dir, acked) = (spool.dir().to_path_buf(), counters.snapshot(true).acked);
    tokio::task::spawn_blocking(move || count_from(&dir, acked).ok())
        .await
        .ok()
        .flatten()
}

/// Starts the gateways the config turns on, each in `tasks`.
async fn start_gateways(
    config: &Config,
    engine: &Arc<Engine>,
    source: &Arc<dyn CategorySource + Send + Sync>,
    clock: Clock,
    recorder: &Recorder,
    register: &serve_store::Register,
    tasks: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<()> {
    // ICAP REQMOD for Squid (docs/squid.md).
    if let Some(icap) = &config.icap {
        let server = Arc::new(
            icap.build(
                Arc::clone(engine),
                Arc::clone(source),
                clock,
                register.roles.clone(),
            )?
            .with_recorder(recorder.clone()),
        );
        let listener = server
            .bind()
            .await
            .with_context(|| format!("cannot listen on `{}` for ICAP", server.listen_addr()))?;
        eprintln!(
            "charter serve: listen={} istag={}: ICAP server started.",
            listener.local_addr()?,
            server.istag()
        );
        tasks.spawn(async move { server.serve(listener).await.context("ICAP server failed") });
    }
    // Milter and Postfix policy service (docs/postfix.md).
    crate::cmd::mail::spawn_mail_gateways(config, engine, clock, recorder, register, tasks).await
}

/// The first task in `tasks` to fail; a task that ends well (the store connected) is not one.
async fn first_failure(tasks: &mut JoinSet<anyhow::Result<()>>) -> anyhow::Error {
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return e,
            Err(e) => return anyhow::Error::new(e).context("a task of `serve` stopped"),
        }
    }
    std::future::pending().await
}

/// SIGTERM (systemd, `kill`) and SIGINT (Ctrl-C).
struct Stop {
    term: Signal,
    int: Signal,
}

impl Stop {
    fn new() -> anyhow::Result<Stop> {
        Ok(Stop {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    async fn signalled(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
