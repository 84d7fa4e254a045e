//! Scale figures (`--features ballista`): the shared orders workload (`../shared/bench/`, 12
//! checks) checked by the embedded engine, by a local Ballista cluster of one and of two executors
//! (`contrakt-ballista` processes on loopback), and by PostgreSQL pushdown (a server started on
//! loopback, the data copied in first); then how the embedded engine's time and peak memory grow
//! from 1M to 10M to 100M rows. Every run is a whole `contrakt check --sample 0` process whose
//! counts must match `expected.json`; times are reported as ratios to the embedded engine's and
//! to the workload's DuckDB fused query (`check_duckdb.py --mode fused`, the fastest
//! single-machine reference), both measured in the same run, alternated.
//!
//! Peak memory is each process's maximum resident set: the checker's from GNU time
//! (`/usr/bin/time`), a Ballista executor's from its `VmHWM` in `/proc` when the cluster stops.
//!
//! ```sh
//! python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install numpy pyarrow duckdb
//! /tmp/benchvenv/bin/python ../shared/bench/gen_data.py /tmp/benchdata --sizes 1m,10m
//! cargo bench --features ballista --bench scale
//! ```
//!
//! 100M rows are ten copies of the 10M rows with their order ids moved apart (so the counts are
//! known: ten times 10M's), written streamed, a row group at a time, into a scratch folder that is
//! deleted afterwards (about 4 GB). Environment: `CONTRAKT_BENCH_DATA` (default `/tmp/benchdata`),
//! `CONTRAKT_BENCH_PYTHON` (default `/tmp/benchvenv/bin/python`), `CONTRAKT_BENCH_WORKLOAD`
//! (default `../shared/bench`), `CONTRAKT_BENCH_SIZES` (growth, default `1m,10m,100m`),
//! `CONTRAKT_BENCH_ENGINE_SIZE` (the engine comparison, default `10m`), `CONTRAKT_BENCH_ROUNDS`
//! (default 1), `CONTRAKT_BENCH_SCRATCH` (default a folder under the system's temp folder),
//! `CONTRAKT_BENCH_MEMORY_LIMIT` (the growth's second run, `check --memory-limit`, default
//! `256MiB`), `CONTRAKT_BENCH_PARTS` (`engines,growth`, the default, or one of them).

#[allow(dead_code)]
#[path = "common/timing.rs"]
mod timing;
#[path = "common/workload.rs"]
mod workload;

#[allow(dead_code)]
#[path = "../tests/it/postgres.rs"]
mod postgres;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use timing::{Timed, env_or, median, mib, timed};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "{what} did not listen on {port} within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A scheduler and executors of `contrakt-ballista` on loopback, stopped on drop.
struct Cluster {
    port: u16,
    scheduler: Child,
    executors: Vec<Child>,
}

impl Cluster {
    fn start(executors: usize, cores: usize, work: &Path) -> Cluster {
        let bin = env!("CARGO_BIN_EXE_contrakt-ballista");
        let quiet = |c: &mut Command| {
            c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        };
        let port = free_port();
        let mut c = Command::new(bin);
        c.args(["scheduler", "--bind", &format!("127.0.0.1:{port}")]);
        quiet(&mut c);
        let scheduler = c.spawn().expect("start the scheduler");
        wait_for_port(port, "the scheduler");
        let mut cluster = Cluster { port, scheduler, executors: Vec::new() };
        for i in 0..executors {
            let flight = free_port();
            let grpc = std::iter::repeat_with(free_port).find(|p| *p != flight).unwrap();
            let dir = work.join(format!("executor-{port}-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let mut c = Command::new(bin);
            c.args(["executor", "--scheduler", &format!("127.0.0.1:{port}")])
                .args(["--port", &flight.to_string(), "--grpc-port", &grpc.to_string()])
                .args(["--cores", &cores.to_string(), "--work-dir", dir.to_str().unwrap()]);
            quiet(&mut c);
            cluster.executors.push(c.spawn().expect("start an executor"));
            wait_for_port(flight, "an executor");
        }
        std::thread::sleep(Duration::from_millis(500));
        cluster
    }

    fn engine(&self) -> String {
        format!("ballista://127.0.0.1:{}", self.port)
    }

    /// The executors' peak resident sets, summed (`VmHWM`: the kernel's high-water mark).
    fn executors_peak_rss(&self) -> Option<u64> {
        let mut total = 0;
        for e in &self.executors {
            let status = std::fs::read_to_string(format!("/proc/{}/status", e.id())).ok()?;
            let kib: u64 = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))?
                .trim()
                .trim_end_matches(" kB")
                .trim()
                .parse()
                .ok()?;
            total += kib * 1024;
        }
        Some(total)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.executors.iter_mut().chain(std::iter::once(&mut self.scheduler)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Writes 100M rows: ten copies of the 10M files, order ids moved up by 10M a copy, a row group at
/// a time.
const TIMES_TEN: &str = r#"
import glob, os, sys
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for k in range(10):
    for i, f in enumerate(sorted(glob.glob(os.path.join(src, "*.parquet")))):
        pf, w = pq.ParquetFile(f), None
        for g in range(pf.num_row_groups):
            t = pf.read_row_group(g)
            t = t.set_column(0, "order_id", pc.add(t.column("order_id"), pa.scalar(k * 10_000_000, pa.int64())))
            w = w or pq.ParquetWriter(os.path.join(dst, f"part-{k:02d}-{i:04d}.parquet"), t.schema, compression="snappy")
            w.write_table(t, row_group_size=500_000)
        w.close()
"#;

/// Parquet files as CSV on standard output, a batch at a time (for `\copy … FROM PROGRAM`).
const TO_CSV: &str = r#"
import sys
import pyarrow.csv as csv, pyarrow.parquet as pq
out = sys.stdout.buffer
for f in sys.argv[1:]:
    for b in pq.ParquetFile(f).iter_batches(batch_size=100_000):
        csv.write_csv(b, out, write_options=csv.WriteOptions(include_header=False))
"#;

/// A workload folder: `data/orders` and `data/customers` linked to the generated files, and the
/// contract with `extra_servers`.
fn workload_dir(
    scratch: &Path,
    name: &str,
    orders: &Path,
    customers: &Path,
    template: &str,
    rows: u64,
    extra: &str,
) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir_all(dir.join("data/customers")).unwrap();
    let link = |from: &Path, to: &Path| {
        let _ = std::fs::remove_file(to);
        std::os::unix::fs::symlink(from, to).unwrap();
    };
    link(orders, &dir.join("data/orders"));
    link(customers, &dir.join("data/customers/customers.parquet"));
    std::fs::write(dir.join("orders.odcs.yaml"), workload::render(template, &dir.join("data"), rows, extra)).unwrap();
    dir
}

fn parquet_files(folder: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

/// PostgreSQL on loopback holding the workload's two tables; returns the server's YAML entry and
/// the user to connect as, and how long the copy took.
fn postgres_with(python: &Path, scratch: &Path, orders: &Path, customers: &Path) -> (String, String, f64) {
    let pg = postgres::server();
    let url = pg.create_database("scale");
    let rest = url.split_once("://").unwrap().1;
    let (user, rest) = rest.split_once('@').unwrap();
    let (hostport, database) = rest.split_once('/').unwrap();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    pg.psql(
        &url,
        "CREATE TABLE orders (order_id int8, customer_id int8, customer_email text, country text, status text, \
         amount float8, quantity int4, created_at timestamp, updated_at timestamp, discount_code text); \
         CREATE TABLE customers (customer_id int8, country text)",
    );
    let script = scratch.join("to_csv.py");
    std::fs::write(&script, TO_CSV).unwrap();
    let started = Instant::now();
    for (table, files) in [("orders", parquet_files(orders)), ("customers", vec![customers.display().to_string()])] {
        let program = format!("{} {} {}", python.display(), script.display(), files.join(" "));
        pg.psql(&url, &format!("\\copy {table} FROM PROGRAM '{program}' WITH (FORMAT csv)"));
    }
    pg.psql(&url, "ANALYZE");
    let load = started.elapsed().as_secs_f64();
    let user = user.split(':').next().unwrap().to_string();
    let server = format!(
        "  - server: pg\n    type: postgres\n    host: {host}\n    port: {port}\n    database: {database}\n    schema: public\n"
    );
    (server, user, load)
}

fn main() {
    let data = PathBuf::from(env_or("CONTRAKT_BENCH_DATA", "/tmp/benchdata"));
    let workload_dir_path =
        PathBuf::from(env_or("CONTRAKT_BENCH_WORKLOAD", concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench")));
    let python = PathBuf::from(env_or("CONTRAKT_BENCH_PYTHON", "/tmp/benchvenv/bin/python"));
    let sizes = env_or("CONTRAKT_BENCH_SIZES", "1m,10m,100m");
    let engine_size = env_or("CONTRAKT_BENCH_ENGINE_SIZE", "10m");
    let memory_limit = env_or("CONTRAKT_BENCH_MEMORY_LIMIT", "256MiB");
    let parts = env_or("CONTRAKT_BENCH_PARTS", "engines,growth");
    let rounds: usize = env_or("CONTRAKT_BENCH_ROUNDS", "1").parse().expect("CONTRAKT_BENCH_ROUNDS");
    let scratch = PathBuf::from(env_or(
        "CONTRAKT_BENCH_SCRATCH",
        &std::env::temp_dir().join(format!("contrakt-scale-{}", std::process::id())).display().to_string(),
    ));
    let expected_path = data.join("expected.json");
    assert!(
        expected_path.exists() && python.exists() && Path::new("/usr/bin/time").exists(),
        "the scale bench needs the workload at {} (gen_data.py), {} and GNU time (/usr/bin/time); see benches/scale.rs",
        data.display(),
        python.display()
    );
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
    let template =
        std::fs::read_to_string(workload_dir_path.join("orders.odcs.yaml.tmpl")).expect("the contract template");
    let customers = data.join("customers.parquet");
    std::fs::create_dir_all(&scratch).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_contrakt"));
    let profile = if cfg!(debug_assertions) { "dev profile (unoptimised)" } else { "optimised (bench profile)" };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let check = |dir: &Path, extra: &[&str], envs: &[(&str, &str)]| -> Timed {
        let mut args = vec!["check", "orders.odcs.yaml", "--now", "2025-06-01T00:00:00Z", "--format", "json"];
        args.extend(["--sample", "0", "--no-history"]);
        args.extend_from_slice(extra);
        timed(bin, &args, dir, envs)
    };
    // The workload's DuckDB query on `orders`; `check_duckdb.py` knows sizes up to 10m, so its
    // data folder is a scratch one whose `orders_<slot>` names the folder checked (counts come
    // from the data, only its row-count bounds from the slot, and those are not compared).
    let duckdb = |size: &str, orders: &Path| -> Timed {
        let slot = if size == "100m" { "10m" } else { size };
        let folder = scratch.join(format!("duckdb-{size}"));
        std::fs::create_dir_all(&folder).unwrap();
        for (from, to) in [(orders, format!("orders_{slot}")), (customers.as_path(), "customers.parquet".into())] {
            let _ = std::fs::remove_file(folder.join(&to));
            std::os::unix::fs::symlink(from, folder.join(&to)).unwrap();
        }
        let script = workload_dir_path.join("check_duckdb.py");
        let args = [script.to_str().unwrap(), folder.to_str().unwrap(), "--size", slot, "--mode", "fused"];
        timed(&python, &args, &folder, &[])
    };
    let expected_of = |size: &str| -> Value {
        if size == "100m" {
            workload::times_ten(&expected["datasets"]["10m"]["checks"])
        } else {
            expected["datasets"][size]["checks"].clone()
        }
    };

    if parts.contains("engines") {
        // Engines, on one size.
        let orders = data.join(format!("orders_{engine_size}"));
        assert!(orders.exists(), "{} is missing: generate it with gen_data.py", orders.display());
        let rows = workload::rows_of(&engine_size);
        eprintln!("scale: copying {engine_size} rows into PostgreSQL");
        let (pg_server, pg_user, pg_load) = postgres_with(&python, &scratch, &orders, &customers);
        let dir =
            workload_dir(&scratch, &format!("engines-{engine_size}"), &orders, &customers, &template, rows, &pg_server);
        let exp = expected_of(&engine_size);
        let one = Cluster::start(1, cores, &scratch);
        let two = Cluster::start(2, (cores / 2).max(1), &scratch);
        let cases: Vec<(String, Vec<String>)> = vec![
            ("embedded".into(), vec![]),
            (format!("ballista, 1 executor x {cores} slots"), vec!["--engine".into(), one.engine()]),
            (format!("ballista, 2 executors x {} slots", (cores / 2).max(1)), vec!["--engine".into(), two.engine()]),
            ("postgres pushdown".into(), vec!["--server".into(), "pg".into()]),
        ];
        // Alternated with contrakt's runs: the reference measured in the same rounds.
        let duckdb_label = "duckdb fused query (reference)";
        let mut secs: Vec<Vec<f64>> = vec![Vec::new(); cases.len() + 1];
        let mut rss: Vec<Option<u64>> = vec![None; cases.len() + 1];
        for round in 0..rounds {
            for (i, (label, extra)) in cases.iter().enumerate() {
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                let run = check(&dir, &extra, &[("CONTRAKT_PG_USER", &pg_user)]);
                workload::assert_counts(&format!("{label} {engine_size}"), &run.stdout, &exp);
                eprintln!("  round {}: {label}: {:.2} s", round + 1, run.secs);
                secs[i].push(run.secs);
                rss[i] = rss[i].max(run.peak_rss);
            }
            let run = duckdb(&engine_size, &orders);
            workload::assert_duckdb_counts(&format!("duckdb {engine_size}"), &run.stdout, &exp);
            eprintln!("  round {}: {duckdb_label}: {:.2} s", round + 1, run.secs);
            secs[cases.len()].push(run.secs);
            rss[cases.len()] = rss[cases.len()].max(run.peak_rss);
        }
        let executors_rss = [one.executors_peak_rss(), two.executors_peak_rss()];
        drop((one, two));
        let reference = median(secs[0].clone());
        let duck = median(secs[cases.len()].clone());
        println!(
            "\nengines on {engine_size} rows, 12 checks, `check --sample 0`, {profile}, {cores} cores, median of {rounds}"
        );
        println!(
            "{:<34} {:>10} {:>12} {:>10} {:>14} {:>20}",
            "engine", "time", "x embedded", "x duckdb", "client RSS", "executors' peak RSS"
        );
        let labels = cases.iter().map(|(l, _)| l.as_str()).chain(std::iter::once(duckdb_label));
        for (i, label) in labels.enumerate() {
            let t = median(secs[i].clone());
            let executors = match i {
                1 | 2 => mib(executors_rss[i - 1]),
                _ => String::new(),
            };
            println!(
                "{label:<34} {t:>8.2} s {:>12.2} {:>10.2} {:>14} {executors:>20}",
                t / reference,
                t / duck,
                mib(rss[i])
            );
        }
        println!(
            "(PostgreSQL: the data copied in beforehand, {pg_load:.0} s, not counted; its server's memory is not measured)"
        );
    }

    // Growth of the embedded engine.
    let mut growth = Vec::new();
    let sizes = if parts.contains("growth") { sizes.as_str() } else { "" };
    for size in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let orders = if size == "100m" {
            let out = scratch.join("orders_100m");
            if !out.exists() {
                eprintln!("scale: writing 100M rows to {}", out.display());
                let script = scratch.join("times_ten.py");
                std::fs::write(&script, TIMES_TEN).unwrap();
                let ok = Command::new(&python)
                    .arg(&script)
                    .arg(data.join("orders_10m"))
                    .arg(&out)
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok, "writing 100M rows failed");
            }
            out
        } else {
            data.join(format!("orders_{size}"))
        };
        assert!(orders.exists(), "{} is missing: generate it with gen_data.py", orders.display());
        let dir = workload_dir(
            &scratch,
            &format!("growth-{size}"),
            &orders,
            &customers,
            &template,
            workload::rows_of(size),
            "",
        );
        let run = check(&dir, &[], &[]);
        workload::assert_counts(&format!("embedded {size}"), &run.stdout, &expected_of(size));
        eprintln!("  embedded {size}: {:.2} s, {}", run.secs, mib(run.peak_rss));
        let reference = duckdb(size, &orders);
        workload::assert_duckdb_counts(&format!("duckdb {size}"), &reference.stdout, &expected_of(size));
        eprintln!("  duckdb {size}: {:.2} s, {}", reference.secs, mib(reference.peak_rss));
        let limit_args = ["--memory-limit", memory_limit.as_str()];
        let limited = check(&dir, &limit_args, &[]);
        workload::assert_counts(&format!("embedded {size} --memory-limit"), &limited.stdout, &expected_of(size));
        eprintln!("  embedded {size} --memory-limit {memory_limit}: {:.2} s, {}", limited.secs, mib(limited.peak_rss));
        growth.push((size.to_string(), workload::rows_of(size), run, reference, limited));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if let Some((_, base_rows, base, _, _)) = growth.first() {
        let (base_rows, base_secs) = (*base_rows, base.secs);
        println!("\nembedded engine growth, 12 checks, `check --sample 0`, {profile}, one run each");
        println!(
            "{:<6} {:>10} {:>8} {:>8} {:>12} {:>10} {:>10} {:>12} {:>12} {:>12}",
            "rows",
            "time",
            "x time",
            "x rows",
            "peak RSS",
            "duckdb",
            "x duckdb",
            "duckdb RSS",
            "limited",
            "limited RSS"
        );
        for (size, rows, run, duck, limited) in &growth {
            println!(
                "{size:<6} {:>8.2} s {:>8.1} {:>8.0} {:>12} {:>8.2} s {:>10.2} {:>12} {:>10.2} s {:>12}",
                run.secs,
                run.secs / base_secs,
                *rows as f64 / base_rows as f64,
                mib(run.peak_rss),
                duck.secs,
                run.secs / duck.secs,
                mib(duck.peak_rss),
                limited.secs,
                mib(limited.peak_rss)
            );
        }
        println!("limited: `--memory-limit {memory_limit}` (uniqueness as a grouping that spills to disk)");
    }
    println!("every count matched expected.json (100m: ten times 10m's)");
}
