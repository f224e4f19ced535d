//! What the store commands share: `--config` and `--json`, opening the store named in the
//! config, loading the pack when a command needs its governance settings, and printing.

use std::future::Future;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use charter_policy::Pack;
use charter_store::{Actor, Store, redact_url};

use crate::exit::{CmdResult, Outcome};
use charter_app::config::{Config, refuse_exposed_store, store_url};

/// Options every store command takes.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The configuration file (`policy`, `[store] url`).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "charter.toml",
        global = true
    )]
    pub config: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The person doing this (their id in the people register); approvals and ticks need
    /// one with the right role. Without it the change is recorded as made by the CLI.
    #[arg(long, value_name = "PERSON", global = true)]
    pub by: Option<i64>,
}

/// An open store and the config it came from.
#[derive(Debug)]
pub struct Ctx {
    /// The store.
    pub store: Store,
    /// The config.
    pub config: Config,
    /// `--json`.
    pub json: bool,
    /// `--by`.
    pub by: Option<i64>,
}

impl Ctx {
    /// Who is acting.
    pub fn actor(&self) -> Actor {
        match self.by {
            Some(id) => Actor::Person(id),
            None => Actor::System(format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            )),
        }
    }

    /// The pack named in the config.
    pub fn pack(&self) -> anyhow::Result<Pack> {
        charter_policy::load_file(&self.config.policy)
            .with_context(|| format!("cannot use pack `{}`", self.config.policy.display()))
    }

    /// Prints `value` as JSON with `--json`, else the text `human` makes.
    pub fn emit<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            let text = human(value);
            if !text.is_empty() {
                println!("{}", text.trim_end());
            }
        }
        Ok(())
    }
}

/// Runs `f` against the store named in `--config` on a small runtime, and closes the store.
pub fn run<F, Fut>(args: &StoreArgs, f: F) -> CmdResult
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = anyhow::Result<Ctx>>,
{
    let config = Config::load(&args.config)?;
    let url = store_url(&args.config, &config.store.url);
    refuse_exposed_store(&url)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let store = Store::open(&url)
            .await
            .with_context(|| format!("cannot open store `{}`", redact_url(&url)))?;
        // `--by` must name someone in the register who is still here: the audit chain records
        // who did what, and a made-up id would make that record a lie.
        if let Some(id) = args.by {
            let p = store
                .person(id)
                .await
                .map_err(|e| anyhow::anyhow!("--by {id}: {e}"))?;
            if p.status != charter_store::PersonStatus::Active {
                anyhow::bail!("--by {id}: person {id} is {}", p.status);
            }
        }
        let ctx = Ctx {
            store,
            config,
            json: args.json,
            by: args.by,
        };
        let ctx = f(ctx).await?;
        ctx.store.close().await;
        Ok(Outcome::Success)
    })
}

impl Ctx {
    /// Parses an instant a person typed: RFC 3339, or a local time read in the pack's zone
    /// (the one time parser, `charter_app::time`).
    pub fn instant(&self, text: &str) -> anyhow::Result<jiff::Timestamp> {
        let pack = self.pack()?;
        Ok(charter_app::time::parse_time(
            text,
            pack.windows.time_zone(),
        )?)
    }
}
