//! usbguard allow rules from the removable-media register, so a device nobody authorised is
//! stopped by usbguard, not only reported (`charter devices usbguard-rules`). One `allow` rule
//! per authorisation in force that names its device (`id vendor:product`, and `serial` when
//! given), labelled with the authorisation's id; usbguard's own policy blocks the rest.

use charter_store::MediaAuthorisation;

use super::UsbDevice;
use crate::App;
use crate::error::{Error, Result};

/// The longest serial number accepted (usbguard's own devices report up to 126 characters).
const MAX_SERIAL: usize = 126;

impl UsbDevice {
    /// The device, checked: `id` is `vendor:product` in four hex digits each (lower-cased),
    /// and a serial holds no quote, backslash or control character, so neither can break out
    /// of a usbguard rule.
    pub fn checked(self) -> Result<UsbDevice> {
        let id = self.id.trim().to_ascii_lowercase();
        let hex4 = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !id.split_once(':').is_some_and(|(v, p)| hex4(v) && hex4(p)) {
            return Err(Error::Refused(format!(
                "`{}` is not a usbguard device id such as 0781:5567 (vendor:product, four hex digits each)",
                self.id
            )));
        }
        let serial = match self.serial.map(|s| s.trim().to_string()) {
            Some(s) if s.is_empty() => None,
            Some(s)
                if s.chars().count() > MAX_SERIAL
                    || s.chars().any(|c| c == '"' || c == '\\' || c.is_control()) =>
            {
                return Err(Error::Refused(format!(
                    "serial `{}` is not one usbguard reports: at most {MAX_SERIAL} characters, no quotes, backslashes or control characters",
                    s.escape_debug()
                )));
            }
            other => other,
        };
        Ok(UsbDevice { id, serial })
    }
}

/// usbguard's rule text for the authorisations in force on `day` (`2026-06-15`, the pack's
/// zone), with a header saying where it came from.
pub fn rules(media: &[MediaAuthorisation], day: &str) -> String {
    let mut out = String::from(
        "# Written by `charter devices usbguard-rules` from the removable-media register.\n\
         # Each line allows one authorised device; usbguard's policy decides the rest.\n",
    );
    for m in media {
        let Some(id) = m
            .usb_id
            .as_deref()
            .filter(|_| super::media_in_force(m, day))
        else {
            continue;
        };
        out.push_str("allow id ");
        out.push_str(id);
        if let Some(serial) = &m.usb_serial {
            out.push_str(&format!(" serial {}", quoted(serial)));
        }
        out.push_str(&format!(
            " label {}\n",
            quoted(&format!("charter media {}", m.id))
        ));
    }
    out
}

/// A usbguard string: double-quoted, with `"` and `\` escaped and anything else outside
/// printable ASCII written as `\xHH` bytes, as usbguard's parser reads them.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for b in text.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

impl App {
    /// usbguard allow rules for the removable-media authorisations in force today.
    pub async fn usbguard_rules(&self, now: jiff::Timestamp) -> Result<String> {
        let day = now
            .to_zoned_datetime(self.time_zone().clone())
            .date()
            .to_string();
        Ok(rules(&self.media_authorisations().await?, &day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(id: i64, usb: Option<&str>, serial: Option<&str>) -> MediaAuthorisation {
        MediaAuthorisation {
            id,
            person_id: 1,
            description: "USB stick".into(),
            reason: "visits".into(),
            authorised_by: 2,
            authorised_at: "2026-06-01T09:00:00Z".into(),
            expires_on: None,
            revoked_at: None,
            usb_id: usb.map(str::to_string),
            usb_serial: serial.map(str::to_string),
        }
    }

    #[test]
    fn one_allow_rule_per_named_device_in_force() {
        let mut revoked = media(3, Some("0951:1666"), None);
        revoked.revoked_at = Some("2026-06-02T09:00:00Z".into());
        let mut expired = media(4, Some("0951:1667"), None);
        expired.expires_on = Some("2026-06-14".into());
        let text = rules(
            &[
                media(1, Some("0781:5567"), Some("4C530001")),
                media(2, None, None),
                revoked,
                expired,
                media(5, Some("0930:6545"), None),
            ],
            "2026-06-15",
        );
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines,
            [
                r#"allow id 0781:5567 serial "4C530001" label "charter media 1""#,
                r#"allow id 0930:6545 label "charter media 5""#,
            ]
        );
    }

    #[test]
    fn strings_cannot_break_out_of_their_quotes() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quoted("é\n"), r#""\xc3\xa9\x0a""#);
    }

    #[test]
    fn device_ids_and_serials_are_checked() {
        let ok = UsbDevice {
            id: " 0781:556A ".into(),
            serial: Some(" 4C53 ".into()),
        }
        .checked()
        .unwrap();
        assert_eq!(ok.id, "0781:556a");
        assert_eq!(ok.serial.as_deref(), Some("4C53"));
        for bad in ["0781", "0781:55670", "zz81:5567", "0781:5567 serial x"] {
            let d = UsbDevice {
                id: bad.into(),
                serial: None,
            };
            assert!(d.checked().is_err(), "{bad}");
        }
        let quote = UsbDevice {
            id: "0781:5567".into(),
            serial: Some("a\" allow".into()),
        };
        assert!(quote.checked().is_err());
    }
}
