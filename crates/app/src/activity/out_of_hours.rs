//! Express permission for remote access outside the agreed hours (ITEC 4: "Access outside of
//! work hours without express permission is prohibited"): a person asks, the pack's access
//! approvers decide ([`App::decide_access`]), and while the approval is in force the
//! `access_outside_hours` rule does not fire for them. The request is an `access` approval
//! whose site is [`OUT_OF_HOURS_SITE`], so it shares the approvals table, its listing and its
//! decisions with access to held web sites.

use jiff::Timestamp;
use serde_json::json;

use charter_policy::{Area, Check};
use charter_store::{Actor, Approval, ApprovalKind, ApprovalStatus, NewApproval, Txn};

use crate::App;
use crate::act::{Done, May, entry};
use crate::error::{Error, Result};

/// The site an out-of-hours approval names: not a host, so no web request matches it.
pub const OUT_OF_HOURS_SITE: &str = "remote-access-out-of-hours";

/// Whether `person_id` holds an out-of-hours approval in force at `at`.
pub(super) async fn in_force(tx: &mut Txn, person_id: i64, at: Timestamp) -> Result<bool> {
    Ok(tx
        .approvals_for(person_id, OUT_OF_HOURS_SITE)
        .await?
        .iter()
        .any(|a| a.kind == ApprovalKind::Access && a.in_force_at(at) && begun(a, at)))
}

/// Whether approval `a`'s period has begun by `at` (a sign-in before it is not covered).
pub(super) fn begun(a: &Approval, at: Timestamp) -> bool {
    a.valid_from
        .as_deref()
        .and_then(|f| f.parse::<Timestamp>().ok())
        .is_none_or(|f| f <= at)
}

impl App {
    /// The pack's rule that checks `access_outside_hours`, which an out-of-hours approval lifts.
    fn out_of_hours_rule(&self) -> Result<String> {
        self.pack()
            .rules
            .iter()
            .find(|r| r.on == Area::Activity && r.checks.contains(&Check::AccessOutsideHours))
            .map(|r| r.id.clone())
            .ok_or_else(|| {
                Error::Refused("the pack has no rule limiting remote access to agreed hours: nothing to ask permission for".into())
            })
    }

    /// The person asks for permission to connect remotely outside the agreed hours; the
    /// request goes to the access approvers, who decide it with [`App::decide_access`] and
    /// give its period. Asking again while a request waits returns that request.
    pub async fn ask_out_of_hours(&self, actor: &Actor, reason: &str) -> Result<Approval> {
        let rule = self.out_of_hours_rule()?;
        self.act(
            actor,
            "ask for out-of-hours access",
            May::AnyPerson,
            async |tx, who| {
                let person = who.person("ask for out-of-hours access")?;
                if let Some(waiting) = tx.approvals().await?.into_iter().find(|a| {
                    a.person_id == person.id
                        && a.site == OUT_OF_HOURS_SITE
                        && a.status == ApprovalStatus::Requested
                }) {
                    return Ok(Done::many(waiting, Vec::new()));
                }
                let new = NewApproval {
                    person_id: person.id,
                    kind: ApprovalKind::Access,
                    site: OUT_OF_HOURS_SITE,
                    rule: &rule,
                    url: None,
                    reason,
                };
                let a = tx.insert_approval(&new, None).await?;
                Ok(Done::new(
                    a.clone(),
                    entry(
                        "approval.request",
                        "approval",
                        a.id,
                        person.id,
                        json!({"site": a.site, "rule": a.rule}),
                    ),
                ))
            },
        )
        .await
    }
}
