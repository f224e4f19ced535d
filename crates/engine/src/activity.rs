//! Activity decisions: logins, remote access, devices, software and usage totals.
//!
//! The caller states the facts (is this software on the approved list, was the device
//! authorised, was two-factor used, how many personal minutes today); the engine applies the
//! pack's activity rules to them. The approved software list comes from the store's software
//! register, handed in by the caller, so the engine stays pure.

use charter_policy::{Area, Check, Rule};

use crate::{Context, Decision, Engine, Finding, Privacy};

/// One activity event, with the facts the rules need.
#[derive(Debug, Clone)]
pub enum Activity<'a> {
    /// Software installed or about to be installed.
    Software {
        /// Its name as reported.
        name: &'a str,
        /// The approved list from the software register.
        approved: &'a [String],
    },
    /// Hardware or removable media attached to a work device.
    Device {
        /// What was attached (`USB mass storage SanDisk 0781:5567`).
        description: &'a str,
        /// Whether the device register authorises it.
        authorised: bool,
    },
    /// A remote-access (VPN) session starting.
    RemoteAccess {
        /// Where from (address or place).
        from: &'a str,
        /// Whether two-factor sign-in was used; `None` when the log cannot say, which is
        /// never taken for "without".
        mfa: Option<bool>,
        /// Whether the person has express permission (an approval in force) to connect
        /// outside the agreed hours.
        permitted: bool,
    },
    /// A sign-in to a system.
    Login {
        /// The system.
        system: &'a str,
        /// Whether two-factor sign-in was used; `None` when the log cannot say.
        mfa: Option<bool>,
    },
    /// One account signed in from several places at once.
    ConcurrentSessions {
        /// The places (addresses, devices).
        places: &'a [String],
    },
    /// Work files found on a local drive rather than the server.
    LocalWorkFile {
        /// The file's path.
        path: &'a str,
    },
    /// A person's personal-use total for the day so far.
    PersonalUse {
        /// Minutes of personal use today.
        minutes_today: u32,
    },
    /// A person's count of personal-marked messages for the day so far.
    PersonalMail {
        /// Messages marked personal today.
        messages_today: u32,
    },
    /// Someone used the facilities before acknowledging the policy version they must sign.
    Unacknowledged {
        /// What they did (`signed in to the VPN`).
        what: &'a str,
    },
    /// A computer joined a network; the rule's `networks` are the authorised ones.
    Network {
        /// The computer.
        host: &'a str,
        /// The network's name as the line gives it.
        network: &'a str,
    },
    /// Something an anomaly detector flagged.
    Unusual {
        /// What it found.
        description: &'a str,
    },
}

impl Engine {
    /// Decides one activity event.
    pub fn decide_activity(&self, ctx: &Context, event: &Activity<'_>) -> Decision {
        let findings = self
            .rules_in_force(Area::Activity, ctx)
            .filter_map(|rule| {
                rule.checks
                    .iter()
                    .find_map(|check| finding(rule, *check, ctx, event))
            })
            .collect();
        Decision::from_findings(findings, Privacy::Full, None)
    }
}

/// The finding `check` of `rule` makes about `event`, if it fires.
fn finding(rule: &Rule, check: Check, ctx: &Context, event: &Activity<'_>) -> Option<Finding> {
    let who = ctx.user.as_deref().unwrap_or("someone");
    let message = match (check, event) {
        (Check::UnauthorisedSoftware, Activity::Software { name, approved }) => {
            let wanted = name.trim();
            let listed = approved.iter().any(|a| a.trim().eq_ignore_ascii_case(wanted));
            (!listed).then(|| format!("{who} installed `{wanted}`, which is not on the approved list"))
        }
        (Check::UnauthorisedDevice, Activity::Device { description, authorised }) => {
            (!authorised).then(|| format!("{who} attached {description} without authorisation"))
        }
        (Check::AccessOutsideHours, Activity::RemoteAccess { from, permitted, .. }) => (!permitted)
            .then(|| format!("{who} connected remotely from {from} at a time the policy does not allow")),
        (Check::LoginWithoutMfa, Activity::RemoteAccess { from, mfa, .. }) => (*mfa == Some(false))
            .then(|| format!("{who} connected remotely from {from} without two-factor sign-in")),
        (Check::LoginWithoutMfa, Activity::Login { system, mfa }) => (*mfa == Some(false))
            .then(|| format!("{who} signed in to {system} without two-factor sign-in")),
        (Check::UnacknowledgedPolicy, Activity::Unacknowledged { what }) => {
            Some(format!("{who} {what} before acknowledging the policy"))
        }
        (Check::UnknownNetwork, Activity::Network { host, network }) => {
            let known = rule.networks.iter().any(|n| n.trim().eq_ignore_ascii_case(network.trim()));
            (!known).then(|| format!("{host} joined network `{network}`, which is not authorised"))
        }
        (Check::ConcurrentSessions, Activity::ConcurrentSessions { places }) => (places.len() > 1)
            .then(|| format!("{who}'s account is signed in from {} places at once: {}", places.len(), places.join(", "))),
        (Check::WorkFilesOnLocalDrive, Activity::LocalWorkFile { path }) => {
            Some(format!("work file {path} is stored on a local drive"))
        }
        // A rule without a threshold cannot say what is excessive, so it never fires.
        (Check::ExcessivePersonalUse, Activity::PersonalUse { minutes_today }) => rule
            .max_minutes_per_day
            .filter(|limit| minutes_today > limit)
            .map(|limit| format!("{who} has used {minutes_today} minutes for personal purposes today, over the {limit}-minute limit")),
        (Check::ExcessivePersonalUse, Activity::PersonalMail { messages_today }) => rule
            .max_messages_per_day
            .filter(|limit| messages_today > limit)
            .map(|limit| format!("{who} has sent or received {messages_today} messages marked personal today, over the limit of {limit}")),
        (Check::UnusualActivity, Activity::Unusual { description }) => {
            Some(format!("unusual activity by {who}: {description}"))
        }
        _ => None,
    }?;
    Some(Finding::of(rule, check, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_policy::Verdict;

    const PACK: &str = r#"
[policy]
id = "a"
title = "Activity"
source = "test"
[organisation]
name = "A Ltd"
[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }

[[rule]]
id = "software"
clause = "3.5"
quote = "Any software installed on the laptop must be authorised prior to installation"
on = "activity"
checks = ["unauthorised_software"]
action = "hold"
severity = "misconduct"

[[rule]]
id = "vpn-hours"
clause = "4"
quote = "Access outside of work hours without express permission is prohibited."
on = "activity"
checks = ["access_outside_hours"]
outside = "working"
action = "block"
severity = "misconduct"

[[rule]]
id = "vpn-mfa"
clause = "Data Security"
quote = "a 2-factor authentication VPN connection when outside the office"
on = "activity"
checks = ["login_without_mfa"]
action = "block"
severity = "concern"

[[rule]]
id = "personal-use"
clause = "Personal use"
quote = "Use must be minimal"
on = "activity"
checks = ["excessive_personal_use"]
max_minutes_per_day = 60
action = "warn"
severity = "concern"

[[rule]]
id = "ack"
clause = "1"
quote = "sign a copy of the agreement prior to using the facilities"
on = "activity"
checks = ["unacknowledged_policy"]
action = "warn"
severity = "concern"

[[rule]]
id = "networks"
clause = "3.3"
quote = "The laptop must not be connected to any other network other than ILT without authorisation"
on = "activity"
checks = ["unknown_network"]
networks = ["ILT"]
action = "warn"
severity = "misconduct"
"#;

    fn engine() -> Engine {
        Engine::new(charter_policy::parse(PACK, "a.toml").unwrap())
    }

    fn ctx(at: &str) -> Context {
        Context::new(
            Some("ann".into()),
            vec!["staff".into()],
            at.parse().unwrap(),
        )
    }

    const MONDAY_TEN: &str = "2026-06-15T09:00:00Z";
    const MONDAY_NIGHT: &str = "2026-06-15T22:00:00Z";

    #[test]
    fn approved_software_is_allowed_whatever_its_case() {
        let approved = vec!["LibreOffice".to_string()];
        let event = Activity::Software {
            name: "libreoffice ",
            approved: &approved,
        };
        assert_eq!(
            engine().decide_activity(&ctx(MONDAY_TEN), &event).verdict,
            Verdict::Allow
        );
    }

    #[test]
    fn software_not_on_the_list_is_held() {
        let approved = vec!["LibreOffice".to_string()];
        let event = Activity::Software {
            name: "uTorrent",
            approved: &approved,
        };
        let d = engine().decide_activity(&ctx(MONDAY_TEN), &event);
        assert_eq!(d.verdict, Verdict::Hold);
        assert_eq!(d.findings[0].check, Check::UnauthorisedSoftware);
        assert_eq!(
            d.findings[0].message,
            "ann installed `uTorrent`, which is not on the approved list"
        );
    }

    #[test]
    fn vpn_in_hours_with_two_factor_is_allowed() {
        let event = Activity::RemoteAccess {
            from: "203.0.113.9",
            mfa: Some(true),
            permitted: false,
        };
        assert_eq!(
            engine().decide_activity(&ctx(MONDAY_TEN), &event).verdict,
            Verdict::Allow
        );
    }

    #[test]
    fn vpn_at_night_is_outside_hours() {
        let event = Activity::RemoteAccess {
            from: "203.0.113.9",
            mfa: Some(true),
            permitted: false,
        };
        let d = engine().decide_activity(&ctx(MONDAY_NIGHT), &event);
        assert_eq!(d.verdict, Verdict::Block);
        assert_eq!(d.findings[0].check, Check::AccessOutsideHours);
    }

    #[test]
    fn vpn_without_two_factor_is_found_at_any_time() {
        let event = Activity::RemoteAccess {
            from: "203.0.113.9",
            mfa: Some(false),
            permitted: false,
        };
        let d = engine().decide_activity(&ctx(MONDAY_TEN), &event);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].check, Check::LoginWithoutMfa);
    }

    #[test]
    fn vpn_at_night_with_permission_is_allowed() {
        let event = Activity::RemoteAccess {
            from: "203.0.113.9",
            mfa: Some(true),
            permitted: true,
        };
        let d = engine().decide_activity(&ctx(MONDAY_NIGHT), &event);
        assert_eq!(d.verdict, Verdict::Allow);
    }

    #[test]
    fn vpn_whose_second_factor_is_unknown_is_not_without_one() {
        let event = Activity::RemoteAccess {
            from: "203.0.113.9",
            mfa: None,
            permitted: false,
        };
        assert_eq!(
            engine().decide_activity(&ctx(MONDAY_TEN), &event).verdict,
            Verdict::Allow
        );
    }

    #[test]
    fn use_before_acknowledging_is_found() {
        let d = engine().decide_activity(
            &ctx(MONDAY_TEN),
            &Activity::Unacknowledged {
                what: "signed in to the VPN",
            },
        );
        assert_eq!(d.findings[0].check, Check::UnacknowledgedPolicy);
        assert_eq!(
            d.findings[0].message,
            "ann signed in to the VPN before acknowledging the policy"
        );
    }

    #[test]
    fn only_networks_the_rule_does_not_list_are_unknown() {
        let e = engine();
        let known = e.decide_activity(
            &ctx(MONDAY_TEN),
            &Activity::Network {
                host: "lt-01",
                network: "ilt",
            },
        );
        let other = e.decide_activity(
            &ctx(MONDAY_TEN),
            &Activity::Network {
                host: "lt-01",
                network: "CoffeeShop WiFi",
            },
        );
        assert_eq!(known.verdict, Verdict::Allow);
        assert_eq!(other.findings[0].check, Check::UnknownNetwork);
        assert_eq!(
            other.findings[0].message,
            "lt-01 joined network `CoffeeShop WiFi`, which is not authorised"
        );
    }

    #[test]
    fn personal_use_over_the_limit_only() {
        let e = engine();
        let under = e.decide_activity(
            &ctx(MONDAY_TEN),
            &Activity::PersonalUse { minutes_today: 60 },
        );
        let over = e.decide_activity(
            &ctx(MONDAY_TEN),
            &Activity::PersonalUse { minutes_today: 61 },
        );
        assert_eq!(under.verdict, Verdict::Allow);
        assert_eq!(over.verdict, Verdict::Warn);
    }

    #[test]
    fn activity_decisions_carry_no_categories() {
        let d = engine().decide_activity(&ctx(MONDAY_TEN), &Activity::Unusual { description: "x" });
        assert_eq!(d.categories, None);
    }
}
