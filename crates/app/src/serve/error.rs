//! Why `serve` cannot start, or stopped.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::gateway::PackError;
use crate::time::TimeError;

/// Everything `serve` can fail with. Each states its cause once.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The config turns no gateway on.
    #[error("nothing to serve: `{0}` has no gateway section such as [icap], [milter] or [server]")]
    NothingToServe(PathBuf),
    /// The config file, or a file it names, cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The pack cannot be loaded, or lint rejects it.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// `--at` cannot be read.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// The category index or lists cannot be opened.
    #[error("cannot open categories `{path}`: {cause}")]
    Categories {
        /// The index or directory.
        path: PathBuf,
        /// Why.
        cause: charter_engine::web::IndexError,
    },
    /// The site model cannot be opened.
    #[error(transparent)]
    SiteModel(#[from] charter_engine::web::site_model::ModelError),
    /// The sentence-embedding model cannot be loaded.
    #[error(transparent)]
    Embeddings(#[from] charter_engine::text::embed::EmbedError),
    /// The `[icap] user_roles` file cannot be read.
    #[error("cannot read user roles `{path}`: {cause}")]
    UserRoles {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The `[usage] countries` table cannot be read.
    #[error("cannot read the country table `{path}`: {cause}")]
    Countries {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// `[alerts]` cannot be used.
    #[error("{0}")]
    Alerts(String),
    /// The spool cannot be used.
    #[error(transparent)]
    Spool(#[from] charter_store::spool::SpoolError),
    /// The spool's counters cannot be read.
    #[error("cannot read `{path}`: {cause}")]
    Stats {
        /// `stats.json`.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The key page links are signed with cannot be read or created.
    #[error("cannot read or create the page key `{path}`: {cause}")]
    PageKey {
        /// The key file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// `[server]` is configured, but this build runs no pages.
    #[error("[server] is configured, but this program was built without the pages")]
    NoPages,
    /// A gateway's section cannot work (the message names the section).
    #[error("{0}")]
    Section(String),
    /// A gateway cannot listen on its address.
    #[error("cannot listen on `{addr}` for {what}: {cause}")]
    Listen {
        /// The address.
        addr: String,
        /// Which gateway.
        what: &'static str,
        /// Why.
        cause: std::io::Error,
    },
    /// A gateway stopped with an error.
    #[error("{what} failed: {cause}")]
    Failed {
        /// Which gateway.
        what: &'static str,
        /// Why.
        cause: std::io::Error,
    },
    /// The store's URL can never work (neither SQLite nor PostgreSQL).
    #[error(transparent)]
    Store(charter_store::Error),
    /// Something `serve` runs on (a thread, a signal handler) cannot be started.
    #[error("cannot {what}: {cause}")]
    Start {
        /// What.
        what: &'static str,
        /// Why.
        cause: std::io::Error,
    },
    /// A task of `serve` panicked.
    #[error("a task of `serve` stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl ServeError {
    /// A [`ServeError::Listen`].
    pub(super) fn listen(
        addr: impl std::fmt::Display,
        what: &'static str,
        cause: std::io::Error,
    ) -> ServeError {
        ServeError::Listen {
            addr: addr.to_string(),
            what,
            cause,
        }
    }
}
