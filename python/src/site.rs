//! `report`: the registry as a static HTML site, as `contrakt report` writes it
//! ([`contrakt_workflow::report`]).

use std::path::PathBuf;

use pyo3::prelude::*;

use contrakt_check::parse_time;
use contrakt_workflow::report::{Options, report as workflow};

use crate::error::{Failure, no_panic};

/// Writes the site of the registry at `paths` into `output`. Returns the front page, the
/// contracts shown, how many failed their latest recorded run, and the files written.
#[pyfunction]
#[pyo3(signature = (paths, output, history = None, alerts_state = None, now = None, runs = 90, commits = 30, title = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn report(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    output: PathBuf,
    history: Option<PathBuf>,
    alerts_state: Option<PathBuf>,
    now: Option<String>,
    runs: usize,
    commits: usize,
    title: Option<String>,
) -> PyResult<(PathBuf, usize, usize, usize)> {
    let now = match now {
        Some(s) => Some(
            parse_time(&s)
                .ok_or_else(|| Failure::Usage(format!("now: cannot read {s:?} as a time (RFC 3339 or a date)")))?,
        ),
        None => None,
    };
    let defaults = Options::new(output);
    let options = Options {
        history,
        alerts_state,
        now,
        runs,
        commits,
        title: title.unwrap_or(defaults.title.clone()),
        ..defaults
    };
    let written = py.detach(|| no_panic(|| Ok(workflow(&paths, &options)?)))?;
    Ok((written.index, written.contracts, written.failing, written.files))
}
