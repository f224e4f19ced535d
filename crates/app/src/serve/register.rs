//! What the gateways of `serve` take from the people register: every active person's roles
//! under each of their active account names, read as soon as the store is reachable and
//! every few minutes after, so that a start with the store down catches up.

use std::time::Duration;

use charter_gateways::web::Roles;
use charter_store::{AccountStatus, PersonStatus, Store};

use super::ServeError;
use super::records::StoreLink;

/// How often the people register is read again.
const REGISTER_EVERY: Duration = Duration::from_secs(300);

/// What the gateways need from the people register.
#[derive(Debug, Default)]
pub(super) struct Register {
    /// Every active person's roles under each of their active account names (proxy logins,
    /// mail addresses), for rules with `roles` and `except_roles`.
    pub roles: Roles,
    /// Active people's names, lowercase, for the milter's spoofed-sender check.
    pub directory: Vec<String>,
}

/// Reads [`Register`] from the store.
pub(super) async fn read_register(store: &Store) -> Result<Register, charter_store::Error> {
    let mut register = Register::default();
    for person in store.people().await? {
        if person.status != PersonStatus::Active {
            continue;
        }
        register
            .directory
            .push(format!("{} {}", person.first_name, person.last_name).to_lowercase());
        for account in store.accounts_of(person.id).await? {
            if account.status == AccountStatus::Active {
                register.roles.insert(account.name, person.roles.clone());
            }
        }
    }
    Ok(register)
}

/// Keeps `live` (the roles every gateway holds) up to date: the register's roles, read as
/// soon as the store is reachable (unless `serve` has just read them) and every few minutes
/// after, with `overrides` (the `user_roles` file) winning.
pub(super) async fn refresh_roles(
    mut link: StoreLink,
    live: Roles,
    overrides: Roles,
    just_read: bool,
) -> Result<(), ServeError> {
    let mut first = !just_read;
    if just_read {
        tokio::time::sleep(REGISTER_EVERY).await;
    }
    loop {
        let store = link.get().await;
        match read_register(&store).await {
            Ok(register) => {
                let mut roles = register.roles;
                let before = live.len();
                roles.extend(overrides.clone());
                live.replace(&roles);
                if first || before != live.len() {
                    first = false;
                    eprintln!(
                        "charter serve: users={}: People register read; roles in force.",
                        live.len()
                    );
                }
            }
            Err(e) => {
                eprintln!("charter serve: error={e}: People register not read; roles unchanged.")
            }
        }
        tokio::time::sleep(REGISTER_EVERY).await;
    }
}
