//! The milter gateway: Postfix (or Sendmail) hands each message over the milter protocol,
//! the engine decides, and the milter answers reject, tempfail, hold (quarantine) or accept,
//! with an `X-Charter-Verdict` header and, where the pack says so, the disclaimer footer.
//!
//! Shaped like a Vector component: [`MilterConfig`] (the `[milter]` section of
//! `charter.toml`, unknown keys refused) → [`MilterConfig::build`] → [`Milter`], whose
//! [`Milter::serve`] runs the accept loop. The protocol work is in [`Session`], a synchronous
//! state machine fed [`Command`]s that writes encoded responses: the async loop only reads,
//! feeds, writes and enforces the idle timeout, so every behaviour is tested without sockets.
//!
//! Verdicts map to milter answers in one function, [`Session::verdict_responses`]:
//! `block` → `550 5.7.1` naming the rule; `hold` → quarantine (Postfix's hold queue) with the
//! header; `warn`, `log`, `allow` → accept with the header (and footer). If the engine
//! panics on a message the answer is `451 4.3.0` (tempfail), so a bug defers mail rather than
//! letting it through unchecked.

use crate::record::{Recorded, Recorder};
use crate::web::Roles;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::listen::serve_bounded;
use tokio::sync::Semaphore;

use crate::web::Clock;
use charter_engine::mail::{Envelope, MailInput, MailLimits, footer};
use charter_engine::{Context, Decision, Engine};
use charter_policy::{Area, Verdict};
use charter_proto::milter::{
    Command, DEFAULT_MAX_FRAME, Frame, MAX_BODY_CHUNK, Response, VERSION, action, protocol,
    read_frame,
};

/// The header every checked message gets.
pub const VERDICT_HEADER: &str = "X-Charter-Verdict";

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
    /// Seconds a connection may stay silent before it is closed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Most connections served at once; further ones are closed at once, and Postfix applies
    /// its `milter_default_action`.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
}

pub(crate) fn default_max_connections() -> usize {
    256
}

pub(crate) fn default_trusted() -> Vec<String> {
    vec!["127.0.0.0/8".to_string(), "::1/128".to_string()]
}

fn default_timeout() -> u64 {
    300
}

/// A gateway configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    what: String,
}

impl ConfigError {
    pub(crate) fn new(what: String) -> Self {
        ConfigError { what }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for ConfigError {}

/// An IP network in CIDR form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Network {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            ConfigError::new(format!(
                "bad network `{s}`, expected CIDR such as 10.0.0.0/8"
            ))
        };
        let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?
        };
        Ok(Network { addr, prefix })
    }
}

impl Network {
    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

pub(crate) fn parse_networks(list: &[String]) -> Result<Vec<Network>, ConfigError> {
    list.iter().map(|n| n.parse()).collect()
}

pub(crate) fn parse_listen(listen: &str) -> Result<SocketAddr, ConfigError> {
    listen.parse().map_err(|_| {
        ConfigError::new(format!(
            "bad listen address `{listen}`, expected IP:PORT such as 127.0.0.1:8891"
        ))
    })
}

impl MilterConfig {
    /// Checks the configuration and builds the milter; `clock` dates each decision.
    pub fn build(&self, engine: Arc<Engine>, clock: Clock) -> Result<Milter, ConfigError> {
        Ok(Milter {
            engine,
            clock,
            listen: parse_listen(&self.listen)?,
            trusted: parse_networks(&self.trusted_networks)?,
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            limits: MailLimits::default(),
            slots: Arc::new(Semaphore::new(self.max_connections.max(1))),
            recorder: Recorder::off(),
            roles: Roles::default(),
            directory: Vec::new(),
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
    timeout: Duration,
    limits: MailLimits,
    slots: Arc<Semaphore>,
    recorder: Recorder,
    roles: Roles,
    directory: Vec<String>,
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

    /// Colleagues' display names, lowercase: an outside sender using one is a spoof.
    pub fn with_directory(mut self, directory: Vec<String>) -> Milter {
        self.directory = directory;
        self
    }

    /// The address it is configured to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Binds the listening socket.
    pub async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.listen).await
    }

    /// Accepts connections until the task is dropped, one task per connection.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        let slots = Arc::clone(&self.slots);
        serve_bounded("milter", listener, slots, drop, |stream| {
            let milter = Arc::clone(&self);
            async move { milter.connection(stream).await }
        })
        .await
    }

    async fn connection(&self, mut stream: TcpStream) -> std::io::Result<()> {
        let _ = stream.set_nodelay(true);
        let mut session = Session::new(&self.engine, &self.trusted, self.limits)
            .with_roles(&self.roles)
            .with_directory(&self.directory);
        let mut buf = Vec::with_capacity(8192);
        let mut chunk = vec![0u8; 64 * 1024];
        let mut out = Vec::with_capacity(1024);
        loop {
            let n = match tokio::time::timeout(self.timeout, stream.read(&mut chunk)).await {
                Ok(read) => read?,
                Err(_) => return Ok(()),
            };
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut used = 0;
            let mut close = false;
            loop {
                match read_frame(&buf[used..], DEFAULT_MAX_FRAME) {
                    Ok(Frame::Incomplete) => break,
                    Ok(Frame::Command(command, len)) => {
                        used += len;
                        let flow = session.handle(command, self.clock.now(), &mut out);
                        if let Some(decided) = session.take_decided() {
                            self.recorder.record(decided);
                        }
                        if flow == Flow::Close {
                            close = true;
                            break;
                        }
                    }
                    Err(e) => {
                        stream.write_all(&out).await?;
                        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
                    }
                }
            }
            buf.drain(..used);
            if !out.is_empty() {
                stream.write_all(&out).await?;
                out.clear();
            }
            if close {
                return Ok(());
            }
        }
    }
}

/// Whether the connection goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Close the connection.
    Close,
}

/// One milter connection's state: what the MTA negotiated, who connected, and the message so
/// far.
#[derive(Debug)]
pub struct Session<'e> {
    engine: &'e Engine,
    trusted: &'e [Network],
    limits: MailLimits,
    actions: u32,
    leading_space: bool,
    client: Option<IpAddr>,
    authenticated: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    headers: Vec<u8>,
    verdict_headers: u32,
    body: Vec<u8>,
    body_overflow: bool,
    decided: Option<Recorded>,
    roles: Option<&'e Roles>,
    directory: &'e [String],
}

fn strip_angles(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

impl<'e> Session<'e> {
    /// A session for a new connection.
    pub fn new(engine: &'e Engine, trusted: &'e [Network], limits: MailLimits) -> Self {
        Session {
            engine,
            trusted,
            limits,
            actions: 0,
            leading_space: false,
            client: None,
            authenticated: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            headers: Vec::new(),
            verdict_headers: 0,
            body: Vec::new(),
            body_overflow: false,
            decided: None,
            roles: None,
            directory: &[],
        }
    }

    /// Checks display names against colleagues' names in `directory` (lowercase).
    pub fn with_directory(mut self, directory: &'e [String]) -> Self {
        self.directory = directory;
        self
    }

    /// Looks senders' roles up in `roles`.
    pub fn with_roles(mut self, roles: &'e Roles) -> Self {
        self.roles = Some(roles);
        self
    }

    /// The decision about the last message, once, for the monitoring records.
    pub fn take_decided(&mut self) -> Option<Recorded> {
        self.decided.take()
    }

    /// What a record keeps of the message: envelope and subject, never the body.
    fn record_subject(&self) -> String {
        let subject = String::from_utf8_lossy(&self.headers)
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("subject")
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default();
        format!(
            "From: {}; To: {}; Subject: {subject}",
            self.mail_from.as_deref().unwrap_or(""),
            self.rcpt_to.join(", ")
        )
    }

    fn reset_message(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
        self.headers.clear();
        self.verdict_headers = 0;
        self.body.clear();
        self.body_overflow = false;
    }

    /// Handles one command, appending any responses to `out`.
    pub fn handle(
        &mut self,
        command: Command<'_>,
        now: jiff::Timestamp,
        out: &mut Vec<u8>,
    ) -> Flow {
        match command {
            Command::OptNeg {
                version,
                actions,
                protocol: offered,
            } => {
                if version < 2 {
                    return Flow::Close;
                }
                self.actions = actions
                    & (action::ADD_HEADERS
                        | action::CHANGE_BODY
                        | action::CHANGE_HEADERS
                        | action::QUARANTINE);
                let wanted = protocol::NO_HELO
                    | protocol::NO_UNKNOWN
                    | protocol::NO_DATA
                    | protocol::HEADER_LEADING_SPACE;
                self.leading_space = offered & protocol::HEADER_LEADING_SPACE != 0;
                Response::OptNeg {
                    version: VERSION.min(version),
                    actions: self.actions,
                    protocol: offered & wanted,
                }
                .encode(out);
            }
            Command::Macro { pairs, .. } => {
                for (name, value) in pairs {
                    if (name == "{auth_authen}" || name == "auth_authen") && !value.is_empty() {
                        self.authenticated = Some(value.to_string());
                    }
                }
            }
            Command::Connect { address, .. } => {
                self.client = address.parse().ok();
                self.authenticated = None;
                Response::Continue.encode(out);
            }
            Command::Mail(args) => {
                self.reset_message();
                self.mail_from = args.first().map(|a| strip_angles(a));
                Response::Continue.encode(out);
            }
            Command::Rcpt(args) => {
                if self.rcpt_to.len() < 10_000
                    && let Some(r) = args.first()
                {
                    self.rcpt_to.push(strip_angles(r));
                }
                Response::Continue.encode(out);
            }
            Command::Header { name, value } => {
                if name.eq_ignore_ascii_case(VERDICT_HEADER) {
                    self.verdict_headers += 1;
                }
                if self.headers.len() < self.limits.max_message_bytes {
                    self.headers.extend_from_slice(name.as_bytes());
                    self.headers.push(b':');
                    let value = value.replace("\r\n", "\n").replace('\n', "\r\n");
                    self.headers.extend_from_slice(value.as_bytes());
                    self.headers.extend_from_slice(b"\r\n");
                }
                Response::Continue.encode(out);
            }
            Command::Body(chunk) => {
                let room = (self.limits.max_message_bytes + 1).saturating_sub(self.body.len());
                if chunk.len() > room {
                    self.body_overflow = true;
                }
                self.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                Response::Continue.encode(out);
            }
            Command::Helo(_) | Command::Data | Command::EndOfHeaders | Command::Unknown(_) => {
                Response::Continue.encode(out);
            }
            Command::EndOfMessage => {
                self.end_of_message(now, out);
                self.reset_message();
            }
            Command::Abort => self.reset_message(),
            Command::QuitNewConnection => {
                self.reset_message();
                self.client = None;
                self.authenticated = None;
            }
            Command::Quit => return Flow::Close,
        }
        Flow::Continue
    }

    fn client_outside(&self) -> Option<bool> {
        let client = self.client?;
        Some(self.authenticated.is_none() && !self.trusted.iter().any(|n| n.contains(client)))
    }

    fn end_of_message(&mut self, now: jiff::Timestamp, out: &mut Vec<u8>) {
        let mut raw = Vec::with_capacity(self.headers.len() + self.body.len() + 2);
        raw.extend_from_slice(&self.headers);
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(&self.body);
        let envelope = Envelope {
            mail_from: self.mail_from.clone(),
            rcpt_to: self.rcpt_to.clone(),
            authenticated: self.authenticated.clone(),
            from_outside: self.client_outside(),
        };
        let user = self
            .authenticated
            .clone()
            .or_else(|| self.mail_from.clone());
        let roles = self
            .roles
            .map(|r| r.of(user.as_deref()))
            .unwrap_or_default();
        let ctx = Context::new(user, roles, now);
        let engine = self.engine;
        let limits = self.limits;
        let decided = catch_unwind(AssertUnwindSafe(|| {
            let input = MailInput {
                directory: self.directory,
                ..MailInput::new(&raw, &envelope)
            };
            let md = engine.decide_mail_with(&ctx, &input, &limits);
            // Held mail may be released later, so it gets the footer too; refused mail does not.
            let footed = if md.add_disclaimer && md.decision.verdict != Verdict::Block {
                engine
                    .pack()
                    .mail
                    .disclaimer
                    .as_deref()
                    .and_then(|d| footer::add_footer(&raw, d))
            } else {
                None
            };
            (md.decision, footed)
        }));
        match decided {
            Ok((decision, footed)) => {
                self.verdict_responses(&decision, footed.as_ref().map(|f| f.body()), out);
                self.decided = Some(Recorded {
                    at: now,
                    user: ctx.user.clone(),
                    source: Area::Mail,
                    subject: self.record_subject(),
                    decision,
                });
            }
            Err(_) => Response::ReplyCode {
                code: 451,
                status: "4.3.0",
                text: "Charter could not check this message; try again later",
            }
            .encode(out),
        }
    }

    /// The milter's answer to a decision: the one place verdicts become protocol.
    pub fn verdict_responses(
        &self,
        decision: &Decision,
        new_body: Option<&[u8]>,
        out: &mut Vec<u8>,
    ) {
        let header = verdict_header(decision);
        let deciding = decision.deciding();
        let reason = deciding.map_or_else(String::new, |f| {
            format!("Charter: rule {} ({}): {}", f.rule, f.clause, f.message)
        });
        match decision.verdict {
            Verdict::Block => Response::ReplyCode {
                code: 550,
                status: "5.7.1",
                text: &reason,
            }
            .encode(out),
            Verdict::Hold if self.actions & action::QUARANTINE == 0 => Response::ReplyCode {
                code: 451,
                status: "4.7.1",
                text: &format!("{reason} (held: quarantine not allowed by the MTA)"),
            }
            .encode(out),
            verdict => {
                if self.actions & action::CHANGE_HEADERS != 0 {
                    for index in (1..=self.verdict_headers).rev() {
                        Response::ChangeHeader {
                            index,
                            name: VERDICT_HEADER,
                            value: "",
                        }
                        .encode(out);
                    }
                }
                if self.actions & action::ADD_HEADERS != 0 {
                    // With leading space negotiated the MTA writes values as given.
                    let value = if self.leading_space {
                        format!(" {header}")
                    } else {
                        header
                    };
                    Response::AddHeader {
                        name: VERDICT_HEADER,
                        value: &value,
                    }
                    .encode(out);
                }
                if let Some(body) = new_body
                    && self.actions & action::CHANGE_BODY != 0
                {
                    for chunk in body.chunks(MAX_BODY_CHUNK) {
                        Response::ReplaceBody(chunk).encode(out);
                    }
                }
                if verdict == Verdict::Hold {
                    Response::Quarantine(&reason).encode(out);
                }
                Response::Continue.encode(out);
            }
        }
    }
}

/// `X-Charter-Verdict` value: the verdict, then the rules that matched.
pub fn verdict_header(decision: &Decision) -> String {
    let mut value = decision.verdict.to_string();
    if !decision.findings.is_empty() {
        let rules: Vec<&str> = decision.findings.iter().map(|f| f.rule.as_str()).collect();
        value.push_str("; rules=");
        value.push_str(&rules.join(","));
    }
    if decision.privacy == charter_engine::Privacy::HeadersOnly {
        value.push_str("; privacy=headers_only");
    }
    value
}

#[cfg(test)]
mod tests;
