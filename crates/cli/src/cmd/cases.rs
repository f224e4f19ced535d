//! Workflows with a clock or a checklist: `charter incident|breach|request|leaver ...`. Each
//! command parses, calls the app and prints; every list and show gives the deadline in the
//! pack's time zone, the time remaining and OVERDUE once it has passed.

use clap::{Args, Subcommand};

use charter_app::{BreachView, LeaverView, Names, RequestView};
use charter_store::{IncidentKind, LeaverItem, NewBreach, PauseReason, RequestKind};

use super::appctx::{self, AppArgs};
use crate::exit::CmdResult;

// ---- incidents --------------------------------------------------------------------------------

/// `charter incident ...`
#[derive(Debug, Args)]
pub struct IncidentCmd {
    #[command(subcommand)]
    cmd: Incident,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Incident {
    /// Report an incident (`--by` is the reporter). Safeguarding concerns go to the pack's
    /// safeguarding lead, the rest to IT (the pack's first device approver role).
    #[command(
        after_help = r#"Who may: any person in the register who is still here, named by --by (the reporter).

Example:
  charter incident report --kind spam_scam --description "fake invoice" --by "Pat Jones" --config charter.toml"#
    )]
    Report {
        /// `spam_scam`, `security_concern`, `lost_stolen_device`, `safeguarding`, `it_issue`.
        #[arg(long)]
        kind: String,
        /// What happened.
        #[arg(long)]
        description: String,
        /// The device it is about (its id).
        #[arg(long)]
        device: Option<i64>,
    },
    /// Close an incident with what was done.
    #[command(
        after_help = r#"Who may: a person holding the role the incident went to, or for anything but safeguarding a device approver ([governance] device_approvers), named by --by.

Example:
  charter incident close 1 --outcome "mail blocked" --by "Ian Tech" --config charter.toml"#
    )]
    Close {
        /// The incident's id.
        id: i64,
        /// What was done.
        #[arg(long)]
        outcome: String,
    },
    /// Every incident.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter incident list --config charter.toml"#
    )]
    List,
}

impl IncidentCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            let show = |i: &charter_store::Incident, names: &Names| {
                format!(
                    "incident {} {} reported by {}{} -> {} ({})",
                    i.id,
                    i.kind,
                    names.label(i.reported_by),
                    i.device_id
                        .map(|d| format!(" about device {d}"))
                        .unwrap_or_default(),
                    i.routed_to,
                    i.status
                )
            };
            let i = match cmd {
                Incident::Report {
                    kind,
                    description,
                    device,
                } => {
                    let kind: IncidentKind = kind.parse()?;
                    app.report_incident(actor, kind, &description, device)
                        .await?
                }
                Incident::Close { id, outcome } => app.close_incident(actor, id, &outcome).await?,
                Incident::List => {
                    let all = app.incidents().await?;
                    let names = app.names().await?;
                    ctx.emit(&all, |all| {
                        all.iter().map(|i| show(i, &names) + "\n").collect()
                    })?;
                    return Ok(ctx);
                }
            };
            let names = app.names().await?;
            ctx.emit(&i, |i| show(i, &names))?;
            Ok(ctx)
        })
    }
}

// ---- breaches ---------------------------------------------------------------------------------

/// `charter breach ...`
#[derive(Debug, Args)]
pub struct BreachCmd {
    #[command(subcommand)]
    cmd: Breach,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Breach {
    /// Log a data breach (UK GDPR Art. 33(3) fields); the 72-hour clock runs from
    /// `--aware-at`.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter breach open --description "laptop left on a train" --categories "learner records" --consequences "identity fraud" --measures "remote wipe" --aware-at "2026-06-15 09:00" --by "Cora Sec" --config charter.toml"#
    )]
    Open {
        /// What happened.
        #[arg(long)]
        description: String,
        /// Categories of personal data concerned.
        #[arg(long)]
        categories: String,
        /// Approximate number of people concerned.
        #[arg(long)]
        people_count: Option<i64>,
        /// Approximate number of records concerned.
        #[arg(long)]
        records_count: Option<i64>,
        /// Likely consequences.
        #[arg(long)]
        consequences: String,
        /// Measures taken or proposed.
        #[arg(long)]
        measures: String,
        /// Contact point for more information (default: the pack's breach contact).
        #[arg(long)]
        contact: Option<String>,
        /// When the organisation became aware (default now). A time without an offset is local time
        /// in the pack's zone, e.g. 2026-06-15T10:00; one with an offset
        /// (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        aware_at: Option<String>,
        /// People in the register it concerns: id, full name or email address (repeat).
        #[arg(long = "person", value_name = "PERSON")]
        people: Vec<String>,
    },
    /// Decide whether to notify the ICO, with reasons.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter breach decide 1 --notify --reason "financial data of 200 people" --by "Cora Sec" --config charter.toml"#
    )]
    Decide {
        /// The breach's id.
        id: i64,
        /// Notify the ICO.
        #[arg(
            long,
            conflicts_with = "no_notify",
            required_unless_present = "no_notify"
        )]
        notify: bool,
        /// Do not notify the ICO (say why it is unlikely to risk people's rights).
        #[arg(long)]
        no_notify: bool,
        /// The reasons.
        #[arg(long)]
        reason: String,
    },
    /// Record the ICO notification; after 72 hours `--late-reason` is required.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter breach notify-ico 1 --at "2026-06-16 11:00" --reference ICO-123 --by "Cora Sec" --config charter.toml"#
    )]
    NotifyIco {
        /// The breach's id.
        id: i64,
        /// When the ICO was told (default now). A time without an offset is local time in the
        /// pack's zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is
        /// exact.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// The ICO's reference.
        #[arg(long)]
        reference: Option<String>,
        /// Why the ICO was told after the 72 hours.
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// Record that the people affected were told (Art. 34).
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter breach tell-people 1 --how "letter to each learner" --by "Cora Sec" --config charter.toml"#
    )]
    TellPeople {
        /// The breach's id.
        id: i64,
        /// When they were told (default now). A time without an offset is local time in the pack's
        /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// How they were told.
        #[arg(long)]
        how: String,
    },
    /// Close a breach (decided, and the ICO told if it was to be).
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter breach close 1 --by "Cora Sec" --config charter.toml"#
    )]
    Close {
        /// The breach's id.
        id: i64,
    },
    /// The breach log, each with its 72-hour clock.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter breach list --config charter.toml"#
    )]
    List,
    /// One breach in full, with its clock (`--json` for the JSON document).
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter breach show 1 --config charter.toml"#
    )]
    Show {
        /// The breach's id.
        id: i64,
    },
}

fn breach_line(v: &BreachView) -> String {
    let b = &v.breach;
    format!(
        "breach {} [{}] {}; notify ICO {}",
        b.id,
        b.status,
        b.description,
        v.clock.text()
    )
}

fn breach_page(v: &BreachView, names: &Names, tz: &jiff::tz::TimeZone) -> String {
    use charter_app::clock::local_text;
    let b = &v.breach;
    let decision = match b.notify_ico {
        None => "not yet decided".to_string(),
        Some(true) => format!(
            "notify the ICO: {}",
            b.decision_reason.as_deref().unwrap_or("")
        ),
        Some(false) => format!(
            "do not notify the ICO: {}",
            b.decision_reason.as_deref().unwrap_or("")
        ),
    };
    let count = |n: Option<i64>| n.map_or_else(|| "unknown".to_string(), |n| format!("about {n}"));
    let mut t = format!("breach {} [{}]: {}\n", b.id, b.status, b.description);
    let mut line = |k: &str, v: String| t.push_str(&format!("  {k:<14} {v}\n"));
    line("aware", local_text(&b.aware_at, tz));
    line("notify ICO", v.clock.text());
    line("decision", decision);
    if let Some(at) = &b.ico_notified_at {
        line(
            "ICO told",
            format!(
                "{}{}",
                local_text(at, tz),
                b.ico_reference
                    .as_deref()
                    .map(|r| format!(", reference {r}"))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(r) = &b.late_reason {
        line("late because", r.clone());
    }
    line("data", b.data_categories.clone());
    line(
        "people",
        format!(
            "{}, records {}",
            count(b.approx_people),
            count(b.approx_records)
        ),
    );
    line("consequences", b.likely_consequences.clone());
    line("measures", b.measures.clone());
    line("contact", b.contact_point.clone());
    if !b.people.is_empty() {
        line(
            "concerns",
            b.people
                .iter()
                .map(|p| names.label(*p))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(at) = &b.people_told_at {
        line(
            "people told",
            format!(
                "{} ({})",
                local_text(at, tz),
                b.people_told_how.as_deref().unwrap_or("")
            ),
        );
    }
    line("logged by", names.label(b.logged_by));
    if let Some(at) = &b.closed_at {
        line("closed", local_text(at, tz));
    }
    t
}

impl BreachCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            let now = jiff::Timestamp::now();
            let b = match cmd {
                Breach::Open {
                    description,
                    categories,
                    people_count,
                    records_count,
                    consequences,
                    measures,
                    contact,
                    aware_at,
                    people,
                } => {
                    let mut ids = Vec::new();
                    for p in &people {
                        ids.push(ctx.person_id(p).await?);
                    }
                    let new = NewBreach {
                        description,
                        data_categories: categories,
                        approx_people: people_count,
                        approx_records: records_count,
                        likely_consequences: consequences,
                        measures,
                        contact_point: contact.unwrap_or_default(),
                        aware_at: ctx.time(aware_at.as_deref())?,
                    };
                    app.log_breach(actor, new, &ids).await?
                }
                Breach::Decide {
                    id,
                    notify,
                    no_notify,
                    reason,
                } => {
                    app.decide_breach(actor, id, notify && !no_notify, &reason)
                        .await?
                }
                Breach::NotifyIco {
                    id,
                    at,
                    reference,
                    late_reason,
                } => {
                    app.notify_ico(
                        actor,
                        id,
                        ctx.time(at.as_deref())?,
                        reference.as_deref(),
                        late_reason.as_deref(),
                    )
                    .await?
                }
                Breach::TellPeople { id, at, how } => {
                    app.tell_people(actor, id, ctx.time(at.as_deref())?, &how)
                        .await?
                }
                Breach::Close { id } => app.close_breach(actor, id).await?,
                Breach::List => {
                    let all = app.breaches(now).await?;
                    ctx.emit(&all, |all| {
                        all.iter().map(|v| breach_line(v) + "\n").collect()
                    })?;
                    return Ok(ctx);
                }
                Breach::Show { id } => {
                    let v = app.breach(id, now).await?;
                    let names = app.names().await?;
                    ctx.emit(&v, |v| breach_page(v, &names, app.time_zone()))?;
                    return Ok(ctx);
                }
            };
            let v = app.breach_view(b, &app.names().await?, now)?;
            ctx.emit(&v, breach_line)?;
            Ok(ctx)
        })
    }
}

// ---- data subject requests ------------------------------------------------------------------

/// `charter request ...`
#[derive(Debug, Args)]
pub struct RequestCmd {
    #[command(subcommand)]
    cmd: Request,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Request {
    /// Record a data subject request; due one calendar month from receipt.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter request receive --kind access --requester "Pat Jones" --person "Pat Jones" --received 2026-01-31 --by "Cora Sec" --config charter.toml"#
    )]
    Receive {
        /// `access`, `rectification`, `erasure`, `restriction`, `portability`, `objection`.
        #[arg(long)]
        kind: String,
        /// Who made it, as they gave it.
        #[arg(long)]
        requester: String,
        /// The person in the register, when known: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        person: Option<String>,
        /// The day it was received (default today). A date in the pack's zone, e.g. 2026-07-31 (a
        /// time there stands for its day).
        #[arg(long, value_name = "DATE")]
        received: Option<String>,
    },
    /// Stop the clock while awaiting `identity` or `clarification`.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter request pause 1 --awaiting identity --by "Cora Sec" --config charter.toml"#
    )]
    Pause {
        /// The request's id.
        id: i64,
        /// `identity` or `clarification`.
        #[arg(long)]
        awaiting: String,
        /// The day (default today). A date in the pack's zone, e.g. 2026-07-31 (a time there stands
        /// for its day).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
    /// Restart the clock.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter request resume 1 --by "Cora Sec" --config charter.toml"#
    )]
    Resume {
        /// The request's id.
        id: i64,
        /// The day (default today). A date in the pack's zone, e.g. 2026-07-31 (a time there stands
        /// for its day).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
    /// Extend by two months, with reasons (the requester told by `--notice-on`).
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter request extend 1 --reason "complex: ten years of records" --by "Cora Sec" --config charter.toml"#
    )]
    Extend {
        /// The request's id.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The day the requester was told (default today). A date in the pack's zone, e.g.
        /// 2026-07-31 (a time there stands for its day).
        #[arg(long, value_name = "DATE")]
        notice_on: Option<String>,
    },
    /// Complete a request.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter request complete 1 --outcome "export sent" --by "Cora Sec" --config charter.toml"#
    )]
    Complete {
        /// The request's id.
        id: i64,
        /// What was done.
        #[arg(long)]
        outcome: String,
        /// The day (default today). A date in the pack's zone, e.g. 2026-07-31 (a time there stands
        /// for its day).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
    /// Refuse a request: give reasons and the right to complain to the ICO.
    #[command(
        after_help = r#"Who may: a person holding a data protection role ([governance] data_protection_roles, default dpo), named by --by.

Example:
  charter request refuse 1 --reason "manifestly unfounded; you may complain to the ICO" --by "Cora Sec" --config charter.toml"#
    )]
    Refuse {
        /// The request's id.
        id: i64,
        /// Why, and the right to complain to the ICO.
        #[arg(long)]
        reason: String,
        /// The day (default today). A date in the pack's zone, e.g. 2026-07-31 (a time there stands
        /// for its day).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
    /// Every request with its one-month clock.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter request list --config charter.toml"#
    )]
    List,
}

fn show_request(v: &RequestView) -> String {
    let r = &v.request;
    format!(
        "request {} {} from {}{} received {} [{}]{} {}",
        r.id,
        r.kind,
        r.requester,
        r.person_id
            .map(|p| format!(
                " (person {p}, {})",
                v.person_name.as_deref().unwrap_or("unknown")
            ))
            .unwrap_or_default(),
        r.received_on,
        r.status,
        if r.extended { " (extended)" } else { "" },
        v.clock.text()
    )
}

impl RequestCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            let r = match cmd {
                Request::Receive {
                    kind,
                    requester,
                    person,
                    received,
                } => {
                    let kind: RequestKind = kind.parse()?;
                    let person = match person {
                        Some(p) => Some(ctx.person_id(&p).await?),
                        None => None,
                    };
                    app.receive_request(
                        actor,
                        person,
                        &requester,
                        kind,
                        ctx.day(received.as_deref())?,
                    )
                    .await?
                }
                Request::Pause { id, awaiting, on } => {
                    let reason: PauseReason = awaiting.parse()?;
                    app.pause_request(actor, id, ctx.day(on.as_deref())?, reason)
                        .await?
                }
                Request::Resume { id, on } => {
                    app.resume_request(actor, id, ctx.day(on.as_deref())?)
                        .await?
                }
                Request::Extend {
                    id,
                    reason,
                    notice_on,
                } => {
                    app.extend_request(actor, id, &reason, ctx.day(notice_on.as_deref())?)
                        .await?
                }
                Request::Complete { id, outcome, on } => {
                    app.close_request(actor, id, ctx.day(on.as_deref())?, true, &outcome)
                        .await?
                }
                Request::Refuse { id, reason, on } => {
                    app.close_request(actor, id, ctx.day(on.as_deref())?, false, &reason)
                        .await?
                }
                Request::List => {
                    let all = app.subject_requests(jiff::Timestamp::now()).await?;
                    ctx.emit(&all, |all| {
                        all.iter().map(|r| show_request(r) + "\n").collect()
                    })?;
                    return Ok(ctx);
                }
            };
            ctx.emit(&r, show_request)?;
            Ok(ctx)
        })
    }
}

// ---- leavers ---------------------------------------------------------------------------------

/// `charter leaver ...`
#[derive(Debug, Args)]
pub struct LeaverCmd {
    #[command(subcommand)]
    cmd: Leaver,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Leaver {
    /// Open a leaver's checklist and record their last day.
    #[command(
        after_help = r#"Who may: a person holding a register role or a device approver role ([governance] register_roles, device_approvers), or the leaver's line manager, named by --by.

Example:
  charter leaver open "Pat Jones" --leaving 2026-07-31 --by "Hana HR" --config charter.toml"#
    )]
    Open {
        /// Who is leaving: id, full name or email address.
        person: String,
        /// Their last day. A date in the pack's zone, e.g. 2026-07-31 (a time there stands for its
        /// day).
        #[arg(long, value_name = "DATE")]
        leaving: String,
    },
    /// Tick one item: `equipment_returned`, `credentials_handed_over`, `accounts_disabled`,
    /// `social_handed_over`. Each is checked (no device still held, lost or stolen; no social
    /// account still owned); ticking `accounts_disabled` disables every account.
    #[command(
        after_help = r#"Who may: a person named by --by, never the leaver. equipment_returned and accounts_disabled: a device approver ([governance] device_approvers); social_handed_over: a social media approver ([governance] social_media_approvers); credentials_handed_over: either, or the leaver's line manager.

Example:
  charter leaver tick 1 equipment_returned --by "Ian Tech" --config charter.toml"#
    )]
    Tick {
        /// The checklist's id.
        id: i64,
        /// The item.
        item: String,
    },
    /// Close the checklist once every item is ticked: the person is marked left, and their
    /// accounts and removable-media authorisations end.
    #[command(
        after_help = r#"Who may: a person holding a device approver or social media approver role ([governance] device_approvers, social_media_approvers), named by --by.

Example:
  charter leaver close 1 --by "Ian Tech" --config charter.toml"#
    )]
    Close {
        /// The checklist's id.
        id: i64,
    },
    /// Every checklist, with its leaving date as a deadline.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter leaver list --config charter.toml"#
    )]
    List,
}

fn show_leaver(v: &LeaverView, names: &Names, tz: &jiff::tz::TimeZone) -> String {
    let l = &v.leaver;
    let mut t = format!(
        "leaver {} person {} ({}) leaving {}: {}\n",
        l.id,
        l.person_id,
        v.person_name,
        l.leaving_date,
        if l.closed.is_some() {
            v.clock.remaining.clone()
        } else {
            v.clock.text()
        }
    );
    for item in LeaverItem::ALL {
        match l.item(*item) {
            Some(tick) => t.push_str(&format!(
                "  [x] {} by {} at {}\n",
                item,
                names.label(tick.by),
                charter_app::clock::local_text(&tick.at, tz)
            )),
            None => t.push_str(&format!("  [ ] {item}\n")),
        }
    }
    t
}

impl LeaverCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            let tz = app.time_zone().clone();
            let l = match cmd {
                Leaver::Open { person, leaving } => {
                    let person = ctx.person_id(&person).await?;
                    app.open_leaver(actor, person, ctx.day(Some(&leaving))?)
                        .await?
                }
                Leaver::Tick { id, item } => {
                    let item: LeaverItem = item.parse()?;
                    app.tick_leaver(actor, id, item).await?
                }
                Leaver::Close { id } => app.close_leaver(actor, id).await?,
                Leaver::List => {
                    let all = app.leavers(jiff::Timestamp::now()).await?;
                    let names = app.names().await?;
                    ctx.emit(&all, |all| {
                        all.iter().map(|l| show_leaver(l, &names, &tz)).collect()
                    })?;
                    return Ok(ctx);
                }
            };
            let names = app.names().await?;
            ctx.emit(&l, |l| show_leaver(l, &names, &tz))?;
            Ok(ctx)
        })
    }
}
