//! Every pack under `policies/` loads, lints clean (the template apart, on purpose), and says
//! what its written policy says: dates, retention, windows, and the rules that matter.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use charter_policy::lint::lint;
use charter_policy::{
    Area, Category, Check, Level, Pack, PasswordChange, Rule, Severity, Verdict, WindowCondition,
    load_file,
};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Every pack shipped, by file name.
const PACKS: &[&str] = &[
    "allsorts.toml",
    "demo.toml",
    "iimts.toml",
    "impress.toml",
    "itec.toml",
    "template-filled.example.toml",
    "template.toml",
];

/// The placeholders `template.toml` keeps on purpose (its header comment says the same).
const TEMPLATE_PLACEHOLDERS: usize = 12;

/// Role names packs declare and use in `roles`, `except_roles` and `[governance]`.
const ROLES: &[&str] = &[
    "staff",
    "management",
    "external",
    "line_manager",
    "social_media_manager",
    "marketing",
    "customer_service",
    "hr",
    "it",
    "safeguarding_lead",
    "compliance_officer",
    "company_secretary",
    "trainer",
    "learner",
    "board",
    "dpo",
    "compliance",
    "auditor",
];

/// Whom rules may alert.
const ALERTS: &[&str] = &["safeguarding", "compliance", "line_manager", "it", "hr"];

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn load(name: &str) -> Pack {
    let path = policies_dir().join(name);
    load_file(&path).unwrap_or_else(|e| panic!("{name} does not load: {e}"))
}

fn text(name: &str) -> String {
    std::fs::read_to_string(policies_dir().join(name)).expect("pack is readable")
}

fn today() -> Date {
    Date::new(2026, 11, 24).expect("a real date")
}

/// A local wall-clock time in London, as an instant.
fn london(local: &str) -> Timestamp {
    let tz = TimeZone::get("Europe/London").expect("the tz database has London");
    local
        .parse::<DateTime>()
        .expect("a local date and time")
        .to_zoned_datetime(tz)
        .expect("a time that exists in London")
        .timestamp()
}

fn rule<'a>(pack: &'a Pack, id: &str) -> &'a Rule {
    pack.rule(id)
        .unwrap_or_else(|| panic!("{} has no rule `{id}`", pack.meta.id))
}

fn cats(rule: &Rule) -> Vec<Category> {
    rule.categories.iter().collect()
}

fn in_window(pack: &Pack, window: &str, local: &str) -> bool {
    pack.windows
        .contains(window, london(local))
        .unwrap_or_else(|| panic!("{} has no window `{window}`", pack.meta.id))
}

fn outside(name: &str) -> Option<WindowCondition> {
    Some(WindowCondition::Outside(name.to_string()))
}

// ------------------------------------------------------------------ every pack

#[test]
fn the_pack_list_is_complete() {
    let mut found: Vec<String> = std::fs::read_dir(policies_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    found.sort();
    assert_eq!(found, PACKS);
}

#[test]
fn every_pack_loads_and_every_rule_cites_its_clause() {
    for name in PACKS {
        let pack = load(name);
        assert!(
            pack.rules.len() >= 15,
            "{name} has only {} rules",
            pack.rules.len()
        );
        assert_eq!(pack.meta.timezone, "Europe/London", "{name}");
        let mut ids = BTreeSet::new();
        for rule in &pack.rules {
            assert!(
                ids.insert(rule.id.as_str()),
                "{name}: duplicate id {}",
                rule.id
            );
            assert!(
                rule.clause.as_deref().is_some_and(|c| !c.trim().is_empty()),
                "{name}: {}",
                rule.id
            );
            let quote = rule.quote.as_deref().unwrap_or_default();
            assert!(!quote.trim().is_empty(), "{name}: {} has no quote", rule.id);
            assert!(quote.len() <= 250, "{name}: {} quote is not short", rule.id);
            assert!(
                rule.checks.iter().all(|c| c.area() == rule.on),
                "{name}: {}",
                rule.id
            );
        }
        for area in [Area::Web, Area::Mail, Area::Activity] {
            assert!(
                pack.rules_on(area).next().is_some(),
                "{name} has no {area} rules"
            );
        }
    }
}

#[test]
fn every_pack_uses_the_shared_role_and_alert_names() {
    for name in PACKS {
        let pack = load(name);
        assert!(
            !pack.organisation.roles.is_empty(),
            "{name} declares no [organisation] roles"
        );
        for role in &pack.organisation.roles {
            assert!(ROLES.contains(&role.as_str()), "{name} declares `{role}`");
        }
        // The loader refuses an undeclared role; these are what the app falls back on.
        let g = &pack.governance;
        for role in g
            .register_roles
            .iter()
            .chain(&g.data_protection_roles)
            .chain(&g.compliance_roles)
        {
            assert!(
                pack.check_roles(std::slice::from_ref(role)).is_ok(),
                "{name}: `{role}` is not declared"
            );
        }
        for rule in &pack.rules {
            for role in rule.roles.iter().chain(&rule.except_roles) {
                assert!(
                    ROLES.contains(&role.as_str()),
                    "{name}: {} names role `{role}`",
                    rule.id
                );
            }
            for alert in &rule.alert {
                assert!(
                    ALERTS.contains(&alert.as_str()),
                    "{name}: {} alerts `{alert}`",
                    rule.id
                );
            }
        }
        let g = &pack.governance;
        for role in g
            .software_approvers
            .iter()
            .chain(&g.device_approvers)
            .chain(&g.social_media_approvers)
        {
            if *name != "template.toml" {
                assert!(ROLES.contains(&role.as_str()), "{name}: approver `{role}`");
            }
        }
    }
}

#[test]
fn every_pack_but_the_template_lints_without_errors() {
    for name in PACKS.iter().filter(|n| **n != "template.toml") {
        let report = lint(&text(name), name, today());
        let errors: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.level == Level::Error)
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        assert!(report.passed());
    }
}

#[test]
fn the_template_keeps_its_placeholders_and_nothing_else_is_wrong() {
    let report = lint(&text("template.toml"), "template.toml", today());
    let placeholders = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "placeholder")
        .count();
    assert_eq!(placeholders, TEMPLATE_PLACEHOLDERS);
    assert_eq!(
        report.count(Level::Error),
        TEMPLATE_PLACEHOLDERS,
        "{:#?}",
        report.diagnostics
    );
    assert!(!report.passed());
    assert!(report.pack.is_some(), "the template must still load");
    let header = text("template.toml");
    assert!(header.contains(&format!(
        "contains {TEMPLATE_PLACEHOLDERS} unfilled template placeholders"
    )));
    let pack = load("template.toml");
    assert_eq!(
        pack.meta.owner.as_deref(),
        Some("[INSERT ROLE OR POSITION]")
    );
    assert_eq!(pack.organisation.name, "[Company Name]");
    assert_eq!(
        pack.governance.report_to.as_deref(),
        Some("[your line manager OR the HR Department]")
    );
}

#[test]
fn periodic_password_changes_get_the_advisory_where_the_policy_forces_them() {
    for name in PACKS {
        let pack = load(name);
        let periodic = pack
            .passwords
            .as_ref()
            .is_some_and(|p| p.change == PasswordChange::Periodic);
        let expected = matches!(
            *name,
            "allsorts.toml" | "template.toml" | "template-filled.example.toml"
        );
        assert_eq!(periodic, expected, "{name}");
        let report = lint(&text(name), name, today());
        let advisory = report
            .diagnostics
            .iter()
            .any(|d| d.code == "periodic_password_change");
        assert_eq!(advisory, expected, "{name}");
    }
}

#[test]
fn no_pack_but_the_template_has_square_brackets_in_strings() {
    for name in PACKS.iter().filter(|n| **n != "template.toml") {
        let report = lint(&text(name), name, today());
        assert!(
            !report.diagnostics.iter().any(|d| d.code == "placeholder"),
            "{name}"
        );
    }
}

// ------------------------------------------------------------------ IIMTS (seed 000)

#[test]
fn iimts_meta_and_organisation() {
    let pack = load("iimts.toml");
    assert_eq!(pack.meta.id, "iimts");
    assert_eq!(pack.meta.review_due, Some(Date::new(2026, 4, 1).unwrap()));
    assert_eq!(pack.meta.version.as_deref(), Some("3"));
    assert_eq!(
        pack.organisation.registered_number.as_deref(),
        Some("11649333")
    );
    assert_eq!(pack.organisation.domains, ["iimtsab.co.uk"]);
    let formats: Vec<(&str, &str)> = pack
        .address_formats
        .iter()
        .map(|a| (a.applies_to.as_str(), a.format.as_str()))
        .collect();
    assert_eq!(
        formats,
        [
            ("management", "{first}.{last}"),
            ("staff", "{first}.{location}"),
            ("external", "{department}.{location}")
        ]
    );
    let report = lint(&text("iimts.toml"), "iimts.toml", today());
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.code == "review_overdue")
    );
}

#[test]
fn iimts_personal_use_is_breaks_and_outside_working_hours() {
    let pack = load("iimts.toml");
    assert!(in_window(&pack, "personal_use", "2026-06-15T12:45"));
    assert!(!in_window(&pack, "personal_use", "2026-06-15T10:00"));
    assert!(in_window(&pack, "personal_use", "2026-06-15T08:59"));
    assert!(!in_window(&pack, "personal_use", "2026-06-15T09:00"));
    assert!(in_window(&pack, "personal_use", "2026-06-15T17:30"));
    assert!(!in_window(&pack, "personal_use", "2026-06-15T13:30"));
    assert!(
        in_window(&pack, "personal_use", "2026-06-13T11:00"),
        "Saturday"
    );
    // Winter (GMT) reads the same wall clock.
    assert!(in_window(&pack, "personal_use", "2026-01-12T12:45"));
    assert!(!in_window(&pack, "personal_use", "2026-01-12T14:00"));
}

#[test]
fn iimts_rules() {
    let pack = load("iimts.toml");
    let prohibited = rule(&pack, "internet.prohibited-content");
    assert_eq!(
        (prohibited.on, prohibited.action, prohibited.severity),
        (Area::Web, Verdict::Block, Severity::GrossMisconduct)
    );
    for c in [
        Category::Gambling,
        Category::Adult,
        Category::Extremism,
        Category::Hate,
        Category::Drugs,
        Category::CriminalSkills,
        Category::Cults,
    ] {
        assert!(prohibited.categories.contains(c), "{c}");
    }
    assert_eq!(prohibited.window, None);
    assert_eq!(prohibited.alert, ["safeguarding"]);
    assert_eq!(
        prohibited.clause.as_deref(),
        Some("Internet use / Content and use / Prohibited use")
    );

    let social = rule(&pack, "social.personal-use-in-breaks");
    assert!(social.categories.contains(Category::SocialMedia));
    assert_eq!(social.window, outside("personal_use"));
    assert_eq!(social.action, Verdict::Warn);
    assert!(!social.applies_to_roles(&["social_media_manager"]));
    assert!(!social.applies_to_roles(&["marketing"]));
    assert!(social.applies_to_roles(&["staff"]));
    assert_eq!(social.clause.as_deref(), Some("Social media / Use (b)"));

    let personal = rule(&pack, "internet.personal-use-in-breaks");
    assert_eq!(personal.window, outside("personal_use"));
    assert!(personal.categories.contains(Category::Shopping));
    assert_eq!(
        rule(&pack, "email.personal-webmail-in-breaks").window,
        outside("personal_use")
    );
    assert_eq!(
        cats(rule(&pack, "internet.watching-movies")),
        [Category::Streaming]
    );
    assert_eq!(
        rule(&pack, "internet.large-downloads").max_download_mb,
        Some(200)
    );

    let mass = rule(&pack, "email.mass-mail");
    assert_eq!(
        (mass.checks.as_slice(), mass.action),
        ([Check::MassMail].as_slice(), Verdict::Hold)
    );
    assert_eq!(mass.except_roles, ["marketing"]);
    assert_eq!(
        rule(&pack, "activity.unauthorised-software").checks,
        [Check::UnauthorisedSoftware]
    );
}

// ------------------------------------------------------------------ ITEC (seed 001)

#[test]
fn itec_meta_and_governance() {
    let pack = load("itec.toml");
    assert_eq!(
        pack.meta.last_reviewed,
        Some(Date::new(2021, 2, 23).unwrap())
    );
    assert_eq!(pack.meta.review_due, None);
    let g = &pack.governance;
    assert!(g.acknowledge_before_use && g.induction);
    assert_eq!(g.briefing_every_months, Some(12));
    assert_eq!(g.safeguarding_role.as_deref(), Some("safeguarding_lead"));
    let report = lint(&text("itec.toml"), "itec.toml", today());
    let overdue = report
        .diagnostics
        .iter()
        .find(|d| d.code == "review_overdue")
        .unwrap();
    assert!(
        overdue.message.contains("due 2022-02-23"),
        "{}",
        overdue.message
    );
}

#[test]
fn itec_chat_rooms_gambling_and_adult_are_forbidden_at_all_times() {
    let pack = load("itec.toml");
    let chat = rule(&pack, "internet.chat-rooms");
    assert_eq!(
        (cats(chat), chat.action, chat.window.clone()),
        (vec![Category::Chat], Verdict::Block, None)
    );
    let always = rule(&pack, "internet.adult-and-gambling-at-all-times");
    assert_eq!(cats(always), [Category::Adult, Category::Gambling]);
    assert_eq!(
        (always.action, always.window.clone()),
        (Verdict::Block, None)
    );
    assert!(
        always
            .quote
            .as_deref()
            .unwrap()
            .contains("at all times, including breaks")
    );
    assert_eq!(
        pack.windows
            .contains("personal_use", london("2026-06-15T12:45")),
        None
    );
    assert!(in_window(&pack, "breaks", "2026-06-15T12:45"));
    // No web rule of ITEC's is lifted in breaks.
    assert!(pack.rules_on(Area::Web).all(|r| r.window.is_none()));
}

#[test]
fn itec_vpn_only_in_work_hours() {
    let pack = load("itec.toml");
    let vpn = rule(&pack, "remote.vpn-work-hours");
    assert_eq!(vpn.on, Area::Activity);
    assert_eq!(vpn.checks, [Check::AccessOutsideHours]);
    assert_eq!(vpn.window, outside("working"));
    assert_eq!(vpn.action, Verdict::Block);
    assert!(in_window(&pack, "working", "2026-06-15T10:00"));
    assert!(!in_window(&pack, "working", "2026-06-15T20:00"));
    assert!(!in_window(&pack, "working", "2026-06-14T10:00"), "Sunday");
}

#[test]
fn itec_mail_rules() {
    let pack = load("itec.toml");
    let chain = rule(&pack, "email.chain-letters");
    assert_eq!(
        (chain.checks.as_slice(), chain.action),
        ([Check::ChainLetter].as_slice(), Verdict::Block)
    );
    let personal = rule(&pack, "email.no-personal-messages");
    assert_eq!(personal.checks, [Check::PersonalMarked]);
    assert_eq!(personal.action, Verdict::Block);
    assert_eq!(personal.clause.as_deref(), Some("6. E-mail Policy"));
    assert_eq!(
        rule(&pack, "laptop.software-authorised").action,
        Verdict::Hold
    );
    assert_eq!(
        rule(&pack, "laptop.third-party-hardware").checks,
        [Check::UnauthorisedDevice]
    );
}

// ------------------------------------------------------------------ IMPRESS (seed 002)

#[test]
fn impress_monitoring_keeps_one_year_and_headers_only_for_personal_mail() {
    let pack = load("impress.toml");
    assert_eq!(
        pack.meta.last_reviewed,
        Some(Date::new(2018, 5, 15).unwrap())
    );
    assert_eq!(pack.monitoring.retention_months, Some(12));
    assert_eq!(pack.mail.personal_labels, ["personal", "private"]);
    let marked = rule(&pack, "email.personal-marked");
    assert_eq!(
        (marked.checks.as_slice(), marked.action, marked.severity),
        (
            [Check::PersonalMarked].as_slice(),
            Verdict::Log,
            Severity::Info
        )
    );
}

#[test]
fn impress_server_and_vpn() {
    let pack = load("impress.toml");
    let passwords = pack.passwords.as_ref().unwrap();
    assert_eq!(passwords.change, PasswordChange::OnCompromise);
    assert!(passwords.mfa_required);
    assert_eq!(
        rule(&pack, "storage.no-local-drive").checks,
        [Check::WorkFilesOnLocalDrive]
    );
    let vpn = rule(&pack, "security.vpn-two-factor");
    assert_eq!(
        (vpn.checks.as_slice(), vpn.action),
        ([Check::LoginWithoutMfa].as_slice(), Verdict::Block)
    );
    assert_eq!(
        pack.governance.subject_request_contact.as_deref(),
        Some("the Company Secretary")
    );
    assert_eq!(
        pack.governance.breach_contact.as_deref(),
        Some("the Company Secretary")
    );
    assert_eq!(pack.governance.software_approvers, ["company_secretary"]);
    let offensive = rule(&pack, "internet.offensive-or-illegal");
    assert!(
        offensive.categories.contains(Category::Adult)
            && offensive.categories.contains(Category::Hate)
    );
    assert_eq!(offensive.action, Verdict::Block);
    // IMPRESS sets no time limits on internet use.
    assert!(pack.windows.get("working").is_none());
}

// ------------------------------------------------------------------ Allsorts (seed 003)

#[test]
fn allsorts_meta_passwords_and_mail_footer() {
    let pack = load("allsorts.toml");
    assert_eq!(pack.meta.review_due, Some(Date::new(2021, 5, 1).unwrap()));
    assert_eq!(
        pack.passwords.as_ref().unwrap().change,
        PasswordChange::Periodic
    );
    assert_eq!(
        pack.organisation.registered_number.as_deref(),
        Some("11373253")
    );
    assert!(pack.mail.company_details.contains(&"11373253".to_string()));
    let footer = rule(&pack, "email.registered-number-footer");
    assert_eq!(footer.checks, [Check::MissingCompanyDetails]);
    let bcc = rule(&pack, "email.bcc-group-addresses");
    assert_eq!(bcc.checks, [Check::GroupAddressVisible]);
    assert_eq!(bcc.action, Verdict::Hold);
    assert!(bcc.max_recipients.is_some());
    assert_eq!(pack.mail.group_addresses, ["staff"]);
}

#[test]
fn allsorts_no_personal_surfing_or_social_media_in_work_time() {
    let pack = load("allsorts.toml");
    let social = rule(&pack, "internet.social-and-video-in-work-time");
    assert_eq!(cats(social), [Category::SocialMedia, Category::Streaming]);
    assert_eq!(
        (social.window.clone(), social.action),
        (outside("personal_use"), Verdict::Block)
    );
    let surfing = rule(&pack, "internet.personal-surfing-in-work-time");
    assert_eq!(
        (surfing.window.clone(), surfing.action),
        (outside("personal_use"), Verdict::Block)
    );
    assert!(!in_window(&pack, "personal_use", "2026-06-15T10:00"));
    assert!(in_window(&pack, "personal_use", "2026-06-15T18:00"));
    let porn = rule(&pack, "internet.pornography");
    assert_eq!(
        (cats(porn), porn.action, porn.severity),
        (
            vec![Category::Adult],
            Verdict::Block,
            Severity::GrossMisconduct
        )
    );
    assert_eq!(porn.window, None);
}

// ------------------------------------------------------------------ template (seed 004)

#[test]
fn template_rules() {
    let pack = load("template.toml");
    assert_eq!(
        pack.passwords.as_ref().unwrap().change,
        PasswordChange::Periodic
    );
    assert_eq!(pack.mail.personal_labels, ["personal"]);
    let never = rule(&pack, "internet.never-accessed");
    for c in [
        Category::Streaming,
        Category::Webmail,
        Category::Chat,
        Category::SocialMedia,
    ] {
        assert!(never.categories.contains(c), "{c}");
    }
    assert_eq!((never.action, never.window.clone()), (Verdict::Block, None));
    assert_eq!(cats(rule(&pack, "internet.chat-rooms")), [Category::Chat]);
    assert_eq!(cats(rule(&pack, "ai.public-ai")), [Category::PublicAi]);
    let personal = rule(&pack, "personal.outside-working-hours");
    assert_eq!(personal.window, outside("personal_use"));
    assert!(in_window(&pack, "personal_use", "2026-06-15T08:30"));
    assert!(in_window(&pack, "personal_use", "2026-06-15T12:45"));
    assert!(in_window(&pack, "personal_use", "2026-06-15T17:45"));
    assert!(!in_window(&pack, "personal_use", "2026-06-15T10:00"));
    let bank = rule(&pack, "email.bank-detail-changes");
    assert_eq!(
        (bank.checks.as_slice(), bank.action),
        ([Check::PaymentDetailsChange].as_slice(), Verdict::Hold)
    );
    let chain = rule(&pack, "email.chain-letters");
    assert_eq!(
        (chain.action, chain.severity),
        (Verdict::Block, Severity::GrossMisconduct)
    );
    let usb = rule(&pack, "systems.usb-devices");
    assert_eq!(
        (usb.checks.as_slice(), usb.action),
        ([Check::UnauthorisedDevice].as_slice(), Verdict::Hold)
    );
    let exe = rule(&pack, "email.exe-attachments");
    assert!(exe.checks.contains(&Check::ExecutableAttachment));
    assert_eq!(
        rule(&pack, "email.personal-label").checks,
        [Check::PersonalMarked]
    );
}

#[test]
fn template_filled_has_the_same_rules_and_no_placeholders() {
    let template = load("template.toml");
    let filled = load("template-filled.example.toml");
    let ids = |p: &Pack| p.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&template), ids(&filled));
    assert_eq!(filled.organisation.name, "Northwind Lettings Ltd");
    assert_eq!(
        filled.organisation.registered_number.as_deref(),
        Some("09876543")
    );
    assert_eq!(filled.organisation.domains, ["northwind-lettings.co.uk"]);
    assert!(
        filled
            .mail
            .disclaimer
            .as_deref()
            .unwrap()
            .contains("09876543")
    );
    assert_eq!(rule(&filled, "ai.public-ai").action, Verdict::Warn);
    let report = lint(
        &text("template-filled.example.toml"),
        "template-filled.example.toml",
        today(),
    );
    assert_eq!(report.count(Level::Error), 0, "{:#?}", report.diagnostics);
    assert_eq!(report.count(Level::Warning), 0, "{:#?}", report.diagnostics);
}

// ------------------------------------------------------------------ demo

#[test]
fn demo_uses_every_feature() {
    let pack = load("demo.toml");
    assert_eq!(pack.organisation.name, "Demo Training Ltd");
    assert_eq!(pack.organisation.domains, ["demo-training.co.uk"]);
    let used: BTreeSet<Check> = pack
        .rules
        .iter()
        .flat_map(|r| r.checks.iter().copied())
        .collect();
    // The three web checks a rule never names: findings get them from categories, windows
    // and URL lists.
    let implicit = [
        Check::ProhibitedCategory,
        Check::RestrictedOutsideWindow,
        Check::UrlListMatch,
    ];
    for check in Check::ALL.iter().filter(|c| !implicit.contains(c)) {
        assert!(
            used.contains(check),
            "demo.toml uses no rule with `{check}`"
        );
    }
    let actions: BTreeSet<Verdict> = pack.rules.iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        [Verdict::Log, Verdict::Warn, Verdict::Hold, Verdict::Block].into()
    );
    let severities: BTreeSet<Severity> = pack.rules.iter().map(|r| r.severity).collect();
    assert_eq!(severities.len(), Severity::ALL.len());
    assert!(pack.rules.iter().any(|r| !r.url_lists.is_empty()));
    assert!(pack.mail.add_disclaimer && pack.mail.disclaimer.is_some());
    assert!(pack.mail.company_details.contains(&"12345678".to_string()));
    assert!(
        pack.mail
            .group_addresses
            .contains(&"staff@demo-training.co.uk".to_string())
    );
    assert_eq!(pack.address_formats.len(), 3);
    assert!(pack.passwords.as_ref().unwrap().mfa_required);
}

#[test]
fn demo_windows() {
    let pack = load("demo.toml");
    for t in [
        "2026-06-15T08:30",
        "2026-06-15T10:35",
        "2026-06-15T12:45",
        "2026-06-15T15:05",
        "2026-06-15T17:45",
    ] {
        assert!(in_window(&pack, "personal_use", t), "{t}");
    }
    for t in [
        "2026-06-15T10:00",
        "2026-06-15T10:45",
        "2026-06-15T14:20",
        "2026-06-15T16:45",
    ] {
        assert!(!in_window(&pack, "personal_use", t), "{t}");
    }
    assert!(in_window(&pack, "remote_access", "2026-06-15T07:30"));
    assert!(!in_window(&pack, "remote_access", "2026-06-15T21:00"));
    assert!(
        in_window(&pack, "remote_access", "2026-06-13T10:00"),
        "Saturday"
    );
    assert!(
        !in_window(&pack, "remote_access", "2026-06-14T10:00"),
        "Sunday"
    );
    assert_eq!(
        rule(&pack, "remote.agreed-hours").window,
        outside("remote_access")
    );
}

#[test]
fn demo_social_media_and_safeguarding() {
    let pack = load("demo.toml");
    let social = rule(&pack, "social.personal-use-in-breaks");
    assert_eq!(social.window, outside("personal_use"));
    assert!(!social.applies_to_roles(&["social_media_manager"]));
    assert!(social.applies_to_roles(&["staff", "line_manager"]));
    let prohibited = rule(&pack, "internet.prohibited-content");
    assert_eq!(prohibited.alert, ["safeguarding"]);
    assert_eq!(
        pack.governance.safeguarding_role.as_deref(),
        Some("safeguarding_lead")
    );
    assert_eq!(rule(&pack, "internet.public-ai").action, Verdict::Warn);
    assert_eq!(rule(&pack, "internet.webmail").action, Verdict::Block);
    assert_eq!(rule(&pack, "internet.streaming").action, Verdict::Block);
}
