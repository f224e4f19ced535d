//! The written policy's versions, acknowledgements and who owes one, and its review date.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;

use charter_store::time::add_months;
use charter_store::{
    AckKind, Acknowledgement, Actor, DeviceStatus, Person, PersonStatus, PolicyVersion,
};

use crate::App;
use crate::act::{Done, May, entry};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::people::active;

/// Someone who owes an acknowledgement, and by when.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AckDue {
    /// Who.
    pub person_id: i64,
    /// Their name.
    pub person_name: String,
    /// What they owe.
    pub kind: AckKind,
    /// Why, in words.
    pub reason: String,
    /// By when.
    #[serde(flatten)]
    pub clock: Clock,
}

/// When the written policy is due for review.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Review {
    /// The day.
    pub due: String,
    /// Where the day comes from.
    pub basis: String,
    /// The clock.
    #[serde(flatten)]
    pub clock: Clock,
}

fn local_day(stored: &str, tz: &jiff::tz::TimeZone) -> Option<Date> {
    stored
        .parse::<Timestamp>()
        .ok()
        .map(|t| t.to_zoned_datetime(tz.clone()).date())
}

/// The version everyone must have agreed to: the latest materially changed one, else the
/// first; `None` before any is published.
pub(crate) fn required_version(versions: &[PolicyVersion]) -> Option<&PolicyVersion> {
    versions
        .iter()
        .rev()
        .find(|v| v.material_change)
        .or(versions.first())
}

/// Whether `acks` (one person's) hold an agreement to `required` or a later version.
pub(crate) fn has_agreed<'a>(
    mut acks: impl Iterator<Item = &'a Acknowledgement>,
    required: &PolicyVersion,
) -> bool {
    acks.any(|a| a.kind == AckKind::Agreement && a.policy_id >= required.id)
}

impl App {
    /// Publishes a version of the written policy (its exact text, hashed). `material_change`
    /// makes everyone acknowledge again.
    pub async fn publish_policy(
        &self,
        actor: &Actor,
        version: &str,
        text: &str,
        material_change: bool,
    ) -> Result<PolicyVersion> {
        let keepers = self.governance().register_roles.clone();
        let meta = &self.pack().meta;
        self.act(actor, "publish policy versions", May::OperatorOr(&keepers), async |tx, _| {
            let v = tx.insert_policy_version(&meta.id, version, &meta.title, text, material_change).await?;
            Ok(Done::new(v.clone(), entry("policy.publish", "policy", v.id, None,
                json!({"pack_id": v.pack_id, "version": v.version, "text_hash": v.text_hash, "material_change": material_change}))))
        })
        .await
    }

    /// Every published version, oldest first.
    pub async fn policy_versions(&self) -> Result<Vec<PolicyVersion>> {
        self.read(async |tx| Ok(tx.policy_versions().await?)).await
    }

    /// Records that a person acknowledged the version whose text hashes to `text_hash` (what
    /// they were shown); another text is refused. A person signs for themselves; a register
    /// keeper (or the operator) may record a signed paper form. `device` is the laptop an
    /// agreement names, which must be assigned to them.
    pub async fn acknowledge(
        &self,
        actor: &Actor,
        person_id: i64,
        policy_id: i64,
        text_hash: &str,
        kind: AckKind,
        device: Option<i64>,
    ) -> Result<Acknowledgement> {
        let keepers = self.governance().register_roles.clone();
        self.act(actor, "record acknowledgements", May::Anyone, async |tx, who| {
            if who.id().is_some_and(|id| id != person_id) {
                who.require(&keepers, "record someone else's acknowledgement")?;
            }
            let p = active(tx.person(person_id).await?, "acknowledge the policy")?;
            if let Some(d) = device {
                let dev = tx.device(d).await?;
                if dev.assignee != Some(person_id) || dev.status != DeviceStatus::Assigned {
                    return Err(Error::Refused(format!("{} is not assigned to {}", dev.label(), p.label())));
                }
            }
            let v = tx.policy_version(policy_id).await?;
            if v.text_hash != text_hash.trim() {
                return Err(Error::Refused(format!(
                    "the text acknowledged is not the text of {} version {}: {} was shown something else",
                    v.pack_id, v.version, p.label()
                )));
            }
            let a = tx.insert_acknowledgement(person_id, policy_id, &v.text_hash, kind, device).await?;
            Ok(Done::new(a.clone(), entry("policy.acknowledge", "acknowledgement", a.id, person_id,
                json!({"policy": policy_id, "version": v.version, "kind": kind, "text_hash": v.text_hash, "device": device}))))
        })
        .await
    }

    /// A person's acknowledgements, oldest first.
    pub async fn acknowledgements_of(&self, person_id: i64) -> Result<Vec<Acknowledgement>> {
        self.read(async |tx| Ok(tx.acknowledgements_of(person_id).await?))
            .await
    }

    /// Who owes what at `now`, and by when: an agreement to the latest materially changed
    /// version (or the first), a briefing when the last is older than the pack's interval,
    /// and an induction for staff when the pack asks for one. An agreement is due on the day
    /// it is owed when the pack says staff sign before using the facilities, else within a
    /// calendar month; an induction on the first day.
    pub async fn acknowledgements_due(&self, now: Timestamp) -> Result<Vec<AckDue>> {
        let (people, versions, acks) = self
            .read(async |tx| {
                Ok((
                    tx.people().await?,
                    tx.policy_versions().await?,
                    tx.acknowledgements().await?,
                ))
            })
            .await?;
        Ok(self.dues(&people, &versions, &acks, now))
    }

    /// [`App::acknowledgements_due`] from the registers as read.
    pub(crate) fn dues(
        &self,
        people: &[Person],
        versions: &[PolicyVersion],
        acks: &[Acknowledgement],
        now: Timestamp,
    ) -> Vec<AckDue> {
        let tz = self.time_zone().clone();
        let g = self.governance().clone();
        let Some(required) = required_version(versions) else {
            return Vec::new();
        };
        let published = local_day(&required.published_at, &tz)
            .unwrap_or_else(|| now.to_zoned_datetime(tz.clone()).date());
        let mut due = Vec::new();
        for p in people.iter().filter(|p| p.status == PersonStatus::Active) {
            let first_day = joined(p, &tz);
            let owe = |kind: AckKind, reason: String, by: Date| AckDue {
                person_id: p.id,
                person_name: p.full_name(),
                kind,
                reason,
                clock: Clock::until_day(by, now, &tz),
            };
            let mine: Vec<&Acknowledgement> = acks.iter().filter(|a| a.person_id == p.id).collect();
            if !has_agreed(mine.iter().copied(), required) {
                let owed = published.max(first_day);
                let by = if g.acknowledge_before_use {
                    owed
                } else {
                    add_months(owed, 1)
                };
                due.push(owe(
                    AckKind::Agreement,
                    format!(
                        "has not acknowledged {} version {}{}",
                        required.pack_id,
                        required.version,
                        if required.material_change {
                            " (a material change)"
                        } else {
                            ""
                        }
                    ),
                    by,
                ));
            }
            if g.induction && !mine.iter().any(|a| a.kind == AckKind::Induction) {
                due.push(owe(
                    AckKind::Induction,
                    "new staff are briefed on joining; no induction recorded".into(),
                    first_day,
                ));
            }
            if let Some(months) = g.briefing_every_months {
                let last = mine
                    .iter()
                    .filter(|a| matches!(a.kind, AckKind::Briefing | AckKind::Induction))
                    .filter_map(|a| local_day(&a.at, &tz))
                    .max();
                match last {
                    Some(d) => {
                        let by = add_months(d, i64::from(months));
                        if by <= now.to_zoned_datetime(tz.clone()).date() {
                            due.push(owe(
                                AckKind::Briefing,
                                format!("last briefed {d}; briefings are every {months} months"),
                                by,
                            ));
                        }
                    }
                    None => due.push(owe(AckKind::Briefing, "never briefed".into(), first_day)),
                }
            }
        }
        due
    }

    /// When the written policy is due for review, from `review_due`, or a year after
    /// `last_reviewed`; `None` when the pack gives neither.
    pub fn policy_review(&self, now: Timestamp) -> Option<Review> {
        let m = &self.pack().meta;
        let (due, basis) = match (m.review_due, m.last_reviewed) {
            (Some(due), _) => (due, "the pack's review_due".to_string()),
            (None, Some(last)) => (
                add_months(last, 12),
                format!("a year after the last review ({last})"),
            ),
            (None, None) => return None,
        };
        Some(Review {
            due: due.to_string(),
            basis,
            clock: Clock::until_day(due, now, self.time_zone()),
        })
    }
}

/// The day someone started: their start date, else the day they were added.
fn joined(p: &Person, tz: &jiff::tz::TimeZone) -> Date {
    p.start_date
        .as_deref()
        .and_then(|d| d.parse().ok())
        .or_else(|| local_day(&p.created_at, tz))
        .unwrap_or_default()
}
