//! `contrakt check [PATHS] [--data OBJECT=URL]…`: the post-publish checker; and `contrakt run`,
//! the cron job: the same check with its alerts always on.
//!
//! Exit codes: 0 every check passed (or failed below `--fail-on`), 1 a check failed at or above
//! `--fail-on` or could not run, 2 the run could not happen (unreadable contract, no data).

use crate::ExitStatus;
use crate::args::{CheckArgs, CheckCommonArgs, CheckFormat, GlobalArgs, RunArgs};
use crate::commands::print;
use contrakt_check::{CheckOptions, Engine, parse_time};
use contrakt_core::Finding;
use contrakt_report::{
    CheckTextOptions, TextOptions, check_to_json, check_to_junit, check_to_markdown, check_to_text, render_text,
};
use contrakt_workflow::check::{Alerting, Alerts, History, Options, Plan, Step, object_and_url};
use contrakt_workflow::{Error, Location, Registry};
pub(crate) fn run(args: CheckArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, contrakt_core::Error> {
    let alerting =
        if args.notify { Alerting::Notify(contrakt_alert::run::CHECK_DELIVERY_BUDGET) } else { Alerting::Off };
    Ok(check(args.check, alerting, global, color))
}
/// `contrakt run`: `check` (which records the history when contrakt.yaml names a store) with
/// the alerts always on; the exit code is the check's whatever became of the deliveries.
pub(crate) fn cron(args: RunArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, contrakt_core::Error> {
    let Some(budget) = crate::commands::alerts::budget(args.deliver_for) else { return Ok(ExitStatus::Error) };
    let alerting = if args.dry_run_alerts { Alerting::DryRun } else { Alerting::Notify(budget) };
    Ok(check(args.check, alerting, global, color))
}
fn check(args: CheckCommonArgs, alerting: Alerting, global: &GlobalArgs, color: bool) -> ExitStatus {
    let options = match options(&args, alerting) {
        Ok(o) => o,
        Err(m) => return usage(&m),
    };
    let registry = match Registry::open_all(&args.paths) {
        Ok(r) => r,
        Err(e) => return fail(&e, color),
    };
    let plan = if args.emit_sql {
        Some(Plan::Sql)
    } else if args.explain {
        Some(Plan::Explain)
    } else {
        None
    };
    if let Some(what) = plan {
        let planned = match contrakt_workflow::check::plan(&registry, options, what) {
            Ok(p) => p,
            Err(e) => return fail(&e, color),
        };
        let ids = registry.contracts().iter().map(|d| &d.contract.id);
        let mut failed = false;
        for ((file, text), id) in planned.into_iter().zip(ids) {
            match text {
                Ok(text) if what == Plan::Sql => print(&text, false),
                Ok(text) => print(&format!("# {id}\n\n{text}"), false),
                Err(e) => {
                    eprintln!("error: {file}: {e}");
                    failed = true;
                }
            }
        }
        return if failed { ExitStatus::Error } else { ExitStatus::Success };
    }
    let mut spinner = None;
    let mut observe = |step: Step<'_>| match step {
        Step::Checking(id) => spinner = Some(crate::progress::spinner(&format!("checking {id}"), global.quiet)),
        Step::Checked(_) => {
            if let Some(s) = spinner.take() {
                s.finish_and_clear();
            }
        }
    };
    let checked = match contrakt_workflow::check::check_observed(&registry, options, &mut observe) {
        Ok(c) => c,
        Err(e) => return fail(&e, color),
    };
    for (file, e) in &checked.failed {
        eprintln!("error: {file}: {e}");
    }
    for w in &checked.warnings {
        eprintln!("warning: {w}");
    }
    let reports = &checked.reports;
    let fail_on = args.fail_on.level();
    let text = match args.format {
        CheckFormat::Text => check_to_text(reports, CheckTextOptions { color, show_passed: args.show_passed }),
        CheckFormat::Json => check_to_json(reports, fail_on),
        CheckFormat::Markdown => check_to_markdown(reports, fail_on),
        CheckFormat::Junit => check_to_junit(reports),
    };
    if !reports.is_empty() {
        print(&text, color);
    }
    // Alerts must not change what the check says: a failure to alert is reported, and whatever
    // was queued waits in the outbox for the next run.
    match checked.alerts {
        // A dry run's payloads follow a text report; the summary of a real run, and payloads
        // after a JSON or XML report, go to stderr so stdout stays one document.
        Some(Ok(Alerts::Planned { plans, settings })) => {
            let text = crate::commands::alerts::dry_run(&plans, &settings);
            if args.format == CheckFormat::Text { print(&text, false) } else { eprint!("{text}") }
        }
        Some(Ok(Alerts::Notified(notified))) => eprint!("{}", notified.summary()),
        Some(Err(e)) => {
            fail(&e, color);
        }
        None => {}
    }
    if !checked.failed.is_empty() && (reports.is_empty() || !args.exit_zero) {
        ExitStatus::Error
    } else if !args.exit_zero && reports.iter().any(|r| r.fails_at(fail_on)) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
/// The workflow's options from the command's arguments; `Err` says which argument is unusable.
fn options(args: &CheckCommonArgs, alerting: Alerting) -> Result<Options, String> {
    let now = match args.now.as_deref() {
        Some(s) => Some(parse_time(s).ok_or_else(|| {
            format!("--now: cannot read `{s}` as a time (use RFC 3339, e.g. 2025-06-01T00:00:00Z, or a date)")
        })?),
        None => None,
    };
    let mut partitions = Vec::new();
    for p in &args.partition {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => partitions.push((k.to_string(), v.to_string())),
            _ => return Err(format!("--partition: expected KEY=VALUE, found `{p}`")),
        }
    }
    let data = args
        .data
        .iter()
        .map(|d| {
            let (object, url) = object_and_url(d);
            (object.map(str::to_string), url.to_string())
        })
        .collect();
    let engine = Engine::parse(&args.engine).map_err(|e| e.to_string())?;
    let history = match (&args.history, args.no_history) {
        (_, true) => History::Off,
        (Some(path), false) => History::At(Location::from_path(path)),
        (None, false) => History::Configured,
    };
    let check = CheckOptions {
        data,
        server: args.server.clone(),
        objects: args.object.clone(),
        now,
        sample: args.sample,
        unmask: args.unmask,
        filter: args.filter.clone(),
        partitions,
        as_of: args.as_of,
        // Every query is bounded: by --timeout, else by the default (an hour).
        timeout: Some(args.timeout.unwrap_or(contrakt_check::DEFAULT_TIMEOUT)),
        // The operator typed --data where they are.
        data_dir: std::env::current_dir().ok(),
        quarantine: args.quarantine.as_ref().map(|location| contrakt_check::Quarantine {
            location: location.clone(),
            rows: match args.quarantine_rows {
                crate::args::QuarantineRowsArg::Keys => contrakt_check::QuarantineRows::Keys,
                crate::args::QuarantineRowsArg::Full => contrakt_check::QuarantineRows::Full,
            },
            run: args.quarantine_run.clone(),
        }),
        ..CheckOptions::default()
    };
    Ok(Options {
        check,
        engine,
        memory_limit: args.memory_limit,
        memory_budget: args.memory_budget,
        history,
        alerts: alerting,
    })
}
fn usage(message: &str) -> ExitStatus {
    eprintln!("error: {message}");
    ExitStatus::Error
}
/// Registry problems render located, like lint findings; the rest as `error: …` with causes.
pub(crate) fn fail(e: &Error, color: bool) -> ExitStatus {
    match e {
        Error::Registry(_) | Error::Io { .. } => fatal(&e.findings(), color),
        Error::NoContracts(_)
        | Error::Usage(_)
        | Error::Check(_)
        | Error::Publish(_)
        | Error::Convert(_)
        | Error::History(_)
        | Error::Runtime(_) => usage(&e.to_string()),
        other => {
            eprintln!("error: {other}");
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitStatus::Error
        }
    }
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
