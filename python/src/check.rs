//! `check`: a contract's checks on data given as Arrow (any `__arrow_c_stream__` exporter,
//! imported without a copy), as paths, or read from the contract's servers.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatchReader;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;
use pyo3_arrow::input::AnyRecordBatch;
use serde_json::Value as Json;

use contrakt_check::{InMemory, parse_time};
use contrakt_core::Level;
use contrakt_core::expect::CheckReport;
use contrakt_workflow::Registry;
use contrakt_workflow::check::CheckOptions;
use contrakt_workflow::check::{Alerting, Alerts, Checked, Options, check_on};

use crate::contract::Contract;
use crate::error::{Failure, no_panic};
use crate::runtime::rt;

/// Runs the checks through the library's check workflow, as `contrakt check` does: the history
/// of the registry's contrakt.yaml (`history:`) is recorded and its adaptive checks judged.
/// `frames`: (object or None, label, Arrow data); `data`: (object or None, path). Returns the
/// JSON report (`docs/check-output.md`); with `notify`, what alerting did as JSON (`summary`,
/// `recorded`, `delivered`, `dead_letters`, or `error`): the alerts of `contrakt run`, routed by
/// the contrakt.yaml of the contract's registry; and the warnings (history not recorded). A
/// failure to alert does not change the check's result, as in `contrakt run`. `memory_limit`
/// (bytes) is `check --memory-limit`, `memory_budget` (bytes, `u64::MAX` for none) is
/// `check --memory-budget`; `as_of` (a table version or snapshot id, or a time) is
/// `check --as-of`; `server` is `check --server` (a warehouse's checks run there).
#[pyfunction]
#[pyo3(signature = (contract, frames, data, objects, now = None, sample = 5, unmask = false, filter = None, fail_on = "error", notify = false, memory_limit = None, memory_budget = None, quarantine = None, quarantine_rows = "keys", quarantine_run = None, as_of = None, server = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn check(
    py: Python<'_>,
    contract: &Contract,
    frames: Vec<(Option<String>, String, AnyRecordBatch)>,
    data: Vec<(Option<String>, String)>,
    objects: Vec<String>,
    now: Option<String>,
    sample: usize,
    unmask: bool,
    filter: Option<String>,
    fail_on: &str,
    notify: bool,
    memory_limit: Option<usize>,
    memory_budget: Option<u64>,
    quarantine: Option<String>,
    quarantine_rows: &str,
    quarantine_run: Option<String>,
    as_of: Option<String>,
    server: Option<String>,
) -> PyResult<(String, Option<String>, Vec<String>)> {
    let as_of = as_of
        .map(|a| contrakt_check::AsOf::parse(&a).map_err(|e| Failure::Usage(format!("as_of: {e}"))))
        .transpose()?;
    let rows: contrakt_check::QuarantineRows =
        quarantine_rows.parse().map_err(|e| Failure::Usage(format!("quarantine_rows: {e}")))?;
    let quarantine = quarantine.map(|location| contrakt_check::Quarantine { location, rows, run: quarantine_run });
    let fail_on = Level::parse(fail_on)
        .ok_or_else(|| Failure::Usage(format!("fail_on: expected error, warning or info, found {fail_on:?}")))?;
    let now = match now {
        Some(s) => Some(parse_time(&s).ok_or_else(|| {
            Failure::Usage(format!("now: cannot read {s:?} as a time (use RFC 3339, e.g. 2025-06-01T00:00:00Z)"))
        })?),
        None => None,
    };
    // The Arrow streams are drained with the GIL held (a producer may be Python code); the
    // batches share the producer's buffers.
    let mut memory = Vec::new();
    for (object, label, frame) in frames {
        let reader = frame.into_reader()?;
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<RecordBatch>, _>>()
            .map_err(|e| Failure::Execution(format!("cannot read the data of {label}: {e}")))?;
        memory.push((object, InMemory { label, schema, batches }));
    }
    let doc = (*contract.doc).clone();
    let path = contract.path.clone();
    if notify && path.is_none() {
        return Err(Failure::Usage(
            "notify=True needs a contract read from a file: the alert routes are in its registry's contrakt.yaml"
                .into(),
        )
        .into());
    }
    // The check of `contrakt check`: with the registry the contract sits in (references into its
    // other contracts, its history store, its alert routes).
    let check = CheckOptions {
        data,
        objects,
        now,
        sample,
        unmask,
        filter,
        frames: memory,
        quarantine,
        as_of,
        server,
        ..CheckOptions::default()
    };
    let options = Options {
        check,
        memory_limit,
        // `u64::MAX` is no budget, which the checker reads as `usize::MAX`.
        memory_budget: memory_budget.map(|b| usize::try_from(b).unwrap_or(usize::MAX)),
        alerts: if notify { Alerting::Notify(contrakt_alert::run::CHECK_DELIVERY_BUDGET) } else { Alerting::Off },
        ..Options::new()
    };
    let checked = py.detach(move || {
        no_panic(|| {
            let registry = Registry::of_contract(doc, path.as_deref());
            Ok(check_on(rt()?.handle(), &registry, options, &mut |_| {})?)
        })
    })?;
    let Checked { reports, failed, warnings, alerts } = checked;
    if let Some((_, e)) = failed.into_iter().next() {
        return Err(Failure::from(e).into());
    }
    let alerts = alerts.map(|a| {
        match a {
            Ok(Alerts::Notified(n)) => serde_json::json!({
                "summary": n.summary(),
                "recorded": n.recorded,
                "delivered": n.delivered,
                "dead_letters": n.dead_letters.len(),
            }),
            Ok(Alerts::Planned { .. }) => serde_json::json!({ "error": "alerts were planned, not sent" }),
            Err(e) => serde_json::json!({ "error": error_chain(&e) }),
        }
        .to_string()
    });
    Ok((contrakt_report::check_to_json(&reports, fail_on), alerts, warnings))
}

/// An alerting error with its causes, on one line (secrets are never in them).
fn error_chain(e: &contrakt_workflow::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // Most messages already end with their source's.
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(&format!(": {more}"));
        }
        source = s.source();
    }
    text
}

/// The failing rows sampled in a check report (the JSON `check` returns), as an Arrow table:
/// one row per sample, naming the check, the offending value and the whole row (as JSON, since
/// each check samples different columns). Built on demand, so results stay plain data.
#[pyfunction]
pub(crate) fn failure_cases(report_json: &str) -> PyResult<PyTable> {
    // Read back into core's result model, the one `check` serialised.
    let not_a_report = |e: serde_json::Error| Failure::Usage(format!("not a check report: {e}"));
    let document: Json = serde_json::from_str(report_json).map_err(not_a_report)?;
    let reports: Vec<CheckReport> = match document.get("reports") {
        Some(reports) => serde_json::from_value(reports.clone()).map_err(not_a_report)?,
        None => Vec::new(),
    };
    let text = |v: Option<&Json>| match v {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let mut cols: [Vec<Option<String>>; 7] = Default::default();
    for r in reports.iter().flat_map(|report| &report.results) {
        for row in &r.samples {
            // Samples name columns by their last path segment.
            let value = r
                .property
                .as_deref()
                .and_then(|p| text(row.get(p).or_else(|| row.get(p.rsplit('.').next().unwrap_or(p)))));
            let values = [
                Some(r.id.clone()),
                Some(r.code.clone()),
                Some(r.status.as_str().to_string()),
                Some(r.object.clone()),
                r.property.clone(),
                value,
                Some(Json::Object(row.clone()).to_string()),
            ];
            for (c, v) in cols.iter_mut().zip(values) {
                c.push(v);
            }
        }
    }
    let names = ["check", "code", "status", "object", "property", "failure_case", "row"];
    let fields: Vec<Field> = names.iter().map(|n| Field::new(*n, DataType::Utf8, true)).collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays: Vec<ArrayRef> = cols.into_iter().map(|c| Arc::new(StringArray::from(c)) as ArrayRef).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Failure::Execution(e.to_string()))?;
    PyTable::try_new(vec![batch], schema)
}
