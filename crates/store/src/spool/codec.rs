//! One monitoring record as spool bytes. Two shapes, told apart by the first byte:
//!
//! - version 1, a stored record: the instant in microseconds, the source and privacy as one
//!   byte each, then every text field of [`NewRecord`] as a little-endian `u32` length
//!   (`u32::MAX` for none) and its UTF-8 bytes;
//! - version 2, a decision as a gateway made it ([`Decided`]): the instant, source and
//!   privacy, the user, subject and detail, the verdict, the categories and every finding,
//!   each part a text field as above (lists as a `u32` count and their items). Written
//!   straight from the engine's [`Decision`] on the gateway's answering thread, with no
//!   record built, no JSON and no allocation; the reader (the store's writer, on another
//!   thread) turns it into the same [`NewRecord`] that [`NewRecord::from_decision`] makes.
//!
//! Fixed-width and self-describing enough to read back without a schema library, and a few
//! hundred nanoseconds a record each way.

use std::str::FromStr;

use charter_engine::{Decision, Finding, ModelScore, Privacy};
use jiff::Timestamp;

use crate::records::{NewRecord, Source, Text};
use crate::time::{from_us, to_us};

const RECORD: u8 = 1;
const DECISION: u8 = 2;
const NONE: u32 = u32::MAX;

/// What can be appended to the spool.
pub trait Spooled {
    /// Appends this as one record to `out`, or leaves `out` as it was and returns `false`
    /// when it would take more than `max` bytes.
    fn encode(&self, out: &mut Vec<u8>, max: usize) -> bool;
}

/// One decision as a gateway made it, borrowed from the gateway: spooled as it is and made
/// into its record by whoever reads the spool.
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    /// When it was decided.
    pub at: Timestamp,
    /// Who, when known.
    pub user: Option<&'a str>,
    /// Web, mail or activity.
    pub source: Source,
    /// The URL, or the mail's headers.
    pub subject: &'a str,
    /// More of the event, as [`NewRecord::detail`].
    pub detail: Option<&'a str>,
    /// What was decided.
    pub decision: &'a Decision,
}

impl Decided<'_> {
    /// The record the store keeps of it.
    pub fn to_record(&self) -> NewRecord {
        NewRecord::from_decision(
            self.at,
            self.user.map(str::to_string),
            self.source,
            self.subject.to_string(),
            self.detail.map(str::to_string),
            self.decision,
        )
    }
}

/// Text fields appended one after another, each as its length and bytes.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
    max: usize,
    fits: bool,
}

impl Writer<'_> {
    fn text(&mut self, text: Option<&str>) {
        match text {
            Some(text) if text.len() <= self.max => {
                let len = u32::try_from(text.len()).unwrap_or(NONE);
                self.out.extend_from_slice(&len.to_le_bytes());
                self.out.extend_from_slice(text.as_bytes());
            }
            Some(_) => self.fits = false,
            None => self.count(None),
        }
    }

    fn count(&mut self, n: Option<usize>) {
        let n = n.map_or(NONE, |n| u32::try_from(n).unwrap_or(NONE - 1));
        self.out.extend_from_slice(&n.to_le_bytes());
    }

    /// The model behind a finding: its name (none when no model made it), version and score.
    fn model(&mut self, model: Option<&ModelScore>) {
        self.text(model.map(|m| m.name.as_str()));
        if let Some(m) = model {
            self.text(Some(&m.version));
            self.out.extend_from_slice(&m.score.to_le_bytes());
        }
    }
}

/// Starts a record of `version` in `out`, writes the instant, source and privacy, then hands
/// the rest to `fields`; undoes it all when it does not fit in `max`.
fn frame(
    out: &mut Vec<u8>,
    max: usize,
    version: u8,
    (at, source, privacy): (Timestamp, Source, Privacy),
    fields: impl FnOnce(&mut Writer<'_>),
) -> bool {
    let start = out.len();
    out.push(version);
    out.extend_from_slice(&to_us(at).to_le_bytes());
    out.push(match source {
        Source::Web => 0,
        Source::Mail => 1,
        Source::Activity => 2,
    });
    out.push(match privacy {
        Privacy::Full => 0,
        Privacy::HeadersOnly => 1,
    });
    let mut w = Writer {
        out,
        max,
        fits: true,
    };
    fields(&mut w);
    let fits = w.fits && out.len() - start <= max;
    if !fits {
        out.truncate(start);
    }
    fits
}

impl Spooled for &NewRecord {
    fn encode(&self, out: &mut Vec<u8>, max: usize) -> bool {
        let r = *self;
        frame(out, max, RECORD, (r.at, r.source, r.privacy), |w| {
            for field in [
                r.user.as_deref(),
                Some(&*r.subject),
                Some(&*r.verdict),
                r.rule.as_deref(),
                r.check.as_deref(),
                r.severity.as_deref(),
                r.categories.as_deref(),
                r.detail.as_deref(),
                Some(&*r.findings),
            ] {
                w.text(field);
            }
        })
    }
}

impl Spooled for Decided<'_> {
    fn encode(&self, out: &mut Vec<u8>, max: usize) -> bool {
        let d = self.decision;
        frame(out, max, DECISION, (self.at, self.source, d.privacy), |w| {
            w.text(self.user);
            w.text(Some(self.subject));
            w.text(self.detail);
            w.text(Some(d.verdict.as_str()));
            w.count(d.categories.as_ref().map(Vec::len));
            for category in d.categories.iter().flatten() {
                w.text(Some(category.as_str()));
            }
            w.count(Some(d.findings.len()));
            for f in &d.findings {
                w.text(Some(&f.rule));
                w.text(Some(f.check.as_str()));
                w.text(Some(&f.clause));
                w.text(Some(f.severity.as_str()));
                w.text(Some(f.action.as_str()));
                w.text(Some(&f.message));
                w.model(f.model.as_ref());
            }
        })
    }
}

/// Reads a record back; `None` when the bytes are not one (an unknown version, or damage the
/// frame checksum did not catch).
pub(crate) fn decode(bytes: &[u8]) -> Option<NewRecord> {
    let mut r = Reader(bytes);
    let version = r.take(1)?[0];
    let at = from_us(i64::from_le_bytes(r.take(8)?.try_into().ok()?));
    let source = match r.take(1)?[0] {
        0 => Source::Web,
        1 => Source::Mail,
        2 => Source::Activity,
        _ => return None,
    };
    let privacy = match r.take(1)?[0] {
        0 => Privacy::Full,
        1 => Privacy::HeadersOnly,
        _ => return None,
    };
    let record = match version {
        RECORD => NewRecord {
            at,
            user: r.text()?,
            subject: r.text()??,
            verdict: r.text()??,
            rule: r.text()?,
            check: r.text()?,
            severity: r.text()?,
            categories: r.text()?,
            source,
            privacy,
            detail: r.text()?,
            findings: r.text()??,
        },
        DECISION => {
            let (user, subject, detail) = (r.str()?, r.str()??, r.str()?);
            let verdict = r.word()?;
            let categories = match r.count()? {
                None => None,
                Some(n) => Some((0..n).map(|_| r.word()).collect::<Option<Vec<_>>>()?),
            };
            let findings = (0..r.count()??)
                .map(|_| {
                    Some(Finding {
                        rule: r.str()??.to_string(),
                        check: r.word()?,
                        clause: r.str()??.to_string(),
                        severity: r.word()?,
                        action: r.word()?,
                        message: r.str()??.to_string(),
                        model: r.model()?,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            let decision = Decision {
                verdict,
                categories,
                privacy,
                findings,
            };
            Decided {
                at,
                user,
                source,
                subject,
                detail,
                decision: &decision,
            }
            .to_record()
        }
        _ => return None,
    };
    r.0.is_empty().then_some(record)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    /// A length or count: the outer `None` is malformed input, the inner one an absent field.
    fn count(&mut self) -> Option<Option<usize>> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?);
        if n == NONE {
            return Some(None);
        }
        // Every item takes at least four bytes: a count beyond that is damage, not a
        // reason to reserve memory.
        let n = usize::try_from(n).ok()?;
        (n <= self.0.len()).then_some(Some(n))
    }

    /// An optional text field, as [`Reader::count`].
    fn str(&mut self) -> Option<Option<&'a str>> {
        let Some(len) = self.count()? else {
            return Some(None);
        };
        std::str::from_utf8(self.take(len)?).ok().map(Some)
    }

    fn text(&mut self) -> Option<Option<Text>> {
        self.str().map(|s| s.map(Text::from))
    }

    /// A word of the fixed vocabulary (a verdict, category, check or severity).
    fn word<T: FromStr>(&mut self) -> Option<T> {
        self.str()??.parse().ok()
    }

    /// What [`Writer::model`] wrote: the outer `None` is damage, the inner one no model.
    fn model(&mut self) -> Option<Option<ModelScore>> {
        let Some(name) = self.str()? else {
            return Some(None);
        };
        let version = self.str()??.to_string();
        let score = f64::from_le_bytes(self.take(8)?.try_into().ok()?);
        score.is_finite().then(|| {
            Some(ModelScore {
                name: name.to_string(),
                version,
                score,
            })
        })
    }
}
#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use charter_policy::{Category, Check, Severity, Verdict};

    fn encode(r: &NewRecord, out: &mut Vec<u8>, max: usize) -> bool {
        r.encode(out, max)
    }

    fn record() -> NewRecord {
        NewRecord {
            at: "2026-06-15T09:00:00.123456Z".parse().unwrap(),
            user: Some("ann".into()),
            source: Source::Mail,
            subject: "From: a@x.uk Subject: héllo".into(),
            verdict: "block".into(),
            rule: Some("mail.exe".into()),
            check: Some("executable_attachment".into()),
            severity: None,
            categories: None,
            privacy: Privacy::HeadersOnly,
            detail: Some(String::new().into()),
            findings: "[]".into(),
        }
    }

    fn same(a: &NewRecord, b: &NewRecord) -> bool {
        (
            a.at, &a.user, a.source, &a.subject, &a.verdict, &a.rule, &a.check,
        ) == (
            b.at, &b.user, b.source, &b.subject, &b.verdict, &b.rule, &b.check,
        ) && (
            &a.severity,
            &a.categories,
            a.privacy,
            &a.detail,
            &a.findings,
        ) == (
            &b.severity,
            &b.categories,
            b.privacy,
            &b.detail,
            &b.findings,
        )
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let mut bytes = Vec::new();
        assert!(encode(&record(), &mut bytes, 1 << 20));
        let back = decode(&bytes);
        assert!(
            back.as_ref().is_some_and(|b| same(b, &record())),
            "{back:?}"
        );
    }

    #[test]
    fn every_truncation_is_refused_not_misread() {
        let mut bytes = Vec::new();
        assert!(encode(&record(), &mut bytes, 1 << 20));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn a_record_over_the_limit_is_refused_and_leaves_the_buffer_alone() {
        let mut bytes = b"before".to_vec();
        assert!(!encode(&record(), &mut bytes, 20));
        assert_eq!(bytes, b"before");
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = Vec::new();
        assert!(encode(&record(), &mut bytes, 1 << 20));
        bytes.push(0);
        assert!(decode(&bytes).is_none());
    }

    #[test]
    fn an_unknown_version_is_refused() {
        let mut bytes = Vec::new();
        assert!(encode(&record(), &mut bytes, 1 << 20));
        bytes[0] = 9;
        assert!(decode(&bytes).is_none());
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let mut bytes = Vec::new();
        assert!(encode(&record(), &mut bytes, 1 << 20));
        // The user field `ann` starts after version, instant, source, privacy and its length.
        bytes[1 + 8 + 1 + 1 + 4] = 0xff;
        assert!(decode(&bytes).is_none());
    }

    fn decision() -> Decision {
        Decision {
            verdict: Verdict::Block,
            categories: Some(vec![Category::Gambling, Category::SocialMedia]),
            privacy: Privacy::Full,
            findings: vec![
                Finding {
                    rule: "no-gambling".into(),
                    check: Check::ProhibitedCategory,
                    clause: "4.2".into(),
                    severity: Severity::GrossMisconduct,
                    action: Verdict::Block,
                    message: "gambling site \"bet365.com\"".into(),
                    model: None,
                },
                Finding {
                    rule: "social".into(),
                    check: Check::ProhibitedCategory,
                    clause: String::new(),
                    severity: Severity::Concern,
                    action: Verdict::Log,
                    message: "social media".into(),
                    model: Some(ModelScore {
                        name: "site-classifier".into(),
                        version: "1".into(),
                        score: 0.93,
                    }),
                },
            ],
        }
    }

    fn decided(d: &Decision) -> Decided<'_> {
        Decided {
            at: "2026-06-15T09:00:00.123456Z".parse().unwrap(),
            user: Some("ann"),
            source: Source::Web,
            subject: "http://www.bet365.com/é",
            detail: None,
            decision: d,
        }
    }

    #[test]
    fn a_decision_reads_back_as_the_record_from_decision_makes() {
        let allowed = Decision::from_findings(Vec::new(), Privacy::HeadersOnly, None);
        for d in [decision(), allowed] {
            let mut bytes = Vec::new();
            assert!(decided(&d).encode(&mut bytes, 1 << 20));
            let back = decode(&bytes).unwrap();
            assert!(same(&back, &decided(&d).to_record()), "{back:?}");
        }
        let back = decode(&{
            let mut bytes = Vec::new();
            decided(&decision()).encode(&mut bytes, 1 << 20);
            bytes
        })
        .unwrap();
        assert_eq!(back.categories.as_deref(), Some("gambling,social_media"));
        assert_eq!(back.rule.as_deref(), Some("no-gambling"));
        assert!(
            back.findings.contains(r#"gambling site \"bet365.com\""#),
            "{}",
            back.findings
        );
    }

    #[test]
    fn every_truncation_of_a_decision_is_refused_not_misread() {
        let d = decision();
        let mut bytes = Vec::new();
        assert!(decided(&d).encode(&mut bytes, 1 << 20));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        bytes.push(0);
        assert!(decode(&bytes).is_none(), "trailing bytes");
    }

    #[test]
    fn a_decision_over_the_limit_is_refused_and_leaves_the_buffer_alone() {
        let d = decision();
        let mut bytes = b"before".to_vec();
        assert!(!decided(&d).encode(&mut bytes, 40));
        assert_eq!(bytes, b"before");
    }

    #[test]
    fn a_word_outside_the_vocabulary_is_refused() {
        let d = decision();
        let mut bytes = Vec::new();
        assert!(decided(&d).encode(&mut bytes, 1 << 20));
        let at = bytes.windows(5).position(|w| w == b"block").unwrap();
        bytes[at] = b'X';
        assert!(decode(&bytes).is_none());
    }
}
