//! The pages of the registers, a line manager's team, monitoring (a person's timeline, read
//! for a stated reason), and the audit log. What each shows is what the app lets the person
//! read; a register's rows are drawn from their JSON, so every register has one table.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use charter_app::{Register, Timeline, UsageSummary};
use charter_engine::text::escape_html as esc;
use charter_store::Record;

use super::Dashboard;
use super::api_views::{AuditQuery, Reason, record_view};
use super::pages::{Nav, PageError, layout, overview_of, table};
use super::session::{Signed, check_csrf};

/// A JSON value as the text of a cell: a clock as its time left (OVERDUE in red), a list
/// joined, anything else as written.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => esc(s),
        Value::Bool(b) => (if *b { "yes" } else { "no" }).to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(o) => match (o.get("remaining"), o.get("deadline_local")) {
            (Some(Value::String(left)), Some(Value::String(due))) => {
                let overdue = o.get("overdue") == Some(&Value::Bool(true));
                format!(
                    "<span{}>{}</span> (due {})",
                    if overdue { " class=\"overdue\"" } else { "" },
                    esc(left),
                    esc(due)
                )
            }
            _ => esc(&v.to_string()),
        },
    }
}

/// Rows (JSON objects) as a table with a column per field, `id` first.
fn json_table(caption: &str, rows: &Value) -> String {
    let list = rows.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut columns: Vec<&str> = list
        .first()
        .and_then(Value::as_object)
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    columns.sort_by_key(|c| (*c != "id", *c));
    let body: Vec<String> = list
        .iter()
        .map(|row| {
            columns.iter().fold(String::new(), |mut out, c| {
                let _ = write!(out, "<td>{}</td>", cell(&row[*c]));
                out
            })
        })
        .collect();
    table(caption, &columns, &body)
}

/// `GET /registers`: the registers the person may read.
pub(crate) async fn registers(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let mut body = String::from("<ul>\n");
    for name in &o.registers {
        if let Some(r) = Register::named(name) {
            let _ = writeln!(
                body,
                "<li><a href=\"/registers/{}\">{}</a></li>",
                r.name(),
                esc(r.title())
            );
        }
    }
    body.push_str("</ul>\n");
    Ok(layout(who, &Nav::of(&o), "Registers", &body))
}

/// `GET /registers/{name}`: one register's rows.
pub(crate) async fn register(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let Some(which) = Register::named(&name) else {
        return Err(PageError::NoSuch(format!("register `{name}`")));
    };
    let o = overview_of(&dash, who).await?;
    let rows = dash
        .app()?
        .register_for(&who.actor, which, Timestamp::now())
        .await?;
    let rows = serde_json::to_value(&rows).unwrap_or(Value::Null);
    Ok(layout(
        who,
        &Nav::of(&o),
        which.title(),
        &json_table(which.title(), &rows),
    ))
}

fn hours(seconds: i64) -> String {
    format!("{}h {:02}m", seconds / 3600, (seconds % 3600) / 60)
}

fn summary_row(s: &UsageSummary) -> String {
    format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} to {}</td>",
        esc(&s.name),
        hours(s.seconds_inside),
        hours(s.seconds_outside),
        s.requests,
        esc(&s.from),
        esc(&s.to)
    )
}

const SUMMARY_HEAD: [&str; 5] = [
    "Person",
    "Personal use inside the windows",
    "Outside the windows",
    "Requests",
    "Period",
];

/// `GET /team`: the personal-use summaries of the people the person manages.
pub(crate) async fn team(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let list = dash
        .app()?
        .team_summaries(&who.actor, Timestamp::now())
        .await?;
    let rows: Vec<String> = list.iter().map(summary_row).collect();
    let mut body = crate::html::para(
        "Summaries of your team's personal use over the last 30 days. Their monitoring records are read only by the compliance role, for a stated reason.",
    );
    body.push_str(&table("Your team", &SUMMARY_HEAD, &rows));
    Ok(layout(who, &Nav::of(&o), "My team", &body))
}

/// The form that asks whose records to read and why.
fn monitoring_form(csrf: &str, people: &[charter_store::Person]) -> String {
    let mut options = String::new();
    for p in people {
        let _ = write!(
            options,
            "<option value=\"{}\">{}</option>",
            p.id,
            esc(&p.full_name())
        );
    }
    format!(
        "<form method=\"post\" action=\"/monitoring\">\n<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <p><label for=\"person\">Person</label> <select id=\"person\" name=\"person\" required>{options}</select></p>\n\
         <p><label for=\"reason\">Reason (kept in the audit log; the person is told unless confidential)</label><br>\
         <textarea id=\"reason\" name=\"reason\" rows=\"3\" cols=\"60\" required></textarea></p>\n\
         <p><input type=\"checkbox\" id=\"confidential\" name=\"confidential\" value=\"true\"> \
         <label for=\"confidential\">Confidential investigation: do not tell the person</label></p>\n\
         <button type=\"submit\" id=\"read-records\">Read their monitoring records</button>\n</form>\n",
        esc(csrf)
    )
}

/// `GET /monitoring`: choose a person and state the reason.
pub(crate) async fn monitoring(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let people = match dash
        .app()?
        .register_for(&who.actor, Register::People, Timestamp::now())
        .await?
    {
        charter_app::Rows::People(p) => p,
        _ => Vec::new(),
    };
    let mut body = crate::html::para(
        "Reading a person's monitoring records needs a reason, which the audit log keeps with your name.",
    );
    body.push_str(&monitoring_form(&who.csrf, &people));
    Ok(layout(who, &Nav::of(&o), "Monitoring", &body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TimelineForm {
    #[serde(default)]
    csrf: String,
    person: i64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confidential: bool,
}

fn record_row(r: &Record) -> String {
    let subject = if r.privacy == "headers_only" {
        format!("{} <em>(personal: headers only)</em>", esc(&r.subject))
    } else {
        esc(&r.subject)
    };
    format!(
        "<td>{}</td><td>{}</td><td>{subject}</td><td>{}</td><td>{}</td>",
        esc(&r.at),
        esc(&r.source),
        esc(&r.verdict),
        esc(r.rule.as_deref().unwrap_or(""))
    )
}

fn timeline_body(t: &Timeline) -> String {
    let head = ["When (UTC)", "Source", "What", "Verdict", "Rule"];
    let mut body = table(
        "Personal use, last 30 days",
        &SUMMARY_HEAD,
        &[summary_row(&t.summary)],
    );
    let usage: Vec<String> = t
        .usage
        .iter()
        .map(|d| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                esc(&d.day),
                esc(&d.category),
                hours(d.seconds_inside),
                hours(d.seconds_outside),
                d.requests
            )
        })
        .collect();
    body.push_str(&table(
        "Personal use by day",
        &[
            "Day",
            "Category",
            "Inside the windows",
            "Outside",
            "Requests",
        ],
        &usage,
    ));
    let blocked: Vec<String> = t.blocked.iter().map(record_row).collect();
    body.push_str(&table("Blocked, held and warned", &head, &blocked));
    let all: Vec<String> = t.records.iter().map(record_row).collect();
    body.push_str(&table("Timeline, newest first", &head, &all));
    body
}

/// `POST /monitoring`: the person's timeline, read for the reason given.
pub(crate) async fn timeline(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<TimelineForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let reason = Reason {
        reason: form.reason,
        confidential: form.confidential,
    };
    let t = dash
        .app()?
        .timeline(
            &who.actor,
            form.person,
            record_view(&reason),
            Timestamp::now(),
        )
        .await?;
    let title = format!("Monitoring of {}", t.summary.name);
    Ok(layout(who, &Nav::of(&o), &title, &timeline_body(&t)))
}

/// `GET /audit`: the audit log, its chain verified.
pub(crate) async fn audit(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let log = dash
        .app()?
        .audit_log_for(&who.actor, q.first_seq(), q.limit_or(200))
        .await?;
    let mut body = if log.verify.ok() {
        crate::html::para(&format!(
            "The audit chain of {} rows is intact: no row was edited, deleted or moved.",
            log.verify.rows
        ))
    } else {
        let problems: Vec<String> = log
            .verify
            .problems
            .iter()
            .map(|p| format!("<td>{}</td><td>{}</td>", p.seq, esc(&p.problem)))
            .collect();
        format!(
            "<p class=\"overdue\" role=\"alert\">The audit chain is broken.</p>\n{}",
            table(
                "Where the chain breaks",
                &["Row", "What is wrong"],
                &problems
            )
        )
    };
    let rows: Vec<String> = log
        .rows
        .iter()
        .map(|r| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td>",
                r.seq,
                esc(&r.at),
                esc(&r.actor),
                esc(&r.action),
                esc(&r.entity),
                r.entity_id.map(|i| i.to_string()).unwrap_or_default(),
                esc(&r.detail)
            )
        })
        .collect();
    body.push_str(&table(
        "Rows",
        &["#", "When (UTC)", "Who", "What", "On", "Detail"],
        &rows,
    ));
    if let Some(last) = log.rows.last() {
        body.push_str(&format!(
            "<p><a href=\"/audit?from={}\">Next rows</a></p>",
            last.seq + 1
        ));
    }
    Ok(layout(who, &Nav::of(&o), "Audit log", &body))
}
