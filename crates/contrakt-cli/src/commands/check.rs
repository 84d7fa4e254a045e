//! `contrakt check [PATHS] [--data OBJECT=URL]…`: the post-publish checker; and `contrakt run`,
//! the cron job: the same check with its alerts always on.
//!
//! Exit codes: 0 every check passed (or failed below `--fail-on`), 1 a check failed at or above
//! `--fail-on` or could not run, 2 the run could not happen (unreadable contract, no data).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use contrakt_check::{CheckOptions, Checker, Engine, parse_time};
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::registry::{self, Discovery};
use contrakt_core::{Error, Finding};
use contrakt_history::Location;
use contrakt_report::{
    CheckTextOptions, TextOptions, check_to_json, check_to_junit, check_to_markdown, check_to_text, render_text,
};

use crate::ExitStatus;
use crate::args::{CheckArgs, CheckCommonArgs, CheckFormat, GlobalArgs, RunArgs};
use crate::commands::print;

/// What happens to the results after the check.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Alerting {
    Off,
    /// Record incidents, queue the alerts and deliver, retrying for this long.
    Notify(Duration),
    /// Print what the results call for; send and record nothing.
    DryRun,
}

pub(crate) fn run(args: CheckArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let alerting =
        if args.notify { Alerting::Notify(contrakt_alert::run::CHECK_DELIVERY_BUDGET) } else { Alerting::Off };
    check(args.check, alerting, global, color)
}

/// `contrakt run`: `check` (which records the history when contrakt.yaml names a store) with
/// the alerts always on; the exit code is the check's whatever became of the deliveries.
pub(crate) fn cron(args: RunArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let Some(budget) = crate::commands::alerts::budget(args.deliver_for) else { return Ok(ExitStatus::Error) };
    let alerting = if args.dry_run_alerts { Alerting::DryRun } else { Alerting::Notify(budget) };
    check(args.check, alerting, global, color)
}

fn check(args: CheckCommonArgs, alerting: Alerting, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let usage = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitStatus::Error)
    };
    let now = match args.now.as_deref().map(|s| (s, parse_time(s))) {
        Some((s, None)) => {
            return usage(format!(
                "--now: cannot read `{s}` as a time (use RFC 3339, e.g. 2025-06-01T00:00:00Z, or a date)"
            ));
        }
        Some((_, t)) => t,
        None => None,
    };
    let mut partitions = Vec::new();
    for p in &args.partition {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => partitions.push((k.to_string(), v.to_string())),
            _ => return usage(format!("--partition: expected KEY=VALUE, found `{p}`")),
        }
    }
    let data: Vec<(Option<String>, String)> = args
        .data
        .iter()
        .map(|d| {
            let (object, url) = object_and_url(d);
            (object.map(str::to_string), url.to_string())
        })
        .collect();
    let engine = match Engine::parse(&args.engine) {
        Ok(e) => e,
        Err(e) => return usage(e.to_string()),
    };
    // Every query is bounded: by --timeout, else by the default (an hour).
    let timeout = Some(args.timeout.unwrap_or(contrakt_check::DEFAULT_TIMEOUT));

    let discovery = {
        let _s = tracing::info_span!("discover", paths = args.paths.len()).entered();
        match registry::discover(&args.paths) {
            Ok(d) => d,
            Err(e) => return Ok(fatal(&Finding::from_error(&e, None), color)),
        }
    };
    let Discovery { contracts, errors, roots, .. } = discovery;
    let mut documents = Vec::new();
    let mut findings: Vec<Finding> = errors.iter().flat_map(|e| Finding::from_error(e, None)).collect();
    for d in contracts {
        match odcs::load_document(d) {
            Ok(doc) => documents.push(doc),
            Err(e) => findings.extend(Finding::from_error(&e, None)),
        }
    }
    if !findings.is_empty() {
        return Ok(fatal(&findings, color));
    }
    if documents.is_empty() {
        let shown: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        return usage(format!("no contracts found in {}", shown.join(", ")));
    }
    if (!data.is_empty() || !args.object.is_empty()) && documents.len() > 1 {
        return usage(format!(
            "--data and --object apply to one contract; {} were found (name one file)",
            documents.len()
        ));
    }
    // The registry's contracts, for references into objects of other contracts.
    let mut registry: Vec<Arc<ContractDocument>> = documents.iter().cloned().map(Arc::new).collect();
    for doc in roots.iter().flat_map(|r| registry::load_contracts(r)) {
        if !registry.iter().any(|r| r.contract.id == doc.contract.id) {
            registry.push(Arc::new(doc));
        }
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => Runtime(Some(rt)),
        Err(e) => return usage(format!("cannot start the query runtime: {e}")),
    };
    let checker = match runtime.block_on(Checker::on_engine(engine)) {
        Ok(c) => c,
        Err(e) => return usage(e.to_string()),
    };
    let checker = match args.memory_limit {
        Some(bytes) => match checker.with_memory_limit(bytes) {
            Ok(c) => c,
            Err(e) => return usage(e.to_string()),
        },
        None => checker,
    };
    let mut reports = Vec::new();
    let mut failed_runs = 0;
    for doc in &documents {
        let options = CheckOptions {
            data: data.clone(),
            server: args.server.clone(),
            objects: args.object.clone(),
            now,
            sample: args.sample,
            unmask: args.unmask,
            filter: args.filter.clone(),
            partitions: partitions.clone(),
            timeout,
            base_dir: folder_of(doc.source().name()),
            // The operator typed --data where they are.
            data_dir: std::env::current_dir().ok(),
            registry: registry.iter().filter(|r| r.contract.id != doc.contract.id).cloned().collect(),
            frames: Vec::new(),
        };
        if args.emit_sql {
            match runtime.block_on(checker.emit_sql(doc, &options)) {
                Ok(text) => print(&text, false),
                Err(e) => {
                    eprintln!("error: {}: {e}", doc.source().name());
                    failed_runs += 1;
                }
            }
            continue;
        }
        if args.explain {
            match runtime.block_on(checker.explain(doc, &options)) {
                Ok(text) => print(&format!("# {}\n\n{text}", doc.contract.id), false),
                Err(e) => {
                    eprintln!("error: {}: {e}", doc.source().name());
                    failed_runs += 1;
                }
            }
            continue;
        }
        let spinner = crate::progress::spinner(&format!("checking {}", doc.contract.id), global.quiet);
        let result = runtime.block_on(checker.check(doc, &options));
        spinner.finish_and_clear();
        match result {
            Ok(report) => reports.push(report),
            Err(e) => {
                eprintln!("error: {}: {e}", doc.source().name());
                failed_runs += 1;
            }
        }
    }
    if args.explain || args.emit_sql {
        return Ok(if failed_runs > 0 { ExitStatus::Error } else { ExitStatus::Success });
    }
    let store = if args.no_history {
        None
    } else {
        args.history.as_deref().map(Location::from_path).or_else(|| configured_store(&roots))
    };
    if let Some(location) = &store {
        // The partition key of the metrics: hive style, as the data's folders name it.
        let partition: Vec<String> = partitions.iter().map(|(k, v)| format!("{k}={v}")).collect();
        record_history(location, &documents, &mut reports, &partition.join("/"));
    }
    let fail_on = args.fail_on.level();
    let text = match args.format {
        CheckFormat::Text => check_to_text(&reports, CheckTextOptions { color, show_passed: args.show_passed }),
        CheckFormat::Json => check_to_json(&reports, fail_on),
        CheckFormat::Markdown => check_to_markdown(&reports, fail_on),
        CheckFormat::Junit => check_to_junit(&reports),
    };
    if !reports.is_empty() {
        print(&text, color);
    }
    if alerting != Alerting::Off && !reports.is_empty() {
        let at = now.map_or_else(contrakt_alert::outbox::now_ms, |t| t.timestamp_millis());
        alert(&args.paths, &reports, at, alerting, args.format, color);
    }
    Ok(if failed_runs > 0 && (reports.is_empty() || !args.exit_zero) {
        ExitStatus::Error
    } else if !args.exit_zero && reports.iter().any(|r| r.fails_at(fail_on)) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The query runtime, shut down without waiting when the command ends: a planning abandoned
/// at its timeout still runs on a blocking thread, and must not hold the exit.
struct Runtime(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for Runtime {
    type Target = tokio::runtime::Runtime;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("the runtime lives until dropped")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Routes the reports' results. Alerts must not change what the check says: a failure to alert
/// is reported, and whatever was queued waits in the outbox for the next run.
fn alert(
    paths: &[PathBuf],
    reports: &[contrakt_check::CheckReport],
    at: i64,
    alerting: Alerting,
    format: CheckFormat,
    color: bool,
) {
    let routed = match alerting {
        Alerting::Notify(budget) => {
            contrakt_alert::run::notify_checks(paths, reports, at, budget).map(|notified| notified.summary())
        }
        Alerting::DryRun | Alerting::Off => {
            let _s = tracing::info_span!("alert").entered();
            let runs: Vec<_> = reports.iter().map(contrakt_alert::report::from_report).collect();
            crate::commands::alerts::load(paths, None, true).and_then(|mut loaded| {
                loaded.settings.stdout_to_stderr = true;
                contrakt_alert::explain(&runs, &loaded.registry(), &loaded.settings, at)
                    .map(|plans| crate::commands::alerts::dry_run(&plans, &loaded.settings))
            })
        }
    };
    match routed {
        // A dry run's payloads follow a text report; the summary of a real run, and payloads
        // after a JSON or XML report, go to stderr so stdout stays one document.
        Ok(text) if alerting == Alerting::DryRun && format == CheckFormat::Text => print(&text, false),
        Ok(text) => eprint!("{text}"),
        Err(e) => {
            crate::commands::alerts::fail(&e, color);
        }
    }
}

/// `history.path` of the registry's contrakt.yaml: a file relative to the registry root, or a
/// PostgreSQL URL (with `password-env`).
pub(crate) fn configured_store(roots: &[PathBuf]) -> Option<Location> {
    roots.iter().find_map(|root| {
        let file = root.join(contrakt_core::config::FILE_NAME);
        let config = registry::read_within(&file, root).and_then(contrakt_core::config::load).ok()?;
        let h = config.history?;
        match Location::parse(&h.path) {
            // contrakt.yaml may come from a pull request: its store stays inside the registry.
            Location::File(path) => match registry::path_within(root, &path) {
                Ok(inside) => Some(Location::File(inside)),
                Err(why) => {
                    eprintln!("warning: history.path in {}: {why}; no history is kept", file.display());
                    None
                }
            },
            server => {
                // The server is contrakt.yaml's, which a pull request can change: a password from
                // this job's environment (`password-env`, else PGPASSWORD) goes only to a host the
                // operator allows, as for a contract's warehouse.
                let env = h.password_env.clone().unwrap_or_else(|| "PGPASSWORD".into());
                // A password written in the URL is contrakt.yaml's own, not this job's.
                let has_password = h.path.contains("password=")
                    || h.path
                        .split_once("://")
                        .and_then(|(_, rest)| rest.split(['/', '?']).next()?.rsplit_once('@'))
                        .is_some_and(|(user, _)| user.contains(':'));
                let allow = std::env::var(contrakt_check::dataset::ALLOW_ENDPOINTS_ENV).unwrap_or_default();
                if !has_password
                    && std::env::var_os(&env).is_some()
                    && !contrakt_check::dataset::endpoint_allowed(&h.path, &allow)
                {
                    eprintln!(
                        "warning: history.path in {} names a PostgreSQL server that {} does not allow; {env} is not sent to a server chosen by contrakt.yaml, and no history is kept (allow its host:port, or give --history)",
                        file.display(),
                        contrakt_check::dataset::ALLOW_ENDPOINTS_ENV
                    );
                    return None;
                }
                Some(server.with_password_env(h.password_env))
            }
        }
    })
}

/// Judges each report's adaptive checks against the history, then records the run. History
/// never changes whether the data was checked: its failures are warnings on stderr.
fn record_history(
    location: &Location,
    documents: &[ContractDocument],
    reports: &mut [contrakt_check::CheckReport],
    partition: &str,
) {
    // Display leaves a URL's password out.
    let _s = tracing::info_span!("history", store = %location).entered();
    let mut store = match contrakt_history::Store::open_at(location) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("warning: history not recorded: {e}");
            return;
        }
    };
    for report in reports.iter_mut() {
        let Some(doc) = documents.iter().find(|d| d.contract.id == report.contract) else { continue };
        match contrakt_history::anomalies(doc, report, &store) {
            Ok(results) => contrakt_history::extend_report(report, results),
            Err(e) => eprintln!("warning: adaptive checks not judged: {e}"),
        }
        if let Err(e) = store.record(&contrakt_history::run_of_partition(report, partition)) {
            eprintln!("warning: history not recorded for {}: {e}", report.contract);
        }
    }
}

/// `[OBJECT=]URL` as given to `--data` (and `infer`): the object name, if any, and the URL.
///
/// The text before the first `=` names an object unless it holds a path or URL character
/// (`/`, `\`, `:`, `*`: `s3://…?x=y`, `./v=1`) or the whole text is an existing file or folder
/// (`v=20261122`, a release folder given as it is). Object names may hold dots (`my.items`,
/// as `import` names objects of a namespaced Avro schema); a name never holds `=`.
pub(crate) fn object_and_url(given: &str) -> (Option<&str>, &str) {
    match given.split_once('=') {
        Some((o, url)) if !o.is_empty() && !o.contains(['/', '\\', ':', '*']) && !Path::new(given).exists() => {
            (Some(o), url)
        }
        _ => (None, given),
    }
}

/// The folder a contract file is in: relative data paths resolve against it.
pub(crate) fn folder_of(file: impl AsRef<Path>) -> PathBuf {
    let dir = file.as_ref().parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir }
}

fn fatal(findings: &[Finding], color: bool) -> ExitStatus {
    for f in findings {
        if f.file.is_some() {
            print(&render_text(std::slice::from_ref(f), TextOptions { color }), color);
        } else {
            eprintln!("error[{}]: {}", f.code, f.message);
        }
    }
    ExitStatus::Error
}
