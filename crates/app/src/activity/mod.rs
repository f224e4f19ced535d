//! Every activity check fed from the logs (issue 11): ingest hands each non-web event
//! ([`LogEvent`]) to [`App::decide_event`], which looks up what the engine needs to know (the
//! person behind the account, their roles, approvals in force, the registers, the sessions
//! open) and states it as the engine's activity facts; the engine applies the pack's rules.
//!
//! What feeds each check:
//! - `access_outside_hours`: a VPN sign-in, when the rule's window says the time is outside the
//!   agreed hours, unless the person holds an out-of-hours approval in force
//!   ([`App::ask_out_of_hours`], decided by the access approvers).
//! - `login_without_mfa`: a VPN sign-in whose line says no second factor was used. A line that
//!   cannot say is never taken for "without". Sign-ins to SSH and mail feed sessions only.
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
use charter_engine::{Context, Decision, Finding, Privacy};
use charter_proto::logs::{DeviceAction, EventKind, LogEvent, LoginSystem};
use charter_store::{MediaAuthorisation, NewSession, Person, Txn};

use crate::App;
use crate::error::Result;
use crate::ingest::system_name;
use crate::policy::{has_agreed, required_version};

mod feeds;
mod out_of_hours;
pub mod usbguard;

pub use feeds::feeds;
pub use out_of_hours::OUT_OF_HOURS_SITE;

/// How long a sign-in with no logout counts as open: a working day and a half, so an
/// overnight session still overlaps the next morning's, but a VPN that dropped without a
/// logout line is forgotten by the following day.
pub const SESSION_EXPIRY: SignedDuration = SignedDuration::from_hours(12);

/// A device as usbguard names it, for a removable-media authorisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsbDevice {
    /// `vendor:product` in hex (`0781:5567`).
    pub id: String,
    /// The serial number usbguard reports, when the device has one.
    pub serial: Option<String>,
}

/// The person an event's account belongs to, if the accounts register knows it.
struct Who {
    person: Option<Person>,
    user: Option<String>,
}

impl App {
    /// Decides one non-web event from the logs: `None` for events that decide nothing (web
    /// requests, which the web path decides; logouts, which only close a session; failed
    /// sign-ins; removed devices; files on the organisation's storage). A sign-in opens a
    /// session and a logout closes one, in the store.
    pub async fn decide_event(&self, event: &LogEvent) -> Result<Option<Decision>> {
        let Some(at) = Timestamp::from_microsecond(event.at_us).ok() else {
            return Ok(None);
        };
        let mut tx = self.store().begin().await?;
        let decision = self.decide_in(&mut tx, event, at).await?;
        tx.commit().await?;
        Ok(decision)
    }

    async fn decide_in(
        &self,
        tx: &mut Txn,
        event: &LogEvent,
        at: Timestamp,
    ) -> Result<Option<Decision>> {
        let user = event
            .user
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let facts: Vec<Activity<'_>>;
        let places: Vec<String>;
        let approved: Vec<String>;
        let description: String;
        let (what, who) = match &event.kind {
            EventKind::Web { .. } => return Ok(None),
            EventKind::Login {
                system,
                from,
                mfa,
                success,
                session,
            } => {
                let Some(account) = user else { return Ok(None) };
                if !success {
                    return Ok(None);
                }
                let who = who(tx, Some(account)).await?;
                let place = from.as_deref().unwrap_or("");
                places =
                    open_session(tx, account, *system, session.as_deref(), place, event).await?;
                let mut f = Vec::new();
                if *system == LoginSystem::Vpn {
                    let permitted = match &who.person {
                        Some(p) => out_of_hours::in_force(tx, p.id, at).await?,
                        None => false,
                    };
                    f.push(Activity::RemoteAccess {
                        from: if place.is_empty() {
                            "an unknown address"
                        } else {
                            place
                        },
                        mfa: *mfa,
                        permitted,
                    });
                }
                if places.len() > 1 {
                    f.push(Activity::ConcurrentSessions { places: &places });
                }
                facts = f;
                (signed_in(*system), who)
            }
            EventKind::Logout {
                system,
                from,
                session,
            } => {
                if let Some(account) = user.filter(|a| storable(a)) {
                    tx.close_activity_session(
                        account,
                        system_name(*system),
                        session.as_deref(),
                        from.as_deref(),
                        event.at_us,
                    )
                    .await?;
                }
                return Ok(None);
            }
            EventKind::Device {
                host,
                id,
                serial,
                name,
                action,
            } => {
                if *action == DeviceAction::Removed {
                    return Ok(None);
                }
                let day = at
                    .to_zoned_datetime(self.time_zone().clone())
                    .date()
                    .to_string();
                let media = tx.media_all().await?;
                let authorised = media
                    .iter()
                    .any(|m| names_device(m, id, serial.as_deref(), &day));
                description = format!("{name} ({id}) on {host}");
                facts = vec![Activity::Device {
                    description: &description,
                    authorised,
                }];
                ("attached a device", who(tx, user).await?)
            }
            EventKind::Software { name, .. } => {
                approved = tx.approved_software().await?;
                facts = vec![Activity::Software {
                    name,
                    approved: &approved,
                }];
                ("installed software", who(tx, user).await?)
            }
            EventKind::FileLocation { path, local, .. } => {
                facts = if *local {
                    vec![Activity::LocalWorkFile { path }]
                } else {
                    Vec::new()
                };
                ("stored work files", who(tx, user).await?)
            }
            EventKind::Network { host, network } => {
                facts = vec![Activity::Network { host, network }];
                ("joined a network", who(tx, user).await?)
            }
        };
        let mut facts = facts;
        if let Some(p) = &who.person
            && self.governance().acknowledge_before_use
            && !acknowledged(tx, p.id).await?
        {
            facts.push(Activity::Unacknowledged { what });
        }
        let ctx = Context::new(
            who.user.clone(),
            who.person
                .as_ref()
                .map(|p| p.roles.clone())
                .unwrap_or_default(),
            at,
        );
        Ok(Some(self.decide_facts(&ctx, &facts)))
    }

    /// The engine's decision on each fact, their findings together in pack order.
    fn decide_facts(&self, ctx: &Context, facts: &[Activity<'_>]) -> Decision {
        let mut findings: Vec<Finding> = facts
            .iter()
            .flat_map(|f| self.engine().decide_activity(ctx, f).findings)
            .collect();
        let rules = &self.pack().rules;
        findings.sort_by_key(|f| rules.iter().position(|r| r.id == f.rule));
        findings.dedup_by(|a, b| a.rule == b.rule && a.check == b.check);
        Decision::from_findings(findings, Privacy::Full, None)
    }
}

/// The person behind `account`, when the accounts register knows it.
async fn who(tx: &mut Txn, account: Option<&str>) -> Result<Who> {
    let person = match account {
        Some(a) => match tx.person_by_account(a).await? {
            Some(id) => Some(tx.person(id).await?),
            None => None,
        },
        None => None,
    };
    Ok(Who {
        person,
        user: account.map(str::to_string),
    })
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
fn names_device(m: &MediaAuthorisation, id: &str, serial: Option<&str>, day: &str) -> bool {
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
