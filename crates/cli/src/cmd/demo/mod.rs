//! `charter demo`: Charter's main job on the embedded default. The dashboard on
//! `127.0.0.1:8080` over a SQLite file holding 30 days of generated activity at Demo
//! Training Ltd (25 people: web, mail, VPN, USB devices, alerts, a breach, a subject
//! request, a leaver), with a login per role; a second run reuses the file. `--once`
//! decides one day of demo traffic, stores its records and exits.

mod dashboard;
mod day;
mod org;
mod traffic;

use anyhow::Context as _;
use clap::Args;

use crate::exit::CmdResult;

/// The demo pack, as shipped in `policies/demo.toml`.
pub(crate) const DEMO_PACK: &str = include_str!("../../../../../policies/demo.toml");

/// `charter demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The store: a SQLite file (created and filled when missing, reused after) or a
    /// PostgreSQL URL.
    #[arg(long, value_name = "URL", default_value = "sqlite://charter-demo.db")]
    store: String,
    /// Where the dashboard listens (`127.0.0.1:0` takes a free port).
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Decide one working day of demo web and mail traffic, store the records, print what
    /// was decided and exit, instead of serving the dashboard.
    #[arg(long)]
    once: bool,
    /// With `--once`: every decision as JSON lines instead of a table.
    #[arg(long, requires = "once")]
    json: bool,
}

/// The demo pack, parsed as if read from `file`.
pub(crate) fn demo_pack_from(file: &str) -> anyhow::Result<charter_policy::Pack> {
    charter_policy::parse(DEMO_PACK, file).context("the embedded demo pack does not load")
}

/// The demo pack.
pub(crate) fn demo_pack() -> anyhow::Result<charter_policy::Pack> {
    demo_pack_from("policies/demo.toml")
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> CmdResult {
    if args.once {
        day::run(args)
    } else {
        dashboard::run(args)
    }
}
