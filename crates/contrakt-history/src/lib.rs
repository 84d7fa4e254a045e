//! contrakt-history: every check run's metrics in a store, and adaptive checks that judge a
//! new value against what the metric's history predicts.
//!
//! ```text
//! check report ──metrics()──▶ Store::record        (row counts, durations, every check's value)
//!      │                           │
//!      └──anomalies()◀── Store::series ── baseline::judge (median / seasonal / trend)
//! ```

pub mod baseline;
pub mod store;
pub mod synthetic;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use contrakt_core::Level;
use contrakt_core::expect::registry::ANOMALY;
use contrakt_core::expect::segment::WORST_SEGMENTS;
use contrakt_core::expect::{CheckReport, CheckResult, SegmentResult, Segmented, Status};
use contrakt_core::odcs::ContractDocument;

pub use baseline::{Band, Judgement, Spec};
pub use store::{
    EventKind, Location, Metric, Point, PublishEvent, Query, Run, RunSummary, Store, redact, redact_location, timestamp,
};

/// The `customProperties` name of an adaptive check on a schema object.
pub const SPEC_PROPERTY: &str = "contraktAnomaly";

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("history store {path}: {message}")]
    Store { path: PathBuf, message: String },
    /// A PostgreSQL store; `location` is its URL without the password.
    #[error("history store {location}: {message}")]
    Server { location: String, message: String },
    #[error("history store: {0}")]
    Sql(String),
    #[error("{location}: `{SPEC_PROPERTY}` is not a valid adaptive check: {message}")]
    Spec { location: String, message: String },
}

impl Error {
    fn newer_schema(have: usize, know: usize) -> Error {
        Error::Sql(format!(
            "the store has schema version {have}, newer than this contrakt knows ({know}); upgrade contrakt"
        ))
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Sql(e.to_string())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sql(e.to_string())
    }
}

/// The metrics a report measured: the run's duration (`runDuration`, on no object), each
/// object's row count, scan time (`duration`) and what its scan measured besides the checks
/// (`bytesScanned`; per property `min`, `max`, `mean`, `distinctCount`, `freshnessLag` in
/// seconds), the version of a Delta table read (`tableVersion`), and the value of every check that
/// produced one (keyed by the check's stable id).
pub fn metrics(report: &CheckReport) -> Vec<Metric> {
    let mut out = vec![metric("", "", "runDuration", report.duration_ms as f64)];
    for o in &report.objects {
        if let Some(rows) = o.rows {
            out.push(metric(&o.object, "", "rowCount", rows as f64));
        }
        out.push(metric(&o.object, "", "duration", o.duration_ms as f64));
        if let Some(v) = o.table_version {
            out.push(metric(&o.object, "", "tableVersion", v as f64));
        }
        out.extend(o.metrics.iter().map(|m| metric(&o.object, &m.property, &m.metric, m.value)));
    }
    for r in report.results.iter().filter(|r| r.code != "Q601") {
        let property = r.property.as_deref().unwrap_or("");
        if let Some(v) = r.value {
            out.push(metric(&r.object, property, &r.id, v));
        }
        // A segmented check: each segment's value is a series of its own.
        for s in r.segments.iter().flat_map(|s| &s.all) {
            if let Some(v) = s.value {
                out.push(Metric { segment: s.segment.clone(), ..metric(&r.object, property, &r.id, v) });
            }
        }
    }
    out
}

fn metric(object: &str, property: &str, name: &str, value: f64) -> Metric {
    Metric {
        object: object.into(),
        property: property.into(),
        metric: name.into(),
        partition: String::new(),
        segment: String::new(),
        value,
    }
}

/// The adaptive checks a contract declares, on its objects or on the contract itself (naming
/// the object): (object, spec, where it is written).
pub fn specs(doc: &ContractDocument) -> Result<Vec<(String, Spec, String)>> {
    let objects: Vec<&str> = doc.contract.schema.iter().map(|o| o.name.as_str()).collect();
    let on_objects =
        doc.contract.schema.iter().flat_map(|o| o.custom_properties.iter().map(move |c| (Some(o.name.as_str()), c)));
    let on_contract = doc.contract.custom_properties.iter().map(|c| (None, c));
    let mut out = Vec::new();
    for (owner, c) in on_objects.chain(on_contract).filter(|(_, c)| c.property == SPEC_PROPERTY) {
        let location = doc.locate(c.span).unwrap_or_else(|| doc.source().name().to_string());
        let bad = |message: String| Error::Spec { location: location.clone(), message };
        let values = match &c.value {
            serde_json::Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        for v in values {
            let spec: Spec = serde_json::from_value(v).map_err(|e| bad(e.to_string()))?;
            let object = match (owner, spec.object.as_deref(), objects.as_slice()) {
                (Some(o), Some(named), _) if o != named => {
                    return Err(bad(format!("it sits on `{o}` but names object `{named}`")));
                }
                (Some(o), _, _) => o.to_string(),
                (None, Some(named), _) if objects.contains(&named) => named.to_string(),
                (None, Some(named), _) => return Err(bad(format!("the contract has no object `{named}`"))),
                (None, None, [only]) => only.to_string(),
                (None, None, _) => return Err(bad("name the `object` it measures".into())),
            };
            out.push((object, spec, location.clone()));
        }
    }
    Ok(out)
}

/// Judges a report's metrics against the store's history and returns one Q601 result per
/// adaptive check. Call before recording the run, so a value is never its own baseline.
pub fn anomalies(doc: &ContractDocument, report: &CheckReport, store: &Store) -> Result<Vec<CheckResult>> {
    let now = DateTime::parse_from_rfc3339(&report.now).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|_| Utc::now());
    let measured = metrics(report);
    let mut out = Vec::new();
    for (object, spec, location) in specs(doc)? {
        let severity = match spec.severity.as_deref() {
            Some("error") => Level::Error,
            Some("info") => Level::Info,
            _ => Level::Warning,
        };
        let found = measured.iter().find(|m| {
            m.object == object && m.metric == spec.metric && spec.property.as_ref().is_none_or(|p| *p == m.property)
        });
        let mut result = CheckResult {
            property: found.filter(|m| !m.property.is_empty()).map(|m| m.property.clone()),
            value: found.map(|m| m.value),
            location: Some(location),
            ..CheckResult::new(
                format!("{object}.anomaly.{}", spec.metric),
                &ANOMALY,
                &object,
                Status::Skipped,
                severity,
            )
        };
        let Some(m) = found else {
            result.status = Status::Error;
            let of = spec.property.as_ref().map(|p| format!("{object}.{p}")).unwrap_or(object.clone());
            result.message = format!("this run measured no `{}` for `{of}`", spec.metric);
            out.push(result);
            continue;
        };
        let history = store.series(&report.contract, &object, &spec.metric, &m.property, now)?;
        let whole = verdict(&spec, severity, &spec.metric, &history, now, m.value);
        (result.status, result.threshold, result.message) = (whole.status, whole.threshold, whole.message);
        // A segmented check's metric: each segment is judged against its own history.
        let segmented =
            report.results.iter().find(|r| r.object == object && r.id == spec.metric).and_then(|r| r.segments.as_ref());
        if let Some(segmented) = segmented.filter(|s| !s.all.is_empty()) {
            let mut all = Vec::new();
            for s in &segmented.all {
                let Some(v) = s.value else { continue };
                let history =
                    store.segment_series(&report.contract, &object, &spec.metric, &m.property, &s.segment, now)?;
                let judged = verdict(&spec, severity, &s.segment, &history, now, v);
                all.push((SegmentResult { status: judged.status, ..s.clone() }, judged.message));
            }
            fold_segments(&mut result, &segmented.by, all);
        }
        out.push(result);
    }
    Ok(out)
}

/// One value judged against its history.
struct Verdict {
    status: Status,
    threshold: Option<String>,
    message: String,
}

fn verdict(
    spec: &Spec,
    severity: Level,
    what: &str,
    history: &[(DateTime<Utc>, f64)],
    now: DateTime<Utc>,
    value: f64,
) -> Verdict {
    let model = match (spec.model, spec.season) {
        (baseline::Model::Seasonal, Some(baseline::Season::Daily)) => "seasonal daily".to_string(),
        (baseline::Model::Seasonal, _) => "seasonal weekly".to_string(),
        (baseline::Model::Median, _) => "rolling median".to_string(),
        (baseline::Model::Trend, _) => "trend".to_string(),
    };
    match baseline::judge(spec, history, now, value) {
        Judgement::WarmingUp { have, need } => Verdict {
            status: Status::Skipped,
            threshold: None,
            message: format!("warming up: {have} of {need} runs recorded for the {model} baseline"),
        },
        verdict @ (Judgement::Normal { .. } | Judgement::Anomaly { .. }) => {
            let (Judgement::Normal { band } | Judgement::Anomaly { band }) = verdict else { unreachable!() };
            let anomalous = matches!(verdict, Judgement::Anomaly { .. });
            Verdict {
                threshold: Some(format!("{:.4}..{:.4} ({model}, {} points)", band.low, band.high, band.points)),
                status: match (anomalous, severity) {
                    (false, _) => Status::Pass,
                    (true, Level::Error) => Status::Fail,
                    (true, _) => Status::Warn,
                },
                message: if anomalous {
                    format!(
                        "{what} = {value} is outside the expected {:.2}..{:.2} (expected about {:.2}; {model} over {} runs, sensitivity {})",
                        band.low, band.high, band.expected, band.points, spec.sensitivity
                    )
                } else {
                    format!("{what} = {value} within {:.2}..{:.2} ({model})", band.low, band.high)
                },
            }
        }
    }
}

/// Folds the per-segment verdicts of an adaptive check into its result: anomalous segments
/// make it warn (or fail, at severity error), named worst first (the furthest outside their
/// band is not known here, so by name), bounded; the verdict over all rows stands otherwise.
fn fold_segments(result: &mut CheckResult, by: &[String], mut all: Vec<(SegmentResult, String)>) {
    all.sort_by(|a, b| a.0.segment.cmp(&b.0.segment));
    let anomalous: Vec<&(SegmentResult, String)> =
        all.iter().filter(|(s, _)| matches!(s.status, Status::Warn | Status::Fail)).collect();
    let warming = all.iter().filter(|(s, _)| s.status == Status::Skipped).count();
    let worst: Vec<SegmentResult> = anomalous.iter().take(WORST_SEGMENTS).map(|(s, _)| s.clone()).collect();
    if !anomalous.is_empty() {
        result.status = anomalous.iter().map(|(s, _)| s.status).max().unwrap_or(Status::Warn);
        let named: Vec<&str> = anomalous.iter().take(WORST_SEGMENTS).map(|(_, m)| m.as_str()).collect();
        let more = match anomalous.len().saturating_sub(WORST_SEGMENTS) {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        result.message = format!(
            "{} of {} segments by {} are anomalous: {}{more} (over all rows: {})",
            anomalous.len(),
            all.len(),
            by.join(", "),
            named.join("; "),
            result.message
        );
    } else if warming > 0 {
        result.message = format!("{}; {warming} of {} segments still warming up", result.message, all.len());
    } else {
        result.message =
            format!("{}; all {} segments by {} within their bands", result.message, all.len(), by.join(", "));
    }
    result.segments = Some(Segmented {
        by: by.to_vec(),
        total: all.len(),
        failing: anomalous.len(),
        more_failing: anomalous.len() - worst.len(),
        worst,
        all: all.into_iter().map(|(s, _)| s).collect(),
    });
}

/// Adds results to a report and recomputes its summary and verdict.
pub fn extend_report(report: &mut CheckReport, results: Vec<CheckResult>) {
    report.results.extend(results);
    report.summary = CheckReport::summarize(&report.results);
    report.passed = !report.fails_at(Level::Error);
}

/// The run to record for a report of one partition (`date=2026-11-01`, as `--partition` gave
/// it; hive style `key=value/key=value` for several), or of all the data (`""`).
pub fn run_of_partition(report: &CheckReport, partition: &str) -> Run {
    let mut run = run_of(report);
    run.metrics.iter_mut().for_each(|m| m.partition = partition.to_string());
    run
}

/// The run to record for a report.
pub fn run_of(report: &CheckReport) -> Run {
    Run {
        contract: report.contract.clone(),
        contract_version: report.contract_version.clone(),
        at: DateTime::parse_from_rfc3339(&report.now).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|_| Utc::now()),
        passed: report.passed,
        metrics: metrics(report),
    }
}
