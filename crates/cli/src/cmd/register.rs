//! The registers: `charter people|accounts|devices|software|social|acks ...`. Each command
//! parses, calls the app and prints; who may do what is the app's (the pack's
//! `[governance]`). People are named by id, full name or email address wherever one is asked
//! for, and listings put names beside ids.
//!
//! Every command takes `--config charter.toml`, `--json` and `--by PERSON` (who is acting).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use charter_app::activity::UsbDevice;
use charter_app::{Names, PersonAdded};
use charter_store::{
    AckKind, Device, DeviceNetwork, NewDevice, NewPerson, NewSocial, PersonUpdate,
};

use super::appctx::{self, AppArgs, Ctx};
use crate::exit::CmdResult;

fn list_arg(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

async fn opt_person(ctx: &Ctx, q: Option<String>) -> anyhow::Result<Option<i64>> {
    match q {
        Some(q) => Ok(Some(ctx.person_id(&q).await?)),
        None => Ok(None),
    }
}

// ---- people ---------------------------------------------------------------------------------

/// `charter people ...`
#[derive(Debug, Args)]
pub struct PeopleCmd {
    #[command(subcommand)]
    cmd: People,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum People {
    /// Add a person; `--email` also makes their address by the pack's naming convention (both
    /// or neither are recorded). Roles must be ones the pack declares ([organisation] roles).
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a register role ([governance] register_roles, default hr).

Example:
  charter people add --first Smith --last Brown --roles management --location uk --email --config charter.toml"#
    )]
    Add {
        /// Given name.
        #[arg(long)]
        first: String,
        /// Family name.
        #[arg(long)]
        last: String,
        /// Department (`hr`, `finance`).
        #[arg(long)]
        department: Option<String>,
        /// Code of the geographical location (`uk`).
        #[arg(long)]
        location: Option<String>,
        /// Roles, comma-separated (`staff,marketing`); each one the pack declares in
        /// [organisation] roles.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Line manager: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        manager: Option<String>,
        /// Their first day. A date in the pack's zone, e.g. 2026-07-31 (a time there stands for its
        /// day).
        #[arg(long, value_name = "DATE")]
        start: Option<String>,
        /// Make their email address now.
        #[arg(long)]
        email: bool,
    },
    /// Everyone in the register.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter people list --config charter.toml"#
    )]
    List,
    /// One person with their accounts.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter people show "Pat Jones" --config charter.toml"#
    )]
    Show {
        /// Id, full name or email address.
        person: String,
    },
    /// Change roles, manager, department, location or leaving date.
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a register role ([governance] register_roles, default hr).

Example:
  charter people update 3 --roles staff,marketing --config charter.toml"#
    )]
    Update {
        /// Id, full name or email address.
        person: String,
        /// New roles, comma-separated, replacing the old; each one the pack declares in
        /// [organisation] roles.
        #[arg(long, value_delimiter = ',')]
        roles: Option<Vec<String>>,
        /// New line manager: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        manager: Option<String>,
        /// New department.
        #[arg(long)]
        department: Option<String>,
        /// New location code.
        #[arg(long)]
        location: Option<String>,
        /// Their leaving date. A date in the pack's zone, e.g. 2026-07-31 (a time there stands for
        /// its day).
        #[arg(long, value_name = "DATE")]
        leaving: Option<String>,
    },
    /// Make a person's email address by the pack's naming convention.
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a register role or a device approver role ([governance] register_roles, device_approvers).

Example:
  charter people email "Pat Jones" --config charter.toml"#
    )]
    Email {
        /// Id, full name or email address.
        person: String,
    },
    /// The messages left for a person: who read their monitoring records, when and why.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter people notices "Pat Jones" --config charter.toml"#
    )]
    Notices {
        /// Id, full name or email address.
        person: String,
    },
}

impl PeopleCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
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
                    let new = NewPerson {
                        first_name: first,
                        last_name: last,
                        department,
                        location,
                        roles: list_arg(&roles),
                        line_manager: opt_person(&ctx, manager).await?,
                        start_date: start
                            .map(|s| ctx.day(Some(&s)))
                            .transpose()?
                            .map(|d| d.to_string()),
                    };
                    let added = app.add_person(actor, new, email).await?;
                    ctx.emit(&added, |a: &PersonAdded| {
                        let mut t =
                            format!("{} added [{}]", a.person.label(), a.person.roles.join(","));
                        if let Some(m) = &a.email {
                            t.push_str(&format!("\nemail {} ({})", m.address, m.explanation));
                        }
                        t
                    })?;
                }
                People::List => {
                    let people = app.people().await?;
                    ctx.emit(&people, |ps| {
                        ps.iter()
                            .map(|p| {
                                format!(
                                    "{:>5}  {:<24} {:<8} {}\n",
                                    p.id,
                                    p.full_name(),
                                    p.status,
                                    p.roles.join(",")
                                )
                            })
                            .collect()
                    })?;
                }
                People::Show { person } => {
                    let id = ctx.person_id(&person).await?;
                    let (p, accounts) = app.person(id).await?;
                    let names = app.names().await?;
                    ctx.emit(
                        &serde_json::json!({"person": p, "accounts": accounts}),
                        |_| {
                            let mut t = format!(
                                "{} ({})\nroles: {}\nmanager: {}\nstart: {}  leaving: {}\n",
                                p.label(),
                                p.status,
                                p.roles.join(","),
                                p.line_manager
                                    .map(|m| names.label(m))
                                    .unwrap_or_else(|| "-".into()),
                                p.start_date.as_deref().unwrap_or("-"),
                                p.leaving_date.as_deref().unwrap_or("-")
                            );
                            for a in &accounts {
                                t.push_str(&format!(
                                    "account {} {} {} ({})\n",
                                    a.id, a.system, a.name, a.status
                                ));
                            }
                            t
                        },
                    )?;
                }
                People::Update {
                    person,
                    roles,
                    manager,
                    department,
                    location,
                    leaving,
                } => {
                    let id = ctx.person_id(&person).await?;
                    let u = PersonUpdate {
                        roles: roles.map(|r| list_arg(&r)),
                        line_manager: opt_person(&ctx, manager).await?,
                        department,
                        location,
                        leaving_date: leaving
                            .map(|s| ctx.day(Some(&s)))
                            .transpose()?
                            .map(|d| d.to_string()),
                    };
                    let p = app.update_person(actor, id, u).await?;
                    ctx.emit(&p, |p| format!("{} updated", p.label()))?;
                }
                People::Email { person } => {
                    let id = ctx.person_id(&person).await?;
                    let made = app.make_email(actor, id).await?;
                    ctx.emit(&made, |m| format!("{} ({})", m.address, m.explanation))?;
                }
                People::Notices { person } => {
                    let p = ctx.person(&person).await?;
                    let notices = app.notices_of(p.id).await?;
                    let tz = app.time_zone().clone();
                    ctx.emit(&notices, |ns| {
                        if ns.is_empty() {
                            return format!("no messages for {}", p.label());
                        }
                        ns.iter()
                            .map(|n| {
                                format!(
                                    "{}  {}\n",
                                    charter_app::clock::local_text(&n.at, &tz),
                                    n.text
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

// ---- accounts ---------------------------------------------------------------------------------

/// `charter accounts ...`
#[derive(Debug, Args)]
pub struct AccountsCmd {
    #[command(subcommand)]
    cmd: Accounts,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Accounts {
    /// Add an account (`login`, `vpn`, ...) for a person.
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a register role or a device approver role ([governance] register_roles, device_approvers).

Example:
  charter accounts add "Pat Jones" --system login --name pjones --config charter.toml"#
    )]
    Add {
        /// Id, full name or email address.
        person: String,
        /// Which system (`login`, `vpn`).
        #[arg(long)]
        system: String,
        /// The name on that system.
        #[arg(long)]
        name: String,
    },
    /// Disable one account.
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a register role or a device approver role ([governance] register_roles, device_approvers).

Example:
  charter accounts disable 4 --config charter.toml"#
    )]
    Disable {
        /// The account's id (`people show` lists them).
        id: i64,
    },
}

impl AccountsCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let names_of = async |ctx: &Ctx| ctx.app.names().await;
            match cmd {
                Accounts::Add {
                    person,
                    system,
                    name,
                } => {
                    let id = ctx.person_id(&person).await?;
                    let a = ctx.app.add_account(&ctx.actor, id, &system, &name).await?;
                    let names = names_of(&ctx).await?;
                    ctx.emit(&a, |a| {
                        format!(
                            "account {} added for {}: {} {}",
                            a.id,
                            names.label(a.person_id),
                            a.system,
                            a.name
                        )
                    })?;
                }
                Accounts::Disable { id } => {
                    let a = ctx.app.disable_account(&ctx.actor, id).await?;
                    let names = names_of(&ctx).await?;
                    ctx.emit(&a, |a| {
                        format!(
                            "account {} ({} {}) of {} disabled",
                            a.id,
                            a.system,
                            a.name,
                            names.label(a.person_id)
                        )
                    })?;
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
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Devices {
    /// Register a device (in stock, or assigned with `--assignee`).
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a device approver role ([governance] device_approvers).

Example:
  charter devices add --serial SN-1 --kind laptop --encrypted --config charter.toml"#
    )]
    Add {
        /// Serial number (unique).
        #[arg(long)]
        serial: String,
        /// `laptop`, `phone`, `tablet`, `usb`, ...
        #[arg(long)]
        kind: String,
        /// A personal device used for work (give its owner as `--assignee`).
        #[arg(long)]
        byod: bool,
        /// Its storage is encrypted.
        #[arg(long)]
        encrypted: bool,
        /// Who has it: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        assignee: Option<String>,
        /// Free text.
        #[arg(long)]
        note: Option<String>,
    },
    /// Every device.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter devices list --config charter.toml"#
    )]
    List,
    /// Say how a device shows on the network, so that web requests from it without a proxy
    /// login are put down to its holder (docs/squid.md, "Identity"). Options given replace
    /// what the register holds; the others stay, unless --clear.
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a device approver role ([governance] device_approvers).

Example:
  charter devices network 1 --mac 52:54:00:ab:cd:ef --hostname ann-laptop --config charter.toml
  charter devices network 2 --ip 10.0.0.20 --config charter.toml
  charter devices network 1 --clear --config charter.toml"#
    )]
    Network {
        /// The device's id.
        id: i64,
        /// Its MAC address, as a DHCP leases file names it (52:54:00:ab:cd:ef).
        #[arg(long)]
        mac: Option<String>,
        /// The host name it gives DHCP.
        #[arg(long)]
        hostname: Option<String>,
        /// A fixed IP address it always has.
        #[arg(long)]
        ip: Option<String>,
        /// Forget what the register holds first (alone: clear all three).
        #[arg(long)]
        clear: bool,
    },
    /// Give a device to a person.
    #[command(
        after_help = r#"Who may: a person holding a device approver role ([governance] device_approvers), named by --by.

Example:
  charter devices assign 1 --to "Pat Jones" --by "Ian Tech" --config charter.toml"#
    )]
    Assign {
        /// The device's id.
        id: i64,
        /// Who gets it: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        to: String,
    },
    /// Report a device lost or stolen: opens an incident.
    #[command(
        after_help = r#"Who may: any person in the register who is still here, named by --by (the reporter).

Example:
  charter devices lost 1 --stolen --description "taken from a car" --by "Pat Jones" --config charter.toml"#
    )]
    Lost {
        /// The device's id.
        id: i64,
        /// Stolen rather than lost.
        #[arg(long)]
        stolen: bool,
        /// What happened.
        #[arg(long)]
        description: String,
    },
    /// Take a device back (also a lost one found again).
    #[command(
        after_help = r#"Who may: a person holding a device approver role ([governance] device_approvers), named by --by.

Example:
  charter devices return 1 --by "Ian Tech" --config charter.toml"#
    )]
    Return {
        /// The device's id.
        id: i64,
    },
    /// Write a device off (a lost or stolen one once its incident is closed).
    #[command(
        after_help = r#"Who may: a person holding a device approver role ([governance] device_approvers), named by --by.

Example:
  charter devices retire 1 --reason "stolen, not recovered" --by "Ian Tech" --config charter.toml"#
    )]
    Retire {
        /// The device's id.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Authorise a person to attach removable media or third-party hardware.
    #[command(
        after_help = r#"Who may: a person holding a device approver role ([governance] device_approvers), named by --by.

Example:
  charter devices authorise-media --person "Pat Jones" --description "Kingston USB 32 GB" --reason "site visits" --by "Ian Tech" --config charter.toml
  charter devices authorise-media --person "Pat Jones" --description "SanDisk Cruzer Blade" --usb-id 0781:5567 --serial 4C530001131109103535 --reason "site visits" --by "Ian Tech" --config charter.toml

With --usb-id (and --serial, when the device reports one) usbguard's events for the device match
the authorisation, and `charter devices usbguard-rules` writes an allow rule for it. `usbguard
list-devices` shows both: `id 0781:5567 serial "4C530001131109103535"`."#
    )]
    AuthoriseMedia {
        /// Who: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        person: String,
        /// What (`Kingston USB stick 32 GB`).
        #[arg(long)]
        description: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The last day it holds (default: until revoked). A date in the pack's zone, e.g.
        /// 2026-07-31 (a time there stands for its day).
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// The device as usbguard names it: vendor:product in hex (0781:5567).
        #[arg(long, value_name = "VID:PID")]
        usb_id: Option<String>,
        /// Its serial number as usbguard reports it (needs --usb-id).
        #[arg(long, value_name = "SERIAL", requires = "usb_id")]
        serial: Option<String>,
    },
    /// Withdraw a removable-media authorisation.
    #[command(
        after_help = r#"Who may: a person holding a device approver role ([governance] device_approvers), named by --by.

Example:
  charter devices revoke-media 2 --by "Ian Tech" --config charter.toml"#
    )]
    RevokeMedia {
        /// The authorisation's id.
        id: i64,
    },
    /// Removable-media authorisations.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter devices media --config charter.toml"#
    )]
    Media,
    /// usbguard allow rules for the removable media authorised today, in usbguard's rule
    /// language: one `allow id VID:PID [serial "..."]` line per authorisation that names its
    /// device (--usb-id), so usbguard stops every other device.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter devices usbguard-rules --config charter.toml

Written where usbguard reads its rules, then checked and loaded:
  charter devices usbguard-rules --config charter.toml > /etc/usbguard/rules.d/50-charter.conf
  usbguard-rule-parser -f /etc/usbguard/rules.d/50-charter.conf && systemctl restart usbguard

Run it again (from cron, or after each authorise-media or revoke-media) so revoked and expired
authorisations drop out. usbguard's ImplicitPolicyTarget=block decides every device not listed."#
    )]
    UsbguardRules {
        /// The time whose authorisations are in force (default now). A time without an offset is local time in the pack's zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

fn show_device(d: &Device, names: &Names) -> String {
    let net = &d.network;
    let seen: Vec<String> = [
        ("mac", &net.mac),
        ("hostname", &net.hostname),
        ("ip", &net.ip),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
    .collect();
    format!(
        "{} {}{}{}",
        d.label(),
        d.status,
        d.assignee
            .map(|a| format!(", {}", names.label(a)))
            .unwrap_or_default(),
        if seen.is_empty() {
            String::new()
        } else {
            format!(" [{}]", seen.join(" "))
        }
    )
}

impl DevicesCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            match cmd {
                Devices::Add {
                    serial,
                    kind,
                    byod,
                    encrypted,
                    assignee,
                    note,
                } => {
                    let assignee = opt_person(&ctx, assignee).await?;
                    let d = app
                        .add_device(
                            actor,
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
                    let names = app.names().await?;
                    ctx.emit(&d, |d| show_device(d, &names))?;
                }
                Devices::List => {
                    let ds = app.devices().await?;
                    let names = app.names().await?;
                    ctx.emit(&ds, |ds| {
                        ds.iter().map(|d| show_device(d, &names) + "\n").collect()
                    })?;
                }
                Devices::Network {
                    id,
                    mac,
                    hostname,
                    ip,
                    clear,
                } => {
                    let mut net = if clear {
                        DeviceNetwork::default()
                    } else {
                        app.device(id).await?.network
                    };
                    net.mac = mac.or(net.mac);
                    net.hostname = hostname.or(net.hostname);
                    net.ip = ip.or(net.ip);
                    let d = app.set_device_network(actor, id, net).await?;
                    let names = app.names().await?;
                    ctx.emit(&d, |d| show_device(d, &names))?;
                }
                Devices::Assign { id, to } => {
                    let to = ctx.person_id(&to).await?;
                    let d = app.assign_device(actor, id, to).await?;
                    let names = app.names().await?;
                    ctx.emit(&d, |d| show_device(d, &names))?;
                }
                Devices::Lost {
                    id,
                    stolen,
                    description,
                } => {
                    let (d, inc) = app
                        .report_device_lost(actor, id, stolen, &description)
                        .await?;
                    let names = app.names().await?;
                    ctx.emit(&serde_json::json!({"device": d, "incident": inc}), |_| {
                        format!(
                            "{}\nincident {} opened, routed to {}",
                            show_device(&d, &names),
                            inc.id,
                            inc.routed_to
                        )
                    })?;
                }
                Devices::Return { id } => {
                    let d = app.return_device(actor, id).await?;
                    let names = app.names().await?;
                    ctx.emit(&d, |d| show_device(d, &names))?;
                }
                Devices::Retire { id, reason } => {
                    let d = app.retire_device(actor, id, &reason).await?;
                    let names = app.names().await?;
                    ctx.emit(&d, |d| show_device(d, &names))?;
                }
                Devices::AuthoriseMedia {
                    person,
                    description,
                    reason,
                    expires,
                    usb_id,
                    serial,
                } => {
                    let person = ctx.person_id(&person).await?;
                    let expires = expires.map(|e| ctx.day(Some(&e))).transpose()?;
                    let usb = usb_id.map(|id| UsbDevice { id, serial });
                    let m = app
                        .authorise_media(actor, person, &description, &reason, expires, usb)
                        .await?;
                    let names = app.names().await?;
                    ctx.emit(&m, |m| {
                        format!(
                            "authorisation {}: {} may use {}",
                            m.id,
                            names.label(m.person_id),
                            m.description
                        )
                    })?;
                }
                Devices::RevokeMedia { id } => {
                    let m = app.revoke_media(actor, id).await?;
                    let names = app.names().await?;
                    ctx.emit(&m, |m| {
                        format!(
                            "authorisation {} of {} revoked",
                            m.id,
                            names.label(m.person_id)
                        )
                    })?;
                }
                Devices::Media => {
                    let ms = app.media_authorisations().await?;
                    let names = app.names().await?;
                    ctx.emit(&ms, |ms| {
                        ms.iter()
                            .map(|m| {
                                format!(
                                    "{:>5} {} {} until {}{}\n",
                                    m.id,
                                    names.label(m.person_id),
                                    m.description,
                                    m.expires_on.as_deref().unwrap_or("-"),
                                    if m.revoked_at.is_some() {
                                        " (ended)"
                                    } else {
                                        ""
                                    }
                                )
                            })
                            .collect()
                    })?;
                }
                Devices::UsbguardRules { at } => {
                    let at = ctx.time(at.as_deref())?;
                    print!("{}", app.usbguard_rules(at).await?);
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
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Software {
    /// Ask to install software (for yourself, or as line manager or register keeper for
    /// someone else).
    #[command(
        after_help = r#"Who may: the person themselves (--by them), their line manager, a software approver or a register role ([governance] software_approvers, register_roles), or the operator (no --by).

Example:
  charter software request --person "Pat Jones" --name Inkscape --reason diagrams --by "Pat Jones" --config charter.toml"#
    )]
    Request {
        /// For whom: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        person: String,
        /// The software.
        #[arg(long)]
        name: String,
        /// Why it is needed.
        #[arg(long)]
        reason: String,
    },
    /// Approve a request.
    #[command(
        after_help = r#"Who may: a person holding a software approver role ([governance] software_approvers), named by --by.

Example:
  charter software approve 1 --reason "free licence" --by "Ian Tech" --config charter.toml"#
    )]
    Approve {
        /// The request's id.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Refuse a request.
    #[command(
        after_help = r#"Who may: a person holding a software approver role ([governance] software_approvers), named by --by.

Example:
  charter software refuse 1 --reason "not licensed for business use" --by "Ian Tech" --config charter.toml"#
    )]
    Refuse {
        /// The request's id.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Every request.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter software list --config charter.toml"#
    )]
    List,
    /// The approved list (what the engine's `unauthorised_software` check allows).
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter software approved --config charter.toml"#
    )]
    Approved,
}

impl SoftwareCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            let show = |r: &charter_store::SoftwareRequest, names: &Names| {
                format!(
                    "request {} {} for {}: {}",
                    r.id,
                    r.software,
                    names.label(r.person_id),
                    r.status
                )
            };
            match cmd {
                Software::Request {
                    person,
                    name,
                    reason,
                } => {
                    let person = ctx.person_id(&person).await?;
                    let r = app.request_software(actor, person, &name, &reason).await?;
                    let names = app.names().await?;
                    ctx.emit(&r, |r| show(r, &names))?;
                }
                Software::Approve { id, reason } => {
                    let r = app.decide_software(actor, id, true, &reason).await?;
                    let names = app.names().await?;
                    ctx.emit(&r, |r| show(r, &names))?;
                }
                Software::Refuse { id, reason } => {
                    let r = app.decide_software(actor, id, false, &reason).await?;
                    let names = app.names().await?;
                    ctx.emit(&r, |r| show(r, &names))?;
                }
                Software::List => {
                    let rs = app.software_requests().await?;
                    let names = app.names().await?;
                    ctx.emit(&rs, |rs| {
                        rs.iter().map(|r| show(r, &names) + "\n").collect()
                    })?;
                }
                Software::Approved => {
                    let names = app.approved_software().await?;
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
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Social {
    /// Register an official account (two-factor sign-in must be on).
    #[command(
        after_help = r#"Who may: a person holding a social media approver role ([governance] social_media_approvers), named by --by.

Example:
  charter social add --platform linkedin --handle iimts --owner "Sam Social" --custodian "Ian Tech" --two-factor --by "Hana HR" --config charter.toml"#
    )]
    Add {
        /// `linkedin`, `x`, ...
        #[arg(long)]
        platform: String,
        /// The account's handle.
        #[arg(long)]
        handle: String,
        /// Who is responsible for it: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        owner: String,
        /// Who keeps the credentials: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        custodian: String,
        /// Two-factor sign-in is on.
        #[arg(long)]
        two_factor: bool,
    },
    /// Let another person post from it.
    #[command(
        after_help = r#"Who may: a person holding a social media approver role ([governance] social_media_approvers), named by --by.

Example:
  charter social authorise 1 --person "Pat Jones" --by "Hana HR" --config charter.toml"#
    )]
    Authorise {
        /// The account's id.
        id: i64,
        /// Who: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        person: String,
    },
    /// Hand it over with its credentials.
    #[command(
        after_help = r#"Who may: a person holding a social media approver role ([governance] social_media_approvers), named by --by.

Example:
  charter social handover 1 --owner "Hana HR" --custodian "Ian Tech" --by "Hana HR" --config charter.toml"#
    )]
    Handover {
        /// The account's id.
        id: i64,
        /// The new owner: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        owner: String,
        /// The new credentials custodian: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        custodian: String,
    },
    /// Every official account.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter social list --config charter.toml"#
    )]
    List,
}

impl SocialCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            let show = |a: &charter_store::SocialAccount, names: &Names| {
                format!(
                    "{}: owner {}, custodian {}, two-factor {}, {}",
                    a.label(),
                    names.label(a.owner_id),
                    names.label(a.custodian_id),
                    if a.two_factor { "on" } else { "off" },
                    a.status
                )
            };
            let a = match cmd {
                Social::Add {
                    platform,
                    handle,
                    owner,
                    custodian,
                    two_factor,
                } => {
                    let new = NewSocial {
                        platform,
                        handle,
                        owner_id: ctx.person_id(&owner).await?,
                        custodian_id: ctx.person_id(&custodian).await?,
                        two_factor,
                    };
                    app.add_social_account(actor, new).await?
                }
                Social::Authorise { id, person } => {
                    let person = ctx.person_id(&person).await?;
                    app.authorise_social_user(actor, id, person).await?
                }
                Social::Handover {
                    id,
                    owner,
                    custodian,
                } => {
                    let owner = ctx.person_id(&owner).await?;
                    let custodian = ctx.person_id(&custodian).await?;
                    app.hand_over_social(actor, id, owner, custodian).await?
                }
                Social::List => {
                    let all = app.social_accounts().await?;
                    let names = app.names().await?;
                    ctx.emit(&all, |all| {
                        all.iter().map(|a| show(a, &names) + "\n").collect()
                    })?;
                    return Ok(ctx);
                }
            };
            let names = app.names().await?;
            ctx.emit(&a, |a| show(a, &names))?;
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
    app: AppArgs,
}

#[derive(Debug, Subcommand)]
enum Acks {
    /// Publish a version of the written policy (its exact text, hashed).
    #[command(
        after_help = r#"Who may: the operator (no --by), or a person holding a register role ([governance] register_roles, default hr).

Example:
  charter acks publish --version 3 --text policy.txt --material --config charter.toml"#
    )]
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
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter acks versions --config charter.toml"#
    )]
    Versions,
    /// Record that a person acknowledged the text in FILE (what they were shown).
    #[command(
        after_help = r#"Who may: the person themselves (--by them); the operator (no --by) or a register role ([governance] register_roles) may record a signed paper form.

Example:
  charter acks sign --person "Pat Jones" --policy-version 1 --text policy.txt --by "Pat Jones" --config charter.toml"#
    )]
    Sign {
        /// Who: id, full name or email address.
        #[arg(long, value_name = "PERSON")]
        person: String,
        /// The version's id (`acks versions` lists them).
        #[arg(long = "policy-version", value_name = "ID")]
        policy_version: i64,
        /// The text they were shown.
        #[arg(long, value_name = "FILE")]
        text: PathBuf,
        /// `agreement`, `briefing` or `induction`.
        #[arg(long, default_value = "agreement")]
        kind: String,
        /// The laptop the agreement names (it must be assigned to the person).
        #[arg(long, value_name = "DEVICE")]
        device: Option<i64>,
    },
    /// Who owes an acknowledgement, briefing or induction, and by when (as of `--on`, a time
    /// or date in the pack's zone; default now), and when the policy is due for review.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter acks due --config charter.toml"#
    )]
    Due {
        /// As of this time (default now). A time without an offset is local time in the pack's
        /// zone, e.g. 2026-06-15T10:00; one with an offset (2026-06-15T10:00:00+01:00) is exact.
        #[arg(long, value_name = "TIME")]
        on: Option<String>,
    },
    /// When the written policy is due for review.
    #[command(
        after_help = r#"Who may: anyone who can open the store (reading is not limited by role).

Example:
  charter acks review --config charter.toml"#
    )]
    Review,
}

impl AcksCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            let actor = &ctx.actor;
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read `{}`", path.display()))
            };
            match cmd {
                Acks::Publish {
                    version,
                    text,
                    material,
                } => {
                    let v = app
                        .publish_policy(actor, &version, &read(&text)?, material)
                        .await?;
                    ctx.emit(&v, |v| {
                        format!(
                            "policy version {} ({} {}) published{}",
                            v.id,
                            v.pack_id,
                            v.version,
                            if v.material_change {
                                ", a material change"
                            } else {
                                ""
                            }
                        )
                    })?;
                }
                Acks::Versions => {
                    let vs = app.policy_versions().await?;
                    let tz = app.time_zone().clone();
                    ctx.emit(&vs, |vs| {
                        vs.iter()
                            .map(|v| {
                                format!(
                                    "{:>4} {} {} published {}\n",
                                    v.id,
                                    v.pack_id,
                                    v.version,
                                    charter_app::clock::local_text(&v.published_at, &tz)
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
                    let person = ctx.person_id(&person).await?;
                    let kind: AckKind = kind.parse()?;
                    let hash = charter_store::text_hash(&read(&text)?);
                    let a = app
                        .acknowledge(actor, person, policy_version, &hash, kind, device)
                        .await?;
                    let names = app.names().await?;
                    ctx.emit(&a, |a| {
                        format!(
                            "acknowledgement {}: {} {} version {}",
                            a.id,
                            names.label(a.person_id),
                            a.kind,
                            a.policy_id
                        )
                    })?;
                }
                Acks::Due { on } => {
                    let now = ctx.time(on.as_deref())?;
                    let due = app.acknowledgements_due(now).await?;
                    let review = app.policy_review(now);
                    ctx.emit(&due, |due| {
                        let mut t = review
                            .map(|r| format!("policy review {}\n", r.clock.text()))
                            .unwrap_or_default();
                        for d in due {
                            t.push_str(&format!(
                                "person {} ({}): {} {}: {}\n",
                                d.person_id,
                                d.person_name,
                                d.kind,
                                d.clock.text(),
                                d.reason
                            ));
                        }
                        t
                    })?;
                }
                Acks::Review => {
                    let review = app.policy_review(jiff::Timestamp::now());
                    ctx.emit(&review, |r| match r {
                        Some(r) => format!("policy review {} ({})", r.clock.text(), r.basis),
                        None => "the pack gives no review date".to_string(),
                    })?;
                }
            }
            Ok(ctx)
        })
    }
}
