//! One monitoring record as spool bytes: a version byte, the instant in microseconds, the
//! source and privacy as one byte each, then every text field as a little-endian `u32`
//! length (`u32::MAX` for none) and its UTF-8 bytes. Fixed-width and self-describing enough
//! to read back without a schema library, and a few hundred nanoseconds a record each way.

use charter_engine::Privacy;

use crate::records::{NewRecord, Source, Text};
use crate::time::{from_us, to_us};

const VERSION: u8 = 1;
const NONE: u32 = u32::MAX;

/// Appends `r` to `out`, or leaves `out` as it was and returns `false` when the record would
/// take more than `max` bytes.
pub(crate) fn encode(r: &NewRecord, out: &mut Vec<u8>, max: usize) -> bool {
    let start = out.len();
    out.push(VERSION);
    out.extend_from_slice(&to_us(r.at).to_le_bytes());
    out.push(match r.source {
        Source::Web => 0,
        Source::Mail => 1,
        Source::Activity => 2,
    });
    out.push(match r.privacy {
        Privacy::Full => 0,
        Privacy::HeadersOnly => 1,
    });
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
        match field {
            Some(text) if text.len() <= max => {
                let len = u32::try_from(text.len()).unwrap_or(NONE);
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(text.as_bytes());
            }
            Some(_) => {
                out.truncate(start);
                return false;
            }
            None => out.extend_from_slice(&NONE.to_le_bytes()),
        }
    }
    if out.len() - start > max {
        out.truncate(start);
        return false;
    }
    true
}

/// Reads a record back; `None` when the bytes are not one (a newer version, or damage the
/// frame checksum did not catch).
pub(crate) fn decode(bytes: &[u8]) -> Option<NewRecord> {
    let mut r = Reader(bytes);
    if r.take(1)?[0] != VERSION {
        return None;
    }
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
    let record = NewRecord {
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

    /// An optional text field: the outer `None` is malformed input, the inner one an absent field.
    fn text(&mut self) -> Option<Option<Text>> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?);
        if len == NONE {
            return Some(None);
        }
        let bytes = self.take(usize::try_from(len).ok()?)?;
        Some(Some(std::str::from_utf8(bytes).ok()?.into()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

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
        bytes[0] = 2;
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
}
