//! One milter connection's protocol state, without I/O: fed [`Command`]s, it writes encoded
//! responses and, at the end of a message, hands back a [`MailJob`] for the engine; the
//! answer goes back in with [`Session::finish`]. What a message may hold is bounded in bytes
//! here ([`MessageLimits`]).

use std::net::IpAddr;
use std::sync::Arc;

use charter_engine::mail::{Envelope, MailInput, MailLimits, footer};
use charter_engine::{Context, Decision, Engine};
use charter_policy::{Area, Verdict};
use charter_proto::milter::{Command, MAX_BODY_CHUNK, Response, VERSION, action, protocol};
use jiff::Timestamp;

use super::Colleagues;
use crate::net::Network;
use crate::pool::Unfinished;
use crate::record::Recorded;
use crate::web::Roles;

/// The header every checked message gets.
pub const VERDICT_HEADER: &str = "X-Charter-Verdict";

/// What one message may hold, in bytes, beyond the body limit the engine sets
/// ([`MailLimits::max_message_bytes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimits {
    /// All header lines together; past it the message is refused with `552 5.3.4`.
    pub max_header_bytes: usize,
    /// All envelope recipients together; a recipient past it is refused with `452 4.5.3`
    /// (the client sends it again in another transaction).
    pub max_recipient_bytes: usize,
}

impl Default for MessageLimits {
    fn default() -> Self {
        MessageLimits {
            max_header_bytes: 1 << 20,
            max_recipient_bytes: 256 << 10,
        }
    }
}

/// What the connection loop does after a command.
#[derive(Debug)]
pub enum Step {
    /// Read the next command.
    Continue,
    /// Close the connection.
    Close,
    /// Run this decision (off the reactor), then pass its answer to [`Session::finish`].
    Decide(Box<MailJob>),
}

/// One message for the engine to decide: everything it needs, owned, so it can run on
/// another thread.
#[derive(Debug)]
pub struct MailJob {
    engine: Arc<Engine>,
    directory: Arc<[String]>,
    limits: MailLimits,
    message: Vec<u8>,
    envelope: Envelope,
    ctx: Context,
}

/// The engine's answer for one message: the decision and, when the disclaimer is added, the
/// new body.
#[derive(Debug)]
pub struct MailAnswer {
    decision: Decision,
    new_body: Option<footer::Footed>,
}

impl MailJob {
    /// Bytes of the message it holds.
    pub fn held_bytes(&self) -> usize {
        self.message.len()
    }

    /// Decides the message. This is the slow part, run on a pool thread.
    pub fn run(self: Box<Self>) -> MailAnswer {
        let input = MailInput {
            directory: &self.directory,
            ..MailInput::new(&self.message, &self.envelope)
        };
        let md = self
            .engine
            .decide_mail_with(&self.ctx, &input, &self.limits);
        // Held mail may be released later, so it gets the footer too; refused mail does not.
        let new_body = if md.add_disclaimer && md.decision.verdict != Verdict::Block {
            self.engine
                .pack()
                .mail
                .disclaimer
                .as_deref()
                .and_then(|d| footer::add_footer(&self.message, d))
        } else {
            None
        };
        MailAnswer {
            decision: md.decision,
            new_body,
        }
    }
}

/// A reply that refuses the message being received.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    code: u16,
    status: &'static str,
    text: String,
}

impl Refusal {
    fn encode(&self, out: &mut Vec<u8>) {
        Response::ReplyCode {
            code: self.code,
            status: self.status,
            text: &self.text,
        }
        .encode(out);
    }
}

/// The message being received.
#[derive(Debug, Default)]
struct Message {
    /// Whether `MAIL` has started it.
    started: bool,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    recipient_bytes: usize,
    /// Header lines, then (once the body starts) a blank line and the body kept so far.
    raw: Vec<u8>,
    header_bytes: usize,
    body_started: bool,
    verdict_headers: u32,
    /// Refused with this reply while it was arriving; the rest of it is ignored.
    refused: Option<Refusal>,
}

/// What is kept of a message that is being decided, for the record.
#[derive(Debug)]
struct Deciding {
    verdict_headers: u32,
    at: Timestamp,
    user: Option<String>,
    subject: String,
}

/// One milter connection's state: what the MTA negotiated, who connected, and the message so
/// far.
#[derive(Debug)]
pub struct Session<'e> {
    engine: Arc<Engine>,
    trusted: &'e [Network],
    limits: MailLimits,
    message_limits: MessageLimits,
    actions: u32,
    leading_space: bool,
    negotiated: bool,
    client: Option<IpAddr>,
    authenticated: Option<String>,
    message: Message,
    deciding: Option<Deciding>,
    decided: Option<Recorded>,
    roles: Option<&'e Roles>,
    colleagues: Option<&'e Colleagues>,
}

fn strip_angles(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

impl<'e> Session<'e> {
    /// A session for a new connection.
    pub fn new(engine: Arc<Engine>, trusted: &'e [Network], limits: MailLimits) -> Self {
        Session {
            engine,
            trusted,
            limits,
            message_limits: MessageLimits::default(),
            actions: 0,
            leading_space: false,
            negotiated: false,
            client: None,
            authenticated: None,
            message: Message::default(),
            deciding: None,
            decided: None,
            roles: None,
            colleagues: None,
        }
    }

    /// Bounds each message by `limits`.
    pub fn with_message_limits(mut self, limits: MessageLimits) -> Self {
        self.message_limits = limits;
        self
    }

    /// Checks display names against the colleagues' names (lowercase) `colleagues` holds
    /// when each message ends.
    pub fn with_colleagues(mut self, colleagues: &'e Colleagues) -> Self {
        self.colleagues = Some(colleagues);
        self
    }

    /// Looks senders' roles up in `roles`.
    pub fn with_roles(mut self, roles: &'e Roles) -> Self {
        self.roles = Some(roles);
        self
    }

    /// Whether option negotiation is done (the MTA's first command).
    pub fn negotiated(&self) -> bool {
        self.negotiated
    }

    /// Whether a message is under way: from `MAIL` to its end or abort.
    pub fn in_message(&self) -> bool {
        self.message.started
    }

    /// Bytes the message so far holds: what the connection charges to the memory budget.
    pub fn held_bytes(&self) -> usize {
        self.message.raw.len() + self.message.recipient_bytes
    }

    /// The decision about the last message, once, for the monitoring records.
    pub fn take_decided(&mut self) -> Option<Recorded> {
        self.decided.take()
    }

    /// What a record keeps of the message: envelope and subject, never the body.
    fn record_subject(&self) -> String {
        let headers = &self.message.raw[..self.message.header_bytes];
        let subject = String::from_utf8_lossy(headers)
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
            self.message.mail_from.as_deref().unwrap_or(""),
            self.message.rcpt_to.join(", ")
        )
    }

    /// Handles one command, appending any responses to `out`.
    pub fn handle(&mut self, command: Command<'_>, now: Timestamp, out: &mut Vec<u8>) -> Step {
        match command {
            Command::OptNeg {
                version,
                actions,
                protocol: offered,
            } => {
                if version < 2 {
                    return Step::Close;
                }
                self.negotiated = true;
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
                self.message = Message {
                    started: true,
                    mail_from: args.first().map(|a| strip_angles(a)),
                    ..Message::default()
                };
                Response::Continue.encode(out);
            }
            Command::Rcpt(args) => self.recipient(args.first().copied(), out),
            Command::Header { name, value } => self.header(name, value, out),
            Command::Body(chunk) => {
                self.body(chunk);
                Response::Continue.encode(out);
            }
            Command::Helo(_) | Command::Data | Command::EndOfHeaders | Command::Unknown(_) => {
                Response::Continue.encode(out);
            }
            Command::EndOfMessage => return self.end_of_message(now, out),
            Command::Abort => self.message = Message::default(),
            Command::QuitNewConnection => {
                self.message = Message::default();
                self.client = None;
                self.authenticated = None;
            }
            Command::Quit => return Step::Close,
        }
        Step::Continue
    }

    fn recipient(&mut self, rcpt: Option<&str>, out: &mut Vec<u8>) {
        let Some(rcpt) = rcpt.map(strip_angles) else {
            Response::Continue.encode(out);
            return;
        };
        let total = self.message.recipient_bytes + rcpt.len();
        if total > self.message_limits.max_recipient_bytes {
            Response::ReplyCode {
                code: 452,
                status: "4.5.3",
                text: &format!(
                    "Charter: too many recipients for one message (over {} bytes); send the rest separately",
                    self.message_limits.max_recipient_bytes
                ),
            }
            .encode(out);
            return;
        }
        self.message.recipient_bytes = total;
        self.message.rcpt_to.push(rcpt);
        Response::Continue.encode(out);
    }

    fn header(&mut self, name: &str, value: &str, out: &mut Vec<u8>) {
        if self.message.refused.is_some() {
            Response::Continue.encode(out);
            return;
        }
        if name.eq_ignore_ascii_case(VERDICT_HEADER) {
            self.message.verdict_headers += 1;
        }
        let value = value.replace("\r\n", "\n").replace('\n', "\r\n");
        let line_len = name.len() + 1 + value.len() + 2;
        if self.message.header_bytes + line_len > self.message_limits.max_header_bytes {
            let refusal = Refusal {
                code: 552,
                status: "5.3.4",
                text: format!(
                    "Charter: message headers over {} bytes",
                    self.message_limits.max_header_bytes
                ),
            };
            refusal.encode(out);
            self.message.refused = Some(refusal);
            return;
        }
        let mut line = Vec::with_capacity(line_len);
        line.extend_from_slice(name.as_bytes());
        line.push(b':');
        line.extend_from_slice(value.as_bytes());
        line.extend_from_slice(b"\r\n");
        let at = self.message.header_bytes;
        // Headers come before the body; should one come after, it still goes with the others.
        self.message.raw.splice(at..at, line);
        self.message.header_bytes += line_len;
        Response::Continue.encode(out);
    }

    fn body(&mut self, chunk: &[u8]) {
        if self.message.refused.is_some() {
            return;
        }
        if !self.message.body_started {
            self.message.raw.extend_from_slice(b"\r\n");
            self.message.body_started = true;
        }
        // Kept up to one byte over the engine's limit, so the engine sees the message is too
        // large and judges it on its headers; the rest is not kept.
        let room = (self.limits.max_message_bytes + 1).saturating_sub(self.message.raw.len());
        self.message
            .raw
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }

    fn client_outside(&self) -> Option<bool> {
        let client = self.client?;
        Some(self.authenticated.is_none() && !self.trusted.iter().any(|n| n.contains(client)))
    }

    fn end_of_message(&mut self, now: Timestamp, out: &mut Vec<u8>) -> Step {
        if let Some(refusal) = self.message.refused.take() {
            refusal.encode(out);
            self.message = Message::default();
            return Step::Continue;
        }
        if !self.message.body_started {
            self.message.raw.extend_from_slice(b"\r\n");
        }
        let user = self
            .authenticated
            .clone()
            .or_else(|| self.message.mail_from.clone());
        let roles = self
            .roles
            .map(|r| r.of(user.as_deref()))
            .unwrap_or_default();
        self.deciding = Some(Deciding {
            verdict_headers: self.message.verdict_headers,
            at: now,
            user: user.clone(),
            subject: self.record_subject(),
        });
        let message = std::mem::take(&mut self.message);
        let envelope = Envelope {
            mail_from: message.mail_from,
            rcpt_to: message.rcpt_to,
            authenticated: self.authenticated.clone(),
            from_outside: self.client_outside(),
        };
        Step::Decide(Box::new(MailJob {
            engine: Arc::clone(&self.engine),
            directory: self
                .colleagues
                .map_or_else(|| Arc::from([]), Colleagues::current),
            limits: self.limits,
            message: message.raw,
            envelope,
            ctx: Context::new(user, roles, now),
        }))
    }

    /// Answers the message just decided: the verdict's responses, or a tempfail when the
    /// engine failed or ran out of time, so mail is deferred rather than passed unchecked.
    pub fn finish(&mut self, answer: Result<MailAnswer, Unfinished>, out: &mut Vec<u8>) {
        let deciding = self.deciding.take();
        let verdict_headers = deciding.as_ref().map_or(0, |d| d.verdict_headers);
        match answer {
            Ok(answer) => {
                self.verdict_responses(
                    &answer.decision,
                    verdict_headers,
                    answer.new_body.as_ref().map(|f| f.body()),
                    out,
                );
                if let Some(d) = deciding {
                    self.decided = Some(Recorded {
                        at: d.at,
                        user: d.user,
                        source: Area::Mail,
                        subject: d.subject,
                        decision: answer.decision,
                    });
                }
            }
            Err(why) => Response::ReplyCode {
                code: 451,
                status: "4.3.0",
                text: match why {
                    Unfinished::TimedOut => {
                        "Charter could not check this message in time; try again later"
                    }
                    Unfinished::Panicked => "Charter could not check this message; try again later",
                },
            }
            .encode(out),
        }
    }

    /// The milter's answer to a decision: the one place verdicts become protocol.
    /// `verdict_headers` is how many `X-Charter-Verdict` headers the message came with.
    pub fn verdict_responses(
        &self,
        decision: &Decision,
        verdict_headers: u32,
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
                    for index in (1..=verdict_headers).rev() {
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
