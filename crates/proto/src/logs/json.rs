//! JSON lines for the events no standard log carries: one object a line, `kind` naming its
//! schema (docs/ingest.md documents each). `at` is an RFC 3339 time with its offset; `user`
//! is the account name, when a person is signed in. Fields not in the schema are ignored, so
//! that inventory tools may add their own.
//!
//! ```json
//! {"kind":"device","at":"2026-12-01T09:30:00Z","host":"laptop-7","user":"ann","id":"0781:5567","serial":"4C53","name":"Cruzer Blade","action":"inserted"}
//! {"kind":"software","at":"2026-12-01T09:30:00Z","host":"laptop-7","user":"ann","name":"Steam","version":"2.10"}
//! {"kind":"file_location","at":"2026-12-01T09:30:00Z","host":"laptop-7","user":"ann","path":"C:/Users/ann/Desktop/payroll.xlsx","local":true}
//! {"kind":"network","at":"2026-12-01T09:30:00Z","host":"laptop-7","user":"ann","network":"CoffeeShopWiFi"}
//! {"kind":"login","at":"2026-12-01T09:30:00Z","host":"vpn1","user":"ann","system":"vpn","from":"198.51.100.7","mfa":true,"success":true}
//! ```

use serde::Deserialize;

use super::{
    DeviceAction, EventKind, LineError, LogEvent, LoginSystem, Parsed, parse_rfc3339, text_line,
};

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Device {
        at: String,
        host: String,
        user: Option<String>,
        id: String,
        serial: Option<String>,
        #[serde(default)]
        name: String,
        action: Action,
    },
    Software {
        at: String,
        host: String,
        user: Option<String>,
        name: String,
        version: Option<String>,
    },
    FileLocation {
        at: String,
        host: String,
        user: Option<String>,
        path: String,
        local: bool,
    },
    Network {
        at: String,
        host: String,
        user: Option<String>,
        network: String,
    },
    Login {
        at: String,
        host: String,
        user: Option<String>,
        system: System,
        from: Option<String>,
        mfa: Option<bool>,
        success: bool,
        session: Option<String>,
    },
    Logout {
        at: String,
        host: String,
        user: Option<String>,
        system: System,
        from: Option<String>,
        session: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    Inserted,
    Allowed,
    Blocked,
    Rejected,
    Removed,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum System {
    Vpn,
    Ssh,
    Mail,
    Other,
}

impl From<System> for LoginSystem {
    fn from(s: System) -> LoginSystem {
        match s {
            System::Vpn => LoginSystem::Vpn,
            System::Ssh => LoginSystem::Ssh,
            System::Mail => LoginSystem::Mail,
            System::Other => LoginSystem::Other,
        }
    }
}

/// Reads one JSON line.
pub fn parse(line: &[u8]) -> Parsed {
    let text = text_line(line)?.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let parsed: Line = serde_json::from_str(text).map_err(|e| {
        LineError::Malformed(if e.is_data() {
            "JSON that fits no event schema (see docs/ingest.md)"
        } else {
            "not a JSON object"
        })
    })?;
    let (at, user, reporter, kind) = match parsed {
        Line::Device {
            at,
            host,
            user,
            id,
            serial,
            name,
            action,
        } => {
            let action = match action {
                Action::Inserted => DeviceAction::Inserted,
                Action::Allowed => DeviceAction::Allowed,
                Action::Blocked => DeviceAction::Blocked,
                Action::Rejected => DeviceAction::Rejected,
                Action::Removed => DeviceAction::Removed,
            };
            let kind = EventKind::Device {
                host: host.clone(),
                id,
                serial,
                name,
                action,
            };
            (at, user, host, kind)
        }
        Line::Software {
            at,
            host,
            user,
            name,
            version,
        } => {
            let kind = EventKind::Software {
                host: host.clone(),
                name,
                version,
            };
            (at, user, host, kind)
        }
        Line::FileLocation {
            at,
            host,
            user,
            path,
            local,
        } => {
            let kind = EventKind::FileLocation {
                host: host.clone(),
                path,
                local,
            };
            (at, user, host, kind)
        }
        Line::Network {
            at,
            host,
            user,
            network,
        } => {
            let kind = EventKind::Network {
                host: host.clone(),
                network,
            };
            (at, user, host, kind)
        }
        Line::Login {
            at,
            host,
            user,
            system,
            from,
            mfa,
            success,
            session,
        } => {
            let kind = EventKind::Login {
                system: system.into(),
                from,
                mfa,
                success,
                session,
            };
            (at, user, host, kind)
        }
        Line::Logout {
            at,
            host,
            user,
            system,
            from,
            session,
        } => {
            let kind = EventKind::Logout {
                system: system.into(),
                from,
                session,
            };
            (at, user, host, kind)
        }
    };
    let at_us = parse_rfc3339(&at).ok_or(LineError::Malformed(
        "`at` is not an RFC 3339 time with an offset",
    ))?;
    Ok(Some(LogEvent {
        at_us,
        user: user.filter(|u| !u.is_empty()),
        reporter,
        kind,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_schema_reads() {
        let lines = [
            r#"{"kind":"device","at":"2026-12-01T09:30:00Z","host":"laptop-7","user":"ann","id":"0781:5567","serial":"4C53","name":"Cruzer Blade","action":"inserted","extra":1}"#,
            r#"{"kind":"software","at":"2026-12-01T09:30:00Z","host":"laptop-7","user":"ann","name":"Steam","version":"2.10"}"#,
            r#"{"kind":"file_location","at":"2026-12-01T09:30:00Z","host":"laptop-7","path":"C:/x.xlsx","local":true}"#,
            r#"{"kind":"network","at":"2026-12-01T09:30:00+01:00","host":"laptop-7","user":"ann","network":"Cafe"}"#,
            r#"{"kind":"login","at":"2026-12-01T09:30:00Z","host":"vpn1","user":"ann","system":"vpn","from":"198.51.100.7","mfa":true,"success":true}"#,
            r#"{"kind":"logout","at":"2026-12-01T09:30:00Z","host":"vpn1","user":"ann","system":"vpn"}"#,
        ];
        let kinds: Vec<&str> = lines
            .iter()
            .map(|l| {
                match parse(l.as_bytes())
                    .unwrap_or_else(|e| panic!("{l}: {e}"))
                    .map(|e| e.kind)
                {
                    Some(EventKind::Device { .. }) => "device",
                    Some(EventKind::Software { .. }) => "software",
                    Some(EventKind::FileLocation { .. }) => "file_location",
                    Some(EventKind::Network { .. }) => "network",
                    Some(EventKind::Login {
                        mfa: Some(true), ..
                    }) => "login",
                    Some(EventKind::Logout { .. }) => "logout",
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "device",
                "software",
                "file_location",
                "network",
                "login",
                "logout"
            ]
        );
    }

    #[test]
    fn a_line_outside_the_schemas_says_so() {
        assert_eq!(
            parse(br#"{"kind":"toaster","at":"2026-12-01T09:30:00Z"}"#),
            Err(LineError::Malformed(
                "JSON that fits no event schema (see docs/ingest.md)"
            ))
        );
        assert_eq!(
            parse(b"{not json"),
            Err(LineError::Malformed("not a JSON object"))
        );
        assert!(parse(br#"{"kind":"network","at":"yesterday","host":"h","network":"n"}"#).is_err());
    }
}
