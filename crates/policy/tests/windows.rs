//! Time windows across both 2026 clock changes in Europe/London, checked against an oracle
//! that knows the UK rule (BST from 01:00 UTC on 29 March to 01:00 UTC on 25 October 2026)
//! without asking the time-zone database.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected output"
)]

use charter_policy::{Pack, parse};
use jiff::Timestamp;
use proptest::prelude::*;

const PACK: &str = r#"
[policy]
id = "w"
title = "Windows"
source = "test"
timezone = "Europe/London"

[organisation]
name = "W Ltd"

[hours]
working = { days = "Mon-Fri", from = "09:00", to = "17:30" }
breaks = [{ from = "12:30", to = "13:30" }]
personal_use = ["breaks", "outside_working"]

[windows]
night_shift = { days = "Sat", from = "22:00", to = "06:00" }
"#;

fn pack() -> Pack {
    parse(PACK, "windows.toml").expect("test pack loads")
}

/// Seconds since the epoch of the 2026 UK clock changes.
const BST_STARTS: i64 = 1_774_746_000; // 2026-03-29T01:00:00Z
const BST_ENDS: i64 = 1_792_890_000; // 2026-10-25T01:00:00Z

/// Local weekday (0 = Monday) and minute of day by the UK rule, computed by hand.
fn uk_local(seconds: i64) -> (i64, i64) {
    let offset = if (BST_STARTS..BST_ENDS).contains(&seconds) {
        3600
    } else {
        0
    };
    let local = seconds + offset;
    let days = local.div_euclid(86_400);
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    let weekday = (days + 3).rem_euclid(7);
    let minute = local.rem_euclid(86_400) / 60;
    (weekday, minute)
}

fn oracle_working(seconds: i64) -> bool {
    let (weekday, minute) = uk_local(seconds);
    weekday < 5 && (9 * 60..17 * 60 + 30).contains(&minute)
}

fn oracle_break(seconds: i64) -> bool {
    let (weekday, minute) = uk_local(seconds);
    weekday < 5 && (12 * 60 + 30..13 * 60 + 30).contains(&minute)
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("in range")
}

/// Instants within three weeks either side of each clock change, at any second.
fn near_clock_changes() -> impl Strategy<Value = i64> {
    let three_weeks = 21 * 86_400;
    prop_oneof![
        (BST_STARTS - three_weeks)..(BST_STARTS + three_weeks),
        (BST_ENDS - three_weeks)..(BST_ENDS + three_weeks),
    ]
}

proptest! {
    #[test]
    fn working_hours_follow_the_local_clock(seconds in near_clock_changes()) {
        prop_assert_eq!(pack().windows.contains("working", at(seconds)), Some(oracle_working(seconds)));
    }

    #[test]
    fn outside_working_is_the_complement(seconds in near_clock_changes()) {
        prop_assert_eq!(
            pack().windows.contains("outside_working", at(seconds)),
            Some(!oracle_working(seconds))
        );
    }

    #[test]
    fn personal_use_is_breaks_or_outside_working(seconds in near_clock_changes()) {
        let expected = oracle_break(seconds) || !oracle_working(seconds);
        prop_assert_eq!(pack().windows.contains("personal_use", at(seconds)), Some(expected));
    }

    #[test]
    fn any_instant_of_2026(seconds in 1_767_225_600i64..1_798_761_600) {
        prop_assert_eq!(pack().windows.contains("working", at(seconds)), Some(oracle_working(seconds)));
    }
}

#[test]
fn nine_am_on_the_monday_after_clocks_go_forward_is_eight_utc() {
    // Monday 30 March 2026: BST.
    let windows = pack().windows;
    assert_eq!(
        windows.contains("working", "2026-03-30T07:59:59Z".parse().unwrap()),
        Some(false)
    );
    assert_eq!(
        windows.contains("working", "2026-03-30T08:00:00Z".parse().unwrap()),
        Some(true)
    );
}

#[test]
fn nine_am_on_the_monday_after_clocks_go_back_is_nine_utc() {
    // Monday 26 October 2026: GMT.
    let windows = pack().windows;
    assert_eq!(
        windows.contains("working", "2026-10-26T08:59:59Z".parse().unwrap()),
        Some(false)
    );
    assert_eq!(
        windows.contains("working", "2026-10-26T09:00:00Z".parse().unwrap()),
        Some(true)
    );
}

#[test]
fn the_friday_before_clocks_go_forward_ends_at_half_five_gmt() {
    let windows = pack().windows;
    assert_eq!(
        windows.contains("working", "2026-03-27T17:29:00Z".parse().unwrap()),
        Some(true)
    );
    assert_eq!(
        windows.contains("working", "2026-03-27T17:30:00Z".parse().unwrap()),
        Some(false)
    );
}

#[test]
fn overnight_window_runs_past_midnight_across_the_autumn_change() {
    // Saturday 24 October 22:00 BST to Sunday 25 October 06:00 GMT: the night is an hour longer.
    let windows = pack().windows;
    assert_eq!(
        windows.contains("night_shift", "2026-10-24T20:59:00Z".parse().unwrap()),
        Some(false)
    );
    assert_eq!(
        windows.contains("night_shift", "2026-10-24T21:00:00Z".parse().unwrap()),
        Some(true)
    );
    assert_eq!(
        windows.contains("night_shift", "2026-10-25T05:59:00Z".parse().unwrap()),
        Some(true)
    );
    assert_eq!(
        windows.contains("night_shift", "2026-10-25T06:00:00Z".parse().unwrap()),
        Some(false)
    );
}

#[test]
fn next_edge_on_the_spring_change_day_is_on_the_local_clock() {
    // Edges are the local times windows open or close (09:00, 12:30, 13:30, 17:30, ...),
    // taken on every day. At 13:00 BST on Sunday 29 March the next is 13:30 BST = 12:30 UTC.
    let edge = pack()
        .windows
        .next_edge_after("2026-03-29T12:00:00Z".parse().unwrap());
    assert_eq!(edge, Some("2026-03-29T12:30:00Z".parse().unwrap()));
}
