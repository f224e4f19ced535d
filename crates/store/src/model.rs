//! What the registers hold, as read back. Instants are RFC 3339 UTC text, dates ISO 8601.
//! Every state a register keeps is an enum ([`words!`]), stored as its word.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::db::{Arg, Row};
use crate::error::{Error, Result};
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

/// Reads a column holding one of an enum's words.
pub(crate) fn word<T: FromStr<Err = Error>>(r: &Row, col: &str) -> Result<T> {
    r.text(col)?.parse()
}

/// "a, b or c", for error messages.
fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Defines a closed set of states kept as text: the enum, its words, parsing (an unknown
/// word is [`Error::Invalid`] naming the field), `Display`, `Serialize` and binding.
macro_rules! words {
    ($(#[$m:meta])* $name:ident, $field:literal { $($(#[$vm:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<$name> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        let words: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        Error::invalid($field, format!("`{s}`, expected {}", one_of(&words)))
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl From<$name> for Arg {
            fn from(v: $name) -> Arg {
                Arg::from(v.as_str())
            }
        }
    };
}

words!(
    /// Where a person stands.
    PersonStatus, "status" {
        /// Works here.
        Active = "active",
        /// Has left: their leaver checklist is closed.
        Left = "left",
        /// Left and erased on request: only the id and what the law keeps remain.
        Erased = "erased",
    }
);

words!(
    /// Whether an account can be used.
    AccountStatus, "status" {
        /// In use.
        Active = "active",
        /// Turned off (kept so the name is never given to someone else).
        Disabled = "disabled",
    }
);

words!(
    /// Where a device is.
    DeviceStatus, "status" {
        /// Held by IT, nobody's.
        InStock = "in_stock",
        /// With a person.
        Assigned = "assigned",
        /// Reported lost.
        Lost = "lost",
        /// Reported stolen.
        Stolen = "stolen",
        /// Handed back to IT.
        Returned = "returned",
        /// Out of use.
        Retired = "retired",
    }
);

words!(
    /// A software request's decision.
    SoftwareStatus, "status" {
        /// Waiting for an approver.
        Requested = "requested",
        /// On the approved list.
        Approved = "approved",
        /// Refused.
        Refused = "refused",
    }
);

words!(
    /// What an approval is for.
    ApprovalKind, "kind" {
        /// A request for access to a site a `hold` rule holds.
        Access = "access",
        /// A warning the person read and continued past.
        Continue = "continue",
    }
);

words!(
    /// What a general authorisation request is for (the seed policies name each).
    AuthorisationKind, "kind" {
        /// Accepting a website's licence or contract terms (IMPRESS).
        WebsiteTerms = "website_terms",
        /// A new social media account or blog.
        SocialMediaAccount = "social_media_account",
        /// A mass mailing.
        MassMail = "mass_mail",
        /// Connecting third-party hardware.
        ThirdPartyHardware = "third_party_hardware",
        /// VPN or remote access outside the agreed hours.
        OutOfHoursVpn = "out_of_hours_vpn",
    }
);

words!(
    /// Where an authorisation request stands.
    ApprovalStatus, "status" {
        /// Waiting for an approver.
        Requested = "requested",
        /// Approved: in force from `valid_from` until `valid_until`.
        Approved = "approved",
        /// Refused.
        Refused = "refused",
        /// Approved once, and its period is over.
        Expired = "expired",
    }
);

words!(
    /// Whether an official social media account is in use.
    SocialStatus, "status" {
        /// In use.
        Active = "active",
        /// Closed.
        Closed = "closed",
    }
);

words!(
    /// What an acknowledgement is.
    AckKind, "kind" {
        /// Signed the agreement (read, understood, will abide).
        Agreement = "agreement",
        /// Attended the periodic briefing.
        Briefing = "briefing",
        /// Was inducted on joining.
        Induction = "induction",
    }
);

words!(
    /// Kinds of incident staff report.
    IncidentKind, "kind" {
        /// Spam or scam mail.
        SpamScam = "spam_scam",
        /// A security concern.
        SecurityConcern = "security_concern",
        /// A lost or stolen device.
        LostStolenDevice = "lost_stolen_device",
        /// A safeguarding concern: goes to the safeguarding lead.
        Safeguarding = "safeguarding",
        /// Damage, malfunction, other IT issue.
        ItIssue = "it_issue",
        /// A referred alert: opened by whoever triaged it, with the rule's severity.
        Disciplinary = "disciplinary",
    }
);

words!(
    /// Where an alert stands.
    AlertStatus, "status" {
        /// Raised, not yet triaged.
        Open = "open",
        /// Looked at and found to be what it says.
        Confirmed = "confirmed",
        /// Looked at and found to be nothing (with a note saying why).
        Dismissed = "dismissed",
        /// Referred: a disciplinary incident was opened for it.
        Referred = "referred",
    }
);

words!(
    /// Whether an incident is being dealt with.
    IncidentStatus, "status" {
        /// Reported, not yet closed.
        Open = "open",
        /// Closed with an outcome.
        Closed = "closed",
    }
);

words!(
    /// Where a data breach stands.
    BreachState, "status" {
        /// Logged; whether to notify the ICO is not yet decided.
        Open = "open",
        /// Decided (to notify the ICO or not).
        Decided = "decided",
        /// Closed.
        Closed = "closed",
    }
);

words!(
    /// The rights a data subject request may exercise (UK GDPR Arts. 15-21).
    RequestKind, "kind" {
        /// Art. 15.
        Access = "access",
        /// Art. 16.
        Rectification = "rectification",
        /// Art. 17.
        Erasure = "erasure",
        /// Art. 18.
        Restriction = "restriction",
        /// Art. 20.
        Portability = "portability",
        /// Art. 21.
        Objection = "objection",
    }
);

words!(
    /// Where a data subject request stands.
    RequestStatus, "status" {
        /// The clock is running.
        Open = "open",
        /// The clock stands still while the organisation waits for the requester.
        Paused = "paused",
        /// Answered.
        Completed = "completed",
        /// Refused with reasons.
        Refused = "refused",
    }
);

words!(
    /// What a paused subject request waits for: the only reasons the clock may stop.
    PauseReason, "reason" {
        /// Proof of the requester's identity.
        Identity = "identity",
        /// Clarification of what is asked for.
        Clarification = "clarification",
    }
);

words!(
    /// The steps of a leaver's checklist.
    LeaverItem, "item" {
        /// Laptops, phones, key fobs and cards returned.
        EquipmentReturned = "equipment_returned",
        /// Passwords and credentials handed over.
        CredentialsHandedOver = "credentials_handed_over",
        /// Every account disabled.
        AccountsDisabled = "accounts_disabled",
        /// Official social media accounts handed over with their credentials.
        SocialHandedOver = "social_handed_over",
    }
);

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
    /// Where they stand.
    pub status: PersonStatus,
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
            status: word(r, "status")?,
            created_at: show_us(r.i64("created_at")?),
            updated_at: show_us(r.i64("updated_at")?),
        })
    }

    /// Whether the person holds any of `roles`.
    pub fn has_any_role(&self, roles: &[String]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }

    /// Given and family name.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// `person 3 (Pat Jones)`: how people are named in messages and listings.
    pub fn label(&self) -> String {
        format!("person {} ({})", self.id, self.full_name())
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
    /// Whether it can be used.
    pub status: AccountStatus,
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
            status: word(r, "status")?,
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
    /// Where it is.
    pub status: DeviceStatus,
    /// Free text.
    pub note: Option<String>,
    /// How it shows on the network.
    #[serde(flatten)]
    pub network: DeviceNetwork,
    /// When last changed.
    pub updated_at: String,
}

/// How a device shows on the network, to put a web request with no proxy login down to the
/// device's holder: a MAC address or host name a DHCP lease names, or a fixed address.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DeviceNetwork {
    /// MAC address, lowercase with colons.
    pub mac: Option<String>,
    /// The host name it gives DHCP, lowercase.
    pub hostname: Option<String>,
    /// A fixed IP address.
    pub ip: Option<String>,
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
            status: word(r, "status")?,
            note: r.opt_text("note")?,
            network: DeviceNetwork {
                mac: r.opt_text("mac")?,
                hostname: r.opt_text("hostname")?,
                ip: r.opt_text("ip")?,
            },
            updated_at: show_us(r.i64("updated_at")?),
        })
    }

    /// `device 4 (laptop SN-1)`.
    pub fn label(&self) -> String {
        format!("device {} ({} {})", self.id, self.kind, self.serial)
    }
}

/// A new removable-media authorisation.
#[derive(Debug, Clone, Default)]
pub struct NewMedia {
    /// Who may.
    pub person_id: i64,
    /// What (`Kingston USB stick 32 GB`).
    pub description: String,
    /// Why.
    pub reason: String,
    /// Who authorised it.
    pub authorised_by: i64,
    /// Last day it holds.
    pub expires_on: Option<String>,
    /// The device as usbguard names it, `vendor:product` (`0781:5567`), when known.
    pub usb_id: Option<String>,
    /// Its serial number as usbguard reports it, when known.
    pub usb_serial: Option<String>,
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
    /// When withdrawn (or ended because the person left).
    pub revoked_at: Option<String>,
    /// The device as usbguard names it, `vendor:product`, when known.
    pub usb_id: Option<String>,
    /// Its serial number, when known.
    pub usb_serial: Option<String>,
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
            usb_id: r.opt_text("usb_id")?,
            usb_serial: r.opt_text("usb_serial")?,
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
    /// The decision.
    pub status: SoftwareStatus,
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
            status: word(r, "status")?,
            requested_at: show_us(r.i64("requested_at")?),
            decided_by: r.opt_i64("decided_by")?,
            decided_at: opt_time(r, "decided_at")?,
            decision_reason: r.opt_text("decision_reason")?,
        })
    }
}

/// A new official social media account.
#[derive(Debug, Clone, Default)]
pub struct NewSocial {
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
    /// Whether it is in use.
    pub status: SocialStatus,
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
            status: word(r, "status")?,
            updated_at: show_us(r.i64("updated_at")?),
        })
    }

    /// `social 2 (linkedin @iimts)`.
    pub fn label(&self) -> String {
        format!("social {} ({} {})", self.id, self.platform, self.handle)
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
    /// What it is.
    pub kind: AckKind,
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
            kind: word(r, "kind")?,
            device_id: r.opt_i64("device_id")?,
            at: show_us(r.i64("at")?),
        })
    }
}

/// A new incident.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// Kind.
    pub kind: IncidentKind,
    /// Who reported it.
    pub reported_by: i64,
    /// What happened.
    pub description: String,
    /// The device, for lost or stolen devices.
    pub device_id: Option<i64>,
    /// The role it goes to.
    pub routed_to: String,
}

/// A reported incident.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Incident {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: IncidentKind,
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
    /// Whether it is being dealt with.
    pub status: IncidentStatus,
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
            kind: word(r, "kind")?,
            reported_by: r.i64("reported_by")?,
            reported_at: show_us(r.i64("reported_at")?),
            description: r.text("description")?,
            device_id: r.opt_i64("device_id")?,
            routed_to: r.text("routed_to")?,
            status: word(r, "status")?,
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

/// A logged data breach.
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
    /// Who logged it.
    pub logged_by: i64,
    /// Where it stands.
    pub status: BreachState,
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
        Ok(Breach {
            id: r.i64("id")?,
            description: r.text("description")?,
            data_categories: r.text("data_categories")?,
            approx_people: r.opt_i64("approx_people")?,
            approx_records: r.opt_i64("approx_records")?,
            likely_consequences: r.text("likely_consequences")?,
            measures: r.text("measures")?,
            contact_point: r.text("contact_point")?,
            aware_at: show_us(r.i64("aware_at")?),
            logged_by: r.i64("logged_by")?,
            status: word(r, "status")?,
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

    /// When the organisation became aware, as an instant.
    pub fn aware(&self) -> Result<jiff::Timestamp> {
        self.aware_at
            .parse()
            .map_err(|e| Error::invalid("aware_at", e))
    }
}

/// A new data subject request.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The person in the register, when known.
    pub person_id: Option<i64>,
    /// Who made it, as they gave it.
    pub requester: String,
    /// Which right.
    pub kind: RequestKind,
    /// Day received.
    pub received_on: jiff::civil::Date,
    /// Who handles it.
    pub handled_by: Option<i64>,
}

/// A data subject request as stored: the clock's inputs, not its reading (the app reads it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubjectRequest {
    /// Id.
    pub id: i64,
    /// The person in the register, when known.
    pub person_id: Option<i64>,
    /// Who made it, as they gave it.
    pub requester: String,
    /// Which right.
    pub kind: RequestKind,
    /// Day received.
    pub received_on: String,
    /// Where it stands.
    pub status: RequestStatus,
    /// Since when the clock has stood still.
    pub paused_since: Option<String>,
    /// What is awaited.
    pub pause_reason: Option<PauseReason>,
    /// Days the clock stood still in earlier pauses.
    pub paused_days: i64,
    /// Extended by two months.
    pub extended: bool,
    /// Why.
    pub extension_reason: Option<String>,
    /// When the requester was told of the extension.
    pub extension_notice_on: Option<String>,
    /// Day closed.
    pub closed_on: Option<String>,
    /// What was done, or why refused.
    pub outcome: Option<String>,
}

impl SubjectRequest {
    pub(crate) fn from_row(r: &Row) -> Result<SubjectRequest> {
        Ok(SubjectRequest {
            id: r.i64("id")?,
            person_id: r.opt_i64("person_id")?,
            requester: r.text("requester")?,
            kind: word(r, "kind")?,
            received_on: r.text("received_on")?,
            status: word(r, "status")?,
            paused_since: r.opt_text("paused_since")?,
            pause_reason: r.opt_text("pause_reason")?.map(|w| w.parse()).transpose()?,
            paused_days: r.i64("paused_days")?.max(0),
            extended: r.bool("extended")?,
            extension_reason: r.opt_text("extension_reason")?,
            extension_notice_on: r.opt_text("extension_notice_on")?,
            closed_on: r.opt_text("closed_on")?,
            outcome: r.opt_text("outcome")?,
        })
    }

    /// The day received.
    pub fn received(&self) -> Result<jiff::civil::Date> {
        crate::time::parse_date("received_on", &self.received_on)
    }

    /// The day the clock stopped, while paused.
    pub fn paused_on(&self) -> Result<Option<jiff::civil::Date>> {
        self.paused_since
            .as_deref()
            .map(|d| crate::time::parse_date("paused_since", d))
            .transpose()
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

    /// The last day, as a date.
    pub fn leaving(&self) -> Result<jiff::civil::Date> {
        crate::time::parse_date("leaving_date", &self.leaving_date)
    }
}

/// A message for a person, shown in their self-service: that their monitoring records
/// were looked at, by whom and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Notice {
    /// Id.
    pub id: i64,
    /// For whom.
    pub person_id: i64,
    /// When.
    pub at: String,
    /// The message.
    pub text: String,
    /// The audit row of what it tells of.
    pub audit_seq: Option<i64>,
}

impl Notice {
    pub(crate) fn from_row(r: &Row) -> Result<Notice> {
        Ok(Notice {
            id: r.i64("id")?,
            person_id: r.i64("person_id")?,
            at: show_us(r.i64("at")?),
            text: r.text("text")?,
            audit_seq: r.opt_i64("audit_seq")?,
        })
    }
}
