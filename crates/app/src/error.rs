//! The app's error type: what was refused and why, in words a policy owner can act on.

/// Everything a workflow action can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed or refused the data (missing row, duplicate, too long, database).
    #[error(transparent)]
    Store(#[from] charter_store::Error),
    /// The one acting does not hold a role the pack gives this action to.
    #[error("{actor} may not {action}: it needs one of the roles {roles}")]
    NotAuthorised {
        /// Who tried: `person 3 (Pat Jones)`, or `the operator`.
        actor: String,
        /// What they tried.
        action: &'static str,
        /// The roles that may, comma-separated (or `none configured in the pack`).
        roles: String,
    },
    /// The thing is not in a state where this can be done.
    #[error("{what} is {state}: cannot {action}")]
    Transition {
        /// What it is, named: `device 4 (laptop SN-1)`.
        what: String,
        /// The state it is in.
        state: String,
        /// What was asked.
        action: &'static str,
    },
    /// The policy or the law refuses it, for the reason given.
    #[error("{0}")]
    Refused(String),
    /// No person matches what was given.
    #[error(
        "no person matches `{0}`: give an id, a full name or an account name such as an email address"
    )]
    NoSuchPerson(String),
    /// More than one person matches a name.
    #[error("`{query}` names {count} people: {candidates}; give the id instead")]
    Ambiguous {
        /// What was given.
        query: String,
        /// How many match.
        count: usize,
        /// Each, as `person 3 (Pat Jones, pat.jones@example.org)`.
        candidates: String,
    },
    /// A time or date that cannot be read.
    #[error(transparent)]
    Time(#[from] crate::time::TimeError),
    /// Roles the pack does not declare, given to a person.
    #[error(transparent)]
    Roles(#[from] charter_policy::UndeclaredRoles),
}

/// The app's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::Transition`].
    pub(crate) fn state(
        what: String,
        state: impl std::fmt::Display,
        action: &'static str,
    ) -> Error {
        Error::Transition {
            what,
            state: state.to_string(),
            action,
        }
    }
}
