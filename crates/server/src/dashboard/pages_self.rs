//! Staff self-service pages: what is held about me (and its export), report an incident or
//! a lost device, ask for software or for access to a held site. Reading and acknowledging
//! the policy is on `/policy`.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;

use charter_app::{Myself, Stopped};
use charter_engine::text::escape_html as esc;
use charter_policy::Verdict;
use charter_store::{AuthorisationKind, DeviceStatus, IncidentKind};

use super::Dashboard;
use super::api::ApiError;
use super::api_self::{AskAuthorisation, ReportIncident, ask, export_of_me, report};
use super::pages::{Nav, PageError, button, layout, overview_of, table};
use super::session::{Signed, check_csrf};

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        match e {
            ApiError::Denied(d) => PageError::Denied(d),
            ApiError::App(e) => PageError::App(e),
            ApiError::NoSuch(what) => PageError::NoSuch(what),
        }
    }
}

fn held(me: &Myself, csrf: &str) -> String {
    let p = &me.person;
    let mut body = table(
        "My entry in the people register",
        &["Name", "Department", "Roles", "Status"],
        &[format!(
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&p.full_name()),
            esc(p.department.as_deref().unwrap_or("")),
            esc(&p.roles.join(", ")),
            esc(&p.status.to_string())
        )],
    );
    let devices: Vec<String> = me
        .devices
        .iter()
        .map(|d| {
            let action = if d.status == DeviceStatus::Assigned {
                let id = d.id;
                let fields = format!(
                    "<label for=\"lost-{id}\">What happened</label> <input id=\"lost-{id}\" name=\"description\">\
                     <input type=\"checkbox\" id=\"stolen-{id}\" name=\"stolen\" value=\"true\"> <label for=\"stolen-{id}\">Stolen</label>"
                );
                button(
                    &format!("/me/devices/{id}/lost"),
                    csrf,
                    &format!("Report device {id} lost"),
                    &fields,
                )
            } else {
                esc(&d.status.to_string())
            };
            format!(
                "<td>{}</td><td>{}</td><td>{action}</td>",
                d.id,
                esc(&d.label())
            )
        })
        .collect();
    body.push_str(&table(
        "My devices",
        &["#", "Device", "Lost or stolen?"],
        &devices,
    ));
    let software: Vec<String> = me
        .software_requests
        .iter()
        .map(|r| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td>",
                esc(&r.software),
                esc(&r.requested_at),
                esc(&r.status.to_string())
            )
        })
        .collect();
    body.push_str(&table(
        "My software requests",
        &["Software", "Asked", "Decision"],
        &software,
    ));
    let approvals: Vec<String> = me
        .approvals
        .iter()
        .map(|a| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td>",
                esc(&a.approval.kind.to_string()),
                esc(&a.approval.site),
                esc(&a.now.to_string())
            )
        })
        .collect();
    body.push_str(&table(
        "My access requests and passes",
        &["Kind", "Site", "Now"],
        &approvals,
    ));
    let asked: Vec<String> = me
        .authorisations
        .iter()
        .map(|a| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td>",
                esc(&a.kind.as_str().replace('_', " ")),
                esc(&a.details),
                esc(&a.status.to_string())
            )
        })
        .collect();
    body.push_str(&table(
        "My authorisation requests",
        &["For", "What", "Decision"],
        &asked,
    ));
    let incidents: Vec<String> = me
        .incidents
        .iter()
        .map(|i| {
            format!(
                "<td>{}</td><td>{}</td><td>{}</td>",
                esc(&i.kind.to_string()),
                esc(&i.description),
                esc(&i.status.to_string())
            )
        })
        .collect();
    body.push_str(&table(
        "Incidents I reported",
        &["Kind", "What", "Status"],
        &incidents,
    ));
    let notices: Vec<String> = me
        .notices
        .iter()
        .map(|n| format!("<td>{}</td><td>{}</td>", esc(&n.at), esc(&n.text)))
        .collect();
    body.push_str(&table(
        "Notices to me (each time my monitoring records were read)",
        &["When (UTC)", "Notice"],
        &notices,
    ));
    body.push_str(
        "<p><a href=\"/me/export\" download>Download everything held about me (JSON)</a></p>\n",
    );
    body
}

/// What a kind of authorisation is for, in words.
fn authorisation_label(kind: AuthorisationKind) -> &'static str {
    match kind {
        AuthorisationKind::WebsiteTerms => "Accepting a website's licence or contract terms",
        AuthorisationKind::SocialMediaAccount => "A new social media account or blog",
        AuthorisationKind::MassMail => "A mass mailing",
        AuthorisationKind::ThirdPartyHardware => "Connecting third-party hardware",
        AuthorisationKind::OutOfHoursVpn => "VPN access outside the agreed hours",
    }
}

fn forms(csrf: &str, holds: &[&str]) -> String {
    let csrf = esc(csrf);
    let mut kinds = String::new();
    for k in IncidentKind::ALL {
        if *k != IncidentKind::Disciplinary {
            let _ = write!(
                kinds,
                "<option value=\"{k}\">{}</option>",
                k.as_str().replace('_', " ")
            );
        }
    }
    let mut authorisations = String::new();
    for k in AuthorisationKind::ALL {
        let _ = write!(
            authorisations,
            "<option value=\"{k}\">{}</option>",
            authorisation_label(*k)
        );
    }
    let mut rules = String::new();
    for r in holds {
        let _ = write!(rules, "<option value=\"{0}\">{0}</option>", esc(r));
    }
    let out = format!(
        "<section aria-labelledby=\"report-heading\"><h2 id=\"report-heading\">Report an incident</h2>\n\
         <form method=\"post\" action=\"/me/incident\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <p><label for=\"incident-kind\">Kind</label> <select id=\"incident-kind\" name=\"kind\">{kinds}</select></p>\n\
         <p><label for=\"incident-description\">What happened</label><br><textarea id=\"incident-description\" name=\"description\" rows=\"3\" cols=\"60\" required></textarea></p>\n\
         <button type=\"submit\" id=\"report-incident\">Report the incident</button></form></section>\n\
         <section aria-labelledby=\"software-heading\"><h2 id=\"software-heading\">Ask for software</h2>\n\
         <form method=\"post\" action=\"/me/software\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <p><label for=\"software-name\">Software</label> <input id=\"software-name\" name=\"software\" required></p>\n\
         <p><label for=\"software-reason\">Why you need it</label> <input id=\"software-reason\" name=\"reason\"></p>\n\
         <button type=\"submit\" id=\"ask-software\">Ask for the software</button></form></section>\n\
         <section aria-labelledby=\"authorisation-heading\"><h2 id=\"authorisation-heading\">Ask for an authorisation</h2>\n\
         <form method=\"post\" action=\"/me/authorisation\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <p><label for=\"authorisation-kind\">What for</label> <select id=\"authorisation-kind\" name=\"kind\">{authorisations}</select></p>\n\
         <p><label for=\"authorisation-details\">Details (the site and its terms, the account, the mailing, the device, the hours)</label><br><textarea id=\"authorisation-details\" name=\"details\" rows=\"3\" cols=\"60\" required></textarea></p>\n\
         <button type=\"submit\" id=\"ask-authorisation\">Ask for the authorisation</button></form></section>\n"
    );
    if holds.is_empty() {
        return out;
    }
    out + &format!(
        "<section aria-labelledby=\"access-heading\"><h2 id=\"access-heading\">Ask for access to a held site</h2>\n\
         <form method=\"post\" action=\"/me/access\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <p><label for=\"access-site\">Site</label> <input id=\"access-site\" name=\"site\" placeholder=\"example.com\" required></p>\n\
         <p><label for=\"access-rule\">The rule that holds it</label> <select id=\"access-rule\" name=\"rule\">{rules}</select></p>\n\
         <p><label for=\"access-reason\">Why</label> <input id=\"access-reason\" name=\"reason\"></p>\n\
         <button type=\"submit\" id=\"ask-access\">Ask for access</button></form></section>\n"
    )
}

/// `GET /me`: what is held about me, and the self-service forms.
pub(crate) async fn me(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    let who = &signed.who;
    let o = overview_of(&dash, who).await?;
    let app = dash.app()?;
    let mine = app.myself(&who.actor, Timestamp::now()).await?;
    let holds: Vec<&str> = app
        .pack()
        .rules
        .iter()
        .filter(|r| r.action == Verdict::Hold)
        .map(|r| r.id.as_str())
        .collect();
    let mut body = held(&mine, &who.csrf);
    body.push_str(&forms(&who.csrf, &holds));
    Ok(layout(who, &Nav::of(&o), "My data and requests", &body))
}

/// `GET /me/export`.
pub(crate) async fn export(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
) -> Result<Response, PageError> {
    Ok(export_of_me(&dash, &signed).await?)
}

#[derive(Debug, Deserialize)]
pub(crate) struct IncidentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
}

/// `POST /me/incident`.
pub(crate) async fn incident(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<IncidentForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let r = ReportIncident {
        kind: form.kind,
        description: form.description,
        device_id: None,
    };
    report(&dash, &signed, &r).await?;
    Ok(Redirect::to("/me").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct LostForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    stolen: bool,
}

/// `POST /me/devices/{id}/lost`.
pub(crate) async fn lost(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<LostForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    dash.app()?
        .report_device_lost(&signed.who.actor, id, form.stolen, &form.description)
        .await?;
    Ok(Redirect::to("/me").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SoftwareForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    software: String,
    #[serde(default)]
    reason: String,
}

/// `POST /me/software`.
pub(crate) async fn software(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<SoftwareForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let who = &signed.who;
    dash.app()?
        .request_software(&who.actor, who.person.id, &form.software, &form.reason)
        .await?;
    Ok(Redirect::to("/me").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    reason: String,
}

/// `POST /me/access`.
pub(crate) async fn access(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<AccessForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let stopped = Stopped {
        site: form.site.trim(),
        rule: form.rule.trim(),
        url: None,
    };
    dash.app()?
        .ask_for_access(&signed.who.actor, stopped, &form.reason)
        .await?;
    Ok(Redirect::to("/me").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuthorisationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    details: String,
}

/// `POST /me/authorisation`.
pub(crate) async fn authorisation(
    State(dash): State<Arc<Dashboard>>,
    signed: Signed,
    Form(form): Form<AuthorisationForm>,
) -> Result<Response, PageError> {
    check_csrf(&signed.who.csrf, Some(&form.csrf))?;
    let r = AskAuthorisation {
        kind: form.kind,
        details: form.details,
    };
    ask(&dash, &signed, &r).await?;
    Ok(Redirect::to("/me").into_response())
}
