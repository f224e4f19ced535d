//! The Postfix policy delegation service: envelope checks before the message is sent.
//!
//! Postfix asks at each `RCPT TO` and again at `DATA` (or end of message) over one
//! connection per SMTP session. The service remembers the recipients of each message (by
//! Postfix's `instance` attribute), answers `DUNNO` while they arrive, and decides on the
//! whole envelope at `DATA`/`END-OF-MESSAGE` with [`Engine::decide_envelope`]: `block` →
//! `REJECT 5.7.1 ...` naming the rule, `hold` → `HOLD`, `warn` → `WARN` (logged), otherwise
//! `DUNNO`. Content checks are the milter's.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::listen::serve_bounded;
use tokio::sync::Semaphore;

use charter_engine::mail::Envelope;
use charter_engine::{Context, Decision, Engine};
use charter_policy::Verdict;
use charter_proto::postfix_policy::{
    DEFAULT_MAX_REQUEST, PolicyAction, PolicyRequest, read_request,
};

use crate::milter::{
    ConfigError, Network, default_max_connections, default_trusted, parse_listen, parse_networks,
};
use crate::web::Clock;

/// `[policy_service]` in `charter.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PolicyServiceConfig {
    /// Address to listen on, such as `127.0.0.1:10040`
    /// (Postfix: `check_policy_service inet:127.0.0.1:10040`).
    pub listen: String,
    /// Client networks counted as inside the organisation (CIDR). Default: loopback only.
    #[serde(default = "default_trusted")]
    pub trusted_networks: Vec<String>,
    /// Most connections served at once (Postfix keeps one per smtpd process).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
}

impl PolicyServiceConfig {
    /// Checks the configuration and builds the service; `clock` dates each decision.
    pub fn build(&self, engine: Arc<Engine>, clock: Clock) -> Result<PolicyService, ConfigError> {
        Ok(PolicyService {
            engine,
            clock,
            listen: parse_listen(&self.listen)?,
            trusted: parse_networks(&self.trusted_networks)?,
            slots: Arc::new(Semaphore::new(self.max_connections.max(1))),
        })
    }
}

/// The running policy service.
#[derive(Debug)]
pub struct PolicyService {
    engine: Arc<Engine>,
    clock: Clock,
    listen: SocketAddr,
    trusted: Vec<Network>,
    slots: Arc<Semaphore>,
}

/// Recipients remembered per message, and how many messages at once, per connection.
const MAX_RECIPIENTS: usize = 10_000;
const MAX_INSTANCES: usize = 16;

/// One connection's memory of the messages in flight.
#[derive(Debug, Default)]
pub struct PolicySession {
    instances: Vec<(String, Vec<String>)>,
}

impl PolicySession {
    /// Answers one request.
    pub fn answer(
        &mut self,
        engine: &Engine,
        trusted: &[Network],
        request: &PolicyRequest<'_>,
        now: jiff::Timestamp,
    ) -> PolicyAction {
        let instance = request.get("instance").unwrap_or("").to_string();
        let state = request
            .get("protocol_state")
            .unwrap_or("")
            .to_ascii_uppercase();
        match state.as_str() {
            "RCPT" => {
                if let Some(rcpt) = request.non_empty("recipient") {
                    let list = self.list(&instance);
                    if list.len() < MAX_RECIPIENTS {
                        list.push(rcpt.to_string());
                    }
                }
                PolicyAction::Dunno
            }
            "DATA" | "END-OF-MESSAGE" => {
                let mut rcpt_to = self.take(&instance);
                if rcpt_to.is_empty()
                    && let Some(r) = request.non_empty("recipient")
                {
                    rcpt_to.push(r.to_string());
                }
                let authenticated = request.non_empty("sasl_username").map(str::to_string);
                let client: Option<IpAddr> =
                    request.get("client_address").and_then(|a| a.parse().ok());
                let from_outside = client
                    .map(|c| authenticated.is_none() && !trusted.iter().any(|n| n.contains(c)));
                let envelope = Envelope {
                    mail_from: request.non_empty("sender").map(str::to_string),
                    rcpt_to,
                    authenticated: authenticated.clone(),
                    from_outside,
                };
                let user = authenticated.or_else(|| envelope.mail_from.clone());
                let ctx = Context::new(user, Vec::new(), now);
                action_for(&engine.decide_envelope(&ctx, &envelope))
            }
            _ => PolicyAction::Dunno,
        }
    }

    fn list(&mut self, instance: &str) -> &mut Vec<String> {
        let at = match self.instances.iter().position(|(i, _)| i == instance) {
            Some(at) => at,
            None => {
                if self.instances.len() >= MAX_INSTANCES {
                    self.instances.remove(0);
                }
                self.instances.push((instance.to_string(), Vec::new()));
                self.instances.len() - 1
            }
        };
        &mut self.instances[at].1
    }

    fn take(&mut self, instance: &str) -> Vec<String> {
        match self.instances.iter().position(|(i, _)| i == instance) {
            Some(at) => self.instances.remove(at).1,
            None => Vec::new(),
        }
    }
}

/// The policy answer to an envelope decision: the one place verdicts become protocol.
pub fn action_for(decision: &Decision) -> PolicyAction {
    let Some(f) = decision.deciding() else {
        return PolicyAction::Dunno;
    };
    let text = format!("Charter: rule {} ({}): {}", f.rule, f.clause, f.message);
    match decision.verdict {
        Verdict::Block => PolicyAction::Reject(format!("5.7.1 {text}")),
        Verdict::Hold => PolicyAction::Hold(text),
        Verdict::Warn => PolicyAction::Warn(text),
        Verdict::Log | Verdict::Allow => PolicyAction::Dunno,
    }
}

impl PolicyService {
    /// The address it is configured to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Binds the listening socket.
    pub async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.listen).await
    }

    /// Accepts connections until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        let slots = Arc::clone(&self.slots);
        serve_bounded("policy service", listener, slots, drop, |stream| {
            let service = Arc::clone(&self);
            async move { service.connection(stream).await }
        })
        .await
    }

    async fn connection(&self, mut stream: TcpStream) -> std::io::Result<()> {
        let mut session = PolicySession::default();
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = vec![0u8; 8192];
        loop {
            // Postfix drops idle policy connections itself (max_idle, 100s); ours is longer.
            let read =
                tokio::time::timeout(Duration::from_secs(600), stream.read(&mut chunk)).await;
            let n = match read {
                Ok(n) => n?,
                Err(_) => return Ok(()),
            };
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut used = 0;
            let mut out = String::new();
            loop {
                match read_request(&buf[used..], DEFAULT_MAX_REQUEST) {
                    Ok(None) => break,
                    Ok(Some((request, len))) => {
                        used += len;
                        let action =
                            session.answer(&self.engine, &self.trusted, &request, self.clock.now());
                        out.push_str(&action.encode());
                    }
                    Err(e) => {
                        stream.write_all(out.as_bytes()).await?;
                        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
                    }
                }
            }
            buf.drain(..used);
            if !out.is_empty() {
                stream.write_all(out.as_bytes()).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = r#"
[policy]
id = "t"
title = "t"
source = "t"
[organisation]
name = "Acme Ltd"
domains = ["acme.co.uk"]
[[rule]]
id = "mail.mass"
clause = "Mass mail"
on = "mail"
checks = ["mass_mail"]
max_recipients = 2
action = "block"
severity = "concern"
[[rule]]
id = "mail.spoof"
clause = "Spoofing"
on = "mail"
checks = ["spoofed_internal_sender"]
action = "hold"
severity = "concern"
"#;

    fn engine() -> Engine {
        Engine::new(charter_policy::parse(PACK, "t.toml").unwrap())
    }

    fn request(text: &str) -> PolicyRequest<'_> {
        read_request(text.as_bytes(), DEFAULT_MAX_REQUEST)
            .unwrap()
            .unwrap()
            .0
    }

    fn now() -> jiff::Timestamp {
        "2026-06-15T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn recipients_add_up_to_mass_mail() {
        let engine = engine();
        let trusted = vec!["127.0.0.0/8".parse().unwrap()];
        let mut s = PolicySession::default();
        for r in ["a@x.com", "b@y.com", "c@z.com"] {
            let req = format!(
                "request=smtpd_access_policy\nprotocol_state=RCPT\ninstance=1a\nsender=ann@acme.co.uk\nrecipient={r}\nclient_address=127.0.0.1\n\n"
            );
            assert_eq!(
                s.answer(&engine, &trusted, &request(&req), now()),
                PolicyAction::Dunno
            );
        }
        let req = "request=smtpd_access_policy\nprotocol_state=DATA\ninstance=1a\nsender=ann@acme.co.uk\nrecipient_count=3\nclient_address=127.0.0.1\n\n";
        assert_eq!(
            s.answer(&engine, &trusted, &request(req), now()),
            PolicyAction::Reject(
                "5.7.1 Charter: rule mail.mass (Mass mail): 3 outside recipients, over 2, without an authorisation".into()
            )
        );
        // The instance is forgotten once decided.
        assert!(s.instances.is_empty());
    }

    #[test]
    fn internal_sender_from_outside_unauthenticated_is_held() {
        let engine = engine();
        let trusted = vec!["127.0.0.0/8".parse().unwrap()];
        let mut s = PolicySession::default();
        let req = "protocol_state=RCPT\ninstance=2\nsender=ceo@acme.co.uk\nrecipient=ann@acme.co.uk\nclient_address=203.0.113.9\n\n";
        s.answer(&engine, &trusted, &request(req), now());
        let req = "protocol_state=END-OF-MESSAGE\ninstance=2\nsender=ceo@acme.co.uk\nclient_address=203.0.113.9\nsasl_username=\n\n";
        assert!(matches!(
            s.answer(&engine, &trusted, &request(req), now()),
            PolicyAction::Hold(_)
        ));
        // Authenticated: fine.
        let req = "protocol_state=END-OF-MESSAGE\ninstance=3\nsender=ceo@acme.co.uk\nrecipient=ann@acme.co.uk\nclient_address=203.0.113.9\nsasl_username=ceo\n\n";
        assert_eq!(
            s.answer(&engine, &trusted, &request(req), now()),
            PolicyAction::Dunno
        );
    }

    #[test]
    fn instances_are_bounded() {
        let engine = engine();
        let mut s = PolicySession::default();
        for i in 0..100 {
            let req = format!("protocol_state=RCPT\ninstance={i}\nrecipient=a@x.com\n\n");
            s.answer(&engine, &[], &request(&req), now());
        }
        assert_eq!(s.instances.len(), MAX_INSTANCES);
    }

    #[test]
    fn config_refuses_unknown_keys_and_bad_addresses() {
        let err = toml::from_str::<PolicyServiceConfig>("listen = \"127.0.0.1:1\"\nport = 3")
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `port`"));
        let cfg: PolicyServiceConfig = toml::from_str("listen = \"nowhere\"").unwrap();
        assert_eq!(
            cfg.build(Arc::new(engine()), Clock::System)
                .unwrap_err()
                .to_string(),
            "bad listen address `nowhere`, expected IP:PORT such as 127.0.0.1:8891"
        );
    }
}
