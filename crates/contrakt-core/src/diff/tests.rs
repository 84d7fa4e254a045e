//! Catalog cases on real ODCS snippets, and the engine's invariants as properties.

use proptest::prelude::*;

use super::*;
use crate::diagnostic::Level;
use crate::ir::{Constraints, DataType, Field, Object, RecordModel, lower_contract};
use crate::source::SourceFile;

fn odcs(props: &str) -> Schema {
    let text = format!(
        "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\nschema:\n  - name: orders\n    properties:\n{props}"
    );
    let doc = crate::odcs::load(SourceFile::new("t.yaml", text)).expect("test contract loads");
    lower_contract(&doc)
}

fn codes(old: &str, new: &str) -> Vec<(String, String, Vec<&'static str>)> {
    diff(&odcs(old), &odcs(new))
        .into_iter()
        .map(|c| (c.rule.code.to_string(), c.display_path.clone(), c.breaks.names()))
        .collect()
}

#[track_caller]
fn expect(old: &str, new: &str, code: &str, path: &str, breaks: &[&str]) {
    let got = codes(old, new);
    assert!(
        got.iter().any(|(c, p, b)| c == code && p == path && b == breaks),
        "expected {code} at {path} breaking {breaks:?}, got {got:?}"
    );
}

const ID: &str = "      - {name: id, logicalType: integer, logicalTypeOptions: {format: i64}, required: true}\n";

#[test]
fn field_additions_and_removals() {
    let with = |extra: &str| format!("{ID}{extra}");
    expect(ID, &with("      - {name: note, logicalType: string}\n"), "F001", "orders.note", &[]);
    expect(
        ID,
        &with("      - {name: vat, logicalType: number, required: true}\n"),
        "F002",
        "orders.vat",
        &["backward"],
    );
    expect(&with("      - {name: vat, logicalType: number, required: true}\n"), ID, "F004", "orders.vat", &["forward"]);
    expect(&with("      - {name: note, logicalType: string}\n"), ID, "F005", "orders.note", &["forward"]);
}

#[test]
fn quality_rules_and_tags_are_metadata() {
    let q = |threshold: &str| {
        format!(
            "{ID}      - name: amount\n        logicalType: number\n        quality:\n          - {{name: positive, type: sql, query: SELECT 1, {threshold}}}\n"
        )
    };
    let level = |old: &str, new: &str| -> Vec<(String, Level)> {
        diff(&odcs(old), &odcs(new)).iter().map(|c| (c.rule.code.to_string(), c.level_under(Mode::Full))).collect()
    };
    let m005 = |l: Level| vec![("M005".to_string(), l)];
    // Weakened, tightened, removed, added, and a range made wider.
    assert_eq!(level(&q("mustBeGreaterThan: 10"), &q("mustBeGreaterThan: 0")), m005(Level::Warning));
    assert_eq!(level(&q("mustBeGreaterThan: 0"), &q("mustBeGreaterThan: 10")), m005(Level::Info));
    assert_eq!(level(&q("mustBeLessThan: 5"), &q("mustBeLessThan: 9")), m005(Level::Warning));
    assert_eq!(level(&q("mustBeBetween: [0, 5]"), &q("mustBeBetween: [0, 9]")), m005(Level::Warning));
    assert_eq!(level(&q("mustNotBeBetween: [0, 5]"), &q("mustNotBeBetween: [0, 9]")), m005(Level::Info));
    assert_eq!(level(&q("mustBe: 0"), &q("mustBe: 1")), m005(Level::Warning));
    let plain = format!("{ID}      - {{name: amount, logicalType: number}}\n");
    assert_eq!(level(&q("mustBe: 0"), &plain), m005(Level::Warning));
    assert_eq!(level(&plain, &q("mustBe: 0")), m005(Level::Info));
    for c in diff(&odcs(&q("mustBe: 0")), &odcs(&plain)) {
        assert_eq!(c.breaks, Directions::NONE, "metadata never changes the verdict");
    }
    // Tags and custom properties; `default` is a default (D001), not a custom property.
    let tagged = |tags: &str, props: &str| {
        format!(
            "{ID}      - name: amount\n        logicalType: number\n        tags: [{tags}]\n        customProperties: [{props}]\n"
        )
    };
    expect(&tagged("a", ""), &tagged("a, b", ""), "M002", "orders.amount", &[]);
    expect(
        &tagged("", "{property: pii, value: 'false'}"),
        &tagged("", "{property: pii, value: 'true'}"),
        "M002",
        "orders.amount",
        &[],
    );
    assert_eq!(level(&tagged("b, a", ""), &tagged("a, b", "")), vec![], "tag order does not matter");
    assert_eq!(
        level(&tagged("", ""), &tagged("", "{property: default, value: 0}")),
        vec![("D001".to_string(), Level::Info)]
    );
}

#[test]
fn renames_by_id_and_rename_hints() {
    let old = "      - {id: amt, name: amount, logicalType: number, required: true}\n";
    let new = "      - {id: amt, name: total, logicalType: number, required: true}\n";
    expect(old, new, "F006", "orders.total", &["backward", "forward"]);
    let old = "      - {name: amount, logicalType: number, required: true}\n";
    let new = "      - {name: total, logicalType: number, required: true}\n";
    let changes = diff(&odcs(old), &odcs(new));
    let removed = changes.iter().find(|c| c.rule.code == "F004").expect("removal");
    assert!(removed.hint.as_deref().is_some_and(|h| h.contains("`total`")), "{removed:?}");
}

#[test]
fn types_along_the_lattice() {
    let t = |fmt: &str| {
        format!("      - {{name: n, logicalType: integer, logicalTypeOptions: {{format: {fmt}}}, required: true}}\n")
    };
    expect(&t("i32"), &t("i64"), "T001", "orders.n", &["forward"]);
    expect(&t("i64"), &t("i32"), "T003", "orders.n", &["backward"]);
    let d = |p: &str| format!("      - {{name: n, logicalType: number, physicalType: '{p}', required: true}}\n");
    expect(&d("decimal(10,2)"), &d("decimal(12,2)"), "T006", "orders.n", &["forward"]);
    expect(&d("decimal(10,2)"), &d("decimal(10,3)"), "T007", "orders.n", &["backward", "forward"]);
    let s = "      - {name: n, logicalType: string, required: true}\n";
    expect(&t("i32"), s, "T004", "orders.n", &["backward", "forward"]);
    let o = "      - {name: n, logicalType: object, required: true, properties: [{name: x, logicalType: string}]}\n";
    expect(s, o, "T009", "orders.n", &["backward", "forward"]);
}

#[test]
fn nullability_constraints_enums_keys() {
    let f = |req: bool, extra: &str| format!("      - {{name: s, logicalType: string, required: {req}{extra}}}\n");
    expect(&f(false, ""), &f(true, ""), "N001", "orders.s", &["backward"]);
    expect(&f(true, ""), &f(false, ""), "N002", "orders.s", &["forward"]);
    let len = |n: u32| f(true, &format!(", logicalTypeOptions: {{maxLength: {n}}}"));
    expect(&len(64), &len(32), "C001", "orders.s", &["backward"]);
    expect(&len(32), &len(64), "C002", "orders.s", &["forward"]);
    expect(&f(true, ""), &f(true, ", logicalTypeOptions: {pattern: '^a'}"), "C003", "orders.s", &["backward"]);
    let e = |vals: &str| {
        f(true, &format!(", quality: [{{metric: invalidValues, arguments: {{validValues: [{vals}]}}, mustBe: 0}}]"))
    };
    expect(&e("a, b"), &e("a, b, c"), "E001", "orders.s", &["forward"]);
    expect(&e("a, b"), &e("a"), "E002", "orders.s", &["backward"]);
    expect(&e("a, b"), &e("a, c"), "E003", "orders.s", &["backward", "forward"]);
    let pk = |on: bool| format!("      - {{name: id, logicalType: integer, required: true, primaryKey: {on}}}\n");
    expect(&pk(true), &pk(false), "K001", "orders", &["forward"]);
    expect(&pk(false), &pk(true), "K003", "orders", &["backward"]);
}

#[test]
fn nested_paths_use_brackets() {
    let items = |t: &str| {
        format!(
            "      - name: items\n        logicalType: array\n        items:\n          logicalType: object\n          properties:\n            - {{name: qty, logicalType: integer, logicalTypeOptions: {{format: {t}}}, required: true}}\n"
        )
    };
    expect(&items("i32"), &items("i16"), "T003", "orders.items[].qty", &["backward"]);
    let list = |t: &str| format!("      - {{name: tags, logicalType: array, items: {{logicalType: {t}}}}}\n");
    expect(&list("string"), &list("integer"), "T004", "orders.tags[]", &["backward", "forward"]);
}

#[test]
fn classification_downgrade_is_an_error_escalation_a_warning() {
    let c = |class: &str| format!("      - {{name: email, logicalType: string, classification: {class}}}\n");
    let down = diff(&odcs(&c("restricted")), &odcs(&c("public")));
    assert_eq!(down[0].level_under(Mode::Full), crate::Level::Error);
    let up = diff(&odcs(&c("public")), &odcs(&c("restricted")));
    assert_eq!(up[0].level_under(Mode::Full), crate::Level::Warning);
    assert_eq!(up[0].breaks, Directions::NONE, "metadata never changes the schema verdict");
}

#[test]
fn every_example_contract_diffs_clean_against_itself() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    for d in crate::registry::discover(&[dir]).unwrap().contracts {
        let schema = lower_contract(&crate::odcs::load_document(d).unwrap());
        assert_eq!(diff(&schema, &schema), Vec::new(), "{}", schema.source);
    }
}

// ---- properties ----

fn primitive() -> impl Strategy<Value = DataType> {
    prop_oneof![
        prop::sample::select(vec![16u8, 32, 64]).prop_map(DataType::int),
        prop::sample::select(vec![32u8, 64]).prop_map(DataType::float),
        Just(DataType::String),
        Just(DataType::Date),
        Just(DataType::Boolean),
        (8u8..14, 0i8..4).prop_map(|(p, s)| DataType::Decimal { precision: Some(p), scale: Some(s) }),
    ]
}

fn field(name: &'static str) -> impl Strategy<Value = Field> {
    let leaf = (
        primitive(),
        any::<bool>(),
        prop::option::of(8u64..12),
        any::<bool>(),
        prop::option::of(prop::sample::subsequence(vec!["a", "b", "c"], 1..3)),
    )
        .prop_map(move |(t, nullable, max_len, unique, domain)| {
            let mut f = Field::new(name, t);
            f.nullable = nullable;
            f.unique = unique;
            f.constraints = Constraints {
                max_length: max_len,
                enum_values: domain.map(|d| d.into_iter().map(serde_json::Value::from).collect()),
                ..Default::default()
            };
            f
        });
    leaf.prop_recursive(2, 6, 3, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(move |mut kids| {
                for (i, k) in kids.iter_mut().enumerate() {
                    k.name = ["x", "y", "z"][i].into();
                }
                Field::new(name, DataType::Struct(kids))
            }),
            inner.prop_map(move |mut item| {
                item.name = "item".into();
                Field::new(name, DataType::List(Box::new(item)))
            }),
        ]
    })
}

fn schema(model: RecordModel) -> impl Strategy<Value = Schema> {
    (prop::option::of(field("a")), prop::option::of(field("b")), prop::option::of(field("c")), any::<bool>()).prop_map(
        move |(a, b, c, key)| {
            let fields: Vec<Field> = [a, b, c].into_iter().flatten().collect();
            let primary_key =
                if key { fields.first().map(|f| vec![f.name.clone()]).unwrap_or_default() } else { Vec::new() };
            Schema {
                source: "gen".into(),
                record_model: model,
                expresses: crate::ir::Expresses::ALL,
                qualified_paths: true,
                objects: vec![Object {
                    name: "t".into(),
                    physical_name: None,
                    id: None,
                    kind: None,
                    fields,
                    primary_key,
                    partitioning: Vec::new(),
                    foreign_keys: Vec::new(),
                    description: None,
                    span: crate::Span::NONE,
                    pointer: String::new(),
                    tags: Vec::new(),
                    custom_properties: Default::default(),
                    quality: Vec::new(),
                    json_schema: None,
                }],
                proto_files: Vec::new(),
                facts: Default::default(),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_schema_diffed_with_itself_has_no_changes(s in schema(RecordModel::ByNameStrict)) {
        prop_assert_eq!(diff(&s, &s), Vec::new());
    }

    /// Swapping old and new swaps the backward and forward verdicts. Under Avro-style reader
    /// semantics this holds for every change.
    #[test]
    fn swapping_old_and_new_swaps_the_verdicts(a in schema(RecordModel::ByNameWithDefaults), b in schema(RecordModel::ByNameWithDefaults)) {
        prop_assert_eq!(compatible(&[], &a, &b, Mode::Backward), compatible(&[], &b, &a, Mode::Forward));
        prop_assert_eq!(compatible(&[], &a, &b, Mode::Forward), compatible(&[], &b, &a, Mode::Backward));
    }

    /// For tables the only exception is deliberate: adding a nullable column is compatible both
    /// ways (history reads as null), but dropping one breaks today's queries (F005).
    #[test]
    fn for_tables_only_optional_field_removal_is_asymmetric(a in schema(RecordModel::ByNameStrict), b in schema(RecordModel::ByNameStrict)) {
        let forward_breaking: Vec<&str> = diff(&a, &b).iter().filter(|c| c.breaks.forward).map(|c| c.rule.code).collect();
        let swapped_compatible = compatible(&[], &b, &a, Mode::Backward);
        prop_assert_eq!(swapped_compatible, forward_breaking.iter().all(|c| *c == "F005"), "forward breaks {:?}", forward_breaking);
    }

    #[test]
    fn full_is_backward_and_forward(a in schema(RecordModel::ByNameStrict), b in schema(RecordModel::ByNameStrict)) {
        prop_assert_eq!(
            compatible(&[], &a, &b, Mode::Full),
            compatible(&[], &a, &b, Mode::Backward) && compatible(&[], &a, &b, Mode::Forward)
        );
        prop_assert!(compatible(&[], &a, &b, Mode::None));
    }

    #[test]
    fn transitive_is_never_more_lenient(h in schema(RecordModel::ByNameStrict), a in schema(RecordModel::ByNameStrict), b in schema(RecordModel::ByNameStrict)) {
        for (plain, transitive) in [(Mode::Backward, Mode::BackwardTransitive), (Mode::Forward, Mode::ForwardTransitive), (Mode::Full, Mode::FullTransitive)] {
            if compatible(&[&h], &a, &b, transitive) {
                prop_assert!(compatible(&[&h], &a, &b, plain));
            }
        }
    }
}

#[test]
fn across_languages_only_what_both_can_say_is_compared() {
    let contract = odcs(
        "      - {name: email, logicalType: string, required: true, classification: restricted, description: Contact, logicalTypeOptions: {pattern: '@', maxLength: 64}}\n",
    );
    // The same column from a language without classification, descriptions or patterns.
    let mut producer =
        odcs("      - {name: email, logicalType: string, required: true, logicalTypeOptions: {maxLength: 64}}\n");
    producer.expresses = crate::ir::Expresses { lengths: true, ..crate::ir::Expresses::NONE };
    assert_eq!(diff(&contract, &producer), Vec::new(), "nothing the producer's language can say changed");
    // What it can say still counts.
    let mut shorter =
        odcs("      - {name: email, logicalType: string, required: true, logicalTypeOptions: {maxLength: 32}}\n");
    shorter.expresses = producer.expresses;
    let codes: Vec<&str> = diff(&contract, &shorter).iter().map(|c| c.rule.code).collect();
    assert_eq!(codes, vec!["C001"]);
}
