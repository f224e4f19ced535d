//! Personal-use figures: browsing seconds per person, local day, hour and category, inside
//! and outside the personal-use windows, kept as counts (`usage_daily`) after the raw records
//! are purged; and marks of what has been seen or fired once per person (`usage_marks`). The
//! accounting itself is `charter-engine`'s (`usage`); when to fire is `charter-app`'s.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::Store;
use crate::db::push_rows;
use crate::error::{Result, check_text};
use crate::registers::SHORT;
use crate::time::{parse_date, to_us};

/// Figures added by one statement: 700 parameters, well under both engines' limits.
const USAGE_ROWS_PER_STATEMENT: usize = 100;

/// Time and requests to add to one person's day, hour and category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageAdd {
    /// The account name the records carry.
    pub person: String,
    /// The local day.
    pub day: Date,
    /// The local hour, 0 to 23.
    pub hour: i8,
    /// The category (`uncategorised` for none).
    pub category: String,
    /// Seconds inside the personal-use windows.
    pub inside: i64,
    /// Seconds outside them.
    pub outside: i64,
    /// Requests.
    pub requests: i64,
}

/// One person's figures for one day and category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageDay {
    /// Whose.
    pub person: String,
    /// The local day, `YYYY-MM-DD`.
    pub day: String,
    /// The category.
    pub category: String,
    /// Seconds inside the personal-use windows.
    pub seconds_inside: i64,
    /// Seconds outside them.
    pub seconds_outside: i64,
    /// Requests (messages, for `personal_mail`).
    pub requests: i64,
}

impl Store {
    /// Adds figures, in one transaction; returns each figure's row total (seconds inside and
    /// outside together) after the whole addition, in the order given (figures for the same
    /// person, day, hour and category are added together first). Rows go in a hundred a
    /// statement: a statement each cost a round trip to SQLite's worker thread per row.
    pub async fn add_usage(&self, adds: &[UsageAdd]) -> Result<Vec<i64>> {
        if adds.is_empty() {
            return Ok(Vec::new());
        }
        // Each figure's row among the merged ones, and each row's place by its key (person,
        // day, hour, category).
        let mut merged: Vec<UsageAdd> = Vec::with_capacity(adds.len());
        let mut place: foldhash::HashMap<(&str, Date, i8, &str), usize> =
            foldhash::HashMap::with_capacity_and_hasher(adds.len(), Default::default());
        let mut row_of = Vec::with_capacity(adds.len());
        for a in adds {
            check_text("person", &a.person, SHORT)?;
            check_text("category", &a.category, SHORT)?;
            let key = (a.person.as_str(), a.day, a.hour, a.category.as_str());
            let i = *place.entry(key).or_insert_with(|| {
                merged.push(UsageAdd {
                    inside: 0,
                    outside: 0,
                    requests: 0,
                    ..a.clone()
                });
                merged.len() - 1
            });
            merged[i].inside += a.inside;
            merged[i].outside += a.outside;
            merged[i].requests += a.requests;
            row_of.push(i);
        }
        let mut totals: Vec<i64> = merged.iter().map(|a| a.inside + a.outside).collect();
        let engine = self.backend.engine();
        let mut tx = self.backend.begin_write().await?;
        for chunk in merged.chunks(USAGE_ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO usage_daily (person, day, hour, category, seconds_inside, seconds_outside, requests) VALUES ",
            );
            push_rows(&mut sql, engine, chunk.len(), 7);
            let mut args = Vec::with_capacity(chunk.len() * 7);
            for a in chunk {
                args.extend([
                    a.person.as_str().into(),
                    a.day.to_string().into(),
                    i64::from(a.hour).into(),
                    a.category.as_str().into(),
                    a.inside.into(),
                    a.outside.into(),
                    a.requests.into(),
                ]);
            }
            sql.push_str(
                " ON CONFLICT (person, day, hour, category) DO UPDATE SET seconds_inside = usage_daily.seconds_inside + excluded.seconds_inside, \
                 seconds_outside = usage_daily.seconds_outside + excluded.seconds_outside, requests = usage_daily.requests + excluded.requests \
                 RETURNING person, day, CAST(hour AS BIGINT) AS hour, category, seconds_inside + seconds_outside AS total",
            );
            // RETURNING gives rows in no promised order: each is found again by its key.
            for row in tx.rows(AssertSqlSafe(sql), &args).await? {
                let (person, day, category) =
                    (row.text("person")?, row.text("day")?, row.text("category")?);
                let day = parse_date("day", &day)?;
                let hour = i8::try_from(row.i64("hour")?).unwrap_or(i8::MAX);
                if let Some(&i) = place.get(&(person.as_str(), day, hour, category.as_str())) {
                    totals[i] = row.i64("total")?;
                }
            }
        }
        tx.commit().await?;
        Ok(row_of.into_iter().map(|i| totals[i]).collect())
    }

    /// One person's figures per category for the days `from` to `to` (inclusive), by day
    /// then category; every person's when `person` is `None`.
    pub async fn usage_days(
        &self,
        person: Option<&str>,
        from: Date,
        to: Date,
    ) -> Result<Vec<UsageDay>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT person, day, category, CAST(SUM(seconds_inside) AS BIGINT) AS inside, CAST(SUM(seconds_outside) AS BIGINT) AS outside, CAST(SUM(requests) AS BIGINT) AS requests \
                 FROM usage_daily WHERE ($1 IS NULL OR person = $1) AND day >= $2 AND day <= $3 \
                 GROUP BY person, day, category ORDER BY day, person, category",
                &[person.into(), from.to_string().into(), to.to_string().into()],
            )
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(UsageDay {
                    person: r.text("person")?,
                    day: r.text("day")?,
                    category: r.text("category")?,
                    seconds_inside: r.i64("inside")?,
                    seconds_outside: r.i64("outside")?,
                    requests: r.i64("requests")?,
                })
            })
            .collect()
    }

    /// Seconds one person spent on `category` in local hour `hour` of each day from `from` to
    /// `to` (inclusive) that has any, as `(day, seconds)`.
    pub async fn usage_hour_history(
        &self,
        person: &str,
        category: &str,
        hour: i8,
        from: Date,
        to: Date,
    ) -> Result<Vec<(Date, i64)>> {
        let mut tx = self.backend.begin_read().await?;
        let rows = tx
            .rows(
                "SELECT day, seconds_inside + seconds_outside AS s FROM usage_daily \
                 WHERE person = $1 AND category = $2 AND hour = $3 AND day >= $4 AND day <= $5 ORDER BY day",
                &[
                    person.into(),
                    category.into(),
                    i64::from(hour).into(),
                    from.to_string().into(),
                    to.to_string().into(),
                ],
            )
            .await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Ok(day) = r.text("day")?.parse::<Date>() {
                out.push((day, r.i64("s")?));
            }
        }
        Ok(out)
    }

    /// The first day any figures were kept for `person`.
    pub async fn usage_first_day(&self, person: &str) -> Result<Option<Date>> {
        let mut tx = self.backend.begin_read().await?;
        let row = tx
            .one(
                "SELECT MIN(day) AS first FROM usage_daily WHERE person = $1",
                &[person.into()],
            )
            .await?;
        tx.commit().await?;
        Ok(row.opt_text("first")?.and_then(|d| d.parse().ok()))
    }

    /// Marks `value` of `kind` as seen for `person` at `at`; whether it was new (the first
    /// mark wins, on every node sharing the store).
    pub async fn mark_first(
        &self,
        person: &str,
        kind: &str,
        value: &str,
        at: Timestamp,
    ) -> Result<bool> {
        check_text("person", person, SHORT)?;
        check_text("value", value, SHORT)?;
        let mut tx = self.backend.begin_write().await?;
        let n = tx
            .exec(
                "INSERT INTO usage_marks (person, kind, value, first_at) VALUES ($1, $2, $3, $4) ON CONFLICT (person, kind, value) DO NOTHING",
                &[person.into(), kind.into(), value.into(), to_us(at).into()],
            )
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Whether `person` has any mark of `kind`.
    pub async fn has_marks(&self, person: &str, kind: &str) -> Result<bool> {
        let mut tx = self.backend.begin_read().await?;
        let row = tx
            .one(
                "SELECT COUNT(*) AS n FROM usage_marks WHERE person = $1 AND kind = $2",
                &[person.into(), kind.into()],
            )
            .await?;
        tx.commit().await?;
        Ok(row.i64("n")? > 0)
    }
}
