//! Dashboard logins and their sessions: typed rows only. How many failures lock an account,
//! how long a session lasts and which roles need a second factor are the app's rules
//! (`charter-app`'s `users.rs`); the store keeps what they decide.

use serde::Serialize;

use crate::db::Row;
use crate::error::{OnDuplicate, Result, check_len, check_text};
use crate::registers::SHORT;
use crate::time::show_us;
use crate::txn::Txn;

/// A dashboard login, as read back. Its secrets stay in the struct for the app to check and
/// are never serialised.
#[derive(Clone, Serialize, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: i64,
    /// The person in the people register it belongs to; their roles are its roles.
    pub person_id: i64,
    /// The name typed at login.
    pub login: String,
    /// The argon2id PHC string.
    #[serde(skip)]
    pub password_hash: String,
    /// The TOTP secret (base32), when one has been enrolled.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// The last TOTP time step accepted: a code for it or an earlier one is refused.
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    /// Failed attempts since the last success or reset.
    pub failed_logins: i64,
    /// When the account was locked for too many failures.
    pub locked_at: Option<String>,
    /// When it was made.
    pub created_at: String,
    /// When it was disabled.
    pub disabled_at: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("person_id", &self.person_id)
            .field("login", &self.login)
            .field("totp", &self.totp_secret.is_some())
            .field("failed_logins", &self.failed_logins)
            .field("locked_at", &self.locked_at)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

impl User {
    fn from_row(r: &Row) -> Result<User> {
        Ok(User {
            id: r.i64("id")?,
            person_id: r.opt_i64("person_id")?.unwrap_or_default(),
            login: r.text("login")?,
            password_hash: r.text("password_hash")?,
            totp_secret: r.opt_text("totp_secret")?,
            totp_last_step: r.opt_i64("totp_last_step")?,
            failed_logins: r.i64("failed_logins")?,
            locked_at: r.opt_i64("locked_at")?.map(show_us),
            created_at: show_us(r.i64("created_at")?),
            disabled_at: r.opt_i64("disabled_at")?.map(show_us),
        })
    }
}

/// A login to add.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    /// The person it belongs to.
    pub person_id: i64,
    /// The login name.
    pub login: &'a str,
    /// The argon2id PHC string.
    pub password_hash: &'a str,
    /// The TOTP secret, base32.
    pub totp_secret: Option<&'a str>,
    /// Now, UTC microseconds.
    pub at_us: i64,
}

/// A dashboard session, found by the hash of its token.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginSession {
    /// The SHA-256 of the token, hex.
    pub token_hash: String,
    /// The login.
    pub user_id: i64,
    /// The CSRF token the session's forms carry.
    pub csrf: String,
    /// Whether the second factor has been given (until then only the code form is open).
    pub second_factor: bool,
    /// When it ends, UTC microseconds.
    pub expires_us: i64,
}

impl std::fmt::Debug for LoginSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginSession")
            .field("user_id", &self.user_id)
            .field("second_factor", &self.second_factor)
            .field("expires_us", &self.expires_us)
            .finish_non_exhaustive()
    }
}

const USER_BY_ID: &str = "SELECT id, person_id, login, password_hash, totp_secret, totp_last_step, failed_logins, locked_at, created_at, disabled_at FROM users WHERE id = $1";
const USER_BY_LOGIN: &str = "SELECT id, person_id, login, password_hash, totp_secret, totp_last_step, failed_logins, locked_at, created_at, disabled_at FROM users WHERE login = $1";
const USERS: &str = "SELECT id, person_id, login, password_hash, totp_secret, totp_last_step, failed_logins, locked_at, created_at, disabled_at FROM users ORDER BY id";

impl Txn {
    /// Adds a login; a login name already taken is [`crate::Error::Duplicate`].
    pub async fn insert_user(&mut self, u: &NewUser<'_>) -> Result<User> {
        check_text("login", u.login, SHORT)?;
        check_len("password_hash", u.password_hash, SHORT)?;
        let id = self
            .tx
            .insert(
                "INSERT INTO users (person_id, login, password_hash, totp_secret, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[u.person_id.into(), u.login.into(), u.password_hash.into(), u.totp_secret.into(), u.at_us.into()],
            )
            .await
            .on_duplicate("login", u.login)?;
        self.user(id).await
    }

    /// The login with `id`.
    pub async fn user(&mut self, id: i64) -> Result<User> {
        self.by_id(USER_BY_ID, "user", id, User::from_row).await
    }

    /// The login named `login`, if any.
    pub async fn user_by_login(&mut self, login: &str) -> Result<Option<User>> {
        self.tx
            .row(USER_BY_LOGIN, &[login.into()])
            .await?
            .as_ref()
            .map(User::from_row)
            .transpose()
    }

    /// Every login, by id.
    pub async fn users(&mut self) -> Result<Vec<User>> {
        self.all(USERS, &[], User::from_row).await
    }

    /// Sets a new password and second-factor secret, clears failures and the lock, and
    /// enables the login again.
    pub async fn reset_user(
        &mut self,
        id: i64,
        password_hash: &str,
        totp_secret: Option<&str>,
    ) -> Result<User> {
        check_len("password_hash", password_hash, SHORT)?;
        let n = self
            .tx
            .exec(
                "UPDATE users SET password_hash = $2, totp_secret = $3, totp_last_step = NULL, failed_logins = 0, locked_at = NULL, disabled_at = NULL WHERE id = $1",
                &[id.into(), password_hash.into(), totp_secret.into()],
            )
            .await?;
        Txn::changed(n, "user", id)?;
        self.user(id).await
    }

    /// Disables a login at `at_us`.
    pub async fn disable_user(&mut self, id: i64, at_us: i64) -> Result<User> {
        let n = self
            .tx
            .exec(
                "UPDATE users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
                &[id.into(), at_us.into()],
            )
            .await?;
        Txn::changed(n, "user", id)?;
        self.user(id).await
    }

    /// Counts one more failed attempt, atomically on both engines (two failures at once are
    /// both counted); the count now.
    pub async fn count_user_failure(&mut self, id: i64) -> Result<i64> {
        let row = self
            .tx
            .row(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
                &[id.into()],
            )
            .await?
            .ok_or(crate::Error::NotFound { entity: "user", id })?;
        row.i64("failed_logins")
    }

    /// Clears the failure count after a full sign-in.
    pub async fn clear_user_failures(&mut self, id: i64) -> Result<()> {
        self.tx
            .exec(
                "UPDATE users SET failed_logins = 0 WHERE id = $1",
                &[id.into()],
            )
            .await?;
        Ok(())
    }

    /// Locks a login at `at_us`; false when it was already locked.
    pub async fn lock_user(&mut self, id: i64, at_us: i64) -> Result<bool> {
        let n = self
            .tx
            .exec(
                "UPDATE users SET locked_at = $2 WHERE id = $1 AND locked_at IS NULL",
                &[id.into(), at_us.into()],
            )
            .await?;
        Ok(n == 1)
    }

    /// Takes TOTP time step `step` for the login: false when that step or a later one was
    /// already used (a reused code), so two requests racing with one code cannot both pass.
    pub async fn take_totp_step(&mut self, id: i64, step: i64) -> Result<bool> {
        let n = self
            .tx
            .exec(
                "UPDATE users SET totp_last_step = $2, failed_logins = 0 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                &[id.into(), step.into()],
            )
            .await?;
        Ok(n == 1)
    }

    /// Opens a session.
    pub async fn insert_login_session(&mut self, s: &LoginSession, at_us: i64) -> Result<()> {
        self.tx
            .exec(
                "INSERT INTO sessions (id, user_id, created_at, expires_at, csrf, second_factor) VALUES ($1, $2, $3, $4, $5, $6)",
                &[s.token_hash.as_str().into(), s.user_id.into(), at_us.into(), s.expires_us.into(), s.csrf.as_str().into(), s.second_factor.into()],
            )
            .await?;
        Ok(())
    }

    /// The session whose token hashes to `token_hash`, if it exists.
    pub async fn login_session(&mut self, token_hash: &str) -> Result<Option<LoginSession>> {
        let row = self
            .tx
            .row(
                "SELECT id, user_id, csrf, second_factor, expires_at FROM sessions WHERE id = $1",
                &[token_hash.into()],
            )
            .await?;
        row.map(|r| {
            Ok(LoginSession {
                token_hash: r.text("id")?,
                user_id: r.i64("user_id")?,
                csrf: r.text("csrf")?,
                second_factor: r.bool("second_factor")?,
                expires_us: r.i64("expires_at")?,
            })
        })
        .transpose()
    }

    /// Ends one session.
    pub async fn delete_login_session(&mut self, token_hash: &str) -> Result<()> {
        self.tx
            .exec("DELETE FROM sessions WHERE id = $1", &[token_hash.into()])
            .await?;
        Ok(())
    }

    /// Ends every session of a login; how many.
    pub async fn delete_user_sessions(&mut self, user_id: i64) -> Result<u64> {
        self.tx
            .exec("DELETE FROM sessions WHERE user_id = $1", &[user_id.into()])
            .await
    }
}
