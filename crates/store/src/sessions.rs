//! Sign-in sessions seen in the logs, for `concurrent_sessions`: opened by a successful login,
//! closed by the matching logout. The store keeps them so a restart forgets nobody signed in
//! and several `serve` nodes share one view; how long an unclosed session counts is the
//! app's rule, passed in as `since`.

use serde::Serialize;

use crate::db::Row;
use crate::error::{Result, check_len, check_text};
use crate::registers::SHORT;
use crate::time::show_us;
use crate::txn::Txn;

/// A session to open.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    /// The account name the line gave.
    pub account: &'a str,
    /// The system (`vpn`, `ssh`, `mail`, `other`).
    pub system: &'a str,
    /// The format's session identifier, when it has one.
    pub session: Option<&'a str>,
    /// Where from (an address); empty when the line does not say.
    pub place: &'a str,
    /// The host or program that reported it.
    pub reporter: &'a str,
    /// When it started, UTC microseconds.
    pub started_us: i64,
}

/// One session.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ActivitySession {
    /// Id.
    pub id: i64,
    /// The account.
    pub account: String,
    /// The system.
    pub system: String,
    /// The session identifier.
    pub session: Option<String>,
    /// Where from; empty when unknown.
    pub place: String,
    /// Who reported it.
    pub reporter: String,
    /// When it started.
    pub started_at: String,
    /// When it ended, if a logout closed it.
    pub ended_at: Option<String>,
}

impl ActivitySession {
    fn from_row(r: &Row) -> Result<ActivitySession> {
        Ok(ActivitySession {
            id: r.i64("id")?,
            account: r.text("account")?,
            system: r.text("system")?,
            session: r.opt_text("session")?,
            place: r.text("place")?,
            reporter: r.text("reporter")?,
            started_at: show_us(r.i64("started_at")?),
            ended_at: r.opt_i64("ended_at")?.map(show_us),
        })
    }
}

impl Txn {
    /// Opens a session; its id.
    pub async fn open_activity_session(&mut self, s: &NewSession<'_>) -> Result<i64> {
        check_text("account", s.account, SHORT)?;
        check_text("system", s.system, SHORT)?;
        check_len("place", s.place, SHORT)?;
        check_len("reporter", s.reporter, SHORT)?;
        if let Some(id) = s.session {
            check_len("session", id, SHORT)?;
        }
        self.tx
            .insert(
                "INSERT INTO activity_sessions (account, system, session, place, reporter, started_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[s.account.into(), s.system.into(), s.session.into(), s.place.into(), s.reporter.into(), s.started_us.into()],
            )
            .await
    }

    /// Closes the open sessions of `account` on `system` that started by `at_us` and match
    /// `session` (when the format has identifiers), else `place` (when the line says where
    /// from), else all of them; how many it closed. A sign-in repeated under one identifier
    /// or from one place is one session as far as its sign-out goes.
    pub async fn close_activity_session(
        &mut self,
        account: &str,
        system: &str,
        session: Option<&str>,
        place: Option<&str>,
        at_us: i64,
    ) -> Result<u64> {
        let (sql, key) = match (session, place) {
            (Some(id), _) => (
                "UPDATE activity_sessions SET ended_at = $3 WHERE account = $1 AND system = $2 AND ended_at IS NULL AND started_at <= $3 AND session = $4",
                Some(id),
            ),
            (None, Some(p)) => (
                "UPDATE activity_sessions SET ended_at = $3 WHERE account = $1 AND system = $2 AND ended_at IS NULL AND started_at <= $3 AND place = $4",
                Some(p),
            ),
            (None, None) => (
                "UPDATE activity_sessions SET ended_at = $3 WHERE account = $1 AND system = $2 AND ended_at IS NULL AND started_at <= $3",
                None,
            ),
        };
        let mut args = vec![account.into(), system.into(), at_us.into()];
        args.extend(key.map(Into::into));
        self.tx.exec(sql, &args).await
    }

    /// The sessions of `account`, on any system, open at `at_us` and started after
    /// `since_us`, oldest first.
    pub async fn open_activity_sessions(
        &mut self,
        account: &str,
        since_us: i64,
        at_us: i64,
    ) -> Result<Vec<ActivitySession>> {
        self.all(
            "SELECT * FROM activity_sessions WHERE account = $1 AND started_at > $2 AND started_at <= $3 AND (ended_at IS NULL OR ended_at > $3) ORDER BY started_at, id",
            &[account.into(), since_us.into(), at_us.into()],
            ActivitySession::from_row,
        )
        .await
    }
}
