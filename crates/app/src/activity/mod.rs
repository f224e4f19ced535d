//! Every activity check fed from the logs (issue 11): ingest hands each non-web event
//! ([`LogEvent`]) to [`App::decide_event`], which looks up what the engine needs to know (the
//! person behind the account, their roles, approvals in force, the registers, the sessions
//! open) and states it as the engine's activity facts; the engine applies the pack's rules.
//!
//! What feeds each check:
//! - `access_outside_hours`: a VPN sign-in, when the rule's window says the time is outside the
//!   agreed hours, unless the person holds an out-of-hours approval in force
//!   ([`App::ask_out_of_hours`], decided by the access approvers).
//! - `login_without_mfa`: a VPN or SSH sign-in whose line says no second factor was used. A
//!   line that cannot say is never taken for "without". Mail sign-ins feed sessions only.
//! - `concurrent_sessions`: a sign-in while the same account has a session open from another
//!   place. Sessions live in the store; one never closed counts for [`SESSION_EXPIRY`].
//! - `unauthorised_device`: a usbguard event for a device no removable-media authorisation in
//!   force names (by usbguard id and, when the authorisation gives one, serial).
//! - `unauthorised_software`: an inventory line for software not on the approved list.
//! - `work_files_on_local_drive`: a file-location line for a file on a local drive.
//! - `unknown_network`: a network line naming a network the rule does not list.
//! - `unacknowledged_policy`: any of these by a person who has not agreed to the policy version
//!   they must, when the pack's `[governance] acknowledge_before_use` says they sign first.

use jiff::{SignedDuration, Timestamp};

use charter_engine::activity::Activity;
use charter_engine::{Context, Decision, Engine, Finding, Privacy};
use charter_proto::logs::{DeviceAction, EventKind, LogEvent, LoginSystem};
use charter_store::{MediaAuthorisation, NewSession, Txn};

use crate::App;
use crate::error::Result;
use crate::ingest::system_name;
use crate::policy::{has_agreed, required_version};

mod feeds;
mod out_of_hours;
mod snapshot;
pub mod usbguard;

pub use feeds::feeds;
pub use out_of_hours::OUT_OF_HOURS_SITE;
pub use snapshot::Snapshot;

/// How long a sign-in with no sign-out counts as open: long enough for a working day with
/// its evening, short enough that a VPN that dropped without a sign-out line is forgotten by
/// the next morning.
pub const SESSION_EXPIRY: SignedDuration = SignedDuration::from_hours(12);

/// A device as usbguard names it, for a removable-media authorisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsbDevice {
    /// `vendor:product` in hex (`0781:5567`).
    pub id: String,
    /// The serial number usbguard reports, when the device has one.
    pub serial: Option<String>,
}

/// What is known, at the moment of one event, about the person behind it and the registers:
/// gathered from the store ([`App::decide_event`]) or from a [`Snapshot`] read once. The
/// decision itself ([`decide_known`]) is the same either way.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The account name the line gave.
    pub user: Option<String>,
    /// The person's roles (none when the accounts register does not know the account).
    pub roles: Vec<String>,
    /// Whether the person holds an out-of-hours approval in force.
    pub permitted_out_of_hours: bool,
    /// Whether the person owes the agreement the pack requires before use.
    pub owes_agreement: bool,
    /// Whether a removable-media authorisation in force names the device (device events).
    pub device_authorised: bool,
    /// The software register's approved list (software events).
    pub approved_software: Vec<String>,
    /// Where the account is signed in from now, this sign-in included (sign-ins decided
    /// against the store; empty when sessions are not known).
    pub places: Vec<String>,
}

/// The engine's decision about one non-web event given what is `known`: `None` for events
/// that decide nothing (web requests, which the web path decides; sign-outs; failed
/// sign-ins; removed devices).
pub fn decide_known(engine: &Engine, event: &LogEvent, known: &Known) -> Option<Decision> {
    let at = Timestamp::from_microsecond(event.at_us).ok()?;
    let description: String;
    let mut facts: Vec<Activity<'_>> = Vec::new();
    let what = match &event.kind {
        EventKind::Web { .. } | EventKind::Logout { .. } => return None,
        EventKind::Login {
            system,
            from,
            mfa,
            success,
            ..
        } => {
            if !success || known.user.is_none() {
                return None;
            }
            match system {
                LoginSystem::Vpn => facts.push(Activity::RemoteAccess {
                    from: from
                        .as_deref()
                        .filter(|f| !f.is_empty())
                        .unwrap_or("an unknown address"),
                    mfa: *mfa,
                    permitted: known.permitted_out_of_hours,
                }),
                // A shell on the organisation's machines is remote access too; mail sign-ins
                // (which never carry a second factor) feed sessions only.
                LoginSystem::Ssh => facts.push(Activity::Login {
                    system: "SSH",
                    mfa: *mfa,
                }),
                LoginSystem::Mail | LoginSystem::Other => {}
            }
            if known.places.len() > 1 {
                facts.push(Activity::ConcurrentSessions {
                    places: &known.places,
                });
            }
            signed_in(*system)
        }
        EventKind::Device {
            host,
            id,
            name,
            action,
            ..
        } => {
            if *action == DeviceAction::Removed {
                return None;
            }
            description = format!("{name} ({id}) on {host}");
            facts.push(Activity::Device {
                description: &description,
                authorised: known.device_authorised,
            });
            "attached a device"
        }
        EventKind::Software { name, .. } => {
            facts.push(Activity::Software {
                name,
                approved: &known.approved_software,
            });
            "installed software"
        }
        EventKind::FileLocation { path, local, .. } => {
            if *local {
                facts.push(Activity::LocalWorkFile { path });
            }
            "stored work files"
        }
        EventKind::Network { host, network } => {
            facts.push(Activity::Network { host, network });
            "joined a network"
        }
    };
    if known.owes_agreement {
        facts.push(Activity::Unacknowledged { what });
    }
    let ctx = Context::new(known.user.clone(), known.roles.clone(), at);
    let mut findings: Vec<Finding> = facts
        .iter()
        .flat_map(|f| engine.decide_activity(&ctx, f).findings)
        .collect();
    let rules = &engine.pack().rules;
    findings.sort_by_key(|f| rules.iter().position(|r| r.id == f.rule));
    findings.dedup_by(|a, b| a.rule == b.rule && a.check == b.check);
    Some(Decision::from_findings(findings, Privacy::Full, None))
}

/// The account name of `event`, trimmed, if it gives one.
fn account_of(event: &LogEvent) -> Option<&str> {
    event
        .user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
}

impl App {
    /// Decides one non-web event from the logs against the store, as it is now: the person
    /// behind the account, their approvals and acknowledgements, the registers, and the
    /// sessions open (a sign-in opens one, a sign-out closes one). `None` for events that
    /// decide nothing (see [`decide_known`]).
    pub async fn decide_event(&self, event: &LogEvent) -> Result<Option<Decision>> {
        let Some(at) = Timestamp::from_microsecond(event.at_us).ok() else {
            return Ok(None);
        };
        let mut tx = self.store().begin().await?;
        let known = self.known_in(&mut tx, event, at).await?;
        tx.commit().await?;
        Ok(decide_known(self.engine(), event, &known))
    }

    /// What the store knows for `event`, opening or closing its session.
    async fn known_in(&self, tx: &mut Txn, event: &LogEvent, at: Timestamp) -> Result<Known> {
        let account = account_of(event);
        let mut known = Known {
            user: account.map(str::to_string),
            ..Known::default()
        };
        let person = match account {
            Some(a) => match tx.person_by_account(a).await? {
                Some(id) => Some(tx.person(id).await?),
                None => None,
            },
            None => None,
        };
        if let Some(p) = &person {
            known.roles = p.roles.clone();
            known.owes_agreement =
                self.governance().acknowledge_before_use && !acknowledged(tx, p.id).await?;
        }
        match &event.kind {
            EventKind::Login {
                system,
                from,
                success: true,
                session,
                ..
            } => {
                if let Some(a) = account {
                    let place = from.as_deref().unwrap_or("");
                    known.places =
                        open_session(tx, a, *system, session.as_deref(), place, event).await?;
                }
                if let Some(p) = &person {
                    known.permitted_out_of_hours = out_of_hours::in_force(tx, p.id, at).await?;
                }
            }
            EventKind::Logout {
                system,
                from,
                session,
            } => {
                if let Some(a) = account.filter(|a| storable(a)) {
                    tx.close_activity_session(
                        a,
                        system_name(*system),
                        session.as_deref(),
                        from.as_deref(),
                        event.at_us,
                    )
                    .await?;
                }
            }
            EventKind::Device { id, serial, .. } => {
                let day = at
                    .to_zoned_datetime(self.time_zone().clone())
                    .date()
                    .to_string();
                known.device_authorised = tx
                    .media_all()
                    .await?
                    .iter()
                    .any(|m| names_device(m, id, serial.as_deref(), &day));
            }
            EventKind::Software { .. } => {
                known.approved_software = tx.approved_software().await?;
            }
            _ => {}
        }
        Ok(known)
    }
}

/// Opens the session of a sign-in and returns the places the account is signed in from now,
/// this one included: each distinct known address once, oldest first.
async fn open_session(
    tx: &mut Txn,
    account: &str,
    system: LoginSystem,
    session: Option<&str>,
    place: &str,
    event: &LogEvent,
) -> Result<Vec<String>> {
    let since = event
        .at_us
        .saturating_sub(SESSION_EXPIRY.as_micros() as i64);
    tx.open_activity_session(&NewSession {
        account,
        system: system_name(system),
        session,
        place,
        reporter: &event.reporter,
        started_us: event.at_us,
    })
    .await?;
    let mut places: Vec<String> = Vec::new();
    for s in tx
        .open_activity_sessions(account, since, event.at_us)
        .await?
    {
        if !s.place.is_empty() && !places.contains(&s.place) {
            places.push(s.place);
        }
    }
    Ok(places)
}

/// Whether the person has agreed to the version of the policy they must.
async fn acknowledged(tx: &mut Txn, person_id: i64) -> Result<bool> {
    let versions = tx.policy_versions().await?;
    let Some(required) = required_version(&versions) else {
        return Ok(true);
    };
    let acks = tx.acknowledgements_of(person_id).await?;
    Ok(has_agreed(acks.iter(), required))
}

/// Whether authorisation `m` is in force on `day` for usbguard device `id` (and `serial`,
/// when the authorisation names one).
pub(crate) fn names_device(
    m: &MediaAuthorisation,
    id: &str,
    serial: Option<&str>,
    day: &str,
) -> bool {
    media_in_force(m, day)
        && m.usb_id
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(id))
        && m.usb_serial.as_deref().is_none_or(|s| Some(s) == serial)
}

/// The longest account, place or session identifier kept for a session.
const MAX_FIELD: usize = 200;

/// Whether the store can keep `text` as a session field.
fn storable(text: &str) -> bool {
    text.chars().count() <= MAX_FIELD && !text.contains('\0')
}

/// Whether authorisation `m` holds on `day` (`2026-06-15`, the pack's zone).
fn media_in_force(m: &MediaAuthorisation, day: &str) -> bool {
    m.revoked_at.is_none() && m.expires_on.as_deref().is_none_or(|last| day <= last)
}

fn signed_in(system: LoginSystem) -> &'static str {
    match system {
        LoginSystem::Vpn => "signed in to the VPN",
        LoginSystem::Ssh => "signed in over SSH",
        LoginSystem::Mail => "signed in to mail",
        LoginSystem::Other => "signed in",
    }
}
