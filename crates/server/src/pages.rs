//! The warn and hold pages.
//!
//! `GET /page?t=TOKEN&url=URL` shows the page the signed token names: a warning with
//! Continue, or a hold with "Ask for access". `POST /page/continue` and `POST /page/ask` act
//! on it. Who the person is comes only from the token, which the gateway that refused them
//! signed (`charter_gateways::pass`); a name anywhere else in a request is never believed.
//! The forms carry the token itself, so a page on another site cannot post them for someone
//! (it cannot know the token), and a post whose `Origin` is not the pages' own is refused.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Query, Request, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use charter_app::serve::PagesContext;
use charter_app::{App, Stopped};
use charter_engine::web::{CategorySource, Target, WebRequest, site_of};
use charter_engine::{Context, Engine, Pass, PassKind};
use charter_gateways::pass::{PageKind, PageToken, Pages, Passes};
use charter_gateways::record::{Recorded, Recorder};
use charter_gateways::web::Clock;
use charter_policy::Area;
use charter_store::Actor;

use crate::html;

/// The largest form accepted.
const MAX_FORM: usize = 16 * 1024;
/// How long one request may take.
const REQUEST_TIME: Duration = Duration::from_secs(15);

/// What the pages run with (see [`PagesContext`]).
pub struct State {
    app: Arc<OnceLock<App>>,
    engine: Arc<Engine>,
    source: Arc<dyn CategorySource + Send + Sync>,
    clock: Clock,
    passes: Passes,
    pages: Pages,
    recorder: Recorder,
    /// `scheme://host[:port]` of the public address, for the `Origin` check.
    origin: String,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl State {
    /// The state for `context`'s pages (its listener is not used).
    pub fn new(context: &PagesContext) -> State {
        State {
            app: Arc::clone(&context.app),
            engine: Arc::clone(&context.engine),
            source: Arc::clone(&context.source),
            clock: context.clock,
            passes: context.passes.clone(),
            pages: context.pages.clone(),
            recorder: context.recorder.clone(),
            origin: origin_of(context.pages.public_url()),
        }
    }
}

/// `scheme://authority` of `url`.
pub(crate) fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or_default();
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// Runs the pages on `context`'s listener until the listener fails.
pub fn run(context: PagesContext) -> Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> {
    let state = Arc::new(State::new(&context));
    let dashboard = Arc::new(crate::dashboard::Dashboard::new(
        Arc::clone(&context.app),
        context.pages.public_url(),
    ));
    let listener = context.listener;
    let routes = router(state).merge(crate::dashboard::router(dashboard));
    Box::pin(async move {
        axum::serve(
            listener,
            routes.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    })
}

/// The routes.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/page", get(show))
        .route("/page/continue", post(continue_past))
        .route("/page/ask", post(ask))
        .layer(DefaultBodyLimit::max(MAX_FORM))
        .layer(middleware::from_fn(time_limit))
        .with_state(state)
}

pub(crate) async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIME, next.run(request)).await {
        Ok(response) => response,
        Err(_) => refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "This took too long; try again.",
        )
        .into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    t: String,
    #[serde(default)]
    url: String,
}

#[derive(Debug, Deserialize)]
struct ActForm {
    t: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    reason: String,
}

/// A page saying why nothing was done.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    why: String,
}

fn refusal(status: StatusCode, why: &str) -> Refusal {
    Refusal {
        status,
        why: why.to_string(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = html::page("Charter", &html::para(&self.why));
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            Html(body),
        )
            .into_response()
    }
}

fn ok_page(title: &str, body: &str) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(html::page(title, body)),
    )
        .into_response()
}

impl State {
    /// The token in `text`, if it checks and is for the `kind` page.
    fn token(&self, text: &str, kind: Option<PageKind>) -> Result<PageToken, Refusal> {
        let token = PageToken::verify(text, self.pages.key(), self.clock.now())
            .map_err(|e| refusal(StatusCode::FORBIDDEN, &e.to_string()))?;
        match kind {
            Some(kind) if token.kind != kind => Err(refusal(
                StatusCode::FORBIDDEN,
                "This link is for another page.",
            )),
            _ => Ok(token),
        }
    }

    /// The app, once the store is reachable.
    fn app(&self) -> Result<&App, Refusal> {
        self.app.get().ok_or_else(|| {
            refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "Charter cannot reach its store just now; try again in a minute.",
            )
        })
    }

    /// The person the token names, as the register knows them.
    async fn person(&self, app: &App, token: &PageToken) -> Result<Actor, Refusal> {
        app.person_for_login(&token.user)
            .await
            .map(Actor::Person)
            .map_err(|_| {
                refusal(
                    StatusCode::FORBIDDEN,
                    &format!(
                        "The login {} is not in the people register, so nothing can be recorded for it; ask {}.",
                        token.user,
                        self.contact()
                    ),
                )
            })
    }

    fn contact(&self) -> String {
        charter_gateways::web::contact(self.engine.pack())
    }

    /// The rule's clause and words.
    fn clause(&self, rule: &str) -> (String, String) {
        self.engine
            .pack()
            .rule(rule)
            .map_or_else(Default::default, |r| {
                (
                    r.clause.clone().unwrap_or_default(),
                    r.quote.clone().unwrap_or_default(),
                )
            })
    }

    /// Who acts on a `kind` page's form: the post from the pages' own origin, its token
    /// good, the store reachable and the person in the register.
    async fn acting(
        &self,
        headers: &HeaderMap,
        form: &ActForm,
        kind: PageKind,
    ) -> Result<(PageToken, &App, Actor), Refusal> {
        self.same_origin(headers)?;
        let token = self.token(&form.t, Some(kind))?;
        let app = self.app()?;
        let actor = self.person(app, &token).await?;
        Ok((token, app, actor))
    }

    /// Refuses a post from a page on another origin.
    fn same_origin(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let cross = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .is_some_and(|o| o != "null" && origin_of(o) != self.origin)
            || headers
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == "cross-site");
        if cross {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "This form was sent from another site; open the page again.",
            ));
        }
        Ok(())
    }
}

/// `url` when it is an http(s) address on the token's site: the only place a page sends
/// anyone back to.
fn same_site<'a>(url: &'a str, token: &PageToken) -> Option<&'a str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return None;
    }
    let target = Target::parse(url).ok()?;
    (site_of(target.host()) == token.site).then_some(url)
}

async fn show(Shared(state): Shared<Arc<State>>, Query(q): Query<PageQuery>) -> Response {
    let token = match state.token(&q.t, None) {
        Ok(t) => t,
        Err(refusal) => return refusal.into_response(),
    };
    let (clause, quote) = state.clause(&token.rule);
    let stopped = html::stopped(&token.site, &token.rule, &clause, &quote);
    let url = same_site(&q.url, &token).unwrap_or_default();
    match token.kind {
        PageKind::Warn => ok_page(
            "Think before you continue",
            &format!(
                "{}\n{stopped}\n{}\n{}",
                html::para(
                    "Your organisation's IT policy asks you to think before using this site."
                ),
                html::para(
                    "If you continue, that is recorded, and you will not be asked again on this site until the period the rule covers ends."
                ),
                html::form("/page/continue", &q.t, url, "", "Continue"),
            ),
        ),
        PageKind::Hold => ok_page(
            "Held for authorisation",
            &format!(
                "{}\n{stopped}\n{}",
                html::para(
                    "Your organisation's IT policy needs someone to approve this site for you before you use it."
                ),
                html::form(
                    "/page/ask",
                    &q.t,
                    url,
                    "<p><label for=\"reason\">Why you need it (optional)</label><br>\n<textarea id=\"reason\" name=\"reason\" rows=\"4\" cols=\"60\" maxlength=\"2000\"></textarea></p>\n",
                    "Ask for access",
                ),
            ),
        ),
    }
}

async fn continue_past(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Form(form): Form<ActForm>,
) -> Response {
    let done = async {
        let (token, app, actor) = state.acting(&headers, &form, PageKind::Warn).await?;
        let url = same_site(&form.url, &token);
        let at = state.clock.now();
        let stopped = Stopped {
            site: &token.site,
            rule: &token.rule,
            url,
        };
        let approval = app
            .continue_after_warning(&actor, stopped, at)
            .await
            .map_err(|e| refusal(StatusCode::FORBIDDEN, &e.to_string()))?;
        let pass = Pass {
            site: token.site.clone(),
            rule: token.rule.clone(),
            kind: PassKind::Continued,
            until: app.continue_until(at),
        };
        state.passes.add(&token.user, pass);
        state.record(&token, url, at);
        eprintln!(
            "charter serve: approval={} rule={}: Warning continued past; pass in force.",
            approval.id, token.rule
        );
        Ok::<Response, Refusal>(match url {
            Some(url) => Redirect::to(url).into_response(),
            None => ok_page(
                "You may continue",
                &html::para(&format!(
                    "You may now use {} until the period the rule covers ends.",
                    token.site
                )),
            ),
        })
    };
    done.await.unwrap_or_else(IntoResponse::into_response)
}

impl State {
    /// The monitoring record of a Continue: the request decided again with the pass in
    /// force, so the record keeps the rule, with `log` and "continued after the warning".
    fn record(&self, token: &PageToken, url: Option<&str>, at: jiff::Timestamp) {
        let subject = url.map_or_else(|| format!("http://{}/", token.site), str::to_string);
        let ctx = Context::new(Some(token.user.clone()), Vec::new(), at)
            .with_passes(self.passes.of(Some(&token.user)));
        let decision =
            self.engine
                .decide_web(&ctx, &WebRequest::new(&subject), self.source.as_ref());
        self.recorder.record(Recorded {
            at,
            user: Some(token.user.clone()),
            source: Area::Web,
            subject,
            decision,
        });
    }
}

async fn ask(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Form(form): Form<ActForm>,
) -> Response {
    let done = async {
        let (token, app, actor) = state.acting(&headers, &form, PageKind::Hold).await?;
        let stopped = Stopped {
            site: &token.site,
            rule: &token.rule,
            url: same_site(&form.url, &token),
        };
        let asked = app
            .ask_for_access(&actor, stopped, form.reason.trim())
            .await
            .map_err(|e| refusal(StatusCode::FORBIDDEN, &e.to_string()))?;
        let approvers = app.pack().governance.access_approvers.join(", ");
        Ok::<Response, Refusal>(ok_page(
            "Request sent",
            &format!(
                "{}\n{}",
                html::para(&format!(
                    "Your request for access to {} (request {}) has gone to the approvers ({}).",
                    token.site, asked.id, approvers
                )),
                html::para(
                    "Once one of them approves it, the site will open for you; nobody may approve their own request."
                ),
            ),
        ))
    };
    done.await.unwrap_or_else(IntoResponse::into_response)
}
