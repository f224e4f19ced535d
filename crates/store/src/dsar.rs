//! Typed storage for subject access and erasure: everything held about one person, read in
//! one transaction, and the deletes an erasure is made of. What an erasure may remove and
//! what the law keeps is `charter-app`'s.

use crate::audit::{self, Actor, AuditRow};
use crate::error::Result;
use crate::model::*;
use crate::records::{self, Record, RecordFilter};
use crate::txn::{AuditEntry, Txn};

/// Most monitoring records one subject access view reads.
const ALL_RECORDS: i64 = 1_000_000;

/// How many rows about one person each register holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Accounts.
    pub accounts: u64,
    /// Policy acknowledgements.
    pub acknowledgements: u64,
    /// Incidents they reported.
    pub incidents: u64,
    /// Breach log entries that concern them.
    pub breaches: u64,
    /// Their subject requests.
    pub subject_requests: u64,
    /// Their leaver checklists.
    pub leavers: u64,
    /// Audit rows about them.
    pub audit: u64,
    /// Decisions they made for others: software decided, media authorised, incidents
    /// closed, breaches decided, leaver items ticked, checklists opened.
    pub decisions_made: u64,
}

impl Txn {
    /// The account names a person's monitoring records may be under: each account's name and,
    /// for addresses, the local part too (mail gateways log the whole address, proxies often
    /// the local part).
    pub async fn record_names(&mut self, person_id: i64) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .accounts_of(person_id)
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        let locals: Vec<String> = names
            .iter()
            .filter_map(|n| n.split_once('@').map(|(l, _)| l.to_string()))
            .collect();
        names.extend(locals);
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Reads a person's monitoring records (under [`record_names`](Txn::record_names)) and
    /// logs the view, with `purpose`, in the audit chain. Returns the records and the view's
    /// audit row.
    pub async fn view_records_of(
        &mut self,
        viewer: &Actor,
        person_id: i64,
        filter: RecordFilter,
        purpose: serde_json::Value,
    ) -> Result<(Vec<Record>, i64)> {
        let users = self.record_names(person_id).await?;
        if users.is_empty() {
            // No account, so no records; an empty filter would read everyone's. The look is
            // still logged.
            let seq = self
                .audit(
                    viewer,
                    AuditEntry {
                        action: "records.view",
                        entity: "decisions",
                        entity_id: None,
                        person_id: Some(person_id),
                        detail: serde_json::json!({"users": [], "purpose": purpose, "count": 0}),
                    },
                )
                .await?;
            return Ok((Vec::new(), seq));
        }
        let filter = RecordFilter { users, ..filter };
        records::view(&mut self.tx, viewer, &filter, Some(person_id), purpose).await
    }

    /// Every monitoring record of a person, for subject access; the view is logged.
    pub async fn all_records_of(
        &mut self,
        viewer: &Actor,
        person_id: i64,
        purpose: serde_json::Value,
    ) -> Result<Vec<Record>> {
        let filter = RecordFilter {
            limit: Some(ALL_RECORDS),
            ..RecordFilter::default()
        };
        Ok(self
            .view_records_of(viewer, person_id, filter, purpose)
            .await?
            .0)
    }

    /// Official social media accounts a person owns, keeps the credentials of or may post from.
    pub async fn socials_of(&mut self, person_id: i64) -> Result<Vec<SocialAccount>> {
        Ok(self
            .socials()
            .await?
            .into_iter()
            .filter(|s| {
                s.owner_id == person_id
                    || s.custodian_id == person_id
                    || s.authorised_users.contains(&person_id)
            })
            .collect())
    }

    /// The audit rows about a person, in order.
    pub async fn audit_about(&mut self, person_id: i64) -> Result<Vec<AuditRow>> {
        self.all(
            "SELECT * FROM audit WHERE person_id = $1 ORDER BY seq",
            &[person_id.into()],
            audit::audit_row,
        )
        .await
    }

    /// How many rows about a person each register holds.
    pub async fn holdings(&mut self, person_id: i64) -> Result<Holdings> {
        let mut count = async |sql: &'static str| -> Result<u64> {
            let n = self.tx.one(sql, &[person_id.into()]).await?.i64("n")?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(Holdings {
            accounts: count("SELECT COUNT(*) AS n FROM accounts WHERE person_id = $1").await?,
            acknowledgements: count("SELECT COUNT(*) AS n FROM acknowledgements WHERE person_id = $1").await?,
            incidents: count("SELECT COUNT(*) AS n FROM incidents WHERE reported_by = $1").await?,
            breaches: count("SELECT COUNT(*) AS n FROM breach_people WHERE person_id = $1").await?,
            subject_requests: count("SELECT COUNT(*) AS n FROM subject_requests WHERE person_id = $1").await?,
            leavers: count("SELECT COUNT(*) AS n FROM leavers WHERE person_id = $1").await?,
            audit: count("SELECT COUNT(*) AS n FROM audit WHERE person_id = $1").await?,
            decisions_made: count(
                "SELECT (SELECT COUNT(*) FROM software_requests WHERE decided_by = $1 AND person_id <> $1) \
                 + (SELECT COUNT(*) FROM media_authorisations WHERE authorised_by = $1 AND person_id <> $1) \
                 + (SELECT COUNT(*) FROM incidents WHERE closed_by = $1 AND reported_by <> $1) \
                 + (SELECT COUNT(*) FROM breaches WHERE decided_by = $1 OR closed_by = $1 OR logged_by = $1) \
                 + (SELECT COUNT(*) FROM leavers WHERE person_id <> $1 AND (opened_by = $1 OR closed_by = $1 OR equipment_returned_by = $1 \
                    OR credentials_handed_over_by = $1 OR accounts_disabled_by = $1 OR social_handed_over_by = $1)) AS n",
            )
            .await?,
        })
    }

    /// How many monitoring records a person has (under [`record_names`](Txn::record_names)).
    pub async fn count_records_of(&mut self, person_id: i64) -> Result<u64> {
        let mut n = 0;
        for name in self.record_names(person_id).await? {
            let c = self
                .tx
                .one(
                    "SELECT COUNT(*) AS n FROM decisions WHERE user_name = $1",
                    &[name.into()],
                )
                .await?
                .i64("n")?;
            n += u64::try_from(c).unwrap_or(0);
        }
        Ok(n)
    }

    /// Deletes a person's monitoring records, and the personal-use figures and marks made
    /// from them; returns how many records.
    pub async fn delete_records_of(&mut self, person_id: i64) -> Result<u64> {
        let mut n = 0;
        for name in self.record_names(person_id).await? {
            n += self
                .tx
                .exec(
                    "DELETE FROM decisions WHERE user_name = $1",
                    &[name.as_str().into()],
                )
                .await?;
            self.tx
                .exec(
                    "DELETE FROM usage_daily WHERE person = $1",
                    &[name.as_str().into()],
                )
                .await?;
            self.tx
                .exec("DELETE FROM usage_marks WHERE person = $1", &[name.into()])
                .await?;
        }
        Ok(n)
    }

    /// Deletes the software requests a person made that are in `status`.
    pub async fn delete_software_requests_of(
        &mut self,
        person_id: i64,
        status: SoftwareStatus,
    ) -> Result<u64> {
        self.tx
            .exec(
                "DELETE FROM software_requests WHERE person_id = $1 AND status = $2",
                &[person_id.into(), status.into()],
            )
            .await
    }

    /// Deletes a person's removable-media authorisations.
    pub async fn delete_media_of(&mut self, person_id: i64) -> Result<u64> {
        self.tx
            .exec(
                "DELETE FROM media_authorisations WHERE person_id = $1",
                &[person_id.into()],
            )
            .await
    }

    /// Deletes the notices left for a person.
    pub async fn delete_notices_of(&mut self, person_id: i64) -> Result<u64> {
        self.tx
            .exec(
                "DELETE FROM notices WHERE person_id = $1",
                &[person_id.into()],
            )
            .await
    }
}
