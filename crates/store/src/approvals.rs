//! Authorisation requests and what is in force: access to a site a `hold` rule holds, asked
//! for and decided, and warnings continued past. The rules (who may decide, for how long) are
//! `charter-app`'s; the gateways read [`Store::passes_in_force`].

use jiff::Timestamp;
use serde::Serialize;

use crate::Store;
use crate::db::Row;
use crate::error::{Result, check_text};
use crate::model::{ApprovalKind, ApprovalStatus, word};
use crate::registers::{LONG, SHORT};
use crate::time::{now_us, show_us, to_us};
use crate::txn::Txn;

/// A new request, or a warning continued past.
#[derive(Debug, Clone)]
pub struct NewApproval<'a> {
    /// Whose.
    pub person_id: i64,
    /// Access request or continue.
    pub kind: ApprovalKind,
    /// The site (registrable host).
    pub site: &'a str,
    /// The rule that held or warned.
    pub rule: &'a str,
    /// The address they were going to, when known.
    pub url: Option<&'a str>,
    /// Why they need it (may be empty).
    pub reason: &'a str,
}

/// One authorisation request, or a warning continued past.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Approval {
    /// Id.
    pub id: i64,
    /// Whose.
    pub person_id: i64,
    /// Access request or continue.
    pub kind: ApprovalKind,
    /// The site (registrable host).
    pub site: String,
    /// The rule.
    pub rule: String,
    /// The address they were going to.
    pub url: Option<String>,
    /// Why they asked.
    pub reason: String,
    /// Where it stands.
    pub status: ApprovalStatus,
    /// When asked.
    pub requested_at: String,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
    /// The decider's reason.
    pub decision_reason: Option<String>,
    /// In force from.
    pub valid_from: Option<String>,
    /// In force until.
    pub valid_until: Option<String>,
    /// In force until, in microseconds (for comparing).
    #[serde(skip)]
    pub valid_until_us: Option<i64>,
}

impl Approval {
    fn from_row(r: &Row) -> Result<Approval> {
        let valid_until_us = r.opt_i64("valid_until")?;
        Ok(Approval {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            kind: word(r, "kind")?,
            site: r.text("site")?,
            rule: r.text("rule")?,
            url: r.opt_text("url")?,
            reason: r.text("reason")?,
            status: word(r, "status")?,
            requested_at: show_us(r.i64("requested_at")?),
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?.map(show_us),
            decision_reason: r.opt_text("decision_reason")?,
            valid_from: r.opt_i64("valid_from")?.map(show_us),
            valid_until: valid_until_us.map(show_us),
            valid_until_us,
        })
    }

    /// Whether it is approved and its period holds at `at`.
    pub fn in_force_at(&self, at: Timestamp) -> bool {
        self.status == ApprovalStatus::Approved
            && self.valid_until_us.is_some_and(|u| u > to_us(at))
    }
}

/// One pass in force under one account name, as the gateways key them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRow {
    /// The account name (proxy login) the person uses.
    pub user: String,
    /// The approval's id.
    pub id: i64,
    /// Access or continue.
    pub kind: ApprovalKind,
    /// The site.
    pub site: String,
    /// The rule.
    pub rule: String,
    /// Until when.
    pub until: Timestamp,
}

impl Txn {
    /// One approval.
    pub async fn approval(&mut self, id: i64) -> Result<Approval> {
        self.by_id(
            "SELECT * FROM approvals WHERE id = $1",
            "approval",
            id,
            Approval::from_row,
        )
        .await
    }

    /// Every approval, by id.
    pub async fn approvals(&mut self) -> Result<Vec<Approval>> {
        self.all(
            "SELECT * FROM approvals ORDER BY id",
            &[],
            Approval::from_row,
        )
        .await
    }

    /// The approvals of `person_id` for `site`, by id.
    pub async fn approvals_for(&mut self, person_id: i64, site: &str) -> Result<Vec<Approval>> {
        self.all(
            "SELECT * FROM approvals WHERE person_id = $1 AND site = $2 ORDER BY id",
            &[person_id.into(), site.into()],
            Approval::from_row,
        )
        .await
    }

    /// Records a request (`requested`), or a warning continued past: then it is approved by
    /// the person themselves at once, from `from` until `until`.
    pub async fn insert_approval(
        &mut self,
        a: &NewApproval<'_>,
        in_force: Option<(Timestamp, Timestamp)>,
    ) -> Result<Approval> {
        check_text("site", a.site, SHORT)?;
        check_text("rule", a.rule, SHORT)?;
        if let Some(url) = a.url {
            crate::error::check_len("url", url, LONG)?;
        }
        crate::error::check_len("reason", a.reason, LONG)?;
        self.person(a.person_id).await?;
        let now = now_us();
        let (status, decided_by, decided_at, from, until) = match in_force {
            Some((from, until)) => (
                ApprovalStatus::Approved,
                Some(a.person_id),
                Some(now),
                Some(to_us(from)),
                Some(to_us(until)),
            ),
            None => (ApprovalStatus::Requested, None, None, None, None),
        };
        let id = self.tx
            .insert(
                "INSERT INTO approvals (person_id, kind, site, rule, url, reason, status, requested_at, decided_by, decided_at, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                &[a.person_id.into(), a.kind.into(), a.site.into(), a.rule.into(), a.url.into(), a.reason.into(), status.into(), now.into(), decided_by.into(), decided_at.into(), from.into(), until.into()],
            )
            .await?;
        self.approval(id).await
    }

    /// Decides a request still `requested`: approved from `from` until `until`, or refused
    /// (`in_force` is `None`).
    pub async fn decide_approval(
        &mut self,
        id: i64,
        by: i64,
        reason: &str,
        in_force: Option<(Timestamp, Timestamp)>,
    ) -> Result<Approval> {
        crate::error::check_len("reason", reason, LONG)?;
        let (status, from, until) = match in_force {
            Some((from, until)) => (
                ApprovalStatus::Approved,
                Some(to_us(from)),
                Some(to_us(until)),
            ),
            None => (ApprovalStatus::Refused, None, None),
        };
        let n = self.tx
            .exec(
                "UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5, valid_from = $6, valid_until = $7 WHERE id = $1 AND status = $8",
                &[id.into(), status.into(), by.into(), now_us().into(), reason.into(), from.into(), until.into(), ApprovalStatus::Requested.into()],
            )
            .await?;
        Txn::changed(n, "approval", id)?;
        self.approval(id).await
    }

    /// Marks approvals whose period ended before `at` as expired; how many.
    pub async fn expire_approvals(&mut self, at: Timestamp) -> Result<u64> {
        self.tx
            .exec(
                "UPDATE approvals SET status = $1 WHERE status = $2 AND valid_until <= $3",
                &[
                    ApprovalStatus::Expired.into(),
                    ApprovalStatus::Approved.into(),
                    to_us(at).into(),
                ],
            )
            .await
    }

    /// Every pass in force at `at`, under each active account name of its person.
    pub async fn passes_in_force(&mut self, at: Timestamp) -> Result<Vec<PassRow>> {
        let at = to_us(at);
        self.all(
            "SELECT a.name AS user_name, p.id, p.kind, p.site, p.rule, p.valid_until FROM approvals p JOIN accounts a ON a.person_id = p.person_id WHERE p.status = $1 AND a.status = 'active' AND p.valid_from <= $2 AND p.valid_until > $2 ORDER BY p.id",
            &[ApprovalStatus::Approved.into(), at.into()],
            |r| {
                Ok(PassRow {
                    user: r.text("user_name")?,
                    id: r.i64("id")?,
                    kind: word(r, "kind")?,
                    site: r.text("site")?,
                    rule: r.text("rule")?,
                    until: crate::time::from_us(r.i64("valid_until")?),
                })
            },
        )
        .await
    }

    /// The active person with the active account `name` (a proxy login), if any.
    pub async fn person_by_account(&mut self, name: &str) -> Result<Option<i64>> {
        let rows = self
            .tx
            .rows(
                "SELECT a.person_id FROM accounts a JOIN people p ON p.id = a.person_id WHERE a.name = $1 AND a.status = 'active' AND p.status = 'active' ORDER BY a.id",
                &[name.into()],
            )
            .await?;
        rows.first().map(|r| r.i64("person_id")).transpose()
    }
}

impl Store {
    /// Every pass in force at `at` (see [`Txn::passes_in_force`]), in one read.
    pub async fn passes_in_force(&self, at: Timestamp) -> Result<Vec<PassRow>> {
        let mut tx = self.begin().await?;
        let out = tx.passes_in_force(at).await?;
        tx.commit().await?;
        Ok(out)
    }
}
