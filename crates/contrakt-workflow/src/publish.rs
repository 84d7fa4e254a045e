//! [`publish()`]: write-audit-publish. The staged data is checked with its contract (a canary
//! fraction first, if asked); only a passing audit makes it the published release of a folder
//! or an `s3://` prefix, by swapping the pointer readers follow, or of a Delta table, as one
//! commit appending it. [`rollback`] points it back at the release before (for a Delta table,
//! one more commit restoring the version before the latest). Each publish, refusal and rollback is logged beside the releases and
//! recorded in the history store; a refused release can alert its owners and consumers.
//!
//! A refusal is a result ([`Outcome::Refused`]), not an error: `Err` means the publish could
//! not be judged (an unreadable pointer, staged data that cannot be read, bad options).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use contrakt_alert::alert::PublishRef;
use contrakt_check::{CheckOptions, CheckReport, Checker};
use contrakt_core::Level;
use contrakt_core::expect::Status;
use contrakt_history::{EventKind, Location, PublishEvent};
use contrakt_publish::{Pointer, Release, object};
use serde_json::json;

use crate::check::{Alerting, Alerts, History, Runtime, folder_of, route};
use crate::error::{Error, Result};
use crate::registry::Registry;

/// Checks a canary cannot judge: they measure the whole dataset (volume, freshness).
const WHOLE_DATA_CHECKS: &[&str] = &["Q305", "Q401", "Q402", "Q403"];

/// How long `publish --notify` keeps retrying deliveries before leaving them in the outbox.
pub const DELIVERY_BUDGET: Duration = Duration::from_secs(30);

/// What to publish, where, and what a publish must pass.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data to audit and publish: a folder (with hive partitions), a file, or an `s3://`
    /// prefix. A relative path resolves against `cwd`.
    pub staged: PathBuf,
    /// The published folder or `s3://bucket/prefix/`: the release folders and the pointer.
    pub to: PathBuf,
    /// The schema object the data is [default: the contract's only object].
    pub object: Option<String>,
    /// Check this fraction of the rows (between 0 and 1) first, and refuse early if it fails.
    pub canary: Option<f64>,
    /// The reference time for SLAs and alerts; the wall clock by default.
    pub now: Option<DateTime<Utc>>,
    /// Earlier releases kept for readers still on them and for rollback.
    pub keep: usize,
    /// The lowest severity of a failed check that refuses the release.
    pub fail_on: Level,
    /// Where the publish, or its refusal, is recorded.
    pub history: History,
    /// Who hears of a refusal (and of the publish that resolves it).
    pub alerts: Alerting,
    /// What relative `staged` and `to` paths resolve against [default: the working directory].
    pub cwd: Option<PathBuf>,
    /// `--quarantine`: the audit writes the rows failing row-level checks there (in a folder
    /// named by the run's id), and, where the contract allows partial publication
    /// ([`crate::publish_partial`]), the rows that pass are published without them.
    pub quarantine: Option<contrakt_check::Quarantine>,
}

impl Options {
    /// Publishing `staged` to `to`, keeping 3 earlier releases, refused by errors, recorded in
    /// the configured history, with no alerts.
    pub fn new(staged: impl Into<PathBuf>, to: impl Into<PathBuf>) -> Options {
        Options {
            staged: staged.into(),
            to: to.into(),
            object: None,
            canary: None,
            now: None,
            keep: 3,
            fail_on: Level::Error,
            history: History::Configured,
            alerts: Alerting::Off,
            cwd: None,
            quarantine: None,
        }
    }
}

/// What became of the staged data.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Readers now get `current`; `previous` is the release they got before, if any.
    Published { current: String, previous: Option<String> },
    /// Nothing was published: why, and the release readers still get.
    Refused { why: String, serving: Option<String> },
    /// The audit passed but the release could not be written (a failed copy, a lost race for
    /// the pointer); readers still get `serving`.
    Failed { why: String, serving: Option<String> },
}

/// A publish, judged.
#[derive(Debug)]
pub struct Publish {
    /// The audit's report: the canary's, when the canary refused the release.
    pub report: CheckReport,
    pub outcome: Outcome,
    /// What did not stop the publish but did not happen either (the log or the history not
    /// written), one sentence each.
    pub warnings: Vec<String>,
    /// What alerting did: `None` when it was off (or the release failed to be written).
    pub alerts: Option<Result<Alerts>>,
    /// Set when only the rows passing the row-level checks were published
    /// ([`crate::publish_partial`]).
    pub partial: Option<crate::publish_partial::PartialPublish>,
}

impl Publish {
    /// Whether the staged data is now the published release.
    pub fn published(&self) -> bool {
        matches!(self.outcome, Outcome::Published { .. })
    }
}

/// A step of a publish, for a caller showing progress.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// The canary check of this fraction of the object's rows starts.
    Canary { object: &'a str, fraction: f64 },
    /// The full audit of the object starts.
    Audit { object: &'a str },
    /// The check that started last has ended.
    Checked,
}

/// Audits the staged data against the registry's one contract and publishes it if it passes,
/// on a query runtime of its own.
pub fn publish(registry: &Registry, options: Options) -> Result<Publish> {
    publish_observed(registry, options, &mut |_| {})
}

/// [`publish()`], telling `observe` as each check starts and ends.
pub fn publish_observed(registry: &Registry, options: Options, observe: &mut dyn FnMut(Step<'_>)) -> Result<Publish> {
    let wall = Utc::now();
    let stamp = wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let runtime = Runtime::start()?;
    let runtime = runtime.handle();
    let cwd = working_dir(options.cwd.as_deref());
    let target = Target::parse(&options.to, &cwd)?;
    // An Iceberg table's staged snapshot, resolved against the metadata the audit reads and the
    // commit must still find current.
    let iceberg = match &target {
        Target::Iceberg(table) => Some(staged_snapshot(runtime, table, &options)?),
        _ => None,
    };
    // A pointer someone else wrote that names anything but a release folder: refused before
    // the audit, so nothing is written, moved or deleted (not even a log line). Other errors
    // reading it are the publish's own to report.
    if let Err(e @ contrakt_publish::Error::CorruptPointer { .. }) = target.pointer(runtime) {
        return Err(e.into());
    }
    if let Some(f) = options.canary
        && !(f > 0.0 && f < 1.0)
    {
        return Err(Error::Usage(format!("--canary: expected a fraction between 0 and 1, found {f}")));
    }
    let doc = match registry.contracts() {
        [doc] => doc,
        docs => {
            let named = registry.paths().iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            return Err(Error::Usage(format!("{named} names {} contracts; publish audits one", docs.len())));
        }
    };
    let object = match (&options.object, doc.contract.schema.as_slice()) {
        (Some(o), _) => o.clone(),
        (None, [only]) => only.name.clone(),
        (None, objects) => {
            let names: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
            return Err(Error::Usage(format!("--object: the contract has several objects ({})", names.join(", "))));
        }
    };
    // The staged data as the checker reads it (a path or a URL) and as the publish copies it.
    let (staged_data, staged_source) = match options.staged.to_str().filter(|s| object::is_url(s)) {
        // The staged snapshot is read through the metadata file that names it.
        _ if iceberg.is_some() => {
            let file = iceberg.as_ref().map(|(head, _)| head.file.clone()).unwrap_or_default();
            (file.to_string_lossy().into_owned(), object::Staged::Local(file))
        }
        Some(url) => match object::Prefix::parse(url) {
            Ok(prefix) => (url.to_string(), object::Staged::Object(prefix)),
            Err(e) => return Err(Error::Usage(format!("--staged: {e}"))),
        },
        None => {
            let abs = cwd.join(&options.staged);
            (abs.to_string_lossy().into_owned(), object::Staged::Local(abs))
        }
    };
    // A link in the staged folder could make the audit read, and the release copy, any file
    // on this machine: refused before the audit reads anything.
    if let object::Staged::Local(path) = &staged_source
        && iceberg.is_none()
    {
        contrakt_publish::refuse_links(path)?;
    }
    if matches!((&staged_source, &target), (object::Staged::Object(_), Target::Folder(_))) {
        return Err(Error::Usage("--staged in an object store publishes to an object store: give --to s3://…".into()));
    }
    let history = match &options.history {
        History::Configured => registry.history_store(),
        History::At(location) => Some(location.clone()),
        History::Off => None,
    };
    let check_options = CheckOptions {
        data: vec![(Some(object.clone()), staged_data.clone())],
        objects: vec![object.clone()],
        now: options.now,
        base_dir: folder_of(doc.source().name()),
        registry: registry.others(&doc.contract.id),
        as_of: iceberg
            .as_ref()
            .map(|(_, snapshot)| contrakt_check::AsOf::Version(u64::try_from(*snapshot).unwrap_or(u64::MAX))),
        ..CheckOptions::default()
    };
    let checker = Checker::new();
    let run_id = format!(
        "{}-{:04x}",
        wall.format("%Y%m%dT%H%M%SZ"),
        (wall.timestamp_subsec_nanos() ^ std::process::id()) & 0xffff
    );
    // The audit's quarantine is named by the publish's run (the log and the history name it too).
    let audit_options = CheckOptions {
        quarantine: options.quarantine.clone().map(|q| contrakt_check::Quarantine { run: Some(run_id.clone()), ..q }),
        ..check_options.clone()
    };
    let mut warnings = Vec::new();
    let log = |event: &str, report: &CheckReport, extra: serde_json::Value, warnings: &mut Vec<String>| {
        let mut entry = json!({
            "event": event, "at": stamp, "run_id": run_id, "contract": doc.contract.id,
            "contract_version": doc.contract.version, "object": object, "staged": staged_data,
            "summary": serde_json::to_value(&report.summary).unwrap_or_default(),
        });
        if let (Some(e), Some(x)) = (entry.as_object_mut(), extra.as_object()) {
            e.extend(x.clone());
        }
        target.log(runtime, &entry, warnings);
    };
    // The history's record of this run: refused, or published from one release to another.
    let record_event = |kind: EventKind,
                        report: &CheckReport,
                        from: Option<String>,
                        to: Option<String>,
                        reason: Option<String>,
                        warnings: &mut Vec<String>| {
        let s = &report.summary;
        let event = PublishEvent {
            id: 0,
            contract: doc.contract.id.clone(),
            contract_version: doc.contract.version.clone(),
            object: object.clone(),
            kind,
            run_id: run_id.clone(),
            from_version: from,
            to_version: to,
            staged: Some(staged_data.clone()),
            target: target.to_string(),
            at: contrakt_history::timestamp(wall),
            failed: s.failed as i64,
            warned: s.warned as i64,
            errors: s.errors as i64,
            reason,
        };
        record(history.as_ref(), &event, warnings);
    };
    let serving = || target.serving(runtime);
    let at = options.now.map_or_else(|| wall.timestamp_millis(), |t| t.timestamp_millis());
    let notify = |report: &CheckReport, outcome: &Outcome| match options.alerts {
        Alerting::Off => None,
        alerting => Some(alert(registry, report, &options, outcome, at, alerting)),
    };
    // An audit that passed but whose release could not be written (a folder, a prefix or a
    // Delta table): logged, recorded as a refusal, the serving release unchanged.
    let publish_failed = |report: CheckReport, error: String, mut warnings: Vec<String>| {
        log("publish-failed", &report, json!({"error": error}), &mut warnings);
        let why = format!("the audit passed but publishing failed: {error}");
        let serving = serving();
        record_event(EventKind::Refuse, &report, serving.clone(), serving.clone(), Some(why.clone()), &mut warnings);
        Publish { report, outcome: Outcome::Failed { why, serving }, warnings, alerts: None, partial: None }
    };

    if let Some(fraction) = options.canary {
        let canary = CheckOptions { filter: Some(format!("random() < {fraction}")), ..check_options.clone() };
        observe(Step::Canary { object: &object, fraction });
        let result = runtime.block_on(checker.check(doc, &canary));
        observe(Step::Checked);
        let mut report = result?;
        report.results.retain(|r| !WHOLE_DATA_CHECKS.contains(&r.code.as_str()));
        report.summary = CheckReport::summarize(&report.results);
        if report.fails_at(options.fail_on) {
            log("canary-failed", &report, json!({"canary": fraction}), &mut warnings);
            let why = format!("the canary ({fraction} of the rows) already fails");
            let serving = serving();
            record_event(
                EventKind::Refuse,
                &report,
                serving.clone(),
                serving.clone(),
                Some(why.clone()),
                &mut warnings,
            );
            let outcome = Outcome::Refused { why, serving };
            let alerts = notify(&report, &outcome);
            return Ok(Publish { report, outcome, warnings, alerts, partial: None });
        }
    }

    observe(Step::Audit { object: &object });
    let result = runtime.block_on(checker.check(doc, &audit_options));
    observe(Step::Checked);
    let report = result?;
    // Partial publication: the rows that pass, when the contract allows it and only rows fail.
    let passing = match report.fails_at(options.fail_on) && options.quarantine.is_some() {
        true => crate::publish_partial::judge(
            runtime,
            &checker,
            doc,
            &object,
            &check_options,
            options.fail_on,
            &report,
            &run_id,
        )?,
        false => None,
    };
    if report.fails_at(options.fail_on) && !matches!(passing, Some(Ok(_))) {
        log("audit-failed", &report, json!({}), &mut warnings);
        let serving = serving();
        let why = match passing {
            Some(Err(why)) => format!("the audit failed and the rows that pass cannot be published alone: {why}"),
            _ => "the audit failed".to_string(),
        };
        record_event(EventKind::Refuse, &report, serving.clone(), serving.clone(), Some(why.clone()), &mut warnings);
        let outcome = Outcome::Refused { why, serving };
        let alerts = notify(&report, &outcome);
        return Ok(Publish { report, outcome, warnings, alerts, partial: None });
    }
    let previous = serving();
    if let (Target::Iceberg(table), Some((head, snapshot))) = (&target, &iceberg) {
        return Ok(match table.fast_forward(head, *snapshot) {
            Ok(moved) => {
                let current = format!("snapshot {}", moved.to);
                let before = moved.from.map(|s| format!("snapshot {s}"));
                let extra = json!({"current": current, "previous": before, "metadata": moved.metadata});
                log("published", &report, extra, &mut warnings);
                record_event(EventKind::Publish, &report, before.clone(), Some(current.clone()), None, &mut warnings);
                let outcome = Outcome::Published { current, previous: before };
                let alerts = notify(&report, &outcome);
                Publish { report, outcome, warnings, alerts, partial: None }
            }
            Err(e) => publish_failed(report, e.to_string(), warnings),
        });
    }
    if let Target::Delta(dir) = &target {
        let table = delta_source(&object, dir)?;
        // A partial publish appends only the rows that pass (the scratch folder lives until
        // `passing` is dropped, after the commit).
        let (from, partial) = match &passing {
            Some(Ok(p)) => (p.dir.0.to_string_lossy().into_owned(), Some(p.partial.clone())),
            _ => (staged_data.clone(), None),
        };
        let staged = contrakt_check::dataset::source(&object, from, None, None, &cwd)?;
        return Ok(match runtime.block_on(contrakt_check::delta::append(&object, &staged, &table)) {
            Ok(c) => {
                let current = format!("version {}", c.to);
                let before = c.from.map(|v| format!("version {v}"));
                let mut extra = json!({"current": current, "previous": before});
                let event = published_event(&mut extra, partial.as_ref());
                log(event, &report, extra, &mut warnings);
                record_event(EventKind::Publish, &report, before.clone(), Some(current.clone()), None, &mut warnings);
                let outcome = Outcome::Published { current, previous: before };
                let alerts = notify(&report, &outcome);
                Publish { report, outcome, warnings, alerts, partial }
            }
            Err(e) => publish_failed(report, e.to_string(), warnings),
        });
    }
    let release = Release {
        run_id: &run_id,
        contract: &doc.contract.id,
        contract_version: &doc.contract.version,
        object: &object,
        now: &stamp,
        keep: options.keep,
    };
    let (staged_source, partial) = match passing {
        Some(Ok(p)) => (object::Staged::Local(p.dir.0.clone()), Some((p.dir, p.partial))),
        _ => (staged_source, None),
    };
    match target.publish(runtime, &staged_source, &release) {
        Ok(p) => {
            let mut extra = json!({"current": p.current, "history": p.history});
            let event = published_event(&mut extra, partial.as_ref().map(|(_, p)| p));
            log(event, &report, extra, &mut warnings);
            record_event(EventKind::Publish, &report, previous, Some(p.current.clone()), None, &mut warnings);
            let outcome = Outcome::Published { current: p.current, previous: p.history.first().cloned() };
            let alerts = notify(&report, &outcome);
            Ok(Publish { report, outcome, warnings, alerts, partial: partial.map(|(_, p)| p) })
        }
        Err(e) => Ok(publish_failed(report, e.to_string(), warnings)),
    }
}

/// How a rollback is recorded.
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// The schema object recorded in the history [default: the one the pointer names].
    pub object: Option<String>,
    /// Where the rollback is recorded; [`History::Configured`] is the `contrakt.yaml` of the
    /// working directory (a rollback names no contract).
    pub history: History,
    /// What a relative `to` resolves against [default: the working directory].
    pub cwd: Option<PathBuf>,
}

/// A rollback done.
#[derive(Debug)]
pub struct RolledBack {
    /// The pointer readers now follow: `current` is the release they get.
    pub pointer: Pointer,
    /// The log or the history not written, one sentence each.
    pub warnings: Vec<String>,
}

/// Points the published folder or prefix `to` back at the release before its current one.
pub fn rollback(to: &Path, options: RollbackOptions) -> Result<RolledBack> {
    let wall = Utc::now();
    let stamp = wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let runtime = Runtime::start()?;
    let runtime = runtime.handle();
    let target = Target::parse(to, &working_dir(options.cwd.as_deref()))?;
    if let Err(e @ contrakt_publish::Error::CorruptPointer { .. }) = target.pointer(runtime) {
        return Err(e.into());
    }
    let history = match options.history {
        History::Configured => crate::registry::history_store_at(&[PathBuf::from(".")]),
        History::At(location) => Some(location),
        History::Off => None,
    };
    let table_moved = match &target {
        Target::Delta(dir) => {
            let object = options.object.clone().unwrap_or_else(|| crate::infer::object_name(&dir.to_string_lossy()));
            let c = runtime.block_on(contrakt_check::delta::restore_previous(&object, &delta_source(&object, dir)?))?;
            let restored = c.restored.map(|v| format!(" (the rows of version {v})")).unwrap_or_default();
            Some((object, format!("version {}{restored}", c.to), c.from.map(|v| format!("version {v}"))))
        }
        Target::Iceberg(table) => {
            let head = runtime.block_on(table.head())?;
            let moved = table.roll_back(&head)?;
            let object = match &options.object {
                Some(o) => o.clone(),
                None => crate::infer::object_name(&table.folder()?.to_string_lossy()),
            };
            Some((object, format!("snapshot {}", moved.to), moved.from.map(|s| format!("snapshot {s}"))))
        }
        _ => None,
    };
    if let Some((object, current, from)) = table_moved {
        let pointer = Pointer {
            version: 1,
            current,
            history: from.into_iter().collect(),
            run_id: String::new(),
            published_at: stamp.clone(),
            contract: String::new(),
            contract_version: String::new(),
            object: object.clone(),
        };
        let mut warnings = Vec::new();
        let entry = json!({"event": "rollback", "at": stamp, "current": pointer.current, "history": pointer.history});
        target.log(runtime, &entry, &mut warnings);
        let event = PublishEvent {
            id: 0,
            contract: String::new(),
            contract_version: String::new(),
            object,
            kind: EventKind::Rollback,
            run_id: String::new(),
            from_version: pointer.history.first().cloned(),
            to_version: Some(pointer.current.clone()),
            staged: None,
            target: target.to_string(),
            at: contrakt_history::timestamp(wall),
            failed: 0,
            warned: 0,
            errors: 0,
            reason: None,
        };
        record(history.as_ref(), &event, &mut warnings);
        return Ok(RolledBack { pointer, warnings });
    }
    let p = target.rollback(runtime, &stamp)?;
    let mut warnings = Vec::new();
    let entry = json!({"event": "rollback", "at": stamp, "current": p.current, "history": p.history});
    target.log(runtime, &entry, &mut warnings);
    let event = PublishEvent {
        id: 0,
        contract: p.contract.clone(),
        contract_version: p.contract_version.clone(),
        object: options.object.unwrap_or_else(|| p.object.clone()),
        kind: EventKind::Rollback,
        run_id: p.run_id.clone(),
        from_version: p.history.last().cloned(),
        to_version: Some(p.current.clone()),
        staged: None,
        target: target.to_string(),
        at: contrakt_history::timestamp(wall),
        failed: 0,
        warned: 0,
        errors: 0,
        reason: None,
    };
    record(history.as_ref(), &event, &mut warnings);
    Ok(RolledBack { pointer: p, warnings })
}

fn working_dir(cwd: Option<&Path>) -> PathBuf {
    cwd.map(Path::to_path_buf).unwrap_or_else(|| std::env::current_dir().unwrap_or_default())
}

/// Records a publish event; like a check's history, a store that fails is a warning and
/// changes nothing about the publish.
fn record(location: Option<&Location>, event: &PublishEvent, warnings: &mut Vec<String>) {
    let Some(location) = location else { return };
    let _s = tracing::info_span!("history", store = %location).entered();
    let result = contrakt_history::Store::open_at(location).and_then(|mut store| store.record_event(event));
    if let Err(e) = result {
        warnings.push(format!("the {} was not recorded in the history: {e}", event.kind.as_str()));
    }
}

/// A refused release is alerted as the publish's own incidents (owners always; consumers whose
/// data it puts at risk); a published one resolves them.
fn alert(
    registry: &Registry,
    report: &CheckReport,
    options: &Options,
    outcome: &Outcome,
    at: i64,
    alerting: Alerting,
) -> Result<Alerts> {
    let mut run = contrakt_alert::report::from_report(report);
    let staged = options.staged.display().to_string();
    let target = options.to.display().to_string();
    run.publish = Some(match outcome {
        Outcome::Published { current, .. } => {
            // Warnings below the fail level did not stop the release: a published one only resolves.
            run.report.results.retain(|r| r.status == Status::Pass);
            PublishRef { outcome: "published".into(), staged, target, serving: Some(current.clone()) }
        }
        Outcome::Refused { serving, .. } | Outcome::Failed { serving, .. } => {
            PublishRef { outcome: "refused".into(), staged, target, serving: serving.clone() }
        }
    });
    route(registry, std::slice::from_ref(&run), at, alerting)
}

/// Where releases are published: a local folder (renames), an object-store prefix
/// (conditional puts), a local Delta table (commits), or a local Iceberg table (its `main`
/// fast-forwarded to an audited snapshot).
enum Target {
    Folder(PathBuf),
    Prefix(object::Prefix),
    /// A folder holding a `_delta_log/`.
    Delta(PathBuf),
    /// A folder holding `metadata/*.metadata.json`, or a table of an SQL catalog on SQLite.
    Iceberg(Box<contrakt_check::iceberg::commit::TableRef>),
}

/// The Iceberg table's metadata as it is now, and the snapshot `--staged @REF` names in it
/// (`TABLE@REF` also, where `TABLE` is `--to` as given): refused before the audit when it is
/// not there or `main` cannot fast-forward to it.
fn staged_snapshot(
    rt: &tokio::runtime::Handle,
    table: &contrakt_check::iceberg::commit::TableRef,
    options: &Options,
) -> Result<(contrakt_check::iceberg::commit::Head, i64)> {
    let staged = options.staged.to_string_lossy();
    let Some((named, reference)) = staged.rsplit_once('@').filter(|(_, r)| !r.is_empty()) else {
        return Err(Error::Usage(format!(
            "--staged {staged}: publishing to the Iceberg table {} audits a snapshot of it: `--staged @BRANCH` (or a tag), `@SNAPSHOT_ID` or `@wap.id=ID`",
            table.name
        )));
    };
    if !named.is_empty() && named != table.name && Path::new(named) != options.to {
        return Err(Error::Usage(format!(
            "--staged {staged} names a snapshot of {named}, not of the table published to ({}); give `--staged @{reference}`",
            table.name
        )));
    }
    if options.quarantine.is_some() {
        return Err(Error::Usage(
            "--quarantine: a partial publish to an Iceberg table is not supported yet (only whole snapshots are published)"
                .into(),
        ));
    }
    let head = rt.block_on(table.head())?;
    let snapshot = head
        .resolve(reference)
        .map_err(|m| Error::Usage(format!("--staged {staged}: Iceberg table {}: {m}", table.name)))?;
    head.fast_forwardable(snapshot)
        .map_err(|m| Error::Usage(format!("--staged {staged}: Iceberg table {}: {m}", table.name)))?;
    // The audit reads it by `--as-of`, which takes the ids writers make (positive ones).
    if snapshot < 0 {
        return Err(Error::Usage(format!(
            "--staged {staged}: Iceberg table {}: snapshot {snapshot} has a negative id, which contrakt does not audit",
            table.name
        )));
    }
    Ok((head, snapshot))
}

/// The Delta table at `dir` as a data source.
fn delta_source(object: &str, dir: &Path) -> Result<contrakt_check::dataset::DataSource> {
    Ok(contrakt_check::dataset::source(
        object,
        dir.to_string_lossy().into_owned(),
        Some("delta"),
        None,
        Path::new("."),
    )?)
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Folder(p) | Target::Delta(p) => write!(f, "{}", p.display()),
            Target::Prefix(p) => f.write_str(p.url()),
            Target::Iceberg(t) => f.write_str(&t.name),
        }
    }
}

impl Target {
    fn parse(to: &Path, cwd: &Path) -> Result<Target> {
        if let Some(table) = to.to_str().and_then(|t| contrakt_check::iceberg::commit::TableRef::parse(t, cwd)) {
            return Ok(Target::Iceberg(Box::new(table?)));
        }
        Ok(match to.to_str().filter(|s| object::is_url(s)) {
            Some(url) => Target::Prefix(object::Prefix::parse(url)?),
            None if contrakt_check::delta::is_table(&cwd.join(to)) => Target::Delta(cwd.join(to)),
            None => Target::Folder(cwd.join(to)),
        })
    }

    /// The pointer, if anything is published.
    fn pointer(&self, rt: &tokio::runtime::Handle) -> Result<Option<Pointer>, contrakt_publish::Error> {
        match self {
            Target::Folder(dir) => contrakt_publish::read_pointer(dir),
            Target::Prefix(prefix) => Ok(rt.block_on(prefix.read_pointer())?.map(|(p, _)| p)),
            // A table's log or metadata is its pointer.
            Target::Delta(_) | Target::Iceberg(_) => Ok(None),
        }
    }

    /// The release readers get now, if any.
    fn serving(&self, rt: &tokio::runtime::Handle) -> Option<String> {
        if let Target::Delta(dir) = self {
            let src = delta_source("table", dir).ok()?;
            let (_, version) = rt.block_on(contrakt_check::delta::schema("table", &src)).ok()?;
            return Some(format!("version {version}"));
        }
        if let Target::Iceberg(table) = self {
            return rt.block_on(table.head()).ok()?.main().map(|s| format!("snapshot {s}"));
        }
        self.pointer(rt).ok().flatten().map(|p| p.current)
    }

    fn publish(
        &self,
        rt: &tokio::runtime::Handle,
        staged: &object::Staged,
        r: &Release<'_>,
    ) -> Result<Pointer, contrakt_publish::Error> {
        match (self, staged) {
            (Target::Folder(dir), object::Staged::Local(path)) => contrakt_publish::publish(path, dir, r),
            (Target::Folder(dir), object::Staged::Object(from)) => Err(contrakt_publish::Error::Unsupported {
                url: from.url().to_string(),
                message: format!("cannot publish from an object store to the local folder {}", dir.display()),
            }),
            (Target::Prefix(prefix), staged) => rt.block_on(prefix.publish(staged, r)),
            (Target::Delta(dir), _) => Err(contrakt_publish::Error::Unsupported {
                url: dir.display().to_string(),
                message: "a Delta table is published by a commit".into(),
            }),
            (Target::Iceberg(t), _) => Err(contrakt_publish::Error::Unsupported {
                url: t.name.clone(),
                message: "an Iceberg table is published by moving its main branch".into(),
            }),
        }
    }

    fn rollback(&self, rt: &tokio::runtime::Handle, now: &str) -> Result<Pointer, contrakt_publish::Error> {
        match self {
            Target::Folder(dir) => contrakt_publish::rollback(dir, now),
            Target::Prefix(prefix) => rt.block_on(prefix.rollback(now)),
            Target::Delta(dir) => Err(contrakt_publish::Error::Unsupported {
                url: dir.display().to_string(),
                message: "a Delta table is rolled back by a restore".into(),
            }),
            Target::Iceberg(t) => Err(contrakt_publish::Error::Unsupported {
                url: t.name.clone(),
                message: "an Iceberg table is rolled back by moving its main branch".into(),
            }),
        }
    }

    /// Appends to the target's publish log; a failure to log is a warning.
    fn log(&self, rt: &tokio::runtime::Handle, entry: &serde_json::Value, warnings: &mut Vec<String>) {
        let logged = match self {
            // `_publish_log.jsonl`: Delta readers skip `_` files.
            Target::Folder(dir) | Target::Delta(dir) => contrakt_publish::log(dir, entry),
            Target::Prefix(prefix) => rt.block_on(prefix.log(entry)),
            // Beside `metadata/`; `_` files are hidden from Iceberg's orphan-file cleanup.
            Target::Iceberg(table) => match table.folder() {
                Ok(folder) => contrakt_publish::log(&folder, entry),
                Err(e) => {
                    warnings.push(format!("the publish log was not written: {e}"));
                    return;
                }
            },
        };
        if let Err(e) = logged {
            warnings.push(e.to_string());
        }
    }
}

/// The publish log's event for a release, with what a partial publish released and held back
/// added to its fields.
fn published_event(
    extra: &mut serde_json::Value,
    partial: Option<&crate::publish_partial::PartialPublish>,
) -> &'static str {
    let (Some(p), Some(e)) = (partial, extra.as_object_mut()) else { return "published" };
    e.insert("published_rows".into(), json!(p.published_rows));
    e.insert("quarantined_rows".into(), json!(p.quarantine.rows));
    e.insert("quarantine".into(), json!(p.quarantine.location));
    "published-partial"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::parse_time;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The example registry's deliveries, staged broken (fails its audit) or fixed.
    fn options(kind: &str, to: &Path, store: &Path) -> Options {
        let staged = repo().join(format!("fixtures/data/staged/deliveries-{kind}"));
        Options {
            now: parse_time("2026-11-22T06:00:00Z"),
            history: History::At(Location::File(store.to_path_buf())),
            ..Options::new(staged, to)
        }
    }

    fn events(store: &Path) -> Vec<(String, Option<String>, Option<String>)> {
        let store = contrakt_history::Store::open(store).unwrap();
        let events = store.events(&contrakt_history::Query::default()).unwrap();
        events.into_iter().map(|e| (e.kind.as_str().to_string(), e.from_version, e.to_version)).collect()
    }

    #[test]
    fn a_failing_audit_is_refused_a_passing_one_published_and_rollback_returns_to_the_one_before() {
        let tmp = tempfile::tempdir().unwrap();
        let (to, store) = (tmp.path().join("deliveries"), tmp.path().join("h.db"));
        let registry = Registry::open(repo().join("contracts/deliveries.odcs.yaml")).unwrap();

        let refused = publish(&registry, options("broken", &to, &store)).unwrap();
        assert_eq!(refused.outcome, Outcome::Refused { why: "the audit failed".into(), serving: None });
        assert!(!refused.published() && !refused.report.passed && refused.report.summary.failed > 0);
        assert!(refused.warnings.is_empty() && refused.alerts.is_none(), "{refused:?}");
        assert!(contrakt_publish::read_pointer(&to).unwrap().is_none(), "nothing is published");

        let first = publish(&registry, options("fixed", &to, &store)).unwrap();
        let Outcome::Published { current: first, previous: None } = first.outcome else { panic!("{first:?}") };
        let second = publish(&registry, options("fixed", &to, &store)).unwrap();
        let Outcome::Published { current: second, previous } = second.outcome else { panic!("{second:?}") };
        assert_eq!(previous.as_deref(), Some(first.as_str()));
        assert_eq!(contrakt_publish::read_pointer(&to).unwrap().unwrap().current, second);

        let history = History::At(Location::File(store.clone()));
        let back = rollback(&to, RollbackOptions { history, ..RollbackOptions::default() }).unwrap();
        assert_eq!(back.pointer.current, first);
        let kinds: Vec<_> = events(&store);
        assert_eq!(
            kinds,
            [
                ("refuse".into(), None, None),
                ("publish".into(), None, Some(first.clone())),
                ("publish".into(), Some(first.clone()), Some(second.clone())),
                ("rollback".into(), Some(second), Some(first)),
            ]
        );
    }

    #[test]
    fn bad_options_and_a_corrupt_pointer_are_refused_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let (to, store) = (tmp.path().join("deliveries"), tmp.path().join("h.db"));
        let registry = Registry::open(repo().join("contracts/deliveries.odcs.yaml")).unwrap();
        let canary = Options { canary: Some(1.5), ..options("fixed", &to, &store) };
        match publish(&registry, canary) {
            Err(Error::Usage(m)) => assert!(m.contains("between 0 and 1"), "{m}"),
            other => panic!("{other:?}"),
        }
        std::fs::create_dir_all(&to).unwrap();
        let pointer = r#"{"version":1,"current":"../elsewhere","history":[],"run_id":"r","published_at":"t","contract":"c","contract_version":"1"}"#;
        std::fs::write(to.join(contrakt_publish::POINTER), pointer).unwrap();
        match publish(&registry, options("fixed", &to, &store)) {
            Err(Error::Publish(e)) => assert!(matches!(*e, contrakt_publish::Error::CorruptPointer { .. }), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(rollback(&to, RollbackOptions::default()).is_err());
        assert!(!to.join(contrakt_publish::LOG).exists() && !store.exists(), "no log line, no history");
    }
}
