//! PostgreSQL's monthly partitions of the monitoring records (`decisions_yYYYYmMM`): made
//! before a batch lands in a month that has none, and dropped whole by the retention job once
//! the whole month is past the cutoff, which frees the space at once where deleting rows would
//! leave dead tuples for vacuum. SQLite has no partitions and deletes rows.
//!
//! Several `serve` nodes may write at once: a transaction-scoped advisory lock serialises the
//! making of a partition, so two nodes never race to create the same month (the loser's rows
//! would otherwise land in the default partition and keep that month from ever getting its own).

use serde::Serialize;
use sqlx::{Postgres, Transaction};

use crate::error::Result;
use crate::time::{self, to_us};

/// The advisory lock key that serialises making and dropping partitions ("charter" in ASCII).
const PARTITION_LOCK: i64 = 0x0063_6861_7274_6572;

/// One monthly partition the retention job dropped.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DroppedPartition {
    /// Its table (`decisions_y2025m05`).
    pub name: String,
    /// How many records it held.
    pub records: u64,
}

/// The partition name for a month.
fn name(year: i16, month: i8) -> String {
    format!("decisions_y{year:04}m{month:02}")
}

/// The month a partition name stands for, if it is one of ours.
fn month_of(name: &str) -> Option<(i16, i8)> {
    let rest = name.strip_prefix("decisions_y")?;
    let (y, m) = rest.split_once('m')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m) = (y.parse::<i16>().ok()?, m.parse::<i8>().ok()?);
    (1..=12).contains(&m).then_some((y, m))
}

/// `[start, end)` of a month in UTC microseconds.
fn bounds(year: i16, month: i8) -> Option<(i64, i64)> {
    let start = jiff::civil::Date::new(year, month, 1).ok()?;
    let end = time::add_months(start, 1);
    let us = |d: jiff::civil::Date| {
        d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| to_us(z.timestamp()))
    };
    Some((us(start)?, us(end)?))
}

async fn exists(t: &mut Transaction<'static, Postgres>, name: &str) -> Result<bool> {
    let row: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_class WHERE relname = $1")
        .bind(name)
        .fetch_optional(&mut **t)
        .await?;
    Ok(row.is_some())
}

/// Makes the partition of each month in `months` that has none. Holds the advisory lock
/// until the transaction ends once it has to make one.
pub(crate) async fn ensure(
    t: &mut Transaction<'static, Postgres>,
    months: &[(i16, i8)],
) -> Result<()> {
    let mut locked = false;
    for &(y, m) in months {
        let name = name(y, m);
        if exists(t, &name).await? {
            continue;
        }
        if !locked {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PARTITION_LOCK)
                .execute(&mut **t)
                .await?;
            locked = true;
            // Another node may have made it while this one waited for the lock.
            if exists(t, &name).await? {
                continue;
            }
        }
        let Some((a, b)) = bounds(y, m) else { continue };
        // Names and bounds are made from numbers here, never from input. A savepoint keeps a
        // failure (rows for that month already in the default partition) from aborting the
        // batch: they then go to the default partition, which retention deletes from by row.
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {name} PARTITION OF decisions FOR VALUES FROM ({a}) TO ({b})"
        );
        sqlx::query("SAVEPOINT part").execute(&mut **t).await?;
        match sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut **t)
            .await
        {
            Ok(_) => {
                sqlx::query("RELEASE SAVEPOINT part")
                    .execute(&mut **t)
                    .await?
            }
            Err(_) => {
                sqlx::query("ROLLBACK TO SAVEPOINT part")
                    .execute(&mut **t)
                    .await?
            }
        };
    }
    Ok(())
}

/// Drops every monthly partition that ends at or before `cutoff_us`, returning what each held,
/// oldest first, with the oldest and newest record time among them.
pub(crate) async fn drop_before(
    t: &mut Transaction<'static, Postgres>,
    cutoff_us: i64,
) -> Result<(Vec<DroppedPartition>, Option<i64>, Option<i64>)> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITION_LOCK)
        .execute(&mut **t)
        .await?;
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'decisions'",
    )
    .fetch_all(&mut **t)
    .await?;
    let mut old: Vec<(i16, i8, String)> = names
        .into_iter()
        .filter_map(|(n,)| {
            let (y, m) = month_of(&n)?;
            let (_, end) = bounds(y, m)?;
            (end <= cutoff_us && n == name(y, m)).then_some((y, m, n))
        })
        .collect();
    old.sort();
    let (mut dropped, mut oldest, mut newest) = (Vec::new(), None::<i64>, None::<i64>);
    for (_, _, n) in old {
        // The name is one of ours, rebuilt from its numbers above: not input.
        let (count, first, last): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
            sqlx::AssertSqlSafe(format!("SELECT COUNT(*), MIN(at), MAX(at) FROM {n}")),
        )
        .fetch_one(&mut **t)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {n}")))
            .execute(&mut **t)
            .await?;
        oldest = match (oldest, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        newest = match (newest, last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        dropped.push(DroppedPartition {
            name: n,
            records: u64::try_from(count).unwrap_or(0),
        });
    }
    Ok((dropped, oldest, newest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_names_are_months() {
        assert_eq!(month_of("decisions_y2025m05"), Some((2025, 5)));
        assert_eq!(month_of(&name(2025, 12)), Some((2025, 12)));
        for other in [
            "decisions_default",
            "decisions_y2025m13",
            "decisions_y25m05",
            "decisions_y2025m05x",
            "x_y2025m05",
        ] {
            assert_eq!(month_of(other), None, "{other}");
        }
    }

    #[test]
    fn a_month_runs_from_its_first_day_to_the_next_month_in_utc() {
        let (a, b) = bounds(2025, 12).unwrap();
        assert_eq!(time::show_us(a), "2025-12-01T00:00:00Z");
        assert_eq!(time::show_us(b), "2026-01-01T00:00:00Z");
    }
}
