//! The dashboard's sign-in and its JSON API, over `charter-app`. Sessions, lockout and the
//! second factor are the app's (`charter_app::users`); this module maps a request to the
//! person it acts as, and guards every state-changing request against cross-site forgery.
//!
//! Cookies are `HttpOnly; SameSite=Strict; Path=/` and `Secure`, except when the public
//! address is plain HTTP on loopback (`charter demo`), where a browser would drop a `Secure`
//! cookie.

mod api;
mod api_self;
mod api_views;
mod auth;
mod limit;
mod openapi;
mod pages;
mod pages_self;
mod pages_views;
mod report;
mod session;
mod timeline;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::routing::{get, post};

use charter_app::App;

pub use session::COOKIE;

/// What the dashboard runs with.
#[derive(Debug)]
pub struct Dashboard {
    app: Arc<OnceLock<App>>,
    /// `scheme://host[:port]` of the public address, for the `Origin` check.
    origin: String,
    /// Whether cookies carry `Secure`.
    secure: bool,
    limiter: limit::Limiter,
}

impl Dashboard {
    /// The dashboard over `app` (set once the store is reached), served at `public_url`.
    pub fn new(app: Arc<OnceLock<App>>, public_url: &str) -> Dashboard {
        let origin = crate::pages::origin_of(public_url);
        Dashboard {
            secure: !plain_loopback(&origin),
            app,
            origin,
            limiter: limit::Limiter::default(),
        }
    }
}

/// Whether `origin` is plain HTTP on a loopback address.
fn plain_loopback(origin: &str) -> bool {
    let Some(authority) = origin.strip_prefix("http://") else {
        return false;
    };
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    matches!(host, "localhost" | "[::1]")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

/// The dashboard's routes.
pub fn router(dash: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/policy", get(pages::policy))
        .route("/policy/acknowledge", post(pages::acknowledge))
        .route("/alerts", get(pages::alerts))
        .route("/alerts/{id}/{action}", post(pages::triage))
        .route("/approvals", get(pages::approvals))
        .route("/approvals/{id}/{action}", post(pages::decide))
        .route("/report", get(report::report))
        .route(
            "/approvals/software/{id}/{action}",
            post(pages::decide_software),
        )
        .route("/registers", get(pages_views::registers))
        .route("/registers/{name}", get(pages_views::register))
        .route("/team", get(pages_views::team))
        .route(
            "/monitoring",
            get(pages_views::monitoring).post(pages_views::timeline),
        )
        .route("/audit", get(pages_views::audit))
        .route("/me", get(pages_self::me))
        .route("/me/export", get(pages_self::export))
        .route("/me/incident", post(pages_self::incident))
        .route("/me/devices/{id}/lost", post(pages_self::lost))
        .route("/me/software", post(pages_self::software))
        .route("/me/access", post(pages_self::access))
        .route("/me/authorisation", post(pages_self::authorisation))
        .route(
            "/approvals/authorisations/{id}/{action}",
            post(pages::decide_authorisation),
        )
        .route("/assets/htmx.min.js", get(pages::htmx))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/login/code", get(auth::code_form).post(auth::code))
        .route("/logout", post(auth::logout))
        .route("/logout/everywhere", post(auth::logout_everywhere))
        .route("/api/me", get(api::me))
        .route("/api/overview", get(api::overview))
        .route("/api/people", get(api::people))
        .route("/api/people/{id}/records", get(timeline::records))
        .route(
            "/api/acknowledgements",
            get(api::acknowledgements).post(api::acknowledge),
        )
        .route("/api/breaches", get(api::breaches).post(api::open_breach))
        .route("/api/subject-requests", get(api::subject_requests))
        .route("/api/approvals", get(api::approvals))
        .route("/api/approvals/{id}/approve", post(api::approve))
        .route("/api/approvals/{id}/refuse", post(api::refuse))
        .route("/api/alerts", get(api::alerts))
        .route("/api/alerts/{id}/confirm", post(api::confirm_alert))
        .route("/api/alerts/{id}/dismiss", post(api::dismiss_alert))
        .route("/api/alerts/{id}/refer", post(api::refer_alert))
        .route("/api/registers", get(api_views::registers))
        .route("/api/registers/{name}", get(api_views::register))
        .route("/api/team", get(api_views::team))
        .route("/api/people/{id}/summary", get(api_views::summary))
        .route("/api/people/{id}/timeline", post(api_views::timeline))
        .route("/api/audit", get(api_views::audit))
        .route("/api/policy/rules", get(api_views::policy_rules))
        .route("/api/policy/lint", get(api_views::policy_lint))
        .route("/api/inbox", get(api_views::inbox))
        .route("/api/software", post(api_self::ask_software))
        .route(
            "/api/software/{id}/approve",
            post(api_views::approve_software),
        )
        .route(
            "/api/software/{id}/refuse",
            post(api_views::refuse_software),
        )
        .route("/api/me/data", get(api_self::my_data))
        .route("/api/me/export", get(api_self::my_export))
        .route("/api/incidents", post(api_self::report_incident))
        .route("/api/devices/{id}/lost", post(api_self::report_lost))
        .route("/api/access", post(api_self::ask_access))
        .route("/api/authorisations", post(api_self::ask_authorisation))
        .route(
            "/api/authorisations/{id}/approve",
            post(api_views::approve_authorisation),
        )
        .route(
            "/api/authorisations/{id}/refuse",
            post(api_views::refuse_authorisation),
        )
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(crate::pages::time_limit))
        .with_state(dash)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url(
            "/api/openapi.json",
            <openapi::ApiDoc as utoipa::OpenApi>::openapi(),
        ))
}

/// Serves the dashboard alone over `app` on `listener`, at `public_url`, until `shutdown`
/// completes (`charter demo`; `charter serve` merges [`router`] with the warn and hold
/// pages).
pub async fn serve_alone(
    listener: tokio::net::TcpListener,
    app: App,
    public_url: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cell = Arc::new(OnceLock::new());
    // A fresh cell: setting it cannot fail.
    let _ = cell.set(app);
    let routes = router(Arc::new(Dashboard::new(cell, public_url)));
    axum::serve(
        listener,
        routes.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The peer's address, when the listener recorded it.
fn peer(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

#[cfg(test)]
mod tests {
    use super::plain_loopback;

    #[test]
    fn only_plain_http_on_loopback_goes_without_secure() {
        assert!(plain_loopback("http://127.0.0.1:8080"));
        assert!(plain_loopback("http://localhost:8080"));
        assert!(plain_loopback("http://[::1]:8080"));
        assert!(!plain_loopback("https://127.0.0.1:8080"));
        assert!(!plain_loopback("http://charter.example.org:8080"));
        assert!(!plain_loopback("http://10.0.0.1"));
    }
}
