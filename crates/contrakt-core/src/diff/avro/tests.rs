//! Avro resolution's invariants over generated Avro trees, and the recursive case by hand. The
//! verdicts themselves are held to Apache Avro's own tests in `tests/it/conformance_avro.rs`.

use std::sync::Arc;

use proptest::prelude::*;

use super::reads;
use crate::diff::{Mode, compatible, diff};
use crate::ir::avro::{AvroField, AvroNode, AvroSchema, AvroType, NamedKind, NamedType};
use crate::ir::{Expresses, FormatFacts, Object, RecordModel, Schema};
use crate::source::Span;

/// A generated type, before named types get their indexes.
#[derive(Debug, Clone)]
enum Gen {
    Prim(u8),
    /// Symbols as a mask over `A`, `B`, `C`; the default is the first present symbol.
    Enum {
        name: u8,
        symbols: u8,
        default: bool,
    },
    Fixed {
        name: u8,
        size: u8,
    },
    Array(Box<Gen>),
    Map(Box<Gen>),
    /// Primitive branches as a mask (null, int, long, float, double, bytes, string, boolean).
    Union(u8),
    /// A union of null and a nested record.
    Nullable(Box<GenRecord>),
    Record(Box<GenRecord>),
    /// A reference to the top-level record: a recursive type.
    SelfRef,
}

#[derive(Debug, Clone)]
struct GenField {
    name: u8,
    alias: Option<u8>,
    default: bool,
    ty: Gen,
}

#[derive(Debug, Clone)]
struct GenRecord {
    name: u8,
    namespace: u8,
    alias: Option<(u8, u8)>,
    fields: Vec<GenField>,
}

const PRIMS: [AvroType; 8] = [
    AvroType::Null,
    AvroType::Int,
    AvroType::Long,
    AvroType::Float,
    AvroType::Double,
    AvroType::Bytes,
    AvroType::String,
    AvroType::Boolean,
];
const NAMES: [&str; 3] = ["R", "S", "T"];
const SPACES: [&str; 2] = ["", "ns"];
const FIELDS: [&str; 4] = ["a", "b", "c", "d"];

fn full(namespace: u8, name: &str) -> String {
    match SPACES[namespace as usize % 2] {
        "" => name.to_string(),
        ns => format!("{ns}.{name}"),
    }
}

fn node(ty: AvroType) -> AvroNode {
    AvroNode { ty, pointer: String::new(), span: Span::NONE }
}

struct Builder {
    named: Vec<NamedType>,
}

impl Builder {
    fn record(&mut self, r: &GenRecord) -> usize {
        let idx = self.named.len();
        self.named.push(NamedType {
            full_name: full(r.namespace, NAMES[r.name as usize % 3]),
            aliases: r.alias.iter().map(|(ns, n)| full(*ns, NAMES[*n as usize % 3])).collect(),
            kind: NamedKind::Record { fields: Vec::new() },
            pointer: String::new(),
            span: Span::NONE,
        });
        let mut seen = Vec::new();
        let mut fields = Vec::new();
        for f in &r.fields {
            let name = FIELDS[f.name as usize % 4];
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            fields.push(AvroField {
                name: name.to_string(),
                aliases: f.alias.iter().map(|a| FIELDS[*a as usize % 4].to_string()).collect(),
                default: f.default.then_some(serde_json::Value::Null),
                node: self.ty(&f.ty),
                pointer: String::new(),
                span: Span::NONE,
            });
        }
        self.named[idx].kind = NamedKind::Record { fields };
        idx
    }

    fn ty(&mut self, g: &Gen) -> AvroNode {
        let ty = match g {
            Gen::Prim(p) => PRIMS[*p as usize % 8].clone(),
            Gen::Enum { name, symbols, default } => {
                let symbols: Vec<String> = ["A", "B", "C"]
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| symbols & (1 << i) != 0)
                    .map(|(_, s)| s.to_string())
                    .collect();
                let default = if *default { symbols.first().cloned() } else { None };
                self.named.push(NamedType {
                    full_name: format!("E{}", name % 2),
                    aliases: Vec::new(),
                    kind: NamedKind::Enum { symbols, default },
                    pointer: String::new(),
                    span: Span::NONE,
                });
                AvroType::Named(self.named.len() - 1)
            }
            Gen::Fixed { name, size } => {
                self.named.push(NamedType {
                    full_name: format!("F{}", name % 2),
                    aliases: Vec::new(),
                    kind: NamedKind::Fixed { size: u64::from(*size % 2) * 8 + 8 },
                    pointer: String::new(),
                    span: Span::NONE,
                });
                AvroType::Named(self.named.len() - 1)
            }
            Gen::Array(item) => AvroType::Array(Box::new(self.ty(item))),
            Gen::Map(value) => AvroType::Map(Box::new(self.ty(value))),
            Gen::Union(mask) => AvroType::Union(
                PRIMS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, t)| node(t.clone())).collect(),
            ),
            Gen::Nullable(r) => AvroType::Union(vec![node(AvroType::Null), node(AvroType::Named(self.record(r)))]),
            Gen::Record(r) => AvroType::Named(self.record(r)),
            Gen::SelfRef => AvroType::Named(0),
        };
        node(ty)
    }
}

fn schema(top: &GenRecord) -> Schema {
    let mut b = Builder { named: Vec::new() };
    let root = b.record(top);
    let tree = AvroSchema { root: node(AvroType::Named(root)), named: b.named };
    Schema {
        source: "gen.avsc".into(),
        record_model: RecordModel::ByNameWithDefaults,
        expresses: Expresses { descriptions: true, defaults: true, ..Expresses::NONE },
        qualified_paths: false,
        objects: vec![Object {
            name: tree.named[root].full_name.clone(),
            physical_name: None,
            id: None,
            kind: Some("record".into()),
            fields: Vec::new(),
            primary_key: Vec::new(),
            partitioning: Vec::new(),
            foreign_keys: Vec::new(),
            description: None,
            span: Span::NONE,
            pointer: String::new(),
            tags: Vec::new(),
            custom_properties: Default::default(),
            quality: Vec::new(),
            json_schema: None,
        }],
        facts: FormatFacts::Avro(Arc::new(tree)),
        proto_files: Vec::new(),
    }
}

fn tree(s: &Schema) -> &AvroSchema {
    s.facts.avro().expect("generated schemas are Avro")
}

fn gen_type() -> BoxedStrategy<Gen> {
    let leaf = prop_oneof![
        4 => (0u8..8).prop_map(Gen::Prim),
        1 => (0u8..2, 1u8..8, any::<bool>()).prop_map(|(name, symbols, default)| Gen::Enum { name, symbols, default }),
        1 => (0u8..2, 0u8..2).prop_map(|(name, size)| Gen::Fixed { name, size }),
        2 => (1u8..=255).prop_map(Gen::Union),
        1 => Just(Gen::SelfRef),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Gen::Array(Box::new(t))),
            inner.clone().prop_map(|t| Gen::Map(Box::new(t))),
            gen_record(inner.clone()).prop_map(|r| Gen::Record(Box::new(r))),
            gen_record(inner).prop_map(|r| Gen::Nullable(Box::new(r))),
        ]
    })
    .boxed()
}

fn gen_record(ty: impl Strategy<Value = Gen> + Clone) -> impl Strategy<Value = GenRecord> {
    let field = (0u8..4, prop::option::of(0u8..4), any::<bool>(), ty).prop_map(|(name, alias, default, ty)| GenField {
        name,
        alias,
        default,
        ty,
    });
    (0u8..3, 0u8..2, prop::option::weighted(0.2, (0u8..2, 0u8..3)), prop::collection::vec(field, 0..4))
        .prop_map(|(name, namespace, alias, fields)| GenRecord { name, namespace, alias, fields })
}

fn gen_schema() -> impl Strategy<Value = Schema> {
    gen_record(gen_type()).prop_map(|r| schema(&r))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn an_avro_schema_diffed_with_itself_has_no_changes(s in gen_schema()) {
        prop_assert_eq!(diff(&s, &s), Vec::new());
    }

    /// BACKWARD of (a, b) is FORWARD of (b, a), and both are Avro's resolution of the reader by
    /// the writer.
    #[test]
    fn swapping_old_and_new_swaps_the_avro_verdicts(a in gen_schema(), b in gen_schema()) {
        let backward = compatible(&[], &a, &b, Mode::Backward);
        prop_assert_eq!(backward, compatible(&[], &b, &a, Mode::Forward));
        prop_assert_eq!(backward, reads(tree(&b), tree(&a)));
        prop_assert_eq!(compatible(&[], &a, &b, Mode::Forward), reads(tree(&a), tree(&b)));
        prop_assert_eq!(
            compatible(&[], &a, &b, Mode::Full),
            backward && compatible(&[], &a, &b, Mode::Forward)
        );
    }

    /// A finding breaks a direction only when that direction's resolution fails, and every
    /// failed resolution has a finding.
    #[test]
    fn findings_follow_the_resolution(a in gen_schema(), b in gen_schema()) {
        let changes = diff(&a, &b);
        prop_assert_eq!(changes.iter().any(|c| c.breaks.backward), !reads(tree(&b), tree(&a)));
        prop_assert_eq!(changes.iter().any(|c| c.breaks.forward), !reads(tree(&a), tree(&b)));
    }
}

/// A recursive record (a linked list) resolves without looping, and a change inside the cycle
/// is still found.
#[test]
fn recursive_types_resolve_and_changes_inside_them_are_found() {
    let list = |extra: bool| GenRecord {
        name: 0,
        namespace: 0,
        alias: None,
        fields: [
            Some(GenField { name: 0, alias: None, default: false, ty: Gen::Prim(1) }),
            Some(GenField { name: 1, alias: None, default: true, ty: Gen::SelfRef }),
            extra.then_some(GenField { name: 2, alias: None, default: false, ty: Gen::Prim(6) }),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    let (old, new) = (schema(&list(false)), schema(&list(true)));
    assert!(diff(&old, &old).is_empty());
    let codes: Vec<(&str, String, Vec<&str>)> =
        diff(&old, &new).iter().map(|c| (c.rule.code, c.display_path.clone(), c.breaks.names())).collect();
    assert_eq!(codes, vec![("F002", "c".to_string(), vec!["backward"])]);
    assert!(compatible(&[], &old, &new, Mode::Forward));
    assert!(!compatible(&[], &old, &new, Mode::Backward));
}

/// A top-level union lists the schema's objects: a record it loses is a removed object (matched
/// by name, never explained against another record of the union).
#[test]
fn a_record_left_out_of_a_top_level_union_is_a_removed_object() {
    let record = |name: &str| NamedType {
        full_name: name.to_string(),
        aliases: Vec::new(),
        kind: NamedKind::Record {
            fields: vec![AvroField {
                name: "id".into(),
                aliases: Vec::new(),
                default: None,
                node: node(AvroType::Long),
                pointer: String::new(),
                span: Span::NONE,
            }],
        },
        pointer: String::new(),
        span: Span::NONE,
    };
    let union = |names: &[&str]| {
        let named: Vec<NamedType> = names.iter().map(|n| record(n)).collect();
        let root = node(AvroType::Union((0..named.len()).map(|i| node(AvroType::Named(i))).collect()));
        let mut s = schema(&GenRecord { name: 0, namespace: 0, alias: None, fields: Vec::new() });
        s.objects = names.iter().map(|n| Object { name: n.to_string(), ..s.objects[0].clone() }).collect();
        s.facts = FormatFacts::Avro(Arc::new(AvroSchema { root, named }));
        s
    };
    let (old, new) = (union(&["ns.A", "ns.B"]), union(&["ns.A"]));
    let found: Vec<(&str, String, Vec<&str>)> = diff(&old, &new)
        .iter()
        .filter(|c| c.breaks != crate::diff::Directions::NONE)
        .map(|c| (c.rule.code, c.display_path.clone(), c.breaks.names()))
        .collect();
    assert_eq!(found, vec![("S001", "ns.B".to_string(), vec!["backward"])]);
    let found: Vec<(&str, Vec<&str>)> = diff(&new, &old)
        .iter()
        .filter(|c| c.breaks != crate::diff::Directions::NONE)
        .map(|c| (c.rule.code, c.breaks.names()))
        .collect();
    assert_eq!(found, vec![("S002", vec!["forward"])]);
}

/// Untrusted input: a field whose union lists 5,000 records (a 250 KB `.avsc`) resolves in
/// linear time. Matching writer branches against every reader branch took 56 s in a debug build.
#[test]
fn wide_unions_of_records_resolve_in_linear_time() {
    let wide = |prefix: &str, n: usize| {
        let named: Vec<NamedType> = (0..=n)
            .map(|i| NamedType {
                full_name: if i == 0 { "W".to_string() } else { format!("{prefix}{i}") },
                aliases: Vec::new(),
                kind: NamedKind::Record { fields: Vec::new() },
                pointer: String::new(),
                span: Span::NONE,
            })
            .collect();
        let mut tree = AvroSchema { root: node(AvroType::Named(0)), named };
        tree.named[0].kind = NamedKind::Record {
            fields: vec![AvroField {
                name: "u".into(),
                aliases: Vec::new(),
                default: None,
                node: node(AvroType::Union((1..=n).map(|i| node(AvroType::Named(i))).collect())),
                pointer: String::new(),
                span: Span::NONE,
            }],
        };
        let mut s = schema(&GenRecord { name: 0, namespace: 0, alias: None, fields: Vec::new() });
        s.facts = FormatFacts::Avro(Arc::new(tree));
        s
    };
    let started = std::time::Instant::now();
    let (a, b, renamed) = (wide("R", 5000), wide("R", 4999), wide("Q", 5000));
    assert!(compatible(&[], &a, &b, Mode::Forward) && !compatible(&[], &a, &b, Mode::Backward));
    assert!(!compatible(&[], &a, &renamed, Mode::Backward));
    assert!(diff(&a, &a).is_empty());
    assert!(started.elapsed().as_secs() < 15, "took {:?}", started.elapsed());
}
