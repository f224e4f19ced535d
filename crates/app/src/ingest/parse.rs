//! Which parser reads a file: the formats of `charter ingest squid|syslog|usbguard|events`.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use charter_proto::logs::login::Logins;
use charter_proto::logs::syslog::{self, LocalClock};
use charter_proto::logs::{LineError, LogEvent, Parsed, access_log, json, text_line, usbguard};

/// A log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Squid's access.log (native, common, combined, Charter's).
    Squid,
    /// Syslog lines (RFC 3164, RFC 5424, rsyslog files) carrying sign-ins and usbguard.
    Syslog,
    /// usbguard's audit file.
    Usbguard,
    /// JSON lines (docs/ingest.md).
    Events,
}

impl Format {
    /// The word on the command line and in `charter.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Squid => "squid",
            Format::Syslog => "syslog",
            Format::Usbguard => "usbguard",
            Format::Events => "events",
        }
    }
}

/// Reads RFC 3164 stamps in the pack's zone, in the year that puts them nearest before `now`
/// (a December line read in January is last year's).
#[derive(Debug, Clone)]
pub struct ZoneClock {
    tz: TimeZone,
    now: Timestamp,
    year: i16,
}

impl ZoneClock {
    /// Stamps in `tz`, read at `now`.
    pub fn new(tz: TimeZone, now: Timestamp) -> ZoneClock {
        let year = now.to_zoned_datetime(tz.clone()).year();
        ZoneClock { tz, now, year }
    }
}

impl LocalClock for ZoneClock {
    fn resolve(&self, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<i64> {
        let at = |year: i16| -> Option<Timestamp> {
            let dt = jiff::civil::DateTime::new(
                year,
                i8::try_from(month).ok()?,
                i8::try_from(day).ok()?,
                i8::try_from(hour).ok()?,
                i8::try_from(minute).ok()?,
                i8::try_from(second.min(59)).ok()?,
                0,
            )
            .ok()?;
            dt.to_zoned_datetime(self.tz.clone())
                .ok()
                .map(|z| z.timestamp())
        };
        let this = at(self.year)?;
        let day = jiff::SignedDuration::from_hours(24);
        let chosen = if this > self.now.checked_add(day).ok()? {
            at(self.year - 1)?
        } else {
            this
        };
        Some(chosen.as_microsecond())
    }
}

/// Parses the lines of one format, keeping what a format needs across lines (sshd's partial
/// sign-ins).
#[derive(Debug)]
pub struct LineParser {
    format: Format,
    clock: ZoneClock,
    logins: Logins,
    /// The computer a usbguard audit file came from.
    host: String,
}

impl LineParser {
    /// A parser for `format`, reading zone-less times with `clock`; `host` names the computer
    /// of a usbguard audit file.
    pub fn new(format: Format, clock: ZoneClock, host: &str) -> LineParser {
        LineParser {
            format,
            clock,
            logins: Logins::new(),
            host: host.to_string(),
        }
    }

    /// Reads one line into `event` (reusing its strings for access.log lines); returns
    /// whether the line held an event.
    pub fn parse_into(&mut self, line: &[u8], event: &mut LogEvent) -> Result<bool, LineError> {
        if self.format == Format::Squid {
            return access_log::parse_into(line, event);
        }
        match self.parse(line)? {
            Some(e) => {
                *event = e;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The event on one line.
    pub fn parse(&mut self, line: &[u8]) -> Parsed {
        match self.format {
            Format::Squid => access_log::parse(line),
            Format::Events => json::parse(line),
            Format::Usbguard => usbguard::parse(line, &self.host, self.clock.now.as_microsecond()),
            Format::Syslog => {
                let text = text_line(line)?;
                if text.trim().is_empty() {
                    return Ok(None);
                }
                let l = syslog::parse(text, &self.clock)?;
                if l.app.starts_with("usbguard") {
                    return usbguard::parse(l.message.as_bytes(), l.host, l.at_us);
                }
                Ok(self.logins.parse(&l))
            }
        }
    }
}
