//! The registers: `charter people|accounts|devices|media|software|social|acks ...`.
//!
//! Every command takes `--config charter.toml`, `--json` and `--by PERSON` (who is acting).
//! Approver roles come from the pack's `[governance]`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use charter_store::{AckKind, NewDevice, NewPerson, PersonUpdate};

use super::storectx::{self, StoreArgs, date, today};
use crate::exit::CmdResult;

fn list_arg(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

// ---- people ---------------------------------------------------------------------------------

/// `charter people ...`
#[derive(Debug, Args)]
pub struct PeopleCmd {
    #[command(subcommand)]
    cmd: People,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum People {
    /// Add a person; `--email` also makes their address by the pack's naming convention.
    ///
    /// Example: charter people add --first Smith --last Brown --roles management --location uk --email --config charter.toml
    Add {
        #[arg(long)]
        first: String,
        #[arg(long)]
        last: String,
        #[arg(long)]
        department: Option<String>,
        /// Code of the geographical location (`uk`).
        #[arg(long)]
        location: Option<String>,
        /// Roles, comma-separated (`management`, `staff`, `external`, `hr_manager`, ...).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Line manager's person id.
        #[arg(long)]
        manager: Option<i64>,
        /// First day (`2026-04-01`).
        #[arg(long)]
        start: Option<String>,
        /// Make their email address now.
        #[arg(long)]
        email: bool,
    },
    /// Everyone in the register.
    List,
    /// One person with their accounts.
    Show { id: i64 },
    /// Change roles, manager, department, location or leaving date.
    Update {
        id: i64,
        #[arg(long, value_delimiter = ',')]
        roles: Option<Vec<String>>,
        #[arg(long)]
        manager: Option<i64>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        leaving: Option<String>,
    },
    /// Make a person's email address by the pack's naming convention.
    Email { id: i64 },
}

impl PeopleCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            match cmd {
                People::Add {
                    first,
                    last,
                    department,
                    location,
                    roles,
                    manager,
                    start,
                    email,
                } => {
                    let p = s
                        .add_person(
                            &actor,
                            NewPerson {
                                first_name: first,
                                last_name: last,
                                department,
                                location,
                                roles: list_arg(&roles),
                                line_manager: manager,
                                start_date: start,
                            },
                        )
                        .await?;
                    let made = if email {
                        Some(make_email(&ctx, p.id).await?)
                    } else {
                        None
                    };
                    ctx.emit(&serde_json::json!({"person": p, "email": made}), |_| {
                        let mut t = format!(
                            "person {} added: {} {} [{}]",
                            p.id,
                            p.first_name,
                            p.last_name,
                            p.roles.join(",")
                        );
                        if let Some(m) = &made {
                            t.push_str(&format!("\nemail {} ({})", m.address, m.explanation));
                        }
                        t
                    })?;
                }
                People::List => {
                    let people = s.people().await?;
                    ctx.emit(&people, |ps| {
                        ps.iter()
                            .map(|p| {
                                format!(
                                    "{:>5}  {:<24} {:<8} {}\n",
                                    p.id,
                                    format!("{} {}", p.first_name, p.last_name),
                                    p.status,
                                    p.roles.join(",")
                                )
                            })
                            .collect()
                    })?;
                }
                People::Show { id } => {
                    let p = s.person(id).await?;
                    let accounts = s.accounts_of(id).await?;
                    ctx.emit(&serde_json::json!({"person": p, "accounts": accounts}), |_| {
                        let mut t = format!("person {}: {} {} ({})\nroles: {}\nmanager: {}\nstart: {}  leaving: {}\n", p.id, p.first_name, p.last_name, p.status,
                            p.roles.join(","), p.line_manager.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
                            p.start_date.as_deref().unwrap_or("-"), p.leaving_date.as_deref().unwrap_or("-"));
                        for a in &accounts {
                            t.push_str(&format!("account {} {} {} ({})\n", a.id, a.system, a.name, a.status));
                        }
                        t
                    })?;
                }
                People::Update {
                    id,
                    roles,
                    manager,
                    department,
                    location,
                    leaving,
                } => {
                    let p = s
                        .update_person(
                            &actor,
                            id,
                            PersonUpdate {
                                roles: roles.map(|r| list_arg(&r)),
                                line_manager: manager,
                                department,
                                location,
                                leaving_date: leaving,
                            },
                        )
                        .await?;
                    ctx.emit(&p, |p| format!("person {} updated", p.id))?;
                }
                People::Email { id } => {
                    let made = make_email(&ctx, id).await?;
                    ctx.emit(&made, |m| format!("{} ({})", m.address, m.explanation))?;
                }
            }
            Ok(ctx)
        })
    }
}

async fn make_email(
    ctx: &storectx::Ctx,
    id: i64,
) -> anyhow::Result<charter_store::address::MadeAddress> {
    let pack = ctx.pack()?;
    if pack.address_formats.is_empty() {
        anyhow::bail!(
            "the pack `{}` has no [[accounts.address]] naming convention",
            pack.meta.id
        );
    }
    let domain = pack.organisation.domains.first().with_context(|| {
        format!(
            "the pack `{}` names no [organisation] domains",
            pack.meta.id
        )
    })?;
    let (_, made) = ctx
        .store
        .make_email(&ctx.actor(), id, &pack.address_formats, domain)
        .await?;
    Ok(made)
}

// ---- accounts ---------------------------------------------------------------------------------

/// `charter accounts ...`
#[derive(Debug, Args)]
pub struct AccountsCmd {
    #[command(subcommand)]
    cmd: Accounts,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Accounts {
    /// Add an account (`login`, `vpn`, ...) for a person.
    Add {
        person: i64,
        #[arg(long)]
        system: String,
        #[arg(long)]
        name: String,
    },
    /// Disable one account.
    Disable { id: i64 },
}

impl AccountsCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            match cmd {
                Accounts::Add {
                    person,
                    system,
                    name,
                } => {
                    let a = ctx
                        .store
                        .add_account(&actor, person, &system, &name, None)
                        .await?;
                    ctx.emit(&a, |a| {
                        format!("account {} added: {} {}", a.id, a.system, a.name)
                    })?;
                }
                Accounts::Disable { id } => {
                    let a = ctx.store.disable_account(&actor, id).await?;
                    ctx.emit(&a, |a| format!("account {} disabled", a.id))?;
                }
            }
            Ok(ctx)
        })
    }
}

// ---- devices and media --------------------------------------------------------------------------

/// `charter devices ...`
#[derive(Debug, Args)]
pub struct DevicesCmd {
    #[command(subcommand)]
    cmd: Devices,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Devices {
    /// Register a device (in stock, or assigned with `--assignee`).
    Add {
        #[arg(long)]
        serial: String,
        /// `laptop`, `phone`, `tablet`, `usb`, ...
        #[arg(long)]
        kind: String,
        #[arg(long)]
        byod: bool,
        #[arg(long)]
        encrypted: bool,
        #[arg(long)]
        assignee: Option<i64>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Every device.
    List,
    /// Give a device to a person (device approvers only).
    Assign {
        id: i64,
        #[arg(long)]
        to: i64,
    },
    /// Report a device lost or stolen: opens an incident.
    Lost {
        id: i64,
        #[arg(long)]
        stolen: bool,
        #[arg(long)]
        description: String,
    },
    /// Take a device back (also a lost one found again).
    Return { id: i64 },
    /// Authorise a person to attach removable media or third-party hardware.
    AuthoriseMedia {
        #[arg(long)]
        person: i64,
        #[arg(long)]
        description: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        expires: Option<String>,
    },
    /// Withdraw a removable-media authorisation.
    RevokeMedia { id: i64 },
    /// Removable-media authorisations.
    Media,
}

impl DevicesCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            let show = |d: &charter_store::Device| {
                format!(
                    "device {} {} {} {}{}",
                    d.id,
                    d.serial,
                    d.kind,
                    d.status,
                    d.assignee
                        .map(|a| format!(" (person {a})"))
                        .unwrap_or_default()
                )
            };
            match cmd {
                Devices::Add {
                    serial,
                    kind,
                    byod,
                    encrypted,
                    assignee,
                    note,
                } => {
                    let d = s
                        .add_device(
                            &actor,
                            NewDevice {
                                serial,
                                kind,
                                byod,
                                encrypted,
                                assignee,
                                note,
                            },
                        )
                        .await?;
                    ctx.emit(&d, show)?;
                }
                Devices::List => {
                    let ds = s.devices().await?;
                    ctx.emit(&ds, |ds| ds.iter().map(|d| show(d) + "\n").collect())?;
                }
                Devices::Assign { id, to } => {
                    let approvers = ctx.pack()?.governance.device_approvers;
                    let d = s.assign_device(&actor, id, to, &approvers).await?;
                    ctx.emit(&d, show)?;
                }
                Devices::Lost {
                    id,
                    stolen,
                    description,
                } => {
                    let route = charter_store::route_incident(
                        charter_store::IncidentKind::LostStolenDevice,
                        &ctx.pack()?.governance,
                    );
                    let (d, inc) = s
                        .report_device_lost(&actor, id, stolen, &description, &route)
                        .await?;
                    ctx.emit(&serde_json::json!({"device": d, "incident": inc}), |_| {
                        format!(
                            "{}\nincident {} opened, routed to {}",
                            show(&d),
                            inc.id,
                            inc.routed_to
                        )
                    })?;
                }
                Devices::Return { id } => {
                    let approvers = ctx.pack()?.governance.device_approvers;
                    let d = s.return_device(&actor, id, &approvers).await?;
                    ctx.emit(&d, show)?;
                }
                Devices::AuthoriseMedia {
                    person,
                    description,
                    reason,
                    expires,
                } => {
                    let approvers = ctx.pack()?.governance.device_approvers;
                    let m = s
                        .authorise_media(
                            &actor,
                            person,
                            &description,
                            &reason,
                            expires.as_deref(),
                            &approvers,
                        )
                        .await?;
                    ctx.emit(&m, |m| {
                        format!(
                            "authorisation {}: person {} may use {}",
                            m.id, m.person_id, m.description
                        )
                    })?;
                }
                Devices::RevokeMedia { id } => {
                    let approvers = ctx.pack()?.governance.device_approvers;
                    let m = s.revoke_media(&actor, id, &approvers).await?;
                    ctx.emit(&m, |m| format!("authorisation {} revoked", m.id))?;
                }
                Devices::Media => {
                    let ms = s.media_authorisations().await?;
                    ctx.emit(&ms, |ms| {
                        ms.iter()
                            .map(|m| {
                                format!(
                                    "{:>5} person {} {} until {}{}\n",
                                    m.id,
                                    m.person_id,
                                    m.description,
                                    m.expires_on.as_deref().unwrap_or("-"),
                                    if m.revoked_at.is_some() {
                                        " (revoked)"
                                    } else {
                                        ""
                                    }
                                )
                            })
                            .collect()
                    })?;
                }
            }
            Ok(ctx)
        })
    }
}

// ---- software -------------------------------------------------------------------------------------

/// `charter software ...`
#[derive(Debug, Args)]
pub struct SoftwareCmd {
    #[command(subcommand)]
    cmd: Software,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Software {
    /// Ask to install software.
    Request {
        #[arg(long)]
        person: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Approve a request (software approvers only).
    Approve {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Refuse a request (software approvers only).
    Refuse {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Every request.
    List,
    /// The approved list (what the engine's `unauthorised_software` check allows).
    Approved,
}

impl SoftwareCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            let show = |r: &charter_store::SoftwareRequest| {
                format!(
                    "request {} {} for person {}: {}",
                    r.id, r.software, r.person_id, r.status
                )
            };
            match cmd {
                Software::Request {
                    person,
                    name,
                    reason,
                } => {
                    let r = s.request_software(&actor, person, &name, &reason).await?;
                    ctx.emit(&r, show)?;
                }
                Software::Approve { id, reason } => {
                    let approvers = ctx.pack()?.governance.software_approvers;
                    let r = s
                        .decide_software(&actor, id, true, &reason, &approvers)
                        .await?;
                    ctx.emit(&r, show)?;
                }
                Software::Refuse { id, reason } => {
                    let approvers = ctx.pack()?.governance.software_approvers;
                    let r = s
                        .decide_software(&actor, id, false, &reason, &approvers)
                        .await?;
                    ctx.emit(&r, show)?;
                }
                Software::List => {
                    let rs = s.software_requests().await?;
                    ctx.emit(&rs, |rs| rs.iter().map(|r| show(r) + "\n").collect())?;
                }
                Software::Approved => {
                    let names = s.approved_software().await?;
                    ctx.emit(&names, |n| n.join("\n"))?;
                }
            }
            Ok(ctx)
        })
    }
}

// ---- social media -----------------------------------------------------------------------------

/// `charter social ...`
#[derive(Debug, Args)]
pub struct SocialCmd {
    #[command(subcommand)]
    cmd: Social,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Social {
    /// Register an official account (social media approvers only; two-factor must be on).
    Add {
        #[arg(long)]
        platform: String,
        #[arg(long)]
        handle: String,
        #[arg(long)]
        owner: i64,
        /// Who keeps the credentials.
        #[arg(long)]
        custodian: i64,
        /// Two-factor sign-in is on.
        #[arg(long)]
        two_factor: bool,
    },
    /// Let another person post from it.
    Authorise {
        id: i64,
        #[arg(long)]
        person: i64,
    },
    /// Hand it over with its credentials.
    Handover {
        id: i64,
        #[arg(long)]
        owner: i64,
        #[arg(long)]
        custodian: i64,
    },
    /// Every official account.
    List,
}

impl SocialCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            let show = |a: &charter_store::SocialAccount| {
                format!(
                    "social {} {} {} owner {} custodian {} 2FA {} {}",
                    a.id,
                    a.platform,
                    a.handle,
                    a.owner_id,
                    a.custodian_id,
                    if a.two_factor { "on" } else { "off" },
                    a.status
                )
            };
            match cmd {
                Social::Add {
                    platform,
                    handle,
                    owner,
                    custodian,
                    two_factor,
                } => {
                    let approvers = ctx.pack()?.governance.social_media_approvers;
                    let a = s
                        .add_social_account(
                            &actor, &platform, &handle, owner, custodian, two_factor, &approvers,
                        )
                        .await?;
                    ctx.emit(&a, show)?;
                }
                Social::Authorise { id, person } => {
                    let approvers = ctx.pack()?.governance.social_media_approvers;
                    let a = s
                        .authorise_social_user(&actor, id, person, &approvers)
                        .await?;
                    ctx.emit(&a, show)?;
                }
                Social::Handover {
                    id,
                    owner,
                    custodian,
                } => {
                    let approvers = ctx.pack()?.governance.social_media_approvers;
                    let a = s
                        .hand_over_social(&actor, id, owner, custodian, &approvers)
                        .await?;
                    ctx.emit(&a, show)?;
                }
                Social::List => {
                    let all = s.social_accounts().await?;
                    ctx.emit(&all, |all| all.iter().map(|a| show(a) + "\n").collect())?;
                }
            }
            Ok(ctx)
        })
    }
}

// ---- policy versions and acknowledgements ------------------------------------------------------

/// `charter acks ...`
#[derive(Debug, Args)]
pub struct AcksCmd {
    #[command(subcommand)]
    cmd: Acks,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Acks {
    /// Publish a version of the written policy (its exact text, hashed).
    Publish {
        /// Version label (`3`, `2021-02`).
        #[arg(long)]
        version: String,
        /// The text staff read.
        #[arg(long, value_name = "FILE")]
        text: PathBuf,
        /// Everyone must acknowledge it again.
        #[arg(long)]
        material: bool,
    },
    /// Policy versions.
    Versions,
    /// Record that a person acknowledged the text in FILE (what they were shown).
    Sign {
        #[arg(long)]
        person: i64,
        #[arg(long = "policy-version", value_name = "ID")]
        policy_version: i64,
        #[arg(long, value_name = "FILE")]
        text: PathBuf,
        /// `agreement`, `briefing` or `induction`.
        #[arg(long, default_value = "agreement")]
        kind: String,
        /// The laptop the agreement names (it must be assigned to the person).
        #[arg(long, value_name = "DEVICE")]
        device: Option<i64>,
    },
    /// Who owes an acknowledgement, briefing or induction (on `--on`, default today).
    Due {
        #[arg(long)]
        on: Option<String>,
    },
}

impl AcksCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        storectx::run(&self.store, |ctx| async move {
            let actor = ctx.actor();
            let s = &ctx.store;
            match cmd {
                Acks::Publish {
                    version,
                    text,
                    material,
                } => {
                    let pack = ctx.pack()?;
                    let body = std::fs::read_to_string(&text)
                        .with_context(|| format!("cannot read `{}`", text.display()))?;
                    let v = s
                        .publish_policy(
                            &actor,
                            &pack.meta.id,
                            &version,
                            &pack.meta.title,
                            &body,
                            material,
                        )
                        .await?;
                    ctx.emit(&v, |v| {
                        format!(
                            "policy version {} ({} {}) hash {}{}",
                            v.id,
                            v.pack_id,
                            v.version,
                            v.text_hash,
                            if v.material_change {
                                ", a material change"
                            } else {
                                ""
                            }
                        )
                    })?;
                }
                Acks::Versions => {
                    let vs = s.policy_versions().await?;
                    ctx.emit(&vs, |vs| {
                        vs.iter()
                            .map(|v| {
                                format!(
                                    "{:>4} {} {} {} {}\n",
                                    v.id, v.pack_id, v.version, v.published_at, v.text_hash
                                )
                            })
                            .collect()
                    })?;
                }
                Acks::Sign {
                    person,
                    policy_version,
                    text,
                    kind,
                    device,
                } => {
                    let body = std::fs::read_to_string(&text)
                        .with_context(|| format!("cannot read `{}`", text.display()))?;
                    let kind: AckKind = kind.parse()?;
                    let a = s
                        .acknowledge(
                            &actor,
                            person,
                            policy_version,
                            &charter_store::text_hash(&body),
                            kind,
                            device,
                        )
                        .await?;
                    ctx.emit(&a, |a| {
                        format!(
                            "acknowledgement {}: person {} {} version {}",
                            a.id, a.person_id, a.kind, a.policy_id
                        )
                    })?;
                }
                Acks::Due { on } => {
                    let on = match on {
                        Some(d) => date(&d)?,
                        None => today(),
                    };
                    let due = s.acknowledgements_due(on, &ctx.pack()?.governance).await?;
                    ctx.emit(&due, |due| {
                        due.iter()
                            .map(|d| format!("person {}: {} ({})\n", d.person_id, d.kind, d.reason))
                            .collect()
                    })?;
                }
            }
            Ok(ctx)
        })
    }
}
