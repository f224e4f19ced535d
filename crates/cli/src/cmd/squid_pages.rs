//! The Squid helper's part in warn and hold (`squid-helper --config charter.toml`): the
//! page key and address from `[server]`, and the passes in force read from the store every
//! second on a thread of their own, so that a Continue on the pages or an approval at the
//! console opens the site within about a second.

use std::path::Path;

use anyhow::Context as _;

use charter_app::config::Config;
use charter_gateways::pass::{PageKey, Pages, Passes};
use charter_gateways::web::Clock;

/// What the helper needs for the pages: `None` for the pages when `[server]` is absent (the
/// passes are read all the same).
#[derive(Debug)]
pub struct HelperPages {
    /// Where a warn or hold without a pass sends the person.
    pub pages: Option<Pages>,
    /// The passes in force, kept up to date.
    pub passes: Passes,
}

/// Reads `config` and starts the passes' refresh thread.
pub fn start(config: &Path, clock: Clock) -> anyhow::Result<HelperPages> {
    let loaded = Config::load(config)?;
    let url = loaded.store_url(config)?;
    let pages = match &loaded.server {
        Some(server) => {
            let key = PageKey::load(&server.key_file).with_context(|| {
                format!(
                    "cannot read the page key `{}` (charter serve creates it; the user Squid runs helpers as must be able to read it)",
                    server.key_file.display()
                )
            })?;
            Some(Pages::new(key, &server.public_url))
        }
        None => None,
    };
    let passes = Passes::default();
    charter_app::passes::spawn_refresh_thread(url, passes.clone(), clock, "charter squid-helper")
        .context("cannot start the thread that reads passes")?;
    Ok(HelperPages { pages, passes })
}
