//! Conformance with Confluent Schema Registry's JSON Schema diff examples in
//! `tests/conformance/confluent-jsonschema/`.
//!
//! Each case has an original and an update schema, the `Difference.Type`s Confluent reports,
//! its BACKWARD verdict under the STRICT policy (`compatible`) and, for a few, under the LENIENT
//! policy (`compatible_lenient`; absent means the same). We compare, per file:
//!
//! - the STRICT verdict: no change of ours breaks BACKWARD (primary, allowlisted);
//! - the LENIENT verdict: no change breaks BACKWARD except those whose rule stands only for
//!   change types LENIENT accepts (read through the rule's `aliases`: F008, F009, C008), the
//!   policy that assumes documents do not carry undeclared properties (primary, allowlisted);
//! - the change types, via aliases, as a multiset (secondary: the mapping is not 1:1; Confluent
//!   reports some changes twice, e.g. a property covered by a partially open content model).
//!
//! `recursive-schema.json` must diff clean against itself. Allowlist ids: `<file>#<index>` for
//! STRICT, `<file>#<index> lenient` for LENIENT. Run with `--nocapture` to see the table.

use std::collections::{BTreeMap, BTreeSet};

use contrakt_core::diff::{Change, Mode, compatible, diff};
use contrakt_core::ir::Schema;
use contrakt_formats::{Format, load_str};
use serde_json::Value;

use crate::conformance::{Tally, allowlist, change_types_agree, check_allowlist, corpus};

/// Committed agreement: the test fails if a number drops below these.
const STRICT_VERDICTS: usize = 261;
const LENIENT_VERDICTS: usize = 261;
const CHANGE_TYPES: usize = 163;

const FILES: [&str; 4] = [
    "diff-schema-examples.json",
    "diff-combined-schema-examples.json",
    "diff-schema-examples-2020-12.json",
    "diff-combined-schema-examples-2020-12.json",
];

// The three sets of `SchemaDiff.java` (design/breaking-rules.md, A.2.1).
const STRICT_COMPATIBLE: &[&str] = &[
    "ADDITIONAL_ITEMS_ADDED",
    "ADDITIONAL_ITEMS_EXTENDED",
    "ADDITIONAL_PROPERTIES_ADDED",
    "ADDITIONAL_PROPERTIES_EXTENDED",
    "COMBINED_TYPE_EXTENDED",
    "DEFAULT_CHANGED",
    "DEPENDENCY_ARRAY_NARROWED",
    "DEPENDENCY_ARRAY_REMOVED",
    "DEPENDENCY_SCHEMA_REMOVED",
    "DESCRIPTION_CHANGED",
    "ENUM_ARRAY_EXTENDED",
    "EXCLUSIVE_MAXIMUM_INCREASED",
    "EXCLUSIVE_MAXIMUM_REMOVED",
    "EXCLUSIVE_MINIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_REMOVED",
    "ID_CHANGED",
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "MAXIMUM_INCREASED",
    "MAXIMUM_REMOVED",
    "MAX_CONTAINS_INCREASED",
    "MAX_CONTAINS_REMOVED",
    "MAX_ITEMS_INCREASED",
    "MAX_ITEMS_REMOVED",
    "MAX_LENGTH_INCREASED",
    "MAX_LENGTH_REMOVED",
    "MAX_PROPERTIES_INCREASED",
    "MAX_PROPERTIES_REMOVED",
    "MINIMUM_DECREASED",
    "MINIMUM_REMOVED",
    "MIN_CONTAINS_DECREASED",
    "MIN_CONTAINS_REMOVED",
    "MIN_ITEMS_DECREASED",
    "MIN_ITEMS_REMOVED",
    "MIN_LENGTH_DECREASED",
    "MIN_LENGTH_REMOVED",
    "MIN_PROPERTIES_DECREASED",
    "MIN_PROPERTIES_REMOVED",
    "MULTIPLE_OF_REDUCED",
    "MULTIPLE_OF_REMOVED",
    "NOT_TYPE_NARROWED",
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "PATTERN_REMOVED",
    "PRODUCT_TYPE_NARROWED",
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "REQUIRED_ATTRIBUTE_REMOVED",
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "SCHEMA_REMOVED",
    "SUM_TYPE_EXTENDED",
    "TITLE_CHANGED",
    "TYPE_EXTENDED",
    "UNEVALUATED_ITEMS_ADDED",
    "UNEVALUATED_ITEMS_EXTENDED",
    "UNEVALUATED_PROPERTIES_ADDED",
    "UNEVALUATED_PROPERTIES_EXTENDED",
    "UNIQUE_ITEMS_REMOVED",
];
const LENIENT_COMPATIBLE: &[&str] = &[
    "ADDITIONAL_PROPERTIES_NARROWED",
    "ADDITIONAL_PROPERTIES_REMOVED",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    "UNEVALUATED_PROPERTIES_NARROWED",
    "UNEVALUATED_PROPERTIES_REMOVED",
];
const NEVER_COMPATIBLE: &[&str] = &[
    "ADDITIONAL_ITEMS_NARROWED",
    "ADDITIONAL_ITEMS_REMOVED",
    "COMBINED_TYPE_CHANGED",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    "DEPENDENCY_ARRAY_ADDED",
    "DEPENDENCY_ARRAY_CHANGED",
    "DEPENDENCY_ARRAY_EXTENDED",
    "DEPENDENCY_SCHEMA_ADDED",
    "ENUM_ARRAY_CHANGED",
    "ENUM_ARRAY_NARROWED",
    "EXCLUSIVE_MAXIMUM_ADDED",
    "EXCLUSIVE_MAXIMUM_DECREASED",
    "EXCLUSIVE_MINIMUM_ADDED",
    "EXCLUSIVE_MINIMUM_INCREASED",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    "MAXIMUM_ADDED",
    "MAXIMUM_DECREASED",
    "MAX_CONTAINS_ADDED",
    "MAX_CONTAINS_DECREASED",
    "MAX_ITEMS_ADDED",
    "MAX_ITEMS_DECREASED",
    "MAX_LENGTH_ADDED",
    "MAX_LENGTH_DECREASED",
    "MAX_PROPERTIES_ADDED",
    "MAX_PROPERTIES_DECREASED",
    "MINIMUM_ADDED",
    "MINIMUM_INCREASED",
    "MIN_CONTAINS_ADDED",
    "MIN_CONTAINS_INCREASED",
    "MIN_ITEMS_ADDED",
    "MIN_ITEMS_INCREASED",
    "MIN_LENGTH_ADDED",
    "MIN_LENGTH_INCREASED",
    "MIN_PROPERTIES_ADDED",
    "MIN_PROPERTIES_INCREASED",
    "MULTIPLE_OF_ADDED",
    "MULTIPLE_OF_CHANGED",
    "MULTIPLE_OF_EXPANDED",
    "NOT_TYPE_EXTENDED",
    "PATTERN_ADDED",
    "PATTERN_CHANGED",
    "PRODUCT_TYPE_EXTENDED",
    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_ATTRIBUTE_ADDED",
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY",
    "RESERVED_PROPERTY_REMOVED",
    "SCHEMA_ADDED",
    "SUM_TYPE_NARROWED",
    "TYPE_CHANGED",
    "TYPE_NARROWED",
    "UNEVALUATED_ITEMS_NARROWED",
    "UNEVALUATED_ITEMS_REMOVED",
    "UNIQUE_ITEMS_ADDED",
];

fn is_confluent(name: &str) -> bool {
    STRICT_COMPATIBLE.contains(&name) || LENIENT_COMPATIBLE.contains(&name) || NEVER_COMPATIBLE.contains(&name)
}

/// The Confluent names a change may stand for.
fn confluent_names(c: &Change) -> Vec<&'static str> {
    c.rule.aliases.iter().copied().filter(|a| is_confluent(a)).collect()
}

/// A rule LENIENT tolerates: all its Confluent names are compatible under LENIENT, and some
/// only there (so its breaking verdict is STRICT's alone).
fn lenient_only(c: &Change) -> bool {
    let names = confluent_names(c);
    names.iter().any(|n| LENIENT_COMPATIBLE.contains(n))
        && names.iter().all(|n| LENIENT_COMPATIBLE.contains(n) || STRICT_COMPATIBLE.contains(n))
}

/// Drops commas before `}` or `]` outside strings (the 2020-12 file has them; `org.json` reads them).
fn lenient_json(text: &str) -> Value {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' && matches!(text[i + 1..].trim_start().chars().next(), Some('}' | ']')) {
            continue;
        }
        out.push(c);
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON even without trailing commas: {e}"))
}

struct Case {
    id: String,
    file: &'static str,
    description: String,
    original: Value,
    update: Value,
    changes: Vec<String>,
    strict: bool,
    lenient: bool,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for file in FILES {
        let path = corpus("confluent-jsonschema").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Value::Array(cases) = lenient_json(&text) else { panic!("{file}: a list of cases") };
        for (i, c) in cases.into_iter().enumerate() {
            let strict = c["compatible"].as_bool().expect("`compatible` is a bool");
            out.push(Case {
                id: format!("{file}#{i}"),
                file,
                description: c["description"].as_str().unwrap_or_default().to_string(),
                original: c["original_schema"].clone(),
                update: c["update_schema"].clone(),
                changes: c["changes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|t| t.split(' ').next().unwrap_or(t).to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                strict,
                lenient: c.get("compatible_lenient").and_then(Value::as_bool).unwrap_or(strict),
            });
        }
    }
    out
}

fn lower(v: &Value, name: &str) -> Result<Schema, String> {
    load_str(name, &serde_json::to_string_pretty(v).unwrap_or_default(), Format::JsonSchema).map_err(|e| e.to_string())
}

fn describe(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "    {} {} at `{}` breaks {:?} [{}]: {}",
                c.rule.code,
                c.rule.slug,
                c.display_path,
                c.breaks.names(),
                confluent_names(c).join("|"),
                c.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn jsonschema_corpus_agrees_with_confluent() {
    let allow = allowlist();
    let listed = allow.get("confluent-jsonschema").cloned().unwrap_or_default();
    let (listed_lenient, listed_strict): (BTreeMap<String, String>, BTreeMap<String, String>) =
        listed.into_iter().partition(|(id, _)| id.ends_with(" lenient"));
    let mut problems = Vec::new();
    let mut strict = Tally::new("confluent-jsonschema: STRICT verdict");
    let mut lenient = Tally::new("confluent-jsonschema: LENIENT verdict");
    let mut types = Tally::new("confluent-jsonschema: change types (via aliases)");
    let mut per_file: BTreeMap<&str, [(usize, usize); 2]> = BTreeMap::new();
    let (mut strict_ids, mut lenient_ids) = (BTreeSet::new(), BTreeSet::new());
    for case in cases() {
        strict_ids.insert(case.id.clone());
        lenient_ids.insert(format!("{} lenient", case.id));
        let row = per_file.entry(case.file).or_default();
        let (old, new) = match lower(&case.original, "original.json")
            .and_then(|a| lower(&case.update, "update.json").map(|b| (a, b)))
        {
            Ok(pair) => pair,
            Err(e) => {
                let detail = format!("  {}\n  cannot lower the schemas: {e}", case.description);
                strict.count(&case.id, false, || detail.clone());
                lenient.count(&format!("{} lenient", case.id), false, || detail.clone());
                types.count(&case.id, false, || detail);
                row[0].1 += 1;
                row[1].1 += 1;
                continue;
            }
        };
        let changes = diff(&old, &new);
        let ours_strict = !changes.iter().any(|c| c.is_breaking(Mode::Backward));
        let ours_lenient = !changes.iter().any(|c| c.is_breaking(Mode::Backward) && !lenient_only(c));
        for (a, b) in [(&old, &new), (&new, &old)] {
            if compatible(&[], a, b, Mode::Backward) != compatible(&[], b, a, Mode::Forward) {
                problems.push(format!("{}: BACKWARD of one order is not FORWARD of the other", case.id));
            }
        }
        if !diff(&old, &old).is_empty() || !diff(&new, &new).is_empty() {
            problems.push(format!("{}: a schema differs from itself", case.id));
        }
        let detail = |policy: &str, expected: bool, ours: bool| {
            format!(
                "  {}\n  Confluent {policy}: compatible={expected} {:?}\n  contrakt:  compatible={ours}\n{}",
                case.description,
                case.changes,
                describe(&changes)
            )
        };
        strict.count(&case.id, ours_strict == case.strict, || detail("STRICT", case.strict, ours_strict));
        lenient.count(&format!("{} lenient", case.id), ours_lenient == case.lenient, || {
            detail("LENIENT", case.lenient, ours_lenient)
        });
        row[0].1 += 1;
        row[1].1 += 1;
        row[0].0 += usize::from(ours_strict == case.strict);
        row[1].0 += usize::from(ours_lenient == case.lenient);
        let names: Vec<Vec<&str>> = changes.iter().map(confluent_names).collect();
        types.count(&case.id, change_types_agree(&names, &case.changes), || detail("STRICT", case.strict, ours_strict));
    }
    check_allowlist(&strict, &strict_ids, &listed_strict, &mut problems);
    check_allowlist(&lenient, &lenient_ids, &listed_lenient, &mut problems);

    // A recursive schema diffs clean against itself, without looping.
    let path = corpus("confluent-jsonschema").join("recursive-schema.json");
    let text = std::fs::read_to_string(&path).expect("recursive-schema.json");
    match load_str("recursive-schema.json", &text, Format::JsonSchema) {
        Ok(s) => {
            let d = diff(&s, &s);
            if !d.is_empty() {
                problems.push(format!("recursive-schema.json differs from itself:\n{}", describe(&d)));
            }
        }
        Err(e) => problems.push(format!("recursive-schema.json: {e}")),
    }

    println!("conformance agreement (agree / total):");
    for t in [&strict, &lenient, &types] {
        println!("{}", t.row());
    }
    for (file, [(s, n), (l, m)]) in &per_file {
        println!("    {file:<44} STRICT {s:>3} / {n:<3} LENIENT {l:>3} / {m}");
    }
    let verbose = std::env::var_os("CONTRAKT_CONFORMANCE_VERBOSE").is_some();
    for t in [&types] {
        for (id, detail) in &t.disagreeing {
            println!("    {} differs: {id}", t.name);
            if verbose {
                println!("{detail}");
            }
        }
    }
    for (t, committed) in [(&strict, STRICT_VERDICTS), (&lenient, LENIENT_VERDICTS), (&types, CHANGE_TYPES)] {
        if t.agree < committed {
            problems.push(format!("{}: agreement dropped to {} (committed: {committed})", t.name, t.agree));
        } else if t.agree > committed {
            println!("    {}: {} agree, more than the committed {committed}: raise it", t.name, t.agree);
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n\n"));
}
