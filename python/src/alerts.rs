//! `route_alerts`, `incidents`, `deliveries` and `retry_alerts`: check reports routed to the
//! owners and consumers they concern, and the alert state read back and retried, as `contrakt
//! alerts route|list|retry` do ([`contrakt_workflow::alerts`]). Alerts are sent only when asked.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;
use serde_json::json;

use contrakt_alert::{explain, outbox};
use contrakt_workflow::alerts::{self, Routes};
use contrakt_workflow::check::{Alerting, Alerts};

use crate::error::{Failure, no_panic};

/// The delivery budget `contrakt alerts` uses unless told otherwise.
const BUDGET: Duration = contrakt_alert::run::CHECK_DELIVERY_BUDGET;

fn budget(seconds: Option<f64>) -> Result<Duration, Failure> {
    match seconds {
        None => Ok(BUDGET),
        Some(s) => Duration::try_from_secs_f64(s)
            .map_err(|_| Failure::Usage(format!("deliver_for: expected seconds (0 or more), found {s}"))),
    }
}

/// Routes the runs of a check report (the JSON `check` returns, or `contrakt check --format
/// json` wrote) over the registry at `paths`. With `send` false, a dry run: every alert planned,
/// with its deliveries, and nothing sent or recorded. Returns the JSON `contrakt alerts route
/// --format json` prints (`checks` planned; or `recorded`, `delivered`, `dead_letters`).
#[pyfunction]
#[pyo3(signature = (paths, report, send = false, state = None, now = None, deliver_for = None))]
pub(crate) fn route_alerts(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    report: &str,
    send: bool,
    state: Option<PathBuf>,
    now: Option<String>,
    deliver_for: Option<f64>,
) -> PyResult<String> {
    let now = match now {
        Some(s) => explain::parse_time(&s)
            .ok_or_else(|| Failure::Usage(format!("now: cannot read {s:?} as a time (RFC 3339 or a date)")))?,
        None => outbox::now_ms(),
    };
    let alerting = if send { Alerting::Notify(budget(deliver_for)?) } else { Alerting::DryRun };
    let routed = py.detach(|| {
        no_panic(|| {
            // The registry is read before the report, as the command does: its problems come first.
            let routes = Routes::open(&paths, state.as_deref())?;
            let runs = alerts::parse_report("report", report)?;
            Ok(routes.route(&runs, now, alerting)?)
        })
    })?;
    Ok(match routed {
        Alerts::Planned { plans, .. } => json!({"version": 1, "checks": plans}),
        Alerts::Notified(n) => json!({
            "version": 1,
            "recorded": n.recorded,
            "delivered": n.delivered,
            "dead_letters": n.dead_letters.len()
        }),
    }
    .to_string())
}

/// The incidents of the registry's alert state, open and resolved, as `contrakt alerts list
/// --incidents --format json` prints them.
#[pyfunction]
#[pyo3(signature = (paths, state = None))]
pub(crate) fn incidents(py: Python<'_>, paths: Vec<PathBuf>, state: Option<PathBuf>) -> PyResult<String> {
    let incidents = py.detach(|| no_panic(|| Ok(alerts::incidents(&paths, state.as_deref())?)))?;
    Ok(json!({"version": 1, "incidents": incidents}).to_string())
}

/// The deliveries of the outbox (with `failed`, those given up), as `contrakt alerts list
/// --format json` prints them.
#[pyfunction]
#[pyo3(signature = (paths, state = None, failed = false))]
pub(crate) fn deliveries(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    state: Option<PathBuf>,
    failed: bool,
) -> PyResult<String> {
    let rows = py.detach(|| no_panic(|| Ok(alerts::deliveries(&paths, state.as_deref(), failed)?)))?;
    Ok(json!({"version": 1, "deliveries": rows}).to_string())
}

/// Queues the given-up deliveries `ids` (all when empty) again and delivers the outbox, as
/// `contrakt alerts retry --format json`: `requeued`, and what delivering did.
#[pyfunction]
#[pyo3(signature = (paths, ids = Vec::new(), state = None, deliver_for = None))]
pub(crate) fn retry_alerts(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    ids: Vec<i64>,
    state: Option<PathBuf>,
    deliver_for: Option<f64>,
) -> PyResult<String> {
    let budget = budget(deliver_for)?;
    let (requeued, delivered) =
        py.detach(|| no_panic(|| Ok(alerts::retry(&paths, state.as_deref(), &ids, budget)?)))?;
    Ok(json!({"version": 1, "requeued": requeued, "delivered": delivered}).to_string())
}
