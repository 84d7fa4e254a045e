//! `diff`: the breaking-change gate of `contrakt diff` on two schemas (paths in any format
//! contrakt reads, or loaded contracts).

use std::path::PathBuf;

use pyo3::prelude::*;

use contrakt_core::Level;
use contrakt_core::diff::Mode;
use contrakt_workflow::gate::{GateOptions, Input, gate, load, load_contract_text};

use crate::contract::Contract;
use crate::error::Failure;

/// One side of the comparison, as Python gave it.
enum Side {
    Path(PathBuf),
    Text { name: String, text: String, path: Option<PathBuf> },
}

impl Side {
    fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Side> {
        if let Ok(c) = obj.cast::<Contract>() {
            let c = c.get();
            return Ok(Side::Text {
                name: c.doc.source().name().to_string(),
                text: c.doc.source().text().to_string(),
                path: c.path.clone(),
            });
        }
        Ok(Side::Path(obj.extract::<PathBuf>()?))
    }

    fn load(&self) -> Result<Input, Failure> {
        Ok(match self {
            Side::Path(p) => load(p, None)?,
            Side::Text { name, text, .. } => load_contract_text(name, text)?,
        })
    }

    fn path(&self) -> PathBuf {
        match self {
            Side::Path(p) => p.clone(),
            Side::Text { path, .. } => path.clone().unwrap_or_default(),
        }
    }
}

/// Returns the diff report as JSON (the `contrakt diff --format json` shape).
#[pyfunction]
#[pyo3(signature = (old, new, mode = None, consumers = None, strict_consumers = false, fail_on = "error"))]
pub(crate) fn diff(
    py: Python<'_>,
    old: &Bound<'_, PyAny>,
    new: &Bound<'_, PyAny>,
    mode: Option<&str>,
    consumers: Option<PathBuf>,
    strict_consumers: bool,
    fail_on: &str,
) -> PyResult<String> {
    let mode = match mode {
        Some(m) => Some(Mode::parse(m).ok_or_else(|| {
            let all: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
            Failure::Usage(format!("mode: unknown mode {m:?}; one of: {}", all.join(", ")))
        })?),
        None => None,
    };
    let fail_on = Level::parse(fail_on)
        .ok_or_else(|| Failure::Usage(format!("fail_on: expected error, warning or info, found {fail_on:?}")))?;
    let (old, new) = (Side::extract(old)?, Side::extract(new)?);
    let json = py.detach(|| -> Result<String, Failure> {
        let (o, n) = (old.load()?, new.load()?);
        let options = GateOptions { mode, consumers, strict_consumers, fail_on };
        let report = gate(&o, &n, &[], &new.path(), &options)?;
        Ok(contrakt_report::diff_to_json(&report).to_string())
    })?;
    Ok(json)
}
