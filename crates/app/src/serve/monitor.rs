//! `serve`'s side of monitoring: the hook the record writer calls after each committed batch
//! ([`crate::monitor::Monitor::written`]) and the daily digest of alerts at `[alerts]
//! digest_at`.

use std::sync::Arc;
use std::time::Duration;

use charter_engine::Engine;
use charter_store::spool::Position;
use charter_store::{Actor, NewRecord, Store};

use super::ServeError;
use super::records::StoreLink;
use crate::App;
use crate::alerts::AlertsConfig;
use crate::config::Config;
use crate::monitor::Monitor;

/// The monitor `serve` runs with, its country table read (bad lines are reported, not fatal).
pub(super) fn build(config: &Config, engine: &Arc<Engine>) -> Result<Arc<Monitor>, ServeError> {
    let (monitor, warnings) =
        Monitor::from_config(Arc::clone(engine), config).map_err(|e| ServeError::Countries {
            path: e.path,
            cause: e.cause,
        })?;
    for w in warnings {
        eprintln!("charter serve: warning={w}: Country table line skipped.");
    }
    Ok(Arc::new(monitor))
}

/// The records of a batch the monitor needs, kept before the batch is handed to the store.
pub(super) fn keep(
    monitor: Option<&Monitor>,
    batch: &[(NewRecord, Position)],
) -> Vec<(NewRecord, Position)> {
    match monitor {
        Some(_) => batch
            .iter()
            .filter(|(r, _)| Monitor::wants(r))
            .cloned()
            .collect(),
        None => Vec::new(),
    }
}

/// After a batch: the records committed (those up to `acked`) go through the monitor.
pub(super) async fn after_commit(
    monitor: Option<&Monitor>,
    store: &Store,
    kept: Vec<(NewRecord, Position)>,
    acked: Option<Position>,
) {
    let (Some(monitor), Some(acked)) = (monitor, acked) else {
        return;
    };
    let records: Vec<NewRecord> = kept
        .into_iter()
        .filter(|(_, after)| *after <= acked)
        .map(|(r, _)| r)
        .collect();
    if records.is_empty() {
        return;
    }
    monitor
        .written_logged(store, &records, "charter serve")
        .await;
}

/// Sends the digest every day at `[alerts] digest_at` (local time in the pack's zone).
pub(super) async fn digest_daily(
    mut link: StoreLink,
    engine: Arc<Engine>,
    config: AlertsConfig,
) -> Result<(), ServeError> {
    let minute = config.digest_minute().map_err(ServeError::Alerts)?;
    let actor = Actor::System("digest".into());
    loop {
        let tz = engine.pack().windows.time_zone().clone();
        let now = jiff::Timestamp::now();
        let wait = next_at(now, &tz, minute)
            .map(|t| t.duration_since(now))
            .and_then(|d| Duration::try_from(d).ok())
            .unwrap_or(Duration::from_secs(24 * 60 * 60));
        tokio::time::sleep(wait).await;
        let app = App::with_engine(Arc::clone(&engine), link.get().await);
        match app.send_digest(&config, &actor).await {
            Ok((digest, failed)) => {
                eprintln!(
                    "charter serve: mails={} failed={} unreachable={}: Daily alert digest sent.",
                    digest.mails.len(),
                    failed.len(),
                    digest.unreachable.len()
                );
                for e in failed {
                    eprintln!(
                        "charter serve: error={e}: Digest mail not sent; its alerts wait for the next."
                    );
                }
            }
            Err(e) => eprintln!("charter serve: error={e}: Daily alert digest failed."),
        }
        // Past the minute, so one day's digest is sent once.
        tokio::time::sleep(Duration::from_secs(61)).await;
    }
}

/// The next instant after `now` at `minute` past local midnight.
fn next_at(now: jiff::Timestamp, tz: &jiff::tz::TimeZone, minute: u16) -> Option<jiff::Timestamp> {
    let today = now.to_zoned_datetime(tz.clone()).date();
    (0..=2)
        .filter_map(|d| today.checked_add(jiff::Span::new().days(d)).ok())
        .filter_map(|day| {
            day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
                .to_zoned_datetime(tz.clone())
                .ok()
        })
        .map(|z| z.timestamp())
        .find(|t| *t > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_digest_is_today_when_still_ahead() {
        let tz = jiff::tz::TimeZone::get("Europe/London").expect("zone");
        let now: jiff::Timestamp = "2026-06-15T06:00:00Z".parse().expect("instant");
        let next = next_at(now, &tz, 8 * 60).expect("a time");
        assert_eq!(next.to_string(), "2026-06-15T07:00:00Z");
    }

    #[test]
    fn next_digest_is_tomorrow_when_past() {
        let tz = jiff::tz::TimeZone::get("Europe/London").expect("zone");
        let now: jiff::Timestamp = "2026-06-15T09:00:00Z".parse().expect("instant");
        let next = next_at(now, &tz, 8 * 60).expect("a time");
        assert_eq!(next.to_string(), "2026-06-16T07:00:00Z");
    }
}
