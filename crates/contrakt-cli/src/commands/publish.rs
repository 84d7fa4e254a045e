//! `contrakt publish CONTRACT --staged PATH|URL --to PATH|URL`: write-audit-publish
//! ([`contrakt_workflow::publish`]). The staged data is checked with the contract (optionally a
//! canary fraction first); only a passing audit makes it the published release of the folder or
//! `s3://` prefix. `--rollback` points it back at its previous one.
//!
//! Exit codes: 0 published (or rolled back), 1 the audit failed and nothing was published,
//! 2 the run could not happen (bad contract, unreadable data, a usage error, a failed move, or
//! an Iceberg or S3 target that another writer changed between the audit and the commit).

use contrakt_check::parse_time;
use contrakt_core::{Error, Level};
use contrakt_report::{CheckTextOptions, check_to_json, check_to_junit, check_to_markdown, check_to_text};
use contrakt_workflow::check::{Alerting, Alerts, History};
use contrakt_workflow::publish::{self, Options, Outcome, Publish, RollbackOptions, Step};
use contrakt_workflow::{Location, Registry};
use serde_json::json;

use crate::ExitStatus;
use crate::args::{CheckFormat, GlobalArgs, PublishArgs};
use crate::commands::check::fail;
use crate::commands::print;

pub(crate) fn run(args: PublishArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let history = match (&args.history, args.no_history) {
        (_, true) => History::Off,
        (Some(path), false) => History::At(Location::from_path(path)),
        (None, false) => History::Configured,
    };
    if args.rollback {
        let options = RollbackOptions { object: args.object.clone(), history, cwd: None };
        return Ok(match publish::rollback(&args.to, options) {
            Ok(back) => {
                warn(&back.warnings);
                let current = back.pointer.current;
                print(&format!("rolled back {}: readers now get {current}\n", args.to.display()), false);
                ExitStatus::Success
            }
            Err(e) => fail(&e, color),
        });
    }
    let (Some(contract), Some(staged)) = (args.contract.as_deref(), args.staged.as_deref()) else {
        return Ok(usage("a contract and --staged are required (or --rollback)"));
    };
    let now = match args.now.as_deref() {
        Some(s) => match parse_time(s) {
            Some(t) => Some(t),
            None => return Ok(usage(&format!("--now: cannot read `{s}` as a time (use RFC 3339 or a date)"))),
        },
        None => None,
    };
    let registry = match Registry::open(contract) {
        Ok(r) => r,
        Err(e) => {
            // One line per problem, as publish always said them.
            let findings = e.findings();
            if findings.is_empty() {
                eprintln!("error[E001]: {} names 0 contracts; publish audits one", contract.display());
            }
            for f in findings {
                eprintln!("error[{}]: {}", f.code, f.message);
            }
            return Ok(ExitStatus::Error);
        }
    };
    let options = Options {
        object: args.object.clone(),
        canary: args.canary,
        now,
        keep: args.keep,
        fail_on: args.fail_on.level(),
        history,
        alerts: if args.notify { Alerting::Notify(publish::DELIVERY_BUDGET) } else { Alerting::Off },
        // Relative to where the operator is, like --staged.
        quarantine: args.quarantine.as_ref().map(|location| contrakt_check::Quarantine {
            location: match location.contains("://") {
                true => location.clone(),
                false => std::path::absolute(location).map_or_else(|_| location.clone(), |p| p.display().to_string()),
            },
            rows: match args.quarantine_rows {
                crate::args::QuarantineRowsArg::Keys => contrakt_check::QuarantineRows::Keys,
                crate::args::QuarantineRowsArg::Full => contrakt_check::QuarantineRows::Full,
            },
            run: None,
        }),
        ..Options::new(staged, &args.to)
    };
    let mut spinner = None;
    let mut observe = |step: Step<'_>| match step {
        Step::Canary { object, fraction } => {
            spinner =
                Some(crate::progress::spinner(&format!("canary: {}% of {object}", fraction * 100.0), global.quiet));
        }
        Step::Audit { object } => spinner = Some(crate::progress::spinner(&format!("auditing {object}"), global.quiet)),
        Step::Checked => {
            if let Some(s) = spinner.take() {
                s.finish_and_clear();
            }
        }
    };
    let done = match publish::publish_observed(&registry, options, &mut observe) {
        Ok(done) => done,
        Err(e) => return Ok(fail(&e, color)),
    };
    warn(&done.warnings);
    let status = render(&done, &args, color);
    // A failure to alert is reported and changes nothing else.
    match &done.alerts {
        Some(Ok(Alerts::Notified(notified))) => eprint!("{}", notified.summary()),
        Some(Ok(Alerts::Planned { plans, settings })) => {
            eprint!("{}", crate::commands::alerts::dry_run(plans, settings));
        }
        Some(Err(e)) => {
            fail(e, color);
        }
        None => {}
    }
    Ok(status)
}

fn usage(message: &str) -> ExitStatus {
    eprintln!("error: {message}");
    ExitStatus::Error
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn render(done: &Publish, args: &PublishArgs, color: bool) -> ExitStatus {
    let to = args.to.display();
    let staged = args.staged.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
    let line = match &done.outcome {
        Outcome::Published { current, previous } => format!(
            "published {to}{}{current}{}{}\n",
            // A table's release is a version or snapshot of it, not a folder.
            if current.starts_with("version ") || current.starts_with("snapshot ") {
                ": readers now get "
            } else {
                "/"
            },
            previous
                .as_ref()
                .map(|p| format!(" (previous: {p}; `contrakt publish --rollback --to {to}` returns to it)"))
                .unwrap_or_default(),
            done.partial
                .as_ref()
                .map(|p| format!(
                    "\n  partial: {} rows published; {} failing rows held back in {}",
                    p.published_rows, p.quarantine.rows, p.quarantine.location
                ))
                .unwrap_or_default()
        ),
        Outcome::Refused { why, serving } => format!(
            "not published: {why}; {to} still serves {}; the staged data stays at {staged}\n",
            serving.as_deref().unwrap_or("nothing")
        ),
        Outcome::Failed { why, serving } => {
            return usage(&format!("{why}; readers still get {}", serving.as_deref().unwrap_or("nothing")));
        }
    };
    let reports = std::slice::from_ref(&done.report);
    let fail_on: Level = args.fail_on.level();
    match args.format {
        CheckFormat::Json => {
            let check: serde_json::Value = serde_json::from_str(&check_to_json(reports, fail_on)).unwrap_or_default();
            let current = match &done.outcome {
                Outcome::Published { current, .. } => Some(current.clone()),
                Outcome::Refused { serving, .. } | Outcome::Failed { serving, .. } => serving.clone(),
            };
            let mut v = json!({"version": 1, "published": done.published(), "target": args.to, "current": current, "check": check});
            if let (Some(p), Some(o)) = (&done.partial, v.as_object_mut()) {
                o.insert(
                    "partial".into(),
                    json!({"published_rows": p.published_rows, "quarantined_rows": p.quarantine.rows, "quarantine": p.quarantine.location, "max_failing_fraction": p.max_failing_fraction}),
                );
            }
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
    if done.published() { ExitStatus::Success } else { ExitStatus::Failure }
}
