//! `[ingest]` under `serve`: the syslog listener's messages parsed, decided and offered to
//! the recorder like every gateway's decisions (so they go through the spool to the store),
//! and each configured file followed across rotation, written with its position as
//! `charter ingest --follow` does. The facts the activity checks need (the approved software
//! list, the removable media register, approvals, acknowledgements) are read when the store is
//! reached and every few minutes after; roles are the register's, as the gateways hold them.
//! Sign-ins and sign-outs are decided against the store itself when it answers, since the
//! sessions every node shares live there (`concurrent_sessions`); followed files decide every
//! activity event against the store.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::task::JoinSet;

use charter_engine::{Decision, Privacy};
use charter_gateways::record::{Recorded, Recorder};
use charter_gateways::syslog::{MessageSink, SyslogListener, bind_tcp, bind_udp};
use charter_gateways::web::{Clock, WebDecider};
use charter_policy::Area;
use charter_store::Source;

use super::ServeError;
use super::gateways::Deciding;
use super::records::StoreLink;
use crate::App;
use crate::ingest::{
    Decider, Facts, FileSource, Format, IngestConfig, LineParser, Options, ZoneClock, ingest_files,
    this_host,
};
use crate::monitor::Monitor;

/// Messages that may wait for the deciding thread.
const QUEUE: usize = 16_384;
/// How often the facts are read again.
const FACTS_EVERY: Duration = Duration::from_secs(300);
/// How long a followed file waits before trying again after an error (missing, store down).
const RETRY: Duration = Duration::from_secs(5);
/// Refused messages logged one by one; the rest are counted.
const REFUSED_SHOWN: u64 = 20;

/// The facts in force, replaced whole by the refresh.
type LiveFacts = Arc<RwLock<Arc<Facts>>>;

/// Starts what `[ingest]` configures.
pub(super) async fn start(
    config: &IngestConfig,
    with: &Deciding<'_>,
    link: &StoreLink,
    monitor: &Arc<Monitor>,
    tasks: &mut JoinSet<Result<(), ServeError>>,
) -> Result<(), ServeError> {
    let live: LiveFacts = Arc::new(RwLock::new(Arc::new(Facts {
        roles: with.register.roles.clone(),
        ..Facts::default()
    })));
    tasks.spawn(refresh_facts(
        link.clone(),
        Arc::clone(with.engine),
        with.register.roles.clone(),
        Arc::clone(&live),
    ));
    if let Some(cfg) = &config.syslog {
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let sink = Arc::new(Sink {
            queue: tx,
            dropped: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        let listener = Arc::new(SyslogListener::new(cfg.clone(), sink));
        let deciding = Thread {
            engine: Arc::clone(with.engine),
            source: Arc::clone(with.source),
            clock: with.clock,
            recorder: with.recorder.clone(),
            facts: Arc::clone(&live),
            link: link.clone(),
            runtime: tokio::runtime::Handle::current(),
        };
        std::thread::Builder::new()
            .name("charter-syslog".into())
            .spawn(move || deciding.run(rx))
            .map_err(|cause| ServeError::Start {
                what: "start the syslog thread",
                cause,
            })?;
        if let Some(socket) = bind_udp(cfg).await.map_err(|cause| {
            ServeError::listen(cfg.udp.as_deref().unwrap_or(""), "syslog (UDP)", cause)
        })? {
            eprintln!(
                "charter serve: listen=udp:{}: Syslog listener started.",
                socket
                    .local_addr()
                    .map_or_else(|_| "?".into(), |a| a.to_string())
            );
            let l = Arc::clone(&listener);
            tasks.spawn(async move {
                l.serve_udp(socket)
                    .await
                    .map_err(|cause| ServeError::Failed {
                        what: "syslog (UDP)",
                        cause,
                    })
            });
        }
        if let Some(tcp) = bind_tcp(cfg).await.map_err(|cause| {
            ServeError::listen(cfg.tcp.as_deref().unwrap_or(""), "syslog (TCP)", cause)
        })? {
            eprintln!(
                "charter serve: listen=tcp:{}: Syslog listener started.",
                tcp.local_addr()
                    .map_or_else(|_| "?".into(), |a| a.to_string())
            );
            let l = Arc::clone(&listener);
            tasks.spawn(async move {
                l.serve_tcp(tcp).await.map_err(|cause| ServeError::Failed {
                    what: "syslog (TCP)",
                    cause,
                })
            });
        }
    }
    for file in &config.files {
        tasks.spawn(follow(
            FileSource {
                path: file.path.clone(),
                format: file.format,
                host: file.host.clone(),
            },
            link.clone(),
            Arc::clone(with.engine),
            Arc::clone(with.source),
            with.clock,
            Arc::clone(&live),
            Arc::clone(monitor),
        ));
    }
    Ok(())
}

/// Reads the facts when the store is reached and every few minutes after.
async fn refresh_facts(
    mut link: StoreLink,
    engine: Arc<charter_engine::Engine>,
    roles: charter_gateways::web::Roles,
    live: LiveFacts,
) -> Result<(), ServeError> {
    loop {
        let store = link.get().await;
        match App::with_engine(Arc::clone(&engine), store)
            .event_facts()
            .await
        {
            Ok(mut facts) => {
                // The register's live table, which the register refresh keeps current.
                facts.roles = roles.clone();
                *live.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(facts);
            }
            Err(e) => eprintln!(
                "charter serve: error={e}: Ingest facts (approved software, removable media) not read; the last ones stay in force."
            ),
        }
        tokio::time::sleep(FACTS_EVERY).await;
    }
}

/// Follows one file for ever, from its kept position, writing to the store.
async fn follow(
    file: FileSource,
    mut link: StoreLink,
    engine: Arc<charter_engine::Engine>,
    source: Arc<dyn charter_engine::web::CategorySource + Send + Sync>,
    clock: Clock,
    live: LiveFacts,
    monitor: Arc<Monitor>,
) -> Result<(), ServeError> {
    let host = file.host.clone().unwrap_or_else(this_host);
    loop {
        let store = link.get().await;
        let app = App::with_engine(Arc::clone(&engine), store);
        let facts = Arc::clone(&live.read().unwrap_or_else(|e| e.into_inner()));
        let web = WebDecider::new(app.engine(), source.as_ref(), clock, &facts.roles);
        let mut decider = Decider::new(app.engine(), web, &facts).with_store(&app);
        let zone = ZoneClock::new(app.time_zone().clone(), jiff::Timestamp::now());
        let mut parser = LineParser::new(file.format, zone, &host);
        let options = Options {
            follow: true,
            store: true,
            progress: false,
            stop: Arc::default(),
            monitor: Some(Arc::clone(&monitor)),
        };
        eprintln!(
            "charter serve: file={} format={}: Following.",
            file.path.display(),
            file.format.as_str()
        );
        if let Err(e) = ingest_files(
            &app,
            file.format,
            std::slice::from_ref(&file.path),
            &mut decider,
            &mut parser,
            &options,
        )
        .await
        {
            eprintln!(
                "charter serve: file={} error={e}: Not followed; trying again in {} seconds.",
                file.path.display(),
                RETRY.as_secs()
            );
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Where the listener hands messages: a queue to the deciding thread.
struct Sink {
    queue: SyncSender<(SocketAddr, Vec<u8>)>,
    dropped: AtomicU64,
    refused: AtomicU64,
}

impl MessageSink for Sink {
    fn message(&self, peer: SocketAddr, bytes: &[u8]) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.queue.try_send((peer, bytes.to_vec()))
        {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                eprintln!(
                    "charter serve: dropped={n}: Syslog messages dropped: the deciding thread fell a whole queue behind."
                );
            }
        }
    }

    fn refused(&self, peer: SocketAddr, why: &str) {
        let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= REFUSED_SHOWN {
            eprintln!("charter serve: peer={peer} error={why}: Syslog message refused.");
        }
    }
}

/// The thread that parses and decides syslog messages and offers them to the recorder.
struct Thread {
    engine: Arc<charter_engine::Engine>,
    source: Arc<dyn charter_engine::web::CategorySource + Send + Sync>,
    clock: Clock,
    recorder: Recorder,
    facts: LiveFacts,
    /// The store, for sign-ins and sign-outs (sessions are shared through it).
    link: StoreLink,
    runtime: tokio::runtime::Handle,
}

/// How long a sign-in waits for the store before the facts read earlier decide it without
/// its session.
const SESSION_WAIT: Duration = Duration::from_secs(1);

impl Thread {
    /// A sign-in or sign-out decided against the store, which keeps the sessions every node
    /// shares (`concurrent_sessions`); `None` when it is not one, or the store does not answer
    /// within [`SESSION_WAIT`], and then the facts read earlier decide it.
    fn decide_session(&self, event: &charter_proto::logs::LogEvent) -> Option<Decision> {
        use charter_proto::logs::EventKind;
        if !matches!(
            event.kind,
            EventKind::Login { .. } | EventKind::Logout { .. }
        ) {
            return None;
        }
        let (engine, mut link) = (Arc::clone(&self.engine), self.link.clone());
        let decided = self.runtime.block_on(async {
            let store = link.within(SESSION_WAIT).await?;
            let app = App::with_engine(engine, store);
            tokio::time::timeout(SESSION_WAIT, app.decide_event(event))
                .await
                .ok()?
                .ok()
        })?;
        Some(decided.unwrap_or_else(|| Decision::from_findings(Vec::new(), Privacy::Full, None)))
    }

    fn run(self, queue: Receiver<(SocketAddr, Vec<u8>)>) {
        let tz = self.engine.pack().windows.time_zone().clone();
        let mut parser = LineParser::new(
            Format::Syslog,
            ZoneClock::new(tz.clone(), jiff::Timestamp::now()),
            "-",
        );
        let mut unparseable = 0u64;
        loop {
            let first = match queue.recv_timeout(Duration::from_secs(60)) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    // RFC 3164 stamps are read in the year around now.
                    parser = LineParser::new(
                        Format::Syslog,
                        ZoneClock::new(tz.clone(), jiff::Timestamp::now()),
                        "-",
                    );
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let facts = Arc::clone(&self.facts.read().unwrap_or_else(|e| e.into_inner()));
            let web = WebDecider::new(&self.engine, self.source.as_ref(), self.clock, &facts.roles);
            let decider = Decider::new(&self.engine, web, &facts);
            for (peer, bytes) in std::iter::once(first).chain(queue.try_iter().take(QUEUE)) {
                match parser.parse(&bytes) {
                    Ok(Some(event)) => {
                        let decided = decider.decide(&event).map(|mut d| {
                            if let Some(with_session) = self.decide_session(&event) {
                                d.decision = with_session;
                            }
                            d
                        });
                        if let Some(d) = decided {
                            self.recorder.record(Recorded {
                                at: d.at,
                                user: event.user,
                                source: match d.source {
                                    Source::Web => Area::Web,
                                    Source::Mail => Area::Mail,
                                    Source::Activity => Area::Activity,
                                },
                                subject: d.subject,
                                decision: d.decision,
                            });
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        unparseable += 1;
                        if unparseable <= REFUSED_SHOWN {
                            eprintln!(
                                "charter serve: peer={peer} error={e}: Syslog message not understood; set aside."
                            );
                        }
                    }
                }
            }
        }
    }
}
