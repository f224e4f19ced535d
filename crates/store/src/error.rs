//! The store's error type.

use std::fmt;

/// Everything that can go wrong in the store: a missing or duplicate row, a value it cannot
/// keep, a write that lost a race, or the database itself. Whether a change is allowed is the
/// app's business (`charter-app`), not the store's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No row with that id.
    #[error("no {entity} with id {id}")]
    NotFound {
        /// What was looked for (`person`, `device`, ...).
        entity: &'static str,
        /// The id asked for.
        id: i64,
    },
    /// A unique value is already taken.
    #[error("{what} `{value}` already exists")]
    Duplicate {
        /// What must be unique (`device serial`, ...).
        what: &'static str,
        /// The value given.
        value: String,
    },
    /// A guarded write found the row no longer in the state it was read in: another writer
    /// changed it meanwhile.
    #[error("{entity} {id} was changed by someone else meanwhile: look at it again and retry")]
    Changed {
        /// What kind of thing.
        entity: &'static str,
        /// Its id.
        id: i64,
    },
    /// A field is longer than the store keeps.
    #[error("`{field}` is too long ({len} characters, at most {max})")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A field is malformed or missing.
    #[error("bad `{field}`: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The store URL is neither `sqlite://` nor `postgres://` (held with any password
    /// replaced by `***`: error text ends up in logs).
    #[error("bad store url `{0}`: expected sqlite://PATH or postgres://USER@HOST/DB")]
    Url(String),
    /// A migration failed.
    #[error("migration {version} ({name}) failed: {}", describe(.cause))]
    Migration {
        /// Its number.
        version: i64,
        /// Its name.
        name: &'static str,
        /// Why (stated in the message, so not also a source).
        cause: sqlx::Error,
    },
    /// The database server could not be reached: nothing listens there, the name does not
    /// resolve, or it gave no answer in time.
    #[error("cannot reach {engine} at {address}: {reason}")]
    Unreachable {
        /// `PostgreSQL`.
        engine: &'static str,
        /// Host and port (or socket path), never the credentials.
        address: String,
        /// Why, in a few words (`connection refused`).
        reason: String,
    },
    /// The database refused or failed. The message states the cause once: the driver's error
    /// is not also given as the source, which would print it a second time in a chain.
    #[error("database error: {}", describe(.0))]
    Database(sqlx::Error),
    /// The spool (`charter serve`'s disk buffer) could not be read or written.
    #[error(transparent)]
    Spool(#[from] crate::spool::SpoolError),
}

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        Error::Database(e)
    }
}

/// The driver's error in a few words, without the driver's own prefixes ("error returned from
/// database: ", "error communicating with database: ") or the server's source line.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        sqlx::Error::Io(io) => io_reason(io),
        sqlx::Error::PoolTimedOut => "no connection came free in time".to_string(),
        other => other.to_string(),
    }
}

/// An I/O error in words: `connection refused`, `no such file or directory`, without the
/// operating system's error number.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => format!("{:?}", e.kind()),
    }
}

impl Error {
    /// Whether this is a unique-constraint violation from the database.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, Error::Database(sqlx::Error::Database(d))
            if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
    }

    /// Whether this record's content is what the store refused (too long, malformed, a
    /// character the database cannot hold, a constraint), so that retrying it can never work
    /// and it must be set aside; anything else (the server down, a lock, a full disk) may pass
    /// on a later try.
    pub fn is_bad_data(&self) -> bool {
        match self {
            Error::TooLong { .. } | Error::Invalid { .. } => true,
            Error::Database(sqlx::Error::Encode(_)) => true,
            Error::Database(sqlx::Error::Database(d)) => {
                use sqlx::error::ErrorKind;
                let code = d.code();
                let code = code.as_deref().unwrap_or_default();
                !matches!(d.kind(), ErrorKind::Other)
                    // PostgreSQL: data exception (invalid or untranslatable text), integrity
                    // constraint violation.
                    || code.starts_with("22")
                    || code.starts_with("23")
                    // SQLite: too big, constraint, datatype mismatch (primary result codes).
                    || code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 18..=20))
            }
            _ => false,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl fmt::Display) -> Error {
        Error::Invalid {
            field,
            reason: reason.to_string(),
        }
    }
}

/// Turns a named unique-constraint violation into [`Error::Duplicate`], as realworld's
/// `on_constraint` does: the database is the one place that can check uniqueness without
/// a race, and the caller gets a domain error rather than a driver message.
pub(crate) trait OnDuplicate<T> {
    fn on_duplicate(self, what: &'static str, value: &str) -> Result<T>;
}

impl<T> OnDuplicate<T> for Result<T> {
    fn on_duplicate(self, what: &'static str, value: &str) -> Result<T> {
        self.map_err(|e| {
            if e.is_unique_violation() {
                Error::Duplicate {
                    what,
                    value: value.to_string(),
                }
            } else {
                e
            }
        })
    }
}

/// Refuses text longer than `max` characters, or holding NUL.
pub(crate) fn check_len(field: &'static str, value: &str, max: usize) -> Result<()> {
    // PostgreSQL cannot store NUL in text; refuse it on both engines alike.
    if value.contains('\0') {
        return Err(Error::invalid(field, "contains a NUL character"));
    }
    let len = value.chars().count();
    if len > max {
        return Err(Error::TooLong { field, len, max });
    }
    Ok(())
}

/// Refuses empty or over-long text.
pub(crate) fn check_text(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    check_len(field, value, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_database_error_states_its_cause_once() {
        let e = Error::from(sqlx::Error::Io(std::io::Error::from_raw_os_error(2)));
        assert_eq!(e.to_string(), "database error: no such file or directory");
        assert!(e.source().is_none());
    }

    #[test]
    fn io_reasons_drop_the_error_number() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(io_reason(&refused), "connection refused");
        assert_eq!(
            io_reason(&std::io::Error::from_raw_os_error(111)),
            "connection refused"
        );
    }

    #[test]
    fn unreachable_names_the_address() {
        let e = Error::Unreachable {
            engine: "PostgreSQL",
            address: "127.0.0.1:1".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot reach PostgreSQL at 127.0.0.1:1: connection refused"
        );
    }
}
