//! The Postfix policy delegation service: envelope checks before the message is sent.
//!
//! Postfix asks at each `RCPT TO` and again at `DATA` (or end of message), over one
//! connection per smtpd process that it reopens whenever it finds it closed. The service
//! remembers the recipients of each message by Postfix's `instance` attribute (unique per
//! message) and the client address, in one store shared by all connections, so closing an
//! idle connection loses nothing; it answers `DUNNO` while they arrive, and decides on the
//! whole envelope at `DATA`/`END-OF-MESSAGE` with [`Engine::decide_envelope`], on a
//! [`DecisionPool`] off the reactor: `block` → `REJECT 5.7.1 ...` naming the rule, `hold` →
//! `HOLD`, `warn` → `WARN` (logged), otherwise `DUNNO`. Content checks are the milter's.
//!
//! Bounds: a request is at most [`DEFAULT_MAX_REQUEST`] bytes and must arrive whole within
//! `timeout_secs` of its first byte; a connection silent for `timeout_secs` is closed
//! (Postfix reconnects); one message's recipients are at most `max_recipient_bytes` and all
//! messages in flight at most `max_memory_mib`. Past a limit, or when the engine has not
//! answered within `decision_timeout_secs`, the answer is `DEFER_IF_PERMIT` (a temporary
//! failure), never a silent pass.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use charter_engine::mail::Envelope;
use charter_engine::{Context, Decision, Engine};
use charter_policy::Verdict;
use charter_proto::postfix_policy::{
    DEFAULT_MAX_REQUEST, PolicyAction, PolicyError, PolicyRequest, RequestReader,
};

use crate::listen::{ConnectionLimits, Read, read_before, serve_bounded, write_within};
use crate::milter::{
    default_max_connections, default_max_connections_per_client, default_max_recipient_bytes,
    default_trusted,
};
use crate::net::{ConfigError, Network, at_least_one, parse_listen, parse_networks};
use crate::pool::{DecisionPool, Unfinished};
use crate::web::Clock;

/// `[policy_service]` in `charter.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PolicyServiceConfig {
    /// Address to listen on, such as `127.0.0.1:10040`
    /// (Postfix: `check_policy_service inet:127.0.0.1:10040`).
    pub listen: String,
    /// Client networks counted as inside the organisation (CIDR). Default: loopback only.
    #[serde(default = "default_trusted")]
    pub trusted_networks: Vec<String>,
    /// Most connections served at once (Postfix keeps one per smtpd process).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Most connections at once from one client address (an IPv6 /64); keep it above
    /// Postfix's `default_process_limit` (100).
    #[serde(default = "default_max_connections_per_client")]
    pub max_connections_per_client: usize,
    /// Seconds one request may take from its first byte, and seconds a connection may stay
    /// silent between requests before it is closed (Postfix reconnects by itself).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Seconds the engine may take over one envelope before the answer is a deferral.
    #[serde(default = "default_decision_timeout")]
    pub decision_timeout_secs: u64,
    /// Most bytes of recipients remembered for one message.
    #[serde(default = "default_max_recipient_bytes")]
    pub max_recipient_bytes: usize,
    /// Memory for the recipients of all messages in flight, in MiB.
    #[serde(default = "default_max_memory_mib")]
    pub max_memory_mib: usize,
}

fn default_timeout() -> u64 {
    10
}

fn default_decision_timeout() -> u64 {
    5
}

fn default_max_memory_mib() -> usize {
    64
}

impl PolicyServiceConfig {
    /// Checks the configuration and builds the service; `clock` dates each decision.
    pub fn build(&self, engine: Arc<Engine>, clock: Clock) -> Result<PolicyService, ConfigError> {
        for (key, value) in [
            ("timeout_secs", self.timeout_secs),
            ("decision_timeout_secs", self.decision_timeout_secs),
            ("max_connections", self.max_connections as u64),
            (
                "max_connections_per_client",
                self.max_connections_per_client as u64,
            ),
            ("max_recipient_bytes", self.max_recipient_bytes as u64),
            ("max_memory_mib", self.max_memory_mib as u64),
        ] {
            at_least_one("policy_service", key, value)?;
        }
        Ok(PolicyService {
            engine,
            clock,
            listen: parse_listen(&self.listen)?,
            trusted: Arc::from(parse_networks(&self.trusted_networks)?),
            connections: ConnectionLimits {
                total: self.max_connections,
                per_client: self.max_connections_per_client,
            },
            timeout: Duration::from_secs(self.timeout_secs),
            pool: DecisionPool::sized_to_cores(Duration::from_secs(self.decision_timeout_secs)),
            pending: Pending::new(
                self.max_recipient_bytes,
                self.max_memory_mib.saturating_mul(1 << 20),
            ),
            next_connection: AtomicU64::new(0),
        })
    }
}

/// The running policy service.
#[derive(Debug)]
pub struct PolicyService {
    engine: Arc<Engine>,
    clock: Clock,
    listen: SocketAddr,
    trusted: Arc<[Network]>,
    connections: ConnectionLimits,
    timeout: Duration,
    pool: DecisionPool,
    pending: Pending,
    next_connection: AtomicU64,
}

/// How long recipients of a message no one has asked about are kept: longer than Postfix
/// lets an SMTP client pause (`smtpd_timeout`, 300 s), so only abandoned messages go.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// Bytes a remembered message costs beyond its recipients' text: the map entry and the
/// strings' own headers, roughly.
const ENTRY_OVERHEAD: usize = 128;

/// Recipients of the messages in flight, shared by every connection and bounded in bytes.
#[derive(Debug)]
pub struct Pending {
    per_message: usize,
    limit: usize,
    state: Mutex<PendingState>,
}

#[derive(Debug, Default)]
struct PendingState {
    bytes: usize,
    messages: HashMap<(IpAddr, String), PendingMessage>,
}

#[derive(Debug)]
struct PendingMessage {
    recipients: Vec<String>,
    recipient_bytes: usize,
    touched: Instant,
}

/// Why a recipient was not remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRemembered {
    /// The message already has `max_recipient_bytes` of recipients.
    TooManyRecipients,
    /// All messages in flight hold the whole budget.
    Full,
}

impl Pending {
    /// A store holding at most `per_message` bytes of recipients for one message and
    /// `limit` bytes in all.
    pub fn new(per_message: usize, limit: usize) -> Pending {
        Pending {
            per_message,
            limit,
            state: Mutex::default(),
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PendingState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers `recipient` for the message `key`.
    pub fn remember(&self, key: (IpAddr, String), recipient: &str) -> Result<(), NotRemembered> {
        let mut state = self.lock();
        let now = Instant::now();
        let known = state.messages.get(&key).map(|m| m.recipient_bytes);
        if known.unwrap_or(0) + recipient.len() > self.per_message {
            return Err(NotRemembered::TooManyRecipients);
        }
        let cost = recipient.len() + known.map_or(entry_overhead(&key), |_| 0);
        if state.bytes + cost > self.limit {
            state.forget_stale(now);
            if state.bytes + cost > self.limit {
                return Err(NotRemembered::Full);
            }
        }
        state.bytes += cost;
        let message = state.messages.entry(key).or_insert_with(|| PendingMessage {
            recipients: Vec::new(),
            recipient_bytes: 0,
            touched: now,
        });
        message.recipients.push(recipient.to_string());
        message.recipient_bytes += recipient.len();
        message.touched = now;
        Ok(())
    }

    /// The recipients remembered for `key`, forgotten as they are handed over.
    pub fn take(&self, key: &(IpAddr, String)) -> Vec<String> {
        let mut state = self.lock();
        match state.messages.remove(key) {
            Some(message) => {
                state.bytes -= message.recipient_bytes + entry_overhead(key);
                message.recipients
            }
            None => Vec::new(),
        }
    }
}

/// What a remembered message costs beyond its recipients' text.
fn entry_overhead(key: &(IpAddr, String)) -> usize {
    ENTRY_OVERHEAD + key.1.len()
}

impl PendingState {
    /// Forgets messages nobody has asked about for [`STALE_AFTER`]: abandoned sessions.
    fn forget_stale(&mut self, now: Instant) {
        let before = self.messages.len();
        let mut freed = 0;
        self.messages.retain(|key, m| {
            let keep = now.duration_since(m.touched) < STALE_AFTER;
            if !keep {
                freed += m.recipient_bytes + entry_overhead(key);
            }
            keep
        });
        self.bytes -= freed;
        if before != self.messages.len() {
            eprintln!(
                "charter policy service: messages={}: Forgot the recipients of abandoned messages.",
                before - self.messages.len()
            );
        }
    }
}

/// What to do with one request.
#[derive(Debug)]
pub enum Answer {
    /// Answer this at once.
    Now(PolicyAction),
    /// Run this decision (off the reactor), then answer with [`EnvelopeJob::answer`].
    Decide(EnvelopeJob),
}

/// One envelope for the engine: everything it needs, owned, so it can run on another thread.
#[derive(Debug)]
pub struct EnvelopeJob {
    engine: Arc<Engine>,
    ctx: Context,
    envelope: Envelope,
}

impl EnvelopeJob {
    /// Decides the envelope and puts the decision into a policy answer.
    pub fn run(self) -> PolicyAction {
        action_for(&self.engine.decide_envelope(&self.ctx, &self.envelope))
    }

    /// The answer when the decision did not come back.
    pub fn unfinished(why: Unfinished) -> PolicyAction {
        PolicyAction::Defer(match why {
            Unfinished::TimedOut => {
                "4.3.0 Charter could not check this message in time; try again later".into()
            }
            Unfinished::Panicked => {
                "4.3.0 Charter could not check this message; try again later".into()
            }
        })
    }
}

/// One connection: who it is from, for keying its messages, and what every answer needs.
#[derive(Debug)]
pub struct PolicySession<'s> {
    engine: &'s Arc<Engine>,
    trusted: &'s [Network],
    pending: &'s Pending,
    client: IpAddr,
    /// Stands in for the `instance` of a request that has none (not Postfix), so such
    /// requests are only ever matched on their own connection.
    connection: String,
}

impl<'s> PolicySession<'s> {
    /// A session for a connection from `client`; `connection` must be unique to it.
    pub fn new(
        engine: &'s Arc<Engine>,
        trusted: &'s [Network],
        pending: &'s Pending,
        client: IpAddr,
        connection: u64,
    ) -> PolicySession<'s> {
        PolicySession {
            engine,
            trusted,
            pending,
            client,
            connection: format!("\0connection {connection}"),
        }
    }

    fn key(&self, request: &PolicyRequest<'_>) -> (IpAddr, String) {
        let instance = request.non_empty("instance").unwrap_or(&self.connection);
        (self.client, instance.to_string())
    }

    /// Answers one request, or says what to decide.
    pub fn answer(&self, request: &PolicyRequest<'_>, now: jiff::Timestamp) -> Answer {
        let state = request
            .get("protocol_state")
            .unwrap_or("")
            .to_ascii_uppercase();
        match state.as_str() {
            "RCPT" => {
                let Some(rcpt) = request.non_empty("recipient") else {
                    return Answer::Now(PolicyAction::Dunno);
                };
                Answer::Now(match self.pending.remember(self.key(request), rcpt) {
                    Ok(()) => PolicyAction::Dunno,
                    Err(NotRemembered::TooManyRecipients) => PolicyAction::Defer(format!(
                        "4.5.3 Charter: too many recipients for one message (over {} bytes); send the rest separately",
                        self.pending.per_message
                    )),
                    Err(NotRemembered::Full) => {
                        PolicyAction::Defer("4.3.2 Charter is busy; try again later".into())
                    }
                })
            }
            "DATA" | "END-OF-MESSAGE" => {
                let mut rcpt_to = self.pending.take(&self.key(request));
                if rcpt_to.is_empty()
                    && let Some(r) = request.non_empty("recipient")
                {
                    rcpt_to.push(r.to_string());
                }
                let authenticated = request.non_empty("sasl_username").map(str::to_string);
                let client: Option<IpAddr> =
                    request.get("client_address").and_then(|a| a.parse().ok());
                let from_outside = client.map(|c| {
                    authenticated.is_none() && !self.trusted.iter().any(|n| n.contains(c))
                });
                let envelope = Envelope {
                    mail_from: request.non_empty("sender").map(str::to_string),
                    rcpt_to,
                    authenticated: authenticated.clone(),
                    from_outside,
                };
                let user = authenticated.or_else(|| envelope.mail_from.clone());
                Answer::Decide(EnvelopeJob {
                    engine: Arc::clone(self.engine),
                    ctx: Context::new(user, Vec::new(), now),
                    envelope,
                })
            }
            _ => Answer::Now(PolicyAction::Dunno),
        }
    }
}

/// The policy answer to an envelope decision: the one place verdicts become protocol.
pub fn action_for(decision: &Decision) -> PolicyAction {
    let Some(f) = decision.deciding() else {
        return PolicyAction::Dunno;
    };
    let text = format!("Charter: rule {} ({}): {}", f.rule, f.clause, f.message);
    match decision.verdict {
        Verdict::Block => PolicyAction::Reject(format!("5.7.1 {text}")),
        Verdict::Hold => PolicyAction::Hold(text),
        Verdict::Warn => PolicyAction::Warn(text),
        Verdict::Log | Verdict::Allow => PolicyAction::Dunno,
    }
}

impl PolicyService {
    /// The address it is configured to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Binds the listening socket.
    pub async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.listen).await
    }

    /// Accepts connections until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        serve_bounded(
            "policy service",
            listener,
            self.connections,
            drop,
            |stream, peer| {
                let service = Arc::clone(&self);
                async move { service.connection(stream, peer).await }
            },
        )
        .await
    }

    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr) -> std::io::Result<()> {
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let session = PolicySession::new(&self.engine, &self.trusted, &self.pending, peer.ip(), id);
        let mut reader = RequestReader::new(DEFAULT_MAX_REQUEST);
        let mut buf = Vec::new();
        // INVARIANT: `started` is when the first byte of the request now in `buf` arrived;
        // `None` while `buf` is empty, when the connection is idle since `idle_since`.
        let mut started: Option<Instant> = None;
        let mut idle_since = Instant::now();
        loop {
            let deadline = started.unwrap_or(idle_since) + self.timeout;
            match read_before(&mut stream, &mut buf, deadline).await? {
                Read::Closed => return Ok(()),
                Read::TimedOut => {
                    if started.is_some() {
                        eprintln!(
                            "charter policy service: peer={peer} bytes={}: Request not sent in time, closed.",
                            buf.len()
                        );
                    }
                    return Ok(());
                }
                Read::Bytes(_) => {
                    started.get_or_insert_with(Instant::now);
                }
            }
            let mut out = String::new();
            let mut used = 0;
            let mut failed = None;
            loop {
                let answer = match reader.read(&buf[used..]) {
                    Ok(None) => break,
                    Ok(Some((request, len))) => {
                        used += len;
                        session.answer(&request, self.clock.now())
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                };
                let action = match answer {
                    Answer::Now(action) => action,
                    Answer::Decide(job) => match self.pool.run(move || job.run()).await {
                        Ok(action) => action,
                        Err(why) => {
                            eprintln!(
                                "charter policy service: peer={peer} why={why:?}: Envelope not decided, deferred."
                            );
                            EnvelopeJob::unfinished(why)
                        }
                    },
                };
                out.push_str(&action.encode());
            }
            buf.drain(..used);
            if let Some(e) = failed {
                eprintln!("charter policy service: peer={peer} error={e}: Bad request, closed.");
                out.push_str(&refusal(&e).encode());
                write_within(&mut stream, out.as_bytes(), Duration::from_secs(1)).await?;
                return Ok(());
            }
            if !out.is_empty() {
                write_within(&mut stream, out.as_bytes(), self.timeout).await?;
                let now = Instant::now();
                idle_since = now;
                started = (!buf.is_empty()).then_some(now);
            }
        }
    }
}

/// The answer to a request that cannot be read, before the connection is closed.
fn refusal(e: &PolicyError) -> PolicyAction {
    PolicyAction::Defer(format!("4.3.0 Charter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
domains = ["acme.co.uk"]
[[rule]]
id = "mail.mass"
clause = "Mass mail"
on = "mail"
checks = ["mass_mail"]
max_recipients = 2
action = "block"
severity = "concern"
[[rule]]
id = "mail.spoof"
clause = "Spoofing"
on = "mail"
checks = ["spoofed_internal_sender"]
action = "hold"
severity = "concern"
"#;

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::new(charter_policy::parse(PACK, "t.toml").unwrap()))
    }

    fn request(text: &str) -> PolicyRequest<'_> {
        charter_proto::postfix_policy::read_request(text.as_bytes(), DEFAULT_MAX_REQUEST)
            .unwrap()
            .unwrap()
            .0
    }

    fn now() -> jiff::Timestamp {
        "2026-06-15T10:00:00Z".parse().unwrap()
    }

    fn local() -> IpAddr {
        "127.0.0.1".parse().unwrap()
    }

    /// Answers as the service does, deciding on this thread.
    fn answer(session: &PolicySession<'_>, text: &str) -> PolicyAction {
        match session.answer(&request(text), now()) {
            Answer::Now(action) => action,
            Answer::Decide(job) => job.run(),
        }
    }

    fn pending() -> Pending {
        Pending::new(default_max_recipient_bytes(), 1 << 20)
    }

    #[test]
    fn recipients_add_up_to_mass_mail() {
        let engine = engine();
        let trusted = vec!["127.0.0.0/8".parse().unwrap()];
        let pending = pending();
        let s = PolicySession::new(&engine, &trusted, &pending, local(), 1);
        for r in ["a@x.com", "b@y.com", "c@z.com"] {
            let req = format!(
                "request=smtpd_access_policy\nprotocol_state=RCPT\ninstance=1a\nsender=ann@acme.co.uk\nrecipient={r}\nclient_address=127.0.0.1\n\n"
            );
            assert_eq!(answer(&s, &req), PolicyAction::Dunno);
        }
        let req = "request=smtpd_access_policy\nprotocol_state=DATA\ninstance=1a\nsender=ann@acme.co.uk\nrecipient_count=3\nclient_address=127.0.0.1\n\n";
        assert_eq!(
            answer(&s, req),
            PolicyAction::Reject(
                "5.7.1 Charter: rule mail.mass (Mass mail): 3 outside recipients, over 2, without an authorisation".into()
            )
        );
        // The instance is forgotten once decided.
        assert_eq!(pending.bytes(), 0);
    }

    #[test]
    fn recipients_survive_a_reconnection() {
        // Postfix reopens a connection the service closed when idle; the message's
        // recipients, remembered by instance, are still counted at DATA.
        let engine = engine();
        let pending = pending();
        let first = PolicySession::new(&engine, &[], &pending, local(), 1);
        for r in ["a@x.com", "b@y.com"] {
            let req = format!(
                "protocol_state=RCPT\ninstance=77\nsender=ann@acme.co.uk\nrecipient={r}\n\n"
            );
            assert_eq!(answer(&first, &req), PolicyAction::Dunno);
        }
        drop(first);
        let second = PolicySession::new(&engine, &[], &pending, local(), 2);
        let req = "protocol_state=RCPT\ninstance=77\nsender=ann@acme.co.uk\nrecipient=c@z.com\n\n";
        assert_eq!(answer(&second, req), PolicyAction::Dunno);
        let req = "protocol_state=DATA\ninstance=77\nsender=ann@acme.co.uk\n\n";
        assert!(matches!(answer(&second, req), PolicyAction::Reject(_)));
        // Another client's message with the same instance is its own.
        let other = PolicySession::new(&engine, &[], &pending, "10.0.0.9".parse().unwrap(), 3);
        for r in ["a@x.com", "b@y.com", "c@z.com"] {
            let req = format!(
                "protocol_state=RCPT\ninstance=78\nsender=ann@acme.co.uk\nrecipient={r}\n\n"
            );
            answer(&second, &req);
        }
        let req = "protocol_state=DATA\ninstance=78\nsender=ann@acme.co.uk\n\n";
        assert_eq!(answer(&other, req), PolicyAction::Dunno);
        assert!(matches!(answer(&second, req), PolicyAction::Reject(_)));
    }

    #[test]
    fn internal_sender_from_outside_unauthenticated_is_held() {
        let engine = engine();
        let trusted = vec!["127.0.0.0/8".parse().unwrap()];
        let pending = pending();
        let s = PolicySession::new(&engine, &trusted, &pending, local(), 1);
        let req = "protocol_state=RCPT\ninstance=2\nsender=ceo@acme.co.uk\nrecipient=ann@acme.co.uk\nclient_address=203.0.113.9\n\n";
        answer(&s, req);
        let req = "protocol_state=END-OF-MESSAGE\ninstance=2\nsender=ceo@acme.co.uk\nclient_address=203.0.113.9\nsasl_username=\n\n";
        assert!(matches!(answer(&s, req), PolicyAction::Hold(_)));
        // Authenticated: fine.
        let req = "protocol_state=END-OF-MESSAGE\ninstance=3\nsender=ceo@acme.co.uk\nrecipient=ann@acme.co.uk\nclient_address=203.0.113.9\nsasl_username=ceo\n\n";
        assert_eq!(answer(&s, req), PolicyAction::Dunno);
    }

    #[test]
    fn recipients_of_one_message_are_bounded_in_bytes() {
        let engine = engine();
        let pending = Pending::new(100, 1 << 20);
        let s = PolicySession::new(&engine, &[], &pending, local(), 1);
        let rcpt = |i: usize| {
            format!("protocol_state=RCPT\ninstance=9\nrecipient=user{i:02}@example.com\n\n")
        };
        // Each recipient is 20 bytes: five fit in 100 bytes, the sixth is deferred.
        for i in 0..5 {
            assert_eq!(answer(&s, &rcpt(i)), PolicyAction::Dunno, "recipient {i}");
        }
        let PolicyAction::Defer(text) = answer(&s, &rcpt(5)) else {
            panic!("the sixth recipient is deferred")
        };
        assert!(
            text.starts_with("4.5.3 Charter: too many recipients"),
            "{text}"
        );
        // Another message is not affected.
        let req = "protocol_state=RCPT\ninstance=10\nrecipient=a@example.com\n\n";
        assert_eq!(answer(&s, req), PolicyAction::Dunno);
    }

    #[test]
    fn all_messages_in_flight_are_bounded_in_bytes() {
        let engine = engine();
        let pending = Pending::new(1000, 600);
        let s = PolicySession::new(&engine, &[], &pending, local(), 1);
        let mut deferred = 0;
        for i in 0..20 {
            let req = format!("protocol_state=RCPT\ninstance=m{i}\nrecipient=a@example.com\n\n");
            match answer(&s, &req) {
                PolicyAction::Dunno => {}
                PolicyAction::Defer(text) => {
                    assert!(text.contains("busy"), "{text}");
                    deferred += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(deferred > 0, "the store filled up");
        assert!(pending.bytes() <= 600, "{} bytes held", pending.bytes());
        // A message that is decided gives its bytes back.
        let before = pending.bytes();
        answer(&s, "protocol_state=DATA\ninstance=m0\n\n");
        assert!(pending.bytes() < before);
    }

    #[tokio::test(start_paused = true)]
    async fn abandoned_messages_are_forgotten_when_room_is_needed() {
        let pending = Pending::new(1000, 400);
        let key = |i: u32| (local(), format!("m{i}"));
        pending.remember(key(1), "a@example.com").unwrap();
        pending.remember(key(2), "a@example.com").unwrap();
        assert_eq!(
            pending.remember(key(3), "a@example.com"),
            Err(NotRemembered::Full)
        );
        // Within Postfix's own timeouts nothing is forgotten.
        tokio::time::advance(Duration::from_secs(299)).await;
        assert_eq!(
            pending.remember(key(3), "a@example.com"),
            Err(NotRemembered::Full)
        );
        // Past them, a message nobody asked about is abandoned and makes room.
        tokio::time::advance(STALE_AFTER).await;
        pending.remember(key(3), "a@example.com").unwrap();
        assert_eq!(pending.take(&key(1)), Vec::<String>::new());
        assert_eq!(pending.take(&key(3)), ["a@example.com"]);
    }

    #[test]
    fn config_refuses_unknown_keys_and_bad_addresses() {
        let err = toml::from_str::<PolicyServiceConfig>("listen = \"127.0.0.1:1\"\nport = 3")
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `port`"));
        let cfg: PolicyServiceConfig = toml::from_str("listen = \"nowhere\"").unwrap();
        assert_eq!(
            cfg.build(engine(), Clock::System).unwrap_err().to_string(),
            "bad listen address `nowhere`, expected IP:PORT such as 127.0.0.1:8891"
        );
        let cfg: PolicyServiceConfig =
            toml::from_str("listen = \"127.0.0.1:1\"\nmax_memory_mib = 0").unwrap();
        assert_eq!(
            cfg.build(engine(), Clock::System).unwrap_err().to_string(),
            "[policy_service] max_memory_mib must be at least 1"
        );
    }

    #[test]
    fn defaults() {
        let cfg: PolicyServiceConfig = toml::from_str("listen = \"127.0.0.1:1\"").unwrap();
        assert_eq!(
            (
                cfg.timeout_secs,
                cfg.decision_timeout_secs,
                cfg.max_connections,
                cfg.max_connections_per_client,
                cfg.max_recipient_bytes,
                cfg.max_memory_mib
            ),
            (10, 5, 256, 128, 256 << 10, 64)
        );
    }
}
