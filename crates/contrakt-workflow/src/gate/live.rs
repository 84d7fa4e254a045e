//! Schemas read from where the data is deployed, for the gate (`contrakt diff CONTRACT TABLE`):
//! a Delta table (a folder with `_delta_log/`, as `[OBJECT=]PATH`) at its current version, an
//! Iceberg table (a folder with `metadata/*.metadata.json`) at its current snapshot, or a
//! PostgreSQL table (`[OBJECT=]postgres://[USER@]HOST[:PORT]/DATABASE/[SCHEMA.]TABLE`) from its
//! catalog, so a CI job compares the registered contract with what production holds.

use std::path::Path;

use contrakt_core::diff::gate::Side;
use contrakt_core::{Error as CoreError, InputErrorKind, SourceFile};

use super::Input;
use crate::check::{Runtime, object_and_url};

/// Whether `given` names a live table.
pub(crate) fn is_table(given: &Path) -> bool {
    let Some(text) = given.to_str() else { return false };
    let (_, location) = object_and_url(text);
    location.starts_with("postgres://")
        || location.starts_with("postgresql://")
        || contrakt_check::delta::is_table(Path::new(location))
        || contrakt_check::iceberg::is_table(Path::new(location))
}

/// The schema of the table `given` names, or `None` when it names no live table (then it is a
/// schema file, read as before).
pub(crate) fn table(given: &Path) -> Option<contrakt_core::Result<Input>> {
    let text = given.to_str()?;
    let (object, location) = object_and_url(text);
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Some(postgres(object, location));
    }
    let iceberg = contrakt_check::iceberg::is_table(Path::new(location));
    if !iceberg && !contrakt_check::delta::is_table(Path::new(location)) {
        return None;
    }
    let object = object.map_or_else(|| crate::infer::object_name(location), str::to_string);
    let format = if iceberg { "iceberg" } else { "delta" };
    let read = || -> Result<_, String> {
        let src = contrakt_check::dataset::source(&object, location.to_string(), Some(format), None, Path::new("."))
            .map_err(|e| e.to_string())?;
        let runtime = Runtime::start().map_err(|e| e.to_string())?;
        let schema = if iceberg {
            runtime.handle().block_on(contrakt_check::iceberg::schema(&object, &src))
        } else {
            runtime.handle().block_on(contrakt_check::delta::schema(&object, &src))
        };
        schema.map_err(|e| e.to_string())
    };
    Some(match read() {
        Ok((schema, version)) => {
            let name = if iceberg {
                format!("{location} (Iceberg table, snapshot {version})")
            } else {
                format!("{location} (Delta table, version {version})")
            };
            let schema = contrakt_formats::arrow::from_arrow(&name, &object, &schema);
            // An empty source: findings name the table, with no snippet to show.
            Ok(Input { schema, side: Side { file: Some(SourceFile::new(name, String::new())), ..Side::default() } })
        }
        Err(message) => Err(CoreError::input(
            InputErrorKind::InvalidValue,
            &SourceFile::new(location, String::new()),
            None,
            message,
        )),
    })
}

fn postgres(object: Option<&str>, url: &str) -> contrakt_core::Result<Input> {
    let shown = contrakt_core::redact::redact_location(url);
    let read = || -> Result<_, String> {
        let runtime = Runtime::start().map_err(|e| e.to_string())?;
        runtime.handle().block_on(contrakt_check::warehouse::Warehouse::table_schema(url)).map_err(|e| e.to_string())
    };
    match read() {
        Ok((table, schema)) => {
            let object = object.map_or(table, str::to_string);
            let schema = contrakt_formats::arrow::from_arrow(&shown, &object, &schema);
            Ok(Input { schema, side: Side { file: Some(SourceFile::new(shown, String::new())), ..Side::default() } })
        }
        Err(message) => {
            Err(CoreError::input(InputErrorKind::InvalidValue, &SourceFile::new(shown, String::new()), None, message))
        }
    }
}
