//! The JSON API: each handler maps the signed-in person to their actor and calls the app,
//! which decides who may read or do what. Requests that change something carry the
//! session's CSRF token in `X-CSRF-Token` (checked by [`Signed`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use charter_app::alerts::AlertFilter;
use charter_app::{Error, MyAcknowledgements, Overview};
use charter_store::{AckKind, NewBreach};

use super::Dashboard;
use super::session::{Denied, Signed};

/// Why an API request failed: refused before the app was asked, or by the app.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// No store yet.
    Denied(Denied),
    /// The app refused or failed.
    App(Error),
    /// The path names nothing (`what`).
    NoSuch(String),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError::App(e)
    }
}

/// The one shape every API error has.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problem {
    error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use charter_store::Error as S;
        let e = match self {
            ApiError::Denied(d) => return d.into_response(),
            ApiError::App(e) => e,
            ApiError::NoSuch(what) => {
                let error = format!("there is no {what}");
                return (StatusCode::NOT_FOUND, Json(Problem { error })).into_response();
            }
        };
        let status = match &e {
            Error::NotAuthorised { .. } => StatusCode::FORBIDDEN,
            Error::Store(S::NotFound { .. }) => StatusCode::NOT_FOUND,
            Error::Store(S::Duplicate { .. } | S::Changed { .. }) | Error::Transition { .. } => {
                StatusCode::CONFLICT
            }
            Error::Store(S::Invalid { .. } | S::TooLong { .. })
            | Error::Refused(_)
            | Error::Time(_)
            | Error::Roles(_)
            | Error::NoSuchPerson(_)
            | Error::Ambiguous { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let error = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // A database error's text is for the log, not the browser.
            "the store failed; try again".to_string()
        } else {
            e.to_string()
        };
        (status, Json(Problem { error })).into_response()
    }
}

/// What a handler returns.
pub(crate) type Answer<T> = Result<Json<T>, ApiError>;

pub(crate) fn fail(e: Error) -> ApiError {
    ApiError::App(e)
}

pub(crate) fn app(dash: &Dashboard) -> Result<&charter_app::App, ApiError> {
    dash.app().map_err(ApiError::Denied)
}

/// `GET /api/me`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    login: String,
    person_id: i64,
    name: String,
    roles: Vec<String>,
    /// The token to send as `X-CSRF-Token` with every API request that changes something.
    csrf: String,
}

#[utoipa::path(get, path = "/api/me", tag = "session", security(("session" = [])), responses((status = 200, description = "Who is signed in, and the CSRF token", body = Me), (status = 401, description = "Not signed in")))]
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

#[utoipa::path(get, path = "/api/overview", tag = "overview", description = "What needs doing now, with clocks; sections the person may not see are null", security(("session" = [])), responses((status = 200, description = "What needs doing now, with clocks; sections the person may not see are null", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn overview(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Overview> {
    let app = app(&dash)?;
    app.overview(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(get, path = "/api/people", tag = "registers", description = "The people register (register keepers, data protection, compliance)", security(("session" = [])), responses((status = 200, description = "The people register (register keepers, data protection, compliance)", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn people(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<charter_store::Person>> {
    let app = app(&dash)?;
    app.people_for(&signed.who.actor)
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(get, path = "/api/acknowledgements", tag = "acknowledgements", description = "The latest policy version and what the signed-in person owes", security(("session" = [])), responses((status = 200, description = "The latest policy version and what the signed-in person owes", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn acknowledgements(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<MyAcknowledgements> {
    let app = app(&dash)?;
    app.my_acknowledgements(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

/// `POST /api/acknowledgements`: I have read this version and will abide by it.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Acknowledge {
    /// The version's id.
    policy_id: i64,
    /// The SHA-256 of the text that was shown, as `GET /api/acknowledgements` gave it.
    text_hash: String,
}

#[utoipa::path(post, path = "/api/acknowledgements", tag = "acknowledgements", description = "Acknowledge the version shown (its text hash)", request_body = Acknowledge, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or the request came from another site or lacks the CSRF token", body = Problem), (status = 404, description = "No such record", body = Problem), (status = 409, description = "Not in a state to do this", body = Problem), (status = 422, description = "Refused by the policy or the law, or bad input", body = Problem)))]
pub(crate) async fn acknowledge(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Json(body): Json<Acknowledge>,
) -> Answer<charter_store::Acknowledgement> {
    let app = app(&dash)?;
    let who = &signed.who;
    app.acknowledge(
        &who.actor,
        who.person.id,
        body.policy_id,
        &body.text_hash,
        AckKind::Agreement,
        None,
    )
    .await
    .map(Json)
    .map_err(fail)
}

#[utoipa::path(get, path = "/api/breaches", tag = "breaches", description = "The breach log with each 72-hour clock (data protection, compliance)", security(("session" = [])), responses((status = 200, description = "The breach log with each 72-hour clock (data protection, compliance)", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn breaches(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<charter_app::BreachView>> {
    let app = app(&dash)?;
    app.breaches_for(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

/// `POST /api/breaches`: log a breach; its 72-hour clock runs from `aware_at`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct OpenBreach {
    description: String,
    #[serde(default)]
    data_categories: String,
    approx_people: Option<i64>,
    approx_records: Option<i64>,
    #[serde(default)]
    likely_consequences: String,
    #[serde(default)]
    measures: String,
    /// Empty: the pack's breach contact.
    #[serde(default)]
    contact_point: String,
    /// When the organisation became aware, in the pack's zone (`2026-06-15 09:30`); now
    /// when absent.
    aware_at: Option<String>,
    /// The people concerned, by id.
    #[serde(default)]
    people: Vec<i64>,
}

#[utoipa::path(post, path = "/api/breaches", tag = "breaches", description = "Log a breach (data protection roles)", request_body = OpenBreach, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or the request came from another site or lacks the CSRF token", body = Problem), (status = 404, description = "No such record", body = Problem), (status = 409, description = "Not in a state to do this", body = Problem), (status = 422, description = "Refused by the policy or the law, or bad input", body = Problem)))]
pub(crate) async fn open_breach(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Json(body): Json<OpenBreach>,
) -> Answer<charter_store::Breach> {
    let app = app(&dash)?;
    let aware_at =
        charter_app::time::time_or(body.aware_at.as_deref(), app.time_zone(), Timestamp::now())
            .map_err(|e| fail(Error::from(e)))?;
    let new = NewBreach {
        description: body.description,
        data_categories: body.data_categories,
        approx_people: body.approx_people,
        approx_records: body.approx_records,
        likely_consequences: body.likely_consequences,
        measures: body.measures,
        contact_point: body.contact_point,
        aware_at,
    };
    app.log_breach(&signed.who.actor, new, &body.people)
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(get, path = "/api/subject-requests", tag = "subject requests", description = "Subject requests with their deadlines (data protection, compliance)", security(("session" = [])), responses((status = 200, description = "Subject requests with their deadlines (data protection, compliance)", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn subject_requests(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<charter_app::RequestView>> {
    let app = app(&dash)?;
    app.subject_requests_for(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(get, path = "/api/approvals", tag = "approvals", description = "Access requests waiting for the signed-in approver", security(("session" = [])), responses((status = 200, description = "Access requests waiting for the signed-in approver", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn approvals(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<charter_app::ApprovalView>> {
    let app = app(&dash)?;
    app.approvals_inbox(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

/// A decision or triage note.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct Note {
    #[serde(default)]
    pub note: String,
}

async fn decide(
    dash: &Dashboard,
    signed: &Signed,
    id: i64,
    approve: bool,
    note: &str,
) -> Answer<charter_store::Approval> {
    let app = app(dash)?;
    app.decide_access(&signed.who.actor, id, approve, note, Timestamp::now(), None)
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(post, path = "/api/approvals/{id}/approve", tag = "approvals", description = "Approve an access request for a week", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or the request came from another site or lacks the CSRF token", body = Problem), (status = 404, description = "No such record", body = Problem), (status = 409, description = "Not in a state to do this", body = Problem), (status = 422, description = "Refused by the policy or the law, or bad input", body = Problem)))]
pub(crate) async fn approve(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::Approval> {
    decide(&dash, &signed, id, true, &body.note).await
}

#[utoipa::path(post, path = "/api/approvals/{id}/refuse", tag = "approvals", description = "Refuse an access request", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or the request came from another site or lacks the CSRF token", body = Problem), (status = 404, description = "No such record", body = Problem), (status = 409, description = "Not in a state to do this", body = Problem), (status = 422, description = "Refused by the policy or the law, or bad input", body = Problem)))]
pub(crate) async fn refuse(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::Approval> {
    decide(&dash, &signed, id, false, &body.note).await
}

#[utoipa::path(get, path = "/api/alerts", tag = "alerts", description = "The alerts routed to the signed-in person, newest first", security(("session" = [])), responses((status = 200, description = "The alerts routed to the signed-in person, newest first", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn alerts(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<charter_store::Alert>> {
    let app = app(&dash)?;
    app.list_alerts(
        &signed.who.actor,
        AlertFilter {
            status: None,
            limit: Some(200),
        },
    )
    .await
    .map(Json)
    .map_err(fail)
}

fn note(n: &Note) -> Option<&str> {
    Some(n.note.trim()).filter(|n| !n.is_empty())
}

#[utoipa::path(post, path = "/api/alerts/{id}/confirm", tag = "alerts", description = "Confirm an open alert", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or the request came from another site or lacks the CSRF token", body = Problem), (status = 404, description = "No such record", body = Problem), (status = 409, description = "Not in a state to do this", body = Problem), (status = 422, description = "Refused by the policy or the law, or bad input", body = Problem)))]
pub(crate) async fn confirm_alert(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::Alert> {
    let app = app(&dash)?;
    app.confirm_alert(&signed.who.actor, id, note(&body))
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(post, path = "/api/alerts/{id}/dismiss", tag = "alerts", description = "Dismiss an open alert with a note (required)", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or the request came from another site or lacks the CSRF token", body = Problem), (status = 404, description = "No such record", body = Problem), (status = 409, description = "Not in a state to do this", body = Problem), (status = 422, description = "Refused by the policy or the law, or bad input", body = Problem)))]
pub(crate) async fn dismiss_alert(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::Alert> {
    let app = app(&dash)?;
    app.dismiss_alert(&signed.who.actor, id, &body.note)
        .await
        .map(Json)
        .map_err(fail)
}

/// `POST /api/alerts/{id}/refer`: the alert and the disciplinary incident it opened.
#[derive(Debug, Serialize)]
pub(crate) struct Referred {
    alert: charter_store::Alert,
    incident: charter_store::Incident,
}

#[utoipa::path(post, path = "/api/alerts/{id}/refer", tag = "alerts", description = "Refer an open alert: opens a disciplinary incident", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or the request came from another site or lacks the CSRF token", body = Problem), (status = 404, description = "No such record", body = Problem), (status = 409, description = "Not in a state to do this", body = Problem), (status = 422, description = "Refused by the policy or the law, or bad input", body = Problem)))]
pub(crate) async fn refer_alert(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<Referred> {
    let app = app(&dash)?;
    app.refer_alert(&signed.who.actor, id, note(&body))
        .await
        .map(|(alert, incident)| Json(Referred { alert, incident }))
        .map_err(fail)
}
