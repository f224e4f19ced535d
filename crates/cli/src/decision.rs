//! What the commands that decide one event share (`check url|mail|software`, `squid-helper`,
//! `serve`, `demo`): loading a pack into an engine, giving it the site's mail domains,
//! reading `--at`, and printing a decision.

use std::path::Path;

use anyhow::Context as _;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use charter_app::domains::{MailDomains, Source};
use charter_engine::{Decision, Engine};
use charter_policy::Pack;
use charter_store::{Store, redact_url};

use charter_app::config::Config;

/// Loads a pack; any problem is unreadable input (exit 2).
pub fn load_pack(path: &Path) -> anyhow::Result<Pack> {
    charter_policy::load_file(path).with_context(|| format!("cannot use pack `{}`", path.display()))
}

/// Loads a pack for deciding.
pub fn load_engine(path: &Path) -> anyhow::Result<Engine> {
    Ok(Engine::new(load_pack(path)?))
}

/// Opens the store at `url` (from [`Config::store_url`]), naming it without its password
/// when it cannot be opened.
pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    Store::open(url)
        .await
        .with_context(|| format!("cannot open store `{}`", redact_url(url)))
}

/// `engine` with the mail domains of the site whose charter.toml is `config_path`, when its
/// pack names none: charter.toml's `domains`, else those of the email accounts in the people
/// register of the store it names. Says so on standard error, after `command:`, when there
/// are none.
pub fn with_site_domains(
    engine: &Engine,
    config_path: &Path,
    command: &str,
) -> anyhow::Result<Engine> {
    let config = Config::load(config_path)?;
    let domains = match MailDomains::named(engine, &config.domains) {
        Some(named) => named,
        None => {
            let url = config.store_url(config_path)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(async {
                let store = open_store(&url).await?;
                let found = MailDomains::find(engine, &config.domains, Some(&store)).await;
                store.close().await;
                anyhow::Ok(found)
            })?
        }
    };
    if domains.source == Source::Nowhere {
        eprintln!("{command}: {domains}");
    }
    Ok(domains.engine(engine))
}

/// Reads `--at` with the one time parser (`charter_app::time`): an instant, or a local time
/// in `tz`; now when not given.
pub fn parse_at(text: Option<&str>, tz: &TimeZone) -> anyhow::Result<Timestamp> {
    Ok(charter_app::time::time_or(text, tz, Timestamp::now())?)
}

/// Prints a decision as the DESIGN's JSON document, or as readable lines.
pub fn print_decision(decision: &Decision, subject: &str, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(decision)?);
        return Ok(());
    }
    let categories = decision
        .categories
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|c| {
            let names: Vec<&str> = c.iter().map(|c| c.as_str()).collect();
            format!(" ({})", names.join(", "))
        })
        .unwrap_or_default();
    println!("{}  {subject}{categories}", decision.verdict);
    for f in &decision.findings {
        println!(
            "  {} [{}, {}, {}]: {}",
            f.rule, f.check, f.severity, f.action, f.message
        );
        println!("    clause: {}", f.clause);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_reads_a_local_time_in_the_pack_zone() {
        let london = TimeZone::get("Europe/London").unwrap();
        let at = parse_at(Some("2026-06-15T10:00"), &london).unwrap();
        assert_eq!(at, "2026-06-15T09:00:00Z".parse().unwrap());
    }

    #[test]
    fn at_refuses_nonsense_naming_it() {
        let err = parse_at(Some("tomorrow"), &TimeZone::UTC).unwrap_err();
        assert!(err.to_string().starts_with("bad time `tomorrow`"), "{err}");
    }
}
