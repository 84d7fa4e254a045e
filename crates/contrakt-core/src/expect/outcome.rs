//! Results of a check run: data, rendered by `contrakt-report`, routed by alerts, returned to
//! Python. Serialised as the `--format json` report (schema version 1, `docs/check-output.md`),
//! and read back from it: these owned types are the one result model every crate and face
//! shares, so a report written by `contrakt check` is the report alerts route and Python shows.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::diagnostic::Level;

/// What became of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// Skipped with a reason (custom and text rules, unmeasurable SLAs): never counted as passed.
    Skipped,
    /// Failed, at severity warning or info.
    Warn,
    /// Failed, at severity error.
    Fail,
    /// Could not run (bad SQL, a missing column, a timeout); the other checks still ran.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skipped => "skipped",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }

    /// The status of a measured check: pass, or fail/warn by severity.
    pub fn judged(holds: bool, severity: Level) -> Status {
        match (holds, severity) {
            (true, _) => Status::Pass,
            (false, Level::Error) => Status::Fail,
            (false, _) => Status::Warn,
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    /// Check kind code (`Q201`) and name (`required`).
    pub code: String,
    pub kind: String,
    pub object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    pub status: Status,
    pub severity: Level,
    /// The measured number: a count, a percentage, an age in the SLA's unit. Null when the check
    /// did not run.
    pub value: Option<f64>,
    /// The threshold as written in the contract (`mustBe: 0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// `rows` or `percent` for counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_rows: Option<u64>,
    /// One line for people: what was found, or why the check did not run.
    pub message: String,
    /// Failing rows (key columns and the offending column), classified values masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Map<String, Json>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the check is declared: `file:line:col`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Time of the plan that measured it (shared by every check of a fused scan).
    #[serde(default)]
    pub duration_ms: u64,
    /// For a segmented check (`contraktSegments`): how each segment fared. The check fails
    /// when a segment fails; `value` stays the measure over all rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Segmented>,
}

/// A segmented check's segments: the failing ones named (the worst first, bounded), the rest
/// counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Segmented {
    /// The segment columns, as the contract names them.
    pub by: Vec<String>,
    /// Segments measured (distinct values of `by` among the rows checked).
    pub total: usize,
    /// Segments that failed (or warned).
    pub failing: usize,
    /// The worst failing segments, at most [`super::segment::WORST_SEGMENTS`].
    pub worst: Vec<SegmentResult>,
    /// Failing segments not in `worst`.
    pub more_failing: usize,
    /// Every segment, for the history (its per-segment series); not in the JSON report, so
    /// empty in a report read back from it.
    #[serde(skip)]
    pub all: Vec<SegmentResult>,
}

/// One segment's measure and verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentResult {
    /// `country=FR` (`a=1/b=x` for several columns; a null value reads `(null)`): the key of the
    /// segment's history series.
    pub segment: String,
    /// The segment's values by column name.
    pub values: Map<String, Json>,
    pub status: Status,
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_rows: Option<u64>,
    pub total_rows: u64,
}

impl CheckResult {
    /// `orders.status`, or `orders` for object-level checks.
    pub fn path(&self) -> String {
        match &self.property {
            Some(p) => format!("{}.{p}", self.object),
            None => self.object.clone(),
        }
    }

    /// Failed, warned, or could not run: what alerts are about. A check that could not run
    /// (status `error`) is told to the owners only: its data is unverified, not known bad.
    pub fn is_failure(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Warn | Status::Error)
    }

    /// A result of `kind` on `object` with nothing measured yet: the caller fills in the rest.
    pub fn new(id: String, kind: &super::CheckKind, object: &str, status: Status, severity: Level) -> CheckResult {
        CheckResult {
            id,
            code: kind.code.to_string(),
            kind: kind.name.to_string(),
            object: object.to_string(),
            property: None,
            status,
            severity,
            value: None,
            threshold: None,
            unit: None,
            failed_rows: None,
            total_rows: None,
            message: String::new(),
            samples: Vec::new(),
            name: None,
            location: None,
            duration_ms: 0,
            segments: None,
        }
    }
}

/// How one object's data was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRun {
    pub object: String,
    /// Where the data came from (secrets stripped from URLs).
    pub source: String,
    pub format: String,
    /// The version of the table read (a Delta table's commit), when the data has versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_version: Option<u64>,
    pub rows: Option<u64>,
    /// Number of plans run: 1 for the fused scan, plus one per check that needs its own.
    pub plans: usize,
    pub duration_ms: u64,
    /// Set when the object could not be checked at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the scan measured besides the checks, for the metrics history: bytes scanned, and
    /// per property min/max/mean, distinct counts and the freshness lag. Not part of the JSON
    /// report (its schema is versioned); `contrakt history` shows them.
    #[serde(skip)]
    pub metrics: Vec<ObjectMetric>,
    /// Where the object's failing rows were written (`check --quarantine`), and how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<Quarantined>,
}

/// An object's quarantine file: every row failing a row-level check, with the ids of the
/// checks it fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quarantined {
    /// The Parquet file (a path or a URL, secrets stripped).
    pub location: String,
    /// Rows written: each failing row once, whatever the number of checks it fails.
    pub rows: u64,
    /// The row-level checks, whose failing rows the file holds.
    pub checks: Vec<String>,
    /// Checks that judge the table rather than a row (row count, uniqueness, freshness, SQL
    /// rules, a reference checked by a join): no row of theirs is quarantined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_row_level: Vec<String>,
    /// Row-level checks whose threshold accepts failing rows (nulls up to 5%): each such row
    /// is data the contract allows, not quarantined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerated: Vec<String>,
    /// Set when the file could not be written (the check results stand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One measured value of an object (`property` empty for the object itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectMetric {
    pub property: String,
    pub metric: String,
    pub value: f64,
}

/// The results counted by status (a document that leaves a count out reads it as zero).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub errors: usize,
    pub skipped: usize,
}

/// A whole run over one contract. Read back, only the contract, its version and file, the time
/// and the results are required: what a hand-written report for `contrakt alerts route` gives
/// (the rest reads as empty, and `passed` as false).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    #[serde(default = "report_version")]
    pub version: u32,
    pub contract: String,
    pub contract_version: String,
    pub file: String,
    /// The reference time (`--now`), RFC 3339.
    pub now: String,
    #[serde(default)]
    pub passed: bool,
    #[serde(default)]
    pub summary: Summary,
    #[serde(default)]
    pub objects: Vec<ObjectRun>,
    pub results: Vec<CheckResult>,
    #[serde(default)]
    pub duration_ms: u64,
}

/// The report schema this crate writes (`docs/check-output.md`).
fn report_version() -> u32 {
    1
}

impl CheckReport {
    pub fn summarize(results: &[CheckResult]) -> Summary {
        let mut s = Summary { total: results.len(), ..Summary::default() };
        for r in results {
            match r.status {
                Status::Pass => s.passed += 1,
                Status::Fail => s.failed += 1,
                Status::Warn => s.warned += 1,
                Status::Error => s.errors += 1,
                Status::Skipped => s.skipped += 1,
            }
        }
        s
    }

    /// Does the run fail the gate at `fail_on`? Failed checks count at their severity;
    /// checks that could not run count always: an unmeasured promise is not a kept one.
    pub fn fails_at(&self, fail_on: Level) -> bool {
        self.results.iter().any(|r| match r.status {
            Status::Fail | Status::Warn => r.severity >= fail_on,
            Status::Error => true,
            Status::Pass | Status::Skipped => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn status() -> impl Strategy<Value = Status> {
        prop_oneof![
            Just(Status::Pass),
            Just(Status::Skipped),
            Just(Status::Warn),
            Just(Status::Fail),
            Just(Status::Error)
        ]
    }

    fn level() -> impl Strategy<Value = Level> {
        prop_oneof![Just(Level::Info), Just(Level::Warning), Just(Level::Error)]
    }

    /// Finite values only: JSON has no NaN or infinity (the checker never reports one).
    fn number() -> impl Strategy<Value = Option<f64>> {
        proptest::option::of(prop_oneof![any::<i32>().prop_map(f64::from), -1e12..1e12f64])
    }

    fn sample() -> impl Strategy<Value = Map<String, Json>> {
        vec(
            (
                "[a-z_]{1,8}",
                prop_oneof![Just(Json::Null), any::<i64>().prop_map(Json::from), ".{0,12}".prop_map(Json::from)],
            ),
            0..4,
        )
        .prop_map(|kv| kv.into_iter().collect())
    }

    fn segmented() -> impl Strategy<Value = Segmented> {
        let segment = ("[a-z]{1,5}=[A-Z]{2}", status(), number(), proptest::option::of(any::<u64>()), any::<u64>())
            .prop_map(|(segment, status, value, failed_rows, total_rows)| SegmentResult {
                values: [("country".to_string(), json!(segment.split('=').nth(1)))].into_iter().collect(),
                segment,
                status,
                value,
                failed_rows,
                total_rows,
            });
        (vec("[a-z]{1,6}", 1..3), any::<u16>(), vec(segment, 0..3), any::<u16>()).prop_map(
            |(by, total, worst, more)| Segmented {
                by,
                total: total as usize,
                failing: worst.len() + more as usize,
                worst,
                more_failing: more as usize,
                // Not in the JSON report.
                all: Vec::new(),
            },
        )
    }

    prop_compose! {
        fn result()(
            (id, code, kind, object) in ("[a-z_.]{1,20}", "Q[1-6][0-9]{2}", "[a-z-]{1,16}", "[a-z_]{1,10}"),
            (property, status, severity, value) in (proptest::option::of("[a-z_.]{1,12}"), status(), level(), number()),
            (threshold, unit) in (proptest::option::of("mustBe: [0-9]{1,3}"), proptest::option::of(prop_oneof![Just("rows".to_string()), Just("percent".to_string())])),
            (failed_rows, total_rows) in (proptest::option::of(any::<u64>()), proptest::option::of(any::<u64>())),
            (message, samples, name, location) in (".{0,40}", vec(sample(), 0..3), proptest::option::of(".{1,10}"), proptest::option::of("[a-z/.]{1,10}:[0-9]{1,3}:[0-9]{1,2}")),
            (duration_ms, segments) in (any::<u64>(), proptest::option::of(segmented())),
        ) -> CheckResult {
            CheckResult { id, code, kind, object, property, status, severity, value, threshold, unit, failed_rows, total_rows, message, samples, name, location, duration_ms, segments }
        }
    }

    prop_compose! {
        fn object_run()(
            (object, source, format) in ("[a-z_]{1,10}", ".{0,20}", prop_oneof![Just("parquet".to_string()), Just("csv".to_string())]),
            (table_version, rows, plans, duration_ms, error) in (proptest::option::of(any::<u64>()), proptest::option::of(any::<u64>()), any::<u16>(), any::<u64>(), proptest::option::of(".{1,20}")),
            quarantine in proptest::option::of(quarantined()),
        ) -> ObjectRun {
            // Metrics go to the history, not the JSON report.
            ObjectRun { object, source, format, table_version, rows, plans: plans as usize, duration_ms, error, metrics: Vec::new(), quarantine }
        }
    }

    prop_compose! {
        fn quarantined()(
            (location, rows) in ("[a-z:/._]{1,30}", any::<u64>()),
            (checks, not_row_level, tolerated) in (vec("[a-z_]{1,10}", 0..3), vec("[a-z_]{1,10}", 0..3), vec("[a-z_]{1,10}", 0..3)),
            error in proptest::option::of(".{1,20}"),
        ) -> Quarantined {
            Quarantined { location, rows, checks, not_row_level, tolerated, error }
        }
    }

    prop_compose! {
        fn report()(
            (contract, contract_version, file, now) in ("urn:[a-z:]{1,20}", "[0-9]\\.[0-9]\\.[0-9]", "[a-z/]{1,12}\\.yaml", "2026-0[1-9]-1[0-9]T0[0-9]:00:00Z"),
            (objects, results, duration_ms) in (vec(object_run(), 0..3), vec(result(), 0..6), any::<u64>()),
        ) -> CheckReport {
            let mut report = CheckReport {
                version: 1,
                contract,
                contract_version,
                file,
                now,
                passed: false,
                summary: CheckReport::summarize(&results),
                objects,
                results,
                duration_ms,
            };
            report.passed = !report.fails_at(Level::Error);
            report
        }
    }

    proptest! {
        /// The report `--format json` writes reads back as the same report, and writes the
        /// same text again: one result model, serialised both ways.
        #[test]
        fn reports_round_trip_through_json(report in report()) {
            let text = serde_json::to_string(&report).unwrap();
            let back: CheckReport = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, &report);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
    }

    #[test]
    fn a_report_without_optional_fields_reads_with_their_defaults() {
        let text = r#"{"version":1,"contract":"urn:c","contract_version":"1.0.0","file":"c.yaml",
            "now":"2026-01-01T00:00:00Z","passed":true,"summary":{},"objects":[],"duration_ms":1,
            "results":[{"id":"a","code":"Q201","kind":"required","object":"o","status":"pass",
            "severity":"error","value":null,"message":"ok"}]}"#;
        let report: CheckReport = serde_json::from_str(text).unwrap();
        assert_eq!(report.summary, Summary::default());
        let r = &report.results[0];
        assert_eq!((r.code.as_str(), r.status, r.severity), ("Q201", Status::Pass, Level::Error));
        assert_eq!((r.property.as_deref(), r.samples.len(), r.duration_ms, r.segments.is_none()), (None, 0, 0, true));
        assert_eq!(r.path(), "o");
        assert!(!r.is_failure());
    }

    #[test]
    fn a_hand_written_report_needs_only_its_contract_time_and_results() {
        let text = r#"{"contract":"urn:c","contract_version":"1.0.0","file":"c.yaml","now":"2026-01-01T00:00:00Z",
            "results":[{"id":"a","code":"Q303","kind":"invalid-values","object":"o","status":"fail","severity":"error","message":"bad"}]}"#;
        let report: CheckReport = serde_json::from_str(text).unwrap();
        assert_eq!((report.version, report.passed, report.objects.len(), report.duration_ms), (1, false, 0, 0));
        assert!(report.results[0].is_failure());
        let without_results =
            r#"{"contract":"urn:c","contract_version":"1.0.0","file":"c.yaml","now":"2026-01-01T00:00:00Z"}"#;
        assert!(serde_json::from_str::<CheckReport>(without_results).is_err());
    }

    #[test]
    fn an_unknown_status_or_level_is_refused() {
        let bad = |status: &str, severity: &str| {
            let text = format!(
                r#"{{"id":"a","code":"Q201","kind":"required","object":"o","status":"{status}","severity":"{severity}","value":null,"message":""}}"#
            );
            serde_json::from_str::<CheckResult>(&text).is_err()
        };
        assert!(!bad("fail", "warning"));
        assert!(bad("failed", "warning"));
        assert!(bad("fail", "critical"));
    }
}
