use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::tests::{fixture, text_at};
use crate::{Format, load, load_str};

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
    assert_eq!((total.data_type.clone(), meta(total, "proto.type")), (DataType::int(64), Some("sint64")));
    assert_eq!(total.default, Some(json!(0)));
    assert_eq!(f("warehouse_batch").data_type, DataType::uint(64));
    assert_eq!(meta(f("warehouse_batch"), "proto.type"), Some("fixed64"));
    assert_eq!(f("weight_kg").data_type, DataType::float(64));

    let currency = f("currency");
    let DataType::Enum { symbols, open, default } = &currency.data_type else { panic!("{}", currency.data_type) };
    assert_eq!(symbols, &["CURRENCY_UNSPECIFIED", "GBP", "EUR"]);
    assert!(*open, "proto3 enums are open");
    assert_eq!(*default, None);
    assert_eq!(meta(currency, "proto.type"), Some("freshbox.common.v1.Currency"));
    assert_eq!(currency.default, Some(json!("CURRENCY_UNSPECIFIED")));
    assert_eq!(meta(f("status"), "proto.enum_values"), Some("STATUS_UNSPECIFIED=0,PENDING=1,CONFIRMED=2,DELIVERED=5"));

    assert_eq!(f("promo_codes").data_type.to_string(), "list<string>");
    assert_eq!(meta(f("promo_codes"), "proto.label"), Some("repeated"));
    assert!(!f("promo_codes").nullable);

    let payment = f("payment");
    assert!(payment.nullable, "message fields have presence");
    assert_eq!(meta(payment, "proto.type"), Some("freshbox.commerce.v1.Order.Payment"));
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
    assert_eq!(meta(gift, "proto.label"), Some("optional"));
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
    assert_eq!(meta(id, "proto.label"), Some("required"));
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
    assert_eq!((item.data_type.clone(), meta(item, "proto.type")), (DataType::int(32), Some("sfixed32")));
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
            "syntax = \"proto3\";\nenum E { A = 0; }\n",
            "t.proto: unsupported Protobuf schema: the file defines no top-level message",
        ),
        ("", "the file defines no top-level message"),
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
