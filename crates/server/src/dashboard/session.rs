//! From a request to the person it acts as: the session cookie, looked up through the app,
//! and the checks every state-changing request passes (same origin, and the session's CSRF
//! token compared in constant time).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;

use charter_app::App;
use charter_app::users::{SessionState, SignedIn, secrets_equal};

use super::Dashboard;

/// The session cookie's name.
pub const COOKIE: &str = "charter_session";

/// Why a request was refused before its handler ran.
#[derive(Debug)]
pub(crate) enum Denied {
    /// No store yet.
    Unavailable,
    /// Not signed in: a page goes to the login form, the API answers 401.
    NotSignedIn { api: bool },
    /// A state-changing request from another site or without the session's token.
    Forged,
    /// The store failed.
    Failed,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Charter cannot reach its store just now; try again in a minute.",
            )
                .into_response(),
            Denied::NotSignedIn { api: true } => {
                (StatusCode::UNAUTHORIZED, "sign in first").into_response()
            }
            Denied::NotSignedIn { api: false } => Redirect::to("/login").into_response(),
            Denied::Forged => (
                StatusCode::FORBIDDEN,
                "Refused: this request did not come from Charter's own pages.",
            )
                .into_response(),
            Denied::Failed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong; try again.",
            )
                .into_response(),
        }
    }
}

impl Dashboard {
    pub(crate) fn app(&self) -> Result<&App, Denied> {
        self.app.get().ok_or(Denied::Unavailable)
    }

    /// Refuses a request whose `Origin` is another site's. Browsers send `Origin` with
    /// every cross-site POST; a request without one is not from a browser page elsewhere.
    pub(crate) fn same_origin(&self, headers: &HeaderMap) -> Result<(), Denied> {
        match headers.get(header::ORIGIN) {
            None => Ok(()),
            Some(o) if o.as_bytes().eq_ignore_ascii_case(self.origin.as_bytes()) => Ok(()),
            Some(_) => Err(Denied::Forged),
        }
    }

    /// The cookie that carries `token`.
    pub(crate) fn cookie(&self, token: &str) -> String {
        format!(
            "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The cookie that removes the session.
    pub(crate) fn expired_cookie(&self) -> String {
        format!(
            "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            if self.secure { "; Secure" } else { "" }
        )
    }
}

/// The session token in the request's cookies.
pub(crate) fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Checks the CSRF token a form or the `X-CSRF-Token` header gave against the session's.
pub(crate) fn check_csrf(expected: &str, given: Option<&str>) -> Result<(), Denied> {
    match given {
        Some(g) if !expected.is_empty() && secrets_equal(expected, g) => Ok(()),
        _ => Err(Denied::Forged),
    }
}

/// The signed-in person, for pages and the API. On a request that changes state, the
/// origin is checked here; the CSRF token is checked here for the API (header) and by the
/// form handlers for pages (a field).
#[derive(Debug)]
pub(crate) struct Signed {
    pub token: String,
    pub who: Box<SignedIn>,
}

impl FromRequestParts<Arc<Dashboard>> for Signed {
    type Rejection = Denied;

    async fn from_request_parts(
        parts: &mut Parts,
        dash: &Arc<Dashboard>,
    ) -> Result<Signed, Denied> {
        let api = parts.uri.path().starts_with("/api/");
        let changes = !matches!(parts.method, Method::GET | Method::HEAD);
        if changes {
            dash.same_origin(&parts.headers)?;
        }
        let app = dash.app()?;
        let Some(token) = token(&parts.headers) else {
            return Err(Denied::NotSignedIn { api });
        };
        let state = app
            .session(&token, Timestamp::now())
            .await
            .map_err(|_| Denied::Failed)?;
        let Some(SessionState::SignedIn(who)) = state else {
            return Err(Denied::NotSignedIn { api });
        };
        if changes && api {
            let given = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            check_csrf(&who.csrf, given)?;
        }
        Ok(Signed { token, who })
    }
}

/// A session that has given its password and owes its code.
#[derive(Debug)]
pub(crate) struct Pending {
    pub token: String,
    pub user_id: i64,
    pub csrf: String,
}

impl FromRequestParts<Arc<Dashboard>> for Pending {
    type Rejection = Denied;

    async fn from_request_parts(
        parts: &mut Parts,
        dash: &Arc<Dashboard>,
    ) -> Result<Pending, Denied> {
        if parts.method != Method::GET {
            dash.same_origin(&parts.headers)?;
        }
        let app = dash.app()?;
        let Some(token) = token(&parts.headers) else {
            return Err(Denied::NotSignedIn { api: false });
        };
        match app.session(&token, Timestamp::now()).await {
            Ok(Some(SessionState::AwaitingCode { user_id, csrf })) => Ok(Pending {
                token,
                user_id,
                csrf,
            }),
            Ok(_) => Err(Denied::NotSignedIn { api: false }),
            Err(_) => Err(Denied::Failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use super::*;

    #[test]
    fn cookies_are_secure_strict_and_http_only_except_secure_on_loopback_http() {
        let https = Dashboard::new(Arc::new(OnceLock::new()), "https://charter.example.org");
        assert_eq!(
            https.cookie("ab"),
            "charter_session=ab; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(https.expired_cookie().contains("Max-Age=0; Secure"));
        let demo = Dashboard::new(Arc::new(OnceLock::new()), "http://127.0.0.1:8080");
        assert_eq!(
            demo.cookie("ab"),
            "charter_session=ab; Path=/; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn only_a_well_formed_session_cookie_is_read() {
        let mut h = HeaderMap::new();
        let good = "a".repeat(64);
        h.insert(
            header::COOKIE,
            format!("other=1; {COOKIE}={good}")
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(token(&h), Some(good));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("{COOKIE}=short")
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(token(&h), None);
    }

    #[test]
    fn a_csrf_token_must_match_and_never_be_empty() {
        assert!(check_csrf("abc", Some("abc")).is_ok());
        assert!(check_csrf("abc", Some("abd")).is_err());
        assert!(check_csrf("abc", None).is_err());
        assert!(check_csrf("", Some("")).is_err());
    }
}
