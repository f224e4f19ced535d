//! Workflows with a clock: data breaches (72 hours), data subject requests (one calendar
//! month) and leavers (a checklist that closes only when complete).

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::json;

use crate::Store;
use crate::audit::Actor;
use crate::db::Tx;
use crate::error::{Error, Result, check_len, check_text};
use crate::model::*;
use crate::registers::{LONG, SHORT, get_person, log, require_role};
use crate::time::{self, now_us, to_us};

async fn get_breach(tx: &mut Tx, id: i64) -> Result<Breach> {
    let row = tx
        .row("SELECT * FROM breaches WHERE id = $1", &[id.into()])
        .await?
        .ok_or(Error::NotFound {
            entity: "breach",
            id,
        })?;
    let people = tx
        .rows(
            "SELECT person_id FROM breach_people WHERE breach_id = $1 ORDER BY person_id",
            &[id.into()],
        )
        .await?
        .iter()
        .map(|r| r.i64("person_id"))
        .collect::<Result<_>>()?;
    Breach::from_row(&row, people)
}

async fn get_request(tx: &mut Tx, id: i64, today: Date) -> Result<SubjectRequest> {
    let row = tx
        .row("SELECT * FROM subject_requests WHERE id = $1", &[id.into()])
        .await?
        .ok_or(Error::NotFound {
            entity: "subject request",
            id,
        })?;
    SubjectRequest::from_row(&row, today)
}

async fn get_leaver(tx: &mut Tx, id: i64) -> Result<Leaver> {
    let row = tx
        .row("SELECT * FROM leavers WHERE id = $1", &[id.into()])
        .await?
        .ok_or(Error::NotFound {
            entity: "leaver",
            id,
        })?;
    Leaver::from_row(&row)
}

fn hours_late(deadline: Timestamp, at: Timestamp) -> Option<i64> {
    let late = at.duration_since(deadline);
    (late.as_secs() > 0).then(|| (late.as_secs() + 3599) / 3600)
}

impl Store {
    // ---- data breaches ------------------------------------------------------------------

    /// Logs a data breach. The 72-hour clock runs from `aware_at`.
    pub async fn log_breach(&self, actor: &Actor, b: NewBreach, people: &[i64]) -> Result<Breach> {
        for (f, v) in [
            ("description", &b.description),
            ("data_categories", &b.data_categories),
            ("likely_consequences", &b.likely_consequences),
            ("measures", &b.measures),
        ] {
            check_text(f, v, LONG)?;
        }
        check_text("contact_point", &b.contact_point, SHORT)?;
        for (f, v) in [
            ("approx_people", b.approx_people),
            ("approx_records", b.approx_records),
        ] {
            if v.is_some_and(|n| n < 0) {
                return Err(Error::invalid(f, "must not be negative"));
            }
        }
        let logger = actor
            .person()
            .ok_or_else(|| Error::Refused("a breach is logged by a person".into()))?;
        if b.aware_at > Timestamp::now() {
            return Err(Error::invalid("aware_at", "is in the future"));
        }
        let mut tx = self.backend.begin_write().await?;
        get_person(&mut tx, logger).await?;
        let now = now_us();
        let id = tx.insert(
            "INSERT INTO breaches (description, data_categories, approx_people, approx_records, likely_consequences, measures, contact_point, aware_at, logged_by, logged_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open') RETURNING id",
            &[b.description.clone().into(), b.data_categories.clone().into(), b.approx_people.into(), b.approx_records.into(),
              b.likely_consequences.clone().into(), b.measures.clone().into(), b.contact_point.clone().into(),
              to_us(b.aware_at).into(), logger.into(), now.into()],
        ).await?;
        for p in people {
            get_person(&mut tx, *p).await?;
            tx.exec(
                "INSERT INTO breach_people (breach_id, person_id) VALUES ($1, $2)",
                &[id.into(), (*p).into()],
            )
            .await
            .or_else(|e| {
                if e.is_unique_violation() {
                    Ok(0)
                } else {
                    Err(e)
                }
            })?;
        }
        log(&mut tx, actor, "breach.log", "breach", Some(id), None,
            json!({"aware_at": b.aware_at.to_string(), "notify_by": time::breach_deadline(b.aware_at).to_string(), "people": people})).await?;
        let out = get_breach(&mut tx, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Decides whether to notify the ICO, with reasons (a decision not to notify must say why
    /// the breach is unlikely to result in a risk to people's rights and freedoms).
    pub async fn decide_breach(
        &self,
        actor: &Actor,
        id: i64,
        notify: bool,
        reason: &str,
    ) -> Result<Breach> {
        check_text("reason", reason, LONG)?;
        let decider = actor
            .person()
            .ok_or_else(|| Error::Refused("a person decides".into()))?;
        let mut tx = self.backend.begin_write().await?;
        get_person(&mut tx, decider).await?;
        let b = get_breach(&mut tx, id).await?;
        if b.status != "open" {
            return Err(Error::Transition {
                entity: "breach",
                id,
                state: b.status,
                action: "decide again",
            });
        }
        tx.exec("UPDATE breaches SET status = 'decided', notify_ico = $2, decision_reason = $3, decided_by = $4, decided_at = $5 WHERE id = $1",
            &[id.into(), notify.into(), reason.into(), decider.into(), now_us().into()]).await?;
        log(
            &mut tx,
            actor,
            "breach.decide",
            "breach",
            Some(id),
            None,
            json!({"notify_ico": notify, "reason": reason}),
        )
        .await?;
        let out = get_breach(&mut tx, id).await?;
        tx.commit().await?;
        Ok(out)
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
        if let Some(r) = reference {
            check_len("reference", r, SHORT)?;
        }
        if let Some(r) = late_reason {
            check_text("late_reason", r, LONG)?;
        }
        let mut tx = self.backend.begin_write().await?;
        let b = get_breach(&mut tx, id).await?;
        if b.status != "decided" || b.notify_ico != Some(true) || b.ico_notified_at.is_some() {
            let state = if b.notify_ico == Some(false) {
                "decided not to notify".to_string()
            } else if b.ico_notified_at.is_some() {
                "already notified".into()
            } else {
                b.status.clone()
            };
            return Err(Error::Transition {
                entity: "breach",
                id,
                state,
                action: "record the ICO notification (decide to notify first)",
            });
        }
        let aware = b
            .aware_at
            .parse::<Timestamp>()
            .map_err(|e| Error::invalid("aware_at", e))?;
        let deadline = time::breach_deadline(aware);
        if at < aware {
            return Err(Error::invalid(
                "at",
                "is before the organisation became aware",
            ));
        }
        if let Some(h) = hours_late(deadline, at)
            && late_reason.is_none()
        {
            return Err(Error::Refused(format!(
                "the ICO was told {h} hours after the 72-hour deadline ({deadline}); UK GDPR Art. 33(1) requires the reasons for the delay: give them"
            )));
        }
        tx.exec("UPDATE breaches SET ico_notified_at = $2, ico_reference = $3, late_reason = $4 WHERE id = $1",
            &[id.into(), to_us(at).into(), reference.into(), late_reason.into()]).await?;
        log(&mut tx, actor, "breach.notify_ico", "breach", Some(id), None,
            json!({"at": at.to_string(), "reference": reference, "late_hours": hours_late(deadline, at), "late_reason": late_reason})).await?;
        let out = get_breach(&mut tx, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Records that the people affected were told (Art. 34), when and how.
    pub async fn tell_people(
        &self,
        actor: &Actor,
        id: i64,
        at: Timestamp,
        how: &str,
    ) -> Result<Breach> {
        check_text("how", how, LONG)?;
        let mut tx = self.backend.begin_write().await?;
        let b = get_breach(&mut tx, id).await?;
        if b.status == "closed" || b.people_told_at.is_some() {
            return Err(Error::Transition {
                entity: "breach",
                id,
                state: if b.status == "closed" {
                    b.status
                } else {
                    "people already told".into()
                },
                action: "record telling people",
            });
        }
        tx.exec(
            "UPDATE breaches SET people_told_at = $2, people_told_how = $3 WHERE id = $1",
            &[id.into(), to_us(at).into(), how.into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "breach.tell_people",
            "breach",
            Some(id),
            None,
            json!({"at": at.to_string(), "how": how}),
        )
        .await?;
        let out = get_breach(&mut tx, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Closes a breach: only once decided, and once the ICO has been told when the decision
    /// was to tell it.
    pub async fn close_breach(&self, actor: &Actor, id: i64) -> Result<Breach> {
        let closer = actor
            .person()
            .ok_or_else(|| Error::Refused("a person closes a breach".into()))?;
        let mut tx = self.backend.begin_write().await?;
        let b = get_breach(&mut tx, id).await?;
        if b.status != "decided" {
            return Err(Error::Transition {
                entity: "breach",
                id,
                state: b.status,
                action: "close it (decide whether to notify the ICO first)",
            });
        }
        if b.notify_ico == Some(true) && b.ico_notified_at.is_none() {
            return Err(Error::Refused(format!(
                "breach {id}: the decision was to notify the ICO, and it has not been notified"
            )));
        }
        tx.exec(
            "UPDATE breaches SET status = 'closed', closed_by = $2, closed_at = $3 WHERE id = $1",
            &[id.into(), closer.into(), now_us().into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "breach.close",
            "breach",
            Some(id),
            None,
            json!({}),
        )
        .await?;
        let out = get_breach(&mut tx, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Every breach, by id.
    pub async fn breaches(&self) -> Result<Vec<Breach>> {
        let mut tx = self.backend.begin_read().await?;
        let ids: Vec<i64> = tx
            .rows("SELECT id FROM breaches ORDER BY id", &[])
            .await?
            .iter()
            .map(|r| r.i64("id"))
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        for id in ids {
            out.push(get_breach(&mut tx, id).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// One breach.
    pub async fn breach(&self, id: i64) -> Result<Breach> {
        let mut tx = self.backend.begin_read().await?;
        let b = get_breach(&mut tx, id).await?;
        tx.commit().await?;
        Ok(b)
    }

    // ---- data subject requests ------------------------------------------------------------

    /// Records a request received on `received_on`; it is due one calendar month later.
    pub async fn receive_request(
        &self,
        actor: &Actor,
        person_id: Option<i64>,
        requester: &str,
        kind: RequestKind,
        received_on: Date,
    ) -> Result<SubjectRequest> {
        check_text("requester", requester, SHORT)?;
        let mut tx = self.backend.begin_write().await?;
        if let Some(p) = person_id {
            get_person(&mut tx, p).await?;
        }
        let id = tx.insert(
            "INSERT INTO subject_requests (person_id, requester, kind, received_on, status, handled_by, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id",
            &[person_id.into(), requester.into(), kind.as_str().into(), received_on.to_string().into(), actor.person().into(), now_us().into()],
        ).await?;
        log(&mut tx, actor, "request.receive", "subject_request", Some(id), person_id,
            json!({"kind": kind.as_str(), "received_on": received_on.to_string(), "due_on": time::subject_request_due(received_on, false, 0).to_string()})).await?;
        let r = get_request(&mut tx, id, received_on).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Stops the clock on `on` while waiting for proof of identity or clarification.
    pub async fn pause_request(
        &self,
        actor: &Actor,
        id: i64,
        on: Date,
        reason: &str,
    ) -> Result<SubjectRequest> {
        if !matches!(reason, "identity" | "clarification") {
            return Err(Error::invalid(
                "reason",
                format!(
                    "`{reason}`, expected identity or clarification (the only reasons the clock may stop)"
                ),
            ));
        }
        let mut tx = self.backend.begin_write().await?;
        let r = get_request(&mut tx, id, on).await?;
        if r.status != "open" {
            return Err(Error::Transition {
                entity: "subject request",
                id,
                state: r.status,
                action: "pause it",
            });
        }
        if on < time::parse_date("received_on", &r.received_on)? {
            return Err(Error::invalid("on", "is before the request was received"));
        }
        tx.exec("UPDATE subject_requests SET status = 'paused', paused_since = $2, pause_reason = $3 WHERE id = $1", &[id.into(), on.to_string().into(), reason.into()]).await?;
        log(
            &mut tx,
            actor,
            "request.pause",
            "subject_request",
            Some(id),
            r.person_id,
            json!({"on": on.to_string(), "awaiting": reason}),
        )
        .await?;
        let r = get_request(&mut tx, id, on).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Restarts the clock on `on` (the information arrived); the due date moves by the days
    /// it stood still.
    pub async fn resume_request(&self, actor: &Actor, id: i64, on: Date) -> Result<SubjectRequest> {
        let mut tx = self.backend.begin_write().await?;
        let r = get_request(&mut tx, id, on).await?;
        let Some(since) = r.paused_since.as_deref().filter(|_| r.status == "paused") else {
            return Err(Error::Transition {
                entity: "subject request",
                id,
                state: r.status,
                action: "resume it",
            });
        };
        let since = time::parse_date("paused_since", since)?;
        if on < since {
            return Err(Error::invalid(
                "on",
                format!("is before the pause began ({since})"),
            ));
        }
        let days = i64::from((on - since).get_days());
        tx.exec("UPDATE subject_requests SET status = 'open', paused_since = NULL, pause_reason = NULL, paused_days = paused_days + $2 WHERE id = $1", &[id.into(), days.into()]).await?;
        log(
            &mut tx,
            actor,
            "request.resume",
            "subject_request",
            Some(id),
            r.person_id,
            json!({"on": on.to_string(), "paused_days": days}),
        )
        .await?;
        let r = get_request(&mut tx, id, on).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Extends the deadline by two months (Art. 12(3)): once, with reasons, and the requester
    /// must be told within the first month.
    pub async fn extend_request(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
        notice_on: Date,
    ) -> Result<SubjectRequest> {
        check_text("reason", reason, LONG)?;
        let mut tx = self.backend.begin_write().await?;
        let r = get_request(&mut tx, id, notice_on).await?;
        if !matches!(r.status.as_str(), "open" | "paused") || r.extended {
            return Err(Error::Transition {
                entity: "subject request",
                id,
                state: if r.extended {
                    "already extended".into()
                } else {
                    r.status
                },
                action: "extend it",
            });
        }
        let due = time::parse_date("due_on", &r.due_on)?;
        if notice_on > due {
            return Err(Error::Refused(format!(
                "the requester must be told of an extension within the first month (by {due}); {notice_on} is too late"
            )));
        }
        tx.exec("UPDATE subject_requests SET extended = TRUE, extension_reason = $2, extension_notice_on = $3 WHERE id = $1", &[id.into(), reason.into(), notice_on.to_string().into()]).await?;
        log(
            &mut tx,
            actor,
            "request.extend",
            "subject_request",
            Some(id),
            r.person_id,
            json!({"reason": reason, "notice_on": notice_on.to_string()}),
        )
        .await?;
        let r = get_request(&mut tx, id, notice_on).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Completes a request (`granted`) or refuses it; a refusal must give reasons and tell the
    /// requester of their right to complain to the ICO.
    pub async fn close_request(
        &self,
        actor: &Actor,
        id: i64,
        on: Date,
        granted: bool,
        outcome: &str,
    ) -> Result<SubjectRequest> {
        check_text("outcome", outcome, LONG)?;
        if !granted
            && !outcome.to_lowercase().contains("ico")
            && !outcome.contains("Information Commissioner")
        {
            return Err(Error::Refused("a refusal must give reasons and tell the requester of their right to complain to the ICO: mention it in the outcome".into()));
        }
        let mut tx = self.backend.begin_write().await?;
        let r = get_request(&mut tx, id, on).await?;
        if !matches!(r.status.as_str(), "open" | "paused") {
            return Err(Error::Transition {
                entity: "subject request",
                id,
                state: r.status,
                action: "close it",
            });
        }
        let status = if granted { "completed" } else { "refused" };
        tx.exec("UPDATE subject_requests SET status = $2, closed_on = $3, outcome = $4, paused_since = NULL WHERE id = $1", &[id.into(), status.into(), on.to_string().into(), outcome.into()]).await?;
        let due = time::parse_date("due_on", &r.due_on)?;
        log(
            &mut tx,
            actor,
            "request.close",
            "subject_request",
            Some(id),
            r.person_id,
            json!({"status": status, "on": on.to_string(), "due_on": r.due_on, "late": on > due}),
        )
        .await?;
        let r = get_request(&mut tx, id, on).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Every subject request, with due dates as of `today`.
    pub async fn subject_requests(&self, today: Date) -> Result<Vec<SubjectRequest>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows("SELECT * FROM subject_requests ORDER BY id", &[])
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| SubjectRequest::from_row(r, today))
            .collect()
    }

    // ---- leavers ----------------------------------------------------------------------------

    /// Opens a leaver's checklist and records the leaving date.
    pub async fn open_leaver(
        &self,
        actor: &Actor,
        person_id: i64,
        leaving_date: Date,
    ) -> Result<Leaver> {
        let opener = actor
            .person()
            .ok_or_else(|| Error::Refused("a person opens a leaver checklist".into()))?;
        let mut tx = self.backend.begin_write().await?;
        get_person(&mut tx, opener).await?;
        let p = get_person(&mut tx, person_id).await?;
        if p.status != "active" {
            return Err(Error::Transition {
                entity: "person",
                id: person_id,
                state: p.status,
                action: "open a leaver checklist",
            });
        }
        let id = tx.insert(
            "INSERT INTO leavers (person_id, leaving_date, opened_by, opened_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[person_id.into(), leaving_date.to_string().into(), opener.into(), now_us().into()],
        ).await.map_err(|e| if e.is_unique_violation() { Error::Refused(format!("person {person_id} already has an open leaver checklist")) } else { e })?;
        tx.exec(
            "UPDATE people SET leaving_date = $2, updated_at = $3 WHERE id = $1",
            &[
                person_id.into(),
                leaving_date.to_string().into(),
                now_us().into(),
            ],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "leaver.open",
            "leaver",
            Some(id),
            Some(person_id),
            json!({"leaving_date": leaving_date.to_string()}),
        )
        .await?;
        let l = get_leaver(&mut tx, id).await?;
        tx.commit().await?;
        Ok(l)
    }

    /// Ticks one item, checking that it is true: no device still assigned, no official social
    /// account still owned or held. Ticking `accounts_disabled` disables every active account.
    /// `roles` are the roles that may tick this item; the leaver's line manager may also tick
    /// `credentials_handed_over`.
    pub async fn tick_leaver(
        &self,
        actor: &Actor,
        id: i64,
        item: LeaverItem,
        roles: &[String],
    ) -> Result<Leaver> {
        let mut tx = self.backend.begin_write().await?;
        let l = get_leaver(&mut tx, id).await?;
        if l.closed.is_some() {
            return Err(Error::Transition {
                entity: "leaver",
                id,
                state: "closed".into(),
                action: "tick items",
            });
        }
        if l.item(item).is_some() {
            return Err(Error::Transition {
                entity: "leaver",
                id,
                state: format!("{} already ticked", item.as_str()),
                action: "tick it again",
            });
        }
        let leaver = get_person(&mut tx, l.person_id).await?;
        let by = match (item, actor.person()) {
            (LeaverItem::CredentialsHandedOver, Some(a)) if leaver.line_manager == Some(a) => {
                get_person(&mut tx, a).await?
            }
            _ => require_role(&mut tx, actor, roles, "tick this leaver item").await?,
        };
        if by.id == l.person_id {
            return Err(Error::Refused(
                "a leaver cannot tick their own checklist".into(),
            ));
        }
        let mut detail = json!({"item": item.as_str()});
        match item {
            LeaverItem::EquipmentReturned => {
                let held = tx.rows("SELECT serial FROM devices WHERE assignee_id = $1 AND status = 'assigned' AND byod = FALSE", &[l.person_id.into()]).await?
                    .iter().map(|r| r.text("serial")).collect::<Result<Vec<_>>>()?;
                if !held.is_empty() {
                    return Err(Error::Refused(format!(
                        "person {} still holds {}: record their return first",
                        l.person_id,
                        held.join(", ")
                    )));
                }
            }
            LeaverItem::SocialHandedOver => {
                let held = tx.rows("SELECT platform, handle FROM social_accounts WHERE status = 'active' AND (owner_id = $1 OR custodian_id = $1)", &[l.person_id.into()]).await?
                    .iter().map(|r| Ok(format!("{} {}", r.text("platform")?, r.text("handle")?))).collect::<Result<Vec<_>>>()?;
                if !held.is_empty() {
                    return Err(Error::Refused(format!(
                        "person {} still owns or holds the credentials of {}: hand them over first",
                        l.person_id,
                        held.join(", ")
                    )));
                }
            }
            LeaverItem::AccountsDisabled => {
                let n = tx.exec("UPDATE accounts SET status = 'disabled', disabled_at = $2 WHERE person_id = $1 AND status = 'active'", &[l.person_id.into(), now_us().into()]).await?;
                detail = json!({"item": item.as_str(), "accounts_disabled": n});
            }
            LeaverItem::CredentialsHandedOver => {}
        }
        // The column names come from a fixed list, never from input.
        let col = item.as_str();
        tx.exec_dyn(
            format!("UPDATE leavers SET {col}_by = $2, {col}_at = $3 WHERE id = $1"),
            &[id.into(), by.id.into(), now_us().into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "leaver.tick",
            "leaver",
            Some(id),
            Some(l.person_id),
            detail,
        )
        .await?;
        let l = get_leaver(&mut tx, id).await?;
        tx.commit().await?;
        Ok(l)
    }

    /// Closes a leaver's checklist once every item is ticked; the person becomes `left`.
    pub async fn close_leaver(&self, actor: &Actor, id: i64, roles: &[String]) -> Result<Leaver> {
        let mut tx = self.backend.begin_write().await?;
        let by = require_role(&mut tx, actor, roles, "close a leaver checklist").await?;
        let l = get_leaver(&mut tx, id).await?;
        if l.closed.is_some() {
            return Err(Error::Transition {
                entity: "leaver",
                id,
                state: "closed".into(),
                action: "close it again",
            });
        }
        let missing: Vec<&str> = LeaverItem::ALL
            .into_iter()
            .filter(|i| l.item(*i).is_none())
            .map(LeaverItem::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(Error::Refused(format!(
                "leaver {id} cannot close: not yet done: {}",
                missing.join(", ")
            )));
        }
        let now = now_us();
        tx.exec(
            "UPDATE leavers SET closed_by = $2, closed_at = $3 WHERE id = $1",
            &[id.into(), by.id.into(), now.into()],
        )
        .await?;
        tx.exec(
            "UPDATE people SET status = 'left', updated_at = $2 WHERE id = $1",
            &[l.person_id.into(), now.into()],
        )
        .await?;
        log(
            &mut tx,
            actor,
            "leaver.close",
            "leaver",
            Some(id),
            Some(l.person_id),
            json!({}),
        )
        .await?;
        let l = get_leaver(&mut tx, id).await?;
        tx.commit().await?;
        Ok(l)
    }

    /// Every leaver checklist, by id.
    pub async fn leavers(&self) -> Result<Vec<Leaver>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx.rows("SELECT * FROM leavers ORDER BY id", &[]).await?;
        tx.commit().await?;
        rows.iter().map(Leaver::from_row).collect()
    }
}
