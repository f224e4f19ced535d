//! Signing in and out: the password form, the code form (with the QR code until the first
//! code is accepted), logout and logout everywhere. Every decision is the app's; a new
//! session token is set at each step and whatever cookie the browser brought is ignored, so
//! a token planted before sign-in never becomes a signed-in one.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Form, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;

use charter_app::users::{LoginRefused, PasswordStep};
use charter_engine::text::escape_html;

use super::session::{Denied, Pending, Signed, check_csrf};
use super::{Dashboard, peer};
use crate::html;

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
            ),
        ],
        Html(html::page(title, body)),
    )
        .into_response()
}

fn login_body(message: Option<&str>) -> String {
    let mut body = message.map(html::para).unwrap_or_default();
    body.push_str(
        "<form method=\"post\" action=\"/login\">\n\
         <p><label for=\"login\">Login</label> <input id=\"login\" name=\"login\" autocomplete=\"username\" required></p>\n\
         <p><label for=\"password\">Password</label> <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
         <button type=\"submit\">Sign in</button>\n</form>",
    );
    body
}

fn refused(r: &LoginRefused) -> StatusCode {
    match r {
        LoginRefused::Locked => StatusCode::FORBIDDEN,
        _ => StatusCode::UNAUTHORIZED,
    }
}

fn with_cookie(cookie: String, to: &str) -> Response {
    ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}

pub(crate) async fn login_form() -> Response {
    page(StatusCode::OK, "Sign in to Charter", &login_body(None))
}

pub(crate) async fn login(
    State(dash): State<Arc<Dashboard>>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<LoginForm>,
) -> Result<Response, Denied> {
    dash.same_origin(&headers)?;
    if let Some(addr) = peer(&extensions)
        && !dash.limiter.allow(addr.ip(), Instant::now())
    {
        return Ok(page(
            StatusCode::TOO_MANY_REQUESTS,
            "Sign in to Charter",
            &login_body(Some(
                "Too many attempts from this address: wait ten minutes.",
            )),
        ));
    }
    let app = dash.app()?;
    let step = app
        .login_password(form.login.trim(), &form.password, Timestamp::now())
        .await
        .map_err(|_| Denied::Failed)?;
    Ok(match step {
        Ok(PasswordStep::SignedIn(token)) => with_cookie(dash.cookie(&token), "/"),
        Ok(PasswordStep::NeedsCode(token)) => with_cookie(dash.cookie(&token), "/login/code"),
        Err(r) => page(
            refused(&r),
            "Sign in to Charter",
            &login_body(Some(r.public())),
        ),
    })
}

async fn code_body(dash: &Dashboard, pending: &Pending, message: Option<&str>) -> String {
    let mut body = message.map(html::para).unwrap_or_default();
    // Until the first code is accepted, the QR code of the secret is shown to enrol an
    // authenticator app; after that, never again.
    if let Ok(app) = dash.app()
        && let Ok(Some(png)) = app.enrolment_qr(pending.user_id).await
    {
        body.push_str(&format!(
            "<p>Scan this code with an authenticator app, then type the six digits it shows.</p>\n\
             <p><img alt=\"QR code of your sign-in secret\" src=\"data:image/png;base64,{}\"></p>\n",
            escape_html(&png)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/login/code\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <p><label for=\"code\">Code from your authenticator</label> <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{{6}}\" required></p>\n\
         <button type=\"submit\">Continue</button>\n</form>",
        escape_html(&pending.csrf)
    ));
    body
}

pub(crate) async fn code_form(State(dash): State<Arc<Dashboard>>, pending: Pending) -> Response {
    page(
        StatusCode::OK,
        "Your sign-in code",
        &code_body(&dash, &pending, None).await,
    )
}

pub(crate) async fn code(
    State(dash): State<Arc<Dashboard>>,
    pending: Pending,
    Form(form): Form<CodeForm>,
) -> Result<Response, Denied> {
    check_csrf(&pending.csrf, Some(&form.csrf))?;
    let app = dash.app()?;
    let result = app
        .login_code(&pending.token, &form.code, Timestamp::now())
        .await
        .map_err(|_| Denied::Failed)?;
    Ok(match result {
        Ok(token) => with_cookie(dash.cookie(&token), "/"),
        Err(LoginRefused::NoSession) => Redirect::to("/login").into_response(),
        Err(r) => page(
            refused(&r),
            "Your sign-in code",
            &code_body(&dash, &pending, Some(r.public())).await,
        ),
    })
}

pub(crate) async fn logout(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Denied> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    dash.app()?
        .logout(&signed.token)
        .await
        .map_err(|_| Denied::Failed)?;
    Ok(with_cookie(dash.expired_cookie(), "/login"))
}

pub(crate) async fn logout_everywhere(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Denied> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    dash.app()?
        .logout_everywhere(&signed.token)
        .await
        .map_err(|_| Denied::Failed)?;
    Ok(with_cookie(dash.expired_cookie(), "/login"))
}
