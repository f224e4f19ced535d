//! The accept loop every TCP gateway shares: a bounded number of connections, at most so
//! many from one client address, one task each; and the deadline-bounded read and write
//! every connection loop uses.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// How many connections a gateway serves at once, in all and from one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnectionLimits {
    /// Connections at once, from everyone.
    pub total: usize,
    /// Connections at once from one IPv4 address or one IPv6 /64.
    pub per_client: usize,
}

/// Open connections per client, so one address cannot take every slot.
#[derive(Debug, Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// A client's share of [`PerClient`], given back when the connection ends.
#[derive(Debug)]
struct ClientSlot {
    counts: Arc<PerClient>,
    client: IpAddr,
}

/// The key a client is counted under: its IPv4 address (also when written IPv4-mapped), or
/// its IPv6 /64, since one IPv6 host usually has a whole /64 to pick addresses from.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

impl PerClient {
    fn enter(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<ClientSlot> {
        let client = client_key(ip);
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(client).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            counts: Arc::clone(self),
            client,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

/// Accepts connections on `listener` for ever, handling each with `handle` in its own task
/// while fewer than `limits.total` are open and fewer than `limits.per_client` from its
/// address; a connection over either limit goes to `refuse` instead (which may answer and
/// close it, or just drop it). `what` names the gateway in log lines.
pub(crate) async fn serve_bounded<H, Fut>(
    what: &'static str,
    listener: TcpListener,
    limits: ConnectionLimits,
    refuse: impl Fn(TcpStream),
    handle: H,
) -> std::io::Result<()>
where
    H: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.total.max(1)));
    let per_client = Arc::new(PerClient::default());
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: wait rather than spin or stop.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            eprintln!("charter {what}: peer={peer}: Too many connections, refused.");
            refuse(stream);
            continue;
        };
        let Some(client_slot) = per_client.enter(peer.ip(), limits.per_client.max(1)) else {
            eprintln!(
                "charter {what}: peer={peer} max={}: Too many connections from this client, refused.",
                limits.per_client
            );
            refuse(stream);
            continue;
        };
        let connection = handle(stream, peer);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("charter {what}: peer={peer} error={e}: Connection ended.");
            }
            drop((slot, client_slot));
        });
    }
}

/// Runs the server `serve` builds on a thread of its own, named `name`, with a
/// single-threaded runtime, until it ends or the returned future is dropped; dropping it
/// stops the thread (every connection task with it) and waits for it.
///
/// Why a thread of its own: on a runtime shared with other work, every answer on a kept
/// connection went through the multi-threaded scheduler, whose workers wake each other
/// (a futex call) as the reactor hands them tasks. One thread that polls its sockets, reads,
/// decides and writes costs fewer system calls per request, and under load one `epoll_wait`
/// serves many ready connections.
pub(crate) async fn on_own_thread<F, Fut>(name: &str, serve: F) -> std::io::Result<()>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = std::io::Result<()>>,
{
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let outcome = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|runtime| {
                    runtime.block_on(async move {
                        tokio::select! {
                            served = serve() => served,
                            // Sent or dropped: the caller is gone.
                            _ = stop_rx => Ok(()),
                        }
                    })
                });
            let _ = done_tx.send(outcome);
        })?;
    let _stop = StopOnDrop {
        stop: Some(stop_tx),
        thread: Some(thread),
    };
    done_rx
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the server's thread ended abruptly")))
}

/// Stops an [`on_own_thread`] server's thread and waits for it.
struct StopOnDrop {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // Ends as soon as its runtime drops the connection tasks; a panic there was
            // printed already.
            let _ = thread.join();
        }
    }
}

/// What a read within a deadline gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// This many bytes were appended.
    Bytes(usize),
    /// The peer closed the connection.
    Closed,
    /// Nothing came before the deadline.
    TimedOut,
}

/// Bytes read at most at once: a body chunk from the MTA fits, and an idle connection holds
/// little.
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// Reads what has arrived into `buf` (at most [`READ_CHUNK`] bytes), waiting until
/// `deadline` at the latest. The bytes go straight into `buf`'s spare room: no buffer on
/// the stack to clear and copy from on every read.
pub(crate) async fn read_before(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
) -> std::io::Result<Read> {
    buf.reserve(READ_CHUNK);
    let mut limited = (&mut *stream).take(READ_CHUNK as u64);
    match tokio::time::timeout_at(deadline, limited.read_buf(buf)).await {
        Err(_) => Ok(Read::TimedOut),
        Ok(Ok(0)) => Ok(Read::Closed),
        Ok(Ok(n)) => Ok(Read::Bytes(n)),
        Ok(Err(e)) => Err(e),
    }
}

/// Writes all of `bytes` within `limit`: a peer that stops reading cannot hold a connection
/// (and its memory) for ever.
pub(crate) async fn write_within(
    stream: &mut TcpStream,
    bytes: &[u8],
    limit: Duration,
) -> std::io::Result<()> {
    match tokio::time::timeout(limit, stream.write_all(bytes)).await {
        Ok(written) => written,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "peer did not read the answer in time",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_on_its_own_thread_runs_there_and_stops_when_dropped() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (name_tx, name_rx) = tokio::sync::oneshot::channel();
        let serving = tokio::spawn(on_own_thread("own-thread-test", move || async move {
            let _ = name_tx.send(std::thread::current().name().map(String::from));
            let listener = TcpListener::from_std(listener)?;
            loop {
                let (mut stream, _) = listener.accept().await?;
                stream.write_all(b"hello").await?;
            }
        }));
        assert_eq!(name_rx.await.unwrap().as_deref(), Some("own-thread-test"));
        let mut answer = String::new();
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        client.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, "hello");

        serving.abort();
        assert!(serving.await.unwrap_err().is_cancelled());
        // The thread has ended and its listener is closed.
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn one_client_is_counted_by_address_and_ipv6_by_its_64() {
        let counts = Arc::new(PerClient::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let first = counts.enter(a, 2).unwrap();
        let _second = counts.enter("::ffff:10.0.0.1".parse().unwrap(), 2).unwrap();
        assert!(
            counts.enter(a, 2).is_none(),
            "a third from the same address"
        );
        assert!(counts.enter("10.0.0.2".parse().unwrap(), 2).is_some());
        drop(first);
        assert!(
            counts.enter(a, 2).is_some(),
            "a slot given back is free again"
        );
        let _v6 = counts.enter("2001:db8::1".parse().unwrap(), 1).unwrap();
        assert!(
            counts
                .enter("2001:db8::ffff:2".parse().unwrap(), 1)
                .is_none()
        );
        assert!(
            counts
                .enter("2001:db8:0:1::1".parse().unwrap(), 1)
                .is_some()
        );
    }
}
