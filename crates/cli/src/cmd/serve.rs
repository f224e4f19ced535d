//! `charter serve --config charter.toml`: the long-running gateways. Each gateway whose
//! section is in the config file is started by its own small block below; a missing section
//! means that gateway is off.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;

use charter_engine::web::{Builtin, CategorySource};
use charter_gateways::web::Roles;

use crate::cmd::serve_store;
use crate::cmd::squid_helper::clock_from;
use crate::config::Config;
use crate::decision::load_engine;
use crate::exit::{CmdResult, Outcome};

/// `charter serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE", default_value = "charter.toml")]
    config: PathBuf,
    /// Decide as if it were this time (RFC 3339, or local time in the pack's zone), for
    /// tests and demonstrations. The environment variable CHARTER_NOW does the same.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
}

/// Starts every configured gateway and runs until one fails or the process is stopped.
pub fn run(args: ServeArgs) -> CmdResult {
    let config = Config::load(&args.config)?;
    if config.icap.is_none() && config.milter.is_none() && config.policy_service.is_none() {
        anyhow::bail!(
            "nothing to serve: `{}` has no gateway section such as [icap] or [milter]",
            args.config.display()
        );
    }
    let engine = Arc::new(load_engine(&config.policy)?);
    let clock = clock_from(args.at.as_deref(), engine.pack().windows.time_zone())?;
    let source: Arc<dyn CategorySource + Send + Sync> = match &config.categories {
        Some(path) => Arc::from(
            charter_engine::web::open_categories(path)
                .with_context(|| format!("cannot open categories `{}`", path.display()))?,
        ),
        None => Arc::new(Builtin::new()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        let store = serve_store::open(&args.config, &config).await?;
        let recorder = serve_store::start(&store, engine.pack(), &mut tasks);
        let register = serve_store::read_register(&store).await?;

        // ICAP REQMOD for Squid (docs/squid.md).
        if let Some(icap) = &config.icap {
            // The people register, with a `user_roles` file (for proxy logins the register
            // does not know) taking precedence.
            let mut roles = register.roles.clone();
            if let Some(path) = &icap.user_roles {
                roles.extend(Roles::parse(&std::fs::read_to_string(path).with_context(
                    || format!("cannot read user roles `{}`", path.display()),
                )?));
            }
            let server = Arc::new(
                icap.build(Arc::clone(&engine), Arc::clone(&source), clock, roles)?
                    .with_recorder(recorder.clone()),
            );
            let listener = server
                .bind()
                .await
                .with_context(|| format!("cannot listen on `{}` for ICAP", server.listen_addr()))?;
            eprintln!(
                "charter serve: listen={} istag={}: ICAP server started.",
                server.listen_addr(),
                server.istag()
            );
            tasks.spawn(async move { server.serve(listener).await.context("ICAP server failed") });
        }

        // Milter and Postfix policy service (docs/postfix.md).
        crate::cmd::mail::spawn_mail_gateways(
            &config, &engine, clock, &recorder, &register, &mut tasks,
        )
        .await?;

        while let Some(done) = tasks.join_next().await {
            done.context("a gateway stopped")??;
        }
        Ok(Outcome::Success)
    })
}
