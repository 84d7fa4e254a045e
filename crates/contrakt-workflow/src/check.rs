//! [`check`]: a registry's contracts checked against their data, then judged against their
//! history (adaptive checks, Q601), recorded, and routed to whoever must hear of failures:
//! what `contrakt check`, `contrakt run` and Python's `contrakt.check` do.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use contrakt_alert::Settings;
use contrakt_alert::pipeline::CheckPlan;
use contrakt_alert::report::Run;
use contrakt_alert::run::Notified;
/// What each contract's check reads, and how: [`Options::check`].
pub use contrakt_check::CheckOptions;
/// Reads `--now`-style times: RFC 3339, or a date (its midnight, UTC).
pub use contrakt_check::parse_time;
use contrakt_check::{CheckReport, Checker, Engine, InMemory};
use contrakt_core::odcs::ContractDocument;
use contrakt_history::Location;

use crate::error::{Error, Result};
use crate::registry::Registry;

/// How a check runs, and what happens to its results after.
#[derive(Debug, Default)]
pub struct Options {
    /// What each contract's check reads and how ([`CheckOptions`]): data by object, in-memory
    /// frames, server, objects, time, sampling, filter, partitions, timeout, `data_dir`. Its
    /// `base_dir` and `registry` are the workflow's to set, per contract (the contract's folder,
    /// the registry's other contracts); `frames` go to the one contract named.
    pub check: CheckOptions,
    /// Where the plans run.
    pub engine: Engine,
    /// Keeps the embedded engine within this many bytes (spilling where it can).
    pub memory_limit: Option<usize>,
    /// The embedded engine's memory budget in bytes in place of the default one
    /// (`contrakt_check::memory`; `usize::MAX` for none): groupings and sorts spill beyond it,
    /// and exact uniqueness stays in the scan while it fits. Ignored under `memory_limit`.
    pub memory_budget: Option<usize>,
    /// Where results are recorded and adaptive checks judged.
    pub history: History,
    /// Who hears of the results.
    pub alerts: Alerting,
}

impl Options {
    /// The defaults: 5 failing rows sampled per failed check (as the CLI shows), the embedded
    /// engine, the configured history, no alerts.
    pub fn new() -> Options {
        Options::default()
    }
}

/// Where a check's metrics are recorded and its adaptive (Q601) checks judged.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum History {
    /// The store `history:` of the registry's `contrakt.yaml` names; none without one.
    #[default]
    Configured,
    /// This store, whatever the registry says.
    At(Location),
    /// Record nothing, judge no adaptive check.
    Off,
}

/// What happens to the results once checked and recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Alerting {
    /// Nothing: a notebook exploring data never pages anyone.
    #[default]
    Off,
    /// Record incidents, queue the alerts over the registry's routes and deliver them,
    /// retrying for this long; what is left waits in the outbox for the next run.
    Notify(Duration),
    /// Plan the alerts the results call for; send and record nothing.
    DryRun,
}

/// What a check found.
#[derive(Debug)]
pub struct Checked {
    /// One report per contract checked, adaptive checks included when judged.
    pub reports: Vec<CheckReport>,
    /// Contracts that could not be checked at all: the contract's file and why.
    pub failed: Vec<(String, contrakt_check::Error)>,
    /// What did not stop the check but did not happen either (history not recorded, adaptive
    /// checks not judged), one sentence each.
    pub warnings: Vec<String>,
    /// What alerting did: `None` when it was off or there was nothing to route. An alert
    /// failure never changes the results.
    pub alerts: Option<Result<Alerts>>,
}

/// What alerting did with the results.
#[derive(Debug)]
pub enum Alerts {
    /// Incidents recorded and alerts delivered ([`Alerting::Notify`]).
    Notified(Notified),
    /// The alerts the results call for, and the settings that route them ([`Alerting::DryRun`]).
    Planned { plans: Vec<CheckPlan>, settings: Box<Settings> },
}

/// A step of a check, for a caller showing progress.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// A contract's checks start; the contract's id.
    Checking(&'a str),
    /// A contract's checks ended.
    Checked(&'a str),
}

/// What [`plan`] writes instead of running the checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// The SQL and DataFusion plans a check would run (`check --explain`).
    Explain,
    /// The statements a check on a warehouse server runs, in its dialect (`check --emit-sql`).
    Sql,
}

/// Checks the registry's contracts against their data, on a query runtime of its own (call it
/// from a blocking thread in async code), then judges and records history and routes alerts as
/// `options` say.
///
/// `Err` when the check could not start at all (bad options, an unreachable engine); a
/// contract whose data cannot be read is in [`Checked::failed`], the others still checked.
pub fn check(registry: &Registry, options: Options) -> Result<Checked> {
    check_observed(registry, options, &mut |_| {})
}

/// [`check`], telling `observe` as each contract starts and ends.
pub fn check_observed(registry: &Registry, options: Options, observe: &mut dyn FnMut(Step<'_>)) -> Result<Checked> {
    let runtime = Runtime::start()?;
    check_on(runtime.handle(), registry, options, observe)
}

/// [`check`] on a runtime the caller keeps (the Python package keeps one per process).
pub fn check_on(
    runtime: &tokio::runtime::Handle,
    registry: &Registry,
    mut options: Options,
    observe: &mut dyn FnMut(Step<'_>),
) -> Result<Checked> {
    let contracts = registry.contracts();
    given_data_fits(registry, &options)?;
    let checker = checker_on(runtime, &options)?;
    let mut frames = std::mem::take(&mut options.check.frames);
    let mut reports = Vec::new();
    let mut failed = Vec::new();
    for doc in contracts {
        // In-memory data is given for a single contract (above): it moves into its check.
        let opts = check_options(registry, doc, &options, std::mem::take(&mut frames));
        observe(Step::Checking(&doc.contract.id));
        let result = runtime.block_on(checker.check(doc, &opts));
        observe(Step::Checked(&doc.contract.id));
        match result {
            Ok(report) => reports.push(report),
            Err(e) => failed.push((doc.source().name().to_string(), e)),
        }
    }
    let mut warnings = Vec::new();
    let store = match &options.history {
        History::Configured => registry.history_store(),
        History::At(location) => Some(location.clone()),
        History::Off => None,
    };
    if let Some(location) = &store {
        // The partition key of the metrics: hive style, as the data's folders name it.
        let partition: Vec<String> = options.check.partitions.iter().map(|(k, v)| format!("{k}={v}")).collect();
        record_history(location, contracts, &mut reports, &partition.join("/"), &mut warnings);
    }
    let alerts = match options.alerts {
        Alerting::Off => None,
        _ if reports.is_empty() => None,
        alerting => {
            let at = options.check.now.map_or_else(contrakt_alert::outbox::now_ms, |t| t.timestamp_millis());
            Some(alert(registry, &reports, at, alerting))
        }
    };
    Ok(Checked { reports, failed, warnings, alerts })
}

/// The SQL or plans the check of each contract would run, without running it: per contract,
/// its file and the text (or why it could not be planned).
pub fn plan(registry: &Registry, options: Options, what: Plan) -> Result<Vec<(String, Result<String>)>> {
    let runtime = Runtime::start()?;
    let runtime = runtime.handle();
    given_data_fits(registry, &options)?;
    let checker = checker_on(runtime, &options)?;
    let mut out = Vec::new();
    for doc in registry.contracts() {
        let opts = check_options(registry, doc, &options, Vec::new());
        let text = match what {
            Plan::Explain => runtime.block_on(checker.explain(doc, &opts)),
            Plan::Sql => runtime.block_on(checker.emit_sql(doc, &opts)),
        };
        out.push((doc.source().name().to_string(), text.map_err(Error::from)));
    }
    Ok(out)
}

/// Data named for "the" contract must name one.
fn given_data_fits(registry: &Registry, options: &Options) -> Result<()> {
    let n = registry.contracts().len();
    let given = &options.check;
    if (!given.data.is_empty() || !given.frames.is_empty() || !given.objects.is_empty()) && n > 1 {
        return Err(Error::Usage(format!("--data and --object apply to one contract; {n} were found (name one file)")));
    }
    Ok(())
}

fn checker_on(runtime: &tokio::runtime::Handle, options: &Options) -> Result<Checker> {
    let checker = runtime.block_on(Checker::on_engine(options.engine.clone()))?;
    Ok(match (options.memory_limit, options.memory_budget) {
        (Some(bytes), _) => checker.with_memory_limit(bytes)?,
        (None, Some(bytes)) => checker.with_memory_budget(bytes)?,
        (None, None) => checker,
    })
}

fn check_options(
    registry: &Registry,
    doc: &ContractDocument,
    options: &Options,
    frames: Vec<(Option<String>, InMemory)>,
) -> CheckOptions {
    CheckOptions {
        base_dir: folder_of(doc.source().name()),
        registry: registry.others(&doc.contract.id),
        frames,
        ..options.check.clone()
    }
}

/// `[OBJECT=]URL` as given to `--data` (and `infer`): the object name, if any, and the URL.
///
/// The text before the first `=` names an object unless it holds a path or URL character
/// (`/`, `\\`, `:`, `*`: `s3://…?x=y`, `./v=1`) or the whole text is an existing file or folder
/// (`v=20261122`, a release folder given as it is). Object names may hold dots (`my.items`,
/// as `import` names objects of a namespaced Avro schema); a name never holds `=`.
pub fn object_and_url(given: &str) -> (Option<&str>, &str) {
    match given.split_once('=') {
        Some((o, url)) if !o.is_empty() && !o.contains(['/', '\\', ':', '*']) && !Path::new(given).exists() => {
            (Some(o), url)
        }
        _ => (None, given),
    }
}
/// The folder a contract file is in: relative data paths resolve against it.
pub fn folder_of(file: impl AsRef<Path>) -> PathBuf {
    let dir = file.as_ref().parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir }
}

/// Judges each report's adaptive checks against the history, then records the run. History
/// never changes whether the data was checked: its failures are warnings.
fn record_history(
    location: &Location,
    contracts: &[Arc<ContractDocument>],
    reports: &mut [CheckReport],
    partition: &str,
    warnings: &mut Vec<String>,
) {
    // Display leaves a URL's password out.
    let _s = tracing::info_span!("history", store = %location).entered();
    let mut store = match contrakt_history::Store::open_at(location) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!("history not recorded: {e}"));
            return;
        }
    };
    for report in reports.iter_mut() {
        let Some(doc) = contracts.iter().find(|d| d.contract.id == report.contract) else { continue };
        match contrakt_history::anomalies(doc, report, &store) {
            Ok(results) => contrakt_history::extend_report(report, results),
            Err(e) => warnings.push(format!("adaptive checks not judged: {e}")),
        }
        if let Err(e) = store.record(&contrakt_history::run_of_partition(report, partition)) {
            warnings.push(format!("history not recorded for {}: {e}", report.contract));
        }
    }
}

/// Routes the reports' results over the registry's alert settings.
fn alert(registry: &Registry, reports: &[CheckReport], at: i64, alerting: Alerting) -> Result<Alerts> {
    let runs: Vec<_> = reports.iter().map(contrakt_alert::report::from_report).collect();
    route(registry, &runs, at, alerting)
}

/// Routes check runs (a check's, or a publish's audit) over the registry's alert settings.
/// `stdout` channels write to standard error: standard output holds the caller's report.
pub(crate) fn route(registry: &Registry, runs: &[Run], at: i64, alerting: Alerting) -> Result<Alerts> {
    let _s = tracing::info_span!("alert", runs = runs.len()).entered();
    let mut settings = registry.alert_settings()?;
    settings.stdout_to_stderr = true;
    let contracts: Vec<ContractDocument> = registry.contracts().iter().map(|c| (**c).clone()).collect();
    let routes = contrakt_alert::Registry { contracts: &contracts, consumers: registry.consumers()? };
    Ok(match alerting {
        Alerting::Notify(budget) => {
            Alerts::Notified(contrakt_alert::run::notify(runs, &routes, &settings, at, budget)?)
        }
        Alerting::DryRun | Alerting::Off => Alerts::Planned {
            plans: contrakt_alert::explain(runs, &routes, &settings, at)?,
            settings: Box::new(settings),
        },
    })
}

/// The query runtime of one workflow, shut down without waiting when it ends: a planning
/// abandoned at its timeout still runs on a blocking thread, and must not hold the caller.
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    pub(crate) fn start() -> Result<Runtime> {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)?;
        Ok(Runtime(Some(rt)))
    }

    pub(crate) fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("the runtime lives until dropped").handle()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The weekly menu with an adaptive check on its volume, warm after two runs.
    fn menu(dir: &Path, history: bool) -> Registry {
        // The data sits beside the contract: a contract outside a repository reads only its folder.
        let data = dir.join("weekly_menu");
        std::fs::create_dir_all(&data).unwrap();
        for file in std::fs::read_dir(repo().join("fixtures/data/weekly_menu")).unwrap() {
            let file = file.unwrap().path();
            std::fs::copy(&file, data.join(file.file_name().unwrap())).unwrap();
        }
        let text = format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: urn:t:menu\nversion: 1.0.0\nstatus: active\n\
             servers:\n  - {{server: local, type: local, path: '{}', format: parquet}}\n\
             schema:\n  - name: weekly_menu\n    physicalType: table\n    customProperties:\n\
             \x20     - property: contraktAnomaly\n\
             \x20       value: {{metric: rowCount, model: median, min_history: 2, sensitivity: 3, severity: error}}\n\
             \x20   properties:\n      - {{name: menu_slot, logicalType: integer, required: true}}\n",
            data.display()
        );
        std::fs::write(dir.join("menu.odcs.yaml"), text).unwrap();
        let config = if history { "version: 1\nhistory: {path: h.db}\n" } else { "version: 1\n" };
        std::fs::write(dir.join("contrakt.yaml"), config).unwrap();
        Registry::open(dir.join("menu.odcs.yaml")).unwrap()
    }

    fn on_day(day: u32, filter: Option<&str>) -> Options {
        let check = CheckOptions {
            now: parse_time(&format!("2026-11-{day:02}T06:00:00Z")),
            filter: filter.map(str::to_string),
            ..CheckOptions::default()
        };
        Options { check, ..Options::new() }
    }

    fn q601(checked: &Checked) -> (&'static str, Option<f64>) {
        let r = checked.reports[0].results.iter().find(|r| r.code == "Q601").expect("a Q601 result");
        (r.status.as_str(), r.value)
    }

    #[test]
    fn the_configured_history_records_each_run_and_judges_the_adaptive_check() {
        let dir = tempfile::tempdir().unwrap();
        let registry = menu(dir.path(), true);
        let statuses: Vec<_> = [(1, None), (2, None), (3, None), (4, Some("menu_slot <= 10"))]
            .into_iter()
            .map(|(day, filter)| {
                let checked = check(&registry, on_day(day, filter)).unwrap();
                assert!(checked.failed.is_empty() && checked.warnings.is_empty(), "{checked:?}");
                q601(&checked)
            })
            .collect();
        // Warming up for two runs (the value measured, not judged), then judged against them.
        let want = [("skipped", Some(120.0)), ("skipped", Some(120.0)), ("pass", Some(120.0)), ("fail", Some(40.0))];
        assert_eq!(statuses, want);
        assert!(dir.path().join("h.db").is_file(), "the store contrakt.yaml names");
    }

    #[test]
    fn history_off_records_nothing_and_an_explicit_store_overrides_the_registry() {
        let dir = tempfile::tempdir().unwrap();
        let registry = menu(dir.path(), true);
        let off = check(&registry, Options { history: History::Off, ..on_day(1, None) }).unwrap();
        assert!(off.reports[0].results.iter().all(|r| r.code != "Q601"), "no history, nothing to judge against");
        assert!(!dir.path().join("h.db").exists());
        let elsewhere = dir.path().join("elsewhere.db");
        let at = Options { history: History::At(Location::File(elsewhere.clone())), ..on_day(1, None) };
        check(&registry, at).unwrap();
        assert!(elsewhere.is_file() && !dir.path().join("h.db").exists());
    }

    #[test]
    fn an_unusable_store_is_a_warning_and_the_results_stand() {
        let dir = tempfile::tempdir().unwrap();
        let registry = menu(dir.path(), false);
        // A folder where the database file should be.
        let store = dir.path().join("store");
        std::fs::create_dir(&store).unwrap();
        let checked = check(&registry, Options { history: History::At(Location::File(store)), ..on_day(1, None) });
        let checked = checked.unwrap();
        assert_eq!(checked.reports.len(), 1);
        assert!(checked.warnings[0].starts_with("history not recorded"), "{:?}", checked.warnings);
    }

    #[test]
    fn in_memory_batches_are_checked_and_data_for_several_contracts_is_refused() {
        use contrakt_check::Status;
        use datafusion::arrow::array::{Int64Array, RecordBatch};
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        let dir = tempfile::tempdir().unwrap();
        let registry = menu(dir.path(), false);
        let schema = std::sync::Arc::new(Schema::new(vec![Field::new("menu_slot", DataType::Int64, true)]));
        let batch =
            RecordBatch::try_new(schema.clone(), vec![std::sync::Arc::new(Int64Array::from(vec![Some(1), None]))])
                .unwrap();
        let frame = InMemory { label: "batch".into(), schema, batches: vec![batch] };
        let mut options = Options { history: History::Off, ..on_day(1, None) };
        options.check.frames = vec![(None, frame)];
        let checked = check(&registry, options).unwrap();
        let required = checked.reports[0].results.iter().find(|r| r.code == "Q201");
        let required = required.expect("the required check");
        assert_eq!((required.status, required.failed_rows), (Status::Fail, Some(1)), "{required:?}");

        std::fs::write(
            dir.path().join("b.odcs.yaml"),
            "apiVersion: v3.1.0\nkind: DataContract\nid: b\nversion: 1.0.0\nstatus: active\n",
        )
        .unwrap();
        let both = Registry::open(dir.path()).unwrap();
        let mut options = Options::new();
        options.check.data = vec![(None, "x.parquet".into())];
        match check(&both, options) {
            Err(Error::Usage(m)) => assert!(m.contains("2 were found"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
