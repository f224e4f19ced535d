//! Aggregates for the monthly report: counts over a span of monitoring records, alerts and
//! personal-use figures, computed by the database (`GROUP BY`) so that a month of millions
//! of records is never read row by row. What the figures mean is `charter-app`'s (`report`).
//!
//! Every decisions query names `verdict <> 'allow'` so that both engines read the partial
//! index of flagged records (`decisions_flagged_at`) instead of every allowed request:
//! SQLite uses a partial index only when the query's own terms repeat its condition.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::Store;
use crate::error::Result;
use crate::time::to_us;

/// A count of flagged records sharing a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The key's parts, in the order the query names them (`None` for SQL NULL).
    pub key: Vec<Option<String>>,
    /// How many.
    pub count: i64,
}

/// Personal-use seconds for one category over a span of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageTotal {
    /// The category.
    pub category: String,
    /// Seconds inside the personal-use windows.
    pub inside: i64,
    /// Seconds outside them.
    pub outside: i64,
}

fn tallies(rows: &[crate::db::Row], cols: &[&str]) -> Result<Vec<Tally>> {
    rows.iter()
        .map(|r| {
            Ok(Tally {
                key: cols.iter().map(|c| r.opt_text(c)).collect::<Result<_>>()?,
                count: r.i64("n")?,
            })
        })
        .collect()
}

impl Store {
    /// Blocked records from `from` (inclusive) to `to` (exclusive), counted by account name
    /// and categories (as stored, comma-separated).
    pub async fn blocked_by_user_and_categories(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Tally>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT user_name, categories, COUNT(*) AS n FROM decisions \
                 WHERE verdict <> 'allow' AND verdict = 'block' AND at >= $1 AND at < $2 \
                 GROUP BY user_name, categories",
                &[to_us(from).into(), to_us(to).into()],
            )
            .await?;
        tx.commit().await?;
        tallies(&rows, &["user_name", "categories"])
    }

    /// Flagged records (every verdict but `allow`) from `from` to `to`, counted by verdict
    /// and check.
    pub async fn flagged_by_verdict_and_check(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Tally>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT verdict, check_name, COUNT(*) AS n FROM decisions \
                 WHERE verdict <> 'allow' AND at >= $1 AND at < $2 GROUP BY verdict, check_name",
                &[to_us(from).into(), to_us(to).into()],
            )
            .await?;
        tx.commit().await?;
        tallies(&rows, &["verdict", "check_name"])
    }

    /// Every record, allowed or not, from `from` to `to`.
    pub async fn count_records_between(&self, from: Timestamp, to: Timestamp) -> Result<i64> {
        let mut tx = self.backend.begin_read().await?;
        let row = tx
            .one(
                "SELECT COUNT(*) AS n FROM decisions WHERE at >= $1 AND at < $2",
                &[to_us(from).into(), to_us(to).into()],
            )
            .await?;
        tx.commit().await?;
        row.i64("n")
    }

    /// Alerts about events from `from` to `to`, counted by severity and status.
    pub async fn alerts_by_severity_and_status(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Tally>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT severity, status, COUNT(*) AS n FROM alerts WHERE at >= $1 AND at < $2 \
                 GROUP BY severity, status",
                &[to_us(from).into(), to_us(to).into()],
            )
            .await?;
        tx.commit().await?;
        tallies(&rows, &["severity", "status"])
    }

    /// Personal-use seconds per category for the local days `from` to `to` (inclusive).
    pub async fn usage_by_category(&self, from: Date, to: Date) -> Result<Vec<UsageTotal>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT category, CAST(SUM(seconds_inside) AS BIGINT) AS inside, CAST(SUM(seconds_outside) AS BIGINT) AS outside \
                 FROM usage_daily WHERE day >= $1 AND day <= $2 GROUP BY category ORDER BY category",
                &[from.to_string().into(), to.to_string().into()],
            )
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(UsageTotal {
                    category: r.text("category")?,
                    inside: r.i64("inside")?,
                    outside: r.i64("outside")?,
                })
            })
            .collect()
    }
}
