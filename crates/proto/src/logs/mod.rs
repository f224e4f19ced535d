//! What a log line says happened, whatever format it came in: the events ingest hands to the
//! application core. Each log format's parser (Squid access.log, syslog logins, usbguard's
//! audit log, JSON lines) turns a line into at most one [`LogEvent`]; the app looks up what
//! the engine needs to know (the person, the registers, approvals in force) and decides.
//!
//! Times are UTC microseconds since the Unix epoch: a parser for a format whose stamps carry
//! no zone or year (RFC 3164 syslog) is told both by its caller.
//!
//! One module per format: [`access_log`] (Squid's native, common and combined access.log,
//! and Charter's own `logformat charter`), [`syslog`] (RFC 3164 and RFC 5424 framing),
//! [`login`] (the sign-in lines of OpenVPN, strongSwan, sshd, Dovecot and Postfix inside a
//! syslog message), [`usbguard`] (usbguard's audit file) and [`json`] (one JSON object a line
//! for device, software, file-location and network events). Every parser is fed one line
//! without its newline, at most [`MAX_LINE`] bytes, and answers an event, nothing (a line of
//! the format that is not about anything the checks use), or a [`LineError`]; none panics.

pub mod access_log;
pub mod json;
pub mod login;
pub(crate) mod stamp;
pub mod syslog;
pub mod usbguard;

pub use stamp::{civil_to_us, parse_rfc3339};

/// The longest line a parser takes, in bytes; a longer one is a [`LineError::TooLong`].
/// Syslog over UDP carries at most 64 KiB; real access.log and login lines are far shorter.
pub const MAX_LINE: usize = 64 * 1024;

/// Why a line gave no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// Longer than [`MAX_LINE`].
    TooLong,
    /// Not UTF-8 where the format needs text.
    NotText,
    /// Not in the format: what was missing or wrong.
    Malformed(&'static str),
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::TooLong => write!(f, "line longer than {MAX_LINE} bytes"),
            LineError::NotText => f.write_str("not UTF-8 text"),
            LineError::Malformed(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for LineError {}

/// What a parser makes of one line: an event, `None` for a line of the format that is
/// about nothing the checks use (most syslog lines), or why it is not of the format.
pub type Parsed = Result<Option<LogEvent>, LineError>;

/// `line` as text within [`MAX_LINE`], without a trailing carriage return (for parsers of
/// formats inside others, such as usbguard lines in syslog).
pub fn text_line(line: &[u8]) -> Result<&str, LineError> {
    if line.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line).map_err(|_| LineError::NotText)
}

/// One thing that happened, as a log line reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When it happened, UTC microseconds since the epoch.
    pub at_us: i64,
    /// The account name the line names (a proxy login, a VPN or SSH user), when it names one.
    pub user: Option<String>,
    /// The host or program that reported it (`vpn1`, `sshd`, `squid`).
    pub reporter: String,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of event the activity and usage checks are fed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A web request through the proxy (Squid access.log).
    Web {
        /// The client's address.
        client: String,
        /// The URL (`host:port` for CONNECT).
        url: String,
        /// The HTTP method.
        method: String,
        /// The HTTP status Squid answered with (0 when none).
        status: u16,
        /// Bytes sent to the client.
        bytes: u64,
        /// How long the request took, in milliseconds.
        elapsed_ms: u64,
    },
    /// A sign-in attempt to a system (VPN, SSH, mail).
    Login {
        /// The system signed in to.
        system: LoginSystem,
        /// The address it came from, when the line says.
        from: Option<String>,
        /// Whether a second factor was used: `None` when the line cannot say.
        mfa: Option<bool>,
        /// Whether it succeeded.
        success: bool,
        /// A session identifier that the matching [`EventKind::Logout`] repeats, when the
        /// format has one (OpenVPN's `client/address:port`, sshd's process id).
        session: Option<String>,
    },
    /// A session ended.
    Logout {
        /// The system.
        system: LoginSystem,
        /// The address it came from, when the line says.
        from: Option<String>,
        /// The session identifier of the sign-in, when the format has one.
        session: Option<String>,
    },
    /// A device (USB storage, phone, keyboard) attached to a work computer.
    Device {
        /// The computer.
        host: String,
        /// `vendor:product` (`0781:5567`).
        id: String,
        /// Its serial number, when it reports one.
        serial: Option<String>,
        /// Its name as reported (`SanDisk Cruzer Blade`).
        name: String,
        /// What the device control did.
        action: DeviceAction,
    },
    /// Software found installed on a computer (an inventory line).
    Software {
        /// The computer.
        host: String,
        /// The software's name.
        name: String,
        /// Its version, when reported.
        version: Option<String>,
    },
    /// A work file found somewhere (a file-location scan line).
    FileLocation {
        /// The computer.
        host: String,
        /// The file's path.
        path: String,
        /// Whether it lies on a local drive rather than the organisation's storage.
        local: bool,
    },
    /// A computer joined a network.
    Network {
        /// The computer.
        host: String,
        /// The network's name (an SSID, a VPN profile, a subnet).
        network: String,
    },
}

/// The systems logins come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginSystem {
    /// A VPN (OpenVPN, strongSwan): remote access.
    Vpn,
    /// SSH.
    Ssh,
    /// Mail (Dovecot IMAP/POP, Postfix SASL submission).
    Mail,
    /// Anything else a JSON line names.
    Other,
}

/// What device control did with an attached device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAction {
    /// Inserted and allowed.
    Allowed,
    /// Inserted and blocked (not authorised, or a policy's default).
    Blocked,
    /// Inserted and rejected (removed from the system).
    Rejected,
    /// Inserted, with no decision reported.
    Inserted,
    /// Removed.
    Removed,
}
