//! The one hook on the record path: [`Monitor::written`] is called with the records a batch
//! has just committed, whoever wrote them (`serve`'s spool writer, `charter ingest`). It
//! raises the alerts their findings call for, keeps the personal-use figures
//! (`usage.rs`), fires `excessive_personal_use` and `unusual_activity` (`unusual.rs`) with
//! records and alerts of their own, and mails safeguarding alerts at once.
//!
//! Accounting is at most once: a request whose session was still open when the process
//! stopped loses the rest of its session (at most the idle gap); nothing is counted twice,
//! because a record reaches the hook only after its batch commits, and a committed batch is
//! never read from the spool again.
//!
//! ```toml
//! [usage]
//! idle_gap_seconds = 120        # a request extends its session by up to this
//! countries = "networks.csv"    # optional: network,country lines for VPN logins
//! ```

mod unusual;
mod usage;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::Mutex;

use charter_engine::Engine;
use charter_engine::usage::first_seen::Countries;
use charter_engine::usage::sessions::{DEFAULT_GAP_SECONDS, Tracker};
use charter_proto::logs::{EventKind, LogEvent, LoginSystem};
use charter_store::{Actor, NewRecord, Source, Store};

use crate::App;
use crate::alerts::{AlertsConfig, MailError};
use crate::error::Result;

pub use unusual::VpnLogin;

/// `[usage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageConfig {
    /// A request extends its person's browsing session by up to this many seconds.
    #[serde(default = "default_gap")]
    pub idle_gap_seconds: i64,
    /// A CSV file of `network,country` lines (relative to the config file): the place of a
    /// VPN login is its country when the file knows it, else its /24 (IPv4) or /48 (IPv6).
    pub countries: Option<PathBuf>,
}

fn default_gap() -> i64 {
    DEFAULT_GAP_SECONDS
}

impl Default for UsageConfig {
    fn default() -> UsageConfig {
        UsageConfig {
            idle_gap_seconds: DEFAULT_GAP_SECONDS,
            countries: None,
        }
    }
}

/// The `[usage] countries` table cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the country table `{path}`: {cause}")]
pub struct CountriesError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub cause: std::io::Error,
}

/// What one call of [`Monitor::written`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// Alerts raised.
    pub alerts: usize,
    /// Safeguarding alerts mailed.
    pub mailed: usize,
    /// Mails that failed (their alerts go into the digest).
    pub mail_failed: Vec<(i64, MailError)>,
    /// Records the monitor wrote itself (`excessive_personal_use`, `unusual_activity`).
    pub findings: usize,
}

struct State {
    tracker: Tracker,
    cache: usage::Cache,
}

/// The hook and what it keeps between batches: each person's open browsing session.
pub struct Monitor {
    engine: Arc<Engine>,
    alerts: Option<AlertsConfig>,
    countries: Option<Countries>,
    state: Mutex<State>,
    actor: Actor,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("alerts", &self.alerts)
            .finish_non_exhaustive()
    }
}

impl Monitor {
    /// A monitor deciding with `engine`, mailing through `alerts` (none: alerts are kept,
    /// not mailed), with the `[usage]` settings and the country table read from them.
    pub fn new(
        engine: Arc<Engine>,
        usage: &UsageConfig,
        alerts: Option<AlertsConfig>,
        countries: Option<Countries>,
    ) -> Monitor {
        Monitor {
            engine,
            alerts,
            countries,
            state: Mutex::new(State {
                tracker: Tracker::new(usage.idle_gap_seconds),
                cache: usage::Cache::default(),
            }),
            actor: Actor::System("monitor".into()),
        }
    }

    /// The monitor `charter.toml` describes: `[usage]` (the country table read, its bad
    /// lines returned as warnings) and `[alerts]`.
    pub fn from_config(
        engine: Arc<Engine>,
        config: &crate::config::Config,
    ) -> std::result::Result<(Monitor, Vec<String>), CountriesError> {
        let mut warnings = Vec::new();
        let countries = match &config.usage.countries {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|cause| CountriesError {
                    path: path.clone(),
                    cause,
                })?;
                let (table, bad) = Countries::parse(&text);
                for b in bad {
                    warnings.push(format!(
                        "country table `{}` line {}: {}",
                        path.display(),
                        b.line,
                        b.reason
                    ));
                }
                Some(table)
            }
            None => None,
        };
        Ok((
            Monitor::new(engine, &config.usage, config.alerts.clone(), countries),
            warnings,
        ))
    }

    /// Whether the hook needs `r` (so a writer keeps a copy for it): web requests of a known
    /// user, mail of a known user, and anything with findings.
    pub fn wants(r: &NewRecord) -> bool {
        (r.user.is_some() && matches!(r.source, Source::Web | Source::Mail))
            || r.findings.len() > 2
            || r.rule.is_some()
    }

    /// The hook: `records` have just been committed to `store`.
    pub async fn written(&self, store: &Store, records: &[NewRecord]) -> Result<Written> {
        let app = App::with_engine(Arc::clone(&self.engine), store.clone());
        let mut out = Written::default();
        let mut raised = app.raise_alerts(&self.actor, records).await?;
        let produced = {
            let mut state = self.state.lock().await;
            let State { tracker, cache } = &mut *state;
            let touched = usage::account(&app, tracker, cache, records).await?;
            let mut produced = usage::excessive(&app, cache, &touched).await?;
            produced.extend(unusual::hours(&app, cache, &touched).await?);
            produced
        };
        if !produced.is_empty() {
            store.write_records(&self.actor, &produced).await?;
            out.findings = produced.len();
            raised.extend(app.raise_alerts(&self.actor, &produced).await?);
        }
        out.alerts = raised.len();
        if let Some(config) = &self.alerts
            && config.smtp.is_some()
        {
            let (mailed, failed) = app.mail_at_once(config, &self.actor, &raised).await;
            out.mailed = mailed;
            out.mail_failed = failed;
        }
        Ok(out)
    }

    /// [`Monitor::written`], saying on standard error what it raised and what failed
    /// (`program` names the caller in each line); a failure is logged, never returned: the
    /// records are stored whatever monitoring makes of them.
    pub async fn written_logged(&self, store: &Store, records: &[NewRecord], program: &str) {
        match self.written(store, records).await {
            Ok(w) => {
                if w.alerts > 0 || w.findings > 0 {
                    eprintln!(
                        "{program}: alerts={} mailed={} findings={}: Monitoring raised alerts.",
                        w.alerts, w.mailed, w.findings
                    );
                }
                for (id, e) in &w.mail_failed {
                    eprintln!(
                        "{program}: alert={id} error={e}: Alert not mailed; it goes into the digest."
                    );
                }
            }
            Err(e) => eprintln!(
                "{program}: error={e}: Monitoring of a batch failed; its records are stored."
            ),
        }
    }

    /// Whether [`Monitor::log_event`] keeps anything about `event`: a successful VPN sign-in.
    pub fn watches(event: &LogEvent) -> bool {
        matches!(
            event.kind,
            EventKind::Login {
                system: LoginSystem::Vpn,
                success: true,
                ..
            }
        )
    }

    /// An event ingest read from a log, for what the monitor keeps about it: a successful VPN
    /// sign-in with an address goes to [`Monitor::vpn_login`] (the device is the client
    /// name of an OpenVPN session, `client/address:port`, when it is not the account name).
    /// Other events are decided elsewhere; web requests reach the monitor as records.
    pub async fn log_event(&self, store: &Store, event: &LogEvent) -> Result<Written> {
        let EventKind::Login {
            system: LoginSystem::Vpn,
            from: Some(from),
            success: true,
            session,
            ..
        } = &event.kind
        else {
            return Ok(Written::default());
        };
        let (Some(user), Ok(ip)) = (&event.user, from.parse::<std::net::IpAddr>()) else {
            return Ok(Written::default());
        };
        let device = session
            .as_deref()
            .and_then(|s| s.split_once('/'))
            .map(|(client, _)| client)
            .filter(|client| client != user)
            .map(str::to_string);
        let login = VpnLogin {
            user: user.clone(),
            at: charter_store::time::from_us(event.at_us),
            ip,
            device,
        };
        self.vpn_login(store, &login).await
    }

    /// A VPN login: `unusual_activity` when it comes from a place (country, or network) the
    /// person has not logged in from before. The first login of a person only learns.
    pub async fn vpn_login(&self, store: &Store, login: &VpnLogin) -> Result<Written> {
        let app = App::with_engine(Arc::clone(&self.engine), store.clone());
        let mut out = Written::default();
        let produced = {
            let mut state = self.state.lock().await;
            unusual::vpn_login(&app, &mut state.cache, self.countries.as_ref(), login).await?
        };
        if !produced.is_empty() {
            store.write_records(&self.actor, &produced).await?;
            out.findings = produced.len();
            let raised = app.raise_alerts(&self.actor, &produced).await?;
            out.alerts = raised.len();
        }
        Ok(out)
    }
}
