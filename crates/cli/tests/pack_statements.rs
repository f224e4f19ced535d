//! The statements of the written policies that docs/policy-coverage.md marks ENFORCED, one test
//! each (or one per group of statements a rule shares): the shipped pack's rule fires for what
//! the statement forbids and stays quiet for what it allows.
//!
//! Events reach the engine as the gateways hand them over: web requests classified by lists in
//! UT1's own layout and names (imported as `charter categories build` imports them, so the UT1
//! map is part of what is tested), mail with the envelope the milter builds (a colleague's
//! authenticated submission, or a message from an untrusted client outside), and software
//! installations with the software register's approved list, as `charter check software` does.
//! docs/policy-coverage.md names these tests; crates/policy/tests/coverage_doc.rs checks that
//! each one exists and mentions the rules it is cited for.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use charter_engine::activity::Activity;
use charter_engine::mail::{Envelope, MailInput};
use charter_engine::web::index::SourceKind;
use charter_engine::web::{CategoryIndex, IndexBuilder, WebRequest};
use charter_engine::{Context, Decision, Engine, Privacy};
use charter_policy::Verdict;

// ------------------------------------------------------------------ helpers

/// Monday 15 June 2026 in London (BST): mid-morning, the lunch break, the evening.
const TEN: &str = "2026-06-15T10:00:00+01:00";
const LUNCH: &str = "2026-06-15T12:45:00+01:00";
const EVENING: &str = "2026-06-15T18:30:00+01:00";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped pack `policies/NAME.toml`.
fn engine(name: &str) -> Engine {
    let path = root().join("policies").join(format!("{name}.toml"));
    Engine::new(charter_policy::load_file(&path).unwrap())
}

/// The shipped pack `policies/NAME.toml`, which names no mail domain, deciding with `domain`
/// as the organisation's, as `serve` and `check mail --config` do when charter.toml or the
/// people register supplies it (crates/cli/tests/mail_domains.rs runs those end to end).
fn engine_with_domains(name: &str, domain: &str) -> Engine {
    engine(name).with_domains(&[domain.to_string()])
}

/// A host or URL in each UT1 list the packs rely on, under UT1's own list names.
const UT1_LISTS: &[(&str, &str)] = &[
    ("adult", "pornhub.com"),
    ("gambling", "bet365.com"),
    ("drogue", "erowid.org"),
    ("agressif", "stormfront.org"),
    ("sect", "sect-recruits.example"),
    ("hacking", "hackforums.net"),
    ("malware", "malware-drop.example"),
    ("phishing", "bank-login-verify.example"),
    ("warez", "thepiratebay.org"),
    ("vpn", "nordvpn.com"),
    ("chat", "discord.com"),
    ("forums", "reddit.com"),
    ("social_networks", "facebook.com"),
    ("audio-video", "youtube.com"),
    ("webmail", "mail.google.com"),
    ("ai", "chatgpt.com"),
    ("shopping", "amazon.co.uk"),
    ("games", "roblox.com"),
    ("dating", "tinder.com"),
    ("filehosting", "wetransfer.com"),
    ("jobsearch", "indeed.co.uk"),
    ("press", "bbc.co.uk"),
    ("blog", "wordpress.com"),
];

/// A URL on the site's IWF list, loaded with `charter categories build --url-list iwf=FILE`.
const IWF_URL: &str = "http://abuse-images.example/gallery/";

/// The category index: the lists above in a squidGuard directory, plus the IWF URL list.
fn lists() -> &'static CategoryIndex {
    static INDEX: OnceLock<CategoryIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        for (list, host) in UT1_LISTS {
            std::fs::create_dir(dir.path().join(list)).unwrap();
            std::fs::write(dir.path().join(list).join("domains"), format!("{host}\n")).unwrap();
        }
        let mut builder = IndexBuilder::new();
        builder.add_squidguard_dir(dir.path(), &[]).unwrap();
        let iwf = builder
            .add_source("iwf", SourceKind::UrlList("iwf".into()))
            .unwrap();
        builder.add_urls(iwf, "abuse-images.example/gallery/\n", "iwf");
        let (bytes, _) = builder.build().unwrap();
        CategoryIndex::from_bytes(bytes).unwrap()
    })
}

fn context(user: &str, roles: &[&str], at: &str) -> Context {
    Context::new(
        Some(user.to_string()),
        roles.iter().map(|r| r.to_string()).collect(),
        at.parse().unwrap(),
    )
}

/// A request by an identified person with `roles` at `at`.
fn web(engine: &Engine, url: &str, at: &str, roles: &[&str]) -> Decision {
    engine.decide_web(&context("pat", roles, at), &WebRequest::new(url), lists())
}

/// A request with no login, as `charter check url --user -` asks it, and as the Squid helper
/// and ICAP ask it for a request with no login that no device or lease maps to a person
/// (`crates/cli/tests/web_identity.rs`).
fn web_unidentified(engine: &Engine, url: &str) -> Decision {
    engine.decide_web(&context("-", &[], TEN), &WebRequest::new(url), lists())
}

/// A message a colleague submits after signing in as `login` (the milter's view).
fn sent(engine: &Engine, login: &str, roles: &[&str], at: &str, raw: &str) -> Decision {
    let envelope = Envelope {
        authenticated: Some(login.to_string()),
        from_outside: Some(false),
        ..Envelope::default()
    };
    engine.decide_mail(
        &context(login, roles, at),
        &MailInput::new(raw.as_bytes(), &envelope),
    )
}

/// A message from an untrusted client outside that did not sign in (the milter's view).
fn received(engine: &Engine, raw: &str) -> Decision {
    let envelope = Envelope {
        from_outside: Some(true),
        ..Envelope::default()
    };
    engine.decide_mail(
        &context("-", &[], TEN),
        &MailInput::new(raw.as_bytes(), &envelope),
    )
}

/// An installation of `name` checked against the register's approved list.
fn install(engine: &Engine, name: &str, approved: &[&str]) -> Decision {
    let approved: Vec<String> = approved.iter().map(|a| a.to_string()).collect();
    engine.decide_activity(
        &context("pat", &["staff"], TEN),
        &Activity::Software {
            name,
            approved: &approved,
        },
    )
}

fn message(from: &str, to: &str, subject: &str, body: &str) -> String {
    format!("From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n")
}

/// A message with one attachment, its content given in base64.
fn with_attachment(from: &str, to: &str, name: &str, base64: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Files\r\n\
         Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n\
         See attached.\r\n--XX\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {base64}\r\n--XX--\r\n"
    )
}

/// An executable by its extension (`aGVsbG8=` is "hello").
fn exe_from(from: &str, to: &str) -> String {
    with_attachment(from, to, "invoice.pdf.exe", "aGVsbG8=")
}

/// A RAR archive, which cannot be looked inside: `unscannable`.
fn rar_from(from: &str, to: &str) -> String {
    with_attachment(from, to, "invoice.rar", "UmFyIRoHAQAzkrXlCgEFBgAFAQGAgAA=")
}

const ABUSE: &str = "You are useless and you are an idiot. Piss off.";
const CHAIN: &str = "This is not a joke. Forward this to 10 people within 24 hours \
                     or you will have years of bad luck. Do not break the chain!";
const NI_NUMBER: &str = "Her National Insurance number is AB 12 34 56 C.";
const CONFIDENTIAL: &str = "STRICTLY CONFIDENTIAL\r\n\r\nThe draft accounts are attached.";
const BANK_CHANGE: &str = "Please note we have changed our bank details with immediate \
                           effect. Our new sort code is 20-00-00, account number 12345678.";

/// The rules whose findings are in `decision`.
fn fired(decision: &Decision) -> Vec<&str> {
    decision.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[track_caller]
fn assert_fires(decision: &Decision, rule: &str) {
    assert!(
        fired(decision).contains(&rule),
        "`{rule}` did not fire: {decision:#?}"
    );
}

#[track_caller]
fn assert_quiet(decision: &Decision, rule: &str) {
    assert!(
        !fired(decision).contains(&rule),
        "`{rule}` fired: {decision:#?}"
    );
}

/// The severity of `rule`'s finding.
#[track_caller]
fn severity(decision: &Decision, rule: &str) -> charter_policy::Severity {
    decision
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("`{rule}` did not fire: {decision:#?}"))
        .severity
}

/// The finding of `rule` and the decision's verdict.
#[track_caller]
fn assert_decides(decision: &Decision, rule: &str, verdict: Verdict) {
    assert_fires(decision, rule);
    assert_eq!(decision.verdict, verdict, "{decision:#?}");
}

/// A search for a self-harm phrase on Google (a country domain, leetspeak) and on YouTube
/// gives `rule`'s `search_term` finding, logged (Google: nothing else fires), naming the engine and the list; the rule
/// alerts the safeguarding lead. Ordinary searches pass with no finding.
fn assert_safeguarding_searches(e: &Engine, rule: &str) {
    for (url, engine) in [
        (
            "https://www.google.co.uk/search?q=how+to+k1ll+myself",
            "Google",
        ),
        (
            "https://www.youtube.com/results?search_query=self+harm+tips",
            "YouTube",
        ),
    ] {
        let d = web(e, url, TEN, &[]);
        // YouTube may be blocked as streaming too; the search is logged either way.
        assert_fires(&d, rule);
        if engine == "Google" {
            assert_eq!(d.verdict, Verdict::Log, "{d:#?}");
        }
        let f = d.findings.iter().find(|f| f.rule == rule).unwrap();
        assert_eq!(f.check, charter_policy::Check::SearchTerm);
        assert!(
            f.message.starts_with(&format!(
                "{engine} search matching the self_harm phrase list"
            )),
            "{}",
            f.message
        );
    }
    let pack_rule = e.pack().rule(rule).unwrap();
    assert_eq!(pack_rule.alert, ["safeguarding"]);
    for url in [
        "https://www.google.com/search?q=kill+the+process",
        "https://www.bing.com/search?q=drug+trial+results",
    ] {
        let d = web(e, url, TEN, &[]);
        assert!(d.findings.iter().all(|f| f.rule != rule), "{url}: {d:#?}");
    }
}

// ------------------------------------------------------------------ IIMTS (seed 000)

#[test]
fn iimts_prohibited_content_is_blocked_at_any_time() {
    let e = engine("iimts");
    for url in [
        "https://www.bet365.com/",
        "https://www.pornhub.com/",
        "https://erowid.org/",
        "https://www.stormfront.org/",
        "https://hackforums.net/",
        "https://sect-recruits.example/",
    ] {
        for at in [TEN, LUNCH, EVENING] {
            assert_decides(
                &web(&e, url, at, &[]),
                "internet.prohibited-content",
                Verdict::Block,
            );
        }
    }
    assert_quiet(
        &web(&e, "https://www.bbc.co.uk/news", TEN, &[]),
        "internet.prohibited-content",
    );
}

#[test]
fn iimts_personal_internet_use_only_in_breaks() {
    let e = engine("iimts");
    for url in [
        "https://www.amazon.co.uk/",
        "https://www.roblox.com/",
        "https://tinder.com/",
        "https://www.indeed.co.uk/",
    ] {
        assert_decides(
            &web(&e, url, TEN, &[]),
            "internet.personal-use-in-breaks",
            Verdict::Warn,
        );
        for at in [LUNCH, EVENING] {
            assert_eq!(web(&e, url, at, &[]).verdict, Verdict::Allow, "{url} {at}");
        }
    }
}

#[test]
fn iimts_personal_webmail_only_in_breaks() {
    let e = engine("iimts");
    let gmail = "https://mail.google.com/mail/u/0/";
    assert_decides(
        &web(&e, gmail, TEN, &[]),
        "email.personal-webmail-in-breaks",
        Verdict::Warn,
    );
    assert_eq!(web(&e, gmail, LUNCH, &[]).verdict, Verdict::Allow);
}

#[test]
fn iimts_social_media_only_in_breaks_except_for_the_teams_that_run_it() {
    let e = engine("iimts");
    for url in ["https://www.facebook.com/", "https://www.reddit.com/"] {
        assert_decides(
            &web(&e, url, TEN, &["staff"]),
            "social.personal-use-in-breaks",
            Verdict::Warn,
        );
        assert_eq!(web(&e, url, LUNCH, &["staff"]).verdict, Verdict::Allow);
    }
    for role in ["social_media_manager", "marketing", "customer_service"] {
        assert_quiet(
            &web(&e, "https://www.facebook.com/", TEN, &[role]),
            "social.personal-use-in-breaks",
        );
    }
}

#[test]
fn iimts_watching_movies_is_restricted_in_breaks_too() {
    let e = engine("iimts");
    for at in [TEN, LUNCH] {
        assert_decides(
            &web(&e, "https://www.youtube.com/watch?v=1", at, &[]),
            "internet.watching-movies",
            Verdict::Block,
        );
    }
}

#[test]
fn iimts_unknown_upload_tools_are_refused() {
    let e = engine("iimts");
    let d = web(&e, "https://wetransfer.com/", TEN, &[]);
    assert_decides(&d, "internet.unknown-tools", Verdict::Hold);
    assert!(!charter_gateways::web::allowed(d.verdict));
}

#[test]
fn iimts_viruses_and_phishing_are_blocked_on_the_web_and_in_mail() {
    let e = engine("iimts");
    for url in [
        "http://malware-drop.example/setup.exe",
        "https://bank-login-verify.example/",
    ] {
        assert_decides(
            &web(&e, url, LUNCH, &[]),
            "internet.security-threats",
            Verdict::Block,
        );
    }
    let inbound = exe_from("billing@supplier.example", "smith.brown@iimtsab.co.uk");
    assert_decides(
        &received(&e, &inbound),
        "email.dangerous-attachments",
        Verdict::Block,
    );
}

#[test]
fn iimts_unauthorised_portals_are_blocked() {
    let e = engine("iimts");
    assert_decides(
        &web(&e, "https://nordvpn.com/", TEN, &[]),
        "internet.unauthorised-portals",
        Verdict::Block,
    );
}

#[test]
fn iimts_copyright_media_is_not_downloaded() {
    let e = engine("iimts");
    assert_decides(
        &web(&e, "https://thepiratebay.org/", EVENING, &[]),
        "internet.copyright",
        Verdict::Block,
    );
}

#[test]
fn iimts_unauthorised_users_are_refused() {
    let e = engine("iimts");
    assert_decides(
        &web_unidentified(&e, "https://www.bbc.co.uk/news"),
        "internet.unauthorised-users",
        Verdict::Block,
    );
    assert_eq!(
        web(&e, "https://www.bbc.co.uk/news", TEN, &[]).verdict,
        Verdict::Allow
    );
}

#[test]
fn iimts_attachments_from_unknown_sources_are_not_opened() {
    let e = engine("iimts");
    let to = "smith.brown@iimtsab.co.uk";
    assert_decides(
        &received(&e, &rar_from("someone@unknown.example", to)),
        "email.unscannable",
        Verdict::Hold,
    );
    let d = received(&e, &exe_from("someone@unknown.example", to));
    assert_fires(&d, "email.dangerous-attachments");
    let clean = message("someone@unknown.example", to, "Hello", "A question.");
    assert_eq!(received(&e, &clean).verdict, Verdict::Allow);
}

#[test]
fn iimts_mail_pretending_to_come_from_inside_is_blocked() {
    let e = engine("iimts");
    let spoof = message(
        "Smith Brown <smith.brown@iimtsab.co.uk>",
        "hr.uk@iimtsab.co.uk",
        "Urgent",
        "Please pay the attached invoice today.",
    );
    assert_decides(
        &received(&e, &spoof),
        "email.spoofed-sender",
        Verdict::Block,
    );
    let genuine = message(
        "Jo <jo@supplier.example>",
        "hr.uk@iimtsab.co.uk",
        "Invoice",
        "Attached.",
    );
    assert_quiet(&received(&e, &genuine), "email.spoofed-sender");
}

#[test]
fn iimts_abusive_mail_is_held_inside_and_out() {
    let e = engine("iimts");
    let me = "smith.uk@iimtsab.co.uk";
    let to_colleague = message(me, "jane.uk@iimtsab.co.uk", "Report", ABUSE);
    assert_decides(
        &sent(&e, me, &[], TEN, &to_colleague),
        "email.abusive-content-internal",
        Verdict::Hold,
    );
    let to_client = message(me, "client@example.org", "Report", ABUSE);
    assert_decides(
        &sent(&e, me, &[], TEN, &to_client),
        "email.abusive-content",
        Verdict::Hold,
    );
    let polite = message(
        me,
        "client@example.org",
        "Report",
        "Thank you for your help.",
    );
    assert_eq!(sent(&e, me, &[], TEN, &polite).verdict, Verdict::Allow);
}

fn recipients(n: usize, domain: &str) -> String {
    (0..n)
        .map(|i| format!("person{i}@{domain}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn iimts_mass_mail_needs_authorisation() {
    let e = engine("iimts");
    let me = "smith.uk@iimtsab.co.uk";
    let mass = message(
        me,
        &recipients(30, "example.org"),
        "Offer",
        "Our new courses.",
    );
    assert_decides(
        &sent(&e, me, &[], TEN, &mass),
        "email.mass-mail",
        Verdict::Hold,
    );
    assert_quiet(&sent(&e, me, &["marketing"], TEN, &mass), "email.mass-mail");
    let few = message(
        me,
        &recipients(20, "example.org"),
        "Offer",
        "Our new courses.",
    );
    assert_quiet(&sent(&e, me, &[], TEN, &few), "email.mass-mail");
}

#[test]
fn iimts_personal_data_sent_outside_is_flagged() {
    let e = engine("iimts");
    let me = "smith.uk@iimtsab.co.uk";
    let out = message(me, "agent@example.org", "Learner", NI_NUMBER);
    assert_decides(
        &sent(&e, me, &[], TEN, &out),
        "email.personal-data-external",
        Verdict::Warn,
    );
    let inside = message(me, "hr.uk@iimtsab.co.uk", "Learner", NI_NUMBER);
    assert_quiet(
        &sent(&e, me, &[], TEN, &inside),
        "email.personal-data-external",
    );
}

#[test]
fn iimts_work_mail_stays_on_company_ids() {
    let e = engine("iimts");
    let me = "smith.brown@iimtsab.co.uk";
    let forward = message(
        me,
        "smith.brown.home@gmail.com",
        "Fwd: learner list",
        "See below.",
    );
    assert_decides(
        &sent(&e, me, &[], TEN, &forward),
        "email.company-ids-only",
        Verdict::Warn,
    );
}

#[test]
fn iimts_antivirus_software_needs_the_it_departments_permission() {
    let e = engine("iimts");
    assert_decides(
        &install(&e, "Avast Free Antivirus", &["LibreOffice"]),
        "activity.unauthorised-software",
        Verdict::Hold,
    );
    assert_eq!(
        install(&e, "Avast Free Antivirus", &["Avast Free Antivirus"]).verdict,
        Verdict::Allow
    );
}

// ------------------------------------------------------------------ ITEC (seed 001)

/// ITEC names no mail domain, so every message a colleague sends counts as outbound.
const ITEC_ME: &str = "ben.turner@itec.example";

#[test]
fn itec_chat_rooms_are_forbidden() {
    let e = engine("itec");
    for at in [TEN, LUNCH, EVENING] {
        assert_decides(
            &web(&e, "https://discord.com/app", at, &[]),
            "internet.chat-rooms",
            Verdict::Block,
        );
    }
}

#[test]
fn itec_inappropriate_material_is_forbidden() {
    let e = engine("itec");
    for url in [
        "https://www.pornhub.com/",
        "https://www.stormfront.org/",
        "https://erowid.org/",
        "https://hackforums.net/",
        "https://sect-recruits.example/",
    ] {
        assert_decides(
            &web(&e, url, TEN, &[]),
            "internet.inappropriate-material",
            Verdict::Block,
        );
    }
}

#[test]
fn itec_adult_and_gambling_sites_at_all_times_including_breaks() {
    let e = engine("itec");
    for url in ["https://www.pornhub.com/", "https://www.bet365.com/"] {
        for at in [TEN, LUNCH, EVENING] {
            assert_decides(
                &web(&e, url, at, &[]),
                "internet.adult-and-gambling-at-all-times",
                Verdict::Block,
            );
        }
    }
    assert_fires(
        &web(&e, "https://www.bet365.com/", LUNCH, &[]),
        "internet.gambling",
    );
}

#[test]
fn itec_internet_activity_is_for_professional_use() {
    let e = engine("itec");
    for at in [TEN, LUNCH] {
        assert_decides(
            &web(&e, "https://www.amazon.co.uk/", at, &[]),
            "internet.professional-use-only",
            Verdict::Warn,
        );
    }
    assert_eq!(
        web(&e, "https://www.bbc.co.uk/news", TEN, &[]).verdict,
        Verdict::Allow
    );
}

#[test]
fn itec_copyright_is_respected() {
    let e = engine("itec");
    assert_decides(
        &web(&e, "https://thepiratebay.org/", TEN, &[]),
        "internet.copyright",
        Verdict::Block,
    );
}

#[test]
fn itec_software_is_authorised_before_download_or_installation() {
    let e = engine("itec");
    assert_decides(
        &web(&e, "https://wetransfer.com/", TEN, &[]),
        "internet.software-downloads",
        Verdict::Hold,
    );
    assert_decides(
        &install(&e, "uTorrent", &["Microsoft Teams"]),
        "laptop.software-authorised",
        Verdict::Hold,
    );
    assert_eq!(
        install(&e, "Microsoft Teams", &["Microsoft Teams"]).verdict,
        Verdict::Allow
    );
}

#[test]
fn itec_virus_risks_on_the_web_and_in_attachments() {
    let e = engine("itec");
    assert_decides(
        &web(&e, "http://malware-drop.example/", TEN, &[]),
        "internet.virus-risk",
        Verdict::Block,
    );
    assert_decides(
        &received(&e, &exe_from("someone@unknown.example", ITEC_ME)),
        "email.virus-attachments",
        Verdict::Block,
    );
    assert_decides(
        &sent(
            &e,
            ITEC_ME,
            &[],
            TEN,
            &exe_from(ITEC_ME, "employer@example.org"),
        ),
        "email.virus-attachments",
        Verdict::Block,
    );
    assert_decides(
        &received(&e, &rar_from("someone@unknown.example", ITEC_ME)),
        "email.unscannable",
        Verdict::Hold,
    );
}

#[test]
fn itec_monitoring_cannot_be_got_round() {
    let e = engine("itec");
    assert_decides(
        &web(&e, "https://nordvpn.com/", TEN, &[]),
        "monitoring.circumvention",
        Verdict::Block,
    );
}

#[test]
fn itec_safeguarding_searches_alert_the_lead() {
    let e = engine("itec");
    assert_eq!(
        e.pack().governance.safeguarding_role.as_deref(),
        Some("safeguarding_lead")
    );
    assert_safeguarding_searches(&e, "monitoring.safeguarding-searches");
}

#[test]
fn itec_users_of_the_system_are_authenticated() {
    let e = engine("itec");
    assert_decides(
        &web_unidentified(&e, "https://www.bbc.co.uk/"),
        "social.authenticated-users",
        Verdict::Block,
    );
    assert_quiet(
        &web(&e, "https://www.bbc.co.uk/", TEN, &[]),
        "social.authenticated-users",
    );
}

#[test]
fn itec_mail_is_not_for_private_or_personal_messages() {
    let e = engine("itec");
    for subject in ["Personal: Saturday", "PRIVATE - dinner"] {
        let raw = message(ITEC_ME, "friend@example.org", subject, "See you there.");
        assert_decides(
            &sent(&e, ITEC_ME, &[], TEN, &raw),
            "email.no-personal-messages",
            Verdict::Block,
        );
    }
    let business = message(
        ITEC_ME,
        "employer@example.org",
        "Review",
        "Agenda attached.",
    );
    assert_eq!(
        sent(&e, ITEC_ME, &[], TEN, &business).verdict,
        Verdict::Allow
    );
}

#[test]
fn itec_chain_letters_are_not_forwarded() {
    let e = engine("itec");
    let raw = message(ITEC_ME, "colleague@itec.example", "Fwd: luck", CHAIN);
    assert_decides(
        &sent(&e, ITEC_ME, &[], TEN, &raw),
        "email.chain-letters",
        Verdict::Block,
    );
}

#[test]
fn itec_mail_keeps_professional_language() {
    let e = engine("itec");
    for to in ["employer@example.org", "colleague@itec.example"] {
        let raw = message(ITEC_ME, to, "Re: assessment", ABUSE);
        assert_decides(
            &sent(&e, ITEC_ME, &[], TEN, &raw),
            "email.professional-language",
            Verdict::Hold,
        );
    }
}

#[test]
fn itec_personal_messages_to_colleagues_are_blocked_with_domains() {
    let e = engine_with_domains("itec", "itec.example");
    let inside = message(ITEC_ME, "colleague@itec.example", "Personal: lunch", "1pm?");
    let d = sent(&e, ITEC_ME, &[], TEN, &inside);
    assert_decides(&d, "email.no-personal-messages-internal", Verdict::Block);
    assert_quiet(&d, "email.no-personal-messages");
    let outside = message(ITEC_ME, "friend@example.org", "Personal: lunch", "1pm?");
    let d = sent(&e, ITEC_ME, &[], TEN, &outside);
    assert_decides(&d, "email.no-personal-messages", Verdict::Block);
    assert_quiet(&d, "email.no-personal-messages-internal");
    let work = message(ITEC_ME, "colleague@itec.example", "Rota", "Attached.");
    assert_eq!(sent(&e, ITEC_ME, &[], TEN, &work).verdict, Verdict::Allow);
}

#[test]
fn itec_derogatory_mail_about_colleagues_is_held_with_domains() {
    let e = engine_with_domains("itec", "itec.example");
    let inside = message(ITEC_ME, "colleague@itec.example", "Re: assessment", ABUSE);
    let d = sent(&e, ITEC_ME, &[], TEN, &inside);
    assert_decides(&d, "email.professional-language-internal", Verdict::Hold);
    assert_quiet(&d, "email.professional-language");
    let polite = message(
        ITEC_ME,
        "colleague@itec.example",
        "Re: assessment",
        "Thanks.",
    );
    assert_eq!(sent(&e, ITEC_ME, &[], TEN, &polite).verdict, Verdict::Allow);
}

#[test]
fn itec_scam_mail_posing_as_itec_is_blocked_with_domains() {
    let e = engine_with_domains("itec", "itec.example");
    let spoof = message(
        "md@itec.example",
        ITEC_ME,
        "Urgent",
        "Buy gift cards and send me the codes.",
    );
    assert_decides(&received(&e, &spoof), "email.spam-scam", Verdict::Block);
    // The pack alone cannot tell an ITEC sender from any other.
    assert_quiet(&received(&engine("itec"), &spoof), "email.spam-scam");
    let genuine = message("employer@example.org", ITEC_ME, "Placement", "Monday?");
    assert_eq!(received(&e, &genuine).verdict, Verdict::Allow);
}

#[test]
fn itec_private_and_confidential_data_is_sent_securely() {
    let e = engine("itec");
    for body in [CONFIDENTIAL, NI_NUMBER] {
        let raw = message(ITEC_ME, "employer@example.org", "Learner file", body);
        assert_decides(
            &sent(&e, ITEC_ME, &[], TEN, &raw),
            "email.secure-sending",
            Verdict::Hold,
        );
    }
}

// ------------------------------------------------------------------ IMPRESS (seed 002)

const IMPRESS_ME: &str = "company.secretary@impress.example";

#[test]
fn impress_offensive_or_illegal_material_is_blocked_with_no_time_limit() {
    let e = engine("impress");
    for url in [
        "https://www.pornhub.com/",
        "https://www.stormfront.org/",
        "https://hackforums.net/",
    ] {
        assert_decides(
            &web(&e, url, TEN, &[]),
            "internet.offensive-or-illegal",
            Verdict::Block,
        );
    }
    // "does not currently impose any time limitation": personal sites at ten are allowed.
    assert_eq!(
        web(&e, "https://www.amazon.co.uk/", TEN, &[]).verdict,
        Verdict::Allow
    );
}

#[test]
fn impress_viruses_are_kept_out() {
    let e = engine("impress");
    assert_decides(
        &web(&e, "https://bank-login-verify.example/", TEN, &[]),
        "internet.viruses",
        Verdict::Block,
    );
    assert_decides(
        &sent(
            &e,
            IMPRESS_ME,
            &[],
            TEN,
            &exe_from(IMPRESS_ME, "board@example.org"),
        ),
        "email.virus-attachments",
        Verdict::Block,
    );
    for raw in [
        exe_from("unknown@example.org", IMPRESS_ME),
        rar_from("unknown@example.org", IMPRESS_ME),
    ] {
        assert_decides(
            &received(&e, &raw),
            "email.third-party-attachments",
            Verdict::Hold,
        );
    }
}

#[test]
fn impress_defamatory_or_obscene_mail_is_not_sent_or_forwarded() {
    let e = engine("impress");
    let send = message(IMPRESS_ME, "editor@example.org", "Re: complaint", ABUSE);
    assert_decides(
        &sent(&e, IMPRESS_ME, &[], TEN, &send),
        "email.inappropriate-content",
        Verdict::Hold,
    );
    let forward = message(
        IMPRESS_ME,
        "friend@example.org",
        "Fwd: look at this",
        &format!("---------- Forwarded message ---------\r\n{ABUSE}"),
    );
    assert_decides(
        &sent(&e, IMPRESS_ME, &[], TEN, &forward),
        "email.inappropriate-content",
        Verdict::Hold,
    );
}

#[test]
fn impress_defamatory_mail_between_colleagues_is_held_with_domains() {
    let e = engine_with_domains("impress", "impress.example");
    let inside = message(IMPRESS_ME, "editor@impress.example", "Re: you", ABUSE);
    let d = sent(&e, IMPRESS_ME, &[], TEN, &inside);
    assert_decides(&d, "email.inappropriate-content-internal", Verdict::Hold);
    assert_quiet(&d, "email.inappropriate-content");
    let outside = message(IMPRESS_ME, "editor@example.org", "Re: you", ABUSE);
    assert_decides(
        &sent(&e, IMPRESS_ME, &[], TEN, &outside),
        "email.inappropriate-content",
        Verdict::Hold,
    );
}

#[test]
fn impress_copying_all_colleagues_is_warned_with_domains() {
    let e = engine_with_domains("impress", "impress.example");
    let everyone = |n: usize| -> String {
        let to: Vec<String> = (1..=n).map(|i| format!("c{i}@impress.example")).collect();
        message(IMPRESS_ME, &to.join(", "), "Re: minutes", "Noted.")
    };
    assert_decides(
        &sent(&e, IMPRESS_ME, &[], TEN, &everyone(15)),
        "email.ccing",
        Verdict::Warn,
    );
    assert_quiet(
        &sent(&e, IMPRESS_ME, &[], TEN, &everyone(10)),
        "email.ccing",
    );
}

#[test]
fn impress_impersonation_is_blocked_with_domains() {
    let e = engine_with_domains("impress", "impress.example");
    let spoof = message(
        "chair@impress.example",
        IMPRESS_ME,
        "Payment",
        "Please pay the attached today.",
    );
    assert_decides(
        &received(&e, &spoof),
        "server.impersonation",
        Verdict::Block,
    );
    let named = message(
        "\"chair@impress.example\" <chair.impress@gmail.com>",
        IMPRESS_ME,
        "Payment",
        "Please pay today.",
    );
    assert_decides(
        &received(&e, &named),
        "server.impersonation",
        Verdict::Block,
    );
    let genuine = message("journalist@example.org", IMPRESS_ME, "Query", "A question.");
    assert_quiet(&received(&e, &genuine), "server.impersonation");
}

#[test]
fn impress_mail_marked_private_or_personal_keeps_headers_only() {
    let e = engine("impress");
    for subject in ["Private: hospital appointment", "personal - flat viewing"] {
        let raw = message(IMPRESS_ME, "friend@example.org", subject, "Details inside.");
        let d = sent(&e, IMPRESS_ME, &[], TEN, &raw);
        assert_decides(&d, "email.personal-marked", Verdict::Log);
        assert_eq!(d.privacy, Privacy::HeadersOnly);
    }
    let work = message(
        IMPRESS_ME,
        "editor@example.org",
        "Board papers",
        "Attached.",
    );
    assert_eq!(sent(&e, IMPRESS_ME, &[], TEN, &work).privacy, Privacy::Full);
}

#[test]
fn impress_identifying_details_are_not_sent_outside() {
    let e = engine("impress");
    let raw = message(
        IMPRESS_ME,
        "journalist@example.org",
        "Complainant",
        NI_NUMBER,
    );
    assert_decides(
        &sent(&e, IMPRESS_ME, &[], TEN, &raw),
        "data.personal-data-external",
        Verdict::Warn,
    );
}

#[test]
fn impress_confidential_board_data_goes_by_the_portal_not_email() {
    let e = engine("impress");
    let raw = message(IMPRESS_ME, "member@example.org", "Board pack", CONFIDENTIAL);
    assert_decides(
        &sent(&e, IMPRESS_ME, &[], TEN, &raw),
        "data.board-portal-not-email",
        Verdict::Hold,
    );
    let encrypted = message(
        IMPRESS_ME,
        "member@example.org",
        "Board pack",
        "CONFIDENTIAL\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA\r\n-----END PGP MESSAGE-----",
    );
    assert_quiet(
        &sent(&e, IMPRESS_ME, &[], TEN, &encrypted),
        "data.board-portal-not-email",
    );
}

#[test]
fn impress_software_needs_the_company_secretarys_consent() {
    let e = engine("impress");
    assert_decides(
        &install(&e, "Dropbox", &[]),
        "equipment.software-consent",
        Verdict::Hold,
    );
    assert_eq!(install(&e, "Dropbox", &["Dropbox"]).verdict, Verdict::Allow);
}

#[test]
fn impress_review_from_2018_is_overdue() {
    let text = std::fs::read_to_string(root().join("policies/impress.toml")).unwrap();
    let today = jiff::civil::date(2026, 11, 24);
    let report = charter_policy::lint::lint(&text, "impress.toml", today);
    let overdue = report
        .diagnostics
        .iter()
        .find(|d| d.code == "review_overdue")
        .unwrap_or_else(|| panic!("no review_overdue: {:#?}", report.diagnostics));
    assert!(overdue.message.contains("2019"), "{}", overdue.message);
}

// ------------------------------------------------------------------ Allsorts (seed 003)

/// Allsorts names no mail domain either.
const ALLSORTS_ME: &str = "nicola.williams@allsorts.example";

#[test]
fn allsorts_pornography_is_gross_misconduct_at_any_time() {
    let e = engine("allsorts");
    for at in [TEN, LUNCH, EVENING] {
        let d = web(&e, "https://www.pornhub.com/", at, &[]);
        assert_decides(&d, "internet.pornography", Verdict::Block);
        assert_eq!(
            severity(&d, "internet.pornography"),
            charter_policy::Severity::GrossMisconduct
        );
    }
}

#[test]
fn allsorts_other_grossly_offensive_or_illegal_material_is_blocked() {
    let e = engine("allsorts");
    for url in [
        "https://www.stormfront.org/",
        "https://erowid.org/",
        "https://hackforums.net/",
    ] {
        assert_decides(
            &web(&e, url, LUNCH, &[]),
            "internet.offensive-or-illegal",
            Verdict::Block,
        );
    }
}

#[test]
fn allsorts_no_social_networking_or_video_sharing_in_work_time() {
    let e = engine("allsorts");
    for url in ["https://www.facebook.com/", "https://www.youtube.com/"] {
        assert_decides(
            &web(&e, url, TEN, &["staff"]),
            "internet.social-and-video-in-work-time",
            Verdict::Block,
        );
        assert_eq!(web(&e, url, EVENING, &["staff"]).verdict, Verdict::Allow);
        for role in ["social_media_manager", "marketing"] {
            assert_quiet(
                &web(&e, url, TEN, &[role]),
                "internet.social-and-video-in-work-time",
            );
        }
    }
}

#[test]
fn allsorts_no_personal_surfing_in_work_time() {
    let e = engine("allsorts");
    for url in [
        "https://www.amazon.co.uk/",
        "https://www.roblox.com/",
        "https://tinder.com/",
        "https://www.bet365.com/",
        "https://www.indeed.co.uk/",
        "https://mail.google.com/",
        "https://www.reddit.com/",
    ] {
        assert_decides(
            &web(&e, url, TEN, &[]),
            "internet.personal-surfing-in-work-time",
            Verdict::Block,
        );
        assert_eq!(web(&e, url, EVENING, &[]).verdict, Verdict::Allow, "{url}");
    }
}

#[test]
fn allsorts_no_personal_weblog_in_work_time() {
    let e = engine("allsorts");
    let blog = "https://someone.wordpress.com/wp-admin/post-new.php";
    assert_decides(
        &web(&e, blog, TEN, &[]),
        "internet.personal-weblog-in-work-time",
        Verdict::Block,
    );
    assert_eq!(web(&e, blog, EVENING, &[]).verdict, Verdict::Allow);
    assert_eq!(web(&e, blog, LUNCH, &[]).verdict, Verdict::Allow);
    // "unless it is related to the Organisation": those who blog for it are excepted.
    assert_eq!(web(&e, blog, TEN, &["marketing"]).verdict, Verdict::Allow);
}

#[test]
fn allsorts_software_copyright_is_not_infringed() {
    let e = engine("allsorts");
    assert_decides(
        &web(&e, "https://thepiratebay.org/", EVENING, &[]),
        "software.copyright",
        Verdict::Block,
    );
}

#[test]
fn allsorts_virus_sites_are_blocked() {
    let e = engine("allsorts");
    assert_decides(
        &web(&e, "http://malware-drop.example/", TEN, &[]),
        "security.virus-checks",
        Verdict::Block,
    );
}

#[test]
fn allsorts_suspicious_emails_are_not_opened() {
    let e = engine("allsorts");
    assert_decides(
        &received(&e, &exe_from("someone@unknown.example", ALLSORTS_ME)),
        "email.suspicious-emails",
        Verdict::Block,
    );
    assert_decides(
        &received(&e, &rar_from("someone@unknown.example", ALLSORTS_ME)),
        "email.unscannable",
        Verdict::Hold,
    );
    let clean = message(
        "parent@example.org",
        ALLSORTS_ME,
        "Thank you",
        "Lovely day.",
    );
    assert_eq!(received(&e, &clean).verdict, Verdict::Allow);
}

#[test]
fn allsorts_suspicious_emails_posing_as_allsorts_are_blocked_with_domains() {
    let e = engine_with_domains("allsorts", "allsorts.example");
    let spoof = message(
        "nicola.williams@allsorts.example",
        "staff@allsorts.example",
        "Rota change",
        "Open the link to see your shifts.",
    );
    assert_decides(
        &received(&e, &spoof),
        "email.suspicious-emails",
        Verdict::Block,
    );
    let lookalike = message(
        "nicola.williams@allsort.example",
        ALLSORTS_ME,
        "Rota change",
        "Open the link.",
    );
    assert_decides(
        &received(&e, &lookalike),
        "email.suspicious-emails",
        Verdict::Block,
    );
    let parent = message(
        "parent@example.org",
        ALLSORTS_ME,
        "Thank you",
        "Lovely day.",
    );
    assert_eq!(received(&e, &parent).verdict, Verdict::Allow);
}

#[test]
fn allsorts_software_needs_the_managers_authorisation() {
    let e = engine("allsorts");
    assert_decides(
        &install(&e, "Inkscape", &[]),
        "software.manager-authorisation",
        Verdict::Hold,
    );
    assert_eq!(
        install(&e, "Inkscape", &["Inkscape"]).verdict,
        Verdict::Allow
    );
}

#[test]
fn allsorts_group_addresses_go_in_bcc() {
    let e = engine("allsorts");
    let to = message(
        ALLSORTS_ME,
        "staff@allsorts.example",
        "Rota",
        "Next week's rota.",
    );
    assert_decides(
        &sent(&e, ALLSORTS_ME, &[], TEN, &to),
        "email.bcc-group-addresses",
        Verdict::Hold,
    );
    let bcc = format!(
        "From: {ALLSORTS_ME}\r\nTo: {ALLSORTS_ME}\r\nBcc: staff@allsorts.example\r\n\
         Subject: Rota\r\n\r\nNext week's rota. Registered number CIC 11373253\r\n"
    );
    assert_quiet(
        &sent(&e, ALLSORTS_ME, &[], TEN, &bcc),
        "email.bcc-group-addresses",
    );
}

#[test]
fn allsorts_registered_number_at_the_bottom_of_each_email() {
    let e = engine("allsorts");
    let bare = message(
        ALLSORTS_ME,
        "funder@example.org",
        "Report",
        "Report attached.",
    );
    assert_decides(
        &sent(&e, ALLSORTS_ME, &[], TEN, &bare),
        "email.registered-number-footer",
        Verdict::Warn,
    );
    let signed = message(
        ALLSORTS_ME,
        "funder@example.org",
        "Report",
        "Report attached.\r\n\r\nAllsorts Support Services CIC, registered number CIC 11373253",
    );
    assert_quiet(
        &sent(&e, ALLSORTS_ME, &[], TEN, &signed),
        "email.registered-number-footer",
    );
}

#[test]
fn allsorts_mail_that_demeans_another_employee_is_held() {
    let e = engine("allsorts");
    // With no mail domain in the pack, mail to a colleague counts as outbound too.
    for to in ["colleague@allsorts.example", "someone@example.org"] {
        let raw = message(ALLSORTS_ME, to, "Yesterday", ABUSE);
        assert_decides(
            &sent(&e, ALLSORTS_ME, &[], TEN, &raw),
            "email.harassment-outbound",
            Verdict::Hold,
        );
    }
}

#[test]
fn allsorts_harassment_between_colleagues_is_held_with_domains() {
    let e = engine_with_domains("allsorts", "allsorts.example");
    let inside = message(
        ALLSORTS_ME,
        "colleague@allsorts.example",
        "Yesterday",
        ABUSE,
    );
    let d = sent(&e, ALLSORTS_ME, &[], TEN, &inside);
    assert_decides(&d, "email.harassment", Verdict::Hold);
    assert_quiet(&d, "email.harassment-outbound");
    let kind = message(
        ALLSORTS_ME,
        "colleague@allsorts.example",
        "Yesterday",
        "Thank you for covering my shift.",
    );
    assert_eq!(
        sent(&e, ALLSORTS_ME, &[], TEN, &kind).verdict,
        Verdict::Allow
    );
}

#[test]
fn allsorts_confidential_information_is_not_disclosed() {
    let e = engine("allsorts");
    for body in [CONFIDENTIAL, NI_NUMBER] {
        let raw = message(ALLSORTS_ME, "competitor@example.org", "Info", body);
        assert_decides(
            &sent(&e, ALLSORTS_ME, &[], TEN, &raw),
            "email.confidential-information",
            Verdict::Hold,
        );
    }
}

#[test]
fn allsorts_contact_lists_are_not_sent_to_personal_mail() {
    let e = engine("allsorts");
    let raw = message(
        ALLSORTS_ME,
        "nicola.williams76@gmail.com",
        "Fwd: contact list",
        "All our service users' contacts.",
    );
    assert_decides(
        &sent(&e, ALLSORTS_ME, &[], TEN, &raw),
        "email.contact-lists",
        Verdict::Warn,
    );
}

// ------------------------------------------------------------------ template (seed 004)

/// The template says "reviewed annually" without a date: lint says the review cannot be
/// tracked until one is set; the filled-in pack's review falls due a year after the last one
/// and is overdue the day after.
#[test]
fn template_annual_review_is_tracked() {
    let lint = |name: &str, today: jiff::civil::Date| {
        let text = std::fs::read_to_string(root().join("policies").join(name)).unwrap();
        charter_policy::lint::lint(&text, name, today)
    };
    let codes = |report: &charter_policy::lint::LintReport| -> Vec<String> {
        report
            .diagnostics
            .iter()
            .map(|d| d.code.to_string())
            .collect()
    };
    let template = lint("template.toml", jiff::civil::date(2026, 11, 24));
    assert!(codes(&template).contains(&"no_review_date".to_string()));

    let filled =
        charter_policy::load_file(&root().join("policies/template-filled.example.toml")).unwrap();
    let last = filled.meta.last_reviewed.unwrap();
    assert_eq!(
        filled.meta.review_due,
        Some(last.checked_add(jiff::Span::new().years(1)).unwrap())
    );
    let name = "template-filled.example.toml";
    let on_time = lint(name, jiff::civil::date(2027, 3, 31));
    assert!(!codes(&on_time).contains(&"review_overdue".to_string()));
    let late = lint(name, jiff::civil::date(2027, 4, 1));
    assert!(codes(&late).contains(&"review_overdue".to_string()));
}

/// The template filled in for Northwind Lettings Ltd; `template.toml` itself has placeholders.
const NORTHWIND: &str = "template-filled.example";
const NW_ME: &str = "ann.lee@northwind-lettings.co.uk";
const NW_DISCLAIMER: &str = "Northwind Lettings Ltd, registered in England and Wales, company \
                             number 09876543. This email and any attachments are confidential \
                             and intended only for the addressee. If you have received it in \
                             error, please tell the sender and delete it.";

#[test]
fn template_searches_made_are_checked_for_safeguarding() {
    assert_safeguarding_searches(&engine(NORTHWIND), "monitoring.searches");
}

#[test]
fn template_pornography_offensive_material_and_gambling_are_gross_misconduct() {
    let e = engine(NORTHWIND);
    let cases = [
        ("https://www.pornhub.com/", "prohibited.pornography"),
        (
            "https://www.stormfront.org/",
            "prohibited.offensive-material",
        ),
        ("https://erowid.org/", "prohibited.offensive-material"),
        ("https://hackforums.net/", "prohibited.offensive-material"),
        (
            "https://sect-recruits.example/",
            "prohibited.offensive-material",
        ),
        ("https://www.bet365.com/", "prohibited.online-gambling"),
    ];
    for (url, rule) in cases {
        let d = web(&e, url, EVENING, &[]);
        assert_decides(&d, rule, Verdict::Block);
        assert_eq!(
            severity(&d, rule),
            charter_policy::Severity::GrossMisconduct
        );
    }
}

#[test]
fn template_copyright_material_is_not_downloaded() {
    let e = engine(NORTHWIND);
    assert_decides(
        &web(&e, "https://thepiratebay.org/", LUNCH, &[]),
        "prohibited.copyright",
        Verdict::Block,
    );
}

#[test]
fn template_no_chat_rooms_even_in_your_own_time() {
    let e = engine(NORTHWIND);
    for at in [TEN, EVENING] {
        assert_decides(
            &web(&e, "https://discord.com/", at, &[]),
            "internet.chat-rooms",
            Verdict::Block,
        );
    }
}

#[test]
fn template_streaming_messaging_webmail_and_social_media_are_never_accessed() {
    let e = engine(NORTHWIND);
    for url in [
        "https://www.youtube.com/",
        "https://discord.com/",
        "https://mail.google.com/",
        "https://www.facebook.com/",
    ] {
        for at in [TEN, LUNCH, EVENING] {
            assert_decides(
                &web(&e, url, at, &[]),
                "internet.never-accessed",
                Verdict::Block,
            );
        }
    }
}

#[test]
fn template_public_ai_is_blocked_or_warned_as_the_organisation_chose() {
    let chatgpt = "https://chatgpt.com/";
    assert_decides(
        &web(&engine("template"), chatgpt, TEN, &[]),
        "ai.public-ai",
        Verdict::Block,
    );
    assert_decides(
        &web(&engine(NORTHWIND), chatgpt, TEN, &[]),
        "ai.public-ai",
        Verdict::Warn,
    );
}

#[test]
fn template_personal_browsing_at_lunch_before_nine_or_after_half_past_five() {
    let e = engine(NORTHWIND);
    let shop = "https://www.amazon.co.uk/";
    assert_decides(
        &web(&e, shop, TEN, &[]),
        "personal.outside-working-hours",
        Verdict::Warn,
    );
    for at in [
        "2026-06-15T08:30:00+01:00",
        LUNCH,
        "2026-06-15T17:45:00+01:00",
    ] {
        assert_eq!(web(&e, shop, at, &[]).verdict, Verdict::Allow, "{at}");
    }
}

#[test]
fn template_software_is_not_downloaded_or_installed_without_authorisation() {
    let e = engine(NORTHWIND);
    assert_decides(
        &web(&e, "https://wetransfer.com/", TEN, &[]),
        "systems.software-downloads",
        Verdict::Hold,
    );
    assert_decides(
        &install(&e, "WinZip", &["Microsoft Office"]),
        "systems.software-authorisation",
        Verdict::Hold,
    );
    assert_eq!(install(&e, "WinZip", &["WinZip"]).verdict, Verdict::Allow);
}

#[test]
fn template_incoming_files_are_virus_checked() {
    let e = engine(NORTHWIND);
    assert_decides(
        &web(&e, "http://malware-drop.example/", TEN, &[]),
        "systems.viruses",
        Verdict::Block,
    );
    assert_decides(
        &received(&e, &exe_from("tenant@example.org", NW_ME)),
        "email.exe-attachments",
        Verdict::Block,
    );
    assert_decides(
        &received(&e, &rar_from("tenant@example.org", NW_ME)),
        "email.unscannable",
        Verdict::Hold,
    );
}

#[test]
fn template_tools_that_get_round_the_network_restrictions_are_blocked() {
    let e = engine(NORTHWIND);
    assert_decides(
        &web(&e, "https://nordvpn.com/", TEN, &[]),
        "systems.restricted-areas",
        Verdict::Block,
    );
}

#[test]
fn template_standard_disclaimer_is_always_included() {
    let e = engine(NORTHWIND);
    let bare = message(
        NW_ME,
        "tenant@example.org",
        "Lease",
        "The lease is attached.",
    );
    assert_decides(
        &sent(&e, NW_ME, &[], TEN, &bare),
        "email.standard-disclaimer",
        Verdict::Warn,
    );
    let signed = message(
        NW_ME,
        "tenant@example.org",
        "Lease",
        &format!("The lease is attached.\r\n\r\n{NW_DISCLAIMER}"),
    );
    assert_quiet(
        &sent(&e, NW_ME, &[], TEN, &signed),
        "email.standard-disclaimer",
    );
}

#[test]
fn template_abusive_emails_are_held_inside_and_out() {
    let e = engine(NORTHWIND);
    let out = message(NW_ME, "tenant@example.org", "Rent", ABUSE);
    assert_decides(
        &sent(&e, NW_ME, &[], TEN, &out),
        "email.abusive",
        Verdict::Hold,
    );
    let inside = message(NW_ME, "bob.ray@northwind-lettings.co.uk", "Rent", ABUSE);
    assert_decides(
        &sent(&e, NW_ME, &[], TEN, &inside),
        "email.abusive-internal",
        Verdict::Hold,
    );
}

#[test]
fn template_chain_letters_are_gross_misconduct() {
    let e = engine(NORTHWIND);
    let raw = message(
        NW_ME,
        "bob.ray@northwind-lettings.co.uk",
        "Fwd: luck",
        CHAIN,
    );
    let d = sent(&e, NW_ME, &[], TEN, &raw);
    assert_decides(&d, "email.chain-letters", Verdict::Block);
    assert_eq!(
        severity(&d, "email.chain-letters"),
        charter_policy::Severity::GrossMisconduct
    );
}

#[test]
fn template_no_mail_from_another_persons_address_or_an_assumed_name() {
    let e = engine(NORTHWIND);
    let as_bob = message(
        "Bob Ray <bob.ray@northwind-lettings.co.uk>",
        "tenant@example.org",
        "Notice",
        "Please vacate.",
    );
    assert_decides(
        &sent(&e, NW_ME, &[], TEN, &as_bob),
        "email.assumed-name",
        Verdict::Block,
    );
    assert_decides(&received(&e, &as_bob), "email.assumed-name", Verdict::Block);
    let own = message(
        NW_ME,
        "tenant@example.org",
        "Notice",
        "Your lease renews soon.",
    );
    assert_quiet(&sent(&e, NW_ME, &[], TEN, &own), "email.assumed-name");
}

#[test]
fn template_confidential_messages_are_not_sent_unencrypted() {
    let e = engine(NORTHWIND);
    for body in [CONFIDENTIAL, NI_NUMBER] {
        let raw = message(NW_ME, "agent@example.org", "Tenant", body);
        assert_decides(
            &sent(&e, NW_ME, &[], TEN, &raw),
            "email.confidential-unencrypted",
            Verdict::Hold,
        );
    }
    let encrypted = message(
        NW_ME,
        "agent@example.org",
        "Tenant",
        "CONFIDENTIAL\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA\r\n-----END PGP MESSAGE-----",
    );
    assert_quiet(
        &sent(&e, NW_ME, &[], TEN, &encrypted),
        "email.confidential-unencrypted",
    );
}

#[test]
fn template_personal_accounts_are_not_used_for_business() {
    let e = engine(NORTHWIND);
    let raw = message(
        NW_ME,
        "ann.lee.home@gmail.com",
        "Fwd: tenancy",
        "See below.",
    );
    assert_decides(
        &sent(&e, NW_ME, &[], TEN, &raw),
        "email.personal-account",
        Verdict::Warn,
    );
}

#[test]
fn template_bank_detail_changes_by_email_are_held() {
    let e = engine(NORTHWIND);
    let raw = message(
        "accounts@landlord.example",
        NW_ME,
        "New bank details",
        BANK_CHANGE,
    );
    assert_decides(
        &received(&e, &raw),
        "email.bank-detail-changes",
        Verdict::Hold,
    );
}

#[test]
fn template_large_internal_distribution_lists_in_to() {
    let e = engine(NORTHWIND);
    let many = message(
        NW_ME,
        &recipients(21, "northwind-lettings.co.uk"),
        "Re: lost umbrella",
        "Found it.",
    );
    assert_decides(
        &sent(&e, NW_ME, &[], TEN, &many),
        "email.large-distribution-lists",
        Verdict::Warn,
    );
    let few = message(
        NW_ME,
        &recipients(5, "northwind-lettings.co.uk"),
        "Re: viewing",
        "Thanks.",
    );
    assert_quiet(
        &sent(&e, NW_ME, &[], TEN, &few),
        "email.large-distribution-lists",
    );
}

#[test]
fn template_no_selling_advertising_or_broadcast_appeals() {
    let e = engine(NORTHWIND);
    let appeal = message(
        NW_ME,
        &recipients(51, "example.org"),
        "Sponsor me",
        &format!("Please sponsor my run.\r\n\r\n{NW_DISCLAIMER}"),
    );
    assert_decides(
        &sent(&e, NW_ME, &[], TEN, &appeal),
        "email.broadcast-and-advertising",
        Verdict::Hold,
    );
    assert_quiet(
        &sent(&e, NW_ME, &["marketing"], TEN, &appeal),
        "email.broadcast-and-advertising",
    );
}

#[test]
fn template_personal_emails_are_labelled_and_sent_out_of_working_hours() {
    let e = engine(NORTHWIND);
    let raw = message(
        NW_ME,
        "friend@example.org",
        "Personal: Saturday",
        "See you.",
    );
    let at_ten = sent(&e, NW_ME, &[], TEN, &raw);
    assert_fires(&at_ten, "email.personal-label");
    assert_decides(&at_ten, "email.personal-in-working-hours", Verdict::Warn);
    assert_eq!(at_ten.privacy, Privacy::HeadersOnly);
    let at_lunch = sent(&e, NW_ME, &[], LUNCH, &raw);
    assert_fires(&at_lunch, "email.personal-label");
    assert_quiet(&at_lunch, "email.personal-in-working-hours");
}

// ------------------------------------------------------------------ demo

const DEMO_ME: &str = "sam.trainer@demo-training.co.uk";
const DEMO_FOOTER: &str = "Demo Training Ltd is registered in England and Wales, company \
                           number 12345678. This email and any attachments are confidential \
                           and intended for the addressee only.\r\n1 Example Street, Leeds, LS1 1AA";

#[test]
fn demo_prohibited_content_and_the_iwf_list_are_blocked() {
    let e = engine("demo");
    assert_decides(
        &web(&e, "https://www.bet365.com/", LUNCH, &[]),
        "internet.prohibited-content",
        Verdict::Block,
    );
    assert_decides(
        &web(&e, IWF_URL, TEN, &[]),
        "internet.child-abuse-urls",
        Verdict::Block,
    );
    assert_quiet(
        &web(&e, "http://abuse-images.example/about", TEN, &[]),
        "internet.child-abuse-urls",
    );
}

/// A site model trained on made-up lists: gambling words and plain businesses.
fn site_model() -> std::sync::Arc<charter_engine::web::SiteModel> {
    use charter_engine::web::site_model::{TrainingSet, train};
    use charter_policy::{Category, CategorySet};
    let hosts = (0..300).flat_map(|i| {
        [
            (
                format!("casino{i}bet.com"),
                CategorySet::of(Category::Gambling),
            ),
            (
                format!("poker{i}slots.net"),
                CategorySet::of(Category::Gambling),
            ),
            (format!("plumbing{i}supplies.co.uk"), CategorySet::EMPTY),
            (format!("bakery{i}town.com"), CategorySet::EMPTY),
        ]
    });
    let set = TrainingSet::from_hosts(hosts, "test lists");
    let (training, _) = set.split();
    std::sync::Arc::new(train(&training, &set))
}

#[test]
fn demo_unlisted_sites_the_model_takes_for_gambling_go_to_it() {
    use charter_engine::web::{Builtin, WithSiteModel};
    let e = engine("demo");
    let source = WithSiteModel::new(Builtin::new(), site_model());
    let decide =
        |url: &str| e.decide_web(&context("pat", &[], TEN), &WebRequest::new(url), &source);
    let unlisted = decide("https://www.royalcasinobet.com/");
    assert_decides(&unlisted, "internet.unlisted-prohibited", Verdict::Log);
    assert!(e.pack().rule("internet.unlisted-prohibited").unwrap().alert == ["it"]);
    assert_quiet(
        &decide("https://www.plumbingtownsupplies.co.uk/"),
        "internet.unlisted-prohibited",
    );
    // A listed gambling site is blocked by the list rule, and the model is not asked.
    let listed = decide("https://www.bet365.com/");
    assert_decides(&listed, "internet.prohibited-content", Verdict::Block);
    assert_quiet(&listed, "internet.unlisted-prohibited");
}

#[test]
fn demo_safeguarding_searches_go_to_the_lead() {
    assert_safeguarding_searches(&engine("demo"), "internet.safeguarding-searches");
}

#[test]
fn demo_security_threats_circumvention_and_chat_are_blocked() {
    let e = engine("demo");
    for url in ["http://malware-drop.example/", "https://thepiratebay.org/"] {
        assert_decides(
            &web(&e, url, TEN, &[]),
            "internet.security-threats",
            Verdict::Block,
        );
    }
    assert_decides(
        &web(&e, "https://nordvpn.com/", TEN, &[]),
        "internet.circumvention",
        Verdict::Block,
    );
    assert_decides(
        &web(&e, "https://discord.com/", LUNCH, &[]),
        "internet.chat-rooms",
        Verdict::Block,
    );
}

#[test]
fn demo_streaming_and_webmail_are_blocked_at_all_times() {
    let e = engine("demo");
    assert_decides(
        &web(&e, "https://www.youtube.com/", LUNCH, &[]),
        "internet.streaming",
        Verdict::Block,
    );
    assert_quiet(
        &web(&e, "https://www.youtube.com/", TEN, &["trainer"]),
        "internet.streaming",
    );
    assert_decides(
        &web(&e, "https://mail.google.com/", EVENING, &[]),
        "internet.webmail",
        Verdict::Block,
    );
}

#[test]
fn demo_public_ai_is_warned() {
    let e = engine("demo");
    assert_decides(
        &web(&e, "https://chatgpt.com/", TEN, &[]),
        "internet.public-ai",
        Verdict::Warn,
    );
}

#[test]
fn demo_personal_use_and_social_media_only_in_breaks() {
    let e = engine("demo");
    assert_decides(
        &web(&e, "https://www.amazon.co.uk/", TEN, &["staff"]),
        "internet.personal-use-in-breaks",
        Verdict::Warn,
    );
    assert_decides(
        &web(&e, "https://www.facebook.com/", TEN, &["staff"]),
        "social.personal-use-in-breaks",
        Verdict::Warn,
    );
    let tea_break = "2026-06-15T10:35:00+01:00";
    for url in ["https://www.amazon.co.uk/", "https://www.facebook.com/"] {
        assert_eq!(web(&e, url, tea_break, &["staff"]).verdict, Verdict::Allow);
    }
    assert_quiet(
        &web(
            &e,
            "https://www.facebook.com/",
            TEN,
            &["social_media_manager"],
        ),
        "social.personal-use-in-breaks",
    );
}

#[test]
fn demo_only_authorised_users_use_the_connection() {
    let e = engine("demo");
    assert_decides(
        &web_unidentified(&e, "https://www.bbc.co.uk/"),
        "internet.unknown-users",
        Verdict::Block,
    );
}

#[test]
fn demo_mail_security() {
    let e = engine("demo");
    assert_decides(
        &received(&e, &exe_from("x@unknown.example", DEMO_ME)),
        "email.dangerous-attachments",
        Verdict::Block,
    );
    assert_decides(
        &received(&e, &rar_from("x@unknown.example", DEMO_ME)),
        "email.unscannable",
        Verdict::Hold,
    );
    let spoof = message(
        "Company Secretary <cosec@demo-training.co.uk>",
        DEMO_ME,
        "Gift cards",
        "Buy gift cards now.",
    );
    assert_decides(
        &received(&e, &spoof),
        "email.spoofed-sender",
        Verdict::Block,
    );
    let bank = message("accounts@supplier.example", DEMO_ME, "Bank", BANK_CHANGE);
    assert_decides(&received(&e, &bank), "email.payment-details", Verdict::Hold);
}

#[test]
fn demo_outgoing_mail_carries_the_disclaimer_and_company_details() {
    let e = engine("demo");
    let bare = message(
        DEMO_ME,
        "employer@example.org",
        "Visit",
        "See you on Monday.",
    );
    let d = sent(&e, DEMO_ME, &[], TEN, &bare);
    assert_fires(&d, "email.disclaimer");
    assert_fires(&d, "email.company-details");
    let signed = message(
        DEMO_ME,
        "employer@example.org",
        "Visit",
        &format!("See you on Monday.\r\n\r\n{DEMO_FOOTER}"),
    );
    assert_eq!(sent(&e, DEMO_ME, &[], TEN, &signed).verdict, Verdict::Allow);
}

#[test]
fn demo_group_addresses_and_mass_mail() {
    let e = engine("demo");
    let to_staff = message(
        DEMO_ME,
        "staff@demo-training.co.uk",
        "Rota",
        &format!("Rota attached.\r\n\r\n{DEMO_FOOTER}"),
    );
    assert_fires(
        &sent(&e, DEMO_ME, &[], TEN, &to_staff),
        "email.group-addresses-in-bcc",
    );
    let mass = message(
        DEMO_ME,
        &recipients(30, "example.org"),
        "Courses",
        &format!("New courses.\r\n\r\n{DEMO_FOOTER}"),
    );
    assert_decides(
        &sent(&e, DEMO_ME, &[], TEN, &mass),
        "email.mass-mail",
        Verdict::Hold,
    );
    assert_quiet(
        &sent(&e, DEMO_ME, &["marketing"], TEN, &mass),
        "email.mass-mail",
    );
}

#[test]
fn demo_learners_data_and_work_mail_stay_inside() {
    let e = engine("demo");
    let pii = message(DEMO_ME, "employer@example.org", "Learner", NI_NUMBER);
    assert_decides(
        &sent(&e, DEMO_ME, &[], TEN, &pii),
        "email.personal-data-external",
        Verdict::Hold,
    );
    let forward = message(DEMO_ME, "sam.trainer@gmail.com", "Fwd: notes", "Below.");
    assert_fires(
        &sent(&e, DEMO_ME, &[], TEN, &forward),
        "email.forward-to-personal",
    );
}

#[test]
fn demo_abusive_and_chain_mail() {
    let e = engine("demo");
    let out = message(DEMO_ME, "employer@example.org", "Re:", ABUSE);
    assert_decides(
        &sent(&e, DEMO_ME, &[], TEN, &out),
        "email.abusive-language",
        Verdict::Hold,
    );
    let inside = message(DEMO_ME, "kim@demo-training.co.uk", "Re:", ABUSE);
    assert_decides(
        &sent(&e, DEMO_ME, &[], TEN, &inside),
        "email.abusive-language-internal",
        Verdict::Hold,
    );
    let chain = message(DEMO_ME, "kim@demo-training.co.uk", "Fwd: luck", CHAIN);
    assert_decides(
        &sent(&e, DEMO_ME, &[], TEN, &chain),
        "email.chain-letters",
        Verdict::Block,
    );
}

#[test]
fn demo_personal_mail_keeps_headers_only() {
    let e = engine("demo");
    let raw = message(
        DEMO_ME,
        "kim@demo-training.co.uk",
        "Personal: lunch",
        "12:30?",
    );
    let d = sent(&e, DEMO_ME, &[], TEN, &raw);
    assert_fires(&d, "email.personal-marked");
    assert_eq!(d.privacy, Privacy::HeadersOnly);
}

#[test]
fn demo_software_is_installed_only_once_approved() {
    let e = engine("demo");
    assert_decides(
        &install(&e, "Zoom", &[]),
        "software.authorisation",
        Verdict::Hold,
    );
    assert_eq!(install(&e, "Zoom", &["Zoom"]).verdict, Verdict::Allow);
}

// ------------------------------------------------------------------ the document's commands

/// Every `charter ...` command docs/policy-coverage.md names as the register or workflow that
/// covers a statement exists: `charter GROUP ACTION --help` succeeds.
#[test]
fn every_command_the_coverage_document_names_exists() {
    let doc = std::fs::read_to_string(root().join("docs/policy-coverage.md")).unwrap();
    let mut commands: Vec<&str> = doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.starts_with("charter "))
        .collect();
    commands.sort_unstable();
    commands.dedup();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in commands {
        let words: Vec<&str> = command
            .split_whitespace()
            .skip(1)
            .take_while(|w| !w.starts_with('-') && !w.contains(['<', '.', '/']))
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_charter"))
            .args(&words)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{command}` is not a command: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ------------------------------------------------------------------ sizes and uploads

/// A response of `mb` MiB to a request by a person with `roles` at ten, as ICAP RESPMOD and
/// the helper's `http_reply_access` report its size (crates/cli/tests/web_bodies.rs runs
/// both through Squid).
fn downloaded(engine: &Engine, url: &str, mb: u64, roles: &[&str]) -> Decision {
    let request = WebRequest {
        size_bytes: Some(mb * 1024 * 1024),
        ..WebRequest::new(url)
    };
    engine.decide_web(&context("pat", roles, TEN), &request, lists())
}

/// `text` sent to `url` at ten, as ICAP REQMOD decodes an upload's body
/// (crates/cli/tests/web_bodies.rs posts through a bumping Squid).
fn uploaded(engine: &Engine, url: &str, text: &str) -> Decision {
    let request = WebRequest {
        upload: Some(charter_engine::web::Upload {
            text,
            read_bytes: text.len() as u64,
            body_bytes: Some(text.len() as u64),
            cut: false,
            unread_parts: 0,
        }),
        ..WebRequest::new(url)
    };
    engine.decide_web(&context("pat", &[], TEN), &request, lists())
}

#[test]
fn iimts_large_downloads_over_200_mb_are_blocked() {
    let e = engine("iimts");
    let iso = "https://www.bbc.co.uk/big.iso";
    assert_decides(
        &downloaded(&e, iso, 201, &[]),
        "internet.large-downloads",
        Verdict::Block,
    );
    assert_quiet(&downloaded(&e, iso, 200, &[]), "internet.large-downloads");
}

#[test]
fn impress_large_downloads_are_warned() {
    let e = engine("impress");
    let file = "https://www.bbc.co.uk/archive.zip";
    assert_decides(
        &downloaded(&e, file, 501, &[]),
        "internet.large-downloads",
        Verdict::Warn,
    );
    assert_quiet(&downloaded(&e, file, 500, &[]), "internet.large-downloads");
}

#[test]
fn demo_large_downloads_are_warned_except_for_it() {
    let e = engine("demo");
    let file = "https://www.bbc.co.uk/archive.zip";
    assert_decides(
        &downloaded(&e, file, 501, &["staff"]),
        "internet.large-downloads",
        Verdict::Warn,
    );
    assert_quiet(
        &downloaded(&e, file, 501, &["it"]),
        "internet.large-downloads",
    );
}

#[test]
fn template_no_business_data_uploaded_into_public_ai() {
    let e = engine(NORTHWIND);
    let chat = "https://chatgpt.com/backend-api/conversation";
    for text in [
        "Draft a reminder to tenant Jo Bloggs, NI number AB 12 34 56 C",
        "COMMERCIAL IN CONFIDENCE\nLandlord fees for 2027",
        "Refund to card 4111 1111 1111 1111",
    ] {
        assert_decides(
            &uploaded(&e, chat, text),
            "ai.no-business-data-uploads",
            Verdict::Block,
        );
    }
    let d = uploaded(&e, chat, "Suggest a title for a blog post about gardening");
    assert_quiet(&d, "ai.no-business-data-uploads");
    assert_decides(&d, "ai.public-ai", Verdict::Warn);
}

#[test]
fn demo_no_learners_personal_data_into_public_ai() {
    let e = engine("demo");
    let chat = "https://chatgpt.com/";
    assert_decides(
        &uploaded(
            &e,
            chat,
            "Learner Sam Smith, date of birth 02/03/2008, needs support",
        ),
        "internet.public-ai-uploads",
        Verdict::Block,
    );
    assert_decides(
        &uploaded(&e, chat, "STRICTLY CONFIDENTIAL\nboard minutes"),
        "internet.public-ai-uploads",
        Verdict::Block,
    );
    assert_quiet(
        &uploaded(&e, chat, "Explain photosynthesis for a level 2 course"),
        "internet.public-ai-uploads",
    );
    assert_quiet(
        &uploaded(
            &e,
            "https://www.bbc.co.uk/comments",
            "NI number AB 12 34 56 C",
        ),
        "internet.public-ai-uploads",
    );
}
