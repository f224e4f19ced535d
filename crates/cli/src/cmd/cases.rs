//! Workflows with a clock or a checklist: `charter incidents|breach|request|leaver ...`.

use clap::{Args, Subcommand};

use charter_store::{IncidentKind, LeaverItem, NewBreach, RequestKind};

use super::storectx::{self, StoreArgs, date, instant, today};
use crate::exit::CmdResult;

// ---- incidents --------------------------------------------------------------------------------

/// `charter incident ...`
#[derive(Debug, Args)]
pub struct IncidentCmd {
    #[command(subcommand)]
    cmd: Incident,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Incident {
    /// Report an incident (`--by` is the reporter). Safeguarding concerns go to the pack's
    /// safeguarding lead, the rest to whom the pack says staff report to.
    Report {
        /// `spam_scam`, `security_concern`, `lost_stolen_device`, `safeguarding`, `it_issue`.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        description: String,
        #[arg(long)]
        device: Option<i64>,
    },
    /// Close an incident with what was done (its routed role, or a device approver).
    Close {
        id: i64,
        #[arg(long)]
        outcome: String,
    },
    /// Every incident.
    List,
}

impl IncidentCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            let show = |i: &charter_store::Incident| {
                format!(
                    "incident {} {} reported by {} -> {} ({})",
                    i.id, i.kind, i.reported_by, i.routed_to, i.status
                )
            };
            match cmd {
                Incident::Report {
                    kind,
                    description,
                    device,
                } => {
                    let kind: IncidentKind = kind.parse()?;
                    let route = charter_store::route_incident(kind, &ctx.pack()?.governance);
                    let i = s
                        .report_incident(&actor, kind, &description, device, &route)
                        .await?;
                    ctx.emit(&i, show)?;
                }
                Incident::Close { id, outcome } => {
                    let also = ctx.pack()?.governance.device_approvers;
                    let i = s.close_incident(&actor, id, &outcome, &also).await?;
                    ctx.emit(&i, show)?;
                }
                Incident::List => {
                    let all = s.incidents().await?;
                    ctx.emit(&all, |all| all.iter().map(|i| show(i) + "\n").collect())?;
                }
            }
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
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Breach {
    /// Log a data breach (UK GDPR Art. 33(3) fields); the 72-hour clock runs from `--aware-at`.
    Open {
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
        #[arg(long)]
        consequences: String,
        /// Measures taken or proposed.
        #[arg(long)]
        measures: String,
        /// Contact point for more information (default: the pack's breach contact).
        #[arg(long)]
        contact: Option<String>,
        /// When the organisation became aware (RFC 3339; default now).
        #[arg(long)]
        aware_at: Option<String>,
        /// People in the register it concerns (repeat).
        #[arg(long = "person")]
        people: Vec<i64>,
    },
    /// Decide whether to notify the ICO, with reasons.
    Decide {
        id: i64,
        #[arg(
            long,
            conflicts_with = "no_notify",
            required_unless_present = "no_notify"
        )]
        notify: bool,
        #[arg(long)]
        no_notify: bool,
        #[arg(long)]
        reason: String,
    },
    /// Record the ICO notification; after 72 hours `--late-reason` is required.
    NotifyIco {
        id: i64,
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        reference: Option<String>,
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// Record that the people affected were told (Art. 34).
    TellPeople {
        id: i64,
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        how: String,
    },
    /// Close a breach (decided, and the ICO told if it was to be).
    Close { id: i64 },
    /// The breach log.
    List,
    /// One breach.
    Show { id: i64 },
}

fn show_breach(b: &charter_store::Breach) -> String {
    let decision = match b.notify_ico {
        None => "undecided".to_string(),
        Some(true) => format!(
            "notify ICO ({})",
            b.ico_notified_at
                .as_deref()
                .map(|t| format!("told {t}"))
                .unwrap_or_else(|| "not yet told".into())
        ),
        Some(false) => "not notifying ICO".to_string(),
    };
    format!(
        "breach {} [{}] aware {} notify by {}: {}; {}",
        b.id, b.status, b.aware_at, b.notify_by, decision, b.description
    )
}

impl BreachCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            let now_or = |t: Option<String>| -> anyhow::Result<jiff::Timestamp> {
                t.map(|t| instant(&t))
                    .transpose()
                    .map(|t| t.unwrap_or_else(jiff::Timestamp::now))
            };
            match cmd {
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
                    let contact = match contact {
                        Some(c) => c,
                        None => ctx.pack()?.governance.breach_contact.ok_or_else(|| {
                            anyhow::anyhow!("give --contact: the pack names no breach contact")
                        })?,
                    };
                    let b = s
                        .log_breach(
                            &actor,
                            NewBreach {
                                description,
                                data_categories: categories,
                                approx_people: people_count,
                                approx_records: records_count,
                                likely_consequences: consequences,
                                measures,
                                contact_point: contact,
                                aware_at: now_or(aware_at)?,
                            },
                            &people,
                        )
                        .await?;
                    ctx.emit(&b, show_breach)?;
                }
                Breach::Decide {
                    id,
                    notify,
                    no_notify,
                    reason,
                } => {
                    let b = s
                        .decide_breach(&actor, id, notify && !no_notify, &reason)
                        .await?;
                    ctx.emit(&b, show_breach)?;
                }
                Breach::NotifyIco {
                    id,
                    at,
                    reference,
                    late_reason,
                } => {
                    let b = s
                        .notify_ico(
                            &actor,
                            id,
                            now_or(at)?,
                            reference.as_deref(),
                            late_reason.as_deref(),
                        )
                        .await?;
                    ctx.emit(&b, show_breach)?;
                }
                Breach::TellPeople { id, at, how } => {
                    let b = s.tell_people(&actor, id, now_or(at)?, &how).await?;
                    ctx.emit(&b, show_breach)?;
                }
                Breach::Close { id } => {
                    let b = s.close_breach(&actor, id).await?;
                    ctx.emit(&b, show_breach)?;
                }
                Breach::List => {
                    let all = s.breaches().await?;
                    ctx.emit(&all, |all| {
                        all.iter().map(|b| show_breach(b) + "\n").collect()
                    })?;
                }
                Breach::Show { id } => {
                    let b = s.breach(id).await?;
                    ctx.emit(&b, |b| {
                        serde_json::to_string_pretty(b).unwrap_or_else(|_| show_breach(b))
                    })?;
                }
            }
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
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Request {
    /// Record a data subject request; due one calendar month from receipt.
    Receive {
        /// `access`, `rectification`, `erasure`, `restriction`, `portability`, `objection`.
        #[arg(long)]
        kind: String,
        /// Who made it, as they gave it.
        #[arg(long)]
        requester: String,
        /// The person in the register, when known.
        #[arg(long)]
        person: Option<i64>,
        /// Day received (default today).
        #[arg(long)]
        received: Option<String>,
    },
    /// Stop the clock while awaiting `identity` or `clarification`.
    Pause {
        id: i64,
        #[arg(long)]
        awaiting: String,
        #[arg(long)]
        on: Option<String>,
    },
    /// Restart the clock.
    Resume {
        id: i64,
        #[arg(long)]
        on: Option<String>,
    },
    /// Extend by two months, with reasons (the requester told by `--notice-on`).
    Extend {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        notice_on: Option<String>,
    },
    /// Complete a request.
    Complete {
        id: i64,
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        on: Option<String>,
    },
    /// Refuse a request: give reasons and the right to complain to the ICO.
    Refuse {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        on: Option<String>,
    },
    /// Every request with its due date.
    List,
}

fn show_request(r: &charter_store::SubjectRequest) -> String {
    format!(
        "request {} {} from {} received {} due {} [{}]{}",
        r.id,
        r.kind,
        r.requester,
        r.received_on,
        r.due_on,
        r.status,
        if r.extended { " (extended)" } else { "" }
    )
}

impl RequestCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            let day = |d: Option<String>| -> anyhow::Result<jiff::civil::Date> {
                d.map(|d| date(&d))
                    .transpose()
                    .map(|d| d.unwrap_or_else(today))
            };
            let r = match cmd {
                Request::Receive {
                    kind,
                    requester,
                    person,
                    received,
                } => {
                    let kind: RequestKind = kind.parse()?;
                    s.receive_request(&actor, person, &requester, kind, day(received)?)
                        .await?
                }
                Request::Pause { id, awaiting, on } => {
                    s.pause_request(&actor, id, day(on)?, &awaiting).await?
                }
                Request::Resume { id, on } => s.resume_request(&actor, id, day(on)?).await?,
                Request::Extend {
                    id,
                    reason,
                    notice_on,
                } => {
                    s.extend_request(&actor, id, &reason, day(notice_on)?)
                        .await?
                }
                Request::Complete { id, outcome, on } => {
                    s.close_request(&actor, id, day(on)?, true, &outcome)
                        .await?
                }
                Request::Refuse { id, reason, on } => {
                    s.close_request(&actor, id, day(on)?, false, &reason)
                        .await?
                }
                Request::List => {
                    let all = s.subject_requests(today()).await?;
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
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Leaver {
    /// Open a leaver's checklist.
    Open {
        person: i64,
        #[arg(long)]
        leaving: String,
    },
    /// Tick one item: `equipment_returned`, `credentials_handed_over`, `accounts_disabled`,
    /// `social_handed_over`. Each is checked (no device still held, no social account still
    /// owned); ticking `accounts_disabled` disables every account.
    Tick { id: i64, item: String },
    /// Close the checklist once every item is ticked.
    Close { id: i64 },
    /// Every checklist.
    List,
}

fn show_leaver(l: &charter_store::Leaver) -> String {
    let mut t = format!(
        "leaver {} person {} leaving {}{}\n",
        l.id,
        l.person_id,
        l.leaving_date,
        if l.closed.is_some() { " (closed)" } else { "" }
    );
    for item in LeaverItem::ALL {
        match l.item(item) {
            Some(tick) => t.push_str(&format!(
                "  [x] {} by person {} at {}\n",
                item.as_str(),
                tick.by,
                tick.at
            )),
            None => t.push_str(&format!("  [ ] {}\n", item.as_str())),
        }
    }
    t
}

/// The roles that may tick an item. The pack names device, software and social media
/// approvers but no leaver roles: IT (device approvers) ticks equipment and accounts, social
/// media approvers the social accounts, and either may take credentials (so may the leaver's
/// line manager).
fn leaver_roles(g: &charter_policy::Governance, item: Option<LeaverItem>) -> Vec<String> {
    let mut roles = match item {
        Some(LeaverItem::SocialHandedOver) => g.social_media_approvers.clone(),
        Some(LeaverItem::EquipmentReturned | LeaverItem::AccountsDisabled) => {
            g.device_approvers.clone()
        }
        Some(LeaverItem::CredentialsHandedOver) | None => {
            let mut r = g.device_approvers.clone();
            r.extend(g.social_media_approvers.iter().cloned());
            r
        }
    };
    roles.sort();
    roles.dedup();
    roles
}

impl LeaverCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            let l = match cmd {
                Leaver::Open { person, leaving } => {
                    s.open_leaver(&actor, person, date(&leaving)?).await?
                }
                Leaver::Tick { id, item } => {
                    let item: LeaverItem = item.parse()?;
                    let roles = leaver_roles(&ctx.pack()?.governance, Some(item));
                    s.tick_leaver(&actor, id, item, &roles).await?
                }
                Leaver::Close { id } => {
                    let roles = leaver_roles(&ctx.pack()?.governance, None);
                    s.close_leaver(&actor, id, &roles).await?
                }
                Leaver::List => {
                    let all = s.leavers().await?;
                    ctx.emit(&all, |all| all.iter().map(show_leaver).collect())?;
                    return Ok(ctx);
                }
            };
            ctx.emit(&l, show_leaver)?;
            Ok(ctx)
        })
    }
}
