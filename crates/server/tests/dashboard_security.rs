//! Hostile input over real HTTP, on SQLite and on PostgreSQL: a script in every text field a
//! person, a policy, a record or a request can carry is shown as text on every page that
//! shows it. (Refusals by role and id, cross-site posts, session fixation and lockout are in
//! dashboard_api and dashboard_login.)
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_support;

use charter_app::Stopped;
use charter_store::{Actor, NewBreach, NewRecord, Source};
use dashboard_support::*;
use jiff::Timestamp;

/// A script that says which field it came from.
fn script(field: &str) -> String {
    format!("<script>alert('{field}')</script>")
}

/// The support pack, with a hold rule whose clause and words are scripts, alerting hr.
fn hostile_pack() -> String {
    format!(
        "{PACK}[[rule]]\nid = \"games.hold\"\nclause = \"{}\"\nquote = \"{}\"\non = \"web\"\ncategories = [\"games\"]\naction = \"hold\"\nseverity = \"misconduct\"\nalert = [\"hr\"]\n",
        script("clause"),
        script("quote")
    )
}

/// Every field the pages show, each holding a script; the pages a reader sees them on.
async fn fill(s: &Server) -> (String, Vec<&'static str>) {
    let system = Actor::System("test".into());
    let secret = s
        .user(&script("first"), &["staff", "hr", "compliance"], "hal")
        .await;
    let hal = s.sign_in("hal", &secret).await;
    let me: serde_json::Value =
        serde_json::from_str(&s.api("GET", "/api/me", &hal, None, None).await.body).unwrap();
    let hal_id = me["person_id"].as_i64().unwrap();
    let ann = s.person(&script("ann"), &["staff"]).await;
    s.app
        .publish_policy(&system, &script("version"), &script("text"), true)
        .await
        .unwrap();
    s.app
        .log_breach(
            &Actor::Person(hal_id),
            NewBreach {
                description: script("description"),
                data_categories: script("categories"),
                approx_people: None,
                approx_records: None,
                likely_consequences: script("consequences"),
                measures: script("measures"),
                contact_point: script("contact"),
                aware_at: Timestamp::now(),
            },
            &[ann],
        )
        .await
        .unwrap();
    let site = script("site");
    s.app
        .ask_for_access(
            &Actor::Person(ann),
            Stopped {
                site: &site,
                rule: "games.hold",
                url: Some(&script("url")),
            },
            &script("reason"),
        )
        .await
        .unwrap();
    let record = NewRecord {
        at: Timestamp::now(),
        user: Some(script("user").into()),
        source: Source::Web,
        subject: script("subject").into(),
        verdict: "hold".into(),
        rule: Some("games.hold".into()),
        check: Some(script("check").into()),
        severity: Some(script("severity").into()),
        categories: Some("games".into()),
        privacy: charter_engine::Privacy::Full,
        detail: Some(script("detail").into()),
        findings: String::new().into(),
    };
    s.app.raise_alerts(&system, &[record]).await.unwrap();
    (hal, vec!["/", "/policy", "/alerts", "/approvals"])
}

/// The fields the pages show (a breach's other fields, a request's reason, a record's detail
/// are in the API only, as JSON).
const SHOWN: [&str; 10] = [
    "first",
    "ann",
    "version",
    "description",
    "clause",
    "quote",
    "site",
    "user",
    "subject",
    "check",
];

both!(
    a_script_in_every_text_field_is_shown_as_text,
    hostile_pack(),
    |s| {
        let (hal, pages) = fill(s).await;
        let mut all = String::new();
        for path in pages {
            let page = s.get(path, Some(&hal)).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert!(
                !page.body.contains("<script>alert"),
                "{path}:\n{}",
                page.body
            );
            all.push_str(&page.body);
        }
        for field in SHOWN {
            assert!(
                all.contains(&format!(
                    "&lt;script&gt;alert(&#39;{field}&#39;)&lt;/script&gt;"
                )),
                "{field} is shown, escaped:\n{all}"
            );
        }
    }
);
