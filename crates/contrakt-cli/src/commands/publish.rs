//! `contrakt publish CONTRACT --staged PATH --to PATH`: write-audit-publish. The staged data is
//! checked with the contract (optionally a canary fraction first); only a passing audit makes
//! it the folder's published release. `--rollback` points the folder back at its previous one.
//!
//! Exit codes: 0 published (or rolled back), 1 the audit failed and nothing was published,
//! 2 the run could not happen (bad contract, unreadable data, a usage error, a failed move).

use std::path::Path;
use std::sync::Arc;

use contrakt_check::{CheckOptions, CheckReport, Checker, parse_time};
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::registry;
use contrakt_core::{Error, Finding, Level};
use contrakt_publish::Release;
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
    if args.rollback {
        return match contrakt_publish::rollback(&args.to, &stamp) {
            Ok(p) => {
                let entry = json!({"event": "rollback", "at": stamp, "current": p.current, "history": p.history});
                if let Err(e) = contrakt_publish::log(&args.to, &entry) {
                    eprintln!("warning: {e}");
                }
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
    let (doc, others) = match load(contract_path) {
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
    let cwd = std::env::current_dir().unwrap_or_default();
    let staged_abs = cwd.join(staged);
    let options = CheckOptions {
        data: vec![(Some(object.clone()), staged_abs.to_string_lossy().into_owned())],
        objects: vec![object.clone()],
        now,
        base_dir: crate::commands::check::folder_of(contract_path),
        registry: others,
        ..CheckOptions::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage(format!("cannot start the query runtime: {e}")),
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
            "contract_version": doc.contract.version, "object": object, "staged": staged_abs,
        });
        if let Some(r) = report {
            entry["summary"] = serde_json::to_value(&r.summary).unwrap_or_default();
        }
        if let (Some(e), Some(x)) = (entry.as_object_mut(), extra.as_object()) {
            e.extend(x.clone());
        }
        if let Err(e) = contrakt_publish::log(&args.to, &entry) {
            eprintln!("warning: {e}");
        }
    };
    let serving = || contrakt_publish::read_pointer(&args.to).ok().flatten().map(|p| p.current);
    let at = now.map_or_else(|| wall.timestamp_millis(), |t| t.timestamp_millis());

    if let Some(fraction) = args.canary {
        let canary = CheckOptions { filter: Some(format!("random() < {fraction}")), ..options.clone() };
        let spinner = crate::progress::spinner(&format!("canary: {}% of {object}", fraction * 100.0), global.quiet);
        let result = runtime.block_on(checker.check(&doc, &canary));
        spinner.finish_and_clear();
        match result {
            Ok(mut report) => {
                report.results.retain(|r| !WHOLE_DATA_CHECKS.contains(&r.code));
                if report.fails_at(fail_on) {
                    log("canary-failed", Some(&report), json!({"canary": fraction}));
                    let outcome = Outcome::Refused {
                        why: format!("the canary ({} of the rows) already fails", fraction),
                        serving: serving(),
                    };
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
        let outcome = Outcome::Refused { why: "the audit failed".into(), serving: serving() };
        let status = render(&report, &outcome, &args, fail_on, color);
        notify(&report, contract_path, &args, &outcome, at, color);
        return Ok(status);
    }
    let release = Release {
        staged: &staged_abs,
        target: &args.to,
        run_id: &run_id,
        contract: &doc.contract.id,
        contract_version: &doc.contract.version,
        now: &stamp,
        keep: args.keep,
    };
    match contrakt_publish::publish(&release) {
        Ok(p) => {
            log("published", Some(&report), json!({"current": p.current, "history": p.history}));
            let outcome = Outcome::Published { current: p.current, previous: p.history.first().cloned() };
            let status = render(&report, &outcome, &args, fail_on, color);
            notify(&report, contract_path, &args, &outcome, at, color);
            Ok(status)
        }
        Err(e) => {
            log("publish-failed", Some(&report), json!({"error": e.to_string()}));
            usage(format!(
                "the audit passed but publishing failed: {e}; readers still get {}",
                serving().unwrap_or_else(|| "nothing".into())
            ))
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

/// The contract, and the other contracts of its registry (for references into them).
fn load(path: &Path) -> Result<(ContractDocument, Vec<Arc<ContractDocument>>), Vec<Finding>> {
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
    Ok((doc, others))
}
