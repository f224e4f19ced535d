//! Software and authorisation requests: what people asked for in the month and how it was
//! decided.

use charter_store::{ApprovalKind, ApprovalStatus, SoftwareStatus};

use super::{Bar, Chart, Figure, Gathered, Section};

pub(super) fn section(g: &Gathered) -> Section {
    let software: Vec<_> = g
        .software
        .iter()
        .filter(|s| g.month.holds(&s.requested_at))
        .collect();
    let access: Vec<_> = g
        .approvals
        .iter()
        .filter(|a| a.kind == ApprovalKind::Access && g.month.holds(&a.requested_at))
        .collect();
    let continued = g
        .approvals
        .iter()
        .filter(|a| a.kind == ApprovalKind::Continue && g.month.holds(&a.requested_at))
        .count();
    let soft = |s: SoftwareStatus| software.iter().filter(|r| r.status == s).count() as i64;
    // An access request that ran out after approval was approved.
    let acc = |s: &[ApprovalStatus]| access.iter().filter(|r| s.contains(&r.status)).count() as i64;
    let software_source = format!("software_requests: {}", g.filter("requested_at"));
    let access_source = format!("approvals: kind = access, {}", g.filter("requested_at"));
    Section {
        title: "Software and authorisation requests".into(),
        summary: "Requests for software and for access to sites a hold rule holds, made in the month, by where they stand now.".into(),
        figures: vec![
            Figure::new("Software requests", software.len(), &software_source),
            Figure::new("Site access requests", access.len(), &access_source),
            Figure::new(
                "Warnings continued past",
                continued,
                &format!("approvals: kind = continue, {}", g.filter("requested_at")),
            ),
        ],
        charts: vec![Chart {
            title: "Requests by outcome".into(),
            unit: "requests".into(),
            series: vec!["waiting".into(), "approved".into(), "refused".into()],
            bars: vec![
                Bar {
                    label: "software".into(),
                    values: vec![
                        soft(SoftwareStatus::Requested),
                        soft(SoftwareStatus::Approved),
                        soft(SoftwareStatus::Refused),
                    ],
                },
                Bar {
                    label: "site access".into(),
                    values: vec![
                        acc(&[ApprovalStatus::Requested]),
                        acc(&[ApprovalStatus::Approved, ApprovalStatus::Expired]),
                        acc(&[ApprovalStatus::Refused]),
                    ],
                },
            ],
            source: format!("{software_source}; {access_source}"),
        }],
        table: None,
    }
}
