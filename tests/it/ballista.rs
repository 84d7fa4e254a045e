//! The Ballista engine (`--features ballista`): the example registry checked on a real cluster on
//! loopback gives the embedded engine's results check by check, and PostgreSQL pushdown's on the
//! objects a warehouse holds. Clusters are started by the tests: a standalone one inside the test
//! process (scheduler and executor through Ballista's library), and one of separate processes (a
//! scheduler and two executors of `contrakt-ballista`), one of whose executors is killed mid-run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use contrakt_check::Engine;
use serde_json::Value;

use crate::{Run, contrakt_in, repo, spawn_listening};

const NOW: &str = "2026-11-22T06:00:00Z";

/// A standalone cluster (scheduler and one executor of two task slots) living in this test
/// process on a runtime of its own, for as long as the test binary runs.
fn standalone() -> &'static Engine {
    static CLUSTER: OnceLock<(tokio::runtime::Runtime, Engine)> = OnceLock::new();
    &CLUSTER
        .get_or_init(|| {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let engine =
                rt.block_on(contrakt_check::ballista::standalone(1, 2)).expect("a standalone Ballista cluster");
            (rt, engine)
        })
        .1
}

/// `contrakt check` on the example registry, as JSON.
fn check_registry(extra: &[&str]) -> Run {
    let mut args = vec!["check", "contracts/", "--now", NOW, "--format", "json", "--no-history"];
    args.extend_from_slice(extra);
    contrakt_in(repo(), args)
}

/// Every result of a JSON report of one or more contracts, by `contract/check id`.
fn results(report: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for r in report["reports"].as_array().expect("reports") {
        let contract = r["contract"].as_str().unwrap();
        for result in r["results"].as_array().unwrap() {
            out.insert(format!("{contract}/{}", result["id"].as_str().unwrap()), result.clone());
        }
    }
    out
}

/// The fields that say what a check found; timings and engine details aside.
const COMPARED: [&str; 6] = ["status", "value", "failed_rows", "total_rows", "message", "samples"];

/// The differences between two runs' results, one line each (empty when they agree).
fn differences(want: &BTreeMap<String, Value>, got: &BTreeMap<String, Value>, label: &str) -> Vec<String> {
    let mut out = Vec::new();
    if want.keys().ne(got.keys()) {
        out.push(format!(
            "different checks: embedded {:?} | {label} {:?}",
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>()
        ));
        return out;
    }
    for (id, w) in want {
        // A check neither engine could run is an error on both, worded by each.
        let both_errors = w["status"] == "error" && got[id]["status"] == "error";
        for field in COMPARED {
            if w[field] != got[id][field] && !(both_errors && field == "message") {
                out.push(format!("{id}.{field}: embedded {} | {label} {}", w[field], got[id][field]));
            }
        }
    }
    out
}

fn embedded_registry() -> &'static BTreeMap<String, Value> {
    static EMBEDDED: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    EMBEDDED.get_or_init(|| {
        let run = check_registry(&[]);
        run.assert_exit(1);
        results(&run.json())
    })
}

#[test]
fn standalone_in_process_gives_the_embedded_results_on_the_registry() {
    let engine = standalone().to_string();
    let run = check_registry(&["--engine", &engine]);
    run.assert_exit(1);
    let report = run.json();
    let got = results(&report);
    let diffs = differences(embedded_registry(), &got, "ballista");
    assert!(diffs.is_empty(), "{} differences:\n{}", diffs.len(), diffs.join("\n"));
    // Not vacuous: the registry's known failures are among what came back.
    assert_eq!(got["urn:contrakt:meal-kit:orders/orders_status_valid"]["failed_rows"], 3, "{run}");
    assert_eq!(got["urn:contrakt:meal-kit:recipes/rcp_allergens_valid"]["failed_rows"], 1, "{run}");
    assert!(got.len() > 100, "{} results", got.len());
}

#[test]
fn explain_on_a_cluster_shows_the_plan_the_cluster_runs() {
    let engine = standalone().to_string();
    let dir = repo().join("contracts");
    let explain = |extra: &[&str]| {
        let mut args = vec!["check", "orders.odcs.yaml", "--now", NOW, "--explain"];
        args.extend_from_slice(extra);
        let run = contrakt_in(&dir, args);
        run.assert_exit(0);
        run
    };
    let run = explain(&["--engine", &engine]);
    // The same fused SQL as embedded, and the plan as the scheduler splits it into stages.
    assert!(run.stdout.contains("fused scan (49 measures):"), "{run}");
    assert!(run.stdout.contains("| distributed_plan"), "{run}");
    assert!(run.stdout.contains("ShuffleWriterExec"), "{run}");
    assert!(run.stdout.contains("DataSourceExec: file_groups={1 group: [["), "{run}");
    assert!(run.stdout.contains("separate plans (run concurrently with the scan):"), "{run}");
    // The embedded engine has no stages to show.
    let embedded = explain(&[]);
    assert!(embedded.stdout.contains("| physical_plan"), "{embedded}");
    assert!(!embedded.stdout.contains("distributed_plan"), "{embedded}");
}

#[test]
fn the_library_runs_on_a_cluster_and_refuses_what_cannot_travel() {
    let engine = standalone().clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let doc = contrakt_core::odcs::load_document(
        contrakt_core::registry::discover(&[repo().join("contracts/recipes.odcs.yaml")]).unwrap().contracts.remove(0),
    )
    .unwrap();
    let checker = rt.block_on(contrakt_check::Checker::on_engine(engine.clone())).unwrap();
    assert_eq!(checker.engine(), &engine);
    let opts = contrakt_check::CheckOptions {
        now: contrakt_check::parse_time(NOW),
        base_dir: repo().join("contracts"),
        ..Default::default()
    };
    let report = rt.block_on(checker.check(&doc, &opts)).unwrap();
    let allergens = report.results.iter().find(|r| r.id == "rcp_allergens_valid").unwrap();
    assert_eq!(allergens.failed_rows, Some(1), "{allergens:?}");

    // Data in this process's memory cannot reach the executors: said before anything runs.
    let frame = contrakt_check::InMemory {
        label: "pyarrow.Table".into(),
        schema: std::sync::Arc::new(datafusion::arrow::datatypes::Schema::empty()),
        batches: vec![],
    };
    let opts = contrakt_check::CheckOptions { frames: vec![(Some("recipes".into()), frame)], ..opts };
    let err = rt.block_on(checker.check(&doc, &opts)).unwrap_err().to_string();
    assert!(err.contains("data frames in this process's memory cannot be sent to the cluster"), "{err}");
}

#[test]
fn an_unreachable_scheduler_and_a_bad_engine_are_clear_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = repo().join("contracts");
    let run = contrakt_in(&dir, ["check", "orders.odcs.yaml", "--engine", &format!("ballista://127.0.0.1:{closed}")]);
    run.assert_exit(2);
    assert!(
        run.stderr.contains(&format!("Ballista cluster ballista://127.0.0.1:{closed}: cannot reach the scheduler")),
        "{run}"
    );
    let run = contrakt_in(&dir, ["check", "orders.odcs.yaml", "--engine", "spark://x"]);
    run.assert_exit(2);
    assert!(
        run.stderr.contains("--engine `spark://x`: unknown engine; use `embedded` or `ballista://HOST:PORT`"),
        "{run}"
    );
    // A warehouse server runs the checks itself.
    let engine = standalone().to_string();
    let run = contrakt_in(&dir, ["check", "orders.odcs.yaml", "--server", "warehouse", "--engine", &engine]);
    run.assert_exit(2);
    assert!(run.stderr.contains("--server warehouse runs the checks in the PostgreSQL warehouse"), "{run}");
}

/// Polls `condition` every 50 ms until it holds, or panics after `limit` naming `what`.
fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A scheduler and executors of `contrakt-ballista`, each a process of its own, killed on drop.
struct Cluster {
    scheduler: Child,
    port: u16,
    executors: Vec<Child>,
    _work: tempfile::TempDir,
}

impl Cluster {
    fn start(executors: usize) -> Cluster {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_contrakt-ballista"));
        let work = tempfile::tempdir().unwrap();
        let logs = work.path().to_path_buf();
        let spawn = |args: &[String], log: &str| {
            let log = std::fs::File::create(logs.join(log)).unwrap();
            Command::new(&bin)
                .args(args)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .stdin(Stdio::null())
                .spawn()
                .unwrap()
        };
        // Executors silent for 3 s are lost: the kill test waits that long, not 60 s.
        let (scheduler, ports) = spawn_listening(
            "the scheduler",
            1,
            |p| {
                spawn(
                    &[
                        "scheduler".into(),
                        "--bind".into(),
                        format!("127.0.0.1:{}", p[0]),
                        "--executor-timeout".into(),
                        "3".into(),
                    ],
                    "scheduler.log",
                )
            },
            |_| true,
        );
        let port = ports[0];
        let mut cluster = Cluster { scheduler, port, executors: Vec::new(), _work: work };
        for i in 0..executors {
            let dir = cluster._work.path().join(format!("executor{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let log = logs.join(format!("executor{i}.log"));
            let (child, _) = spawn_listening(
                "an executor",
                2,
                |p| {
                    let args: Vec<String> = [
                        "executor",
                        "--scheduler",
                        &format!("127.0.0.1:{port}"),
                        "--port",
                        &p[0].to_string(),
                        "--grpc-port",
                        &p[1].to_string(),
                        "--cores",
                        "2",
                        "--heartbeat",
                        "1",
                        "--work-dir",
                        dir.to_str().unwrap(),
                    ]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                    spawn(&args, &format!("executor{i}.log"))
                },
                // Ready once the scheduler accepted it: no fixed wait for the registration.
                |_| std::fs::read_to_string(&log).is_ok_and(|t| t.contains("Executor registration succeed")),
            );
            cluster.executors.push(child);
        }
        cluster
    }

    fn engine(&self) -> String {
        format!("ballista://127.0.0.1:{}", self.port)
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(self._work.path()).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                out.push_str(&format!("--- {} (last lines)\n", entry.file_name().to_string_lossy()));
                out.extend(tail.into_iter().rev().map(|l| format!("{l}\n")));
            }
        }
        out
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

#[test]
fn a_cluster_of_processes_agrees_with_embedded_and_postgres_check_by_check() {
    let cluster = Cluster::start(2);
    let run = check_registry(&["--engine", &cluster.engine()]);
    run.assert_exit(1);
    let on_cluster = results(&run.json());
    let diffs = differences(embedded_registry(), &on_cluster, "ballista");
    assert!(diffs.is_empty(), "{} differences:\n{}\n{}", diffs.len(), diffs.join("\n"), cluster.logs());

    // The warehouse's objects, loaded into PostgreSQL and checked there (--server warehouse).
    let pg = crate::postgres::server();
    let url = pg.create_database("ballista_three_ways");
    let t = crate::pushdown::target(&url);
    let dir = tempfile::tempdir().unwrap();
    let load = |schema: &str, table: &str, files: &str, uuids: &[&str]| {
        crate::pushdown::load(&url, schema, table, files, uuids, dir.path());
    };
    load("commerce", "orders_v1", "fixtures/data/orders/orders.parquet", &["order_id", "customer_id"]);
    load("customer", "customers_v3", "fixtures/data/customers/synthetic-customers.parquet", &["customer_id"]);
    let registry = crate::pushdown::registry_on(&t, dir.path());
    for (contract, id) in [
        ("orders.odcs.yaml", "urn:contrakt:meal-kit:orders"),
        ("customers.odcs.yaml", "urn:contrakt:meal-kit:customers"),
    ] {
        let out = t
            .contrakt(
                &registry,
                &["check", contract, "--server", "warehouse", "--now", NOW, "--format", "json", "--no-history"],
            )
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let pushed = results(&serde_json::from_str(&stdout).unwrap());
        // A rule's SQL runs on the server as written: customers' consent rule uses `->>`, which
        // DataFusion reads on a struct and PostgreSQL does not on this composite column (a jsonb
        // column would take it), so the server refuses it, and says why.
        let as_written = format!("{id}/cust_opt_in_matches_consent");
        if let Some(rule) = pushed.get(&as_written) {
            assert_eq!(rule["status"], "error", "{rule:#}");
            let message = rule["message"].as_str().unwrap();
            assert!(message.contains("operator does not exist") && message.contains("as written"), "{rule:#}");
        }
        let pushed: BTreeMap<String, Value> = pushed.into_iter().filter(|(k, _)| *k != as_written).collect();
        let of = |all: &BTreeMap<String, Value>| -> BTreeMap<String, Value> {
            all.iter()
                .filter(|(k, _)| k.starts_with(&format!("{id}/")) && **k != as_written)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let (embedded, ballista) = (of(embedded_registry()), of(&on_cluster));
        assert!(!embedded.is_empty());
        // Three engines, one answer.
        let diffs = differences(&embedded, &pushed, "postgres");
        assert!(diffs.is_empty(), "{contract}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
        let diffs = differences(&ballista, &pushed, "postgres vs ballista");
        assert!(diffs.is_empty(), "{contract}: {} differences:\n{}", diffs.len(), diffs.join("\n"));
    }
}

/// `copies` links to the example orders file in one folder: a dataset big enough that a check
/// on the cluster takes seconds, with counts that are the example's times `copies`.
fn many_orders(dir: &Path, copies: usize) -> PathBuf {
    let folder = dir.join("orders");
    std::fs::create_dir_all(&folder).unwrap();
    let source = repo().join("fixtures/data/orders/orders.parquet");
    for i in 0..copies {
        std::os::unix::fs::symlink(&source, folder.join(format!("part-{i:04}.parquet"))).unwrap();
    }
    folder
}

#[test]
fn an_executor_killed_mid_run_never_gives_a_wrong_result() {
    let dir = tempfile::tempdir().unwrap();
    let data = many_orders(dir.path(), 300);
    let contract = repo().join("contracts/orders.odcs.yaml");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["check", contract.to_str().unwrap(), "--data", &format!("orders={}", data.display())]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(["--now", NOW, "--format", "json", "--no-history"].iter().map(|s| s.to_string()));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let embedded = contrakt_in(dir.path(), args(&[]));
    embedded.assert_exit(1);
    let want = results(&embedded.json());
    assert_eq!(want["urn:contrakt:meal-kit:orders/orders_status_valid"]["failed_rows"], 900, "{embedded}");

    let mut cluster = Cluster::start(2);
    let child = Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args(args(&["--engine", &cluster.engine()]))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill one executor once it runs a task of this run, while the run is still going (checked,
    // not assumed from a fixed wait): its tasks must then run again on the other one.
    let victim_log = cluster._work.path().join("executor0.log");
    let mut child = child;
    wait_until("executor0 runs a task of the check, or the check ends", Duration::from_secs(300), || {
        std::fs::read_to_string(&victim_log).is_ok_and(|t| t.contains("Execute task"))
            || child.try_wait().is_ok_and(|s| s.is_some())
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "the check ended before executor0 ran a task of it: make the data bigger\n{}",
        cluster.logs()
    );
    let mut victim = cluster.executors.remove(0);
    victim.kill().unwrap();
    victim.wait().unwrap();
    let out = child.wait_with_output().unwrap();
    let run = Run {
        args: vec!["check".into(), "--engine".into(), cluster.engine()],
        dir: dir.path().to_path_buf(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    run.assert_no_panic();
    // Ballista runs the lost executor's tasks again on the other one: the run completes, with
    // the embedded engine's results.
    assert_eq!(run.code, Some(1), "{run}\n{}", cluster.logs());
    let got = results(&run.json());
    let diffs = differences(&want, &got, "ballista after the kill");
    assert!(diffs.is_empty(), "{} differences:\n{}\n{}", diffs.len(), diffs.join("\n"), cluster.logs());
}
