//! Round trips through the real front ends, the linter and the breaking-change diff.

use std::path::{Path, PathBuf};

use contrakt_core::diff::{self, Change, Mode};
use contrakt_core::document::Document;
use contrakt_core::ir::Schema;
use contrakt_core::lint::{self, Workspace};
use contrakt_core::{Level, SourceFile};
use contrakt_formats::Format;

use crate::{ImportOptions, Imported, import};

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every schema fixture the front ends read.
fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["jsonschema", "avro", "protobuf", "sql"] {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(root().join("fixtures/formats").join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        out.extend(files);
    }
    out
}

/// Lint findings above info (dangling references are expected: fixtures reference tables of
/// other files).
pub(crate) fn lint_problems(name: &str, yaml: &str) -> Vec<String> {
    let doc = Document::parse(SourceFile::new(name, yaml)).expect("the contract parses as YAML");
    let report = lint::lint(Workspace { contracts: vec![doc], ..Default::default() }, &Default::default());
    report
        .findings
        .iter()
        .filter(|f| f.level != Level::Info && f.name != "dangling-reference")
        .map(|f| format!("{} {} at {:?}: {}", f.code, f.name, f.path, f.message))
        .collect()
}

pub(crate) fn lower(name: &str, yaml: &str) -> Schema {
    contrakt_formats::load_str(name, yaml, Format::Odcs).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

pub(crate) fn breaking(old: &Schema, new: &Schema, mode: Mode) -> Vec<String> {
    diff::diff(old, new)
        .iter()
        .filter(|c: &&Change| c.is_breaking(mode) && !is_known_loss(c))
        .map(|c| format!("{} {} {}: {}", c.rule.code, c.rule.slug, c.display_path, c.message))
        .collect()
}

pub(crate) fn default_mode(new: &Schema) -> Mode {
    if new.record_model == contrakt_core::ir::RecordModel::ByNameStrict { Mode::Full } else { Mode::Backward }
}

/// What ODCS v3.1 cannot say, each reported by `import` as a warning: presence apart from
/// nullability (ODCS properties are always present), enum types (a string with a closed
/// domain), unions and recursive types (kept as `physicalType` text), Protobuf oneofs, map
/// values' nullability and nested fields (a map is only a `physicalType`), and JSON Schema's
/// `format: uuid` on a string (ODCS reads that format as the uuid type).
fn is_known_loss(c: &Change) -> bool {
    let (old, new) = (c.old.as_deref().unwrap_or(""), c.new.as_deref().unwrap_or(""));
    let either = |f: &dyn Fn(&str) -> bool| f(old) || f(new);
    if c.display_path.contains("{}") {
        return true;
    }
    match c.rule.code {
        "N003" | "N004" => true,
        "T004" => either(&|t| t.starts_with("enum[")) && either(&|t| t == "string"),
        "T009" => either(&|t| t.starts_with("unknown(")),
        "T003" => old == "string" && new == "uuid",
        "C001" => c.message.contains("oneof"),
        _ => false,
    }
}

fn import_file(path: &Path) -> (Schema, Imported) {
    let schema = contrakt_formats::load(path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let imported = import(&schema, &ImportOptions::default());
    (schema, imported)
}

#[test]
fn every_fixture_imports_into_a_contract_that_lints_clean_and_diffs_without_breaking() {
    let mut failures = Vec::new();
    for path in fixtures() {
        let (source, imported) = import_file(&path);
        let yaml = imported.to_yaml();
        let name = format!("{}.odcs.yaml", path.file_name().unwrap().to_string_lossy());
        for p in lint_problems(&name, &yaml) {
            failures.push(format!("{}: lint: {p}", path.display()));
        }
        let contract = lower(&name, &yaml);
        // `contrakt diff contract source` (and back), each under the mode the CLI picks for
        // its new side: full for tables, backward for topics and messages.
        for (label, old, new) in [("source → contract", &source, &contract), ("contract → source", &contract, &source)]
        {
            for b in breaking(old, new, default_mode(new)) {
                failures.push(format!("{}: {label}: {b}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn imported_contracts_read_as_expected() {
    for (snapshot, file) in [
        ("import_sql_orders", "sql/orders.sql"),
        ("import_avro_orders", "avro/orders.avsc"),
        ("import_protobuf_orders", "protobuf/orders.proto"),
        ("import_jsonschema_orders", "jsonschema/orders.v2.schema.json"),
    ] {
        let (_, imported) = import_file(&root().join("fixtures/formats").join(file));
        let warnings: String = imported.warnings.iter().map(|w| format!("# warning: {w}\n")).collect();
        insta::assert_snapshot!(snapshot, format!("{warnings}{}", imported.to_yaml()));
    }
}
