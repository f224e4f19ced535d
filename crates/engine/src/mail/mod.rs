//! Mail decisions: what a message is (attachments, recipients, text, markings) and what the
//! pack's mail rules make of it.
//!
//! [`Engine::decide_mail`] takes the raw message (RFC 5322 bytes, as Postfix hands them to a
//! milter or as `charter check mail` reads them) and the SMTP envelope when known. It parses
//! the message once with `mail-parser`, gathers [`facts`](Facts) within [`MailLimits`], and
//! runs each mail rule whose direction, roles and window hold: a rule matches when one of its
//! `checks` fires, with one finding for each check that fires. Anything that cannot be
//! checked within the limits (nesting, size, an encrypted archive, a zip bomb, the work
//! [`Budget`] spent) becomes an `unscannable` fact rather than an error, so every message
//! gets a decision, quickly, and a pack decides how strict to be with such messages.
//! [`check_message`] tells input that is no message at all (an image, an empty file) from a
//! message, for callers that take files from people.
//!
//! Messages whose subject carries one of the pack's `personal_labels` get
//! [`Privacy::HeadersOnly`](crate::Privacy::HeadersOnly); their findings never quote the body
//! or name attachments.

pub mod attach;
pub mod budget;
mod facts;
pub mod footer;
mod message;

use std::time::Duration;

use charter_policy::{Area, Check, Direction, Rule};

use crate::{Context, Decision, Engine, Finding, Privacy};

pub use attach::{ZipLimits, ZipReport, inspect_zip, inspect_zip_within};
pub use budget::{Budget, Exhausted};
pub use facts::{Facts, in_domains};
pub use message::{NotAMessage, check_message};

/// The SMTP envelope of a message, as far as the gateway knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM`, without angle brackets.
    pub mail_from: Option<String>,
    /// `RCPT TO`s, without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The SASL login the client authenticated as, when it did.
    pub authenticated: Option<String>,
    /// Whether the client connected from outside the organisation without authenticating;
    /// `None` when not known (as for `charter check mail`).
    pub from_outside: Option<bool>,
}

/// One message to decide.
#[derive(Debug, Clone, Copy)]
pub struct MailInput<'a> {
    /// The message as received: headers, blank line, body.
    pub raw: &'a [u8],
    /// The envelope; when it has no recipients, To, Cc and Bcc are used instead.
    pub envelope: &'a Envelope,
    /// The direction, when the caller knows it; otherwise worked out from the sender's and
    /// recipients' domains.
    pub direction: Option<Direction>,
    /// Colleagues' display names, lowercase, when the people register is at hand: an outside
    /// sender using one of them is a `spoofed_internal_sender`.
    pub directory: &'a [String],
}

impl<'a> MailInput<'a> {
    /// A message with an envelope, direction worked out, no directory.
    pub fn new(raw: &'a [u8], envelope: &'a Envelope) -> Self {
        MailInput {
            raw,
            envelope,
            direction: None,
            directory: &[],
        }
    }
}

/// Bounds on the work one message may cost. Past any of them the rest is skipped and the
/// decision carries an `unscannable` fact saying which bound was reached.
#[derive(Debug, Clone, Copy)]
pub struct MailLimits {
    /// Largest message parsed in full; larger ones are judged on their headers.
    pub max_message_bytes: usize,
    /// Most MIME parts looked at.
    pub max_parts: usize,
    /// Deepest nesting of attached messages followed.
    pub max_depth: usize,
    /// Most bytes of normalised text the text detectors read.
    pub max_text_bytes: usize,
    /// Most bytes decompression and scanning may read and produce for the whole message: all
    /// parts, all archive entries, nested archives. Counted as the work is done, whatever
    /// sizes the message declares.
    pub max_work_bytes: u64,
    /// Most time the message may take, parsing included; a backstop behind
    /// `max_work_bytes`, which normally stops runaway work first.
    pub time_limit: Duration,
    /// Limits on archives.
    pub zip: ZipLimits,
}

impl Default for MailLimits {
    fn default() -> Self {
        MailLimits {
            max_message_bytes: 50 << 20,
            max_parts: 1000,
            max_depth: 8,
            max_text_bytes: 4 << 20,
            max_work_bytes: budget::DEFAULT_WORK_BYTES,
            time_limit: budget::DEFAULT_TIME_LIMIT,
            zip: ZipLimits::default(),
        }
    }
}

/// Recipient count above which mail counts as mass mail when a rule gives no
/// `max_recipients`.
pub const DEFAULT_MASS_MAIL_RECIPIENTS: u32 = 50;

/// A mail decision with what a milter needs beyond the [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDecision {
    /// The decision (the JSON contract).
    pub decision: Decision,
    /// The direction the message was judged in.
    pub direction: Direction,
    /// Whether the pack wants its disclaimer added and the message lacks it (outgoing mail
    /// only). The milter appends the footer when the verdict lets the message through.
    pub add_disclaimer: bool,
    /// Bytes decompression and scanning read and produced, against
    /// [`MailLimits::max_work_bytes`].
    pub work_bytes: u64,
}

impl Engine {
    /// Decides one message with the default [`MailLimits`].
    pub fn decide_mail(&self, ctx: &Context, input: &MailInput<'_>) -> Decision {
        self.decide_mail_with(ctx, input, &MailLimits::default())
            .decision
    }

    /// Decides one message within `limits`, with the details a milter needs.
    pub fn decide_mail_with(
        &self,
        ctx: &Context,
        input: &MailInput<'_>,
        limits: &MailLimits,
    ) -> MailDecision {
        let mut facts = Facts::gather(self.pack(), input, limits);
        let rules: Vec<&Rule> = self
            .rules_in_force(Area::Mail, ctx)
            .filter(|rule| rule.direction.is_none_or(|d| d == facts.direction))
            .collect();
        // The embeddings cost milliseconds a message: only for a rule that reads them.
        if let Some(embeddings) = self.embeddings()
            && rules
                .iter()
                .any(|rule| rule.checks.contains(&Check::AbusiveLanguage))
        {
            facts.embed(embeddings);
        }
        let privacy = if facts.personal_marked {
            Privacy::HeadersOnly
        } else {
            Privacy::Full
        };
        let findings = rules
            .into_iter()
            // Every check of a rule that fires is its own finding: an `invoice.pdf.exe` is
            // both an executable and a double extension, and the record says both.
            .flat_map(|rule| {
                rule.checks.iter().filter_map(|check| {
                    facts
                        .fires_with_directory(self.pack(), rule, *check, input.directory)
                        .map(|message| {
                            let model = (*check == Check::AbusiveLanguage)
                                .then(|| facts.abuse_model(rule))
                                .flatten();
                            Finding::of(rule, *check, message).with_model(model)
                        })
                })
            })
            .collect();
        let mail = &self.pack().mail;
        MailDecision {
            decision: Decision::from_findings(findings, privacy, None),
            direction: facts.direction,
            add_disclaimer: mail.add_disclaimer
                && mail.disclaimer.is_some()
                && facts.direction == Direction::Outbound
                && !facts.has_disclaimer,
            work_bytes: facts.work_bytes,
        }
    }
}

/// The checks the envelope alone can answer (Postfix policy delegation).
pub const ENVELOPE_CHECKS: &[Check] = &[Check::MassMail, Check::SpoofedInternalSender];

impl Engine {
    /// Decides on the envelope alone, before the message is sent: recipient counts and an
    /// internal sender address used from outside without authenticating. Only rules with one
    /// of [`ENVELOPE_CHECKS`] can match; the milter checks the rest once the content is there.
    pub fn decide_envelope(&self, ctx: &Context, envelope: &Envelope) -> Decision {
        let facts = Facts::from_envelope(self.pack(), envelope);
        let findings = self
            .rules_in_force(Area::Mail, ctx)
            .filter(|rule| rule.direction.is_none_or(|d| d == facts.direction))
            .flat_map(|rule| {
                rule.checks
                    .iter()
                    .filter(|c| ENVELOPE_CHECKS.contains(c))
                    .filter_map(|check| {
                        facts
                            .fires(self.pack(), rule, *check)
                            .map(|message| Finding::of(rule, *check, message))
                    })
            })
            .collect();
        Decision::from_findings(findings, Privacy::Full, None)
    }
}

/// The threshold a rule sets for `check`.
fn threshold(rule: &Rule, check: Check) -> Option<u32> {
    match check {
        Check::MassMail => Some(rule.max_recipients.unwrap_or(DEFAULT_MASS_MAIL_RECIPIENTS)),
        _ => rule.max_recipients,
    }
}

#[cfg(test)]
#[path = "../../tests/support/zip.rs"]
pub(crate) mod test_zips;

#[cfg(test)]
mod tests;
