use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::tests::{fixture, text_at};
use crate::{load, load_str};

fn js(text: &str) -> Result<Schema, Error> {
    load_str("s.json", text, Format::JsonSchema)
}

fn lower(v: Json) -> Schema {
    js(&v.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn field<'a>(fields: &'a [Field], name: &str) -> &'a Field {
    fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no field {name}"))
}

fn children(f: &Field) -> &[Field] {
    match &f.data_type {
        DataType::Struct(fields) => fields,
        DataType::List(item) => children(item),
        other => panic!("{} has no fields: {other}", f.name),
    }
}

#[test]
fn orders_fixture_lowers_to_the_expected_ir() {
    let path = fixture("jsonschema/orders.v1.schema.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = load(&path, None).unwrap();
    assert_eq!(s.record_model, RecordModel::JsonContentModel);
    assert!(!s.qualified_paths);
    let o = &s.objects[0];
    assert_eq!(o.name, ROOT);
    assert_eq!(JsonSchemaFacts::of(&o.json_schema).content, Some(Content::Closed));
    assert_eq!(JsonSchemaFacts::of(&o.json_schema).title.as_deref(), Some("Order"));
    let f = |n| field(&o.fields, n);

    let id = f("order_id");
    assert_eq!(id.data_type, DataType::String);
    assert_eq!(id.constraints.format.as_deref(), Some("uuid"));
    assert!(id.required && !id.nullable);
    assert_eq!(id.pointer, "/properties/order_id");
    assert!(text_at(&text, id.span).starts_with(r#"{"type": "string", "format": "uuid""#));

    let status = f("status");
    assert_eq!(status.constraints.enum_values.as_ref().map(Vec::len), Some(4));
    let boxes = f("recipes_per_box");
    assert_eq!(boxes.data_type, DataType::Int { bits: None, signed: true });
    assert_eq!(boxes.default, Some(json!(3)));
    assert!(!boxes.required);
    assert_eq!(f("total_amount").constraints.minimum, Some(Bound { value: json!(0), exclusive: true }));
    assert!(f("gift_message").nullable);

    // `$ref`s expand, with pointers at the definition.
    let address = f("address");
    assert_eq!(JsonSchemaFacts::of(&address.json_schema).content, Some(Content::Open));
    let zip = field(children(address), "zip");
    assert_eq!(zip.pointer, "/$defs/Address/properties/zip");
    assert_eq!(zip.constraints.pattern.as_deref(), Some("^[0-9]{5}$"));
    let DataType::List(item) = &f("items").data_type else { panic!() };
    assert_eq!(JsonSchemaFacts::of(&item.json_schema).content, Some(Content::Closed));
    assert!(field(children(item), "quantity").required);
    // Only an `additionalProperties` schema: a map.
    let DataType::Map { value, .. } = &f("attributes").data_type else { panic!("{}", f("attributes").data_type) };
    assert_eq!(value.data_type, DataType::String);
}

#[test]
fn recursive_references_stay_references() {
    let s = load(&fixture("jsonschema/category.schema.json"), None).unwrap();
    let children_field = field(&s.objects[0].fields, "children");
    let DataType::List(item) = &children_field.data_type else { panic!() };
    assert_eq!(item.data_type, DataType::Unknown("ref:#".into()));
    assert_eq!(item.metadata[meta::RECURSIVE], "true");
    assert!(contrakt_core::diff::diff(&s, &s).is_empty());
    // Mutual recursion through definitions terminates too.
    let s = lower(json!({
        "$defs": {"A": {"properties": {"b": {"$ref": "#/$defs/B"}}}, "B": {"properties": {"a": {"$ref": "#/$defs/A"}}}},
        "properties": {"a": {"$ref": "#/$defs/A"}}
    }));
    let a = field(&s.objects[0].fields, "a");
    let b = field(children(a), "b");
    assert_eq!(field(children(b), "a").data_type, DataType::Unknown("ref:#/$defs/A".into()));
}

#[test]
fn types_combinators_and_content_models() {
    let s = lower(json!({
        "properties": {
            "n": {"type": ["integer", "null"]},
            "u": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "o": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 3}]},
            "m": {"allOf": [{"type": "string"}, {"maxLength": 5}, {"enum": ["a", "b"]}]},
            "x": {"allOf": [{"type": "string"}, {"type": "number"}]},
            "p": {"properties": {"a": true}, "patternProperties": {"^S_": {"type": "string"}}},
            "e": {"enum": ["red", "green"]},
            "t": {"type": "array", "prefixItems": [{"type": "string"}], "items": false},
            "old": {"type": "number", "minimum": 1, "exclusiveMinimum": true}
        },
        "additionalProperties": {"type": "string"},
        "minProperties": 1
    }));
    let o = &s.objects[0];
    assert_eq!(JsonSchemaFacts::of(&o.json_schema).content, Some(Content::Partial));
    assert_eq!(JsonSchemaFacts::of(&o.json_schema).additional.as_deref(), Some("string"));
    assert_eq!(JsonSchemaFacts::of(&o.json_schema).min_properties, Some(1));
    let f = |n| field(&o.fields, n);
    assert!(f("n").nullable && f("n").data_type == DataType::Int { bits: None, signed: true });
    assert_eq!(f("u").data_type, DataType::Union(vec![DataType::String, DataType::Float { bits: None }]));
    assert!(f("o").nullable && f("o").data_type == DataType::String && f("o").constraints.max_length == Some(3));
    assert_eq!(f("m").data_type, DataType::String);
    assert_eq!(
        (f("m").constraints.max_length, f("m").constraints.enum_values.as_ref().map(Vec::len)),
        (Some(5), Some(2))
    );
    assert!(JsonSchemaFacts::of(&f("x").json_schema).never);
    assert_eq!(JsonSchemaFacts::of(&f("p").json_schema).patterns, vec![("^S_".to_string(), "string".to_string())]);
    assert_eq!(f("e").data_type, DataType::String);
    assert_eq!(JsonSchemaFacts::of(&f("t").json_schema).tuple, Some(vec!["string".to_string()]));
    assert_eq!(JsonSchemaFacts::of(&f("t").json_schema).additional_items.as_deref(), Some("never"));
    assert_eq!(f("old").constraints.minimum, Some(Bound { value: json!(1), exclusive: true }));
    // A root that is not an object is one required field named `$`.
    let s = lower(json!({"type": "string", "minLength": 2}));
    let root = &s.objects[0].fields[0];
    assert_eq!((root.name.as_str(), root.required, root.constraints.min_length), ("$", true, Some(2)));
}

#[test]
fn lenient_json_yaml_and_errors() {
    let s = js("{\"properties\": {\"a\": {\"type\": \"string\",},},}").unwrap();
    assert_eq!(s.objects[0].fields[0].name, "a");
    let s = js("type: object\nproperties:\n  a: {type: integer}\n").unwrap();
    assert_eq!(s.objects[0].fields[0].data_type, DataType::Int { bits: None, signed: true });

    let e = js("{\"properties\": {\"a\": {\"$ref\": \"https://example.com/address.json\"}}}").unwrap_err().to_string();
    assert!(
        e.contains("`https://example.com/address.json` points outside this document") && e.contains("s.json:1:"),
        "{e}"
    );
    let e = js("{\"properties\": {\"a\": {\"$ref\": \"#/$defs/missing\"}}}").unwrap_err().to_string();
    assert!(e.contains("`#/$defs/missing` points at nothing"), "{e}");
    let e = js("{\"type\": \"strin\"}").unwrap_err().to_string();
    assert!(e.contains("unknown type `strin`"), "{e}");
    let e = js("{\"properties\": ").unwrap_err().to_string();
    assert!(e.starts_with("s.json:1:") && e.contains("not valid JSON"), "{e}");
    assert!(js("").is_err() && js("[1, 2]").is_err() && js("42").is_err());
    // Embedded `$id`s and anchors resolve locally.
    let s = lower(json!({
        "properties": {"a": {"$ref": "address.json"}, "b": {"$ref": "#street"}},
        "$defs": {"x": {"$id": "https://e.com/address.json", "type": "integer"}, "y": {"$anchor": "street", "type": "string"}}
    }));
    assert_eq!(field(&s.objects[0].fields, "a").data_type, DataType::Int { bits: None, signed: true });
    assert_eq!(field(&s.objects[0].fields, "b").data_type, DataType::String);
}

#[test]
fn content_models_judge_added_and_removed_properties() {
    use contrakt_core::diff::{Mode, diff};
    let breaks = |old: Json, new: Json| -> Vec<(String, String, Vec<&'static str>)> {
        diff(&lower(old), &lower(new))
            .into_iter()
            .map(|c| (c.rule.code.to_string(), c.display_path.clone(), c.breaks.names()))
            .collect()
    };
    let open = json!({"properties": {"a": {"type": "string"}}});
    let open_b = json!({"properties": {"a": {"type": "string"}, "b": {"type": "number"}}});
    assert_eq!(breaks(open.clone(), open_b.clone()), [("F008".into(), "b".into(), vec!["backward"])]);
    assert_eq!(breaks(open_b, open), [("F011".into(), "b".into(), vec!["forward"])]);
    let closed = json!({"properties": {"a": {"type": "string"}}, "additionalProperties": false});
    let closed_b =
        json!({"properties": {"a": {"type": "string"}, "b": {"type": "number"}}, "additionalProperties": false});
    assert_eq!(breaks(closed.clone(), closed_b.clone()), [("F010".into(), "b".into(), vec!["forward"])]);
    assert_eq!(breaks(closed_b, closed.clone()), [("F009".into(), "b".into(), vec!["backward"])]);
    let opened = json!({"properties": {"a": {"type": "string"}}});
    assert_eq!(breaks(closed.clone(), opened.clone()), [("C009".into(), "{}".into(), vec!["forward"])]);
    assert_eq!(breaks(opened, closed), [("C008".into(), "{}".into(), vec!["backward"])]);
    // Nested, with the `{}` and `[]` path segments.
    let nested =
        |t: &str| json!({"properties": {"m": {"additionalProperties": {"type": t}}, "l": {"items": {"type": t}}}});
    let got = breaks(nested("integer"), nested("number"));
    assert_eq!(got, [("T001".into(), "m{}".into(), vec!["forward"]), ("T001".into(), "l[]".into(), vec!["forward"])]);
    let _ = Mode::Backward;
}

/// JSON shaped like a JSON Schema: keywords with schema, list and scalar values, `$ref`s.
fn schema_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(json!(true)),
        Just(json!(false)),
        Just(json!({"type": "string", "maxLength": 3})),
        Just(json!({"type": ["integer", "null"], "minimum": 1})),
        Just(json!({"$ref": "#"})),
        Just(json!({"$ref": "#/$defs/x"})),
        Just(json!({"$ref": "#/properties/a"})),
        Just(json!({"enum": [1, "a", null]})),
        Just(json!({"type": "nonsense"})),
        Just(json!(7)),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            prop::collection::btree_map("[a-c]", inner.clone(), 0..3).prop_map(|m| json!({"properties": m})),
            inner.clone().prop_map(|s| json!({"type": "array", "items": s})),
            inner.clone().prop_map(|s| json!({"additionalProperties": s})),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"oneOf": v})),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"allOf": v})),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"prefixItems": v, "items": false})),
            inner.clone().prop_map(|s| json!({"not": s, "$defs": {"x": {"properties": {"y": {"$ref": "#/$defs/x"}}}}})),
            inner.prop_map(|s| json!({"properties": {"a": s}, "dependencies": {"a": ["b"]}})),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::tests::cases(256), ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = js(&s);
    }

    #[test]
    fn never_panics_and_diffs_clean_against_itself(a in schema_json(), b in schema_json()) {
        let (x, y) = (js(&a.to_string()), js(&b.to_string()));
        if let Ok(x) = &x {
            prop_assert!(contrakt_core::diff::diff(x, x).is_empty(), "{a}");
        }
        if let (Ok(x), Ok(y)) = (&x, &y) {
            let _ = contrakt_core::diff::diff(x, y);
        }
    }
}
