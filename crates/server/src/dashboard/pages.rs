//! The dashboard's pages, rendered on the server: the overview (what needs doing now, each
//! with its clock), the policy to read and acknowledge, alerts triage and the approvals
//! inbox. Small hand-written HTML with every value through the one escaper; htmx (built in)
//! boosts links and forms. What a page shows is what the app lets the person read: the
//! navigation follows the overview's sections, which are absent for those who may not see
//! them.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;

use charter_app::alerts::AlertFilter;
use charter_app::clock::Clock;
use charter_app::users::SignedIn;
use charter_app::{Error, Overview};
use charter_engine::text::escape_html as esc;
use charter_store::{AckKind, AlertStatus};

use super::Dashboard;
use super::session::{Denied, Signed, check_csrf};

/// The htmx build served at `/assets/htmx.min.js`.
const HTMX: &str = include_str!("../../assets/htmx.min.js");

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;line-height:1.4}\
nav a{margin-right:1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.3rem;text-align:left}\
.overdue{color:#a00;font-weight:bold}label{margin-right:.5rem}fieldset{margin:1rem 0}form.inline{display:inline}header{display:flex;justify-content:space-between;flex-wrap:wrap}";

pub(crate) async fn htmx() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        HTMX,
    )
        .into_response()
}

/// A page in the layout: the navigation `nav` allows, who is signed in, logout.
pub(crate) fn layout(who: &SignedIn, nav: &Nav, title: &str, body: &str) -> Response {
    let mut links = String::from(
        "<a href=\"/\">Overview</a><a href=\"/policy\">Policy</a><a href=\"/alerts\">Alerts</a>",
    );
    let optional = [
        (nav.approvals, "/approvals", "Approvals"),
        (nav.registers, "/registers", "Registers"),
        (nav.team, "/team", "My team"),
        (nav.monitoring, "/monitoring", "Monitoring"),
        (nav.audit, "/audit", "Audit log"),
        (nav.report, "/report", "Monthly report"),
    ];
    for (shown, href, label) in optional {
        if shown {
            links.push_str(&format!("<a href=\"{href}\">{label}</a>"));
        }
    }
    links.push_str("<a href=\"/me\">My data</a>");
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} · Charter</title>\
         <style>{STYLE}</style><script src=\"/assets/htmx.min.js\" defer></script></head>\n\
         <body hx-boost=\"true\">\n<header><nav aria-label=\"Main\">{links}</nav>\
         <div>{name} {logout} {everywhere}</div></header>\n<main>\n<h1>{title}</h1>\n{body}\n</main>\n</body></html>\n",
        title = esc(title),
        name = esc(&who.person.full_name()),
        logout = button("/logout", &who.csrf, "Log out", ""),
        everywhere = button("/logout/everywhere", &who.csrf, "Log out everywhere", ""),
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
            ),
        ],
        Html(html),
    )
        .into_response()
}

/// A form of one button (and `fields`) posting the CSRF token to `action`.
pub(crate) fn button(action: &str, csrf: &str, label: &str, fields: &str) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{fields}<button type=\"submit\">{}</button></form>",
        esc(action),
        esc(csrf),
        esc(label)
    )
}

/// Which sections the navigation offers, from what the overview let the person see.
#[derive(Debug, Default)]
pub(crate) struct Nav {
    approvals: bool,
    registers: bool,
    team: bool,
    monitoring: bool,
    audit: bool,
    report: bool,
}

impl Nav {
    pub(crate) fn of(o: &Overview) -> Nav {
        Nav {
            approvals: o.approvals_waiting.is_some(),
            registers: !o.registers.is_empty(),
            team: o.manages,
            monitoring: o.may_read_records,
            audit: o.may_read_audit,
            report: o.may_make_report,
        }
    }
}

/// A page-level failure: the app's words, in the layout when someone is signed in.
#[derive(Debug)]
pub(crate) enum PageError {
    Denied(Denied),
    App(Error),
    /// The path names nothing (`what`).
    NoSuch(String),
}

impl From<Denied> for PageError {
    fn from(d: Denied) -> PageError {
        PageError::Denied(d)
    }
}

impl From<Error> for PageError {
    fn from(e: Error) -> PageError {
        PageError::App(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Denied(d) => d.into_response(),
            PageError::NoSuch(what) => (
                StatusCode::NOT_FOUND,
                [(header::CACHE_CONTROL, "no-store")],
                Html(crate::html::page(
                    "Charter",
                    &crate::html::para(&format!("There is no {what}.")),
                )),
            )
                .into_response(),
            PageError::App(e) => {
                let status = match &e {
                    Error::NotAuthorised { .. } => StatusCode::FORBIDDEN,
                    Error::Store(charter_store::Error::NotFound { .. }) => StatusCode::NOT_FOUND,
                    Error::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let words = if status == StatusCode::INTERNAL_SERVER_ERROR {
                    "Something went wrong; try again.".to_string()
                } else {
                    e.to_string()
                };
                (
                    status,
                    [(header::CACHE_CONTROL, "no-store")],
                    Html(crate::html::page("Charter", &crate::html::para(&words))),
                )
                    .into_response()
            }
        }
    }
}

pub(crate) fn clock(c: &Clock) -> String {
    format!(
        "<td>{}</td><td{}>{}</td>",
        esc(&c.deadline_local),
        if c.overdue { " class=\"overdue\"" } else { "" },
        esc(&c.remaining)
    )
}

pub(crate) fn table(caption: &str, head: &[&str], rows: &[String]) -> String {
    let mut out = format!("<section><h2>{}</h2>\n", esc(caption));
    if rows.is_empty() {
        out.push_str("<p>Nothing.</p></section>\n");
        return out;
    }
    out.push_str("<table><thead><tr>");
    for h in head {
        out.push_str(&format!("<th scope=\"col\">{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        out.push_str(&format!("<tr>{r}</tr>\n"));
    }
    out.push_str("</tbody></table></section>\n");
    out
}

fn overview_body(o: &Overview) -> String {
    let mut body = String::new();
    if let Some(bs) = &o.breaches {
        let rows: Vec<String> = bs
            .iter()
            .map(|b| {
                format!(
                    "<td>{}</td><td>{}</td>{}",
                    b.breach.id,
                    esc(&b.breach.description),
                    clock(&b.clock)
                )
            })
            .collect();
        body.push_str(&table(
            "Breaches: report to the ICO within 72 hours",
            &["#", "What happened", "Deadline", "Time left"],
            &rows,
        ));
    }
    if let Some(rs) = &o.subject_requests {
        let rows: Vec<String> = rs
            .iter()
            .map(|r| {
                format!(
                    "<td>{}</td><td>{}</td><td>{}</td>{}",
                    r.request.id,
                    esc(&r.request.kind.to_string()),
                    esc(r.person_name.as_deref().unwrap_or("-")),
                    clock(&r.clock)
                )
            })
            .collect();
        body.push_str(&table(
            "Subject requests: answer within one month",
            &["#", "Kind", "Person", "Due", "Time left"],
            &rows,
        ));
    }
    let rows: Vec<String> = o
        .acknowledgements_due
        .iter()
        .map(|d| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td>{}",
                esc(&d.person_name),
                esc(&d.kind.to_string()),
                esc(&d.reason),
                clock(&d.clock)
            )
        })
        .collect();
    body.push_str(&table(
        "Acknowledgements due",
        &["Person", "What", "Why", "Due", "Time left"],
        &rows,
    ));
    if let Some(r) = &o.review {
        body.push_str(&table(
            "Policy review",
            &["Basis", "Due", "Time left"],
            &[format!("<td>{}</td>{}", esc(&r.basis), clock(&r.clock))],
        ));
    }
    if let Some(ls) = &o.leavers {
        let rows: Vec<String> = ls
            .iter()
            .map(|l| {
                format!(
                    "<td>{}</td><td>{}</td>{}",
                    esc(&l.person_name),
                    esc(&l.leaver.leaving_date),
                    clock(&l.clock)
                )
            })
            .collect();
        body.push_str(&table(
            "Leavers",
            &["Person", "Leaving", "Checklist due", "Time left"],
            &rows,
        ));
    }
    body.push_str(&format!(
        "<section><h2>Alerts</h2><p><a href=\"/alerts\">{} open alert(s) routed to you</a></p></section>\n",
        o.open_alerts
    ));
    if let Some(n) = o.approvals_waiting {
        body.push_str(&format!(
            "<section><h2>Approvals</h2><p><a href=\"/approvals\">{n} request(s) waiting for you</a></p></section>\n"
        ));
    }
    body
}

pub(crate) async fn overview_of(dash: &Dashboard, who: &SignedIn) -> Result<Overview, PageError> {
    Ok(dash.app()?.overview(&who.actor, Timestamp::now()).await?)
}

/// `GET /`: what needs doing now.
pub(crate) async fn overview(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let o = overview_of(&dash, &signed.who).await?;
    Ok(layout(
        &signed.who,
        &Nav::of(&o),
        "What needs doing now",
        &overview_body(&o),
    ))
}

/// `GET /policy`: the policy's clauses and the person's acknowledgement.
pub(crate) async fn policy(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let app = dash.app()?;
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let mine = app
        .my_acknowledgements(&who.actor, Timestamp::now())
        .await?;
    let mut body = String::new();
    match &mine.latest {
        None => body.push_str(&crate::html::para(
            "No version of the policy has been published yet.",
        )),
        Some(v) if mine.acknowledged_latest => body.push_str(&crate::html::para(&format!(
            "You have acknowledged {} version {}.",
            v.title, v.version
        ))),
        Some(v) => {
            body.push_str(&crate::html::para(&format!(
                "Please read {} version {} (its rules are below) and acknowledge it.",
                v.title, v.version
            )));
            let fields = format!(
                "<input type=\"hidden\" name=\"policy_id\" value=\"{}\"><input type=\"hidden\" name=\"text_hash\" value=\"{}\">",
                v.id,
                esc(&v.text_hash)
            );
            body.push_str(&button(
                "/policy/acknowledge",
                &who.csrf,
                "I have read the policy and will abide by it",
                &fields,
            ));
        }
    }
    let rows: Vec<String> = app
        .pack()
        .rules
        .iter()
        .map(|r| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                esc(&r.id),
                esc(r.clause.as_deref().unwrap_or("")),
                esc(r.quote.as_deref().unwrap_or("")),
                esc(&r.action.to_string())
            )
        })
        .collect();
    body.push_str(&table(
        "The rules",
        &["Rule", "Clause", "What it says", "What Charter does"],
        &rows,
    ));
    let lint: Vec<String> = app
        .policy_lint(&who.actor, Timestamp::now())
        .await?
        .iter()
        .map(|l| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                esc(&format!("{:?}", l.level).to_lowercase()),
                esc(l.code),
                l.line,
                esc(&l.message)
            )
        })
        .collect();
    body.push_str(&table(
        "Lint: errors, warnings and inert rules",
        &["Level", "Code", "Line", "Finding"],
        &lint,
    ));
    Ok(layout(who, &Nav::of(&o), "The policy", &body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AckForm {
    #[serde(default)]
    csrf: String,
    policy_id: i64,
    #[serde(default)]
    text_hash: String,
}

/// `POST /policy/acknowledge`.
pub(crate) async fn acknowledge(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<AckForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let who = &signed.who;
    dash.app()?
        .acknowledge(
            &who.actor,
            who.person.id,
            form.policy_id,
            &form.text_hash,
            AckKind::Agreement,
            None,
        )
        .await?;
    Ok(Redirect::to("/policy").into_response())
}

/// `GET /alerts`: the alerts routed to the person, open ones with their triage forms.
pub(crate) async fn alerts(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let app = dash.app()?;
    let list = app
        .list_alerts(
            &who.actor,
            AlertFilter {
                status: None,
                limit: Some(200),
            },
        )
        .await?;
    let rows: Vec<String> = list
        .iter()
        .map(|a| {
            let actions = if a.status == AlertStatus::Open {
                let id = a.id;
                let form = |what: &str, label: String| {
                    let note = format!(
                        "<label for=\"alert-{what}-{id}\">Note</label> <input id=\"alert-{what}-{id}\" name=\"note\">"
                    );
                    button(
                        &format!("/alerts/{id}/{what}"),
                        &who.csrf,
                        &label,
                        &note,
                    )
                };
                format!(
                    "{} {} {}",
                    form("confirm", format!("Confirm alert {id}")),
                    form("dismiss", format!("Dismiss alert {id}")),
                    form("refer", format!("Refer alert {id} to disciplinary"))
                )
            } else {
                esc(&a.status.to_string())
            };
            let model = a.model.as_ref().map_or_else(
                || "rule".to_string(),
                |m| format!("{} {} (score {:.2})", esc(&m.name), esc(&m.version), m.score),
            );
            format!(
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{model}</td><td>{actions}</td>",
                a.id,
                esc(&a.at),
                esc(&a.user),
                esc(&a.severity),
                esc(&a.message)
            )
        })
        .collect();
    let agreement: Vec<String> = app
        .model_agreement(&who.actor)
        .await?
        .iter()
        .map(|m| {
            let c = &m.counts;
            let rate = m.rate.map_or_else(
                || "none reviewed yet".to_string(),
                |r| format!("{:.0}%", r * 100.0),
            );
            format!(
                "<td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{rate}</td>",
                esc(&c.model),
                esc(&c.version),
                c.open,
                c.reviewed,
                c.agreed
            )
        })
        .collect();
    let mut body = table(
        "Alerts routed to you",
        &[
            "#",
            "When",
            "Who",
            "Severity",
            "What",
            "Raised by",
            "Triage",
        ],
        &rows,
    );
    body.push_str(&table(
        "How often reviewers agreed with each model",
        &["Model", "Open", "Reviewed", "Agreed", "Agreement"],
        &agreement,
    ));
    Ok(layout(who, &Nav::of(&o), "Alerts", &body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /alerts/{id}/{confirm|dismiss|refer}`.
pub(crate) async fn triage(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let app = dash.app()?;
    let actor = &signed.who.actor;
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    match action.as_str() {
        "confirm" => {
            app.confirm_alert(actor, id, note).await?;
        }
        "dismiss" => {
            app.dismiss_alert(actor, id, &form.note).await?;
        }
        "refer" => {
            app.refer_alert(actor, id, note).await?;
        }
        _ => return Ok(StatusCode::NOT_FOUND.into_response()),
    }
    Ok(Redirect::to("/alerts").into_response())
}

/// `GET /approvals`: what waits for the person's decision, each kind they decide.
pub(crate) async fn approvals(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let app = dash.app()?;
    let inbox = app.inbox(&who.actor, Timestamp::now()).await?;
    let mut body = String::new();
    if let Some(access) = &inbox.access {
        let rows: Vec<String> = access
            .iter()
            .map(|a| {
                let id = a.approval.id;
                let form = |what: &str, label: &str| {
                    let note = format!(
                        "<label for=\"access-{what}-{id}\">Reason</label> <input id=\"access-{what}-{id}\" name=\"note\">"
                    );
                    button(
                        &format!("/approvals/{id}/{what}"),
                        &who.csrf,
                        &format!("{label} access request {id}"),
                        &note,
                    )
                };
                format!(
                    "<td>{id}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td>",
                    esc(&a.person_name),
                    esc(&a.approval.site),
                    esc(&a.approval.rule),
                    esc(&a.approval.reason),
                    form("approve", "Approve for a week"),
                    form("refuse", "Refuse")
                )
            })
            .collect();
        body.push_str(&table(
            "Access requests waiting for you",
            &["#", "Who", "Site", "Rule", "Why", "Decide"],
            &rows,
        ));
    }
    if let Some(software) = &inbox.software {
        let names = app.names().await?;
        let rows: Vec<String> = software
            .iter()
            .map(|r| {
                format!(
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                    r.id,
                    esc(names.name(r.person_id)),
                    esc(&r.software),
                    esc(&r.reason),
                    decision_buttons(&who.csrf, "software", "software request", r.id)
                )
            })
            .collect();
        body.push_str(&table(
            "Software requests waiting for you",
            &["#", "Who", "Software", "Why", "Decide"],
            &rows,
        ));
    }
    if let Some(list) = &inbox.authorisations {
        let names = app.names().await?;
        let rows: Vec<String> = list
            .iter()
            .map(|a| {
                format!(
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                    a.id,
                    esc(names.name(a.person_id)),
                    esc(&a.kind.as_str().replace('_', " ")),
                    esc(&a.details),
                    decision_buttons(&who.csrf, "authorisations", "authorisation request", a.id)
                )
            })
            .collect();
        body.push_str(&table(
            "Authorisation requests waiting for you",
            &["#", "Who", "For", "What", "Decide"],
            &rows,
        ));
    }
    Ok(layout(who, &Nav::of(&o), "Approvals", &body))
}

/// `approve` is true, `refuse` false; anything else is no action.
fn approving(action: &str) -> Option<bool> {
    match action {
        "approve" => Some(true),
        "refuse" => Some(false),
        _ => None,
    }
}

/// Approve and refuse forms, each with its reason, for request `id` of `kind` (a path
/// segment under `/approvals/`), named for screen readers by `what` and the id.
pub(crate) fn decision_buttons(csrf: &str, kind: &str, what: &str, id: i64) -> String {
    let form = |action: &str, label: &str| {
        let field = format!("{kind}-{action}-{id}");
        let note =
            format!("<label for=\"{field}\">Reason</label> <input id=\"{field}\" name=\"note\">");
        button(
            &format!("/approvals/{kind}/{id}/{action}"),
            csrf,
            &format!("{label} {what} {id}"),
            &note,
        )
    };
    format!(
        "{} {}",
        form("approve", "Approve"),
        form("refuse", "Refuse")
    )
}

/// The register an approve or refuse form decides a request of.
#[derive(Debug, Clone, Copy)]
enum Queue {
    Access,
    Authorisation,
    Software,
}

/// Approves or refuses request `id` of `queue` for the signed-in person, then shows the
/// approvals again; an action other than `approve` or `refuse` is not found.
async fn decide_in(
    queue: Queue,
    dash: &Dashboard,
    signed: &Signed,
    id: i64,
    action: &str,
    form: &NoteForm,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let Some(approve) = approving(action) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let (app, actor, note) = (dash.app()?, &signed.who.actor, &form.note);
    match queue {
        Queue::Access => {
            app.decide_access(actor, id, approve, note, Timestamp::now(), None)
                .await?;
        }
        Queue::Authorisation => {
            app.decide_authorisation(actor, id, approve, note).await?;
        }
        Queue::Software => {
            app.decide_software(actor, id, approve, note).await?;
        }
    }
    Ok(Redirect::to("/approvals").into_response())
}

/// `POST /approvals/authorisations/{id}/{approve|refuse}`.
pub(crate) async fn decide_authorisation(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    decide_in(Queue::Authorisation, &dash, &signed, id, &action, &form).await
}

/// `POST /approvals/software/{id}/{approve|refuse}`.
pub(crate) async fn decide_software(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    decide_in(Queue::Software, &dash, &signed, id, &action, &form).await
}

/// `POST /approvals/{id}/{approve|refuse}`: a request for access to a held site.
pub(crate) async fn decide(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    decide_in(Queue::Access, &dash, &signed, id, &action, &form).await
}
