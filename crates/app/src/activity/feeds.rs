//! What a site's charter.toml feeds the activity checks, for `charter policy lint --config`
//! (see [`charter_policy::feeds`]).

use charter_policy::feeds::Feeds;

use crate::config::Config;

/// The feeds `config` configures. Web requests always count as fed: Squid starts Charter's
/// helper itself, whether or not charter.toml names a web gateway.
pub fn feeds(config: &Config) -> Feeds {
    Feeds {
        sign_ins: false,
        devices: false,
        endpoint: false,
        web: true,
        mail: config.milter.is_some(),
    }
}
