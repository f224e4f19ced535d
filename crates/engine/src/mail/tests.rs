//! Decisions on messages written for each check.

use charter_policy::{Check, Direction, Verdict};

use super::*;
use crate::{Context, Engine, Privacy};

const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
registered_number = "11373253"
domains = ["acme.co.uk"]
[mail]
disclaimer = "This email is from Acme Ltd. Views are the sender's own."
add_disclaimer = true
company_details = ["Registered number 11373253", "01234 567890"]
group_addresses = ["staff@acme.co.uk", "all"]
[[rule]]
id = "exe"
clause = "1"
on = "mail"
checks = ["executable_attachment", "double_extension"]
action = "block"
severity = "misconduct"
[[rule]]
id = "bcc"
clause = "2"
on = "mail"
checks = ["group_address_visible"]
max_recipients = 5
action = "warn"
severity = "concern"
[[rule]]
id = "mass"
clause = "3"
on = "mail"
direction = "outbound"
checks = ["mass_mail"]
max_recipients = 3
except_roles = ["marketing"]
action = "hold"
severity = "concern"
[[rule]]
id = "disclaimer"
clause = "4"
on = "mail"
direction = "outbound"
checks = ["missing_disclaimer"]
action = "log"
severity = "info"
[[rule]]
id = "details"
clause = "5"
on = "mail"
direction = "outbound"
checks = ["missing_company_details"]
action = "log"
severity = "info"
[[rule]]
id = "pii"
clause = "6"
on = "mail"
checks = ["personal_data_external"]
action = "hold"
severity = "misconduct"
[[rule]]
id = "conf"
clause = "7"
on = "mail"
checks = ["confidential_unencrypted"]
action = "hold"
severity = "misconduct"
[[rule]]
id = "bank"
clause = "8"
on = "mail"
checks = ["payment_details_change"]
action = "hold"
severity = "concern"
[[rule]]
id = "chain"
clause = "9"
on = "mail"
checks = ["chain_letter"]
action = "block"
severity = "gross_misconduct"
[[rule]]
id = "abuse"
clause = "10"
on = "mail"
checks = ["abusive_language"]
action = "block"
severity = "gross_misconduct"
[[rule]]
id = "webmail"
clause = "11"
on = "mail"
checks = ["forward_to_personal_webmail"]
action = "warn"
severity = "concern"
[[rule]]
id = "spoof"
clause = "12"
on = "mail"
direction = "inbound"
checks = ["spoofed_internal_sender"]
action = "hold"
severity = "concern"
[[rule]]
id = "unscannable"
clause = "13"
on = "mail"
checks = ["unscannable"]
action = "hold"
severity = "concern"
[[rule]]
id = "personal"
clause = "14"
on = "mail"
checks = ["personal_marked"]
action = "log"
severity = "info"
"#;

const FOOT: &str = "\r\n\r\nThis email is from Acme Ltd. Views are the sender's own.\r\nRegistered number 11373253, tel 01234 567890\r\n";

fn engine() -> Engine {
    Engine::new(charter_policy::parse(PACK, "t.toml").unwrap())
}

fn ctx(roles: &[&str]) -> Context {
    Context::new(
        Some("ann".into()),
        roles.iter().map(|r| r.to_string()).collect(),
        "2026-06-15T10:00:00Z".parse().unwrap(),
    )
}

fn decide(raw: &str) -> crate::Decision {
    decide_roles(raw, &[])
}

fn decide_roles(raw: &str, roles: &[&str]) -> crate::Decision {
    let env = Envelope::default();
    engine().decide_mail(&ctx(roles), &MailInput::new(raw.as_bytes(), &env))
}

fn checks(d: &crate::Decision) -> Vec<Check> {
    d.findings.iter().map(|f| f.check).collect()
}

fn outbound(body: &str) -> String {
    format!(
        "From: Ann Smith <ann.smith@acme.co.uk>\r\nTo: bob@client.com\r\nSubject: Report\r\n\r\n{body}{FOOT}"
    )
}

fn with_attachment(name: &str, ctype: &str, data: &[u8]) -> String {
    let b64 = String::from_utf8(footer::base64_encode_lines(data, b"\r\n")).unwrap();
    format!(
        "From: Ann Smith <ann.smith@acme.co.uk>\r\nTo: bob@client.com\r\nSubject: Files\r\n\
         Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n\
         See attached.{FOOT}\r\n--XX\r\nContent-Type: {ctype}; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--XX--\r\n"
    )
}

#[test]
fn clean_outbound_message_is_allowed() {
    let d = decide(&outbound("Here is the report you asked for."));
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
    assert_eq!(d.privacy, Privacy::Full);
}

#[test]
fn pe_attachment_is_blocked_by_content() {
    let pe = attach::tests::tiny_pe();
    let d = decide(&with_attachment(
        "update.dat",
        "application/octet-stream",
        &pe,
    ));
    assert_eq!(d.verdict, Verdict::Block);
    assert_eq!(d.findings[0].check, Check::ExecutableAttachment);
    assert_eq!(
        d.findings[0].message,
        "attachment update.dat is a Windows executable"
    );
}

#[test]
fn mz_text_attachment_is_not_an_executable() {
    let d = decide(&with_attachment(
        "notes.txt",
        "application/octet-stream",
        b"MZ notes: nothing to run here",
    ));
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
}

#[test]
fn script_attachment_by_extension() {
    for name in ["run.js", "x.vbs", "go.bat", "s.ps1", "app.hta"] {
        let d = decide(&with_attachment(
            name,
            "application/octet-stream",
            b"whatever",
        ));
        assert_eq!(checks(&d), [Check::ExecutableAttachment], "{name}");
    }
}

#[test]
fn executable_inside_zip() {
    let zip = attach::tests::zip_with(&[("a/b/tool.bin", &attach::tests::tiny_pe())], 0, true);
    let d = decide(&with_attachment("files.zip", "application/zip", &zip));
    assert_eq!(
        d.findings[0].message,
        "attachment a/b/tool.bin in files.zip is a Windows executable"
    );
}

#[test]
fn double_extension_found() {
    let d = decide(&with_attachment(
        "invoice.pdf.exe",
        "application/pdf",
        b"%PDF-1.4",
    ));
    assert_eq!(d.verdict, Verdict::Block);
    let d = decide(&with_attachment(
        "invoice.pdf.zip",
        "application/zip",
        &attach::tests::zip_stored(&[("x.doc.scr", b"x")]),
    ));
    assert_eq!(d.verdict, Verdict::Block);
}

#[test]
fn double_extension_is_its_own_finding_beside_executable() {
    // A real executable named as a PDF: the content makes it an executable, the name a
    // double extension, and the one rule carrying both checks reports both.
    let d = decide(&with_attachment(
        "invoice.pdf.exe",
        "application/octet-stream",
        &attach::tests::tiny_pe(),
    ));
    assert_eq!(
        checks(&d),
        [Check::ExecutableAttachment, Check::DoubleExtension],
        "{d:?}"
    );
    assert_eq!(
        d.findings[0].message,
        "attachment invoice.pdf.exe is a Windows executable"
    );
    assert_eq!(
        d.findings[1].message,
        "attachment invoice.pdf.exe has a double extension"
    );
    assert!(d.findings.iter().all(|f| f.rule == "exe"));
}

#[test]
fn double_extension_inside_a_zip_is_its_own_finding() {
    let zip = attach::tests::zip_stored(&[("x.doc.scr", b"x")]);
    let d = decide(&with_attachment("files.zip", "application/zip", &zip));
    assert_eq!(
        checks(&d),
        [Check::ExecutableAttachment, Check::DoubleExtension],
        "{d:?}"
    );
    assert_eq!(
        d.findings[1].message,
        "attachment x.doc.scr in files.zip has a double extension"
    );
}

#[test]
fn group_address_in_to() {
    let raw =
        format!("From: ann@acme.co.uk\r\nTo: staff@acme.co.uk\r\nSubject: x\r\n\r\nhello{FOOT}");
    let d = decide(&raw);
    assert_eq!(checks(&d), [Check::GroupAddressVisible]);
    assert_eq!(
        d.findings[0].message,
        "distribution list staff@acme.co.uk is in To/Cc instead of Bcc"
    );
    let raw = format!(
        "From: ann@acme.co.uk\r\nTo: b@client.com\r\nBcc: staff@acme.co.uk\r\nSubject: x\r\n\r\nhello{FOOT}"
    );
    assert!(!checks(&decide(&raw)).contains(&Check::GroupAddressVisible));
}

#[test]
fn bare_list_name_matches_any_domain_when_the_pack_names_none() {
    // Allsorts names no mail domain; its `staff` list is still the organisation's own.
    let pack = PACK
        .replace("domains = [\"acme.co.uk\"]\n", "")
        .replace("\"staff@acme.co.uk\", \"all\"", "\"staff\"");
    let engine = Engine::new(charter_policy::parse(&pack, "t.toml").unwrap());
    let env = Envelope::default();
    let raw = format!(
        "From: jo@allsorts.example\r\nTo: staff@allsorts.example\r\nSubject: Rota\r\n\r\nhi{FOOT}"
    );
    // Without domains, mail not shown to come from outside counts as the organisation's own.
    let md = engine.decide_mail_with(
        &ctx(&[]),
        &MailInput::new(raw.as_bytes(), &env),
        &MailLimits::default(),
    );
    assert_eq!(md.direction, Direction::Outbound);
    assert!(
        checks(&md.decision).contains(&Check::GroupAddressVisible),
        "{:?}",
        md.decision
    );
    let from_outside = Envelope {
        from_outside: Some(true),
        ..Envelope::default()
    };
    let md = engine.decide_mail_with(
        &ctx(&[]),
        &MailInput::new(raw.as_bytes(), &from_outside),
        &MailLimits::default(),
    );
    assert_eq!(md.direction, Direction::Inbound);
}

#[test]
fn supplied_domains_tell_colleagues_apart_when_the_pack_names_none() {
    let pack = PACK.replace("domains = [\"acme.co.uk\"]\n", "");
    let bare = Engine::new(charter_policy::parse(&pack, "t.toml").unwrap());
    let cc: Vec<String> = (0..6).map(|i| format!("p{i}@acme.co.uk")).collect();
    let raw = format!(
        "From: ann@acme.co.uk\r\nTo: {}\r\nSubject: x\r\n\r\nhi{FOOT}",
        cc.join(", ")
    );
    let env = Envelope::default();
    let input = MailInput::new(raw.as_bytes(), &env);
    // Nobody names the domains: nothing is internal, so nothing is counted.
    let md = bare.decide_mail_with(&ctx(&[]), &input, &MailLimits::default());
    assert_eq!(md.direction, Direction::Outbound);
    assert!(!checks(&md.decision).contains(&Check::GroupAddressVisible));

    let supplied = bare.clone().with_domains(&[" ACME.co.uk. ".to_string()]);
    assert_eq!(supplied.mail_domains(), ["acme.co.uk"]);
    assert!(
        bare.mail_domains().is_empty(),
        "the engine it came from is unchanged"
    );
    let md = supplied.decide_mail_with(&ctx(&[]), &input, &MailLimits::default());
    assert_eq!(md.direction, Direction::Internal);
    let finding = md
        .decision
        .findings
        .iter()
        .find(|f| f.check == Check::GroupAddressVisible)
        .expect("the count fires");
    assert_eq!(
        finding.message,
        "6 internal addresses in To/Cc, over 5; use Bcc"
    );

    // A pack that names its domains keeps them.
    let own = engine().with_domains(&["other.org".to_string()]);
    assert_eq!(own.mail_domains(), ["acme.co.uk"]);
}

#[test]
fn many_internal_addresses_in_cc() {
    let cc: Vec<String> = (0..6).map(|i| format!("p{i}@acme.co.uk")).collect();
    let raw = format!(
        "From: ann@acme.co.uk\r\nTo: x@client.com\r\nCc: {}\r\nSubject: x\r\n\r\nhi{FOOT}",
        cc.join(", ")
    );
    let d = decide(&raw);
    assert_eq!(
        d.findings[0].message,
        "6 internal addresses in To/Cc, over 5; use Bcc"
    );
}

#[test]
fn mass_mail_needs_an_authorisation() {
    let to: Vec<String> = (0..4).map(|i| format!("c{i}@client{i}.com")).collect();
    let raw = format!(
        "From: ann@acme.co.uk\r\nTo: {}\r\nSubject: offer\r\n\r\nBuy{FOOT}",
        to.join(", ")
    );
    let d = decide(&raw);
    assert_eq!(checks(&d), [Check::MassMail]);
    assert_eq!(d.verdict, Verdict::Hold);
    assert_eq!(decide_roles(&raw, &["marketing"]).verdict, Verdict::Allow);
}

#[test]
fn missing_disclaimer_and_details() {
    let raw = "From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: x\r\n\r\nhello\r\n";
    let d = decide(raw);
    assert_eq!(
        checks(&d),
        [Check::MissingDisclaimer, Check::MissingCompanyDetails]
    );
    assert_eq!(
        d.findings[1].message,
        "company details missing from the message: Registered number 11373253; 01234 567890"
    );
}

#[test]
fn changed_disclaimer_counts_as_missing() {
    let raw = "From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: x\r\n\r\nhi\r\n\r\nThis email is from Acme Ltd. Views are mine.\r\nRegistered number 11373253, tel 01234 567890\r\n";
    assert_eq!(checks(&decide(raw)), [Check::MissingDisclaimer]);
}

#[test]
fn disclaimer_in_html_counts() {
    let raw = "From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n\
               <p>hi</p><p>This email is from Acme Ltd.<br>Views are the sender&#39;s own.</p><p>Registered number 11373253, tel 01234&nbsp;567890</p>\r\n";
    assert_eq!(decide(raw).verdict, Verdict::Allow);
}

#[test]
fn inbound_mail_needs_no_disclaimer() {
    let raw = "From: bob@client.com\r\nTo: ann@acme.co.uk\r\nSubject: x\r\n\r\nhello\r\n";
    assert_eq!(decide(raw).verdict, Verdict::Allow);
}

#[test]
fn personal_data_sent_outside() {
    let d = decide(&outbound(
        "NI AB123456C, card 4111 1111 1111 1111, sort code 20-00-00 acc 12345678",
    ));
    assert_eq!(checks(&d), [Check::PersonalDataExternal]);
    assert_eq!(
        d.findings[0].message,
        "1 National Insurance number, 1 payment card number, 1 sort code with account number sent unencrypted to outside recipients (client.com)"
    );
}

#[test]
fn personal_data_inside_is_fine() {
    let raw = format!(
        "From: ann@acme.co.uk\r\nTo: hr@acme.co.uk\r\nSubject: x\r\n\r\nNI AB123456C{FOOT}"
    );
    assert_eq!(decide(&raw).verdict, Verdict::Allow);
}

#[test]
fn invalid_numbers_are_not_personal_data() {
    let d = decide(&outbound(
        "Order 4111 1111 1111 1112, ref GB123456A, call 20-00-00",
    ));
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
}

#[test]
fn encrypted_mail_may_carry_personal_data() {
    let raw = "From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: CONFIDENTIAL\r\n\
               Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n\
               Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n";
    assert!(!checks(&decide(raw)).contains(&Check::ConfidentialUnencrypted));
    let pgp =
        outbound("-----BEGIN PGP MESSAGE-----\r\nhQEMA AB123456C\r\n-----END PGP MESSAGE-----");
    assert!(!checks(&decide(&pgp)).contains(&Check::PersonalDataExternal));
}

#[test]
fn confidential_marking_sent_outside() {
    let raw = format!(
        "From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: CONFIDENTIAL: merger\r\n\r\nplans{FOOT}"
    );
    let d = decide(&raw);
    assert_eq!(checks(&d), [Check::ConfidentialUnencrypted]);
    let d = decide(&outbound("STRICTLY CONFIDENTIAL\r\n\r\nThe plans."));
    assert_eq!(checks(&d), [Check::ConfidentialUnencrypted]);
}

#[test]
fn confidentiality_notice_is_not_a_marking() {
    let d = decide(&outbound(
        "Hi.\r\n\r\nThis email is confidential and intended solely for the addressee.",
    ));
    assert_eq!(d.verdict, Verdict::Allow, "{d:?}");
}

#[test]
fn bank_details_change() {
    let raw = "From: accounts@supplier.com\r\nTo: ann@acme.co.uk\r\nSubject: Invoice\r\n\r\n\
               Please note our bank details have changed. Pay invoice 42 to the new account below.\r\n";
    assert_eq!(checks(&decide(raw)), [Check::PaymentDetailsChange]);
}

#[test]
fn chain_letter() {
    let d = decide(&outbound(
        "Forward this to 10 friends within 24 hours or you will have bad luck. Do not break the chain!",
    ));
    assert_eq!(checks(&d), [Check::ChainLetter]);
}

#[test]
fn abusive_language_without_quoting() {
    let d = decide(&outbound("You are an idiot and I will kill you."));
    assert_eq!(checks(&d), [Check::AbusiveLanguage]);
    let msg = &d.findings[0].message;
    assert!(
        msg.starts_with("abusive or discriminatory language: word list (1 insult, 1 threat)"),
        "{msg}"
    );
    assert!(!msg.contains("idiot") && !msg.contains("kill"), "{msg}");
}

#[test]
fn abusive_language_from_the_model_alone_gives_its_score() {
    let d = decide(&outbound(
        "Your reports are crap and you are a lazy shithead.",
    ));
    assert_eq!(checks(&d), [Check::AbusiveLanguage]);
    let msg = &d.findings[0].message;
    assert!(!msg.contains("word list"), "{msg}");
    assert!(
        msg.contains("model alt-profanity-check 1.9.1 score 0.")
            && msg.contains("(threshold 0.50)"),
        "{msg}"
    );
}

#[test]
fn trap_words_in_business_mail_are_not_abusive() {
    let d = decide(&outbound(
        "Please kill the process on the build server, then shoot me an email. \
         This deal is a steal; let's execute the plan. Sarah is on sick leave. \
         The Scunthorpe office closes early.",
    ));
    assert!(!checks(&d).contains(&Check::AbusiveLanguage), "{d:?}");
}

#[test]
fn a_rule_threshold_of_one_leaves_only_the_word_lists() {
    let pack = PACK.replace(
        "checks = [\"abusive_language\"]\n",
        "checks = [\"abusive_language\"]\nmodel_threshold = 1.0\n",
    );
    let engine = Engine::new(charter_policy::parse(&pack, "t.toml").unwrap());
    let env = Envelope::default();
    let raw = outbound("Your reports are crap and you are a lazy shithead.");
    let d = engine.decide_mail(&ctx(&[]), &MailInput::new(raw.as_bytes(), &env));
    assert!(!checks(&d).contains(&Check::AbusiveLanguage), "{d:?}");
}

#[test]
fn forward_to_own_webmail() {
    let raw = format!(
        "From: Ann Smith <ann.smith@acme.co.uk>\r\nTo: annsmith77@gmail.com\r\nSubject: Fwd: budget\r\n\r\nfigures{FOOT}"
    );
    let d = decide(&raw);
    assert_eq!(checks(&d), [Check::ForwardToPersonalWebmail]);
    assert_eq!(
        d.findings[0].message,
        "forwarded to personal webmail address annsmith77@gmail.com"
    );
}

#[test]
fn writing_to_a_customer_at_gmail_is_fine() {
    let raw = format!(
        "From: Ann Smith <ann.smith@acme.co.uk>\r\nTo: joe.bloggs@gmail.com\r\nSubject: Your order\r\n\r\nShipped.{FOOT}"
    );
    assert_eq!(decide(&raw).verdict, Verdict::Allow);
}

#[test]
fn spoofed_internal_sender() {
    let raw = "From: \"ann.smith@acme.co.uk\" <ann.smith@evil.example>\r\nTo: bob@acme.co.uk\r\nSubject: urgent\r\n\r\nPay this.\r\n";
    assert_eq!(checks(&decide(raw)), [Check::SpoofedInternalSender]);
    let raw = "From: Ann Smith <ann.smith@acme-co.uk>\r\nTo: bob@acme.co.uk\r\nSubject: urgent\r\n\r\nPay this.\r\n";
    assert_eq!(checks(&decide(raw)), [Check::SpoofedInternalSender]);
}

#[test]
fn colleague_name_from_outside_with_directory() {
    let raw = b"From: Ann Smith <ann.smith1980@gmail.com>\r\nTo: bob@acme.co.uk\r\nSubject: urgent\r\n\r\nGift cards please.\r\n";
    let env = Envelope::default();
    let directory = vec!["ann smith".to_string()];
    let input = MailInput {
        directory: &directory,
        ..MailInput::new(raw, &env)
    };
    let d = engine().decide_mail(&ctx(&[]), &input);
    assert_eq!(checks(&d), [Check::SpoofedInternalSender]);
}

#[test]
fn internal_sender_from_outside_unauthenticated() {
    let raw = b"From: ann@acme.co.uk\r\nTo: bob@acme.co.uk\r\nSubject: hi\r\n\r\nhi\r\n";
    let env = Envelope {
        from_outside: Some(true),
        ..Envelope::default()
    };
    let d = engine().decide_mail(&ctx(&[]), &MailInput::new(raw, &env));
    assert_eq!(checks(&d), [Check::SpoofedInternalSender]);
}

#[test]
fn personal_marked_keeps_headers_only_and_quotes_nothing() {
    let pe = attach::tests::tiny_pe();
    let raw = with_attachment("secret-name.exe", "application/octet-stream", &pe)
        .replace("Subject: Files", "Subject: Personal: holiday photos");
    let d = decide(&raw);
    assert_eq!(d.privacy, Privacy::HeadersOnly);
    assert!(checks(&d).contains(&Check::PersonalMarked));
    for f in &d.findings {
        assert!(!f.message.contains("secret-name"), "{}", f.message);
        assert!(!f.message.contains("See attached"), "{}", f.message);
    }
}

#[test]
fn direction_override_and_rule_direction() {
    let raw = b"From: ann@acme.co.uk\r\nTo: bob@client.com\r\nSubject: x\r\n\r\nhello\r\n";
    let env = Envelope::default();
    let input = MailInput {
        direction: Some(Direction::Inbound),
        ..MailInput::new(raw, &env)
    };
    let md = engine().decide_mail_with(&ctx(&[]), &input, &MailLimits::default());
    assert_eq!(md.direction, Direction::Inbound);
    // An internal From address on mail from outside is a spoof; no disclaimer is wanted.
    assert_eq!(checks(&md.decision), [Check::SpoofedInternalSender]);
    assert!(!md.add_disclaimer);
    let md = engine().decide_mail_with(
        &ctx(&[]),
        &MailInput::new(raw, &env),
        &MailLimits::default(),
    );
    assert_eq!(md.direction, Direction::Outbound);
    assert!(md.add_disclaimer);
}

#[test]
fn huge_message_is_bounded() {
    let raw = outbound(&"x".repeat(2 << 20));
    let limits = MailLimits {
        max_message_bytes: 1 << 20,
        ..MailLimits::default()
    };
    let env = Envelope::default();
    let md = engine().decide_mail_with(&ctx(&[]), &MailInput::new(raw.as_bytes(), &env), &limits);
    let f = md
        .decision
        .findings
        .iter()
        .find(|f| f.check == Check::Unscannable)
        .unwrap();
    assert!(f.message.contains("over the 1 MiB limit"), "{}", f.message);
}

#[test]
fn deep_nesting_is_bounded() {
    let mut raw = String::from("Subject: x\r\n\r\nbottom\r\n");
    for _ in 0..20 {
        raw = format!(
            "From: bob@client.com\r\nTo: ann@acme.co.uk\r\nSubject: x\r\nContent-Type: message/rfc822\r\n\r\n{raw}"
        );
    }
    let d = decide(&raw);
    assert_eq!(d.verdict, Verdict::Hold, "{d:?}");
}

#[test]
fn zip_bomb_is_unscannable() {
    let zeros = vec![0u8; 40 << 20];
    let zip = attach::tests::zip_with(&[("big.txt", &zeros)], 0, true);
    let d = decide(&with_attachment("big.zip", "application/zip", &zip));
    assert_eq!(checks(&d), [Check::Unscannable]);
    assert!(d.findings[0].message.contains("zip bomb"));
}

fn decide_with(raw: &str, limits: &MailLimits) -> MailDecision {
    let env = Envelope::default();
    engine().decide_mail_with(&ctx(&[]), &MailInput::new(raw.as_bytes(), &env), limits)
}

fn unscannable_message(d: &crate::Decision) -> &str {
    d.findings
        .iter()
        .find(|f| f.check == Check::Unscannable)
        .map_or("", |f| f.message.as_str())
}

#[test]
fn overlapping_zip_bomb_is_unscannable_at_once() {
    // 48 outer x 10,000 inner overlapping entries in a 5.5 KB message: every entry inflated
    // 8 MiB before entries were checked for overlap, so deciding it took many minutes.
    let zip = test_zips::nested_bomb(48, 10_000);
    let raw = with_attachment("files.zip", "application/zip", &zip);
    let started = std::time::Instant::now();
    let md = decide_with(&raw, &MailLimits::default());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(checks(&md.decision), [Check::Unscannable]);
    assert_eq!(
        unscannable_message(&md.decision),
        "not fully checked: zip bomb: entries overlap (files.zip)"
    );
    assert!(md.work_bytes < 1 << 20, "{}", md.work_bytes);
}

#[test]
fn large_overlapping_zip_bomb_is_unscannable_at_once() {
    let zip = test_zips::nested_bomb(10_000, 10_000);
    let raw = with_attachment("files.zip", "application/zip", &zip);
    assert!(raw.len() > 600_000, "{}", raw.len());
    let started = std::time::Instant::now();
    let md = decide_with(&raw, &MailLimits::default());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(checks(&md.decision), [Check::Unscannable]);
    assert!(md.work_bytes < 4 << 20, "{}", md.work_bytes);
}

#[test]
fn nested_copies_stop_at_the_work_limit() {
    let zip = test_zips::copies_bomb(4, 50);
    let limits = MailLimits {
        max_work_bytes: 16 << 20,
        ..MailLimits::default()
    };
    let md = decide_with(
        &with_attachment("files.zip", "application/zip", &zip),
        &limits,
    );
    assert_eq!(checks(&md.decision), [Check::Unscannable]);
    assert!(
        unscannable_message(&md.decision)
            .ends_with("work limit of 16 MiB reached; the rest was not checked (files.zip)"),
        "{}",
        unscannable_message(&md.decision)
    );
    assert!(
        md.work_bytes > 16 << 20 && md.work_bytes < 21 << 20,
        "{}",
        md.work_bytes
    );
}

#[test]
fn executable_zip_is_not_unscannable_under_the_budget() {
    let zip = attach::tests::zip_with(
        &[
            ("readme.txt", b"hello"),
            ("update.dat", &attach::tests::tiny_pe()),
        ],
        0,
        true,
    );
    let md = decide_with(
        &with_attachment("files.zip", "application/zip", &zip),
        &MailLimits::default(),
    );
    assert_eq!(checks(&md.decision), [Check::ExecutableAttachment]);
    assert!(
        md.work_bytes > 0 && md.work_bytes < 1 << 16,
        "{}",
        md.work_bytes
    );
}

/// A message with the same zip attached `copies` times.
fn with_zips(zip: &[u8], copies: usize) -> String {
    let b64 = String::from_utf8(footer::base64_encode_lines(zip, b"\r\n")).unwrap();
    let mut raw = String::from(
        "From: bob@client.com\r\nTo: ann@acme.co.uk\r\nSubject: Files\r\n\
         Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
         Content-Type: text/plain\r\n\r\nSee attached.\r\n",
    );
    for i in 0..copies {
        raw.push_str(&format!(
            "--XX\r\nContent-Type: application/zip\r\n\
             Content-Disposition: attachment; filename=\"f{i}.zip\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
        ));
    }
    raw.push_str("--XX--\r\n");
    raw
}

#[test]
fn the_work_limit_covers_the_whole_message() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let inner = attach::tests::zip_with(&[("data.bin", &data)], 0, true);
    let zip = attach::tests::zip_with(&[("inner.zip", &inner)], 0, true);
    let one = decide_with(&with_zips(&zip, 1), &MailLimits::default());
    let two = decide_with(&with_zips(&zip, 2), &MailLimits::default());
    assert!(checks(&two.decision).is_empty(), "{:?}", two.decision);
    let per_zip = two.work_bytes - one.work_bytes;
    // The inner archive inflated, then the head of its entry.
    assert!(per_zip > 4096, "{per_zip}");
    // Enough for either zip alone, not for both.
    let limits = MailLimits {
        max_work_bytes: one.work_bytes + per_zip / 2,
        ..MailLimits::default()
    };
    assert!(checks(&decide_with(&with_zips(&zip, 1), &limits).decision).is_empty());
    let stopped = decide_with(&with_zips(&zip, 2), &limits);
    assert_eq!(checks(&stopped.decision), [Check::Unscannable]);
    assert!(
        unscannable_message(&stopped.decision).contains("work limit"),
        "{:?}",
        stopped.decision
    );
}

#[test]
fn html_past_the_text_limit_is_not_read() {
    let body = "<p>hello there</p>\r\n".repeat(400_000);
    let raw = format!(
        "From: bob@client.com\r\nTo: ann@acme.co.uk\r\nSubject: x\r\n\
         Content-Type: text/html\r\n\r\n{body}"
    );
    let limits = MailLimits {
        max_text_bytes: 1 << 20,
        ..MailLimits::default()
    };
    let md = decide_with(&raw, &limits);
    assert_eq!(
        unscannable_message(&md.decision),
        "not fully checked: text beyond 1 MiB not checked"
    );
    // About 1 MiB of text from under 2 MiB of HTML, read once to strip the tags and once more
    // as text, out of 7.6 MiB.
    assert!(body.len() > 7 << 20);
    assert!(md.work_bytes < 4 << 20, "{}", md.work_bytes);
}

#[test]
fn the_time_limit_stops_the_walk() {
    let limits = MailLimits {
        time_limit: std::time::Duration::ZERO,
        ..MailLimits::default()
    };
    let md = decide_with(&outbound("Here is the report."), &limits);
    assert_eq!(
        unscannable_message(&md.decision),
        "not fully checked: time limit of 0 ms reached; the rest was not checked"
    );
}

#[test]
fn garbage_gets_a_decision() {
    for raw in [
        &b""[..],
        b"\xff\xfe\x00garbage",
        b"From:\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n",
    ] {
        let env = Envelope::default();
        let _ = engine().decide_mail(&ctx(&[]), &MailInput::new(raw, &env));
    }
}

#[test]
fn envelope_mass_mail() {
    let env = Envelope {
        mail_from: Some("ann@acme.co.uk".into()),
        rcpt_to: (0..4).map(|i| format!("c{i}@client.com")).collect(),
        authenticated: Some("ann".into()),
        from_outside: Some(false),
    };
    let d = engine().decide_envelope(&ctx(&[]), &env);
    assert_eq!(checks(&d), [Check::MassMail]);
    assert_eq!(
        d.findings[0].message,
        "4 outside recipients, over 3, without an authorisation"
    );
}

#[test]
fn envelope_internal_sender_unauthenticated_from_outside() {
    let env = Envelope {
        mail_from: Some("ann@acme.co.uk".into()),
        rcpt_to: vec!["bob@acme.co.uk".into()],
        authenticated: None,
        from_outside: Some(true),
    };
    let d = engine().decide_envelope(&ctx(&[]), &env);
    assert_eq!(checks(&d), [Check::SpoofedInternalSender]);
    let env = Envelope {
        from_outside: Some(false),
        ..env
    };
    assert_eq!(
        engine().decide_envelope(&ctx(&[]), &env).verdict,
        Verdict::Allow
    );
}

#[test]
fn deep_multipart_nesting_is_bounded() {
    let depth = 5000;
    let mut raw = String::from("From: bob@client.com\r\nTo: ann@acme.co.uk\r\nSubject: deep\r\n");
    for i in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
    for i in (0..depth).rev() {
        raw.push_str(&format!("--b{i}--\r\n"));
    }
    // Whatever the parser makes of it, a decision comes back.
    let d = decide(&raw);
    assert!(matches!(d.verdict, Verdict::Allow | Verdict::Hold), "{d:?}");
}

#[test]
fn many_parts_are_bounded() {
    let mut raw = String::from(
        "From: bob@client.com\r\nTo: ann@acme.co.uk\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n",
    );
    for _ in 0..1500 {
        raw.push_str("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    }
    raw.push_str("--b--\r\n");
    let d = decide(&raw);
    assert_eq!(checks(&d), [Check::Unscannable]);
    assert!(d.findings[0].message.contains("more than 1000 MIME parts"));
}

#[test]
fn authenticated_as_someone_else() {
    let env = Envelope {
        mail_from: Some("ceo@acme.co.uk".into()),
        rcpt_to: vec!["bank@client.com".into()],
        authenticated: Some("ann".into()),
        from_outside: Some(false),
    };
    // The spoof rule in the test pack is for inbound mail; judge this one in that light.
    let d = engine().decide_envelope(&ctx(&[]), &env);
    assert_eq!(d.verdict, Verdict::Allow);
    let raw = b"From: ceo@acme.co.uk\r\nTo: bank@client.com\r\nSubject: pay\r\n\r\nx\r\n";
    let input = MailInput {
        direction: Some(Direction::Inbound),
        ..MailInput::new(raw, &env)
    };
    let d = engine().decide_mail(&ctx(&[]), &input);
    assert_eq!(
        d.findings[0].message,
        "authenticated as `ann` but sends as ceo@acme.co.uk"
    );
    let own = Envelope {
        mail_from: Some("ann@acme.co.uk".into()),
        ..env.clone()
    };
    let raw = b"From: ann@acme.co.uk\r\nTo: bank@client.com\r\nSubject: pay\r\n\r\nx\r\n";
    let input = MailInput {
        direction: Some(Direction::Inbound),
        ..MailInput::new(raw, &own)
    };
    assert!(
        !checks(&engine().decide_mail(&ctx(&[]), &input)).contains(&Check::SpoofedInternalSender)
    );
}
