//! contrakt: data-contract enforcement for ODCS v3 contracts.
//!
//! This facade re-exports the stable public API of the crates below it.

pub use contrakt_core as core;
pub use contrakt_core::{Error, Finding, Level, Result};
pub use contrakt_report as report;
