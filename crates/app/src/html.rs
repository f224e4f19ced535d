//! The subject access summary: a document that can be sent to the person, with plain
//! headings grouped by register, dates in the pack's zone, and nothing a person cannot read
//! (no JSON, no hashes). Every piece of text goes through [`escape_html`].

use jiff::tz::TimeZone;

use charter_engine::text::escape_html;
use charter_store::{LeaverItem, PersonStatus};

use crate::Names;
use crate::clock::local_text;
use crate::dsar::SubjectExport;

/// One register: a heading, a line saying how many, and a table of readable columns.
fn section(out: &mut String, title: &str, intro: &str, headers: &[&str], rows: Vec<Vec<String>>) {
    out.push_str(&format!("<h2>{}</h2>\n", escape_html(title)));
    if !intro.is_empty() {
        out.push_str(&format!("<p>{}</p>\n", escape_html(intro)));
    }
    if rows.is_empty() {
        out.push_str("<p>None held.</p>\n");
        return;
    }
    out.push_str("<table>\n<tr>");
    for h in headers {
        out.push_str(&format!("<th>{}</th>", escape_html(h)));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", escape_html(&cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn when(v: &Option<String>, tz: &TimeZone) -> String {
    v.as_deref().map(|t| local_text(t, tz)).unwrap_or_default()
}

fn yes(b: bool) -> String {
    (if b { "yes" } else { "no" }).to_string()
}

/// `person.add` → `person add`: audit actions in words.
fn action_words(action: &str) -> String {
    action.replace(['.', '_'], " ")
}

/// The summary of `e` for the person, from `organisation`.
pub(crate) fn render(
    e: &SubjectExport,
    organisation: &str,
    names: &Names,
    tz: &TimeZone,
) -> String {
    let p = &e.person;
    let name = p.full_name();
    let mut out = String::new();
    out.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>What {org} holds about {n}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse;margin-bottom:1em}}\
         td,th{{border:1px solid #999;padding:.2em .4em;font-size:90%;vertical-align:top;text-align:left}}th{{background:#eee}}</style></head><body>\n\
         <h1>What {org} holds about {n}</h1>\n<p>Made on {at}, in answer to your request to see the personal data we hold about you. \
         Times are {zone} time. The same information, complete and machine-readable, is in the file export.json sent with this one.</p>\n",
        org = escape_html(organisation),
        n = escape_html(&name),
        at = escape_html(&local_text(&e.generated_at, tz)),
        zone = escape_html(tz.iana_name().unwrap_or("UTC")),
    ));
    let status = match p.status {
        PersonStatus::Active => "works here",
        PersonStatus::Left => "has left",
        PersonStatus::Erased => "erased",
    };
    section(
        &mut out,
        "About you",
        "",
        &[
            "Name",
            "Department",
            "Location",
            "Roles",
            "Line manager",
            "First day",
            "Last day",
            "Status",
        ],
        vec![vec![
            name.clone(),
            opt(&p.department),
            opt(&p.location),
            p.roles.join(", "),
            p.line_manager
                .map(|m| names.name(m).to_string())
                .unwrap_or_default(),
            opt(&p.start_date),
            opt(&p.leaving_date),
            status.to_string(),
        ]],
    );
    section(
        &mut out,
        "Accounts",
        "Your email address and the logins you hold.",
        &[
            "System",
            "Name",
            "Status",
            "Created",
            "Disabled",
            "How the name was chosen",
        ],
        e.accounts
            .iter()
            .map(|a| {
                vec![
                    a.system.clone(),
                    a.name.clone(),
                    a.status.to_string(),
                    local_text(&a.created_at, tz),
                    when(&a.disabled_at, tz),
                    opt(&a.note),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Devices",
        "Equipment assigned to you, and your own devices registered for work.",
        &[
            "Kind",
            "Serial number",
            "Status",
            "Your own device",
            "Encrypted",
        ],
        e.devices
            .iter()
            .map(|d| {
                vec![
                    d.kind.clone(),
                    d.serial.clone(),
                    d.status.to_string().replace('_', " "),
                    yes(d.byod),
                    yes(d.encrypted),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Removable media",
        "Permission to use USB sticks and other removable media or hardware.",
        &["What", "Why", "Authorised", "By", "Until", "Ended"],
        e.media_authorisations
            .iter()
            .map(|m| {
                vec![
                    m.description.clone(),
                    m.reason.clone(),
                    local_text(&m.authorised_at, tz),
                    names.name(m.authorised_by).to_string(),
                    opt(&m.expires_on),
                    when(&m.revoked_at, tz),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Software requests",
        "",
        &[
            "Software",
            "Why",
            "Asked",
            "Decision",
            "Decided",
            "Reason given",
        ],
        e.software_requests
            .iter()
            .map(|r| {
                vec![
                    r.software.clone(),
                    r.reason.clone(),
                    local_text(&r.requested_at, tz),
                    r.status.to_string(),
                    when(&r.decided_at, tz),
                    opt(&r.decision_reason),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Official social media accounts",
        "",
        &[
            "Platform",
            "Handle",
            "Your part",
            "Two-factor sign-in",
            "Status",
        ],
        e.social_accounts
            .iter()
            .map(|s| {
                let part = if s.owner_id == p.id {
                    "owner"
                } else if s.custodian_id == p.id {
                    "keeps the credentials"
                } else {
                    "may post"
                };
                vec![
                    s.platform.clone(),
                    s.handle.clone(),
                    part.to_string(),
                    yes(s.two_factor),
                    s.status.to_string(),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Policy acknowledgements",
        "When you signed or were briefed on the IT policy.",
        &["What", "Policy version", "When"],
        e.acknowledgements
            .iter()
            .map(|a| {
                let version = e
                    .policy_versions
                    .iter()
                    .find(|v| v.id == a.policy_id)
                    .map_or_else(
                        || a.policy_id.to_string(),
                        |v| format!("{} version {}", v.title, v.version),
                    );
                vec![a.kind.to_string(), version, local_text(&a.at, tz)]
            })
            .collect(),
    );
    section(
        &mut out,
        "Incidents you reported",
        "",
        &["Kind", "Reported", "What happened", "Status", "Outcome"],
        e.incidents
            .iter()
            .map(|i| {
                vec![
                    i.kind.to_string().replace('_', " "),
                    local_text(&i.reported_at, tz),
                    i.description.clone(),
                    i.status.to_string(),
                    opt(&i.outcome),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Data breaches that concern you",
        "",
        &[
            "Became aware",
            "What happened",
            "Data concerned",
            "Likely consequences",
            "Measures taken",
            "You were told",
        ],
        e.breaches
            .iter()
            .map(|b| {
                vec![
                    local_text(&b.aware_at, tz),
                    b.description.clone(),
                    b.data_categories.clone(),
                    b.likely_consequences.clone(),
                    b.measures.clone(),
                    match (&b.people_told_at, &b.people_told_how) {
                        (Some(at), how) => format!("{} {}", local_text(at, tz), opt(how)),
                        _ => String::new(),
                    },
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Your requests about your data",
        "",
        &["Right", "Received", "Status", "Closed", "Outcome"],
        e.subject_requests
            .iter()
            .map(|r| {
                vec![
                    r.kind.to_string(),
                    r.received_on.clone(),
                    r.status.to_string(),
                    opt(&r.closed_on),
                    opt(&r.outcome),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Leaving",
        "",
        &["Last day", "Done", "Checklist closed"],
        e.leavers
            .iter()
            .map(|l| {
                let done: Vec<String> = LeaverItem::ALL
                    .iter()
                    .filter(|i| l.item(**i).is_some())
                    .map(|i| i.to_string().replace('_', " "))
                    .collect();
                vec![
                    l.leaving_date.clone(),
                    done.join(", "),
                    l.closed
                        .as_ref()
                        .map(|t| local_text(&t.at, tz))
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Monitoring records",
        "What the web and mail filters recorded under your accounts. Mail marked personal keeps its headers only.",
        &["When", "Source", "What", "Outcome", "Rule"],
        e.monitoring_records
            .iter()
            .map(|r| {
                vec![
                    local_text(&r.at, tz),
                    r.source.clone(),
                    r.subject.clone(),
                    r.verdict.clone(),
                    opt(&r.rule),
                ]
            })
            .collect(),
    );
    section(
        &mut out,
        "Messages to you",
        "",
        &["When", "Message"],
        e.notices
            .iter()
            .map(|n| vec![local_text(&n.at, tz), n.text.clone()])
            .collect(),
    );
    section(
        &mut out,
        "What was done with your data",
        "Every change to the records above, and every time your monitoring records were read, is logged.",
        &["When", "Who", "What"],
        e.audit
            .iter()
            .map(|a| {
                let who = a
                    .actor
                    .strip_prefix("person:")
                    .and_then(|id| id.parse().ok())
                    .map_or_else(
                        || "Charter (automatic)".to_string(),
                        |id| names.name(id).to_string(),
                    );
                vec![local_text(&a.at, tz), who, action_words(&a.action)]
            })
            .collect(),
    );
    out.push_str("</body></html>\n");
    out
}
