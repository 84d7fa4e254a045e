//! `lint`: contracts and consumer files checked for what makes them wrong or unsafe to use, as
//! `contrakt lint` runs it ([`contrakt_workflow::lint`]).

use std::path::PathBuf;

use pyo3::prelude::*;

use contrakt_core::{Finding, Level};
use contrakt_report::{Summary, to_json};
use contrakt_workflow::lint::{Options, lint as workflow};

use crate::error::{Failure, no_panic};

/// Lints the contracts and consumer files at `paths`. Returns the JSON `contrakt lint --format
/// json` prints (`summary`, `findings`), the level that fails, whether the run passed, and
/// whether a file could not be read at all (fatal findings, as the command's exit code 2).
#[pyfunction]
#[pyo3(signature = (paths, ignore = Vec::new(), fail_on = None))]
pub(crate) fn lint(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    ignore: Vec<String>,
    fail_on: Option<&str>,
) -> PyResult<(String, String, bool, bool)> {
    let fail_on = match fail_on {
        Some(s) => Some(
            Level::parse(s)
                .ok_or_else(|| Failure::Usage(format!("fail_on: expected error, warning or info, found {s:?}")))?,
        ),
        None => None,
    };
    let options = Options { ignore, fail_on };
    let linted = py.detach(|| {
        no_panic(|| match workflow(&paths, &options) {
            Ok(linted) => Ok(Ok(linted)),
            // Nothing to lint, or a path that cannot be read: findings, as the command prints them.
            Err(contrakt_workflow::Error::Registry(findings)) => Ok(Err(findings)),
            Err(e) => Err(Failure::from(e)),
        })
    })?;
    let json = |files: usize, findings: &[Finding]| to_json("lint", Summary::of(files, findings), findings).to_string();
    Ok(match linted {
        Ok(l) => (json(l.files, &l.findings), l.fail_on.as_str().to_string(), l.passed(), l.fatal()),
        Err(findings) => (json(0, &findings), fail_on.unwrap_or(Level::Error).as_str().to_string(), false, true),
    })
}
