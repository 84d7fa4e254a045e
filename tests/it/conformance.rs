//! Conformance with the peers' Protobuf corpora in `tests/conformance/`:
//!
//! - `confluent-protobuf`: Confluent Schema Registry's Protobuf diff examples. Each case has an
//!   original and an update schema, the change types Confluent reports and its BACKWARD verdict.
//!   We compare our BACKWARD verdict (primary) and the multiset of change types, read through
//!   each rule's `aliases` (secondary: the mapping is not 1:1, see [`change_types_agree`]).
//! - `buf-breaking`: buf's breaking-change test pairs. Each case selects one buf rule in
//!   `current/<case>/buf.yaml`; our findings that map to that rule through `aliases` are
//!   compared with `expected.yaml` on rule, file and start line (columns are reported only).
//!
//! `conformance-allowlist.yaml` lists the cases where contrakt deliberately differs, each with a
//! reason. The test fails when a listed case starts agreeing (so the list stays true) and when an
//! unlisted case disagrees; Confluent's change types are held per case the same way
//! ([`CONFLUENT_CHANGE_TYPES_DIFFER`]). No total is enforced: a regression in one case cannot
//! hide behind a fix in another. buf cases agree only when every expected finding is found and
//! nothing else is (missed and extra findings both count).
//! Run with `--nocapture` to see the table.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use contrakt_core::diff::{Change, Mode, compatible, diff};
use contrakt_core::document::Document;
use contrakt_core::ir::Schema;
use contrakt_core::path::Segment;
use contrakt_core::{SourceFile, Span};
use contrakt_formats::{Format, load, load_str};
use serde_json::Value;

use crate::repo;

/// Confluent cases whose change types (the secondary comparison, through `aliases`) differ
/// today. Held case by case like the allowlist: a case not listed that differs fails, and so
/// does a listed case that starts agreeing (so a regression cannot hide behind a fix).
const CONFLUENT_CHANGE_TYPES_DIFFER: &[&str] = &[
    "diff-schema-examples-with-meta.json#0",
    "diff-schema-examples.json#6",
    "diff-schema-examples.json#12",
    "diff-schema-examples.json#13",
    "diff-schema-examples.json#14",
    "diff-schema-examples.json#15",
    "diff-schema-examples.json#17",
    "diff-schema-examples.json#18",
    "diff-schema-examples.json#21",
    "diff-schema-examples.json#23",
    "diff-schema-examples.json#29",
    "diff-schema-examples.json#34",
    "diff-schema-examples.json#35",
    "diff-schema-examples.json#36",
    "diff-schema-examples.json#41",
    "diff-schema-examples.json#42",
    "diff-schema-examples.json#43",
    "diff-schema-examples.json#44",
    "diff-schema-examples.json#45",
    "diff-schema-examples.json#46",
    "diff-schema-examples.json#47",
    "diff-schema-examples.json#48",
    "diff-schema-examples.json#49",
    "diff-schema-examples.json#50",
    "diff-schema-examples.json#51",
];

/// Every `Difference.Type` of Confluent's Protobuf diff.
const CONFLUENT_TYPES: &[&str] = &[
    "PACKAGE_CHANGED",
    "MESSAGE_ADDED",
    "MESSAGE_REMOVED",
    "MESSAGE_MOVED",
    "ENUM_ADDED",
    "ENUM_REMOVED",
    "ENUM_CONST_ADDED",
    "ENUM_CONST_CHANGED",
    "ENUM_CONST_REMOVED",
    "FIELD_ADDED",
    "FIELD_REMOVED",
    "FIELD_NAME_CHANGED",
    "FIELD_KIND_CHANGED",
    "FIELD_SCALAR_KIND_CHANGED",
    "FIELD_NAMED_TYPE_CHANGED",
    "FIELD_NUMERIC_LABEL_CHANGED",
    "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
    "REQUIRED_FIELD_ADDED",
    "REQUIRED_FIELD_REMOVED",
    "ONEOF_ADDED",
    "ONEOF_REMOVED",
    "ONEOF_FIELD_ADDED",
    "ONEOF_FIELD_REMOVED",
    "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    "FIELD_MOVED_TO_EXISTING_ONEOF",
];

pub(crate) fn corpus(name: &str) -> PathBuf {
    repo().join("tests/conformance").join(name)
}

pub(crate) fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = Document::parse(SourceFile::new(path.display().to_string(), text))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    doc.root.to_json()
}

/// `tests/it/conformance-allowlist.yaml`: corpus → case id → reason.
pub(crate) fn allowlist() -> BTreeMap<String, BTreeMap<String, String>> {
    let path = repo().join("tests/it/conformance-allowlist.yaml");
    let mut out = BTreeMap::new();
    if let Value::Object(corpora) = yaml(&path) {
        for (corpus, cases) in corpora {
            let cases = match cases {
                Value::Object(m) => {
                    m.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string())).collect()
                }
                Value::Null => BTreeMap::new(),
                other => panic!("{}: `{corpus}` must map case ids to reasons, not {other}", path.display()),
            };
            out.insert(corpus, cases);
        }
    }
    for (corpus, cases) in &out {
        for (id, reason) in cases {
            assert!(!reason.trim().is_empty() && !reason.contains('\n'), "{corpus}/{id}: give a one-line reason");
        }
    }
    out
}

/// One row of the agreement table, with the cases that disagree.
pub(crate) struct Tally {
    pub(crate) name: &'static str,
    pub(crate) agree: usize,
    pub(crate) total: usize,
    pub(crate) disagreeing: Vec<(String, String)>,
}

impl Tally {
    pub(crate) fn new(name: &'static str) -> Self {
        Tally { name, agree: 0, total: 0, disagreeing: Vec::new() }
    }

    pub(crate) fn count(&mut self, id: &str, agrees: bool, detail: impl FnOnce() -> String) {
        self.total += 1;
        if agrees {
            self.agree += 1;
        } else {
            self.disagreeing.push((id.to_string(), detail()));
        }
    }

    pub(crate) fn row(&self) -> String {
        let pct = if self.total == 0 { 100.0 } else { 100.0 * self.agree as f64 / self.total as f64 };
        format!("  {:<48} {:>4} / {:<4} {:>6.1}%", self.name, self.agree, self.total, pct)
    }
}

/// Checks a primary tally against the allowlist: every disagreeing case must be listed, every
/// listed case must still disagree (and exist).
pub(crate) fn check_allowlist(
    tally: &Tally,
    ids: &BTreeSet<String>,
    listed: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) {
    let disagreeing: BTreeMap<&str, &str> = tally.disagreeing.iter().map(|(i, d)| (i.as_str(), d.as_str())).collect();
    for (id, detail) in &disagreeing {
        if !listed.contains_key(*id) {
            problems.push(format!("{}: `{id}` disagrees and is not allowlisted:\n{detail}", tally.name));
        }
    }
    for (id, reason) in listed {
        if !ids.contains(id) {
            problems.push(format!("{}: allowlisted `{id}` is not a case of the corpus", tally.name));
        } else if !disagreeing.contains_key(id.as_str()) {
            problems.push(format!(
                "{}: allowlisted `{id}` now agrees with the peer: remove it from conformance-allowlist.yaml ({reason})",
                tally.name
            ));
        }
    }
}

// ---- Confluent ----

struct ConfluentCase {
    id: String,
    description: String,
    original: String,
    update: String,
    original_deps: Vec<(String, Option<String>)>,
    update_deps: Vec<(String, Option<String>)>,
    changes: Vec<String>,
    compatible: bool,
}

fn confluent_cases() -> Vec<ConfluentCase> {
    let mut out = Vec::new();
    for file in ["diff-schema-examples.json", "diff-schema-examples-with-meta.json"] {
        let path = corpus("confluent-protobuf").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let cases: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (i, c) in cases.iter().enumerate() {
            let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            let deps = |k: &str| {
                c.get(k)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|d| {
                                let name = d.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                                (name, d.get("dependency").and_then(Value::as_str).map(str::to_string))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            out.push(ConfluentCase {
                id: format!("{file}#{i}"),
                description: s("description"),
                original: s("original_schema"),
                update: s("update_schema"),
                original_deps: deps("original_dependencies"),
                update_deps: deps("update_dependencies"),
                changes: c
                    .get("changes")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|t| t.split(' ').next().unwrap_or(t).to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                compatible: c.get("compatible").and_then(Value::as_bool).expect("`compatible` is a bool"),
            });
        }
    }
    out
}

/// Lowers one side. Cases with imported files (`*_dependencies`) are written to a scratch folder
/// and read with [`load`], so the imports resolve; the others are read as text.
fn lower_confluent(text: &str, deps: &[(String, Option<String>)], dir: &Path) -> Result<Schema, String> {
    let written: Vec<&(String, Option<String>)> = deps.iter().filter(|(_, t)| t.is_some()).collect();
    if written.is_empty() {
        return load_str("schema.proto", text, Format::Protobuf).map_err(|e| e.to_string());
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (name, dep) in written {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, dep.as_deref().unwrap_or_default()).map_err(|e| e.to_string())?;
    }
    let main = dir.join("schema.proto");
    std::fs::write(&main, text).map_err(|e| e.to_string())?;
    load(&main, Some(Format::Protobuf)).map_err(|e| e.to_string())
}

/// The Confluent names a change may stand for: its rule's aliases among Confluent's types.
fn confluent_names(c: &Change) -> Vec<&'static str> {
    c.rule.aliases.iter().copied().filter(|a| CONFLUENT_TYPES.contains(a)).collect()
}

/// Whether our changes (each standing for any of its rule's Confluent aliases; changes of rules
/// without one are not compared) can be paired one to one with the expected change types.
/// A rule may carry several Confluent names (T009 is both FIELD_KIND_CHANGED and
/// FIELD_NUMERIC_LABEL_CHANGED), hence a bipartite matching rather than a multiset comparison.
pub(crate) fn change_types_agree(ours: &[Vec<&'static str>], expected: &[String]) -> bool {
    let ours: Vec<&Vec<&str>> = ours.iter().filter(|n| !n.is_empty()).collect();
    if ours.len() != expected.len() {
        return false;
    }
    let mut owner: Vec<Option<usize>> = vec![None; expected.len()];
    fn augment(
        i: usize,
        ours: &[&Vec<&str>],
        expected: &[String],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (j, e) in expected.iter().enumerate() {
            if seen[j] || !ours[i].contains(&e.as_str()) {
                continue;
            }
            seen[j] = true;
            if owner[j].is_none_or(|k| augment(k, ours, expected, seen, owner)) {
                owner[j] = Some(i);
                return true;
            }
        }
        false
    }
    (0..ours.len()).all(|i| augment(i, &ours, expected, &mut vec![false; expected.len()], &mut owner))
}

fn describe(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "    {} {} at {} breaks {:?} [{}]",
                c.rule.code,
                c.rule.slug,
                c.display_path,
                c.breaks.names(),
                confluent_names(c).join("|")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Confluent judges FORWARD by the same diff with the arguments swapped. Protobuf reader
/// semantics in contrakt are symmetric the same way; checked on every pair of the corpus.
fn run_confluent(verdicts: &mut Tally, types: &mut Tally, problems: &mut Vec<String>) -> BTreeSet<String> {
    let scratch = tempfile::tempdir().expect("scratch folder");
    let mut ids = BTreeSet::new();
    for (n, case) in confluent_cases().into_iter().enumerate() {
        ids.insert(case.id.clone());
        let dir = scratch.path().join(n.to_string());
        let lowered = lower_confluent(&case.original, &case.original_deps, &dir.join("original"))
            .and_then(|a| lower_confluent(&case.update, &case.update_deps, &dir.join("update")).map(|b| (a, b)));
        let (old, new) = match lowered {
            Ok(pair) => pair,
            Err(e) => {
                let detail = format!("  {}\n  cannot lower the schemas: {e}", case.description);
                verdicts.count(&case.id, false, || detail.clone());
                types.count(&case.id, false, || detail);
                continue;
            }
        };
        let changes = diff(&old, &new);
        let ours = !changes.iter().any(|c| c.is_breaking(Mode::Backward));
        for (a, b) in [(&old, &new), (&new, &old)] {
            if compatible(&[], a, b, Mode::Backward) != compatible(&[], b, a, Mode::Forward) {
                problems.push(format!("{}: BACKWARD of one order is not FORWARD of the other", case.id));
            }
        }
        let detail = || {
            format!(
                "  {}\n  Confluent: compatible={} {:?}\n  contrakt:  compatible={ours}\n{}",
                case.description,
                case.compatible,
                case.changes,
                describe(&changes)
            )
        };
        verdicts.count(&case.id, ours == case.compatible, detail);
        let names: Vec<Vec<&str>> = changes.iter().map(confluent_names).collect();
        types.count(&case.id, change_types_agree(&names, &case.changes), detail);
    }
    ids
}

// ---- buf ----

/// One side of a buf case: every `.proto` file's top-level messages in one schema, and which
/// file each object came from (paths relative to the side's build root).
struct Module {
    schema: Schema,
    files: HashMap<String, (String, Arc<SourceFile>)>,
    /// Each file's source by its path, and the file that defines each full name (messages,
    /// enums, extensions) or path.
    sources: HashMap<String, Arc<SourceFile>>,
    defined_in: HashMap<String, String>,
    errors: Vec<String>,
}

fn proto_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            proto_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "proto") {
            out.push(p);
        }
    }
}

/// Reads a buf module: the folder, or the `build.roots` its `buf.yaml` names. Files are read one
/// by one with [`load`] (imports resolve from the file's folder upwards) and their objects merged.
fn load_module(dir: &Path) -> Module {
    let mut roots = vec![dir.to_path_buf()];
    let config = dir.join("buf.yaml");
    if config.exists()
        && let Some(r) = yaml(&config).pointer("/build/roots").and_then(Value::as_array)
    {
        roots = r.iter().filter_map(Value::as_str).map(|r| dir.join(r)).collect();
    }
    let mut module = Module {
        schema: Schema {
            source: dir.display().to_string(),
            record_model: contrakt_core::ir::RecordModel::ByNumber,
            expresses: contrakt_core::ir::Expresses {
                descriptions: true,
                defaults: true,
                ..contrakt_core::ir::Expresses::NONE
            },
            qualified_paths: true,
            objects: Vec::new(),
            proto_files: Vec::new(),
            facts: Default::default(),
        },
        files: HashMap::new(),
        sources: HashMap::new(),
        defined_in: HashMap::new(),
        errors: Vec::new(),
    };
    for root in roots {
        let mut files = Vec::new();
        proto_files(&root, &mut files);
        for path in files {
            let rel = path.strip_prefix(&root).unwrap_or(&path).display().to_string();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let source = SourceFile::new(rel.clone(), text);
            match load(&path, Some(Format::Protobuf)) {
                Ok(s) => {
                    for o in s.objects {
                        module.files.entry(o.name.clone()).or_insert_with(|| (rel.clone(), Arc::clone(&source)));
                        module.schema.objects.push(o);
                    }
                    for mut f in s.proto_files {
                        // buf pairs files by their path in the module.
                        f.path = rel.clone();
                        let names = f.messages.iter().map(|m| &m.full_name).chain(f.enums.iter().map(|e| &e.full_name));
                        for n in names.chain(f.extensions.iter().map(|x| &x.full_name)) {
                            module.defined_in.entry(n.clone()).or_insert_with(|| rel.clone());
                        }
                        module.defined_in.insert(rel.clone(), rel.clone());
                        module.schema.proto_files.push(f);
                    }
                    module.sources.insert(rel.clone(), Arc::clone(&source));
                }
                // A file with no definitions: nothing to compare.
                Err(e) if e.to_string().contains("the file has no statement") => {}
                Err(e) => module.errors.push(format!("{rel}: {e}")),
            }
        }
    }
    module
}

/// A finding as buf locates it: rule, file (relative to `current/<case>/`), 1-based start line
/// and column; `None` for findings without a location (a deleted top-level message).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct BufFinding {
    rule: String,
    file: String,
    line: Option<usize>,
    column: Option<usize>,
}

impl BufFinding {
    fn key(&self) -> (String, String, Option<usize>) {
        (self.rule.clone(), self.file.clone(), self.line)
    }
}

fn located(rule: &str, file: &str, source: &SourceFile, span: Span) -> BufFinding {
    let loc = source.location(span.start as usize);
    BufFinding { rule: rule.to_string(), file: file.to_string(), line: Some(loc.line), column: Some(loc.column) }
}

/// Where buf would report a change: at the element in the current file; for a removed field,
/// at the enclosing message; for a removed top-level message, at its old file without location.
/// Nested message definitions have no span in the IR, so removals inside them are unlocated.
fn buf_location(c: &Change, rule: &str, old: &Module, new: &Module) -> BufFinding {
    if c.rule.code.starts_with('P') {
        return proto_location(c, rule, old, new);
    }
    let object = match c.path.segments.first() {
        Some(Segment::Name(n)) => n.clone(),
        _ => String::new(),
    };
    let unknown = BufFinding { rule: rule.to_string(), file: "?".into(), line: None, column: None };
    if let Some(span) = c.new_span.filter(|s| !s.is_none()) {
        return match new.files.get(&object) {
            Some((file, source)) => located(rule, file, source, span),
            None => unknown,
        };
    }
    if c.path.segments.len() == 1 && c.new.is_none() {
        return match old.files.get(&object) {
            Some((file, _)) => BufFinding { rule: rule.to_string(), file: file.clone(), line: None, column: None },
            None => unknown,
        };
    }
    if c.path.segments.len() == 2
        && let (Some(o), Some((file, source))) = (new.schema.object(&object), new.files.get(&object))
    {
        return located(rule, file, source, o.span);
    }
    unknown
}

/// A Protobuf definition rule's finding: in the current file that defines the element (or its
/// nearest enclosing definition, or the file the path names), at the change's span there; a
/// deleted top-level element has no location, in the file that defined it before.
fn proto_location(c: &Change, rule: &str, old: &Module, new: &Module) -> BufFinding {
    let names: Vec<String> = c
        .path
        .segments
        .iter()
        .map(|s| match s {
            Segment::Name(n) => n.clone(),
            _ => String::new(),
        })
        .collect();
    let file_of = |m: &Module| (1..=names.len()).rev().find_map(|i| m.defined_in.get(&names[..i].join(".")).cloned());
    let file = file_of(new).or_else(|| file_of(old)).unwrap_or_else(|| "?".to_string());
    match (c.new_span, new.sources.get(&file)) {
        (Some(span), Some(source)) => located(rule, &file, source, span),
        _ => BufFinding { rule: rule.to_string(), file, line: None, column: None },
    }
}

/// Our findings for a buf case: changes whose rule has `rule` among its aliases, located as buf
/// locates them, one per element (a message used in several places is reported once per use).
fn buf_findings(rule: &str, old: &Module, new: &Module) -> Vec<BufFinding> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for c in diff(&old.schema, &new.schema) {
        if !c.rule.aliases.contains(&rule) {
            continue;
        }
        let f = buf_location(&c, rule, old, new);
        let leaf = match c.path.segments.last() {
            Some(Segment::Name(n)) => n.clone(),
            _ => String::new(),
        };
        // Definition rules report each element once; field rules once per use of a message.
        if c.rule.code.starts_with('P') || seen.insert((f.clone(), leaf)) {
            out.push(f);
        }
    }
    out.sort();
    out
}

fn expected_buf() -> BTreeMap<String, Vec<BufFinding>> {
    let mut out = BTreeMap::new();
    let Value::Array(cases) = yaml(&corpus("buf-breaking").join("expected.yaml")) else {
        panic!("expected.yaml is a list of cases")
    };
    for case in cases {
        let name = case.get("case").and_then(Value::as_str).expect("case name").to_string();
        let mut findings: Vec<BufFinding> = case
            .get("expected")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let n = |k: &str| e.get(k).and_then(Value::as_u64).map(|v| v as usize);
                        BufFinding {
                            rule: e.get("rule").and_then(Value::as_str).unwrap_or_default().to_string(),
                            file: e.get("file").and_then(Value::as_str).unwrap_or_default().to_string(),
                            line: n("start_line"),
                            column: n("start_column"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        findings.sort();
        out.insert(name, findings);
    }
    out
}

/// Size of the multiset intersection of two finding lists under `key`.
fn matched<K: Ord>(a: &[BufFinding], b: &[BufFinding], key: impl Fn(&BufFinding) -> K) -> usize {
    let mut counts: BTreeMap<K, usize> = BTreeMap::new();
    for f in a {
        *counts.entry(key(f)).or_default() += 1;
    }
    let mut n = 0;
    for f in b {
        if let Some(c) = counts.get_mut(&key(f)).filter(|c| **c > 0) {
            *c -= 1;
            n += 1;
        }
    }
    n
}

fn run_buf(cases: &mut Tally, findings: &mut Tally, columns: &mut Tally) -> BTreeSet<String> {
    let root = corpus("buf-breaking").join("cases");
    let mut ids = BTreeSet::new();
    for (name, expected) in expected_buf() {
        ids.insert(name.clone());
        let current = root.join("current").join(&name);
        let rule = yaml(&current.join("buf.yaml"))
            .pointer("/breaking/use/0")
            .and_then(Value::as_str)
            .expect("buf.yaml names the rule under test")
            .to_string();
        let old = load_module(&root.join("previous").join(&name));
        let new = load_module(&current);
        let ours = buf_findings(&rule, &old, &new);
        let hits = matched(&expected, &ours, BufFinding::key);
        let exact = matched(&expected, &ours, |f| (f.key(), f.column));
        let agrees = hits == expected.len() && hits == ours.len() && old.errors.is_empty() && new.errors.is_empty();
        let show = |v: &[BufFinding]| {
            v.iter()
                .map(|f| {
                    let at = f.line.map_or("-".to_string(), |l| format!("{l}:{}", f.column.unwrap_or(0)));
                    format!("{} {at}", f.file)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let detail = format!(
            "  {rule}: {hits} of {} expected found, {} extra\n  expected: {}\n  contrakt: {}{}",
            expected.len(),
            ours.len() - hits,
            show(&expected),
            show(&ours),
            old.errors.iter().chain(&new.errors).map(|e| format!("\n  load error: {e}")).collect::<String>()
        );
        println!(
            "    buf {name:<54} {rule:<44} expected {:>2}, found {hits:>2}, extra {:>2}: {}",
            expected.len(),
            ours.len() - hits,
            if agrees { "agrees" } else { "differs" }
        );
        cases.count(&name, agrees, || detail);
        findings.total += expected.len();
        findings.agree += hits;
        columns.total += hits;
        columns.agree += exact;
    }
    ids
}

#[test]
fn protobuf_corpora_agree_with_confluent_and_buf() {
    let allow = allowlist();
    for corpus in allow.keys() {
        // `datacontract-cli-odcs` belongs to `conformance_odcs`, `confluent-jsonschema` to
        // `conformance_jsonschema`, `avro` to `conformance_avro`.
        assert!(
            ["confluent-protobuf", "buf-breaking", "datacontract-cli-odcs", "confluent-jsonschema", "avro"]
                .contains(&corpus.as_str()),
            "unknown corpus `{corpus}`"
        );
    }
    let empty = BTreeMap::new();
    let mut problems = Vec::new();

    let mut verdicts = Tally::new("confluent-protobuf: BACKWARD verdict");
    let mut types = Tally::new("confluent-protobuf: change types (via aliases)");
    let confluent_ids = run_confluent(&mut verdicts, &mut types, &mut problems);
    check_allowlist(&verdicts, &confluent_ids, allow.get("confluent-protobuf").unwrap_or(&empty), &mut problems);

    let mut cases = Tally::new("buf-breaking: cases (rule + file + line)");
    let mut findings = Tally::new("buf-breaking: findings matched");
    let mut columns = Tally::new("buf-breaking: matched findings, same column");
    let ids = run_buf(&mut cases, &mut findings, &mut columns);
    check_allowlist(&cases, &ids, allow.get("buf-breaking").unwrap_or(&empty), &mut problems);

    println!("conformance agreement (agree / total):");
    for t in [&verdicts, &types, &cases, &findings, &columns] {
        println!("{}", t.row());
    }
    // The secondary numbers have no allowlist: list what differs (in full with
    // `CONTRAKT_CONFORMANCE_VERBOSE=1`).
    let verbose = std::env::var_os("CONTRAKT_CONFORMANCE_VERBOSE").is_some();
    for t in [&types, &cases] {
        for (id, detail) in &t.disagreeing {
            println!("    {} differs: {id}", t.name);
            if verbose {
                println!("{detail}");
            }
        }
    }
    // The change types, held per case (no net total: one case's fix cannot hide another's
    // regression). buf's finding and column counts are reported only: each buf case is held
    // both ways (missed and extra findings) by the allowlist above.
    let listed: BTreeMap<String, String> =
        CONFLUENT_CHANGE_TYPES_DIFFER.iter().map(|id| (id.to_string(), "change types differ".to_string())).collect();
    check_allowlist(&types, &confluent_ids, &listed, &mut problems);
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
}
