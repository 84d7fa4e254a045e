//! `contrakt check` on the shared orders workload (`../shared/bench/`) against DuckDB running the
//! same 12 checks in one hand-written fused query: whole processes, alternated, median of rounds.
//!
//! The reference is `check_duckdb.py --mode fused`, the fastest single-machine check known for
//! this workload. Both sides are timed end to end (process start, reading the contract or the
//! script, the scan, the output), and both must agree with `expected.json` on every count, so a
//! faster run that measured the wrong thing fails the benchmark instead of winning it.
//!
//! Set up once (1–2 minutes), then run:
//!
//! ```sh
//! python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install numpy pyarrow duckdb
//! /tmp/benchvenv/bin/python ../shared/bench/gen_data.py /tmp/benchdata --sizes 1m,10m
//! cargo bench --bench check
//! ```
//!
//! Environment: `CONTRAKT_BENCH_DATA` (default `/tmp/benchdata`), `CONTRAKT_BENCH_SIZES`
//! (default `1m,10m`), `CONTRAKT_BENCH_ROUNDS` (default 5), `CONTRAKT_BENCH_PYTHON` (default
//! `/tmp/benchvenv/bin/python`), `CONTRAKT_BENCH_WORKLOAD` (default `../shared/bench`).
//! Peak memory is the maximum resident set of each process, read by GNU `time` when it is
//! installed (`/usr/bin/time`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

/// The 12 checks of the workload, in the order of `common.py`'s `CHECK_KEYS`, with the key of
/// each in `expected.json`.
const CHECKS: [(&str, &str); 12] = [
    ("row_count", "row_count_between"),
    ("order_id_not_null", "order_id_not_null"),
    ("order_id_unique", "order_id_unique"),
    ("email_regex", "email_regex"),
    ("country_in_set", "country_in_set"),
    ("status_in_set", "status_in_set"),
    ("amount_ge_0", "amount_non_negative"),
    ("quantity_1_100", "quantity_between_1_100"),
    ("created_le_updated", "created_le_updated"),
    ("discount_null_ratio", "discount_code_null_ratio_le_0_99"),
    ("freshness", "freshness_max_created_at_within_1d"),
    ("customer_ri", "customer_id_in_customers"),
];

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn rows_of(size: &str) -> u64 {
    match size {
        "100k" => 100_000,
        "1m" => 1_000_000,
        "10m" => 10_000_000,
        other => panic!("unknown size {other:?}: use 100k, 1m or 10m"),
    }
}

/// One timed process: wall seconds, peak RSS in bytes when GNU time could read it, stdout.
struct Run {
    secs: f64,
    peak_rss: Option<u64>,
    stdout: Vec<u8>,
    code: Option<i32>,
}

fn timed(program: &Path, args: &[&str], dir: &Path) -> Run {
    let gnu_time = Path::new("/usr/bin/time");
    let rss_file = dir.join("rss.txt");
    let mut cmd = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).current_dir(dir);
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let secs = start.elapsed().as_secs_f64();
    let peak_rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse::<u64>().ok()))
        .map(|kib| kib * 1024);
    if out.status.code() != Some(0) && out.status.code() != Some(1) {
        panic!("{} exited with {:?}:\n{}", program.display(), out.status.code(), String::from_utf8_lossy(&out.stderr));
    }
    Run { secs, peak_rss, stdout: out.stdout, code: out.status.code() }
}

/// The counts contrakt measured, keyed like `CHECKS`, from `check --format json`.
fn contrakt_counts(report: &Value) -> BTreeMap<&'static str, Value> {
    let results = report["reports"][0]["results"].as_array().expect("results");
    let find = |code: &str, property: Option<&str>, name: Option<&str>| -> &Value {
        results
            .iter()
            .find(|r| {
                r["object"] == "orders"
                    && r["code"] == code
                    && property.is_none_or(|p| r["property"] == p)
                    && name.is_none_or(|n| r["name"] == n)
            })
            .unwrap_or_else(|| panic!("no {code} result for {property:?} {name:?} in the report"))
    };
    let rows = |code: &str, property: &str| find(code, Some(property), None)["failed_rows"].clone();
    let value = |code: &str, property: Option<&str>, name: Option<&str>| find(code, property, name)["value"].clone();
    let quantity = rows("Q204", "quantity").as_u64().unwrap() + rows("Q205", "quantity").as_u64().unwrap();
    BTreeMap::from([
        ("row_count", value("Q305", None, None)),
        ("order_id_not_null", rows("Q201", "order_id")),
        ("order_id_unique", value("Q202", Some("order_id"), None)),
        ("email_regex", rows("Q208", "customer_email")),
        ("country_in_set", rows("Q303", "country")),
        ("status_in_set", rows("Q303", "status")),
        ("amount_ge_0", rows("Q204", "amount")),
        ("quantity_1_100", Value::from(quantity)),
        ("created_le_updated", value("Q306", None, Some("created_le_updated"))),
        // Percent in contrakt's report, a ratio in DuckDB's: compare as a ratio.
        ("discount_null_ratio", Value::from(value("Q301", Some("discount_code"), None).as_f64().unwrap() / 100.0)),
        ("freshness", value("Q306", None, Some("freshness"))),
        ("customer_ri", rows("Q501", "customer_id")),
    ])
}

/// Whether a measured value agrees with `expected.json`'s entry for that check.
fn agrees(key: &str, got: &Value, expected: &Value) -> bool {
    let num = |v: &Value| v.as_f64();
    match key {
        "row_count" => num(got) == num(&expected["value"]),
        "order_id_unique" => ["duplicate_values", "rows_with_non_unique_value", "excess_rows"]
            .iter()
            .any(|k| num(got) == num(&expected[*k])),
        "discount_null_ratio" => num(got).zip(num(&expected["null_ratio"])).is_some_and(|(a, b)| (a - b).abs() < 1e-9),
        // contrakt's freshness rule is the workload's SQL returning 1 when fresh; DuckDB reports
        // the newest timestamp. Both agree when neither says the data is stale.
        "freshness" => match got {
            Value::Number(n) => (n.as_f64() == Some(1.0)) != expected["fail"].as_bool().unwrap(),
            Value::String(s) => s.replace(' ', "T").starts_with(&expected["max_created_at"].as_str().unwrap()[..19]),
            _ => false,
        },
        _ => num(got) == num(&expected["failing_rows"]),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".into(), |b| format!("{:.0} MiB", b as f64 / (1024.0 * 1024.0)))
}

fn main() {
    let data = PathBuf::from(env_or("CONTRAKT_BENCH_DATA", "/tmp/benchdata"));
    let workload =
        PathBuf::from(env_or("CONTRAKT_BENCH_WORKLOAD", concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench")));
    let python = PathBuf::from(env_or("CONTRAKT_BENCH_PYTHON", "/tmp/benchvenv/bin/python"));
    let rounds: usize = env_or("CONTRAKT_BENCH_ROUNDS", "5").parse().expect("CONTRAKT_BENCH_ROUNDS");
    let sizes = env_or("CONTRAKT_BENCH_SIZES", "1m,10m");
    let expected_path = data.join("expected.json");
    if !expected_path.exists() || !python.exists() {
        eprintln!(
            "check bench: no workload data at {} (or no {}); generate it first, see benches/check.rs",
            data.display(),
            python.display()
        );
        return;
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
    let template = std::fs::read_to_string(workload.join("orders.odcs.yaml.tmpl")).expect("the contract template");
    let bin = Path::new(env!("CARGO_BIN_EXE_contrakt"));
    let script = workload.join("check_duckdb.py");
    let mut table = Vec::new();

    for size in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let orders = data.join(format!("orders_{size}"));
        if !orders.exists() {
            eprintln!("check bench: skipping {size}: {} is missing", orders.display());
            continue;
        }
        // The template reads `@DATA@/{model}/*.parquet`: a folder per schema object.
        let dir = std::env::temp_dir().join(format!("contrakt-bench-check-{size}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data/customers")).unwrap();
        let link = |from: &Path, to: &Path| {
            let _ = std::fs::remove_file(to);
            std::os::unix::fs::symlink(from, to).unwrap();
        };
        link(&orders, &dir.join("data/orders"));
        link(&data.join("customers.parquet"), &dir.join("data/customers/customers.parquet"));
        let rows = rows_of(size);
        let contract = template
            .replace("@DATA@", dir.join("data").to_str().unwrap())
            .replace("@MIN_ROWS@", &(rows * 9 / 10).to_string())
            .replace("@MAX_ROWS@", &(rows * 11 / 10).to_string());
        std::fs::write(dir.join("orders.odcs.yaml"), contract).unwrap();
        let exp = &expected["datasets"][size]["checks"];

        let (mut ours, mut theirs, mut counts_only) = (Vec::new(), Vec::new(), Vec::new());
        let (mut our_rss, mut their_rss, mut counts_rss) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            // Twice: as users run it (up to 5 failing rows collected per failed check, each a
            // query of its own), and counts only (`--sample 0`), like for like with DuckDB's query.
            for (sample, secs, rss) in [("5", &mut ours, &mut our_rss), ("0", &mut counts_only, &mut counts_rss)] {
                let args = [
                    "check",
                    "orders.odcs.yaml",
                    "--now",
                    "2025-06-01T00:00:00Z",
                    "--format",
                    "json",
                    "--sample",
                    sample,
                ];
                let run = timed(bin, &args, &dir);
                assert_eq!(run.code, Some(1), "the workload has failing checks: contrakt must exit 1");
                let report: Value = serde_json::from_slice(&run.stdout).expect("contrakt's JSON report");
                let counts = contrakt_counts(&report);
                for (key, exp_key) in CHECKS {
                    assert!(
                        agrees(key, &counts[key], &exp[exp_key]),
                        "contrakt {size} {key}: got {} expected {}",
                        counts[key],
                        exp[exp_key]
                    );
                }
                secs.push(run.secs);
                rss.extend(run.peak_rss);
            }

            let run = timed(
                &python,
                &[script.to_str().unwrap(), data.to_str().unwrap(), "--size", size, "--mode", "fused"],
                &dir,
            );
            let line = String::from_utf8_lossy(&run.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("RESULT_JSON=").map(str::to_owned))
                .expect("DuckDB's RESULT_JSON line");
            let result: Value = serde_json::from_str(&line).unwrap();
            for (key, exp_key) in CHECKS {
                let got = &result["checks"][key]["value"];
                assert!(agrees(key, got, &exp[exp_key]), "duckdb {size} {key}: got {got} expected {}", exp[exp_key]);
            }
            theirs.push(run.secs);
            their_rss.extend(run.peak_rss);
            eprintln!(
                "  {size} round {}: contrakt {:.3} s (counts only {:.3} s), duckdb {:.3} s",
                round + 1,
                ours[round],
                counts_only[round],
                theirs[round]
            );
        }
        let peak = |v: &[u64]| v.iter().copied().max();
        let reference = median(theirs);
        table.push((size.to_string(), median(ours), reference, peak(&our_rss), peak(&their_rss)));
        table.push((format!("{size} -s0"), median(counts_only), reference, peak(&counts_rss), peak(&their_rss)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    println!(
        "\ncontrakt check vs DuckDB fused query, 12 checks, whole processes, median of {rounds} alternated rounds"
    );
    println!(
        "{:<9} {:>12} {:>12} {:>7} {:>14} {:>14}",
        "size", "contrakt", "duckdb", "ratio", "contrakt RSS", "duckdb RSS"
    );
    for (size, ours, theirs, our_rss, their_rss) in table {
        println!(
            "{size:<9} {:>10.3} s {:>10.3} s {:>7.2} {:>14} {:>14}",
            ours,
            theirs,
            ours / theirs,
            mib(our_rss),
            mib(their_rss)
        );
    }
    println!("ratio < 1: contrakt is faster; `-s0` rows ran with `--sample 0` (counts only, like the DuckDB query)");
    println!("every count matched expected.json on both sides");
}
