//! Cyber Essentials readiness (NCSC, Cyber Essentials: Requirements for IT Infrastructure,
//! v3.3): the five technical control themes, each control shown as met, not met or unknown
//! from the evidence Charter holds. What Charter cannot see (firewall rules, patch levels,
//! anti-malware installs) is unknown, never met; a theme is met only when every control in
//! it is.

use charter_policy::{Category, Check, Verdict};
use charter_store::{AccountStatus, DeviceStatus, PersonStatus, SocialStatus};

use super::governance::inert;
use super::leavers::ticked_by;
use super::{Control, Gathered, Readiness, Requirement};

const NOT_HELD: &str = "not held by Charter";

fn control(control: &str, status: Readiness, finding: String, source: &str) -> Control {
    Control {
        control: control.to_string(),
        status,
        finding,
        source: source.to_string(),
    }
}

fn unknown(what: &str, missing: &str) -> Control {
    control(what, Readiness::Unknown, missing.to_string(), NOT_HELD)
}

fn theme(name: &str, controls: Vec<Control>) -> Requirement {
    Requirement {
        theme: name.to_string(),
        status: Readiness::of_all(controls.iter().map(|c| c.status)),
        controls,
    }
}

/// Whether the pack has a rule on `check` that something feeds, and the rule's id.
enum Watch {
    /// No rule in the pack checks it.
    NoRule,
    /// A rule checks it but nothing feeds that rule at this site.
    Inert(String),
    /// A rule checks it and is fed.
    Fed(String),
}

fn watch(g: &Gathered, check: Check) -> Watch {
    let Some(rule) = g.pack.rules.iter().find(|r| r.checks.contains(&check)) else {
        return Watch::NoRule;
    };
    if inert(g, &rule.id) {
        Watch::Inert(rule.id.clone())
    } else {
        Watch::Fed(rule.id.clone())
    }
}

/// A control evidenced by a rule on `check`: not met when it fired in the month, met when it
/// is fed and did not, unknown when no rule checks it or nothing feeds the rule (the
/// organisation may control it by other means Charter does not see).
fn watched(g: &Gathered, what: &str, check: Check, fired: &str) -> Control {
    let n = g.check_count(check.as_str());
    let source = format!(
        "decisions: check_name = {}, {}",
        check.as_str(),
        g.filter("at")
    );
    match watch(g, check) {
        _ if n > 0 => control(
            what,
            Readiness::NotMet,
            format!("{n} {fired} in the month"),
            &source,
        ),
        Watch::Fed(rule) => control(
            what,
            Readiness::Met,
            format!("rule `{rule}` watches for it and found none in the month"),
            &source,
        ),
        Watch::Inert(rule) => control(
            what,
            Readiness::Unknown,
            format!("rule `{rule}` would watch for it, but no log source feeds it (see lint)"),
            &source,
        ),
        Watch::NoRule => control(
            what,
            Readiness::Unknown,
            format!(
                "the pack has no rule with check `{}`, so Charter cannot see it",
                check.as_str()
            ),
            "the policy pack",
        ),
    }
}

fn firewalls(g: &Gathered) -> Requirement {
    let networks = g.check_count(Check::UnknownNetwork.as_str());
    let mut device_fw = "Charter cannot see whether software firewalls are on".to_string();
    if networks > 0 {
        device_fw.push_str(&format!(
            "; {networks} records of laptops joining networks that are not authorised, where a software firewall is required"
        ));
    }
    theme(
        "Firewalls",
        vec![
            unknown(
                "Boundary firewall protects every device, default admin passwords changed, inbound rules approved and documented",
                "firewall and router configuration is not held by Charter",
            ),
            control(
                "Software firewall on devices used on untrusted networks",
                Readiness::Unknown,
                device_fw,
                &format!(
                    "decisions: check_name = unknown_network, {}",
                    g.filter("at")
                ),
            ),
        ],
    )
}

fn secure_configuration(g: &Gathered) -> Requirement {
    let in_use: Vec<_> = g
        .devices
        .iter()
        .filter(|d| d.status == DeviceStatus::Assigned)
        .collect();
    let unencrypted = in_use.iter().filter(|d| !d.encrypted).count();
    let encryption = if in_use.is_empty() {
        control(
            "Devices in use are encrypted",
            Readiness::Unknown,
            "no devices are assigned in the register".into(),
            "devices: status = assigned",
        )
    } else if unencrypted > 0 {
        control(
            "Devices in use are encrypted",
            Readiness::NotMet,
            format!(
                "{unencrypted} of {} assigned devices are not recorded as encrypted",
                in_use.len()
            ),
            "devices: status = assigned, encrypted = false",
        )
    } else {
        control(
            "Devices in use are encrypted",
            Readiness::Met,
            format!(
                "all {} assigned devices are recorded as encrypted",
                in_use.len()
            ),
            "devices: status = assigned",
        )
    };
    let in_force = g.media.iter().filter(|m| m.revoked_at.is_none()).count();
    let mut media = watched(
        g,
        "Removable media controlled",
        Check::UnauthorisedDevice,
        "uses of removable media or hardware not authorised",
    );
    media.finding.push_str(&format!(
        "; {in_force} removable-media authorisations not revoked"
    ));
    theme(
        "Secure configuration",
        vec![
            watched(
                g,
                "Devices are registered",
                Check::UnauthorisedDevice,
                "uses of hardware not in the register",
            ),
            encryption,
            media,
            unknown(
                "Default passwords changed, auto-run off, unnecessary software and accounts removed",
                "device build settings are not held by Charter",
            ),
        ],
    )
}

fn security_updates(_: &Gathered) -> Requirement {
    theme(
        "Security update management",
        vec![
            unknown(
                "Software is licensed and supported",
                "Charter's software register holds what was approved, not versions or support status",
            ),
            unknown(
                "High and critical updates applied within 14 days",
                "patch levels are not held by Charter",
            ),
        ],
    )
}

fn user_access(g: &Gathered) -> Requirement {
    let left: std::collections::HashSet<i64> = g
        .people
        .iter()
        .filter(|p| p.status != PersonStatus::Active)
        .map(|p| p.id)
        .collect();
    let active_accounts: Vec<_> = g
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .collect();
    let of_leavers = active_accounts
        .iter()
        .filter(|a| left.contains(&a.person_id))
        .count();
    let disabled_on_leaving = if g.accounts.is_empty() {
        control(
            "Accounts disabled on leaving",
            Readiness::Unknown,
            "no accounts are in the register".into(),
            "accounts",
        )
    } else if of_leavers > 0 {
        control(
            "Accounts disabled on leaving",
            Readiness::NotMet,
            format!("{of_leavers} active accounts belong to people who have left"),
            "accounts: status = active; people: status = left",
        )
    } else {
        let today = g.now.to_zoned_datetime(g.tz.clone()).date();
        let late = g
            .leavers
            .iter()
            .filter_map(|l| Some((l, l.leaving_date.parse::<jiff::civil::Date>().ok()?)))
            .filter(|(l, d)| *d < today && !ticked_by(l.accounts_disabled.as_ref(), *d, g))
            .count();
        if late > 0 {
            control(
                "Accounts disabled on leaving",
                Readiness::NotMet,
                format!("{late} leavers' accounts were not disabled by their leaving date"),
                "leavers: leaving_date passed, accounts_disabled_at",
            )
        } else {
            control(
                "Accounts disabled on leaving",
                Readiness::Met,
                format!(
                    "no active account belongs to someone who has left; {} leaver checklists",
                    g.leavers.len()
                ),
                "accounts; people; leavers",
            )
        }
    };
    let logins: Vec<_> = g.users.iter().filter(|u| u.disabled_at.is_none()).collect();
    let no_totp = logins.iter().filter(|u| u.totp_secret.is_none()).count();
    let socials: Vec<_> = g
        .socials
        .iter()
        .filter(|s| s.status == SocialStatus::Active)
        .collect();
    let no_2fa = socials.iter().filter(|s| !s.two_factor).count();
    let mut mfa = watched(
        g,
        "Two-factor authentication on",
        Check::LoginWithoutMfa,
        "sign-ins without a second factor",
    );
    let mut gaps = Vec::new();
    if no_totp > 0 {
        gaps.push(format!(
            "{no_totp} of {} dashboard logins have no second factor",
            logins.len()
        ));
    }
    if no_2fa > 0 {
        gaps.push(format!(
            "{no_2fa} of {} official social media accounts have no two-factor",
            socials.len()
        ));
    }
    if !gaps.is_empty() {
        mfa.status = Readiness::NotMet;
        mfa.finding = format!("{}; {}", gaps.join("; "), mfa.finding);
        mfa.source
            .push_str("; users; social_accounts: status = active");
    }
    theme(
        "User access control",
        vec![
            control(
                "Accounts are approved before they are issued",
                Readiness::Unknown,
                format!(
                    "{} accounts are in Charter's register, each added with an audit record; accounts made outside Charter are not seen",
                    active_accounts.len()
                ),
                "accounts; audit: action = account.add",
            ),
            disabled_on_leaving,
            mfa,
            unknown(
                "Administrator accounts used only for administration",
                "which accounts hold administrative rights is not held by Charter",
            ),
        ],
    )
}

fn malware(g: &Gathered) -> Requirement {
    let blocks = |c: Category| {
        g.pack
            .rules
            .iter()
            .any(|r| r.action == Verdict::Block && r.categories.contains(c))
    };
    let filter = if blocks(Category::Malware) && blocks(Category::Phishing) {
        control(
            "Connections to malicious websites are prevented",
            Readiness::Met,
            "the pack blocks the malware and phishing categories".into(),
            "the policy pack: rules with action = block",
        )
    } else {
        control(
            "Connections to malicious websites are prevented",
            Readiness::NotMet,
            "the pack does not block both the malware and phishing categories".into(),
            "the policy pack: rules with action = block",
        )
    };
    let approved = g
        .software
        .iter()
        .filter(|s| s.status == charter_store::SoftwareStatus::Approved)
        .count();
    let mut listing = watched(
        g,
        "Only approved software runs (application allow-listing)",
        Check::UnauthorisedSoftware,
        "uses of software not approved",
    );
    listing
        .finding
        .push_str(&format!("; {approved} software requests approved"));
    theme(
        "Malware protection",
        vec![
            unknown(
                "Anti-malware software on every device, updated and scanning",
                "anti-malware installations are not held by Charter",
            ),
            listing,
            filter,
        ],
    )
}

pub(super) fn assess(g: &Gathered) -> Vec<Requirement> {
    vec![
        firewalls(g),
        secure_configuration(g),
        security_updates(g),
        user_access(g),
        malware(g),
    ]
}
