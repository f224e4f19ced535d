//! What the register and workflow commands share: `--config`, `--json` and `--by`, opening
//! the app (pack, engine, store) named in the config, finding people by id, name or email,
//! reading times in the pack's zone, and printing.

use std::future::Future;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use charter_app::App;
use charter_app::config::Config;
use charter_store::{Actor, Person, PersonStatus};

use crate::decision::{load_pack, open_store};
use crate::exit::{CmdResult, Outcome};

/// Options every register and workflow command takes.
#[derive(Debug, Clone, Args)]
pub struct AppArgs {
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
    /// Who is doing this: their id, full name or email address in the people register. The
    /// pack's [governance] names the roles each action needs. Without it the change is made
    /// as the operator at the console, who may keep the registers but not approve or decide.
    #[arg(long, value_name = "PERSON", global = true)]
    pub by: Option<String>,
}

/// An open app and how to print.
#[derive(Debug)]
pub struct Ctx {
    /// The app.
    pub app: App,
    /// `--json`.
    pub json: bool,
    /// Who is acting.
    pub actor: Actor,
}

impl Ctx {
    /// The person `query` names (an id, a full name or an account name).
    pub async fn person(&self, query: &str) -> anyhow::Result<Person> {
        Ok(self.app.find_person(query).await?)
    }

    /// The id of the person `query` names.
    pub async fn person_id(&self, query: &str) -> anyhow::Result<i64> {
        Ok(self.person(query).await?.id)
    }

    /// An instant a person typed, read in the pack's zone; now when not given.
    pub fn time(&self, text: Option<&str>) -> anyhow::Result<jiff::Timestamp> {
        Ok(charter_app::time::time_or(
            text,
            self.app.time_zone(),
            jiff::Timestamp::now(),
        )?)
    }

    /// A day a person typed, read in the pack's zone; today there when not given.
    pub fn day(&self, text: Option<&str>) -> anyhow::Result<jiff::civil::Date> {
        Ok(charter_app::time::day_or(
            text,
            self.app.time_zone(),
            jiff::Timestamp::now(),
        )?)
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

/// Runs `f` against the app named in `--config` on a small runtime, and closes the store.
pub fn run<F, Fut>(args: &AppArgs, f: F) -> CmdResult
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = anyhow::Result<Ctx>>,
{
    let config = Config::load(&args.config)?;
    let pack = load_pack(&config.policy)?;
    let url = config.store_url(&args.config)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let app = App::new(pack, open_store(&url).await?);
        // `--by` must name someone in the register who is still here: the audit chain records
        // who did what, and a made-up id would make that record a lie.
        let actor = match &args.by {
            Some(q) => {
                let p = app
                    .find_person(q)
                    .await
                    .map_err(|e| anyhow::anyhow!("--by {q}: {e}"))?;
                if p.status != PersonStatus::Active {
                    anyhow::bail!("--by {q}: {} is {}", p.label(), p.status);
                }
                Actor::Person(p.id)
            }
            None => Actor::System(format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            )),
        };
        let ctx = Ctx {
            app,
            json: args.json,
            actor,
        };
        let ctx = f(ctx).await?;
        ctx.app.store().close().await;
        Ok(Outcome::Success)
    })
}
