//! Warn and hold on the web: continuing past a warning, asking for access, and the access
//! approvers deciding, each case run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use charter_app::{App, Error, Stopped};
use charter_store::*;
use jiff::{SignedDuration, Timestamp};

/// The test pack with a warn and a hold rule, and the company secretary approving access.
fn app_with_web_rules(app: &App) -> App {
    let pack = format!(
        "{}access_approvers = [\"company_secretary\"]\n{RULES}",
        common::PACK
    );
    App::new(
        charter_policy::parse(&pack, "test.toml").unwrap(),
        app.store().clone(),
    )
}

const RULES: &str = r#"
[[rule]]
id = "shopping.warn"
clause = "6.1"
quote = "Shopping only with care."
on = "web"
categories = ["shopping"]
action = "warn"
severity = "concern"

[[rule]]
id = "games.hold"
clause = "6.2"
quote = "Games need a manager's say-so."
on = "web"
categories = ["games"]
action = "hold"
severity = "concern"
"#;

fn op() -> Actor {
    Actor::System("test".into())
}

fn by(p: &Person) -> Actor {
    Actor::Person(p.id)
}

async fn person(app: &App, first: &str, roles: &[&str], login: &str) -> Person {
    let p = app
        .add_person(
            &op(),
            NewPerson {
                first_name: first.into(),
                last_name: "Test".into(),
                location: Some("uk".into()),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                ..NewPerson::default()
            },
            false,
        )
        .await
        .unwrap()
        .person;
    app.add_account(&op(), p.id, "proxy", login).await.unwrap();
    p
}

/// Monday 15 June 2026, 10:00 in London.
fn ten() -> Timestamp {
    "2026-06-15T09:00:00Z".parse().unwrap()
}

const GAMES: Stopped<'static> = Stopped {
    site: "roblox.com",
    rule: "games.hold",
    url: Some("http://www.roblox.com/"),
};

const SHOPPING: Stopped<'static> = Stopped {
    site: "amazon.co.uk",
    rule: "shopping.warn",
    url: None,
};

async fn audit_actions(app: &App) -> Vec<String> {
    app.audit_rows(1, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

both!(
    continuing_past_a_warning_is_in_force_for_the_rest_of_the_window,
    |app| {
        let app = app_with_web_rules(app);
        let ann = person(&app, "Ann", &["staff"], "ann").await;
        assert_eq!(app.person_for_login("ann").await.unwrap(), ann.id);
        let pass = app
            .continue_after_warning(&by(&ann), SHOPPING, ten())
            .await
            .unwrap();
        assert_eq!(
            (pass.kind, pass.status, pass.decided_by),
            (
                ApprovalKind::Continue,
                ApprovalStatus::Approved,
                Some(ann.id)
            )
        );
        // The window edge: the working day ends at 17:30 London time.
        assert_eq!(pass.valid_until.as_deref(), Some("2026-06-15T16:30:00Z"));
        let rows = app.store().passes_in_force(ten()).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].user.as_str(), rows[0].site.as_str()),
            ("ann", "amazon.co.uk")
        );
        let after = ten().checked_add(SignedDuration::from_hours(8)).unwrap();
        assert!(app.store().passes_in_force(after).await.unwrap().is_empty());
        assert!(
            audit_actions(&app)
                .await
                .contains(&"approval.continue".to_string())
        );
        // Only a warn rule can be continued past, and the operator is nobody to continue.
        assert!(matches!(
            app.continue_after_warning(&by(&ann), GAMES, ten()).await,
            Err(Error::Refused(_))
        ));
        assert!(matches!(
            app.continue_after_warning(&op(), SHOPPING, ten()).await,
            Err(Error::Refused(_))
        ));
    }
);

both!(
    access_is_asked_for_and_decided_by_an_approver_never_the_requester,
    |app| {
        let app = app_with_web_rules(app);
        let ann = person(&app, "Ann", &["staff"], "ann").await;
        let cora = person(&app, "Cora", &["company_secretary"], "cora").await;
        let asked = app
            .ask_for_access(&by(&ann), GAMES, "client demo")
            .await
            .unwrap();
        assert_eq!(asked.status, ApprovalStatus::Requested);
        // Asking again while it waits is the same request.
        let again = app.ask_for_access(&by(&ann), GAMES, "again").await.unwrap();
        assert_eq!(again.id, asked.id);
        assert!(app.store().passes_in_force(ten()).await.unwrap().is_empty());
        // The requester is no approver; an approver may not decide their own request.
        assert!(matches!(
            app.decide_access(&by(&ann), asked.id, true, "", ten(), None)
                .await,
            Err(Error::NotAuthorised { .. })
        ));
        let own = app.ask_for_access(&by(&cora), GAMES, "mine").await.unwrap();
        assert!(matches!(
            app.decide_access(&by(&cora), own.id, true, "", ten(), None)
                .await,
            Err(Error::Refused(_))
        ));
        // Approved for a day: in force for Ann under her login, for that day only.
        let until = ten().checked_add(SignedDuration::from_hours(24)).unwrap();
        let approved = app
            .decide_access(&by(&cora), asked.id, true, "fine", ten(), Some(until))
            .await
            .unwrap();
        assert_eq!(
            (approved.status, approved.decided_by),
            (ApprovalStatus::Approved, Some(cora.id))
        );
        let rows = app.store().passes_in_force(ten()).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].user.as_str(), rows[0].kind, rows[0].id),
            ("ann", ApprovalKind::Access, asked.id)
        );
        assert!(matches!(
            app.decide_access(&by(&cora), asked.id, false, "no", ten(), None)
                .await,
            Err(Error::Transition { .. })
        ));
        let later = until.checked_add(SignedDuration::from_secs(1)).unwrap();
        let views = app.approvals(later).await.unwrap();
        let view = views.iter().find(|v| v.approval.id == asked.id).unwrap();
        assert_eq!(view.now, ApprovalStatus::Expired);
        assert_eq!(view.person_name, "Ann Test");
        let actions = audit_actions(&app).await;
        assert!(actions.contains(&"approval.request".to_string()));
        assert!(actions.contains(&"approval.decide".to_string()));
    }
);

both!(a_refused_request_puts_nothing_in_force, |app| {
    let app = app_with_web_rules(app);
    let ann = person(&app, "Ann", &["staff"], "ann").await;
    let cora = person(&app, "Cora", &["company_secretary"], "cora").await;
    let asked = app.ask_for_access(&by(&ann), GAMES, "").await.unwrap();
    let refused = app
        .decide_access(&by(&cora), asked.id, false, "not for work", ten(), None)
        .await
        .unwrap();
    assert_eq!(refused.status, ApprovalStatus::Refused);
    assert!(app.store().passes_in_force(ten()).await.unwrap().is_empty());
    // A warn rule is nothing to ask access for.
    assert!(matches!(
        app.ask_for_access(&by(&ann), SHOPPING, "").await,
        Err(Error::Refused(_))
    ));
});
