//! The warn and hold pages in `serve` (`[server]`): the key page links are signed with, the
//! passes every web gateway puts in people's context (read from the store every second and
//! added to at once when the pages record one), and the HTTP server itself, which lives in
//! `charter-server` and is handed in by the CLI ([`PagesRunner`]): the app cannot depend on
//! the crate that is its HTTP face.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use tokio::net::TcpListener;

use charter_engine::Engine;
use charter_engine::web::CategorySource;
use charter_gateways::pass::{PageKey, Pages, Passes};
use charter_gateways::record::Recorder;
use charter_gateways::web::Clock;

use super::ServeError;
use crate::App;
use crate::config::ServerConfig;

/// What the pages run with.
pub struct PagesContext {
    /// Bound to `[server] listen`.
    pub listener: TcpListener,
    /// The app, once the store has been reached (the pages answer 503 until then).
    pub app: Arc<OnceLock<App>>,
    /// The engine the gateways decide with.
    pub engine: Arc<Engine>,
    /// The categories, to record a Continue as the gateways would have decided it.
    pub source: Arc<dyn CategorySource + Send + Sync>,
    /// `serve`'s clock.
    pub clock: Clock,
    /// The passes every gateway reads: the pages add to them at once.
    pub passes: Passes,
    /// The key and the public address.
    pub pages: Pages,
    /// Where monitoring records go.
    pub recorder: Recorder,
}

impl std::fmt::Debug for PagesContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagesContext")
            .field("public_url", &self.pages.public_url())
            .finish_non_exhaustive()
    }
}

/// Runs the pages until they fail.
pub type PagesRunner =
    fn(PagesContext) -> Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

/// The pages' key and address from `[server]`, the key created on first use.
pub(super) fn pages_of(server: &ServerConfig) -> Result<Pages, ServeError> {
    let key = PageKey::load_or_create(&server.key_file).map_err(|cause| ServeError::PageKey {
        path: server.key_file.clone(),
        cause,
    })?;
    Ok(Pages::new(key, &server.public_url))
}
