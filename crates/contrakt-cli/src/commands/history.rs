//! `contrakt history [CONTRACT]` reads recorded metrics back; `contrakt history annotate`
//! marks an expected event. Exit codes: 0 done, 2 no store or a bad option.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use contrakt_check::parse_time;
use contrakt_core::Error;
use contrakt_history::{Location, Point, Query, Store};

use crate::ExitStatus;
use crate::args::{AnnotateArgs, HistoryAction, HistoryArgs, HistoryFormat};
use crate::commands::print;

const DEFAULT_STORE: &str = ".contrakt/history.db";

pub(crate) fn run(args: HistoryArgs) -> Result<ExitStatus, Error> {
    if let Some(HistoryAction::Annotate(a)) = args.action {
        return annotate(a);
    }
    let usage = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitStatus::Error)
    };
    let since = match args.since.as_deref().map(|s| (s, parse_time(s))) {
        Some((s, None)) => return usage(format!("--since: cannot read `{s}` as a time")),
        Some((_, t)) => t,
        None => None,
    };
    let location = store_location(args.store.as_deref());
    if let Location::File(path) = &location
        && !path.exists()
    {
        return usage(format!("no history store at {} (run `contrakt check --history {0}` first)", path.display()));
    }
    let store = match Store::open_at(&location) {
        Ok(s) => s,
        Err(e) => return usage(e.to_string()),
    };
    let query =
        Query { contract: args.contract.as_deref().map(contract_id), object: args.object, metric: args.metric, since };
    let points = match store.points(&query) {
        Ok(p) => p,
        Err(e) => return usage(e.to_string()),
    };
    let text = match args.format {
        HistoryFormat::Json => format!("{}\n", serde_json::to_string_pretty(&points).unwrap_or_default()),
        HistoryFormat::Csv => csv(&points),
        HistoryFormat::Text => table(&points),
    };
    print(&text, false);
    Ok(ExitStatus::Success)
}

fn annotate(a: AnnotateArgs) -> Result<ExitStatus, Error> {
    let usage = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitStatus::Error)
    };
    let Some(from) = parse_time(&a.from) else { return usage(format!("--from: cannot read `{}` as a time", a.from)) };
    let to: DateTime<Utc> = match a.to.as_deref() {
        Some(t) => match parse_time(t) {
            Some(t) => t,
            None => return usage(format!("--to: cannot read `{t}` as a time")),
        },
        // A date names a whole day.
        None if a.from.len() == 10 => from + chrono::Duration::days(1) - chrono::Duration::microseconds(1),
        None => from,
    };
    if to < from {
        return usage("--to is before --from".into());
    }
    let mut store = match Store::open_at(&store_location(a.store.as_deref())) {
        Ok(s) => s,
        Err(e) => return usage(e.to_string()),
    };
    let contract = contract_id(&a.contract);
    match store.annotate(&contract, a.object.as_deref(), a.metric.as_deref(), from, to, &a.note) {
        Ok(id) => {
            print(&format!("annotation {id}: {contract} from {from} to {to} is expected: {}\n", a.note), false);
            Ok(ExitStatus::Success)
        }
        Err(e) => usage(e.to_string()),
    }
}

/// `--store` (a file or a `postgres://` URL), else `history.path` of ./contrakt.yaml, else the
/// default file.
fn store_location(explicit: Option<&Path>) -> Location {
    explicit
        .map(Location::from_path)
        .or_else(|| crate::commands::check::configured_store(&[PathBuf::from(".")]))
        .unwrap_or_else(|| Location::File(PathBuf::from(DEFAULT_STORE)))
}

/// A contract file names its contract by id; anything else is an id.
fn contract_id(s: &str) -> String {
    let path = Path::new(s);
    if path.is_file()
        && let Ok(doc) = contrakt_core::registry::read_source(path).and_then(contrakt_core::odcs::load)
    {
        return doc.contract.id;
    }
    s.to_string()
}

fn csv(points: &[Point]) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut out = String::from("at,contract,contract_version,object,property,metric,partition,value,run_id,expected\n");
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
        let what = if p.property.is_empty() { p.metric.clone() } else { format!("{} ({})", p.metric, p.property) };
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
