//! Leavers: people whose leaving date fell in the month, and how far their checklists got.

use jiff::civil::Date;

use charter_store::Tick;

use super::{Figure, Gathered, Section, rate};

/// Whether `tick` was made by the end of `day` in the pack's zone.
pub(super) fn ticked_by(tick: Option<&Tick>, day: Date, g: &Gathered) -> bool {
    tick.and_then(|t| t.at.parse::<jiff::Timestamp>().ok())
        .is_some_and(|at| at.to_zoned_datetime(g.tz.clone()).date() <= day)
}

pub(super) fn section(g: &Gathered) -> Section {
    let source = format!("leavers: {}", g.filter("leaving_date"));
    let leaving: Vec<_> = g
        .leavers
        .iter()
        .filter(|l| g.month.holds_day(&l.leaving_date))
        .collect();
    let n = leaving.len();
    let count =
        |f: &dyn Fn(&charter_store::Leaver) -> bool| leaving.iter().filter(|l| f(l)).count();
    let disabled_in_time = count(&|l| {
        l.leaving_date
            .parse::<Date>()
            .is_ok_and(|d| ticked_by(l.accounts_disabled.as_ref(), d, g))
    });
    Section {
        title: "Leavers".into(),
        summary: "People whose leaving date fell in the month and their leaver checklists.".into(),
        figures: vec![
            Figure::new("Leavers", n, &source),
            Figure::new(
                "Accounts disabled by the leaving date",
                rate(disabled_in_time, n),
                &format!("{source}; accounts_disabled_at by the leaving date"),
            ),
            Figure::new(
                "Equipment returned",
                rate(count(&|l| l.equipment_returned.is_some()), n),
                &format!("{source}; equipment_returned_at set"),
            ),
            Figure::new(
                "Credentials handed over",
                rate(count(&|l| l.credentials_handed_over.is_some()), n),
                &format!("{source}; credentials_handed_over_at set"),
            ),
            Figure::new(
                "Checklists closed",
                rate(count(&|l| l.closed.is_some()), n),
                &format!("{source}; closed_at set"),
            ),
        ],
        charts: vec![],
        table: None,
    }
}
