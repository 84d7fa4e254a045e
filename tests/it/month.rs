//! Test support: a generated month of runs. Checking the example registry's data 30 times
//! would take minutes and give 30 identical days, so this takes one real check report and
//! records 30 daily runs derived from it into a history store through the history crate:
//!
//! - row counts (the objects' and the row-count checks') follow a weekly season (busier towards
//!   the weekend, the meal-kit delivery days) and a little deterministic noise;
//! - durations wobble;
//! - row-violation checks that fail in the report start failing part way through the month
//!   (zero violations before), so their charts show the day it broke;
//! - `dip_day` has half the deliveries (to be annotated as an expected event), and the last day
//!   has 40% of them: the anomaly the seasonal baseline should catch.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use contrakt_history::{Metric, Run, Store};
use serde_json::Value;

pub const DAYS: i64 = 30;

/// The first day's run time; the last is `first() + 29 days` (2026-11-22, the fixtures' `--now`).
pub fn first() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 24, 6, 0, 0).unwrap()
}

/// The day (0-based) of the expected dip in deliveries.
pub const DIP_DAY: i64 = 19;

/// A deterministic number in [-1, 1) for (day, key).
fn noise(day: i64, key: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ day as u64;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h % 2_000_000) as f64 / 1_000_000.0 - 1.0
}

/// The volume factor of a day: weekday season and noise.
fn volume(day: i64, object: &str) -> f64 {
    const WEEK: [f64; 7] = [1.00, 1.02, 1.01, 1.04, 1.08, 1.18, 1.12];
    let t = first() + Duration::days(day);
    let season = WEEK[t.weekday().num_days_from_monday() as usize];
    season * (1.0 + 0.003 * noise(day, object))
}

/// Records `DAYS` runs per report of `check --format json` output into the store at `path`.
pub fn record(path: &std::path::Path, check_output: &Value) -> usize {
    let mut store = Store::open(path).unwrap();
    let mut recorded = 0;
    for report in check_output["reports"].as_array().expect("a check report") {
        let contract = report["contract"].as_str().unwrap();
        let results = report["results"].as_array().unwrap();
        for day in 0..DAYS {
            let mut metrics = Vec::new();
            let mut passed = true;
            let factor = |object: &str| {
                let f = volume(day, object);
                match (object, day) {
                    ("deliveries", DIP_DAY) => f * 0.5,
                    ("deliveries", d) if d == DAYS - 1 => f * 0.4,
                    _ => f,
                }
            };
            for o in report["objects"].as_array().unwrap() {
                let object = o["object"].as_str().unwrap();
                if let Some(rows) = o["rows"].as_f64() {
                    metrics.push(metric(object, "", "rowCount", (rows * factor(object)).round()));
                }
                let ms = o["duration_ms"].as_f64().unwrap_or(100.0).max(50.0);
                metrics.push(metric(
                    object,
                    "",
                    "duration",
                    (ms * (1.0 + 0.25 * noise(day, &format!("{object}.d")))).round(),
                ));
            }
            for r in results.iter().filter(|r| r["code"] != "Q601") {
                let status = r["status"].as_str().unwrap_or("");
                let id = r["id"].as_str().unwrap();
                let object = r["object"].as_str().unwrap();
                // Row violations appear between day 20 and day 27.
                let onset = 20 + (noise(0, id).abs() * 8.0) as i64;
                let breaks_late = r.get("failed_rows").is_some() && matches!(status, "fail" | "warn");
                let failing = !breaks_late || day >= onset;
                if (status == "fail" && failing) || status == "error" {
                    passed = false;
                }
                let Some(value) = r["value"].as_f64() else { continue };
                let value = if r["kind"] == "row-count" {
                    (value * factor(object)).round()
                } else if breaks_late && !failing {
                    0.0
                } else {
                    value
                };
                metrics.push(metric(object, r["property"].as_str().unwrap_or(""), id, value));
            }
            store
                .record(&Run {
                    contract: contract.to_string(),
                    contract_version: report["contract_version"].as_str().unwrap().to_string(),
                    at: first() + Duration::days(day),
                    passed,
                    metrics,
                })
                .unwrap();
            recorded += 1;
        }
    }
    recorded
}

fn metric(object: &str, property: &str, name: &str, value: f64) -> Metric {
    Metric {
        object: object.to_string(),
        property: property.to_string(),
        metric: name.to_string(),
        partition: String::new(),
        segment: String::new(),
        value,
    }
}
