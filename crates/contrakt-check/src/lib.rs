//! contrakt-check: the post-publish checker. A contract's schema, quality rules and SLAs are
//! compiled into one fused DataFusion aggregate per dataset (plus a separate plan only where the
//! semantics need one), run, and judged into [`CheckReport`] results with evidence.
//!
//! ```no_run
//! # async fn demo(doc: &contrakt_core::odcs::ContractDocument) -> contrakt_check::Result<()> {
//! let checker = contrakt_check::Checker::new();
//! let options = contrakt_check::CheckOptions { data: vec![(Some("orders".into()), "data/orders/".into())], ..Default::default() };
//! let report = checker.check(doc, &options).await?;
//! println!("{} of {} checks passed", report.summary.passed, report.summary.total);
//! # Ok(()) }
//! ```

#[cfg(feature = "ballista")]
pub mod ballista;
pub mod bounded;
pub mod compile;
pub mod conformance;
pub mod countries;
pub mod dataset;
pub mod draft;
pub mod engine;
pub mod error;
mod functions;
mod intset;
pub mod items;
pub mod json;
mod judge;
pub mod memory;
mod patterns;
pub mod profile;
pub mod quarantine;
pub mod reconcile;
pub mod references;
mod run;
mod samples;
pub mod segment;
mod site;
pub mod sql;
pub mod warehouse;

pub use contrakt_core::expect::{CheckReport, CheckResult, ObjectRun, Quarantined, Status, Summary};
pub use dataset::InMemory;
pub use dataset::delta::{self, AsOf};
pub use dataset::iceberg;
pub use engine::Engine;
pub use error::{Error, Result};
pub use quarantine::{Quarantine, QuarantineRows};
pub use run::{CheckOptions, Checker, DEFAULT_TIMEOUT, parse_time};

// The operator's allowances for data locations a contract chooses (read by `dataset`, named
// in `error`'s refusals).

/// The environment variable with which the operator lets contracts choose their S3 endpoint:
/// a comma-separated list of endpoint URLs or hosts (`host` or `host:port`), or `*` for any.
pub const ALLOW_ENDPOINTS_ENV: &str = "CONTRAKT_ALLOW_CONTRACT_ENDPOINTS";

/// The environment variable with which the operator lets contracts read local data outside the
/// repository and the working folder: a comma-separated list of folders, or `*` for any.
pub const ALLOW_PATHS_ENV: &str = "CONTRAKT_ALLOW_CONTRACT_PATHS";
