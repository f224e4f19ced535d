//! Which logs feed which activity checks, for the lint of inert rules: a rule whose checks no
//! source the site configures can feed never fires, whatever the pack says.
//!
//! Web and mail rules are never judged inert here: Squid starts the web helper itself, and
//! Postfix calls the milter and the policy service, so charter.toml need not name them.

use crate::{Area, Check, Pack, Rule};

/// The kinds of log a site hands Charter (charter.toml `[ingest]`, and its gateways).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Feeds {
    /// Sign-ins and sign-outs: syslog from OpenVPN, strongSwan, sshd, Dovecot or Postfix SASL
    /// (a syslog file or listener), or JSON login lines.
    pub sign_ins: bool,
    /// Devices attached: usbguard's audit log, or JSON device lines.
    pub devices: bool,
    /// Endpoint reports as JSON lines: software inventory, file locations, networks joined.
    pub endpoint: bool,
    /// Web requests: a Squid access.log source, or a web gateway recording its decisions.
    pub web: bool,
    /// Mail: a milter recording its decisions.
    pub mail: bool,
}

impl Feeds {
    /// Why nothing feeds `check` at this site, naming what would; `None` when something does.
    pub fn missing_for(&self, check: Check) -> Option<&'static str> {
        use Check::*;
        let (fed, what) = match check {
            AccessOutsideHours | LoginWithoutMfa | ConcurrentSessions => (
                self.sign_ins,
                "a syslog source with VPN, SSH or mail sign-ins (OpenVPN, strongSwan, sshd, Dovecot, Postfix SASL), or JSON login lines",
            ),
            UnauthorisedDevice => (self.devices, "a usbguard source, or JSON device lines"),
            UnauthorisedSoftware => (
                self.endpoint,
                "JSON software inventory lines (`charter check software` decides only what is typed)",
            ),
            WorkFilesOnLocalDrive => (self.endpoint, "JSON file-location lines"),
            UnknownNetwork => (self.endpoint, "JSON network lines"),
            UnacknowledgedPolicy => (
                self.sign_ins || self.devices || self.endpoint,
                "any source naming people: sign-ins, devices or JSON lines",
            ),
            ExcessivePersonalUse => (
                self.web || self.mail,
                "a Squid access.log source or a gateway recording web or mail decisions",
            ),
            UnusualActivity => (
                self.web || self.sign_ins,
                "a Squid access.log source, a web gateway, or sign-ins",
            ),
            _ => (true, ""),
        };
        (!fed).then_some(what)
    }

    /// Each activity rule of `pack` that none of these feeds can fire, with what would feed it.
    pub fn inert<'p>(&self, pack: &'p Pack) -> Vec<(&'p Rule, Vec<&'static str>)> {
        pack.rules_on(Area::Activity)
            .filter_map(|rule| {
                let missing: Vec<&'static str> = rule
                    .checks
                    .iter()
                    .map(|c| self.missing_for(*c))
                    .collect::<Option<Vec<_>>>()?;
                Some((rule, missing))
            })
            .collect()
    }
}

/// Why `rule` can never fire whatever feeds a site has, if so: `unacknowledged_policy` in a
/// pack that does not ask people to sign before using the facilities.
pub fn never_fed(pack: &Pack, rule: &Rule) -> Option<&'static str> {
    (rule.checks == [Check::UnacknowledgedPolicy] && !pack.governance.acknowledge_before_use)
        .then_some("checks `unacknowledged_policy`, but [governance] acknowledge_before_use is false, so nobody owes an acknowledgement before use")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{Site, lint_for_site};

    const PACK: &str = r#"
[policy]
id = "f"
title = "Feeds"
source = "test"
[organisation]
name = "F Ltd"
[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
[governance]
acknowledge_before_use = false

[[rule]]
id = "usb"
clause = "1"
quote = "USB sticks need authorisation."
on = "activity"
checks = ["unauthorised_device"]
action = "hold"
severity = "concern"

[[rule]]
id = "vpn"
clause = "2"
quote = "2-factor VPN"
on = "activity"
checks = ["login_without_mfa"]
action = "block"
severity = "concern"

[[rule]]
id = "sign-first"
clause = "3"
quote = "sign before use"
on = "activity"
checks = ["unacknowledged_policy"]
action = "warn"
severity = "concern"

[[rule]]
id = "chat"
clause = "4"
quote = "no chat"
on = "web"
categories = ["chat"]
action = "block"
severity = "concern"
"#;

    fn inert_warnings(feeds: Option<Feeds>) -> Vec<String> {
        let today = jiff::civil::date(2026, 6, 15);
        let site = Site {
            feeds,
            ..Site::default()
        };
        lint_for_site(PACK, "f.toml", today, site)
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "inert_rule")
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn rules_no_configured_source_feeds_are_named_with_what_would() {
        let w = inert_warnings(Some(Feeds::default()));
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].starts_with("rule `usb` is inert"), "{w:?}");
        assert!(w[0].contains("a usbguard source"), "{w:?}");
        assert!(w[1].starts_with("rule `vpn` is inert"), "{w:?}");
        assert!(w[1].contains("OpenVPN"), "{w:?}");
        // The web rule is never inert: Squid starts the helper.
        assert!(!w.iter().any(|m| m.contains("`chat`")), "{w:?}");
    }

    #[test]
    fn a_fed_rule_is_not_inert() {
        let feeds = Feeds {
            devices: true,
            sign_ins: true,
            ..Feeds::default()
        };
        let w = inert_warnings(Some(feeds));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("rule `sign-first` checks `unacknowledged_policy`"),
            "{w:?}"
        );
    }

    #[test]
    fn without_a_config_only_rules_that_can_never_fire_are_named() {
        let w = inert_warnings(None);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("acknowledge_before_use is false"), "{w:?}");
    }
}
