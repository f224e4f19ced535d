//! The thin portable layer under every query: one SQL text (`$1` placeholders work on both
//! engines), arguments as [`Arg`], rows read by column name. Register code is written once
//! against [`Tx`]; only connection set-up, migrations and the bulk record path differ by engine.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row as _, Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{Error, Result};

/// The database behind a [`crate::Store`].
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite(Lite),
    Postgres(PgPool),
}

/// A SQLite store: the pool everything uses, and one connection kept for bulk record
/// writes. The bulk connection never checkpoints the WAL itself (`wal_autocheckpoint = 0`):
/// after each bulk commit a passive checkpoint runs on another connection, on another
/// thread, so copying pages into the database file does not hold up the next batch.
#[derive(Debug, Clone)]
pub(crate) struct Lite {
    pool: SqlitePool,
    bulk: SqlitePool,
    checkpointing: Arc<AtomicBool>,
    /// The process's turn to write: SQLite has one writer at a time, and connections that
    /// find the lock taken poll for it with sleeps that grow to 100 ms. Writers of this
    /// process wait here instead, first come first served, and meet the busy handler only
    /// when another process writes.
    writer: Arc<Mutex<()>>,
}

/// How long a writer waits for its turn before giving up (as SQLite's busy timeout).
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One file, WAL.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Creates the SQLite file at `path` readable and writable by its owner only, when it is
/// missing, before SQLite opens it: the store holds personal data, and SQLite gives its
/// `-wal` and `-shm` files the database file's mode.
fn create_private(path: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if path == ":memory:" {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::Database(sqlx::Error::Io(e))),
    }
}

/// `url` fit for a log line or an error: the password, in the user part or a `password=`
/// parameter, replaced by `***` (`postgres://charter:***@db/charter`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // A SQLite URL is a path, which may hold `:` and `@`; it has no password.
    if scheme == "sqlite" {
        return url.to_string();
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut out = format!("{scheme}://");
    match before_query.rsplit_once('@') {
        Some((userinfo, host)) => {
            match userinfo.split_once(':') {
                Some((user, _password)) => out.push_str(&format!("{user}:***")),
                None => out.push_str(userinfo),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
}

/// How long opening a PostgreSQL store waits for the server before saying it cannot be
/// reached. A command run by a person fails within this; `charter serve`, which keeps trying
/// while the store is down, tries again after it.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Where a PostgreSQL server is: `host:port`, or the socket's directory.
fn pg_address(options: &PgConnectOptions) -> String {
    match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    }
}

/// One connection attempt, bounded by [`CONNECT_TIMEOUT`], that tells a server nobody can
/// reach (refused, unknown name, no answer) from one that answered and refused the login or
/// the database. The pool's own first connection would retry a refused connection until its
/// acquire timeout and then report only that it timed out.
async fn reach(options: &PgConnectOptions) -> Result<()> {
    use sqlx::{ConnectOptions as _, Connection as _};
    let unreachable = |reason: String| Error::Unreachable {
        engine: "PostgreSQL",
        address: pg_address(options),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(sqlx::Error::Io(e))) => Err(unreachable(crate::error::io_reason(&e))),
        Ok(Err(sqlx::Error::Tls(e))) => Err(unreachable(format!("TLS failed: {e}"))),
        Ok(Err(e)) => Err(Error::Database(e)),
        Ok(Ok(connection)) => {
            // Only a probe: the pool makes its own connections.
            let _ = connection.close().await;
            Ok(())
        }
    }
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "registers",
        include_str!("../migrations/sqlite/0001_registers.sql"),
    ),
    (
        2,
        "ids_and_notices",
        include_str!("../migrations/sqlite/0002_ids_and_notices.sql"),
    ),
    (
        3,
        "spool_marks",
        include_str!("../migrations/sqlite/0003_spool_marks.sql"),
    ),
    (
        4,
        "device_network",
        include_str!("../migrations/sqlite/0004_device_network.sql"),
    ),
    (
        5,
        "approvals",
        include_str!("../migrations/sqlite/0005_approvals.sql"),
    ),
    (
        6,
        "ingest_positions",
        include_str!("../migrations/sqlite/0006_ingest_positions.sql"),
    ),
    (
        7,
        "activity_sessions",
        include_str!("../migrations/sqlite/0007_activity_sessions.sql"),
    ),
    (
        8,
        "usage_daily",
        include_str!("../migrations/sqlite/0008_usage_daily.sql"),
    ),
    (
        9,
        "alerts",
        include_str!("../migrations/sqlite/0009_alerts.sql"),
    ),
    (
        11,
        "dashboard",
        include_str!("../migrations/sqlite/0011_dashboard.sql"),
    ),
    (
        12,
        "report",
        include_str!("../migrations/sqlite/0012_report.sql"),
    ),
    (
        13,
        "authorisations",
        include_str!("../migrations/sqlite/0013_authorisations.sql"),
    ),
    (
        17,
        "model_alerts",
        include_str!("../migrations/sqlite/0017_model_alerts.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "registers",
        include_str!("../migrations/postgres/0001_registers.sql"),
    ),
    (
        2,
        "ids_and_notices",
        include_str!("../migrations/postgres/0002_ids_and_notices.sql"),
    ),
    (
        3,
        "spool_marks",
        include_str!("../migrations/postgres/0003_spool_marks.sql"),
    ),
    (
        4,
        "device_network",
        include_str!("../migrations/postgres/0004_device_network.sql"),
    ),
    (
        5,
        "approvals",
        include_str!("../migrations/postgres/0005_approvals.sql"),
    ),
    (
        6,
        "ingest_positions",
        include_str!("../migrations/postgres/0006_ingest_positions.sql"),
    ),
    (
        7,
        "activity_sessions",
        include_str!("../migrations/postgres/0007_activity_sessions.sql"),
    ),
    (
        8,
        "usage_daily",
        include_str!("../migrations/postgres/0008_usage_daily.sql"),
    ),
    (
        9,
        "alerts",
        include_str!("../migrations/postgres/0009_alerts.sql"),
    ),
    (
        11,
        "dashboard",
        include_str!("../migrations/postgres/0011_dashboard.sql"),
    ),
    (
        12,
        "report",
        include_str!("../migrations/postgres/0012_report.sql"),
    ),
    (
        13,
        "authorisations",
        include_str!("../migrations/postgres/0013_authorisations.sql"),
    ),
    (
        17,
        "model_alerts",
        include_str!("../migrations/postgres/0017_model_alerts.sql"),
    ),
];

impl Lite {
    async fn turn(&self) -> Result<OwnedMutexGuard<()>> {
        tokio::time::timeout(WRITE_WAIT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| Error::Database(sqlx::Error::PoolTimedOut))
    }
}

impl Backend {
    /// Connects to `url` (`sqlite://PATH` or `postgres://...`), creating a SQLite file if
    /// needed, and brings the schema up to date.
    pub(crate) async fn connect(url: &str) -> Result<Backend> {
        let backend = if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(Error::Url(url.to_string()));
            }
            create_private(path)?;
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                // 16 KiB pages: a bulk commit dirties and logs fewer pages (a full ingest
                // takes about 6 % less time than with 4 KiB). A file keeps the page size it
                // was created with.
                .page_size(16384)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL in WAL mode: a commit survives the process being killed (the
                // WAL is written before commit returns); only a power cut can lose the
                // last transactions, never corrupt the file.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(WRITE_WAIT)
                .foreign_keys(true)
                // Bulk record writes touch three indexes: keep their pages in memory, keep
                // statement journals off disk, and checkpoint the WAL less often (each
                // checkpoint fsyncs the database file).
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
                .pragma("wal_autocheckpoint", "10000");
            let bulk_options = options.clone().pragma("wal_autocheckpoint", "0");
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?;
            // Lazy: it first connects after the migrations below have run.
            let bulk = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_lazy_with(bulk_options);
            Backend::Sqlite(Lite {
                pool,
                bulk,
                checkpointing: Arc::new(AtomicBool::new(false)),
                writer: Arc::new(Mutex::new(())),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options =
                PgConnectOptions::from_str(url).map_err(|_| Error::Url(redact_url(url)))?;
            reach(&options).await?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Backend::Postgres(pool)
        } else {
            return Err(Error::Url(redact_url(url)));
        };
        backend.migrate().await?;
        Ok(backend)
    }

    pub(crate) fn engine(&self) -> Engine {
        match self {
            Backend::Sqlite(_) => Engine::Sqlite,
            Backend::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies the migrations not yet applied, each in its own transaction.
    async fn migrate(&self) -> Result<()> {
        const CREATE: &str = "CREATE TABLE IF NOT EXISTS charter_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
        let migrations = match self {
            Backend::Sqlite(_) => SQLITE_MIGRATIONS,
            Backend::Postgres(_) => POSTGRES_MIGRATIONS,
        };
        let mut tx = self.begin_write().await?;
        tx.exec(CREATE, &[]).await?;
        // INVARIANT: the migration lock is held until commit, so two processes opening a
        // new store at once do not both apply version 1.
        if let Tx::Postgres(t) = &mut tx {
            sqlx::query("SELECT pg_advisory_xact_lock(7236111)")
                .execute(&mut **t)
                .await?;
        }
        let applied: Vec<i64> = tx
            .rows("SELECT version FROM charter_migrations", &[])
            .await?
            .iter()
            .map(|r| r.i64("version"))
            .collect::<Result<_>>()?;
        for &(version, name, sql) in migrations {
            if applied.contains(&version) {
                continue;
            }
            let res = match &mut tx {
                Tx::Sqlite(t, _) => sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut **t)
                    .await
                    .map(|_| ()),
                Tx::Postgres(t) => sqlx::raw_sql(AssertSqlSafe(sql))
                    .execute(&mut **t)
                    .await
                    .map(|_| ()),
            };
            res.map_err(|cause| Error::Migration {
                version,
                name,
                cause,
            })?;
            tx.exec(
                "INSERT INTO charter_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[version.into(), name.into(), crate::time::now_us().into()],
            )
            .await?;
        }
        tx.commit().await
    }

    /// A transaction that will write. SQLite takes the write lock at once (`BEGIN
    /// IMMEDIATE`), after the process's turn, so that a read followed by a write cannot fail
    /// on lock upgrade.
    pub(crate) async fn begin_write(&self) -> Result<Tx> {
        Ok(match self {
            Backend::Sqlite(l) => {
                let turn = l.turn().await?;
                Tx::Sqlite(l.pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Backend::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction for a bulk write of monitoring records.
    pub(crate) async fn begin_bulk(&self) -> Result<Tx> {
        Ok(match self {
            Backend::Sqlite(l) => {
                let turn = l.turn().await?;
                Tx::Sqlite(l.bulk.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Backend::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// After a bulk commit: start a passive WAL checkpoint in the background unless one is
    /// already running. Passive checkpoints never block writers or readers.
    pub(crate) fn after_bulk(&self) {
        let Backend::Sqlite(l) = self else { return };
        if tokio::runtime::Handle::try_current().is_err()
            || l.checkpointing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let (pool, flag) = (l.pool.clone(), l.checkpointing.clone());
        tokio::spawn(async move {
            // A failed checkpoint is retried after the next batch; the data is safe in the WAL.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await;
            flag.store(false, Ordering::Release);
        });
    }

    /// A transaction that only reads: on SQLite a deferred one, which sees one snapshot and
    /// neither waits for writers nor holds them up. Nothing may be written in it.
    pub(crate) async fn begin_read(&self) -> Result<Tx> {
        Ok(match self {
            Backend::Sqlite(l) => Tx::Sqlite(l.pool.begin().await?, None),
            Backend::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Backend::Sqlite(l) => {
                l.bulk.close().await;
                let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&l.pool)
                    .await;
                l.pool.close().await;
            }
            Backend::Postgres(p) => p.close().await,
        }
    }
}

/// One argument to a query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::I64(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(Some(v))
    }
}
impl From<Option<bool>> for Arg {
    fn from(v: Option<bool>) -> Arg {
        Arg::Bool(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}

/// A transaction on either engine.
#[derive(Debug)]
pub(crate) enum Tx {
    /// With the process's turn to write, unless it only reads.
    Sqlite(Transaction<'static, Sqlite>, Option<OwnedMutexGuard<()>>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

impl Tx {
    /// Which engine this transaction runs on.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(..) => Engine::Sqlite,
            Tx::Postgres(_) => Engine::Postgres,
        }
    }

    /// Runs a statement; returns the number of rows it touched.
    pub(crate) async fn exec(&mut self, sql: &'static str, args: &[Arg]) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(t, _) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Tx::Postgres(t) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a statement built at run time (only ever from fixed fragments, never from input).
    pub(crate) async fn exec_dyn(&mut self, sql: String, args: &[Arg]) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(t, _) => bind_all!(sqlx::query(AssertSqlSafe(sql)), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Tx::Postgres(t) => bind_all!(sqlx::query(AssertSqlSafe(sql)), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    /// All rows of a query (a fixed string, or [`AssertSqlSafe`] over one built only from
    /// fixed fragments, never from input).
    pub(crate) async fn rows(
        &mut self,
        sql: impl sqlx::SqlSafeStr,
        args: &[Arg],
    ) -> Result<Vec<Row>> {
        Ok(match self {
            Tx::Sqlite(t, _) => bind_all!(sqlx::query(sql), args)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Tx::Postgres(t) => bind_all!(sqlx::query(sql), args)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    /// At most one row.
    pub(crate) async fn row(&mut self, sql: &'static str, args: &[Arg]) -> Result<Option<Row>> {
        Ok(match self {
            Tx::Sqlite(t, _) => bind_all!(sqlx::query(sql), args)
                .fetch_optional(&mut **t)
                .await?
                .map(Row::Sqlite),
            Tx::Postgres(t) => bind_all!(sqlx::query(sql), args)
                .fetch_optional(&mut **t)
                .await?
                .map(Row::Postgres),
        })
    }

    /// Exactly one row (an `INSERT ... RETURNING`, a `COUNT`).
    pub(crate) async fn one(&mut self, sql: &'static str, args: &[Arg]) -> Result<Row> {
        self.row(sql, args)
            .await?
            .ok_or(Error::Database(sqlx::Error::RowNotFound))
    }

    /// `INSERT ... RETURNING id`.
    pub(crate) async fn insert(&mut self, sql: &'static str, args: &[Arg]) -> Result<i64> {
        self.one(sql, args).await?.i64("id")
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, turn) => {
                t.commit().await?;
                // The next writer may begin only once this one's changes are durable.
                drop(turn);
            }
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Appends the `VALUES` rows of a multi-row statement being built: `rows` rows of `columns`
/// parameters each, numbered from 1. `?` on SQLite, where sqlx looks up the name of every
/// numbered parameter (`$7`) by a walk of the statement's list of names, a cost that grows
/// with the square of their number; `$7` on PostgreSQL, which has no other form.
pub(crate) fn push_rows(sql: &mut String, engine: Engine, rows: usize, columns: usize) {
    use std::fmt::Write as _;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ",(" });
        for column in 0..columns {
            if column > 0 {
                sql.push(',');
            }
            match engine {
                Engine::Sqlite => sql.push('?'),
                Engine::Postgres => {
                    let _ = write!(sql, "${}", row * columns + column + 1);
                }
            }
        }
        sql.push(')');
    }
}

/// A row from either engine, read by column name.
#[derive(Debug)]
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

macro_rules! getter {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(&self, col: &str) -> Result<$t> {
            Ok(match self {
                Row::Sqlite(r) => r.try_get::<$t, _>(col)?,
                Row::Postgres(r) => r.try_get::<$t, _>(col)?,
            })
        }
    };
}

impl Row {
    getter!(i64, i64);
    getter!(opt_i64, Option<i64>);
    getter!(text, String);
    getter!(opt_text, Option<String>);
    getter!(bool, bool);
    getter!(opt_bool, Option<bool>);
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn the_password_in_the_user_part_is_hidden() {
        assert_eq!(
            redact_url("postgres://charter:s3cret@db.example:5432/charter"),
            "postgres://charter:***@db.example:5432/charter"
        );
    }

    #[test]
    fn a_password_holding_at_signs_and_slashes_is_hidden_whole() {
        assert_eq!(
            redact_url("postgresql://charter:p@ss/w:rd@db/charter?sslmode=require"),
            "postgresql://charter:***@db/charter?sslmode=require"
        );
    }

    #[test]
    fn a_password_parameter_is_hidden() {
        assert_eq!(
            redact_url("postgres://db/charter?user=charter&password=s3cret&sslmode=require"),
            "postgres://db/charter?user=charter&password=***&sslmode=require"
        );
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "postgres://charter@db/charter",
            "postgres://db/charter",
            "sqlite://charter.db",
            "sqlite:///srv/a:b@c/charter.db",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
