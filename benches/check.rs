//! `contrakt check` on the shared orders workload (`../shared/bench/`), as users run it and
//! counts only, against the fastest single-machine references known for the same 12 checks:
//! DuckDB's hand-written fused query, the same checks as one lazy polars query, and DuckDB's
//! decode floor (a hash of every column: the scan no check can beat). Whole processes,
//! alternated in every round, median of the rounds, peak RSS of each.
//!
//! Every process is timed end to end (start, reading the contract or the script, the scan, the
//! output), and each must agree with `expected.json` on every count (the floor on the row
//! count, the one number it gives), so a faster run that measured the wrong thing fails the
//! benchmark instead of winning it.
//!
//! Set up once (1–2 minutes), then run:
//!
//! ```sh
//! python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install numpy pyarrow duckdb polars
//! /tmp/benchvenv/bin/python ../shared/bench/gen_data.py /tmp/benchdata --sizes 1m,10m
//! cargo bench --bench check
//! ```
//!
//! Environment: `CONTRAKT_BENCH_DATA` (default `/tmp/benchdata`), `CONTRAKT_BENCH_SIZES`
//! (default `1m,10m`; `100m` reads `orders_100m`, which `scale.rs` writes from `orders_10m`), `CONTRAKT_BENCH_ROUNDS` (default 5), `CONTRAKT_BENCH_PYTHON` (default
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
    quarantine_cost(&data, &env_or("CONTRAKT_BENCH_SIZES", "1m,10m"), rounds);
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
    let duckdb = workload.join("check_duckdb.py");
    let polars = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/common/check_polars.py");
    // check_polars.py imports the workload's common.py.
    let pythonpath = workload.to_str().unwrap().to_string();
    let mut tables = Vec::new();

    for size in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let orders = data.join(format!("orders_{size}"));
        if !orders.exists() {
            eprintln!("check bench: skipping {size}: {} is missing", orders.display());
            continue;
        }
        // The template reads `@DATA@/{model}/*.parquet`: a folder per schema object.
        let dir = linked_workload(&data, &orders, "check", size);
        let contract = workload::render(&template, &dir.join("data"), workload::rows_of(size), "");
        std::fs::write(dir.join("orders.odcs.yaml"), contract).unwrap();
        // 100m: ten copies of 10m's rows with their order ids moved apart (`scale.rs` writes
        // them), so ten times 10m's counts; the Python scripts know sizes up to 10m, so they
        // read it from a folder where it is named `orders_10m` (its row-count bounds are not
        // compared, only its counts).
        let exp = &if size == "100m" {
            workload::times_ten(&expected["datasets"]["10m"]["checks"])
        } else {
            expected["datasets"][size]["checks"].clone()
        };
        let (py_data, py_size) = if size == "100m" {
            let folder = dir.join("python");
            std::fs::create_dir_all(&folder).unwrap();
            link(&orders, &folder.join("orders_10m"));
            link(&data.join("customers.parquet"), &folder.join("customers.parquet"));
            (folder, "10m")
        } else {
            (data.clone(), size)
        };
        let data_dir = data.to_str().unwrap();
        let py_dir = py_data.to_str().unwrap();

        let mut runs: Vec<Anchor> = ANCHORS.iter().map(|(name, _)| Anchor::new(name)).collect();
        for round in 0..rounds {
            for (a, (_, what)) in ANCHORS.iter().enumerate() {
                let run = match what {
                    What::Contrakt(sample, more) => {
                        let mut args = vec![
                            "check",
                            "orders.odcs.yaml",
                            "--now",
                            "2025-06-01T00:00:00Z",
                            "--format",
                            "json",
                            "--sample",
                            sample,
                        ];
                        args.extend(more.iter().copied());
                        // The data folder is linked in, so it resolves outside the working folder.
                        let run = timed(bin, &args, &dir, &[("CONTRAKT_ALLOW_CONTRACT_PATHS", data_dir)]);
                        assert_eq!(run.code, Some(1), "the workload has failing checks: contrakt must exit 1");
                        workload::assert_counts(&format!("contrakt {size}"), &run.stdout, exp);
                        if *sample != "0" {
                            workload::assert_samples(&format!("contrakt {size}"), &run.stdout, sample.parse().unwrap());
                        }
                        run
                    }
                    What::Python { script, mode } => {
                        let script = if *script == "polars" { polars.clone() } else { duckdb.clone() };
                        let mut args = vec![script.to_str().unwrap(), py_dir, "--size", py_size];
                        if let Some(mode) = mode {
                            args.extend(["--mode", mode]);
                        }
                        let run = timed(&python, &args, &dir, &[("PYTHONPATH", pythonpath.as_str())]);
                        let label = format!("{} {size}", runs[a].name);
                        match mode {
                            Some("scan") => workload::assert_row_count(&label, &run.stdout, exp),
                            _ => workload::assert_duckdb_counts(&label, &run.stdout, exp),
                        }
                        run
                    }
                };
                runs[a].secs.push(run.secs);
                runs[a].rss.extend(run.peak_rss);
            }
            let line: Vec<String> = runs.iter().map(|r| format!("{} {:.3} s", r.name, r.secs[round])).collect();
            eprintln!("  {size} round {}: {}", round + 1, line.join(", "));
        }
        tables.push((size.to_string(), runs));
        let _ = std::fs::remove_dir_all(&dir);
    }

    println!("\ncontrakt check and the references, 12 checks, whole processes, median of {rounds} alternated rounds");
    for (size, runs) in tables {
        let median_of = |name: &str| runs.iter().find(|r| r.name == name).map(|r| median(r.secs.clone())).unwrap();
        let (duck, pl) = (median_of("duckdb fused"), median_of("polars lazy"));
        println!("\n{size:<5} {:<36} {:>9} {:>10} {:>10} {:>10}", "", "seconds", "x duckdb", "x polars", "peak RSS");
        for r in &runs {
            let secs = median(r.secs.clone());
            println!(
                "      {:<36} {:>9.3} {:>10.2} {:>10.2} {:>10}",
                r.name,
                secs,
                secs / duck,
                secs / pl,
                mib(r.rss.iter().copied().max())
            );
        }
    }
    println!("\nx < 1: faster than the reference; every count matched expected.json (the floor: its row count)");
}

/// Links `to` to `from`, replacing an older link.
fn link(from: &Path, to: &Path) {
    let _ = std::fs::remove_file(to);
    std::os::unix::fs::symlink(from, to).unwrap();
}

/// A scratch folder `contrakt-bench-WHAT-SIZE-PID` holding `data/orders` and
/// `data/customers/customers.parquet` linked to the generated data, as the workload's contract
/// template reads them (`@DATA@/{model}/*.parquet`).
fn linked_workload(data: &Path, orders: &Path, what: &str, size: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("contrakt-bench-{what}-{size}-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data/customers")).unwrap();
    link(orders, &dir.join("data/orders"));
    link(&data.join("customers.parquet"), &dir.join("data/customers/customers.parquet"));
    dir
}

/// What one row of the table runs.
enum What {
    /// `contrakt check` with `--sample N` and more arguments.
    Contrakt(&'static str, &'static [&'static str]),
    /// A workload script (`duckdb`: check_duckdb.py, `polars`: benches/common/check_polars.py)
    /// in a mode.
    Python { script: &'static str, mode: Option<&'static str> },
}

const ANCHORS: [(&str, What); 6] = [
    ("contrakt check (default: 5 samples)", What::Contrakt("5", &[])),
    ("contrakt check --sample 0", What::Contrakt("0", &[])),
    // The default run without its memory budget: what the budget costs (nothing while the
    // scan's sets fit in it).
    ("contrakt check --memory-budget none", What::Contrakt("5", &["--memory-budget", "none"])),
    ("duckdb fused", What::Python { script: "duckdb", mode: Some("fused") }),
    ("polars lazy", What::Python { script: "polars", mode: None }),
    ("duckdb decode floor", What::Python { script: "duckdb", mode: Some("scan") }),
];

/// The timings of one row of the table.
struct Anchor {
    name: &'static str,
    secs: Vec<f64>,
    rss: Vec<u64>,
}

impl Anchor {
    fn new(name: &'static str) -> Anchor {
        Anchor { name, secs: Vec::new(), rss: Vec::new() }
    }
}

/// The cost of segmenting (`contraktSegments`): the workload's contract as it is, and with three
/// of its rules (the row count, `status` validity, `discount_code` nulls) segmented by the
/// 30-value `country` (33 with the workload's injected invalid codes), alternated in the same
/// run; the ratio is segmented over plain. Needs only the generated data (no DuckDB).
/// `CONTRAKT_BENCH_SEGMENTS=0` skips it. Measured 2026-12-07, release, 10M rows, idle 2 cores,
/// median of 3: 1.363 s plain, 1.443 s segmented (1.06×); after uniqueness became a bitmap
/// (the plain check faster; 2 cores shared with a test build): 0.766 s and 0.870 s (1.14×).
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
        let dir = linked_workload(data, &orders, "segments", size);
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

/// The cost of the quarantine (`check --quarantine`): the same contract checked with and without
/// writing its failing rows, alternated in the same run; the ratio is quarantining over plain.
/// The workload's contract gets `quantity` at most 99 (of 1..100, uniform): about 1% of the
/// rows fail a row-level check (1.15% with the workload's injected violations), each written
/// with its key (`order_id`, every column being the key without a primary key would measure
/// the writer, not the scan: the workload declares none, so the bench declares it).
/// `CONTRAKT_BENCH_QUARANTINE=0` skips it. Measured 2026-12-07, release, 10M rows, idle 2
/// cores, median of 3: 1.350 s plain, 1.315 s quarantining (0.97×, within the noise); after
/// uniqueness became a bitmap (2 cores shared with a test build): 0.824 s and 0.853 s (1.03×).
fn quarantine_cost(data: &Path, sizes: &str, rounds: usize) {
    if env_or("CONTRAKT_BENCH_QUARANTINE", "1") == "0" {
        return;
    }
    let workload =
        PathBuf::from(env_or("CONTRAKT_BENCH_WORKLOAD", concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench")));
    let Ok(template) = std::fs::read_to_string(workload.join("orders.odcs.yaml.tmpl")) else { return };
    let template = quarantine_rules(&template);
    let bin = Path::new(env!("CARGO_BIN_EXE_contrakt"));
    let mut table = Vec::new();
    for size in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let orders = data.join(format!("orders_{size}"));
        if !orders.exists() || !data.join("customers.parquet").exists() {
            eprintln!("quarantine bench: skipping {size}: no data at {}", orders.display());
            continue;
        }
        let dir = linked_workload(data, &orders, "quarantine", size);
        let rows = workload::rows_of(size);
        std::fs::write(dir.join("orders.odcs.yaml"), workload::render(&template, &dir.join("data"), rows, "")).unwrap();
        // Outside the contract's folder, as the check requires.
        let q = std::env::temp_dir().join(format!("contrakt-bench-quarantined-{size}-{}", std::process::id()));
        let (mut plain, mut quarantined) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for (with, secs) in [(false, &mut plain), (true, &mut quarantined)] {
                let mut args = vec!["check", "orders.odcs.yaml", "--now", "2025-06-01T00:00:00Z", "--format", "json"];
                args.extend(["--sample", "0", "--object", "orders"]);
                let run_name = format!("r{round}");
                if with {
                    args.extend(["--quarantine", q.to_str().unwrap(), "--quarantine-run", &run_name]);
                }
                let run = timed(bin, &args, &dir, &[("CONTRAKT_ALLOW_CONTRACT_PATHS", data.to_str().unwrap())]);
                let report: Value = serde_json::from_slice(&run.stdout).expect("a JSON report");
                let object = &report["reports"][0]["objects"][0];
                if with {
                    // About 1% of the rows, every one written.
                    let written = object["quarantine"]["rows"].as_u64().expect("a quarantine");
                    let share = written as f64 / rows as f64;
                    assert!((0.009..0.02).contains(&share), "{written} rows quarantined of {rows}");
                    assert!(object["quarantine"].get("error").is_none(), "{}", object["quarantine"]);
                } else {
                    assert!(object.get("quarantine").is_none());
                }
                secs.push(run.secs);
            }
            eprintln!(
                "  {size} round {}: plain {:.3} s, quarantining {:.3} s",
                round + 1,
                plain[round],
                quarantined[round]
            );
        }
        table.push((size.to_string(), median(plain), median(quarantined)));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&q);
    }
    if table.is_empty() {
        return;
    }
    println!(
        "\ncontrakt check, plain vs --quarantine (about 1% of rows), --sample 0, median of {rounds} alternated rounds"
    );
    println!("{:<6} {:>12} {:>12} {:>7}", "size", "plain", "quarantine", "ratio");
    for (size, plain, quarantined) in table {
        println!("{size:<6} {plain:>10.3} s {quarantined:>10.3} s {:>7.2}", quarantined / plain);
    }
}

/// The workload's contract with `order_id` as its primary key and `quantity` at most 99.
fn quarantine_rules(template: &str) -> String {
    let mut out = template.to_string();
    for (from, to) in [
        (
            "        physicalType: BIGINT
        required: true
",
            "        physicalType: BIGINT
        primaryKey: true
        required: true
",
        ),
        (
            "          minimum: 1
          maximum: 100
",
            "          minimum: 1
          maximum: 99
",
        ),
    ] {
        assert!(out.contains(from), "the workload's template changed: {from:?}");
        out = out.replacen(from, to, 1);
    }
    out
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
