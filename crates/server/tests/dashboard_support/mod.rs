//! A dashboard on loopback over a fresh store, and a small HTTP client, for the server's tests.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

#[path = "../../../store/tests/common/db.rs"]
pub mod store_db;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use charter_app::App;
use charter_app::users::totp_code;
use charter_server::dashboard::{self, Dashboard};
use charter_store::{Actor, NewPerson};
use jiff::Timestamp;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub const PACK: &str = r#"
[policy]
id = "dash"
title = "Dashboard test pack"
source = "tests"
timezone = "Europe/London"
[organisation]
name = "Acme Ltd"
domains = ["acme.test"]
roles = ["staff", "hr", "compliance", "it", "safeguarding_lead", "auditor"]
[governance]
software_approvers = ["it"]
device_approvers = ["it"]
register_roles = ["hr"]
compliance_roles = ["compliance"]
data_protection_roles = ["compliance"]
access_approvers = ["hr"]
breach_contact = "the Data Protection Officer"
"#;

pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub addr: SocketAddr,
    pub app: App,
}

impl Server {
    pub async fn start(store: charter_store::Store) -> Server {
        Server::start_with(PACK, store).await
    }

    /// A dashboard over `pack` (TOML).
    pub async fn start_with(pack: &str, store: charter_store::Store) -> Server {
        let pack = charter_policy::parse(pack, "dash.toml").unwrap();
        let app = App::new(pack, store);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cell = Arc::new(OnceLock::new());
        cell.set(app.clone()).unwrap();
        let dash = Arc::new(Dashboard::new(cell, &format!("http://{addr}")));
        let routes = dashboard::router(dash);
        tokio::spawn(async move {
            axum::serve(
                listener,
                routes.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        Server { addr, app }
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One request; `(status, headers, body)`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
        form: Option<&str>,
    ) -> Reply {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(c) = cookie {
            req.push_str(&format!("Cookie: {}={c}\r\n", dashboard::COOKIE));
        }
        if let Some(o) = origin {
            req.push_str(&format!("Origin: {o}\r\n"));
        }
        let body = form.unwrap_or("");
        if form.is_some() {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.exchange(req).await
    }

    /// A JSON API request as the session `token`, with `csrf` as `X-CSRF-Token`.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: &str,
        csrf: Option<&str>,
        json: Option<&str>,
    ) -> Reply {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nCookie: {}={token}\r\nOrigin: {}\r\n",
            self.addr,
            dashboard::COOKIE,
            self.origin()
        );
        if let Some(c) = csrf {
            req.push_str(&format!("X-CSRF-Token: {c}\r\n"));
        }
        let body = json.unwrap_or("");
        if json.is_some() {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.exchange(req).await
    }

    async fn exchange(&self, req: String) -> Reply {
        let mut s = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        Reply {
            status,
            headers: lines.map(str::to_string).collect(),
            body: body.to_string(),
        }
    }

    pub async fn post(&self, path: &str, cookie: Option<&str>, form: &str) -> Reply {
        let origin = self.origin();
        self.send("POST", path, cookie, Some(&origin), Some(form))
            .await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        self.send("GET", path, cookie, None, None).await
    }

    pub async fn person(&self, first: &str, roles: &[&str]) -> i64 {
        self.app
            .add_person(
                &Actor::System("test".into()),
                NewPerson {
                    first_name: first.into(),
                    last_name: "Test".into(),
                    roles: roles.iter().map(|r| r.to_string()).collect(),
                    ..NewPerson::default()
                },
                false,
            )
            .await
            .unwrap()
            .person
            .id
    }

    /// A login for a new person; its TOTP secret.
    pub async fn user(&self, first: &str, roles: &[&str], login: &str) -> String {
        let id = self.person(first, roles).await;
        self.app
            .add_user(&Actor::System("test".into()), id, login, PASSWORD, true)
            .await
            .unwrap()
            .totp_secret
            .unwrap()
    }

    /// The password step; the pending session's token.
    pub async fn password(&self, login: &str) -> String {
        let r = self
            .post(
                "/login",
                None,
                &format!("login={login}&password=correct+horse+battery"),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.header("location").as_deref(), Some("/login/code"));
        r.cookie().unwrap()
    }

    /// The code step with `code`.
    pub async fn code(&self, pending: &str, code: &str) -> Reply {
        let form = self.get("/login/code", Some(pending)).await;
        let csrf = hidden(&form.body, "csrf");
        self.post(
            "/login/code",
            Some(pending),
            &format!("csrf={csrf}&code={code}"),
        )
        .await
    }

    /// Signs in fully; the session token.
    pub async fn sign_in(&self, login: &str, secret: &str) -> String {
        let pending = self.password(login).await;
        let r = self
            .code(&pending, &totp_code(secret, Timestamp::now()).unwrap())
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        r.cookie().unwrap()
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    /// The session token the reply sets.
    pub fn cookie(&self) -> Option<String> {
        let set = self.header("set-cookie")?;
        let value = set.split(';').next()?.split_once('=')?.1.to_string();
        (!value.is_empty()).then_some(value)
    }
}

/// The value of the hidden input `name` in a page.
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap() + marker.len();
    body[start..].split('"').next().unwrap().to_string()
}

/// Runs a test body on a dashboard over SQLite and over PostgreSQL, with [`PACK`] or the pack
/// given after the name.
#[macro_export]
macro_rules! both {
    ($name:ident, |$s:ident| $body:block) => {
        both!($name, PACK, |$s| $body);
    };
    ($name:ident, $pack:expr, |$s:ident| $body:block) => {
        mod $name {
            use super::*;
            async fn run($s: &Server) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = store_db::sqlite().await;
                run(&Server::start_with(&$pack, db.store.clone()).await).await;
                db.drop_db().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = store_db::postgres().await;
                run(&Server::start_with(&$pack, db.store.clone()).await).await;
                db.drop_db().await;
            }
        }
    };
}
