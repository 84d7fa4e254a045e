//! `contrakt export CONTRACT --to LANGUAGE`: a contract's schema in another language.

use contrakt_core::Error;

use crate::ExitStatus;
use crate::args::{ExportArgs, GlobalArgs};
use crate::commands::print;

pub(crate) fn run(args: ExportArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    if args.to.is_binary() && args.output.is_none() {
        eprintln!("error: {} is a binary file: name it with -o", args.to);
        return Ok(ExitStatus::Error);
    }
    // The whole contract: the check languages carry its quality rules and SLAs too.
    let doc = match contrakt_core::registry::read_source(&args.contract).and_then(contrakt_core::odcs::load) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    // The Protobuf package: the contract file's name without its extensions.
    let file = args.contract.file_name().and_then(|n| n.to_str()).unwrap_or("contract");
    let package = file.split('.').next().filter(|s| !s.is_empty()).unwrap_or("contract");
    // Foreign keys name objects; DDL and reference checks name tables, which for another
    // contract of the registry only that contract knows.
    let mut others = contrakt_convert::export::Tables::new();
    if let Some(root) = contrakt_core::registry::registry_root(&args.contract) {
        for other in contrakt_core::registry::load_contracts(&root) {
            for o in &other.contract.schema {
                let table = o.physical_name.clone().unwrap_or_else(|| o.name.clone());
                others.entry(o.name.clone()).or_insert(table);
            }
        }
    }
    let exported = match contrakt_convert::export_contract(&doc, args.to, args.object.as_deref(), package, &others) {
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
