//! `contrakt report [PATHS] -o DIR`: the registry as a static HTML site
//! ([`contrakt_workflow::report`] gathers and writes it).
//!
//! Exit codes: 0 the site was written, 2 the registry, a store or the folder could not be read
//! or written.

use contrakt_check::parse_time;
use contrakt_core::Error;
use contrakt_workflow::report::{Options, report};

use crate::ExitStatus;
use crate::args::ReportArgs;
use crate::commands::check::fail;

pub(crate) fn run(args: ReportArgs, color: bool) -> Result<ExitStatus, Error> {
    let now = match args.now.as_deref().map(|s| (s, parse_time(s))) {
        Some((s, None)) => {
            eprintln!("error: --now: cannot read `{s}` as a time (RFC 3339 or a date)");
            return Ok(ExitStatus::Error);
        }
        Some((_, t)) => t,
        None => None,
    };
    let options = Options {
        output: args.output,
        history: args.history,
        alerts_state: args.alerts_state,
        now,
        runs: args.runs,
        commits: args.commits,
        title: args.title,
    };
    let written = match report(&args.paths, &options) {
        Ok(w) => w,
        Err(e) => return Ok(fail(&e, color)),
    };
    crate::commands::print(
        &format!(
            "wrote {} ({} contracts, {} failing in their latest run; {} files)\n",
            written.index.display(),
            written.contracts,
            written.failing,
            written.files
        ),
        false,
    );
    Ok(ExitStatus::Success)
}
