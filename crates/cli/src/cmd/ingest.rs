//! `charter ingest squid|syslog|usbguard|events FILE... [--follow]`: log files into monitoring
//! records (`charter_app::ingest`); this command parses the arguments, opens the app named in
//! `--config`, runs, and prints the counts.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use charter_app::App;
use charter_app::config::Config;
use charter_app::gateway::load_pack_for_gateway;
use charter_app::ingest::{self, Decider, FileReport, Format, LineParser, Options, ZoneClock};
use charter_app::monitor::Monitor;
use charter_engine::web::{Builtin, CategorySource};
use charter_gateways::web::{Clock, Roles, WebDecider};

use crate::decision::open_store;
use crate::exit::{CmdResult, Outcome};

/// The format of the files.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Squid's access.log: native, common, combined or Charter's `logformat charter`.
    Squid,
    /// Syslog lines (RFC 3164, RFC 5424, rsyslog files): OpenVPN, strongSwan, sshd, Dovecot,
    /// Postfix SASL sign-ins and usbguard.
    Syslog,
    /// usbguard's audit file (`AuditFilePath`).
    Usbguard,
    /// JSON lines: device, software, file_location, network, login (docs/ingest.md).
    Events,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Squid => Format::Squid,
            FormatArg::Syslog => Format::Syslog,
            FormatArg::Usbguard => Format::Usbguard,
            FormatArg::Events => Format::Events,
        }
    }
}

/// `charter ingest`
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The format of the files.
    format: FormatArg,
    /// The log files, each read from where the last run stopped.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Keep reading as the files grow, across rotation, until SIGINT or SIGTERM.
    #[arg(long)]
    follow: bool,
    /// The computer a usbguard audit file comes from (default: this machine's name).
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// Parse and decide only: write no records and keep no positions (for measuring).
    #[arg(long)]
    decide_only: bool,
    /// The configuration file (`policy`, `categories`, `[store] url`).
    #[arg(long, value_name = "FILE", default_value = "charter.toml")]
    config: PathBuf,
    /// Print one JSON document with the counts.
    #[arg(long)]
    json: bool,
}

/// Runs `charter ingest`.
pub fn run(args: &IngestArgs) -> CmdResult {
    let config = Config::load(&args.config)?;
    let url = config.store_url(&args.config)?;
    let pack = load_pack_for_gateway(&config.policy)?;
    let source: Box<dyn CategorySource + Send + Sync> = match &config.categories {
        Some(path) => charter_engine::web::open_categories(path)
            .with_context(|| format!("cannot use categories `{}`", path.display()))?,
        None => Box::new(Builtin::new()),
    };
    let overrides = match config.icap.as_ref().and_then(|i| i.user_roles.as_ref()) {
        Some(path) => Roles::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read user roles `{}`", path.display()))?,
        ),
        None => Roles::default(),
    };
    for file in &args.files {
        std::fs::File::open(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    }
    let host = args.host.clone().unwrap_or_else(ingest::this_host);
    let stop = Arc::new(AtomicBool::new(false));
    // Two threads: one reads and decides while the other drives the store's writes.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reports = rt.block_on(async {
        let app = App::new(pack, open_store(&url).await?);
        let mut facts = app.event_facts().await?;
        facts.roles.extend(overrides);
        let web = WebDecider::new(app.engine(), source.as_ref(), Clock::System, &facts.roles);
        let decider = Decider::new(app.engine(), web, &facts);
        // Measuring (--decide-only) writes nothing, sessions included: the registers read
        // once decide every event.
        let mut decider = if args.decide_only {
            decider
        } else {
            decider.with_store(&app)
        };
        let clock = ZoneClock::new(app.time_zone().clone(), jiff::Timestamp::now());
        let mut parser = LineParser::new(args.format.into(), clock, &host);
        // Records written go through the monitor as serve's do: alerts, personal use, and
        // first-seen places of VPN sign-ins.
        let monitor = if args.decide_only {
            None
        } else {
            let (monitor, warnings) = Monitor::from_config(Arc::clone(app.engine()), &config)
                .with_context(|| "cannot read the `[usage] countries` table")?;
            for w in warnings {
                eprintln!("charter ingest: warning={w}: Country table line skipped.");
            }
            Some(Arc::new(monitor))
        };
        let options = Options {
            follow: args.follow,
            store: !args.decide_only,
            progress: true,
            stop: Arc::clone(&stop),
            monitor,
        };
        if args.follow {
            tokio::spawn(stop_on_signal(Arc::clone(&stop)));
        }
        let reports = ingest::ingest_files(
            &app,
            args.format.into(),
            &args.files,
            &mut decider,
            &mut parser,
            &options,
        )
        .await?;
        anyhow::Ok(reports)
    })?;
    print(&reports, args.json)?;
    Ok(Outcome::Success)
}

/// Sets `stop` at SIGINT or SIGTERM.
async fn stop_on_signal(stop: Arc<AtomicBool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    stop.store(true, Ordering::Relaxed);
}

fn print(reports: &[FileReport], json: bool) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "files": reports }))?
        );
        return Ok(());
    }
    for r in reports {
        println!(
            "{}: lines={} events={} records={} flagged={} unparseable={} ({})",
            r.path.display(),
            r.lines,
            r.events,
            r.records,
            r.flagged,
            r.bad,
            r.resumed
        );
        for b in &r.bad_lines {
            println!("  line {}: {}", b.line, b.reason);
        }
        if r.bad as usize > r.bad_lines.len() {
            println!(
                "  ... and {} more unparseable lines",
                r.bad as usize - r.bad_lines.len()
            );
        }
        if r.partial_last_line {
            println!("  the last line has no newline yet; it is read at the next run");
        }
    }
    Ok(())
}
