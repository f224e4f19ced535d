//! Who made a web request (DESIGN section 7, identity): the proxy login where Squid
//! authenticates; else the client address mapped to a person through the devices register
//! (a fixed address, or the MAC address or host name of a current DHCP lease); else an
//! unknown user, for whom `unknown_user` fires exactly as in `charter check url --user -`.
//!
//! [`Identities`] is the live table the gateways consult, shared like [`crate::web::Roles`]:
//! whoever reads the register and the leases files builds an [`IdentityTable`] and
//! [`Identities::replace`]s it; each lookup sees the old table or the new one, whole.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use charter_proto::leases::Lease;
use jiff::Timestamp;

/// What the engine is told about a request with no login and no mapping: Squid's `-`,
/// which the engine's context reads as an unidentified user.
pub const UNKNOWN_USER: &str = "-";

/// A device in the register as the network shows it, with the user name of its holder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceIds {
    /// The holder's user name (an account name, as roles are keyed).
    pub user: String,
    /// MAC address, lowercase with colons.
    pub mac: Option<String>,
    /// Host name, lowercase.
    pub hostname: Option<String>,
    /// A fixed address.
    pub ip: Option<IpAddr>,
}

/// One user's hold on an address, from a lease: `[starts, ends)` in seconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    starts: Option<i64>,
    ends: Option<i64>,
    user: String,
}

/// Addresses mapped to users, built from the devices register and the leases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityTable {
    fixed: HashMap<IpAddr, String>,
    leased: HashMap<IpAddr, Vec<Held>>,
}

impl IdentityTable {
    /// Maps each device's fixed address to its holder, and each lease whose MAC address
    /// (else host name) is a device's to that device's holder. Leases of machines not in
    /// the register map nobody.
    pub fn build(devices: &[DeviceIds], leases: &[Lease]) -> IdentityTable {
        let mut table = IdentityTable::default();
        let mut by_mac = HashMap::new();
        let mut by_host = HashMap::new();
        for d in devices {
            if let Some(ip) = d.ip {
                table.fixed.insert(ip, d.user.clone());
            }
            if let Some(mac) = &d.mac {
                by_mac.insert(mac.as_str(), d.user.as_str());
            }
            if let Some(host) = &d.hostname {
                by_host.insert(host.as_str(), d.user.as_str());
            }
        }
        for lease in leases {
            let user = lease
                .mac
                .as_deref()
                .and_then(|m| by_mac.get(m))
                .or_else(|| lease.hostname.as_deref().and_then(|h| by_host.get(h)));
            if let Some(user) = user {
                table.leased.entry(lease.ip).or_default().push(Held {
                    starts: lease.starts,
                    ends: lease.ends,
                    user: (*user).to_string(),
                });
            }
        }
        table
    }

    /// How many addresses map to someone (fixed, or by some lease).
    pub fn len(&self) -> usize {
        self.fixed.len()
            + self
                .leased
                .keys()
                .filter(|ip| !self.fixed.contains_key(ip))
                .count()
    }

    /// Whether no address maps to anyone.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The user at `ip` at `now` (seconds since the epoch): a fixed address first, else the
    /// newest lease (the last in file order) that holds at `now`.
    pub fn user_at(&self, ip: IpAddr, now: i64) -> Option<&str> {
        if let Some(user) = self.fixed.get(&ip) {
            return Some(user);
        }
        self.leased
            .get(&ip)?
            .iter()
            .rev()
            .find(|h| h.starts.is_none_or(|s| s <= now) && h.ends.is_none_or(|e| now < e))
            .map(|h| h.user.as_str())
    }
}

/// The live table. Cheap to clone; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Identities(Arc<RwLock<Arc<IdentityTable>>>);

impl Identities {
    /// Puts `table` in force for every clone.
    pub fn replace(&self, table: IdentityTable) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
    }

    /// The table in force.
    pub fn current(&self) -> Arc<IdentityTable> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Who made a request: `login` when there is one (not empty, not `-`); else the user
    /// `client` maps to at `at`; else `None`, an unknown user.
    pub fn who(&self, login: Option<&str>, client: Option<&str>, at: Timestamp) -> Option<String> {
        if let Some(login) = login.filter(|l| !l.is_empty() && *l != UNKNOWN_USER) {
            return Some(login.to_string());
        }
        let ip: IpAddr = client?.parse().ok()?;
        let table = self.0.read().unwrap_or_else(|e| e.into_inner());
        table.user_at(ip, at.as_second()).map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(ip: &str, mac: Option<&str>, host: Option<&str>, s: i64, e: i64) -> Lease {
        Lease {
            ip: ip.parse().unwrap(),
            mac: mac.map(str::to_string),
            hostname: host.map(str::to_string),
            starts: Some(s),
            ends: Some(e),
        }
    }

    fn devices() -> Vec<DeviceIds> {
        vec![
            DeviceIds {
                user: "ann".into(),
                mac: Some("52:54:00:00:00:01".into()),
                ..DeviceIds::default()
            },
            DeviceIds {
                user: "ben".into(),
                hostname: Some("ben-pc".into()),
                ..DeviceIds::default()
            },
            DeviceIds {
                user: "cat".into(),
                ip: Some("10.0.0.99".parse().unwrap()),
                ..DeviceIds::default()
            },
        ]
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    #[test]
    fn a_login_wins_over_any_mapping() {
        let ids = Identities::default();
        ids.replace(IdentityTable::build(&devices(), &[]));
        assert_eq!(
            ids.who(Some("zoe"), Some("10.0.0.99"), at(0)).as_deref(),
            Some("zoe")
        );
        assert_eq!(
            ids.who(Some("-"), Some("10.0.0.99"), at(0)).as_deref(),
            Some("cat")
        );
    }

    #[test]
    fn a_current_lease_maps_by_mac_or_hostname() {
        let ids = Identities::default();
        let leases = [
            lease("10.0.0.5", Some("52:54:00:00:00:01"), None, 100, 200),
            lease(
                "10.0.0.6",
                Some("52:54:00:00:00:77"),
                Some("ben-pc"),
                100,
                200,
            ),
        ];
        ids.replace(IdentityTable::build(&devices(), &leases));
        assert_eq!(
            ids.who(None, Some("10.0.0.5"), at(150)).as_deref(),
            Some("ann")
        );
        assert_eq!(
            ids.who(None, Some("10.0.0.6"), at(150)).as_deref(),
            Some("ben")
        );
        assert_eq!(ids.current().len(), 3);
    }

    #[test]
    fn an_expired_or_future_lease_maps_nobody() {
        let table = IdentityTable::build(
            &devices(),
            &[lease("10.0.0.5", Some("52:54:00:00:00:01"), None, 100, 200)],
        );
        let ip = "10.0.0.5".parse().unwrap();
        assert_eq!(table.user_at(ip, 99), None);
        assert_eq!(table.user_at(ip, 100), Some("ann"));
        assert_eq!(table.user_at(ip, 200), None);
    }

    #[test]
    fn the_newest_current_lease_of_an_address_wins() {
        let table = IdentityTable::build(
            &devices(),
            &[
                lease("10.0.0.5", Some("52:54:00:00:00:01"), None, 100, 300),
                lease("10.0.0.5", None, Some("ben-pc"), 150, 300),
            ],
        );
        let ip = "10.0.0.5".parse().unwrap();
        assert_eq!(table.user_at(ip, 120), Some("ann"));
        assert_eq!(table.user_at(ip, 160), Some("ben"));
    }

    #[test]
    fn no_login_and_no_mapping_is_unknown() {
        let ids = Identities::default();
        ids.replace(IdentityTable::build(
            &devices(),
            &[lease("10.0.0.7", Some("52:54:00:00:00:42"), None, 0, 1000)],
        ));
        assert_eq!(ids.who(None, Some("10.0.0.7"), at(5)), None, "not a device");
        assert_eq!(ids.who(Some(""), Some("10.0.0.8"), at(5)), None);
        assert_eq!(ids.who(None, None, at(5)), None);
        assert_eq!(ids.who(None, Some("not-an-ip"), at(5)), None);
    }
}
