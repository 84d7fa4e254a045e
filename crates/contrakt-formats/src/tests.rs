use std::path::{Path, PathBuf};

use contrakt_core::Span;
use contrakt_core::ir::{DataType, RecordModel};
use proptest::prelude::*;

use super::*;

pub(crate) fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/formats").join(rel)
}

/// Property-test cases: `n`, or `PROPTEST_CASES` when set (for long local runs).
pub(crate) fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n)
}

/// The source text a span covers.
pub(crate) fn text_at(text: &str, span: Span) -> &str {
    assert!(!span.is_none(), "span is NONE");
    &text[span.range()]
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::parse(f.name()), Some(f));
        assert_eq!(f.to_string(), f.name());
    }
    assert_eq!(Format::parse("proto"), Some(Format::Protobuf));
    assert_eq!(Format::parse("SQL"), Some(Format::SqlDdl));
    assert_eq!(Format::parse("feather"), Some(Format::Arrow));
    assert_eq!(Format::parse("orc"), None);
}

#[test]
fn detect_picks_the_format_of_every_fixture() {
    let cases = [
        ("avro/orders.avsc", Format::Avro),
        ("avro/recipe_category.avsc", Format::Avro),
        ("protobuf/orders.proto", Format::Protobuf),
        ("protobuf/common.proto", Format::Protobuf),
        ("protobuf/legacy_orders.proto", Format::Protobuf),
        ("protobuf/category.proto", Format::Protobuf),
        ("sql/orders.sql", Format::SqlDdl),
        ("sql/orders_bigquery.sql", Format::SqlDdl),
        ("sql/orders_databricks.sql", Format::SqlDdl),
    ];
    for (rel, format) in cases {
        let path = fixture(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(detect(&path, &text), Some(format), "{rel}");
        // Renamed to something uninformative, the content still tells.
        assert_eq!(detect(Path::new("schema.txt"), &text), Some(format), "{rel} by content");
    }
    let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/orders.odcs.yaml");
    let text = std::fs::read_to_string(&contract).unwrap();
    assert_eq!(detect(&contract, &text), Some(Format::Odcs));
    assert_eq!(detect(Path::new("orders.yaml"), &text), Some(Format::Odcs));
    // An Avro schema saved as .json.
    let avsc = std::fs::read_to_string(fixture("avro/orders.avsc")).unwrap();
    assert_eq!(detect(Path::new("orders.json"), &avsc), Some(Format::Avro));
}

#[test]
fn odcs_goes_through_the_core_loader_and_lowering() {
    let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/orders.odcs.yaml");
    let s = load(&contract, None).unwrap();
    assert_eq!(s.record_model, RecordModel::ByNameStrict);
    let o = s.object("orders").unwrap();
    assert_eq!(o.primary_key, vec!["order_id"]);
    assert_eq!(o.fields[0].data_type, DataType::Uuid);

    let e =
        load_str("c.odcs.yaml", "apiVersion: v3.1.0\nkind: DataContract\nid: [unclosed\n", Format::Odcs).unwrap_err();
    assert!(matches!(e, Error::Syntax { .. }), "{e:?}");
    assert!(e.to_string().starts_with("c.odcs.yaml:3:"), "{e}");
    let e = load_str("c.odcs.yaml", "apiVersion: v9\nkind: DataContract\n", Format::Odcs).unwrap_err();
    assert!(e.to_string().starts_with("c.odcs.yaml:1:"), "{e}");
}

#[test]
fn json_schema_files_are_detected_and_read() {
    let path = fixture("jsonschema/orders.v1.schema.json");
    let s = load(&path, None).unwrap();
    assert_eq!(s.objects[0].fields.len(), 8);
    let s = load(&path, Some(Format::JsonSchema)).unwrap();
    assert_eq!(s.record_model, contrakt_core::ir::RecordModel::JsonContentModel);
}

#[test]
fn load_reports_unreadable_and_unrecognisable_files() {
    let e = load(Path::new("/definitely/not/here.avsc"), None).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(e.to_string().starts_with("/definitely/not/here.avsc: "), "{e}");

    let dir = std::env::temp_dir().join(format!("contrakt-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let odd = dir.join("notes.txt");
    std::fs::write(&odd, "shopping list: eggs, flour").unwrap();
    let e = load(&odd, None).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }));
    assert!(e.to_string().contains("cannot tell the schema format"), "{e}");
    // An explicit format overrides detection.
    let e = load(&odd, Some(Format::Avro)).unwrap_err();
    assert!(matches!(e, Error::Syntax { format: Format::Avro, .. }), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_fixture_has_pointers_everywhere_and_spans_on_top_level_fields() {
    for rel in [
        "avro/orders.avsc",
        "protobuf/orders.proto",
        "protobuf/legacy_orders.proto",
        "sql/orders.sql",
        "sql/orders_bigquery.sql",
        "sql/orders_databricks.sql",
    ] {
        let s = load(&fixture(rel), None).unwrap();
        assert!(s.source.ends_with(rel.rsplit('/').next().unwrap()), "{}", s.source);
        for o in &s.objects {
            assert!(!o.span.is_none(), "{rel}: object {} has no span", o.name);
            for f in &o.fields {
                assert!(f.pointer.starts_with(&o.pointer), "{rel}: {} at {}", f.name, f.pointer);
                assert!(!f.span.is_none(), "{rel}: {}.{} has no span", o.name, f.name);
            }
        }
        for (path, f) in s.walk() {
            assert!(!f.pointer.is_empty(), "{rel}: {path} has no pointer");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    /// Whatever the text and whichever format it is read as: an `Ok` or an `Err`, never a panic.
    #[test]
    fn load_str_never_panics_in_any_format(s in "\\PC{0,300}", i in 0usize..5) {
        let format = Format::ALL[i];
        if let Err(e) = load_str("p.txt", &s, format) {
            prop_assert!(e.to_string().starts_with("p.txt"), "{e}");
        }
        let _ = detect(Path::new("p.txt"), &s);
    }
}

#[test]
fn deep_json_is_a_located_nesting_error_not_an_unknown_format() {
    let dir = std::env::temp_dir().join(format!("contrakt-formats-{}-deep", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 100 nested object properties: 201 levels of JSON.
    let mut text = String::from("{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"type\": \"object\"");
    for i in 0..100 {
        text.push_str(&format!(",\n\"properties\": {{\"p{i}\": {{\"type\": \"object\""));
    }
    text.push_str(&"}}".repeat(100));
    text.push_str("}\n");
    let path = dir.join("deep.json");
    std::fs::write(&path, &text).unwrap();
    for e in [load(&path, None).unwrap_err(), load_str("deep.json", &text, Format::JsonSchema).unwrap_err()] {
        assert!(matches!(e, Error::TooDeep { limit: 127, line: 65, .. }), "{e}");
        assert!(e.to_string().contains("nesting is deeper than 127 levels"), "{e}");
    }
    // Avro: a type nested 1,000 deep.
    let avro = format!("{}\"int\"{}", "{\"type\": \"array\", \"items\": ".repeat(1000), "}".repeat(1000));
    assert!(matches!(load_str("deep.avsc", &avro, Format::Avro), Err(Error::TooDeep { line: 1, .. })));
    let _ = std::fs::remove_dir_all(dir);
}
