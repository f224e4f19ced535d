//! The ICAP REQMOD server (RFC 3507) that Squid (or any ICAP client) asks about each web
//! request. DESIGN section 7: `OPTIONS` advertises `Preview: 0` and `Allow: 204`; an allowed
//! request gets `204 No Content` (or itself back, for a client that does not allow 204); a
//! refused one gets a `200` carrying an HTTP 403 block page that names the rule, quotes the
//! clause and says whom to ask. `ISTag` changes with the pack and the category index.
//!
//! Identity: `X-Client-Username` (or `X-Authenticated-User`) names the user only when the
//! connection comes from one of `trusted_clients` (the proxies); from anyone else the
//! headers are ignored, the request is decided for an unknown user, and a log line says so
//! once per connection, so a local program cannot record traffic under someone's name.
//!
//! Faults: bytes that are not ICAP get `400 Bad Request` (`413` over the size limits) and
//! the connection is closed; a request must arrive whole within `timeout_secs` of its first
//! byte (else `408` and close) and a connection silent for `timeout_secs` between requests
//! is closed; at most `max_connections` are served at once and at most
//! `max_connections_per_client` from one address, and the next ones get
//! `503 Service Unavailable` and are closed. Whether Squid then refuses or passes requests
//! is its `bypass=` setting (docs/squid.md).
//!
//! The server runs on a thread of its own with a single-threaded runtime (see
//! `listen::on_own_thread` for why), and decisions are made on it as requests are read: a
//! web decision is a category lookup and a pass over the web rules, measured at 0.6 µs
//! (release build, 8 µs for a 60 KB URL, the longest a request head allows), less than
//! handing it to another thread would cost. The mail gateways, whose decisions can take
//! seconds, use [`crate::pool`].

use crate::identity::{Identities, UNKNOWN_USER};
use crate::record::{Recorded, Recorder};
use charter_policy::Area;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::listen::{
    ConnectionLimits, Read, on_own_thread, read_before, serve_bounded, write_within,
};
use crate::net::{Network, parse_networks};

use charter_engine::Engine;
use charter_engine::text::escape_html;
use charter_engine::web::CategorySource;
use charter_proto::icap::{
    self, DEFAULT_MAX_REQUEST, IcapError, IcapLimits, Message, Method, Parse, Request,
    RequestReader,
};

use crate::pass::{Pages, Passes};
use crate::web::{Clock, Explanation, Roles, WebDecider, allowed};

mod bodies;

/// `[icap]` in charter.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcapConfig {
    /// Address to listen on, such as `127.0.0.1:1344`.
    pub listen: String,
    /// The service path (`icap://host:1344/reqmod`).
    #[serde(default = "default_service")]
    pub service: String,
    /// The RESPMOD service path (`icap://host:1344/respmod`): response sizes for
    /// `large_download`.
    #[serde(default = "default_respmod_service")]
    pub respmod_service: String,
    /// Bytes of a request body read for `sensitive_upload` (uploads to public AI tools,
    /// webmail and file sharing); the rest is passed on unread, and the finding says so.
    /// 0 reads no bodies.
    #[serde(default = "default_max_upload_scan_bytes")]
    pub max_upload_scan_bytes: usize,
    /// Seconds a body read after `100 Continue` (an upload, or a response being counted)
    /// may stay silent before the connection is closed.
    #[serde(default = "default_body_timeout")]
    pub body_timeout_secs: u64,
    /// Connections served at once; more are answered 503 and closed.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Connections served at once from one client address (an IPv6 /64); more are answered
    /// 503 and closed. Advertised to Squid as `Max-Connections`, which it keeps to.
    #[serde(default = "default_max_connections_per_client")]
    pub max_connections_per_client: usize,
    /// Seconds one request may take from its first byte to its last, and seconds a
    /// connection may stay silent between requests, before it is closed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Largest request, ICAP head, HTTP head and body together, in bytes; larger ones are
    /// answered 413.
    #[serde(default = "default_max_request_bytes")]
    pub max_request_bytes: usize,
    /// Proxies (IP addresses or CIDR networks) whose `X-Client-Username` and `X-Client-IP`
    /// are believed. Default: this host only, where Squid usually runs.
    #[serde(default = "default_trusted_clients")]
    pub trusted_clients: Vec<String>,
    /// A file of `user role,role` lines for rules with roles.
    #[serde(default)]
    pub user_roles: Option<std::path::PathBuf>,
}

fn default_service() -> String {
    "/reqmod".to_string()
}

fn default_respmod_service() -> String {
    "/respmod".to_string()
}

fn default_max_upload_scan_bytes() -> usize {
    bodies::DEFAULT_MAX_UPLOAD_SCAN
}

fn default_body_timeout() -> u64 {
    60
}

fn default_max_connections() -> usize {
    256
}

fn default_max_connections_per_client() -> usize {
    64
}

fn default_timeout() -> u64 {
    10
}

fn default_max_request_bytes() -> usize {
    DEFAULT_MAX_REQUEST
}

fn default_trusted_clients() -> Vec<String> {
    vec!["127.0.0.1".to_string(), "::1".to_string()]
}

/// Smallest `max_request_bytes`: a large HTTP head must still fit.
const MIN_REQUEST_BYTES: usize = 16 * 1024;

/// A bad `[icap]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IcapConfigError {
    /// `listen` is not `address:port`.
    BadListen(String),
    /// `max_connections` or `max_connections_per_client` is 0.
    NoConnections,
    /// `max_request_bytes` is too small for an ordinary request.
    RequestLimitTooSmall(usize),
    /// An entry of `trusted_clients` is not an address or network.
    BadTrustedClient(String),
}

impl fmt::Display for IcapConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IcapConfigError::BadListen(l) => write!(
                f,
                "bad [icap] listen `{l}`, expected address:port such as 127.0.0.1:1344"
            ),
            IcapConfigError::NoConnections => f.write_str(
                "[icap] max_connections and max_connections_per_client must be at least 1",
            ),
            IcapConfigError::RequestLimitTooSmall(n) => write!(
                f,
                "[icap] max_request_bytes `{n}` is too small, it must be at least {MIN_REQUEST_BYTES}"
            ),
            IcapConfigError::BadTrustedClient(why) => write!(f, "[icap] trusted_clients: {why}"),
        }
    }
}

impl std::error::Error for IcapConfigError {}

impl IcapConfig {
    /// Checks the section and builds the server.
    pub fn build(
        &self,
        engine: Arc<Engine>,
        source: Arc<dyn CategorySource + Send + Sync>,
        clock: Clock,
        roles: Roles,
    ) -> Result<IcapServer, IcapConfigError> {
        let listen: SocketAddr = self
            .listen
            .parse()
            .map_err(|_| IcapConfigError::BadListen(self.listen.clone()))?;
        if self.max_connections == 0 || self.max_connections_per_client == 0 {
            return Err(IcapConfigError::NoConnections);
        }
        if self.max_request_bytes < MIN_REQUEST_BYTES {
            return Err(IcapConfigError::RequestLimitTooSmall(
                self.max_request_bytes,
            ));
        }
        let trusted = parse_networks(&self.trusted_clients)
            .map_err(|e| IcapConfigError::BadTrustedClient(e.to_string()))?;
        let istag = istag(&engine, source.as_ref());
        Ok(IcapServer {
            engine,
            source,
            clock,
            roles,
            listen,
            service: self.service.clone(),
            respmod_service: self.respmod_service.clone(),
            max_upload_scan: self.max_upload_scan_bytes,
            body_timeout: Duration::from_secs(self.body_timeout_secs.max(1)),
            connections: ConnectionLimits {
                total: self.max_connections,
                per_client: self.max_connections_per_client.min(self.max_connections),
            },
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            limits: IcapLimits {
                max_request: self.max_request_bytes,
            },
            trusted,
            istag,
            recorder: Recorder::off(),
            identities: Identities::default(),
            passes: Passes::default(),
            pages: None,
        })
    }
}

/// `"` + 16 hex digits of a hash of the pack and the index version + `"`: changes whenever
/// either does, so Squid drops cached answers.
fn istag(engine: &Engine, source: &(dyn CategorySource + Send + Sync)) -> String {
    let pack = engine.pack();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes().chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(&pack.meta.id);
    feed(pack.meta.version.as_deref().unwrap_or_default());
    for rule in &pack.rules {
        feed(&format!("{rule:?}"));
    }
    feed(&source.version());
    format!("\"C{h:016x}\"")
}

/// The running ICAP server.
pub struct IcapServer {
    engine: Arc<Engine>,
    source: Arc<dyn CategorySource + Send + Sync>,
    clock: Clock,
    roles: Roles,
    listen: SocketAddr,
    service: String,
    respmod_service: String,
    max_upload_scan: usize,
    body_timeout: Duration,
    connections: ConnectionLimits,
    timeout: Duration,
    limits: IcapLimits,
    trusted: Vec<Network>,
    istag: String,
    recorder: Recorder,
    identities: Identities,
    passes: Passes,
    pages: Option<Pages>,
}

impl fmt::Debug for IcapServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcapServer")
            .field("listen", &self.listen)
            .field("istag", &self.istag)
            .finish_non_exhaustive()
    }
}

/// Headers that claim who the user is; believed only from trusted clients.
const IDENTITY_HEADERS: [&str; 3] = ["X-Client-Username", "X-Authenticated-User", "X-Client-IP"];

impl IcapServer {
    /// Maps the `X-Client-IP` of requests without a user name to people through `identities`.
    pub fn with_identities(mut self, identities: Identities) -> IcapServer {
        self.identities = identities;
        self
    }

    /// Offers every REQMOD decision to `recorder` for the monitoring records.
    pub fn with_recorder(mut self, recorder: Recorder) -> IcapServer {
        self.recorder = recorder;
        self
    }

    /// Puts each person's `passes` in their context, and sends a `warn` or `hold` without
    /// one to `pages`.
    pub fn with_pages(mut self, passes: Passes, pages: Option<Pages>) -> IcapServer {
        self.passes = passes;
        self.pages = pages;
        self
    }

    /// The address it is configured to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// The current ISTag.
    pub fn istag(&self) -> &str {
        &self.istag
    }

    /// Binds the listening socket.
    pub async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.listen).await
    }

    /// Whether identity headers from `peer` are believed.
    pub fn trusts(&self, peer: SocketAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(peer.ip()))
    }

    /// Accepts connections until the future is dropped, on a thread of its own
    /// (`listen::on_own_thread`), one task per connection, at most `max_connections` at
    /// once and `max_connections_per_client` from one address.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        let listener = listener.into_std()?;
        on_own_thread("icap", move || async move {
            let listener = TcpListener::from_std(listener)?;
            self.accept(listener).await
        })
        .await
    }

    async fn accept(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        let istag = self.istag.clone();
        // Over the limit, Squid gets a 503 (and, with `bypass=off`, refuses the request).
        let refuse = move |mut stream: TcpStream| {
            let istag = istag.clone();
            tokio::spawn(async move {
                let mut out = Vec::new();
                icap::write_head(
                    &mut out,
                    503,
                    "Service Unavailable",
                    &[("ISTag", &istag), ("Connection", "close")],
                );
                let _ = write_within(&mut stream, &out, Duration::from_secs(1)).await;
            });
        };
        serve_bounded(
            "icap",
            listener,
            self.connections,
            refuse,
            |stream, peer| {
                let server = Arc::clone(&self);
                async move { server.connection(stream, peer).await }
            },
        )
        .await
    }

    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr) -> std::io::Result<()> {
        let _ = stream.set_nodelay(true);
        let mut decider =
            WebDecider::new(&self.engine, self.source.as_ref(), self.clock, &self.roles)
                .with_identities(&self.identities)
                .with_passes(&self.passes);
        if let Some(pages) = &self.pages {
            decider = decider.with_pages(pages);
        }
        let trusted = self.trusts(peer);
        let mut warned = false;
        let mut reader = RequestReader::new(self.limits);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        // INVARIANT: `started` is when the first byte of the request now in `buf` arrived;
        // `None` while `buf` is empty, when the connection is idle since `idle_since`.
        let mut started: Option<Instant> = None;
        let mut idle_since = Instant::now();
        loop {
            let deadline = started.unwrap_or(idle_since) + self.timeout;
            match read_before(&mut stream, &mut buf, deadline).await? {
                Read::Closed => return Ok(()),
                Read::TimedOut if started.is_none() => return Ok(()),
                Read::TimedOut => {
                    eprintln!(
                        "charter icap: peer={peer} bytes={} secs={}: Request not sent in time, closed.",
                        buf.len(),
                        self.timeout.as_secs()
                    );
                    return self.close_with(&mut stream, 408, "Request Timeout").await;
                }
                Read::Bytes(_) => {
                    started.get_or_insert_with(Instant::now);
                }
            }
            loop {
                let request = match reader.read(&buf) {
                    Ok(Parse::Incomplete) => break,
                    Ok(Parse::Complete(request, used)) => {
                        buf.drain(..used);
                        request
                    }
                    Err(e) => {
                        eprintln!("charter icap: peer={peer} error={e}: Bad request, closed.");
                        let (status, reason) = e.status();
                        return self.close_with(&mut stream, status, reason).await;
                    }
                };
                if !trusted
                    && !warned
                    && IDENTITY_HEADERS.iter().any(|h| request.header(h).is_some())
                {
                    warned = true;
                    eprintln!(
                        "charter icap: peer={peer}: Identity headers from a client not in [icap] trusted_clients ignored."
                    );
                }
                let close = match self.continuation(&decider, &request, trusted) {
                    None => {
                        let close = self.answer(&decider, &request, trusted, &mut out);
                        write_within(&mut stream, &out, self.timeout).await?;
                        close
                    }
                    Some(next) => {
                        let mut body = bodies::BodyReader::new(&mut stream, &mut buf, self);
                        self.continue_body(&decider, &request, trusted, next, &mut body)
                            .await?
                    }
                };
                out.clear();
                if close {
                    return self.close_with(&mut stream, 0, "").await;
                }
                let now = Instant::now();
                idle_since = now;
                started = (!buf.is_empty()).then_some(now);
            }
        }
    }

    /// Sends a final status (none when `status` is 0) and closes the connection.
    async fn close_with(
        &self,
        stream: &mut TcpStream,
        status: u16,
        reason: &str,
    ) -> std::io::Result<()> {
        if status != 0 {
            let mut out = Vec::new();
            icap::write_head(
                &mut out,
                status,
                reason,
                &[("ISTag", &self.istag), ("Connection", "close")],
            );
            write_within(stream, &out, Duration::from_secs(1)).await?;
        }
        let _ = tokio::io::AsyncWriteExt::shutdown(stream).await;
        Ok(())
    }

    /// The `OPTIONS` answer for a service offering `methods`: a preview of 0 bytes (the
    /// heads alone; a body only when asked for) and 204 for "unchanged".
    fn write_options(&self, methods: &str, service: &str, out: &mut Vec<u8>) {
        let max = self.connections.per_client.to_string();
        icap::write_head(
            out,
            200,
            "OK",
            &[
                ("Methods", methods),
                ("Service", service),
                ("ISTag", &self.istag),
                ("Max-Connections", &max),
                ("Options-TTL", "300"),
                ("Allow", "204"),
                ("Preview", "0"),
                ("Transfer-Preview", "*"),
                ("Encapsulated", "null-body=0"),
            ],
        );
    }

    /// Answers one request into `out`; true when the connection must close. The user comes
    /// from the identity headers only when `identity_trusted`.
    pub fn answer(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        identity_trusted: bool,
        out: &mut Vec<u8>,
    ) -> bool {
        let istag = self.istag.as_str();
        let service = request.service();
        if service == self.respmod_service {
            return self.answer_respmod(decider, request, identity_trusted, out);
        }
        if service != self.service {
            icap::write_head(out, 404, "ICAP Service Not Found", &[("ISTag", istag)]);
            return false;
        }
        match request.method {
            Method::Options => {
                self.write_options("REQMOD", "Charter web policy", out);
                false
            }
            Method::Respmod => {
                icap::write_head(out, 405, "Method Not Allowed", &[("ISTag", istag)]);
                false
            }
            Method::Reqmod => {
                let Some(url) = request.http_url() else {
                    return no_http_request(istag, out);
                };
                let at = decider.clock.now();
                let user = who(decider, request, identity_trusted, at);
                let outcome = decider.decide_for(&url, user.as_deref(), at);
                let page_link = outcome
                    .page
                    .as_ref()
                    .zip(decider.pages())
                    .map(|(page, pages)| pages.link(&page.token, &url));
                if let Some(link) = page_link {
                    to_page(istag, &link, out);
                } else if !allowed(outcome.decision.verdict) {
                    write_block(decider, istag, &url, &outcome.decision, out);
                } else if let Some(body) = &request.body
                    && !body.is_empty()
                    && self.max_upload_scan > 0
                    && decider.wants_upload(&url, Some(as_heard(&user)))
                {
                    // A client that sent the body whole (no preview): judged as it is.
                    self.answer_upload(decider, request, &url, Some(as_heard(&user)), body, out);
                } else {
                    unchanged(request, istag, out);
                }
                // Offered before the caller sends the answer, moved rather than copied.
                self.recorder.record(Recorded {
                    at: outcome.at,
                    user,
                    source: Area::Web,
                    subject: url,
                    decision: outcome.decision,
                });
                false
            }
        }
    }
}

/// Who a request is for: the user a trusted proxy names, else the person its `X-Client-IP`
/// maps to; from a client not trusted, or with neither, an unknown user (`None`).
fn who(
    decider: &WebDecider<'_>,
    request: &Request,
    trusted: bool,
    at: jiff::Timestamp,
) -> Option<String> {
    if !trusted {
        return None;
    }
    let login = request
        .header("X-Client-Username")
        .or_else(|| request.header("X-Authenticated-User"));
    decider.identify(login, request.header("X-Client-IP"), at)
}

/// `who` as the engine hears it: `-` for an unknown user.
fn as_heard(who: &Option<String>) -> &str {
    who.as_deref().unwrap_or(UNKNOWN_USER)
}

/// An answer to a message without an HTTP request head to judge: 400, and the connection
/// closes (true).
fn no_http_request(istag: &str, out: &mut Vec<u8>) -> bool {
    let (status, reason) = IcapError::BadEncapsulated.status();
    icap::write_head(
        out,
        status,
        reason,
        &[("ISTag", istag), ("Connection", "close")],
    );
    true
}

/// A `warn` or `hold` without a pass: a redirect to the page, which names the rule and
/// offers Continue or "Ask for access".
fn to_page(istag: &str, link: &str, out: &mut Vec<u8>) {
    let head = format!(
        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        header_safe(link)
    );
    icap::write_http_response(out, istag, &head, b"");
}

/// "Unchanged": 204 where the client allows it, else the request itself echoed back.
fn unchanged(request: &Request, istag: &str, out: &mut Vec<u8>) {
    echo(request, istag, Message::Request, out);
}

/// The encapsulated `message` unchanged: 204 where the client allows it, else echoed back
/// with its body.
fn echo(request: &Request, istag: &str, message: Message, out: &mut Vec<u8>) {
    if request.allows_204() {
        icap::write_no_content(out, istag);
        return;
    }
    let head = match message {
        Message::Request => request.http_head.as_deref(),
        Message::Response => request.response_head.as_deref(),
    };
    let head = head.unwrap_or_default();
    icap::write_message_head(out, istag, message, head, request.body.is_some());
    if let Some(body) = &request.body {
        icap::write_chunked(out, body);
    }
}

/// Replaces the message with a 403 block page for `decision`.
fn write_block(
    decider: &WebDecider<'_>,
    istag: &str,
    url: &str,
    decision: &charter_engine::Decision,
    out: &mut Vec<u8>,
) {
    let explanation = decider.explain(decision);
    let page = block_page(url, explanation.as_ref());
    let categories = decision
        .categories
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let rule = explanation.as_ref().map_or("", |e| e.rule.as_str());
    let head = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Charter-Rule: {}\r\nX-Charter-Categories: {}\r\nConnection: close\r\n\r\n",
        page.len(),
        header_safe(rule),
        header_safe(&categories),
    );
    icap::write_http_response(out, istag, &head, page.as_bytes());
}

fn header_safe(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

/// The block page: what was refused, by which rule, the clause and its words, and whom to
/// ask.
pub fn block_page(url: &str, explanation: Option<&Explanation>) -> String {
    let body = match explanation {
        Some(e) => format!(
            "<p>Your organisation's IT policy does not allow this request.</p>\n\
             <dl>\n<dt>Address</dt><dd>{url}</dd>\n<dt>Rule</dt><dd><code>{rule}</code></dd>\n\
             <dt>Policy clause</dt><dd>{clause}</dd>\n<dt>What it says</dt><dd><blockquote>{quote}</blockquote></dd>\n\
             <dt>Why</dt><dd>{finding}</dd>\n</dl>\n\
             <p>If you need this site for your work, ask {contact}.</p>",
            url = escape_html(url),
            rule = escape_html(&e.rule),
            clause = escape_html(&e.clause),
            quote = escape_html(&e.quote),
            finding = escape_html(&e.finding),
            contact = escape_html(&e.contact),
        ),
        None => format!(
            "<p>Your organisation's IT policy does not allow this request to {}.</p>",
            escape_html(url)
        ),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Blocked by policy</title></head>\n\
         <body>\n<h1>Blocked by policy</h1>\n{body}\n</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_engine::web::Builtin;

    const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
[organisation]
name = "T Ltd"
contact = "the <IT> Department"
[[rule]]
id = "no-gambling"
clause = "4.2"
quote = "No gambling."
on = "web"
categories = ["gambling"]
action = "block"
severity = "gross_misconduct"
"#;

    fn server() -> IcapServer {
        let engine = Arc::new(Engine::new(charter_policy::parse(PACK, "t.toml").unwrap()));
        let config: IcapConfig = toml::from_str("listen = \"127.0.0.1:1344\"").unwrap();
        config
            .build(
                engine,
                Arc::new(Builtin::new()),
                Clock::Fixed("2026-06-15T09:00:00Z".parse().unwrap()),
                Roles::default(),
            )
            .unwrap()
    }

    fn ask(raw: &str) -> String {
        let server = server();
        let decider = WebDecider::new(
            &server.engine,
            server.source.as_ref(),
            server.clock,
            &server.roles,
        );
        let Ok(Parse::Complete(request, _)) = icap::parse_request(raw.as_bytes()) else {
            panic!()
        };
        let mut out = Vec::new();
        server.answer(&decider, &request, true, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn reqmod(url: &str, extra: &str) -> String {
        let http = format!("GET {url} HTTP/1.1\r\nHost: x\r\n\r\n");
        format!(
            "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\n{extra}Encapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
            http.len()
        )
    }

    #[test]
    fn options_advertise_preview_and_204() {
        let out = ask("OPTIONS icap://127.0.0.1:1344/reqmod ICAP/1.0\r\n\r\n");
        assert!(out.starts_with("ICAP/1.0 200 OK\r\n"));
        for h in ["Methods: REQMOD", "Preview: 0", "Allow: 204", "ISTag: \"C"] {
            assert!(out.contains(h), "{out}");
        }
    }

    #[test]
    fn allowed_is_204() {
        let out = ask(&reqmod("http://example.org/", "Allow: 204\r\n"));
        assert!(out.starts_with("ICAP/1.0 204 No Content\r\n"), "{out}");
    }

    #[test]
    fn allowed_without_204_echoes_the_request() {
        let out = ask(&reqmod("http://example.org/", ""));
        assert!(out.starts_with("ICAP/1.0 200 OK\r\n"), "{out}");
        assert!(
            out.ends_with("GET http://example.org/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            "{out}"
        );
    }

    #[test]
    fn blocked_gets_a_403_page_naming_rule_clause_and_contact() {
        let out = ask(&reqmod("http://www.bet365.com/", "Allow: 204\r\n"));
        assert!(out.starts_with("ICAP/1.0 200 OK\r\n"), "{out}");
        assert!(out.contains("Encapsulated: res-hdr=0, res-body="), "{out}");
        assert!(out.contains("HTTP/1.1 403 Forbidden"), "{out}");
        assert!(out.contains("<code>no-gambling</code>"), "{out}");
        assert!(out.contains("No gambling."), "{out}");
        assert!(out.contains("ask the &lt;IT&gt; Department"), "{out}");
    }

    #[test]
    fn config_defaults_and_refusals() {
        let config: IcapConfig = toml::from_str("listen = \"127.0.0.1:1344\"").unwrap();
        assert_eq!(
            (
                config.max_connections,
                config.max_connections_per_client,
                config.timeout_secs,
                config.max_request_bytes,
            ),
            (256, 64, 10, 128 * 1024)
        );
        assert_eq!(config.trusted_clients, ["127.0.0.1", "::1"]);
        let build = |extra: &str| {
            let config: IcapConfig =
                toml::from_str(&format!("listen = \"127.0.0.1:1344\"\n{extra}")).unwrap();
            let engine = Arc::new(Engine::new(charter_policy::parse(PACK, "t.toml").unwrap()));
            config
                .build(
                    engine,
                    Arc::new(Builtin::new()),
                    Clock::System,
                    Roles::default(),
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert_eq!(build(""), Ok(()));
        assert_eq!(
            build("trusted_clients = [\"squid.local\"]"),
            Err("[icap] trusted_clients: bad network `squid.local`, expected CIDR such as 10.0.0.0/8".into())
        );
        assert_eq!(
            build("max_request_bytes = 100"),
            Err("[icap] max_request_bytes `100` is too small, it must be at least 16384".into())
        );
        assert!(toml::from_str::<IcapConfig>("listen = \"x\"\nidle = 3").is_err());
    }

    const BODIES_PACK: &str = r#"
[[rule]]
id = "ai-uploads"
clause = "5.1"
quote = "No customer data into public AI."
on = "web"
categories = ["public_ai"]
checks = ["sensitive_upload"]
action = "block"
severity = "misconduct"
[[rule]]
id = "big-downloads"
clause = "6"
quote = "No large downloads."
on = "web"
checks = ["large_download"]
max_download_mb = 1
action = "block"
severity = "concern"
"#;

    fn bodies_server() -> IcapServer {
        let pack = format!("{PACK}{BODIES_PACK}");
        let engine = Arc::new(Engine::new(charter_policy::parse(&pack, "t.toml").unwrap()));
        let config: IcapConfig = toml::from_str("listen = \"127.0.0.1:1344\"").unwrap();
        config
            .build(
                engine,
                Arc::new(Builtin::new()),
                Clock::Fixed("2026-06-15T09:00:00Z".parse().unwrap()),
                Roles::default(),
            )
            .unwrap()
    }

    /// The answer, and whether the server would first ask for the body.
    fn ask_bodies(raw: &[u8]) -> (String, bool) {
        let server = bodies_server();
        let decider = WebDecider::new(
            &server.engine,
            server.source.as_ref(),
            server.clock,
            &server.roles,
        );
        let Ok(Parse::Complete(request, _)) = icap::parse_request(raw) else {
            panic!("{}", String::from_utf8_lossy(raw))
        };
        let wants = server.continuation(&decider, &request, true).is_some();
        let mut out = Vec::new();
        server.answer(&decider, &request, true, &mut out);
        (String::from_utf8(out).unwrap(), wants)
    }

    fn respmod(url: &str, response: &str, preview: &str, body: &str) -> Vec<u8> {
        let http = format!("GET {url} HTTP/1.1\r\nHost: x\r\n\r\n");
        let end = if body.is_empty() {
            "null-body"
        } else {
            "res-body"
        };
        format!(
            "RESPMOD icap://127.0.0.1:1344/respmod ICAP/1.0\r\n{preview}Encapsulated: req-hdr=0, res-hdr={}, {end}={}\r\n\r\n{http}{response}{body}",
            http.len(),
            http.len() + response.len()
        )
        .into_bytes()
    }

    fn upload(url: &str, content_type: &str, preview: &str, body: &str) -> Vec<u8> {
        let http = format!(
            "POST {url} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let chunked = if preview.is_empty() {
            format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len())
        } else {
            "0\r\n\r\n".to_string()
        };
        format!(
            "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\n{preview}Encapsulated: req-hdr=0, req-body={}\r\n\r\n{http}{chunked}",
            http.len()
        )
        .into_bytes()
    }

    #[test]
    fn respmod_options_advertise_preview_and_204() {
        let (out, _) = ask_bodies(b"OPTIONS icap://127.0.0.1:1344/respmod ICAP/1.0\r\n\r\n");
        for h in ["Methods: RESPMOD", "Preview: 0", "Allow: 204", "ISTag: \"C"] {
            assert!(out.contains(h), "{out}");
        }
    }

    #[test]
    fn respmod_over_the_content_length_limit_is_replaced_by_a_block_page() {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n";
        let (out, wants) = ask_bodies(&respmod(
            "http://example.org/big.iso",
            head,
            "Preview: 0\r\n",
            "0\r\n\r\n",
        ));
        assert!(!wants, "the head says the size");
        assert!(out.contains("HTTP/1.1 403 Forbidden"), "{out}");
        assert!(out.contains("<code>big-downloads</code>"), "{out}");
        assert!(out.contains("download of 2 MB from example.org is over the 1 MB limit"));
    }

    #[test]
    fn respmod_under_the_limit_is_204() {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n";
        let (out, wants) = ask_bodies(&respmod(
            "http://example.org/ok.iso",
            head,
            "Preview: 0\r\n",
            "0\r\n\r\n",
        ));
        assert!(!wants);
        assert!(out.starts_with("ICAP/1.0 204 No Content\r\n"), "{out}");
    }

    #[test]
    fn respmod_without_a_length_asks_for_the_body_when_a_rule_applies() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let raw = respmod("http://example.org/x", head, "Preview: 0\r\n", "0\r\n\r\n");
        assert!(ask_bodies(&raw).1, "counted after 100 Continue");
        let raw = respmod(
            "http://example.org/x",
            head,
            "Preview: 0\r\n",
            "0; ieof\r\n\r\n",
        );
        let (out, wants) = ask_bodies(&raw);
        assert!(
            !wants && out.starts_with("ICAP/1.0 204"),
            "the preview was all: {out}"
        );
        // A client without preview sends the body whole; it is measured as it is.
        let (out, wants) = ask_bodies(&respmod(
            "http://example.org/x",
            head,
            "",
            "3\r\nabc\r\n0\r\n\r\n",
        ));
        assert!(!wants);
        assert!(out.ends_with("3\r\nabc\r\n0\r\n\r\n"), "echoed: {out}");
    }

    #[test]
    fn respmod_on_the_reqmod_service_is_405_and_reqmod_on_respmod_too() {
        let raw = respmod("http://example.org/", "HTTP/1.1 200 OK\r\n\r\n", "", "");
        let text = String::from_utf8(raw)
            .unwrap()
            .replace("/respmod", "/reqmod");
        assert!(ask_bodies(text.as_bytes()).0.starts_with("ICAP/1.0 405"));
        let req = reqmod("http://example.org/", "").replace("/reqmod", "/respmod");
        assert!(ask_bodies(req.as_bytes()).0.starts_with("ICAP/1.0 405"));
    }

    #[test]
    fn uploads_to_public_ai_are_asked_for_and_judged() {
        let json = r#"{"prompt":"Letter for Jo Bloggs, NI AB 12 34 56 C"}"#;
        let url = "https://chat.openai.com/backend-api/conversation";
        let (_, wants) = ask_bodies(&upload(url, "application/json", "Preview: 0\r\n", json));
        assert!(wants, "a preview of an upload to public AI: 100 Continue");
        let (_, wants) = ask_bodies(&upload(
            "https://example.org/form",
            "application/json",
            "Preview: 0\r\n",
            json,
        ));
        assert!(!wants, "not an upload category: the body is not asked for");
        // A client that sends the body whole (no preview) is judged on it at once.
        let (out, _) = ask_bodies(&upload(url, "application/json", "", json));
        assert!(out.contains("HTTP/1.1 403 Forbidden"), "{out}");
        assert!(out.contains("<code>ai-uploads</code>"), "{out}");
        assert!(out.contains("carries 1 National Insurance number"), "{out}");
        assert!(!out.contains("AB 12 34"), "never the data itself");
        let (out, _) = ask_bodies(&upload(
            url,
            "application/x-www-form-urlencoded",
            "",
            "q=a+poem",
        ));
        assert!(out.starts_with("ICAP/1.0 200 OK\r\n"), "{out}");
        assert!(
            out.contains("POST https://chat.openai.com"),
            "echoed: {out}"
        );
    }

    #[test]
    fn unknown_service_is_404_and_respmod_405() {
        assert!(ask("OPTIONS icap://h/other ICAP/1.0\r\n\r\n").starts_with("ICAP/1.0 404"));
        let out = ask("RESPMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n");
        assert!(out.starts_with("ICAP/1.0 405"), "{out}");
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;
    use crate::identity::{DeviceIds, IdentityTable};
    use charter_engine::web::Builtin;
    use charter_proto::icap::Parse;

    const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
timezone = "Europe/London"
[organisation]
name = "T Ltd"
[[rule]]
id = "unknown-users"
clause = "2"
quote = "Only authorised users may use the internet connection."
on = "web"
checks = ["unknown_user"]
action = "block"
severity = "concern"
"#;

    /// Answers `raw` from a client `trusted` or not, with 10.0.0.5 mapped to ann; returns
    /// the answer and the user the decision was recorded for.
    fn ask(raw: &str, trusted: bool) -> (String, Option<String>) {
        let engine = Arc::new(Engine::new(charter_policy::parse(PACK, "t.toml").unwrap()));
        let config: IcapConfig = toml::from_str("listen = \"127.0.0.1:1344\"").unwrap();
        let identities = Identities::default();
        identities.replace(IdentityTable::build(
            &[DeviceIds {
                user: "ann".into(),
                ip: Some("10.0.0.5".parse().unwrap()),
                ..DeviceIds::default()
            }],
            &[],
        ));
        let (recorder, recorded) = Recorder::channel(4);
        let server = config
            .build(
                engine,
                Arc::new(Builtin::new()),
                Clock::Fixed("2026-06-15T09:00:00Z".parse().unwrap()),
                Roles::default(),
            )
            .unwrap()
            .with_identities(identities)
            .with_recorder(recorder);
        let decider = WebDecider::new(
            &server.engine,
            server.source.as_ref(),
            server.clock,
            &server.roles,
        )
        .with_identities(&server.identities);
        let Ok(Parse::Complete(request, _)) = icap::parse_request(raw.as_bytes()) else {
            panic!()
        };
        let mut out = Vec::new();
        server.answer(&decider, &request, trusted, &mut out);
        let user = recorded.try_recv().unwrap().user;
        (String::from_utf8(out).unwrap(), user)
    }

    fn reqmod(headers: &str) -> String {
        let http = "GET http://example.org/ HTTP/1.1\r\nHost: example.org\r\n\r\n";
        format!(
            "REQMOD icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nAllow: 204\r\n{headers}Encapsulated: req-hdr=0, null-body={}\r\n\r\n{http}",
            http.len()
        )
    }

    #[test]
    fn a_mapped_client_ip_is_decided_for_its_person() {
        let (out, user) = ask(&reqmod("X-Client-IP: 10.0.0.5\r\n"), true);
        assert!(out.starts_with("ICAP/1.0 204"), "{out}");
        assert_eq!(user.as_deref(), Some("ann"));
    }

    #[test]
    fn an_unmapped_client_ip_without_a_login_is_an_unknown_user() {
        let (out, user) = ask(&reqmod("X-Client-IP: 10.0.0.6\r\n"), true);
        assert!(out.contains("X-Charter-Rule: unknown-users"), "{out}");
        assert_eq!(user, None);
    }

    #[test]
    fn a_login_from_a_trusted_proxy_is_not_an_unknown_user() {
        let (out, user) = ask(
            &reqmod("X-Client-Username: zoe\r\nX-Client-IP: 10.0.0.6\r\n"),
            true,
        );
        assert!(out.starts_with("ICAP/1.0 204"), "{out}");
        assert_eq!(user.as_deref(), Some("zoe"));
    }

    #[test]
    fn identity_headers_from_an_untrusted_client_make_an_unknown_user() {
        let (out, user) = ask(
            &reqmod("X-Client-Username: zoe\r\nX-Client-IP: 10.0.0.5\r\n"),
            false,
        );
        assert!(out.contains("X-Charter-Rule: unknown-users"), "{out}");
        assert_eq!(user, None);
    }
}
