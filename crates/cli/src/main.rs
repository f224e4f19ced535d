//! `charter`: the command line over Charter's crates. `main` parses, dispatches and maps the
//! outcome to an exit code; each command lives in its own module under `cmd/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod decision;
mod exit;

// Ingest and the gateways allocate a few small strings per request; mimalloc measured
// faster than glibc's allocator on that pattern (bench/monitoring/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Charter turns a written IT policy into controls that are enforced, monitored and audited.
#[derive(Debug, Parser)]
#[command(name = "charter", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run Charter's main job on the embedded default: the dashboard on 127.0.0.1:8080 over a
    /// SQLite file with 30 days of demo activity, and a login per role.
    #[command(
        after_help = r#"The first run fills the store (30 days of web, mail, VPN and USB activity at Demo
Training Ltd, 25 people, alerts, a breach, a subject request, a leaver) and prints a
login per role with its password and TOTP secret (kept 0600 beside the store); later
runs reuse both. Sign in, then give the six-digit code an authenticator app (or
`oathtool --totp -b SECRET`) shows for the secret.

`charter demo --once` decides one day of demo traffic, stores and prints it, and serves
nothing.

Example:
  charter demo
  charter demo --listen 127.0.0.1:9090 --store sqlite:///tmp/demo.db
  charter demo --once"#
    )]
    Demo(cmd::demo::DemoArgs),
    /// Policy packs: lint them, show them.
    #[command(subcommand)]
    Policy(cmd::policy::PolicyCommand),
    /// Ask what the policy decides about one URL or one message.
    #[command(subcommand)]
    Check(cmd::check::CheckCommand),
    /// Category lists: build an index from squidGuard/UT1 lists, look up a host.
    #[command(subcommand)]
    Categories(cmd::categories::CategoriesCommand),
    /// The Squid external_acl or url_rewrite helper (Squid starts it; see docs/squid.md).
    #[command(after_help = r#"Example:
  charter squid-helper --policy /etc/charter/policy.toml --categories /var/lib/charter/categories.idx
  charter squid-helper --policy /etc/charter/policy.toml --categories /var/lib/charter/categories.idx --config /etc/charter/helper.toml

In squid.conf (docs/squid.md):
  external_acl_type charter cache=0 children-max=4 children-startup=1 concurrency=100 %>ru %un %>a /usr/bin/charter squid-helper --policy /etc/charter/policy.toml --categories /var/lib/charter/categories.idx"#)]
    SquidHelper(cmd::squid_helper::SquidHelperArgs),
    /// Run the configured gateways (ICAP, milter, Postfix policy service, ...) from
    /// charter.toml.
    #[command(after_help = r#"Example:
  charter serve --config /etc/charter/charter.toml"#)]
    Serve(cmd::serve::ServeArgs),
    /// The people register: add, list, show, update, make email addresses.
    People(cmd::register::PeopleCmd),
    /// Accounts people hold (logins, VPN): add, disable.
    Accounts(cmd::register::AccountsCmd),
    /// The device register and removable-media authorisations.
    Devices(cmd::register::DevicesCmd),
    /// Software requests and the approved list.
    Software(cmd::register::SoftwareCmd),
    /// Requests for access to sites a hold rule holds, and warnings continued past.
    Approvals(cmd::approvals::ApprovalsCmd),
    /// Official social media accounts: owner, custodian, two-factor, handover.
    Social(cmd::register::SocialCmd),
    /// Policy versions and acknowledgements: publish, sign, who is due.
    Acks(cmd::register::AcksCmd),
    /// Incidents: spam or scam, security concern, lost device, safeguarding.
    Incident(cmd::cases::IncidentCmd),
    /// The data breach log and its 72-hour clock.
    Breach(cmd::cases::BreachCmd),
    /// Data subject requests and their one-month clock.
    Request(cmd::cases::RequestCmd),
    /// Leaver checklists.
    Leaver(cmd::cases::LeaverCmd),
    /// Monitoring records: list (audited), import, purge by the retention period.
    Records(cmd::records::RecordsCmd),
    /// Read log files into monitoring records: Squid access.log, syslog sign-ins, usbguard's
    /// audit file, JSON event lines. Each file is read from where the last run stopped.
    #[command(after_help = r#"Example:
  charter ingest squid /var/log/squid/access.log --config /etc/charter/charter.toml
  charter ingest syslog /var/log/auth.log /var/log/openvpn.log --follow --config charter.toml
  charter ingest usbguard /var/log/usbguard/usbguard-audit.log --host laptop-7
  charter ingest events inventory.jsonl

Unparseable lines are reported with their line numbers and skipped (exit 0); an unreadable
file is exit 2. docs/ingest.md describes each format and what it can tell."#)]
    Ingest(cmd::ingest::IngestArgs),
    /// The audit chain: verify, list.
    Audit(cmd::audit::AuditCmd),
    /// Subject access export and erasure.
    Dsar(cmd::dsar::DsarCmd),
    /// Alerts: list, show, confirm, dismiss, refer (a disciplinary incident); the digest.
    Alerts(cmd::alerts::AlertsCmd),
    /// Dashboard logins: add, reset (unlock), disable, list.
    Users(cmd::users::UsersCmd),
    /// The monthly compliance report and Cyber Essentials readiness check, as HTML or PDF.
    #[command(
        after_help = r#"Who may: the operator at the console, or a person (--by) holding a register,
data protection or compliance role. Making a report is audited.

Every figure names the records it counts; charts are by category, team or month, and teams
of fewer than five people are merged into "other teams". docs/reports.md explains each
section and the readiness check.

Example:
  charter report --month 2026-11 --format pdf -o board-2026-11.pdf --config charter.toml
  charter report --month 2026-11 --format html -o - --config charter.toml"#
    )]
    Report(cmd::report::ReportArgs),
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so `charter ... | head` would panic on the next print; a command
    // line tool should end quietly instead, as `cat` does.
    sigpipe::reset();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors exit 2 as clap does.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Demo(args) => cmd::demo::run(&args),
        Command::Policy(c) => c.run(),
        Command::Check(c) => c.run(),
        Command::Categories(c) => c.run(),
        Command::SquidHelper(args) => cmd::squid_helper::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::People(c) => c.run(),
        Command::Accounts(c) => c.run(),
        Command::Devices(c) => c.run(),
        Command::Software(c) => c.run(),
        Command::Approvals(c) => c.run(),
        Command::Social(c) => c.run(),
        Command::Acks(c) => c.run(),
        Command::Incident(c) => c.run(),
        Command::Breach(c) => c.run(),
        Command::Request(c) => c.run(),
        Command::Leaver(c) => c.run(),
        Command::Records(c) => c.run(),
        Command::Ingest(args) => cmd::ingest::run(&args),
        Command::Audit(c) => c.run(),
        Command::Dsar(c) => c.run(),
        Command::Alerts(c) => c.run(),
        Command::Users(c) => c.run(),
        Command::Report(args) => cmd::report::run(args),
    };
    exit::finish(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command without subcommands, with its path (`people add`).
    fn leaves(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() {
            out.push((path.trim().to_string(), cmd.clone()));
        }
        for sub in subs {
            leaves(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    fn all_leaves() -> Vec<(String, clap::Command)> {
        let mut cli = Cli::command();
        cli.build();
        let mut out = Vec::new();
        leaves(&cli, "", &mut out);
        out
    }

    fn long_help(cmd: &clap::Command) -> String {
        cmd.clone().render_long_help().to_string()
    }

    #[test]
    fn every_leaf_command_has_an_example() {
        let leaves = all_leaves();
        assert!(leaves.len() > 60, "{} leaves", leaves.len());
        let missing: Vec<&str> = leaves
            .iter()
            .filter(|(_, cmd)| !long_help(cmd).contains("Example:\n  charter "))
            .map(|(path, _)| path.as_str())
            .collect();
        assert!(missing.is_empty(), "no example in --help: {missing:#?}");
    }

    /// Splits a shell command line the way the examples write them: words, and `"..."` or
    /// `'...'` quoted words.
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quote = None;
        let mut in_word = false;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => word.push(c),
                (None, '"' | '\'') => {
                    quote = Some(c);
                    in_word = true;
                }
                (None, ' ') => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                (None, c) => {
                    word.push(c);
                    in_word = true;
                }
            }
        }
        if in_word {
            words.push(word);
        }
        words
    }

    #[test]
    fn every_example_parses() {
        let mut bad = Vec::new();
        for (path, cmd) in all_leaves() {
            let help = long_help(&cmd);
            let examples = help
                .split("Example:\n")
                .skip(1)
                .filter_map(|after| after.lines().next())
                .filter_map(|line| line.strip_prefix("  "));
            for example in examples {
                let words = shell_words(example);
                if let Err(e) = Cli::try_parse_from(&words) {
                    bad.push(format!("{path}: `{example}`: {}", e.kind()));
                }
            }
        }
        assert!(bad.is_empty(), "examples that do not parse: {bad:#?}");
    }

    #[test]
    fn shell_words_keep_quoted_text_together() {
        assert_eq!(
            shell_words(r#"charter people show "Pat Jones" --json"#),
            ["charter", "people", "show", "Pat Jones", "--json"]
        );
    }

    #[test]
    fn every_option_and_argument_is_described() {
        let mut missing = Vec::new();
        for (path, cmd) in all_leaves() {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                let described = arg
                    .get_help()
                    .or(arg.get_long_help())
                    .is_some_and(|h| !h.to_string().trim().is_empty());
                if !described {
                    missing.push(format!("{path} {id}"));
                }
            }
        }
        assert!(missing.is_empty(), "undescribed: {missing:#?}");
    }

    /// Options that take a time or a day: the one time parser reads them in the pack's zone,
    /// and their help says so with an example.
    const TIME_OPTIONS: &[&str] = &[
        "at",
        "since",
        "until",
        "before",
        "aware_at",
        "on",
        "received",
        "notice_on",
        "leaving",
        "start",
        "expires",
    ];

    #[test]
    fn every_time_option_gives_the_format() {
        let mut missing = Vec::new();
        let mut seen = 0;
        for (path, cmd) in all_leaves() {
            for arg in cmd.get_arguments() {
                let names = arg.get_value_names().unwrap_or_default();
                let timed = names.iter().any(|n| matches!(n.as_str(), "TIME" | "DATE"))
                    || TIME_OPTIONS.contains(&arg.get_id().as_str());
                if !timed {
                    continue;
                }
                seen += 1;
                let help = arg
                    .get_long_help()
                    .or(arg.get_help())
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if !help.contains("in the pack's zone") || !help.contains("e.g. 2026-") {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
        }
        assert!(seen >= 20, "only {seen} time options found");
        assert!(
            missing.is_empty(),
            "time options without the format: {missing:#?}"
        );
    }

    /// Commands over the registers and workflows say who may run them.
    #[test]
    fn every_workflow_command_names_who_may() {
        let groups = [
            "people",
            "accounts",
            "devices",
            "software",
            "approvals",
            "social",
            "acks",
            "incident",
            "breach",
            "request",
            "leaver",
            "records",
            "audit",
            "dsar",
        ];
        let missing: Vec<String> = all_leaves()
            .into_iter()
            .filter(|(path, _)| groups.contains(&path.split(' ').next().unwrap_or_default()))
            .filter(|(_, cmd)| !long_help(cmd).contains("Who may:"))
            .map(|(path, _)| path)
            .collect();
        assert!(missing.is_empty(), "no `Who may:` in --help: {missing:#?}");
    }
}
