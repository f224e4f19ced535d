//! Monitoring records: what the gateways decided, who, what, when, verdict and rule.
//!
//! Records are written in batches, one transaction and one audit row per batch; a batch is
//! acknowledged only after its commit returns. Personal-marked mail keeps headers only from
//! the first write: the body (`detail`) is dropped before it reaches the database. The
//! retention job deletes for real; there is no soft delete.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;

use charter_engine::{Decision, Privacy};

use crate::Store;
use crate::audit::Actor;
use crate::db::{Engine, Row, Tx, push_rows};
use crate::error::{Error, Result, check_len};
use crate::registers::log;
use crate::spool::Position;
use crate::time::{self, to_us};

/// Longest subject (URL or mail headers) kept.
pub const MAX_SUBJECT: usize = 8_192;
/// Longest detail kept.
pub const MAX_DETAIL: usize = 65_536;
/// Longest user, rule, check, severity or categories kept.
pub const MAX_SHORT: usize = 1024;

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The web proxy.
    Web,
    /// Mail.
    Mail,
    /// Logins, devices, software.
    Activity,
}

impl Source {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Mail => "mail",
            Source::Activity => "activity",
        }
    }
}

/// Shared, immutable text. Records are written by the hundred thousand and most of their
/// fields repeat (users, verdicts, rules): a gateway can intern them, and binding one to a
/// statement costs a reference count, not a copy.
pub type Text = Arc<str>;

/// A record to write.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// When the event happened.
    pub at: Timestamp,
    /// The user, when known.
    pub user: Option<Text>,
    /// Web, mail or activity.
    pub source: Source,
    /// The URL, or the mail's headers (From, To, Subject).
    pub subject: Text,
    /// The verdict, `allow` .. `block`.
    pub verdict: Text,
    /// The deciding rule.
    pub rule: Option<Text>,
    /// Its check.
    pub check: Option<Text>,
    /// Its severity.
    pub severity: Option<Text>,
    /// Web categories, comma-separated.
    pub categories: Option<Text>,
    /// `full` or `headers_only`.
    pub privacy: Privacy,
    /// More of the event (a message excerpt); never kept for `headers_only`.
    pub detail: Option<Text>,
    /// Every finding, JSON.
    pub findings: Text,
}

impl NewRecord {
    /// A record of the engine's decision about one event.
    pub fn from_decision(
        at: Timestamp,
        user: Option<String>,
        source: Source,
        subject: String,
        detail: Option<String>,
        d: &Decision,
    ) -> NewRecord {
        let deciding = d.deciding();
        NewRecord {
            at,
            user: user.map(Text::from),
            source,
            subject: subject.into(),
            verdict: d.verdict.as_str().into(),
            rule: deciding.map(|f| f.rule.as_str().into()),
            check: deciding.map(|f| f.check.as_str().into()),
            severity: deciding.map(|f| f.severity.as_str().into()),
            categories: d.categories.as_ref().map(|c| {
                c.iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
                    .into()
            }),
            privacy: d.privacy,
            detail: detail.map(Text::from),
            findings: serde_json::to_string(&d.findings)
                .map(Text::from)
                .unwrap_or_else(|_| "[]".into()),
        }
    }

    fn privacy_str(&self) -> &'static str {
        match self.privacy {
            Privacy::Full => "full",
            Privacy::HeadersOnly => "headers_only",
        }
    }

    /// The detail that may be kept: none for personal-marked mail.
    /// The findings as stored: `None` for an empty list.
    fn stored_findings(&self) -> Option<Text> {
        (!matches!(self.findings.trim(), "[]" | "")).then(|| self.findings.clone())
    }

    fn kept_detail(&self) -> Option<&str> {
        self.kept_detail_text().map(|d| &**d)
    }

    fn kept_detail_text(&self) -> Option<&Text> {
        match self.privacy {
            Privacy::HeadersOnly => None,
            Privacy::Full => self.detail.as_ref(),
        }
    }

    /// Makes the record storable where it can be, for records no person can correct (what
    /// a gateway saw): NUL characters, which PostgreSQL cannot hold in text, become U+FFFD;
    /// text over its limit is cut there and ends in `…`; an over-long findings list keeps the
    /// findings that fit and says how many it left out. Returns whether anything changed.
    /// The verdict is never changed: a record without a valid one is refused by the store.
    pub fn clean(&mut self) -> bool {
        let mut changed = clean_text(&mut self.subject, MAX_SUBJECT);
        if let Some(detail) = &mut self.detail {
            changed |= clean_text(detail, MAX_DETAIL);
        }
        for field in [
            &mut self.user,
            &mut self.rule,
            &mut self.check,
            &mut self.severity,
            &mut self.categories,
        ]
        .into_iter()
        .flatten()
        {
            changed |= clean_text(field, MAX_SHORT);
        }
        if self.findings.len() > MAX_DETAIL || self.findings.contains('\0') {
            self.findings = shorten_findings(&self.findings, MAX_DETAIL).into();
            changed = true;
        }
        changed
    }

    /// Checks the record as [`Store::write_records`] will, so that one bad record can be set
    /// aside before its batch is written.
    pub fn validate(&self) -> Result<()> {
        self.check()
    }

    fn check(&self) -> Result<()> {
        check_len("subject", &self.subject, MAX_SUBJECT)?;
        if let Some(d) = self.kept_detail() {
            check_len("detail", d, MAX_DETAIL)?;
        }
        check_len("findings", &self.findings, MAX_DETAIL)?;
        for (f, v) in [
            ("user", &self.user),
            ("rule", &self.rule),
            ("check", &self.check),
            ("severity", &self.severity),
            ("categories", &self.categories),
        ] {
            if let Some(v) = v {
                check_len(f, v, MAX_SHORT)?;
            }
        }
        // PostgreSQL cannot store NUL in text; refuse it on both engines alike.
        for (f, v) in [
            ("user", self.user.as_deref()),
            ("subject", Some(&*self.subject)),
            ("detail", self.kept_detail()),
            ("rule", self.rule.as_deref()),
            ("categories", self.categories.as_deref()),
        ] {
            if v.is_some_and(|v| v.contains('\0')) {
                return Err(Error::invalid(f, "contains a NUL character"));
            }
        }
        if self.verdict.parse::<charter_policy::Verdict>().is_err() {
            return Err(Error::invalid(
                "verdict",
                format!(
                    "`{}`, expected allow, log, warn, hold or block",
                    self.verdict
                ),
            ));
        }
        Ok(())
    }
}

/// `text` without NUL characters and at most `max` characters long; whether it changed.
fn clean_text(text: &mut Text, max: usize) -> bool {
    // Bytes bound characters from above: most text is decided on this test alone.
    if text.len() <= max && !text.contains('\0') {
        return false;
    }
    let count = text.chars().count();
    if count <= max && !text.contains('\0') {
        return false;
    }
    let keep = if count > max { max - 1 } else { max };
    let mut out: String = text
        .chars()
        .take(keep)
        .map(|c| if c == '\0' { '\u{FFFD}' } else { c })
        .collect();
    if count > max {
        out.push('…');
    }
    *text = out.into();
    true
}

/// A findings list (JSON) cut to at most `max` bytes: the leading findings that fit, then
/// `{"truncated": N}` naming how many were left out. Findings are JSON the engine wrote;
/// anything else is kept as one JSON string, cut the same way.
fn shorten_findings(json: &str, max: usize) -> String {
    let items = match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Array(items)) => items,
        _ => {
            let mut text: Text = json.into();
            // Escaping can make a character six bytes long.
            clean_text(&mut text, max / 8);
            return serde_json::Value::from(&*text).to_string();
        }
    };
    let total = items.len();
    let mut kept = Vec::new();
    let mut len = 2;
    for item in items {
        let text = item.to_string();
        // Room for the separator and the closing marker.
        if len + text.len() + 1 + 40 > max {
            break;
        }
        len += text.len() + 1;
        kept.push(item);
    }
    let left_out = total - kept.len();
    if left_out > 0 {
        kept.push(json!({ "truncated": left_out }));
    }
    serde_json::Value::Array(kept).to_string()
}

/// A stored record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Record {
    /// Id.
    pub id: i64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// User.
    pub user: Option<String>,
    /// `web`, `mail`, `activity`.
    pub source: String,
    /// URL or headers.
    pub subject: String,
    /// Verdict.
    pub verdict: String,
    /// Deciding rule.
    pub rule: Option<String>,
    /// Its check.
    pub check: Option<String>,
    /// Its severity.
    pub severity: Option<String>,
    /// Web categories.
    pub categories: Option<String>,
    /// `full` or `headers_only`.
    pub privacy: String,
    /// Detail, when kept.
    pub detail: Option<String>,
    /// Findings, JSON.
    pub findings: String,
}

impl Record {
    fn from_row(r: &Row) -> Result<Record> {
        Ok(Record {
            id: r.i64("id")?,
            at: time::show_us(r.i64("at")?),
            user: r.opt_text("user_name")?,
            source: r.text("source")?,
            subject: r.text("subject")?,
            verdict: r.text("verdict")?,
            rule: r.opt_text("rule")?,
            check: r.opt_text("check_name")?,
            severity: r.opt_text("severity")?,
            categories: r.opt_text("categories")?,
            privacy: r.text("privacy")?,
            detail: r.opt_text("detail")?,
            // NULL is stored for "no findings" (most records): it costs nothing to bind or keep.
            findings: r.opt_text("findings")?.unwrap_or_else(|| "[]".to_string()),
        })
    }
}

/// Which records to read.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    /// Only these users (empty: everyone).
    pub users: Vec<String>,
    /// From (inclusive).
    pub since: Option<Timestamp>,
    /// Until (exclusive).
    pub until: Option<Timestamp>,
    /// At most this many (newest first); default 1,000.
    pub limit: Option<i64>,
    /// Only flagged records (verdict other than `allow`): served by the flagged indexes.
    pub flagged_only: bool,
}

/// What the retention job removed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PurgeReport {
    /// Records older than this were deleted.
    pub cutoff: String,
    /// How many, in all.
    pub deleted: u64,
    /// How many of them were deleted row by row (SQLite; on PostgreSQL those in the cutoff's
    /// own month and in the default partition).
    pub rows_deleted: u64,
    /// The monthly partitions dropped whole (PostgreSQL), oldest first.
    pub partitions_dropped: Vec<crate::partitions::DroppedPartition>,
    /// The oldest deleted record's time.
    pub oldest: Option<String>,
    /// The newest deleted record's time.
    pub newest: Option<String>,
    /// The audit row that logs it.
    pub audit_seq: i64,
}

/// The retention cutoff: `months` calendar months before `now` (UTC).
pub fn retention_cutoff(now: Timestamp, months: u32) -> Timestamp {
    let zoned = now.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let day = time::add_months(zoned.date(), -i64::from(months));
    day.to_datetime(zoned.time())
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(now)
}

const COLS: &str = "at, user_name, source, subject, verdict, rule, check_name, severity, categories, privacy, detail, findings";
/// Rows per INSERT statement on SQLite (12 parameters each, under SQLite's 32,766).
const SQLITE_ROWS_PER_STATEMENT: usize = 1024;

fn copy_field(out: &mut String, v: Option<&str>) {
    let Some(v) = v else {
        out.push_str("\\N");
        return;
    };
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The fixed words of a record, shared rather than copied into every statement.
struct Words {
    web: Text,
    mail: Text,
    activity: Text,
    full: Text,
    headers_only: Text,
}

impl Words {
    fn new() -> Words {
        Words {
            web: "web".into(),
            mail: "mail".into(),
            activity: "activity".into(),
            full: "full".into(),
            headers_only: "headers_only".into(),
        }
    }

    fn source(&self, s: Source) -> Text {
        match s {
            Source::Web => self.web.clone(),
            Source::Mail => self.mail.clone(),
            Source::Activity => self.activity.clone(),
        }
    }

    fn privacy(&self, p: Privacy) -> Text {
        match p {
            Privacy::Full => self.full.clone(),
            Privacy::HeadersOnly => self.headers_only.clone(),
        }
    }
}

type SqliteQuery = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// One multi-row INSERT for up to [`SQLITE_ROWS_PER_STATEMENT`] records.
fn sqlite_insert(chunk: &[&NewRecord], words: &Words) -> SqliteQuery {
    let mut sql = String::with_capacity(80 + chunk.len() * 27);
    // OR ROLLBACK: every field was checked before, so no constraint can fail; saying so
    // spares SQLite a statement journal for each INSERT.
    sql.push_str("INSERT OR ROLLBACK INTO decisions (");
    sql.push_str(COLS);
    sql.push_str(") VALUES ");
    push_rows(&mut sql, Engine::Sqlite, chunk.len(), 12);
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for r in chunk {
        q = q
            .bind(to_us(r.at))
            .bind(r.user.clone())
            .bind(words.source(r.source))
            .bind(r.subject.clone())
            .bind(r.verdict.clone())
            .bind(r.rule.clone())
            .bind(r.check.clone())
            .bind(r.severity.clone())
            .bind(r.categories.clone())
            .bind(words.privacy(r.privacy))
            .bind(r.kept_detail_text().cloned())
            .bind(r.stored_findings());
    }
    q
}

/// What a batch acknowledges, in the transaction that writes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mark<'a> {
    /// A `serve` spool read up to a position.
    Spool(&'a str, Position),
    /// A log file read up to a position.
    Ingest(&'a crate::ingest::IngestPosition),
}

impl Store {
    /// Writes a batch of records in one transaction and logs one audit row for it. When this
    /// returns `Ok`, every record of the batch has committed.
    pub async fn write_records(&self, actor: &Actor, batch: &[NewRecord]) -> Result<u64> {
        if batch.is_empty() {
            return Ok(0);
        }
        self.write_batch(actor, batch, None).await
    }

    /// Writes a batch taken from the spool `spool` and, in the same transaction, moves the
    /// spool's mark to `mark` (the position after the batch's last record): the records and
    /// their acknowledgement commit together or not at all. An empty batch moves the mark only.
    pub async fn write_spooled(
        &self,
        actor: &Actor,
        batch: &[NewRecord],
        spool: &str,
        mark: Position,
    ) -> Result<u64> {
        self.write_batch(actor, batch, Some(Mark::Spool(spool, mark)))
            .await
    }

    /// Where the spool `spool`'s records have been committed up to, if any have.
    pub async fn spool_mark(&self, spool: &str) -> Result<Option<Position>> {
        let mut tx = self.backend.begin_read().await?;
        let row = tx
            .row(
                "SELECT segment, byte_offset FROM spool_marks WHERE spool = $1",
                &[spool.into()],
            )
            .await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        let (segment, offset) = (row.i64("segment")?, row.i64("byte_offset")?);
        Ok(Some(Position {
            segment: u64::try_from(segment).unwrap_or_default(),
            offset: u64::try_from(offset).unwrap_or_default(),
        }))
    }

    pub(crate) async fn write_batch(
        &self,
        actor: &Actor,
        batch: &[NewRecord],
        mark: Option<Mark<'_>>,
    ) -> Result<u64> {
        for r in batch {
            r.check()?;
        }
        let mut tx = self.backend.begin_bulk().await?;
        if let Some(Mark::Ingest(at)) = mark {
            crate::ingest::put_position(&mut tx, at).await?;
        }
        if let Some(Mark::Spool(spool, at)) = mark {
            tx.exec(
                "INSERT INTO spool_marks (spool, segment, byte_offset, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (spool) DO UPDATE SET segment = excluded.segment, byte_offset = excluded.byte_offset, updated_at = excluded.updated_at",
                &[
                    spool.into(),
                    i64::try_from(at.segment).unwrap_or(i64::MAX).into(),
                    i64::try_from(at.offset).unwrap_or(i64::MAX).into(),
                    time::now_us().into(),
                ],
            )
            .await?;
        }
        if batch.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        match &mut tx {
            Tx::Sqlite(t, _) => {
                // Bind the next statement's rows on this thread while SQLite's worker
                // thread runs the current one: the two halves of the work overlap.
                // Rows go in as given (normally in time order, which keeps the `at` index
                // appending); sorting by user measured no faster.
                let rows: Vec<&NewRecord> = batch.iter().collect();
                let words = Words::new();
                let mut chunks = rows.chunks(SQLITE_ROWS_PER_STATEMENT);
                let mut next = chunks.next().map(|c| sqlite_insert(c, &words));
                while let Some(q) = next.take() {
                    let (done, built) = tokio::join!(q.execute(&mut **t), async {
                        chunks.next().map(|c| sqlite_insert(c, &words))
                    });
                    done?;
                    next = built;
                }
            }
            Tx::Postgres(t) => {
                ensure_partitions(t, batch).await?;
                let mut data = String::with_capacity(batch.len() * 160);
                for r in batch {
                    data.push_str(&to_us(r.at).to_string());
                    for v in [
                        r.user.as_deref(),
                        Some(r.source.as_str()),
                        Some(&r.subject),
                        Some(&r.verdict),
                        r.rule.as_deref(),
                        r.check.as_deref(),
                        r.severity.as_deref(),
                        r.categories.as_deref(),
                        Some(r.privacy_str()),
                        r.kept_detail(),
                        r.stored_findings().as_deref(),
                    ] {
                        data.push('\t');
                        copy_field(&mut data, v);
                    }
                    data.push('\n');
                }
                let mut copy = t.copy_in_raw("COPY decisions (at, user_name, source, subject, verdict, rule, check_name, severity, categories, privacy, detail, findings) FROM STDIN").await?;
                copy.send(data.into_bytes()).await?;
                copy.finish().await?;
            }
        }
        let first = batch.iter().map(|r| r.at).min();
        let last = batch.iter().map(|r| r.at).max();
        log(&mut tx, actor, "records.write", "decisions", None, None,
            json!({"count": batch.len(), "from": first.map(|t| t.to_string()), "to": last.map(|t| t.to_string())})).await?;
        tx.commit().await?;
        self.backend.after_bulk();
        Ok(batch.len() as u64)
    }

    /// Reads records and logs the view (who looked at which records) in the audit chain.
    pub async fn view_records(&self, viewer: &Actor, filter: &RecordFilter) -> Result<Vec<Record>> {
        let mut tx = self.backend.begin_write().await?;
        let (out, _) = view(&mut tx, viewer, filter, None, serde_json::Value::Null).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Removes every record older than `cutoff` and logs what it removed. On PostgreSQL the
    /// monthly partitions wholly before the cutoff are dropped; the rest (the cutoff's own
    /// month, the default partition) and SQLite delete rows.
    pub async fn purge_records(&self, actor: &Actor, cutoff: Timestamp) -> Result<PurgeReport> {
        let mut tx = self.backend.begin_write().await?;
        let c = to_us(cutoff);
        let (partitions_dropped, mut oldest, mut newest) = match &mut tx {
            Tx::Postgres(t) => crate::partitions::drop_before(t, c).await?,
            Tx::Sqlite(..) => (Vec::new(), None, None),
        };
        let span = tx
            .one(
                "SELECT MIN(at) AS oldest, MAX(at) AS newest FROM decisions WHERE at < $1",
                &[c.into()],
            )
            .await?;
        let (o, n) = (span.opt_i64("oldest")?, span.opt_i64("newest")?);
        oldest = oldest.into_iter().chain(o).min();
        newest = newest.into_iter().chain(n).max();
        let rows = tx
            .exec("DELETE FROM decisions WHERE at < $1", &[c.into()])
            .await?;
        let deleted = rows + partitions_dropped.iter().map(|p| p.records).sum::<u64>();
        let audit_seq = log(&mut tx, actor, "records.purge", "decisions", None, None,
            json!({"cutoff": cutoff.to_string(), "deleted": deleted, "rows_deleted": rows, "partitions_dropped": partitions_dropped, "oldest": oldest.map(time::show_us), "newest": newest.map(time::show_us)})).await?;
        tx.commit().await?;
        Ok(PurgeReport {
            cutoff: cutoff.to_string(),
            deleted,
            rows_deleted: rows,
            partitions_dropped,
            oldest: oldest.map(time::show_us),
            newest: newest.map(time::show_us),
            audit_seq,
        })
    }

    /// How many records there are.
    pub async fn count_records(&self) -> Result<i64> {
        let mut tx = self.backend.begin_read().await?;
        let n = tx
            .one("SELECT COUNT(*) AS n FROM decisions", &[])
            .await?
            .i64("n")?;
        tx.commit().await?;
        Ok(n)
    }
}

/// Reads records matching `filter` inside `tx` and logs the view; `person` is the data
/// subject when the view is about one person, `purpose` why they were read (`null` when not
/// given).
pub(crate) async fn view(
    tx: &mut Tx,
    viewer: &Actor,
    filter: &RecordFilter,
    person: Option<i64>,
    purpose: serde_json::Value,
) -> Result<(Vec<Record>, i64)> {
    let limit = filter.limit.unwrap_or(1000).clamp(1, 1_000_000);
    let since = filter.since.map(to_us).unwrap_or(i64::MIN);
    let until = filter.until.map(to_us).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    if filter.users.is_empty() {
        let sql = if filter.flagged_only {
            "SELECT * FROM decisions WHERE verdict <> 'allow' AND at >= $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3"
        } else {
            "SELECT * FROM decisions WHERE at >= $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3"
        };
        let rows = tx
            .rows(sql, &[since.into(), until.into(), limit.into()])
            .await?;
        for r in &rows {
            out.push(Record::from_row(r)?);
        }
    } else {
        for u in &filter.users {
            let sql = if filter.flagged_only {
                "SELECT * FROM decisions WHERE user_name = $1 AND verdict <> 'allow' AND at >= $2 AND at < $3 ORDER BY at DESC, id DESC LIMIT $4"
            } else {
                "SELECT * FROM decisions WHERE user_name = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, id DESC LIMIT $4"
            };
            let rows = tx
                .rows(sql, &[u.into(), since.into(), until.into(), limit.into()])
                .await?;
            for r in &rows {
                out.push(Record::from_row(r)?);
            }
        }
        out.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    // The filter and the ids say what was seen. A very large view (a subject access export)
    // lists its first ids only; the filter still defines the whole set.
    const LISTED: usize = 10_000;
    let ids: Vec<i64> = out.iter().take(LISTED).map(|r| r.id).collect();
    let seq = log(tx, viewer, "records.view", "decisions", None, person,
        json!({"users": filter.users, "purpose": purpose, "flagged_only": filter.flagged_only, "since": filter.since.map(|t| t.to_string()), "until": filter.until.map(|t| t.to_string()), "count": out.len(), "ids": ids, "ids_complete": out.len() <= LISTED})).await?;
    Ok((out, seq))
}

/// Makes sure a monthly partition exists for every month the batch touches, so that records
/// land in a partition the retention job can drop rather than in the default one.
async fn ensure_partitions(
    t: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    batch: &[NewRecord],
) -> Result<()> {
    let mut months: Vec<(i16, i8)> = batch
        .iter()
        .map(|r| {
            let d = r.at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
            (d.year(), d.month())
        })
        .collect();
    months.sort_unstable();
    months.dedup();
    crate::partitions::ensure(t, &months).await
}
