//! The one duration parser: every `contrakt.yaml` field and command-line flag that takes a
//! duration reads it here, so all accept the same forms and none can overflow.
//!
//! A duration is a decimal number and a unit: `500ms`, `30s`, `1.5m`, `24h`, `2d`. It is
//! computed exactly (in nanoseconds, without floating point) and must be at most
//! [`MAX`] (3,650 days, about ten years): enough for any cooldown or lease, small enough that
//! adding it to any time contrakt handles cannot overflow.

use std::time::Duration;

/// The longest duration accepted: 3,650 days.
pub const MAX: Duration = Duration::from_secs(3650 * 86_400);

/// Longest text read as a duration; longer is refused before any arithmetic.
const MAX_LEN: usize = 64;

/// Whether a number without a unit is accepted, as seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareNumber {
    /// `30` is refused: configuration values name their unit.
    Refuse,
    /// `30` and `2.5` are seconds (flags documented as `SECONDS`).
    Seconds,
}

/// Reads `s` (`500ms`, `30s`, `1.5m`, `24h`, `2d`). The error is a sentence without the
/// value's name, for the caller to prefix (`cooldown: …`, `--deliver-for: …`).
pub fn parse(s: &str, bare: BareNumber) -> Result<Duration, String> {
    read(s, bare, Bounds { positive: false, max: MAX })
}

/// Reads `s` as [`parse`] does, held to more than zero and at most `max` (itself at most
/// [`MAX`]): for a bound on a wait (`--timeout`), where zero would give up before starting.
pub fn parse_positive(s: &str, bare: BareNumber, max: Duration) -> Result<Duration, String> {
    read(s, bare, Bounds { positive: true, max: max.min(MAX) })
}

#[derive(Clone, Copy)]
struct Bounds {
    positive: bool,
    max: Duration,
}

fn read(s: &str, bare: BareNumber, bounds: Bounds) -> Result<Duration, String> {
    let text = s.trim();
    let shown: String = text.chars().take(MAX_LEN).collect();
    let shown = if text.chars().count() > MAX_LEN { format!("{shown}…") } else { shown };
    let forms = match bare {
        BareNumber::Refuse => "500ms, 30s, 15m, 24h or 2d",
        BareNumber::Seconds => "seconds as 30 or 2.5, or 500ms, 15m, 24h, 2d",
    };
    let syntax = || format!("cannot read `{shown}` as a duration (use {forms})");
    let least = if bounds.positive { "more than zero" } else { "zero or more" };
    if text.is_empty() {
        return Err(format!("a duration is required (use {forms})"));
    }
    if text.starts_with('-') {
        return Err(format!("`{shown}` is negative; a duration is {least}"));
    }
    // `1e20` and `inf` read as numbers elsewhere; here a number is written out in digits.
    if bare == BareNumber::Seconds
        && text.parse::<f64>().is_ok()
        && !text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return Err(format!("`{shown}` is not written in digits (use {forms})"));
    }
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_nanos: u128 = match unit.trim() {
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3600 * 1_000_000_000,
        "d" => 86_400 * 1_000_000_000,
        "" if bare == BareNumber::Seconds => 1_000_000_000,
        "" => return Err(format!("`{shown}` has no unit (use 500ms, 30s, 15m, 24h or 2d)")),
        _ => return Err(syntax()),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return Err(syntax());
    }
    let too_long = || {
        if bounds.max == MAX {
            format!("`{shown}` is longer than the most contrakt accepts, {} days", MAX.as_secs() / 86_400)
        } else {
            format!("`{shown}` is longer than the most allowed here, {}", format(bounds.max))
        }
    };
    // Leading zeros do not change the value; anything longer than this is over the bound anyway.
    let whole = whole.trim_start_matches('0');
    if whole.len() > 20 {
        return Err(too_long());
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| syntax())? };
    let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
    // The fraction, exactly, down to the nanosecond (finer digits are dropped).
    let mut scale = unit_nanos;
    for digit in fraction.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        nanos += u128::from(digit - b'0') * scale;
    }
    if nanos > bounds.max.as_nanos() {
        return Err(too_long());
    }
    if bounds.positive && nanos == 0 {
        return Err(format!("`{shown}` is zero; a duration here is {least}"));
    }
    let secs = (nanos / 1_000_000_000) as u64;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// The shortest form [`parse`] reads back as exactly `d`: `2d`, `90m`, `1.5s`, `250ms`.
pub fn format(d: Duration) -> String {
    let nanos = d.as_nanos();
    for (unit, size) in [("d", 86_400_000_000_000u128), ("h", 3_600_000_000_000), ("m", 60_000_000_000)] {
        if nanos > 0 && nanos.is_multiple_of(size) {
            return format!("{}{unit}", nanos / size);
        }
    }
    if nanos.is_multiple_of(1_000_000_000) {
        return format!("{}s", d.as_secs());
    }
    if nanos.is_multiple_of(1_000_000) && nanos < 1_000_000_000 {
        return format!("{}ms", nanos / 1_000_000);
    }
    let fraction = format!("{:09}", d.subsec_nanos());
    format!("{}.{}s", d.as_secs(), fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<Duration, String> {
        parse(s, BareNumber::Refuse)
    }

    #[test]
    fn units() {
        assert_eq!(p("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(p("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(p("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(p(" 2d "), Ok(Duration::from_secs(172_800)));
        assert_eq!(p("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(p(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(p("3650d"), Ok(MAX));
        assert_eq!(parse("2.5", BareNumber::Seconds), Ok(Duration::from_millis(2500)));
    }

    #[test]
    fn refusals_say_why() {
        for (input, why) in [
            ("99999999999999999999999d", "longer than the most contrakt accepts, 3650 days"),
            ("18446744073709551616s", "longer than the most contrakt accepts"),
            ("3651d", "longer than the most contrakt accepts"),
            ("1e20", "cannot read `1e20` as a duration"),
            ("30", "has no unit"),
            ("-5s", "negative"),
            ("", "a duration is required"),
            ("3 weeks", "cannot read"),
            ("h", "cannot read"),
            ("1.2.3s", "cannot read"),
            (".s", "cannot read"),
            ("NaNs", "cannot read"),
        ] {
            let err = p(input).expect_err(input);
            assert!(err.contains(why), "{input:?}: {err}");
        }
        assert!(parse("1e20", BareNumber::Seconds).is_err());
        assert!(parse("inf", BareNumber::Seconds).is_err());
    }

    #[test]
    fn positive_and_bounded_durations_say_which_bound() {
        let max = Duration::from_secs(30 * 86_400);
        let t = |s: &str| parse_positive(s, BareNumber::Seconds, max);
        assert_eq!(t("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(t("30d"), Ok(max));
        assert_eq!(t("15m"), Ok(Duration::from_secs(900)));
        for (input, why) in [
            ("0", "`0` is zero; a duration here is more than zero"),
            ("0.0000000001", "is zero"),
            ("-1", "`-1` is negative; a duration is more than zero"),
            ("30.5d", "`30.5d` is longer than the most allowed here, 30d"),
            ("2592001", "longer than the most allowed here, 30d"),
            ("1e20", "`1e20` is not written in digits"),
            ("inf", "`inf` is not written in digits"),
            ("NaN", "`NaN` is not written in digits"),
            ("soon", "cannot read `soon` as a duration (use seconds as 30 or 2.5"),
        ] {
            let err = t(input).expect_err(input);
            assert!(err.contains(why), "{input:?}: {err}");
        }
        // A bound above MAX is held to MAX.
        assert!(parse_positive("3651d", BareNumber::Refuse, Duration::MAX).unwrap_err().contains("3650 days"));
    }

    #[test]
    fn long_input_is_shortened_in_the_message() {
        let err = p(&"9".repeat(10_000)).unwrap_err();
        assert!(err.len() < 200, "{err}");
    }

    #[test]
    fn formats_read_back() {
        for (d, text) in [
            (Duration::from_secs(172_800), "2d"),
            (Duration::from_secs(5400), "90m"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(250), "250ms"),
            (Duration::ZERO, "0s"),
            (Duration::new(1, 5), "1.000000005s"),
        ] {
            assert_eq!(format(d), text);
            assert_eq!(p(text), Ok(d));
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s, BareNumber::Refuse);
            let _ = parse(&s, BareNumber::Seconds);
        }

        #[test]
        fn numbers_and_units_never_panic(s in "[0-9.]{0,45}(ms|s|m|h|d|)") {
            if let Ok(d) = parse(&s, BareNumber::Seconds) {
                prop_assert!(d <= MAX);
            }
        }

        #[test]
        fn accepted_values_round_trip(s in "[0-9]{0,12}(\\.[0-9]{0,12})?(ms|s|m|h|d)") {
            if let Ok(d) = p(&s) {
                prop_assert!(d <= MAX);
                prop_assert_eq!(p(&format(d)), Ok(d));
            }
        }

        #[test]
        fn every_duration_in_bounds_round_trips(nanos in 0..=MAX.as_nanos() as u64) {
            let d = Duration::from_nanos(nanos);
            prop_assert_eq!(p(&format(d)), Ok(d));
        }
    }
}
