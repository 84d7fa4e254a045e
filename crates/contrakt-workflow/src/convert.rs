//! [`import`] and [`export`]: a draft contract from a producer schema (JSON Schema, Avro,
//! Protobuf, SQL DDL, Parquet, Arrow, a dbt manifest), and a contract's schema in another
//! language, with the registry's other contracts naming the tables references point at. What
//! `contrakt import` and `contrakt export` run; the faces write the result where asked.

use std::path::Path;

pub use contrakt_convert::{Exported, Imported, Target};
use contrakt_formats::Format;

use crate::error::{Error, Result};

/// How an imported contract is named, and what of a dbt manifest it holds.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The schema's format (`jsonschema`, `avro`, `protobuf`, `sql`, `parquet`, `arrow`,
    /// `dbt`) [default: from the file's name and content].
    pub format: Option<String>,
    /// The contract `id` (default: `urn:contrakt:imported:<name>`).
    pub id: Option<String>,
    /// Of a dbt manifest, only these models [default: all].
    pub models: Vec<String>,
}

/// A draft ODCS contract from the producer schema in `file`. What the contract cannot say
/// (a union, a dbt test without an ODCS counterpart) is in [`Imported::warnings`].
pub fn import(file: &Path, options: &ImportOptions) -> Result<Imported> {
    let dbt = match options.format.as_deref() {
        Some(f) => f.eq_ignore_ascii_case("dbt"),
        None => std::fs::read_to_string(file).is_ok_and(|t| contrakt_convert::dbt::is_manifest(&t)),
    };
    if dbt {
        return import_dbt(file, options);
    }
    let format = match options.format.as_deref().map(|s| (s, Format::parse(s))) {
        None => None,
        Some((s, Some(Format::Odcs) | None)) => {
            return Err(Error::Usage(format!(
                "unknown format `{s}`; one of: jsonschema, avro, protobuf, sql, parquet, arrow, dbt"
            )));
        }
        Some((_, f)) => f,
    };
    let schema = contrakt_formats::load(file, format).map_err(|e| Error::Convert(e.to_string()))?;
    let naming = contrakt_convert::ImportOptions { id: options.id.clone(), name: None };
    Ok(contrakt_convert::import(&schema, &naming))
}

/// A dbt `manifest.json`: its models (or the ones named) as the contract's objects.
fn import_dbt(file: &Path, options: &ImportOptions) -> Result<Imported> {
    let text =
        std::fs::read_to_string(file).map_err(|e| Error::Convert(format!("cannot read {}: {e}", file.display())))?;
    let (schema, losses) = contrakt_convert::dbt::load(&file.display().to_string(), &text, &options.models)
        .map_err(|e| Error::Convert(e.to_string()))?;
    // A manifest is named after the project, not the file.
    let name = match options.models.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    let mut imported =
        contrakt_convert::import(&schema, &contrakt_convert::ImportOptions { id: options.id.clone(), name });
    imported.warnings.splice(0..0, losses);
    Ok(imported)
}

/// The contract at `contract` (with its quality rules and SLAs, for the check languages) in
/// language `to`: one `object`, or all. What the language cannot say is in
/// [`Exported::warnings`].
pub fn export(contract: &Path, to: Target, object: Option<&str>) -> Result<Exported> {
    let doc = contrakt_core::registry::read_source(contract)
        .and_then(contrakt_core::odcs::load)
        .map_err(|e| Error::Convert(e.to_string()))?;
    // The Protobuf package: the contract file's name without its extensions.
    let file = contract.file_name().and_then(|n| n.to_str()).unwrap_or("contract");
    let package = file.split('.').next().filter(|s| !s.is_empty()).unwrap_or("contract");
    // Foreign keys name objects; DDL and reference checks name tables, which for another
    // contract of the registry only that contract knows.
    let mut others = contrakt_convert::export::Tables::new();
    if let Some(root) = contrakt_core::registry::registry_root(contract) {
        for other in contrakt_core::registry::load_contracts(&root) {
            for o in &other.contract.schema {
                let table = o.physical_name.clone().unwrap_or_else(|| o.name.clone());
                others.entry(o.name.clone()).or_insert(table);
            }
        }
    }
    contrakt_convert::export_contract(&doc, to, object, package, &others).map_err(|e| Error::Convert(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn an_exported_contract_imports_back_with_its_objects() {
        let orders = repo().join("contracts/orders.odcs.yaml");
        let exported = export(&orders, Target::JsonSchema, Some("orders")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let schema = dir.path().join("orders.schema.json");
        std::fs::write(&schema, &exported.content).unwrap();
        let options = ImportOptions { id: Some("urn:t:orders".into()), ..ImportOptions::default() };
        let imported = import(&schema, &options).unwrap();
        assert_eq!(imported.contract["id"], "urn:t:orders");
        assert!(imported.to_yaml().contains("order_id"), "{}", imported.to_yaml());
    }

    #[test]
    fn an_unknown_format_and_an_unreadable_schema_say_why() {
        let orders = repo().join("contracts/orders.odcs.yaml");
        let unknown = ImportOptions { format: Some("odcs".into()), ..ImportOptions::default() };
        assert!(matches!(import(&orders, &unknown), Err(Error::Usage(m)) if m.contains("unknown format `odcs`")));
        let missing = repo().join("no-such.avsc");
        assert!(matches!(import(&missing, &ImportOptions::default()), Err(Error::Convert(_))));
        assert!(matches!(export(&missing, Target::Avro, None), Err(Error::Convert(_))));
    }
}
