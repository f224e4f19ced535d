//! Where the web gateways' identity table comes from (docs/squid.md, "Identity"): the
//! devices register, read with the people register (`register.rs`), and the DHCP leases
//! files of `[identity] leases`, read at start and again whenever one changes. Either
//! changing rebuilds the whole table; lookups see the old table or the new one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use charter_gateways::identity::{DeviceIds, Identities, IdentityTable};
use charter_proto::leases::{Lease, MAX_LEASES_BYTES, parse};

/// How often the leases files are looked at (a `stat` each; read only when changed).
const LEASES_EVERY: Duration = Duration::from_secs(5);

/// The live table and what it is built from. Clones share all of it.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdentitySource {
    live: Identities,
    parts: Arc<Mutex<Parts>>,
}

#[derive(Debug, Default)]
struct Parts {
    devices: Vec<DeviceIds>,
    leases: Vec<Lease>,
}

impl IdentitySource {
    /// The table the gateways consult.
    pub(crate) fn live(&self) -> Identities {
        self.live.clone()
    }

    /// Puts the register's devices in force; says whether they changed.
    pub(crate) fn set_devices(&self, devices: Vec<DeviceIds>) -> bool {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        if parts.devices == devices {
            return false;
        }
        parts.devices = devices;
        self.live
            .replace(IdentityTable::build(&parts.devices, &parts.leases));
        true
    }

    /// Puts the leases in force.
    fn set_leases(&self, leases: Vec<Lease>) {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts.leases = leases;
        self.live
            .replace(IdentityTable::build(&parts.devices, &parts.leases));
    }
}

/// What a leases file looked like when last read: a change in either means read it again.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Reads every file of `files` into `source`, logging each as `who`. A file that cannot be
/// read counts as empty (a DHCP server may not have written it yet) and is logged.
pub(crate) fn read_leases(who: &str, files: &[PathBuf], source: &IdentitySource) -> Vec<Stamp> {
    let mut all = Vec::new();
    let mut stamps = Vec::with_capacity(files.len());
    for path in files {
        stamps.push(stamp(path));
        let data = match read_capped(path) {
            Ok(data) => data,
            Err(e) => {
                eprintln!(
                    "{who}: leases={} error={e}: Leases file not read; its addresses map nobody.",
                    path.display()
                );
                continue;
            }
        };
        let read = parse(&data);
        eprintln!(
            "{who}: leases={} read={} skipped={}{}: Leases file read.",
            path.display(),
            read.leases.len(),
            read.skipped,
            if read.truncated {
                " truncated=true"
            } else {
                ""
            }
        );
        all.extend(read.leases);
    }
    source.set_leases(all);
    stamps
}

/// At most [`MAX_LEASES_BYTES`] and one more (so the parser sees that there was more).
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut data = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_LEASES_BYTES as u64 + 1)
        .read_to_end(&mut data)?;
    Ok(data)
}

/// Reads the leases files again whenever one changes, for as long as it runs. `stamps`
/// are those of the read at start.
pub(crate) async fn watch_leases(
    who: &'static str,
    files: Vec<PathBuf>,
    source: IdentitySource,
    mut stamps: Vec<Stamp>,
) {
    if files.is_empty() {
        return std::future::pending().await;
    }
    loop {
        tokio::time::sleep(LEASES_EVERY).await;
        let now: Vec<Stamp> = files.iter().map(|f| stamp(f)).collect();
        if now != stamps {
            let (files, source) = (files.clone(), source.clone());
            match tokio::task::spawn_blocking(move || read_leases(who, &files, &source)).await {
                Ok(read) => stamps = read,
                Err(e) => eprintln!("{who}: error={e}: Leases files not read."),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn devices_and_leases_together_map_an_address() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dnsmasq.leases");
        std::fs::write(&file, "0 52:54:00:00:00:01 10.0.0.5 ann-laptop *\n").unwrap();
        let source = IdentitySource::default();
        read_leases("test", std::slice::from_ref(&file), &source);
        let ids = source.live();
        let at = jiff::Timestamp::UNIX_EPOCH;
        assert_eq!(ids.who(None, Some("10.0.0.5"), at), None, "no device yet");
        assert!(source.set_devices(vec![DeviceIds {
            user: "ann".into(),
            mac: Some("52:54:00:00:00:01".into()),
            ..DeviceIds::default()
        }]));
        assert_eq!(ids.who(None, Some("10.0.0.5"), at).as_deref(), Some("ann"));
        std::fs::write(&file, "").unwrap();
        read_leases("test", std::slice::from_ref(&file), &source);
        assert_eq!(ids.who(None, Some("10.0.0.5"), at), None, "lease gone");
    }

    #[test]
    fn a_missing_leases_file_maps_nobody() {
        let source = IdentitySource::default();
        let stamps = read_leases("test", &[PathBuf::from("/nonexistent/leases")], &source);
        assert_eq!(stamps, [None]);
        assert!(source.live().current().is_empty());
    }
}
