//! contrakt-convert: one job, converting between the Schema IR and schema languages.
//!
//! - [`import()`]: any schema the front ends of `contrakt-formats` read (JSON Schema, Avro,
//!   Protobuf, SQL DDL, Parquet, Arrow, and dbt manifests through [`dbt`]) into an ODCS v3.1 contract, the inverse of the ODCS
//!   lowering in `contrakt_core::ir`.
//! - [`export()`]: a contract's objects into JSON Schema 2020-12, Avro, Protobuf (proto3),
//!   SQL DDL (PostgreSQL, Snowflake, BigQuery, Spark) or Arrow, and with its checks
//!   ([`export_contract`]) into a dbt model properties file, SodaCL or a Great Expectations suite.
//!
//! What a target language cannot say is never dropped silently: each conversion returns the
//! losses as warnings for the command to print.

pub mod dbt;
pub mod export;
pub mod import;

pub use export::{Dialect, Exported, Target, arrow_schema, export, export_contract};
pub use import::{ImportOptions, Imported, import};

/// Why a conversion could not happen at all (losses are warnings, not errors).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input schema could not be read.
    #[error(transparent)]
    Format(#[from] contrakt_formats::Error),
    /// The contract has nothing to convert, or not the object asked for.
    #[error("{0}")]
    Object(String),
    /// The input is not what its format says (a dbt manifest that is not one).
    #[error("{0}")]
    Input(String),
    /// A name the target language cannot hold safely (a BigQuery name with a backtick):
    /// refused rather than written as code that reads differently.
    #[error("cannot export: {0}")]
    Unwritable(String),
}

#[cfg(test)]
mod tests;
