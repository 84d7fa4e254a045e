//! Baselines: what a metric's next value should be, learned from its history, and whether a
//! new value falls outside. Three models, all robust (medians and median absolute deviations,
//! so one bad day does not widen the band for the next month):
//!
//! - `median`: the rolling median of the last `window` values, ± `sensitivity` × MAD;
//! - `seasonal`: a robust fit of a trend and one level per weekday (`weekly`) or hour of day
//!   (`daily`), with a spread measured on every residual; see `seasonal()` for how, and the
//!   `synthetic` module for how well it does;
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

/// A value's transform into the fit's scale, or back.
type Transform = fn(f64) -> f64;

/// The seasonal model, a robust regression of the history on a trend and one level per bucket
/// (weekday, or hour of day), read at `now`. Returns (expected, low, high, points).
///
/// - Each bucket keeps its last `window` values; the fit is y = level(bucket) + slope × days.
///   All buckets share the slope, and the spread is measured on every residual, so a bucket of
///   a few values borrows from the others what it cannot measure alone.
/// - The start is robust: the trend is the median slope between two values of the same bucket
///   (whole seasons apart, so the season cancels), each level the bucket's median along it, and
///   the scale the MAD of the residuals.
/// - Then a few rounds of Tukey's bisquare (iteratively reweighted least squares): values near
///   the fit count fully, like a mean (a bucket's mean of n values is off by σ/√n, its median by
///   about 1.25σ/√n, which matters when a weekday has one value a week), and values beyond 3.5
///   robust deviations count not at all, so past spikes and outages do not move the baseline.
///   The scale for the weights is re-measured each round (below).
/// - The spread is the standard deviation of the residuals within 2.5 robust deviations (of the
///   MAD, then of its own; corrected for the cut), each residual scaled by 1/√(1 − h) for its
///   leverage h (a residual from a fit it pulled on is smaller than the noise).
/// - The band is a prediction band: ± `sensitivity` × spread × √(1 + h₀), where h₀ is the
///   uncertainty of the expected value itself (its bucket's level, and the trend carried from
///   the bucket's mean time to now), in units of the noise.
///
/// For a positive metric the fit is on logarithms and the spread measured as a fraction of the
/// level: seasonality and noise of volumes are proportional to the level (a Saturday at half
/// volume has half the noise), which logarithms turn into equal, additive parts.
fn seasonal(spec: &Spec, history: &[(DateTime<Utc>, f64)], now: DateTime<Utc>) -> Option<(f64, f64, f64, usize)> {
    let season = spec.season.unwrap_or(Season::Weekly);
    let window = spec.window.max(2);
    let log = history.iter().all(|(_, v)| *v > 0.0);
    let (to, from): (Transform, Transform) = if log { (f64::ln, f64::exp) } else { (|v| v, |v| v) };
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
    let own_key = bucket(now, season);
    buckets.get(&own_key).filter(|b| !b.is_empty())?;
    let buckets: Vec<(u32, Vec<(f64, f64)>)> = buckets.into_iter().collect();

    // The robust start.
    let mut slopes = Vec::new();
    for (_, b) in &buckets {
        for (i, (x0, y0)) in b.iter().enumerate() {
            slopes.extend(b[i + 1..].iter().filter(|(x1, _)| x1 > x0).map(|(x1, y1)| (y1 - y0) / (x1 - x0)));
        }
    }
    let has_trend = slopes.len() >= 3;
    let mut slope = if has_trend { select_median(&mut slopes) } else { 0.0 };
    let mut levels: Vec<f64> =
        buckets.iter().map(|(_, b)| median(&mut b.iter().map(|(x, y)| y - slope * x).collect::<Vec<_>>())).collect();
    let residual = |slope: f64, levels: &[f64]| -> Vec<Vec<f64>> {
        buckets.iter().zip(levels).map(|((_, b), l)| b.iter().map(|(x, y)| y - l - slope * x).collect()).collect()
    };
    let start: Vec<f64> = residual(slope, &levels)
        .iter()
        .filter(|r| r.len() >= 2)
        .flat_map(|r| {
            let n = r.len() as f64;
            r.iter().map(move |e| e * (n / (n - 1.0)).sqrt())
        })
        .collect();
    let scale = if start.is_empty() { 0.0 } else { mad(&start, 0.0) };

    // The bisquare refinement.
    let mut weights: Vec<Vec<f64>> = buckets.iter().map(|(_, b)| vec![1.0; b.len()]).collect();
    // Per bucket: Σw, Σwx, Σwx², and the trend's Σ over buckets of the within-bucket Σw(x − x̄)².
    let sums = |weights: &[Vec<f64>]| -> (Vec<(f64, f64, f64)>, f64) {
        let per: Vec<(f64, f64, f64)> = buckets
            .iter()
            .zip(weights)
            .map(|((_, b), w)| {
                b.iter()
                    .zip(w)
                    .fold((0.0, 0.0, 0.0), |(sw, sx, sxx), ((x, _), w)| (sw + w, sx + w * x, sxx + w * x * x))
            })
            .collect();
        let within = per.iter().filter(|(sw, _, _)| *sw > 0.0).map(|(sw, sx, sxx)| sxx - sx * sx / sw).sum::<f64>();
        (per, within)
    };
    // Leverage-corrected residuals (`relative`: as fractions of the level, on logarithms).
    let corrected = |slope: f64, levels: &[f64], weights: &[Vec<f64>], relative: bool| -> Vec<f64> {
        let (per, within) = sums(weights);
        let mut out = Vec::new();
        for ((((_, b), w), r), (sw, sx, _)) in buckets.iter().zip(weights).zip(residual(slope, levels)).zip(&per) {
            for (((x, _), w), e) in b.iter().zip(w).zip(r) {
                let trend = if has_trend && within > 1e-9 { (x - sx / sw).powi(2) / within } else { 0.0 };
                let h = if *sw > 0.0 { w / sw + w * trend } else { 1.0 };
                if h < 1.0 - 1e-9 {
                    out.push(if relative { e.exp() - 1.0 } else { e } / (1.0 - h).sqrt());
                }
            }
        }
        out
    };
    let mut scale = scale;
    for _ in 0..ROUNDS {
        if scale <= 0.0 {
            break;
        }
        for (w, r) in weights.iter_mut().zip(residual(slope, &levels)) {
            for (w, e) in w.iter_mut().zip(r) {
                let u = e / (BISQUARE * scale);
                *w = if u.abs() < 1.0 { (1.0 - u * u).powi(2) } else { 0.0 };
            }
        }
        let (per, within) = sums(&weights);
        if has_trend && within > 1e-9 {
            let mut sxy = 0.0;
            for (((_, b), w), (sw, sx, _)) in buckets.iter().zip(&weights).zip(&per) {
                if *sw > 0.0 {
                    let sy: f64 = b.iter().zip(w).map(|((_, y), w)| w * y).sum();
                    let swxy: f64 = b.iter().zip(w).map(|((x, y), w)| w * x * y).sum();
                    sxy += swxy - sx * sy / sw;
                }
            }
            slope = sxy / within;
        }
        for ((l, (_, b)), (w, (sw, _, _))) in levels.iter_mut().zip(&buckets).zip(weights.iter().zip(&per)) {
            if *sw > 0.0 {
                *l = b.iter().zip(w).map(|((x, y), w)| w * (y - slope * x)).sum::<f64>() / sw;
            }
        }
        scale = trimmed_sd(&corrected(slope, &levels, &weights, false));
    }
    let (per, within) = sums(&weights);
    let residuals = corrected(slope, &levels, &weights, log);
    let own = buckets.iter().position(|(k, _)| *k == own_key)?;
    let center = from(levels[own]);
    let spread = trimmed_sd(&residuals) * if log { center } else { 1.0 };
    // How far off the expected value itself may be, in noise variances: the level of its bucket
    // (a weighted mean) and the trend carried from the bucket's mean time to now (x = 0).
    let (sw, sx, _) = per[own];
    let h0 = if sw > 0.0 {
        let trend = if has_trend && within > 1e-9 { (sx / sw).powi(2) / within } else { 0.0 };
        weights[own].iter().map(|w| w * w).sum::<f64>() / (sw * sw) + trend
    } else {
        std::f64::consts::FRAC_PI_2 / buckets[own].1.len() as f64
    };
    let half = spec.sensitivity * spread * (1.0 + h0).sqrt();
    let points = buckets.iter().map(|(_, b)| b.len()).sum();
    Some((center, center - half, center + half, points))
}

/// Rounds of reweighting: the bisquare fit settles in a few from a robust start.
const ROUNDS: usize = 4;
/// Tukey's bisquare cut, in robust deviations: lower than the textbook 4.685 (95% as efficient
/// as a mean) so that the 4σ anomalies the check exists for get almost no weight once in the
/// history; about 85% as efficient as a mean on clean noise.
const BISQUARE: f64 = 3.5;
/// The spread counts residuals within this many robust deviations, and divides by the variance
/// a normal variable keeps within that cut (0.9113σ² within ±2.5σ).
const TRIM: f64 = 2.5;
const TRIM_VARIANCE: f64 = 0.911_26;

/// The standard deviation of the values within `TRIM` robust deviations of zero, corrected for
/// the cut: nearly as precise as a plain standard deviation on normal noise, and deaf to
/// outliers, where a MAD is only 37% as precise.
fn trimmed_sd(values: &[f64]) -> f64 {
    let mut s = if values.is_empty() { 0.0 } else { mad(values, 0.0) };
    for _ in 0..2 {
        if s == 0.0 {
            return 0.0;
        }
        let kept: Vec<f64> = values.iter().copied().filter(|v| v.abs() <= TRIM * s).collect();
        s = (kept.iter().map(|v| v * v).sum::<f64>() / kept.len() as f64 / TRIM_VARIANCE).sqrt();
    }
    s
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
