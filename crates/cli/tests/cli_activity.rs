//! The activity commands as a site runs them: usbguard allow rules from the removable-media
//! register (checked by usbguard's own rule parser), asking for out-of-hours remote access,
//! lint of inert rules against charter.toml, and `charter ingest` deciding VPN sign-ins.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "site_support/mod.rs"]
mod site_support;
use site_support::Site;

impl Site {
    /// ITEC people: Ian in IT (device and access approver), Pat on staff with a VPN account.
    fn itec_people(&self) {
        for (first, roles) in [("Ian", "it"), ("Pat", "staff")] {
            self.ok(&[
                "people", "add", "--first", first, "--last", "Test", "--roles", roles,
            ]);
        }
        self.ok(&[
            "accounts", "add", "Pat Test", "--system", "vpn", "--name", "pat",
        ]);
    }
}

/// `program` on PATH; a missing one fails the test, naming the package.
fn require(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{program}` is not installed, and this test needs it: apt-get install {package} \
                 (listed in .ci/packages/activity.txt)"
            )
        })
}

#[test]
fn usbguard_rules_allow_each_authorised_device_and_usbguard_reads_them() {
    let parser = require("usbguard-rule-parser", "usbguard");
    let site = Site::with_pack("itec");
    site.itec_people();
    site.ok(&[
        "devices",
        "authorise-media",
        "--person",
        "Pat Test",
        "--description",
        "SanDisk Cruzer Blade",
        "--usb-id",
        "0781:5567",
        "--serial",
        "4C530001230528116033",
        "--reason",
        "site visits",
        "--by",
        "Ian Test",
    ]);
    // One without a usbguard id allows nothing; one revoked allows nothing.
    site.ok(&[
        "devices",
        "authorise-media",
        "--person",
        "Pat Test",
        "--description",
        "some stick",
        "--reason",
        "x",
        "--by",
        "Ian Test",
    ]);
    site.ok(&[
        "devices",
        "authorise-media",
        "--person",
        "Pat Test",
        "--description",
        "Kingston",
        "--usb-id",
        "0951:1666",
        "--reason",
        "x",
        "--by",
        "Ian Test",
    ]);
    site.ok(&["devices", "revoke-media", "3", "--by", "Ian Test"]);
    let rules = site.ok(&["devices", "usbguard-rules"]);
    let allows: Vec<&str> = rules.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        allows,
        [r#"allow id 0781:5567 serial "4C530001230528116033" label "charter media 1""#],
        "{rules}"
    );
    let file = site.dir.path().join("charter.conf");
    std::fs::write(&file, &rules).unwrap();
    let out = Command::new(parser).arg("-f").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "usbguard-rule-parser refused:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A bad id is refused with one line, before it reaches the rules.
    let bad = site.run(&[
        "devices",
        "authorise-media",
        "--person",
        "Pat Test",
        "--description",
        "x",
        "--usb-id",
        "0781:5567 allow",
        "--reason",
        "x",
        "--by",
        "Ian Test",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a usbguard device id"));
}

#[test]
fn vpn_at_night_is_found_until_out_of_hours_access_is_approved() {
    let site = Site::with_pack("itec");
    site.itec_people();
    // Monday 15 June 2026, 22:00 London time, through rsyslog.
    let log = site.dir.path().join("vpn.log");
    let line = |ip: &str| {
        format!(
            "Jun 15 22:00:00 vpn1 openvpn[1989]: {ip}:37347 [pat] Peer Connection Initiated with [AF_INET]{ip}:37347\n"
        )
    };
    std::fs::write(&log, line("203.0.113.9")).unwrap();
    let out = site.ok(&["ingest", "syslog", log.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["files"][0]["flagged"], 1, "{out}");
    let asked = site.ok(&[
        "approvals",
        "ask-out-of-hours",
        "--reason",
        "month-end close",
        "--by",
        "Pat Test",
    ]);
    assert!(
        asked.contains("remote access outside agreed hours (rule remote.vpn-work-hours)"),
        "{asked}"
    );
    let list = site.ok(&["approvals", "list"]);
    assert!(list.contains("remote-access-out-of-hours"), "{list}");
    // Pat may not approve her own request; Ian (it: ITEC's access approvers) may.
    assert!(
        !site
            .run(&["approvals", "approve", "1", "--by", "Pat Test"])
            .status
            .success()
    );
    site.ok(&[
        "approvals",
        "approve",
        "1",
        "--at",
        "2026-06-15T08:00",
        "--until",
        "2026-06-20T00:00",
        "--by",
        "Ian Test",
    ]);
    let night = site.dir.path().join("vpn2.log");
    std::fs::write(&night, line("203.0.113.9").replace("22:00:00", "23:00:00")).unwrap();
    let out = site.ok(&["ingest", "syslog", night.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["files"][0]["flagged"], 0, "{out}");
}

#[test]
fn lint_with_the_config_names_rules_no_source_feeds() {
    let site = Site::with_pack("itec");
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/itec.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["policy", "lint"])
        .arg(&pack)
        .arg("--config")
        .arg(&site.cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("rule `laptop.third-party-hardware` is inert")
            && text.contains("a usbguard source"),
        "{text}"
    );
    assert!(
        text.contains("rule `remote.vpn-work-hours` is inert"),
        "{text}"
    );
    // With usbguard's audit file in [ingest], the device rule is fed; the VPN rule is not.
    let fed = site.dir.path().join("fed.toml");
    let text = std::fs::read_to_string(&site.cfg).unwrap()
        + "[[ingest.files]]\npath = \"usbguard-audit.log\"\nformat = \"usbguard\"\n";
    std::fs::write(&fed, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["policy", "lint"])
        .arg(&pack)
        .arg("--config")
        .arg(&fed)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("`laptop.third-party-hardware` is inert"),
        "{text}"
    );
    assert!(
        text.contains("rule `remote.vpn-work-hours` is inert"),
        "{text}"
    );
    // Without --config nothing is called inert: the pack alone says nothing about feeds.
    let alone = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["policy", "lint"])
        .arg(&pack)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&alone.stdout).contains("inert"));
}
