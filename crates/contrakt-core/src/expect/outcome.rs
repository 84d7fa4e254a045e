//! Results of a check run: data, rendered by `contrakt-report`, routed by alerts, returned to
//! Python. Serialised as the `--format json` report (schema version 1, `docs/check-output.md`).

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::diagnostic::Level;

/// What became of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: String,
    /// Check kind code (`Q201`) and name (`required`).
    pub code: &'static str,
    pub kind: &'static str,
    pub object: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    pub status: Status,
    pub severity: Level,
    /// The measured number: a count, a percentage, an age in the SLA's unit. Null when the check
    /// did not run.
    pub value: Option<f64>,
    /// The threshold as written in the contract (`mustBe: 0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// `rows` or `percent` for counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_rows: Option<u64>,
    /// One line for people: what was found, or why the check did not run.
    pub message: String,
    /// Failing rows (key columns and the offending column), classified values masked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Map<String, Json>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the check is declared: `file:line:col`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Time of the plan that measured it (shared by every check of a fused scan).
    pub duration_ms: u64,
    /// For a segmented check (`contraktSegments`): how each segment fared. The check fails
    /// when a segment fails; `value` stays the measure over all rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Segmented>,
}

/// A segmented check's segments: the failing ones named (the worst first, bounded), the rest
/// counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    /// Every segment, for the history (its per-segment series); not in the JSON report.
    #[serde(skip)]
    pub all: Vec<SegmentResult>,
}

/// One segment's measure and verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentResult {
    /// `country=FR` (`a=1/b=x` for several columns; a null value reads `(null)`): the key of the
    /// segment's history series.
    pub segment: String,
    /// The segment's values by column name.
    pub values: Map<String, Json>,
    pub status: Status,
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_rows: Option<u64>,
    pub total_rows: u64,
}

impl CheckResult {
    /// A result of `kind` on `object` with nothing measured yet: the caller fills in the rest.
    pub fn new(id: String, kind: &super::CheckKind, object: &str, status: Status, severity: Level) -> CheckResult {
        CheckResult {
            id,
            code: kind.code,
            kind: kind.name,
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
#[derive(Debug, Clone, Serialize)]
pub struct ObjectRun {
    pub object: String,
    /// Where the data came from (secrets stripped from URLs).
    pub source: String,
    pub format: String,
    /// The version of the table read (a Delta table's commit), when the data has versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_version: Option<u64>,
    pub rows: Option<u64>,
    /// Number of plans run: 1 for the fused scan, plus one per check that needs its own.
    pub plans: usize,
    pub duration_ms: u64,
    /// Set when the object could not be checked at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the scan measured besides the checks, for the metrics history: bytes scanned, and
    /// per property min/max/mean, distinct counts and the freshness lag. Not part of the JSON
    /// report (its schema is versioned); `contrakt history` shows them.
    #[serde(skip)]
    pub metrics: Vec<ObjectMetric>,
    /// Where the object's failing rows were written (`check --quarantine`), and how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<Quarantined>,
}

/// An object's quarantine file: every row failing a row-level check, with the ids of the
/// checks it fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Quarantined {
    /// The Parquet file (a path or a URL, secrets stripped).
    pub location: String,
    /// Rows written: each failing row once, whatever the number of checks it fails.
    pub rows: u64,
    /// The row-level checks, whose failing rows the file holds.
    pub checks: Vec<String>,
    /// Checks that judge the table rather than a row (row count, uniqueness, freshness, SQL
    /// rules, a reference checked by a join): no row of theirs is quarantined.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_row_level: Vec<String>,
    /// Row-level checks whose threshold accepts failing rows (nulls up to 5%): each such row
    /// is data the contract allows, not quarantined.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerated: Vec<String>,
    /// Set when the file could not be written (the check results stand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One measured value of an object (`property` empty for the object itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectMetric {
    pub property: String,
    pub metric: String,
    pub value: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub errors: usize,
    pub skipped: usize,
}

/// A whole run over one contract.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub version: u32,
    pub contract: String,
    pub contract_version: String,
    pub file: String,
    /// The reference time (`--now`), RFC 3339.
    pub now: String,
    pub passed: bool,
    pub summary: Summary,
    pub objects: Vec<ObjectRun>,
    pub results: Vec<CheckResult>,
    pub duration_ms: u64,
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
