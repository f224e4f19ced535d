//! Each person's own baseline: how much of a category they usually use in one hour of the
//! week, from the same hour of past weeks, with robust statistics (median and median absolute
//! deviation) so one earlier odd week does not move it; and whether an hour is unusual
//! against it, with the sentence that explains why.

use jiff::civil::Weekday;

/// When an hour counts as unusual.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Past weeks needed before a baseline is trusted.
    pub min_weeks: usize,
    /// The hour must be at least this many times the usual amount.
    pub ratio: f64,
    /// And at least this many robust deviations above it.
    pub score: f64,
    /// And at least this long, in seconds: a few minutes are never unusual.
    pub min_seconds: i64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            min_weeks: 4,
            ratio: 3.0,
            score: 3.5,
            min_seconds: 15 * 60,
        }
    }
}

/// What is usual for one person, category and hour of the week.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usual {
    /// Median seconds over the past weeks.
    pub median: f64,
    /// Median absolute deviation from it.
    pub mad: f64,
    /// How many weeks it was taken from.
    pub weeks: usize,
}

/// An hour well above what is usual.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unusual {
    /// Seconds in the hour.
    pub observed: i64,
    /// What was usual.
    pub usual: Usual,
    /// Observed over usual (over one minute when the usual amount is nothing).
    pub ratio: f64,
    /// Robust deviations above the usual amount.
    pub score: f64,
}

/// The median of `values` (which it sorts).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The baseline from the seconds of the same hour in past weeks (a week without use is a 0).
pub fn usual(history: &[i64]) -> Usual {
    let mut values: Vec<f64> = history.iter().map(|&s| s as f64).collect();
    let m = median(&mut values);
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    Usual {
        median: m,
        mad: median(&mut deviations),
        weeks: history.len(),
    }
}

/// Whether `observed` seconds in an hour are unusual against `history`: `None` when they
/// are not, or when there are too few past weeks to say.
pub fn assess(history: &[i64], observed: i64, t: &Thresholds) -> Option<Unusual> {
    if history.len() < t.min_weeks || observed < t.min_seconds {
        return None;
    }
    let usual = usual(history);
    // 1.4826 makes the MAD estimate a standard deviation for normal data; the floors keep a
    // person whose use never varies from being flagged for a minute more than usual.
    let spread = (1.4826 * usual.mad).max(0.25 * usual.median).max(300.0);
    let score = (observed as f64 - usual.median) / spread;
    let ratio = observed as f64 / usual.median.max(60.0);
    (score >= t.score && ratio >= t.ratio).then_some(Unusual {
        observed,
        usual,
        ratio,
        score,
    })
}

/// Whether `observed` seconds are unusual both for the hour of the week (`week`: the same
/// weekday and hour in past weeks) and for the hour of the day (`day`: the same hour on each
/// of the past days, four weeks of them). A habit kept on most days but skipped on a few of one
/// weekday is then not unusual on the next: both baselines must find the hour well above
/// usual. The answer is the hour-of-week one, which the explanation names.
pub fn assess_both(week: &[i64], day: &[i64], observed: i64, t: &Thresholds) -> Option<Unusual> {
    let by_week = assess(week, observed, t)?;
    let day_thresholds = Thresholds {
        min_weeks: t.min_weeks * 7,
        ..*t
    };
    // Too few past days to say: the hour-of-week baseline alone decides.
    if day.len() >= day_thresholds.min_weeks {
        assess(day, observed, &day_thresholds)?;
    }
    Some(by_week)
}

/// The hour of the week, 0 (Monday 00:00) to 167 (Sunday 23:00).
pub fn hour_of_week(day: Weekday, hour: i8) -> u8 {
    let d = day.to_monday_zero_offset() as u8;
    d * 24 + (hour.clamp(0, 23) as u8)
}

/// `morning`, `afternoon`, `evening` or `night` for a local hour.
pub fn part_of_day(hour: i8) -> &'static str {
    match hour {
        5..=11 => "morning",
        12..=16 => "afternoon",
        17..=21 => "evening",
        _ => "night",
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// The sentence an alert gives: "3.8x this person's usual streaming on a Tuesday morning
/// (46 minutes between 10:00 and 11:00; usually 12)".
pub fn explain(u: &Unusual, category: &str, day: Weekday, hour: i8) -> String {
    let minutes = (u.observed + 30) / 60;
    let usual_minutes = (u.usual.median / 60.0).round() as i64;
    let when = format!("on a {} {}", weekday_name(day), part_of_day(hour));
    let span = format!("{hour:02}:00 to {:02}:00", (hour + 1) % 24);
    if usual_minutes == 0 {
        format!(
            "{minutes} minutes of {category} {when} ({span}), when this person usually has none"
        )
    } else {
        format!(
            "{:.1}x this person's usual {category} {when} ({minutes} minutes from {span}; usually {usual_minutes})",
            u.ratio
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad_of_a_steady_person() {
        let u = usual(&[600, 660, 540, 600, 620]);
        assert_eq!(u.median, 600.0);
        assert_eq!(u.mad, 20.0);
    }

    #[test]
    fn four_times_the_usual_hour_is_unusual() {
        let u = assess(&[600, 660, 540, 600, 620], 2400, &Thresholds::default()).expect("unusual");
        assert!((u.ratio - 4.0).abs() < 1e-9);
    }

    #[test]
    fn a_bit_more_than_usual_is_not_unusual() {
        assert_eq!(
            assess(&[600, 660, 540, 600, 620], 1200, &Thresholds::default()),
            None
        );
    }

    #[test]
    fn one_odd_past_week_does_not_move_the_baseline() {
        // A week with three hours of streaming is in the history; the median ignores it.
        let u = assess(&[600, 10_800, 540, 600, 620], 2400, &Thresholds::default());
        assert!(u.is_some());
    }

    #[test]
    fn too_few_weeks_say_nothing() {
        assert_eq!(assess(&[0, 0, 0], 3600, &Thresholds::default()), None);
    }

    #[test]
    fn a_few_minutes_are_never_unusual() {
        assert_eq!(assess(&[0, 0, 0, 0, 0], 300, &Thresholds::default()), None);
    }

    #[test]
    fn explained_as_a_multiple_of_the_usual() {
        let u = assess(&[600, 660, 540, 600, 620], 2280, &Thresholds::default()).expect("unusual");
        assert_eq!(
            explain(&u, "streaming", Weekday::Tuesday, 10),
            "3.8x this person's usual streaming on a Tuesday morning (38 minutes from 10:00 to 11:00; usually 10)"
        );
    }

    #[test]
    fn explained_when_there_is_usually_none() {
        let u = assess(&[0, 0, 0, 0, 0], 1800, &Thresholds::default()).expect("unusual");
        assert_eq!(
            explain(&u, "gambling", Weekday::Saturday, 23),
            "30 minutes of gambling on a Saturday night (23:00 to 00:00), when this person usually has none"
        );
    }

    #[test]
    fn a_daily_habit_skipped_on_recent_weeks_is_not_unusual() {
        // Three of the last four Thursdays without it, but every other day at that hour.
        let week = [0, 0, 900, 0];
        let day = [900; 28];
        assert!(assess(&week, 1200, &Thresholds::default()).is_some());
        assert_eq!(assess_both(&week, &day, 1200, &Thresholds::default()), None);
    }

    #[test]
    fn an_hour_unusual_both_ways_is_unusual() {
        let u = assess_both(&[0; 8], &[0; 28], 2400, &Thresholds::default());
        assert!(u.is_some());
    }

    #[test]
    fn hours_of_the_week() {
        assert_eq!(hour_of_week(Weekday::Monday, 0), 0);
        assert_eq!(hour_of_week(Weekday::Sunday, 23), 167);
    }
}
