//! `contrakt infer DATA…`: a draft contract from data (profile in one scan, then suggest).
//!
//! Exit codes: 0 the contract was written, 2 the data could not be read or an option is wrong.

use std::path::{Component, Path, PathBuf};

use contrakt_check::draft::{DraftOptions, draft};
use contrakt_check::{dataset, parse_time, profile};
use contrakt_core::Error;
use contrakt_core::document::to_yaml;

use crate::ExitStatus;
use crate::args::{GlobalArgs, InferArgs};
use crate::commands::print;

pub(crate) fn run(args: InferArgs, global: &GlobalArgs) -> Result<ExitStatus, Error> {
    let usage = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitStatus::Error)
    };
    let now = match args.now.as_deref() {
        Some(s) => match parse_time(s) {
            Some(t) => t,
            None => return usage(format!("--now: cannot read `{s}` as a time (use RFC 3339 or a date)")),
        },
        None => chrono::Utc::now(),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    // Server paths are written relative to the contract, which is where `check` reads them from.
    let contract_dir = match &args.output {
        Some(out) => absolute(&cwd, out.parent().unwrap_or(Path::new("."))),
        None => cwd.clone(),
    };
    let mut sources = Vec::new();
    for d in &args.data {
        let (object, location) = match crate::commands::check::object_and_url(d) {
            (Some(o), url) => (o.to_string(), url.to_string()),
            (None, url) => (object_name(url), url.to_string()),
        };
        if sources.iter().any(|(o, _, _): &(String, _, _)| *o == object) {
            return usage(format!("two datasets are both named `{object}`: name them with OBJECT=URL"));
        }
        match dataset::source(&object, location.clone(), None, None, &cwd) {
            Ok(src) => {
                let path = if location.contains("://") {
                    location
                } else {
                    relative(&absolute(&cwd, Path::new(&location)), &contract_dir)
                };
                sources.push((object, src, path));
            }
            Err(e) => return usage(e.to_string()),
        }
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage(format!("cannot start the query runtime: {e}")),
    };
    let mut profiles = Vec::new();
    for (object, src, _) in &sources {
        let spinner = crate::progress::spinner(&format!("profiling {object}"), global.quiet);
        // A context per dataset: each registers its own `profiled` tables.
        let checker = contrakt_check::Checker::new();
        let result = runtime.block_on(profile::profile(checker.context(), object, src, args.sample));
        spinner.finish_and_clear();
        match result {
            Ok(p) => profiles.push(p),
            Err(e) => return usage(e.to_string()),
        }
    }
    let options = DraftOptions { id: args.id, now, paths: sources.into_iter().map(|(_, _, p)| p).collect() };
    let yaml = format!(
        "# Drafted by `contrakt infer` at {}: every promise below held on the data it came from.\n# Review it, add owners and SLAs the data cannot tell, then register it.\n{}",
        now.format("%Y-%m-%dT%H:%M:%SZ"),
        to_yaml(&draft(&profiles, &options))
    );
    match &args.output {
        Some(out) => {
            if let Err(e) = std::fs::write(out, &yaml) {
                return usage(format!("cannot write {}: {e}", out.display()));
            }
            eprintln!("wrote {} ({} objects)", out.display(), profiles.len());
        }
        None => print(&yaml, false),
    }
    Ok(ExitStatus::Success)
}

/// `data/orders/*.parquet` → `orders`; `orders.parquet` → `orders`; `s3://b/orders/` → `orders`.
fn object_name(location: &str) -> String {
    let trimmed = location.trim_end_matches('/');
    let mut parts = trimmed.rsplit('/');
    let last = parts.next().unwrap_or(trimmed);
    let name = if last.contains(['*', '?', '[']) { parts.next().unwrap_or("dataset") } else { last };
    let stem = name.split('.').next().unwrap_or(name);
    let clean: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if clean.is_empty() { "dataset".into() } else { clean }
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    // Lexically: the data may be a glob, which no file system call resolves.
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `dir` (both absolute), with `..` where needed; absolute when the two
/// share nothing but the root, where a relative path would only be harder to read.
fn relative(path: &Path, dir: &Path) -> String {
    let (p, d): (Vec<_>, Vec<_>) = (path.components().collect(), dir.components().collect());
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return path.to_string_lossy().into_owned();
    }
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out.to_string_lossy().into_owned()
}
