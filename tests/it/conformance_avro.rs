//! Conformance with Apache Avro's own compatibility tests, transcribed in
//! `tests/conformance/avro/cases.yaml` (read its `SOURCE.md`): 299 reader/writer verdicts.
//!
//! Each case has an old and a new `.avsc`, a mode, the earlier versions (`history`, oldest
//! first) for transitive modes and Avro's verdict. We compare the schema-level verdict the CLI
//! reports as `compatible` (`contrakt diff --format json`): [`compatible`] over the lowered
//! schemas under the case's mode. Cases listed in section `avro` of
//! `conformance-allowlist.yaml` must still disagree; an unlisted disagreement fails. Each case
//! also checks the invariants the verdict rests on: a schema does not differ from itself, and
//! swapping old and new swaps BACKWARD and FORWARD. Run with `--nocapture` to see the table
//! (and `CONTRAKT_CONFORMANCE_VERBOSE=1` for each disagreement's findings).

use std::collections::{BTreeMap, BTreeSet};

use contrakt_core::diff::{Change, Mode, compatible, diff};
use contrakt_core::ir::{FormatFacts, Schema};
use contrakt_formats::{Format, load_str};
use serde_json::Value;

use crate::conformance::{Tally, allowlist, check_allowlist, corpus, yaml};
use crate::contrakt_in;

/// Committed agreement: the test fails if it drops below this.
const VERDICTS: usize = 299;

struct Case {
    id: String,
    mode: Mode,
    history: Vec<String>,
    old: String,
    new: String,
    compatible: bool,
}

fn cases() -> Vec<Case> {
    let doc = yaml(&corpus("avro").join("cases.yaml"));
    let text =
        |v: &Value, key: &str| v[key].as_str().unwrap_or_else(|| panic!("case without `{key}`: {v}")).to_string();
    doc.as_array()
        .expect("cases.yaml is a list")
        .iter()
        .map(|c| Case {
            id: text(c, "id"),
            mode: Mode::parse(&text(c, "mode")).unwrap_or_else(|| panic!("unknown mode in {c}")),
            history: c["history"]
                .as_array()
                .map(|h| h.iter().map(|v| v.as_str().expect("history holds schema text").to_string()).collect())
                .unwrap_or_default(),
            old: text(c, "old"),
            new: text(c, "new"),
            compatible: c["compatible"].as_bool().expect("`compatible` is a bool"),
        })
        .collect()
}

fn lower(text: &str, name: &str) -> Result<Schema, String> {
    load_str(name, text, Format::Avro).map_err(|e| e.to_string())
}

fn describe(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| format!("    {} {} [{}] {}", c.rule.code, c.display_path, c.breaks.names().join(","), c.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn avro_corpus_agrees_with_avro() {
    let allow = allowlist();
    let listed = allow.get("avro").cloned().unwrap_or_default();
    let mut problems = Vec::new();
    let mut verdicts = Tally::new("avro: schema resolution verdict");
    // The same cases through the structural walk alone (Avro facts dropped): the verdicts before
    // issue #20, printed for comparison and not held.
    let mut walked = Tally::new("avro: structural walk only (before #20)");
    let mut per_mode: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    let (mut cli_sample, mut cli_checked) = (0usize, 0usize);
    for case in cases() {
        ids.insert(case.id.clone());
        let row = per_mode.entry(case.mode.as_str()).or_default();
        row.1 += 1;
        let lowered = lower(&case.old, "old.avsc").and_then(|old| {
            let new = lower(&case.new, "new.avsc")?;
            let history = case
                .history
                .iter()
                .enumerate()
                .map(|(i, h)| lower(h, &format!("history-{i}.avsc")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((history, old, new))
        });
        let (history, old, new) = match lowered {
            Ok(l) => l,
            Err(e) => {
                verdicts.count(&case.id, false, || format!("  cannot lower the schemas: {e}"));
                continue;
            }
        };
        let history: Vec<&Schema> = history.iter().collect();
        let ours = compatible(&history, &old, &new, case.mode);
        let strip = |s: &Schema| Schema { facts: FormatFacts::None, ..s.clone() };
        let bare: Vec<Schema> = history.iter().map(|h| strip(h)).collect();
        let bare_ours = compatible(&bare.iter().collect::<Vec<_>>(), &strip(&old), &strip(&new), case.mode);
        walked.count(&case.id, bare_ours == case.compatible, String::new);
        if !diff(&old, &old).is_empty() || !diff(&new, &new).is_empty() {
            problems.push(format!("{}: a schema differs from itself", case.id));
        }
        if compatible(&[], &old, &new, Mode::Backward) != compatible(&[], &new, &old, Mode::Forward) {
            problems.push(format!("{}: BACKWARD of one order is not FORWARD of the other", case.id));
        }
        // The CLI reports the same verdict (the transitive and FULL cases, and a sample of the rest).
        if !matches!(case.mode, Mode::Backward | Mode::Forward) || cli_sample % 25 == 0 {
            cli_checked += 1;
            if let Some(problem) = cli_verdict(&case, ours) {
                problems.push(problem);
            }
        }
        cli_sample += 1;
        row.0 += usize::from(ours == case.compatible);
        verdicts.count(&case.id, ours == case.compatible, || {
            format!(
                "  {} ({})\n  old: {}\n  new: {}\n  Avro: compatible={}\n  contrakt: compatible={ours}\n{}",
                case.id,
                case.mode,
                case.old,
                case.new,
                case.compatible,
                describe(&diff(&old, &new))
            )
        });
    }
    check_allowlist(&verdicts, &ids, &listed, &mut problems);
    if listed.len() > 3 {
        problems.push(format!("the avro allowlist holds {} cases; issue #20 allows at most 3", listed.len()));
    }

    println!("conformance agreement (agree / total):");
    println!("{}", verdicts.row());
    println!("{}", walked.row());
    println!("    `contrakt diff --format json` reports the same `compatible` on {cli_checked} of them");
    for (mode, (agree, total)) in &per_mode {
        println!("    {mode:<24} {agree:>3} / {total}");
    }
    let verbose = std::env::var_os("CONTRAKT_CONFORMANCE_VERBOSE").is_some();
    for (id, detail) in &verdicts.disagreeing {
        println!("    {} differs: {id}", verdicts.name);
        if verbose {
            println!("{detail}");
        }
    }
    if verdicts.agree < VERDICTS {
        problems.push(format!("{}: agreement dropped to {} (committed: {VERDICTS})", verdicts.name, verdicts.agree));
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n\n"));
}

/// Runs `contrakt diff OLD NEW --mode M [--history H]… --format json` on the case's files; a
/// problem when its `compatible` is not the library's verdict.
fn cli_verdict(case: &Case, library: bool) -> Option<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write schema");
    write("old.avsc", &case.old);
    write("new.avsc", &case.new);
    let mut args: Vec<String> = ["diff", "old.avsc", "new.avsc", "--mode", case.mode.as_str(), "--format", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (i, h) in case.history.iter().enumerate() {
        let name = format!("history-{i}.avsc");
        write(&name, h);
        args.extend(["--history".to_string(), name]);
    }
    let run = contrakt_in(dir.path(), &args);
    let cli = run.json()["compatible"].as_bool();
    (cli != Some(library))
        .then(|| format!("{}: the CLI reports compatible={cli:?}, the library {library}\n{run}", case.id))
}
