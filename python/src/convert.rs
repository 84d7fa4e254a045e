//! `import_schema` and `export`: a draft contract from a producer schema, and a contract's
//! schema in another language, as `contrakt import` and `contrakt export` run them
//! ([`contrakt_workflow::convert`]).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use contrakt_workflow::convert::{self, ImportOptions, Target};

use crate::error::{Failure, no_panic};

/// A draft ODCS contract from the producer schema in `file`: its YAML (what `contrakt import`
/// prints) and what the contract could not say.
#[pyfunction]
#[pyo3(signature = (file, format = None, id = None, models = Vec::new()))]
pub(crate) fn import_schema(
    py: Python<'_>,
    file: PathBuf,
    format: Option<String>,
    id: Option<String>,
    models: Vec<String>,
) -> PyResult<(String, Vec<String>)> {
    let options = ImportOptions { format, id, models };
    let imported = py.detach(|| no_panic(|| Ok(convert::import(&file, &options)?)))?;
    Ok((imported.to_yaml(), imported.warnings))
}

/// The contract at `contract` in language `to` (`jsonschema`, `avro`, `protobuf`, `sql[:DIALECT]`,
/// `arrow`, `dbt[:DIALECT]`, `soda`, `great-expectations`): the file's bytes (what `contrakt
/// export -o` writes), whether they are text, and what the language could not say.
#[pyfunction]
#[pyo3(signature = (contract, to, object = None))]
pub(crate) fn export<'py>(
    py: Python<'py>,
    contract: PathBuf,
    to: &str,
    object: Option<String>,
) -> PyResult<(Bound<'py, PyBytes>, bool, Vec<String>)> {
    let target = Target::parse(to).ok_or_else(|| {
        Failure::Usage(format!(
            "to: unknown language {to:?}; one of jsonschema, avro, protobuf, sql[:postgres|snowflake|bigquery|spark], arrow, dbt[:DIALECT], soda, great-expectations"
        ))
    })?;
    let exported = py.detach(|| no_panic(|| Ok(convert::export(&contract, target, object.as_deref())?)))?;
    Ok((PyBytes::new(py, &exported.content), !target.is_binary(), exported.warnings))
}
