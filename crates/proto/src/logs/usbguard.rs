//! usbguard 1.1's audit file (`AuditBackend=FileAudit`, `AuditFilePath=`): one event a line,
//! written by the daemon's logger as `[SECONDS.MILLIS] (A) uid=0 pid=N key='value' ...`
//! with the keys of usbguard's `Audit.cpp`, in sorted order:
//!
//! - `type='Device.Insert'` / `'Device.Remove'` / `'Device.Update'` with `device.rule='...'`
//!   (the device as a rule: `block id 0781:5567 serial "..." name "..." ...`);
//! - `type='Policy.Device.Update'` with `target.old='block' target.new='allow'`, and
//!   `type='Policy.Device.Insert'` / `'Policy.Device.Present'` with `target='block'`;
//! - `Policy.AppendRule` and the like (rule changes), which are not device events.
//!
//! The file names no host: the caller says which computer it came from.
//!
//! ```
//! use charter_proto::logs::{usbguard, DeviceAction, EventKind};
//! let line = br#"[1796095831.104] (A) uid=0 pid=7 device.rule='block id 0781:5567 serial "4C53" name "Cruzer Blade" via-port "1-2"' device.system_name='/devices/usb1/1-2' result='SUCCESS' target='block' type='Policy.Device.Insert'"#;
//! let e = usbguard::parse(line, "laptop-7", 0).unwrap().unwrap();
//! assert!(matches!(e.kind, EventKind::Device { action: DeviceAction::Blocked, ref id, .. } if id == "0781:5567"));
//! ```

use super::stamp::epoch_us;
use super::{DeviceAction, EventKind, LineError, LogEvent, Parsed, text_line};

/// Reads one audit line from `host`'s usbguard; `default_at_us` is used when the line carries
/// no time stamp (a line from usbguard's syslog output, whose stamp the syslog layer read).
pub fn parse(line: &[u8], host: &str, default_at_us: i64) -> Parsed {
    let line = text_line(line)?.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (at_us, rest) = match line.strip_prefix('[') {
        Some(rest) => {
            let (stamp, rest) = rest
                .split_once(']')
                .ok_or(LineError::Malformed("unterminated time stamp"))?;
            let at = epoch_us(stamp).ok_or(LineError::Malformed("bad time stamp"))?;
            let rest = rest.trim_start();
            // `(A)` marks an audit line; any other level is the daemon's own log.
            let rest = match rest.strip_prefix("(A)") {
                Some(rest) => rest,
                None if rest.starts_with('(') => return Ok(None),
                None => rest,
            };
            (at, rest)
        }
        None => (default_at_us, line),
    };
    let keys = Keys(rest);
    let Some(kind) = keys.get("type") else {
        return Err(LineError::Malformed("no type"));
    };
    let rule = keys
        .get("device.rule")
        .or_else(|| keys.get("device.rule.new"));
    let target = keys.get("target.new").or_else(|| keys.get("target"));
    let action = match kind {
        "Device.Remove" | "Policy.Device.Remove" => DeviceAction::Removed,
        "Device.Insert"
        | "Policy.Device.Insert"
        | "Policy.Device.Update"
        | "Policy.Device.Present" => {
            match target.or_else(|| rule.and_then(|r| r.split(' ').next())) {
                Some("allow") => DeviceAction::Allowed,
                Some("block") => DeviceAction::Blocked,
                Some("reject") => DeviceAction::Rejected,
                _ => DeviceAction::Inserted,
            }
        }
        _ => return Ok(None),
    };
    let rule = Rule::parse(rule.ok_or(LineError::Malformed("device event without device.rule"))?);
    Ok(Some(LogEvent {
        at_us,
        user: None,
        reporter: "usbguard".to_string(),
        kind: EventKind::Device {
            host: host.to_string(),
            id: rule
                .id
                .ok_or(LineError::Malformed("device rule without id"))?,
            serial: rule.serial.filter(|s| !s.is_empty()),
            name: rule.name.unwrap_or_default(),
            action,
        },
    }))
}

/// `key='value' key='value' ...`; a value may hold spaces and quotes, and ends at a `'`
/// followed by a space and the next key, or by the end.
struct Keys<'a>(&'a str);

impl<'a> Keys<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        let s = self.0;
        let mut from = 0;
        while let Some(at) = s.get(from..)?.find(key) {
            let start = from + at;
            from = start + key.len();
            let before_ok = start == 0 || s.as_bytes().get(start - 1) == Some(&b' ');
            let Some(value) = s.get(from..).and_then(|r| r.strip_prefix("='")) else {
                continue;
            };
            if !before_ok {
                continue;
            }
            return Some(value_end(value));
        }
        None
    }
}

/// The value at the start of `s`, up to its closing quote.
fn value_end(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(q) = s.get(i..).and_then(|r| r.find('\'')) {
        let end = i + q;
        let after = s.get(end + 1..).unwrap_or_default();
        let next_key = after.strip_prefix(' ').is_some_and(|r| {
            r.split_once("='").is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            })
        });
        if after.trim().is_empty() || next_key {
            return &s[..end];
        }
        i = end + 1;
        if i >= bytes.len() {
            break;
        }
    }
    s
}

/// What a device rule says about the device.
#[derive(Debug, Default)]
struct Rule {
    id: Option<String>,
    serial: Option<String>,
    name: Option<String>,
}

impl Rule {
    fn parse(text: &str) -> Rule {
        let tokens = tokens(text);
        let mut rule = Rule::default();
        let mut it = tokens.iter();
        while let Some(word) = it.next() {
            let slot = match word.as_str() {
                "id" => &mut rule.id,
                "serial" => &mut rule.serial,
                "name" => &mut rule.name,
                _ => continue,
            };
            if let Some(v) = it.next() {
                *slot = Some(v.clone());
            }
        }
        rule
    }
}

/// Words and `"quoted strings"` (with `\"` and `\\` escapes) of a rule.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(e) = chars.next() {
                            s.push(e);
                        }
                    }
                    '"' => break,
                    c => s.push(c),
                }
            }
            out.push(s);
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                s.push(c);
                chars.next();
            }
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(line: &str) -> (String, Option<String>, String, DeviceAction, i64) {
        let e = parse(line.as_bytes(), "pc", 5)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .unwrap_or_else(|| panic!("{line}: no event"));
        match e.kind {
            EventKind::Device {
                id,
                serial,
                name,
                action,
                ..
            } => (id, serial, name, action, e.at_us),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_update_to_allow_is_allowed_and_names_the_device() {
        let (id, serial, name, action, at) = device(
            r#"[1796095831.104] (A) uid=0 pid=7 device.rule='allow id 0781:5567 serial "4C53 0001" name "Cruzer \"Blade\"" hash "abc"' device.system_name='/devices/x' result='SUCCESS' target.new='allow' target.old='block' type='Policy.Device.Update'"#,
        );
        assert_eq!(id, "0781:5567");
        assert_eq!(serial.as_deref(), Some("4C53 0001"));
        assert_eq!(name, "Cruzer \"Blade\"");
        assert_eq!(action, DeviceAction::Allowed);
        assert_eq!(at, 1_796_095_831_104_000);
    }

    #[test]
    fn an_insert_takes_its_target_from_the_rule_and_a_removal_is_removed() {
        let (_, serial, _, action, at) = device(
            r#"uid=0 pid=7 device.rule='reject id 1234:5678 serial "" name "Phone"' device.system_name='/d' result='SUCCESS' type='Device.Insert'"#,
        );
        assert_eq!((serial, action, at), (None, DeviceAction::Rejected, 5));
        let (_, _, _, action, _) = device(
            r#"[1.5] (A) uid=0 pid=7 device.rule='block id 1234:5678 name "Phone"' result='SUCCESS' type='Device.Remove'"#,
        );
        assert_eq!(action, DeviceAction::Removed);
    }

    #[test]
    fn rule_changes_and_the_daemon_s_own_lines_are_no_events() {
        assert_eq!(
            parse(br#"[1.0] (A) uid=0 pid=7 result='SUCCESS' rule='allow id *:*' rule.id='3' type='Policy.AppendRule'"#, "pc", 0),
            Ok(None)
        );
        assert_eq!(
            parse(b"[1.0] (i) Configuration loaded successfully.", "pc", 0),
            Ok(None)
        );
        assert!(parse(b"uid=0 pid=7 result='SUCCESS'", "pc", 0).is_err());
        assert!(
            parse(
                br#"uid=0 type='Device.Insert' device.rule='block name "x"'"#,
                "pc",
                0
            )
            .is_err()
        );
    }
}
