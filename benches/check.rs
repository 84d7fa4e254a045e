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

#[path = "common/timing.rs"]
mod timing;
#[allow(dead_code)]
#[path = "common/workload.rs"]
mod workload;

use std::path::{Path, PathBuf};

use serde_json::Value;
use timing::{env_or, median, mib, timed};

fn main() {
    let data = PathBuf::from(env_or("CONTRAKT_BENCH_DATA", "/tmp/benchdata"));
    let workload =
        PathBuf::from(env_or("CONTRAKT_BENCH_WORKLOAD", concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench")));
    let python = PathBuf::from(env_or("CONTRAKT_BENCH_PYTHON", "/tmp/benchvenv/bin/python"));
    let rounds: usize = env_or("CONTRAKT_BENCH_ROUNDS", "5").parse().expect("CONTRAKT_BENCH_ROUNDS");
    let sizes = env_or("CONTRAKT_BENCH_SIZES", "1m,10m");
    segment_cost(&data, &env_or("CONTRAKT_BENCH_SIZES", "1m,10m"), rounds);
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
        let contract = workload::render(&template, &dir.join("data"), workload::rows_of(size), "");
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
                let run = timed(bin, &args, &dir, &[]);
                assert_eq!(run.code, Some(1), "the workload has failing checks: contrakt must exit 1");
                workload::assert_counts(&format!("contrakt {size}"), &run.stdout, exp);
                secs.push(run.secs);
                rss.extend(run.peak_rss);
            }

            let run = timed(
                &python,
                &[script.to_str().unwrap(), data.to_str().unwrap(), "--size", size, "--mode", "fused"],
                &dir,
                &[],
            );
            workload::assert_duckdb_counts(&format!("duckdb {size}"), &run.stdout, exp);
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

/// The cost of segmenting (`contraktSegments`): the workload's contract as it is, and with three
/// of its rules (the row count, `status` validity, `discount_code` nulls) segmented by the
/// 30-value `country` (33 with the workload's injected invalid codes), alternated in the same
/// run; the ratio is segmented over plain. Needs only the generated data (no DuckDB).
/// `CONTRAKT_BENCH_SEGMENTS=0` skips it. With the debug build at 1M rows (indicative only):
/// 5.09 s plain, 5.93 s segmented (1.16×), median of 3.
fn segment_cost(data: &Path, sizes: &str, rounds: usize) {
    if env_or("CONTRAKT_BENCH_SEGMENTS", "1") == "0" {
        return;
    }
    let workload =
        PathBuf::from(env_or("CONTRAKT_BENCH_WORKLOAD", concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench")));
    let Ok(template) = std::fs::read_to_string(workload.join("orders.odcs.yaml.tmpl")) else { return };
    let bin = Path::new(env!("CARGO_BIN_EXE_contrakt"));
    let segmented_template = segment_rules(&template);
    let mut table = Vec::new();
    for size in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let orders = data.join(format!("orders_{size}"));
        if !orders.exists() || !data.join("customers.parquet").exists() {
            eprintln!("segment bench: skipping {size}: no data at {}", orders.display());
            continue;
        }
        let dir = std::env::temp_dir().join(format!("contrakt-bench-segments-{size}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data/customers")).unwrap();
        let link = |from: &Path, to: &Path| {
            let _ = std::fs::remove_file(to);
            std::os::unix::fs::symlink(from, to).unwrap();
        };
        link(&orders, &dir.join("data/orders"));
        link(&data.join("customers.parquet"), &dir.join("data/customers/customers.parquet"));
        let rows = workload::rows_of(size);
        std::fs::write(dir.join("plain.odcs.yaml"), workload::render(&template, &dir.join("data"), rows, "")).unwrap();
        std::fs::write(
            dir.join("segmented.odcs.yaml"),
            workload::render(&segmented_template, &dir.join("data"), rows, ""),
        )
        .unwrap();
        let (mut plain, mut segmented) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for (file, secs) in [("plain.odcs.yaml", &mut plain), ("segmented.odcs.yaml", &mut segmented)] {
                let args = ["check", file, "--now", "2025-06-01T00:00:00Z", "--format", "json", "--sample", "0"];
                // The data's folders are links into the generated data: allowed by name.
                let run = timed(bin, &args, &dir, &[("CONTRAKT_ALLOW_CONTRACT_PATHS", data.to_str().unwrap())]);
                let report: Value = serde_json::from_slice(&run.stdout).expect("a JSON report");
                let results = report["reports"][0]["results"].as_array().unwrap();
                // 30 countries, and the workload's 3 injected invalid ones.
                let by_country = results.iter().filter(|r| r["segments"]["total"].as_u64() >= Some(30)).count();
                assert_eq!(by_country, if file == "plain.odcs.yaml" { 0 } else { 3 }, "{file}: segmented rules");
                assert!(results.iter().all(|r| r["status"] != "error"), "{file}: a check could not run");
                secs.push(run.secs);
            }
            eprintln!("  {size} round {}: plain {:.3} s, segmented {:.3} s", round + 1, plain[round], segmented[round]);
        }
        table.push((size.to_string(), median(plain), median(segmented)));
        let _ = std::fs::remove_dir_all(&dir);
    }
    if table.is_empty() {
        return;
    }
    println!(
        "\ncontrakt check, plain vs 3 rules segmented by country (30 values), --sample 0, median of {rounds} alternated rounds"
    );
    println!("{:<6} {:>12} {:>12} {:>7}", "size", "plain", "segmented", "ratio");
    for (size, plain, segmented) in table {
        println!("{size:<6} {plain:>10.3} s {segmented:>10.3} s {:>7.2}", segmented / plain);
    }
}

/// The workload's contract with its row count, `status` validity and `discount_code` null rules
/// segmented by `country`.
fn segment_rules(template: &str) -> String {
    let by_country = |indent: &str| {
        format!("{indent}customProperties:\n{indent}  - {{property: contraktSegments, value: [country]}}\n")
    };
    let mut out = template.to_string();
    for (after, indent) in [
        ("        mustBeBetween: [@MIN_ROWS@, @MAX_ROWS@]\n", "        "),
        ("              validValues: [placed, shipped, delivered, cancelled]\n            mustBe: 0\n", "            "),
        ("            mustBeLessOrEqualTo: 99\n", "            "),
    ] {
        assert!(out.contains(after), "the workload's template changed: {after:?}");
        out = out.replacen(after, &format!("{after}{}", by_country(indent)), 1);
    }
    out
}
