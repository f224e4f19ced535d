//! The Squid helper loop: external_acl (primary) and url_rewrite.
//!
//! Synchronous on purpose: Squid talks to a helper over a pipe, one process per child, and a
//! decision takes a microsecond, so threads or an async runtime would only add wake-ups to
//! every round trip. The loop reads whatever is there, answers every complete line, and
//! writes all the answers with one `write` and one flush: in lockstep that is one reply per
//! read, under load the replies to a burst go out together.
//!
//! Replies echo the channel-ID, so Squid matches them in any order; this loop happens to
//! answer in arrival order because no decision waits on anything.
//!
//! Fault handling: a line that cannot be read (overlong, not UTF-8, no URL, bad escape) gets
//! `BH message="..."` and the loop goes on with the next line. EOF on stdin ends the helper
//! cleanly (Squid closes it on reconfigure and shutdown).

use std::io::{self, Read, Write};

use charter_engine::web::WebRequest;
use charter_policy::Check;
use charter_proto::squid::{
    Answer, LineError, LineSplitter, MAX_LINE_LEN, Mode, Reply, ReplySize, RequestError,
    parse_request, reply_size,
};

use charter_policy::Area;

use crate::identity::UNKNOWN_USER;
use crate::record::{Journal, Recorded};
use crate::web::{Page, WebDecider, WebOutcome, allowed};

/// How the helper answers.
#[derive(Debug, Clone)]
pub struct HelperConfig {
    /// external_acl or url_rewrite.
    pub mode: Mode,
    /// The longest request line accepted.
    pub max_line: usize,
    /// Answers carry `ttl=` when a window edge is closer than this many seconds.
    pub ttl_cap_secs: u64,
    /// url_rewrite: where refused requests are redirected. `{rule}`, `{url}`, `{category}`
    /// and `{clause}` are replaced, URL-encoded.
    pub block_url: String,
}

impl Default for HelperConfig {
    fn default() -> Self {
        HelperConfig {
            mode: Mode::ExternalAcl,
            max_line: MAX_LINE_LEN,
            ttl_cap_secs: 60,
            block_url: "http://charter.invalid/blocked?rule={rule}&url={url}".to_string(),
        }
    }
}

/// Counts for the log line at exit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelperStats {
    /// Requests answered OK/ERR.
    pub answered: u64,
    /// Of those, refused.
    pub refused: u64,
    /// Lines answered BH.
    pub broken: u64,
}

/// A Squid helper over a decider.
pub struct SquidHelper<'a> {
    decider: WebDecider<'a>,
    config: HelperConfig,
    stats: HelperStats,
    /// `block_url` cut at its placeholders once, not searched for every refusal.
    block_url: Vec<Piece>,
    /// The time for the lines of the current read: they arrived together.
    now: Option<jiff::Timestamp>,
    /// Where decisions are recorded, if anywhere.
    journal: Option<Box<dyn Journal + 'a>>,
    /// Whether decisions are kept for a journal (this helper's, or its parallel writer's).
    recording: bool,
    /// Decisions of the current read, journalled before its answers go out.
    decided: Vec<Recorded>,
}

impl std::fmt::Debug for SquidHelper<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SquidHelper")
            .field("decider", &self.decider)
            .field("config", &self.config)
            .field("recording", &self.journal.is_some())
            .finish_non_exhaustive()
    }
}

/// A `warn` or `hold` without a pass: ERR, with the signed token as `message=` (Squid's `%o`,
/// which the documented `deny_info` puts in the page's address) and `charter_page=` for the
/// `note` ACL that picks that `deny_info`.
fn to_page<'a>(reply: &mut Reply<'a>, page: &'a Page) {
    reply.answer = Answer::Err;
    reply.message = Some(&page.token);
    reply.page = Some(page.kind.as_str());
}

/// A piece of the block URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Rule,
    Clause,
    Category,
    Url,
}

fn template(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let names = [
            ("{rule}", Piece::Rule),
            ("{clause}", Piece::Clause),
            ("{category}", Piece::Category),
            ("{url}", Piece::Url),
        ];
        match names
            .into_iter()
            .find(|(name, _)| rest[open..].starts_with(name))
        {
            Some((name, piece)) => {
                pieces.push(Piece::Text(rest[..open].to_string()));
                pieces.push(piece);
                rest = &rest[open + name.len()..];
            }
            None => {
                pieces.push(Piece::Text(rest[..=open].to_string()));
                rest = &rest[open + 1..];
            }
        }
    }
    pieces.push(Piece::Text(rest.to_string()));
    pieces
}

impl<'a> SquidHelper<'a> {
    /// A helper that decides with `decider`.
    pub fn new(decider: WebDecider<'a>, config: HelperConfig) -> SquidHelper<'a> {
        SquidHelper {
            decider,
            block_url: template(&config.block_url),
            config,
            stats: HelperStats::default(),
            now: None,
            journal: None,
            recording: false,
            decided: Vec::new(),
        }
    }

    /// Records every decision in `journal`, each read's before its answers go out.
    pub fn with_journal(mut self, journal: Box<dyn Journal + 'a>) -> SquidHelper<'a> {
        self.journal = Some(journal);
        self.recording = true;
        self
    }

    /// Journals the decisions of the lines answered since the last call.
    fn journal_decided(&mut self) {
        if let Some(journal) = self.journal.as_mut()
            && !self.decided.is_empty()
        {
            journal.write(&mut self.decided);
        }
        self.decided.clear();
    }

    /// What it has done so far.
    pub fn stats(&self) -> HelperStats {
        self.stats
    }

    /// Answers one line (or line error), appending the reply to `out`.
    pub fn answer(&mut self, line: Result<&[u8], LineError>, out: &mut Vec<u8>) {
        let reply = match (&line, self.config.mode) {
            (Ok(line), Mode::ExternalAcl) => reply_size(line),
            _ => ReplySize::NotAReply,
        };
        let request = match line {
            Ok(line) => parse_request(line, self.config.mode),
            Err(LineError::TooLong { channel }) => Err(RequestError::too_long(channel)),
            Err(_) => Err(RequestError::too_long(None)),
        };
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                self.stats.broken += 1;
                let message = e.to_string();
                Reply {
                    channel: e.channel,
                    answer: Answer::Bh,
                    message: Some(&message),
                    ..Reply::default()
                }
                .write(out);
                return;
            }
        };
        let at = self.now.unwrap_or_else(|| self.decider.clock.now());
        let who = self
            .decider
            .identify(request.user.as_deref(), request.client.as_deref(), at);
        let outcome = match reply {
            ReplySize::NotAReply => self.decider.decide_for(&request.url, who.as_deref(), at),
            size => reply_outcome(
                &self.decider,
                &request.url,
                Some(who.as_deref().unwrap_or(UNKNOWN_USER)),
                size,
            ),
        };
        // A reply-access line is the same request again: recorded only when it found
        // something, as ICAP records RESPMOD (the request's own line is its record).
        let worth_a_record = reply == ReplySize::NotAReply || !outcome.decision.findings.is_empty();
        let decision = &outcome.decision;
        let ok = allowed(decision.verdict) && outcome.page.is_none();
        self.stats.answered += 1;
        if !ok {
            self.stats.refused += 1;
        }
        let categories = decision
            .categories
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","));
        match self.config.mode {
            Mode::ExternalAcl => {
                let explanation = self.decider.explain(decision);
                let ttl = outcome
                    .valid_for_secs
                    .filter(|s| *s < self.config.ttl_cap_secs);
                let mut reply = Reply {
                    channel: request.channel,
                    answer: if ok { Answer::Ok } else { Answer::Err },
                    log: explanation.as_ref().map(|e| e.rule.as_str()),
                    category: categories.as_deref(),
                    ttl,
                    ..Reply::default()
                };
                let message = explanation.as_ref().map(|e| e.one_line());
                match &outcome.page {
                    Some(page) => to_page(&mut reply, page),
                    None => reply.message = message.as_deref(),
                }
                reply.write(out)
            }
            Mode::UrlRewrite => {
                let page_link = outcome
                    .page
                    .as_ref()
                    .zip(self.decider.pages())
                    .map(|(page, pages)| pages.link(&page.token, &request.url));
                let redirect = (!ok).then(|| {
                    if let Some(link) = page_link {
                        return link;
                    }
                    let finding = decision.deciding();
                    let mut url =
                        String::with_capacity(self.config.block_url.len() + request.url.len() * 2);
                    for piece in &self.block_url {
                        match piece {
                            Piece::Text(text) => url.push_str(text),
                            Piece::Rule => {
                                url.push_str(&url_encode(finding.map_or("", |f| f.rule.as_str())))
                            }
                            Piece::Clause => {
                                url.push_str(&url_encode(finding.map_or("", |f| f.clause.as_str())))
                            }
                            Piece::Category => {
                                url.push_str(&url_encode(categories.as_deref().unwrap_or("")))
                            }
                            Piece::Url => url.push_str(&url_encode(&request.url)),
                        }
                    }
                    url
                });
                Reply {
                    channel: request.channel,
                    answer: if ok { Answer::Err } else { Answer::Ok },
                    category: categories.as_deref(),
                    redirect: redirect.as_deref(),
                    ..Reply::default()
                }
                .write(out)
            }
        }
        if self.recording && worth_a_record {
            self.decided.push(Recorded {
                at,
                user: who,
                source: Area::Web,
                subject: request.url.into_owned(),
                decision: outcome.decision,
            });
        }
    }

    /// Serves requests from `input` until EOF, writing replies to `output`.
    pub fn run(&mut self, mut input: impl Read, mut output: impl Write) -> io::Result<HelperStats> {
        let mut splitter = LineSplitter::new(self.config.max_line);
        let mut buf = vec![0u8; 64 * 1024];
        let mut out = Vec::with_capacity(64 * 1024);
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.now = Some(self.decider.clock.now());
            splitter.feed(&buf[..n], |line| self.answer(line, &mut out));
            self.journal_decided();
            if !out.is_empty() {
                output.write_all(&out)?;
                output.flush()?;
                out.clear();
            }
        }
        if splitter.has_partial() {
            // A last line without its newline: answer it too rather than dropping it.
            splitter.feed(b"\n", |line| self.answer(line, &mut out));
            self.journal_decided();
            output.write_all(&out)?;
            output.flush()?;
        }
        Ok(self.stats)
    }
}

impl SquidHelper<'_> {
    /// Serves requests from `input` until EOF with `threads` deciding threads. Each read's
    /// complete lines are cut into one chunk per thread; a chunk whose lines all carry a
    /// channel-ID is written as soon as it is answered, so replies come back out of order
    /// (Squid matches them by channel-ID), while a chunk with any line without one waits its
    /// turn, so helpers run without `concurrency` still get answers in order. Worth it for
    /// bulk input; in lockstep a single thread answers sooner.
    pub fn run_parallel(
        &mut self,
        threads: usize,
        mut input: impl Read,
        output: impl Write + Send,
    ) -> io::Result<HelperStats> {
        use std::collections::BTreeMap;
        use std::sync::mpsc;

        let threads = threads.max(1);
        let max_line = self.config.max_line;
        std::thread::scope(|scope| -> io::Result<HelperStats> {
            let (done_tx, done_rx) = mpsc::channel::<(u64, bool, Vec<u8>, Vec<Recorded>)>();
            let recording = self.recording;
            let journal = &mut self.journal;
            let mut workers = Vec::new();
            let mut handles = Vec::new();
            for _ in 0..threads {
                // Bounded: a reader far ahead of the deciders would only hold input in memory.
                let (tx, rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(4);
                let done = done_tx.clone();
                let mut helper = SquidHelper::new(self.decider.fork(), self.config.clone());
                helper.recording = recording;
                handles.push(scope.spawn(move || {
                    let mut splitter = LineSplitter::new(max_line);
                    for (seq, chunk) in rx {
                        helper.now = Some(helper.decider.clock.now());
                        let mut out = Vec::with_capacity(chunk.len());
                        let mut ordered = false;
                        splitter.feed(&chunk, |line| {
                            let channel = match &line {
                                Ok(l) => l.first().is_some_and(u8::is_ascii_digit),
                                Err(LineError::TooLong { channel }) => channel.is_some(),
                                Err(_) => false,
                            };
                            ordered |= !channel;
                            helper.answer(line, &mut out);
                        });
                        let decided = std::mem::take(&mut helper.decided);
                        if done.send((seq, ordered, out, decided)).is_err() {
                            break;
                        }
                    }
                    helper.stats
                }));
                workers.push(tx);
            }
            drop(done_tx);
            let writer = scope.spawn(move || -> io::Result<()> {
                let mut output = output;
                let mut next = 0u64;
                let mut waiting: BTreeMap<u64, Option<Vec<u8>>> = BTreeMap::new();
                let mut dirty = false;
                loop {
                    let received = if dirty {
                        match done_rx.try_recv() {
                            Ok(item) => Some(item),
                            Err(mpsc::TryRecvError::Empty) => {
                                output.flush()?;
                                dirty = false;
                                continue;
                            }
                            Err(mpsc::TryRecvError::Disconnected) => None,
                        }
                    } else {
                        done_rx.recv().ok()
                    };
                    let Some((seq, ordered, bytes, mut decided)) = received else {
                        break;
                    };
                    // Recorded before any answer of the chunk goes out.
                    if let Some(journal) = journal.as_mut() {
                        journal.write(&mut decided);
                    }
                    if ordered {
                        waiting.insert(seq, Some(bytes));
                    } else {
                        output.write_all(&bytes)?;
                        dirty = true;
                        waiting.insert(seq, None);
                    }
                    while let Some(entry) = waiting.remove(&next) {
                        if let Some(bytes) = entry {
                            output.write_all(&bytes)?;
                            dirty = true;
                        }
                        next += 1;
                    }
                }
                output.flush()
            });
            let mut splitter = LineSplitter::new(max_line);
            let mut buf = vec![0u8; 64 * 1024];
            let mut seq = 0u64;
            let mut lines: Vec<Vec<u8>> = Vec::new();
            let mut eof = false;
            while !eof {
                let n = match input.read(&mut buf) {
                    Ok(0) => {
                        eof = true;
                        0
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                let data: &[u8] = if eof {
                    if splitter.has_partial() { b"\n" } else { b"" }
                } else {
                    &buf[..n]
                };
                let mut batch = Vec::with_capacity(data.len() + 1);
                let mut count = 0usize;
                splitter.feed(data, |line| {
                    match line {
                        Ok(l) => batch.extend_from_slice(l),
                        // Re-create an overlong line the worker's splitter refuses the same way.
                        Err(LineError::TooLong { channel }) => {
                            if let Some(c) = channel {
                                batch.extend_from_slice(format!("{c} ").as_bytes());
                            }
                            batch.resize(batch.len() + max_line + 1, b'x');
                        }
                        Err(_) => {}
                    }
                    batch.push(b'\n');
                    count += 1;
                });
                if count == 0 {
                    continue;
                }
                // One chunk per thread, cut at line ends.
                lines.clear();
                let per = count.div_ceil(threads);
                let mut start = 0;
                let mut in_chunk = 0;
                for (i, b) in batch.iter().enumerate() {
                    if *b == b'\n' {
                        in_chunk += 1;
                        if in_chunk == per {
                            lines.push(batch[start..=i].to_vec());
                            start = i + 1;
                            in_chunk = 0;
                        }
                    }
                }
                if start < batch.len() {
                    lines.push(batch[start..].to_vec());
                }
                for (i, chunk) in lines.drain(..).enumerate() {
                    if workers[i % threads].send((seq, chunk)).is_err() {
                        return Err(io::Error::other("a helper thread stopped"));
                    }
                    seq += 1;
                }
            }
            drop(workers);
            let mut stats = HelperStats::default();
            for handle in handles {
                let s = handle
                    .join()
                    .map_err(|_| io::Error::other("a helper thread panicked"))?;
                stats.answered += s.answered;
                stats.refused += s.refused;
                stats.broken += s.broken;
            }
            writer
                .join()
                .map_err(|_| io::Error::other("the writer thread panicked"))??;
            self.stats = stats;
            Ok(stats)
        })
    }
}

/// The answer to a reply line (`http_reply_access`, with the response's `Content-Length`):
/// only `large_download` is judged, the request's URL having been judged at `http_access`.
/// A response of unknown size is allowed.
fn reply_outcome(
    decider: &WebDecider<'_>,
    url: &str,
    user: Option<&str>,
    size: ReplySize,
) -> WebOutcome {
    let size_bytes = match size {
        ReplySize::Bytes(n) => Some(n),
        ReplySize::Unknown | ReplySize::NotAReply => None,
    };
    let request = WebRequest {
        size_bytes,
        ..WebRequest::new(url)
    };
    decider.decide_content(&request, user, Check::LargeDownload)
}

/// Answers every request while the helper cannot decide (the pack or the categories would
/// not load), until EOF: `BH message="..."` by default, which the documented squid.conf
/// turns into a refusal (fail closed), or `OK` with `fail_open`. Keeping the process alive
/// matters: a helper that exits at start makes Squid give up ("helpers are crashing too
/// rapidly") and stop serving everyone.
pub fn serve_unavailable(
    mode: Mode,
    reason: &str,
    fail_open: bool,
    mut input: impl Read,
    mut output: impl Write,
) -> io::Result<u64> {
    let mut splitter = LineSplitter::new(MAX_LINE_LEN);
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::new();
    let message = format!("charter cannot decide: {reason}");
    let mut answered = 0;
    let mut answer = |line: Result<&[u8], LineError>, out: &mut Vec<u8>| {
        let channel = match line {
            Ok(line) => parse_request(line, mode).map_or_else(|e| e.channel, |r| r.channel),
            Err(LineError::TooLong { channel }) => channel,
            Err(_) => None,
        };
        answered += 1;
        let answer = match (fail_open, mode) {
            (false, _) => Answer::Bh,
            (true, Mode::ExternalAcl) => Answer::Ok,
            (true, Mode::UrlRewrite) => Answer::Err,
        };
        Reply {
            channel,
            answer,
            message: Some(&message),
            ..Reply::default()
        }
        .write(out);
    };
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        splitter.feed(&buf[..n], |line| answer(line, &mut out));
        output.write_all(&out)?;
        output.flush()?;
        out.clear();
    }
    Ok(answered)
}

/// Percent-encodes everything but unreserved characters.
pub fn url_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::{Clock, Roles};
    use charter_engine::Engine;
    use charter_engine::web::Builtin;

    const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
timezone = "Europe/London"
[organisation]
name = "T Ltd"
contact = "the IT Department"
[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]
[[rule]]
id = "no-gambling"
clause = "4.2"
quote = "No gambling."
on = "web"
categories = ["gambling"]
action = "block"
severity = "gross_misconduct"
[[rule]]
id = "social-in-breaks"
clause = "5.1"
quote = "Social media only in breaks."
on = "web"
categories = ["social_media"]
outside = "personal_use"
except_roles = ["marketing"]
action = "block"
severity = "concern"
"#;

    fn run(input: &[u8], at: &str, mode: Mode) -> String {
        let engine = Engine::new(charter_policy::parse(PACK, "t.toml").unwrap());
        let source = Builtin::new();
        let roles = Roles::parse("carol marketing\n");
        let decider = WebDecider::new(&engine, &source, Clock::Fixed(at.parse().unwrap()), &roles);
        let mut helper = SquidHelper::new(
            decider,
            HelperConfig {
                mode,
                max_line: 200,
                ..HelperConfig::default()
            },
        );
        let mut out = Vec::new();
        helper.run(input, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reply_lines_judge_the_size_only() {
        let pack = format!(
            "{PACK}[[rule]]\nid = \"big\"\nclause = \"7\"\nquote = \"No large downloads.\"\non = \"web\"\nchecks = [\"large_download\"]\nmax_download_mb = 1\naction = \"block\"\nseverity = \"concern\"\n"
        );
        let engine = Engine::new(charter_policy::parse(&pack, "t.toml").unwrap());
        let source = Builtin::new();
        let roles = Roles::default();
        let decider = WebDecider::new(&engine, &source, Clock::Fixed(TEN.parse().unwrap()), &roles);
        let mut helper = SquidHelper::new(decider, HelperConfig::default());
        let mut out = Vec::new();
        let input = b"1 http://example.org/big.iso - 10.0.0.5 2000000 -\n\
2 http://example.org/small.iso - 10.0.0.5 1000 -\n\
3 http://example.org/chunked - 10.0.0.5 - -\n\
4 http://www.bet365.com/ - 10.0.0.5 1000 -\n\
5 http://www.bet365.com/ - 10.0.0.5 -\n";
        helper.run(&input[..], &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("1 ERR log=\"big\" message=\"Blocked by rule big (clause 7"),
            "{out}"
        );
        assert!(lines[0].contains("download of 2 MB from example.org is over the 1 MB limit"));
        assert!(lines[1].starts_with("2 OK"), "{out}");
        assert!(lines[2].starts_with("3 OK"), "unknown size: {out}");
        assert!(
            lines[3].starts_with("4 OK"),
            "a reply line judges the size, the URL was judged at http_access: {out}"
        );
        assert!(
            lines[4].starts_with("5 ERR"),
            "a request line (its last field the ACL's arguments) judges the URL: {out}"
        );
    }

    // 2026-06-15 is a Monday; London is on BST, so 10:00 local is 09:00 UTC.
    const TEN: &str = "2026-06-15T09:00:00Z";
    const LUNCH: &str = "2026-06-15T11:45:00Z";

    #[test]
    fn gambling_is_refused_with_rule_and_clause() {
        let out = run(
            b"3 http://www.bet365.com/ alice 10.0.0.1\n",
            TEN,
            Mode::ExternalAcl,
        );
        assert!(out.starts_with("3 ERR category=\"gambling\""), "{out}");
        assert!(out.contains("log=\"no-gambling\""), "{out}");
        assert!(
            out.contains("Blocked by rule no-gambling (clause 4.2: \\\"No gambling.\\\")"),
            "{out}"
        );
        assert!(out.contains("ask the IT Department"), "{out}");
    }

    #[test]
    fn allowed_site_is_ok() {
        let out = run(b"4 http://example.org/ - -\n", TEN, Mode::ExternalAcl);
        assert_eq!(out, "4 OK\n");
    }

    #[test]
    fn social_media_in_lunch_break_is_allowed_with_ttl_to_the_edge() {
        let out = run(b"1 https://facebook.com/ bob -\n", LUNCH, Mode::ExternalAcl);
        // 12:45 local: the break ends at 13:30, 2700 s later, beyond the 60 s cap.
        assert_eq!(out, "1 OK category=\"social_media\"\n");
        let out = run(
            b"1 https://facebook.com/ bob -\n",
            "2026-06-15T12:29:30Z",
            Mode::ExternalAcl,
        );
        assert_eq!(out, "1 OK category=\"social_media\" ttl=30\n");
    }

    #[test]
    fn social_media_at_ten_is_refused_except_for_marketing() {
        let out = run(
            b"1 facebook.com:443 bob -\n2 facebook.com:443 carol -\n",
            TEN,
            Mode::ExternalAcl,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("1 ERR"), "{out}");
        assert!(lines[1].starts_with("2 OK"), "{out}");
    }

    #[test]
    fn channels_are_echoed_in_any_order() {
        let out = run(
            b"9 http://a.com/ - -\n2 http://bet365.com/ - -\n5 http://b.com/ - -\n",
            TEN,
            Mode::ExternalAcl,
        );
        let ids: Vec<&str> = out.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(ids, ["9", "2", "5"]);
    }

    #[test]
    fn malformed_lines_get_bh_and_the_helper_goes_on() {
        let mut input = Vec::new();
        input.extend_from_slice(b"1 \xff\xfe\n");
        input.extend_from_slice(format!("2 http://x.com/{}\n", "a".repeat(500)).as_bytes());
        input.extend_from_slice(b"\n3 http://example.org/ - -\n");
        let out = run(&input, TEN, Mode::ExternalAcl);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "1 BH message=\"request line is not valid UTF-8\"");
        assert_eq!(lines[1], "2 BH message=\"request line too long\"");
        assert_eq!(lines[2], "BH message=\"empty request line\"");
        assert_eq!(lines[3], "3 OK");
    }

    #[test]
    fn url_rewrite_redirects_refused_requests() {
        let out = run(
            b"0 http://bet365.com/ 10.0.0.1/- - GET myip=127.0.0.1 myport=3128\n1 http://example.org/ 10.0.0.1/- - GET\n",
            TEN,
            Mode::UrlRewrite,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "0 OK status=302 url=\"http://charter.invalid/blocked?rule=no-gambling&url=http%3A%2F%2Fbet365.com%2F\" category=\"gambling\""
        );
        assert_eq!(lines[1], "1 ERR");
    }

    #[test]
    fn unavailable_helper_answers_bh_or_ok() {
        let mut out = Vec::new();
        serve_unavailable(
            Mode::ExternalAcl,
            "no index",
            false,
            &b"4 http://a.com/ - -\n"[..],
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"4 BH message=\"charter cannot decide: no index\"\n");
        let mut out = Vec::new();
        serve_unavailable(
            Mode::ExternalAcl,
            "no index",
            true,
            &b"4 http://a.com/ - -\n"[..],
            &mut out,
        )
        .unwrap();
        assert!(out.starts_with(b"4 OK "));
    }

    fn run_parallel(input: &[u8], threads: usize) -> String {
        let engine = Engine::new(charter_policy::parse(PACK, "t.toml").unwrap());
        let source = Builtin::new();
        let roles = Roles::default();
        let decider = WebDecider::new(&engine, &source, Clock::Fixed(TEN.parse().unwrap()), &roles);
        let mut helper = SquidHelper::new(
            decider,
            HelperConfig {
                max_line: 200,
                ..HelperConfig::default()
            },
        );
        let mut out = Vec::new();
        helper.run_parallel(threads, input, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn parallel_answers_every_channel_once() {
        let mut input = String::new();
        for i in 0..500u32 {
            let host = if i.is_multiple_of(3) {
                "bet365.com"
            } else {
                "example.org"
            };
            input.push_str(&format!("{i} http://{host}/ - -\n"));
        }
        input.push_str(&format!("777 http://x.com/{}\n", "a".repeat(300)));
        let out = run_parallel(input.as_bytes(), 3);
        let mut ids: Vec<u32> = out
            .lines()
            .map(|l| l.split(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(ids.len(), 501);
        assert!(out.contains("777 BH message=\"request line too long\""));
        for line in out.lines() {
            let id: u32 = line.split(' ').next().unwrap().parse().unwrap();
            if id < 500 {
                assert_eq!(line.contains(" ERR "), id.is_multiple_of(3), "{line}");
            }
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 501);
    }

    #[test]
    fn parallel_keeps_order_without_channels() {
        let mut input = String::new();
        for i in 0..300u32 {
            let host = if i.is_multiple_of(2) {
                "bet365.com"
            } else {
                "example.org"
            };
            input.push_str(&format!("http://{host}/{i} - -\n"));
        }
        let out = run_parallel(input.as_bytes(), 2);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 300);
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(line.starts_with("ERR"), i.is_multiple_of(2), "{i}: {line}");
        }
    }

    #[test]
    fn block_url_template() {
        assert_eq!(
            template("http://b/?r={rule}&u={url}&x={other}"),
            [
                Piece::Text("http://b/?r=".into()),
                Piece::Rule,
                Piece::Text("&u=".into()),
                Piece::Url,
                Piece::Text("&x={".into()),
                Piece::Text("other}".into()),
            ]
        );
    }

    #[test]
    fn last_line_without_newline_is_answered() {
        assert_eq!(
            run(b"7 http://example.org/ - -", TEN, Mode::ExternalAcl),
            "7 OK\n"
        );
    }
}

#[cfg(test)]
mod identity_tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::identity::{DeviceIds, Identities, IdentityTable};
    use crate::web::{Clock, Roles};
    use charter_engine::Engine;
    use charter_engine::web::Builtin;

    const PACK: &str = r#"
[policy]
id = "t"
title = "T"
source = "T"
timezone = "Europe/London"
[organisation]
name = "T Ltd"
[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
[[rule]]
id = "social-outside-work"
clause = "5.1"
quote = "Social media only outside work."
on = "web"
categories = ["social_media"]
during = "working"
except_roles = ["marketing"]
action = "block"
severity = "concern"
[[rule]]
id = "unknown-users"
clause = "2"
quote = "Only authorised users may use the internet connection."
on = "web"
checks = ["unknown_user"]
action = "block"
severity = "concern"
"#;

    /// An output several owners can look at: what had been answered when.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Each batch's users and how many bytes had been answered when it came.
    type Batches = Vec<(Vec<Option<String>>, usize)>;

    /// Keeps what it is given in `batches`.
    struct Kept {
        output: Shared,
        batches: Arc<Mutex<Batches>>,
    }

    impl Journal for Kept {
        fn write(&mut self, batch: &mut Vec<Recorded>) {
            let answered = self.output.0.lock().unwrap().len();
            let users = batch.drain(..).map(|r| r.user).collect();
            self.batches.lock().unwrap().push((users, answered));
        }
    }

    /// Runs `input` at 10:00 on a Monday with 10.0.0.5 mapped to carol (marketing).
    fn run(input: &[u8], threads: usize) -> (String, Batches) {
        run_with(PACK, input, threads)
    }

    fn run_with(pack: &str, input: &[u8], threads: usize) -> (String, Batches) {
        let engine = Engine::new(charter_policy::parse(pack, "t.toml").unwrap());
        let source = Builtin::new();
        let roles = Roles::parse("carol marketing\n");
        let identities = Identities::default();
        identities.replace(IdentityTable::build(
            &[DeviceIds {
                user: "carol".into(),
                ip: Some("10.0.0.5".parse().unwrap()),
                ..DeviceIds::default()
            }],
            &[],
        ));
        let at = "2026-06-15T09:00:00Z".parse().unwrap();
        let decider = WebDecider::new(&engine, &source, Clock::Fixed(at), &roles)
            .with_identities(&identities);
        let output = Shared::default();
        let batches = Arc::new(Mutex::new(Vec::new()));
        let journal = Kept {
            output: output.clone(),
            batches: Arc::clone(&batches),
        };
        let mut helper =
            SquidHelper::new(decider, HelperConfig::default()).with_journal(Box::new(journal));
        if threads > 1 {
            helper.run_parallel(threads, input, output.clone()).unwrap();
        } else {
            helper.run(input, output.clone()).unwrap();
        }
        let out = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        let batches = batches.lock().unwrap().clone();
        (out, batches)
    }

    #[test]
    fn a_mapped_address_without_a_login_is_decided_for_its_person() {
        let (out, batches) = run(b"1 https://facebook.com/ - 10.0.0.5\n", 1);
        assert_eq!(out, "1 OK category=\"social_media\"\n");
        assert_eq!(batches, [(vec![Some("carol".to_string())], 0)]);
    }

    #[test]
    fn no_login_and_no_mapping_fires_unknown_user() {
        let (out, batches) = run(b"1 http://example.org/ - 10.0.0.6\n", 1);
        assert!(out.starts_with("1 ERR"), "{out}");
        assert!(out.contains("log=\"unknown-users\""), "{out}");
        assert_eq!(batches, [(vec![None], 0)]);
    }

    #[test]
    fn a_login_is_not_an_unknown_user() {
        let (out, _) = run(b"1 http://example.org/ dave 10.0.0.6\n", 1);
        assert_eq!(out, "1 OK\n");
    }

    #[test]
    fn each_reads_decisions_are_journalled_before_its_answers() {
        let (out, batches) = run(
            b"1 http://example.org/ dave -\n2 http://example.org/ - 10.0.0.5\n",
            1,
        );
        assert_eq!(out.lines().count(), 2);
        assert_eq!(
            batches,
            [(vec![Some("dave".to_string()), Some("carol".to_string())], 0)]
        );
    }

    #[test]
    fn reply_lines_are_recorded_only_when_they_find_something() {
        let pack = format!(
            "{PACK}[[rule]]\nid = \"big\"\nclause = \"7\"\nquote = \"No large downloads.\"\non = \"web\"\nchecks = [\"large_download\"]\nmax_download_mb = 1\naction = \"block\"\nseverity = \"concern\"\n"
        );
        let (out, batches) = run_with(
            &pack,
            b"1 http://example.org/small - 10.0.0.5 100 -\n2 http://example.org/big - 10.0.0.5 5000000 -\n",
            1,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "1 OK", "{out}");
        assert!(lines[1].starts_with("2 ERR"), "{out}");
        assert_eq!(batches, [(vec![Some("carol".to_string())], 0)]);
    }

    #[test]
    fn parallel_threads_journal_every_decision() {
        let mut input = String::new();
        for i in 0..300 {
            input.push_str(&format!("{i} http://example.org/{i} - 10.0.0.5\n"));
        }
        let (out, batches) = run(input.as_bytes(), 3);
        assert_eq!(out.lines().count(), 300);
        let users: Vec<_> = batches.into_iter().flat_map(|(u, _)| u).collect();
        assert_eq!(users.len(), 300);
        assert!(users.iter().all(|u| u.as_deref() == Some("carol")));
    }
}
