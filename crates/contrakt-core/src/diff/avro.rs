//! Avro schema resolution, as the specification's "Schema Resolution" section and Avro's own
//! checker (`SchemaCompatibility.ReaderWriterCompatibilityChecker` in Java, `compatibility.py`
//! in Python) define it, run on the typed tree of [`crate::ir::avro`].
//!
//! BACKWARD asks whether the new schema (reader) resolves the old one (writer); FORWARD the
//! reverse. Resolution, per reader/writer pair:
//!
//! - the same primitive reads itself; a reader reads promoted writer values: int → long →
//!   float → double, and string ↔ bytes;
//! - arrays and maps resolve their items and values;
//! - records, enums and fixed types match by *unqualified* name, or when the writer's full name
//!   is among the reader's aliases; records resolve each reader field against the writer field
//!   of the same name (or of one of the reader field's aliases), and a reader field the writer
//!   lacks needs a default; enums need every writer symbol, unless the reader's enum has a
//!   default, which absorbs unknown symbols; fixed types need the same size;
//! - a writer union resolves when every branch does; a reader union when some branch reads the
//!   writer (a non-union writer, or each writer branch in turn).
//!
//! A default matters only when the field is missing on one side: adding or removing one on a
//! field both sides have changes no verdict. Recursive types are resolved as Avro does: a
//! reader/writer pair met again while it is being resolved counts as compatible.
//!
//! The verdict is Avro's bool ([`Resolver::reads`]); the findings ([`Resolver::explain`]) locate
//! each incompatibility with an existing rule code where one means the same thing, and are only
//! looked for under pairs the verdict found incompatible, so the two never disagree.

use std::collections::{HashMap, HashSet};

use super::rules::*;
use super::{Change, Directions};
use crate::ir::Schema;
use crate::ir::avro::{AvroField, AvroNode, AvroSchema, AvroType, NamedKind, NamedType};
use crate::path::{FieldPath, Segment};
use crate::source::Span;

/// The diff of two Avro schemas: the structural walk's changes, kept for what they say (renames,
/// defaults, docs, order) but with Avro's resolution deciding every verdict.
pub(super) fn resolve(old: &AvroSchema, new: &AvroSchema, new_ir: &Schema, walked: Vec<Change>) -> Vec<Change> {
    let fallback = new_ir.objects.first().map(|o| o.name.clone()).unwrap_or_default();
    let mut found: Vec<Change> = Vec::new();
    // Indexes, so merging stays linear when a wide schema changes everywhere.
    let mut by_rule: HashMap<(&'static str, FieldPath), usize> = HashMap::new();
    for dir in [Dir::Backward, Dir::Forward] {
        let (reader, writer) = match dir {
            Dir::Backward => (new, old),
            Dir::Forward => (old, new),
        };
        let mut r = Resolver::new(reader, writer, dir, &fallback);
        r.explain(&reader.root, &writer.root, &FieldPath { segments: Vec::new() });
        debug_assert_eq!(r.out.is_empty(), reads(reader, writer), "findings and verdict disagree");
        for c in r.out {
            match by_rule.get(&(c.rule.code, c.path.clone())).map(|&i| &mut found[i]) {
                Some(x) => {
                    x.breaks.backward |= c.breaks.backward;
                    x.breaks.forward |= c.breaks.forward;
                    x.old_span = x.old_span.or(c.old_span);
                    x.new_span = x.new_span.or(c.new_span);
                    if let Some(message) = both_ways(x) {
                        x.message = message;
                    }
                }
                None => {
                    by_rule.insert((c.rule.code, c.path.clone()), found.len());
                    found.push(c);
                }
            }
        }
    }
    let mut by_family: HashMap<(u8, &FieldPath), usize> = HashMap::new();
    for (i, f) in found.iter().enumerate() {
        if let Some(k) = family(f.rule) {
            by_family.entry((k, &f.path)).or_insert(i);
        }
    }
    let mut hints: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::with_capacity(walked.len() + found.len());
    for mut w in walked {
        // In Avro "required" is "has no default": D001/D002 already say it.
        if matches!(w.rule.code, "N003" | "N004") {
            continue;
        }
        if let Some(&i) = family(w.rule).and_then(|k| by_family.get(&(k, &w.path))) {
            // Resolution's finding replaces it, keeping its hint (a likely rename).
            if let Some(hint) = w.hint {
                hints.push((i, hint));
            }
            continue;
        }
        w.breaks = Directions::NONE;
        out.push(w);
    }
    drop(by_family);
    for (i, hint) in hints {
        found[i].hint.get_or_insert(hint);
    }
    out.extend(found);
    out
}

/// The message of a finding that breaks both directions, where each direction's says why only
/// for itself.
fn both_ways(c: &Change) -> Option<String> {
    let (old, new) = (c.old.as_deref()?, c.new.as_deref()?);
    let at = &c.display_path;
    match c.rule.code {
        "T011" => Some(format!(
            "the type of `{at}` was renamed from `{old}` to `{new}`, and neither schema has the other's name among its aliases"
        )),
        "T004" => Some(format!("type of `{at}` changed from {old} to {new}: neither schema reads the other's data")),
        _ => None,
    }
}

/// Does `reader` read everything `writer` writes (Avro's verdict, without findings)?
pub fn reads(reader: &AvroSchema, writer: &AvroSchema) -> bool {
    Resolver::new(reader, writer, Dir::Backward, "").reads(&reader.root.ty, &writer.root.ty)
}

/// Rules that say the same kind of thing: a walked change is dropped when resolution reports
/// one of its family at the same path (resolution's has the verdict and the Avro wording).
fn family(rule: &BreakingRule) -> Option<u8> {
    Some(match rule.code {
        "F001" | "F002" | "F003" | "F004" | "F005" | "F006" => 1,
        "N001" | "N002" => 2,
        c if c.starts_with('T') => 3,
        "E001" | "E002" | "E003" => 4,
        "S003" | "S004" => 5,
        "S001" | "S002" => 6,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// Reader = new, writer = old.
    Backward,
    /// Reader = old, writer = new.
    Forward,
}

#[derive(Debug, Clone, Copy)]
enum Memo {
    InProgress,
    Done(bool),
}

struct Resolver<'a> {
    reader: &'a AvroSchema,
    writer: &'a AvroSchema,
    dir: Dir,
    /// Verdicts of named reader/writer pairs; a pair met while in progress reads as compatible.
    memo: HashMap<(usize, usize), Memo>,
    /// Named pairs already explained: each is reported once, and cycles end.
    explained: HashSet<(usize, usize)>,
    /// Reader unions' named branches by unqualified name and by alias, keyed by the union's
    /// address: a named writer type can only be read by those, and wide unions stay linear.
    unions: HashMap<usize, HashMap<String, Vec<usize>>>,
    /// Object name for findings outside any record (a top-level union's null branch).
    fallback: &'a str,
    out: Vec<Change>,
}

/// Is a value written as `w` read as `r` by promotion (or as itself)?
fn promotes(w: &AvroType, r: &AvroType) -> bool {
    use AvroType::*;
    matches!(
        (w, r),
        (Null, Null)
            | (Boolean, Boolean)
            | (Int, Int | Long | Float | Double)
            | (Long, Long | Float | Double)
            | (Float, Float | Double)
            | (Double, Double)
            | (Bytes, Bytes | String)
            | (String, String | Bytes)
    )
}

fn is_numeric(t: &AvroType) -> bool {
    matches!(t, AvroType::Int | AvroType::Long | AvroType::Float | AvroType::Double)
}

fn names_match(reader: &NamedType, writer: &NamedType) -> bool {
    reader.name() == writer.name() || reader.aliases.contains(&writer.full_name)
}

/// A writer record's fields by name, so matching a wide record stays linear.
struct WriterFields<'w>(HashMap<&'w str, &'w AvroField>);

impl<'w> WriterFields<'w> {
    fn new(fields: &'w [AvroField]) -> Self {
        WriterFields(fields.iter().map(|f| (f.name.as_str(), f)).collect())
    }

    /// The writer field a reader field reads: by name, else by one of the reader field's aliases.
    fn of(&self, reader: &AvroField) -> Option<&'w AvroField> {
        self.0.get(reader.name.as_str()).or_else(|| reader.aliases.iter().find_map(|a| self.0.get(a.as_str()))).copied()
    }
}

impl<'a> Resolver<'a> {
    fn new(reader: &'a AvroSchema, writer: &'a AvroSchema, dir: Dir, fallback: &'a str) -> Self {
        Resolver {
            reader,
            writer,
            dir,
            memo: HashMap::new(),
            explained: HashSet::new(),
            unions: HashMap::new(),
            fallback,
            out: Vec::new(),
        }
    }

    fn rnamed(&self, i: usize) -> Option<&'a NamedType> {
        self.reader.named.get(i)
    }

    fn wnamed(&self, j: usize) -> Option<&'a NamedType> {
        self.writer.named.get(j)
    }

    /// Avro's verdict for one reader/writer pair.
    fn reads(&mut self, r: &AvroType, w: &AvroType) -> bool {
        use AvroType::*;
        match (r, w) {
            // A writer union: every branch must be read (whatever the reader is).
            (_, Union(ws)) => ws.iter().all(|b| self.reads(r, &b.ty)),
            // A reader union reading a named writer type: only branches of its name or alias can.
            (Union(rs), Named(j)) => self.named_branches(rs, *j).into_iter().any(|i| self.reads(&rs[i].ty, w)),
            // A reader union reading a non-union writer: some branch must read it.
            (Union(rs), _) => rs.iter().any(|b| self.reads(&b.ty, w)),
            (Array(a), Array(b)) | (Map(a), Map(b)) => self.reads(&a.ty, &b.ty),
            (Named(i), Named(j)) => {
                match self.memo.get(&(*i, *j)) {
                    Some(Memo::InProgress) => return true,
                    Some(Memo::Done(v)) => return *v,
                    None => {}
                }
                self.memo.insert((*i, *j), Memo::InProgress);
                let v = self.named_reads(*i, *j);
                self.memo.insert((*i, *j), Memo::Done(v));
                v
            }
            _ => promotes(w, r),
        }
    }

    /// The branches of the reader union `rs` whose named type matches the writer's named type
    /// `j` by unqualified name or alias, in branch order. Any other branch reads it as `false`
    /// without recursing, so trying only these gives Avro's verdict.
    fn named_branches(&mut self, rs: &[AvroNode], j: usize) -> Vec<usize> {
        let Some(w) = self.wnamed(j) else { return Vec::new() };
        let reader = self.reader;
        let index = self.unions.entry(rs.as_ptr() as usize).or_insert_with(|| {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (b, node) in rs.iter().enumerate() {
                if let AvroType::Named(i) = node.ty
                    && let Some(n) = reader.named.get(i)
                {
                    index.entry(n.name().to_string()).or_default().push(b);
                    for a in &n.aliases {
                        index.entry(a.clone()).or_default().push(b);
                    }
                }
            }
            index
        });
        let mut out: Vec<usize> =
            index.get(w.name()).into_iter().chain(index.get(&w.full_name)).flatten().copied().collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn named_reads(&mut self, i: usize, j: usize) -> bool {
        let (Some(rn), Some(wn)) = (self.rnamed(i), self.wnamed(j)) else { return false };
        if !names_match(rn, wn) {
            return false;
        }
        match (&rn.kind, &wn.kind) {
            (NamedKind::Record { fields: rf }, NamedKind::Record { fields: wf }) => {
                let wf = WriterFields::new(wf);
                rf.iter().all(|f| match wf.of(f) {
                    Some(w) => self.reads(&f.node.ty, &w.node.ty),
                    None => f.default.is_some(),
                })
            }
            (NamedKind::Enum { symbols: rs, default }, NamedKind::Enum { symbols: ws, .. }) => {
                ws.iter().all(|s| rs.contains(s)) || default.as_ref().is_some_and(|d| rs.contains(d))
            }
            (NamedKind::Fixed { size: a }, NamedKind::Fixed { size: b }) => a == b,
            _ => false,
        }
    }

    /// Reports why `r` does not read `w`, at `path` (named in the new schema's terms).
    fn explain(&mut self, r: &AvroNode, w: &AvroNode, path: &FieldPath) {
        if self.reads(&r.ty, &w.ty) {
            return;
        }
        let before = self.out.len();
        use AvroType::*;
        match (&r.ty, &w.ty) {
            (_, Union(ws)) => {
                for b in ws {
                    if !self.reads(&r.ty, &b.ty) {
                        self.writer_branch(r, b, path);
                    }
                }
            }
            (Union(rs), _) => match self.counterpart(rs, &w.ty) {
                Some(b) => self.explain(b, w, path),
                None => self.mismatch(r, w, path),
            },
            (Array(a), Array(b)) => self.explain(a, b, &child(path, Segment::Items)),
            (Map(a), Map(b)) => self.explain(a, b, &child(path, Segment::MapValues)),
            (Named(i), Named(j)) => {
                if !self.explained.insert((*i, *j)) {
                    return;
                }
                self.explain_named(*i, *j, r, w, path);
            }
            _ => self.mismatch(r, w, path),
        }
        // Never a verdict without a finding.
        if self.out.len() == before {
            self.mismatch(r, w, path);
        }
    }

    /// A writer union branch `b` that the reader `r` does not read.
    fn writer_branch(&mut self, r: &AvroNode, b: &AvroNode, path: &FieldPath) {
        if b.ty == AvroType::Null {
            let (rule, message) = match self.dir {
                Dir::Backward => (
                    &BECAME_NON_NULLABLE,
                    "no longer allows nulls: a reader of the new schema cannot read the null values of old data",
                ),
                Dir::Forward => (&BECAME_NULLABLE, "may now be null: today's readers cannot read a null"),
            };
            let label = self.label(path);
            self.push(rule, path, r, b, None, format!("{label} {message}"));
            return;
        }
        // A top-level union lists the schema's objects: a record is the same object only by name.
        if path.segments.is_empty()
            && let AvroType::Named(j) = b.ty
        {
            let target = match &r.ty {
                AvroType::Union(rs) => self.named_branches(rs, j).first().map(|&i| &rs[i]),
                AvroType::Named(i) => {
                    self.rnamed(*i).zip(self.wnamed(j)).is_some_and(|(x, y)| names_match(x, y)).then_some(r)
                }
                _ => None,
            };
            match target {
                Some(t) => self.explain(t, b, path),
                None => self.object_missing(j),
            }
            return;
        }
        let target = match &r.ty {
            AvroType::Union(rs) => self.counterpart(rs, &b.ty),
            _ => self.same_kind(&r.ty, &b.ty).then_some(r),
        };
        match target {
            Some(t) => self.explain(t, b, path),
            None => {
                let shown = self.writer.describe(b);
                let label = self.label(path);
                let (rule, message) = match self.dir {
                    Dir::Backward => (
                        &UNION_BRANCH_REMOVED,
                        format!(
                            "{label} no longer accepts `{shown}`: a reader of the new schema cannot read old values of that type"
                        ),
                    ),
                    Dir::Forward => (
                        &UNION_BRANCH_ADDED,
                        format!("{label} now accepts `{shown}`, which today's readers cannot read"),
                    ),
                };
                self.push(rule, path, r, b, Some(shown), message);
            }
        }
    }

    /// A record of the writer's top-level union that the reader's does not list.
    fn object_missing(&mut self, j: usize) {
        let Some(w) = self.wnamed(j) else { return };
        let at = FieldPath { segments: vec![Segment::Name(w.full_name.clone())] };
        let (rule, message) = match self.dir {
            Dir::Backward => (
                &OBJECT_REMOVED,
                format!(
                    "schema object `{}` was removed: a reader of the new schema cannot read old data of it",
                    w.full_name
                ),
            ),
            Dir::Forward => (
                &OBJECT_ADDED,
                format!("schema object `{}` was added: today's readers cannot read data of it", w.full_name),
            ),
        };
        let (old, new) = match self.dir {
            Dir::Backward => (Some(w.full_name.clone()), None),
            Dir::Forward => (None, Some(w.full_name.clone())),
        };
        let spans = match self.dir {
            Dir::Backward => (Some(w.span), None),
            Dir::Forward => (None, Some(w.span)),
        };
        self.emit(rule, &at, old, new, message, spans);
    }

    /// The reader branch to explain a failure against: the branch of the writer's own kind,
    /// by name for named types (else the only branch of that kind).
    fn counterpart<'n>(&mut self, rs: &'n [AvroNode], w: &AvroType) -> Option<&'n AvroNode> {
        if let AvroType::Named(j) = w {
            if let Some(&first) = self.named_branches(rs, *j).first() {
                return rs.get(first);
            }
            let mut kind = rs.iter().filter(|b| self.same_kind(&b.ty, w));
            return match (kind.next(), kind.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            };
        }
        rs.iter().find(|b| self.same_kind(&b.ty, w))
    }

    /// Two types a change between reads as "changed" rather than "a different type": the same
    /// named type (by unqualified name or kind), two numbers, string and bytes, two arrays or maps.
    fn same_kind(&self, r: &AvroType, w: &AvroType) -> bool {
        use AvroType::*;
        match (r, w) {
            (Named(i), Named(j)) => match (self.rnamed(*i), self.wnamed(*j)) {
                (Some(a), Some(b)) => std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind),
                _ => false,
            },
            (Array(_), Array(_)) | (Map(_), Map(_)) => true,
            (a, b) if is_numeric(a) && is_numeric(b) => true,
            (String | Bytes, String | Bytes) => true,
            (a, b) => a == b,
        }
    }

    fn explain_named(&mut self, i: usize, j: usize, r: &AvroNode, w: &AvroNode, path: &FieldPath) {
        let (Some(rn), Some(wn)) = (self.rnamed(i), self.wnamed(j)) else { return };
        // A record at the top names the object its fields belong to.
        let path = if path.segments.is_empty() {
            let name = match self.dir {
                Dir::Backward => &rn.full_name,
                Dir::Forward => &wn.full_name,
            };
            FieldPath { segments: vec![Segment::Name(name.clone())] }
        } else {
            path.clone()
        };
        if std::mem::discriminant(&rn.kind) != std::mem::discriminant(&wn.kind) {
            return self.mismatch(r, w, &path);
        }
        if !names_match(rn, wn) {
            let (old, new) = self.old_new(rn, wn);
            let label = self.label(&path);
            let message = match self.dir {
                Dir::Backward => format!(
                    "the {} of {label} was renamed from `{}` to `{}` without the alias `{}`: a reader of the new schema does not resolve old data",
                    rn.kind_name(),
                    old.full_name,
                    new.full_name,
                    old.full_name
                ),
                Dir::Forward => format!(
                    "the {} of {label} was renamed from `{}` to `{}`: today's readers do not resolve it (they have no alias `{}`)",
                    rn.kind_name(),
                    old.full_name,
                    new.full_name,
                    new.full_name
                ),
            };
            self.push_named(
                &NAMED_TYPE_RENAMED,
                &path,
                (old, new),
                (Some(old.full_name.clone()), Some(new.full_name.clone())),
                message,
            );
        }
        match (&rn.kind, &wn.kind) {
            (NamedKind::Record { fields: rf }, NamedKind::Record { fields: wf }) => {
                let wf = WriterFields::new(wf);
                for f in rf {
                    match wf.of(f) {
                        Some(wfield) => {
                            let name = match self.dir {
                                Dir::Backward => &f.name,
                                Dir::Forward => &wfield.name,
                            };
                            self.explain(&f.node, &wfield.node, &child(&path, Segment::Name(name.clone())));
                        }
                        None if f.default.is_none() => self.missing_default(f, &path),
                        None => {}
                    }
                }
            }
            (NamedKind::Enum { symbols: rs, default }, NamedKind::Enum { symbols: ws, .. }) => {
                let missing: Vec<&String> = ws.iter().filter(|s| !rs.contains(s)).collect();
                let absorbed = default.as_ref().is_some_and(|d| rs.contains(d));
                if !missing.is_empty() && !absorbed {
                    let list = missing.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
                    let label = self.label(&path);
                    let (rule, message) = match self.dir {
                        Dir::Backward => (
                            &ENUM_VALUE_REMOVED,
                            format!("{label} lost the symbols {list}, and the new enum has no default to read them as"),
                        ),
                        Dir::Forward => (
                            &ENUM_VALUE_ADDED,
                            format!(
                                "{label} gained the symbols {list}, and today's enum has no default to read them as"
                            ),
                        ),
                    };
                    let shown = missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                    let (old, new) = self.old_new(rn, wn);
                    let values = match self.dir {
                        Dir::Backward => (Some(shown), None),
                        Dir::Forward => (None, Some(shown)),
                    };
                    self.push_named(rule, &path, (old, new), values, message);
                }
            }
            (NamedKind::Fixed { size: a }, NamedKind::Fixed { size: b }) if a != b => {
                let (old, new) = self.old_new(rn, wn);
                let (os, ns) = match self.dir {
                    Dir::Backward => (b, a),
                    Dir::Forward => (a, b),
                };
                let label = self.label(&path);
                let message = format!("the fixed size of {label} changed from {os} to {ns} bytes");
                self.push_named(
                    &FIXED_SIZE_CHANGED,
                    &path,
                    (old, new),
                    (Some(os.to_string()), Some(ns.to_string())),
                    message,
                );
            }
            _ => {}
        }
    }

    /// A reader field the writer does not have, without a default.
    fn missing_default(&mut self, f: &AvroField, path: &FieldPath) {
        let at = child(path, Segment::Name(f.name.clone()));
        let shown = self.reader.describe(&f.node);
        let (rule, message, old, new, spans) = match self.dir {
            Dir::Backward => (
                &FIELD_ADDED_REQUIRED,
                format!("field `{}` was added without a default: old data has no value for it", f.name),
                None,
                Some(shown),
                (None, Some(f.span)),
            ),
            Dir::Forward => (
                &FIELD_REMOVED,
                format!("field `{}` was removed, and today's readers have no default for it", f.name),
                Some(shown),
                None,
                (Some(f.span), None),
            ),
        };
        self.emit(rule, &at, old, new, message, spans);
    }

    /// A reader type that does not read the writer's, and no finer reason.
    fn mismatch(&mut self, r: &AvroNode, w: &AvroNode, path: &FieldPath) {
        let (o, n) = self.old_new_nodes(r, w);
        let (os, ns) = (self.old_schema().describe(o), self.new_schema().describe(n));
        let rule = if promotes(&n.ty, &o.ty) && !promotes(&o.ty, &n.ty) {
            &TYPE_NARROWED
        } else if promotes(&o.ty, &n.ty) && !promotes(&n.ty, &o.ty) {
            &TYPE_WIDENED
        } else {
            &TYPE_CHANGED
        };
        let label = self.label(path);
        let why = match self.dir {
            Dir::Backward => "a reader of the new schema cannot read old data",
            Dir::Forward => "today's readers cannot read new data",
        };
        let message = format!("type of {label} changed from {os} to {ns}: {why}");
        self.emit(rule, path, Some(os), Some(ns), message, (Some(o.span), Some(n.span)));
    }

    fn old_schema(&self) -> &'a AvroSchema {
        match self.dir {
            Dir::Backward => self.writer,
            Dir::Forward => self.reader,
        }
    }

    fn new_schema(&self) -> &'a AvroSchema {
        match self.dir {
            Dir::Backward => self.reader,
            Dir::Forward => self.writer,
        }
    }

    fn old_new_nodes<'n>(&self, r: &'n AvroNode, w: &'n AvroNode) -> (&'n AvroNode, &'n AvroNode) {
        match self.dir {
            Dir::Backward => (w, r),
            Dir::Forward => (r, w),
        }
    }

    fn old_new(&self, r: &'a NamedType, w: &'a NamedType) -> (&'a NamedType, &'a NamedType) {
        match self.dir {
            Dir::Backward => (w, r),
            Dir::Forward => (r, w),
        }
    }

    /// `` `amount` `` (or the record's name at the top).
    fn label(&self, path: &FieldPath) -> String {
        match path.segments.len() {
            0 => format!("`{}`", self.fallback),
            1 => format!("`{path}`"),
            _ => format!("`{}`", path.unqualified()),
        }
    }

    fn push(
        &mut self,
        rule: &'static BreakingRule,
        path: &FieldPath,
        r: &AvroNode,
        w: &AvroNode,
        value: Option<String>,
        message: String,
    ) {
        let (o, n) = self.old_new_nodes(r, w);
        let (old, new) = match self.dir {
            Dir::Backward => (value, None),
            Dir::Forward => (None, value),
        };
        self.emit(rule, path, old, new, message, (Some(o.span), Some(n.span)));
    }

    fn push_named(
        &mut self,
        rule: &'static BreakingRule,
        path: &FieldPath,
        (o, n): (&NamedType, &NamedType),
        (old, new): (Option<String>, Option<String>),
        message: String,
    ) {
        self.emit(rule, path, old, new, message, (Some(o.span), Some(n.span)));
    }

    fn emit(
        &mut self,
        rule: &'static BreakingRule,
        path: &FieldPath,
        old: Option<String>,
        new: Option<String>,
        message: String,
        (old_span, new_span): (Option<Span>, Option<Span>),
    ) {
        let path = if path.segments.is_empty() {
            FieldPath { segments: vec![Segment::Name(self.fallback.to_string())] }
        } else {
            path.clone()
        };
        let display_path = if path.segments.len() < 2 { path.to_string() } else { path.unqualified() };
        let breaks = match self.dir {
            Dir::Backward => Directions { backward: true, forward: false },
            Dir::Forward => Directions { backward: false, forward: true },
        };
        self.out.push(Change {
            rule,
            path,
            display_path,
            old,
            new,
            breaks,
            message,
            old_span,
            new_span,
            level: None,
            hint: None,
        });
    }
}

fn child(path: &FieldPath, seg: Segment) -> FieldPath {
    let mut segments = path.segments.clone();
    segments.push(seg);
    FieldPath { segments }
}

#[cfg(test)]
mod tests;
