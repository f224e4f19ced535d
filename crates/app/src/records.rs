//! Reading monitoring records and keeping them no longer than the pack says. Reading one
//! person's records needs the compliance role and a reason, which the audit row keeps; the
//! person is told (a notice in their self-service) unless the reason is a confidential
//! investigation (IMPRESS: "will endeavour to inform an affected employee when this is to
//! happen and the reasons for it").

use jiff::Timestamp;
use serde_json::json;

use charter_store::{Actor, PurgeReport, Record, RecordFilter, retention_cutoff};

use crate::App;
use crate::act::{Done, May, authorise};
use crate::clock::local_time;
use crate::error::{Error, Result};

/// Why and what to read of one person's monitoring records.
#[derive(Debug, Clone, Default)]
pub struct RecordView {
    /// Why they are read (IMPRESS's valid reasons: absence, suspected offensive or illegal
    /// material, excessive personal use, conduct detrimental to the organisation).
    pub reason: String,
    /// A confidential investigation: the person is not told.
    pub confidential: bool,
    /// From (inclusive).
    pub since: Option<Timestamp>,
    /// Until (exclusive).
    pub until: Option<Timestamp>,
    /// At most this many, newest first (default 1,000).
    pub limit: Option<i64>,
    /// Only records with a verdict other than `allow`.
    pub flagged_only: bool,
}

/// Longest reason kept.
const MAX_REASON: usize = 2_000;

impl App {
    /// Reads `person_id`'s monitoring records for the reason given (the compliance roles
    /// and the auditor). The audit row names the
    /// reader, the person, the reason and whether it is confidential; unless it is, the
    /// person gets a notice saying who looked, when and why.
    pub async fn view_records(
        &self,
        actor: &Actor,
        person_id: i64,
        view: RecordView,
    ) -> Result<Vec<Record>> {
        let reason = view.reason.trim();
        if reason.is_empty() {
            return Err(Error::Refused(
                "reading someone's monitoring records needs a reason, which the audit row keeps (give --reason)".into(),
            ));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(Error::Refused(format!(
                "the reason is too long (at most {MAX_REASON} characters)"
            )));
        }
        let roles = self.record_readers();
        let tz = self.time_zone().clone();
        self.act(actor, "read monitoring records", May::Roles(&roles), async |tx, reader| {
            let subject = tx.person(person_id).await?;
            let filter = RecordFilter {
                since: view.since,
                until: view.until,
                limit: view.limit,
                flagged_only: view.flagged_only,
                ..RecordFilter::default()
            };
            // The store logs the view itself (records.view, with the purpose); the notice
            // points at that row.
            let purpose = json!({"reason": reason, "confidential": view.confidential});
            let (records, seq) = tx.view_records_of(actor, person_id, filter, purpose).await?;
            if !view.confidential {
                let by = reader.person.as_ref().map_or_else(|| actor.to_string(), |p| p.full_name());
                let text = format!(
                    "Your monitoring records were looked at on {} by {by}. The reason given: {reason}",
                    local_time(Timestamp::now(), &tz)
                );
                tx.insert_notice(subject.id, &text, Some(seq)).await?;
            }
            Ok(Done::many(records, Vec::new()))
        })
        .await
    }

    /// Deletes the monitoring records older than the pack's retention period at `now`, and
    /// logs it; `None` when the pack keeps records until purged by hand. The retention job
    /// (a system actor) or a data protection role may.
    pub async fn purge_expired(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Option<PurgeReport>> {
        let Some(months) = self.pack().monitoring.retention_months else {
            return Ok(None);
        };
        self.purge_before(actor, retention_cutoff(now, months))
            .await
            .map(Some)
    }

    /// Deletes the monitoring records older than `cutoff`, and logs it.
    pub async fn purge_before(&self, actor: &Actor, cutoff: Timestamp) -> Result<PurgeReport> {
        let roles = self.governance().data_protection_roles.clone();
        // The purge is its own transaction (a bulk delete); who may do it is checked first.
        self.read(async |tx| {
            authorise(
                tx,
                actor,
                "purge monitoring records",
                May::OperatorOr(&roles),
            )
            .await
            .map(|_| ())
        })
        .await?;
        Ok(self.store.purge_records(actor, cutoff).await?)
    }

    /// A person's notices, oldest first.
    pub async fn notices_of(&self, person_id: i64) -> Result<Vec<charter_store::Notice>> {
        self.read(async |tx| {
            tx.person(person_id).await?;
            Ok(tx.notices_of(person_id).await?)
        })
        .await
    }
}

impl App {
    /// Walks the audit chain and reports every row that was edited, deleted or moved.
    pub async fn audit_verify(&self) -> Result<charter_store::VerifyReport> {
        Ok(self.store.audit_verify().await?)
    }

    /// The audit rows, oldest first, from `from_seq` on, at most `limit`.
    pub async fn audit_rows(
        &self,
        from_seq: i64,
        limit: i64,
    ) -> Result<Vec<charter_store::AuditRow>> {
        Ok(self.store.audit_rows(from_seq, limit).await?)
    }
}
