//! What ingest decides about each event, and the record it writes. Web requests are decided
//! exactly as the gateways decide them ([`WebDecider`]: the category index, the roles from
//! the register, the passes in force); every other event goes to the engine's activity checks:
//! through [`App::decide_event`] against the store when the decider has it (ingest of files:
//! sessions, approvals and acknowledgements as each event comes), else through
//! [`decide_activity`] with the facts read once ([`Facts`]).

use jiff::Timestamp;

use charter_engine::web::Target;
use charter_engine::{Decision, Privacy};
use charter_gateways::web::{Roles, WebDecider};
use charter_proto::logs::{DeviceAction, EventKind, LogEvent, LoginSystem};
use charter_store::{NewRecord, Source, Text};

use crate::App;
use crate::FastMap as Map;
use crate::activity::{Snapshot, decide_known};

/// What deciding needs from the registers, read once per run (and again when `serve`
/// refreshes the register): the roles web requests are decided with, and the registers the
/// activity checks read ([`Snapshot`]) for callers that decide without the store.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Every active account's roles, as the gateways hold them.
    pub roles: Roles,
    /// The registers the activity checks need.
    pub activity: Snapshot,
}

impl App {
    /// Reads what deciding needs from the registers.
    pub async fn event_facts(&self) -> crate::Result<Facts> {
        Ok(Facts {
            roles: crate::serve::register_roles(self.store()).await?,
            activity: self.activity_snapshot().await?,
        })
    }
}

/// The engine's decision about one non-web event from `facts` read earlier, for callers that
/// hold the engine without the store (`serve`'s syslog listener). Sessions are not known this
/// way, so `concurrent_sessions` is left to [`App::decide_event`], which decides against the
/// store as it is now.
pub fn decide_activity(
    engine: &charter_engine::Engine,
    facts: &Facts,
    event: &LogEvent,
) -> Option<Decision> {
    let mut known = facts.activity.known(event);
    known.roles = facts.roles.of(known.user.as_deref());
    decide_known(engine, event, &known)
}

/// The word for a system in messages and records.
pub fn system_name(system: LoginSystem) -> &'static str {
    match system {
        LoginSystem::Vpn => "vpn",
        LoginSystem::Ssh => "ssh",
        LoginSystem::Mail => "mail",
        LoginSystem::Other => "other",
    }
}

/// What was decided about one event, for the record path.
#[derive(Debug, Clone)]
pub struct Decided {
    /// When the event happened.
    pub at: Timestamp,
    /// Web or activity.
    pub source: Source,
    /// The URL, or what happened in words ([`subject_of`]).
    pub subject: String,
    /// The engine's decision (no findings for an event no check looks at).
    pub decision: Decision,
}

/// Decides events and makes their records, for one run of ingest. With the app
/// ([`Decider::with_store`]), events other than web requests wait in `pending` for
/// [`Decider::decide_pending`], which decides them against the store in the order they came.
pub struct Decider<'a> {
    engine: &'a charter_engine::Engine,
    web: WebDecider<'a>,
    facts: &'a Facts,
    store: Option<&'a App>,
    pending: Vec<LogEvent>,
    /// Text repeated on every record, shared rather than copied.
    allow: Text,
    empty: Text,
    cache: WebCache,
}

/// Web decisions already made in the current stretch of time between two window edges. The
/// engine's answer about a request depends on its URL, the person's roles, whether the
/// person is known at all, and which windows are open (ingest holds no passes), never on the
/// name: so within one stretch a request for the same URL by someone with the same roles is
/// answered the same. Proxy logs repeat themselves (`CONNECT host:443` all day).
#[derive(Debug, Default)]
struct WebCache {
    /// The stretch: from this instant until the next window edge.
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    /// `roles NUL url` → the record's parts.
    parts: Map<Box<str>, Parts>,
    /// `roles NUL scheme://authority` → the record's parts, for hosts whose decisions no
    /// path can change ([`WebDecider::path_matters`]): their subject is each request's URL.
    sites: Map<Box<str>, Parts>,
    /// Each person's name, shared by their records, and their roles as the start of a key
    /// (their number among the distinct role sets, then NUL).
    people: Map<Text, (Text, Box<str>)>,
    role_sets: Map<Vec<String>, usize>,
    /// The key of the last lookup, rebuilt in place.
    key: String,
    /// Category lists as stored (`gambling,adult`), shared.
    categories: Map<String, Text>,
}

/// Web records held at once; beyond it the cache starts again.
const CACHE_MAX: usize = 1 << 18;

/// What a web record takes from its decision.
#[derive(Debug, Clone)]
struct Parts {
    subject: Text,
    verdict: Text,
    rule: Option<Text>,
    check: Option<Text>,
    severity: Option<Text>,
    categories: Option<Text>,
    privacy: Privacy,
    findings: Text,
}

impl std::fmt::Debug for Decider<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decider").finish_non_exhaustive()
    }
}

impl<'a> Decider<'a> {
    /// A decider deciding web requests with `web` and other events with `engine`'s activity
    /// rules and `facts`.
    pub fn new(
        engine: &'a charter_engine::Engine,
        web: WebDecider<'a>,
        facts: &'a Facts,
    ) -> Decider<'a> {
        Decider {
            engine,
            web,
            facts,
            store: None,
            pending: Vec::new(),
            allow: "allow".into(),
            empty: "[]".into(),
            cache: WebCache::default(),
        }
    }

    /// What is decided about `event`; `None` for an event with a time out of range.
    pub fn decide(&self, event: &LogEvent) -> Option<Decided> {
        let at = Timestamp::from_microsecond(event.at_us).ok()?;
        Some(match &event.kind {
            EventKind::Web { url, .. } => {
                // A line without a login is a request by nobody known, as the helper sees
                // Squid's `-`.
                let user = event.user.as_deref().unwrap_or("-");
                let outcome = self.web.decide_at(url, Some(user), at);
                Decided {
                    at,
                    source: Source::Web,
                    subject: url.clone(),
                    decision: outcome.decision,
                }
            }
            _ => Decided {
                at,
                source: Source::Activity,
                subject: subject_of(event),
                decision: decide_activity(self.engine, self.facts, event)
                    .unwrap_or_else(|| Decision::from_findings(Vec::new(), Privacy::Full, None)),
            },
        })
    }

    /// This decider, deciding events other than web requests against `app`'s store
    /// ([`App::decide_event`]): sessions, approvals and acknowledgements as they are when
    /// each event comes.
    pub fn with_store(mut self, app: &'a App) -> Decider<'a> {
        self.store = Some(app);
        self
    }

    /// The record of `event`, decided; `None` for an event with a time out of range, and,
    /// with the store, for every event but a web request: it waits for
    /// [`Decider::decide_pending`].
    pub fn record(&mut self, event: &LogEvent) -> Option<NewRecord> {
        if let EventKind::Web { url, .. } = &event.kind {
            return self.web_record(event, url);
        }
        if self.store.is_some() {
            self.pending.push(event.clone());
            return None;
        }
        let d = self.decide(event)?;
        Some(self.finish(d, event))
    }

    /// Decides the events waiting since the last call, in order, against the store; their
    /// records.
    pub async fn decide_pending(&mut self) -> crate::Result<Vec<NewRecord>> {
        let Some(app) = self.store else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(self.pending.len());
        for event in std::mem::take(&mut self.pending) {
            let Ok(at) = Timestamp::from_microsecond(event.at_us) else {
                continue;
            };
            let decision = app
                .decide_event(&event)
                .await?
                .unwrap_or_else(|| Decision::from_findings(Vec::new(), Privacy::Full, None));
            let d = Decided {
                at,
                source: Source::Activity,
                subject: subject_of(&event),
                decision,
            };
            out.push(self.finish(d, &event));
        }
        Ok(out)
    }

    /// The record of what was decided about `event`, sharing the text repeated on every
    /// record.
    fn finish(&self, d: Decided, event: &LogEvent) -> NewRecord {
        NewRecord {
            user: event.user.as_deref().map(Text::from),
            ..self.record_of(d)
        }
    }

    /// The record of what was decided, without its user, sharing the text repeated on every
    /// record.
    fn record_of(&self, d: Decided) -> NewRecord {
        let mut record =
            NewRecord::from_decision(d.at, None, d.source, d.subject, None, &d.decision);
        if &*record.verdict == "allow" {
            record.verdict = self.allow.clone();
        }
        if &*record.findings == "[]" {
            record.findings = self.empty.clone();
        }
        record
    }

    /// A web request's record, from the cache when this person asked for this URL earlier
    /// in the same stretch between window edges.
    fn web_record(&mut self, event: &LogEvent, url: &str) -> Option<NewRecord> {
        let at = Timestamp::from_microsecond(event.at_us).ok()?;
        let cache = &mut self.cache;
        let inside = cache.from.is_some_and(|f| f <= at) && cache.until.is_none_or(|u| at < u);
        if !inside || cache.parts.len() + cache.sites.len() >= CACHE_MAX {
            cache.parts.clear();
            cache.sites.clear();
            cache.from = Some(at);
            cache.until = self.engine.valid_until(at);
        }
        cache.key.clear();
        let user = match event.user.as_deref() {
            // Squid's `-`: the unidentified user, whose key no role set's number can be.
            None => {
                cache.key.push_str("-\0");
                None
            }
            Some(name) => Some(match cache.people.get(name) {
                Some((shared, roles)) => {
                    cache.key.push_str(roles);
                    shared.clone()
                }
                None => {
                    let mut set = self.facts.roles.of(Some(name));
                    set.sort();
                    let next = cache.role_sets.len();
                    let k = *cache.role_sets.entry(set).or_insert(next);
                    let roles: Box<str> = format!("{k}\0").into();
                    cache.key.push_str(&roles);
                    let shared: Text = name.into();
                    if cache.people.len() < CACHE_MAX {
                        cache.people.insert(shared.clone(), (shared.clone(), roles));
                    }
                    shared
                }
            }),
        };
        let prefix = cache.key.len();
        let site = Target::host_part(url);
        if let Some(site) = site {
            cache.key.push_str(site);
            if let Some(parts) = cache.sites.get(cache.key.as_str()) {
                let subject = if site.len() == url.len() {
                    parts.subject.clone()
                } else {
                    Text::from(url)
                };
                return Some(parts.record(at, user, subject));
            }
            cache.key.truncate(prefix);
        }
        cache.key.push_str(url);
        if let Some(parts) = cache.parts.get(cache.key.as_str()) {
            return Some(parts.record(at, user, parts.subject.clone()));
        }
        let d = self.decide(event)?;
        let r = self.record_of(d);
        let cache = &mut self.cache;
        let categories = r.categories.map(|c| {
            if let Some(shared) = cache.categories.get(&*c) {
                return shared.clone();
            }
            if cache.categories.len() < 4_096 {
                cache.categories.insert(c.to_string(), c.clone());
            }
            c
        });
        let parts = Parts {
            subject: r.subject,
            verdict: r.verdict,
            rule: r.rule,
            check: r.check,
            severity: r.severity,
            categories,
            privacy: r.privacy,
            findings: r.findings,
        };
        let record = parts.record(at, user, parts.subject.clone());
        match site {
            Some(site) if !self.web.path_matters(url) => {
                cache.key.truncate(prefix);
                cache.key.push_str(site);
                cache.sites.insert(cache.key.as_str().into(), parts);
            }
            _ => {
                cache.parts.insert(cache.key.as_str().into(), parts);
            }
        }
        Some(record)
    }
}

impl Parts {
    /// The record of a request at `at` by `user` for `subject` so decided.
    fn record(&self, at: Timestamp, user: Option<Text>, subject: Text) -> NewRecord {
        NewRecord {
            at,
            user,
            source: Source::Web,
            subject,
            verdict: self.verdict.clone(),
            rule: self.rule.clone(),
            check: self.check.clone(),
            severity: self.severity.clone(),
            categories: self.categories.clone(),
            privacy: self.privacy,
            detail: None,
            findings: self.findings.clone(),
        }
    }
}

/// What a record of a non-web event says happened (its subject).
pub fn subject_of(event: &LogEvent) -> String {
    let at_host = |h: &str| {
        if h.is_empty() {
            String::new()
        } else {
            format!(" on {h}")
        }
    };
    match &event.kind {
        EventKind::Web { url, .. } => url.clone(),
        EventKind::Login {
            system,
            from,
            mfa,
            success,
            ..
        } => format!(
            "{} sign-in {}{} from {}{}",
            system_name(*system),
            if *success { "succeeded" } else { "failed" },
            match mfa {
                Some(true) => " with a second factor",
                Some(false) => " with one factor",
                None => "",
            },
            from.as_deref().unwrap_or("an unknown address"),
            at_host(&event.reporter),
        ),
        EventKind::Logout { system, from, .. } => format!(
            "{} sign-out{}{}",
            system_name(*system),
            from.as_deref()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default(),
            at_host(&event.reporter),
        ),
        EventKind::Device {
            host,
            id,
            serial,
            name,
            action,
        } => format!(
            "device {} {name} ({id}{}){}",
            match action {
                DeviceAction::Allowed => "allowed",
                DeviceAction::Blocked => "blocked",
                DeviceAction::Rejected => "rejected",
                DeviceAction::Inserted => "inserted",
                DeviceAction::Removed => "removed",
            },
            serial
                .as_deref()
                .map(|s| format!(" serial {s}"))
                .unwrap_or_default(),
            at_host(host),
        ),
        EventKind::Software {
            host,
            name,
            version,
        } => format!(
            "software {name}{}{}",
            version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            at_host(host)
        ),
        EventKind::FileLocation { host, path, local } => format!(
            "work file {path} on {}{}",
            if *local {
                "a local drive"
            } else {
                "shared storage"
            },
            at_host(host)
        ),
        EventKind::Network { host, network } => {
            format!("joined network {network}{}", at_host(host))
        }
    }
}

#[cfg(test)]
mod tests {
    use charter_engine::Engine;
    use charter_engine::web::Builtin;
    use charter_gateways::web::{Clock, Roles};

    use super::*;

    const PACK: &str = r#"
[policy]
id = "cache"
title = "Cache test"
source = "test"
[organisation]
name = "Test"
[web.lists]
gambling = ["casino.example/poker"]
[[rule]]
id = "internet.gambling"
clause = "3.1"
quote = "No gambling."
on = "web"
categories = ["gambling"]
action = "block"
severity = "misconduct"
"#;

    fn web(url: &str) -> LogEvent {
        LogEvent {
            at_us: 1_780_000_000_000_000,
            user: Some("pat".into()),
            reporter: String::new(),
            kind: EventKind::Web {
                client: "10.0.0.5".into(),
                url: url.into(),
                method: "GET".into(),
                status: 200,
                bytes: 100,
                elapsed_ms: 1,
            },
        }
    }

    #[test]
    fn a_host_is_decided_once_only_where_no_path_can_change_the_answer() {
        let engine = Engine::new(charter_policy::parse(PACK, "cache.toml").unwrap());
        let source = Builtin::new();
        let roles = Roles::default();
        let facts = Facts::default();
        let web_decider = WebDecider::new(&engine, &source, Clock::System, &roles);
        let mut decider = Decider::new(&engine, web_decider, &facts);
        let mut verdict = |url: &str| {
            let r = decider.record(&web(url)).unwrap();
            assert_eq!(&*r.subject, url);
            r.verdict.to_string()
        };
        // The pack lists one path on casino.example: every path is decided on its own.
        assert_eq!(verdict("http://casino.example/news"), "allow");
        assert_eq!(verdict("http://casino.example/poker/table"), "block");
        assert_eq!(verdict("http://casino.example/about"), "allow");
        assert_eq!(verdict("http://casino.example/poker"), "block");
        // bet365.com is listed whole: one decision for the host, each record its own URL.
        assert_eq!(verdict("http://bet365.com/a"), "block");
        assert_eq!(verdict("http://bet365.com/b?c=d"), "block");
        assert_eq!(verdict("bet365.com:443"), "block");
        assert_eq!(verdict("http://example.org/x"), "allow");
        assert_eq!(verdict("http://example.org/y"), "allow");
    }
}
