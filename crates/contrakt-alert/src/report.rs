//! The check report as alerts read it: the `contrakt check --format json` document
//! (`docs/check-output.md`), or a [`CheckReport`] handed over in process by `check --notify`.

use contrakt_core::Level;
use contrakt_core::config::LevelName;
use contrakt_core::expect::outcome::{CheckReport, Status};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

/// One contract's run.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckRun {
    pub contract: String,
    pub contract_version: String,
    pub file: String,
    pub now: String,
    pub results: Vec<CheckRow>,
    /// Set for the audit of a publish: its alerts are the publish's own incidents.
    #[serde(skip)]
    pub publish: Option<PublishRef>,
}

/// One check's result, owned (the checker's own type borrows static names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRow {
    pub id: String,
    pub code: String,
    pub kind: String,
    pub object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    pub status: StatusName,
    pub severity: LevelName,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_rows: Option<u64>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Map<String, Json>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Where every row failing this check was written (`--quarantine`), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusName {
    Pass,
    Skipped,
    Warn,
    Fail,
    Error,
}

impl CheckRow {
    pub fn level(&self) -> Level {
        self.severity.into()
    }

    /// `orders.status`, or `orders` for object-level checks.
    pub fn path(&self) -> String {
        match &self.property {
            Some(p) => format!("{}.{p}", self.object),
            None => self.object.clone(),
        }
    }

    /// Failed, warned, or could not run: what alerts are about. A check that could not run
    /// (status `error`) is told to the owners only: its data is unverified, not known bad.
    pub fn is_failure(&self) -> bool {
        matches!(self.status, StatusName::Fail | StatusName::Warn | StatusName::Error)
    }
}

/// Reads `contrakt check --format json` output: the multi-contract document, or one report.
pub fn parse(path: &str, text: &str) -> Result<Vec<CheckRun>> {
    let bad = |message: String| Error::Report { path: path.to_string(), message };
    let value: Json = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let runs = match value.get("reports") {
        Some(reports) => serde_json::from_value(reports.clone()),
        None => serde_json::from_value(value).map(|r| vec![r]),
    };
    runs.map_err(|e| bad(e.to_string()))
}

/// The in-process form of a checker report.
pub fn from_report(report: &CheckReport) -> CheckRun {
    let results = report
        .results
        .iter()
        .map(|r| CheckRow {
            id: r.id.clone(),
            code: r.code.to_string(),
            kind: r.kind.to_string(),
            object: r.object.clone(),
            property: r.property.clone(),
            status: match r.status {
                Status::Pass => StatusName::Pass,
                Status::Skipped => StatusName::Skipped,
                Status::Warn => StatusName::Warn,
                Status::Fail => StatusName::Fail,
                Status::Error => StatusName::Error,
            },
            severity: match r.severity {
                Level::Info => LevelName::Info,
                Level::Warning => LevelName::Warning,
                Level::Error => LevelName::Error,
            },
            value: r.value,
            threshold: r.threshold.clone(),
            unit: r.unit.map(str::to_string),
            failed_rows: r.failed_rows,
            total_rows: r.total_rows,
            message: r.message.clone(),
            samples: r.samples.clone(),
            name: r.name.clone(),
            location: r.location.clone(),
            // A failed row-level check links to the file holding its rows.
            quarantine: report
                .objects
                .iter()
                .filter(|o| o.object == r.object)
                .filter_map(|o| o.quarantine.as_ref())
                .find(|q| q.error.is_none() && q.checks.contains(&r.id))
                .map(|q| q.location.clone()),
        })
        .collect();
    CheckRun {
        contract: report.contract.clone(),
        contract_version: report.contract_version.clone(),
        file: report.file.clone(),
        now: report.now.clone(),
        results,
        publish: None,
    }
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
