//! Facts about one message, gathered in one walk over its parts, and which checks they fire.

use std::sync::OnceLock;

use mail_parser::{Address, HeaderName, MessageParser, MimeHeaders, PartType};

use charter_policy::{Check, Direction, Pack, Rule};

use super::attach::{self, ZipReport};
use super::budget::Budget;
use super::{MailInput, MailLimits, threshold};
use crate::text::assess::TextAssessment;
use crate::text::embed::{Embeddings, Nearest};
use crate::text::marking::{marking_in_line, subject_marking};
use crate::text::{self, TextSignals, pii};

/// The parser, set up to parse only the headers the checks read (MIME headers, Subject and
/// the address headers). `MessageParser::new()` with no headers named parses every header,
/// Received chains included, which costs more than all the checks together.
pub(crate) fn parser() -> &'static MessageParser {
    static PARSER: OnceLock<MessageParser> = OnceLock::new();
    PARSER.get_or_init(|| {
        MessageParser::new()
            .with_mime_headers()
            .header_text(HeaderName::Subject)
            .header_address(HeaderName::From)
            .header_address(HeaderName::To)
            .header_address(HeaderName::Cc)
            .header_address(HeaderName::Bcc)
    })
}

/// One attachment (or archive entry) worth reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AttachmentFinding {
    /// `invoice.exe`, or `update.dat in files.zip`.
    name: String,
    /// What it is, for executables.
    kind: Option<String>,
    /// Whether its name hides a dangerous extension.
    double_extension: bool,
}

/// What was learnt about a message.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Which way it is going.
    pub direction: Direction,
    /// Whether the subject carries a personal label.
    pub personal_marked: bool,
    /// Which personal label.
    personal_label: Option<String>,
    /// Whether the body holds the pack's disclaimer.
    pub has_disclaimer: bool,
    /// The From address, lowercase.
    from_addr: Option<String>,
    /// The From display name.
    from_name: Option<String>,
    /// Addresses in To and Cc, lowercase.
    visible: Vec<String>,
    /// Every recipient, lowercase (the envelope's, or To, Cc and Bcc).
    recipients: Vec<String>,
    /// Normalised text of the subject and every text part, up to the limit.
    text: String,
    /// Attachments that are executables or carry double extensions.
    attachments: Vec<AttachmentFinding>,
    /// Why parts could not be checked.
    unscannable: Vec<String>,
    /// Whether the content is S/MIME or PGP encrypted.
    encrypted: bool,
    /// Where a confidential marking was seen.
    confidential: Option<&'static str>,
    /// Bytes read and produced by decompression and scanning.
    pub work_bytes: u64,
    /// Phrase detector results.
    signals: TextSignals,
    /// Personal data counts (only for messages with outside recipients).
    pii: pii::PiiCounts,
    /// The subject as written.
    subject: String,
    /// The SASL login, when the client authenticated.
    authenticated: Option<String>,
    /// The envelope sender, lowercase.
    envelope_sender: Option<String>,
    /// The example phrase nearest to `text` by the sentence embeddings, when a model is
    /// loaded and a rule asks for `abusive_language` ([`Facts::embed`]).
    nearest: Option<Nearest>,
}

fn domain_of(addr: &str) -> &str {
    addr.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Label-boundary suffix match: `a.b.example.com` is in `example.com`.
pub fn in_domains(domain: &str, domains: &[String]) -> bool {
    let domain = domain.trim_end_matches('.');
    domains.iter().any(|d| {
        domain.eq_ignore_ascii_case(d)
            || (domain.len() > d.len()
                && domain.as_bytes()[domain.len() - d.len() - 1] == b'.'
                && domain[domain.len() - d.len()..].eq_ignore_ascii_case(d))
    })
}

fn clean_addr(addr: &str) -> String {
    addr.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_ascii_lowercase()
}

fn push_addresses(out: &mut Vec<String>, addr: Option<&Address<'_>>) {
    if let Some(addr) = addr {
        for a in addr.iter() {
            if let Some(email) = a.address() {
                out.push(clean_addr(email));
            }
        }
    }
}

/// Whether `subject` holds `label` as a word, not as part of "private and confidential".
fn subject_has_label(subject_lower: &str, label: &str) -> bool {
    let b = subject_lower.as_bytes();
    let mut from = 0;
    while let Some(p) = subject_lower[from..].find(label) {
        let at = from + p;
        let end = at + label.len();
        from = end;
        if !text::on_word_boundary(b, at, end) {
            continue;
        }
        let rest = subject_lower[end..].trim_start();
        if rest.starts_with("and confidential") || rest.starts_with("& confidential") {
            continue;
        }
        return true;
    }
    false
}

/// Internal domain lookalikes: same length give or take one, one edit away (`examp1e.com`,
/// `example-co.uk`), not the domain itself.
fn lookalike(domain: &str, internal: &[String]) -> Option<String> {
    let domain = domain.to_ascii_lowercase();
    internal
        .iter()
        .find(|d| {
            d.len() >= 6
                && domain != **d
                && !in_domains(&domain, std::slice::from_ref(d))
                && edit_distance_one(&domain, d)
        })
        .cloned()
}

fn edit_distance_one(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ra, rb) = (
        a.len() - prefix - suffix.min(a.len() - prefix),
        b.len() - prefix - suffix.min(b.len() - prefix),
    );
    // One substitution, insertion or deletion; or two adjacent letters swapped.
    (ra <= 1 && rb <= 1 && ra + rb > 0)
        || (ra == 2 && rb == 2 && a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix])
}

struct Walk<'p> {
    limits: &'p MailLimits,
    budget: Budget,
    parts_seen: usize,
    text: Vec<u8>,
    text_complete: bool,
    attachments: Vec<AttachmentFinding>,
    unscannable: Vec<String>,
    encrypted: bool,
    body_marking: bool,
    scratch: String,
}

impl Walk<'_> {
    fn message(&mut self, message: &mail_parser::Message<'_>, depth: usize) {
        for part in &message.parts {
            if self.budget.exhausted().is_some() {
                return;
            }
            self.parts_seen += 1;
            if self.parts_seen > self.limits.max_parts {
                self.unscannable
                    .push(format!("more than {} MIME parts", self.limits.max_parts));
                return;
            }
            if let Some(ct) = part.content_type() {
                let sub = ct.subtype().unwrap_or("");
                let ty = ct.ctype();
                if (ty.eq_ignore_ascii_case("multipart") && sub.eq_ignore_ascii_case("encrypted"))
                    || (ty.eq_ignore_ascii_case("application")
                        && (sub.eq_ignore_ascii_case("pkcs7-mime")
                            || sub.eq_ignore_ascii_case("x-pkcs7-mime")
                            || sub.eq_ignore_ascii_case("pgp-encrypted")))
                {
                    self.encrypted = true;
                }
            }
            let name = part.attachment_name();
            match &part.body {
                PartType::Text(t) => {
                    if let Some(name) = name {
                        self.attachment(name, t.as_bytes(), false);
                    }
                    self.plain(t);
                }
                PartType::Html(h) => {
                    if let Some(name) = name {
                        self.attachment(name, h.as_bytes(), false);
                    }
                    self.html(h);
                }
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    self.attachment(name.unwrap_or(""), b, true);
                }
                PartType::Message(inner) => {
                    if depth + 1 > self.limits.max_depth {
                        self.unscannable.push(format!(
                            "attached messages nested deeper than {}",
                            self.limits.max_depth
                        ));
                    } else {
                        if let Some(subject) = inner.subject() {
                            self.plain(subject);
                        }
                        self.message(inner, depth + 1);
                    }
                }
                PartType::Multipart(_) => {}
            }
        }
    }

    /// Charges `bytes` to the budget; `false` once it is spent, saying why the first time.
    fn spend(&mut self, bytes: usize) -> bool {
        let fresh = self.budget.exhausted().is_none();
        match self.budget.charge(bytes) {
            Ok(()) => true,
            Err(why) => {
                if fresh {
                    self.unscannable.push(why.to_string());
                }
                false
            }
        }
    }

    /// Room left for text, in bytes.
    fn text_room(&self) -> usize {
        self.limits.max_text_bytes.saturating_sub(self.text.len())
    }

    fn text_cut(&mut self) {
        if self.text_complete {
            self.text_complete = false;
            self.unscannable.push(format!(
                "text beyond {} MiB not checked",
                self.limits.max_text_bytes >> 20
            ));
        }
    }

    fn plain(&mut self, t: &str) {
        if !self.text_complete {
            return;
        }
        // The detectors read at most `max_text_bytes`; so does everything here.
        let head = &t[..t.floor_char_boundary(self.text_room())];
        if !self.spend(head.len()) {
            return;
        }
        if !self.body_marking {
            self.body_marking = head.lines().take(400).any(marking_in_line);
        }
        if !text::normalise_bytes_into(&mut self.text, t, self.limits.max_text_bytes) {
            self.text_cut();
        }
    }

    fn html(&mut self, h: &str) {
        if !self.text_complete {
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let read = text::html_to_text(h, &mut scratch, self.text_room());
        if self.spend(read) {
            self.plain(&scratch);
            if read < h.len() {
                self.text_cut();
            }
        }
        self.scratch = scratch;
    }

    fn attachment(&mut self, name: &str, bytes: &[u8], binary: bool) {
        let double = !name.is_empty() && attach::double_extension(name);
        let mut kind = if binary || !name.is_empty() {
            attach::executable_kind(bytes).map(str::to_string)
        } else {
            None
        };
        if kind.is_none() {
            kind = attach::dangerous_extension(name).map(|e| format!(".{e} file"));
        }
        if kind.is_some() || double {
            self.attachments.push(AttachmentFinding {
                name: name.to_string(),
                kind,
                double_extension: double,
            });
        }
        if !binary {
            return;
        }
        if attach::is_zip(bytes) {
            let ZipReport {
                executables,
                double_extensions,
                unscannable,
                unlisted,
            } = attach::inspect_zip_within(bytes, &self.limits.zip, &mut self.budget);
            let shown = if name.is_empty() {
                "a zip attachment"
            } else {
                name
            };
            for (entry, kind) in executables {
                let double_extension = double_extensions.contains(&entry);
                self.attachments.push(AttachmentFinding {
                    name: format!("{entry} in {shown}"),
                    kind: Some(kind),
                    double_extension,
                });
            }
            for entry in double_extensions {
                if !self
                    .attachments
                    .iter()
                    .any(|a| a.name == format!("{entry} in {shown}"))
                {
                    self.attachments.push(AttachmentFinding {
                        name: format!("{entry} in {shown}"),
                        kind: None,
                        double_extension: true,
                    });
                }
            }
            self.unscannable
                .extend(unscannable.into_iter().map(|u| format!("{u} ({shown})")));
            if unlisted > 0 {
                self.unscannable
                    .push(format!("{unlisted} more reasons ({shown})"));
            }
        } else if let Some(kind) = attach::opaque_archive(bytes) {
            let shown = if name.is_empty() {
                "an attachment"
            } else {
                name
            };
            self.unscannable
                .push(format!("{kind} {shown} cannot be inspected"));
        }
    }
}

impl Facts {
    /// Gathers the facts about one message.
    pub fn gather(pack: &Pack, input: &MailInput<'_>, limits: &MailLimits) -> Facts {
        let mail = &pack.mail;
        // Started before parsing, so that parsing counts against the time limit.
        let budget = Budget::new(limits.max_work_bytes, limits.time_limit);
        let mut unscannable = Vec::new();
        let parser = parser();
        let too_big = input.raw.len() > limits.max_message_bytes;
        let parsed = if too_big {
            unscannable.push(format!(
                "message of {} MiB is over the {} MiB limit; only its headers were checked",
                input.raw.len() >> 20,
                limits.max_message_bytes >> 20
            ));
            parser.parse_headers(input.raw)
        } else {
            parser.parse(input.raw)
        };
        let Some(message) = parsed else {
            unscannable.push("message could not be parsed as MIME".to_string());
            return Facts::unparsed(pack, input, unscannable);
        };

        let subject = message.subject().unwrap_or("").to_string();
        let subject_lower = subject.to_lowercase();
        let personal_label = mail
            .personal_labels
            .iter()
            .find(|l| subject_has_label(&subject_lower, l))
            .cloned();

        let from = message.from().and_then(|a| a.first());
        let from_addr = from.and_then(|a| a.address()).map(clean_addr);
        let from_name = from.and_then(|a| a.name()).map(|n| n.trim().to_string());

        let mut visible = Vec::new();
        push_addresses(&mut visible, message.to());
        push_addresses(&mut visible, message.cc());
        let recipients = if input.envelope.rcpt_to.is_empty() {
            let mut all = visible.clone();
            push_addresses(&mut all, message.bcc());
            all
        } else {
            input
                .envelope
                .rcpt_to
                .iter()
                .map(|r| clean_addr(r))
                .collect()
        };

        let mut walk = Walk {
            limits,
            budget,
            parts_seen: 0,
            text: Vec::with_capacity(input.raw.len().min(limits.max_text_bytes) + 64),
            text_complete: true,
            attachments: Vec::new(),
            unscannable,
            encrypted: false,
            body_marking: false,
            scratch: String::new(),
        };
        walk.plain(&subject);
        if !too_big {
            walk.message(&message, 0);
        }
        let sender = input
            .envelope
            .mail_from
            .as_deref()
            .map(clean_addr)
            .filter(|s| !s.is_empty());
        let direction = input.direction.unwrap_or_else(|| {
            direction_of(
                sender.as_deref().or(from_addr.as_deref()),
                &recipients,
                &mail.internal_domains,
                input.envelope,
            )
        });
        let all_text = text::into_string(std::mem::take(&mut walk.text));
        let has_disclaimer = mail.disclaimer.as_deref().is_some_and(|d| {
            let mut want = String::new();
            text::normalise_into(&mut want, d, usize::MAX);
            all_text.contains(want.trim())
        });
        let external = recipients
            .iter()
            .any(|r| !in_domains(domain_of(r), &mail.internal_domains));
        let signals = text::signals(&all_text);
        let encrypted = walk.encrypted || signals.pgp;
        let pii = if external && !encrypted {
            pii::scan(&all_text)
        } else {
            pii::PiiCounts::default()
        };
        let confidential = if subject_marking(&subject_lower) {
            Some("subject")
        } else if message
            .header_raw("Sensitivity")
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("company-confidential"))
        {
            Some("Sensitivity header")
        } else if walk.body_marking {
            Some("body")
        } else {
            None
        };
        Facts {
            direction,
            personal_marked: personal_label.is_some(),
            personal_label,
            has_disclaimer,
            from_addr,
            from_name,
            visible,
            recipients,
            text: all_text,
            attachments: walk.attachments,
            unscannable: walk.unscannable,
            encrypted,
            confidential,
            work_bytes: walk.budget.spent(),
            signals,
            pii,
            subject,
            authenticated: input.envelope.authenticated.clone(),
            envelope_sender: sender,
            nearest: None,
        }
    }

    /// Facts from the envelope alone.
    pub fn from_envelope(pack: &Pack, envelope: &super::Envelope) -> Facts {
        let input = MailInput::new(b"", envelope);
        Facts::unparsed(pack, &input, Vec::new())
    }

    fn unparsed(pack: &Pack, input: &MailInput<'_>, unscannable: Vec<String>) -> Facts {
        let recipients: Vec<String> = input
            .envelope
            .rcpt_to
            .iter()
            .map(|r| clean_addr(r))
            .collect();
        let sender = input
            .envelope
            .mail_from
            .as_deref()
            .map(clean_addr)
            .filter(|s| !s.is_empty());
        let direction = input.direction.unwrap_or_else(|| {
            direction_of(
                sender.as_deref(),
                &recipients,
                &pack.mail.internal_domains,
                input.envelope,
            )
        });
        Facts {
            direction,
            personal_marked: false,
            personal_label: None,
            has_disclaimer: false,
            from_addr: sender.clone(),
            from_name: None,
            visible: Vec::new(),
            recipients,
            text: String::new(),
            attachments: Vec::new(),
            unscannable,
            encrypted: false,
            confidential: None,
            work_bytes: 0,
            signals: TextSignals::default(),
            pii: pii::PiiCounts::default(),
            subject: String::new(),
            authenticated: input.envelope.authenticated.clone(),
            envelope_sender: sender,
            nearest: None,
        }
    }

    /// Whether the sender is inside: not inbound, and from an internal domain (a pack that
    /// names no domains leaves it to the direction).
    fn sender_internal(&self, pack: &Pack) -> bool {
        let internal = &pack.mail.internal_domains;
        self.direction != Direction::Inbound
            && (internal.is_empty()
                || self
                    .from_addr
                    .as_deref()
                    .is_none_or(|a| in_domains(domain_of(a), internal)))
    }

    fn external_recipients<'f>(&'f self, pack: &'f Pack) -> impl Iterator<Item = &'f String> + 'f {
        self.recipients
            .iter()
            .filter(move |r| !in_domains(domain_of(r), &pack.mail.internal_domains))
    }

    fn outside_domains(&self, pack: &Pack) -> String {
        let mut domains: Vec<&str> = self
            .external_recipients(pack)
            .map(|r| domain_of(r))
            .filter(|d| !d.is_empty())
            .collect();
        domains.sort_unstable();
        domains.dedup();
        let more = domains.len().saturating_sub(3);
        let mut text = domains.into_iter().take(3).collect::<Vec<_>>().join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text
    }

    /// The abusive-language model and its score when it made `rule`'s `abusive_language`
    /// finding (scored again: only for a message that fired).
    pub fn abuse_model(&self, rule: &Rule) -> Option<crate::ModelScore> {
        self.assess_text(rule).model_note()
    }

    /// Finds the example phrase nearest to the message's text by `embeddings`, for
    /// `abusive_language` as the word lists and the model read it.
    pub fn embed(&mut self, embeddings: &Embeddings) {
        self.nearest = embeddings.nearest(&self.text);
    }

    fn assess_text(&self, rule: &Rule) -> TextAssessment {
        TextAssessment {
            nearest: self.nearest,
            ..text::assess::assess_with_signals(
                self.signals.clone(),
                &self.text,
                rule.model_threshold,
            )
        }
    }

    /// The finding message when `check` fires for `rule`; `None` when it does not.
    pub fn fires(&self, pack: &Pack, rule: &Rule, check: Check) -> Option<String> {
        let mail = &pack.mail;
        let private = self.personal_marked;
        match check {
            Check::ExecutableAttachment => {
                let a = self.attachments.iter().find(|a| a.kind.is_some())?;
                let kind = a.kind.as_deref().unwrap_or("executable");
                Some(if private {
                    format!("an attachment is a {kind}")
                } else {
                    format!("attachment {} is a {kind}", a.name)
                })
            }
            Check::DoubleExtension => {
                let a = self.attachments.iter().find(|a| a.double_extension)?;
                Some(if private {
                    "an attachment has a double extension".to_string()
                } else {
                    format!("attachment {} has a double extension", a.name)
                })
            }
            Check::GroupAddressVisible => {
                if !self.sender_internal(pack) {
                    return None;
                }
                if let Some(list) = self.visible.iter().find(|v| {
                    mail.group_addresses.iter().any(|g| {
                        if g.contains('@') {
                            *v == g
                        } else {
                            // A bare list name (`staff`) is the organisation's own list: at
                            // its domains, or at any domain when the pack names none.
                            v.split_once('@').is_some_and(|(local, domain)| {
                                local == g
                                    && (mail.internal_domains.is_empty()
                                        || in_domains(domain, &mail.internal_domains))
                            })
                        }
                    })
                }) {
                    return Some(format!(
                        "distribution list {list} is in To/Cc instead of Bcc"
                    ));
                }
                let limit = threshold(rule, check)?;
                let internal = self
                    .visible
                    .iter()
                    .filter(|v| in_domains(domain_of(v), &mail.internal_domains))
                    .count();
                (internal > limit as usize).then(|| {
                    format!("{internal} internal addresses in To/Cc, over {limit}; use Bcc")
                })
            }
            Check::MassMail => {
                if !self.sender_internal(pack) {
                    return None;
                }
                let limit = threshold(rule, check)?;
                let n = self.external_recipients(pack).count();
                (n > limit as usize).then(|| {
                    format!("{n} outside recipients, over {limit}, without an authorisation")
                })
            }
            Check::MissingDisclaimer => {
                (mail.disclaimer.is_some() && self.sender_internal(pack) && !self.has_disclaimer)
                    .then(|| "the standard disclaimer is missing or was changed".to_string())
            }
            Check::MissingCompanyDetails => {
                if !self.sender_internal(pack) {
                    return None;
                }
                let mut wanted: Vec<&str> =
                    mail.company_details.iter().map(String::as_str).collect();
                if wanted.is_empty() {
                    wanted.extend(pack.organisation.registered_number.as_deref());
                }
                let missing: Vec<&str> = wanted
                    .into_iter()
                    .filter(|w| {
                        let mut n = String::new();
                        text::normalise_into(&mut n, w, usize::MAX);
                        !self.text.contains(n.trim())
                    })
                    .collect();
                (!missing.is_empty()).then(|| {
                    format!(
                        "company details missing from the message: {}",
                        missing.join("; ")
                    )
                })
            }
            Check::PersonalDataExternal => {
                if self.encrypted || !self.pii.any() {
                    return None;
                }
                Some(format!(
                    "{} sent unencrypted to outside recipients ({})",
                    self.pii.summary(),
                    self.outside_domains(pack)
                ))
            }
            Check::ConfidentialUnencrypted => {
                let place = self.confidential?;
                if self.encrypted || self.external_recipients(pack).next().is_none() {
                    return None;
                }
                Some(format!(
                    "message marked confidential ({place}) sent unencrypted to outside recipients ({})",
                    self.outside_domains(pack)
                ))
            }
            Check::PaymentDetailsChange => self
                .signals
                .is_payment_change()
                .then(|| "the message asks to change bank or payment details".to_string()),
            Check::ChainLetter => self
                .signals
                .is_chain_letter()
                .then(|| "the message is a chain letter".to_string()),
            Check::AbusiveLanguage => self.assess_text(rule).abuse_message(),
            Check::ForwardToPersonalWebmail => {
                if !self.sender_internal(pack) {
                    return None;
                }
                let webmail = self
                    .recipients
                    .iter()
                    .find(|r| in_domains(domain_of(r), &mail.personal_webmail_domains))?;
                let forwarded = {
                    let s = self.subject.trim_start().to_ascii_lowercase();
                    s.starts_with("fw:")
                        || s.starts_with("fwd:")
                        || s.starts_with("fw ")
                        || s.starts_with("[fwd")
                };
                let own = self.looks_like_own_address(webmail);
                (forwarded || own).then(|| {
                    format!(
                        "{} to personal webmail address {webmail}",
                        if forwarded { "forwarded" } else { "sent" }
                    )
                })
            }
            Check::SpoofedInternalSender => self.spoofed(pack, &[]),
            Check::Unscannable => (!self.unscannable.is_empty())
                .then(|| format!("not fully checked: {}", self.unscannable.join("; "))),
            Check::PersonalMarked => self
                .personal_label
                .as_ref()
                .map(|l| format!("subject marked {l}: records keep the headers only")),
            _ => None,
        }
    }

    /// Whether a webmail address looks like the sender's own (it shares a name with them).
    fn looks_like_own_address(&self, webmail: &str) -> bool {
        let local = webmail.split('@').next().unwrap_or("");
        let mut names: Vec<String> = Vec::new();
        if let Some(name) = &self.from_name {
            names.extend(name.split_whitespace().map(str::to_ascii_lowercase));
        }
        if let Some(addr) = &self.from_addr {
            let own_local = addr.split('@').next().unwrap_or("");
            names.extend(own_local.split(['.', '_', '-']).map(str::to_string));
        }
        names
            .iter()
            .filter(|n| n.len() >= 3)
            .any(|n| local.contains(n.as_str()))
    }

    /// The spoofing evidence, if any.
    fn spoofed(&self, pack: &Pack, directory: &[String]) -> Option<String> {
        let internal = &pack.mail.internal_domains;
        if let Some(login) = &self.authenticated {
            let claimed = [self.envelope_sender.as_deref(), self.from_addr.as_deref()];
            if let Some(other) = claimed
                .into_iter()
                .flatten()
                .find(|a| in_domains(domain_of(a), internal) && !login_matches(login, a))
            {
                return Some(format!("authenticated as `{login}` but sends as {other}"));
            }
        }
        let addr = self.from_addr.as_deref()?;
        let domain = domain_of(addr);
        let outside = !in_domains(domain, internal);
        if outside {
            if let Some(name) = &self.from_name {
                let lower = name.to_ascii_lowercase();
                if let Some(d) = internal.iter().find(|d| lower.contains(&format!("@{d}"))) {
                    return Some(format!(
                        "display name `{name}` shows an address at {d} but the sender is {addr}"
                    ));
                }
                if directory.contains(&lower) {
                    return Some(format!(
                        "display name `{name}` is a colleague's but the sender is {addr}"
                    ));
                }
            }
            if let Some(d) = lookalike(domain, internal) {
                return Some(format!("sender domain {domain} imitates {d}"));
            }
            return None;
        }
        (self.direction == Direction::Inbound && self.authenticated.is_none()).then(|| {
            format!("sender {addr} is an internal address but the message came from outside unauthenticated")
        })
    }
}

/// Whether a SASL login is the address's owner: the whole address, or its local part.
fn login_matches(login: &str, addr: &str) -> bool {
    let login = login.trim().to_ascii_lowercase();
    let addr = addr.to_ascii_lowercase();
    login == addr
        || addr
            .split_once('@')
            .is_some_and(|(local, _)| local == login)
}

/// The direction from the sender's and recipients' domains, or the envelope's facts. A pack
/// that names no domains cannot tell inside from outside by address, so a message the
/// envelope does not show coming from outside counts as sent by the organisation (outbound):
/// `check mail` is most often asked about one's own message, and `--direction` or the
/// gateway's envelope says otherwise.
fn direction_of(
    sender: Option<&str>,
    recipients: &[String],
    internal: &[String],
    envelope: &super::Envelope,
) -> Direction {
    if envelope.from_outside == Some(true) && envelope.authenticated.is_none() {
        return Direction::Inbound;
    }
    let sender_internal = envelope.authenticated.is_some()
        || internal.is_empty()
        || sender.is_some_and(|s| in_domains(domain_of(s), internal));
    if !sender_internal {
        return Direction::Inbound;
    }
    if recipients
        .iter()
        .any(|r| !in_domains(domain_of(r), internal))
    {
        Direction::Outbound
    } else {
        Direction::Internal
    }
}

impl Facts {
    /// Like [`Facts::fires`], with a directory of colleagues' names for spoofing checks.
    pub fn fires_with_directory(
        &self,
        pack: &Pack,
        rule: &Rule,
        check: Check,
        directory: &[String],
    ) -> Option<String> {
        if check == Check::SpoofedInternalSender {
            return self.spoofed(pack, directory);
        }
        self.fires(pack, rule, check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_on_label_boundaries() {
        let d = vec!["example.com".to_string()];
        assert!(in_domains("example.com", &d));
        assert!(in_domains("mail.example.com", &d));
        assert!(!in_domains("badexample.com", &d));
    }

    #[test]
    fn lookalikes() {
        let d = vec!["iimtsab.co.uk".to_string()];
        assert_eq!(
            lookalike("iimtsabb.co.uk", &d).as_deref(),
            Some("iimtsab.co.uk")
        );
        assert_eq!(
            lookalike("iimstab.co.uk", &d).as_deref(),
            Some("iimtsab.co.uk")
        );
        assert_eq!(lookalike("iimtsab.co.uk", &d), None);
        assert_eq!(lookalike("gmail.com", &d), None);
    }

    #[test]
    fn markings() {
        assert!(marking_in_line("CONFIDENTIAL"));
        assert!(marking_in_line("*** Strictly Confidential ***"));
        assert!(marking_in_line("Classification: OFFICIAL-SENSITIVE"));
        assert!(!marking_in_line(
            "This email and any attachments are confidential and intended solely"
        ));
    }

    #[test]
    fn personal_label_but_not_private_and_confidential() {
        assert!(subject_has_label("personal: dentist on friday", "personal"));
        assert!(subject_has_label("[private] party", "private"));
        assert!(!subject_has_label(
            "private and confidential: contract",
            "private"
        ));
        assert!(!subject_has_label("personalised offer", "personal"));
    }
}
