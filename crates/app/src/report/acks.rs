//! Acknowledgement coverage: how many of the people still here have signed the version of the
//! policy they must, and the briefings and inductions owed, as of the month's end.

use charter_store::{AckKind, PersonStatus};

use super::{Figure, Gathered, Section, rate};

pub(super) fn section(g: &Gathered) -> Section {
    let active = g
        .people
        .iter()
        .filter(|p| p.status == PersonStatus::Active)
        .count();
    let owing = |kind: AckKind| g.acks_due.iter().filter(|d| d.kind == kind).count();
    let overdue = g.acks_due.iter().filter(|d| d.clock.overdue).count();
    let source = "people: active; acknowledgements and policies (the latest material version)";
    Section {
        title: "Acknowledgement coverage".into(),
        summary: "Who has signed the policy version they must, at the end of the month (or today, for the current month).".into(),
        figures: vec![
            Figure::new(
                "Signed the required version",
                rate(active.saturating_sub(owing(AckKind::Agreement)), active),
                source,
            ),
            Figure::new("Briefings owed", owing(AckKind::Briefing), source),
            Figure::new("Inductions owed", owing(AckKind::Induction), source),
            Figure::new("Acknowledgements overdue", overdue, source),
        ],
        charts: vec![],
        table: None,
    }
}
