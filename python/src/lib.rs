//! `contrakt._contrakt`: the native half of the `contrakt` Python package. Thin bindings: each
//! function takes Python values, calls the Rust crates, and hands back JSON text or Arrow data
//! that the Python wrappers in `contrakt/` turn into objects. Errors map in one place, `error`.

mod alerts;
mod check;
mod contract;
mod convert;
mod diff;
mod error;
mod history;
mod lint;
mod publish;
mod runtime;
mod site;

use pyo3::prelude::*;

#[pymodule]
fn _contrakt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<contract::Contract>()?;
    m.add_function(wrap_pyfunction!(contract::load_path, m)?)?;
    m.add_function(wrap_pyfunction!(contract::load_text, m)?)?;
    m.add_function(wrap_pyfunction!(check::check, m)?)?;
    m.add_function(wrap_pyfunction!(check::failure_cases, m)?)?;
    m.add_function(wrap_pyfunction!(diff::diff, m)?)?;
    m.add_function(wrap_pyfunction!(publish::publish, m)?)?;
    m.add_function(wrap_pyfunction!(publish::rollback, m)?)?;
    m.add_function(wrap_pyfunction!(lint::lint, m)?)?;
    m.add_function(wrap_pyfunction!(convert::import_schema, m)?)?;
    m.add_function(wrap_pyfunction!(convert::export, m)?)?;
    m.add_function(wrap_pyfunction!(history::history_points, m)?)?;
    m.add_function(wrap_pyfunction!(history::history_events, m)?)?;
    m.add_function(wrap_pyfunction!(history::annotate, m)?)?;
    m.add_function(wrap_pyfunction!(alerts::route_alerts, m)?)?;
    m.add_function(wrap_pyfunction!(alerts::incidents, m)?)?;
    m.add_function(wrap_pyfunction!(alerts::deliveries, m)?)?;
    m.add_function(wrap_pyfunction!(alerts::retry_alerts, m)?)?;
    m.add_function(wrap_pyfunction!(site::report, m)?)?;
    m.add_function(wrap_pyfunction!(error::panic_for_tests, m)?)?;
    Ok(())
}
