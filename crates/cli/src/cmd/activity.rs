//! `charter check software NAME`: the `unauthorised_software` check fed by the software
//! register's approved list.

use clap::Args;

use charter_engine::Context;
use charter_engine::activity::Activity;

use crate::cmd::appctx::{self, AppArgs};
use crate::decision::print_decision;
use crate::exit::CmdResult;

/// `charter check software`
#[derive(Debug, Args)]
pub struct SoftwareArgs {
    /// The software's name as installed (matched against the approved list, any case).
    name: String,
    /// The person installing it.
    #[arg(long, value_name = "U")]
    user: Option<String>,
    /// Their roles, comma-separated.
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    roles: Vec<String>,
    /// When it is installed (default now). A time without an offset is local time in the pack's
    /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// Decides an installation of `args.name` by the pack and the store named in `--config`.
pub fn check_software(args: &SoftwareArgs) -> CmdResult {
    let json = args.app.json;
    appctx::run(&args.app, |cx| async move {
        let at = cx.time(args.at.as_deref())?;
        let approved = cx.app.approved_software().await?;
        let ctx = Context::new(args.user.clone(), args.roles.clone(), at);
        let event = Activity::Software {
            name: &args.name,
            approved: &approved,
        };
        let decision = cx.app.engine().decide_activity(&ctx, &event);
        print_decision(&decision, &args.name, json)?;
        Ok(cx)
    })
}
