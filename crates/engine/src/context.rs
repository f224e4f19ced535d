//! What the engine is told about the world: who, with which roles, and when.

use jiff::Timestamp;

/// The context of one event. The engine reads no clock and looks nothing up: the gateway
/// fills this in.
#[derive(Debug, Clone)]
pub struct Context {
    /// The user. `None` when the question is not about a user (`check url` without
    /// `--user`); `Some("-")` or `Some("")` when a gateway saw a request with no login, as
    /// Squid writes it. Only the latter is an `unknown_user`.
    pub user: Option<String>,
    /// The user's roles (from the people register or `--roles`).
    pub roles: Vec<String>,
    /// When the event happened.
    pub at: Timestamp,
}

impl Context {
    /// A context for `user` with `roles` at `at`.
    pub fn new(user: Option<String>, roles: Vec<String>, at: Timestamp) -> Context {
        Context { user, roles, at }
    }

    /// Whether a gateway reported the request as coming from no identified user.
    pub fn is_unidentified(&self) -> bool {
        self.user
            .as_deref()
            .is_some_and(|u| u.is_empty() || u == "-")
    }
}
