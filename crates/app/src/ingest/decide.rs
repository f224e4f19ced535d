//! What ingest decides about each event, and the record it writes. Web requests are decided
//! exactly as the gateways decide them ([`WebDecider`]: the category index, the roles from
//! the register read once per run, the passes in force); every other event goes to the
//! engine's activity checks through [`App::decide_event`] (crates/app/src/activity), which
//! reads the store as each comes: sessions, approvals and acknowledgements change mid-log.

use std::collections::HashSet;

use jiff::Timestamp;

use charter_engine::{Decision, Privacy};
use charter_gateways::web::{Roles, WebDecider};
use charter_proto::logs::{DeviceAction, EventKind, LogEvent, LoginSystem};
use charter_store::{NewRecord, Source};

use crate::App;

/// What deciding needs from the registers, read once per run (and again when `serve`
/// refreshes the register): the roles web requests are decided with. Other events are decided
/// against the store as they come ([`App::decide_event`]): sessions, approvals and
/// acknowledgements change while a log is read.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Every active account's roles, as the gateways hold them.
    pub roles: Roles,
}

impl App {
    /// Reads what deciding needs from the registers.
    pub async fn event_facts(&self) -> crate::Result<Facts> {
        let roles = crate::serve::register_roles(self.store()).await?;
        Ok(Facts { roles })
    }
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

/// Decides events and makes their records, for one run of ingest. Web requests are decided
/// at once; other events wait in `pending` for [`Decider::decide_pending`], which decides them
/// against the store in the order they came.
pub struct Decider<'a> {
    app: &'a App,
    web: WebDecider<'a>,
    pending: Vec<LogEvent>,
    /// Text repeated on every record, shared rather than copied.
    allow: charter_store::Text,
    empty: charter_store::Text,
    users: HashSet<charter_store::Text>,
}

impl std::fmt::Debug for Decider<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decider").finish_non_exhaustive()
    }
}

impl<'a> Decider<'a> {
    /// A decider over `app`'s engine, deciding web requests with `web` (made with the roles
    /// of `facts`) and other events through the app.
    pub fn new(app: &'a App, web: WebDecider<'a>, _facts: &'a Facts) -> Decider<'a> {
        Decider {
            app,
            web,
            pending: Vec::new(),
            allow: "allow".into(),
            empty: "[]".into(),
            users: HashSet::new(),
        }
    }

    /// The record of a web request, decided; `None` for an event with a time out of range,
    /// and for every other event, which waits for [`Decider::decide_pending`].
    pub fn record(&mut self, event: &LogEvent) -> Option<NewRecord> {
        let at = Timestamp::from_microsecond(event.at_us).ok()?;
        let EventKind::Web { url, .. } = &event.kind else {
            self.pending.push(event.clone());
            return None;
        };
        // A line without a login is a request by nobody known, as the helper sees Squid's `-`.
        let user = event.user.as_deref().unwrap_or("-");
        let outcome = self.web.decide_at(url, Some(user), at);
        let record =
            NewRecord::from_decision(at, None, Source::Web, url.clone(), None, &outcome.decision);
        Some(self.finish(record, event))
    }

    /// Decides the events waiting since the last call, in order, and returns their records.
    pub async fn decide_pending(&mut self) -> crate::Result<Vec<NewRecord>> {
        let mut out = Vec::with_capacity(self.pending.len());
        for event in std::mem::take(&mut self.pending) {
            let Ok(at) = Timestamp::from_microsecond(event.at_us) else {
                continue;
            };
            let decision = self
                .app
                .decide_event(&event)
                .await?
                .unwrap_or_else(|| Decision::from_findings(Vec::new(), Privacy::Full, None));
            let record = NewRecord::from_decision(
                at,
                None,
                Source::Activity,
                subject_of(&event),
                None,
                &decision,
            );
            out.push(self.finish(record, &event));
        }
        Ok(out)
    }

    /// `record` with the event's user, sharing the text repeated on every record.
    fn finish(&mut self, mut record: NewRecord, event: &LogEvent) -> NewRecord {
        record.user = event.user.as_deref().map(|u| self.intern(u));
        if &*record.verdict == "allow" {
            record.verdict = self.allow.clone();
        }
        if &*record.findings == "[]" {
            record.findings = self.empty.clone();
        }
        record
    }

    fn intern(&mut self, user: &str) -> charter_store::Text {
        if let Some(u) = self.users.get(user) {
            return u.clone();
        }
        let u: charter_store::Text = user.into();
        if self.users.len() < 100_000 {
            self.users.insert(u.clone());
        }
        u
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
