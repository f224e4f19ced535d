//! Postfix policy delegation (SMTPD_POLICY_README): the request is `name=value` lines ended by
//! a blank line; the reply is `action=...` and a blank line.

use std::fmt;

/// Default limit on one request, in bytes.
pub const DEFAULT_MAX_REQUEST: usize = 64 * 1024;

/// One request: its attributes in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRequest<'a> {
    /// `name=value` pairs.
    pub attributes: Vec<(&'a str, &'a str)>,
}

impl<'a> PolicyRequest<'a> {
    /// The value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The value of `name`, or `None` when missing or empty.
    pub fn non_empty(&self, name: &str) -> Option<&'a str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

/// A request that cannot be read; the connection cannot continue after one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// No blank line within the limit.
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// A line without `=`, or not UTF-8.
    Malformed {
        /// Which line (1-based).
        line: usize,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::TooLarge { max } => {
                write!(f, "policy request over the limit of {max} bytes")
            }
            PolicyError::Malformed { line } => {
                write!(
                    f,
                    "malformed policy request line {line}, expected `name=value`"
                )
            }
        }
    }
}

impl std::error::Error for PolicyError {}

/// Reads one request from the start of `buf`, all at once: `Ok(None)` until the blank line
/// has arrived, then the request and how many bytes it took.
pub fn read_request(
    buf: &[u8],
    max: usize,
) -> Result<Option<(PolicyRequest<'_>, usize)>, PolicyError> {
    RequestReader::new(max).read(buf)
}

/// Reads one request after another from a connection's buffer, resuming its search for the
/// blank line where the previous call stopped, so a request that arrives a byte at a time
/// costs the same as one that arrives whole.
///
/// The caller keeps appending what it reads to one buffer and passes all of it; after a
/// request it removes the `used` bytes from the front. After an error the connection must
/// close. Nothing past the first `max` bytes (and the blank line) is looked at, so the
/// answer does not depend on how the bytes were split into reads.
#[derive(Debug, Clone)]
pub struct RequestReader {
    max: usize,
    scanned: usize,
}

impl RequestReader {
    /// A reader that refuses requests longer than `max` bytes.
    pub fn new(max: usize) -> RequestReader {
        RequestReader { max, scanned: 0 }
    }

    /// Carries on reading `buf`, which holds what the previous call saw and possibly more.
    pub fn read<'a>(
        &mut self,
        buf: &'a [u8],
    ) -> Result<Option<(PolicyRequest<'a>, usize)>, PolicyError> {
        let view = &buf[..buf.len().min(self.max.saturating_add(2))];
        // The blank line may straddle the previous read: look again from a byte back.
        let from = self.scanned.saturating_sub(1).min(view.len());
        let Some(end) = view[from..]
            .windows(2)
            .position(|w| w == b"\n\n")
            .map(|i| from + i)
        else {
            self.scanned = view.len();
            if view.len() < buf.len() || view.len() > self.max.saturating_add(1) {
                return Err(PolicyError::TooLarge { max: self.max });
            }
            return Ok(None);
        };
        self.scanned = 0;
        let text =
            std::str::from_utf8(&buf[..end]).map_err(|_| PolicyError::Malformed { line: 1 })?;
        let mut attributes = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let (name, value) = line
                .split_once('=')
                .ok_or(PolicyError::Malformed { line: i + 1 })?;
            attributes.push((name, value));
        }
        Ok(Some((PolicyRequest { attributes }, end + 2)))
    }
}

/// The reply to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyAction {
    /// No opinion: go on with the next restriction.
    Dunno,
    /// Reject with a 5xx and this text.
    Reject(String),
    /// Temporary failure (4xx) with this text.
    Defer(String),
    /// Accept and put the message in the hold queue.
    Hold(String),
    /// Accept, and log this warning.
    Warn(String),
    /// Add this header (`Name: value`).
    Prepend(String),
}

impl PolicyAction {
    /// The reply, `action=...` and the blank line.
    pub fn encode(&self) -> String {
        let clean = |t: &str| -> String {
            t.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        };
        let action = match self {
            PolicyAction::Dunno => "DUNNO".to_string(),
            PolicyAction::Reject(t) => format!("REJECT {}", clean(t)),
            PolicyAction::Defer(t) => format!("DEFER_IF_PERMIT {}", clean(t)),
            PolicyAction::Hold(t) => format!("HOLD {}", clean(t)),
            PolicyAction::Warn(t) => format!("WARN {}", clean(t)),
            PolicyAction::Prepend(t) => format!("PREPEND {}", clean(t)),
        };
        format!("action={action}\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &[u8] = b"request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@x.org\nrecipient=b@y.org\nsasl_username=\ninstance=12.34\n\n";

    #[test]
    fn reads_at_every_split() {
        for cut in 0..REQ.len() {
            assert_eq!(
                read_request(&REQ[..cut], DEFAULT_MAX_REQUEST),
                Ok(None),
                "cut {cut}"
            );
        }
        let (req, used) = read_request(REQ, DEFAULT_MAX_REQUEST).unwrap().unwrap();
        assert_eq!(used, REQ.len());
        assert_eq!(req.get("recipient"), Some("b@y.org"));
        assert_eq!(req.get("sasl_username"), Some(""));
        assert_eq!(req.non_empty("sasl_username"), None);
        assert_eq!(req.get("missing"), None);
    }

    #[test]
    fn two_requests_back_to_back() {
        let mut both = REQ.to_vec();
        both.extend_from_slice(REQ);
        let (_, used) = read_request(&both, DEFAULT_MAX_REQUEST).unwrap().unwrap();
        assert!(
            read_request(&both[used..], DEFAULT_MAX_REQUEST)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn limits_and_malformed() {
        assert_eq!(
            read_request(&[b'a'; 100], 50),
            Err(PolicyError::TooLarge { max: 50 })
        );
        assert_eq!(
            read_request(b"x=1\nnonsense\n\n", 50),
            Err(PolicyError::Malformed { line: 2 })
        );
    }

    #[test]
    fn actions() {
        assert_eq!(PolicyAction::Dunno.encode(), "action=DUNNO\n\n");
        assert_eq!(
            PolicyAction::Reject("5.7.1 Charter: mass\nmail".into()).encode(),
            "action=REJECT 5.7.1 Charter: mass mail\n\n"
        );
    }
}
