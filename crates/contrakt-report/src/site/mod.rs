//! `contrakt report`: a static HTML site for a registry. One folder of plain HTML pages, one
//! stylesheet and inline SVG: no JavaScript, no server, nothing fetched from the network, so it
//! opens from `file://` and can be archived as a CI artifact.
//!
//! The renderer is pure: a [`Site`] (gathered by the CLI from the registry, the metrics history,
//! the alert state and git) in, files out. Same input, same bytes: nothing reads the clock.

mod chart;
mod graph;
mod html;
mod pages;

/// Everything the site shows.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub title: String,
    /// `--now`, shown in the footer; the site never reads the clock itself.
    pub generated_at: Option<String>,
    /// Where the data came from (the history store, the alert state), for the footer.
    pub sources: Vec<String>,
    /// In the order they are listed.
    pub contracts: Vec<ContractSite>,
    pub consumers: Vec<ConsumerSite>,
}

/// A consumer of the registry and what it reads.
#[derive(Debug, Clone, Default)]
pub struct ConsumerSite {
    pub id: String,
    pub team: Option<String>,
    pub uses: Vec<ConsumerUse>,
}

#[derive(Debug, Clone, Default)]
pub struct ConsumerUse {
    /// The contract's ODCS id.
    pub contract: String,
    /// `low`, `medium` or `high`.
    pub criticality: String,
    pub versions: Option<String>,
    pub reads: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ContractSite {
    pub id: String,
    pub name: Option<String>,
    pub version: String,
    /// The ODCS lifecycle status (`active`, `draft`, …).
    pub status: String,
    /// The contract file, as given on the command line.
    pub file: String,
    pub domain: Option<String>,
    pub purpose: Option<String>,
    pub team: Option<String>,
    /// People and channels who own the data: `Amina Khan (owner)`.
    pub owners: Vec<String>,
    pub latest: Option<LatestRun>,
    pub checks: Vec<CheckSeries>,
    pub incidents: Vec<IncidentSite>,
    pub changes: ChangeHistory,
}

/// The latest recorded run of a contract.
#[derive(Debug, Clone, Default)]
pub struct LatestRun {
    pub at: String,
    pub version: String,
    pub passed: bool,
    /// Runs recorded in all.
    pub runs: usize,
}

/// The judgement of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    /// An adaptive check without enough history to judge.
    WarmingUp,
    /// Recorded, but nothing to judge it against.
    Unjudged,
    /// Outside its band or threshold at severity warning or info.
    Warn,
    /// Outside its threshold at severity error.
    Fail,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::WarmingUp => "warming up",
            Verdict::Unjudged => "recorded",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::WarmingUp | Verdict::Unjudged => "none",
        }
    }
}

/// One check's (or metric's) recorded values.
#[derive(Debug, Clone, Default)]
pub struct CheckSeries {
    /// The stable check id, `rowCount` or `duration`.
    pub id: String,
    pub object: String,
    pub property: Option<String>,
    /// `Q303 invalid-values`, when the id is one of the contract's checks.
    pub kind: Option<String>,
    /// Unit of the value, for the y axis: `rows`, `%`, `ms`, `s`.
    pub unit: String,
    /// The threshold as a rule: `= 0`, `between 900 and 1100`.
    pub rule: Option<String>,
    /// Values of the threshold, drawn as dashed lines.
    pub limits: Vec<f64>,
    /// For adaptive checks: the baseline model (`seasonal weekly, sensitivity 3`).
    pub model: Option<String>,
    /// Oldest first.
    pub points: Vec<SeriesPoint>,
    pub latest: Option<Latest>,
    /// A segmented check's series of one segment (`currency=EUR`); `None` over all rows.
    pub segment: Option<String>,
    /// Over all rows of a segmented check: how many segments are charted after it (the worst
    /// first) and how many the history holds.
    pub segments: Option<(usize, usize)>,
}

impl CheckSeries {
    pub fn adaptive(&self) -> bool {
        self.model.is_some()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Latest {
    pub value: f64,
    pub verdict: Option<Verdict>,
    /// One line: `within 380..452 (seasonal weekly)`.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesPoint {
    /// RFC 3339.
    pub at: String,
    /// Seconds since the epoch: the x position.
    pub x: i64,
    pub value: f64,
    /// The baseline band the value was judged against.
    pub band: Option<(f64, f64)>,
    pub flag: PointFlag,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum PointFlag {
    #[default]
    Normal,
    /// Outside its adaptive band.
    Anomaly,
    /// Failed its threshold.
    Failed,
    /// Annotated as an expected event (kept out of baselines), with the note.
    Expected(String),
}

#[derive(Debug, Clone, Default)]
pub struct IncidentSite {
    pub check: String,
    pub object: String,
    pub state: String,
    pub severity: String,
    pub occurrences: i64,
    pub alerts: i64,
    pub opened_at: String,
    pub last_seen: String,
}

/// The contract file's git history.
#[derive(Debug, Clone)]
pub enum ChangeHistory {
    /// Why there is none: not in a git repository, not committed, git missing.
    Unavailable(String),
    Commits {
        /// Newest first.
        commits: Vec<CommitSite>,
        /// Older commits left out.
        more: usize,
    },
}

impl Default for ChangeHistory {
    fn default() -> Self {
        ChangeHistory::Unavailable("no history".into())
    }
}

#[derive(Debug, Clone, Default)]
pub struct CommitSite {
    pub commit: String,
    pub date: String,
    pub author: String,
    pub subject: String,
    /// `1.3.0 → 1.4.0`, or `added at 1.0.0`.
    pub version: String,
    /// Why the commit could not be compared (a file that did not parse), or `added`.
    pub note: Option<String>,
    /// Breaking findings of the core diff against the parent commit.
    pub breaking: Vec<ChangeFinding>,
    /// Other (non-breaking) changes.
    pub other: Vec<ChangeFinding>,
}

#[derive(Debug, Clone, Default)]
pub struct ChangeFinding {
    pub code: String,
    pub rule: String,
    pub level: String,
    pub path: String,
    pub message: String,
    pub consumers: Vec<String>,
}

/// A file of the site: a path relative to its folder, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    pub path: String,
    pub contents: String,
}

/// Renders the site: `index.html`, `style.css` and one page per contract under `contracts/`.
pub fn render_site(site: &Site) -> Vec<SiteFile> {
    let slugs = pages::slugs(&site.contracts);
    let mut files = vec![
        SiteFile { path: "style.css".into(), contents: include_str!("style.css").into() },
        SiteFile { path: "index.html".into(), contents: pages::overview(site, &slugs) },
    ];
    for (contract, slug) in site.contracts.iter().zip(&slugs) {
        files.push(SiteFile { path: format!("contracts/{slug}.html"), contents: pages::contract(site, contract) });
    }
    files
}

#[cfg(test)]
mod tests;
