//! Baselines: what a metric's next value should be, learned from its history, and whether a
//! new value falls outside. Three models, all robust (medians and median absolute deviations,
//! so one bad day does not widen the band for the next month):
//!
//! - `median`: the rolling median of the last `window` values, ± `sensitivity` × MAD;
//! - `seasonal`: the same, over the values in the same season bucket only (same weekday for
//!   `weekly`, same hour of day for `daily`), so Monday is compared with Mondays;
//! - `trend`: a Theil–Sen line through the last `window` values (the median of pairwise
//!   slopes: a straight-line fit that ignores outliers), extrapolated to now, ± `sensitivity` ×
//!   the MAD of the residuals. For metrics that grow, like row counts of an append-only table.
//!
//! MAD is scaled by 1.4826 so that `sensitivity: 3` means about three standard deviations on
//! normal data. A flat history (MAD 0) gets a floor of 1% of the median (or 1), so a constant
//! metric alarms on a real change, not on floating-point noise.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// An adaptive check, as written in a contract's `customProperties` (`contraktAnomaly`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Spec {
    /// The schema object: implied on an object's `customProperties`, required on the
    /// contract's own when it has several objects.
    #[serde(default)]
    pub object: Option<String>,
    /// `rowCount`, `duration`, `bytesScanned`, `min`/`max`/`mean`/`distinctCount`/
    /// `freshnessLag` of a `property`, or the id of one of the contract's checks (its value).
    pub metric: String,
    /// The property a per-property metric (`mean`, …) is of.
    #[serde(default)]
    pub property: Option<String>,
    #[serde(default)]
    pub model: Model,
    /// For `seasonal`: `weekly` or `daily`.
    #[serde(default)]
    pub season: Option<Season>,
    /// Width of the band in (scaled) MADs.
    #[serde(default = "default_sensitivity")]
    pub sensitivity: f64,
    /// Runs needed before the check judges anything; until then it reports `warming up`.
    #[serde(default = "default_min_history")]
    pub min_history: usize,
    /// Which side of the band is an anomaly.
    #[serde(default)]
    pub direction: Direction,
    /// How many of the latest values the model reads (per bucket for `seasonal`).
    #[serde(default = "default_window")]
    pub window: usize,
    /// The severity of an anomaly: `warning` (default) or `error`.
    #[serde(default)]
    pub severity: Option<String>,
}

fn default_sensitivity() -> f64 {
    3.0
}
fn default_min_history() -> usize {
    14
}
fn default_window() -> usize {
    28
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    #[default]
    Median,
    Seasonal,
    Trend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Season {
    Weekly,
    Daily,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Both,
    Up,
    Down,
}

/// The expected range of the next value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub expected: f64,
    pub low: f64,
    pub high: f64,
    /// Values the model read.
    pub points: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Judgement {
    /// Not enough history yet: never an alarm.
    WarmingUp {
        have: usize,
        need: usize,
    },
    Normal {
        band: Band,
    },
    Anomaly {
        band: Band,
    },
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// The scaled median absolute deviation around `center`.
fn mad(values: &[f64], center: f64) -> f64 {
    let mut dev: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    1.4826 * median(&mut dev)
}

fn bucket(t: DateTime<Utc>, season: Season) -> u32 {
    match season {
        Season::Weekly => t.weekday().num_days_from_monday(),
        Season::Daily => t.hour(),
    }
}

/// The band for the value at `now`, from `history` (time, value), oldest first.
pub fn band(spec: &Spec, history: &[(DateTime<Utc>, f64)], now: DateTime<Utc>) -> Option<Band> {
    let window = spec.window.max(2);
    let (center, spread, points) = match spec.model {
        Model::Median | Model::Seasonal => {
            let season = spec.season.unwrap_or(Season::Weekly);
            let mut vals: Vec<f64> = history
                .iter()
                .filter(|(t, _)| spec.model == Model::Median || bucket(*t, season) == bucket(now, season))
                .map(|(_, v)| *v)
                .collect();
            vals = vals.split_off(vals.len().saturating_sub(window));
            if vals.is_empty() {
                return None;
            }
            let c = median(&mut vals.clone());
            (c, mad(&vals, c), vals.len())
        }
        Model::Trend => {
            let recent = &history[history.len().saturating_sub(window)..];
            if recent.len() < 2 {
                return None;
            }
            let t0 = recent[0].0;
            let x = |t: DateTime<Utc>| (t - t0).num_seconds() as f64 / 86_400.0;
            let mut slopes = Vec::new();
            for (i, a) in recent.iter().enumerate() {
                for b in &recent[i + 1..] {
                    let dx = x(b.0) - x(a.0);
                    if dx != 0.0 {
                        slopes.push((b.1 - a.1) / dx);
                    }
                }
            }
            let slope = if slopes.is_empty() { 0.0 } else { median(&mut slopes) };
            let mut intercepts: Vec<f64> = recent.iter().map(|(t, v)| v - slope * x(*t)).collect();
            let intercept = median(&mut intercepts);
            let residuals: Vec<f64> = recent.iter().map(|(t, v)| v - (intercept + slope * x(*t))).collect();
            (intercept + slope * x(now), mad(&residuals, 0.0), recent.len())
        }
    };
    let floor = (center.abs() * 0.01).max(1.0);
    let half = spec.sensitivity * spread.max(floor / spec.sensitivity.max(1.0));
    Some(Band { expected: center, low: center - half, high: center + half, points })
}

/// Judges `value` at `now` against the history.
pub fn judge(spec: &Spec, history: &[(DateTime<Utc>, f64)], now: DateTime<Utc>, value: f64) -> Judgement {
    if history.len() < spec.min_history {
        return Judgement::WarmingUp { have: history.len(), need: spec.min_history };
    }
    match band(spec, history, now) {
        None => Judgement::WarmingUp { have: 0, need: spec.min_history.max(1) },
        Some(band) => {
            let out = match spec.direction {
                Direction::Both => value < band.low || value > band.high,
                Direction::Up => value > band.high,
                Direction::Down => value < band.low,
            };
            if out { Judgement::Anomaly { band } } else { Judgement::Normal { band } }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 6, 0, 0).unwrap() + chrono::Duration::days(d)
    }

    fn spec(model: Model) -> Spec {
        Spec {
            object: None,
            metric: "rowCount".into(),
            property: None,
            model,
            season: Some(Season::Weekly),
            sensitivity: 3.0,
            min_history: 14,
            direction: Direction::Both,
            window: 28,
            severity: None,
        }
    }

    #[test]
    fn warming_up_until_min_history() {
        let h: Vec<_> = (0..13).map(|d| (day(d), 100.0)).collect();
        assert_eq!(judge(&spec(Model::Median), &h, day(13), 1e9), Judgement::WarmingUp { have: 13, need: 14 });
    }

    #[test]
    fn a_spike_alarms_and_an_ordinary_day_does_not() {
        let h: Vec<_> = (0..28).map(|d| (day(d), 1000.0 + (d % 5) as f64 * 10.0)).collect();
        let s = spec(Model::Median);
        assert!(matches!(judge(&s, &h, day(28), 1020.0), Judgement::Normal { .. }));
        assert!(matches!(judge(&s, &h, day(28), 500.0), Judgement::Anomaly { .. }));
        let down_only = Spec { direction: Direction::Down, ..s };
        assert!(matches!(judge(&down_only, &h, day(28), 5000.0), Judgement::Normal { .. }));
    }

    #[test]
    fn seasonal_compares_a_tuesday_with_tuesdays() {
        // Weekends carry a tenth of the weekday volume.
        let v = |d: i64| if day(d).weekday().num_days_from_monday() >= 5 { 100.0 } else { 1000.0 };
        let h: Vec<_> = (0..42).map(|d| (day(d), v(d))).collect();
        let seasonal = spec(Model::Seasonal);
        let saturday = (42..49).find(|d| day(*d).weekday() == chrono::Weekday::Sat).unwrap();
        assert!(matches!(judge(&seasonal, &h, day(saturday), 100.0), Judgement::Normal { .. }));
        assert!(matches!(judge(&seasonal, &h, day(saturday), 1000.0), Judgement::Anomaly { .. }));
        // A plain median cannot tell: a weekday volume on a Saturday looks normal to it.
        assert!(matches!(judge(&spec(Model::Median), &h, day(saturday), 1000.0), Judgement::Normal { .. }));
    }

    #[test]
    fn trend_follows_growth() {
        let h: Vec<_> = (0..30).map(|d| (day(d), 10_000.0 + 500.0 * d as f64 + (d % 3) as f64 * 20.0)).collect();
        let t = spec(Model::Trend);
        assert!(matches!(judge(&t, &h, day(30), 25_020.0), Judgement::Normal { .. }));
        assert!(matches!(judge(&t, &h, day(30), 20_000.0), Judgement::Anomaly { .. }));
        // On a trend a median's band is wide (the spread is the growth): it misses the drop.
        assert!(matches!(judge(&spec(Model::Median), &h, day(30), 20_000.0), Judgement::Normal { .. }));
    }

    proptest! {
        #[test]
        fn a_constant_metric_never_alarms_on_itself(v in -1e9f64..1e9, n in 14usize..60, model in 0..3u8) {
            let model = [Model::Median, Model::Seasonal, Model::Trend][model as usize];
            let h: Vec<_> = (0..n as i64).map(|d| (day(d), v)).collect();
            let verdict = judge(&spec(model), &h, day(n as i64), v);
            prop_assert!(matches!(verdict, Judgement::Normal { .. }), "{verdict:?}");
        }

        #[test]
        fn the_band_contains_the_expected_value_and_widens_with_sensitivity(
            values in proptest::collection::vec(0f64..1e6, 14..40), k in 1f64..6.0
        ) {
            let h: Vec<_> = values.iter().enumerate().map(|(d, v)| (day(d as i64), *v)).collect();
            let narrow = band(&Spec { sensitivity: k, ..spec(Model::Median) }, &h, day(50)).unwrap();
            let wide = band(&Spec { sensitivity: k + 1.0, ..spec(Model::Median) }, &h, day(50)).unwrap();
            prop_assert!(narrow.low <= narrow.expected && narrow.expected <= narrow.high);
            prop_assert!(wide.low <= narrow.low && wide.high >= narrow.high);
        }
    }
}
