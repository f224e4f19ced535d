//! What the registers hold, as read back. Instants are RFC 3339 UTC text, dates ISO 8601.

use serde::Serialize;

use crate::db::Row;
use crate::error::Result;
use crate::time::show_us;

fn opt_time(r: &Row, col: &str) -> Result<Option<String>> {
    Ok(r.opt_i64(col)?.map(show_us))
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A new person for the people register.
#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Department (`hr`, `finance`).
    pub department: Option<String>,
    /// Code of the geographical location (`uk`).
    pub location: Option<String>,
    /// Roles (`management`, `staff`, `external`, `safeguarding_lead`, ...).
    pub roles: Vec<String>,
    /// Line manager's person id.
    pub line_manager: Option<i64>,
    /// First day, `2026-04-01`.
    pub start_date: Option<String>,
}

/// A change to a person; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PersonUpdate {
    /// New roles (replacing the old).
    pub roles: Option<Vec<String>>,
    /// New line manager.
    pub line_manager: Option<i64>,
    /// New department.
    pub department: Option<String>,
    /// New location code.
    pub location: Option<String>,
    /// New leaving date.
    pub leaving_date: Option<String>,
}

/// A person in the register.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Person {
    /// Id.
    pub id: i64,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Department.
    pub department: Option<String>,
    /// Location code.
    pub location: Option<String>,
    /// Roles.
    pub roles: Vec<String>,
    /// Line manager's id.
    pub line_manager: Option<i64>,
    /// First day.
    pub start_date: Option<String>,
    /// Last day.
    pub leaving_date: Option<String>,
    /// `active`, `left` or `erased`.
    pub status: String,
    /// When added.
    pub created_at: String,
    /// When last changed.
    pub updated_at: String,
}

impl Person {
    pub(crate) fn from_row(r: &Row) -> Result<Person> {
        Ok(Person {
            id: r.i64("id")?,
            first_name: r.text("first_name")?,
            last_name: r.text("last_name")?,
            department: r.opt_text("department")?,
            location: r.opt_text("location")?,
            roles: list(&r.text("roles")?),
            line_manager: r.opt_i64("line_manager_id")?,
            start_date: r.opt_text("start_date")?,
            leaving_date: r.opt_text("leaving_date")?,
            status: r.text("status")?,
            created_at: show_us(r.i64("created_at")?),
            updated_at: show_us(r.i64("updated_at")?),
        })
    }

    /// Whether the person holds any of `roles`.
    pub fn has_any_role(&self, roles: &[String]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

/// An account a person holds (mail address, login, VPN).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Account {
    /// Id.
    pub id: i64,
    /// Whose.
    pub person_id: i64,
    /// Which system (`email`, `login`, `vpn`).
    pub system: String,
    /// The name on that system (an address, a user name).
    pub name: String,
    /// How it was chosen (for addresses: the naming convention and any collision).
    pub note: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// When made.
    pub created_at: String,
    /// When disabled.
    pub disabled_at: Option<String>,
}

impl Account {
    pub(crate) fn from_row(r: &Row) -> Result<Account> {
        Ok(Account {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            system: r.text("system")?,
            name: r.text("name")?,
            note: r.opt_text("note")?,
            status: r.text("status")?,
            created_at: show_us(r.i64("created_at")?),
            disabled_at: opt_time(r, "disabled_at")?,
        })
    }
}

/// A new device.
#[derive(Debug, Clone, Default)]
pub struct NewDevice {
    /// Serial number (unique).
    pub serial: String,
    /// `laptop`, `phone`, `tablet`, `usb`, ...
    pub kind: String,
    /// A personal device used for work.
    pub byod: bool,
    /// Whether its storage is encrypted.
    pub encrypted: bool,
    /// Who has it (BYOD: the owner); `None` puts it in stock.
    pub assignee: Option<i64>,
    /// Free text.
    pub note: Option<String>,
}

/// A device in the register.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Device {
    /// Id.
    pub id: i64,
    /// Serial number.
    pub serial: String,
    /// Kind.
    pub kind: String,
    /// Who has it.
    pub assignee: Option<i64>,
    /// Personal device.
    pub byod: bool,
    /// Encrypted.
    pub encrypted: bool,
    /// `in_stock`, `assigned`, `lost`, `stolen`, `returned`, `retired`.
    pub status: String,
    /// Free text.
    pub note: Option<String>,
    /// When last changed.
    pub updated_at: String,
}

impl Device {
    pub(crate) fn from_row(r: &Row) -> Result<Device> {
        Ok(Device {
            id: r.i64("id")?,
            serial: r.text("serial")?,
            kind: r.text("kind")?,
            assignee: r.opt_i64("assignee_id")?,
            byod: r.bool("byod")?,
            encrypted: r.bool("encrypted")?,
            status: r.text("status")?,
            note: r.opt_text("note")?,
            updated_at: show_us(r.i64("updated_at")?),
        })
    }
}

/// Permission to attach removable media or third-party hardware.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MediaAuthorisation {
    /// Id.
    pub id: i64,
    /// Who may.
    pub person_id: i64,
    /// What (`Kingston USB stick 32 GB`).
    pub description: String,
    /// Why.
    pub reason: String,
    /// Who authorised it.
    pub authorised_by: i64,
    /// When.
    pub authorised_at: String,
    /// Last day it holds.
    pub expires_on: Option<String>,
    /// When withdrawn.
    pub revoked_at: Option<String>,
}

impl MediaAuthorisation {
    pub(crate) fn from_row(r: &Row) -> Result<MediaAuthorisation> {
        Ok(MediaAuthorisation {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            description: r.text("description")?,
            reason: r.text("reason")?,
            authorised_by: r.i64("authorised_by")?,
            authorised_at: show_us(r.i64("authorised_at")?),
            expires_on: r.opt_text("expires_on")?,
            revoked_at: opt_time(r, "revoked_at")?,
        })
    }
}

/// A request to install software.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SoftwareRequest {
    /// Id.
    pub id: i64,
    /// Who asked.
    pub person_id: i64,
    /// What.
    pub software: String,
    /// Why.
    pub reason: String,
    /// `requested`, `approved`, `refused`.
    pub status: String,
    /// When asked.
    pub requested_at: String,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
    /// The decider's reason.
    pub decision_reason: Option<String>,
}

impl SoftwareRequest {
    pub(crate) fn from_row(r: &Row) -> Result<SoftwareRequest> {
        Ok(SoftwareRequest {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            software: r.text("software")?,
            reason: r.text("reason")?,
            status: r.text("status")?,
            requested_at: show_us(r.i64("requested_at")?),
            decided_by: r.opt_i64("decided_by")?,
            decided_at: opt_time(r, "decided_at")?,
            decision_reason: r.opt_text("decision_reason")?,
        })
    }
}

/// An official social media account.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SocialAccount {
    /// Id.
    pub id: i64,
    /// `linkedin`, `x`, ...
    pub platform: String,
    /// The account's handle.
    pub handle: String,
    /// Who is responsible for it.
    pub owner_id: i64,
    /// Who keeps the credentials.
    pub custodian_id: i64,
    /// Two-factor sign-in is on.
    pub two_factor: bool,
    /// Who else may post.
    pub authorised_users: Vec<i64>,
    /// `active` or `closed`.
    pub status: String,
    /// When last changed.
    pub updated_at: String,
}

impl SocialAccount {
    pub(crate) fn from_row(r: &Row) -> Result<SocialAccount> {
        Ok(SocialAccount {
            id: r.i64("id")?,
            platform: r.text("platform")?,
            handle: r.text("handle")?,
            owner_id: r.i64("owner_id")?,
            custodian_id: r.i64("custodian_id")?,
            two_factor: r.bool("two_factor")?,
            authorised_users: list(&r.text("authorised_users")?)
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
            status: r.text("status")?,
            updated_at: show_us(r.i64("updated_at")?),
        })
    }
}

/// One published version of the written policy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PolicyVersion {
    /// Id.
    pub id: i64,
    /// The pack's id (`iimts`).
    pub pack_id: String,
    /// Version label.
    pub version: String,
    /// Title.
    pub title: String,
    /// SHA-256 of the exact text staff read.
    pub text_hash: String,
    /// Staff must acknowledge it again.
    pub material_change: bool,
    /// When published.
    pub published_at: String,
}

impl PolicyVersion {
    pub(crate) fn from_row(r: &Row) -> Result<PolicyVersion> {
        Ok(PolicyVersion {
            id: r.i64("id")?,
            pack_id: r.text("pack_id")?,
            version: r.text("version")?,
            title: r.text("title")?,
            text_hash: r.text("text_hash")?,
            material_change: r.bool("material_change")?,
            published_at: show_us(r.i64("published_at")?),
        })
    }
}

/// What an acknowledgement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AckKind {
    /// Signed the agreement (read, understood, will abide).
    Agreement,
    /// Attended the periodic briefing.
    Briefing,
    /// Was inducted on joining.
    Induction,
}

impl AckKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            AckKind::Agreement => "agreement",
            AckKind::Briefing => "briefing",
            AckKind::Induction => "induction",
        }
    }
}

impl std::str::FromStr for AckKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<AckKind> {
        match s {
            "agreement" => Ok(AckKind::Agreement),
            "briefing" => Ok(AckKind::Briefing),
            "induction" => Ok(AckKind::Induction),
            other => Err(crate::Error::invalid(
                "kind",
                format!("`{other}`, expected agreement, briefing or induction"),
            )),
        }
    }
}

/// A person's acknowledgement of one policy version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Acknowledgement {
    /// Id.
    pub id: i64,
    /// Who.
    pub person_id: i64,
    /// Which version.
    pub policy_id: i64,
    /// The hash of the text they saw.
    pub text_hash: String,
    /// `agreement`, `briefing`, `induction`.
    pub kind: String,
    /// The laptop the agreement names.
    pub device_id: Option<i64>,
    /// When.
    pub at: String,
}

impl Acknowledgement {
    pub(crate) fn from_row(r: &Row) -> Result<Acknowledgement> {
        Ok(Acknowledgement {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            policy_id: r.i64("policy_id")?,
            text_hash: r.text("text_hash")?,
            kind: r.text("kind")?,
            device_id: r.opt_i64("device_id")?,
            at: show_us(r.i64("at")?),
        })
    }
}

/// Someone who owes an acknowledgement.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AckDue {
    /// Who.
    pub person_id: i64,
    /// What they owe (`agreement`, `briefing`, `induction`).
    pub kind: String,
    /// Why, in words.
    pub reason: String,
}

/// Kinds of incident staff report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// Spam or scam mail.
    SpamScam,
    /// A security concern.
    SecurityConcern,
    /// A lost or stolen device.
    LostStolenDevice,
    /// A safeguarding concern: goes to the safeguarding lead.
    Safeguarding,
    /// Damage, malfunction, other IT issue.
    ItIssue,
}

impl IncidentKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::SpamScam => "spam_scam",
            IncidentKind::SecurityConcern => "security_concern",
            IncidentKind::LostStolenDevice => "lost_stolen_device",
            IncidentKind::Safeguarding => "safeguarding",
            IncidentKind::ItIssue => "it_issue",
        }
    }
}

impl std::str::FromStr for IncidentKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<IncidentKind> {
        Ok(match s {
            "spam_scam" | "spam" | "scam" => IncidentKind::SpamScam,
            "security_concern" => IncidentKind::SecurityConcern,
            "lost_stolen_device" => IncidentKind::LostStolenDevice,
            "safeguarding" => IncidentKind::Safeguarding,
            "it_issue" => IncidentKind::ItIssue,
            other => {
                return Err(crate::Error::invalid(
                    "kind",
                    format!(
                        "`{other}`, expected spam_scam, security_concern, lost_stolen_device, safeguarding or it_issue"
                    ),
                ));
            }
        })
    }
}

/// A reported incident.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Incident {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Who reported it.
    pub reported_by: i64,
    /// When.
    pub reported_at: String,
    /// What happened.
    pub description: String,
    /// The device, for lost or stolen devices.
    pub device_id: Option<i64>,
    /// The role it went to (`safeguarding_lead`, `it`).
    pub routed_to: String,
    /// `open` or `closed`.
    pub status: String,
    /// Who closed it.
    pub closed_by: Option<i64>,
    /// When.
    pub closed_at: Option<String>,
    /// What was done.
    pub outcome: Option<String>,
}

impl Incident {
    pub(crate) fn from_row(r: &Row) -> Result<Incident> {
        Ok(Incident {
            id: r.i64("id")?,
            kind: r.text("kind")?,
            reported_by: r.i64("reported_by")?,
            reported_at: show_us(r.i64("reported_at")?),
            description: r.text("description")?,
            device_id: r.opt_i64("device_id")?,
            routed_to: r.text("routed_to")?,
            status: r.text("status")?,
            closed_by: r.opt_i64("closed_by")?,
            closed_at: opt_time(r, "closed_at")?,
            outcome: r.opt_text("outcome")?,
        })
    }
}

/// A data breach to log: the fields of UK GDPR Art. 33(3) and the IMPRESS log.
#[derive(Debug, Clone, Default)]
pub struct NewBreach {
    /// What happened.
    pub description: String,
    /// Categories of personal data concerned.
    pub data_categories: String,
    /// Approximate number of people concerned.
    pub approx_people: Option<i64>,
    /// Approximate number of records concerned.
    pub approx_records: Option<i64>,
    /// Likely consequences.
    pub likely_consequences: String,
    /// Measures taken or proposed, including mitigation.
    pub measures: String,
    /// Contact point for more information (the DPO or Company Secretary).
    pub contact_point: String,
    /// When the organisation became aware: the 72-hour clock starts here.
    pub aware_at: jiff::Timestamp,
}

/// A logged data breach with its clock.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Breach {
    /// Id.
    pub id: i64,
    /// What happened.
    pub description: String,
    /// Categories of personal data.
    pub data_categories: String,
    /// Approximate number of people.
    pub approx_people: Option<i64>,
    /// Approximate number of records.
    pub approx_records: Option<i64>,
    /// Likely consequences.
    pub likely_consequences: String,
    /// Measures taken or proposed.
    pub measures: String,
    /// Contact point.
    pub contact_point: String,
    /// When the organisation became aware.
    pub aware_at: String,
    /// 72 hours later: when the ICO must have been told (if it must).
    pub notify_by: String,
    /// Who logged it.
    pub logged_by: i64,
    /// `open`, `decided`, `closed`.
    pub status: String,
    /// The decision: notify the ICO (`true`), not (`false`), undecided (`None`).
    pub notify_ico: Option<bool>,
    /// Reasons for the decision.
    pub decision_reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
    /// When the ICO was told.
    pub ico_notified_at: Option<String>,
    /// The ICO's reference.
    pub ico_reference: Option<String>,
    /// Reasons for telling the ICO after 72 hours (Art. 33(1)).
    pub late_reason: Option<String>,
    /// When the people affected were told (Art. 34).
    pub people_told_at: Option<String>,
    /// How they were told.
    pub people_told_how: Option<String>,
    /// People in the register the breach concerns.
    pub people: Vec<i64>,
    /// When closed.
    pub closed_at: Option<String>,
}

impl Breach {
    pub(crate) fn from_row(r: &Row, people: Vec<i64>) -> Result<Breach> {
        let aware = r.i64("aware_at")?;
        Ok(Breach {
            id: r.i64("id")?,
            description: r.text("description")?,
            data_categories: r.text("data_categories")?,
            approx_people: r.opt_i64("approx_people")?,
            approx_records: r.opt_i64("approx_records")?,
            likely_consequences: r.text("likely_consequences")?,
            measures: r.text("measures")?,
            contact_point: r.text("contact_point")?,
            aware_at: show_us(aware),
            notify_by: crate::time::breach_deadline(crate::time::from_us(aware)).to_string(),
            logged_by: r.i64("logged_by")?,
            status: r.text("status")?,
            notify_ico: r.opt_bool("notify_ico")?,
            decision_reason: r.opt_text("decision_reason")?,
            decided_by: r.opt_i64("decided_by")?,
            decided_at: opt_time(r, "decided_at")?,
            ico_notified_at: opt_time(r, "ico_notified_at")?,
            ico_reference: r.opt_text("ico_reference")?,
            late_reason: r.opt_text("late_reason")?,
            people_told_at: opt_time(r, "people_told_at")?,
            people_told_how: r.opt_text("people_told_how")?,
            people,
            closed_at: opt_time(r, "closed_at")?,
        })
    }
}

/// The rights a data subject request may exercise (UK GDPR Arts. 15-21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Art. 15.
    Access,
    /// Art. 16.
    Rectification,
    /// Art. 17.
    Erasure,
    /// Art. 18.
    Restriction,
    /// Art. 20.
    Portability,
    /// Art. 21.
    Objection,
}

impl RequestKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Portability => "portability",
            RequestKind::Objection => "objection",
        }
    }
}

impl std::str::FromStr for RequestKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<RequestKind> {
        Ok(match s {
            "access" => RequestKind::Access,
            "rectification" => RequestKind::Rectification,
            "erasure" => RequestKind::Erasure,
            "restriction" => RequestKind::Restriction,
            "portability" => RequestKind::Portability,
            "objection" => RequestKind::Objection,
            other => {
                return Err(crate::Error::invalid(
                    "kind",
                    format!(
                        "`{other}`, expected access, rectification, erasure, restriction, portability or objection"
                    ),
                ));
            }
        })
    }
}

/// A data subject request and its clock.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubjectRequest {
    /// Id.
    pub id: i64,
    /// The person in the register, when known.
    pub person_id: Option<i64>,
    /// Who made it, as they gave it.
    pub requester: String,
    /// Which right.
    pub kind: String,
    /// Day received.
    pub received_on: String,
    /// `open`, `paused`, `completed`, `refused`.
    pub status: String,
    /// Since when the clock has stood still.
    pub paused_since: Option<String>,
    /// What is awaited (`identity`, `clarification`).
    pub pause_reason: Option<String>,
    /// Days the clock stood still before now.
    pub paused_days: i64,
    /// Extended by two months.
    pub extended: bool,
    /// Why.
    pub extension_reason: Option<String>,
    /// When the requester was told of the extension.
    pub extension_notice_on: Option<String>,
    /// The day a reply is due (while paused: the day it would be due if resumed today).
    pub due_on: String,
    /// Day closed.
    pub closed_on: Option<String>,
    /// What was done, or why refused.
    pub outcome: Option<String>,
}

impl SubjectRequest {
    pub(crate) fn from_row(r: &Row, today: jiff::civil::Date) -> Result<SubjectRequest> {
        let received_on = r.text("received_on")?;
        let received = crate::time::parse_date("received_on", &received_on)?;
        let paused_since = r.opt_text("paused_since")?;
        let mut paused_days = r.i64("paused_days")?;
        let paused_now = match &paused_since {
            Some(d) => {
                let since = crate::time::parse_date("paused_since", d)?;
                i64::from((today - since).get_days().max(0))
            }
            None => 0,
        };
        let extended = r.bool("extended")?;
        let due = crate::time::subject_request_due(received, extended, paused_days + paused_now);
        paused_days = paused_days.max(0);
        Ok(SubjectRequest {
            id: r.i64("id")?,
            person_id: r.opt_i64("person_id")?,
            requester: r.text("requester")?,
            kind: r.text("kind")?,
            received_on,
            status: r.text("status")?,
            paused_since,
            pause_reason: r.opt_text("pause_reason")?,
            paused_days,
            extended,
            extension_reason: r.opt_text("extension_reason")?,
            extension_notice_on: r.opt_text("extension_notice_on")?,
            due_on: due.to_string(),
            closed_on: r.opt_text("closed_on")?,
            outcome: r.opt_text("outcome")?,
        })
    }
}

/// The steps of a leaver's checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaverItem {
    /// Laptops, phones, key fobs and cards returned.
    EquipmentReturned,
    /// Passwords and credentials handed over.
    CredentialsHandedOver,
    /// Every account disabled.
    AccountsDisabled,
    /// Official social media accounts handed over with their credentials.
    SocialHandedOver,
}

impl LeaverItem {
    /// All items, in checklist order.
    pub const ALL: [LeaverItem; 4] = [
        LeaverItem::EquipmentReturned,
        LeaverItem::CredentialsHandedOver,
        LeaverItem::AccountsDisabled,
        LeaverItem::SocialHandedOver,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaverItem::EquipmentReturned => "equipment_returned",
            LeaverItem::CredentialsHandedOver => "credentials_handed_over",
            LeaverItem::AccountsDisabled => "accounts_disabled",
            LeaverItem::SocialHandedOver => "social_handed_over",
        }
    }
}

impl std::str::FromStr for LeaverItem {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<LeaverItem> {
        LeaverItem::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| {
                crate::Error::invalid(
                    "item",
                    format!("`{s}`, expected equipment_returned, credentials_handed_over, accounts_disabled or social_handed_over"),
                )
            })
    }
}

/// One ticked item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tick {
    /// Who ticked it.
    pub by: i64,
    /// When.
    pub at: String,
}

/// A leaver's checklist.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Leaver {
    /// Id.
    pub id: i64,
    /// Who is leaving.
    pub person_id: i64,
    /// Last day.
    pub leaving_date: String,
    /// Who opened the checklist.
    pub opened_by: i64,
    /// Equipment returned.
    pub equipment_returned: Option<Tick>,
    /// Credentials handed over.
    pub credentials_handed_over: Option<Tick>,
    /// Accounts disabled.
    pub accounts_disabled: Option<Tick>,
    /// Social accounts handed over.
    pub social_handed_over: Option<Tick>,
    /// Closed (only when every item is ticked).
    pub closed: Option<Tick>,
}

impl Leaver {
    pub(crate) fn from_row(r: &Row) -> Result<Leaver> {
        let tick = |by: &str, at: &str| -> Result<Option<Tick>> {
            Ok(match (r.opt_i64(by)?, r.opt_i64(at)?) {
                (Some(by), Some(at)) => Some(Tick {
                    by,
                    at: show_us(at),
                }),
                _ => None,
            })
        };
        Ok(Leaver {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            leaving_date: r.text("leaving_date")?,
            opened_by: r.i64("opened_by")?,
            equipment_returned: tick("equipment_returned_by", "equipment_returned_at")?,
            credentials_handed_over: tick(
                "credentials_handed_over_by",
                "credentials_handed_over_at",
            )?,
            accounts_disabled: tick("accounts_disabled_by", "accounts_disabled_at")?,
            social_handed_over: tick("social_handed_over_by", "social_handed_over_at")?,
            closed: tick("closed_by", "closed_at")?,
        })
    }

    /// The item's tick.
    pub fn item(&self, item: LeaverItem) -> Option<&Tick> {
        match item {
            LeaverItem::EquipmentReturned => self.equipment_returned.as_ref(),
            LeaverItem::CredentialsHandedOver => self.credentials_handed_over.as_ref(),
            LeaverItem::AccountsDisabled => self.accounts_disabled.as_ref(),
            LeaverItem::SocialHandedOver => self.social_handed_over.as_ref(),
        }
    }
}
