//! The JSON API: each handler maps the signed-in person to their actor and calls the app.

use axum::Json;
use serde::Serialize;

use super::session::Signed;

/// `GET /api/me`.
#[derive(Debug, Serialize)]
pub(crate) struct Me {
    login: String,
    person_id: i64,
    name: String,
    roles: Vec<String>,
    /// The token to send as `X-CSRF-Token` with every API request that changes something.
    csrf: String,
}

pub(crate) async fn me(signed: Signed) -> Json<Me> {
    let who = signed.who;
    Json(Me {
        login: who.user.login.clone(),
        person_id: who.person.id,
        name: who.person.full_name(),
        roles: who.person.roles.clone(),
        csrf: who.csrf.clone(),
    })
}
