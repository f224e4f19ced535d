//! Sign-in lines inside syslog messages: OpenVPN 2.6, strongSwan 5.9 (charon), OpenSSH's
//! sshd, Dovecot (imap-login, pop3-login) and Postfix SASL. Which program wrote a line is
//! the syslog tag; [`Logins::parse`] reads the message of each and turns sign-ins, failures
//! and sign-outs into [`LogEvent`]s. Every other line of those programs is `None`.
//!
//! What each format can say (docs/ingest.md has the table):
//! - sshd: who, from where, success or failure, the method; two factors when an
//!   `AuthenticationMethods` list made the first method `Partial` before the `Accepted` one
//!   (`publickey,keyboard-interactive`), one factor otherwise; session closed by process id.
//! - OpenVPN: the certificate's common name or the `auth-user-pass` user name, the real
//!   address, success or failure; two factors when the server both verified the client's
//!   certificate (`VERIFY OK: depth=0`, possession) and accepted its user name and password
//!   (`auth-user-pass-verify` or a plugin, knowledge), one when it logged only one of them,
//!   unknown when it logged neither before the sign-in (the lines were read from the middle).
//! - strongSwan: the remote identity and address of an IKE SA, success or failure; the
//!   second factor is unknown (the lines read do not say which authentication rounds ran).
//! - Dovecot: user, remote address, success or `auth failed`; no second factor.
//! - Postfix: the SASL user and client address of a successful sign-in, the failures with
//!   their address (and user, where Postfix names it); no second factor.
//!
//! sshd needs the lines before the `Accepted` one to know about a first factor, so [`Logins`]
//! keeps a little state: the methods each sshd process has had accepted in part, at most
//! [`MAX_PENDING`] processes.

use std::collections::HashMap;

use super::syslog::SyslogLine;
use super::{EventKind, LogEvent, LoginSystem};

/// sshd processes whose partial sign-ins are remembered; the oldest is forgotten beyond it.
pub const MAX_PENDING: usize = 4_096;

/// Reads sign-in lines, remembering what sshd accepted in part.
#[derive(Debug, Default)]
pub struct Logins {
    /// sshd process id → the methods accepted so far, with the order they came in.
    partial: HashMap<String, (u64, Vec<String>)>,
    /// OpenVPN `address:port` → what its earlier lines said (certificate name, password
    /// check), with the order they came in.
    vpn: HashMap<String, (u64, VpnPeer)>,
    seen: u64,
}

/// What OpenVPN said about a peer before its `Peer Connection Initiated` line, which it
/// writes whether or not the password check passed.
#[derive(Debug, Default, Clone)]
struct VpnPeer {
    /// The certificate's common name (`VERIFY OK: depth=0, CN=ann`).
    cn: Option<String>,
    /// The user name whose password was accepted.
    user: Option<String>,
    /// The password check failed.
    failed: bool,
}

/// Adds `key` to `map` (forgetting the oldest entry beyond [`MAX_PENDING`]) and returns it.
fn remember<'m, V: Default>(
    map: &'m mut HashMap<String, (u64, V)>,
    seen: &mut u64,
    key: &str,
) -> &'m mut V {
    *seen += 1;
    if map.len() >= MAX_PENDING && !map.contains_key(key) {
        let oldest = map
            .iter()
            .min_by_key(|(_, (n, _))| *n)
            .map(|(k, _)| k.clone());
        if let Some(oldest) = oldest {
            map.remove(&oldest);
        }
    }
    &mut map
        .entry(key.to_string())
        .or_insert_with(|| (*seen, V::default()))
        .1
}

impl Logins {
    /// A reader with nothing remembered.
    pub fn new() -> Logins {
        Logins::default()
    }

    /// The event `line` reports, if it is a sign-in, a failed one or a sign-out.
    pub fn parse(&mut self, line: &SyslogLine<'_>) -> Option<LogEvent> {
        let app = line.app.rsplit('/').next().unwrap_or(line.app);
        let base = line.app.split('/').next().unwrap_or(line.app);
        let (user, kind) = match (base, app) {
            ("sshd" | "sshd-session", _) => self.sshd(line)?,
            ("postfix", _) => postfix(line.message)?,
            ("openvpn", _) | (_, "openvpn") => self.openvpn(line.message)?,
            _ if base.starts_with("ovpn-") => self.openvpn(line.message)?,
            ("charon" | "charon-systemd" | "ipsec" | "strongswan", _) => strongswan(line.message)?,
            ("dovecot" | "imap-login" | "pop3-login", _) => dovecot(line.message)?,
            _ => return None,
        };
        Some(LogEvent {
            at_us: line.at_us,
            user,
            reporter: line.host.to_string(),
            kind,
        })
    }

    fn sshd(&mut self, line: &SyslogLine<'_>) -> Option<(Option<String>, EventKind)> {
        let msg = line.message;
        let pid = line.pid.unwrap_or_default();
        if let Some(rest) = msg.strip_prefix("Partial ") {
            let (method, _, _) = ssh_who(rest)?;
            remember(&mut self.partial, &mut self.seen, pid).push(method.to_string());
            return None;
        }
        let (success, rest) = if let Some(rest) = msg.strip_prefix("Accepted ") {
            (true, rest)
        } else if let Some(rest) = msg.strip_prefix("Failed ") {
            (false, rest)
        } else if let Some(user) = msg
            .strip_prefix("pam_unix(sshd:session): session closed for user ")
            .map(str::trim)
        {
            self.partial.remove(pid);
            return Some((
                Some(user.to_string()),
                EventKind::Logout {
                    system: LoginSystem::Ssh,
                    from: None,
                    session: line.pid.map(str::to_string),
                },
            ));
        } else {
            return None;
        };
        let (method, user, from) = ssh_who(rest)?;
        let earlier = if success {
            self.partial.remove(pid).map(|(_, m)| m).unwrap_or_default()
        } else {
            Vec::new()
        };
        // Two different methods accepted in turn are two factors; one method alone is one,
        // except keyboard-interactive, which a PAM stack may make a one-time code.
        let mfa = if earlier.iter().any(|m| m != method) {
            Some(true)
        } else if method.starts_with("keyboard-interactive") {
            None
        } else {
            Some(false)
        };
        Some((
            Some(user.to_string()),
            EventKind::Login {
                system: LoginSystem::Ssh,
                from: Some(from.to_string()),
                mfa: if success { mfa } else { None },
                success,
                session: line.pid.map(str::to_string),
            },
        ))
    }
}

impl Logins {
    /// OpenVPN 2.6 server lines. A peer's lines start `address:port ` until its name is
    /// known, then `name/address:port `. The sign-in is its `Peer Connection Initiated` line,
    /// unless its password check failed before.
    fn openvpn(&mut self, msg: &str) -> Option<(Option<String>, EventKind)> {
        let (peer, rest) = msg.split_once(' ')?;
        let (cn, addr) = match peer.split_once('/') {
            Some((cn, addr)) => (Some(cn), addr),
            None => (None, peer),
        };
        let (ip, port) = addr.rsplit_once(':')?;
        if ip.is_empty() || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if let Some(name) = rest.strip_prefix("VERIFY OK: depth=0, CN=") {
            remember(&mut self.vpn, &mut self.seen, addr).cn = Some(name.trim().to_string());
            return None;
        }
        if let Some(user) = rest
            .strip_prefix("TLS: Username/Password authentication succeeded for username '")
            .and_then(|u| u.split('\'').next())
        {
            remember(&mut self.vpn, &mut self.seen, addr).user = Some(user.to_string());
            return None;
        }
        if rest.contains("Auth Username/Password verification failed") {
            let peer = remember(&mut self.vpn, &mut self.seen, addr);
            peer.failed = true;
            let user = peer
                .user
                .clone()
                .or_else(|| peer.cn.clone())
                .or(cn.map(str::to_string));
            return Some(login(
                LoginSystem::Vpn,
                user.as_deref(),
                Some(ip),
                false,
                None,
                Some(addr),
            ));
        }
        if let Some((_, name)) = rest
            .strip_suffix(&format!("] Peer Connection Initiated with [AF_INET]{addr}"))
            .or_else(|| {
                rest.strip_suffix(&format!(
                    "] Peer Connection Initiated with [AF_INET6]{addr}"
                ))
            })
            .and_then(|head| head.rsplit_once('['))
        {
            let peer = self.vpn.remove(addr).map(|(_, p)| p).unwrap_or_default();
            if peer.failed {
                return None;
            }
            let user = peer.user.as_deref().unwrap_or(name);
            let mfa = match (peer.cn.is_some(), peer.user.is_some()) {
                (true, true) => Some(true),
                (false, false) => None,
                _ => Some(false),
            };
            return Some(login(
                LoginSystem::Vpn,
                Some(user),
                Some(ip),
                true,
                mfa,
                Some(addr),
            ));
        }
        if let Some(user) = cn
            && (rest.contains("client-instance exiting") || rest.starts_with("Inactivity timeout"))
        {
            self.vpn.remove(addr);
            return Some((
                Some(user.to_string()),
                EventKind::Logout {
                    system: LoginSystem::Vpn,
                    from: Some(ip.to_string()),
                    session: Some(addr.to_string()),
                },
            ));
        }
        None
    }
}

/// `METHOD for [invalid user ]USER from ADDR port N ...`: method, user, address.
fn ssh_who(rest: &str) -> Option<(&str, &str, &str)> {
    let (method, rest) = rest.split_once(" for ")?;
    let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
    let (user, rest) = rest.rsplit_once(" from ")?;
    let from = rest.split(' ').next()?;
    Some((method, user, from))
}

fn login(
    system: LoginSystem,
    user: Option<&str>,
    from: Option<&str>,
    success: bool,
    mfa: Option<bool>,
    session: Option<&str>,
) -> (Option<String>, EventKind) {
    (
        user.filter(|u| !u.is_empty()).map(str::to_string),
        EventKind::Login {
            system,
            from: from.filter(|f| !f.is_empty()).map(str::to_string),
            mfa,
            success,
            session: session.map(str::to_string),
        },
    )
}

/// `name=value` in a comma-separated list (`user=<ann>, method=PLAIN, rip=10.0.0.5`),
/// with Dovecot's angle brackets taken off.
fn field<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.split([',', ' '])
        .map(str::trim)
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .map(|v| v.trim_start_matches('<').trim_end_matches('>'))
}

/// Dovecot: `imap-login: Login: user=<ann>, method=PLAIN, rip=..., session=<...>`, and the
/// `auth failed` disconnects; `imap(ann)<pid><session>: Logged out ...`.
fn dovecot(msg: &str) -> Option<(Option<String>, EventKind)> {
    let msg = msg.strip_prefix("Info: ").unwrap_or(msg);
    let (service, rest) = msg.split_once(": ")?;
    let rest = rest.strip_prefix("Info: ").unwrap_or(rest);
    if service.ends_with("-login") {
        if let Some(fields) = rest.strip_prefix("Login: ") {
            return Some(login(
                LoginSystem::Mail,
                field(fields, "user"),
                field(fields, "rip"),
                true,
                Some(false),
                field(fields, "session"),
            ));
        }
        if rest.contains("auth failed") {
            let fields = rest.rsplit_once("): ").map_or(rest, |(_, f)| f);
            return Some(login(
                LoginSystem::Mail,
                field(fields, "user"),
                field(fields, "rip"),
                false,
                None,
                field(fields, "session"),
            ));
        }
        return None;
    }
    // `imap(ann)<123><SESSION>: Logged out in=...`
    if rest.starts_with("Logged out") || rest.starts_with("Disconnected: Logged out") {
        let (_, user) = service.split_once('(')?;
        let (user, tail) = user.split_once(')')?;
        let session = tail.rsplit_once('<').map(|(_, s)| s.trim_end_matches('>'));
        return Some((
            Some(user.to_string()),
            EventKind::Logout {
                system: LoginSystem::Mail,
                from: None,
                session: session.map(str::to_string),
            },
        ));
    }
    None
}

/// Postfix smtpd: `QUEUEID: client=NAME[ADDR], sasl_method=PLAIN, sasl_username=ann` and
/// `warning: NAME[ADDR]: SASL PLAIN authentication failed: ...[, sasl_username=ann]`.
fn postfix(msg: &str) -> Option<(Option<String>, EventKind)> {
    if let Some(rest) = msg.strip_prefix("warning: ")
        && rest.contains(" authentication failed")
    {
        let from = bracketed(rest.split(':').next()?);
        return Some(login(
            LoginSystem::Mail,
            field(rest, "sasl_username"),
            from,
            false,
            None,
            None,
        ));
    }
    if msg.contains("sasl_username=") {
        let client = field(msg, "client")?;
        return Some(login(
            LoginSystem::Mail,
            field(msg, "sasl_username"),
            bracketed(client),
            true,
            Some(false),
            None,
        ));
    }
    None
}

/// `ADDR` of `name[ADDR]`.
fn bracketed(s: &str) -> Option<&str> {
    let (_, rest) = s.split_once('[')?;
    rest.split(']').next()
}

/// strongSwan charon: `IKE_SA name[1] established between LOCAL[id]...REMOTE[id]`,
/// `deleting IKE_SA name[1] between ...`, and EAP and authentication failures.
fn strongswan(msg: &str) -> Option<(Option<String>, EventKind)> {
    // `16[IKE] ` thread and group prefix.
    let msg = msg
        .split_once("] ")
        .filter(|(p, _)| p.len() < 12 && p.contains('['))
        .map_or(msg, |(_, m)| m);
    let between = |s: &str| -> Option<(String, Option<String>, String)> {
        let (sa, rest) = s.split_once(" between ")?;
        let (_, remote) = rest.split_once("...")?;
        let (addr, id) = remote.split_once('[')?;
        let id = id.trim_end().trim_end_matches(']');
        Some((sa.to_string(), Some(addr.to_string()), id.to_string()))
    };
    if let Some(rest) = msg.strip_prefix("IKE_SA ")
        && rest.contains(" established between ")
    {
        let (sa, from, id) = between(&rest.replacen(" established", "", 1))?;
        return Some(login(
            LoginSystem::Vpn,
            Some(&id),
            from.as_deref(),
            true,
            None,
            Some(&sa),
        ));
    }
    if let Some(rest) = msg.strip_prefix("deleting IKE_SA ") {
        let (sa, from, id) = between(rest)?;
        return Some((
            Some(id),
            EventKind::Logout {
                system: LoginSystem::Vpn,
                from,
                session: Some(sa),
            },
        ));
    }
    if let Some(rest) = msg.strip_prefix("EAP method ")
        && let Some((_, peer)) = rest.split_once(" failed for peer ")
    {
        return Some(login(
            LoginSystem::Vpn,
            Some(peer.trim()),
            None,
            false,
            None,
            None,
        ));
    }
    if let Some(rest) = msg.strip_prefix("authentication of '")
        && let Some((id, how)) = rest.split_once('\'')
        && how.ends_with(" failed")
    {
        return Some(login(LoginSystem::Vpn, Some(id), None, false, None, None));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(app: &'a str, pid: Option<&'a str>, message: &'a str) -> SyslogLine<'a> {
        SyslogLine {
            at_us: 1,
            host: "h",
            app,
            pid,
            message,
        }
    }

    fn login_of(e: &LogEvent) -> (Option<&str>, Option<&str>, bool, Option<bool>) {
        match &e.kind {
            EventKind::Login {
                from, success, mfa, ..
            } => (e.user.as_deref(), from.as_deref(), *success, *mfa),
            other => panic!("not a login: {other:?}"),
        }
    }

    #[test]
    fn sshd_one_method_is_one_factor_and_a_partial_first_makes_two() {
        let mut l = Logins::new();
        let e = l
            .parse(&line(
                "sshd",
                Some("10"),
                "Accepted password for ann from 127.0.0.1 port 5 ssh2",
            ))
            .unwrap();
        assert_eq!(
            login_of(&e),
            (Some("ann"), Some("127.0.0.1"), true, Some(false))
        );
        assert!(
            l.parse(&line(
                "sshd",
                Some("11"),
                "Partial publickey for ann from 127.0.0.1 port 6 ssh2: ED25519 SHA256:x"
            ))
            .is_none()
        );
        let e = l
            .parse(&line(
                "sshd",
                Some("11"),
                "Accepted keyboard-interactive/pam for ann from 127.0.0.1 port 6 ssh2",
            ))
            .unwrap();
        assert_eq!(login_of(&e).3, Some(true));
        let e = l
            .parse(&line(
                "sshd",
                Some("12"),
                "Failed password for invalid user bob from 10.0.0.9 port 7 ssh2",
            ))
            .unwrap();
        assert_eq!(login_of(&e), (Some("bob"), Some("10.0.0.9"), false, None));
        let e = l
            .parse(&line(
                "sshd",
                Some("10"),
                "pam_unix(sshd:session): session closed for user ann",
            ))
            .unwrap();
        assert!(
            matches!(e.kind, EventKind::Logout { ref session, .. } if session.as_deref() == Some("10"))
        );
    }

    #[test]
    fn sshd_remembers_a_bounded_number_of_partial_sign_ins() {
        let mut l = Logins::new();
        for pid in 0..(MAX_PENDING + 10) {
            let pid = pid.to_string();
            l.parse(&line(
                "sshd",
                Some(&pid),
                "Partial publickey for a from 1.2.3.4 port 1 ssh2",
            ));
        }
        assert_eq!(l.partial.len(), MAX_PENDING);
    }

    #[test]
    fn dovecot_logins_and_failures() {
        let mut l = Logins::new();
        let e = l
            .parse(&line("dovecot", None, "imap-login: Login: user=<ann>, method=PLAIN, rip=10.0.0.5, lip=10.0.0.1, mpid=9, secured, session=<abc>"))
            .unwrap();
        assert_eq!(
            login_of(&e),
            (Some("ann"), Some("10.0.0.5"), true, Some(false))
        );
        let e = l
            .parse(&line("dovecot", None, "pop3-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=10.0.0.6, lip=10.0.0.1, session=<def>"))
            .unwrap();
        assert_eq!(login_of(&e), (Some("bob"), Some("10.0.0.6"), false, None));
        assert!(
            l.parse(&line("dovecot", None, "master: Dovecot v2.3 starting up"))
                .is_none()
        );
    }

    #[test]
    fn postfix_sasl_success_and_failure() {
        let mut l = Logins::new();
        let e = l
            .parse(&line(
                "postfix/submission/smtpd",
                Some("3"),
                "4Q1x2: client=unknown[10.0.0.5], sasl_method=PLAIN, sasl_username=ann",
            ))
            .unwrap();
        assert_eq!(
            login_of(&e),
            (Some("ann"), Some("10.0.0.5"), true, Some(false))
        );
        let e = l
            .parse(&line("postfix/smtpd", Some("3"), "warning: unknown[10.0.0.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=bob"))
            .unwrap();
        assert_eq!(login_of(&e), (Some("bob"), Some("10.0.0.7"), false, None));
        assert!(
            l.parse(&line(
                "postfix/smtpd",
                Some("3"),
                "connect from unknown[10.0.0.5]"
            ))
            .is_none()
        );
    }

    #[test]
    fn strongswan_established_and_deleted() {
        let mut l = Logins::new();
        let e = l
            .parse(&line("charon", None, "16[IKE] IKE_SA home[3] established between 192.0.2.1[vpn.example.org]...198.51.100.7[ann@example.org]"))
            .unwrap();
        assert_eq!(
            login_of(&e),
            (Some("ann@example.org"), Some("198.51.100.7"), true, None)
        );
        let e = l
            .parse(&line("charon", None, "09[IKE] deleting IKE_SA home[3] between 192.0.2.1[vpn.example.org]...198.51.100.7[ann@example.org]"))
            .unwrap();
        assert!(matches!(e.kind, EventKind::Logout { .. }));
        let e = l
            .parse(&line(
                "charon",
                None,
                "11[IKE] EAP method EAP_MSCHAPV2 failed for peer bob",
            ))
            .unwrap();
        assert!(!login_of(&e).2);
    }

    #[test]
    fn openvpn_peer_and_password_lines() {
        let mut l = Logins::new();
        let vpn = |l: &mut Logins, m: &str| l.parse(&line("openvpn", Some("5"), m));
        assert!(vpn(&mut l, "10.0.0.5:50000 VERIFY OK: depth=0, CN=ann").is_none());
        let e = vpn(
            &mut l,
            "10.0.0.5:50000 [ann] Peer Connection Initiated with [AF_INET]10.0.0.5:50000",
        )
        .unwrap();
        assert_eq!(
            login_of(&e),
            (Some("ann"), Some("10.0.0.5"), true, Some(false)),
            "a certificate alone is one factor"
        );
        let e = vpn(
            &mut l,
            "ann/10.0.0.5:50000 SIGTERM[soft,remote-exit] received, client-instance exiting",
        )
        .unwrap();
        assert!(matches!(e.kind, EventKind::Logout { .. }));
        // A refused password: one failure, and the peer line after it is no sign-in.
        assert!(vpn(&mut l, "10.0.0.6:4 VERIFY OK: depth=0, CN=bob").is_none());
        let e = vpn(
            &mut l,
            "10.0.0.6:4 TLS Auth Error: Auth Username/Password verification failed for peer",
        )
        .unwrap();
        assert_eq!(login_of(&e), (Some("bob"), Some("10.0.0.6"), false, None));
        assert!(
            vpn(
                &mut l,
                "10.0.0.6:4 [bob] Peer Connection Initiated with [AF_INET]10.0.0.6:4"
            )
            .is_none()
        );
        assert!(vpn(&mut l, "Initialization Sequence Completed").is_none());
        // Certificate and password: two factors; a sign-in whose earlier lines were not
        // seen: unknown.
        assert!(vpn(&mut l, "10.0.0.7:9 VERIFY OK: depth=0, CN=cat").is_none());
        assert!(
            vpn(
                &mut l,
                "10.0.0.7:9 TLS: Username/Password authentication succeeded for username 'cat' "
            )
            .is_none()
        );
        let e = vpn(
            &mut l,
            "10.0.0.7:9 [cat] Peer Connection Initiated with [AF_INET]10.0.0.7:9",
        )
        .unwrap();
        assert_eq!(login_of(&e).3, Some(true));
        let e = vpn(
            &mut l,
            "10.0.0.8:9 [dan] Peer Connection Initiated with [AF_INET]10.0.0.8:9",
        )
        .unwrap();
        assert_eq!(login_of(&e).3, None);
    }
}
