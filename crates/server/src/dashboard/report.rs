//! `GET /report?month=YYYY-MM&format=html|pdf`: the monthly compliance report, the same as
//! `charter report` makes, for the people the app lets make it (register keepers, data
//! protection, compliance). Without a month, the last full month. The PDF is typeset off the
//! async reactor and comes as a download.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::{Timestamp, ToSpan as _};
use serde::Deserialize;

use charter_policy::lint::Site;

use super::Dashboard;
use super::pages::PageError;
use super::session::Signed;

#[derive(Debug, Deserialize)]
pub(crate) struct ReportQuery {
    month: Option<String>,
    format: Option<String>,
}

/// The month before `now`'s in `tz`, `YYYY-MM`.
fn last_month(now: Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let today = now.to_zoned_datetime(tz.clone()).date();
    let first = today.first_of_month();
    first
        .checked_sub(1.month())
        .unwrap_or(first)
        .strftime("%Y-%m")
        .to_string()
}

fn unprocessable(text: &str) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, text.to_string()).into_response()
}

pub(crate) async fn report(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let app = dash.app()?;
    let now = Timestamp::now();
    let month = q.month.unwrap_or_else(|| last_month(now, app.time_zone()));
    let pdf = match q.format.as_deref() {
        None | Some("html") => false,
        Some("pdf") => true,
        Some(_) => return Ok(unprocessable("format is html or pdf")),
    };
    // The dashboard has no charter.toml: the pack is linted as a pack on its own.
    let report = app
        .monthly_report(&signed.who.actor, &month, Site::default(), now)
        .await?;
    let private = (header::CACHE_CONTROL, "no-store");
    if !pdf {
        let page = charter_report::html(&report);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                private,
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
                ),
            ],
            page,
        )
            .into_response());
    }
    let typeset = tokio::task::spawn_blocking(move || charter_report::pdf(&report)).await;
    match typeset {
        Ok(Ok(bytes)) => Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"charter-report-{month}.pdf\""),
                ),
            ],
            bytes,
        )
            .into_response()),
        _ => Ok((
            StatusCode::INTERNAL_SERVER_ERROR,
            "The PDF could not be made; the HTML report has the same figures.",
        )
            .into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_month_is_the_last_full_one() {
        let tz = jiff::tz::TimeZone::UTC;
        let now: Timestamp = "2026-01-15T10:00:00Z".parse().expect("instant");
        assert_eq!(last_month(now, &tz), "2025-12");
    }
}
