//! Starting the gateways the config turns on, each by its own small block: a missing section
//! means that gateway is off. A port in use is an error at once, so `serve` stops with a
//! clear message rather than running without that gateway.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use tokio::task::JoinSet;

use charter_engine::Engine;
use charter_engine::web::CategorySource;
use charter_gateways::pass::{Pages, Passes};
use charter_gateways::record::Recorder;
use charter_gateways::web::Clock;

use super::register::Register;
use super::{PagesContext, PagesRunner, ServeError};
use crate::App;
use crate::config::{Config, ServerConfig};

/// What every gateway decides with.
pub(super) struct Deciding<'a> {
    pub engine: &'a Arc<Engine>,
    pub source: &'a Arc<dyn CategorySource + Send + Sync>,
    pub clock: Clock,
    pub recorder: &'a Recorder,
    pub register: &'a Register,
    pub passes: &'a Passes,
    pub pages: Option<&'a Pages>,
}

/// Binds every gateway `config` turns on and runs each in `tasks`.
pub(super) async fn start(
    config: &Config,
    with: &Deciding<'_>,
    tasks: &mut JoinSet<Result<(), ServeError>>,
) -> Result<(), ServeError> {
    // ICAP REQMOD for Squid (docs/squid.md).
    if let Some(icap) = &config.icap {
        let server = Arc::new(
            icap.build(
                Arc::clone(with.engine),
                Arc::clone(with.source),
                with.clock,
                with.register.roles.clone(),
            )
            .map_err(|e| ServeError::Section(e.to_string()))?
            .with_recorder(with.recorder.clone())
            .with_identities(with.register.identities.live())
            .with_pages(with.passes.clone(), with.pages.cloned()),
        );
        let listener = server
            .bind()
            .await
            .map_err(|cause| ServeError::listen(server.listen_addr(), "ICAP", cause))?;
        eprintln!(
            "charter serve: listen={} istag={}: ICAP server started.",
            local(&listener),
            server.istag()
        );
        run(tasks, "ICAP server", server.serve(listener));
    }
    // Milter and Postfix policy service (docs/postfix.md).
    if let Some(cfg) = &config.milter {
        let milter = Arc::new(
            cfg.build(Arc::clone(with.engine), with.clock)
                .map_err(|e| ServeError::Section(format!("bad [milter] section: {e}")))?
                .with_recorder(with.recorder.clone())
                .with_roles(with.register.roles.clone())
                .with_colleagues(with.register.colleagues.clone()),
        );
        let listener = milter
            .bind()
            .await
            .map_err(|cause| ServeError::listen(&cfg.listen, "the milter", cause))?;
        eprintln!(
            "charter serve: listen={}: Milter started.",
            local(&listener)
        );
        run(tasks, "milter", milter.serve(listener));
    }
    if let Some(cfg) = &config.policy_service {
        let service = Arc::new(
            cfg.build(Arc::clone(with.engine), with.clock)
                .map_err(|e| ServeError::Section(format!("bad [policy_service] section: {e}")))?,
        );
        let listener = service
            .bind()
            .await
            .map_err(|cause| ServeError::listen(&cfg.listen, "the policy service", cause))?;
        eprintln!(
            "charter serve: listen={}: Postfix policy service started.",
            local(&listener)
        );
        run(tasks, "policy service", service.serve(listener));
    }
    Ok(())
}

/// Binds `[server]` and runs the warn and hold pages with `runner`.
pub(super) async fn start_pages(
    server: &ServerConfig,
    runner: PagesRunner,
    with: &Deciding<'_>,
    pages: Pages,
    app: Arc<OnceLock<App>>,
    tasks: &mut JoinSet<Result<(), ServeError>>,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(&server.listen)
        .await
        .map_err(|cause| ServeError::listen(&server.listen, "the pages", cause))?;
    eprintln!(
        "charter serve: listen={} public_url={}: Warn and hold pages started.",
        local(&listener),
        pages.public_url()
    );
    let context = PagesContext {
        listener,
        app,
        engine: Arc::clone(with.engine),
        source: Arc::clone(with.source),
        clock: with.clock,
        passes: with.passes.clone(),
        pages,
        recorder: with.recorder.clone(),
    };
    run(tasks, "pages", runner(context));
    Ok(())
}

/// Runs one gateway's accept loop in `tasks`; its failure stops `serve`, named by `what`.
fn run(
    tasks: &mut JoinSet<Result<(), ServeError>>,
    what: &'static str,
    serving: impl Future<Output = std::io::Result<()>> + Send + 'static,
) {
    tasks.spawn(async move {
        serving
            .await
            .map_err(|cause| ServeError::Failed { what, cause })
    });
}

/// The address a listener is bound to, for the log line that says it started.
fn local(listener: &tokio::net::TcpListener) -> String {
    listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string())
}
