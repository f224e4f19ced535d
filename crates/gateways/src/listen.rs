//! The accept loop every TCP gateway shares: a bounded number of connections, one task each.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Accepts connections on `listener` for ever, handling each with `handle` in its own task while
/// fewer than `slots` are open; a connection over the limit goes to `refuse` instead (which
/// may answer and close it, or just drop it). `what` names the gateway in log lines.
pub(crate) async fn serve_bounded<H, Fut>(
    what: &'static str,
    listener: TcpListener,
    slots: Arc<Semaphore>,
    refuse: impl Fn(TcpStream),
    handle: H,
) -> std::io::Result<()>
where
    H: Fn(TcpStream) -> Fut,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
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
        let connection = handle(stream);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("charter {what}: peer={peer} error={e}: Connection ended.");
            }
            drop(slot);
        });
    }
}
