//! `contrakt history [CONTRACT]` reads recorded metrics back; `contrakt history annotate`
//! marks an expected event ([`contrakt_workflow::history`]). Exit codes: 0 done, 2 no store or
//! a bad option.

use chrono::{DateTime, Utc};
use contrakt_check::parse_time;
use contrakt_core::Error;
use contrakt_history::{Point, PublishEvent};
use contrakt_workflow::history::{self, Annotation, Filter, store_location};

use crate::ExitStatus;
use crate::args::{AnnotateArgs, HistoryAction, HistoryArgs, HistoryFormat};
use crate::commands::print;

pub(crate) fn run(args: HistoryArgs) -> Result<ExitStatus, Error> {
    if let Some(HistoryAction::Annotate(a)) = args.action {
        return Ok(annotate(a));
    }
    let since = match args.since.as_deref().map(|s| (s, parse_time(s))) {
        Some((s, None)) => return Ok(usage(&format!("--since: cannot read `{s}` as a time"))),
        Some((_, t)) => t,
        None => None,
    };
    let location = store_location(args.store.as_deref());
    let filter = Filter { contract: args.contract, object: args.object, metric: args.metric, since };
    let text = if args.events {
        let events = match history::events(&location, &filter) {
            Ok(e) => e,
            Err(e) => return Ok(usage(&e.to_string())),
        };
        match args.format {
            HistoryFormat::Json => format!("{}\n", serde_json::to_string_pretty(&events).unwrap_or_default()),
            HistoryFormat::Csv => events_csv(&events),
            HistoryFormat::Text => events_table(&events),
        }
    } else {
        let points = match history::points(&location, &filter) {
            Ok(p) => p,
            Err(e) => return Ok(usage(&e.to_string())),
        };
        match args.format {
            HistoryFormat::Json => format!("{}\n", serde_json::to_string_pretty(&points).unwrap_or_default()),
            HistoryFormat::Csv => csv(&points),
            HistoryFormat::Text => table(&points),
        }
    };
    print(&text, false);
    Ok(ExitStatus::Success)
}

fn usage(message: &str) -> ExitStatus {
    eprintln!("error: {message}");
    ExitStatus::Error
}

fn annotate(a: AnnotateArgs) -> ExitStatus {
    let Some(from) = parse_time(&a.from) else { return usage(&format!("--from: cannot read `{}` as a time", a.from)) };
    let to: DateTime<Utc> = match a.to.as_deref() {
        Some(t) => match parse_time(t) {
            Some(t) => t,
            None => return usage(&format!("--to: cannot read `{t}` as a time")),
        },
        // A date names a whole day.
        None if a.from.len() == 10 => from + chrono::Duration::days(1) - chrono::Duration::microseconds(1),
        None => from,
    };
    let annotation =
        Annotation { contract: a.contract, object: a.object, metric: a.metric, from, to, note: a.note.clone() };
    match history::annotate(&store_location(a.store.as_deref()), &annotation) {
        Ok((id, contract)) => {
            print(&format!("annotation {id}: {contract} from {from} to {to} is expected: {}\n", a.note), false);
            ExitStatus::Success
        }
        Err(e) => usage(&e.to_string()),
    }
}

/// A CSV field, quoted when it must be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn csv(points: &[Point]) -> String {
    let mut out =
        String::from("at,contract,contract_version,object,property,metric,partition,value,run_id,expected,segment\n");
    for p in points {
        let row = [
            field(&p.at),
            field(&p.contract),
            field(&p.contract_version),
            field(&p.object),
            field(&p.property),
            field(&p.metric),
            field(&p.partition),
            p.value.to_string(),
            p.run_id.to_string(),
            field(p.expected.as_deref().unwrap_or("")),
            field(&p.segment),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn table(points: &[Point]) -> String {
    if points.is_empty() {
        return "no recorded metrics match\n".into();
    }
    let mut out = String::new();
    for p in points {
        let mut what = if p.property.is_empty() { p.metric.clone() } else { format!("{} ({})", p.metric, p.property) };
        if !p.segment.is_empty() {
            what = format!("{what} [{}]", p.segment);
        }
        let note = p.expected.as_deref().map(|n| format!("  expected: {n}")).unwrap_or_default();
        out.push_str(&format!(
            "{}  {}  {:<14} {:<44} {:>14}{note}\n",
            &p.at[..19],
            p.contract,
            p.object,
            what,
            p.value
        ));
    }
    out
}

fn events_csv(events: &[PublishEvent]) -> String {
    let mut out = String::from(
        "at,contract,contract_version,object,event,run_id,from_version,to_version,staged,target,failed,warned,errors,reason,id\n",
    );
    let opt = |s: &Option<String>| field(s.as_deref().unwrap_or(""));
    for e in events {
        let row = [
            field(&e.at),
            field(&e.contract),
            field(&e.contract_version),
            field(&e.object),
            e.kind.as_str().to_string(),
            field(&e.run_id),
            opt(&e.from_version),
            opt(&e.to_version),
            opt(&e.staged),
            field(&e.target),
            e.failed.to_string(),
            e.warned.to_string(),
            e.errors.to_string(),
            opt(&e.reason),
            e.id.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn events_table(events: &[PublishEvent]) -> String {
    if events.is_empty() {
        return "no recorded publish events match\n".into();
    }
    let none = || "nothing".to_string();
    let mut out = String::new();
    for e in events {
        let what = match e.kind {
            contrakt_history::EventKind::Refuse => format!(
                "refused   {} ({} failed, {} warned, {} could not run); still serving {}",
                e.reason.as_deref().unwrap_or("not published"),
                e.failed,
                e.warned,
                e.errors,
                e.from_version.clone().unwrap_or_else(none)
            ),
            kind => format!(
                "{:<9} {} -> {}",
                if kind == contrakt_history::EventKind::Publish { "published" } else { "rollback" },
                e.from_version.clone().unwrap_or_else(none),
                e.to_version.clone().unwrap_or_else(none)
            ),
        };
        out.push_str(&format!("{}  {}  {:<14} {what}  ({})\n", &e.at[..19], e.contract, e.object, e.target));
    }
    out
}
