//! `charter approvals list|approve|refuse|ask-out-of-hours`: requests for access to sites a
//! `hold` rule holds, for remote access outside the agreed hours, and the warnings people
//! continued past. People ask on the hold page; the pack's access
//! approvers decide here (the dashboard will add pages).

use clap::{Args, Subcommand};

use charter_app::ApprovalView;
use charter_store::ApprovalStatus;

use super::appctx::{self, AppArgs};
use crate::exit::CmdResult;

/// `charter approvals ...`
#[derive(Debug, Args)]
pub struct ApprovalsCmd {
    #[command(subcommand)]
    cmd: Approvals,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Approvals {
    /// Requests waiting for a decision, and what is in force (access approved, warnings
    /// continued past); `--all` adds refused and expired ones.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter approvals list --config charter.toml"#
    )]
    List {
        /// Every request, refused and expired ones too.
        #[arg(long)]
        all: bool,
    },
    /// Approve a request for access: the site opens for that person until --until.
    #[command(
        after_help = r#"Who may: a person holding an access approver role ([governance] access_approvers, by default the software_approvers), named by --by; never on their own request.

Example:
  charter approvals approve 3 --reason "client demo" --until 2026-06-19T17:30 --by "Ian Tech" --config charter.toml"#
    )]
    Approve {
        /// The request's id.
        id: i64,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
        /// From when (default now), e.g. the start of the evenings an out-of-hours request
        /// asks for. A time without an offset is local time in the pack's zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Until when; a week from the start when not given. A time without an offset is local
        /// time in the pack's zone, e.g. 2026-06-19T17:30; one with an offset
        /// (2026-06-19T17:30:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
    /// Ask for express permission to use remote access (VPN) outside the agreed hours: the
    /// pack's `access_outside_hours` rule does not fire for the person while an approval is
    /// in force. The access approvers decide it with `approve` (and its --until) or `refuse`.
    #[command(after_help = r#"Who may: the person asking, named by --by.

Example:
  charter approvals ask-out-of-hours --reason "month-end close, evenings this week" --by "Pat Jones" --config charter.toml
  charter approvals approve 4 --until 2026-06-19T22:00 --by "Ian Tech" --config charter.toml"#)]
    AskOutOfHours {
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Refuse a request for access.
    #[command(
        after_help = r#"Who may: a person holding an access approver role ([governance] access_approvers, by default the software_approvers), named by --by; never on their own request.

Example:
  charter approvals refuse 3 --reason "not needed for work" --by "Ian Tech" --config charter.toml"#
    )]
    Refuse {
        /// The request's id.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

fn line(v: &ApprovalView) -> String {
    let a = &v.approval;
    let what = match a.kind {
        charter_store::ApprovalKind::Access => "access to",
        charter_store::ApprovalKind::Continue => "continued past the warning on",
    };
    let until = match (&v.now, &a.valid_until) {
        (ApprovalStatus::Approved, Some(until)) => format!(" until {until}"),
        _ => String::new(),
    };
    let reason = if a.reason.is_empty() {
        String::new()
    } else {
        format!(": {}", a.reason)
    };
    format!(
        "approval {} {} {what} {} (rule {}) {}{until}{reason}",
        a.id, v.person_name, a.site, a.rule, v.now
    )
}

impl ApprovalsCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let now = jiff::Timestamp::now();
            match cmd {
                Approvals::List { all } => {
                    let views: Vec<ApprovalView> = app
                        .approvals(now)
                        .await?
                        .into_iter()
                        .filter(|v| {
                            all || matches!(
                                v.now,
                                ApprovalStatus::Requested | ApprovalStatus::Approved
                            )
                        })
                        .collect();
                    ctx.emit(&views, |vs| vs.iter().map(|v| line(v) + "\n").collect())?;
                }
                Approvals::Approve {
                    id,
                    reason,
                    at,
                    until,
                } => {
                    let from = ctx.time(at.as_deref())?;
                    let until = until.map(|u| ctx.time(Some(&u))).transpose()?;
                    let a = app
                        .decide_access(&ctx.actor, id, true, &reason, from, until)
                        .await?;
                    ctx.emit(&a, |a| {
                        format!(
                            "approval {} approved: {} open for person {} until {}",
                            a.id,
                            a.site,
                            a.person_id,
                            a.valid_until.as_deref().unwrap_or("-")
                        )
                    })?;
                }
                Approvals::Refuse { id, reason } => {
                    let a = app
                        .decide_access(&ctx.actor, id, false, &reason, now, None)
                        .await?;
                    ctx.emit(&a, |a| format!("approval {} refused", a.id))?;
                }
                Approvals::AskOutOfHours { reason } => {
                    let a = app.ask_out_of_hours(&ctx.actor, &reason).await?;
                    ctx.emit(&a, |a| {
                        format!(
                            "approval {} requested: remote access outside agreed hours (rule {})",
                            a.id, a.rule
                        )
                    })?;
                }
            }
            Ok(ctx)
        })
    }
}
