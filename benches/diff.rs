//! Diff of two 10,000-field schemas (nested, with constraints): the pre-flight gate's engine.
//!
//! Target: under 10 ms. Reported with a reference measured in the same run: a deep clone of
//! the same schema (the cost of merely touching every field once).
//!
//! Run: `cargo bench --bench diff`

use contrakt::core::diff;
use contrakt::core::ir::{Bound, Constraints, DataType, Field, Object, RecordModel, Schema};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// `objects` tables of `per_object` columns, every tenth a struct of 9 nested fields, with
/// constraints and enum domains on the leaves.
fn schema(fields: usize, variant: u64) -> Schema {
    let leaf = |i: usize| {
        let data_type = match i % 5 {
            0 => DataType::int(if variant == 1 && i.is_multiple_of(997) { 64 } else { 32 }),
            1 => DataType::String,
            2 => DataType::Decimal { precision: Some(12), scale: Some(2) },
            3 => DataType::Timestamp { unit: None, timezone: Some(true) },
            _ => DataType::Boolean,
        };
        let mut f = Field::new(format!("f{i}"), data_type);
        f.nullable = !i.is_multiple_of(3) || (variant == 1 && i.is_multiple_of(1009));
        f.constraints = Constraints {
            max_length: (i % 5 == 1).then_some(64 + u64::from(variant == 1 && i.is_multiple_of(1013))),
            minimum: (i % 5 == 2).then(|| Bound { value: serde_json::json!(0), exclusive: false }),
            enum_values: (i % 50 == 1).then(|| vec![serde_json::json!("a"), serde_json::json!("b")]),
            ..Default::default()
        };
        f
    };
    let mut objects = Vec::new();
    let per_object = 1000;
    let mut i = 0;
    for o in 0..fields / per_object {
        let mut fs = Vec::new();
        while fs.len() < per_object / 10 * 9 && i < fields {
            if fs.len() % 10 == 9 {
                let kids: Vec<Field> = (0..9).map(|k| leaf(i + k)).collect();
                i += 9;
                fs.push(Field::new(format!("s{i}"), DataType::Struct(kids)));
            } else {
                fs.push(leaf(i));
                i += 1;
            }
        }
        if variant == 1 && o == 3 {
            fs.pop();
        }
        objects.push(Object {
            name: format!("t{o}"),
            physical_name: None,
            id: None,
            kind: Some("table".into()),
            fields: fs,
            primary_key: vec![],
            partitioning: vec![],
            foreign_keys: Vec::new(),
            description: None,
            span: contrakt::core::Span::NONE,
            pointer: String::new(),
            tags: Vec::new(),
            custom_properties: Default::default(),
            quality: Vec::new(),
            json_schema: None,
        });
    }
    Schema {
        source: "bench".into(),
        record_model: RecordModel::ByNameStrict,
        expresses: contrakt::core::ir::Expresses::ALL,
        qualified_paths: true,
        objects,
        proto_files: Vec::new(),
        facts: Default::default(),
    }
}

fn count(schema: &Schema) -> usize {
    schema.walk().len()
}

fn bench(c: &mut Criterion) {
    let old = schema(10_000, 0);
    let new = schema(10_000, 1);
    let changes = diff::diff(&old, &new);
    eprintln!("schemas of {} and {} fields; {} changes", count(&old), count(&new), changes.len());
    assert!(count(&old) >= 10_000 && !changes.is_empty());
    let mut group = c.benchmark_group("diff-10k");
    group.bench_function("reference: deep clone", |b| b.iter(|| black_box(old.clone())));
    group.bench_function("diff", |b| b.iter(|| black_box(diff::diff(black_box(&old), black_box(&new)))));
    group.bench_function("diff (identical)", |b| b.iter(|| black_box(diff::diff(black_box(&old), black_box(&old)))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
