//! `contrakt export CONTRACT --to LANGUAGE`: a contract's schema in another language
//! ([`contrakt_workflow::convert::export`]).

use contrakt_core::Error;
use contrakt_workflow::convert::export;

use crate::ExitStatus;
use crate::args::{ExportArgs, GlobalArgs};
use crate::commands::print;

pub(crate) fn run(args: ExportArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    if args.to.is_binary() && args.output.is_none() {
        eprintln!("error: {} is a binary file: name it with -o", args.to);
        return Ok(ExitStatus::Error);
    }
    let exported = match export(&args.contract, args.to, args.object.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    if !global.quiet {
        for w in &exported.warnings {
            eprintln!("warning: {w}");
        }
    }
    match &args.output {
        Some(out) => {
            if let Err(e) = std::fs::write(out, &exported.content) {
                eprintln!("error: cannot write {}: {e}", out.display());
                return Ok(ExitStatus::Error);
            }
        }
        None => print(&exported.text(), color),
    }
    Ok(ExitStatus::Success)
}
