//! What the engine is told about the world: who, with which roles, and when.

use std::sync::Arc;

use charter_policy::window::WindowStates;
use jiff::Timestamp;

/// The context of one event. The engine reads no clock and looks nothing up: the gateway
/// fills this in.
#[derive(Debug, Clone)]
pub struct Context {
    /// The user. `None` when the question is not about a user (`check url` without
    /// `--user`); `Some("-")` or `Some("")` when a gateway saw a request with no login, as
    /// Squid writes it. Only the latter is an `unknown_user`.
    pub user: Option<String>,
    /// The user's roles (from the people register or `--roles`); shared, since a gateway
    /// hands the same person's roles to every request of theirs.
    pub roles: Arc<[String]>,
    /// When the event happened.
    pub at: Timestamp,
    /// The user's passes in force: approvals of access requests and warnings they continued
    /// past (the gateway takes them from the approvals table).
    pub passes: Vec<Pass>,
    /// Whether each of the pack's windows holds at `at`, when the gateway worked it out
    /// once for a stretch of requests ([`charter_policy::window::Windows::states_at`]);
    /// `None`: the engine works it out from `at`. The answer is the same either way.
    pub windows: Option<Arc<WindowStates>>,
}

/// Why a person may pass a rule on one site for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassKind {
    /// They read the warning and chose to continue: lifts a `warn`, never a `hold`.
    Continued,
    /// An approver approved their access request (its id): lifts a `hold` or a `warn`.
    Approved(i64),
}

/// One pass in force for the person: on `site` (as [`crate::web::site_of`] gives it), rule
/// `rule` no longer stops them, until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    /// The site: a registrable host such as `bet365.com` or `bbc.co.uk`.
    pub site: String,
    /// The rule's id.
    pub rule: String,
    /// Where the pass comes from.
    pub kind: PassKind,
    /// When it ends.
    pub until: Timestamp,
}

impl Context {
    /// A context for `user` with `roles` at `at`, with no passes.
    pub fn new(user: Option<String>, roles: Vec<String>, at: Timestamp) -> Context {
        Context::with_shared_roles(user, roles.into(), at)
    }

    /// A context for `user` with `roles` shared with the gateway's table at `at`, with no
    /// passes.
    pub fn with_shared_roles(user: Option<String>, roles: Arc<[String]>, at: Timestamp) -> Context {
        Context {
            user,
            roles,
            at,
            passes: Vec::new(),
            windows: None,
        }
    }

    /// This context with the pack's window states at `at`, worked out by the gateway.
    pub fn with_windows(mut self, windows: Arc<WindowStates>) -> Context {
        self.windows = Some(windows);
        self
    }

    /// This context with the person's `passes`.
    pub fn with_passes(mut self, passes: Vec<Pass>) -> Context {
        self.passes = passes;
        self
    }

    /// Whether a gateway reported the request as coming from no identified user.
    pub fn is_unidentified(&self) -> bool {
        self.user
            .as_deref()
            .is_some_and(|u| u.is_empty() || u == "-")
    }

    /// The pass in force at this time for `rule` on `site`, if any.
    pub fn pass_for(&self, site: &str, rule: &str) -> Option<&Pass> {
        self.passes
            .iter()
            .find(|p| p.rule == rule && p.site == site && p.until > self.at)
    }
}
