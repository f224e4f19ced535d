//! `charter squid-helper`: the Squid external_acl (primary) or url_rewrite helper, on stdin
//! and stdout. Squid starts it; see docs/squid.md for the configuration to copy.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use charter_app::gateway::{announce_fixed_clock, clock_from, load_pack_for_gateway};
use charter_app::serve::HelperRun;
use charter_engine::Engine;
use charter_gateways::identity::Identities;
use charter_gateways::squid_helper::{HelperConfig, SquidHelper, serve_unavailable};
use charter_gateways::web::{Roles, WebDecider};
use charter_proto::squid::{MAX_LINE_LEN, Mode};

use crate::exit::{CmdResult, Outcome};

/// Which helper interface to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HelperMode {
    /// `external_acl_type ... %>ru %un %>a`: OK allows, ERR refuses with `message=`.
    ExternalAcl,
    /// `url_rewrite_program`: refused requests are redirected to `--block-url`.
    UrlRewrite,
}

/// `charter squid-helper`
#[derive(Debug, Args)]
pub struct SquidHelperArgs {
    /// The policy pack to decide by.
    #[arg(long, value_name = "PACK")]
    policy: PathBuf,
    /// A category index from `charter categories build` (fast start), or a squidGuard/UT1
    /// directory (compiled at start).
    #[arg(long, value_name = "DIR|INDEX")]
    categories: PathBuf,
    /// A model from `charter categories train`, for `unclassified_site` rules: a host in no
    /// list is scored by it.
    #[arg(long, value_name = "MODEL")]
    site_model: Option<PathBuf>,
    /// The helper interface.
    #[arg(long, value_enum, default_value = "external-acl")]
    mode: HelperMode,
    /// Decide as if it were this time, for tests and demonstrations. Time windows then never
    /// move; the helper says so on stderr at start. A time without an offset is local time in the
    /// pack's zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Users' roles: a file of `user role,role` lines. With --config it wins over the
    /// people register where both name a user.
    #[arg(long, value_name = "FILE")]
    user_roles: Option<PathBuf>,
    /// charter.toml: take roles and devices from the people register (refreshed every
    /// minute), map client addresses through `[identity] leases`, and record every decision
    /// in the store through a spool slot of this process's own under `[spool] dir`. With
    /// `[server]`, a warn or hold without a pass is answered ERR with the signed page token
    /// (docs/squid.md's `deny_info` sends the person to the page); the passes in force are
    /// read from its store every second.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// url_rewrite: the block page to redirect to; {rule}, {clause}, {category} and {url}
    /// are replaced (URL-encoded).
    #[arg(long, value_name = "URL")]
    block_url: Option<String>,
    /// Answers carry `ttl=SECONDS` when a time window edge is closer than this.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    ttl_cap: u64,
    /// When the pack or the categories cannot be loaded, answer OK (allow everything)
    /// instead of BH (which the documented squid.conf turns into a refusal). Either way the
    /// helper keeps answering until Squid closes it, then exits with status 2.
    #[arg(long)]
    fail_open: bool,
    /// Deciding threads. 1 (the default) answers each read at once, best for Squid's
    /// lockstep use; more spread bulk input over cores, and replies to lines with a
    /// channel-ID may then come back out of order (Squid matches them by channel-ID).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// The longest request line accepted; longer lines get `BH`.
    #[arg(long, value_name = "BYTES", default_value_t = MAX_LINE_LEN)]
    max_line: usize,
}

/// Runs the helper until Squid closes stdin. When it cannot decide (a pack lint rejects, an
/// index that cannot be opened) it says why at once, where Squid's cache.log shows it,
/// answers every line `BH` (or `OK` with `--fail-open`) so that Squid keeps the helper rather
/// than giving up on helpers that die at start, and exits 2 when stdin closes.
pub fn run(args: SquidHelperArgs) -> CmdResult {
    let mode = match args.mode {
        HelperMode::ExternalAcl => Mode::ExternalAcl,
        HelperMode::UrlRewrite => Mode::UrlRewrite,
    };
    let fail_open = args.fail_open;
    match serve(args, mode) {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            eprintln!("charter squid-helper: error: {e:#}");
            let reason = format!("{e:#}");
            serve_unavailable(
                mode,
                &reason,
                fail_open,
                std::io::stdin().lock(),
                std::io::stdout().lock(),
            )
            .context("helper I/O failed")?;
            Ok(Outcome::Reported)
        }
    }
}

fn serve(args: SquidHelperArgs, mode: Mode) -> CmdResult {
    let engine = Arc::new(Engine::new(load_pack_for_gateway(&args.policy)?));
    let clock = clock_from(args.at.as_deref(), engine.pack().windows.time_zone())?;
    announce_fixed_clock("charter squid-helper", &clock);
    let source =
        crate::cmd::check::open_categories(Some(&args.categories), args.site_model.as_deref())?;
    let roles = match &args.user_roles {
        Some(path) => Roles::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read user roles `{}`", path.display()))?,
        ),
        None => Roles::default(),
    };
    let (run, parts) = match &args.config {
        Some(path) => {
            let (run, parts) = HelperRun::start(path, Arc::clone(&engine), roles.clone())
                .with_context(|| format!("cannot use config `{}`", path.display()))?;
            (Some(run), Some(parts))
        }
        None => (None, None),
    };
    let (roles, identities, journal) = match parts {
        Some(p) => (p.roles, p.identities, p.journal),
        None => (roles, Identities::default(), None),
    };
    let mut config = HelperConfig {
        mode,
        max_line: args.max_line,
        ttl_cap_secs: args.ttl_cap,
        ..HelperConfig::default()
    };
    if let Some(url) = args.block_url {
        config.block_url = url;
    }
    let helper_pages = args
        .config
        .as_deref()
        .map(|path| super::squid_pages::start(path, clock))
        .transpose()?;
    let mut decider =
        WebDecider::new(&engine, source.as_ref(), clock, &roles).with_identities(&identities);
    if let Some(hp) = &helper_pages {
        decider = decider.with_passes(&hp.passes);
        if let Some(pages) = &hp.pages {
            decider = decider.with_pages(pages);
        }
    }
    let mut helper = SquidHelper::new(decider, config);
    if let Some(journal) = journal {
        helper = helper.with_journal(journal);
    }
    let stats = if args.threads > 1 {
        helper.run_parallel(args.threads, std::io::stdin().lock(), std::io::stdout())
    } else {
        helper.run(std::io::stdin().lock(), std::io::stdout().lock())
    }
    .context("helper I/O failed")?;
    drop(helper);
    if let Some(run) = run {
        run.finish();
    }
    eprintln!(
        "charter squid-helper: answered={} refused={} broken={}: Stdin closed, exiting.",
        stats.answered, stats.refused, stats.broken
    );
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        args: SquidHelperArgs,
    }

    #[test]
    fn flags() {
        let w = Wrap::try_parse_from([
            "x",
            "--policy",
            "p.toml",
            "--categories",
            "c.idx",
            "--mode",
            "url-rewrite",
            "--at",
            "2026-06-15T10:00",
            "--block-url",
            "http://b/?r={rule}",
            "--ttl-cap",
            "30",
        ])
        .unwrap();
        assert_eq!(w.args.mode, HelperMode::UrlRewrite);
        assert_eq!(w.args.ttl_cap, 30);
        assert_eq!(w.args.at.as_deref(), Some("2026-06-15T10:00"));
    }

    #[test]
    fn mode_defaults_to_external_acl() {
        let w = Wrap::try_parse_from(["x", "--policy", "p", "--categories", "c"]).unwrap();
        assert_eq!(w.args.mode, HelperMode::ExternalAcl);
    }
}
