//! Personal-use accounting, baselines and unusual activity: pure functions over request
//! times and counts. The app feeds them the web records it writes and keeps what they return
//! as daily counts (`usage_daily`), which outlive the raw records' retention.
//!
//! - [`sessions`]: browsing time from request times. A request extends its person's session
//!   by up to the idle gap: the time from one request to that person's next counts, up to
//!   the gap, for the earlier request's category; the last request of a session counts the
//!   whole gap. Time is split at local midnight and at the edges of the pack's
//!   `personal_use` window, so each slice is inside or outside it.
//! - [`baseline`]: each person's own usual use of a category in an hour of the week (median
//!   and median absolute deviation over past weeks) and whether an hour is unusual against it.
//! - [`first_seen`]: the network a login came from (a site's CIDR-to-country table, or the
//!   /24 or /48 when there is none) and whether a person has been seen there before.
//!
//! ```
//! use charter_engine::usage::sessions::Tracker;
//! let mut t = Tracker::new(120);
//! let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
//! assert!(t.request("ann", at("2026-06-15T10:00:00Z"), "streaming").is_none());
//! let c = t.request("ann", at("2026-06-15T10:01:00Z"), "streaming").unwrap();
//! assert_eq!(c.seconds(), 60);
//! ```

pub mod baseline;
pub mod first_seen;
pub mod sessions;
