//! The dashboard's other reads: every register (each to the roles that keep or oversee it,
//! and the auditor), a line manager's team summaries, a person's monitoring timeline (the
//! compliance role and a reason, through [`App::view_records`]), the audit log with its
//! chain verified, the policy's lint, and what a person may see of themselves.
//!
//! DESIGN section 1: a line manager sees summaries of their own team, never raw records; the
//! auditor reads everything and changes nothing, and each of the auditor's reads is logged
//! (`dashboard.read`, in `App::reader`).

use jiff::{Timestamp, ToSpan as _};
use serde::Serialize;

use charter_store::{
    Account, Acknowledgement, Actor, Alert, AuditRow, Authorisation, Device, Incident,
    IncidentKind, MediaAuthorisation, Notice, Person, Record, SocialAccount, SoftwareRequest,
    UsageDay, VerifyReport,
};

use crate::act::{Acting, May, not_authorised};
use crate::error::Result;
use crate::{App, ApprovalView, BreachView, LeaverView, RecordView, RequestView, roles};

/// A register or workflow the dashboard lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Register {
    /// The people register.
    People,
    /// Accounts.
    Accounts,
    /// Devices.
    Devices,
    /// Removable media authorisations.
    Media,
    /// Software requests.
    Software,
    /// Official social media accounts.
    Social,
    /// Incidents staff reported.
    Incidents,
    /// The breach log, with each 72-hour clock.
    Breaches,
    /// Subject requests, with each one-month clock.
    SubjectRequests,
    /// Leaver checklists.
    Leavers,
    /// Authorisations asked for and decided (access, continues past warnings).
    Approvals,
    /// General authorisation requests (website terms, social media, mass mail, hardware,
    /// out-of-hours VPN).
    Authorisations,
    /// Every alert, whoever it is routed to.
    Alerts,
    /// Policy acknowledgements.
    Acknowledgements,
}

impl Register {
    /// Every register, in the order the dashboard lists them.
    pub const ALL: [Register; 14] = [
        Register::People,
        Register::Accounts,
        Register::Devices,
        Register::Media,
        Register::Software,
        Register::Social,
        Register::Incidents,
        Register::Breaches,
        Register::SubjectRequests,
        Register::Leavers,
        Register::Approvals,
        Register::Authorisations,
        Register::Alerts,
        Register::Acknowledgements,
    ];

    /// Its name in paths (`/registers/subject-requests`).
    pub fn name(self) -> &'static str {
        match self {
            Register::People => "people",
            Register::Accounts => "accounts",
            Register::Devices => "devices",
            Register::Media => "media",
            Register::Software => "software",
            Register::Social => "social",
            Register::Incidents => "incidents",
            Register::Breaches => "breaches",
            Register::SubjectRequests => "subject-requests",
            Register::Leavers => "leavers",
            Register::Approvals => "approvals",
            Register::Authorisations => "authorisations",
            Register::Alerts => "alerts",
            Register::Acknowledgements => "acknowledgements",
        }
    }

    /// Its title for people.
    pub fn title(self) -> &'static str {
        match self {
            Register::People => "People",
            Register::Accounts => "Accounts",
            Register::Devices => "Devices",
            Register::Media => "Removable media",
            Register::Software => "Software requests",
            Register::Social => "Social media accounts",
            Register::Incidents => "Incidents",
            Register::Breaches => "Breaches (72-hour clock)",
            Register::SubjectRequests => "Subject requests (one-month clock)",
            Register::Leavers => "Leavers",
            Register::Approvals => "Access requests and passes",
            Register::Authorisations => "Authorisation requests",
            Register::Alerts => "All alerts",
            Register::Acknowledgements => "Acknowledgements",
        }
    }

    /// The register named `name`.
    pub fn named(name: &str) -> Option<Register> {
        Register::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A register's rows.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[allow(missing_docs, reason = "one variant per register, named as it")]
pub enum Rows {
    People(Vec<Person>),
    Accounts(Vec<Account>),
    Devices(Vec<Device>),
    Media(Vec<MediaAuthorisation>),
    Software(Vec<SoftwareRequest>),
    Social(Vec<SocialAccount>),
    Incidents(Vec<Incident>),
    Breaches(Vec<BreachView>),
    SubjectRequests(Vec<RequestView>),
    Leavers(Vec<LeaverView>),
    Approvals(Vec<ApprovalView>),
    Authorisations(Vec<Authorisation>),
    Alerts(Vec<Alert>),
    Acknowledgements(Vec<Acknowledgement>),
}

/// Personal-use time of one person over a period: summaries, not records.
#[derive(Debug, Clone, Serialize)]
pub struct UsageSummary {
    /// Whose.
    pub person_id: i64,
    /// Their name.
    pub name: String,
    /// First day counted, `YYYY-MM-DD`.
    pub from: String,
    /// Last day counted.
    pub to: String,
    /// Browsing seconds inside the personal-use windows.
    pub seconds_inside: i64,
    /// Browsing seconds outside them.
    pub seconds_outside: i64,
    /// Requests.
    pub requests: i64,
}

/// One person's monitoring, as the compliance role reads it for a stated reason.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// Their personal-use totals.
    pub summary: UsageSummary,
    /// Their records, newest first (personal mail: headers only).
    pub records: Vec<Record>,
    /// Those of them that were blocked, held or warned.
    pub blocked: Vec<Record>,
    /// Personal-use time per day and category.
    pub usage: Vec<UsageDay>,
}

/// The audit log and whether its chain is whole.
#[derive(Debug, Clone, Serialize)]
pub struct AuditLog {
    /// The rows asked for, oldest first.
    pub rows: Vec<AuditRow>,
    /// The whole chain, walked.
    pub verify: VerifyReport,
}

/// One finding of the policy's lint.
#[derive(Debug, Clone, Serialize)]
pub struct LintLine {
    /// `error`, `warning` or `advice`.
    pub level: charter_policy::Level,
    /// Its code (`inert_rule`, ...).
    pub code: &'static str,
    /// Where in the pack.
    pub line: usize,
    /// What it says.
    pub message: String,
}

/// What a person sees of themselves in self-service.
#[derive(Debug, Clone, Serialize)]
pub struct Myself {
    /// Their entry in the people register.
    pub person: Person,
    /// Devices they hold.
    pub devices: Vec<Device>,
    /// Their software requests.
    pub software_requests: Vec<SoftwareRequest>,
    /// Their access requests and passes.
    pub approvals: Vec<ApprovalView>,
    /// Their general authorisation requests.
    pub authorisations: Vec<Authorisation>,
    /// Incidents they reported.
    pub incidents: Vec<Incident>,
    /// Notices to them (each time someone read their monitoring records).
    pub notices: Vec<Notice>,
}

/// How many days a summary covers.
const SUMMARY_DAYS: i64 = 30;

impl App {
    fn readers_of(&self, r: Register) -> Vec<String> {
        let g = self.governance();
        let safeguarding = self.safeguarding_roles();
        let authorisers = self.all_authorisers();
        let all: &[&[String]] = match r {
            Register::People | Register::Accounts => &[
                &g.register_roles,
                &g.data_protection_roles,
                &g.compliance_roles,
            ],
            Register::Devices | Register::Media => {
                &[&g.device_approvers, &g.register_roles, &g.compliance_roles]
            }
            Register::Software => &[&g.software_approvers, &g.register_roles],
            Register::Social => &[&g.social_media_approvers, &g.register_roles],
            Register::Incidents => &[
                &g.device_approvers,
                &safeguarding,
                &g.register_roles,
                &g.data_protection_roles,
                &g.compliance_roles,
            ],
            Register::Breaches | Register::SubjectRequests => {
                &[&g.data_protection_roles, &g.compliance_roles]
            }
            Register::Leavers | Register::Acknowledgements => {
                &[&g.register_roles, &g.compliance_roles]
            }
            Register::Approvals => &[&g.access_approvers, &g.compliance_roles],
            Register::Authorisations => &[&authorisers, &g.compliance_roles],
            Register::Alerts => &[&g.compliance_roles],
        };
        let mut lists = all.to_vec();
        lists.push(&g.auditor_roles);
        roles(&lists)
    }

    fn safeguarding_roles(&self) -> Vec<String> {
        vec![
            self.governance()
                .safeguarding_role
                .clone()
                .unwrap_or_else(|| "safeguarding_lead".into()),
        ]
    }

    /// The rows of `register`, for those who keep or oversee it. Safeguarding incidents are
    /// shown only to the safeguarding lead, data protection, compliance and the auditor.
    pub async fn register_for(
        &self,
        actor: &Actor,
        register: Register,
        now: Timestamp,
    ) -> Result<Rows> {
        let readers = self.readers_of(register);
        let acting = self
            .reader(actor, "read this register", May::Roles(&readers))
            .await?;
        Ok(match register {
            Register::People => Rows::People(self.people().await?),
            Register::Accounts => {
                Rows::Accounts(self.read(async |tx| Ok(tx.accounts().await?)).await?)
            }
            Register::Devices => Rows::Devices(self.devices().await?),
            Register::Media => Rows::Media(self.media_authorisations().await?),
            Register::Software => Rows::Software(self.software_requests().await?),
            Register::Social => Rows::Social(self.social_accounts().await?),
            Register::Incidents => {
                let g = self.governance();
                let sees_safeguarding = Self::holds(
                    &acting,
                    &roles(&[
                        &self.safeguarding_roles(),
                        &g.data_protection_roles,
                        &g.compliance_roles,
                        &g.auditor_roles,
                    ]),
                );
                Rows::Incidents(
                    self.incidents()
                        .await?
                        .into_iter()
                        .filter(|i| sees_safeguarding || i.kind != IncidentKind::Safeguarding)
                        .collect(),
                )
            }
            Register::Breaches => Rows::Breaches(self.breaches(now).await?),
            Register::SubjectRequests => Rows::SubjectRequests(self.subject_requests(now).await?),
            Register::Leavers => Rows::Leavers(self.leavers(now).await?),
            Register::Approvals => Rows::Approvals(self.approvals(now).await?),
            Register::Authorisations => Rows::Authorisations(self.authorisations().await?),
            Register::Alerts => Rows::Alerts(
                self.read(async |tx| Ok(tx.alerts(None, 1_000).await?))
                    .await?,
            ),
            Register::Acknowledgements => Rows::Acknowledgements(
                self.read(async |tx| Ok(tx.acknowledgements().await?))
                    .await?,
            ),
        })
    }

    /// Which registers `actor` may read.
    pub async fn registers_for(&self, actor: &Actor) -> Result<Vec<Register>> {
        let acting = self
            .reader(actor, "see the registers", May::AnyPerson)
            .await?;
        Ok(self.registers_of(&acting))
    }

    /// Which registers the person acting may read.
    pub(crate) fn registers_of(&self, acting: &Acting) -> Vec<Register> {
        Register::ALL
            .into_iter()
            .filter(|r| Self::holds(acting, &self.readers_of(*r)))
            .collect()
    }

    /// Personal-use totals of `person_id` over the last 30 days.
    async fn usage_summary(
        &self,
        person_id: i64,
        now: Timestamp,
    ) -> Result<(UsageSummary, Vec<UsageDay>)> {
        let (person, names) = self
            .read(async |tx| {
                Ok((
                    tx.person(person_id).await?,
                    tx.record_names(person_id).await?,
                ))
            })
            .await?;
        let to = now.to_zoned_datetime(self.time_zone().clone()).date();
        let from = to.checked_sub(SUMMARY_DAYS.days()).unwrap_or(to);
        let mut days = Vec::new();
        for n in &names {
            days.extend(self.store.usage_days(Some(n.as_str()), from, to).await?);
        }
        days.sort_by(|a, b| (&a.day, &a.category).cmp(&(&b.day, &b.category)));
        let summary = UsageSummary {
            person_id,
            name: person.full_name(),
            from: from.to_string(),
            to: to.to_string(),
            seconds_inside: days.iter().map(|d| d.seconds_inside).sum(),
            seconds_outside: days.iter().map(|d| d.seconds_outside).sum(),
            requests: days.iter().map(|d| d.requests).sum(),
        };
        Ok((summary, days))
    }

    /// A line manager's team: the personal-use summary of each person they manage (none
    /// for someone who manages nobody). Summaries only: raw records need the compliance role.
    pub async fn team_summaries(&self, actor: &Actor, now: Timestamp) -> Result<Vec<UsageSummary>> {
        let acting = self
            .reader(actor, "see their team's summaries", May::AnyPerson)
            .await?;
        let me = acting.person("see their team's summaries")?.id;
        let mut out = Vec::new();
        for p in self.people().await? {
            if p.line_manager == Some(me) && p.status == charter_store::PersonStatus::Active {
                out.push(self.usage_summary(p.id, now).await?.0);
            }
        }
        Ok(out)
    }

    /// One person's summary: for themselves, their line manager, the compliance roles and
    /// the auditor. Anyone else is refused, whichever team the person is in.
    pub async fn person_summary(
        &self,
        actor: &Actor,
        person_id: i64,
        now: Timestamp,
    ) -> Result<UsageSummary> {
        let acting = self
            .reader(actor, "see a person's summary", May::AnyPerson)
            .await?;
        let me = acting.person("see a person's summary")?;
        let g = self.governance();
        let overseers = roles(&[&g.compliance_roles, &g.auditor_roles]);
        if me.id != person_id && !me.has_any_role(&overseers) {
            let subject = self
                .read(async |tx| Ok(tx.person(person_id).await?))
                .await?;
            if subject.line_manager != Some(me.id) {
                return Err(not_authorised(
                    me.label(),
                    "see the summary of someone outside their team",
                    &overseers,
                ));
            }
        }
        Ok(self.usage_summary(person_id, now).await?.0)
    }

    /// A person's monitoring timeline: their records (read for the reason given, audited,
    /// and the person told unless confidential: [`App::view_records`]), the blocked ones,
    /// and their personal-use time inside and outside the windows.
    pub async fn timeline(
        &self,
        actor: &Actor,
        person_id: i64,
        view: RecordView,
        now: Timestamp,
    ) -> Result<Timeline> {
        let records = self.view_records(actor, person_id, view).await?;
        let blocked = records
            .iter()
            .filter(|r| r.verdict != "allow")
            .cloned()
            .collect();
        let (summary, usage) = self.usage_summary(person_id, now).await?;
        Ok(Timeline {
            summary,
            records,
            blocked,
            usage,
        })
    }

    /// Who may read monitoring records: the compliance roles and the auditor.
    pub(crate) fn record_readers(&self) -> Vec<String> {
        let g = self.governance();
        roles(&[&g.compliance_roles, &g.auditor_roles])
    }

    /// The audit log from `from_seq`, at most `limit` rows, with the whole chain verified:
    /// for data protection, compliance and the auditor.
    pub async fn audit_log_for(
        &self,
        actor: &Actor,
        from_seq: i64,
        limit: i64,
    ) -> Result<AuditLog> {
        let g = self.governance();
        let readers = roles(&[
            &g.data_protection_roles,
            &g.compliance_roles,
            &g.auditor_roles,
        ]);
        self.reader(actor, "read the audit log", May::Roles(&readers))
            .await?;
        Ok(AuditLog {
            rows: self
                .audit_rows(from_seq.max(1), limit.clamp(1, 1_000))
                .await?,
            verify: self.audit_verify().await?,
        })
    }

    /// The lint of the pack's file as it is on disk (inert rules included), for anyone
    /// signed in: the policy is everyone's to read.
    pub async fn policy_lint(&self, actor: &Actor, now: Timestamp) -> Result<Vec<LintLine>> {
        self.reader(actor, "read the policy's lint", May::AnyPerson)
            .await?;
        let file = self.pack().file.clone();
        let today = now.to_zoned_datetime(self.time_zone().clone()).date();
        let report = match charter_policy::read_pack_text(std::path::Path::new(&file)) {
            Ok(text) => charter_policy::lint::lint(&text, &file, today),
            Err(e) => {
                return Ok(vec![LintLine {
                    level: charter_policy::Level::Warning,
                    code: "unreadable",
                    line: 0,
                    message: format!("the pack's file cannot be read to lint it: {e}"),
                }]);
            }
        };
        Ok(report
            .diagnostics
            .into_iter()
            .map(|d| LintLine {
                level: d.level,
                code: d.code,
                line: d.location.line,
                message: d.message,
            })
            .collect())
    }

    /// What `actor` (a person) holds and has asked for, and the notices to them.
    pub async fn myself(&self, actor: &Actor, now: Timestamp) -> Result<Myself> {
        let acting = self
            .reader(actor, "see their own data", May::AnyPerson)
            .await?;
        let me = acting.person("see their own data")?.clone();
        let id = me.id;
        let approvals = self
            .approvals(now)
            .await?
            .into_iter()
            .filter(|a| a.approval.person_id == id)
            .collect();
        self.read(async |tx| {
            Ok(Myself {
                devices: tx.devices_of(id).await?,
                software_requests: tx.software_requests_of(id).await?,
                incidents: tx.incidents_reported_by(id).await?,
                authorisations: tx.authorisations_of(id).await?,
                notices: tx.notices_of(id).await?,
                approvals,
                person: me,
            })
        })
        .await
    }

    /// Everything held about `actor` (a person), as a subject access export of themselves.
    pub async fn my_export(&self, actor: &Actor) -> Result<crate::SubjectExport> {
        let acting = self
            .reader(actor, "export their own data", May::AnyPerson)
            .await?;
        let me = acting.person("export their own data")?.id;
        self.export_of(actor, me, May::AnyPerson).await
    }
}
