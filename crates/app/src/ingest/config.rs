//! `[ingest]` in charter.toml: the log files `serve` follows and its syslog listener.
//!
//! ```toml
//! [[ingest.files]]
//! path = "/var/log/squid/access.log"   # relative paths are from charter.toml's directory
//! format = "squid"                      # squid, syslog, usbguard, events
//!
//! [[ingest.files]]
//! path = "/var/log/usbguard/usbguard-audit.log"
//! format = "usbguard"
//! host = "laptop-7"                     # usbguard files name no computer
//!
//! [ingest.syslog]                       # RFC 3164 and 5424 sign-in lines, sent by rsyslog
//! udp = "0.0.0.0:5514"
//! tcp = "0.0.0.0:5514"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use charter_gateways::syslog::SyslogConfig;

use super::Format;

/// `[ingest]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Files followed across rotation, each from its kept position.
    #[serde(default)]
    pub files: Vec<FileSource>,
    /// The syslog listener; absent: none.
    pub syslog: Option<SyslogConfig>,
}

/// One `[[ingest.files]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSource {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// The computer a usbguard audit file comes from (default: this machine's name).
    pub host: Option<String>,
}

impl IngestConfig {
    /// Takes relative file paths from `base` (charter.toml's directory).
    pub fn rebase(&mut self, base: &Path) {
        for f in &mut self.files {
            f.path = base.join(&f.path);
        }
    }
}

/// This machine's name, for usbguard files that name none.
pub fn this_host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
