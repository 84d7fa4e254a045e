//! Times as users write them (`--now`, `--since`, a waiver's `until`) and the clock: one reading
//! for every command, so `--now 2026-11-22` means the same instant to `check`, `alerts` and
//! `report`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Reads an instant: RFC 3339 (`2026-11-22T06:00:00Z`, any offset), a timestamp without an
/// offset (`2026-11-22T06:00:00`, `2026-11-22 06:00:00.5`, `2026-11-22T06:00`; read as UTC), or
/// a date (midnight UTC). Surrounding spaces are ignored; calendar-impossible dates are not read.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

/// Reads `YYYY-MM-DD` as days since 1970-01-01 (`2026-02-30` is no date).
pub fn parse_date(s: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(date.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days())
}

/// Today, in days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    Utc::now().timestamp().div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_dates_read_alike_everywhere() {
        let noon = parse_time("2026-11-22T12:00:00Z").unwrap();
        for same in
            ["2026-11-22T13:00:00+01:00", " 2026-11-22T12:00:00 ", "2026-11-22 12:00:00.000", "2026-11-22T12:00"]
        {
            assert_eq!(parse_time(same), Some(noon), "{same}");
        }
        assert_eq!(parse_time("2026-11-22"), parse_time("2026-11-22T00:00:00Z"));
        for bad in ["2026-02-30", "2026-13-01", "yesterday", "", "2026-11-22T25:00:00Z"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-22"), Some(20_779));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        for bad in ["2026-13-01", "2026-02-30", "2026-1-1x", "x"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        // The date and the instant agree.
        assert_eq!(parse_time("2026-11-22").unwrap().timestamp(), parse_date("2026-11-22").unwrap() * 86_400);
        assert!(today() > parse_date("2026-01-01").unwrap());
    }
}
