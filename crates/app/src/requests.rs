//! Data subject requests and their one-calendar-month clock (UK GDPR Arts. 12, 15-21),
//! handled by the pack's data protection roles.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;

use charter_store::{Actor, NewRequest, PauseReason, RequestKind, RequestStatus, SubjectRequest};

use crate::act::{Done, May, entry};
use crate::clock::{Clock, subject_request_due};
use crate::error::{Error, Result};
use crate::{App, Names};

/// A subject request with its clock, as a person reads it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    /// The request as recorded.
    #[serde(flatten)]
    pub request: SubjectRequest,
    /// The day a reply is due (while paused: the day it would be due if resumed today).
    pub due_on: String,
    /// The clock in the pack's zone.
    #[serde(flatten)]
    pub clock: Clock,
    /// The person in the register, by name.
    pub person_name: Option<String>,
}

/// The day `r` is due, counting the days it has stood still up to `today`.
fn due(r: &SubjectRequest, today: Date) -> Result<Date> {
    let paused_now = match r.paused_on()? {
        Some(since) => i64::from((today - since).get_days().max(0)),
        None => 0,
    };
    Ok(subject_request_due(
        r.received()?,
        r.extended,
        r.paused_days + paused_now,
    ))
}

impl App {
    pub(crate) fn request_view(
        &self,
        r: SubjectRequest,
        names: &Names,
        now: Timestamp,
    ) -> Result<RequestView> {
        let tz = self.time_zone();
        let today = now.to_zoned_datetime(tz.clone()).date();
        let due_on = due(&r, today)?;
        let clock = match r.status {
            RequestStatus::Open => Clock::until_day(due_on, now, tz),
            RequestStatus::Paused => Clock::stopped(
                due_on.to_string(),
                format!(
                    "paused since {}, awaiting {}: the clock stands still",
                    r.paused_since.as_deref().unwrap_or("-"),
                    r.pause_reason.map_or("information", PauseReason::as_str)
                ),
            ),
            RequestStatus::Completed | RequestStatus::Refused => {
                let closed = r.closed_on.as_deref().unwrap_or("-");
                let late = closed
                    .parse::<Date>()
                    .ok()
                    .map(|c| i64::from((c - due_on).get_days()))
                    .filter(|d| *d > 0);
                Clock::stopped(
                    due_on.to_string(),
                    match late {
                        Some(d) => format!("{} {closed}, {d} days late", r.status),
                        None => format!("{} {closed}, in time", r.status),
                    },
                )
            }
        };
        Ok(RequestView {
            due_on: due_on.to_string(),
            clock,
            person_name: r.person_id.map(|p| names.name(p).to_string()),
            request: r,
        })
    }

    /// Records a request received on `received_on`; it is due one calendar month later.
    pub async fn receive_request(
        &self,
        actor: &Actor,
        person_id: Option<i64>,
        requester: &str,
        kind: RequestKind,
        received_on: Date,
    ) -> Result<RequestView> {
        let roles = self.data_protection();
        let r = self.act(actor, "record subject requests", May::Roles(&roles), async |tx, who| {
            let r = tx.insert_subject_request(&NewRequest {
                person_id,
                requester: requester.to_string(),
                kind,
                received_on,
                handled_by: who.id(),
            }).await?;
            Ok(Done::new(r.clone(), entry("request.receive", "subject_request", r.id, person_id,
                json!({"kind": kind, "received_on": received_on.to_string(), "due_on": subject_request_due(received_on, false, 0).to_string()}))))
        })
        .await?;
        self.view_request(r).await
    }

    async fn view_request(&self, r: SubjectRequest) -> Result<RequestView> {
        self.request_view(r, &self.names().await?, Timestamp::now())
    }

    /// Stops the clock on `on` while waiting for proof of identity or clarification.
    pub async fn pause_request(
        &self,
        actor: &Actor,
        id: i64,
        on: Date,
        reason: PauseReason,
    ) -> Result<RequestView> {
        let roles = self.data_protection();
        let r = self
            .act(
                actor,
                "pause subject requests",
                May::Roles(&roles),
                async |tx, _| {
                    let r = tx.subject_request(id).await?;
                    if r.status != RequestStatus::Open {
                        return Err(Error::state(
                            format!("subject request {id}"),
                            r.status,
                            "pause it",
                        ));
                    }
                    if on < r.received()? {
                        return Err(Error::Refused(format!(
                            "cannot pause on {on}, before the request was received ({})",
                            r.received_on
                        )));
                    }
                    let out = tx.pause_subject_request(id, on, reason).await?;
                    Ok(Done::new(
                        out,
                        entry(
                            "request.pause",
                            "subject_request",
                            id,
                            r.person_id,
                            json!({"on": on.to_string(), "awaiting": reason}),
                        ),
                    ))
                },
            )
            .await?;
        self.view_request(r).await
    }

    /// Restarts the clock on `on` (the information arrived); the due date moves by the days
    /// it stood still.
    pub async fn resume_request(&self, actor: &Actor, id: i64, on: Date) -> Result<RequestView> {
        let roles = self.data_protection();
        let r = self
            .act(
                actor,
                "resume subject requests",
                May::Roles(&roles),
                async |tx, _| {
                    let r = tx.subject_request(id).await?;
                    let Some(since) = r.paused_on()?.filter(|_| r.status == RequestStatus::Paused)
                    else {
                        return Err(Error::state(
                            format!("subject request {id}"),
                            r.status,
                            "resume it",
                        ));
                    };
                    if on < since {
                        return Err(Error::Refused(format!(
                            "cannot resume on {on}, before the pause began ({since})"
                        )));
                    }
                    let days = i64::from((on - since).get_days());
                    let out = tx.resume_subject_request(id, days).await?;
                    Ok(Done::new(
                        out,
                        entry(
                            "request.resume",
                            "subject_request",
                            id,
                            r.person_id,
                            json!({"on": on.to_string(), "paused_days": days}),
                        ),
                    ))
                },
            )
            .await?;
        self.view_request(r).await
    }

    /// Extends the deadline by two months (Art. 12(3)): once, with reasons, and the
    /// requester must be told within the first month.
    pub async fn extend_request(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
        notice_on: Date,
    ) -> Result<RequestView> {
        let roles = self.data_protection();
        let r = self.act(actor, "extend subject requests", May::Roles(&roles), async |tx, _| {
            let r = tx.subject_request(id).await?;
            if !matches!(r.status, RequestStatus::Open | RequestStatus::Paused) {
                return Err(Error::state(format!("subject request {id}"), r.status, "extend it"));
            }
            if r.extended {
                return Err(Error::state(format!("subject request {id}"), "already extended", "extend it again"));
            }
            let due_on = due(&r, notice_on)?;
            if notice_on > due_on {
                return Err(Error::Refused(format!(
                    "the requester must be told of an extension within the first month (by {due_on}); {notice_on} is too late"
                )));
            }
            let out = tx.extend_subject_request(id, reason, notice_on).await?;
            Ok(Done::new(out, entry("request.extend", "subject_request", id, r.person_id,
                json!({"reason": reason, "notice_on": notice_on.to_string()}))))
        })
        .await?;
        self.view_request(r).await
    }

    /// Completes a request (`granted`) or refuses it; a refusal must give reasons and tell
    /// the requester of their right to complain to the ICO.
    pub async fn close_request(
        &self,
        actor: &Actor,
        id: i64,
        on: Date,
        granted: bool,
        outcome: &str,
    ) -> Result<RequestView> {
        if !granted
            && !outcome.to_lowercase().contains("ico")
            && !outcome.contains("Information Commissioner")
        {
            return Err(Error::Refused("a refusal must give reasons and tell the requester of their right to complain to the ICO: mention it in the outcome".into()));
        }
        let roles = self.data_protection();
        let r = self.act(actor, "close subject requests", May::Roles(&roles), async |tx, _| {
            let r = tx.subject_request(id).await?;
            if !matches!(r.status, RequestStatus::Open | RequestStatus::Paused) {
                return Err(Error::state(format!("subject request {id}"), r.status, "close it"));
            }
            let due_on = due(&r, on)?;
            let to = if granted { RequestStatus::Completed } else { RequestStatus::Refused };
            let out = tx.close_subject_request(id, r.status, to, on, outcome).await?;
            Ok(Done::new(out, entry("request.close", "subject_request", id, r.person_id,
                json!({"status": to, "on": on.to_string(), "due_on": due_on.to_string(), "late": on > due_on}))))
        })
        .await?;
        self.view_request(r).await
    }

    /// Every subject request with its clock at `now`, by id.
    pub async fn subject_requests(&self, now: Timestamp) -> Result<Vec<RequestView>> {
        let names = self.names().await?;
        let all = self
            .read(async |tx| Ok(tx.subject_requests().await?))
            .await?;
        all.into_iter()
            .map(|r| self.request_view(r, &names, now))
            .collect()
    }
}
