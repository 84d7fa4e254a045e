use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::tests::{fixture, text_at};
use crate::{Format, load, load_str};

fn avro(text: &str) -> Result<Schema, Error> {
    load_str("t.avsc", text, Format::Avro)
}

fn err(text: &str) -> String {
    match avro(text) {
        Ok(s) => panic!("expected an error, got {s:#?}"),
        Err(e) => e.to_string(),
    }
}

fn field<'a>(fields: &'a [Field], name: &str) -> &'a Field {
    fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no field {name}"))
}

#[test]
fn orders_fixture_lowers_to_the_expected_ir() {
    let path = fixture("avro/orders.avsc");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = load(&path, None).unwrap();
    assert_eq!(s.record_model, RecordModel::ByNameWithDefaults);
    assert!(!s.qualified_paths);
    assert_eq!(s.objects.len(), 1);
    let o = &s.objects[0];
    assert_eq!(o.name, "com.freshbox.commerce.Order");
    assert_eq!(o.kind.as_deref(), Some("record"));
    assert_eq!(o.description.as_deref(), Some("One weekly recipe-box order placed by a FreshBox customer."));
    assert_eq!(o.pointer, "");
    assert!(text_at(&text, o.span).starts_with("{\n  \"type\": \"record\""));
    assert_eq!(o.fields.len(), 20);
    let f = |n| field(&o.fields, n);

    let id = f("order_id");
    assert_eq!(id.data_type, DataType::Uuid);
    assert!(!id.nullable && id.required && id.default.is_none());
    assert_eq!(id.description.as_deref(), Some("Surrogate key generated at checkout."));
    assert_eq!(id.pointer, "/fields/0");
    assert!(text_at(&text, id.span).starts_with(r#"{"name": "order_id""#));

    let recipes = f("recipes_per_box");
    assert_eq!(recipes.data_type, DataType::int(32));
    assert_eq!(recipes.default, Some(json!(3)));
    assert!(!recipes.required, "a field with a default need not be written");

    assert_eq!(f("order_date").data_type, DataType::Date);
    assert_eq!(f("total_amount").data_type, DataType::Decimal { precision: Some(12), scale: Some(2) });
    assert_eq!(f("currency").data_type, DataType::FixedBinary { size: 3 });
    assert_eq!(f("currency").metadata["avro.name"], "com.freshbox.commerce.CurrencyCode");

    let status = f("status");
    let DataType::Enum { symbols, default, open } = &status.data_type else { panic!("{}", status.data_type) };
    assert_eq!(symbols.len(), 7);
    assert_eq!(symbols[0], "PENDING");
    assert_eq!(default.as_deref(), Some("PENDING"));
    assert!(!open);
    assert_eq!(status.default, Some(json!("PENDING")));

    assert_eq!(f("is_first_box").default, Some(json!(false)));
    assert_eq!(f("promo_codes").data_type.to_string(), "list<string>");
    assert_eq!(f("promo_codes").default, Some(json!([])));

    let payment = f("payment");
    assert!(payment.nullable, "[\"null\", Payment] is a nullable Payment");
    assert_eq!(payment.default, Some(Json::Null));
    assert_eq!(payment.description.as_deref(), Some("Payment captured for the order."));
    assert_eq!(payment.metadata["avro.name"], "com.freshbox.commerce.Payment");
    let children = payment.data_type.children();
    assert_eq!(field(children, "method").data_type, DataType::String);
    assert!(!field(children, "method").nullable);
    let reference = field(children, "provider_reference");
    assert!(reference.nullable);
    assert_eq!(reference.aliases, vec!["provider_ref"]);
    assert_eq!(reference.pointer, "/fields/11/type/1/fields/1");
    assert!(text_at(&text, reference.span).starts_with(r#"{"name": "provider_reference""#));
    assert_eq!(
        field(children, "captured_at").data_type,
        DataType::Timestamp { unit: Some(TimeUnit::Microsecond), timezone: Some(true) }
    );

    let items = f("items");
    let DataType::List(item) = &items.data_type else { panic!() };
    assert!(!item.nullable);
    assert_eq!(item.pointer, "/fields/12/type/items");
    assert_eq!(item.data_type.to_string(), "struct<sku: string, quantity: int32, unit_price: decimal(8,2)>");
    assert_eq!(item.data_type.children()[0].pointer, "/fields/12/type/items/fields/0");

    let shipping = f("shipping_address");
    assert_eq!(shipping.metadata["avro.name"], "com.freshbox.common.Address");
    assert_eq!(shipping.metadata["avro.aliases"], "com.freshbox.common.PostalAddress");
    let billing = f("billing_address");
    assert!(billing.nullable);
    assert_eq!(billing.data_type, shipping.data_type, "a named type expands the same at every use");
    assert_eq!(billing.data_type.children()[0].pointer, "/fields/13/type/fields/0", "points at the definition");

    let attributes = f("attributes");
    let DataType::Map { key, value } = &attributes.data_type else { panic!() };
    assert_eq!((key.data_type.clone(), key.nullable), (DataType::String, false));
    assert_eq!(value.data_type, DataType::String);
    assert_eq!(attributes.default, Some(json!({})));

    let referral = f("referral");
    assert_eq!(referral.data_type, DataType::Union(vec![DataType::int(64), DataType::String]));
    assert!(referral.nullable);

    assert_eq!(f("delivery_slot_id").data_type, DataType::Uuid);
    assert_eq!(
        f("created_at").data_type,
        DataType::Timestamp { unit: Some(TimeUnit::Millisecond), timezone: Some(true) }
    );
    let updated = f("updated_at");
    assert_eq!(updated.data_type, DataType::Timestamp { unit: Some(TimeUnit::Microsecond), timezone: Some(false) });
    assert_eq!(updated.aliases, vec!["modified_at"]);

    // Every named field's span is its JSON object; every element's span is its type.
    for (path, f) in s.walk() {
        assert!(!f.span.is_none(), "{path} has no span");
        let at = text_at(&text, f.span);
        if !matches!(f.name.as_str(), "item" | "key" | "value") {
            assert!(at.contains(&format!("\"name\": \"{}\"", f.name)), "{path}: {at}");
        }
        assert!(!matches!(f.data_type, DataType::Unknown(_)), "{path}");
    }
}

#[test]
fn recursive_types_terminate_as_references() {
    let s = load(&fixture("avro/recipe_category.avsc"), None).unwrap();
    let o = &s.objects[0];
    let parent = field(&o.fields, "parent");
    assert_eq!(parent.data_type, DataType::Unknown("ref:com.freshbox.menu.Category".into()));
    assert!(parent.nullable);
    assert_eq!(parent.metadata["recursive"], "true");
    assert_eq!(field(&o.fields, "children").data_type.to_string(), "list<unknown(ref:com.freshbox.menu.Category)>");
    let featured = field(&o.fields, "featured");
    assert_eq!(
        featured.data_type.to_string(),
        "struct<title: string, category: unknown(ref:com.freshbox.menu.Category), \
         variants: map<string, unknown(ref:com.freshbox.menu.Recipe)>>"
    );

    // A self-referencing list, and two records that refer to each other.
    let s =
        avro(r#"{"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]}"#).unwrap();
    assert_eq!(s.objects[0].fields[0].data_type, DataType::Unknown("ref:Node".into()));
    let s = avro(
        r#"{"type": "record", "name": "A", "fields": [
             {"name": "b", "type": {"type": "record", "name": "B", "fields": [{"name": "a", "type": ["null", "A"]}]}}]}"#,
    )
    .unwrap();
    assert_eq!(s.objects[0].fields[0].data_type.to_string(), "struct<a: unknown(ref:A)>");
}

#[test]
fn shared_types_that_explode_are_refused_not_expanded_forever() {
    // T0 has two fields of T1, T1 two of T2, …: 2^40 fields if expanded naively.
    let mut schema = json!({"type": "record", "name": "T40", "fields": [{"name": "x", "type": "int"}]});
    for i in (0..40).rev() {
        let inner = schema.clone();
        schema = json!({"type": "record", "name": format!("T{i}"), "fields": [
            {"name": "a", "type": inner}, {"name": "b", "type": format!("T{}", i + 1)}]});
    }
    let e = err(&schema.to_string());
    assert!(e.contains("expands to more than 100000 fields"), "{e}");
}

#[test]
fn names_resolve_with_namespaces() {
    let s = avro(
        r#"[
          {"type": "fixed", "name": "Hash", "size": 32},
          {"type": "record", "name": "Box", "namespace": "freshbox.menu", "fields": [
            {"name": "h", "type": "Hash"},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["CLASSIC", "VEGGIE"]}},
            {"name": "again", "type": "Kind"},
            {"name": "full", "type": "freshbox.menu.Kind"},
            {"name": "other", "type": {"type": "record", "name": "org.other.Thing", "fields": [
              {"name": "inner", "type": {"type": "enum", "name": "Size", "symbols": ["S"]}}]}},
            {"name": "size", "type": "org.other.Size"}
          ]}
        ]"#,
    )
    .unwrap();
    assert_eq!(s.objects.len(), 1, "the fixed is not an object");
    let o = &s.objects[0];
    assert_eq!(o.name, "freshbox.menu.Box");
    assert_eq!(field(&o.fields, "h").metadata["avro.name"], "Hash");
    assert_eq!(field(&o.fields, "again").metadata["avro.name"], "freshbox.menu.Kind");
    assert_eq!(field(&o.fields, "full").metadata["avro.name"], "freshbox.menu.Kind");
    assert_eq!(field(&o.fields, "size").metadata["avro.name"], "org.other.Size", "namespace of the enclosing name");
}

#[test]
fn top_level_union_of_records_gives_one_object_each() {
    let s = avro(
        r#"["null", {"type": "record", "name": "Placed", "fields": [{"name": "id", "type": "string"}]},
                   {"type": "error", "name": "Failed", "fields": [{"name": "reason", "type": "string"}]}]"#,
    )
    .unwrap();
    let names: Vec<&str> = s.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Placed", "Failed"]);
    assert_eq!(s.objects[1].pointer, "/2");
    assert_eq!(s.objects[1].fields[0].pointer, "/2/fields/0");
}

#[test]
fn logical_types_apply_only_where_avro_applies_them() {
    let s = avro(
        r#"{"type": "record", "name": "L", "fields": [
          {"name": "t_ms", "type": {"type": "int", "logicalType": "time-millis"}},
          {"name": "t_us", "type": {"type": "long", "logicalType": "time-micros"}},
          {"name": "ts_ns", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
          {"name": "lts_ms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
          {"name": "wrong_base", "type": {"type": "string", "logicalType": "date"}},
          {"name": "bad_scale", "type": {"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 3}},
          {"name": "big", "type": {"type": "bytes", "logicalType": "big-decimal"}},
          {"name": "fixed_dec", "type": {"type": "fixed", "name": "D", "size": 5, "logicalType": "decimal", "precision": 11, "scale": 2}},
          {"name": "fixed_too_small", "type": {"type": "fixed", "name": "E", "size": 2, "logicalType": "decimal", "precision": 5}},
          {"name": "span", "type": {"type": "fixed", "name": "Dur", "size": 12, "logicalType": "duration"}},
          {"name": "custom", "type": {"type": "string", "logicalType": "postcode"}}
        ]}"#,
    )
    .unwrap();
    let f = |n| field(&s.objects[0].fields, n).data_type.clone();
    assert_eq!(f("t_ms"), DataType::Time { unit: Some(TimeUnit::Millisecond) });
    assert_eq!(f("t_us"), DataType::Time { unit: Some(TimeUnit::Microsecond) });
    assert_eq!(f("ts_ns"), DataType::Timestamp { unit: Some(TimeUnit::Nanosecond), timezone: Some(true) });
    assert_eq!(f("lts_ms"), DataType::Timestamp { unit: Some(TimeUnit::Millisecond), timezone: Some(false) });
    assert_eq!(f("wrong_base"), DataType::String, "Avro ignores a logical type on the wrong base type");
    assert_eq!(field(&s.objects[0].fields, "wrong_base").metadata["avro.logicalType"], "date");
    assert_eq!(f("bad_scale"), DataType::Binary);
    assert_eq!(f("big"), DataType::Decimal { precision: None, scale: None });
    assert_eq!(f("fixed_dec"), DataType::Decimal { precision: Some(11), scale: Some(2) });
    assert_eq!(f("fixed_too_small"), DataType::FixedBinary { size: 2 });
    assert_eq!(f("span"), DataType::Duration);
    assert_eq!(f("custom"), DataType::String);
}

#[test]
fn invalid_schemas_give_precise_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [\n  {\"name\": \"addr\", \"type\": \"Adress\"}\n]}",
            "t.avsc:2:28: invalid Avro schema: unknown type `Adress`",
        ),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"namespace\": \"x\", \"fields\": [\n {\"name\": \"b\", \"type\": \"B\"}]}",
            "unknown type `B` (looked up as `x.B` and `B`)",
        ),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [\n  {\"name\": \"a\", \"type\": \"int\"},\n  {\"name\": \"a\", \"type\": \"long\"}]}",
            "t.avsc:3:12: invalid Avro schema: the record `A` has two fields named `a` (fields 0 and 1)",
        ),
        ("{\"type\": \"record\", \"fields\": []}", "t.avsc:1:1: invalid Avro schema: the record schema has no `name`"),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [\n  {\"name\": \"a\"}]}",
            "t.avsc:2:3: invalid Avro schema: the field `a` of the record `A` has no `type`",
        ),
        ("{\"type\": \"record\", \"name\": \"A\"}", "the record `A` has no `fields`"),
        ("{\"name\": \"A\"}", "t.avsc:1:1: invalid Avro schema: the schema object has no `type`"),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [\n  {\"name\": \"n\", \"type\": \"int\", \"default\": \"x\"}]}",
            "t.avsc:2:43: invalid Avro schema: the default \"x\" of the field `n` in `A` does not match its type `int`",
        ),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [{\"name\": \"n\", \"type\": [\"null\", \"int\"], \"default\": 1.5}]}",
            "does not match its type `[null, int]`",
        ),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [{\"name\": \"u\", \"type\": [\"int\", \"string\", \"int\"]}]}",
            "the union lists `int` twice (branches 0 and 2)",
        ),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [{\"name\": \"u\", \"type\": [\"int\", [\"string\"]]}]}",
            "a union cannot directly contain another union",
        ),
        (
            "[{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"A\"]},\n {\"type\": \"fixed\", \"name\": \"E\", \"size\": 1}]",
            "t.avsc:2:28: invalid Avro schema: the type `E` is defined twice (first defined at line 1)",
        ),
        (
            "{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"A\", \"B\"], \"default\": \"C\"}",
            "the default \"C\" of the enum `E` is not one of its symbols",
        ),
        ("{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"A\", \"A\"]}", "lists the symbol `A` twice"),
        ("{\"type\": \"record\", \"name\": \"my-record\", \"fields\": []}", "`my-record` is not a valid Avro name"),
        (
            "{\"type\": \"record\", \"name\": \"int\", \"fields\": []}",
            "`int` is a primitive type and cannot name a record",
        ),
        (
            "{\"type\": \"fixed\", \"name\": \"F\", \"size\": -1}",
            "`size` of the fixed `F` must be a non-negative integer, found -1",
        ),
        ("{\"type\": \"array\"}", "the array schema has no `items`"),
        ("{\"type\": {\"type\": \"int\"}}", "`type` of a schema object must be a string, found an object"),
        (
            "{\"type\": \"record\", \"name\": \"A\", \"fields\": [1]}",
            "field 0 of the record `A` must be an object, found a number",
        ),
        // Names must be defined before use.
        (
            "[{\"type\": \"record\", \"name\": \"A\", \"fields\": [{\"name\": \"b\", \"type\": \"B\"}]},\n {\"type\": \"record\", \"name\": \"B\", \"fields\": []}]",
            "unknown type `B`",
        ),
        (
            "{\"type\": \"record\", \"name\": \"A\",\n  \"fields\": [}",
            "t.avsc:2:14: Avro syntax error: not valid JSON: expected value",
        ),
        ("  \n", "t.avsc: Avro syntax error: the file is empty"),
        ("\"string\"", "t.avsc:1:1: unsupported Avro schema: the top-level schema is `string`"),
        ("[\"int\", {\"type\": \"record\", \"name\": \"A\", \"fields\": []}]", "a top-level union lists `int`"),
    ];
    for (text, expected) in cases {
        let e = err(text);
        assert!(e.contains(expected), "for {text}\n  got: {e}\n want: {expected}");
    }
}

#[test]
fn json_nesting_past_the_parser_limit_is_an_error_not_a_crash() {
    let deep = format!("{}\"int\"{}", "[".repeat(200), "]".repeat(200));
    // Refused before serde_json's own bound, with the place of the bracket one level too deep.
    assert!(err(&deep).contains("t.avsc:1:128: nesting is deeper than 127 levels"), "{}", err(&deep));
    let mut nested = json!("int");
    for _ in 0..60 {
        nested = json!({"type": "array", "items": nested});
    }
    let s =
        avro(&json!({"type": "record", "name": "A", "fields": [{"name": "a", "type": nested}]}).to_string()).unwrap();
    assert!(s.objects[0].fields[0].data_type.to_string().starts_with("list<list<"));
}

/// JSON built from Avro's own vocabulary, so the generator reaches deep into the parser.
fn avro_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "null",
            "int",
            "long",
            "string",
            "bytes",
            "record",
            "enum",
            "fixed",
            "array",
            "map",
            "A",
            "B",
            "x.A",
            "decimal",
            "uuid",
            "date",
            "timestamp-millis",
        ])
        .prop_map(|s| json!(s)),
        any::<i64>().prop_map(|i| json!(i % 40)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Json::Null),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "type",
                        "name",
                        "namespace",
                        "fields",
                        "items",
                        "values",
                        "symbols",
                        "size",
                        "default",
                        "logicalType",
                        "precision",
                        "scale",
                        "aliases",
                        "doc",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kvs| Json::Object(kvs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::tests::cases(256), ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = avro(&s);
    }

    #[test]
    fn never_panics_on_avro_shaped_json(v in avro_json()) {
        let _ = avro(&v.to_string());
        let _ = avro(&json!({"type": "record", "name": "R", "fields": [{"name": "f", "type": v}]}).to_string());
    }
}
