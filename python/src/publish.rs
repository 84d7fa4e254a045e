//! `publish` and `rollback`: the library's write-audit-publish, as `contrakt publish` runs it.

use std::path::PathBuf;

use pyo3::prelude::*;
use serde_json::json;

use contrakt_check::parse_time;
use contrakt_core::Level;
use contrakt_workflow::check::{Alerting, Alerts, History};
use contrakt_workflow::publish::{self as workflow, Options, Outcome, RollbackOptions};
use contrakt_workflow::{Location, Registry};

use crate::error::{Failure, no_panic};

/// Where a publish is recorded: `None` the registry's `history:`, `""` nowhere, else this store.
fn history(store: Option<String>) -> History {
    match store {
        None => History::Configured,
        Some(s) if s.is_empty() => History::Off,
        Some(s) => History::At(Location::parse(&s)),
    }
}

/// Audits `staged` against the contract at `contract` and publishes it to `to` if it passes.
/// Returns the outcome as JSON (`published`, `outcome`, `why`, `current`, `previous`, `check`:
/// the audit's report as `contrakt check --format json` writes it, `alerts`) and the warnings.
/// A release that passed its audit but could not be written raises.
#[pyfunction]
#[pyo3(signature = (contract, staged, to, object = None, canary = None, now = None, keep = 3, fail_on = "error", store = None, notify = false, quarantine = None, quarantine_rows = "keys"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn publish(
    py: Python<'_>,
    contract: PathBuf,
    staged: PathBuf,
    to: PathBuf,
    object: Option<String>,
    canary: Option<f64>,
    now: Option<String>,
    keep: usize,
    fail_on: &str,
    store: Option<String>,
    notify: bool,
    quarantine: Option<String>,
    quarantine_rows: &str,
) -> PyResult<(String, Vec<String>)> {
    let rows: contrakt_check::QuarantineRows =
        quarantine_rows.parse().map_err(|e| Failure::Usage(format!("quarantine_rows: {e}")))?;
    let quarantine = quarantine.map(|location| contrakt_check::Quarantine { location, rows, run: None });
    let fail_on = Level::parse(fail_on)
        .ok_or_else(|| Failure::Usage(format!("fail_on: expected error, warning or info, found {fail_on:?}")))?;
    let now = match now {
        Some(s) => Some(parse_time(&s).ok_or_else(|| Failure::Usage(format!("now: cannot read {s:?} as a time")))?),
        None => None,
    };
    let options = Options {
        object,
        canary,
        now,
        keep,
        fail_on,
        history: history(store),
        alerts: if notify { Alerting::Notify(workflow::DELIVERY_BUDGET) } else { Alerting::Off },
        quarantine,
        ..Options::new(staged, to)
    };
    let done = py.detach(move || {
        no_panic(|| {
            let registry = Registry::open(&contract)?;
            Ok(workflow::publish(&registry, options)?)
        })
    })?;
    let (outcome, why, current, previous) = match &done.outcome {
        Outcome::Published { current, previous } => ("published", None, Some(current), previous.as_ref()),
        Outcome::Refused { why, serving } => ("refused", Some(why), serving.as_ref(), None),
        Outcome::Failed { why, serving } => {
            let serving = serving.as_deref().unwrap_or("nothing");
            return Err(Failure::Execution(format!("{why}; readers still get {serving}")).into());
        }
    };
    let check: serde_json::Value =
        serde_json::from_str(&contrakt_report::check_to_json(std::slice::from_ref(&done.report), fail_on))
            .unwrap_or_default();
    let alerts = match &done.alerts {
        None => serde_json::Value::Null,
        Some(Ok(Alerts::Notified(n))) => json!({
            "summary": n.summary(), "recorded": n.recorded, "delivered": n.delivered, "dead_letters": n.dead_letters.len(),
        }),
        Some(Ok(Alerts::Planned { .. })) => json!({ "error": "alerts were planned, not sent" }),
        Some(Err(e)) => json!({ "error": e.to_string() }),
    };
    let partial = done.partial.as_ref().map(|p| {
        json!({"published_rows": p.published_rows, "quarantined_rows": p.quarantine.rows, "quarantine": p.quarantine.location, "max_failing_fraction": p.max_failing_fraction})
    });
    let out = json!({
        "published": done.published(), "outcome": outcome, "why": why, "current": current,
        "previous": previous, "check": check, "alerts": alerts, "partial": partial,
    });
    Ok((out.to_string(), done.warnings))
}

/// Points `to` back at the release before its current one; returns that release and the
/// warnings.
#[pyfunction]
#[pyo3(signature = (to, object = None, store = None))]
pub(crate) fn rollback(
    py: Python<'_>,
    to: PathBuf,
    object: Option<String>,
    store: Option<String>,
) -> PyResult<(String, Vec<String>)> {
    let options = RollbackOptions { object, history: history(store), cwd: None };
    let back = py.detach(move || no_panic(|| Ok(workflow::rollback(&to, options)?)))?;
    Ok((back.pointer.current, back.warnings))
}
