//! General authorisation requests: what the seed policies say needs someone's say-so before
//! it is done (a website's terms, a new social media account, a mass mailing, third-party
//! hardware, out-of-hours VPN). Typed rows only; who may decide is `charter-app`'s.

use serde::Serialize;

use crate::db::Row;
use crate::error::{Result, check_text};
use crate::model::{ApprovalStatus, AuthorisationKind, word};
use crate::registers::LONG;
use crate::time::{now_us, show_us};
use crate::txn::Txn;

/// One general authorisation request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Authorisation {
    /// Id.
    pub id: i64,
    /// Who asked.
    pub person_id: i64,
    /// What for.
    pub kind: AuthorisationKind,
    /// What exactly (the site, the account, the mailing, the device, the hours).
    pub details: String,
    /// `requested`, `approved` or `refused`.
    pub status: ApprovalStatus,
    /// When asked.
    pub requested_at: String,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
    /// The decider's reason.
    pub decision_reason: Option<String>,
}

impl Authorisation {
    fn from_row(r: &Row) -> Result<Authorisation> {
        Ok(Authorisation {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            kind: word(r, "kind")?,
            details: r.text("details")?,
            status: word(r, "status")?,
            requested_at: show_us(r.i64("requested_at")?),
            decided_by: r.opt_i64("decided_by")?,
            decided_at: r.opt_i64("decided_at")?.map(show_us),
            decision_reason: r.opt_text("decision_reason")?,
        })
    }
}

impl Txn {
    /// One authorisation request.
    pub async fn authorisation(&mut self, id: i64) -> Result<Authorisation> {
        self.by_id(
            "SELECT * FROM authorisations WHERE id = $1",
            "authorisation",
            id,
            Authorisation::from_row,
        )
        .await
    }

    /// Every authorisation request, by id.
    pub async fn authorisations(&mut self) -> Result<Vec<Authorisation>> {
        self.all(
            "SELECT * FROM authorisations ORDER BY id",
            &[],
            Authorisation::from_row,
        )
        .await
    }

    /// The requests of `person_id`, by id.
    pub async fn authorisations_of(&mut self, person_id: i64) -> Result<Vec<Authorisation>> {
        self.all(
            "SELECT * FROM authorisations WHERE person_id = $1 ORDER BY id",
            &[person_id.into()],
            Authorisation::from_row,
        )
        .await
    }

    /// Records a request, `requested`.
    pub async fn insert_authorisation(
        &mut self,
        person_id: i64,
        kind: AuthorisationKind,
        details: &str,
    ) -> Result<Authorisation> {
        check_text("details", details, LONG)?;
        self.person(person_id).await?;
        let id = self
            .tx
            .insert(
                "INSERT INTO authorisations (person_id, kind, details, status, requested_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[person_id.into(), kind.into(), details.into(), ApprovalStatus::Requested.into(), now_us().into()],
            )
            .await?;
        self.authorisation(id).await
    }

    /// Decides a request still `requested`.
    pub async fn decide_authorisation(
        &mut self,
        id: i64,
        by: i64,
        approve: bool,
        reason: &str,
    ) -> Result<Authorisation> {
        crate::error::check_len("reason", reason, LONG)?;
        let status = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Refused
        };
        let n = self
            .tx
            .exec(
                "UPDATE authorisations SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 WHERE id = $1 AND status = $6",
                &[id.into(), status.into(), by.into(), now_us().into(), reason.into(), ApprovalStatus::Requested.into()],
            )
            .await?;
        Txn::changed(n, "authorisation", id)?;
        self.authorisation(id).await
    }
}
