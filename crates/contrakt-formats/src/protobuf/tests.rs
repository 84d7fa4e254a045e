use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::tests::{fixture, text_at};
use crate::{Format, load, load_str};
use contrakt_core::ir::proto::{ProtoCardinality, ProtoKind, ProtoLabel, ProtoSyntax};

fn proto(text: &str) -> Result<Schema, Error> {
    load_str("t.proto", text, Format::Protobuf)
}

fn err(text: &str) -> String {
    match proto(text) {
        Ok(s) => panic!("expected an error, got {s:#?}"),
        Err(e) => e.to_string(),
    }
}

fn field<'a>(fields: &'a [Field], name: &str) -> &'a Field {
    fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no field {name}"))
}

fn meta<'a>(f: &'a Field, key: &str) -> Option<&'a str> {
    f.metadata.get(key).map(String::as_str)
}

/// The declared Protobuf type of a field.
fn declared(f: &Field) -> Option<&str> {
    f.proto.as_ref().map(|p| p.type_name.as_str())
}

fn label(f: &Field) -> Option<ProtoLabel> {
    f.proto.as_ref().and_then(|p| p.label)
}

/// A scratch folder for files that import each other.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("contrakt-formats-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[test]
fn orders_fixture_lowers_to_the_expected_ir() {
    let path = fixture("protobuf/orders.proto");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = load(&path, None).unwrap();
    assert_eq!(s.record_model, RecordModel::ByNumber);
    assert!(s.qualified_paths);
    let names: Vec<&str> = s.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Order", "OrderStatusChanged"], "top-level messages only");
    let o = &s.objects[0];
    assert_eq!(o.physical_name.as_deref(), Some("freshbox.commerce.v1.Order"));
    assert_eq!(o.kind.as_deref(), Some("message"));
    assert_eq!(o.description.as_deref(), Some("One weekly recipe-box order placed by a FreshBox customer."));
    assert_eq!(o.pointer, "/messages/Order");
    assert!(text_at(&text, o.span).starts_with("message Order {"));
    assert_eq!(o.fields.len(), 22);
    let f = |n| field(&o.fields, n);

    let id = f("order_id");
    assert_eq!(id.id, Some(FieldId::Number(1)));
    assert_eq!(id.data_type, DataType::String);
    assert!(!id.nullable, "proto3 scalars read as their zero value, never null");
    assert!(!id.required);
    assert_eq!(id.default, Some(json!("")));
    assert_eq!(id.description.as_deref(), Some("Surrogate key generated at checkout."));
    assert_eq!(id.pointer, "/messages/Order/fields/0");
    assert_eq!(text_at(&text, id.span), "string order_id = 1;");

    let total = f("total_amount_pence");
    assert_eq!((total.data_type.clone(), declared(total)), (DataType::int(64), Some("sint64")));
    assert_eq!(total.default, Some(json!(0)));
    assert_eq!(f("warehouse_batch").data_type, DataType::uint(64));
    assert_eq!(declared(f("warehouse_batch")), Some("fixed64"));
    assert_eq!(f("weight_kg").data_type, DataType::float(64));

    let currency = f("currency");
    let DataType::Enum { symbols, open, default } = &currency.data_type else { panic!("{}", currency.data_type) };
    assert_eq!(symbols, &["CURRENCY_UNSPECIFIED", "GBP", "EUR"]);
    assert!(*open, "proto3 enums are open");
    assert_eq!(*default, None);
    assert_eq!(declared(currency), Some("freshbox.common.v1.Currency"));
    assert_eq!(currency.default, Some(json!("CURRENCY_UNSPECIFIED")));
    let values: Vec<(&str, i32)> =
        f("status").proto.as_ref().unwrap().enum_values.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    assert_eq!(values, [("STATUS_UNSPECIFIED", 0), ("PENDING", 1), ("CONFIRMED", 2), ("DELIVERED", 5)]);

    assert_eq!(f("promo_codes").data_type.to_string(), "list<string>");
    assert_eq!(label(f("promo_codes")), Some(ProtoLabel::Repeated));
    assert!(!f("promo_codes").nullable);

    let payment = f("payment");
    assert!(payment.nullable, "message fields have presence");
    assert_eq!(declared(payment), Some("freshbox.commerce.v1.Order.Payment"));
    let captured = field(payment.data_type.children(), "captured_at");
    assert_eq!(captured.data_type, DataType::Timestamp { unit: Some(TimeUnit::Nanosecond), timezone: Some(true) });
    assert_eq!(captured.pointer, "/messages/Order/messages/Payment/fields/2");
    assert_eq!(text_at(&text, captured.span), "google.protobuf.Timestamp captured_at = 3;");

    let DataType::List(item) = &f("items").data_type else { panic!() };
    assert!(!item.nullable);
    assert_eq!(item.data_type.to_string(), "struct<sku: string, quantity: uint32, checksum: binary>");
    assert_eq!(item.data_type.children()[1].id, Some(FieldId::Number(2)));

    let address = f("shipping_address");
    assert_eq!(address.data_type.to_string(), "struct<street: string, postcode: string, city: string>");
    let street = &address.data_type.children()[0];
    assert_eq!(street.pointer, "/messages/Address/fields/0");
    assert!(street.span.is_none(), "imported from common.proto: no span into this file");

    let DataType::Map { key, value } = &f("attributes").data_type else { panic!() };
    assert_eq!((&key.data_type, key.nullable, &value.data_type), (&DataType::String, false, &DataType::String));
    assert_eq!(
        f("items_by_line").data_type.to_string(),
        "map<int32, struct<sku: string, quantity: uint32, checksum: binary>>"
    );

    let gift = f("gift_message");
    assert!(gift.nullable && gift.default.is_none());
    assert_eq!(label(gift), Some(ProtoLabel::Optional));
    assert_eq!(meta(gift, "oneof"), None, "the synthetic oneof of proto3 `optional` is not a oneof");

    for name in ["voucher_code", "percent_off"] {
        assert!(f(name).nullable, "{name}");
        assert_eq!(meta(f(name), "oneof"), Some("discount"), "{name}");
    }
    assert_eq!(f("percent_off").id, Some(FieldId::Number(16)));

    assert_eq!(f("created_at").data_type, captured.data_type);
    assert!(f("created_at").nullable);
    let points = f("loyalty_points");
    assert_eq!((points.data_type.clone(), points.nullable), (DataType::int(32), true), "wrappers are nullable scalars");
    assert_eq!(f("extra").data_type, DataType::Any);

    let changed = &s.objects[1];
    assert_eq!(field(&changed.fields, "from").data_type, f("status").data_type);
    assert_eq!(field(&changed.fields, "order").data_type.children().len(), 22, "another top-level message expands");

    let paths: Vec<String> = s.walk().iter().map(|(p, _)| p.to_string()).collect();
    assert!(paths.contains(&"Order.payment.method".to_string()), "{paths:?}");
    assert!(paths.contains(&"Order.items[].sku".to_string()), "{paths:?}");
}

#[test]
fn proto2_labels_defaults_and_closed_enums() {
    let path = fixture("protobuf/legacy_orders.proto");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = load(&path, None).unwrap();
    let o = &s.objects[0];
    assert_eq!(o.physical_name.as_deref(), Some("freshbox.legacy.LegacyOrder"));
    let f = |n| field(&o.fields, n);
    let id = f("order_id");
    assert!(id.required && !id.nullable, "proto2 required");
    assert_eq!(label(id), Some(ProtoLabel::Required));
    let plan = f("box_plan");
    assert!(plan.nullable && !plan.required);
    assert_eq!(plan.default, Some(json!("2P-3R")));
    assert_eq!(text_at(&text, plan.span), "optional string box_plan = 2 [default = \"2P-3R\"];");
    assert_eq!(f("recipes_per_box").default, Some(json!(3)));
    assert_eq!(f("is_first_box").default, Some(json!(false)));
    assert_eq!(f("discount").default, Some(json!(-1.5)));
    let channel = f("channel");
    assert_eq!(channel.default, Some(json!("WEB")));
    assert!(matches!(channel.data_type, DataType::Enum { open: false, .. }), "proto2 enums are closed");
    let DataType::List(item) = &f("line_numbers").data_type else { panic!() };
    assert_eq!((item.data_type.clone(), declared(item)), (DataType::int(32), Some("sfixed32")));
}

#[test]
fn recursive_messages_terminate_as_references() {
    let s = load(&fixture("protobuf/category.proto"), None).unwrap();
    let category = &s.objects[0];
    let parent = field(&category.fields, "parent");
    assert_eq!(parent.data_type, DataType::Unknown("ref:freshbox.menu.Category".into()));
    assert_eq!(meta(parent, "recursive"), Some("true"));
    assert_eq!(field(&category.fields, "children").data_type.to_string(), "list<unknown(ref:freshbox.menu.Category)>");
    let featured = field(&category.fields, "featured");
    assert_eq!(
        featured.data_type.to_string(),
        "struct<title: string, category: unknown(ref:freshbox.menu.Category), variants: map<string, unknown(ref:freshbox.menu.Recipe)>>"
    );
    // Mutual recursion from the other side.
    let recipe = &s.objects[1];
    assert_eq!(
        field(&recipe.fields, "category").data_type.children()[3].data_type,
        DataType::Unknown("ref:freshbox.menu.Recipe".into())
    );
}

#[test]
fn well_known_types() {
    let s = proto(
        r#"syntax = "proto3";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/any.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
message W {
  google.protobuf.Duration d = 1;
  google.protobuf.Empty e = 2;
  google.protobuf.Any a = 3;
  google.protobuf.ListValue l = 4;
  google.protobuf.Value v = 5;
  google.protobuf.StringValue s = 6;
  google.protobuf.BytesValue b = 7;
  google.protobuf.UInt64Value u = 8;
  repeated google.protobuf.DoubleValue ds = 9;
}"#,
    )
    .unwrap();
    let o = &s.objects[0];
    assert_eq!(o.physical_name.as_deref(), Some("W"), "no package: the bare name");
    let types: Vec<String> = o.fields.iter().map(|f| f.data_type.to_string()).collect();
    assert_eq!(types, ["duration", "struct<>", "any", "any", "any", "string", "binary", "uint64", "list<float64>"]);
    assert!(o.fields[5].nullable);
}

#[test]
fn imports_resolve_from_the_files_folder_and_errors_name_the_file_and_line() {
    // Text without a folder can import only the well-known types.
    let text = std::fs::read_to_string(fixture("protobuf/orders.proto")).unwrap();
    let e = load_str("orders.proto", &text, Format::Protobuf).unwrap_err().to_string();
    assert!(e.starts_with("orders.proto:5:1: invalid Protobuf schema: import 'common.proto' not found"), "{e}");
    assert!(e.contains("only the well-known"), "{e}");

    let dir = scratch(
        "imports",
        &[
            ("main.proto", "syntax = \"proto3\";\nimport \"broken.proto\";\nmessage M { B b = 1; }\n"),
            ("broken.proto", "syntax = \"proto3\";\n\nmessage B {\n  strin x = 1;\n}\n"),
        ],
    );
    let e = load(&dir.join("main.proto"), None).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("broken.proto:4:3:"), "the error is located in the imported file: {shown}");
    assert!(shown.contains("name 'strin' is not defined"), "{shown}");

    std::fs::write(dir.join("broken.proto"), "syntax = \"proto3\";\nmessage B { string x = 1; }\n").unwrap();
    let s = load(&dir.join("main.proto"), None).unwrap();
    assert_eq!(s.objects[0].fields[0].data_type.to_string(), "struct<x: string>");

    // The usual layout: imports are relative to a proto root above the file.
    let root = dir.join("proto");
    std::fs::create_dir_all(root.join("acme/common/v1")).unwrap();
    std::fs::create_dir_all(root.join("acme/orders/v1")).unwrap();
    std::fs::write(
        root.join("acme/common/v1/money.proto"),
        "syntax = \"proto3\";\npackage acme.common.v1;\nmessage Money { int64 pence = 1; }\n",
    )
    .unwrap();
    let orders = root.join("acme/orders/v1/orders.proto");
    std::fs::write(&orders, "syntax = \"proto3\";\npackage acme.orders.v1;\nimport \"acme/common/v1/money.proto\";\nmessage O { acme.common.v1.Money total = 1; }\n").unwrap();
    let s = load(&orders, None).unwrap();
    assert_eq!(s.objects[0].fields[0].data_type.to_string(), "struct<pence: int64>");
    assert_eq!(s.objects[0].physical_name.as_deref(), Some("acme.orders.v1.O"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_protos_give_precise_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "syntax = \"proto3\";\nmessage A {\n  string a = 1\n}\n",
            "t.proto:4:1: Protobuf syntax error: expected ';' or '[', but found '}'",
        ),
        (
            "syntax = \"proto3\";\nmessage A {\n  Bar b = 1;\n}\n",
            "t.proto:3:3: invalid Protobuf schema: name 'Bar' is not defined",
        ),
        (
            "syntax = \"proto3\";\nmessage A {\n  string a = 1;\n  int32 b = 1;\n}\n",
            "t.proto:4:13: invalid Protobuf schema: field number '1' is already used (first defined at line 3)",
        ),
        (
            "syntax = \"proto3\";\nmessage A {\n  required string a = 1;\n}\n",
            "t.proto:3:3: Protobuf syntax error: required fields are not allowed in proto3",
        ),
        (
            "syntax = \"proto3\";\nmessage A { string a = 1; string a = 2; }\n",
            "t.proto:2:34: invalid Protobuf schema: camel-case name of field 'a' conflicts with field 'a'",
        ),
        (
            "syntax = \"proto3\";\nenum E { A = 1; }\n",
            "t.proto:2:14: invalid Protobuf schema: the first value for proto3 enums must be 0",
        ),
        (
            "",
            "t.proto: unsupported Protobuf schema: the file has no statement (no syntax, package, message, enum or extension)",
        ),
        ("syntax = \"proto4\";", "t.proto:1:10: Protobuf syntax error: unknown syntax 'proto4'"),
    ];
    for (text, expected) in cases {
        let e = err(text);
        assert!(e.contains(expected), "for {text}\n  got: {e}\n want: {expected}");
    }
}

/// Text built from Protobuf's own vocabulary, so the generator reaches past the lexer.
fn proto_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "syntax = \"proto3\";",
            "syntax = \"proto2\";",
            "message",
            "M",
            "N",
            "{",
            "}",
            "=",
            ";",
            "1",
            "2",
            "0",
            "string",
            "int32",
            "repeated",
            "optional",
            "required",
            "map<string,",
            ">",
            "oneof",
            "enum",
            "E",
            "import \"google/protobuf/timestamp.proto\";",
            "google.protobuf.Timestamp",
            "x",
            "y",
            "[default = 3]",
            "reserved",
            "extensions",
            "100 to max",
            "package p;",
            "group",
        ]),
        0..40,
    )
    .prop_map(|words| words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::tests::cases(128), ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = proto(&s);
    }

    #[test]
    fn never_panics_on_proto_shaped_text(s in proto_soup()) {
        let _ = proto(&s);
    }

    /// The editions rewrite reads untrusted text too (any characters, features anywhere).
    #[test]
    fn editions_text_never_panics(s in "\\PC{0,120}", soup in proto_soup()) {
        let _ = proto(&format!("edition = \"2023\";\n{s}"));
        let _ = proto(&format!("edition = \"2023\";\n{}", soup.replace("optional ", "[features.field_presence = IMPLICIT] ")));
    }
}

#[test]
fn imports_outside_the_folder_are_refused_unread() {
    // A file beside the scratch folder, with content that must never show up.
    let dir = scratch("escape", &[]);
    let outside = dir.parent().unwrap().join(format!("contrakt-formats-{}-secret.proto", std::process::id()));
    std::fs::write(&outside, "SECRET-SENTINEL not protobuf at all").unwrap();
    let secret = outside.file_name().unwrap().to_str().unwrap().to_string();
    for (import, shown) in [
        ("/etc/hostname".to_string(), "/etc/hostname".to_string()),
        (outside.display().to_string(), outside.display().to_string()),
        (format!("../{secret}"), format!("../{secret}")),
        (format!("sub/../../{secret}"), format!("sub/../../{secret}")),
    ] {
        let text = format!("syntax = \"proto3\";\n\nimport \"{import}\";\n\nmessage A {{ int32 id = 1; }}\n");
        std::fs::write(dir.join("a.proto"), &text).unwrap();
        let e = load(&dir.join("a.proto"), None).expect_err(&import);
        let shown_msg = e.to_string();
        assert!(shown_msg.contains(&format!("import `{shown}` is outside")), "{shown_msg}");
        assert_eq!(e.location(), Some((3, Some(8))), "{shown_msg}");
        assert!(!shown_msg.contains("SECRET-SENTINEL") && !shown_msg.contains("group name"), "{shown_msg}");
    }
    let _ = std::fs::remove_file(outside);
}

#[test]
fn nesting_is_bounded_before_the_compiler() {
    let mut text = String::from("syntax = \"proto3\";\n");
    for i in 0..10_000 {
        text.push_str(&format!("message M{i} {{\n"));
    }
    text.push_str(&"}\n".repeat(10_000));
    let e = proto(&text).unwrap_err();
    assert!(matches!(e, Error::TooDeep { line: 66, column: 13, limit: 64, .. }), "{e}");
    // Braces in comments and strings do not count.
    let quiet = format!(
        "syntax = \"proto3\";\n// {}\nmessage A {{ string s = 1 [default = \"{}\"]; }}\n",
        "{".repeat(100),
        "{".repeat(100)
    );
    assert!(!matches!(proto(&quiet), Err(Error::TooDeep { .. })));
}

#[test]
fn every_definition_of_the_file_is_kept_as_typed_facts() {
    let text = "syntax = \"proto3\";\npackage acme.v1;\n\
        message Order {\n  reserved 4 to 6, 9;\n  reserved \"legacy\";\n  message Line { string sku = 1 [json_name = \"SKU\"]; }\n  \
        enum Unused { UNUSED_UNSPECIFIED = 0; reserved 2; }\n  optional string note = 1;\n  map<string, Line> lines = 2;\n  \
        oneof pay { string card = 3; }\n}\nenum Status { STATUS_UNSPECIFIED = 0; STATUS_DONE = 1; }\n";
    let s = proto(text).unwrap();
    let [file] = s.proto_files.as_slice() else { panic!("one file: {:?}", s.proto_files) };
    assert_eq!(file.package, "acme.v1");
    assert_eq!(text_at(text, file.package_span), "package acme.v1;");
    assert_eq!(file.syntax, ProtoSyntax::Proto3);
    let names: Vec<&str> = file.messages.iter().map(|m| m.nested_name.as_str()).collect();
    assert_eq!(names, ["Order", "Order.Line", "Order.LinesEntry"], "nested and unused messages, map entries");
    let order = &file.messages[0];
    assert_eq!(order.reserved_ranges, [(4, 6), (9, 9)]);
    assert_eq!(order.reserved_names, ["legacy"]);
    assert_eq!(order.oneofs, ["pay"], "the synthetic oneof of `optional` is not a oneof");
    let note = &order.fields[0];
    assert_eq!(
        (note.cardinality, note.kind, note.json_name.as_str()),
        (ProtoCardinality::OptionalExplicit, ProtoKind::String, "note")
    );
    assert_eq!(text_at(text, note.name_span), "note");
    assert_eq!(text_at(text, note.type_span), "string");
    let lines = &order.fields[1];
    assert_eq!(
        (lines.cardinality, lines.type_name.as_deref()),
        (ProtoCardinality::Map, Some("acme.v1.Order.LinesEntry"))
    );
    assert_eq!(order.fields[2].oneof.as_deref(), Some("pay"));
    let entry = &file.messages[2];
    assert!(entry.map_entry);
    assert_eq!(
        text_at(text, entry.fields[1].span),
        "map<string, Line> lines = 2;",
        "map entries sit at their map field"
    );
    let sku = &file.messages[1].fields[0];
    assert!(sku.json_name_declared);
    assert_eq!((sku.json_name.as_str(), text_at(text, sku.json_name_span)), ("SKU", "json_name = \"SKU\""));
    let enums: Vec<(&str, bool)> = file.enums.iter().map(|e| (e.full_name.as_str(), e.closed)).collect();
    assert_eq!(enums, [("acme.v1.Status", false), ("acme.v1.Order.Unused", false)]);
    assert_eq!(file.enums[1].reserved_ranges, [(2, 2)], "enum reserved ranges are inclusive");
    assert_eq!(file.enums[0].values, [("STATUS_UNSPECIFIED".to_string(), 0), ("STATUS_DONE".to_string(), 1)]);
}

#[test]
fn files_with_only_enums_extensions_or_a_package_load() {
    for text in
        ["syntax = \"proto3\";\nenum E { A = 0; }\n", "syntax = \"proto3\";\npackage a;\n", "syntax = \"proto3\";\n"]
    {
        let s = proto(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(s.objects.is_empty());
        assert_eq!(s.proto_files.len(), 1);
    }
    let s = proto("syntax = \"proto2\";\nmessage M { extensions 10 to 20; }\nextend M { optional int32 x = 10; }\n")
        .unwrap();
    let x = &s.proto_files[0].extensions[0];
    assert_eq!((x.full_name.as_str(), x.extendee.as_deref(), x.number), ("x", Some("M"), 10));
    assert_eq!(s.proto_files[0].messages[0].extension_ranges, [(10, 20)]);
}

#[test]
fn editions_files_read_with_their_features() {
    let text = "edition = \"2023\";\n\npackage a;\n\nmessage M {\n  int32 plain = 1;\n  int32 implicit = 2 [features.field_presence = IMPLICIT];\n  int64 req = 3 [features.field_presence = LEGACY_REQUIRED];\n  M child = 4 [features.message_encoding=DELIMITED];\n  repeated int32 list = 5;\n  E e = 6;\n}\n\nenum E {\n  option features.enum_type = CLOSED;\n  E_ZERO = 0;\n}\n\nenum Open { OPEN_ZERO = 0; }\n";
    let s = proto(text).unwrap();
    let file = &s.proto_files[0];
    assert_eq!(file.syntax, ProtoSyntax::Editions);
    let m = &file.messages[0];
    let card: Vec<ProtoCardinality> = m.fields.iter().map(|f| f.cardinality).collect();
    use ProtoCardinality::*;
    assert_eq!(card, [OptionalExplicit, OptionalImplicit, Required, OptionalExplicit, Repeated, OptionalExplicit]);
    assert_eq!(m.fields[3].kind, ProtoKind::Group, "DELIMITED message encoding is a group on the wire");
    assert_eq!(m.fields[0].kind, ProtoKind::Int32);
    // Spans point into the text as written (the `optional ` labels added for the compiler do
    // not shift them).
    for f in &m.fields {
        assert_eq!(text_at(text, f.name_span), f.name, "{}", f.name);
    }
    assert_eq!(text_at(text, m.fields[2].span), "int64 req = 3 [features.field_presence = LEGACY_REQUIRED];");
    let closed: Vec<bool> = file.enums.iter().map(|e| e.closed).collect();
    assert_eq!(closed, [true, false], "editions enums are open unless `enum_type = CLOSED`");
    // The IR of the objects reads the same way: a required field is required.
    let req = field(&s.objects[0].fields, "req");
    assert!(req.required);
}

#[test]
fn editions_files_import_each_other() {
    let dir = scratch(
        "editions-import",
        &[
            ("dep.proto", "edition = \"2023\";\npackage d;\nmessage Dep { int32 x = 1; }\n"),
            ("main.proto", "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage Main { d.Dep dep = 1; }\n"),
        ],
    );
    let s = load(&dir.join("main.proto"), None).unwrap();
    let DataType::Struct(fields) = &s.objects[0].fields[0].data_type else { panic!() };
    assert_eq!(fields[0].name, "x");
}

#[test]
fn edition_translation_maps_offsets_back() {
    let t = editions::translate("t.proto", "edition=\"2023\";\nmessage M { int32 a = 1; }\n").unwrap();
    assert!(t.text.starts_with("syntax = \"proto2\";"), "{}", t.text);
    assert!(t.text.contains("optional int32 a = 1;"), "{}", t.text);
    let original = "edition=\"2023\";\nmessage M { int32 a = 1; }\n";
    let at = t.text.find("int32").unwrap();
    assert_eq!(&original[t.original(at)..t.original(at) + 5], "int32");
    assert!(editions::translate("t.proto", "syntax = \"proto3\";").is_none());
    assert!(editions::translate("t.proto", "// edition = \"2023\";\nsyntax = \"proto3\";").is_none());
}

/// A proto3 file from a small grammar: one message with up to five fields (labels, scalar,
/// enum and message types, json names, a oneof), a nested message, an enum with some of its
/// values, and reservations. Numbers are distinct, names too, so the file always compiles.
fn proto_file() -> impl Strategy<Value = String> {
    let types = prop::sample::select(vec![
        "int32", "int64", "uint32", "sint32", "fixed32", "sfixed64", "string", "bytes", "bool", "double", "E", "Inner",
    ]);
    let label = prop::sample::select(vec!["", "optional ", "repeated "]);
    let field = (label, types, any::<bool>(), any::<bool>());
    (
        prop::collection::vec(field, 0..5),
        prop::sample::subsequence(vec![1, 2, 3, 4, 5, 6, 7, 8], 5),
        prop::sample::subsequence(vec!["A", "B", "C"], 0..3),
        prop::option::of(9..12i32),
        any::<bool>(),
    )
        .prop_map(|(fields, numbers, values, reserved, package)| {
            let mut text = String::from("syntax = \"proto3\";\n");
            if package {
                text.push_str("package p;\n");
            }
            text.push_str("enum E { E_ZERO = 0;");
            for (i, v) in values.iter().enumerate() {
                text.push_str(&format!(" E_{v} = {};", i + 1));
            }
            text.push_str(" }\nmessage M {\n  message Inner { int32 x = 1; }\n");
            if let Some(r) = reserved {
                text.push_str(&format!("  reserved {r};\n"));
            }
            for (i, ((label, t, json, oneof), n)) in fields.iter().zip(&numbers).enumerate() {
                let json = if *json { format!(" [json_name = \"j{i}\"]") } else { String::new() };
                if *oneof && label.is_empty() {
                    text.push_str(&format!("  oneof o{i} {{ {t} f{i} = {n}{json}; }}\n"));
                } else {
                    text.push_str(&format!("  {label}{t} f{i} = {n}{json};\n"));
                }
            }
            text.push_str("}\n");
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::tests::cases(64), ..ProptestConfig::default() })]

    /// A Protobuf schema diffed with itself has no changes, typed definition rules included.
    #[test]
    fn a_protobuf_file_diffed_with_itself_has_no_changes(text in proto_file()) {
        let s = proto(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
        prop_assert_eq!(contrakt_core::diff::diff(&s, &s), Vec::new());
    }

    /// Swapping old and new swaps the backward and forward verdicts for Protobuf schemas too.
    #[test]
    fn swapping_protobuf_files_swaps_the_verdicts(a in proto_file(), b in proto_file()) {
        use contrakt_core::diff::{Mode, compatible};
        let (a, b) = (proto(&a).unwrap(), proto(&b).unwrap());
        prop_assert_eq!(compatible(&[], &a, &b, Mode::Backward), compatible(&[], &b, &a, Mode::Forward));
        prop_assert_eq!(compatible(&[], &a, &b, Mode::Forward), compatible(&[], &b, &a, Mode::Backward));
        // Every definition rule judges the definitions, not a reader direction.
        let changes = contrakt_core::diff::diff(&a, &b);
        prop_assert!(changes.iter().filter(|c| c.rule.code.starts_with('P')).all(|c| c.level.is_some() && c.breaks == contrakt_core::diff::Directions::NONE));
    }
}
