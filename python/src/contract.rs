//! `Contract`: a loaded ODCS contract, kept as the Rust model (with its source, for locations).

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use contrakt_core::lint::{self, Workspace};
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::{Finding, SourceFile, config, consumer, registry};

use crate::error::Failure;

#[pyclass(frozen, module = "contrakt._contrakt")]
pub(crate) struct Contract {
    pub(crate) doc: Arc<ContractDocument>,
    /// Set when loaded from a file: data paths and the registry resolve against it.
    pub(crate) path: Option<PathBuf>,
}

#[pyfunction]
pub(crate) fn load_path(py: Python<'_>, path: PathBuf) -> PyResult<Contract> {
    let doc = py.detach(|| registry::read_source(&path).and_then(odcs::load)).map_err(Failure::from)?;
    Ok(Contract { doc: Arc::new(doc), path: Some(path) })
}

#[pyfunction]
#[pyo3(signature = (text, name = "<string>".to_string()))]
pub(crate) fn load_text(text: String, name: String) -> PyResult<Contract> {
    let doc = odcs::load(SourceFile::new(name, text)).map_err(Failure::from)?;
    Ok(Contract { doc: Arc::new(doc), path: None })
}

#[pymethods]
impl Contract {
    /// The file it was read from, or the name given to text.
    #[getter]
    fn file(&self) -> String {
        self.doc.source().name().to_string()
    }

    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// The source text, as read.
    #[getter]
    fn text(&self) -> String {
        self.doc.source().text().to_string()
    }

    /// The typed contract as JSON (the ODCS fields contrakt reads).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.doc.contract).map_err(|e| Failure::Execution(e.to_string()).into())
    }

    fn to_yaml(&self) -> String {
        self.doc.contract.to_yaml()
    }

    /// The consumers (JSON list) whose `uses` name this contract, from `folder` or else the
    /// consumer folder of the registry the contract sits in (none for a contract from text).
    #[pyo3(signature = (folder = None))]
    fn consumers(&self, py: Python<'_>, folder: Option<PathBuf>) -> PyResult<String> {
        let json = py.detach(|| -> Result<String, Failure> {
            let folder = folder.or_else(|| {
                let root = registry::registry_root(self.path.as_deref()?)?;
                let config = registry::read_source(&root.join(config::FILE_NAME)).and_then(config::load).ok();
                Some(root.join(config.map(|c| c.consumers).unwrap_or_else(|| "consumers/".into())))
            });
            let Some(folder) = folder.filter(|f| f.is_dir()) else { return Ok("[]".into()) };
            let found = registry::discover(std::slice::from_ref(&folder))?;
            let mut out = Vec::new();
            let mut problems = Vec::new();
            for doc in found.consumers {
                match consumer::load_document(doc) {
                    Ok(c) if c.consumer.uses.iter().any(|u| u.contract == self.doc.contract.id) => out.push(c.consumer),
                    Ok(_) => {}
                    Err(e) => problems.extend(Finding::from_error(&e, None)),
                }
            }
            if !problems.is_empty() {
                return Err(Failure::Parse(problems));
            }
            serde_json::to_string(&out).map_err(|e| Failure::Execution(e.to_string()))
        })?;
        Ok(json)
    }

    /// The Arrow schema of `object` (or of the only object) as an Arrow C schema capsule, with
    /// what Arrow cannot say: the schema `contrakt export --to arrow` writes. A capsule is
    /// consumed by the library it is handed to, so each call makes a new one.
    #[pyo3(signature = (object = None))]
    fn arrow_schema<'py>(
        &self,
        py: Python<'py>,
        object: Option<&str>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Vec<String>)> {
        let exported = contrakt_convert::arrow_schema(&self.doc, object).map_err(|e| Failure::Usage(e.to_string()))?;
        let capsule = pyo3_arrow::ffi::to_schema_pycapsule(py, &exported.content)?;
        Ok((capsule, exported.warnings))
    }

    /// `contrakt lint` on this contract alone, as its JSON report.
    fn lint(&self, py: Python<'_>) -> String {
        py.detach(|| {
            let workspace =
                Workspace { contracts: vec![self.doc.document.clone()], consumers: vec![], context: vec![] };
            let mut findings = lint::lint(workspace, &lint::Options::default()).findings;
            lint::sort(&mut findings);
            let summary = contrakt_report::Summary::of(1, &findings);
            contrakt_report::to_json("lint", summary, &findings).to_string()
        })
    }
}
