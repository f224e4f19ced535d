//! Staff self-service in the API: what is held about me (and its export), reporting an
//! incident or a lost device, asking for software or for access to a held site. Each acts
//! as the signed-in person, for themselves; the app checks the rest.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use charter_app::{Error, Myself, Stopped};
use charter_store::{Device, Incident, IncidentKind};

use super::Dashboard;
use super::api::{Answer, ApiError, Problem, app, fail};
use super::session::Signed;

#[utoipa::path(get, path = "/api/me/data", tag = "self-service", description = "What is held about me: my register entry, devices, requests, incidents I reported, and the notices of each time my monitoring records were read", security(("session" = [])), responses((status = 200, description = "My data", content_type = "application/json"), (status = 401, description = "Not signed in")))]
pub(crate) async fn my_data(State(dash): State<Arc<Dashboard>>, signed: Signed) -> Answer<Myself> {
    app(&dash)?
        .myself(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

/// The export of everything held about the signed-in person, as a JSON download.
pub(crate) async fn export_of_me(dash: &Dashboard, signed: &Signed) -> Result<Response, ApiError> {
    let export = app(dash)?.my_export(&signed.who.actor).await?;
    let body = serde_json::to_vec_pretty(&export)
        .map_err(|e| fail(Error::Refused(format!("the export cannot be written: {e}"))))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-data.json\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/me/export", tag = "self-service", description = "Everything held about me (a subject access export of myself, monitoring records included; logged like any view), as a JSON download", security(("session" = [])), responses((status = 200, description = "The export", content_type = "application/json"), (status = 401, description = "Not signed in")))]
pub(crate) async fn my_export(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, ApiError> {
    export_of_me(&dash, &signed).await
}

/// `POST /api/incidents`: report an incident.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ReportIncident {
    /// `spam_scam`, `security_concern`, `lost_stolen_device`, `safeguarding` or `it_issue`.
    pub kind: String,
    /// What happened.
    pub description: String,
    /// The device concerned, if any.
    pub device_id: Option<i64>,
}

/// Reports `r` as the signed-in person.
pub(crate) async fn report(
    dash: &Dashboard,
    signed: &Signed,
    r: &ReportIncident,
) -> Result<Incident, ApiError> {
    let kind: IncidentKind = r.kind.parse().map_err(|e| fail(Error::Store(e)))?;
    Ok(app(dash)?
        .report_incident(&signed.who.actor, kind, &r.description, r.device_id)
        .await?)
}

#[utoipa::path(post, path = "/api/incidents", tag = "self-service", description = "Report an incident; it goes to IT, or to the safeguarding lead for a safeguarding concern", request_body = ReportIncident, security(("session" = [], "csrf" = [])), responses((status = 200, description = "The incident", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Forged", body = Problem), (status = 422, description = "Bad input", body = Problem)))]
pub(crate) async fn report_incident(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Json(body): Json<ReportIncident>,
) -> Answer<Incident> {
    report(&dash, &signed, &body).await.map(Json)
}

/// `POST /api/devices/{id}/lost`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct Lost {
    /// Stolen rather than lost.
    #[serde(default)]
    pub stolen: bool,
    /// What happened.
    #[serde(default)]
    pub description: String,
}

/// A device reported lost and the incident it opened.
#[derive(Debug, Serialize)]
pub(crate) struct Reported {
    device: Device,
    incident: Incident,
}

#[utoipa::path(post, path = "/api/devices/{id}/lost", tag = "self-service", description = "Report a device lost or stolen: opens an incident for IT", params(("id" = i64, Path, description = "The device")), request_body = Lost, security(("session" = [], "csrf" = [])), responses((status = 200, description = "The device and the incident", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Forged", body = Problem), (status = 404, description = "No such device", body = Problem), (status = 409, description = "Not in a state to be lost", body = Problem)))]
pub(crate) async fn report_lost(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Lost>,
) -> Answer<Reported> {
    app(&dash)?
        .report_device_lost(&signed.who.actor, id, body.stolen, &body.description)
        .await
        .map(|(device, incident)| Json(Reported { device, incident }))
        .map_err(fail)
}

/// `POST /api/software`: ask for software for myself.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AskSoftware {
    /// What.
    pub software: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/software", tag = "self-service", description = "Ask for software for myself; the software approvers decide", request_body = AskSoftware, security(("session" = [], "csrf" = [])), responses((status = 200, description = "The request", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Forged", body = Problem), (status = 422, description = "Bad input", body = Problem)))]
pub(crate) async fn ask_software(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Json(body): Json<AskSoftware>,
) -> Answer<charter_store::SoftwareRequest> {
    let who = &signed.who;
    app(&dash)?
        .request_software(&who.actor, who.person.id, &body.software, &body.reason)
        .await
        .map(Json)
        .map_err(fail)
}

/// `POST /api/access`: ask for access to a site a `hold` rule holds.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AskAccess {
    /// The site (registrable host, `example.com`).
    pub site: String,
    /// The `hold` rule that holds it.
    pub rule: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/access", tag = "self-service", description = "Ask for access to a site a hold rule holds; the access approvers decide", request_body = AskAccess, security(("session" = [], "csrf" = [])), responses((status = 200, description = "The request", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Forged", body = Problem), (status = 422, description = "Not a hold rule, or bad input", body = Problem)))]
pub(crate) async fn ask_access(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Json(body): Json<AskAccess>,
) -> Answer<charter_store::Approval> {
    let stopped = Stopped {
        site: body.site.trim(),
        rule: body.rule.trim(),
        url: None,
    };
    app(&dash)?
        .ask_for_access(&signed.who.actor, stopped, &body.reason)
        .await
        .map(Json)
        .map_err(fail)
}

/// `POST /api/authorisations`: ask for an authorisation the policy requires.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AskAuthorisation {
    /// `website_terms`, `social_media_account`, `mass_mail`, `third_party_hardware` or
    /// `out_of_hours_vpn`.
    pub kind: String,
    /// What exactly: the site and its terms, the account, the mailing, the device, the hours.
    pub details: String,
}

/// Asks for `r` as the signed-in person.
pub(crate) async fn ask(
    dash: &Dashboard,
    signed: &Signed,
    r: &AskAuthorisation,
) -> Result<charter_store::Authorisation, ApiError> {
    let kind: charter_store::AuthorisationKind =
        r.kind.parse().map_err(|e| fail(Error::Store(e)))?;
    Ok(app(dash)?
        .ask_authorisation(&signed.who.actor, kind, &r.details)
        .await?)
}

#[utoipa::path(post, path = "/api/authorisations", tag = "self-service", description = "Ask for an authorisation the policy requires: a website's licence or contract terms, a new social media account or blog, a mass mailing, third-party hardware, VPN outside the agreed hours", request_body = AskAuthorisation, security(("session" = [], "csrf" = [])), responses((status = 200, description = "The request", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Forged", body = Problem), (status = 422, description = "Bad input", body = Problem)))]
pub(crate) async fn ask_authorisation(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Json(body): Json<AskAuthorisation>,
) -> Answer<charter_store::Authorisation> {
    ask(&dash, &signed, &body).await.map(Json)
}
