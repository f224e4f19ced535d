//! The API of the registers, team summaries, monitoring, the audit log, the policy and the
//! decisions inbox. The app decides who may read each; these map the request to the call.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use charter_app::{AuditLog, Inbox, LintLine, RecordView, Register, Rows, Timeline, UsageSummary};

use super::Dashboard;
use super::api::{Answer, ApiError, Note, Problem, app, fail};
use super::session::Signed;

/// One register the signed-in person may read.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegisterName {
    /// Its name in `/api/registers/{name}`.
    name: &'static str,
    /// Its title.
    title: &'static str,
}

#[utoipa::path(get, path = "/api/registers", tag = "registers", description = "The registers and workflows the signed-in person may read", security(("session" = [])), responses((status = 200, description = "Their names and titles", body = [RegisterName]), (status = 401, description = "Not signed in")))]
pub(crate) async fn registers(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<RegisterName>> {
    let list = app(&dash)?.registers_for(&signed.who.actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|r| RegisterName {
                name: r.name(),
                title: r.title(),
            })
            .collect(),
    ))
}

/// The register named in the path, or 404.
pub(crate) fn register_named(name: &str) -> Result<Register, ApiError> {
    Register::named(name).ok_or_else(|| ApiError::NoSuch(format!("register `{name}`")))
}

#[utoipa::path(get, path = "/api/registers/{name}", tag = "registers", description = "A register's rows: people, accounts, devices, media, software, social, incidents, breaches (with the 72-hour clock), subject-requests (with the one-month clock), leavers, approvals, alerts, acknowledgements. Each to the roles that keep or oversee it, and the auditor", params(("name" = String, Path, description = "The register")), security(("session" = [])), responses((status = 200, description = "Its rows", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem), (status = 404, description = "No such register", body = Problem)))]
pub(crate) async fn register(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(name): Path<String>,
) -> Answer<Rows> {
    let which = register_named(&name)?;
    app(&dash)?
        .register_for(&signed.who.actor, which, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(get, path = "/api/team", tag = "monitoring", description = "The personal-use summaries of the people the signed-in person manages (30 days; summaries, never records)", security(("session" = [])), responses((status = 200, description = "One summary per person managed", content_type = "application/json"), (status = 401, description = "Not signed in")))]
pub(crate) async fn team(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<UsageSummary>> {
    app(&dash)?
        .team_summaries(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(get, path = "/api/people/{id}/summary", tag = "monitoring", description = "One person's personal-use summary: for themselves, their line manager, compliance and the auditor", params(("id" = i64, Path, description = "The person")), security(("session" = [])), responses((status = 200, description = "The summary", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not their line manager, compliance or the auditor", body = Problem), (status = 404, description = "No such person", body = Problem)))]
pub(crate) async fn summary(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Answer<UsageSummary> {
    app(&dash)?
        .person_summary(&signed.who.actor, id, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

/// `POST /api/people/{id}/timeline`: why the records are read.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct Reason {
    /// Why (kept in the audit row, and told to the person unless confidential).
    #[serde(default)]
    pub reason: String,
    /// A confidential investigation: the person is not told.
    #[serde(default)]
    pub confidential: bool,
}

/// The most records a timeline shows.
const TIMELINE_RECORDS: i64 = 500;

/// The view of a timeline for `reason`.
pub(crate) fn record_view(reason: &Reason) -> RecordView {
    RecordView {
        reason: reason.reason.clone(),
        confidential: reason.confidential,
        limit: Some(TIMELINE_RECORDS),
        ..RecordView::default()
    }
}

#[utoipa::path(post, path = "/api/people/{id}/timeline", tag = "monitoring", description = "A person's monitoring timeline: their records (personal mail: headers only), the blocked ones, and personal-use time inside and outside the windows. Needs the compliance role (or the auditor's) and a reason; the view is audited and the person told unless confidential", params(("id" = i64, Path, description = "The person")), request_body = Reason, security(("session" = [], "csrf" = [])), responses((status = 200, description = "The timeline", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not the compliance role, or forged", body = Problem), (status = 404, description = "No such person", body = Problem), (status = 422, description = "No reason given", body = Problem)))]
pub(crate) async fn timeline(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Reason>,
) -> Answer<Timeline> {
    app(&dash)?
        .timeline(&signed.who.actor, id, record_view(&body), Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

/// Which audit rows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// From this sequence number (default 1).
    from: Option<i64>,
    /// At most this many (default 200, at most 1,000).
    limit: Option<i64>,
}

impl AuditQuery {
    pub(crate) fn first_seq(&self) -> i64 {
        self.from.unwrap_or(1)
    }

    pub(crate) fn limit_or(&self, default: i64) -> i64 {
        self.limit.unwrap_or(default)
    }
}

#[utoipa::path(get, path = "/api/audit", tag = "audit", description = "The audit log with the whole chain verified (data protection, compliance, the auditor)", params(AuditQuery), security(("session" = [])), responses((status = 200, description = "Rows and the chain's verification", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem)))]
pub(crate) async fn audit(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Query(q): Query<AuditQuery>,
) -> Answer<AuditLog> {
    app(&dash)?
        .audit_log_for(&signed.who.actor, q.first_seq(), q.limit_or(200))
        .await
        .map(Json)
        .map_err(fail)
}

/// One rule of the policy, as people read it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RuleText {
    id: String,
    clause: Option<String>,
    quote: Option<String>,
    /// `web`, `mail` or `activity`.
    on: String,
    /// What it does: `allow`, `warn`, `hold`, `block`, `log`...
    action: String,
}

/// The pack's rules with clause and quote.
pub(crate) fn rules(dash: &Dashboard) -> Result<Vec<RuleText>, ApiError> {
    Ok(app(dash)?
        .pack()
        .rules
        .iter()
        .map(|r| RuleText {
            id: r.id.clone(),
            clause: r.clause.clone(),
            quote: r.quote.clone(),
            on: r.on.to_string(),
            action: r.action.to_string(),
        })
        .collect())
}

#[utoipa::path(get, path = "/api/policy/rules", tag = "policy", description = "The pack's rules, each with the clause it enforces and its quote", security(("session" = [])), responses((status = 200, description = "The rules", body = [RuleText]), (status = 401, description = "Not signed in")))]
pub(crate) async fn policy_rules(
    State(dash): State<Arc<Dashboard>>,
    _signed: Signed,
) -> Answer<Vec<RuleText>> {
    rules(&dash).map(Json)
}

#[utoipa::path(get, path = "/api/policy/lint", tag = "policy", description = "The pack's lint, inert rules included", security(("session" = [])), responses((status = 200, description = "The findings", content_type = "application/json"), (status = 401, description = "Not signed in")))]
pub(crate) async fn policy_lint(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Answer<Vec<LintLine>> {
    app(&dash)?
        .policy_lint(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(get, path = "/api/inbox", tag = "approvals", description = "What waits for the signed-in person's decision: access requests (access approvers), software requests (software approvers) and general authorisations (the roles that decide each kind), never their own; a kind they do not decide is null", security(("session" = [])), responses((status = 200, description = "The inbox", content_type = "application/json"), (status = 401, description = "Not signed in")))]
pub(crate) async fn inbox(State(dash): State<Arc<Dashboard>>, signed: Signed) -> Answer<Inbox> {
    app(&dash)?
        .inbox(&signed.who.actor, Timestamp::now())
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(post, path = "/api/software/{id}/approve", tag = "approvals", description = "Approve a software request (software approvers; never one's own)", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or forged", body = Problem), (status = 404, description = "No such request", body = Problem), (status = 409, description = "Already decided", body = Problem)))]
pub(crate) async fn approve_software(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::SoftwareRequest> {
    app(&dash)?
        .decide_software(&signed.who.actor, id, true, &body.note)
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(post, path = "/api/software/{id}/refuse", tag = "approvals", description = "Refuse a software request (software approvers; never one's own)", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or forged", body = Problem), (status = 404, description = "No such request", body = Problem), (status = 409, description = "Already decided", body = Problem)))]
pub(crate) async fn refuse_software(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::SoftwareRequest> {
    app(&dash)?
        .decide_software(&signed.who.actor, id, false, &body.note)
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(post, path = "/api/authorisations/{id}/approve", tag = "approvals", description = "Approve an authorisation request (the roles that decide its kind; never one's own)", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or forged", body = Problem), (status = 404, description = "No such request", body = Problem), (status = 409, description = "Already decided", body = Problem), (status = 422, description = "One's own request", body = Problem)))]
pub(crate) async fn approve_authorisation(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::Authorisation> {
    app(&dash)?
        .decide_authorisation(&signed.who.actor, id, true, &body.note)
        .await
        .map(Json)
        .map_err(fail)
}

#[utoipa::path(post, path = "/api/authorisations/{id}/refuse", tag = "approvals", description = "Refuse an authorisation request (the roles that decide its kind; never one's own)", params(("id" = i64, Path, description = "The id")), request_body = Note, security(("session" = [], "csrf" = [])), responses((status = 200, description = "Done", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not authorised, or forged", body = Problem), (status = 404, description = "No such request", body = Problem), (status = 409, description = "Already decided", body = Problem), (status = 422, description = "One's own request", body = Problem)))]
pub(crate) async fn refuse_authorisation(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Json(body): Json<Note>,
) -> Answer<charter_store::Authorisation> {
    app(&dash)?
        .decide_authorisation(&signed.who.actor, id, false, &body.note)
        .await
        .map(Json)
        .map_err(fail)
}
