//! Partial publication (`publish --quarantine`): when the contract allows it, a release whose
//! audit fails only on row-level checks publishes the rows that pass them, and the failing rows
//! stay in the quarantine the audit wrote.
//!
//! The contract says so on the schema object, with the most rows that may be held back (a
//! fraction of the staged rows, 0 to 1):
//!
//! ```yaml
//! schema:
//!   - name: deliveries
//!     customProperties:
//!       - property: contraktPartialPublish
//!         value: {maxFailingFraction: 0.2}
//! ```
//!
//! A failing check that judges the table (row count, uniqueness, freshness, a SQL rule) cannot be
//! fixed by holding rows back: the release is refused as without `--quarantine`. The rows kept
//! are written once (Parquet, streamed) and audited again before they are published, so the
//! release readers get passes the contract as a whole.

use std::path::{Path, PathBuf};

use contrakt_check::{CheckOptions, CheckReport, Checker, Quarantined};
use contrakt_core::Level;
use contrakt_core::odcs::ContractDocument;
use serde_json::Value as Json;

use crate::error::{Error, Result};

/// The `customProperties` name that allows partial publication of a schema object.
pub const PARTIAL_PUBLISH_PROPERTY: &str = "contraktPartialPublish";

/// What a partial publish released and held back.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialPublish {
    /// Rows published (those failing no row-level check).
    pub published_rows: u64,
    /// The quarantine of the audit: where the failing rows are, and how many.
    pub quarantine: Quarantined,
    /// The most the contract allows to hold back, as a fraction of the rows.
    pub max_failing_fraction: f64,
}

/// The fraction of rows a contract allows a partial publish to hold back from `object`:
/// `None` when it does not allow partial publication.
pub fn allowance(doc: &ContractDocument, object: &str) -> std::result::Result<Option<f64>, String> {
    let Some(o) = doc.contract.schema.iter().find(|o| o.name == object) else { return Ok(None) };
    let Some(p) = o.custom_properties.iter().find(|p| p.property == PARTIAL_PUBLISH_PROPERTY) else {
        return Ok(None);
    };
    let fraction = match &p.value {
        Json::Object(m) => m.get("maxFailingFraction").and_then(Json::as_f64),
        Json::Number(n) => n.as_f64(),
        _ => None,
    };
    match fraction {
        Some(f) if (0.0..=1.0).contains(&f) => Ok(Some(f)),
        _ => Err(format!(
            "`{PARTIAL_PUBLISH_PROPERTY}` on `{object}` says how many rows may be held back: `value: {{maxFailingFraction: 0.05}}` (a fraction from 0 to 1); found {}",
            p.value
        )),
    }
}

/// The rows to publish instead of the staged data, written to a folder of their own.
pub(crate) struct Passing {
    /// A folder holding one Parquet file, removed when dropped.
    pub dir: Scratch,
    pub partial: PartialPublish,
}

/// A folder removed when dropped.
pub(crate) struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Judges whether an audit that failed (`report`) may publish part of the data: `Ok(None)`
/// when the contract does not allow it (the release is refused as before), `Ok(Some(Err(why)))`
/// when it allows it but not for this data, else the passing rows, written and audited again.
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge(
    runtime: &tokio::runtime::Handle,
    checker: &Checker,
    doc: &ContractDocument,
    object: &str,
    check: &CheckOptions,
    fail_on: Level,
    report: &CheckReport,
    run_id: &str,
) -> Result<Option<std::result::Result<Passing, String>>> {
    let max = match allowance(doc, object) {
        Ok(Some(max)) => max,
        Ok(None) => return Ok(None),
        Err(why) => return Ok(Some(Err(why))),
    };
    let Some(q) = report.objects.iter().find(|o| o.object == object).and_then(|o| o.quarantine.clone()) else {
        return Ok(Some(Err("the audit wrote no quarantine".into())));
    };
    if let Some(e) = &q.error {
        return Ok(Some(Err(format!("the quarantine was not written ({e})"))));
    }
    // What makes `fails_at` true: a failure at or above the level, or a check that could not run.
    let failing_at = |r: &&contrakt_check::CheckResult| match r.status {
        contrakt_check::Status::Fail | contrakt_check::Status::Warn => r.severity >= fail_on,
        contrakt_check::Status::Error => true,
        contrakt_check::Status::Pass | contrakt_check::Status::Skipped => false,
    };
    let whole: Vec<&str> =
        report.results.iter().filter(failing_at).filter(|r| !q.checks.contains(&r.id)).map(|r| r.id.as_str()).collect();
    if !whole.is_empty() {
        return Ok(Some(Err(format!(
            "{} failed, which quarantines no row (it judges the table, or tolerates some failing rows): holding rows back cannot fix it",
            whole.join(", ")
        ))));
    }
    let total = report.objects.iter().find(|o| o.object == object).and_then(|o| o.rows).unwrap_or(0);
    let fraction = if total == 0 { 0.0 } else { q.rows as f64 / total as f64 };
    if fraction > max {
        return Ok(Some(Err(format!(
            "{} of {total} rows ({:.1}%) fail row-level checks, more than the {:.1}% `{PARTIAL_PUBLISH_PROPERTY}` allows to hold back",
            q.rows,
            fraction * 100.0,
            max * 100.0
        ))));
    }
    let dir = Scratch(std::env::temp_dir().join(format!("contrakt-partial-{run_id}-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).map_err(|e| Error::Usage(format!("{}: {e}", dir.0.display())))?;
    let file = dir.0.join(format!("{}.parquet", contrakt_check::quarantine::segment_name(object)));
    let plain = CheckOptions { quarantine: None, ..check.clone() };
    let published_rows = runtime.block_on(checker.write_passing(doc, &plain, object, &file))?;
    // The rows kept must pass as a release: audited again (the table-level checks included).
    let again = CheckOptions { data: vec![(Some(object.to_string()), path_text(&file))], ..plain };
    let rest = runtime.block_on(checker.check(doc, &again))?;
    if rest.fails_at(fail_on) {
        let failed: Vec<&str> = rest.results.iter().filter(failing_at).map(|r| r.id.as_str()).collect();
        return Ok(Some(Err(format!(
            "the rows that pass still fail {} once the others are held back",
            failed.join(", ")
        ))));
    }
    Ok(Some(Ok(Passing { dir, partial: PartialPublish { published_rows, quarantine: q, max_failing_fraction: max } })))
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
