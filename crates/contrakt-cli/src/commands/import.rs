//! `contrakt import FILE`: a draft ODCS v3.1 contract from a producer schema
//! ([`contrakt_workflow::convert::import`]).

use contrakt_core::Error;
use contrakt_workflow::convert::{ImportOptions, import};

use crate::ExitStatus;
use crate::args::{GlobalArgs, ImportArgs};
use crate::commands::print;

pub(crate) fn run(args: ImportArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let options = ImportOptions { format: args.format.clone(), id: args.id.clone(), models: args.model.clone() };
    let imported = match import(&args.file, &options) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    if !global.quiet {
        for w in &imported.warnings {
            eprintln!("warning: {w}");
        }
    }
    let yaml = imported.to_yaml();
    match &args.output {
        Some(out) => {
            if let Err(e) = std::fs::write(out, &yaml) {
                eprintln!("error: cannot write {}: {e}", out.display());
                return Ok(ExitStatus::Error);
            }
        }
        None => print(&yaml, color),
    }
    Ok(ExitStatus::Success)
}
