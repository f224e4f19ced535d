//! `charter.toml`: what `serve`, `ingest`, `report` and the store commands run with.
//!
//! ```toml
//! policy = "policies/demo.toml"        # the pack
//! categories = "categories.idx"        # optional: index from `charter categories build`
//!
//! [store]
//! url = "sqlite://charter.db"          # or postgres://user@host/db
//! ```
//! Each gateway adds its own optional section (`[icap]`, `[milter]`, ...), defined by its
//! config struct in `charter-gateways`; a missing section means that gateway is off.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The policy pack, relative to the config file.
    pub policy: PathBuf,
    /// A category index or squidGuard directory, relative to the config file.
    pub categories: Option<PathBuf>,
    /// Where records and registers live.
    #[serde(default)]
    pub store: StoreConfig,
    /// `[icap]`: the ICAP REQMOD server for Squid; absent means off.
    pub icap: Option<charter_gateways::icap::IcapConfig>,
    /// `[milter]`: the content milter for Postfix; absent means off.
    pub milter: Option<charter_gateways::milter::MilterConfig>,
    /// `[policy_service]`: the Postfix policy delegation service; absent means off.
    pub policy_service: Option<charter_gateways::policy_service::PolicyServiceConfig>,
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

impl Config {
    /// Reads `path`; relative paths inside are taken from the file's directory.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config `{}`", path.display()))?;
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            anyhow::anyhow!(
                "bad config `{}` line {line}: {}",
                path.display(),
                e.message().trim()
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.policy = base.join(&config.policy);
        config.categories = config.categories.map(|c| base.join(c));
        Ok(config)
    }
}
