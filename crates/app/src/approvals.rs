//! Warn and hold on the web (DESIGN section 7): a person continues past a warning, or asks
//! for access to a site a `hold` rule holds; the pack's access approvers decide, never on
//! their own request. What is approved is in force for its period, and the gateways put it in
//! the engine's context ([`charter_store::Store::passes_in_force`]).

use jiff::{SignedDuration, Timestamp, ToSpan as _};
use serde::Serialize;
use serde_json::json;

use charter_policy::Verdict;
use charter_store::{Actor, Approval, ApprovalKind, ApprovalStatus, NewApproval, Txn};

use crate::App;
use crate::act::{Done, May, entry};
use crate::error::{Error, Result};
use crate::names::Names;

/// How long an approval lasts when the approver names no end.
pub const DEFAULT_APPROVAL: SignedDuration = SignedDuration::from_hours(7 * 24);

/// What a person was stopped by, as the page that stopped them knows it.
#[derive(Debug, Clone, Copy)]
pub struct Stopped<'a> {
    /// The site (registrable host).
    pub site: &'a str,
    /// The rule's id.
    pub rule: &'a str,
    /// The address they were going to, when known.
    pub url: Option<&'a str>,
}

/// An approval as a person reads it: its status at the time asked about (an approval whose
/// period is over reads `expired`), and the names.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView {
    /// The row.
    #[serde(flatten)]
    pub approval: Approval,
    /// Where it stands now.
    pub now: ApprovalStatus,
    /// Whose, by name.
    pub person_name: String,
}

impl App {
    /// The rule `rule` of the pack, if it is a web rule whose action is `action`.
    fn web_rule_with(&self, rule: &str, action: Verdict, what: &str) -> Result<()> {
        match self.pack().rule(rule) {
            Some(r) if r.action == action => Ok(()),
            Some(r) => Err(Error::Refused(format!(
                "rule `{rule}` is a {} rule, not a {action} rule: nothing to {what}",
                r.action
            ))),
            None => Err(Error::Refused(format!("the pack has no rule `{rule}`"))),
        }
    }

    /// When a pass for continuing past a warning at `at` ends: at the next time window edge
    /// (the rest of the window), and at the latest at the end of that local day.
    pub fn continue_until(&self, at: Timestamp) -> Timestamp {
        let tz = self.time_zone();
        let end_of_day = at
            .to_zoned_datetime(tz.clone())
            .date()
            .checked_add(1.day())
            .ok()
            .and_then(|d| d.to_zoned_datetime(tz.clone()).ok())
            .map(|z| z.timestamp());
        match (self.engine().valid_until(at), end_of_day) {
            (Some(edge), Some(day)) => edge.min(day),
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => at,
        }
    }

    /// The person continues past the warning of `stopped.rule` on `stopped.site` at `at`:
    /// recorded, and in force for the rest of the window ([`App::continue_until`]).
    pub async fn continue_after_warning(
        &self,
        actor: &Actor,
        stopped: Stopped<'_>,
        at: Timestamp,
    ) -> Result<Approval> {
        self.web_rule_with(stopped.rule, Verdict::Warn, "continue past")?;
        let until = self.continue_until(at);
        self.act(
            actor,
            "continue past a warning",
            May::AnyPerson,
            async |tx, who| {
                let person = who.person("continue past a warning")?;
                let new = new_approval(person.id, ApprovalKind::Continue, stopped, "");
                let a = tx.insert_approval(&new, Some((at, until))).await?;
                Ok(Done::new(
                    a.clone(),
                    entry(
                        "approval.continue",
                        "approval",
                        a.id,
                        person.id,
                        json!({"site": a.site, "rule": a.rule, "url": a.url, "until": a.valid_until}),
                    ),
                ))
            },
        )
        .await
    }

    /// The person asks for access to `stopped.site`, held by `stopped.rule`; the request goes
    /// to the access approvers. Asking again while a request waits returns that request.
    pub async fn ask_for_access(
        &self,
        actor: &Actor,
        stopped: Stopped<'_>,
        reason: &str,
    ) -> Result<Approval> {
        self.web_rule_with(stopped.rule, Verdict::Hold, "ask access for")?;
        self.act(actor, "ask for access", May::AnyPerson, async |tx, who| {
            let person = who.person("ask for access")?;
            if let Some(waiting) = waiting(tx, person.id, stopped).await? {
                return Ok(Done::many(waiting, Vec::new()));
            }
            let new = new_approval(person.id, ApprovalKind::Access, stopped, reason);
            let a = tx.insert_approval(&new, None).await?;
            Ok(Done::new(
                a.clone(),
                entry(
                    "approval.request",
                    "approval",
                    a.id,
                    person.id,
                    json!({"site": a.site, "rule": a.rule, "url": a.url}),
                ),
            ))
        })
        .await
    }

    /// An access approver approves request `id` from `at` until `until` (default: a week),
    /// or refuses it (`until` is then ignored). Nobody decides their own request.
    pub async fn decide_access(
        &self,
        actor: &Actor,
        id: i64,
        approve: bool,
        reason: &str,
        at: Timestamp,
        until: Option<Timestamp>,
    ) -> Result<Approval> {
        let until = match until {
            Some(u) if u <= at => {
                return Err(Error::Refused(format!(
                    "an approval must end after it begins ({at}); {u} is not later"
                )));
            }
            Some(u) => u,
            None => at.saturating_add(DEFAULT_APPROVAL).unwrap_or(at),
        };
        let approvers = self.governance().access_approvers.clone();
        self.act(
            actor,
            "decide access requests",
            May::Roles(&approvers),
            async |tx, who| {
                let a = tx.approval(id).await?;
                if a.kind != ApprovalKind::Access || a.status != ApprovalStatus::Requested {
                    return Err(Error::state(
                        format!("approval {id} ({} on {})", a.rule, a.site),
                        a.status,
                        "decide it",
                    ));
                }
                let approver = who.person("decide access requests")?;
                if a.person_id == approver.id {
                    return Err(Error::Refused(format!(
                        "{} may not decide their own access request",
                        approver.label()
                    )));
                }
                let in_force = approve.then_some((at, until));
                let a = tx.decide_approval(id, approver.id, reason, in_force).await?;
                Ok(Done::new(
                    a.clone(),
                    entry(
                        "approval.decide",
                        "approval",
                        id,
                        a.person_id,
                        json!({"site": a.site, "rule": a.rule, "status": a.status, "reason": reason, "until": a.valid_until}),
                    ),
                ))
            },
        )
        .await
    }

    /// Every approval with where it stands at `at`, by id.
    pub async fn approvals(&self, at: Timestamp) -> Result<Vec<ApprovalView>> {
        let names = self.names().await?;
        let all = self.read(async |tx| Ok(tx.approvals().await?)).await?;
        Ok(all
            .into_iter()
            .map(|a| approval_view(a, &names, at))
            .collect())
    }

    /// The active person whose active account (proxy login) is `user`.
    pub async fn person_for_login(&self, user: &str) -> Result<i64> {
        self.read(async |tx| tx.person_by_account(user).await.map_err(Error::from))
            .await?
            .ok_or_else(|| Error::NoSuchPerson(user.to_string()))
    }
}

/// An approval with where it stands at `at`.
pub(crate) fn approval_view(a: Approval, names: &Names, at: Timestamp) -> ApprovalView {
    ApprovalView {
        now: match a.status {
            ApprovalStatus::Approved if !a.in_force_at(at) => ApprovalStatus::Expired,
            s => s,
        },
        person_name: names.name(a.person_id).to_string(),
        approval: a,
    }
}

fn new_approval<'a>(
    person_id: i64,
    kind: ApprovalKind,
    stopped: Stopped<'a>,
    reason: &'a str,
) -> NewApproval<'a> {
    NewApproval {
        person_id,
        kind,
        site: stopped.site,
        rule: stopped.rule,
        url: stopped.url,
        reason,
    }
}

/// The request of `person_id` for this site and rule still waiting, if any.
async fn waiting(tx: &mut Txn, person_id: i64, stopped: Stopped<'_>) -> Result<Option<Approval>> {
    Ok(tx.approvals().await?.into_iter().find(|a| {
        a.person_id == person_id
            && a.kind == ApprovalKind::Access
            && a.status == ApprovalStatus::Requested
            && a.site == stopped.site
            && a.rule == stopped.rule
    }))
}
