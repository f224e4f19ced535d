//! Subject requests: those received in the month and whether each was answered within one
//! calendar month (three when extended), the days paused for proof of identity added.

use jiff::civil::Date;

use crate::clock::subject_request_due;

use super::{Figure, Gathered, Section, rate};

/// Whether a request was answered by its due day: `None` while it is open and not yet due.
fn on_time(due: Date, closed: Option<Date>, today: Date) -> Option<bool> {
    match closed {
        Some(c) => Some(c <= due),
        None if today > due => Some(false),
        None => None,
    }
}

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!("subject_requests: {}", g.filter("received_on"));
    let today = g.now.to_zoned_datetime(g.tz.clone()).date();
    let (mut received, mut due, mut kept, mut open) = (0, 0, 0, 0);
    for r in g
        .subject_requests
        .iter()
        .filter(|r| g.month.holds_day(&r.received_on))
    {
        received += 1;
        let Ok(on) = r.received_on.parse::<Date>() else {
            continue;
        };
        let closed = r.closed_on.as_deref().and_then(|d| d.parse().ok());
        if closed.is_none() {
            open += 1;
        }
        if let Some(t) = on_time(
            subject_request_due(on, r.extended, r.paused_days),
            closed,
            today,
        ) {
            due += 1;
            kept += usize::from(t);
        }
    }
    Section {
        title: "Subject requests".into(),
        summary: "Data subject requests received in the month. Each is due one calendar month from receipt (three when extended, Art. 12(3)), plus days paused for proof of identity.".into(),
        figures: vec![
            Figure::new("Requests received", received, &source),
            Figure::new("Still open", open, &format!("{source}; closed_on not set")),
            Figure::new(
                "Answered on time",
                rate(kept, due),
                &format!("{source}; closed_on against the due day, or overdue"),
            ),
        ],
        charts: vec![],
        table: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_request_answered_on_its_due_day_is_on_time() {
        let due = date(2026, 12, 3);
        let today = date(2027, 1, 1);
        assert_eq!(on_time(due, Some(date(2026, 12, 3)), today), Some(true));
        assert_eq!(on_time(due, Some(date(2026, 12, 4)), today), Some(false));
        assert_eq!(on_time(due, None, today), Some(false));
        assert_eq!(on_time(due, None, date(2026, 12, 1)), None);
    }
}
