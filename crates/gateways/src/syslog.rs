//! The syslog listener of `serve`: RFC 3164 and RFC 5424 messages over UDP (one datagram, one
//! message) and TCP (RFC 6587 octet counting or newline framing, `charter_proto::logs::syslog::
//! Framer`), each at most `max_message_bytes`, with at most so many TCP connections in all and
//! from one client, like every gateway. It hands each message's bytes to a [`MessageSink`];
//! parsing and deciding are the app's.
//!
//! ```toml
//! [ingest.syslog]
//! udp = "0.0.0.0:5514"              # rsyslog: *.* @charter.example.org:5514
//! tcp = "0.0.0.0:5514"              # rsyslog: *.* @@charter.example.org:5514
//! max_message_bytes = 65536
//! max_connections = 64
//! max_connections_per_client = 8
//! idle_timeout_secs = 300
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::Instant;

use charter_proto::logs::LineError;
use charter_proto::logs::syslog::Framer;

/// Why an over-long message was refused.
const TOO_LONG: &str = "message longer than max_message_bytes";

use crate::listen::{ConnectionLimits, Read, read_before, serve_bounded};

/// `[ingest.syslog]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// Address for UDP datagrams, such as `0.0.0.0:5514`; absent: no UDP.
    pub udp: Option<String>,
    /// Address for TCP streams; absent: no TCP.
    pub tcp: Option<String>,
    /// Longest message taken, in bytes; longer ones are counted and dropped.
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
    /// TCP connections at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// TCP connections at once from one client address (an IPv6 /64).
    #[serde(default = "default_max_per_client")]
    pub max_connections_per_client: usize,
    /// Seconds a TCP connection may stay silent before it is closed (senders reconnect).
    #[serde(default = "default_idle")]
    pub idle_timeout_secs: u64,
}

fn default_max_message() -> usize {
    charter_proto::logs::MAX_LINE
}
fn default_max_connections() -> usize {
    64
}
fn default_max_per_client() -> usize {
    8
}
fn default_idle() -> u64 {
    300
}

/// Where the listener hands messages: the app parses, decides and records.
pub trait MessageSink: Send + Sync + 'static {
    /// One message from `peer`.
    fn message(&self, peer: SocketAddr, bytes: &[u8]);
    /// A message refused (over the limit, or bad framing), for the counts.
    fn refused(&self, peer: SocketAddr, why: &str);
}

/// The syslog listener.
pub struct SyslogListener {
    config: SyslogConfig,
    sink: Arc<dyn MessageSink>,
}

impl std::fmt::Debug for SyslogListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogListener")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SyslogListener {
    /// A listener for `config` handing messages to `sink`.
    pub fn new(config: SyslogConfig, sink: Arc<dyn MessageSink>) -> SyslogListener {
        SyslogListener { config, sink }
    }

    /// The configuration.
    pub fn config(&self) -> &SyslogConfig {
        &self.config
    }

    /// Receives datagrams on `socket` for ever.
    pub async fn serve_udp(self: Arc<Self>, socket: UdpSocket) -> io::Result<()> {
        // One byte more than the limit tells an over-long datagram from one that fits.
        let mut buf = vec![0u8; self.config.max_message_bytes.saturating_add(1).min(65_536)];
        loop {
            let (n, peer) = match socket.recv_from(&mut buf).await {
                Ok(got) => got,
                // ICMP errors from earlier sends and the like: keep receiving.
                Err(_) => continue,
            };
            if n > self.config.max_message_bytes {
                self.sink.refused(peer, TOO_LONG);
                continue;
            }
            let msg = &buf[..n];
            let msg = msg.strip_suffix(b"\n").unwrap_or(msg);
            self.sink.message(peer, msg);
        }
    }

    /// Accepts TCP connections on `listener` for ever.
    pub async fn serve_tcp(self: Arc<Self>, listener: TcpListener) -> io::Result<()> {
        let limits = ConnectionLimits {
            total: self.config.max_connections,
            per_client: self.config.max_connections_per_client,
        };
        let me = Arc::clone(&self);
        serve_bounded("syslog", listener, limits, drop, move |stream, peer| {
            Arc::clone(&me).connection(stream, peer)
        })
        .await
    }

    async fn connection(
        self: Arc<Self>,
        mut stream: TcpStream,
        peer: SocketAddr,
    ) -> io::Result<()> {
        let idle = Duration::from_secs(self.config.idle_timeout_secs.max(1));
        let mut framer = Framer::new(self.config.max_message_bytes);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match read_before(&mut stream, &mut buf, Instant::now() + idle).await? {
                Read::Closed | Read::TimedOut => return Ok(()),
                Read::Bytes(_) => {}
            }
            framer.feed(&buf, |m| match m {
                Ok(msg) => self.sink.message(peer, msg),
                Err(LineError::TooLong) => self.sink.refused(peer, TOO_LONG),
                Err(e) => self.sink.refused(peer, &e.to_string()),
            });
        }
    }
}

/// Binds the UDP address of `config`, if any.
pub async fn bind_udp(config: &SyslogConfig) -> io::Result<Option<UdpSocket>> {
    match &config.udp {
        Some(addr) => UdpSocket::bind(addr).await.map(Some),
        None => Ok(None),
    }
}

/// Binds the TCP address of `config`, if any.
pub async fn bind_tcp(config: &SyslogConfig) -> io::Result<Option<TcpListener>> {
    match &config.tcp {
        Some(addr) => TcpListener::bind(addr).await.map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::io::AsyncWriteExt;

    #[derive(Default)]
    struct Collect(Mutex<Vec<String>>);

    impl MessageSink for Collect {
        fn message(&self, _: SocketAddr, bytes: &[u8]) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(String::from_utf8_lossy(bytes).into_owned());
        }
        fn refused(&self, _: SocketAddr, why: &str) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("refused: {why}"));
        }
    }

    fn config() -> SyslogConfig {
        SyslogConfig {
            udp: Some("127.0.0.1:0".into()),
            tcp: Some("127.0.0.1:0".into()),
            max_message_bytes: 32,
            max_connections: 4,
            max_connections_per_client: 2,
            idle_timeout_secs: 5,
        }
    }

    async fn wait_for(sink: &Collect, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let got = sink.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sink.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    #[tokio::test]
    async fn udp_and_tcp_messages_reach_the_sink_and_long_ones_are_refused() -> io::Result<()> {
        let sink = Arc::new(Collect::default());
        let listener = Arc::new(SyslogListener::new(config(), sink.clone()));
        let udp = bind_udp(listener.config())
            .await?
            .ok_or(io::ErrorKind::NotFound)?;
        let tcp = bind_tcp(listener.config())
            .await?
            .ok_or(io::ErrorKind::NotFound)?;
        let (udp_addr, tcp_addr) = (udp.local_addr()?, tcp.local_addr()?);
        tokio::spawn(Arc::clone(&listener).serve_udp(udp));
        tokio::spawn(Arc::clone(&listener).serve_tcp(tcp));
        let client = UdpSocket::bind("127.0.0.1:0").await?;
        client
            .send_to(b"<13>Dec  1 03:30:31 h a: udp\n", udp_addr)
            .await?;
        assert_eq!(wait_for(&sink, 1).await, ["<13>Dec  1 03:30:31 h a: udp"]);
        client.send_to(&[b'x'; 40], udp_addr).await?;
        let mut stream = TcpStream::connect(tcp_addr).await?;
        stream.write_all(b"5 hello<1>line\n40 ").await?;
        stream.write_all(&[b'y'; 40]).await?;
        stream.write_all(b"2 ok").await?;
        let got = wait_for(&sink, 6).await;
        assert_eq!(
            got[1..],
            [
                "refused: message longer than max_message_bytes",
                "hello",
                "<1>line",
                "refused: message longer than max_message_bytes",
                "ok"
            ]
        );
        Ok(())
    }
}
