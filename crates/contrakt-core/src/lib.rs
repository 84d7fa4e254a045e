//! contrakt-core: the ODCS v3 contract model with source spans, the consumer registry,
//! lint rules, and the Schema IR every other part of contrakt reads.
//!
//! No I/O beyond reading text, no async, no query engine: this crate builds fast and is
//! fully unit- and property-testable.

pub mod diff;
pub mod document;
pub mod duration;
pub mod error;
pub mod expect;
pub mod ir;
pub mod source;

pub use error::{Error, InputError, InputErrorKind, Result};
pub use source::{Location, SourceFile, SourceSpan, Span};
pub mod config;
pub mod consumer;
pub mod diagnostic;
pub mod lint;
pub mod odcs;
pub mod path;
pub mod placeholder;
pub mod redact;

pub use diagnostic::{Finding, Level};
pub use path::FieldPath;
pub mod registry;
pub mod sql_guard;
pub mod time;
