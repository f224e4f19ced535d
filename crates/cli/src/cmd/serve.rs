//! `charter serve --config charter.toml`: the long-running gateways. The app assembles them
//! (`charter_app::serve`); this command parses, gives the app a runtime and the signals that
//! stop it, and maps the outcome to an exit code.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use tokio::signal::unix::{Signal, SignalKind, signal};

use charter_app::serve::Serve;

use crate::exit::{CmdResult, Outcome};

/// `charter serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE", default_value = "charter.toml")]
    config: PathBuf,
    /// Decide as if it were this time, for demonstrations; announced at start, since time
    /// windows then never move. A time without an offset is local time in the pack's zone, e.g.
    /// 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
}

/// Starts every configured gateway and runs until one fails or the process is stopped
/// (SIGTERM, SIGINT): then it stops accepting, writes what the spool holds to the store
/// (waiting at most `[spool] drain_seconds`) and exits 0.
pub fn run(args: ServeArgs) -> CmdResult {
    let serve = Serve::prepare(&args.config, args.at.as_deref())?.with_pages(charter_server::run);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        // Taken first, so that a signal during start-up is handled rather than fatal.
        let mut stop = Stop::new()?;
        serve.run(stop.signalled()).await?;
        Ok(Outcome::Success)
    })
}

/// SIGTERM (systemd, `kill`) and SIGINT (Ctrl-C).
struct Stop {
    term: Signal,
    int: Signal,
}

impl Stop {
    fn new() -> anyhow::Result<Stop> {
        Ok(Stop {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    async fn signalled(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
