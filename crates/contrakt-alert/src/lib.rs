//! contrakt-alert: tells the people concerned when a contract's checks fail.
//!
//! A check report comes in (`contrakt check --format json`, or in process); [`route`] finds the
//! owners and the consumers each failed check concerns; [`dispatch`] picks channels by the
//! configured routes; [`incident`] keeps one incident per failing check so a rerun does not
//! re-alert; [`outbox`] holds every delivery in SQLite before sending it over its [`channel`],
//! retrying until delivered or given up. No query engine, no async runtime.

pub mod alert;
pub mod channel;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod explain;
pub mod incident;
pub mod limit;
pub mod message;
pub mod outbox;
pub mod pipeline;
pub mod preflight;
pub mod report;
pub mod route;
pub mod run;
pub mod shell;
pub mod store;
pub mod template;

pub use alert::{Alert, Audience, Event, Recipient};
pub use config::{Settings, resolve};
pub use error::{Error, Result};
pub use pipeline::{CheckPlan, Registry, explain, record};
pub use store::Store;
