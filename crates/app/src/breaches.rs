//! The data breach log and its 72-hour clock (UK GDPR Art. 33): the pack's data protection
//! roles log, decide, notify, tell the people affected and close.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use charter_store::{Actor, Breach, BreachState, NewBreach};

use crate::act::{Done, May, entry};
use crate::clock::{Clock, breach_deadline, local_time};
use crate::error::{Error, Result};
use crate::{App, Names};

/// A breach with its clock, as a person reads it.
#[derive(Debug, Clone, Serialize)]
pub struct BreachView {
    /// The breach as logged.
    #[serde(flatten)]
    pub breach: Breach,
    /// 72 hours after awareness, UTC: when the ICO must have been told, if it must.
    pub notify_by: String,
    /// The clock in the pack's zone.
    #[serde(flatten)]
    pub clock: Clock,
    /// Who logged it.
    pub logged_by_name: String,
    /// The people it concerns, by name.
    pub people_names: Vec<String>,
}

/// Hours after `deadline` that `at` is, rounded up; `None` when in time.
fn hours_late(deadline: Timestamp, at: Timestamp) -> Option<i64> {
    let late = at.duration_since(deadline).as_secs();
    (late > 0).then(|| (late + 3599) / 3600)
}

impl App {
    pub(crate) fn data_protection(&self) -> Vec<String> {
        self.governance().data_protection_roles.clone()
    }

    /// The clock of a breach at `now`.
    pub fn breach_view(&self, b: Breach, names: &Names, now: Timestamp) -> Result<BreachView> {
        let tz = self.time_zone();
        let deadline = breach_deadline(b.aware()?);
        let told = b
            .ico_notified_at
            .as_deref()
            .map(|t| t.parse::<Timestamp>())
            .transpose()
            .map_err(|e| charter_store::Error::Invalid {
                field: "ico_notified_at",
                reason: e.to_string(),
            })?;
        let clock = match (b.notify_ico, told) {
            (_, Some(at)) => Clock::stopped(
                local_time(deadline, tz),
                match hours_late(deadline, at) {
                    Some(h) => format!("ICO told {}, {h} hours late", local_time(at, tz)),
                    None => format!("met: ICO told {}", local_time(at, tz)),
                },
            ),
            (Some(false), None) => Clock::stopped(
                local_time(deadline, tz),
                "not needed: decided not to notify the ICO",
            ),
            _ => Clock::until(deadline, now, tz),
        };
        Ok(BreachView {
            notify_by: deadline.to_string(),
            clock,
            logged_by_name: names.name(b.logged_by).to_string(),
            people_names: b
                .people
                .iter()
                .map(|p| names.name(*p).to_string())
                .collect(),
            breach: b,
        })
    }

    /// Logs a data breach concerning `people`. The 72-hour clock runs from `b.aware_at`; an
    /// empty contact point is the pack's `breach_contact`.
    pub async fn log_breach(
        &self,
        actor: &Actor,
        mut b: NewBreach,
        people: &[i64],
    ) -> Result<Breach> {
        if b.contact_point.trim().is_empty() {
            b.contact_point = self.governance().breach_contact.clone().ok_or_else(|| {
                Error::Refused("give a contact point: the pack names no breach contact".into())
            })?;
        }
        if b.aware_at > Timestamp::now() {
            return Err(Error::Refused(format!(
                "the organisation cannot have become aware at {}: that is in the future",
                local_time(b.aware_at, self.time_zone())
            )));
        }
        let roles = self.data_protection();
        self.act(actor, "log data breaches", May::Roles(&roles), async |tx, who| {
            let logger = who.person("log data breaches")?.id;
            let out = tx.insert_breach(&b, logger, people).await?;
            Ok(Done::new(out.clone(), entry("breach.log", "breach", out.id, None,
                json!({"aware_at": out.aware_at, "notify_by": breach_deadline(b.aware_at).to_string(), "people": out.people}))))
        })
        .await
    }

    /// Decides whether to notify the ICO, with reasons (a decision not to must say why the
    /// breach is unlikely to result in a risk to people's rights and freedoms).
    pub async fn decide_breach(
        &self,
        actor: &Actor,
        id: i64,
        notify: bool,
        reason: &str,
    ) -> Result<Breach> {
        let roles = self.data_protection();
        self.act(
            actor,
            "decide on data breaches",
            May::Roles(&roles),
            async |tx, who| {
                let b = tx.breach(id).await?;
                if b.status != BreachState::Open {
                    return Err(Error::state(
                        format!("breach {id}"),
                        b.status,
                        "decide again",
                    ));
                }
                let out = tx
                    .decide_breach(
                        id,
                        notify,
                        reason,
                        who.person("decide on data breaches")?.id,
                    )
                    .await?;
                Ok(Done::new(
                    out,
                    entry(
                        "breach.decide",
                        "breach",
                        id,
                        None,
                        json!({"notify_ico": notify, "reason": reason}),
                    ),
                ))
            },
        )
        .await
    }

    /// Records that the ICO was told at `at`. After the 72 hours, Art. 33(1) requires the
    /// reasons for the delay: without `late_reason` a late notification is refused.
    pub async fn notify_ico(
        &self,
        actor: &Actor,
        id: i64,
        at: Timestamp,
        reference: Option<&str>,
        late_reason: Option<&str>,
    ) -> Result<Breach> {
        let roles = self.data_protection();
        let tz = self.time_zone().clone();
        self.act(actor, "record ICO notifications", May::Roles(&roles), async |tx, _| {
            let b = tx.breach(id).await?;
            if b.ico_notified_at.is_some() {
                return Err(Error::state(format!("breach {id}"), "already notified", "record the ICO notification again"));
            }
            if b.status != BreachState::Decided || b.notify_ico != Some(true) {
                let state = if b.notify_ico == Some(false) { "decided not to notify".to_string() } else { b.status.to_string() };
                return Err(Error::state(format!("breach {id}"), state, "record the ICO notification (decide to notify first)"));
            }
            let aware = b.aware()?;
            if at < aware {
                return Err(Error::Refused(format!(
                    "the ICO cannot have been told at {}, before the organisation became aware at {}",
                    local_time(at, &tz), local_time(aware, &tz)
                )));
            }
            let deadline = breach_deadline(aware);
            let late = hours_late(deadline, at);
            if let Some(h) = late && late_reason.is_none() {
                return Err(Error::Refused(format!(
                    "the ICO was told {h} hours after the 72-hour deadline ({}); UK GDPR Art. 33(1) requires the reasons for the delay: give them",
                    local_time(deadline, &tz)
                )));
            }
            let out = tx.set_ico_notified(id, at, reference, late_reason).await?;
            Ok(Done::new(out, entry("breach.notify_ico", "breach", id, None,
                json!({"at": at.to_string(), "reference": reference, "late_hours": late, "late_reason": late_reason}))))
        })
        .await
    }

    /// Records that the people affected were told (Art. 34), when and how.
    pub async fn tell_people(
        &self,
        actor: &Actor,
        id: i64,
        at: Timestamp,
        how: &str,
    ) -> Result<Breach> {
        let roles = self.data_protection();
        self.act(
            actor,
            "record telling people of a breach",
            May::Roles(&roles),
            async |tx, _| {
                let b = tx.breach(id).await?;
                if b.status == BreachState::Closed {
                    return Err(Error::state(
                        format!("breach {id}"),
                        b.status,
                        "record telling people",
                    ));
                }
                if b.people_told_at.is_some() {
                    return Err(Error::state(
                        format!("breach {id}"),
                        "people already told",
                        "record telling people again",
                    ));
                }
                let out = tx.set_people_told(id, at, how).await?;
                Ok(Done::new(
                    out,
                    entry(
                        "breach.tell_people",
                        "breach",
                        id,
                        None,
                        json!({"at": at.to_string(), "how": how}),
                    ),
                ))
            },
        )
        .await
    }

    /// Closes a breach: only once decided, and once the ICO has been told when the decision
    /// was to tell it.
    pub async fn close_breach(&self, actor: &Actor, id: i64) -> Result<Breach> {
        let roles = self.data_protection();
        self.act(actor, "close data breaches", May::Roles(&roles), async |tx, who| {
            let b = tx.breach(id).await?;
            if b.status != BreachState::Decided {
                return Err(Error::state(format!("breach {id}"), b.status, "close it (decide whether to notify the ICO first)"));
            }
            if b.notify_ico == Some(true) && b.ico_notified_at.is_none() {
                return Err(Error::Refused(format!(
                    "breach {id}: the decision was to notify the ICO, and it has not been notified"
                )));
            }
            let out = tx.close_breach(id, who.person("close data breaches")?.id).await?;
            Ok(Done::new(out, entry("breach.close", "breach", id, None, json!({}))))
        })
        .await
    }

    /// The breach log with each breach's clock at `now`, by id.
    pub async fn breaches(&self, now: Timestamp) -> Result<Vec<BreachView>> {
        let names = self.names().await?;
        let all = self.read(async |tx| Ok(tx.breaches().await?)).await?;
        all.into_iter()
            .map(|b| self.breach_view(b, &names, now))
            .collect()
    }

    /// One breach with its clock at `now`.
    pub async fn breach(&self, id: i64, now: Timestamp) -> Result<BreachView> {
        let names = self.names().await?;
        let b = self.read(async |tx| Ok(tx.breach(id).await?)).await?;
        self.breach_view(b, &names, now)
    }
}
