//! What the gateways of `serve` and the Squid helper take from the people register: every
//! active person's roles under each of their active account names, active people's names for
//! the milter's spoofed-sender check, and the devices assigned to them as the network shows
//! them (for requests without a login). All are read as soon as the store is reachable and
//! every minute after, and replaced together, so that a start with the store down catches up.

use std::collections::HashMap;
use std::time::Duration;

use charter_gateways::identity::DeviceIds;
use charter_gateways::milter::Colleagues;
use charter_gateways::web::Roles;
use charter_store::{AccountStatus, DeviceStatus, PersonStatus, Store};

use super::ServeError;
use super::identity::IdentitySource;
use super::records::StoreLink;

/// How often the people register is read again.
pub(super) const REGISTER_EVERY: Duration = Duration::from_secs(60);

/// What the gateways hold from the people register. Clones share both tables: the gateways
/// keep one clone, the refresh task replaces what they see.
#[derive(Debug, Clone, Default)]
pub(super) struct Register {
    /// Every active person's roles under each of their active account names (proxy logins,
    /// mail addresses), for rules with `roles` and `except_roles`; the `user_roles` file wins.
    pub roles: Roles,
    /// Active people's names, lowercase, for the milter's spoofed-sender check.
    pub colleagues: Colleagues,
    /// Client addresses mapped to people, from their devices and the leases files.
    pub identities: IdentitySource,
}

/// One read of the register.
#[derive(Debug, Default)]
pub(super) struct Read {
    roles: Roles,
    names: Vec<String>,
    devices: Vec<DeviceIds>,
}

impl Register {
    /// Starts with the roles of `overrides` (the `user_roles` file) and no names, in tables
    /// of its own: replacing them later leaves `overrides` as the file says.
    pub(super) fn from_overrides(overrides: &Roles) -> Register {
        let register = Register::default();
        register.roles.replace(overrides);
        register
    }

    /// Puts `read` in force for every gateway, with `overrides` winning; says whether the
    /// number of users or names changed.
    pub(super) fn put_in_force(&self, read: Read, overrides: &Roles) -> bool {
        let mut roles = read.roles;
        roles.extend(overrides.clone());
        let before = (self.roles.len(), self.colleagues.len());
        self.roles.replace(&roles);
        self.colleagues.replace(read.names);
        let devices = self.identities.set_devices(read.devices);
        devices || before != (self.roles.len(), self.colleagues.len())
    }

    /// Logs what is in force, as `who`.
    pub(super) fn log_in_force(&self, who: &str) {
        eprintln!(
            "{who}: users={} colleagues={} addresses={}: People register read; roles, colleagues' names and devices in force.",
            self.roles.len(),
            self.colleagues.len(),
            self.identities.live().current().len()
        );
    }
}

/// Reads the register from the store.
pub(super) async fn read_register(store: &Store) -> Result<Read, charter_store::Error> {
    let mut read = Read::default();
    // Each person's user name for requests put down to their devices: a `login` account
    // (the proxy login they would have), else their first active account.
    let mut user_of: HashMap<i64, String> = HashMap::new();
    for person in store.people().await? {
        if person.status != PersonStatus::Active {
            continue;
        }
        read.names
            .push(format!("{} {}", person.first_name, person.last_name).to_lowercase());
        for account in store.accounts_of(person.id).await? {
            if account.status == AccountStatus::Active {
                if account.system == "login" || !user_of.contains_key(&person.id) {
                    user_of.insert(person.id, account.name.clone());
                }
                read.roles.insert(account.name, person.roles.clone());
            }
        }
    }
    for device in store.devices().await? {
        let user = device.assignee.and_then(|a| user_of.get(&a));
        let (Some(user), DeviceStatus::Assigned) = (user, device.status) else {
            continue;
        };
        let net = device.network;
        read.devices.push(DeviceIds {
            user: user.clone(),
            mac: net.mac,
            hostname: net.hostname,
            ip: net.ip.and_then(|ip| ip.parse().ok()),
        });
    }
    Ok(read)
}

/// Every active person's roles under each of their active account names, as the gateways
/// hold them (for `charter ingest`, which decides as they do).
pub(crate) async fn register_roles(store: &Store) -> Result<Roles, charter_store::Error> {
    Ok(read_register(store).await?.roles)
}

/// Keeps `live` (what every gateway holds) up to date: the register read as soon as the
/// store is reachable (unless `serve` has just read it) and every minute after, with
/// `overrides` (the `user_roles` file) winning.
pub(super) async fn refresh(
    who: &'static str,
    mut link: StoreLink,
    live: Register,
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
            Ok(read) => {
                if live.put_in_force(read, &overrides) || first {
                    first = false;
                    live.log_in_force(who);
                }
            }
            Err(e) => eprintln!(
                "{who}: error={e}: People register not read; roles, colleagues' names and devices unchanged."
            ),
        }
        tokio::time::sleep(REGISTER_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(roles: &str, names: &[&str]) -> Read {
        Read {
            roles: Roles::parse(roles),
            names: names.iter().map(|n| n.to_string()).collect(),
            devices: Vec::new(),
        }
    }

    #[test]
    fn a_read_replaces_roles_and_names_together_for_every_clone() {
        let overrides = Roles::parse("ann marketing\n");
        let live = Register::from_overrides(&overrides);
        let milter = live.clone();
        assert_eq!(
            (milter.roles.of(Some("ann")), milter.colleagues.len()),
            (vec!["marketing".to_string()], 0)
        );
        assert!(live.put_in_force(
            read("ann staff\nben staff\n", &["ann lee", "ben jones"]),
            &overrides
        ));
        assert_eq!(milter.roles.of(Some("ann")), ["marketing"], "the file wins");
        assert_eq!(milter.roles.of(Some("ben")), ["staff"]);
        assert_eq!(&*milter.colleagues.current(), ["ann lee", "ben jones"]);
        // Ben leaves: his roles and name go at the next read; the file is as it was.
        assert!(live.put_in_force(read("ann staff\n", &["ann lee"]), &overrides));
        assert!(milter.roles.of(Some("ben")).is_empty());
        assert_eq!(&*milter.colleagues.current(), ["ann lee"]);
        assert_eq!(
            (overrides.len(), overrides.of(Some("ann"))),
            (1, vec!["marketing".to_string()])
        );
        assert!(!live.put_in_force(read("ann staff\n", &["ann lee"]), &overrides));
    }
}
