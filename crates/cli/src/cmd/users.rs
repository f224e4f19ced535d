//! `charter users add|reset|disable|list`: dashboard logins, each belonging to a person in
//! the people register and acting with that person's roles. The administrator hands the
//! password and the TOTP secret over once; the store keeps only the password's argon2id hash.

use std::io::{BufRead as _, Read as _};

use anyhow::Context as _;
use clap::{Args, Subcommand};

use charter_app::users::{Enrolment, generate_password};
use charter_store::User;

use super::appctx::{self, AppArgs};
use crate::exit::CmdResult;

/// `charter users ...`
#[derive(Debug, Args)]
pub struct UsersCmd {
    #[command(subcommand)]
    cmd: Users,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Debug, Args)]
struct Secret {
    /// Read the password from the first line of standard input instead of generating one
    /// (at least 12 characters). Never give a password as an argument: others can see it.
    #[arg(long)]
    password_stdin: bool,
    /// No TOTP second factor. Refused for a person whose roles can see monitoring records
    /// (the pack's compliance, data protection and safeguarding roles).
    #[arg(long)]
    no_second_factor: bool,
}

#[derive(Debug, Subcommand)]
enum Users {
    /// Make a dashboard login for a person; prints the password (when generated) and the
    /// TOTP secret once.
    #[command(
        after_help = r#"Who may: the operator at the console, or a person (--by) holding one of the pack's register_roles.

The login acts as the person, with the roles the people register gives them. A TOTP secret is
made for every login; type it into an authenticator app, or scan the QR code the dashboard
shows at first sign-in.

Example:
  charter users add "Pat Jones" --login pat --config charter.toml

With a password of your choosing, read from standard input:
  printf '%s\n' "$PASSPHRASE" | charter users add pat.jones@example.org --login pat --password-stdin"#
    )]
    Add {
        /// The person: an id, a full name or an email address.
        person: String,
        /// The name typed at sign-in.
        #[arg(long)]
        login: String,
        #[command(flatten)]
        secret: Secret,
    },
    /// A new password and TOTP secret; unlocks a login locked after 10 failed attempts,
    /// enables a disabled one, and ends its sessions.
    #[command(after_help = r#"Who may: as for add.

Example:
  charter users reset pat --config charter.toml"#)]
    Reset {
        /// The login.
        login: String,
        #[command(flatten)]
        secret: Secret,
    },
    /// Disable a login and end its sessions.
    #[command(after_help = r#"Who may: as for add.

Example:
  charter users disable pat --config charter.toml"#)]
    Disable {
        /// The login.
        login: String,
    },
    /// Every dashboard login: person, failures, locked, disabled.
    #[command(after_help = r#"Example:
  charter users list --config charter.toml"#)]
    List,
}

fn password(secret: &Secret) -> anyhow::Result<(String, bool)> {
    if !secret.password_stdin {
        return Ok((generate_password()?, true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(4096)
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
}

fn enrolled(e: &Enrolment, password: Option<&str>) -> String {
    let mut out = format!(
        "login {} (id {}) for person {}\n",
        e.user.login, e.user.id, e.user.person_id
    );
    if let Some(p) = password {
        out.push_str(&format!("password: {p}\n"));
    }
    match (&e.totp_secret, &e.otpauth_uri) {
        (Some(s), Some(uri)) => out.push_str(&format!("totp secret: {s}\ntotp uri: {uri}\n")),
        _ => out.push_str("no second factor\n"),
    }
    out.push_str("Hand these over once; they are not shown again.\n");
    out
}

fn line(u: &User) -> String {
    format!(
        "login {} (id {}) person {} failed {}{}{}\n",
        u.login,
        u.id,
        u.person_id,
        u.failed_logins,
        u.locked_at
            .as_deref()
            .map(|t| format!(" locked {t}"))
            .unwrap_or_default(),
        u.disabled_at
            .as_deref()
            .map(|t| format!(" disabled {t}"))
            .unwrap_or_default(),
    )
}

#[derive(serde::Serialize)]
struct Handed<'a> {
    #[serde(flatten)]
    enrolment: &'a Enrolment,
    password: Option<&'a str>,
}

impl UsersCmd {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        let cmd = self.cmd;
        appctx::run(&self.app, |ctx| async move {
            let app = &ctx.app;
            match cmd {
                Users::Add {
                    person,
                    login,
                    secret,
                } => {
                    let id = ctx.person_id(&person).await?;
                    let (pw, shown) = password(&secret)?;
                    let e = app
                        .add_user(&ctx.actor, id, &login, &pw, !secret.no_second_factor)
                        .await?;
                    let shown = shown.then_some(pw.as_str());
                    ctx.emit(
                        &Handed {
                            enrolment: &e,
                            password: shown,
                        },
                        |h| enrolled(h.enrolment, h.password),
                    )?;
                }
                Users::Reset { login, secret } => {
                    let (pw, shown) = password(&secret)?;
                    let e = app
                        .reset_user(&ctx.actor, &login, &pw, !secret.no_second_factor)
                        .await?;
                    let shown = shown.then_some(pw.as_str());
                    ctx.emit(
                        &Handed {
                            enrolment: &e,
                            password: shown,
                        },
                        |h| enrolled(h.enrolment, h.password),
                    )?;
                }
                Users::Disable { login } => {
                    let u = app.disable_user(&ctx.actor, &login).await?;
                    ctx.emit(&u, |u| format!("login {} disabled", u.login))?;
                }
                Users::List => {
                    let users = app.users().await?;
                    ctx.emit(&users, |v| v.iter().map(line).collect())?;
                }
            }
            Ok(ctx)
        })
    }
}
