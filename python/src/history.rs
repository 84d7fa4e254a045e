//! `history_points`, `history_events` and `annotate`: the metrics history read back and
//! marked, as `contrakt history` does ([`contrakt_workflow::history`]).

use std::path::PathBuf;

use pyo3::prelude::*;

use contrakt_check::parse_time;
use contrakt_workflow::history::{self, Annotation, Filter, store_location};

use crate::error::{Failure, no_panic};

fn time(name: &str, text: Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>, Failure> {
    match text {
        Some(s) => parse_time(&s)
            .map(Some)
            .ok_or_else(|| Failure::Usage(format!("{name}: cannot read {s:?} as a time (RFC 3339 or a date)"))),
        None => Ok(None),
    }
}

fn filter(
    contract: Option<String>,
    object: Option<String>,
    metric: Option<String>,
    since: Option<String>,
) -> Result<Filter, Failure> {
    Ok(Filter { contract, object, metric, since: time("since", since)? })
}

/// The recorded metrics that match, oldest first, as the JSON `contrakt history --format json`
/// prints. `store`: the history store [default: `CONTRAKT_HISTORY`, else the working folder's].
#[pyfunction]
#[pyo3(signature = (store = None, contract = None, object = None, metric = None, since = None))]
pub(crate) fn history_points(
    py: Python<'_>,
    store: Option<PathBuf>,
    contract: Option<String>,
    object: Option<String>,
    metric: Option<String>,
    since: Option<String>,
) -> PyResult<String> {
    let filter = filter(contract, object, metric, since)?;
    let points = py.detach(|| no_panic(|| Ok(history::points(&store_location(store.as_deref()), &filter)?)))?;
    Ok(serde_json::to_string(&points).map_err(|e| Failure::Execution(e.to_string()))?)
}

/// The recorded publish events that match, as `contrakt history --events --format json` prints.
#[pyfunction]
#[pyo3(signature = (store = None, contract = None, object = None, since = None))]
pub(crate) fn history_events(
    py: Python<'_>,
    store: Option<PathBuf>,
    contract: Option<String>,
    object: Option<String>,
    since: Option<String>,
) -> PyResult<String> {
    let filter = filter(contract, object, None, since)?;
    let events = py.detach(|| no_panic(|| Ok(history::events(&store_location(store.as_deref()), &filter)?)))?;
    Ok(serde_json::to_string(&events).map_err(|e| Failure::Execution(e.to_string()))?)
}

/// Marks `[start, end]` of a contract's metrics as expected (`contrakt history annotate`):
/// adaptive checks do not learn from it or flag it. A date alone as `start` with no `end` names
/// that whole day. Returns the annotation's id and the contract it was matched to.
#[pyfunction]
#[pyo3(signature = (contract, start, note, end = None, object = None, metric = None, store = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn annotate(
    py: Python<'_>,
    contract: String,
    start: String,
    note: String,
    end: Option<String>,
    object: Option<String>,
    metric: Option<String>,
    store: Option<PathBuf>,
) -> PyResult<(i64, String)> {
    let whole_day = start.len() == 10 && end.is_none();
    let from = time("start", Some(start))?.unwrap_or_default();
    let to = match time("end", end)? {
        Some(t) => t,
        // As the command: a date names a whole day.
        None if whole_day => from + chrono::Duration::days(1) - chrono::Duration::microseconds(1),
        None => from,
    };
    let annotation = Annotation { contract, object, metric, from, to, note };
    Ok(py.detach(|| no_panic(|| Ok(history::annotate(&store_location(store.as_deref()), &annotation)?)))?)
}
