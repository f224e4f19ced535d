//! The milter gateway: Postfix (or Sendmail) hands each message over the milter protocol,
//! the engine decides, and the milter answers reject, tempfail, hold (quarantine) or accept,
//! with an `X-Charter-Verdict` header and, where the pack says so, the disclaimer footer.
//!
//! Shaped like a Vector component: [`MilterConfig`] (the `[milter]` section of
//! `charter.toml`, unknown keys refused) → [`MilterConfig::build`] → [`Milter`], whose
//! [`Milter::serve`] runs the accept loop. The protocol work is in [`Session`], a synchronous
//! state machine fed [`Command`](charter_proto::milter::Command)s that writes encoded
//! responses and hands each finished message back as a [`MailJob`]: the async loop only
//! reads, feeds, writes, enforces deadlines and the memory budget, and runs each job on a
//! [`DecisionPool`] off the reactor, so every behaviour is tested without sockets.
//!
//! Verdicts map to milter answers in one function, [`Session::verdict_responses`]:
//! `block` → `550 5.7.1` naming the rule; `hold` → quarantine (Postfix's hold queue) with the
//! header; `warn`, `log`, `allow` → accept with the header (and footer). If the engine
//! panics on a message, or has not decided it within `decision_timeout_secs`, the answer is
//! `451 4.3.0` (tempfail), so a bug or a crafted message defers mail rather than letting it
//! through unchecked, and never holds up the other gateways.
//!
//! Bounds (docs/specs/gateway.md has the reasoning and the worst case): frames of
//! [`DEFAULT_MAX_FRAME`] bytes; per message `max_header_bytes` and `max_recipient_bytes`
//! and the engine's `max_message_bytes`; all connections together `max_memory_mib`, past
//! which a message is tempfailed (`451 4.3.2`) and its connection closed; negotiation within
//! [`HANDSHAKE`], a whole message within `message_timeout_secs` of its `MAIL`, and at most
//! `idle_timeout_secs` of silence between messages.

mod colleagues;
mod session;

pub use crate::net::{ConfigError, Network};
pub use colleagues::Colleagues;
pub use session::{
    MailAnswer, MailJob, MessageLimits, Session, Step, VERDICT_HEADER, verdict_header,
};

use crate::record::Recorder;
use crate::web::Roles;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::budget::MemoryBudget;
use crate::listen::{ConnectionLimits, Read, read_before, serve_bounded, write_within};
use crate::net::{at_least_one, parse_listen, parse_networks};
use crate::pool::{DecisionPool, Unfinished};

use crate::web::Clock;
use charter_engine::Engine;
use charter_engine::mail::MailLimits;
use charter_proto::milter::{DEFAULT_MAX_FRAME, Frame, MilterError, Response, read_frame};

/// How long a new connection has to send option negotiation: the MTA sends it at once.
pub const HANDSHAKE: Duration = Duration::from_secs(5);

/// The first bytes of every connection not charged to the memory budget, so ordinary small
/// mail is still checked while large messages have used the budget up.
const FREE_PER_CONNECTION: usize = 64 << 10;

/// `[milter]` in `charter.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MilterConfig {
    /// Address to listen on, such as `127.0.0.1:8891` (Postfix: `smtpd_milters = inet:127.0.0.1:8891`).
    pub listen: String,
    /// Client networks counted as inside the organisation (CIDR); others that do not
    /// authenticate are outside senders. Default: loopback only.
    #[serde(default = "default_trusted")]
    pub trusted_networks: Vec<String>,
    /// Seconds a connection may stay silent between messages (and before its first) before
    /// it is closed. `timeout_secs` is the old name.
    #[serde(default = "default_idle_timeout", alias = "timeout_secs")]
    pub idle_timeout_secs: u64,
    /// Seconds a whole message may take, from `MAIL` to the end of its body, including the
    /// time the SMTP client takes to send it.
    #[serde(default = "default_message_timeout")]
    pub message_timeout_secs: u64,
    /// Seconds the engine may take over one message before it is tempfailed.
    #[serde(default = "default_decision_timeout")]
    pub decision_timeout_secs: u64,
    /// Most connections served at once; further ones are closed at once, and Postfix applies
    /// its `milter_default_action`.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Most connections at once from one client address (an IPv6 /64). Postfix opens one per
    /// SMTP session, so keep it above Postfix's `default_process_limit` (100).
    #[serde(default = "default_max_connections_per_client")]
    pub max_connections_per_client: usize,
    /// Memory all connections together may hold for messages in flight, in MiB.
    #[serde(default = "default_max_memory_mib")]
    pub max_memory_mib: usize,
    /// Largest header section of one message, in bytes.
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: usize,
    /// Most bytes of envelope recipients in one message.
    #[serde(default = "default_max_recipient_bytes")]
    pub max_recipient_bytes: usize,
    /// The engine's work budget for one message, in MiB inflated and scanned; past it the
    /// rest of the message is `unscannable` and the pack decides.
    #[serde(default = "default_scan_work_mib")]
    pub scan_work_mib: u64,
    /// The engine's time budget for one message, in milliseconds; past it the rest of the
    /// message is `unscannable`. Keep it well under `decision_timeout_secs`.
    #[serde(default = "default_scan_time_ms")]
    pub scan_time_ms: u64,
}

pub(crate) fn default_max_connections() -> usize {
    256
}

pub(crate) fn default_max_connections_per_client() -> usize {
    128
}

pub(crate) fn default_trusted() -> Vec<String> {
    vec!["127.0.0.0/8".to_string(), "::1/128".to_string()]
}

fn default_idle_timeout() -> u64 {
    30
}

fn default_message_timeout() -> u64 {
    600
}

fn default_decision_timeout() -> u64 {
    20
}

fn default_max_memory_mib() -> usize {
    256
}

fn default_max_header_bytes() -> usize {
    MessageLimits::default().max_header_bytes
}

pub(crate) fn default_max_recipient_bytes() -> usize {
    MessageLimits::default().max_recipient_bytes
}

fn default_scan_work_mib() -> u64 {
    MailLimits::default().max_work_bytes >> 20
}

fn default_scan_time_ms() -> u64 {
    MailLimits::default().time_limit.as_millis() as u64
}

impl MilterConfig {
    /// Checks the configuration and builds the milter; `clock` dates each decision.
    pub fn build(&self, engine: Arc<Engine>, clock: Clock) -> Result<Milter, ConfigError> {
        for (key, value) in [
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("message_timeout_secs", self.message_timeout_secs),
            ("decision_timeout_secs", self.decision_timeout_secs),
            ("max_connections", self.max_connections as u64),
            (
                "max_connections_per_client",
                self.max_connections_per_client as u64,
            ),
            ("max_memory_mib", self.max_memory_mib as u64),
            ("max_header_bytes", self.max_header_bytes as u64),
            ("max_recipient_bytes", self.max_recipient_bytes as u64),
            ("scan_work_mib", self.scan_work_mib),
            ("scan_time_ms", self.scan_time_ms),
        ] {
            at_least_one("milter", key, value)?;
        }
        Ok(Milter {
            engine,
            clock,
            listen: parse_listen(&self.listen)?,
            trusted: parse_networks(&self.trusted_networks)?,
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            message_timeout: Duration::from_secs(self.message_timeout_secs),
            limits: MailLimits {
                max_work_bytes: self.scan_work_mib.saturating_mul(1 << 20),
                time_limit: Duration::from_millis(self.scan_time_ms),
                ..MailLimits::default()
            },
            message_limits: MessageLimits {
                max_header_bytes: self.max_header_bytes,
                max_recipient_bytes: self.max_recipient_bytes,
            },
            connections: ConnectionLimits {
                total: self.max_connections,
                per_client: self.max_connections_per_client,
            },
            budget: MemoryBudget::new(
                self.max_memory_mib.saturating_mul(1 << 20),
                FREE_PER_CONNECTION,
            ),
            pool: DecisionPool::sized_to_cores(Duration::from_secs(self.decision_timeout_secs)),
            recorder: Recorder::off(),
            roles: Roles::default(),
            colleagues: Colleagues::default(),
        })
    }
}

/// The running milter.
#[derive(Debug)]
pub struct Milter {
    engine: Arc<Engine>,
    clock: Clock,
    listen: SocketAddr,
    trusted: Vec<Network>,
    idle_timeout: Duration,
    message_timeout: Duration,
    limits: MailLimits,
    message_limits: MessageLimits,
    connections: ConnectionLimits,
    budget: Arc<MemoryBudget>,
    pool: DecisionPool,
    recorder: Recorder,
    roles: Roles,
    colleagues: Colleagues,
}

/// Why a connection's loop stopped reading.
enum Ending {
    /// The peer closed, or asked to.
    Done,
    /// Answer this, then close.
    Refuse(Response<'static>),
}

impl Milter {
    /// Offers every message's decision to `recorder` for the monitoring records.
    pub fn with_recorder(mut self, recorder: Recorder) -> Milter {
        self.recorder = recorder;
        self
    }

    /// Decides each message with its sender's roles (by login or address).
    pub fn with_roles(mut self, roles: Roles) -> Milter {
        self.roles = roles;
        self
    }

    /// Colleagues' display names, lowercase: an outside sender using one is a spoof. Each
    /// message is checked against the names `colleagues` holds when it ends.
    pub fn with_colleagues(mut self, colleagues: Colleagues) -> Milter {
        self.colleagues = colleagues;
        self
    }

    /// The address it is configured to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Bytes the connections hold now beyond their free allowance.
    pub fn memory_in_use(&self) -> usize {
        self.budget.used()
    }

    /// Binds the listening socket.
    pub async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.listen).await
    }

    /// Accepts connections until the task is dropped, one task per connection.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        serve_bounded(
            "milter",
            listener,
            self.connections,
            drop,
            |stream, peer| {
                let milter = Arc::clone(&self);
                async move { milter.connection(stream, peer).await }
            },
        )
        .await
    }

    /// When the connection must next have sent a whole frame: the handshake, the message's
    /// deadline, or the idle limit since the last frame.
    fn deadline(
        &self,
        session: &Session<'_>,
        connected: Instant,
        message: Option<Instant>,
        last: Instant,
    ) -> Instant {
        if !session.negotiated() {
            connected + HANDSHAKE
        } else if let Some(started) = message {
            started + self.message_timeout
        } else {
            last + self.idle_timeout
        }
    }

    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr) -> std::io::Result<()> {
        let _ = stream.set_nodelay(true);
        let mut session = Session::new(Arc::clone(&self.engine), &self.trusted, self.limits)
            .with_message_limits(self.message_limits)
            .with_roles(&self.roles)
            .with_colleagues(&self.colleagues);
        let mut account = self.budget.account();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let connected = Instant::now();
        let mut last_frame = connected;
        let mut message_started: Option<Instant> = None;
        let ending = 'connection: loop {
            let deadline = self.deadline(&session, connected, message_started, last_frame);
            match read_before(&mut stream, &mut buf, deadline).await? {
                Read::Bytes(_) => {}
                Read::Closed => break Ending::Done,
                Read::TimedOut => {
                    if message_started.is_some() || !session.negotiated() {
                        eprintln!(
                            "charter milter: peer={peer} bytes={}: Message or negotiation not finished in time, closed.",
                            buf.len() + session.held_bytes()
                        );
                    }
                    break Ending::Done;
                }
            }
            if account.hold(buf.len() + session.held_bytes()).is_err() {
                break self.over_budget(peer, buf.len() + session.held_bytes());
            }
            let mut used = 0;
            loop {
                let (command, len) = match read_frame(&buf[used..], DEFAULT_MAX_FRAME) {
                    Ok(Frame::Incomplete) => break,
                    Ok(Frame::Command(command, len)) => (command, len),
                    Err(e) => break 'connection self.bad_frame(peer, &e),
                };
                used += len;
                last_frame = Instant::now();
                let mark = out.len();
                let step = session.handle(command, self.clock.now(), &mut out);
                // A message being decided stays charged until its answer is back.
                let deciding = match &step {
                    Step::Decide(job) => job.held_bytes(),
                    Step::Continue | Step::Close => 0,
                };
                let held = buf.len() - used + session.held_bytes() + deciding;
                if account.hold(held).is_err() {
                    out.truncate(mark);
                    break 'connection self.over_budget(peer, held);
                }
                match step {
                    Step::Continue => {}
                    Step::Close => break 'connection Ending::Done,
                    Step::Decide(job) => {
                        message_started = None;
                        let answer = self.pool.run(move || job.run()).await;
                        match answer {
                            Err(Unfinished::TimedOut) => eprintln!(
                                "charter milter: peer={peer} secs={}: Message not decided in time, tempfailed.",
                                self.pool.deadline().as_secs()
                            ),
                            Err(Unfinished::Panicked) => eprintln!(
                                "charter milter: peer={peer}: The engine failed on a message, tempfailed."
                            ),
                            Ok(_) => {}
                        }
                        session.finish(answer, &mut out);
                        if let Some(decided) = session.take_decided() {
                            self.recorder.record(decided);
                        }
                        last_frame = Instant::now();
                    }
                }
                if session.in_message() {
                    message_started.get_or_insert(last_frame);
                } else {
                    message_started = None;
                }
            }
            buf.drain(..used);
            if !out.is_empty() {
                write_within(&mut stream, &out, self.idle_timeout).await?;
                out.clear();
            }
        };
        if let Ending::Refuse(response) = ending {
            response.encode(&mut out);
        }
        if !out.is_empty() {
            write_within(&mut stream, &out, Duration::from_secs(1)).await?;
        }
        Ok(())
    }

    fn over_budget(&self, peer: SocketAddr, bytes: usize) -> Ending {
        eprintln!(
            "charter milter: peer={peer} bytes={bytes} in_use={}: Memory budget used up, message tempfailed.",
            self.budget.used()
        );
        Ending::Refuse(Response::ReplyCode {
            code: 451,
            status: "4.3.2",
            text: "Charter is busy; try again later",
        })
    }

    fn bad_frame(&self, peer: SocketAddr, e: &MilterError) -> Ending {
        eprintln!("charter milter: peer={peer} error={e}: Bad frame, closed.");
        match e {
            MilterError::TooLarge { .. } => Ending::Refuse(Response::ReplyCode {
                code: 552,
                status: "5.3.4",
                text: "Charter: milter frame too large",
            }),
            _ => Ending::Done,
        }
    }
}

#[cfg(test)]
mod tests;
