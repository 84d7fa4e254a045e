//! `contrakt alerts route|list|retry`: tell the owners and consumers of failed checks.
//!
//! Exit codes: `route --explain` and `list` 0; `route` and `retry` 0 when every delivery of the
//! run was delivered, 1 when some are still pending (retried by the next run) or were given up
//! (`alerts list --failed`; `alerts retry`); `list --failed` 1 when there are dead letters; 2 the
//! registry, configuration or report could not be read.

use std::path::Path;
use std::time::Duration;

use contrakt_alert::explain;
use contrakt_alert::pipeline::CheckPlan;
use contrakt_alert::report::Run;
use contrakt_alert::{Settings, outbox};
use contrakt_core::Error;
use contrakt_workflow::alerts;
use contrakt_workflow::check::{Alerting, Alerts};
use serde_json::json;

use crate::ExitStatus;
use crate::args::{AlertsArgs, AlertsCommand, AlertsListArgs, AlertsRetryArgs, AlertsRouteArgs, OutputFormat};
use crate::commands::check::fail;
use crate::commands::print;

pub(crate) fn run(args: AlertsArgs, color: bool) -> Result<ExitStatus, Error> {
    let status = match args.command {
        AlertsCommand::Route(a) => route(a, color),
        AlertsCommand::List(a) => list(a),
        AlertsCommand::Retry(a) => retry(a),
    };
    Ok(status.unwrap_or_else(|e| fail(&e, color)))
}

fn read_report(path: &Path) -> Result<Vec<Run>, contrakt_alert::Error> {
    let name = path.display().to_string();
    let text = if name == "-" { std::io::read_to_string(std::io::stdin()) } else { std::fs::read_to_string(path) }
        .map_err(|source| contrakt_alert::Error::Io { path: path.to_path_buf(), source })?;
    contrakt_alert::report::parse(&name, &text)
}

fn route(args: AlertsRouteArgs, color: bool) -> Result<ExitStatus, contrakt_workflow::Error> {
    let now = match args.now.as_deref().map(|s| (s, explain::parse_time(s))) {
        Some((s, None)) => {
            eprintln!("error: --now: cannot read `{s}` as a time (use RFC 3339, e.g. 2026-11-22T06:00:00Z, or a date)");
            return Ok(ExitStatus::Error);
        }
        Some((_, Some(t))) => t,
        None => outbox::now_ms(),
    };
    let Some(budget) = budget(args.delivery.deliver_for) else { return Ok(ExitStatus::Error) };
    let state = args.delivery.state.as_deref();
    // The registry is read before the report: its problems come first.
    let routes = alerts::Routes::open(&args.paths, state)?;
    let runs = read_report(&args.report)?;
    let alerting = if args.explain { Alerting::DryRun } else { Alerting::Notify(budget) };
    match routes.route(&runs, now, alerting)? {
        Alerts::Planned { plans, .. } => {
            match args.format {
                OutputFormat::Text => print(&explain::text(&plans), color),
                OutputFormat::Json => print(&json_out(&json!({"version": 1, "checks": plans})), false),
            }
            Ok(ExitStatus::Success)
        }
        Alerts::Notified(notified) => {
            let text = match args.format {
                OutputFormat::Text => notified.summary(),
                OutputFormat::Json => json_out(&json!({
                    "version": 1,
                    "recorded": notified.recorded,
                    "delivered": notified.delivered,
                    "dead_letters": notified.dead_letters.len()
                })),
            };
            print(&text, color);
            Ok(if notified.all_delivered() { ExitStatus::Success } else { ExitStatus::Failure })
        }
    }
}

/// `run --dry-run-alerts`: every delivery the results call for, with its payload as the
/// channel would send it (secrets left out). Nothing is sent or recorded.
pub(crate) fn dry_run(plans: &[CheckPlan], settings: &Settings) -> String {
    let mut out = String::new();
    let mut n = 0;
    for a in plans.iter().flat_map(|p| &p.alerts) {
        for d in &a.deliveries {
            let Some(channel) = settings.channel(&d.channel) else { continue };
            n += 1;
            let held =
                d.held_until.map(|h| format!(", held until {} (quiet hours)", explain::rfc3339(h))).unwrap_or_default();
            out.push_str(&format!(
                "── {} ({}) · {} · route {}{held}\n",
                channel.name,
                channel.kind.as_str(),
                a.alert.audience_str(),
                d.route
            ));
            match contrakt_alert::channel::preview(channel, &a.alert, "(dry run)") {
                serde_json::Value::String(text) => out.push_str(&text),
                payload => out.push_str(&json_out(&payload)),
            }
        }
    }
    out.push_str(&format!("dry run: {n} payloads, nothing sent or recorded\n"));
    out
}

fn list(args: AlertsListArgs) -> Result<ExitStatus, contrakt_workflow::Error> {
    if args.incidents {
        let incidents = alerts::incidents(&args.paths, args.state.as_deref())?;
        match args.format {
            OutputFormat::Json => print(&json_out(&json!({"version": 1, "incidents": incidents})), false),
            OutputFormat::Text => {
                let mut out = String::new();
                for i in &incidents {
                    out.push_str(&format!(
                        "{} {:<8} {:<7} {} {} ({}): {} failing runs, {} alerts, opened {}, last seen {}\n",
                        i.fingerprint,
                        i.state,
                        i.severity,
                        i.contract,
                        i.check,
                        i.object,
                        i.occurrences,
                        i.alerts,
                        explain::rfc3339(i.opened_at),
                        explain::rfc3339(i.last_seen)
                    ));
                }
                let open = incidents.iter().filter(|i| i.state == "open").count();
                out.push_str(&format!("{} incidents, {open} open\n", incidents.len()));
                print(&out, false);
            }
        }
        return Ok(ExitStatus::Success);
    }
    let rows = alerts::deliveries(&args.paths, args.state.as_deref(), args.failed)?;
    match args.format {
        OutputFormat::Json => print(&json_out(&json!({"version": 1, "deliveries": rows})), false),
        OutputFormat::Text => {
            let mut out = String::new();
            for r in &rows {
                out.push_str(&format!(
                    "#{:<4} {:<9} {:<12} {:<8} {:<9} attempts {}  {}\n",
                    r.id, r.state, r.channel, r.event, r.audience, r.attempts, r.title
                ));
                if let Some(e) = r.last_error.as_deref().filter(|_| r.state != "delivered") {
                    out.push_str(&format!("      last error: {e}\n"));
                }
            }
            out.push_str(&format!(
                "{} {}{}\n",
                rows.len(),
                if rows.len() == 1 { "delivery" } else { "deliveries" },
                if args.failed { " given up" } else { "" }
            ));
            print(&out, false);
        }
    }
    Ok(if args.failed && !rows.is_empty() { ExitStatus::Failure } else { ExitStatus::Success })
}

fn retry(args: AlertsRetryArgs) -> Result<ExitStatus, contrakt_workflow::Error> {
    let Some(budget) = budget(args.delivery.deliver_for) else { return Ok(ExitStatus::Error) };
    let (requeued, d) = alerts::retry(&args.paths, args.delivery.state.as_deref(), &args.id, budget)?;
    match args.format {
        OutputFormat::Json => {
            print(&json_out(&json!({"version": 1, "requeued": requeued, "delivered": d})), false);
        }
        OutputFormat::Text => print(
            &format!(
                "requeued {requeued}; delivered {}, failed attempts {}, given up {}, still pending {}\n",
                d.delivered, d.retried, d.dead, d.pending
            ),
            false,
        ),
    }
    Ok(if d.pending > 0 || d.dead > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}

/// The delivery budget of `--deliver-for`. Its parser already bounds it (at most 3650 days,
/// through `contrakt_core::duration`), so this cannot fail any more; the `Option` stays for
/// its callers.
pub(crate) fn budget(deliver_for: Duration) -> Option<Duration> {
    Some(deliver_for)
}

fn json_out(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}
