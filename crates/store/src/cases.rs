//! Typed storage for the workflows with a clock or a checklist: data breaches, data subject
//! requests and leavers. The clocks themselves (72 hours, one calendar month) and what may be
//! done when are `charter-app`'s.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::error::{Error, Result, check_len, check_text};
use crate::model::*;
use crate::registers::{LONG, SHORT};
use crate::time::{now_us, to_us};
use crate::txn::Txn;

impl Txn {
    // ---- data breaches --------------------------------------------------------------------

    /// One breach, with the people it concerns.
    pub async fn breach(&mut self, id: i64) -> Result<Breach> {
        let row = self
            .tx
            .row("SELECT * FROM breaches WHERE id = $1", &[id.into()])
            .await?
            .ok_or(Error::NotFound {
                entity: "breach",
                id,
            })?;
        let people = self
            .all(
                "SELECT person_id FROM breach_people WHERE breach_id = $1 ORDER BY person_id",
                &[id.into()],
                |r| r.i64("person_id"),
            )
            .await?;
        Breach::from_row(&row, people)
    }

    /// Every breach, by id.
    pub async fn breaches(&mut self) -> Result<Vec<Breach>> {
        let ids = self
            .all("SELECT id FROM breaches ORDER BY id", &[], |r| r.i64("id"))
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.breach(id).await?);
        }
        Ok(out)
    }

    /// The breaches that concern a person, by id.
    pub async fn breaches_about(&mut self, person_id: i64) -> Result<Vec<Breach>> {
        let ids = self
            .all(
                "SELECT breach_id FROM breach_people WHERE person_id = $1 ORDER BY breach_id",
                &[person_id.into()],
                |r| r.i64("breach_id"),
            )
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.breach(id).await?);
        }
        Ok(out)
    }

    /// Logs a breach, `open`, concerning `people`.
    pub async fn insert_breach(
        &mut self,
        b: &NewBreach,
        logged_by: i64,
        people: &[i64],
    ) -> Result<Breach> {
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
        self.person(logged_by).await?;
        let id = self.tx.insert(
            "INSERT INTO breaches (description, data_categories, approx_people, approx_records, likely_consequences, measures, contact_point, aware_at, logged_by, logged_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            &[b.description.clone().into(), b.data_categories.clone().into(), b.approx_people.into(), b.approx_records.into(),
              b.likely_consequences.clone().into(), b.measures.clone().into(), b.contact_point.clone().into(),
              to_us(b.aware_at).into(), logged_by.into(), now_us().into(), BreachState::Open.into()],
        ).await?;
        let mut people = people.to_vec();
        people.sort_unstable();
        people.dedup();
        for p in people {
            self.person(p).await?;
            self.tx
                .exec(
                    "INSERT INTO breach_people (breach_id, person_id) VALUES ($1, $2)",
                    &[id.into(), p.into()],
                )
                .await?;
        }
        self.breach(id).await
    }

    /// Records the decision on an `open` breach: notify the ICO or not, with reasons.
    pub async fn decide_breach(
        &mut self,
        id: i64,
        notify: bool,
        reason: &str,
        by: i64,
    ) -> Result<Breach> {
        check_text("reason", reason, LONG)?;
        let n = self.tx.exec(
            "UPDATE breaches SET status = $2, notify_ico = $3, decision_reason = $4, decided_by = $5, decided_at = $6 WHERE id = $1 AND status = $7",
            &[id.into(), BreachState::Decided.into(), notify.into(), reason.into(), by.into(), now_us().into(), BreachState::Open.into()],
        ).await?;
        Txn::changed(n, "breach", id)?;
        self.breach(id).await
    }

    /// Records when the ICO was told (once).
    pub async fn set_ico_notified(
        &mut self,
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
        let n = self.tx.exec(
            "UPDATE breaches SET ico_notified_at = $2, ico_reference = $3, late_reason = $4 WHERE id = $1 AND ico_notified_at IS NULL",
            &[id.into(), to_us(at).into(), reference.into(), late_reason.into()],
        ).await?;
        Txn::changed(n, "breach", id)?;
        self.breach(id).await
    }

    /// Records when and how the people affected were told (once).
    pub async fn set_people_told(&mut self, id: i64, at: Timestamp, how: &str) -> Result<Breach> {
        check_text("how", how, LONG)?;
        let n = self.tx.exec(
            "UPDATE breaches SET people_told_at = $2, people_told_how = $3 WHERE id = $1 AND people_told_at IS NULL",
            &[id.into(), to_us(at).into(), how.into()],
        ).await?;
        Txn::changed(n, "breach", id)?;
        self.breach(id).await
    }

    /// Closes a `decided` breach.
    pub async fn close_breach(&mut self, id: i64, by: i64) -> Result<Breach> {
        let n = self.tx.exec(
            "UPDATE breaches SET status = $2, closed_by = $3, closed_at = $4 WHERE id = $1 AND status = $5",
            &[id.into(), BreachState::Closed.into(), by.into(), now_us().into(), BreachState::Decided.into()],
        ).await?;
        Txn::changed(n, "breach", id)?;
        self.breach(id).await
    }

    // ---- data subject requests --------------------------------------------------------------

    /// One subject request.
    pub async fn subject_request(&mut self, id: i64) -> Result<SubjectRequest> {
        self.by_id(
            "SELECT * FROM subject_requests WHERE id = $1",
            "subject request",
            id,
            SubjectRequest::from_row,
        )
        .await
    }

    /// Every subject request, by id.
    pub async fn subject_requests(&mut self) -> Result<Vec<SubjectRequest>> {
        self.all(
            "SELECT * FROM subject_requests ORDER BY id",
            &[],
            SubjectRequest::from_row,
        )
        .await
    }

    /// A person's subject requests, by id.
    pub async fn subject_requests_of(&mut self, person_id: i64) -> Result<Vec<SubjectRequest>> {
        self.all(
            "SELECT * FROM subject_requests WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            SubjectRequest::from_row,
        )
        .await
    }

    /// Records a request, `open`.
    pub async fn insert_subject_request(&mut self, r: &NewRequest) -> Result<SubjectRequest> {
        check_text("requester", &r.requester, SHORT)?;
        if let Some(p) = r.person_id {
            self.person(p).await?;
        }
        let id = self.tx.insert(
            "INSERT INTO subject_requests (person_id, requester, kind, received_on, status, handled_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[r.person_id.into(), r.requester.trim().into(), r.kind.into(), r.received_on.to_string().into(), RequestStatus::Open.into(), r.handled_by.into(), now_us().into()],
        ).await?;
        self.subject_request(id).await
    }

    /// Stops the clock of an `open` request on `on`.
    pub async fn pause_subject_request(
        &mut self,
        id: i64,
        on: Date,
        reason: PauseReason,
    ) -> Result<SubjectRequest> {
        let n = self.tx.exec(
            "UPDATE subject_requests SET status = $2, paused_since = $3, pause_reason = $4 WHERE id = $1 AND status = $5",
            &[id.into(), RequestStatus::Paused.into(), on.to_string().into(), reason.into(), RequestStatus::Open.into()],
        ).await?;
        Txn::changed(n, "subject request", id)?;
        self.subject_request(id).await
    }

    /// Restarts the clock of a `paused` request, adding the days it stood still.
    pub async fn resume_subject_request(
        &mut self,
        id: i64,
        paused_days: i64,
    ) -> Result<SubjectRequest> {
        let n = self.tx.exec(
            "UPDATE subject_requests SET status = $2, paused_since = NULL, pause_reason = NULL, paused_days = paused_days + $3 WHERE id = $1 AND status = $4",
            &[id.into(), RequestStatus::Open.into(), paused_days.max(0).into(), RequestStatus::Paused.into()],
        ).await?;
        Txn::changed(n, "subject request", id)?;
        self.subject_request(id).await
    }

    /// Marks a request not yet extended as extended by two months.
    pub async fn extend_subject_request(
        &mut self,
        id: i64,
        reason: &str,
        notice_on: Date,
    ) -> Result<SubjectRequest> {
        check_text("reason", reason, LONG)?;
        let n = self.tx.exec(
            "UPDATE subject_requests SET extended = TRUE, extension_reason = $2, extension_notice_on = $3 WHERE id = $1 AND extended = FALSE",
            &[id.into(), reason.into(), notice_on.to_string().into()],
        ).await?;
        Txn::changed(n, "subject request", id)?;
        self.subject_request(id).await
    }

    /// Closes a request that is `from` as `to` (`completed` or `refused`) on `on`.
    pub async fn close_subject_request(
        &mut self,
        id: i64,
        from: RequestStatus,
        to: RequestStatus,
        on: Date,
        outcome: &str,
    ) -> Result<SubjectRequest> {
        check_text("outcome", outcome, LONG)?;
        let n = self.tx.exec(
            "UPDATE subject_requests SET status = $2, closed_on = $3, outcome = $4, paused_since = NULL WHERE id = $1 AND status = $5",
            &[id.into(), to.into(), on.to_string().into(), outcome.into(), from.into()],
        ).await?;
        Txn::changed(n, "subject request", id)?;
        self.subject_request(id).await
    }

    // ---- leavers ----------------------------------------------------------------------------

    /// One leaver checklist.
    pub async fn leaver(&mut self, id: i64) -> Result<Leaver> {
        self.by_id(
            "SELECT * FROM leavers WHERE id = $1",
            "leaver",
            id,
            Leaver::from_row,
        )
        .await
    }

    /// Every leaver checklist, by id.
    pub async fn leavers(&mut self) -> Result<Vec<Leaver>> {
        self.all("SELECT * FROM leavers ORDER BY id", &[], Leaver::from_row)
            .await
    }

    /// A person's leaver checklists, by id.
    pub async fn leavers_of(&mut self, person_id: i64) -> Result<Vec<Leaver>> {
        self.all(
            "SELECT * FROM leavers WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            Leaver::from_row,
        )
        .await
    }

    /// Opens a checklist and records the leaving date on the person. One open checklist per
    /// person: a second is [`Error::Duplicate`].
    pub async fn insert_leaver(
        &mut self,
        person_id: i64,
        leaving: Date,
        opened_by: i64,
    ) -> Result<Leaver> {
        let now = now_us();
        let id = self.tx.insert(
            "INSERT INTO leavers (person_id, leaving_date, opened_by, opened_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[person_id.into(), leaving.to_string().into(), opened_by.into(), now.into()],
        ).await.map_err(|e| if e.is_unique_violation() {
            Error::Duplicate { what: "open leaver checklist for person", value: person_id.to_string() }
        } else { e })?;
        self.tx
            .exec(
                "UPDATE people SET leaving_date = $2, updated_at = $3 WHERE id = $1",
                &[person_id.into(), leaving.to_string().into(), now.into()],
            )
            .await?;
        self.leaver(id).await
    }

    /// Ticks an item not yet ticked on an open checklist.
    pub async fn tick_leaver(&mut self, id: i64, item: LeaverItem, by: i64) -> Result<Leaver> {
        // INVARIANT: the column names come from LeaverItem's fixed words, never from input.
        let col = item.as_str();
        let n = self
            .tx
            .exec_dyn(
                format!("UPDATE leavers SET {col}_by = $2, {col}_at = $3 WHERE id = $1 AND {col}_at IS NULL AND closed_at IS NULL"),
                &[id.into(), by.into(), now_us().into()],
            )
            .await?;
        Txn::changed(n, "leaver", id)?;
        self.leaver(id).await
    }

    /// Closes an open checklist.
    pub async fn close_leaver(&mut self, id: i64, by: i64) -> Result<Leaver> {
        let n = self
            .tx
            .exec(
                "UPDATE leavers SET closed_by = $2, closed_at = $3 WHERE id = $1 AND closed_at IS NULL",
                &[id.into(), by.into(), now_us().into()],
            )
            .await?;
        Txn::changed(n, "leaver", id)?;
        self.leaver(id).await
    }
}
