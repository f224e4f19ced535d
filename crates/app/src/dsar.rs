//! Subject access and erasure, handled by the pack's data protection roles: everything held
//! about one person, and an erasure that first says what it will remove and what the law or
//! the organisation keeps, and acts only when confirmed with the person's name.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use charter_store::{
    Account, Acknowledgement, Actor, AuditRow, Breach, Device, Incident, Leaver,
    MediaAuthorisation, Notice, Person, PersonStatus, PolicyVersion, Record, SocialAccount,
    SoftwareRequest, SoftwareStatus, SubjectRequest, Txn,
};

use crate::App;
use crate::act::{Done, May, entry};
use crate::error::{Error, Result};

/// Everything held about one person.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    /// When the export was made, UTC.
    pub generated_at: String,
    /// The person.
    pub person: Person,
    /// Their accounts (mail addresses, logins).
    pub accounts: Vec<Account>,
    /// Devices assigned to them.
    pub devices: Vec<Device>,
    /// Removable-media authorisations.
    pub media_authorisations: Vec<MediaAuthorisation>,
    /// Their software requests.
    pub software_requests: Vec<SoftwareRequest>,
    /// Official social accounts they own, hold or may post from.
    pub social_accounts: Vec<SocialAccount>,
    /// Their policy acknowledgements.
    pub acknowledgements: Vec<Acknowledgement>,
    /// The policy versions (what the acknowledgements refer to).
    pub policy_versions: Vec<PolicyVersion>,
    /// Incidents they reported.
    pub incidents: Vec<Incident>,
    /// Breaches that concern them.
    pub breaches: Vec<Breach>,
    /// Their data subject requests.
    pub subject_requests: Vec<SubjectRequest>,
    /// Their leaver checklists.
    pub leavers: Vec<Leaver>,
    /// Monitoring records under their account names.
    pub monitoring_records: Vec<Record>,
    /// Messages left for them (who read their records, and why).
    pub notices: Vec<Notice>,
    /// Audit rows about them (this export's own view row included).
    pub audit: Vec<AuditRow>,
}

/// One line of an erasure: what, how many, and why it goes or stays.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErasureItem {
    /// What (`monitoring records`, `breach log entries`).
    pub what: String,
    /// How many rows.
    pub count: u64,
    /// Why it is erased or kept.
    pub reason: String,
}

/// What an erasure removes and what it keeps, before it acts (and what it did, after).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErasurePlan {
    /// The person.
    pub person_id: i64,
    /// Their name, which `--confirm` must repeat.
    pub person_name: String,
    /// What is removed.
    pub erase: Vec<ErasureItem>,
    /// What is kept, and the law or policy that requires it.
    pub keep: Vec<ErasureItem>,
}

fn item(what: &str, count: u64, reason: &str) -> ErasureItem {
    ErasureItem {
        what: what.into(),
        count,
        reason: reason.into(),
    }
}

/// What erasing `p` would remove and keep, from what the store holds now.
async fn plan(tx: &mut Txn, p: &Person) -> Result<ErasurePlan> {
    let h = tx.holdings(p.id).await?;
    let records = tx.count_records_of(p.id).await?;
    let requests = tx.software_requests_of(p.id).await?;
    let approved = requests
        .iter()
        .filter(|r| r.status == SoftwareStatus::Approved)
        .count() as u64;
    let other_requests = requests.len() as u64 - approved;
    let media = tx.media_of(p.id).await?.len() as u64;
    let notices = tx.notices_of(p.id).await?.len() as u64;
    let erase = vec![
        item(
            "monitoring records",
            records,
            "kept only for monitoring; no legal duty to keep them",
        ),
        item(
            "software requests not approved",
            other_requests,
            "no longer needed once the person has left",
        ),
        item(
            "removable-media authorisations",
            media,
            "no longer needed once the person has left",
        ),
        item(
            "notices to them",
            notices,
            "messages for the person, who has left",
        ),
        item(
            "name, department, location and roles",
            1,
            "replaced by `erased person N`; the id stays so that kept records still hang together",
        ),
    ];
    let keep = [
        item("accounts", h.accounts, "kept disabled so that the address or login is never handed to someone else and past mail can be attributed"),
        item("software approved at their request", approved, "the software is on the organisation's approved list, which the filters enforce"),
        item("approvals and decisions they made for the organisation", h.decisions_made, "they belong to the organisation's records, not to the person"),
        item("acknowledgements", h.acknowledgements, "evidence that the policy was agreed to, needed to defend legal claims (UK GDPR Art. 17(3)(e))"),
        item("incidents reported", h.incidents, "security and safeguarding records the organisation must keep (Art. 17(3)(b), (e))"),
        item("breach log entries", h.breaches, "UK GDPR Art. 33(5) requires every breach to be documented"),
        item("subject requests", h.subject_requests, "evidence that requests were answered within the time limits (Art. 5(2) accountability)"),
        item("leaver checklist", h.leavers, "evidence that equipment was returned and access removed (Art. 32 security)"),
        item("audit rows", h.audit, "the audit chain is append-only; removing rows would break the evidence for everyone (Art. 5(2))"),
    ]
    .into_iter()
    .filter(|k| k.count > 0)
    .collect();
    Ok(ErasurePlan {
        person_id: p.id,
        person_name: p.full_name(),
        erase,
        keep,
    })
}

/// `p` when they have left: someone still employed cannot be erased (the employment
/// contract is the lawful basis while they work here), and someone erased already is gone.
fn has_left(p: Person) -> Result<Person> {
    if p.status != PersonStatus::Left {
        return Err(Error::Refused(format!(
            "{} is {}: erasure applies to people who have left (close their leaver checklist first)",
            p.label(),
            p.status
        )));
    }
    Ok(p)
}

/// Names compared as people type them: case and spacing do not matter.
fn same_name(a: &str, b: &str) -> bool {
    let fold = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    fold(a) == fold(b)
}

impl App {
    /// Gathers everything held about a person. Reading their monitoring records is a view
    /// and is logged like any other.
    pub async fn subject_export(&self, actor: &Actor, person_id: i64) -> Result<SubjectExport> {
        let roles = self.data_protection();
        self.export_of(actor, person_id, May::Roles(&roles)).await
    }

    /// [`App::subject_export`] for those `may` allows.
    pub(crate) async fn export_of(
        &self,
        actor: &Actor,
        person_id: i64,
        may: May<'_>,
    ) -> Result<SubjectExport> {
        self.act(
            actor,
            "export what is held about a person",
            may,
            async |tx, _| {
                let person = tx.person(person_id).await?;
                let monitoring_records = tx
                    .all_records_of(actor, person_id, json!({"subject_access": true}))
                    .await?;
                let mut export = SubjectExport {
                    generated_at: Timestamp::now().to_string(),
                    accounts: tx.accounts_of(person_id).await?,
                    devices: tx.devices_of(person_id).await?,
                    media_authorisations: tx.media_of(person_id).await?,
                    software_requests: tx.software_requests_of(person_id).await?,
                    social_accounts: tx.socials_of(person_id).await?,
                    acknowledgements: tx.acknowledgements_of(person_id).await?,
                    policy_versions: tx.policy_versions().await?,
                    incidents: tx.incidents_reported_by(person_id).await?,
                    breaches: tx.breaches_about(person_id).await?,
                    subject_requests: tx.subject_requests_of(person_id).await?,
                    leavers: tx.leavers_of(person_id).await?,
                    notices: tx.notices_of(person_id).await?,
                    audit: Vec::new(),
                    monitoring_records,
                    person,
                };
                let record = entry(
                    "dsar.export",
                    "person",
                    person_id,
                    person_id,
                    json!({"records": export.monitoring_records.len()}),
                );
                // The export's own row is part of what is held: append it first, then read.
                tx.audit(actor, record).await?;
                export.audit = tx.audit_about(person_id).await?;
                Ok(Done::many(export, Vec::new()))
            },
        )
        .await
    }

    /// The summary of an export as an HTML document for the person.
    pub async fn subject_summary_html(&self, export: &SubjectExport) -> Result<String> {
        let names = self.names().await?;
        Ok(crate::html::render(
            export,
            &self.pack().organisation.name,
            &names,
            self.time_zone(),
        ))
    }

    /// What erasing a person would remove and keep; changes nothing.
    pub async fn erasure_plan(&self, actor: &Actor, person_id: i64) -> Result<ErasurePlan> {
        let roles = self.data_protection();
        let mut tx = self.store.begin().await?;
        crate::act::authorise(&mut tx, actor, "erase people", May::Roles(&roles)).await?;
        let p = has_left(tx.person(person_id).await?)?;
        let out = plan(&mut tx, &p).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Erases what may be erased about a person who has left, once `confirm` repeats their
    /// full name, and says what was removed and what is kept. Someone still employed cannot
    /// be erased (the contract is the lawful basis while they work here): close their leaver
    /// checklist first. What belongs to the organisation (approvals they made, approved
    /// software, the evidence the law requires) stays, and ids are never reused.
    pub async fn erase_person(
        &self,
        actor: &Actor,
        person_id: i64,
        confirm: &str,
    ) -> Result<ErasurePlan> {
        let roles = self.data_protection();
        self.act(actor, "erase people", May::Roles(&roles), async |tx, _| {
            let p = has_left(tx.person(person_id).await?)?;
            if !same_name(confirm, &p.full_name()) {
                return Err(Error::Refused(format!(
                    "nothing erased: the confirmation `{confirm}` is not the name of {}; repeat their full name to confirm",
                    p.label()
                )));
            }
            let planned = plan(tx, &p).await?;
            let counts = [
                tx.delete_records_of(person_id).await?,
                tx.delete_software_requests_of(person_id, SoftwareStatus::Requested).await?
                    + tx.delete_software_requests_of(person_id, SoftwareStatus::Refused).await?,
                tx.delete_media_of(person_id).await?,
                tx.delete_notices_of(person_id).await?,
            ];
            tx.erase_identity(person_id).await?;
            let mut done = planned;
            for (e, n) in done.erase.iter_mut().zip(counts) {
                e.count = n;
            }
            let detail = json!({
                "erased": done.erase.iter().map(|e| json!({"what": e.what, "count": e.count})).collect::<Vec<_>>(),
                "kept": done.keep.iter().map(|k| json!({"what": k.what, "count": k.count})).collect::<Vec<_>>(),
            });
            Ok(Done::new(done, entry("dsar.erase", "person", person_id, person_id, detail)))
        })
        .await
    }
}
