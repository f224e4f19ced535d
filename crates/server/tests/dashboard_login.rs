//! The dashboard's sign-in over real HTTP on loopback, on SQLite and on PostgreSQL: a
//! password then a TOTP code computed here, a wrong and a reused code refused, lockout after
//! 10 failures, a session token planted before sign-in never signed in, cross-site and
//! token-less posts refused, logout, and a name holding a script shown as text.
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod dashboard_support;

use charter_app::users::{MAX_FAILED, totp_code};
use charter_store::Actor;
use dashboard_support::*;
use jiff::Timestamp;

both!(a_password_and_a_code_sign_in_with_strict_cookies, |s| {
    let secret = s.user("Cat", &["staff", "compliance"], "cat").await;
    let r = s
        .post("/login", None, "login=cat&password=correct+horse+battery")
        .await;
    let set = r.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain HTTP on loopback goes without Secure: {set}"
    );
    let pending = r.cookie().unwrap();
    assert_eq!(pending.len(), 64, "256 random bits, hex");
    // Until the code is given, nothing but the code form is open.
    assert_eq!(s.get("/api/me", Some(&pending)).await.status, 401);
    let form = s.get("/login/code", Some(&pending)).await;
    assert!(
        form.body.contains("data:image/png;base64,"),
        "first sign-in shows the QR code"
    );
    let r = s
        .code(&pending, &totp_code(&secret, Timestamp::now()).unwrap())
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/"));
    let token = r.cookie().unwrap();
    assert_ne!(
        token, pending,
        "a new token once the second factor is given"
    );
    let me = s.get("/api/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let me: serde_json::Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(me["login"], "cat");
    assert_eq!(me["roles"], serde_json::json!(["compliance", "staff"]));
    assert_eq!(s.get("/api/me", Some(&pending)).await.status, 401);
    assert_eq!(s.get("/api/me", None).await.status, 401);
    // After the first accepted code the QR code is never shown again.
    let again = s.password("cat").await;
    assert!(
        !s.get("/login/code", Some(&again))
            .await
            .body
            .contains("data:image/png")
    );
});

both!(a_wrong_code_and_a_reused_code_are_refused, |s| {
    let secret = s.user("Ann", &["staff"], "ann").await;
    let pending = s.password("ann").await;
    let right = totp_code(&secret, Timestamp::now()).unwrap();
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let r = s.code(&pending, &wrong).await;
    assert_eq!(r.status, 401);
    assert!(r.cookie().is_none());
    let r = s.code(&pending, &right).await;
    assert_eq!(r.status, 303);
    let pending = s.password("ann").await;
    let r = s.code(&pending, &right).await;
    assert_eq!(r.status, 401, "the same code twice is refused");
    assert!(r.cookie().is_none());
});

both!(ten_failed_passwords_lock_the_login, |s| {
    s.user("Lee", &["staff"], "lee").await;
    for n in 1..MAX_FAILED {
        let r = s
            .post("/login", None, "login=lee&password=wrong+password+here")
            .await;
        assert_eq!(r.status, 401, "attempt {n}");
        assert!(r.cookie().is_none());
    }
    let r = s
        .post("/login", None, "login=lee&password=wrong+password+here")
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("locked"), "{}", r.body);
    let r = s
        .post("/login", None, "login=lee&password=correct+horse+battery")
        .await;
    assert_eq!(
        r.status, 403,
        "the right password does not open a locked login"
    );
    assert!(r.cookie().is_none());
});

both!(a_session_planted_before_sign_in_is_never_signed_in, |s| {
    let secret = s.user("Pat", &["staff"], "pat").await;
    let planted = "ab".repeat(32);
    let r = s
        .post(
            "/login",
            Some(&planted),
            "login=pat&password=correct+horse+battery",
        )
        .await;
    let pending = r.cookie().unwrap();
    assert_ne!(pending, planted);
    let r = s
        .code(&pending, &totp_code(&secret, Timestamp::now()).unwrap())
        .await;
    let token = r.cookie().unwrap();
    assert_ne!(token, planted);
    assert_eq!(s.get("/api/me", Some(&planted)).await.status, 401);
    assert_eq!(s.get("/api/me", Some(&token)).await.status, 200);
});

both!(
    cross_site_and_tokenless_posts_are_refused_and_logout_ends_the_session,
    |s| {
        let secret = s.user("Sol", &["staff"], "sol").await;
        let token = s.sign_in("sol", &secret).await;
        let home = s.get("/", Some(&token)).await;
        let csrf = hidden(&home.body, "csrf");
        let cross = s
            .send(
                "POST",
                "/logout",
                Some(&token),
                Some("https://evil.example"),
                Some(&format!("csrf={csrf}")),
            )
            .await;
        assert_eq!(cross.status, 403, "another site's post");
        let login_cross = s
            .send(
                "POST",
                "/login",
                None,
                Some("https://evil.example"),
                Some("login=sol&password=correct+horse+battery"),
            )
            .await;
        assert_eq!(login_cross.status, 403, "a cross-site sign-in");
        assert_eq!(
            s.post("/logout", Some(&token), "").await.status,
            403,
            "no token"
        );
        assert_eq!(
            s.post("/logout", Some(&token), "csrf=00").await.status,
            403,
            "a wrong token"
        );
        assert_eq!(
            s.get("/api/me", Some(&token)).await.status,
            200,
            "still signed in"
        );
        let out = s
            .post("/logout", Some(&token), &format!("csrf={csrf}"))
            .await;
        assert_eq!(out.status, 303);
        assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
        assert_eq!(s.get("/api/me", Some(&token)).await.status, 401);
    }
);

both!(logout_everywhere_ends_every_session_of_the_login, |s| {
    let secret = s.user("Kim", &["staff"], "kim").await;
    let one = s.sign_in("kim", &secret).await;
    // The next sign-in needs the next time step's code.
    let pending = s.password("kim").await;
    let next = Timestamp::now() + jiff::SignedDuration::from_secs(30);
    let code = totp_code(&secret, next).unwrap();
    let two = s.code(&pending, &code).await.cookie().unwrap();
    let csrf = hidden(&s.get("/", Some(&two)).await.body, "csrf");
    assert_eq!(
        s.post("/logout/everywhere", Some(&two), &format!("csrf={csrf}"))
            .await
            .status,
        303
    );
    assert_eq!(s.get("/api/me", Some(&one)).await.status, 401);
    assert_eq!(s.get("/api/me", Some(&two)).await.status, 401);
});

both!(a_script_in_a_name_is_shown_as_text, |s| {
    let id = s.person("<script>alert(1)</script>", &["staff"]).await;
    let made = s
        .app
        .add_user(&Actor::System("test".into()), id, "eve", PASSWORD, true)
        .await
        .unwrap();
    let token = s.sign_in("eve", &made.totp_secret.unwrap()).await;
    let home = s.get("/", Some(&token)).await;
    assert!(
        home.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        home.body
    );
    assert!(!home.body.contains("<script>"), "{}", home.body);
});

both!(
    one_address_is_limited_to_thirty_attempts_in_ten_minutes,
    |s| {
        for _ in 0..30 {
            let r = s
                .post("/login", None, "login=nobody&password=whatever+it+is")
                .await;
            assert_eq!(r.status, 401);
        }
        let r = s
            .post("/login", None, "login=nobody&password=whatever+it+is")
            .await;
        assert_eq!(r.status, 429);
    }
);
