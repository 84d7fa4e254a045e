//! Judging: what a measured value means under an expectation's threshold and unit, as a
//! [`CheckResult`] with its message. The same judging serves the whole object, each segment
//! ([`crate::segment`]) and each reconciliation ([`crate::reconcile`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType as Arrow;
use datafusion::common::ScalarValue;
use serde_json::Value as Json;

use contrakt_core::expect::{self, CheckResult, Expectation, Measure, Status, Threshold, Unit};
use contrakt_core::odcs::ContractDocument;

use crate::compile::{How, Part};

pub(crate) fn first_value(batches: &[RecordBatch], col: usize) -> Option<ScalarValue> {
    let b = batches.iter().find(|b| b.num_rows() > 0)?;
    ScalarValue::try_from_array(b.column(col), 0).ok()
}

/// A number from any numeric scalar (booleans as 0/1).
pub(crate) fn scalar_f64(s: &ScalarValue) -> Option<f64> {
    match s {
        ScalarValue::Boolean(Some(b)) => Some(f64::from(u8::from(*b))),
        s if s.data_type().is_numeric() => match s.cast_to(&Arrow::Float64).ok()? {
            ScalarValue::Float64(v) => v,
            _ => None,
        },
        _ => None,
    }
}

/// Seconds since the epoch of a date or timestamp; a date counts as its end when `end_of_day`.
pub(crate) fn epoch_secs(s: &ScalarValue, end_of_day: bool) -> Option<f64> {
    let day = if end_of_day { 86_400.0 } else { 0.0 };
    match s {
        ScalarValue::TimestampSecond(Some(v), _) => Some(*v as f64),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(*v as f64 / 1e3),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v as f64 / 1e6),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(*v as f64 / 1e9),
        ScalarValue::Date32(Some(d)) => Some(f64::from(*d) * 86_400.0 + day),
        ScalarValue::Date64(Some(ms)) => Some(*ms as f64 / 1e3 + day),
        _ => None,
    }
}

fn float_json(v: f64) -> Json {
    match serde_json::Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None if v.is_nan() => Json::String("NaN".into()),
        None => Json::String(if v > 0.0 { "Infinity" } else { "-Infinity" }.into()),
    }
}

pub(crate) fn scalar_json(s: &ScalarValue) -> Json {
    if s.is_null() {
        return Json::Null;
    }
    match s {
        ScalarValue::Boolean(Some(b)) => Json::Bool(*b),
        ScalarValue::Int8(Some(v)) => (*v).into(),
        ScalarValue::Int16(Some(v)) => (*v).into(),
        ScalarValue::Int32(Some(v)) => (*v).into(),
        ScalarValue::Int64(Some(v)) => (*v).into(),
        ScalarValue::UInt8(Some(v)) => (*v).into(),
        ScalarValue::UInt16(Some(v)) => (*v).into(),
        ScalarValue::UInt32(Some(v)) => (*v).into(),
        ScalarValue::UInt64(Some(v)) => (*v).into(),
        // NaN and the infinities are no JSON numbers; shown as null they would read as missing.
        ScalarValue::Float32(Some(v)) => float_json(f64::from(*v)),
        ScalarValue::Float64(Some(v)) => float_json(*v),
        ScalarValue::Utf8(Some(v)) | ScalarValue::LargeUtf8(Some(v)) | ScalarValue::Utf8View(Some(v)) => {
            Json::String(v.clone())
        }
        other => Json::String(other.to_string()),
    }
}

fn base_result(doc: &ContractDocument, e: &Expectation) -> CheckResult {
    CheckResult {
        property: e.property_path(),
        name: e.name.clone(),
        location: doc.locate(e.span),
        ..CheckResult::new(e.id.clone(), e.kind, &e.object, Status::Error, e.severity)
    }
}

pub(crate) fn not_run(doc: &ContractDocument, e: &Expectation, status: Status, message: String) -> CheckResult {
    CheckResult { status, message, ..base_result(doc, e) }
}

pub(crate) type Separate<'a> = HashMap<&'a str, std::result::Result<Option<f64>, String>>;

pub(crate) fn judge(
    doc: &ContractDocument,
    e: &Expectation,
    how: &How,
    fused: &[std::result::Result<ScalarValue, String>],
    separate: &Separate<'_>,
    rows: Option<u64>,
    now: DateTime<Utc>,
) -> CheckResult {
    let mut r = base_result(doc, e);
    let part = |p: &Part| -> std::result::Result<Option<f64>, String> {
        match p {
            Part::Fused(i) => {
                fused[*i].as_ref().map(|s| if s.is_null() { None } else { scalar_f64(s) }).map_err(Clone::clone)
            }
            Part::Query(q) => separate.get(q.as_str()).cloned().unwrap_or_else(|| Err("not run".into())),
        }
    };
    match how {
        How::Skip(why) => return CheckResult { status: Status::Skipped, message: why.clone(), ..r },
        How::Error(why) => return CheckResult { status: Status::Error, message: why.clone(), ..r },
        How::Holds(why) => return CheckResult { status: Status::Pass, message: why.clone(), ..r },
        // Judged by its own plans after the scan (`reconcile::run`).
        How::Apart => return CheckResult { status: Status::Error, message: "not measured".into(), ..r },
        How::Count(parts) => {
            let mut count = 0.0;
            for p in parts {
                match part(p) {
                    Ok(v) => count += v.unwrap_or(0.0),
                    Err(why) => return CheckResult { status: Status::Error, message: why, ..r },
                }
            }
            let total = rows.unwrap_or(0);
            let counts_rows = e.measure.counts_rows();
            let value = match e.unit {
                Unit::Percent if total > 0 => count * 100.0 / total as f64,
                Unit::Percent => 0.0,
                Unit::Rows => count,
            };
            r.value = Some(round(value));
            r.threshold = Some(e.threshold.written());
            r.unit = Some(if e.unit == Unit::Percent { "percent" } else { "rows" }.to_string());
            r.total_rows = rows;
            if counts_rows {
                r.failed_rows = Some(count as u64);
            }
            r.status = Status::judged(e.threshold.holds(round(value)), e.severity);
            r.message = count_message(e, count, total, value, r.status);
        }
        How::Number(p) => match part(p).map_err(|why| match p {
            Part::Query(q) if crate::warehouse::rule_statement_of(q).is_some() => {
                format!("{why} (the server ran the rule's SQL as written, in its own dialect)")
            }
            _ => format!(
                "{why} (rule queries run on DataFusion's SQL; a query written for the server's dialect may need rewriting)"
            ),
        }) {
            Ok(Some(v)) => {
                r.value = Some(v);
                r.threshold = Some(e.threshold.written());
                r.status = Status::judged(e.threshold.holds(v), e.severity);
                r.message = format!("the query returned {}; the contract says {}", fmt(v), e.threshold.short());
            }
            Ok(None) => {
                r.status = Status::Error;
                r.message = "the query returned null, not a number".into();
            }
            Err(why) => r.message = why,
        },
        How::Age { measure, newest } => {
            let (max_age, unit) = match &e.measure {
                Measure::Freshness { max_age, unit } | Measure::Retention { max_age, unit } => (*max_age, unit.clone()),
                _ => (0.0, "s".into()),
            };
            let unit_secs = expect::duration_secs(Some(&Json::from(1)), Some(&unit)).unwrap_or(1.0);
            let allowed = max_age / unit_secs;
            r.threshold =
                Some(Threshold::new(contrakt_core::odcs::Operator::MustBeLessOrEqualTo, vec![allowed]).written());
            match &fused[*measure] {
                Err(why) => r.message = why.clone(),
                Ok(s) if s.is_null() => {
                    // No rows: nothing is fresh; nothing outlives retention.
                    r.status = if *newest { Status::judged(false, e.severity) } else { Status::Pass };
                    r.message = if *newest {
                        "the data has no rows, so nothing is fresh".into()
                    } else {
                        "the data has no rows to retain".into()
                    };
                }
                Ok(s) => match epoch_secs(s, *newest) {
                    Some(ts) => {
                        let age = (now.timestamp_millis() as f64 / 1e3 - ts) / unit_secs;
                        r.value = Some(round(age));
                        r.unit = None;
                        r.status = Status::judged(age <= allowed, e.severity);
                        let which = if *newest { "newest" } else { "oldest" };
                        r.message = format!(
                            "the {which} value ({s}) is {} {unit} old; the SLA allows {} {unit}",
                            fmt(round(age)),
                            fmt(allowed)
                        );
                    }
                    None => r.message = format!("cannot read {} as a point in time", s.data_type()),
                },
            }
        }
    }
    r
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn fmt(v: f64) -> String {
    contrakt_core::expect::threshold::format_number(v)
}

/// What an array's bad item is, for [`count_message`].
fn item_message(m: &Measure) -> String {
    match m {
        Measure::NotIn(_) => "outside the enumeration".into(),
        other => value_message(other).unwrap_or_else(|| "failing".into()),
    }
}

/// What a value that breaks one of the value measures is (a row's or an array item's).
fn value_message(m: &Measure) -> Option<String> {
    Some(match m {
        Measure::Below { bound, exclusive } => format!("{} {bound}", if *exclusive { "at or below" } else { "below" }),
        Measure::Above { bound, exclusive } => format!("{} {bound}", if *exclusive { "at or above" } else { "above" }),
        Measure::ShorterThan(m) => format!("shorter than {m} characters"),
        Measure::LongerThan(m) => format!("longer than {m} characters"),
        Measure::Mismatch(re) => format!("not matching /{re}/"),
        Measure::Format(f) => format!("not well-formed `{f}`"),
        _ => return None,
    })
}

fn count_message(e: &Expectation, count: f64, total: u64, value: f64, status: Status) -> String {
    let n = count as u64;
    let what = match &e.measure {
        Measure::Nulls => "null".to_string(),
        Measure::Missing(_) => "missing (null or a placeholder)".into(),
        Measure::Invalid { .. } | Measure::NotIn(_) => "invalid".into(),
        Measure::Excess | Measure::ExcessOf(_) => "duplicate (excess)".into(),
        Measure::Key(_) => "key-violating (null or repeated)".into(),
        m @ (Measure::Below { .. }
        | Measure::Above { .. }
        | Measure::ShorterThan(_)
        | Measure::LongerThan(_)
        | Measure::Mismatch(_)
        | Measure::Format(_)) => value_message(m).unwrap_or_default(),
        Measure::FewerItems(m) => format!("with fewer than {m} items:"),
        Measure::MoreItems(m) => format!("with more than {m} items:"),
        Measure::RepeatedItems => "with repeated items:".into(),
        Measure::Items(inner) => format!("with an item {}", item_message(inner)),
        Measure::Reference { object, column } => format!("orphan (no match in {object}.{column}):"),
        Measure::RowCount => {
            return format!("{} rows; the contract says {}", n, e.threshold.short());
        }
        _ => "failing".into(),
    };
    let what = what.trim_end_matches(':');
    let counted = if e.unit == Unit::Percent {
        format!("{}% ({n} of {total} rows)", fmt(round(value)))
    } else {
        format!("{n} of {total} rows")
    };
    match status {
        Status::Pass if n == 0 && matches!(e.measure, Measure::Items(_)) => format!("no rows {what}"),
        Status::Pass if n == 0 => format!("no {what} values"),
        _ => format!("{counted} {what}; the contract says {}", e.threshold.short()),
    }
}
