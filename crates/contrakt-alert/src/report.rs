//! The check report as alerts read it: the `contrakt check --format json` document
//! (`docs/check-output.md`) read back into core's [`CheckReport`], or one handed over in process
//! by `check --notify`.

use contrakt_core::expect::outcome::{CheckReport, CheckResult};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::{Error, Result};

/// One contract's run as alerts route it: the checker's report, and for the audit of a publish,
/// the publish (its alerts are the publish's own incidents).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub report: CheckReport,
    pub publish: Option<PublishRef>,
}

impl From<CheckReport> for Run {
    fn from(report: CheckReport) -> Run {
        Run { report, publish: None }
    }
}

impl Run {
    /// The quarantine file holding every row that failed `result` (`check --quarantine`), when
    /// its object's rows were written and the check is row-level.
    pub fn quarantine_of(&self, result: &CheckResult) -> Option<&str> {
        self.report
            .objects
            .iter()
            .filter(|o| o.object == result.object)
            .filter_map(|o| o.quarantine.as_ref())
            .find(|q| q.error.is_none() && q.checks.contains(&result.id))
            .map(|q| q.location.as_str())
    }
}

/// Reads `contrakt check --format json` output: the multi-contract document, or one report.
pub fn parse(path: &str, text: &str) -> Result<Vec<Run>> {
    let bad = |message: String| Error::Report { path: path.to_string(), message };
    let value: Json = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let reports: serde_json::Result<Vec<CheckReport>> = match value.get("reports") {
        Some(reports) => serde_json::from_value(reports.clone()),
        None => serde_json::from_value(value).map(|r| vec![r]),
    };
    Ok(reports.map_err(|e| bad(e.to_string()))?.into_iter().map(Run::from).collect())
}

/// The in-process form of a checker report.
pub fn from_report(report: &CheckReport) -> Run {
    Run::from(report.clone())
}

/// The publish an audit judged: refused (nothing published) or published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishRef {
    /// `refused` or `published`.
    pub outcome: String,
    pub staged: String,
    pub target: String,
    /// The release readers get now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<String>,
}
