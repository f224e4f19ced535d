//! The ICAP REQMOD server (RFC 3507) that Squid (or any ICAP client) asks about each web
//! request. DESIGN section 7: `OPTIONS` advertises `Preview: 0` and `Allow: 204`; an allowed
//! request gets `204 No Content` (or itself back, for a client that does not allow 204); a
//! refused one gets a `200` carrying an HTTP 403 block page that names the rule, quotes the
//! clause and says whom to ask. `ISTag` changes with the pack and the category index.
//!
//! Faults: bytes that are not ICAP get `400 Bad Request` and the connection is closed; a
//! client that sends nothing for `timeout_secs` is disconnected; at most `max_connections`
//! are served at once, and the next ones get `503 Service Unavailable` and are closed.
//! Whether Squid then refuses or passes requests is its `bypass=` setting (docs/squid.md).

use crate::record::{Recorded, Recorder};
use charter_policy::Area;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::listen::serve_bounded;
use tokio::sync::Semaphore;

use charter_engine::Engine;
use charter_engine::web::CategorySource;
use charter_proto::icap::{self, IcapError, Method, Parse, Request};

use crate::web::{Clock, Explanation, Roles, WebDecider, allowed};

/// `[icap]` in charter.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcapConfig {
    /// Address to listen on, such as `127.0.0.1:1344`.
    pub listen: String,
    /// The service path (`icap://host:1344/reqmod`).
    #[serde(default = "default_service")]
    pub service: String,
    /// Connections served at once; more are answered 503 and closed.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Seconds a connection may stay silent (or take to send one request) before it is closed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// A file of `user role,role` lines for rules with roles.
    #[serde(default)]
    pub user_roles: Option<std::path::PathBuf>,
}

fn default_service() -> String {
    "/reqmod".to_string()
}

fn default_max_connections() -> usize {
    256
}

fn default_timeout() -> u64 {
    60
}

/// A bad `[icap]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IcapConfigError {
    /// `listen` is not `address:port`.
    BadListen(String),
    /// `max_connections` is 0.
    NoConnections,
}

impl fmt::Display for IcapConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IcapConfigError::BadListen(l) => write!(
                f,
                "bad [icap] listen `{l}`, expected address:port such as 127.0.0.1:1344"
            ),
            IcapConfigError::NoConnections => {
                f.write_str("[icap] max_connections must be at least 1")
            }
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
        if self.max_connections == 0 {
            return Err(IcapConfigError::NoConnections);
        }
        let istag = istag(&engine, source.as_ref());
        Ok(IcapServer {
            engine,
            source,
            clock,
            roles,
            listen,
            service: self.service.clone(),
            max_connections: self.max_connections,
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            istag,
            recorder: Recorder::off(),
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
    max_connections: usize,
    timeout: Duration,
    istag: String,
    recorder: Recorder,
}

impl fmt::Debug for IcapServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcapServer")
            .field("listen", &self.listen)
            .field("istag", &self.istag)
            .finish_non_exhaustive()
    }
}

impl IcapServer {
    /// Offers every REQMOD decision to `recorder` for the monitoring records.
    pub fn with_recorder(mut self, recorder: Recorder) -> IcapServer {
        self.recorder = recorder;
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

    /// Accepts connections until the task is dropped, one task per connection, at most
    /// `max_connections` at once.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        let slots = Arc::new(Semaphore::new(self.max_connections));
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
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&out)).await;
            });
        };
        serve_bounded("icap", listener, slots, refuse, |stream| {
            let server = Arc::clone(&self);
            async move { server.connection(stream).await }
        })
        .await
    }

    async fn connection(&self, mut stream: TcpStream) -> std::io::Result<()> {
        let _ = stream.set_nodelay(true);
        let decider = WebDecider::new(&self.engine, self.source.as_ref(), self.clock, &self.roles);
        let mut buf = Vec::with_capacity(8192);
        let mut chunk = vec![0u8; 64 * 1024];
        let mut out = Vec::with_capacity(4096);
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
                match icap::parse_request(&buf[used..]) {
                    Ok(Parse::Incomplete) => break,
                    Ok(Parse::Complete(request, len)) => {
                        used += len;
                        close = self.answer(&decider, &request, &mut out);
                        if close {
                            break;
                        }
                    }
                    Err(e) => {
                        let (status, reason) = e.status();
                        icap::write_head(
                            &mut out,
                            status,
                            reason,
                            &[("ISTag", &self.istag), ("Connection", "close")],
                        );
                        close = true;
                        break;
                    }
                }
            }
            buf.drain(..used);
            if !out.is_empty() {
                stream.write_all(&out).await?;
                out.clear();
            }
            if close {
                let _ = stream.shutdown().await;
                return Ok(());
            }
        }
    }

    /// Answers one request into `out`; true when the connection must close.
    pub fn answer(&self, decider: &WebDecider<'_>, request: &Request, out: &mut Vec<u8>) -> bool {
        let istag = self.istag.as_str();
        if request.service() != self.service {
            icap::write_head(out, 404, "ICAP Service Not Found", &[("ISTag", istag)]);
            return false;
        }
        match request.method {
            Method::Options => {
                let max = self.max_connections.to_string();
                icap::write_head(
                    out,
                    200,
                    "OK",
                    &[
                        ("Methods", "REQMOD"),
                        ("Service", "Charter web policy"),
                        ("ISTag", istag),
                        ("Max-Connections", &max),
                        ("Options-TTL", "300"),
                        ("Allow", "204"),
                        ("Preview", "0"),
                        ("Transfer-Preview", "*"),
                        ("Encapsulated", "null-body=0"),
                    ],
                );
                false
            }
            Method::Respmod => {
                icap::write_head(out, 405, "Method Not Allowed", &[("ISTag", istag)]);
                false
            }
            Method::Reqmod => {
                let Some(url) = request.http_url() else {
                    let (status, reason) = IcapError::BadEncapsulated.status();
                    icap::write_head(
                        out,
                        status,
                        reason,
                        &[("ISTag", istag), ("Connection", "close")],
                    );
                    return true;
                };
                let user = request
                    .header("X-Client-Username")
                    .or_else(|| request.header("X-Authenticated-User"))
                    .filter(|u| !u.is_empty() && *u != "-");
                let outcome = decider.decide(&url, user);
                self.recorder.record(Recorded {
                    at: outcome.at,
                    user: user.map(str::to_string),
                    source: Area::Web,
                    subject: url.to_string(),
                    decision: outcome.decision.clone(),
                });
                if allowed(outcome.decision.verdict) {
                    unchanged(request, istag, out);
                } else {
                    let explanation = decider.explain(&outcome.decision);
                    let page = block_page(&url, explanation.as_ref());
                    let categories = outcome
                        .decision
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
                false
            }
        }
    }
}

/// "Unchanged": 204 where the client allows it, else the request itself echoed back.
fn unchanged(request: &Request, istag: &str, out: &mut Vec<u8>) {
    if request.allows_204() {
        icap::write_head(
            out,
            204,
            "No Content",
            &[("ISTag", istag), ("Encapsulated", "null-body=0")],
        );
        return;
    }
    let head = request.http_head.as_deref().unwrap_or_default();
    match &request.body {
        Some(body) => {
            let enc = format!("req-hdr=0, req-body={}", head.len());
            icap::write_head(out, 200, "OK", &[("ISTag", istag), ("Encapsulated", &enc)]);
            out.extend_from_slice(head.as_bytes());
            icap::write_chunked(out, body);
        }
        None => {
            let enc = format!("req-hdr=0, null-body={}", head.len());
            icap::write_head(out, 200, "OK", &[("ISTag", istag), ("Encapsulated", &enc)]);
            out.extend_from_slice(head.as_bytes());
        }
    }
}

fn header_safe(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
            url = html(url),
            rule = html(&e.rule),
            clause = html(&e.clause),
            quote = html(&e.quote),
            finding = html(&e.finding),
            contact = html(&e.contact),
        ),
        None => format!(
            "<p>Your organisation's IT policy does not allow this request to {}.</p>",
            html(url)
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
        server.answer(&decider, &request, &mut out);
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
    fn unknown_service_is_404_and_respmod_405() {
        assert!(ask("OPTIONS icap://h/other ICAP/1.0\r\n\r\n").starts_with("ICAP/1.0 404"));
        let out = ask("RESPMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n");
        assert!(out.starts_with("ICAP/1.0 405"), "{out}");
    }
}
