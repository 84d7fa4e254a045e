//! Synthetic metric series with anomalies of known kind, place and size, and a walk-forward
//! evaluation of detectors on them: the detector sees each value with only the history before
//! it (as `check --history` does), and its alarms are scored against the injected truth.
//!
//! A series is a level with a compounding trend (`trend_per_day` growth a day), a weekly profile (for daily runs) or a daily profile
//! (for hourly runs), and Gaussian noise proportional to the level (`noise` is its relative
//! standard deviation: a Saturday at half volume has half the noise). The size of an anomaly is
//! in those standard deviations, which is what a robust standard deviation (1.4826 MAD) of the
//! noise measures: an anomaly of size 4 puts the value exactly 4 σ from the true expected value
//! (its own noise replaced), so a detector with a band of 3 σ should catch it, and one of size 2
//! should not be caught at that sensitivity.
//!
//! Everything is seeded: the same [`Scenario`] and seed give the same series on every machine.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::baseline::{self, Judgement, Spec};

/// What was injected at a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// One value far above.
    Spike,
    /// One value far below.
    Drop,
    /// From this point on, the level is shifted (by `size`, up).
    LevelShift,
    /// Data late at check time: the value is short by `size`, the next run catches up (as high).
    LateArrival,
    /// The level creeps up linearly until it is `size` higher, over `DRIFT_POINTS` runs.
    SlowDrift,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Spike, Kind::Drop, Kind::LevelShift, Kind::LateArrival, Kind::SlowDrift];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Spike => "spike",
            Kind::Drop => "drop",
            Kind::LevelShift => "level shift",
            Kind::LateArrival => "late arrival",
            Kind::SlowDrift => "slow drift",
        }
    }
}

/// Runs a slow drift takes to reach its full size.
pub const DRIFT_POINTS: usize = 14;
/// Runs after the start of a level shift or the end of a drift within which an alarm counts.
pub const DETECTION_DELAY: usize = 3;

/// The shape of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cadence {
    /// One run a day, weekly seasonality.
    Daily,
    /// One run an hour, daily seasonality.
    Hourly,
}

/// A family of series: its shape and which anomalies it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub cadence: Cadence,
    /// Runs per series.
    pub points: usize,
    /// Runs before any anomaly (and before scoring starts).
    pub warm_up: usize,
    /// Relative standard deviation of the noise.
    pub noise: f64,
    /// Growth of the level per day, compounding.
    pub trend_per_day: f64,
    /// The anomaly kind (`None`: a clean series) and its size in standard deviations.
    pub anomaly: Option<(Kind, f64)>,
    /// One annotated holiday: a day at a fifth of the volume, kept out of baselines.
    pub holiday: bool,
}

impl Scenario {
    /// Daily runs for half a year, weekly seasonality, growing 0.3% a day, 3% noise.
    pub fn daily(anomaly: Option<(Kind, f64)>) -> Scenario {
        Scenario {
            cadence: Cadence::Daily,
            points: 182,
            warm_up: 28,
            noise: 0.03,
            trend_per_day: 0.003,
            anomaly,
            holiday: true,
        }
    }

    /// Hourly runs for six weeks, daily seasonality, growing 0.3% a day, 3% noise.
    pub fn hourly(anomaly: Option<(Kind, f64)>) -> Scenario {
        Scenario {
            cadence: Cadence::Hourly,
            points: 24 * 42,
            warm_up: 24 * 7,
            noise: 0.03,
            trend_per_day: 0.003,
            anomaly,
            holiday: true,
        }
    }
}

/// What a point of a generated series is, for scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Ordinary: an alarm here is a false positive.
    Clean,
    /// Part of the injected anomaly number `n` (an alarm here detects it).
    Anomaly(usize),
    /// Not scored: the warm-up, the annotated holiday, and the new regime after a level shift
    /// or drift (past its detection window), where "normal" is a matter of definition.
    Unscored,
    /// The annotated holiday: left out of the history the detector sees.
    Holiday,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub at: Vec<DateTime<Utc>>,
    pub values: Vec<f64>,
    pub labels: Vec<Label>,
    /// Injected anomalies.
    pub anomalies: usize,
}

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        // Box–Muller.
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Weekday volumes, Monday first: busy midweek, quiet weekends.
const WEEKLY: [f64; 7] = [1.0, 1.08, 1.12, 1.06, 0.95, 0.55, 0.42];

fn daily_profile(hour: u32) -> f64 {
    // Quiet at night, a peak in the early afternoon.
    1.0 + 0.6 * ((hour as f64 - 8.0) / 24.0 * std::f64::consts::TAU).sin()
}

/// Generates one series of `scenario` from `seed`.
pub fn generate(scenario: &Scenario, seed: u64) -> Series {
    use chrono::{Datelike, Timelike};
    let mut rng = Rng(seed ^ 0xC0FF_EE00_D15E_A5E5);
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 6, 0, 0).unwrap() + Duration::hours(rng.below(24 * 7) as i64);
    let step = match scenario.cadence {
        Cadence::Daily => Duration::days(1),
        Cadence::Hourly => Duration::hours(1),
    };
    let level = 10_000.0 * (1.0 + rng.uniform());
    let n = scenario.points;
    let at: Vec<DateTime<Utc>> = (0..n).map(|i| start + step * i as i32).collect();
    // The clean expected value of each point, and its noise's standard deviation.
    let expected: Vec<f64> = at
        .iter()
        .map(|t| {
            let days = (*t - start).num_seconds() as f64 / 86_400.0;
            let season = match scenario.cadence {
                Cadence::Daily => WEEKLY[t.weekday().num_days_from_monday() as usize],
                Cadence::Hourly => daily_profile(t.hour()),
            };
            level * (1.0 + scenario.trend_per_day).powf(days) * season
        })
        .collect();
    let sd: Vec<f64> = expected.iter().map(|e| e * scenario.noise).collect();
    let mut values: Vec<f64> = expected.iter().zip(&sd).map(|(e, s)| e + s * rng.normal()).collect();
    let mut labels = vec![Label::Clean; n];
    labels[..scenario.warm_up.min(n)].fill(Label::Unscored);
    let per_day = match scenario.cadence {
        Cadence::Daily => 1,
        Cadence::Hourly => 24,
    };
    // A holiday: a whole day at a fifth of the volume, annotated.
    if scenario.holiday {
        let day = scenario.warm_up + (n - scenario.warm_up) / 3 + rng.below(per_day * 7);
        for i in day..(day + per_day).min(n) {
            values[i] = expected[i] * 0.2;
            labels[i] = Label::Holiday;
        }
    }
    let mut anomalies = 0;
    let free =
        |labels: &[Label], from: usize, to: usize| to <= n && labels[from..to].iter().all(|l| *l == Label::Clean);
    match scenario.anomaly {
        None => {}
        Some((kind @ (Kind::Spike | Kind::Drop | Kind::LateArrival), size)) => {
            // Isolated points, at least a week of runs apart (a day for hourly runs).
            let gap = 7 * per_day.min(4);
            let mut i = scenario.warm_up + rng.below(gap);
            while i + 2 < n {
                if free(&labels, i, i + 2) {
                    let sign = if kind == Kind::Spike { 1.0 } else { -1.0 };
                    values[i] = expected[i] + sign * size * sd[i];
                    labels[i] = Label::Anomaly(anomalies);
                    if kind == Kind::LateArrival {
                        // The next run finds the late rows as well as its own.
                        values[i + 1] = expected[i + 1] + size * sd[i];
                        labels[i + 1] = Label::Unscored;
                    }
                    anomalies += 1;
                }
                i += gap + rng.below(gap);
            }
        }
        Some((kind @ (Kind::LevelShift | Kind::SlowDrift), size)) => {
            // One per series, late enough for a full baseline, leaving room to detect it.
            let span = if kind == Kind::SlowDrift { DRIFT_POINTS } else { 0 } + DETECTION_DELAY;
            let from = n / 2 + rng.below((n / 2).saturating_sub(span + 1).max(1));
            for i in from..n {
                let ramp =
                    if kind == Kind::SlowDrift { ((i - from + 1) as f64 / DRIFT_POINTS as f64).min(1.0) } else { 1.0 };
                let shift = ramp * size * sd[i];
                values[i] += shift;
                if labels[i] == Label::Clean || labels[i] == Label::Unscored {
                    labels[i] = if i < from + span { Label::Anomaly(0) } else { Label::Unscored };
                }
                if labels[i] == Label::Holiday {
                    values[i] = (expected[i] + shift) * 0.2;
                }
            }
            anomalies = 1;
        }
    }
    Series { at, values, labels, anomalies }
}

/// A detector under evaluation.
#[derive(Debug, Clone)]
pub enum Detector {
    /// One of contrakt's models.
    Model(Spec),
    /// A plain z-score: mean ± `k` standard deviations of the last `window` values.
    ZScore { window: usize, k: f64 },
    /// A fixed range set once from the warm-up (mean ± `k` standard deviations), as a person
    /// would write `rowCount between X and Y` after looking at the first weeks.
    Fixed { k: f64 },
}

impl Detector {
    pub fn name(&self) -> String {
        match self {
            Detector::Model(s) => match (s.model, s.season) {
                (baseline::Model::Median, _) => "median/MAD".into(),
                (baseline::Model::Seasonal, _) => "seasonal".into(),
                (baseline::Model::Trend, _) => "trend".into(),
            },
            Detector::ZScore { .. } => "z-score".into(),
            Detector::Fixed { .. } => "fixed".into(),
        }
    }
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// Alarms and misses of one detector on some series.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    pub anomalies: usize,
    pub detected: usize,
    pub clean: usize,
    pub false_alarms: usize,
}

impl Score {
    pub fn recall(&self) -> f64 {
        if self.anomalies == 0 { f64::NAN } else { self.detected as f64 / self.anomalies as f64 }
    }

    pub fn false_positive_rate(&self) -> f64 {
        if self.clean == 0 { f64::NAN } else { self.false_alarms as f64 / self.clean as f64 }
    }

    pub fn add(&mut self, o: Score) {
        self.anomalies += o.anomalies;
        self.detected += o.detected;
        self.clean += o.clean;
        self.false_alarms += o.false_alarms;
    }
}

/// Walks `series` forward: each scored point judged on the history before it, without the
/// annotated holiday (as the store leaves annotated points out of baselines).
pub fn evaluate(detector: &Detector, series: &Series, warm_up: usize) -> Score {
    let mut history: Vec<(DateTime<Utc>, f64)> = Vec::with_capacity(series.values.len());
    let mut fixed: Option<(f64, f64)> = None;
    let mut detected = vec![false; series.anomalies];
    let mut score = Score { anomalies: series.anomalies, ..Score::default() };
    for (i, ((t, v), label)) in series.at.iter().zip(&series.values).zip(&series.labels).enumerate() {
        if *label == Label::Holiday {
            continue;
        }
        let alarm = i >= warm_up
            && match detector {
                Detector::Model(spec) => matches!(baseline::judge(spec, &history, *t, *v), Judgement::Anomaly { .. }),
                Detector::ZScore { window, k } => {
                    let recent: Vec<f64> =
                        history[history.len().saturating_sub(*window)..].iter().map(|p| p.1).collect();
                    let (m, s) = mean_sd(&recent);
                    (v - m).abs() > k * s
                }
                Detector::Fixed { k } => {
                    let (m, s) =
                        *fixed.get_or_insert_with(|| mean_sd(&history.iter().map(|p| p.1).collect::<Vec<_>>()));
                    (v - m).abs() > k * s
                }
            };
        match label {
            Label::Clean => {
                score.clean += 1;
                score.false_alarms += usize::from(alarm);
            }
            Label::Anomaly(n) => detected[*n] |= alarm,
            Label::Unscored | Label::Holiday => {}
        }
        history.push((*t, *v));
    }
    score.detected = detected.iter().filter(|d| **d).count();
    score
}

/// The detectors of the evaluation for a cadence: contrakt's three models at their defaults
/// (the seasonal one with the cadence's season), a z-score and a fixed range, all at 3σ.
pub fn detectors(cadence: Cadence) -> Vec<Detector> {
    let spec = |model, season| Spec {
        object: None,
        metric: "rowCount".into(),
        property: None,
        model,
        season,
        sensitivity: 3.0,
        min_history: 14,
        direction: baseline::Direction::Both,
        window: 28,
        severity: None,
    };
    let season = match cadence {
        Cadence::Daily => baseline::Season::Weekly,
        Cadence::Hourly => baseline::Season::Daily,
    };
    vec![
        Detector::Model(spec(baseline::Model::Median, None)),
        Detector::Model(spec(baseline::Model::Seasonal, Some(season))),
        Detector::Model(spec(baseline::Model::Trend, None)),
        Detector::ZScore { window: 28, k: 3.0 },
        Detector::Fixed { k: 3.0 },
    ]
}

/// Scores every detector on `seeds` series of `scenario`.
pub fn run(scenario: &Scenario, seeds: std::ops::Range<u64>) -> Vec<(String, Score)> {
    let detectors = detectors(scenario.cadence);
    let mut scores = vec![Score::default(); detectors.len()];
    for seed in seeds {
        let series = generate(scenario, seed);
        for (d, s) in detectors.iter().zip(&mut scores) {
            s.add(evaluate(d, &series, scenario.warm_up));
        }
    }
    detectors.iter().map(Detector::name).zip(scores).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Series per case: enough for a stable figure, few enough for a debug build.
    const SEEDS: std::ops::Range<u64> = 0..8;

    fn seasonal(scores: &[(String, Score)]) -> Score {
        scores.iter().find(|(name, _)| name == "seasonal").unwrap().1
    }

    #[test]
    fn generation_is_deterministic_and_sized_in_standard_deviations() {
        let s = Scenario::daily(Some((Kind::Spike, 4.0)));
        let (a, b) = (generate(&s, 7), generate(&s, 7));
        assert_eq!((a.values.clone(), a.labels.clone()), (b.values, b.labels));
        assert_ne!(a.values, generate(&s, 8).values);
        assert!(a.anomalies >= 10, "{}", a.anomalies);
        assert_eq!(a.labels.iter().filter(|l| **l == Label::Holiday).count(), 1);
        // Without noise, a spike of 4 sits 4 standard deviations above its clean value.
        let quiet = Scenario { noise: 0.0, ..s.clone() };
        let clean = generate(&Scenario { anomaly: None, ..quiet.clone() }, 7);
        let spiked = generate(&Scenario { noise: 0.03, ..quiet }, 7);
        let i = spiked.labels.iter().position(|l| matches!(l, Label::Anomaly(_))).unwrap();
        let noisy_clean = generate(&Scenario { anomaly: None, ..s }, 7);
        assert!(((spiked.values[i] - clean.values[i]) / (clean.values[i] * 0.03) - 4.0).abs() < 1e-9);
        assert_ne!(noisy_clean.values[i], clean.values[i]);
    }

    /// The detector's targets, on a small fixed set of series: at least 95% of spikes and drops
    /// of 4 standard deviations caught, at most 1% of clean points of seasonal series flagged,
    /// for hourly runs (24 buckets) and daily runs (7 weekday buckets of one value a week, where
    /// the margins are thin: the benchmark prints the full table).
    #[test]
    fn the_seasonal_model_meets_its_targets() {
        for (scenario, recall, fpr) in
            [(Scenario::hourly as fn(_) -> Scenario, 0.95, 0.01), (Scenario::daily, 0.95, 0.01)]
        {
            for kind in [Kind::Spike, Kind::Drop] {
                let s = scenario(Some((kind, 4.0)));
                let score = seasonal(&run(&s, SEEDS));
                assert!(score.recall() >= recall, "{:?} {}: recall {score:?}", s.cadence, kind.name());
            }
            let s = scenario(None);
            let score = seasonal(&run(&s, SEEDS));
            assert!(score.clean > 1000, "{score:?}");
            assert!(score.false_positive_rate() <= fpr, "{:?} clean: {score:?}", s.cadence);
        }
    }

    #[test]
    fn a_plain_median_cannot_follow_the_weekly_season() {
        // The reason for the seasonal model: on the same clean series the median misfires.
        let scores = run(&Scenario::daily(None), SEEDS);
        let median = scores.iter().find(|(n, _)| n == "median/MAD").unwrap().1;
        assert!(median.false_positive_rate() > 0.05, "{median:?}");
    }
}
