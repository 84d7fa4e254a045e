//! The one place Rust errors become Python exceptions. The exception classes are plain Python
//! (`contrakt/exceptions.py`): that gives `ContractParseError` both `ContraktError` and
//! `ValueError` as bases, and pickling for free.

use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use contrakt_core::Finding;

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A contract (or schema) that cannot be read: one entry per problem, located.
    Parse(Vec<Finding>),
    /// A file that does not exist or cannot be read.
    Io { path: String, message: String, not_found: bool },
    /// The check could not run at all (no data, unreadable data, engine failure).
    Execution(String),
    /// Bad arguments (unknown object, unreadable `now`).
    Usage(String),
}

impl From<contrakt_core::Error> for Failure {
    fn from(e: contrakt_core::Error) -> Self {
        if let contrakt_core::Error::Io { path, source } = &e {
            return Failure::Io {
                path: path.display().to_string(),
                message: e.to_string(),
                not_found: source.kind() == std::io::ErrorKind::NotFound,
            };
        }
        Failure::Parse(Finding::from_error(&e, None))
    }
}

impl From<contrakt_check::Error> for Failure {
    fn from(e: contrakt_check::Error) -> Self {
        match e {
            contrakt_check::Error::UnknownObject { .. } | contrakt_check::Error::Usage(_) => {
                Failure::Usage(e.to_string())
            }
            other => Failure::Execution(other.to_string()),
        }
    }
}

impl From<contrakt_workflow::Error> for Failure {
    fn from(e: contrakt_workflow::Error) -> Self {
        use contrakt_workflow::Error as E;
        match e {
            E::Registry(findings) => Failure::Parse(findings),
            E::Io { ref path, ref source } => Failure::Io {
                path: path.display().to_string(),
                message: e.to_string(),
                not_found: source.kind() == std::io::ErrorKind::NotFound,
            },
            E::Check(e) => (*e).into(),
            E::Usage(_) | E::NoContracts(_) => Failure::Usage(e.to_string()),
            other => Failure::Execution(other.to_string()),
        }
    }
}

/// `file:line:column: message` for a finding, as far as it is located.
fn located(f: &Finding) -> String {
    match (f.file_name(), f.location()) {
        (Some(file), Some(loc)) => format!("{file}:{}:{}: {}", loc.line, loc.column, f.message),
        (Some(file), None) => format!("{file}: {}", f.message),
        _ => f.message.clone(),
    }
}

fn raise(py: Python<'_>, class: &str, message: String, fields: &[(&str, Py<PyAny>)]) -> PyErr {
    let make = || -> PyResult<PyErr> {
        let cls = py.import("contrakt.exceptions")?.getattr(class)?;
        let kwargs = PyDict::new(py);
        for (k, v) in fields {
            kwargs.set_item(k, v)?;
        }
        Ok(PyErr::from_value(cls.call((message.clone(),), Some(&kwargs))?))
    };
    // Without the Python half (the bare extension imported alone) a plain error still says why.
    make().unwrap_or_else(|_| PyRuntimeError::new_err(message.clone()))
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        Python::attach(|py| match f {
            Failure::Parse(findings) => {
                let message = match findings.as_slice() {
                    [one] => located(one),
                    many => format!(
                        "{} problems:\n{}",
                        many.len(),
                        many.iter().map(|f| format!("  {}", located(f))).collect::<Vec<_>>().join("\n")
                    ),
                };
                let first = findings.first();
                let loc = first.and_then(Finding::location);
                let fields = [
                    (
                        "file",
                        first.and_then(Finding::file_name).map(str::to_string).into_pyobject(py).map(|o| o.unbind()),
                    ),
                    ("line", loc.map(|l| l.line).into_pyobject(py).map(|o| o.unbind())),
                    ("column", loc.map(|l| l.column).into_pyobject(py).map(|o| o.unbind())),
                    ("code", first.map(|f| f.code.to_string()).into_pyobject(py).map(|o| o.unbind())),
                ];
                let fields: Vec<(&str, Py<PyAny>)> =
                    fields.into_iter().filter_map(|(k, v)| v.ok().map(|v| (k, v))).collect();
                raise(py, "ContractParseError", message, &fields)
            }
            Failure::Io { path, message, not_found: true } => {
                let fields: Vec<(&str, Py<PyAny>)> =
                    path.into_pyobject(py).map(|p| vec![("file", p.into_any().unbind())]).unwrap_or_default();
                raise(py, "ContractNotFoundError", message, &fields)
            }
            Failure::Io { message, .. } => PyOSError::new_err(message),
            Failure::Execution(message) => raise(py, "CheckExecutionError", message, &[]),
            Failure::Usage(message) => raise(py, "ContraktUsageError", message, &[]),
        })
    }
}

/// Panics inside contrakt surface as an exception, never a crash: used by the tests.
#[pyfunction]
pub(crate) fn panic_for_tests() {
    panic!("a panic requested by the tests");
}

/// Runs `f`, turning a panic into an error that asks for a bug report.
pub(crate) fn no_panic<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Failure::Execution(format!("internal error: {what} (this is a bug in contrakt; please report it)")))
    })
}
