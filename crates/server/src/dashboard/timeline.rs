//! `GET /api/people/{id}/records`: one person's monitoring timeline, newest first, a page at
//! a time. Reading it needs the compliance role and a stated reason; the app audits every
//! page read with the reason and tells the person unless the reading is confidential
//! ([`charter_app::App::view_records`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use charter_app::{Error, RecordView};

use super::Dashboard;
use super::api::{Answer, ApiError, Problem};
use super::session::Signed;

/// The most records one page holds.
const MAX_PAGE: i64 = 500;
/// A page's size when not asked.
const DEFAULT_PAGE: i64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TimelineQuery {
    /// Why they are read (kept in the audit row and, unless confidential, told to the person).
    reason: String,
    /// A confidential investigation: the person is not told.
    #[serde(default)]
    confidential: bool,
    /// Only records before this instant: the last record's `at` of the page before (RFC 3339,
    /// or a local time in the pack's zone such as `2026-06-15 09:30`).
    before: Option<String>,
    /// At most this many (1 to 500; 100 when not given).
    limit: Option<i64>,
    /// Only records with a verdict other than `allow`.
    #[serde(default)]
    flagged_only: bool,
}

#[utoipa::path(get, path = "/api/people/{id}/records", tag = "monitoring", description = "A person's monitoring records, newest first, a page at a time (compliance roles, with a reason; audited, and the person is told unless confidential)", params(("id" = i64, Path, description = "The person's id"), TimelineQuery), security(("session" = [])), responses((status = 200, description = "The page of records, newest first", content_type = "application/json"), (status = 401, description = "Not signed in"), (status = 403, description = "Not one of the roles the pack gives this", body = Problem), (status = 404, description = "No such person", body = Problem), (status = 422, description = "No reason, or a bad time", body = Problem)))]
pub(crate) async fn records(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<TimelineQuery>,
) -> Answer<Vec<charter_store::Record>> {
    let app = dash.app().map_err(ApiError::Denied)?;
    let until = q
        .before
        .as_deref()
        .map(|b| charter_app::time::parse_time(b, app.time_zone()))
        .transpose()
        .map_err(|e| ApiError::App(Error::from(e)))?;
    let view = RecordView {
        reason: q.reason,
        confidential: q.confidential,
        since: None,
        until,
        limit: Some(q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)),
        flagged_only: q.flagged_only,
    };
    app.view_records(&signed.who.actor, id, view)
        .await
        .map(Json)
        .map_err(ApiError::App)
}
