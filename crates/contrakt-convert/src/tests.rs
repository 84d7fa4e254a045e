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

mod generated {
    //! lower(import(s)) against s, over generated schemas of what ODCS v3.1 expresses.

    use contrakt_core::ir::{Bound, DataType, Expresses, Field, Object, RecordModel, Schema, TimeUnit};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn primitive() -> impl Strategy<Value = DataType> {
        prop_oneof![
            Just(DataType::Boolean),
            (prop::sample::select(vec![8u8, 16, 32, 64, 128]), any::<bool>())
                .prop_map(|(b, signed)| DataType::Int { bits: Some(b), signed: signed || b == 128 }),
            Just(DataType::Int { bits: None, signed: true }),
            prop::sample::select(vec![Some(32u8), Some(64), None]).prop_map(|bits| DataType::Float { bits }),
            (1u8..=38)
                .prop_flat_map(|p| (Just(p), 0..=p as i8))
                .prop_map(|(p, s)| DataType::Decimal { precision: Some(p), scale: Some(s) }),
            Just(DataType::String),
            Just(DataType::Binary),
            (1u32..64).prop_map(|size| DataType::FixedBinary { size }),
            Just(DataType::Uuid),
            Just(DataType::Date),
            prop::option::of(prop::sample::select(vec![
                TimeUnit::Second,
                TimeUnit::Millisecond,
                TimeUnit::Microsecond,
                TimeUnit::Nanosecond
            ]))
            .prop_map(|unit| DataType::Time { unit }),
            (prop::option::of(prop::sample::select(vec![TimeUnit::Millisecond, TimeUnit::Microsecond])), any::<bool>())
                .prop_map(|(unit, tz)| DataType::Timestamp { unit, timezone: Some(tz) }),
            Just(DataType::Timestamp { unit: None, timezone: None }),
            Just(DataType::Any),
            Just(DataType::Duration),
        ]
    }

    /// Snake-case names. (Names that differ only in underscores, `r_` and `r__`, share a
    /// Protobuf JSON name, which protox rejects; the export does not rename them.)
    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9]{0,4}(_[a-z][a-z0-9]{0,3})?"
    }

    /// A field with constraints that fit its type, as the ODCS lowering would produce them.
    fn field(data_type: DataType) -> impl Strategy<Value = Field> {
        (name(), any::<bool>(), any::<bool>(), prop::option::of("[a-z ]{1,12}"), any::<u8>(), any::<i16>()).prop_map(
            move |(n, nullable, unique, description, knob, bound)| {
                let mut f = Field::new(n, data_type.clone());
                f.nullable = nullable;
                f.unique = unique;
                f.description = description;
                match &f.data_type {
                    DataType::String => {
                        if knob & 1 != 0 {
                            f.constraints.max_length = Some(u64::from(knob) + 1);
                        }
                        if knob & 2 != 0 {
                            f.constraints.min_length = Some(1);
                        }
                        if knob & 4 != 0 {
                            f.constraints.pattern = Some("^[a-z]+$".into());
                        }
                        if knob & 8 != 0 {
                            f.constraints.enum_values = Some(vec![json!("a"), json!("b")]);
                        }
                        if knob & 16 != 0 {
                            f.constraints.format = Some("email".into());
                        }
                    }
                    DataType::Int { .. } | DataType::Float { .. } | DataType::Decimal { .. } => {
                        if knob & 1 != 0 {
                            f.constraints.minimum = Some(Bound { value: json!(bound), exclusive: knob & 2 != 0 });
                        }
                        if knob & 4 != 0 {
                            f.constraints.maximum =
                                Some(Bound { value: json!(i32::from(bound) + 1000), exclusive: knob & 8 != 0 });
                        }
                        if knob & 16 != 0 {
                            f.constraints.multiple_of = Some(5.0);
                        }
                    }
                    DataType::Date if knob & 1 != 0 => {
                        f.constraints.minimum = Some(Bound { value: json!("2020-01-01"), exclusive: false });
                    }
                    _ => {}
                }
                if knob & 32 != 0 && !matches!(f.data_type, DataType::Any | DataType::Duration) {
                    f.default = Some(json!(knob));
                }
                f
            },
        )
    }

    fn data_type() -> impl Strategy<Value = DataType> {
        primitive().prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone().prop_flat_map(field), 1..4)
                    .prop_map(|fs| DataType::Struct(dedup(fs))),
                inner.prop_flat_map(field).prop_map(|mut item| {
                    item.name = "item".into();
                    DataType::List(Box::new(item))
                }),
            ]
        })
    }

    fn dedup(mut fields: Vec<Field>) -> Vec<Field> {
        let mut seen = std::collections::HashSet::new();
        fields.retain(|f| seen.insert(f.name.clone()));
        fields
    }

    fn schema() -> impl Strategy<Value = Schema> {
        (prop::collection::vec(data_type().prop_flat_map(field), 1..8), 0usize..3).prop_map(|(fields, keys)| {
            let mut fields = dedup(fields);
            // The first `keys` primitive fields form the primary key.
            let mut position = 0;
            for f in fields.iter_mut().filter(|f| f.data_type.kind() == "primitive").take(keys) {
                position += 1;
                f.primary_key_position = Some(position);
                f.nullable = false;
            }
            let mut object = Object {
                name: "t".into(),
                physical_name: None,
                id: None,
                kind: Some("table".into()),
                fields,
                primary_key: Vec::new(),
                partitioning: Vec::new(),
                foreign_keys: Vec::new(),
                description: None,
                span: Default::default(),
                pointer: String::new(),
                tags: Vec::new(),
                custom_properties: Default::default(),
                quality: Vec::new(),
                json_schema: None,
            };
            let mut key: Vec<(u32, String)> =
                object.fields.iter().filter_map(|f| Some((f.primary_key_position?, f.name.clone()))).collect();
            key.sort();
            object.primary_key = key.into_iter().map(|(_, n)| n).collect();
            Schema {
                source: "generated".into(),
                record_model: RecordModel::ByNameStrict,
                expresses: Expresses::ALL,
                qualified_paths: true,
                objects: vec![object],
                proto_files: Vec::new(),
                facts: Default::default(),
            }
        })
    }

    /// Breaking differences between a generated schema and its export read back, that no
    /// export warning names (on the field or a field enclosing it).
    pub(super) fn unlisted(one: &Schema, target: crate::Target) -> Vec<String> {
        let exported = crate::export(one, target, None, "generated").unwrap();
        let mut back = if target == crate::Target::Arrow {
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), &exported.content).unwrap();
            contrakt_formats::load(file.path(), Some(Format::Arrow)).unwrap()
        } else {
            super::exports::reimport(&exported.text(), target)
        };
        if back.objects.len() == 1 {
            back.objects[0].name = one.objects[0].name.clone();
            back.objects[0].physical_name = one.objects[0].physical_name.clone();
        }
        let listed: Vec<&str> = exported.warnings.iter().filter_map(|w| w.split_once(": ").map(|(p, _)| p)).collect();
        diff::diff(one, &back)
            .iter()
            .filter(|c| c.is_breaking(default_mode(&back)))
            .filter(|c| {
                let path = c.path.to_string();
                !listed.iter().any(|p| {
                    path == *p
                        || (p.contains('.') && [".", "[", "{"].iter().any(|s| path.starts_with(&format!("{p}{s}"))))
                })
            })
            .map(|c| format!("{target}: {} {}: {}\n{}", c.rule.code, c.path, c.message, exported.text()))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn every_export_of_a_generated_schema_loses_only_what_it_lists(s in schema()) {
            for target in super::exports::targets() {
                let problems = unlisted(&s, target);
                prop_assert!(problems.is_empty(), "{}", problems.join("\n"));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn lowering_the_import_gives_the_schema_back(s in schema()) {
            let imported = import(&s, &ImportOptions::default());
            let yaml = imported.to_yaml();
            let problems = lint_problems("generated.odcs.yaml", &yaml);
            prop_assert!(problems.is_empty(), "{}\n{yaml}", problems.join("\n"));
            let lowered = lower("generated.odcs.yaml", &yaml);
            let changes: Vec<String> = diff::diff(&s, &lowered)
                .iter()
                .chain(diff::diff(&lowered, &s).iter())
                .map(|c| format!("{} {}: {}", c.rule.code, c.display_path, c.message))
                .collect();
            prop_assert!(changes.is_empty(), "{}\n{yaml}", changes.join("\n"));
            // And field by field, not only through the diff's eyes.
            let (a, b) = (&s.objects[0], &lowered.objects[0]);
            prop_assert_eq!(&a.primary_key, &b.primary_key);
            prop_assert_eq!(a.fields.len(), b.fields.len());
            for (x, y) in a.fields.iter().zip(&b.fields) {
                prop_assert_eq!(&x.name, &y.name);
                prop_assert_eq!(x.data_type.to_string(), y.data_type.to_string(), "{}\n{}", x.name, yaml);
                prop_assert_eq!(x.nullable, y.nullable);
                prop_assert_eq!(x.unique, y.unique);
                prop_assert_eq!(&x.default, &y.default);
                prop_assert_eq!(&x.description, &y.description);
                prop_assert_eq!(x.primary_key_position, y.primary_key_position);
                prop_assert_eq!(&x.constraints, &y.constraints, "{}\n{}", x.name, yaml);
            }
        }
    }
}

mod exports {
    //! Every contract of the example registry, every object, every target: checked by a
    //! consumer of the format, then read back through the front ends and diffed.

    use contrakt_core::ir::Schema;

    use super::*;
    use crate::{Dialect, Target, export};

    pub(super) fn contracts() -> Vec<(String, Schema)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("contracts"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".odcs.yaml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name.clone(), lower(&name, &std::fs::read_to_string(&p).unwrap()))
            })
            .collect()
    }

    pub(super) fn targets() -> Vec<Target> {
        let mut t = vec![Target::JsonSchema, Target::Avro, Target::Protobuf, Target::Arrow];
        t.extend(Dialect::ALL.map(Target::Sql));
        t
    }

    /// The exported text read back by our own front end (which parses SQL with sqlparser in
    /// the dialect and compiles Protobuf with protox).
    pub(super) fn reimport(text: &str, target: Target) -> Schema {
        let result = match target {
            Target::JsonSchema => contrakt_formats::load_str("export.schema.json", text, Format::JsonSchema),
            Target::Avro => contrakt_formats::load_str("export.avsc", text, Format::Avro),
            Target::Protobuf => contrakt_formats::load_str("export.proto", text, Format::Protobuf),
            Target::Sql(d) => contrakt_formats::load_sql("export.sql", text, Some(d.sqlparser_name())),
            Target::Arrow => unreachable!("binary: see reimport_bytes"),
            Target::Dbt(_) | Target::Soda | Target::GreatExpectations => unreachable!("check languages: not schemas"),
        };
        result.unwrap_or_else(|e| panic!("{target}: {e}\n{text}"))
    }

    /// Checks by a consumer of each format other than our front end.
    fn consume(text: &str, target: Target) {
        match target {
            Target::JsonSchema => {
                let schema: serde_json::Value = serde_json::from_str(text).unwrap();
                jsonschema::draft202012::meta::validate(&schema).unwrap_or_else(|e| panic!("{e}\n{text}"));
                jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}\n{text}"));
            }
            Target::Protobuf => {
                let dir = tempfile::tempdir().unwrap();
                std::fs::write(dir.path().join("export.proto"), text).unwrap();
                protox::compile(["export.proto"], [dir.path()]).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
            }
            Target::Sql(d) => {
                let dialect = contrakt_formats::sql_dialect(d.sqlparser_name()).unwrap();
                sqlparser::parser::Parser::parse_sql(dialect.as_ref(), text)
                    .unwrap_or_else(|e| panic!("{d:?}: {e}\n{text}"));
            }
            // No Avro library in the build: the front end is the consumer; Arrow's reader is
            // the front end's own.
            Target::Avro | Target::Arrow => {}
            Target::Dbt(_) | Target::Soda | Target::GreatExpectations => unreachable!("check languages: not schemas"),
        }
    }

    #[test]
    fn every_export_is_read_by_a_consumer_and_diffs_clean_against_the_contract() {
        let (mut failures, mut listed_losses) = (Vec::new(), 0);
        for (file, schema) in contracts() {
            for object in &schema.objects {
                for target in targets() {
                    let one = Schema { objects: vec![object.clone()], ..schema.clone() };
                    let exported = export(&one, target, None, "freshbox").unwrap();
                    let mut back = if target == Target::Arrow {
                        let file = tempfile::NamedTempFile::new().unwrap();
                        std::fs::write(file.path(), &exported.content).unwrap();
                        contrakt_formats::load(file.path(), Some(Format::Arrow)).unwrap()
                    } else {
                        consume(&exported.text(), target);
                        reimport(&exported.text(), target)
                    };
                    // Other languages name the object their own way (`$`, the record, the
                    // message); the name is not what this test is about.
                    if back.objects.len() == 1 {
                        back.objects[0].name = object.name.clone();
                        back.objects[0].physical_name = object.physical_name.clone();
                    }
                    // Every breaking difference must be a loss the export listed: a warning
                    // on the field, or on a field that encloses it.
                    let listed: Vec<&str> =
                        exported.warnings.iter().filter_map(|w| w.split_once(": ").map(|(p, _)| p)).collect();
                    for c in diff::diff(&one, &back).iter().filter(|c| c.is_breaking(default_mode(&back))) {
                        let path = c.path.to_string();
                        // An object-level warning covers the object, not every field in it.
                        let covered = listed.iter().any(|p| {
                            path == *p
                                || (p.contains('.')
                                    && [".", "[", "{"].iter().any(|s| path.starts_with(&format!("{p}{s}"))))
                        });
                        listed_losses += usize::from(covered);
                        if !covered {
                            failures.push(format!(
                                "{file} {} → {target}: {} {} {path}: {}",
                                object.name, c.rule.code, c.rule.slug, c.message
                            ));
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(listed_losses > 50, "the registry exercises the listed losses ({listed_losses})");
    }

    fn orders() -> Schema {
        contracts().into_iter().find(|(f, _)| f == "orders.odcs.yaml").unwrap().1
    }

    #[test]
    fn the_orders_json_schema_accepts_a_good_order_and_rejects_bad_ones() {
        let exported = export(&orders(), Target::JsonSchema, Some("orders"), "freshbox").unwrap();
        let schema: serde_json::Value = serde_json::from_str(&exported.text()).unwrap();
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let good = serde_json::json!({
            "order_id": "8d494f58-1388-4d5a-8bf7-05046765727c",
            "customer_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "box_plan": "2P-3R",
            "recipes_per_box": 3,
            "order_date": "2026-11-20",
            "delivery_week": "2026-11-23",
            "total_amount": 42.5,
            "currency": "GBP",
            "status": "confirmed",
            "is_first_box": false,
            "promo_codes": null,
            "customer_email": "a@example.com",
            "created_at": "2026-11-20T10:00:00Z",
            "updated_at": "2026-11-20T10:00:00Z",
        });
        let mut good = good.as_object().unwrap().clone();
        // Fill the properties this sample does not set with null where the schema allows it.
        for (name, prop) in schema["properties"].as_object().unwrap() {
            if !good.contains_key(name) {
                let nullable = prop["type"].as_array().is_some_and(|t| t.contains(&serde_json::json!("null")))
                    || prop.get("type").is_none();
                assert!(nullable, "the sample must set the not-null property `{name}`");
                good.insert(name.clone(), serde_json::Value::Null);
            }
        }
        let good = serde_json::Value::Object(good);
        let errors: Vec<String> =
            validator.iter_errors(&good).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        for (property, bad) in [
            ("status", serde_json::json!("lost")),
            ("recipes_per_box", serde_json::json!("three")),
            ("order_id", serde_json::json!(null)),
            ("total_amount", serde_json::json!(-1)),
        ] {
            let mut doc = good.clone();
            doc[property] = bad.clone();
            assert!(!validator.is_valid(&doc), "{property} = {bad} should be rejected");
        }
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove("order_id");
        assert!(!validator.is_valid(&missing), "a missing column is rejected");
    }

    #[test]
    fn orders_exports_read_as_expected() {
        for target in targets().into_iter().filter(|t| !t.is_binary()) {
            let exported = export(&orders(), target, Some("orders"), "freshbox.commerce").unwrap();
            let warnings: String = exported.warnings.iter().map(|w| format!("-- warning: {w}\n")).collect();
            let name = format!("export_orders_{}", target.to_string().replace(':', "_"));
            insta::assert_snapshot!(name, format!("{warnings}{}", exported.text()));
        }
    }
}

#[test]
fn a_dbt_manifest_imports_its_models_columns_constraints_and_tests() {
    let path = root().join("fixtures/dbt/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(crate::dbt::is_manifest(&text));
    let (schema, losses) = crate::dbt::load("manifest.json", &text, &[]).unwrap();
    let names: Vec<&str> = schema.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["customers", "orders"], "models only, no seeds");
    let orders = schema.object("orders").unwrap();
    assert_eq!(orders.primary_key, ["order_id"]);
    assert_eq!(orders.foreign_keys.len(), 1, "the constraint and the relationships test are one key");
    let status = orders.fields.iter().find(|f| f.name == "status").unwrap();
    assert!(!status.nullable);
    assert_eq!(status.constraints.enum_values.as_ref().unwrap().len(), 4);
    assert_eq!(status.constraints.max_length, Some(16));
    assert!(schema.object("customers").unwrap().fields.iter().any(|f| f.name == "email" && f.unique && !f.nullable));
    let imported =
        import(&schema, &ImportOptions { id: Some("urn:freshbox:dbt".into()), name: Some("freshbox".into()) });
    let yaml = imported.to_yaml();
    assert_eq!(lint_problems("freshbox.odcs.yaml", &yaml), Vec::<String>::new(), "{yaml}");
    let back = lower("freshbox.odcs.yaml", &yaml);
    assert_eq!(breaking(&schema, &back, Mode::Full), Vec::<String>::new());
    assert_eq!(breaking(&back, &schema, Mode::Full), Vec::<String>::new());
    let warnings: String = losses.iter().chain(&imported.warnings).map(|w| format!("# warning: {w}\n")).collect();
    insta::assert_snapshot!("import_dbt_manifest", format!("{warnings}{yaml}"));
}

/// The in-process Arrow schema (the Python package's `__arrow_c_schema__`) is the schema the
/// `--to arrow` file holds, with the same losses; an object the contract lacks is named.
#[test]
fn the_arrow_schema_value_is_the_exported_files() {
    let source = contrakt_core::registry::read_source(&root().join("contracts/orders.odcs.yaml")).unwrap();
    let doc = contrakt_core::odcs::load(source).unwrap();
    let value = crate::arrow_schema(&doc, Some("orders")).unwrap();
    let file = crate::export_contract(&doc, crate::Target::Arrow, Some("orders"), "p", &Default::default()).unwrap();
    let reader = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(file.content), None).unwrap();
    assert_eq!(reader.schema().as_ref(), &value.content);
    assert_eq!(value.warnings, file.warnings);
    assert!(value.content.field_with_name("order_id").is_ok());
    let e = crate::arrow_schema(&doc, Some("nope")).unwrap_err().to_string();
    assert!(e.contains("no schema object `nope`") && e.contains("orders"), "{e}");
}

/// Versions of one model with no `latest_version` (as dbt writes when none is pinned): the
/// highest version keeps the name, the others are `{name}_v{version}`.
#[test]
fn dbt_versions_without_a_pinned_latest_keep_the_highest() {
    let model = |v: u32| {
        serde_json::json!({"resource_type": "model", "name": "mart_orders", "package_name": "p", "version": v,
            "unique_id": format!("model.p.mart_orders.v{v}"), "columns": {"id": {"name": "id", "data_type": "integer"}}})
    };
    let manifest = serde_json::json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "project_name": "p"},
        "nodes": {"model.p.mart_orders.v1": model(1), "model.p.mart_orders.v2": model(2), "model.p.mart_orders.v10": model(10)}
    });
    let (schema, warnings) = crate::dbt::load("m.json", &manifest.to_string(), &[]).unwrap();
    let mut names: Vec<&str> = schema.objects.iter().map(|o| o.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["mart_orders", "mart_orders_v1", "mart_orders_v2"]);
    assert_eq!(warnings.iter().filter(|w| w.contains("another model is also named")).count(), 2, "{warnings:?}");
}
