//! The log parsers on arbitrary lines made mostly of their formats' own pieces: none panics,
//! and each answers an event, nothing, or an error.

#![allow(clippy::unwrap_used, reason = "property tests")]

use charter_proto::logs::login::Logins;
use charter_proto::logs::syslog::{self, FixedOffset};
use charter_proto::logs::{access_log, json, usbguard};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "<38>",
    "<165>1 ",
    "Dec  1 03:30:31 ",
    "2026-12-01T03:30:31.5+01:00 ",
    "vm ",
    "sshd[12]: ",
    "openvpn[5]: ",
    "dovecot: ",
    "charon: ",
    "postfix/smtpd[3]: ",
    "usbguard-daemon: ",
    "Accepted ",
    "Partial ",
    "Failed ",
    "password ",
    "publickey ",
    "for ",
    "invalid user ",
    "ann ",
    " from ",
    "10.0.0.5",
    ":50000 ",
    " port 22 ssh2",
    "[ann] ",
    "Peer Connection Initiated with [AF_INET]",
    "VERIFY OK: depth=0, CN=",
    "TLS Auth Error: Auth Username/Password verification failed for peer",
    "imap-login: Login: user=<",
    ">, rip=",
    "auth failed",
    "sasl_username=",
    "client=x[",
    "]",
    "IKE_SA ",
    " established between ",
    "...",
    "deleting IKE_SA ",
    "1796095831.123 ",
    "   157 ",
    "TCP_MISS/200 ",
    "GET ",
    "http://a.example/ ",
    "- ",
    "[01/Dec/2026:04:30:31 +0100] ",
    "\"GET / HTTP/1.1\" ",
    "(A) ",
    "type='Device.Insert' ",
    "device.rule='block id 1:2 serial \"x\" name \"y\"' ",
    "target='allow' ",
    "{\"kind\":\"device\",",
    "\"at\":\"2026-12-01T09:30:00Z\",",
    "\"host\":\"h\",",
    "\"id\":\"1:2\",",
    "\"action\":\"blocked\"}",
    "'",
    "\"",
    "\\",
    " ",
    "\u{feff}",
    "é",
];

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => ".{0,6}",
        ],
        0..30,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn no_parser_panics(lines in prop::collection::vec(line(), 1..8)) {
        let clock = FixedOffset { year: 2026, offset_secs: 0 };
        let mut logins = Logins::new();
        for l in &lines {
            let _ = access_log::parse(l.as_bytes());
            let _ = usbguard::parse(l.as_bytes(), "h", 0);
            let _ = json::parse(l.as_bytes());
            if let Ok(parsed) = syslog::parse(l, &clock) {
                let _ = logins.parse(&parsed);
            }
        }
    }

    #[test]
    fn any_bytes_are_an_answer(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = access_log::parse(&bytes);
        let _ = usbguard::parse(&bytes, "h", 0);
        let _ = json::parse(&bytes);
    }
}
