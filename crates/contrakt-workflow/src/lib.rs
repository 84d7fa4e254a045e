//! contrakt's workflows as a library: what the `contrakt` command line and the Python package
//! both call, so that a check run from either records the same history and sends the same
//! alerts.
//!
//! A workflow runs over a [`Registry`]: the contracts named and the registry around them (its
//! other contracts, consumers and `contrakt.yaml`), read once by [`Registry::open`] with every
//! problem located in its file. [`check()`] then checks the contracts against their data,
//! judges adaptive checks against the recorded history, records the run and routes alerts, as
//! [`check::Options`] say, and returns typed reports. Failed checks are results, not errors.
//!
//! The other workflows: [`gate`] and [`breaking`] (schema changes judged), [`publish`](mod@publish)
//! (write-audit-publish and rollback), [`infer`] (a contract drafted from data), [`lint`],
//! [`convert`] (import and export), [`history`] (metrics and events read back, annotations),
//! [`alerts`] (reports routed, the alert state read and retried) and [`report`] (the registry
//! as a static site). The `contrakt` facade's documentation has a runnable example of each.
//!
//! ```no_run
//! use contrakt_workflow::{Registry, check};
//!
//! let registry = Registry::open("contracts/orders.odcs.yaml")?;
//! let mut options = check::Options::new();
//! options.check.data.push((Some("orders".into()), "../fixtures/data/orders/orders.parquet".into()));
//! let checked = check(&registry, options)?;
//! for report in &checked.reports {
//!     println!("{}: {} checks failed", report.contract, report.summary.failed);
//! }
//! # Ok::<(), contrakt_workflow::Error>(())
//! ```

pub mod alerts;
pub mod breaking;
pub mod check;
pub mod convert;
mod error;
pub mod gate;
pub mod git;
pub mod history;
pub mod infer;
pub mod lint;
pub mod publish;
pub mod publish_partial;
pub mod registry;
pub mod report;

pub use check::{Alerting, Checked, History, check};
pub use contrakt_check::{CheckReport, CheckResult, Engine, InMemory, Status};
pub use contrakt_history::Location;
pub use error::{Error, Result};
pub use publish::{Publish, publish, rollback};
pub use registry::Registry;
