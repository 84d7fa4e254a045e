//! `contrakt import FILE`: a draft ODCS v3.1 contract from a producer schema.

use contrakt_convert::{ImportOptions, import};
use contrakt_core::Error;
use contrakt_formats::Format;

use crate::ExitStatus;
use crate::args::{GlobalArgs, ImportArgs};
use crate::commands::print;

pub(crate) fn run(args: ImportArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let dbt = match args.format.as_deref() {
        Some(f) => f.eq_ignore_ascii_case("dbt"),
        None => std::fs::read_to_string(&args.file).is_ok_and(|t| contrakt_convert::dbt::is_manifest(&t)),
    };
    if dbt {
        return import_dbt(&args, global, color);
    }
    let format = match args.format.as_deref().map(|s| (s, Format::parse(s))) {
        None => None,
        Some((_, Some(Format::Odcs))) | Some((_, None)) => {
            eprintln!(
                "error: unknown format `{}`; one of: jsonschema, avro, protobuf, sql, parquet, arrow, dbt",
                args.format.as_deref().unwrap_or_default()
            );
            return Ok(ExitStatus::Error);
        }
        Some((_, f)) => f,
    };
    let schema = match contrakt_formats::load(&args.file, format) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    let imported = import(&schema, &ImportOptions { id: args.id.clone(), name: None });
    write(&args, global, color, &[], imported)
}

/// A dbt `manifest.json`: its models (or `--model` ones) as the contract's objects.
fn import_dbt(args: &ImportArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return Ok(ExitStatus::Error);
        }
    };
    let (schema, losses) = match contrakt_convert::dbt::load(&args.file.display().to_string(), &text, &args.model) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    // A manifest is named after the project, not the file.
    let name = match args.model.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    let imported = import(&schema, &ImportOptions { id: args.id.clone(), name });
    write(args, global, color, &losses, imported)
}

fn write(
    args: &ImportArgs,
    global: &GlobalArgs,
    color: bool,
    losses: &[String],
    imported: contrakt_convert::Imported,
) -> Result<ExitStatus, Error> {
    if !global.quiet {
        for w in losses.iter().chain(&imported.warnings) {
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
