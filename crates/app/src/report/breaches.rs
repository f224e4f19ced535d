//! Breaches: those the organisation became aware of in the month, and whether the ICO was
//! told within 72 hours where it had to be.

use jiff::Timestamp;

use crate::clock::{breach_deadline, local_text};

use super::{Figure, Gathered, Section, Table, rate};

/// Whether the ICO was told by the deadline: `None` while the deadline has not passed and
/// nobody has been told yet.
fn on_time(aware: Timestamp, notified: Option<Timestamp>, now: Timestamp) -> Option<bool> {
    let deadline = breach_deadline(aware);
    match notified {
        Some(at) => Some(at <= deadline),
        None if now > deadline => Some(false),
        None => None,
    }
}

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!("breaches: {}", g.filter("aware_at"));
    let mut rows = Vec::new();
    let (mut due, mut kept) = (0, 0);
    let mut in_month = 0;
    for b in g.breaches.iter().filter(|b| g.month.holds(&b.aware_at)) {
        in_month += 1;
        let Ok(aware) = b.aware_at.parse::<Timestamp>() else {
            continue;
        };
        let notified = b.ico_notified_at.as_deref().and_then(|t| t.parse().ok());
        let timely = if b.notify_ico == Some(false) {
            None
        } else {
            on_time(aware, notified, g.now)
        };
        if b.notify_ico != Some(false) && timely.is_some() {
            due += 1;
            kept += usize::from(timely == Some(true));
        }
        rows.push(vec![
            format!("breach {}", b.id),
            local_text(&b.aware_at, &g.tz),
            match b.notify_ico {
                Some(true) => "notify the ICO",
                Some(false) => "not notifiable",
                None => "not yet decided",
            }
            .to_string(),
            b.ico_notified_at
                .as_deref()
                .map(|t| local_text(t, &g.tz))
                .unwrap_or_else(|| "-".into()),
            match timely {
                Some(true) => "on time",
                Some(false) => "LATE",
                None => "-",
            }
            .to_string(),
        ]);
    }
    Section {
        title: "Breaches".into(),
        summary: "Personal data breaches the organisation became aware of in the month. The ICO must be told within 72 hours of awareness unless the breach is unlikely to risk people's rights (UK GDPR Art. 33).".into(),
        figures: vec![
            Figure::new("Breaches logged", in_month, &source),
            Figure::new(
                "ICO told within 72 hours",
                rate(kept, due),
                &format!("{source}; notify_ico not false, deadline passed or ico_notified_at set"),
            ),
        ],
        charts: vec![],
        table: (!rows.is_empty()).then(|| Table {
            head: ["Breach", "Aware", "Decision", "ICO told", "72 hours"]
                .map(String::from)
                .to_vec(),
            rows,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    #[test]
    fn the_ico_told_within_72_hours_is_on_time() {
        let aware = t("2026-11-02T09:00:00Z");
        let now = t("2026-12-01T00:00:00Z");
        assert_eq!(
            on_time(aware, Some(t("2026-11-05T09:00:00Z")), now),
            Some(true)
        );
        assert_eq!(
            on_time(aware, Some(t("2026-11-05T09:01:00Z")), now),
            Some(false)
        );
        assert_eq!(
            on_time(aware, None, now),
            Some(false),
            "never told and overdue"
        );
        assert_eq!(
            on_time(aware, None, t("2026-11-03T00:00:00Z")),
            None,
            "still running"
        );
    }
}
