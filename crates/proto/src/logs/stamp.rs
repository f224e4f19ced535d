//! The time stamps log formats write, read without a time zone database: UTC offsets are in
//! the stamp (RFC 3339, Squid's `%tl`) or supplied by the caller (RFC 3164).

/// Microseconds since the epoch of a civil time with a UTC offset in seconds; `None` for a
/// date or time that does not exist (31 February, hour 25).
#[allow(
    clippy::too_many_arguments,
    reason = "the fields of one civil time, in their natural order"
)]
pub fn civil_to_us(
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    micros: u32,
    offset_secs: i32,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        // A leap second is read as the second before.
        || second > 60
        || micros > 999_999
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    let secs = days * 86_400
        + i64::from(hour) * 3_600
        + i64::from(minute) * 60
        + i64::from(second.min(59))
        - i64::from(offset_secs);
    secs.checked_mul(1_000_000)?.checked_add(i64::from(micros))
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The month of an English three-letter abbreviation (`Jan` .. `Dec`).
pub(crate) fn month_of(name: &str) -> Option<u8> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .and_then(|i| u8::try_from(i + 1).ok())
}

/// A run of ASCII digits as a number, `None` for anything else or an empty run.
pub(crate) fn digits<T: TryFrom<u64>>(s: &str) -> Option<T> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    T::try_from(n).ok()
}

/// `HH:MM:SS`.
pub(crate) fn clock_of(s: &str) -> Option<(u8, u8, u8)> {
    let mut parts = s.split(':');
    let h = digits(parts.next()?)?;
    let m = digits(parts.next()?)?;
    let sec = digits(parts.next()?)?;
    parts.next().is_none().then_some((h, m, sec))
}

/// `SECONDS.FRACTION` since the epoch (Squid's `%ts.%03tu`, usbguard's stamps), in
/// microseconds; digits past the sixth are dropped.
pub(crate) fn epoch_us(s: &str) -> Option<i64> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = digits(secs)?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let micros = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// A UTC offset `+hh:mm`, `+hhmm` or `Z`, in seconds.
pub(crate) fn offset_of(s: &str) -> Option<i32> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = s.get(1..)?.replace(':', "");
    if rest.len() != 4 {
        return None;
    }
    let h: i32 = digits(rest.get(..2)?)?;
    let m: i32 = digits(rest.get(2..)?)?;
    (h <= 23 && m <= 59).then_some(sign * (h * 3_600 + m * 60))
}

/// An RFC 3339 time (`2026-12-01T03:30:31.123456+00:00`, `...Z`), as RFC 5424 and rsyslog's
/// high-precision file format write it, in microseconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let year: i32 = digits(d.next()?)?;
    let month = digits(d.next()?)?;
    let day = digits(d.next()?)?;
    if d.next().is_some() {
        return None;
    }
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (time, zone) = rest.split_at(zone_at);
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (time, None),
    };
    let (h, m, sec) = clock_of(hms)?;
    let micros = match frac {
        None => 0,
        Some(f) if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) => {
            return None;
        }
        Some(f) => u32::try_from(epoch_us(&format!("0.{f}"))?).ok()?,
    };
    civil_to_us(year, month, day, h, m, sec, micros, offset_of(zone)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_times_count_from_the_epoch_and_impossible_dates_are_refused() {
        assert_eq!(civil_to_us(1970, 1, 1, 0, 0, 0, 0, 0), Some(0));
        assert_eq!(
            civil_to_us(2026, 12, 1, 3, 30, 31, 0, 0),
            Some(1_796_095_831_000_000)
        );
        assert!(civil_to_us(2024, 2, 29, 0, 0, 0, 0, 0).is_some());
        assert_eq!(civil_to_us(2026, 2, 29, 0, 0, 0, 0, 0), None);
        assert_eq!(civil_to_us(2026, 13, 1, 0, 0, 0, 0, 0), None);
        assert_eq!(civil_to_us(2026, 1, 1, 24, 0, 0, 0, 0), None);
    }

    #[test]
    fn rfc3339_reads_fractions_and_offsets() {
        assert_eq!(
            parse_rfc3339("2026-12-01T03:30:31.5Z"),
            Some(1_796_095_831_500_000)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T04:30:31.000001+01:00"),
            Some(1_796_095_831_000_001)
        );
        assert_eq!(parse_rfc3339("2026-12-01T03:30:31"), None);
        assert_eq!(parse_rfc3339("2026-12-01T03:30:31.Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
