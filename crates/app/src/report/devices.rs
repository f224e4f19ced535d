//! Devices lost and returned: lost or stolen reports in the month, devices returned, and the
//! register's state.

use charter_store::{DeviceStatus, IncidentKind};

use super::{Figure, Gathered, Section};

pub(super) fn section(g: &Gathered) -> Section {
    let reported = g
        .incidents
        .iter()
        .filter(|i| i.kind == IncidentKind::LostStolenDevice && g.month.holds(&i.reported_at))
        .count();
    let now_in = |s: DeviceStatus| {
        g.devices
            .iter()
            .filter(|d| d.status == s && g.month.holds(&d.updated_at))
            .count()
    };
    let equipment_back = g
        .leavers
        .iter()
        .filter(|l| {
            l.equipment_returned
                .as_ref()
                .is_some_and(|t| g.month.holds(&t.at))
        })
        .count();
    let missing = g
        .devices
        .iter()
        .filter(|d| matches!(d.status, DeviceStatus::Lost | DeviceStatus::Stolen))
        .count();
    Section {
        title: "Devices lost and returned".into(),
        summary: "Devices reported lost or stolen, and devices handed back, in the month.".into(),
        figures: vec![
            Figure::new(
                "Lost or stolen reports",
                reported,
                &format!(
                    "incidents: kind = lost_stolen_device, {}",
                    g.filter("reported_at")
                ),
            ),
            Figure::new(
                "Devices marked lost",
                now_in(DeviceStatus::Lost),
                &format!("devices: status = lost, {}", g.filter("updated_at")),
            ),
            Figure::new(
                "Devices marked stolen",
                now_in(DeviceStatus::Stolen),
                &format!("devices: status = stolen, {}", g.filter("updated_at")),
            ),
            Figure::new(
                "Devices returned",
                now_in(DeviceStatus::Returned),
                &format!("devices: status = returned, {}", g.filter("updated_at")),
            ),
            Figure::new(
                "Leavers' equipment returned",
                equipment_back,
                &format!("leavers: {}", g.filter("equipment_returned_at")),
            ),
            Figure::new(
                "Devices still missing",
                missing,
                "devices: status in (lost, stolen), today",
            ),
        ],
        charts: vec![],
        table: None,
    }
}
