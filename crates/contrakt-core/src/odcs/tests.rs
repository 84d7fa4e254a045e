//! Property tests of the loader: it never panics, and model → YAML → model round-trips.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::document::{Limits, parse};

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,10}"
}

fn text() -> impl Strategy<Value = String> {
    // Anything printable, including quotes, colons, hashes and non-ASCII.
    "[ -~éß中\u{1F600}]{0,24}"
}

fn json_scalar() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i32>().prop_map(serde_json::Value::from),
        (-1.0e6f64..1.0e6).prop_map(|f| json!(f)),
        text().prop_map(serde_json::Value::from),
    ]
}

fn quality() -> impl Strategy<Value = QualityRule> {
    (
        ident(),
        prop::sample::select(vec!["nullValues", "missingValues", "invalidValues", "duplicateValues", "rowCount"]),
        0u32..1000,
        prop::option::of(prop::sample::select(vec!["rows", "percent"])),
        prop::option::of(text()),
    )
        .prop_map(|(id, metric, n, unit, description)| QualityRule {
            id: Some(id),
            metric: Some(metric.into()),
            rule_type: Some("library".into()),
            must_be_less_than: Some(json!(n)),
            unit: unit.map(Into::into),
            description,
            ..Default::default()
        })
}

fn leaf_property() -> impl Strategy<Value = Property> {
    (
        ident(),
        prop::sample::select(vec!["string", "integer", "number", "boolean", "date", "timestamp"]),
        prop::option::of(any::<bool>()),
        prop::option::of(text()),
        prop::collection::vec(quality(), 0..2),
        prop::collection::vec(json_scalar(), 0..3),
        prop::option::of(0u64..100),
    )
        .prop_map(|(name, logical, required, description, quality, examples, max_length)| Property {
            name: Some(name),
            logical_type: Some(logical.into()),
            required,
            description,
            quality,
            examples,
            logical_type_options: max_length.map(|m| LogicalTypeOptions { max_length: Some(m), ..Default::default() }),
            ..Default::default()
        })
}

fn property() -> impl Strategy<Value = Property> {
    leaf_property().prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            (ident(), prop::collection::vec(inner.clone(), 1..4)).prop_map(|(name, properties)| Property {
                name: Some(name),
                logical_type: Some("object".into()),
                properties,
                ..Default::default()
            }),
            (ident(), inner).prop_map(|(name, mut item)| {
                item.name = None;
                Property {
                    name: Some(name),
                    logical_type: Some("array".into()),
                    items: Some(Box::new(item)),
                    ..Default::default()
                }
            }),
        ]
    })
}

fn contract() -> impl Strategy<Value = Contract> {
    (
        ident(),
        (0u32..10, 0u32..10, 0u32..10),
        prop::collection::vec((ident(), prop::collection::vec(property(), 0..5)), 0..3),
        prop::collection::vec((ident(), json_scalar(), prop::option::of(text())), 0..3),
        prop::option::of(text()),
    )
        .prop_map(|(id, (a, b, c), objects, sla, purpose)| Contract {
            api_version: "v3.1.0".into(),
            kind: "DataContract".into(),
            id,
            version: format!("{a}.{b}.{c}"),
            status: "active".into(),
            description: purpose.map(|p| Description { purpose: Some(p), ..Default::default() }),
            schema: objects
                .into_iter()
                .map(|(name, properties)| SchemaObject {
                    name,
                    logical_type: Some("object".into()),
                    properties,
                    ..Default::default()
                })
                .collect(),
            sla_properties: sla
                .into_iter()
                .map(|(property, value, unit)| SlaProperty {
                    property,
                    value: Some(value).filter(|v| !v.is_null()),
                    unit,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whatever the bytes, the loader answers with a value or an error, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\n\t:{}\\[\\],&*!|>'\"#%@`-]{0,200}") {
        let file = SourceFile::new("fuzz.yaml", text);
        if let Ok(doc) = Document::parse(file) {
            let _ = load_document(doc);
        }
    }

    /// Structured YAML of arbitrary shape under contract keys: typed errors, no panics.
    #[test]
    fn arbitrary_shapes_never_panic(value in arbitrary_json()) {
        let mut doc = json!({"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1.0.0", "status": "active"});
        doc["schema"] = value.clone();
        doc["team"] = value;
        let file = SourceFile::new("shape.yaml", crate::document::to_yaml(&doc));
        let parsed = parse(&file, &Limits::default()).expect("the emitter writes valid YAML");
        let _ = load_document(Document { source: file, root: parsed });
    }

    /// model → YAML → model is the identity.
    #[test]
    fn model_round_trips_through_yaml(contract in contract()) {
        let yaml = contract.to_yaml();
        let loaded = load(SourceFile::new("rt.yaml", yaml.clone())).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        prop_assert_eq!(serde_json::to_value(&loaded.contract).unwrap(), serde_json::to_value(&contract).unwrap(), "{}", yaml);
    }
}

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    json_scalar().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "name",
                    "properties",
                    "items",
                    "quality",
                    "logicalType",
                    "members",
                    "id",
                    "x"
                ]),
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

#[test]
fn the_example_registry_round_trips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    for d in crate::registry::discover(&[dir]).unwrap().contracts {
        let doc = load_document(d).unwrap();
        let again = load(SourceFile::new("rt.yaml", doc.contract.to_yaml())).unwrap();
        assert_eq!(serde_json::to_value(&again.contract).unwrap(), serde_json::to_value(&doc.contract).unwrap());
    }
}
