//! `charter.toml`: what `serve`, `ingest`, `report` and the store commands run with.
//!
//! ```toml
//! policy = "policies/demo.toml"        # the pack
//! categories = "categories.idx"        # optional: index from `charter categories build`
//! site_model = "sites.model"           # optional: model from `charter categories train`
//! embeddings = "models/all-minilm-l6-v2" # optional: sentence embeddings (docs/classifiers.md)
//! domains = ["allsorts.org.uk"]        # optional: mail domains, for packs that name none
//!
//! [store]
//! url = "sqlite://charter.db"          # or postgres://user@host/db
//!
//! [spool]                              # optional: serve's disk buffer before the store
//! dir = "spool"                        # relative to this file (the default)
//! drain_seconds = 30                   # on SIGTERM, how long to wait for the store
//!
//! [identity]                           # optional: who made a web request without a login
//! leases = ["/var/lib/misc/dnsmasq.leases"]   # DHCP leases files (dnsmasq or ISC dhcpd)
//! ```
//! Every file named here must not be writable by anyone else on the machine: a command that
//! opens the store refuses a world-writable one (see [`refuse_world_writable`]).
//! Each gateway adds its own optional section (`[icap]`, `[milter]`, ...), defined by its
//! config struct in `charter-gateways`; a missing section means that gateway is off.
//! `[alerts]` (the SMTP relay and the daily digest) and `[usage]` (personal-use accounting,
//! the country table for VPN logins) are described in docs/alerts.md.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The policy pack, relative to the config file.
    pub policy: PathBuf,
    /// A category index or squidGuard directory, relative to the config file.
    pub categories: Option<PathBuf>,
    /// A site model from `charter categories train`, relative to the config file: hosts in
    /// no list are scored by it for `unclassified_site` rules.
    pub site_model: Option<PathBuf>,
    /// A sentence-embedding model directory (all-MiniLM-L6-v2, as .ci/setup/embeddings.sh
    /// installs it), relative to the config file: search terms beyond the safeguarding
    /// phrase lists. Needs a charter built with `--features embeddings`.
    pub embeddings: Option<PathBuf>,
    /// The organisation's mail domains, for a pack that names none; without them `serve` and
    /// `check mail --config` take the domains of the email accounts in the people register.
    #[serde(default)]
    pub domains: crate::domains::Domains,
    /// Where records and registers live.
    #[serde(default)]
    pub store: StoreConfig,
    /// Where `serve` buffers decisions on their way to the store.
    #[serde(default)]
    pub spool: SpoolConfig,
    /// How the web gateways tell who made a request without a proxy login.
    #[serde(default)]
    pub identity: IdentityConfig,
    /// `[icap]`: the ICAP REQMOD server for Squid; absent means off.
    pub icap: Option<charter_gateways::icap::IcapConfig>,
    /// `[milter]`: the content milter for Postfix; absent means off.
    pub milter: Option<charter_gateways::milter::MilterConfig>,
    /// `[policy_service]`: the Postfix policy delegation service; absent means off.
    pub policy_service: Option<charter_gateways::policy_service::PolicyServiceConfig>,
    /// `[server]`: the pages people see for a `warn` or `hold` (and later the dashboard);
    /// absent means off, and then warn and hold are answered as before (allowed, refused).
    pub server: Option<ServerConfig>,
    /// `[alerts]`: the SMTP relay and the daily digest; absent means alerts are kept, not mailed.
    pub alerts: Option<crate::alerts::AlertsConfig>,
    /// `[usage]`: personal-use accounting and where logins come from.
    #[serde(default)]
    pub usage: crate::monitor::UsageConfig,
    /// `[ingest]`: log files `serve` follows and its syslog listener; absent means none.
    pub ingest: Option<crate::ingest::IngestConfig>,
}

/// `[server]`.
///
/// ```toml
/// [server]
/// listen = "0.0.0.0:8088"                          # where the pages listen
/// public_url = "http://charter.example.org:8088"   # how browsers reach them
/// key_file = "page.key"                            # made by serve, mode 0600 (the default)
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// The address people's browsers reach the pages at; gateways send them there.
    pub public_url: String,
    /// The key page links are signed with, relative to the config file. `serve` creates it
    /// (mode 0600); the Squid helper reads it with `--config`.
    #[serde(default = "default_key_file")]
    pub key_file: PathBuf,
}

fn default_key_file() -> PathBuf {
    PathBuf::from("page.key")
}

/// `[store]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://...`.
    #[serde(default = "default_store_url")]
    pub url: String,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: default_store_url(),
        }
    }
}

fn default_store_url() -> String {
    "sqlite://charter.db".to_string()
}

/// `[spool]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolConfig {
    /// The spool directory, relative to the config file.
    #[serde(default = "default_spool_dir")]
    pub dir: PathBuf,
    /// When `serve` is stopped, how long it waits for the store to take what the spool
    /// holds before leaving the rest for the next start.
    #[serde(default = "default_drain_seconds")]
    pub drain_seconds: u64,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            dir: default_spool_dir(),
            drain_seconds: default_drain_seconds(),
        }
    }
}

fn default_spool_dir() -> PathBuf {
    PathBuf::from("spool")
}

fn default_drain_seconds() -> u64 {
    30
}

/// `[identity]`: the web gateways put a request without a proxy login down to the person
/// whose device has the client address: a fixed address in the devices register, or the MAC
/// address or host name a current lease in one of these files gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// DHCP leases files, dnsmasq's or ISC dhcpd's, relative to the config file; each is
    /// read again when it changes.
    #[serde(default)]
    pub leases: Vec<PathBuf>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config `{path}`: {cause}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The file is not a valid configuration.
    #[error("bad config `{path}` line {line}: {message}")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The line the problem is on (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Anyone on the machine may change the file.
    #[error(
        "the {what} `{path}` is world-writable: anyone on this machine could change it; run `chmod o-w {path}`"
    )]
    WorldWritable {
        /// What the file is (`pack`, `store`).
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// Anyone on the machine may replace the file: its directory is world-writable.
    #[error(
        "the directory `{dir}` holding the {what} is world-writable: anyone on this machine could replace the {what}; run `chmod o-w {dir}`"
    )]
    WritableDirectory {
        /// What the file is.
        what: &'static str,
        /// Its directory.
        dir: PathBuf,
    },
}

impl Config {
    /// Reads `path`; relative paths inside are taken from the file's directory. Refuses a
    /// world-writable config file, pack or category index: every command that reads a config
    /// file acts on the store, and whoever can change these can change what is enforced.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        refuse_world_writable(path, "config file")?;
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0),
            message: e.message().trim().to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.policy = base.join(&config.policy);
        config.categories = config.categories.map(|c| base.join(c));
        config.site_model = config.site_model.map(|m| base.join(m));
        config.embeddings = config.embeddings.map(|m| base.join(m));
        config.spool.dir = base.join(&config.spool.dir);
        for leases in &mut config.identity.leases {
            *leases = base.join(&*leases);
        }
        config.usage.countries = config.usage.countries.map(|c| base.join(c));
        if let Some(server) = &mut config.server {
            server.key_file = base.join(&server.key_file);
        }
        if let Some(ingest) = &mut config.ingest {
            ingest.rebase(base);
        }
        refuse_world_writable(&config.policy, "pack")?;
        if let Some(categories) = &config.categories {
            refuse_world_writable(categories, "category index")?;
        }
        if let Some(model) = &config.site_model {
            refuse_world_writable(model, "site model")?;
        }
        Ok(config)
    }

    /// The store's URL, with a relative SQLite path taken from the directory of the config
    /// file at `path`, as every other path in it is; refused when the SQLite file is one
    /// anyone else on the machine could change (see [`refuse_world_writable`]). A PostgreSQL
    /// server keeps its own files.
    pub fn store_url(&self, path: &Path) -> Result<String, ConfigError> {
        let url = &self.store.url;
        match url.strip_prefix("sqlite://") {
            Some(file) if !file.is_empty() && file != ":memory:" => {
                let file = path.parent().unwrap_or(Path::new(".")).join(file);
                refuse_world_writable(&file, "store")?;
                Ok(format!("sqlite://{}", file.display()))
            }
            _ => Ok(url.clone()),
        }
    }
}

/// Refuses `path` (a `what`) when anyone on the machine may change it: the file itself
/// world-writable, or its directory world-writable without the sticky bit (anyone could
/// put another file in its place). A path that does not exist is left to whoever opens it.
pub fn refuse_world_writable(path: &Path, what: &'static str) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt as _;
    const OTHERS_WRITE: u32 = 0o002;
    const STICKY: u32 = 0o1000;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.permissions().mode() & OTHERS_WRITE != 0 {
        return Err(ConfigError::WorldWritable {
            what,
            path: path.to_path_buf(),
        });
    }
    let parent = match path.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => return Ok(()),
    };
    if let Ok(dir) = std::fs::metadata(parent) {
        let mode = dir.permissions().mode();
        if mode & OTHERS_WRITE != 0 && mode & STICKY == 0 {
            return Err(ConfigError::WritableDirectory {
                what,
                dir: parent.to_path_buf(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_world_writable_file_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pack.toml");
        std::fs::write(&file, "").unwrap();
        chmod(&file, 0o666);
        let err = refuse_world_writable(&file, "pack")
            .unwrap_err()
            .to_string();
        assert!(err.contains("world-writable"), "{err}");
        assert!(
            err.contains(&format!("chmod o-w {}", file.display())),
            "{err}"
        );
        chmod(&file, 0o644);
        assert!(refuse_world_writable(&file, "pack").is_ok());
    }

    #[test]
    fn a_world_writable_directory_is_refused_unless_sticky() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("charter.db");
        std::fs::write(&file, "").unwrap();
        chmod(dir.path(), 0o777);
        let err = refuse_world_writable(&file, "store")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("chmod o-w {}", dir.path().display())),
            "{err}"
        );
        chmod(dir.path(), 0o1777);
        assert!(refuse_world_writable(&file, "store").is_ok());
        chmod(dir.path(), 0o700);
    }

    #[test]
    fn a_missing_path_is_left_to_whoever_opens_it() {
        assert!(
            refuse_world_writable(Path::new("/nonexistent/charter.toml"), "config file").is_ok()
        );
    }

    #[test]
    fn the_spool_defaults_next_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("charter.toml");
        std::fs::write(&cfg, "policy = \"p.toml\"\n").unwrap();
        let config = Config::load(&cfg).unwrap();
        assert_eq!(config.spool.dir, dir.path().join("spool"));
        assert_eq!(config.spool.drain_seconds, 30);
        std::fs::write(
            &cfg,
            "policy = \"p.toml\"\n[spool]\ndir = \"/var/spool/charter\"\ndrain_seconds = 5\n",
        )
        .unwrap();
        let config = Config::load(&cfg).unwrap();
        assert_eq!(config.spool.dir, Path::new("/var/spool/charter"));
        assert_eq!(config.spool.drain_seconds, 5);
    }
}
