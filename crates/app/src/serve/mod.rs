//! `serve`: the long-running gateways, assembled from `charter.toml`. The gateways the config
//! turns on start (`gateways.rs`); their decisions go through the spool on disk (`spool.rs`)
//! to the store (`records.rs`); the people register gives them roles (`register.rs`); the
//! retention job purges old records through the app (`retention.rs`). The gateways start and
//! decide whether or not the store is reachable.
//!
//! [`Serve::prepare`] does what can fail before anything listens (the config, the pack, the
//! categories, the spool), on the caller's thread; [`Serve::run`] runs on the caller's runtime
//! until a gateway fails or `shutdown` resolves (the CLI's signal handler), then stops
//! accepting, writes what the spool holds to the store (waiting at most `[spool]
//! drain_seconds`) and returns.

mod error;
mod gateways;
mod helper;
mod identity;
mod ingest;
mod monitor;
mod pages;
mod records;
mod register;
mod retention;
mod spool;

use std::fmt::Display;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use charter_engine::Engine;
use charter_engine::web::{Builtin, CategorySource};
use charter_gateways::pass::Passes;
use charter_gateways::web::{Clock, Roles};
use charter_store::spool::{Counters, Spool, count_from, read_stats, write_stats};
use charter_store::{Store, redact_url};

pub use error::ServeError;
pub use helper::{HelperParts, HelperRun};
pub use pages::{PagesContext, PagesRunner};

use crate::config::{Config, refuse_world_writable};
use crate::domains::MailDomains;
use crate::gateway::{announce_fixed_clock, clock_from, load_pack_for_gateway};
use gateways::Deciding;
pub(crate) use register::register_roles;
use register::{Register, read_register};

/// How long `serve` waits at start for the store before deciding with no roles from the
/// register (they come when the store does).
const STORE_AT_START: Duration = Duration::from_secs(5);

/// `serve`, ready to run: the config read and checked, the pack loaded, the categories and
/// the spool open.
pub struct Serve {
    config: Config,
    url: String,
    engine: Arc<Engine>,
    clock: Clock,
    source: Arc<dyn CategorySource + Send + Sync>,
    /// The `[icap] user_roles` file, which wins over the register.
    overrides: Roles,
    spool: Arc<Spool>,
    counters: Arc<Counters>,
    /// The HTTP server of `[server]`, handed in by the CLI.
    pages: Option<PagesRunner>,
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("store", &redact_url(&self.url))
            .field("spool", &self.spool.dir())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// Reads the config at `path` and everything it names; `at` fixes the clock (`--at`: an
    /// instant, or a local time in the pack's zone), for demonstrations.
    pub fn prepare(path: &Path, at: Option<&str>) -> Result<Serve, ServeError> {
        let config = Config::load(path)?;
        if config.icap.is_none()
            && config.milter.is_none()
            && config.policy_service.is_none()
            && config.server.is_none()
            && config.ingest.is_none()
        {
            return Err(ServeError::NothingToServe(path.to_path_buf()));
        }
        let url = config.store_url(path)?;
        refuse_world_writable(&config.spool.dir, "spool")?;
        let engine = Arc::new(
            Engine::new(load_pack_for_gateway(&config.policy)?).with_embeddings(
                charter_engine::text::embed::load_from(config.embeddings.as_deref())?,
            ),
        );
        let clock = clock_from(at, engine.pack().windows.time_zone())?;
        announce_fixed_clock("charter serve", &clock);
        let lists: Box<dyn CategorySource + Send + Sync> = match &config.categories {
            Some(path) => charter_engine::web::open_categories(path).map_err(|cause| {
                ServeError::Categories {
                    path: path.clone(),
                    cause,
                }
            })?,
            None => Box::new(Builtin::new()),
        };
        let source: Arc<dyn CategorySource + Send + Sync> = Arc::from(
            charter_engine::web::site_model::behind(lists, config.site_model.as_deref())?,
        );
        let overrides = match config.icap.as_ref().and_then(|i| i.user_roles.as_ref()) {
            Some(path) => Roles::parse(&std::fs::read_to_string(path).map_err(|cause| {
                ServeError::UserRoles {
                    path: path.clone(),
                    cause,
                }
            })?),
            None => Roles::default(),
        };
        let spool = Arc::new(Spool::open(&config.spool.dir)?);
        let earlier = read_stats(spool.dir()).map_err(|cause| ServeError::Stats {
            path: spool.dir().join("stats.json"),
            cause,
        })?;
        let counters = Arc::new(Counters::resume(&earlier.unwrap_or_default()));
        Ok(Serve {
            config,
            url,
            engine,
            clock,
            source,
            overrides,
            spool,
            counters,
            pages: None,
        })
    }

    /// Runs the warn and hold pages with `runner` when `[server]` is configured.
    pub fn with_pages(mut self, runner: PagesRunner) -> Serve {
        self.pages = Some(runner);
        self
    }

    /// Runs every configured gateway until one fails or `shutdown` resolves (to the name of
    /// what stopped it, such as `SIGTERM`); then writes the spool to the store, waiting at
    /// most `[spool] drain_seconds`.
    pub async fn run<S: Display>(
        self,
        shutdown: impl Future<Output = S>,
    ) -> Result<(), ServeError> {
        let Serve {
            config,
            url,
            engine,
            clock,
            source,
            overrides,
            spool,
            counters,
            pages: runner,
        } = self;
        let pages = match &config.server {
            Some(_) if runner.is_none() => return Err(ServeError::NoPages),
            Some(server) => Some(pages::pages_of(server)?),
            None => None,
        };
        let (recorder, feed, end) = spool::start(Arc::clone(&spool), Arc::clone(&counters))?;
        eprintln!(
            "charter serve: spool={} store={}: Recording decisions through the spool.",
            spool.dir().display(),
            redact_url(&url)
        );
        let mut background = JoinSet::new();
        let watcher = monitor::build(&config, &engine)?;
        let mut link = records::start(
            url,
            Arc::clone(&spool),
            Arc::clone(&counters),
            end,
            Some(Arc::clone(&watcher)),
            &mut background,
        );
        if let Some(alerts) = config.alerts.clone().filter(|a| a.smtp.is_some()) {
            alerts.check().map_err(ServeError::Alerts)?;
            background.spawn(monitor::digest_daily(
                link.clone(),
                Arc::clone(&engine),
                alerts,
            ));
        }
        if engine.pack().monitoring.retention_months.is_some() {
            background.spawn(retention::purge_daily(link.clone(), Arc::clone(&engine)));
        }
        let (register, read, store) = first_register(&mut link, &overrides).await;
        // A pack that names no mail domains takes them from charter.toml, else from the
        // register's email accounts, so internal-direction rules can fire.
        let domains = MailDomains::find(&engine, &config.domains, store.as_ref()).await;
        eprintln!("charter serve: {domains}");
        let engine = Arc::new(domains.engine(&engine));
        let leases = config.identity.leases.clone();
        let stamps = identity::read_leases("charter serve", &leases, &register.identities);
        let identities = register.identities.clone();
        background.spawn(async move {
            identity::watch_leases("charter serve", leases, identities, stamps).await;
            Ok(())
        });
        background.spawn(register::refresh(
            "charter serve",
            link.clone(),
            register.clone(),
            overrides,
            read,
        ));

        let passes = Passes::default();
        let app = Arc::new(OnceLock::new());
        background.spawn(passes_and_app(
            link.clone(),
            passes.clone(),
            Arc::clone(&app),
            Arc::clone(&engine),
            clock,
        ));

        let mut gateways = JoinSet::new();
        let with = Deciding {
            engine: &engine,
            source: &source,
            clock,
            recorder: &recorder,
            register: &register,
            passes: &passes,
            pages: pages.as_ref(),
        };
        let mut started = gateways::start(&config, &with, &mut gateways).await;
        if let (Ok(()), Some(cfg)) = (&started, &config.ingest) {
            started = ingest::start(cfg, &with, &link, &watcher, &mut gateways).await;
        }
        if let (Ok(()), Some(server), Some(runner), Some(pages)) =
            (&started, &config.server, runner, pages.clone())
        {
            started = gateways::start_pages(server, runner, &with, pages, app, &mut gateways).await;
        }
        let outcome = match started {
            Err(e) => Err(e),
            Ok(()) => tokio::select! {
                e = first_failure(&mut gateways) => Err(e),
                e = first_failure(&mut background) => Err(e),
                signal = shutdown => {
                    eprintln!("charter serve: signal={signal}: Stopping: no new connections; writing the spool to the store.");
                    Ok(())
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
    }
}

/// The register as read at start, waiting a little for the store, and whether it was read:
/// roles from the `user_roles` file only and no colleagues' names when the store is not
/// reachable in time (the refresh brings both once it is).
async fn first_register(
    link: &mut records::StoreLink,
    overrides: &Roles,
) -> (Register, bool, Option<Store>) {
    let register = Register::from_overrides(overrides);
    let store = link.within(STORE_AT_START).await;
    let read = match &store {
        Some(store) => match read_register(store).await {
            Ok(read) => Some(read),
            Err(e) => {
                eprintln!("charter serve: error={e}: People register not read.");
                None
            }
        },
        None => None,
    };
    match read {
        Some(read) => {
            register.put_in_force(read, overrides);
            register.log_in_force("charter serve");
            (register, true, store)
        }
        None => {
            eprintln!(
                "charter serve: users={}: Starting with an empty people register: roles and the milter's colleagues' names come from the register once the store is reachable.",
                register.roles.len()
            );
            (register, false, store)
        }
    }
}

/// Once the store is reached: the app for the pages, and the passes in force read every
/// second for the gateways.
async fn passes_and_app(
    mut link: records::StoreLink,
    passes: Passes,
    app: Arc<OnceLock<crate::App>>,
    engine: Arc<Engine>,
    clock: Clock,
) -> Result<(), ServeError> {
    let store = link.get().await;
    let _ = app.set(crate::App::with_engine(engine, store.clone()));
    crate::passes::refresh(store, passes, clock, "charter serve").await;
    Ok(())
}

/// How many records in the spool the store has not committed, as far as this process knows.
async fn waiting(spool: &Arc<Spool>, counters: &Counters) -> Option<u64> {
    let (dir, acked) = (spool.dir().to_path_buf(), counters.snapshot(true).acked);
    tokio::task::spawn_blocking(move || count_from(&dir, acked).ok())
        .await
        .ok()
        .flatten()
}

/// The first task in `tasks` to fail; a task that ends well (the store connected) is not one.
async fn first_failure(tasks: &mut JoinSet<Result<(), ServeError>>) -> ServeError {
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return e,
            Err(e) => return ServeError::Task(e),
        }
    }
    std::future::pending().await
}
