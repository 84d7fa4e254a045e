//! `contrakt infer DATA…`: a draft contract from data (profile in one scan, then suggest).
//!
//! Exit codes: 0 the contract was written, 2 the data could not be read or an option is wrong.

use std::path::Path;

use contrakt_check::parse_time;
use contrakt_core::Error;
use contrakt_workflow::infer::{Options, infer};

use crate::ExitStatus;
use crate::args::{GlobalArgs, InferArgs};
use crate::commands::print;

pub(crate) fn run(args: InferArgs, global: &GlobalArgs) -> Result<ExitStatus, Error> {
    let usage = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitStatus::Error)
    };
    let now = match args.now.as_deref() {
        Some(s) => match parse_time(s) {
            Some(t) => t,
            None => return usage(format!("--now: cannot read `{s}` as a time (use RFC 3339 or a date)")),
        },
        None => chrono::Utc::now(),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let contract_dir = match &args.output {
        Some(out) => out.parent().unwrap_or(Path::new(".")).to_path_buf(),
        None => cwd.clone(),
    };
    let options =
        Options { data: args.data, id: args.id, sample: args.sample, now, cwd, contract_dir, as_of: args.as_of };
    let mut spinner = None;
    let mut observe = |object: Option<&str>| match object {
        Some(o) => spinner = Some(crate::progress::spinner(&format!("profiling {o}"), global.quiet)),
        None => {
            if let Some(s) = spinner.take() {
                s.finish_and_clear();
            }
        }
    };
    let drafted = match infer(options, &mut observe) {
        Ok(d) => d,
        Err(e) => return usage(e.to_string()),
    };
    match &args.output {
        Some(out) => {
            if let Err(e) = std::fs::write(out, &drafted.yaml) {
                return usage(format!("cannot write {}: {e}", out.display()));
            }
            eprintln!("wrote {} ({} objects)", out.display(), drafted.objects);
        }
        None => print(&drafted.yaml, false),
    }
    Ok(ExitStatus::Success)
}
