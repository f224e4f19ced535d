//! What the commands that run a gateway share (`serve`, `squid-helper`): the clock they
//! decide by.

use charter_gateways::web::Clock;
use jiff::tz::TimeZone;

use crate::time::{TimeError, parse_time};

/// The clock from `--at` (an instant, or a local time in `tz`), else the system clock. Only
/// the command line fixes it: a variable left in Squid's or systemd's environment must not
/// freeze every time window unseen.
pub fn clock_from(at: Option<&str>, tz: &TimeZone) -> Result<Clock, TimeError> {
    match at {
        None => Ok(Clock::System),
        Some(text) => Ok(Clock::Fixed(parse_time(text, tz)?)),
    }
}

/// Says on stderr, as `who`, that a fixed clock is in use, so that it shows in the site's
/// logs (Squid's cache.log, the journal) rather than only as rules that never change.
pub fn announce_fixed_clock(who: &str, clock: &Clock) {
    if let Clock::Fixed(at) = clock {
        eprintln!("{who}: at={at}: Fixed clock in use; time windows will not move.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_is_read_in_the_pack_zone_and_absent_means_the_system_clock() {
        let london = TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC);
        assert_eq!(clock_from(None, &london), Ok(Clock::System));
        let fixed = clock_from(Some("2026-06-15T10:00"), &london);
        assert_eq!(
            fixed,
            Ok(Clock::Fixed(
                "2026-06-15T09:00:00Z"
                    .parse()
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            ))
        );
        assert!(clock_from(Some("tomorrow"), &london).is_err());
    }
}
