//! The fixed vocabulary of DESIGN section 4: verdicts, severities, web categories and checks.
//!
//! These names appear in policy packs, decision JSON, reports and tests, so each enum
//! serialises to exactly the snake_case word the design lists.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Declares a fieldless enum with its wire names, `as_str`, `Display`, `FromStr` and `ALL`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used in packs and JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownWord { what: $what, word: s.to_string(), expected: &[$($text),+] }),
                }
            }
        }
    };
}

/// A word that is not in one of the fixed vocabularies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// What kind of word was expected (`category`, `check`, ...).
    pub what: &'static str,
    /// The word as written.
    pub word: String,
    /// Every accepted word.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}`, expected one of: {}",
            self.what,
            self.word,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownWord {}

vocabulary! {
    /// What a decision tells the gateway to do. Ordered: a decision takes the strongest
    /// action among the rules that matched, and `Allow` when none matched.
    Verdict, "action" {
        /// Let it through, record nothing beyond the decision.
        Allow => "allow",
        /// Let it through and keep a monitoring record.
        Log => "log",
        /// Let it through, tell the user and record it.
        Warn => "warn",
        /// Keep it until someone authorises it (mail quarantine, web: refused until approved).
        Hold => "hold",
        /// Refuse it.
        Block => "block",
    }
}

vocabulary! {
    /// How serious a finding is under the organisation's disciplinary rules.
    Severity, "severity" {
        /// Worth recording; no breach.
        Info => "info",
        /// A possible breach someone should look at.
        Concern => "concern",
        /// A breach the policy treats as misconduct.
        Misconduct => "misconduct",
        /// A breach the policy names as gross misconduct.
        GrossMisconduct => "gross_misconduct",
    }
}

vocabulary! {
    /// Web categories, the names every category list is mapped onto.
    #[allow(missing_docs, reason = "each variant is its own documentation")]
    Category, "category" {
        Adult => "adult",
        Gambling => "gambling",
        Drugs => "drugs",
        Hate => "hate",
        Extremism => "extremism",
        Cults => "cults",
        CriminalSkills => "criminal_skills",
        Malware => "malware",
        Phishing => "phishing",
        Piracy => "piracy",
        Circumvention => "circumvention",
        Chat => "chat",
        Forums => "forums",
        SocialMedia => "social_media",
        Streaming => "streaming",
        Webmail => "webmail",
        PublicAi => "public_ai",
        Shopping => "shopping",
        Games => "games",
        Dating => "dating",
        FileSharing => "file_sharing",
        News => "news",
        Jobsearch => "jobsearch",
        Finance => "finance",
        Blog => "blog",
        SelfHarm => "self_harm",
        Other => "other",
    }
}

vocabulary! {
    /// What a finding found: the `check` field of a finding. DESIGN section 4 defines each.
    #[allow(missing_docs, reason = "DESIGN section 4 documents every check")]
    Check, "check" {
        // Mail.
        ExecutableAttachment => "executable_attachment",
        DoubleExtension => "double_extension",
        GroupAddressVisible => "group_address_visible",
        MassMail => "mass_mail",
        MissingDisclaimer => "missing_disclaimer",
        MissingCompanyDetails => "missing_company_details",
        PersonalDataExternal => "personal_data_external",
        ConfidentialUnencrypted => "confidential_unencrypted",
        PaymentDetailsChange => "payment_details_change",
        ChainLetter => "chain_letter",
        AbusiveLanguage => "abusive_language",
        ForwardToPersonalWebmail => "forward_to_personal_webmail",
        SpoofedInternalSender => "spoofed_internal_sender",
        Unscannable => "unscannable",
        PersonalMarked => "personal_marked",
        // Web.
        ProhibitedCategory => "prohibited_category",
        RestrictedOutsideWindow => "restricted_outside_window",
        UrlListMatch => "url_list_match",
        LargeDownload => "large_download",
        UnknownUser => "unknown_user",
        SensitiveUpload => "sensitive_upload",
        SearchTerm => "search_term",
        UnclassifiedSite => "unclassified_site",
        // Activity.
        AccessOutsideHours => "access_outside_hours",
        LoginWithoutMfa => "login_without_mfa",
        ConcurrentSessions => "concurrent_sessions",
        UnauthorisedDevice => "unauthorised_device",
        UnauthorisedSoftware => "unauthorised_software",
        WorkFilesOnLocalDrive => "work_files_on_local_drive",
        ExcessivePersonalUse => "excessive_personal_use",
        UnusualActivity => "unusual_activity",
        UnacknowledgedPolicy => "unacknowledged_policy",
        UnknownNetwork => "unknown_network",
    }
}

vocabulary! {
    /// The kind of event a rule applies to.
    Area, "area" {
        /// Web requests (Squid helper, ICAP, proxy logs).
        Web => "web",
        /// Mail messages (milter, policy service, `check mail`).
        Mail => "mail",
        /// Logins, VPN sessions, devices, software and usage totals.
        Activity => "activity",
    }
}

vocabulary! {
    /// A safeguarding phrase list that `search_term` checks queries against (a rule's
    /// `phrase_lists`; none named: all of them).
    PhraseList, "phrase list" {
        /// Suicide, self-harm and eating disorders.
        SelfHarm => "self_harm",
        /// Extremism and radicalisation.
        Extremism => "extremism",
        /// Child abuse, sexual exploitation and bullying.
        Abuse => "abuse",
        /// Weapons and explosives.
        Weapons => "weapons",
        /// Buying, making and taking illegal drugs.
        Drugs => "drugs",
    }
}

vocabulary! {
    /// Which way a message is going, seen from the organisation.
    Direction, "direction" {
        /// Received from outside.
        Inbound => "inbound",
        /// Sent by someone inside to at least one outside recipient.
        Outbound => "outbound",
        /// Every recipient is inside the organisation.
        Internal => "internal",
    }
}

impl Check {
    /// The area whose events can produce this check.
    pub fn area(self) -> Area {
        use Check::*;
        match self {
            ExecutableAttachment
            | DoubleExtension
            | GroupAddressVisible
            | MassMail
            | MissingDisclaimer
            | MissingCompanyDetails
            | PersonalDataExternal
            | ConfidentialUnencrypted
            | PaymentDetailsChange
            | ChainLetter
            | AbusiveLanguage
            | ForwardToPersonalWebmail
            | SpoofedInternalSender
            | Unscannable
            | PersonalMarked => Area::Mail,
            ProhibitedCategory
            | RestrictedOutsideWindow
            | UrlListMatch
            | LargeDownload
            | UnknownUser
            | SensitiveUpload
            | SearchTerm
            | UnclassifiedSite => Area::Web,
            AccessOutsideHours
            | LoginWithoutMfa
            | ConcurrentSessions
            | UnauthorisedDevice
            | UnauthorisedSoftware
            | WorkFilesOnLocalDrive
            | ExcessivePersonalUse
            | UnusualActivity
            | UnacknowledgedPolicy
            | UnknownNetwork => Area::Activity,
        }
    }
}

/// The categories whose requests' bodies the gateways read for `sensitive_upload`: where an
/// upload leaves the organisation for a service that keeps it.
pub const UPLOAD_CATEGORIES: [Category; 3] =
    [Category::PublicAi, Category::Webmail, Category::FileSharing];

/// A set of categories, one bit each: small enough to copy and to keep per domain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CategorySet(u32);

impl CategorySet {
    /// The empty set.
    pub const EMPTY: CategorySet = CategorySet(0);

    /// The set holding one category.
    pub fn of(category: Category) -> Self {
        CategorySet(1 << category as u32)
    }

    /// Adds a category.
    pub fn insert(&mut self, category: Category) {
        self.0 |= 1 << category as u32;
    }

    /// Whether the set holds `category`.
    pub fn contains(self, category: Category) -> bool {
        self.0 & (1 << category as u32) != 0
    }

    /// Every category in either set.
    pub fn union(self, other: CategorySet) -> Self {
        CategorySet(self.0 | other.0)
    }

    /// Every category in both sets.
    pub fn intersection(self, other: CategorySet) -> Self {
        CategorySet(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The categories in vocabulary order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL
            .iter()
            .copied()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Category> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        let mut set = CategorySet::EMPTY;
        for category in iter {
            set.insert(category);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_ordered_by_strength() {
        assert!(Verdict::Allow < Verdict::Log);
        assert!(Verdict::Log < Verdict::Warn);
        assert!(Verdict::Warn < Verdict::Hold);
        assert!(Verdict::Hold < Verdict::Block);
    }

    #[test]
    fn every_word_round_trips() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(*c));
        }
        for c in Check::ALL {
            assert_eq!(c.as_str().parse::<Check>(), Ok(*c));
        }
    }

    #[test]
    fn unknown_category_names_the_word_and_the_choices() {
        let err = "gamblng".parse::<Category>().unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("unknown category `gamblng`, expected one of: adult, gambling"));
    }

    #[test]
    fn category_set_holds_all_twenty_seven() {
        let all: CategorySet = Category::ALL.iter().copied().collect();
        assert_eq!(all.iter().count(), 27);
    }

    #[test]
    fn check_areas() {
        assert_eq!(Check::MassMail.area(), Area::Mail);
        assert_eq!(Check::UrlListMatch.area(), Area::Web);
        assert_eq!(Check::ExcessivePersonalUse.area(), Area::Activity);
    }
}
