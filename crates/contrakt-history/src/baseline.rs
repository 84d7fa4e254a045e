//! Baselines: what a metric's next value should be, learned from its history, and whether a
//! new value falls outside. Three models, all robust (medians and median absolute deviations,
//! so one bad day does not widen the band for the next month):
//!
//! - `median`: the rolling median of the last `window` values, ± `sensitivity` × MAD;
//! - `seasonal`: Monday is compared with Mondays (the same weekday for `weekly`, the same hour
//!   of day for `daily`), after removing a trend, with a spread pooled over all buckets; see
//!   `seasonal()` for how, and the `synthetic` module for how well it does;
//! - `trend`: a Theil–Sen line through the last `window` values (the median of pairwise
//!   slopes: a straight-line fit that ignores outliers), extrapolated to now, ± `sensitivity` ×
//!   the MAD of the residuals. For metrics that grow, like row counts of an append-only table.
//!
//! MAD is scaled by 1.4826 so that `sensitivity: 3` means about three standard deviations on
//! normal data. A flat history (MAD 0) gets a floor of 1% of the median (or 1), so a constant
//! metric alarms on a real change, not on floating-point noise.

use std::collections::BTreeMap;

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
    let k = spec.sensitivity;
    let (center, low, high, points) = match spec.model {
        Model::Seasonal => seasonal(spec, history, now)?,
        Model::Median => {
            let mut vals: Vec<f64> = history.iter().map(|(_, v)| *v).collect();
            vals = vals.split_off(vals.len().saturating_sub(window));
            if vals.is_empty() {
                return None;
            }
            let c = median(&mut vals.clone());
            let s = mad(&vals, c);
            (c, c - k * s, c + k * s, vals.len())
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
            let (c, s) = (intercept + slope * x(now), mad(&residuals, 0.0));
            (c, c - k * s, c + k * s, recent.len())
        }
    };
    let floor = (center.abs() * 0.01).max(1.0);
    Some(Band { expected: center, low: low.min(center - floor), high: high.max(center + floor), points })
}

/// The seasonal model: the same-bucket median, after removing a trend, with a spread pooled
/// over every bucket. Returns (expected, low, high, points).
///
/// - Each bucket (weekday, or hour of day) keeps its last `window` values.
/// - The trend is the median slope between any two values of the same bucket (whole seasons
///   apart, so the season cancels): Theil–Sen within buckets, robust to outliers, and zero for a
///   flat metric. Every value is moved along it to `now`.
/// - The expected value is the median of the moved values in `now`'s bucket.
/// - The spread is the MAD of every value's deviation from its own bucket's median, pooled over
///   all buckets (a bucket alone has too few values to measure spread well), each scaled by
///   √(n/(n−1)) for a bucket of `n` values, whose median sits closer to its values than the
///   true level does.
///
/// For a positive metric the trend and levels are fitted on logarithms, and the spread measured as
/// a fraction of the level: seasonality and noise of volumes are proportional to the level (a
/// Saturday at half volume has half the noise), which logarithms turn into equal, additive parts.
///
/// The band is widened by √(1 + π/2n) for a bucket of `n` values: its median is an estimate too.
fn seasonal(spec: &Spec, history: &[(DateTime<Utc>, f64)], now: DateTime<Utc>) -> Option<(f64, f64, f64, usize)> {
    let season = spec.season.unwrap_or(Season::Weekly);
    let window = spec.window.max(2);
    let log = history.iter().all(|(_, v)| *v > 0.0);
    let (to, from): (fn(f64) -> f64, fn(f64) -> f64) = if log { (f64::ln, f64::exp) } else { (|v| v, |v| v) };
    let days = |t: DateTime<Utc>| (t - now).num_seconds() as f64 / 86_400.0;
    // Newest first into each bucket until it holds `window` values, then oldest first again.
    let mut buckets: BTreeMap<u32, Vec<(f64, f64)>> = BTreeMap::new();
    for (t, v) in history.iter().rev() {
        let b = buckets.entry(bucket(*t, season)).or_default();
        if b.len() < window {
            b.push((days(*t), to(*v)));
        }
    }
    buckets.values_mut().for_each(|b| b.reverse());
    let own = buckets.get(&bucket(now, season)).filter(|b| !b.is_empty())?;
    let mut slopes = Vec::new();
    for b in buckets.values() {
        for (i, (x0, y0)) in b.iter().enumerate() {
            slopes.extend(b[i + 1..].iter().filter(|(x1, _)| x1 > x0).map(|(x1, y1)| (y1 - y0) / (x1 - x0)));
        }
    }
    let slope = if slopes.len() >= 3 { select_median(&mut slopes) } else { 0.0 };
    // Moved to now along the trend (x is days before now, so negative).
    let moved = |b: &[(f64, f64)]| -> Vec<f64> { b.iter().map(|(x, y)| y - slope * x).collect() };
    let mut residuals = Vec::new();
    for b in buckets.values().filter(|b| b.len() >= 2) {
        let z = moved(b);
        let level = median(&mut z.clone());
        let n = z.len() as f64;
        // On logarithms, a deviation as a fraction of the level (e^r − 1), so the band is
        // symmetric in the metric's own units: +12% and −12% are the same size.
        let deviation = |r: f64| if log { r.exp() - 1.0 } else { r };
        residuals.extend(z.iter().map(|v| deviation(v - level) * (n / (n - 1.0)).sqrt()));
    }
    let center = from(median(&mut moved(own)));
    let spread = if residuals.is_empty() { 0.0 } else { mad(&residuals, 0.0) } * if log { center } else { 1.0 };
    // A prediction band: the expected value is itself a median of few values, uncertain by
    // about √(π/2n) standard deviations, which widens the band for short histories.
    let half = spec.sensitivity * spread * (1.0 + std::f64::consts::FRAC_PI_2 / own.len() as f64).sqrt();
    let points = buckets.values().map(Vec::len).sum();
    Some((center, center - half, center + half, points))
}

/// The median without a full sort (for the thousands of pairwise slopes).
fn select_median(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (_, upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return upper;
    }
    let lower = values[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lower + upper) / 2.0
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
