//! What the engine is told about the world: who, with which roles, and when.

use jiff::Timestamp;

/// The context of one event. The engine reads no clock and looks nothing up: the gateway
/// fills this in.
#[derive(Debug, Clone)]
pub struct Context {
    /// The user, when known (proxy login, SMTP sender).
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
}
