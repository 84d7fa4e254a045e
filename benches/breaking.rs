//! `contrakt breaking --against HEAD~1` over a generated registry of 1,000 contracts, end to
//! end through the real binary, git included. Target: under 2 s.
//!
//! Reference measured in the same run: `git diff --stat HEAD~1` on the same repository (the
//! cost of git alone looking at the change).
//!
//! Run: `cargo bench --bench breaking`

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CONTRACTS: usize = 1000;
const RUNS: usize = 5;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git").args(args).current_dir(dir).output().expect("git").status.success();
    assert!(ok, "git {args:?}");
}

fn contract(i: usize, version: &str, amount_type: &str) -> String {
    let mut props = String::new();
    for c in 0..20 {
        props.push_str(&format!(
            "      - id: c{i}_{c}\n        name: col_{c}\n        logicalType: string\n        logicalTypeOptions: {{maxLength: 64}}\n        required: {}\n",
            c % 2 == 0
        ));
    }
    format!(
        "apiVersion: v3.1.0\nkind: DataContract\nid: urn:bench:{i}\nname: t{i}\nversion: \"{version}\"\nstatus: active\nschema:\n  - name: t{i}\n    physicalType: table\n    properties:\n      - {{id: k{i}, name: id, logicalType: integer, logicalTypeOptions: {{format: i64}}, required: true, primaryKey: true, primaryKeyPosition: 1}}\n      - {{id: a{i}, name: amount, logicalType: number, physicalType: '{amount_type}', required: true}}\n{props}"
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let tmp = std::env::temp_dir().join(format!("contrakt-bench-{}", std::process::id()));
    let dir = tmp.join("contracts");
    std::fs::create_dir_all(&dir).unwrap();
    git(&tmp, &["init", "-q", "-b", "main"]);
    git(&tmp, &["config", "user.email", "bench@example.com"]);
    git(&tmp, &["config", "user.name", "bench"]);
    for i in 0..CONTRACTS {
        std::fs::write(dir.join(format!("c{i}.odcs.yaml")), contract(i, "1.0.0", "decimal(10,2)")).unwrap();
    }
    git(&tmp, &["add", "-A"]);
    git(&tmp, &["commit", "-q", "-m", "v1"]);
    // Ten contracts change: a widened decimal (breaking under FULL) with a major bump.
    for i in (0..CONTRACTS).step_by(CONTRACTS / 10) {
        std::fs::write(dir.join(format!("c{i}.odcs.yaml")), contract(i, "2.0.0", "decimal(12,2)")).unwrap();
    }
    git(&tmp, &["commit", "-q", "-am", "v2"]);

    let bin = env!("CARGO_BIN_EXE_contrakt");
    let time = |cmd: &mut dyn FnMut() -> bool| {
        let mut samples = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            assert!(cmd());
            samples.push(t.elapsed());
        }
        median(samples)
    };
    let reference = time(&mut || {
        Command::new("git").args(["diff", "--stat", "HEAD~1"]).current_dir(&tmp).output().unwrap().status.success()
    });
    let mut findings = 0;
    let gate = time(&mut || {
        let out = Command::new(bin)
            .args(["breaking", "contracts", "--against", "HEAD~1", "--format", "json"])
            .current_dir(&tmp)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
        findings = report["findings"].as_array().map_or(0, Vec::len);
        assert_eq!(report["summary"]["contracts"], CONTRACTS);
        out.status.code() == Some(1)
    });
    println!("registry: {CONTRACTS} contracts, 10 changed; {findings} findings");
    println!("reference  git diff --stat HEAD~1                      {:>8.1} ms", reference.as_secs_f64() * 1e3);
    println!(
        "contrakt breaking contracts --against HEAD~1 (json)    {:>8.1} ms  ({:.1}x the reference; target < 2000 ms)",
        gate.as_secs_f64() * 1e3,
        gate.as_secs_f64() / reference.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
