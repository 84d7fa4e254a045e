//! `contrakt publish CONTRACT --staged PATH|URL --to PATH|URL`: write-audit-publish. The staged
//! data is checked with the contract (optionally a canary fraction first); only a passing audit
//! makes it the published release of the folder or `s3://` prefix. `--rollback` points it back
//! at its previous one. With a history store, every publish, refusal and rollback is recorded.
//!
//! Exit codes: 0 published (or rolled back), 1 the audit failed and nothing was published,
//! 2 the run could not happen (bad contract, unreadable data, a usage error, a failed move).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use contrakt_check::{CheckOptions, CheckReport, Checker, parse_time};
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::registry;
use contrakt_core::{Error, Finding, Level};
use contrakt_history::{EventKind, Location, PublishEvent};
use contrakt_publish::{Release, object};
use contrakt_report::{CheckTextOptions, check_to_json, check_to_junit, check_to_markdown, check_to_text};
use serde_json::json;

use crate::ExitStatus;
use crate::args::{CheckFormat, GlobalArgs, PublishArgs};
use crate::commands::print;

/// Checks a canary cannot judge: they measure the whole dataset.
const WHOLE_DATA_CHECKS: &[&str] = &["Q305", "Q401", "Q402", "Q403"];

pub(crate) fn run(args: PublishArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let usage = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitStatus::Error)
    };
    let wall = chrono::Utc::now();
    let stamp = wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage(format!("cannot start the query runtime: {e}")),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let target = match Target::parse(&args.to, &cwd) {
        Ok(t) => t,
        Err(e) => return usage(e.to_string()),
    };
    // A pointer someone else wrote that names anything but a release folder: refused before
    // the audit, so nothing is written, moved or deleted (not even a log line).
    // (Other errors reading it are the publish's to report, as before.)
    if let Err(e @ contrakt_publish::Error::CorruptPointer { .. }) = target.pointer(&runtime) {
        return usage(e.to_string());
    }
    if args.rollback {
        let history = history_store(&args, &[PathBuf::from(".")]);
        return match target.rollback(&runtime, &stamp) {
            Ok(p) => {
                let from = p.history.last().cloned();
                let entry = json!({"event": "rollback", "at": stamp, "current": p.current, "history": p.history});
                target.log(&runtime, &entry);
                let event = PublishEvent {
                    id: 0,
                    contract: p.contract.clone(),
                    contract_version: p.contract_version.clone(),
                    object: args.object.clone().unwrap_or_else(|| p.object.clone()),
                    kind: EventKind::Rollback,
                    run_id: p.run_id.clone(),
                    from_version: from,
                    to_version: Some(p.current.clone()),
                    staged: None,
                    target: target.to_string(),
                    at: contrakt_history::timestamp(wall),
                    failed: 0,
                    warned: 0,
                    errors: 0,
                    reason: None,
                };
                record(history.as_ref(), &event);
                print(&format!("rolled back {}: readers now get {}\n", args.to.display(), p.current), false);
                Ok(ExitStatus::Success)
            }
            Err(e) => usage(e.to_string()),
        };
    }
    let (Some(contract_path), Some(staged)) = (args.contract.as_deref(), args.staged.as_deref()) else {
        return usage("a contract and --staged are required (or --rollback)".into());
    };
    if let Some(f) = args.canary
        && !(f > 0.0 && f < 1.0)
    {
        return usage(format!("--canary: expected a fraction between 0 and 1, found {f}"));
    }
    let now = match args.now.as_deref() {
        Some(s) => match parse_time(s) {
            Some(t) => Some(t),
            None => return usage(format!("--now: cannot read `{s}` as a time (use RFC 3339 or a date)")),
        },
        None => None,
    };
    let (doc, others, roots) = match load(contract_path) {
        Ok(loaded) => loaded,
        Err(findings) => {
            for f in findings {
                eprintln!("error[{}]: {}", f.code, f.message);
            }
            return Ok(ExitStatus::Error);
        }
    };
    let object = match (&args.object, doc.contract.schema.as_slice()) {
        (Some(o), _) => o.clone(),
        (None, [only]) => only.name.clone(),
        (None, objects) => {
            let names: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
            return usage(format!("--object: the contract has several objects ({})", names.join(", ")));
        }
    };
    // The staged data as the checker reads it (a path or a URL) and as the publish copies it.
    let (staged_data, staged_source) = match staged.to_str().filter(|s| object::is_url(s)) {
        Some(url) => match object::Prefix::parse(url) {
            Ok(prefix) => (url.to_string(), object::Staged::Object(prefix)),
            Err(e) => return usage(format!("--staged: {e}")),
        },
        None => {
            let abs = cwd.join(staged);
            (abs.to_string_lossy().into_owned(), object::Staged::Local(abs))
        }
    };
    // A link in the staged folder could make the audit read, and the release copy, any file
    // on this machine: refused before the audit reads anything (exit 2).
    if let object::Staged::Local(path) = &staged_source
        && let Err(e) = contrakt_publish::refuse_links(path)
    {
        return usage(e.to_string());
    }
    if matches!((&staged_source, &target), (object::Staged::Object(_), Target::Folder(_))) {
        return usage("--staged in an object store publishes to an object store: give --to s3://…".into());
    }
    let history = history_store(&args, &roots);
    let options = CheckOptions {
        data: vec![(Some(object.clone()), staged_data.clone())],
        objects: vec![object.clone()],
        now,
        base_dir: contrakt_workflow::check::folder_of(contract_path),
        registry: others,
        ..CheckOptions::default()
    };
    let checker = Checker::new();
    let fail_on = args.fail_on.level();
    let run_id = format!(
        "{}-{:04x}",
        wall.format("%Y%m%dT%H%M%SZ"),
        (wall.timestamp_subsec_nanos() ^ std::process::id()) & 0xffff
    );
    let log = |event: &str, report: Option<&CheckReport>, extra: serde_json::Value| {
        let mut entry = json!({
            "event": event, "at": stamp, "run_id": run_id, "contract": doc.contract.id,
            "contract_version": doc.contract.version, "object": object, "staged": staged_data,
        });
        if let Some(r) = report {
            entry["summary"] = serde_json::to_value(&r.summary).unwrap_or_default();
        }
        if let (Some(e), Some(x)) = (entry.as_object_mut(), extra.as_object()) {
            e.extend(x.clone());
        }
        target.log(&runtime, &entry);
    };
    // The history's record of this run: refused, or published from one release to another.
    let event =
        |kind: EventKind, report: &CheckReport, from: Option<String>, to: Option<String>, reason: Option<String>| {
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
            record(history.as_ref(), &event);
        };
    let serving = || target.serving(&runtime);
    let at = now.map_or_else(|| wall.timestamp_millis(), |t| t.timestamp_millis());

    if let Some(fraction) = args.canary {
        let canary = CheckOptions { filter: Some(format!("random() < {fraction}")), ..options.clone() };
        let spinner = crate::progress::spinner(&format!("canary: {}% of {object}", fraction * 100.0), global.quiet);
        let result = runtime.block_on(checker.check(&doc, &canary));
        spinner.finish_and_clear();
        match result {
            Ok(mut report) => {
                report.results.retain(|r| !WHOLE_DATA_CHECKS.contains(&r.code));
                report.summary = CheckReport::summarize(&report.results);
                if report.fails_at(fail_on) {
                    log("canary-failed", Some(&report), json!({"canary": fraction}));
                    let why = format!("the canary ({} of the rows) already fails", fraction);
                    let serving = serving();
                    event(EventKind::Refuse, &report, serving.clone(), serving.clone(), Some(why.clone()));
                    let outcome = Outcome::Refused { why, serving };
                    let status = render(&report, &outcome, &args, fail_on, color);
                    notify(&report, contract_path, &args, &outcome, at, color);
                    return Ok(status);
                }
            }
            Err(e) => return usage(e.to_string()),
        }
    }

    let spinner = crate::progress::spinner(&format!("auditing {object}"), global.quiet);
    let result = runtime.block_on(checker.check(&doc, &options));
    spinner.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => return usage(e.to_string()),
    };
    if report.fails_at(fail_on) {
        log("audit-failed", Some(&report), json!({}));
        let serving = serving();
        event(EventKind::Refuse, &report, serving.clone(), serving.clone(), Some("the audit failed".into()));
        let outcome = Outcome::Refused { why: "the audit failed".into(), serving };
        let status = render(&report, &outcome, &args, fail_on, color);
        notify(&report, contract_path, &args, &outcome, at, color);
        return Ok(status);
    }
    let previous = serving();
    let release = Release {
        run_id: &run_id,
        contract: &doc.contract.id,
        contract_version: &doc.contract.version,
        object: &object,
        now: &stamp,
        keep: args.keep,
    };
    match target.publish(&runtime, &staged_source, &release) {
        Ok(p) => {
            log("published", Some(&report), json!({"current": p.current, "history": p.history}));
            event(EventKind::Publish, &report, previous, Some(p.current.clone()), None);
            let outcome = Outcome::Published { current: p.current, previous: p.history.first().cloned() };
            let status = render(&report, &outcome, &args, fail_on, color);
            notify(&report, contract_path, &args, &outcome, at, color);
            Ok(status)
        }
        Err(e) => {
            log("publish-failed", Some(&report), json!({"error": e.to_string()}));
            let serving = serving();
            let why = format!("the audit passed but publishing failed: {e}");
            event(EventKind::Refuse, &report, serving.clone(), serving.clone(), Some(why.clone()));
            usage(format!("{why}; readers still get {}", serving.unwrap_or_else(|| "nothing".into())))
        }
    }
}

/// `--history`, else `history.path` of the registry's contrakt.yaml; none with `--no-history`.
fn history_store(args: &PublishArgs, roots: &[PathBuf]) -> Option<Location> {
    if args.no_history {
        return None;
    }
    args.history.as_deref().map(Location::from_path).or_else(|| contrakt_workflow::registry::history_store_at(roots))
}

/// Records a publish event; like a check's history, a store that fails is a warning and
/// changes nothing about the publish.
fn record(location: Option<&Location>, event: &PublishEvent) {
    let Some(location) = location else { return };
    let _s = tracing::info_span!("history", store = %location).entered();
    let result = contrakt_history::Store::open_at(location).and_then(|mut store| store.record_event(event));
    if let Err(e) = result {
        eprintln!("warning: the {} was not recorded in the history: {e}", event.kind.as_str());
    }
}

/// Where releases are published: a local folder (renames) or an object-store prefix
/// (conditional puts).
enum Target {
    Folder(PathBuf),
    Prefix(object::Prefix),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Folder(p) => write!(f, "{}", p.display()),
            Target::Prefix(p) => f.write_str(p.url()),
        }
    }
}

impl Target {
    fn parse(to: &Path, cwd: &Path) -> Result<Target, contrakt_publish::Error> {
        match to.to_str().filter(|s| object::is_url(s)) {
            Some(url) => object::Prefix::parse(url).map(Target::Prefix),
            None => Ok(Target::Folder(cwd.join(to))),
        }
    }

    /// The pointer, if anything is published.
    fn pointer(
        &self,
        rt: &tokio::runtime::Runtime,
    ) -> Result<Option<contrakt_publish::Pointer>, contrakt_publish::Error> {
        match self {
            Target::Folder(dir) => contrakt_publish::read_pointer(dir),
            Target::Prefix(prefix) => Ok(rt.block_on(prefix.read_pointer())?.map(|(p, _)| p)),
        }
    }

    /// The release readers get now, if any.
    fn serving(&self, rt: &tokio::runtime::Runtime) -> Option<String> {
        self.pointer(rt).ok().flatten().map(|p| p.current)
    }

    fn publish(
        &self,
        rt: &tokio::runtime::Runtime,
        staged: &object::Staged,
        r: &Release<'_>,
    ) -> Result<contrakt_publish::Pointer, contrakt_publish::Error> {
        match (self, staged) {
            (Target::Folder(dir), object::Staged::Local(path)) => contrakt_publish::publish(path, dir, r),
            (Target::Folder(dir), object::Staged::Object(from)) => Err(contrakt_publish::Error::Unsupported {
                url: from.url().to_string(),
                message: format!("cannot publish from an object store to the local folder {}", dir.display()),
            }),
            (Target::Prefix(prefix), staged) => rt.block_on(prefix.publish(staged, r)),
        }
    }

    fn rollback(
        &self,
        rt: &tokio::runtime::Runtime,
        now: &str,
    ) -> Result<contrakt_publish::Pointer, contrakt_publish::Error> {
        match self {
            Target::Folder(dir) => contrakt_publish::rollback(dir, now),
            Target::Prefix(prefix) => rt.block_on(prefix.rollback(now)),
        }
    }

    /// Appends to the target's publish log; a failure to log is a warning.
    fn log(&self, rt: &tokio::runtime::Runtime, entry: &serde_json::Value) {
        let logged = match self {
            Target::Folder(dir) => contrakt_publish::log(dir, entry),
            Target::Prefix(prefix) => rt.block_on(prefix.log(entry)),
        };
        if let Err(e) = logged {
            eprintln!("warning: {e}");
        }
    }
}

/// `--notify`: a refused release is alerted through the alert outbox as the publish's own
/// incidents (owners always; consumers whose data it puts at risk); a published one resolves
/// them. A failure to alert is reported on stderr and changes nothing else.
fn notify(report: &CheckReport, contract: &Path, args: &PublishArgs, outcome: &Outcome, at: i64, color: bool) {
    use contrakt_alert::alert::PublishRef;
    use contrakt_alert::report::StatusName;
    if !args.notify {
        return;
    }
    let _s = tracing::info_span!("alert").entered();
    let mut run = contrakt_alert::report::from_report(report);
    let staged = args.staged.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
    let target = args.to.display().to_string();
    run.publish = Some(match outcome {
        Outcome::Refused { serving, .. } => {
            PublishRef { outcome: "refused".into(), staged, target, serving: serving.clone() }
        }
        Outcome::Published { current, .. } => {
            // Warnings below --fail-on did not stop the release: a published one only resolves.
            run.results.retain(|r| r.status == StatusName::Pass);
            PublishRef { outcome: "published".into(), staged, target, serving: Some(current.clone()) }
        }
    });
    let routed = crate::commands::alerts::load(&[contract.to_path_buf()], None, true).and_then(|mut loaded| {
        loaded.settings.stdout_to_stderr = true;
        let registry = contrakt_alert::Registry { contracts: &loaded.contracts, consumers: &loaded.consumers };
        let budget = std::time::Duration::from_secs(30);
        let text = crate::args::OutputFormat::Text;
        crate::commands::alerts::notify(std::slice::from_ref(&run), &registry, &loaded.settings, at, budget, text)
    });
    match routed {
        Ok((_, summary)) => eprint!("{summary}"),
        Err(e) => {
            crate::commands::alerts::fail(&e, color);
        }
    }
}

enum Outcome {
    Published { current: String, previous: Option<String> },
    Refused { why: String, serving: Option<String> },
}

fn render(report: &CheckReport, outcome: &Outcome, args: &PublishArgs, fail_on: Level, color: bool) -> ExitStatus {
    let to = args.to.display();
    let staged = args.staged.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default();
    let line = match outcome {
        Outcome::Published { current, previous } => format!(
            "published {to}/{current}{}\n",
            previous
                .as_ref()
                .map(|p| format!(" (previous: {p}; `contrakt publish --rollback --to {to}` returns to it)"))
                .unwrap_or_default()
        ),
        Outcome::Refused { why, serving } => format!(
            "not published: {why}; {to} still serves {}; the staged data stays at {staged}\n",
            serving.as_deref().unwrap_or("nothing")
        ),
    };
    let reports = std::slice::from_ref(report);
    match args.format {
        CheckFormat::Json => {
            let mut v: serde_json::Value = serde_json::from_str(&check_to_json(reports, fail_on)).unwrap_or_default();
            let (published, current) = match outcome {
                Outcome::Published { current, .. } => (true, Some(current.clone())),
                Outcome::Refused { serving, .. } => (false, serving.clone()),
            };
            v = json!({"version": 1, "published": published, "target": args.to, "current": current, "check": v});
            print(&format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default()), false);
        }
        CheckFormat::Text => {
            print(&check_to_text(reports, CheckTextOptions { color, show_passed: false }), color);
            print(&line, false);
        }
        CheckFormat::Markdown => {
            print(&check_to_markdown(reports, fail_on), false);
            eprint!("{line}");
        }
        CheckFormat::Junit => {
            print(&check_to_junit(reports), false);
            eprint!("{line}");
        }
    }
    match outcome {
        Outcome::Published { .. } => ExitStatus::Success,
        Outcome::Refused { .. } => ExitStatus::Failure,
    }
}

/// The contract, the other contracts of its registry (for references into them), and the
/// registry's roots (where contrakt.yaml is).
type Loaded = (ContractDocument, Vec<Arc<ContractDocument>>, Vec<PathBuf>);

fn load(path: &Path) -> Result<Loaded, Vec<Finding>> {
    let discovery = registry::discover(&[path.to_path_buf()]).map_err(|e| Finding::from_error(&e, None))?;
    let mut findings: Vec<Finding> = discovery.errors.iter().flat_map(|e| Finding::from_error(e, None)).collect();
    let mut docs = Vec::new();
    for d in discovery.contracts {
        match odcs::load_document(d) {
            Ok(doc) => docs.push(doc),
            Err(e) => findings.extend(Finding::from_error(&e, None)),
        }
    }
    if !findings.is_empty() {
        return Err(findings);
    }
    let [doc] = <[ContractDocument; 1]>::try_from(docs).map_err(|docs| {
        vec![Finding::fatal(
            "E001",
            "usage",
            format!("{} names {} contracts; publish audits one", path.display(), docs.len()),
        )]
    })?;
    let others = discovery
        .roots
        .iter()
        .flat_map(|r| registry::load_contracts(r))
        .filter(|d| d.contract.id != doc.contract.id)
        .map(Arc::new)
        .collect();
    Ok((doc, others, discovery.roots))
}
