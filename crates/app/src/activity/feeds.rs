//! What a site's charter.toml feeds the activity checks, for `charter policy lint --config`
//! (see [`charter_policy::feeds`]).

use charter_policy::feeds::Feeds;

use crate::config::Config;
use crate::ingest::Format;

/// The feeds `config` configures in `[ingest]`. A syslog file or listener carries sign-ins
/// (and usbguard, when usbguard logs to syslog); JSON lines can carry every kind. Web requests
/// always count as fed: Squid starts Charter's helper itself, whether or not charter.toml
/// names a web gateway.
pub fn feeds(config: &Config) -> Feeds {
    let formats: Vec<Format> = config
        .ingest
        .iter()
        .flat_map(|i| i.files.iter().map(|f| f.format))
        .collect();
    let listener = config.ingest.as_ref().is_some_and(|i| i.syslog.is_some());
    let has = |f: Format| formats.contains(&f);
    let syslog = listener || has(Format::Syslog);
    let events = has(Format::Events);
    Feeds {
        sign_ins: syslog || events,
        devices: has(Format::Usbguard) || syslog || events,
        endpoint: events,
        web: true,
        mail: config.milter.is_some(),
    }
}
