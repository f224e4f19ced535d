//! The dashboard's sign-in and its JSON API, over `charter-app`. Sessions, lockout and the
//! second factor are the app's (`charter_app::users`); this module maps a request to the
//! person it acts as, and guards every state-changing request against cross-site forgery.
//!
//! Cookies are `HttpOnly; SameSite=Strict; Path=/` and `Secure`, except when the public
//! address is plain HTTP on loopback (`charter demo`), where a browser would drop a `Secure`
//! cookie.

mod api;
mod auth;
mod limit;
mod openapi;
mod pages;
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
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(crate::pages::time_limit))
        .with_state(dash)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url(
            "/api/openapi.json",
            <openapi::ApiDoc as utoipa::OpenApi>::openapi(),
        ))
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
