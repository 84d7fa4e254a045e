//! Timing whole processes for the benchmarks that compare contrakt with other programs: wall
//! time, peak memory (the maximum resident set GNU `time` reads from the kernel), and output.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// One timed process: wall seconds, peak RSS in bytes when GNU time could read it, its output.
pub struct Timed {
    pub secs: f64,
    pub peak_rss: Option<u64>,
    pub stdout: Vec<u8>,
    pub code: Option<i32>,
}

/// Runs `program` in `dir` under `/usr/bin/time` (when installed) and panics unless it exits 0
/// or 1 (a check that found failures): anything else means the run measured nothing.
pub fn timed(program: &Path, args: &[&str], dir: &Path, envs: &[(&str, &str)]) -> Timed {
    let gnu_time = Path::new("/usr/bin/time");
    let rss_file = dir.join("rss.txt");
    let _ = std::fs::remove_file(&rss_file);
    let mut cmd = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).current_dir(dir).envs(envs.iter().copied()).env("NO_COLOR", "1");
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let secs = start.elapsed().as_secs_f64();
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "{} {args:?} exited with {code:?}:\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let peak_rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse::<u64>().ok()))
        .map(|kib| kib * 1024);
    Timed { secs, peak_rss, stdout: out.stdout, code }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".into(), |b| format!("{:.0} MiB", b as f64 / (1024.0 * 1024.0)))
}
