//! What each person may read on the dashboard, decided here so that the HTTP API only maps
//! the signed-in person to an [`Actor`]. DESIGN section 1: the data protection and compliance
//! roles see the breach log and subject requests; register keepers, data protection and
//! compliance see the people register; access approvers see the access requests waiting for
//! them (never their own); everyone sees their own acknowledgements; alerts are triaged by
//! the routes they name (`alerts::triage`); the auditor reads what every one of those reads,
//! and each of the auditor's reads is logged. The overview holds only the sections the
//! person may see. The other reads (registers, team summaries, monitoring, the audit log,
//! self-service) are in `views.rs`.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use charter_store::{
    Actor, AlertStatus, ApprovalKind, ApprovalStatus, Authorisation, AuthorisationKind,
    BreachState, Person, PolicyVersion, RequestStatus, SoftwareRequest, SoftwareStatus, Txn,
};

use crate::act::{Acting, May, authorise, entry};
use crate::approvals::approval_view;
use crate::error::Result;
use crate::names::Names;
use crate::{
    AckDue, App, ApprovalView, BreachView, LeaverView, Register, RequestView, Review, roles,
};

/// `GET /api/overview`: what needs doing now, each with its clock; a section the person may
/// not see is absent (`null`), not empty.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Breaches not yet closed, with their 72-hour clock.
    pub breaches: Option<Vec<BreachView>>,
    /// Subject requests still running, with their deadline.
    pub subject_requests: Option<Vec<RequestView>>,
    /// Acknowledgements owed: everyone's for register keepers and compliance, else one's own.
    pub acknowledgements_due: Vec<AckDue>,
    /// The policy's review.
    pub review: Option<Review>,
    /// Leavers whose checklist is still open.
    pub leavers: Option<Vec<LeaverView>>,
    /// Open alerts routed to the person.
    pub open_alerts: usize,
    /// Requests waiting for the person's decision (access, software).
    pub approvals_waiting: Option<usize>,
    /// The registers the person may read (their path names).
    pub registers: Vec<&'static str>,
    /// Whether the person may read monitoring records (with a reason).
    pub may_read_records: bool,
    /// Whether the person may read the audit log.
    pub may_read_audit: bool,
    /// Whether the person may make the monthly report.
    pub may_make_report: bool,
    /// Whether the person manages anyone (their team's summaries).
    pub manages: bool,
}

/// `GET /api/inbox`: what waits for the person's decision, each kind only for its
/// approvers (absent otherwise), never their own.
#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    /// Requests for access to a site a `hold` rule holds.
    pub access: Option<Vec<ApprovalView>>,
    /// Software requests.
    pub software: Option<Vec<SoftwareRequest>>,
    /// General authorisation requests of the kinds the person decides.
    pub authorisations: Option<Vec<Authorisation>>,
}

/// `GET /api/acknowledgements`: the policy to read and where the person stands.
#[derive(Debug, Clone, Serialize)]
pub struct MyAcknowledgements {
    /// The latest published version, if any.
    pub latest: Option<PolicyVersion>,
    /// Whether the person has acknowledged the latest version.
    pub acknowledged_latest: bool,
    /// What the person owes.
    pub due: Vec<AckDue>,
}

impl App {
    fn case_readers(&self) -> Vec<String> {
        let g = self.governance();
        roles(&[
            &g.data_protection_roles,
            &g.compliance_roles,
            &g.auditor_roles,
        ])
    }

    fn register_readers(&self) -> Vec<String> {
        let g = self.governance();
        roles(&[
            &g.register_roles,
            &g.data_protection_roles,
            &g.compliance_roles,
            &g.auditor_roles,
        ])
    }

    fn everyone_due_readers(&self) -> Vec<String> {
        let g = self.governance();
        roles(&[&g.register_roles, &g.compliance_roles, &g.auditor_roles])
    }

    /// Who is acting, if `actor` may do a read needing `may`.
    /// The auditor's reads are logged (`dashboard.read`, naming what was read).
    pub(crate) async fn reader(
        &self,
        actor: &Actor,
        action: &'static str,
        may: May<'_>,
    ) -> Result<Acting> {
        let acting = self
            .read(async |tx| authorise(tx, actor, action, may).await)
            .await?;
        self.log_auditor_read(&acting, action).await?;
        Ok(acting)
    }

    /// Logs a read by an auditor (whose every read is on the record).
    async fn log_auditor_read(&self, acting: &Acting, action: &'static str) -> Result<()> {
        if Self::holds(acting, &self.governance().auditor_roles) {
            let read = entry(
                "dashboard.read",
                "dashboard",
                None,
                None,
                json!({"read": action}),
            );
            self.write(async |tx| Ok(tx.audit(&acting.actor, read).await?))
                .await?;
        }
        Ok(())
    }

    pub(crate) fn holds(acting: &Acting, roles: &[String]) -> bool {
        acting
            .person
            .as_ref()
            .is_some_and(|p| p.has_any_role(roles))
    }

    /// The people register, for those who keep or protect it.
    pub async fn people_for(&self, actor: &Actor) -> Result<Vec<Person>> {
        let readers = self.register_readers();
        self.reader(actor, "read the people register", May::Roles(&readers))
            .await?;
        self.people().await
    }

    /// The breach log with its clocks, for data protection and compliance.
    pub async fn breaches_for(&self, actor: &Actor, now: Timestamp) -> Result<Vec<BreachView>> {
        let readers = self.case_readers();
        self.reader(actor, "read the breach log", May::Roles(&readers))
            .await?;
        self.breaches(now).await
    }

    /// Subject requests with their deadlines, for data protection and compliance.
    pub async fn subject_requests_for(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<RequestView>> {
        let readers = self.case_readers();
        self.reader(actor, "read subject requests", May::Roles(&readers))
            .await?;
        self.subject_requests(now).await
    }

    /// Access requests waiting for `actor`'s decision: an access approver's, without their own.
    pub async fn approvals_inbox(&self, actor: &Actor, at: Timestamp) -> Result<Vec<ApprovalView>> {
        let approvers = self.governance().access_approvers.clone();
        let acting = self
            .reader(actor, "see access requests", May::Roles(&approvers))
            .await?;
        Ok(access_waiting(self.approvals(at).await?, acting.id()))
    }

    fn deciders(&self) -> Vec<String> {
        let g = self.governance();
        roles(&[
            &g.access_approvers,
            &g.software_approvers,
            &self.all_authorisers(),
        ])
    }

    /// Everything waiting for `actor`'s decision: access requests for access approvers,
    /// software requests for software approvers, general authorisations for those who decide
    /// their kind; never their own.
    pub async fn inbox(&self, actor: &Actor, at: Timestamp) -> Result<Inbox> {
        let deciders = self.deciders();
        let acting = self
            .reader(actor, "decide requests", May::Roles(&deciders))
            .await?;
        self.read(async |tx| {
            let names = Names::new(&tx.people().await?);
            self.inbox_in(tx, &acting, &names, at).await
        })
        .await
    }

    /// What waits for `acting`'s decision, read in `tx`.
    async fn inbox_in(
        &self,
        tx: &mut Txn,
        acting: &Acting,
        names: &Names,
        at: Timestamp,
    ) -> Result<Inbox> {
        let me = acting.id();
        let g = self.governance();
        let access = if Self::holds(acting, &g.access_approvers) {
            let all = tx.approvals().await?;
            let views = all.into_iter().map(|a| approval_view(a, names, at));
            Some(access_waiting(views.collect(), me))
        } else {
            None
        };
        let software = if Self::holds(acting, &g.software_approvers) {
            Some(
                tx.software_requests()
                    .await?
                    .into_iter()
                    .filter(|r| r.status == SoftwareStatus::Requested && Some(r.person_id) != me)
                    .collect(),
            )
        } else {
            None
        };
        let mine = |kind| Self::holds(acting, &self.authorisers(kind));
        let authorisations = if AuthorisationKind::ALL.iter().any(|k| mine(*k)) {
            Some(
                tx.authorisations()
                    .await?
                    .into_iter()
                    .filter(|a| {
                        a.status == ApprovalStatus::Requested
                            && Some(a.person_id) != me
                            && mine(a.kind)
                    })
                    .collect(),
            )
        } else {
            None
        };
        Ok(Inbox {
            access,
            software,
            authorisations,
        })
    }

    /// The policy to read and what `actor` (a person) owes.
    pub async fn my_acknowledgements(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<MyAcknowledgements> {
        let acting = self
            .reader(actor, "see their acknowledgements", May::AnyPerson)
            .await?;
        let me = acting.person("see their acknowledgements")?.id;
        let latest = self
            .policy_versions()
            .await?
            .into_iter()
            .max_by_key(|v| v.id);
        let mine = self.acknowledgements_of(me).await?;
        let acknowledged_latest = latest
            .as_ref()
            .is_some_and(|v| mine.iter().any(|a| a.policy_id == v.id));
        let due = self
            .acknowledgements_due(now)
            .await?
            .into_iter()
            .filter(|d| d.person_id == me)
            .collect();
        Ok(MyAcknowledgements {
            latest,
            acknowledged_latest,
            due,
        })
    }

    /// What needs doing now, as far as `actor` may see.
    pub async fn overview(&self, actor: &Actor, now: Timestamp) -> Result<Overview> {
        // One transaction for the whole page: a dozen separate ones cost more than the reads.
        let (acting, overview) = self
            .read(async |tx| {
                let acting = authorise(tx, actor, "see the overview", May::AnyPerson).await?;
                let overview = self.overview_in(tx, &acting, now).await?;
                Ok((acting, overview))
            })
            .await?;
        self.log_auditor_read(&acting, "see the overview").await?;
        Ok(overview)
    }

    async fn overview_in(&self, tx: &mut Txn, acting: &Acting, now: Timestamp) -> Result<Overview> {
        let me = acting.person("see the overview")?;
        let people = tx.people().await?;
        let names = Names::new(&people);
        let cases = Self::holds(acting, &self.case_readers());
        let breaches = if cases {
            let open = tx.breaches().await?.into_iter();
            let open = open.filter(|b| b.status != BreachState::Closed);
            Some(
                open.map(|b| self.breach_view(b, &names, now))
                    .collect::<Result<_>>()?,
            )
        } else {
            None
        };
        let subject_requests = if cases {
            let running = tx.subject_requests().await?.into_iter();
            let running =
                running.filter(|r| matches!(r.status, RequestStatus::Open | RequestStatus::Paused));
            Some(
                running
                    .map(|r| self.request_view(r, &names, now))
                    .collect::<Result<_>>()?,
            )
        } else {
            None
        };
        let everyone = Self::holds(acting, &self.everyone_due_readers());
        let versions = tx.policy_versions().await?;
        let acks = tx.acknowledgements().await?;
        let acknowledgements_due = self
            .dues(&people, &versions, &acks, now)
            .into_iter()
            .filter(|d| everyone || d.person_id == me.id)
            .collect();
        let g = self.governance();
        let keepers = roles(&[&g.register_roles, &g.auditor_roles]);
        let leavers = if Self::holds(acting, &keepers) {
            let open = tx.leavers().await?.into_iter();
            let open = open.filter(|l| l.closed.is_none());
            Some(
                open.map(|l| self.leaver_view(l, &names, now))
                    .collect::<Result<_>>()?,
            )
        } else {
            None
        };
        let open_alerts = self
            .handleable(tx, me, Some(AlertStatus::Open), i64::MAX)
            .await?
            .len();
        let approvals_waiting = if Self::holds(acting, &self.deciders()) {
            let inbox = self.inbox_in(tx, acting, &names, now).await?;
            Some(
                inbox.access.map_or(0, |l| l.len())
                    + inbox.software.map_or(0, |l| l.len())
                    + inbox.authorisations.map_or(0, |l| l.len()),
            )
        } else {
            None
        };
        let audit_readers = roles(&[
            &g.data_protection_roles,
            &g.compliance_roles,
            &g.auditor_roles,
        ]);
        Ok(Overview {
            breaches,
            subject_requests,
            acknowledgements_due,
            review: self.policy_review(now),
            leavers,
            open_alerts,
            approvals_waiting,
            registers: self
                .registers_of(acting)
                .into_iter()
                .map(Register::name)
                .collect(),
            may_read_records: Self::holds(acting, &self.record_readers()),
            may_read_audit: Self::holds(acting, &audit_readers),
            may_make_report: Self::holds(acting, &self.report_readers()),
            manages: people.iter().any(|p| p.line_manager == Some(me.id)),
        })
    }
}

/// The access requests among `approvals` still waiting for a decision, without `me`'s own.
fn access_waiting(approvals: Vec<ApprovalView>, me: Option<i64>) -> Vec<ApprovalView> {
    approvals
        .into_iter()
        .filter(|a| {
            a.approval.kind == ApprovalKind::Access
                && a.now == ApprovalStatus::Requested
                && Some(a.approval.person_id) != me
        })
        .collect()
}
