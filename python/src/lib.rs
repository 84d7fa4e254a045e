//! `contrakt._contrakt`: the native half of the `contrakt` Python package. Thin bindings: each
//! function takes Python values, calls the Rust crates, and hands back JSON text or Arrow data
//! that the Python wrappers in `contrakt/` turn into objects. Errors map in one place, `error`.

mod check;
mod contract;
mod diff;
mod error;
mod publish;
mod runtime;

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
    m.add_function(wrap_pyfunction!(error::panic_for_tests, m)?)?;
    Ok(())
}
