//! A validated policy pack: every word known, every time parsed, every window resolved.

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::diag::Location;
use crate::vocab::{Area, Category, CategorySet, Check, Direction, PhraseList, Severity, Verdict};
use crate::window::Windows;

/// A policy pack that loaded cleanly. Build one with [`crate::load_file`] or [`crate::parse`].
#[derive(Debug, Clone)]
pub struct Pack {
    /// The file it came from, as given.
    pub file: String,
    /// `[policy]`.
    pub meta: Meta,
    /// `[organisation]`.
    pub organisation: Organisation,
    /// `[hours]` and `[windows]`, resolved, in the pack's time zone.
    pub windows: Windows,
    /// `[mail]`.
    pub mail: MailSettings,
    /// `[web]`.
    pub web: WebSettings,
    /// `[monitoring]`. Personal-marked mail always keeps headers only (DESIGN section 8), so
    /// there is no setting for it.
    pub monitoring: Monitoring,
    /// `[passwords]`.
    pub passwords: Option<Passwords>,
    /// `[[accounts.address]]`: how email addresses are made.
    pub address_formats: Vec<AddressFormat>,
    /// `[governance]`.
    pub governance: Governance,
    /// `[[rule]]`, in file order.
    pub rules: Vec<Rule>,
}

impl Pack {
    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules for one kind of event.
    pub fn rules_on(&self, area: Area) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.on == area)
    }

    /// Refuses role names the pack does not declare, naming the ones it does. A pack that
    /// declares no roles accepts any name.
    pub fn check_roles<S: AsRef<str>>(&self, roles: &[S]) -> Result<(), UndeclaredRoles> {
        let declared = &self.organisation.roles;
        if declared.is_empty() {
            return Ok(());
        }
        let mut unknown: Vec<String> = roles
            .iter()
            .map(AsRef::as_ref)
            .filter(|r| !declared.iter().any(|d| d == r))
            .map(str::to_string)
            .collect();
        unknown.dedup();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(UndeclaredRoles {
                unknown,
                declared: declared.clone(),
            })
        }
    }
}

/// `[policy]`: what the pack is and where it comes from.
#[derive(Debug, Clone)]
pub struct Meta {
    /// Stable id, such as `iimts`.
    pub id: String,
    /// Title of the written policy.
    pub title: String,
    /// The document the pack encodes (code, version).
    pub source: String,
    /// The written policy's version.
    pub version: Option<String>,
    /// Who owns the policy.
    pub owner: Option<String>,
    /// When the written policy is due for review.
    pub review_due: Option<Date>,
    /// When it was last reviewed.
    pub last_reviewed: Option<Date>,
    /// Where `review_due` is in the file, for the overdue warning.
    pub review_location: Location,
    /// IANA time zone name; windows are read in it.
    pub timezone: String,
}

/// `[organisation]`.
#[derive(Debug, Clone, Default)]
pub struct Organisation {
    /// Legal name.
    pub name: String,
    /// Companies House or CIC number.
    pub registered_number: Option<String>,
    /// The organisation's own mail and web domains.
    pub domains: Vec<String>,
    /// Registered office.
    pub address: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// General mail address.
    pub email: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Whom staff ask about the policy ("the IT Department").
    pub contact: Option<String>,
    /// The roles people may hold (`[organisation] roles`). Every role a rule, `[governance]`
    /// or an address format names must be one of them, and so must every role given to a
    /// person in the register. Empty when the pack declares none; then names are not checked
    /// (lint warns).
    pub roles: Vec<String>,
}

/// Roles given that the pack does not declare (see [`Pack::check_roles`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndeclaredRoles {
    /// The names given that are not declared.
    pub unknown: Vec<String>,
    /// The roles the pack declares.
    pub declared: Vec<String>,
}

impl std::fmt::Display for UndeclaredRoles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted: Vec<String> = self.unknown.iter().map(|r| format!("`{r}`")).collect();
        let (noun, verb) = if self.unknown.len() == 1 {
            ("role", "is")
        } else {
            ("roles", "are")
        };
        write!(
            f,
            "{noun} {} {verb} not declared by the pack: its [organisation] roles are {}",
            quoted.join(", "),
            self.declared.join(", ")
        )
    }
}

impl std::error::Error for UndeclaredRoles {}

/// `[mail]`: texts and lists the mail checks use.
#[derive(Debug, Clone, Default)]
pub struct MailSettings {
    /// The standard disclaimer every outgoing message must carry.
    pub disclaimer: Option<String>,
    /// Whether the milter appends the disclaimer where it is missing.
    pub add_disclaimer: bool,
    /// Strings the foot of each message must contain (registered number, contact details).
    pub company_details: Vec<String>,
    /// Distribution lists that belong in Bcc.
    pub group_addresses: Vec<String>,
    /// Subject words that mark a message personal (`personal`, `private`).
    pub personal_labels: Vec<String>,
    /// Personal webmail domains.
    pub personal_webmail_domains: Vec<String>,
    /// Domains counted as inside the organisation (defaults to the organisation's domains).
    pub internal_domains: Vec<String>,
}

/// `[web]`.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Whom the block page tells people to ask.
    pub block_page_contact: Option<String>,
    /// URL lists by name (IWF, CTIRU, local), each a file of host/path prefixes.
    pub url_lists: BTreeMap<String, String>,
    /// Names and terms (customers, projects) that must not be uploaded to public AI tools,
    /// webmail or file sharing (`sensitive_upload`): lowercased, white space folded.
    pub sensitive_terms: Vec<String>,
    /// Search pages besides the built-in engines whose queries `search_term` reads
    /// (`[[web.search_engines]]`).
    pub search_engines: Vec<SearchEngine>,
    /// The pack's own category entries (`[web.lists]`: category to hosts and `host/path`
    /// prefixes), applied on top of the category index.
    pub lists: BTreeMap<Category, Vec<String>>,
}

/// A search page the pack adds: requests for `host` (or a subdomain) whose path starts with
/// `path` carry the query in the parameter `param`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEngine {
    /// The name findings use (default: the host).
    pub name: String,
    /// The host, lowercase, matched on label boundaries.
    pub host: String,
    /// A path prefix such as `/search`; `None` for any path.
    pub path: Option<String>,
    /// The query parameter, such as `q`.
    pub param: String,
}

/// `[monitoring]`.
#[derive(Debug, Clone, Default)]
pub struct Monitoring {
    /// How long monitoring records are kept; `None` keeps them until purged by hand.
    pub retention_months: Option<u32>,
    /// The clause that sets these.
    pub clause: Option<String>,
    /// Its words.
    pub quote: Option<String>,
}

/// What the written policy says about changing passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// Change at regular intervals (current guidance advises against it).
    Periodic,
    /// Change when there is reason to think a password is known to someone else.
    OnCompromise,
}

/// `[passwords]`.
#[derive(Debug, Clone)]
pub struct Passwords {
    /// When passwords must change.
    pub change: PasswordChange,
    /// The clause.
    pub clause: String,
    /// Its words.
    pub quote: String,
    /// Whether two-factor sign-in is required.
    pub mfa_required: bool,
    /// Where `change` is in the file.
    pub location: Location,
}

/// One `[[accounts.address]]`: how addresses are made for one kind of person.
#[derive(Debug, Clone)]
pub struct AddressFormat {
    /// The role or kind of person (`management`, `staff`, `external`).
    pub applies_to: String,
    /// The local part's pattern, such as `{first}.{last}` or `{department}.{location}`.
    pub format: String,
    /// The clause.
    pub clause: Option<String>,
}

/// `[governance]`: who approves what and how often staff are briefed.
#[derive(Debug, Clone, Default)]
pub struct Governance {
    /// Staff sign the policy before using the systems.
    pub acknowledge_before_use: bool,
    /// Re-briefing interval in months.
    pub briefing_every_months: Option<u32>,
    /// New staff are briefed on joining.
    pub induction: bool,
    /// The role that receives safeguarding alerts.
    pub safeguarding_role: Option<String>,
    /// Roles that may approve software.
    pub software_approvers: Vec<String>,
    /// Roles that may authorise devices and removable media.
    pub device_approvers: Vec<String>,
    /// Roles that may authorise social media accounts.
    pub social_media_approvers: Vec<String>,
    /// Roles that decide requests for access to a site a `hold` rule holds (never their
    /// own). Default: the software approvers, who already decide what people may use.
    pub access_approvers: Vec<String>,
    /// Roles that keep the people and account registers and publish policy versions (the
    /// operator at the console may too). Default: `hr`.
    pub register_roles: Vec<String>,
    /// Roles that handle data protection: the breach log, subject requests, subject access
    /// exports and erasure. Default: `dpo`.
    pub data_protection_roles: Vec<String>,
    /// Roles that may read people's monitoring records, with a stated reason. Default:
    /// `compliance`.
    pub compliance_roles: Vec<String>,
    /// Roles that read everything on the dashboard and change nothing, every view logged
    /// (DESIGN section 1). Default: `auditor`.
    pub auditor_roles: Vec<String>,
    /// Who is told of a data breach.
    pub breach_contact: Option<String>,
    /// Who handles data subject requests.
    pub subject_request_contact: Option<String>,
    /// Where staff report concerns.
    pub report_to: Option<String>,
}

/// Whether a rule applies inside or outside a named window.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WindowCondition {
    /// Matches only while the window is open.
    During(String),
    /// Matches only while the window is closed.
    Outside(String),
}

/// One `[[rule]]`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id, such as `internet.prohibited-content`.
    pub id: String,
    /// The clause of the written policy it enforces; the linter refuses a rule without one.
    pub clause: Option<String>,
    /// A short quote of the clause.
    pub quote: Option<String>,
    /// The kind of event it applies to.
    pub on: Area,
    /// Web categories that make it match.
    pub categories: CategorySet,
    /// Checks that make it match.
    pub checks: Vec<Check>,
    /// URL lists that make it match.
    pub url_lists: Vec<String>,
    /// The safeguarding phrase lists its `search_term` check uses (empty: all of them).
    pub phrase_lists: Vec<PhraseList>,
    /// Window condition.
    pub window: Option<WindowCondition>,
    /// Only for people with one of these roles (empty: everyone).
    pub roles: Vec<String>,
    /// Not for people with any of these roles.
    pub except_roles: Vec<String>,
    /// Only for mail going this way.
    pub direction: Option<Direction>,
    /// Recipient threshold for `group_address_visible` and `mass_mail`.
    pub max_recipients: Option<u32>,
    /// Size threshold for `large_download`.
    pub max_download_mb: Option<u64>,
    /// Daily threshold for `excessive_personal_use`.
    pub max_minutes_per_day: Option<u32>,
    /// Daily threshold of personal-marked messages for `excessive_personal_use` (IMPRESS:
    /// "an excessive number of personal communications").
    pub max_messages_per_day: Option<u32>,
    /// Score (above 0, at most 1) at or above which a model makes its check match: the
    /// abusive-language model for `abusive_language`, the site model for `unclassified_site`;
    /// unset: the engine's default for that model.
    pub model_threshold: Option<f64>,
    /// The networks a laptop may join, for `unknown_network` (SSIDs, VPN profiles, subnets as
    /// the network lines name them, compared without regard to case).
    pub networks: Vec<String>,
    /// What to do when it matches.
    pub action: Verdict,
    /// How serious a match is.
    pub severity: Severity,
    /// Roles to alert at once.
    pub alert: Vec<String>,
    /// Message shown instead of the generated one.
    pub message: Option<String>,
    /// Where the rule starts in the file.
    pub location: Location,
}

impl Rule {
    /// Whether the rule applies to someone holding `roles`.
    pub fn applies_to_roles<S: AsRef<str>>(&self, roles: &[S]) -> bool {
        let has = |wanted: &String| roles.iter().any(|r| r.as_ref() == wanted);
        (self.roles.is_empty() || self.roles.iter().any(has)) && !self.except_roles.iter().any(has)
    }

    /// What part of a mail rule tells colleagues from outsiders by the organisation's mail
    /// domains, when one does: without the domains that part never fires.
    pub fn needs_mail_domains(&self) -> Option<&'static str> {
        if self.on != Area::Mail {
            return None;
        }
        if self.direction == Some(Direction::Internal) {
            Some("decides mail between colleagues (`direction = \"internal\"`)")
        } else if self.checks.contains(&Check::SpoofedInternalSender) {
            Some("looks for mail from outside posing as a colleague (`spoofed_internal_sender`)")
        } else if self.checks.contains(&Check::GroupAddressVisible) && self.max_recipients.is_some()
        {
            Some(
                "counts colleagues' addresses in To and Cc (`group_address_visible` with `max_recipients`)",
            )
        } else {
            None
        }
    }
}
