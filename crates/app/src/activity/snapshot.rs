//! What the activity checks need from the registers, read once (and again when `serve`
//! refreshes the register), for callers that decide without reaching the store per event.
//! Sessions are not in it: `concurrent_sessions` is decided only against the store
//! ([`App::decide_event`]), where every node's sign-ins meet.

use std::collections::HashMap;

use jiff::Timestamp;

use charter_proto::logs::{EventKind, LogEvent};
use charter_store::{
    AccountStatus, ApprovalKind, ApprovalStatus, MediaAuthorisation, PersonStatus,
};

use super::{Known, OUT_OF_HOURS_SITE, account_of, names_device};
use crate::App;
use crate::error::Result;
use crate::policy::{has_agreed, required_version};

/// What one account's person brings to a decision.
#[derive(Debug, Clone, Default)]
struct PersonFacts {
    roles: Vec<String>,
    /// Out-of-hours approvals: `[from, until)` in microseconds.
    out_of_hours: Vec<(i64, i64)>,
    owes_agreement: bool,
}

/// The registers as they were when read.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    accounts: HashMap<String, PersonFacts>,
    approved_software: Vec<String>,
    media: Vec<MediaAuthorisation>,
    time_zone: Option<jiff::tz::TimeZone>,
}

impl App {
    /// Reads the registers the activity checks need.
    pub async fn activity_snapshot(&self) -> Result<Snapshot> {
        let must_sign = self.governance().acknowledge_before_use;
        let (people, accounts, approvals, versions, acks, approved_software, media) = self
            .read(async |tx| {
                Ok((
                    tx.people().await?,
                    tx.accounts().await?,
                    tx.approvals().await?,
                    tx.policy_versions().await?,
                    tx.acknowledgements().await?,
                    tx.approved_software().await?,
                    tx.media_all().await?,
                ))
            })
            .await?;
        let required = required_version(&versions);
        let mut by_person: HashMap<i64, PersonFacts> = HashMap::new();
        for p in people.iter().filter(|p| p.status == PersonStatus::Active) {
            let owes = must_sign
                && required
                    .is_some_and(|r| !has_agreed(acks.iter().filter(|a| a.person_id == p.id), r));
            let out_of_hours = approvals
                .iter()
                .filter(|a| {
                    a.person_id == p.id
                        && a.kind == ApprovalKind::Access
                        && a.site == OUT_OF_HOURS_SITE
                        && a.status == ApprovalStatus::Approved
                })
                .filter_map(|a| {
                    let from = a.valid_from.as_deref()?.parse::<Timestamp>().ok()?;
                    Some((from.as_microsecond(), a.valid_until_us?))
                })
                .collect();
            by_person.insert(
                p.id,
                PersonFacts {
                    roles: p.roles.clone(),
                    out_of_hours,
                    owes_agreement: owes,
                },
            );
        }
        let accounts = accounts
            .into_iter()
            .filter(|a| a.status == AccountStatus::Active)
            .filter_map(|a| Some((a.name, by_person.get(&a.person_id)?.clone())))
            .collect();
        Ok(Snapshot {
            accounts,
            approved_software,
            media,
            time_zone: Some(self.time_zone().clone()),
        })
    }
}

impl Snapshot {
    /// What the snapshot knows for `event` (no sessions: `places` stays empty).
    pub fn known(&self, event: &LogEvent) -> Known {
        let account = account_of(event);
        let person = account.and_then(|a| self.accounts.get(a));
        let mut known = Known {
            user: account.map(str::to_string),
            roles: person.map(|p| p.roles.clone()).unwrap_or_default(),
            owes_agreement: person.is_some_and(|p| p.owes_agreement),
            ..Known::default()
        };
        match &event.kind {
            EventKind::Login { .. } => {
                known.permitted_out_of_hours = person.is_some_and(|p| {
                    p.out_of_hours
                        .iter()
                        .any(|(from, until)| *from <= event.at_us && event.at_us < *until)
                });
            }
            EventKind::Device { id, serial, .. } => {
                let day = Timestamp::from_microsecond(event.at_us)
                    .ok()
                    .zip(self.time_zone.clone())
                    .map(|(t, tz)| t.to_zoned_datetime(tz).date().to_string())
                    .unwrap_or_default();
                known.device_authorised = self
                    .media
                    .iter()
                    .any(|m| names_device(m, id, serial.as_deref(), &day));
            }
            EventKind::Software { .. } => {
                known.approved_software = self.approved_software.clone();
            }
            _ => {}
        }
        known
    }
}
