//! Dashboard logins (issue 12 item 2): the administrator's add, reset and disable, and
//! signing in with a password and a TOTP code, each on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod common;

use charter_app::App;
use charter_app::users::{LoginRefused, MAX_FAILED, PasswordStep, SessionState, totp_code};
use charter_store::*;
use jiff::Timestamp;

const PASSWORD: &str = "correct horse battery";

fn op() -> Actor {
    Actor::System("test".into())
}

async fn person(app: &App, first: &str, roles: &[&str]) -> Person {
    app.add_person(
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
    .person
}

fn at() -> Timestamp {
    "2026-06-15T09:00:00Z".parse().unwrap()
}

/// Signs in fully at `when`; the session token.
async fn sign_in(app: &App, login: &str, secret: &str, when: Timestamp) -> String {
    let pending = match app.login_password(login, PASSWORD, when).await.unwrap() {
        Ok(PasswordStep::NeedsCode(t)) => t,
        other => panic!("expected a code to be asked for, got {other:?}"),
    };
    let code = totp_code(secret, when).unwrap();
    app.login_code(&pending, &code, when)
        .await
        .unwrap()
        .unwrap()
}

both!(a_password_then_a_code_signs_in_as_the_person, |app| {
    let dpo = person(app, "Dana", &["staff", "compliance"]).await;
    let made = app
        .add_user(&op(), dpo.id, "dana", PASSWORD, true)
        .await
        .unwrap();
    let secret = made.totp_secret.clone().unwrap();
    assert!(
        made.otpauth_uri
            .unwrap()
            .starts_with("otpauth://totp/Charter:dana?")
    );
    let pending = match app.login_password("dana", PASSWORD, at()).await.unwrap() {
        Ok(PasswordStep::NeedsCode(t)) => t,
        other => panic!("expected a code to be asked for, got {other:?}"),
    };
    // The pending session opens nothing but the code form.
    assert!(matches!(
        app.session(&pending, at()).await.unwrap(),
        Some(SessionState::AwaitingCode { .. })
    ));
    let code = totp_code(&secret, at()).unwrap();
    let token = app
        .login_code(&pending, &code, at())
        .await
        .unwrap()
        .unwrap();
    // A new token after the second factor: the pending one (which a planted cookie would
    // be) no longer stands for anything.
    assert_ne!(token, pending);
    assert!(app.session(&pending, at()).await.unwrap().is_none());
    match app.session(&token, at()).await.unwrap() {
        Some(SessionState::SignedIn(s)) => {
            assert_eq!(s.actor, Actor::Person(dpo.id));
            assert_eq!(s.csrf.len(), 64);
        }
        other => panic!("expected signed in, got {other:?}"),
    }
    // Expired after the session's lifetime.
    let later = at() + charter_app::users::SESSION_LIFETIME;
    assert!(app.session(&token, later).await.unwrap().is_none());
});

both!(
    a_wrong_code_is_refused_and_a_reused_code_is_refused,
    |app| {
        let p = person(app, "Sam", &["staff", "safeguarding_lead"]).await;
        let secret = app
            .add_user(&op(), p.id, "sam", PASSWORD, true)
            .await
            .unwrap()
            .totp_secret
            .unwrap();
        let pending = match app.login_password("sam", PASSWORD, at()).await.unwrap() {
            Ok(PasswordStep::NeedsCode(t)) => t,
            other => panic!("{other:?}"),
        };
        let right = totp_code(&secret, at()).unwrap();
        let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert_eq!(
            app.login_code(&pending, &wrong, at()).await.unwrap(),
            Err(LoginRefused::Wrong)
        );
        assert!(
            app.login_code(&pending, &right, at())
                .await
                .unwrap()
                .is_ok()
        );
        // The same code again, in a new sign-in within the same time step: refused.
        let again = match app.login_password("sam", PASSWORD, at()).await.unwrap() {
            Ok(PasswordStep::NeedsCode(t)) => t,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            app.login_code(&again, &right, at()).await.unwrap(),
            Err(LoginRefused::Reused)
        );
        // The next step's code is accepted.
        let next = at() + jiff::SignedDuration::from_secs(30);
        let code = totp_code(&secret, next).unwrap();
        assert!(app.login_code(&again, &code, next).await.unwrap().is_ok());
    }
);

both!(ten_failures_lock_the_login_until_reset, |app| {
    let p = person(app, "Lee", &["staff"]).await;
    app.add_user(&op(), p.id, "lee", PASSWORD, false)
        .await
        .unwrap();
    for n in 1..MAX_FAILED {
        assert_eq!(
            app.login_password("lee", "not the password!", at())
                .await
                .unwrap()
                .unwrap_err(),
            LoginRefused::Wrong,
            "failure {n} does not lock yet"
        );
    }
    assert_eq!(
        app.login_password("lee", "not the password!", at())
            .await
            .unwrap()
            .unwrap_err(),
        LoginRefused::Locked
    );
    assert_eq!(
        app.login_password("lee", PASSWORD, at())
            .await
            .unwrap()
            .unwrap_err(),
        LoginRefused::Locked,
        "the right password does not open a locked login"
    );
    app.reset_user(&op(), "lee", PASSWORD, false).await.unwrap();
    assert!(matches!(
        app.login_password("lee", PASSWORD, at()).await.unwrap(),
        Ok(PasswordStep::SignedIn(_))
    ));
    let actions: Vec<String> = app
        .audit_rows(1, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.iter().any(|a| a == "user.lock"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "user.reset"), "{actions:?}");
});

both!(fewer_than_ten_failures_then_success_does_not_lock, |app| {
    let p = person(app, "Kim", &["staff"]).await;
    app.add_user(&op(), p.id, "kim", PASSWORD, false)
        .await
        .unwrap();
    for _ in 1..MAX_FAILED {
        app.login_password("kim", "not the password!", at())
            .await
            .unwrap()
            .unwrap_err();
    }
    assert!(
        app.login_password("kim", PASSWORD, at())
            .await
            .unwrap()
            .is_ok()
    );
    // The count starts again after a success: another nine do not lock either.
    for _ in 1..MAX_FAILED {
        app.login_password("kim", "not the password!", at())
            .await
            .unwrap()
            .unwrap_err();
    }
    assert!(
        app.login_password("kim", PASSWORD, at())
            .await
            .unwrap()
            .is_ok()
    );
});

both!(failures_at_once_are_not_lost_and_lock, |app| {
    let p = person(app, "Max", &["staff"]).await;
    app.add_user(&op(), p.id, "max", PASSWORD, false)
        .await
        .unwrap();
    let tries: Vec<_> = (0..2 * MAX_FAILED)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.login_password("max", "not the password!", at()).await })
        })
        .collect();
    for t in tries {
        t.await.unwrap().unwrap().unwrap_err();
    }
    let user = app
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.login == "max")
        .unwrap();
    // Attempts that arrive once it is locked are refused without being counted.
    assert!(user.failed_logins >= MAX_FAILED, "{user:?}");
    assert!(user.locked_at.is_some());
});

both!(
    a_second_factor_is_required_for_roles_that_see_monitoring,
    |app| {
        let c = person(app, "Cat", &["staff", "compliance"]).await;
        let s = person(app, "Sol", &["staff"]).await;
        let refused = app
            .add_user(&op(), c.id, "cat", PASSWORD, false)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("second factor is required"),
            "{refused}"
        );
        let made = app
            .add_user(&op(), s.id, "sol", PASSWORD, false)
            .await
            .unwrap();
        assert!(made.totp_secret.is_none());
        assert!(matches!(
            app.login_password("sol", PASSWORD, at()).await.unwrap(),
            Ok(PasswordStep::SignedIn(_))
        ));
    }
);

both!(
    only_register_keepers_add_logins_and_passwords_are_long,
    |app| {
        let staff = person(app, "Ann", &["staff"]).await;
        let hr = person(app, "Hal", &["staff", "hr"]).await;
        let err = app
            .add_user(&Actor::Person(staff.id), staff.id, "ann", PASSWORD, true)
            .await
            .unwrap_err();
        assert!(
            matches!(err, charter_app::Error::NotAuthorised { .. }),
            "{err}"
        );
        let short = app
            .add_user(&Actor::Person(hr.id), staff.id, "ann", "short", true)
            .await
            .unwrap_err();
        assert!(short.to_string().contains("too short"), "{short}");
        app.add_user(&Actor::Person(hr.id), staff.id, "ann", PASSWORD, true)
            .await
            .unwrap();
        let dup = app
            .add_user(&op(), hr.id, "ann", PASSWORD, true)
            .await
            .unwrap_err();
        assert!(dup.to_string().contains("ann"), "{dup}");
    }
);

both!(disabling_and_logging_out_everywhere_end_sessions, |app| {
    let p = person(app, "Pat", &["staff", "dpo"]).await;
    let secret = app
        .add_user(&op(), p.id, "pat", PASSWORD, true)
        .await
        .unwrap()
        .totp_secret
        .unwrap();
    let one = sign_in(app, "pat", &secret, at()).await;
    let next = at() + jiff::SignedDuration::from_secs(30);
    let two = sign_in(app, "pat", &secret, next).await;
    app.logout(&one).await.unwrap();
    assert!(app.session(&one, next).await.unwrap().is_none());
    assert!(
        app.session(&two, next).await.unwrap().is_some(),
        "logout ends only its own session"
    );
    let later = next + jiff::SignedDuration::from_secs(30);
    let three = sign_in(app, "pat", &secret, later).await;
    assert_eq!(app.logout_everywhere(&three).await.unwrap(), 2);
    assert!(app.session(&two, later).await.unwrap().is_none());
    let last = later + jiff::SignedDuration::from_secs(30);
    let four = sign_in(app, "pat", &secret, last).await;
    app.disable_user(&op(), "pat").await.unwrap();
    assert!(app.session(&four, last).await.unwrap().is_none());
    assert_eq!(
        app.login_password("pat", PASSWORD, last)
            .await
            .unwrap()
            .unwrap_err(),
        LoginRefused::Disabled
    );
});

both!(an_unknown_login_reads_like_a_wrong_password, |app| {
    assert_eq!(
        app.login_password("nobody", PASSWORD, at())
            .await
            .unwrap()
            .unwrap_err(),
        LoginRefused::Wrong
    );
});
