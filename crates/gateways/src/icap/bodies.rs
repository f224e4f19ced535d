//! Bodies: the uploads REQMOD reads for `sensitive_upload` and the responses RESPMOD
//! measures for `large_download`.
//!
//! Both services advertise `Preview: 0`, so Squid first sends the heads alone. A body is
//! asked for (`100 Continue`) only when it can change the answer:
//!
//! - REQMOD: the URL is allowed, the site is a public AI tool, webmail or file sharing, and
//!   a `sensitive_upload` rule is in force. Up to `max_upload_scan_bytes` are read and held,
//!   then judged; an allowed body is passed back (`204` when Squid offered it and the body
//!   ended within the limit, else echoed, and the rest relayed a chunk at a time unread).
//!   Memory per upload: the scan limit plus one chunk.
//! - RESPMOD: a response whose head gives its `Content-Length` is judged on the heads alone
//!   (`204`, or a block page in its place). One without a length is counted only when a
//!   `large_download` rule applies to it: it is relayed back a chunk at a time as it is
//!   counted, holding one chunk. If the count passes the limit and the verdict refuses, the
//!   connection is closed there: Squid aborts the transfer, so the person gets a failed
//!   download, not a block page (the response head went out before its size was known); a
//!   `warn` or `log` verdict lets it finish. Either way the finding is recorded.
//!
//! A body read after `100 Continue` may stay silent for at most `body_timeout_secs`
//! between reads (a slow origin is not a fault), and its chunks may each be at most
//! [`MAX_CHUNK`] bytes.

use std::time::Duration;

use charter_engine::Decision;
use charter_engine::web::{Upload, WebRequest};
use charter_policy::{Area, Check};
use charter_proto::body::{BodyLimits, body_text};
use charter_proto::icap::{
    self, BodyStep, Message, Method, Request, body_step, content_length, write_chunk,
    write_last_chunk,
};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{IcapServer, echo, no_http_request, unchanged, write_block};
use crate::identity::UNKNOWN_USER;
use crate::listen::{Read, read_before, write_within};
use crate::record::Recorded;
use crate::web::{WebDecider, WebOutcome, allowed};

/// Default `max_upload_scan_bytes`: 4 MiB, room for a long prompt or a pasted document.
pub(super) const DEFAULT_MAX_UPLOAD_SCAN: usize = 4 * 1024 * 1024;
/// Largest chunk of a body read after `100 Continue`. Squid sends at most 64 KB at a time.
const MAX_CHUNK: usize = 1024 * 1024;
/// Most multipart parts read from one upload.
const MAX_PARTS: usize = 64;

/// Who a request is for, as the engine hears it ([`super::who`]): `-` for an unknown user,
/// so that a body's decision treats a request as its REQMOD decision did.
fn request_user(decider: &WebDecider<'_>, request: &Request, identity_trusted: bool) -> String {
    let who = super::who(decider, request, identity_trusted, decider.clock.now());
    super::as_heard(&who).to_string()
}

/// What to do once Squid sends the rest of the body.
#[derive(Debug)]
pub(super) enum Next {
    /// Read the upload and judge it; the URL was judged (allowed) already.
    Upload(WebOutcome),
    /// Relay the response, counting, and judge it when it passes `limit` bytes.
    Count {
        /// The smallest `max_download_mb` that applies, in bytes.
        limit: u64,
    },
}

/// Reads a chunked body from a connection, one chunk at a time.
pub(super) struct BodyReader<'a> {
    stream: &'a mut TcpStream,
    buf: &'a mut Vec<u8>,
    timeout: Duration,
}

/// Why a body stopped before its last chunk.
enum Broken {
    /// The connection failed.
    Io(std::io::Error),
    /// The client closed it, fell silent, or sent bytes that are not chunks.
    Peer(String),
}

impl From<std::io::Error> for Broken {
    fn from(e: std::io::Error) -> Self {
        Broken::Io(e)
    }
}

impl<'a> BodyReader<'a> {
    /// A reader over `stream`, whose bytes already read are in `buf`.
    pub(super) fn new(
        stream: &'a mut TcpStream,
        buf: &'a mut Vec<u8>,
        server: &IcapServer,
    ) -> BodyReader<'a> {
        BodyReader {
            stream,
            buf,
            timeout: server.body_timeout,
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        write_within(self.stream, bytes, self.timeout).await
    }

    /// The next chunk's data into `data` (replacing it): `true`, or `false` at the last
    /// chunk.
    async fn next(&mut self, data: &mut Vec<u8>) -> Result<bool, Broken> {
        loop {
            match body_step(self.buf, MAX_CHUNK) {
                Ok(BodyStep::Data(range, used)) => {
                    data.clear();
                    data.extend_from_slice(&self.buf[range]);
                    self.buf.drain(..used);
                    return Ok(true);
                }
                Ok(BodyStep::End(used)) => {
                    self.buf.drain(..used);
                    return Ok(false);
                }
                Ok(BodyStep::Incomplete) => {}
                Err(e) => return Err(Broken::Peer(e.to_string())),
            }
            match read_before(self.stream, self.buf, Instant::now() + self.timeout).await? {
                Read::Bytes(_) => {}
                Read::Closed => return Err(Broken::Peer("closed mid-body".into())),
                Read::TimedOut => return Err(Broken::Peer("silent mid-body".into())),
            }
        }
    }
}

impl IcapServer {
    /// Whether `request` (a preview of its heads) needs its body to be answered, and what
    /// to do with it.
    pub(super) fn continuation(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        identity_trusted: bool,
    ) -> Option<Next> {
        if !request.preview || request.ieof || request.body.is_none() {
            return None;
        }
        let url = request.http_url()?;
        let user = request_user(decider, request, identity_trusted);
        let user = Some(user.as_str());
        let service = request.service();
        match request.method {
            Method::Reqmod if service == self.service && self.max_upload_scan > 0 => {
                if !decider.wants_upload(&url, user) {
                    return None;
                }
                let outcome = decider.decide(&url, user);
                // A refused URL, or one for a warning or hold page, is answered at once,
                // without its body.
                let to_page = outcome.page.is_some() && decider.pages().is_some();
                (allowed(outcome.decision.verdict) && !to_page).then_some(Next::Upload(outcome))
            }
            Method::Respmod if service == self.respmod_service => {
                if content_length(request.response_head.as_deref()?).is_some() {
                    return None;
                }
                let limit = decider.download_limit(&url, user)?;
                Some(Next::Count { limit })
            }
            _ => None,
        }
    }

    /// Asks for the body (`100 Continue`), reads it as `next` says and answers; true when
    /// the connection must close.
    pub(super) async fn continue_body(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        identity_trusted: bool,
        next: Next,
        body: &mut BodyReader<'_>,
    ) -> std::io::Result<bool> {
        body.write(b"ICAP/1.0 100 Continue\r\n\r\n").await?;
        let user = request_user(decider, request, identity_trusted);
        let user = Some(user.as_str());
        let url = request.http_url().unwrap_or_default();
        let done = match next {
            Next::Upload(outcome) => {
                self.read_upload(decider, request, &url, user, outcome, body)
                    .await
            }
            Next::Count { limit } => {
                self.relay_counting(decider, request, &url, user, limit, body)
                    .await
            }
        };
        match done {
            Ok(close) => Ok(close),
            Err(Broken::Io(e)) => Err(e),
            Err(Broken::Peer(why)) => {
                eprintln!("charter icap: {why}: Body not read, closed.");
                Ok(true)
            }
        }
    }

    fn record(&self, url: &str, user: Option<&str>, outcome: &WebOutcome) {
        self.recorder.record(Recorded {
            at: outcome.at,
            user: user.filter(|u| *u != UNKNOWN_USER).map(str::to_string),
            source: Area::Web,
            subject: url.to_string(),
            decision: outcome.decision.clone(),
        });
    }

    /// Judges an upload's first bytes (`body`, all of it when `ended`). With `url_outcome`
    /// (the request's URL decision, not yet recorded) one record holds both; without, the
    /// upload's findings are recorded, if any.
    #[allow(
        clippy::too_many_arguments,
        reason = "the request, what was read of it, and its URL decision"
    )]
    fn judge_upload(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        url: &str,
        user: Option<&str>,
        body: &[u8],
        ended: bool,
        url_outcome: Option<WebOutcome>,
    ) -> WebOutcome {
        let scanned = &body[..body.len().min(self.max_upload_scan)];
        let encoded = request
            .http_header("Content-Encoding")
            .is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
        let limits = BodyLimits {
            max_text: self.max_upload_scan,
            max_parts: MAX_PARTS,
        };
        let text = if encoded {
            // Compressed uploads are not unpacked: counted as a part not scanned.
            charter_proto::body::BodyText {
                unread_parts: 1,
                ..Default::default()
            }
        } else {
            body_text(request.http_header("Content-Type"), scanned, &limits)
        };
        let body_bytes = request
            .http_head
            .as_deref()
            .and_then(content_length)
            .or_else(|| ended.then_some(body.len() as u64));
        let upload = WebRequest {
            upload: Some(Upload {
                text: &text.text,
                read_bytes: scanned.len() as u64,
                body_bytes,
                cut: !ended || scanned.len() < body.len() || text.cut,
                unread_parts: text.unread_parts,
            }),
            ..WebRequest::new(url)
        };
        let outcome = decider.decide_content(&upload, user, Check::SensitiveUpload);
        match url_outcome {
            Some(mut whole) => {
                let mut findings = std::mem::take(&mut whole.decision.findings);
                findings.extend(outcome.decision.findings);
                whole.decision = Decision::from_findings(
                    findings,
                    whole.decision.privacy,
                    whole.decision.categories.take(),
                );
                self.record(url, user, &whole);
                whole
            }
            None => {
                if !outcome.decision.findings.is_empty() {
                    self.record(url, user, &outcome);
                }
                outcome
            }
        }
    }

    /// Answers a REQMOD whose whole body came with it (a client that sent no preview).
    pub(super) fn answer_upload(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        url: &str,
        user: Option<&str>,
        body: &[u8],
        out: &mut Vec<u8>,
    ) {
        let outcome = self.judge_upload(decider, request, url, user, body, true, None);
        if allowed(outcome.decision.verdict) {
            unchanged(request, &self.istag, out);
        } else {
            write_block(decider, &self.istag, url, &outcome.decision, out);
        }
    }

    async fn read_upload(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        url: &str,
        user: Option<&str>,
        url_outcome: WebOutcome,
        body: &mut BodyReader<'_>,
    ) -> Result<bool, Broken> {
        let mut held = Vec::new();
        let mut data = Vec::new();
        let mut ended = false;
        while held.len() < self.max_upload_scan {
            match body.next(&mut data).await {
                Ok(true) => held.extend_from_slice(&data),
                Ok(false) => {
                    ended = true;
                    break;
                }
                Err(e) => {
                    // The request was decided on its URL; that much is recorded.
                    self.record(url, user, &url_outcome);
                    return Err(e);
                }
            }
        }
        let outcome =
            self.judge_upload(decider, request, url, user, &held, ended, Some(url_outcome));
        let mut out = Vec::new();
        if !allowed(outcome.decision.verdict) {
            write_block(decider, &self.istag, url, &outcome.decision, &mut out);
            body.write(&out).await?;
            // The rest of an unfinished body would follow: closing is the way to refuse it.
            return Ok(!ended);
        }
        let offered_204 = request
            .header("Allow")
            .is_some_and(|v| v.split(',').any(|t| t.trim() == "204"));
        if ended && offered_204 {
            icap::write_no_content(&mut out, &self.istag);
            body.write(&out).await?;
            return Ok(false);
        }
        let head = request.http_head.as_deref().unwrap_or_default();
        icap::write_message_head(&mut out, &self.istag, Message::Request, head, true);
        write_chunk(&mut out, &held);
        if ended {
            write_last_chunk(&mut out);
            body.write(&out).await?;
            return Ok(false);
        }
        body.write(&out).await?;
        drop(held);
        while body.next(&mut data).await? {
            out.clear();
            write_chunk(&mut out, &data);
            body.write(&out).await?;
        }
        out.clear();
        write_last_chunk(&mut out);
        body.write(&out).await?;
        Ok(false)
    }

    /// Relays a response of unknown length back to Squid, counting it; judged once it
    /// passes `limit`.
    async fn relay_counting(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        url: &str,
        user: Option<&str>,
        limit: u64,
        body: &mut BodyReader<'_>,
    ) -> Result<bool, Broken> {
        let head = request.response_head.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        icap::write_message_head(&mut out, &self.istag, Message::Response, head, true);
        body.write(&out).await?;
        let mut count: u64 = 0;
        let mut judged = false;
        let mut data = Vec::new();
        while body.next(&mut data).await? {
            count += data.len() as u64;
            if !judged && count > limit {
                judged = true;
                let sized = WebRequest {
                    size_bytes: Some(count),
                    ..WebRequest::new(url)
                };
                let outcome = decider.decide_content(&sized, user, Check::LargeDownload);
                self.record(url, user, &outcome);
                if !allowed(outcome.decision.verdict) {
                    let rule = outcome.decision.deciding().map_or("", |f| f.rule.as_str());
                    eprintln!(
                        "charter icap: rule={rule} bytes={count}: Download over the limit, cut off."
                    );
                    return Ok(true);
                }
            }
            out.clear();
            write_chunk(&mut out, &data);
            body.write(&out).await?;
        }
        out.clear();
        write_last_chunk(&mut out);
        body.write(&out).await?;
        Ok(false)
    }

    /// Answers a request to the RESPMOD service that needs no more of its body: `OPTIONS`,
    /// a response whose size is known from its head (or whose whole body came), or one no
    /// `large_download` rule applies to. True when the connection must close.
    pub(super) fn answer_respmod(
        &self,
        decider: &WebDecider<'_>,
        request: &Request,
        identity_trusted: bool,
        out: &mut Vec<u8>,
    ) -> bool {
        let istag = self.istag.as_str();
        match request.method {
            Method::Options => {
                self.write_options("RESPMOD", "Charter web policy: download sizes", out);
                false
            }
            Method::Reqmod => {
                icap::write_head(out, 405, "Method Not Allowed", &[("ISTag", istag)]);
                false
            }
            Method::Respmod => {
                let Some(url) = request.http_url() else {
                    return no_http_request(istag, out);
                };
                let user = request_user(decider, request, identity_trusted);
                let user = Some(user.as_str());
                let whole = request
                    .body
                    .as_deref()
                    .filter(|_| !request.preview || request.ieof);
                let size = request
                    .response_head
                    .as_deref()
                    .and_then(content_length)
                    .or_else(|| match &request.body {
                        None => Some(0),
                        Some(_) => whole.map(|b| b.len() as u64),
                    });
                if let Some(size) = size {
                    let sized = WebRequest {
                        size_bytes: Some(size),
                        ..WebRequest::new(&url)
                    };
                    let outcome = decider.decide_content(&sized, user, Check::LargeDownload);
                    if !outcome.decision.findings.is_empty() {
                        self.record(&url, user, &outcome);
                    }
                    if !allowed(outcome.decision.verdict) {
                        write_block(decider, istag, &url, &outcome.decision, out);
                        return false;
                    }
                }
                echo(request, istag, Message::Response, out);
                false
            }
        }
    }
}
