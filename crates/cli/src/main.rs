//! `charter`: the command line over Charter's crates. `main` parses, dispatches and maps the
//! outcome to an exit code; each command lives in its own module under `cmd/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod decision;
mod exit;

/// Charter turns a written IT policy into controls that are enforced, monitored and audited.
#[derive(Debug, Parser)]
#[command(name = "charter", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run Charter's main job on the embedded default: the demo pack and a day of demo traffic.
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
    SquidHelper(cmd::squid_helper::SquidHelperArgs),
    /// Run the configured gateways (ICAP, ...) from charter.toml.
    Serve(cmd::serve::ServeArgs),
    /// The people register: add, list, show, update, make email addresses.
    People(cmd::register::PeopleCmd),
    /// Accounts people hold (logins, VPN): add, disable.
    Accounts(cmd::register::AccountsCmd),
    /// The device register and removable-media authorisations.
    Devices(cmd::register::DevicesCmd),
    /// Software requests and the approved list.
    Software(cmd::register::SoftwareCmd),
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
    /// The audit chain: verify, list.
    Audit(cmd::audit::AuditCmd),
    /// Subject access export and erasure.
    Dsar(cmd::dsar::DsarCmd),
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
        Command::Social(c) => c.run(),
        Command::Acks(c) => c.run(),
        Command::Incident(c) => c.run(),
        Command::Breach(c) => c.run(),
        Command::Request(c) => c.run(),
        Command::Leaver(c) => c.run(),
        Command::Records(c) => c.run(),
        Command::Audit(c) => c.run(),
        Command::Dsar(c) => c.run(),
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
}
