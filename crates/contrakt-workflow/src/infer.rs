//! `infer`: a draft contract from data: each dataset profiled in one scan, then every promise
//! that held on it written down (`contrakt infer DATA…`).

use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, Utc};
use contrakt_check::draft::{DraftOptions, draft};
use contrakt_check::{dataset, profile};
use contrakt_core::document::to_yaml;

use crate::check::{Runtime, object_and_url};
use crate::error::{Error, Result};

/// What to profile, and how to write the draft.
#[derive(Debug, Clone)]
pub struct Options {
    /// Datasets as `[OBJECT=]URL`: a file, a glob or a folder (hive partitions), local, `s3://`
    /// or `https://`; the object is named after the file or folder when not given.
    pub data: Vec<String>,
    /// The contract's `id` (default: `urn:contrakt:inferred:<first object>`).
    pub id: Option<String>,
    /// Profile only the first N rows of each dataset (no volume rule then).
    pub sample: Option<u64>,
    /// The time freshness is measured against.
    pub now: DateTime<Utc>,
    /// Relative dataset paths resolve against this folder.
    pub cwd: PathBuf,
    /// The folder the contract will be written to: server paths are written relative to it,
    /// which is where `check` reads them from.
    pub contract_dir: PathBuf,
    /// Draft from Delta and Iceberg tables as they were at this version, snapshot or time.
    pub as_of: Option<contrakt_check::AsOf>,
}

/// The draft: the contract as YAML (with a header saying where it came from) and how many
/// objects it has.
#[derive(Debug, Clone)]
pub struct Drafted {
    pub yaml: String,
    pub objects: usize,
}

/// Profiles each dataset and drafts the contract. `observe(object)` is told as each dataset's
/// profiling starts (and with `None` when it ends).
pub fn infer(options: Options, observe: &mut dyn FnMut(Option<&str>)) -> Result<Drafted> {
    let cwd = &options.cwd;
    let contract_dir = absolute(cwd, &options.contract_dir);
    let mut sources = Vec::new();
    for d in &options.data {
        let (object, location) = match object_and_url(d) {
            (Some(o), url) => (o.to_string(), url.to_string()),
            (None, url) => (object_name(url), url.to_string()),
        };
        if sources.iter().any(|(o, _, _): &(String, _, _)| *o == object) {
            return Err(Error::Usage(format!("two datasets are both named `{object}`: name them with OBJECT=URL")));
        }
        let src = dataset::source(&object, location.clone(), None, None, cwd)?.as_of(options.as_of);
        let path = if location.contains("://") {
            location
        } else {
            relative(&absolute(cwd, Path::new(&location)), &contract_dir)
        };
        sources.push((object, src, path));
    }
    let runtime = Runtime::start()?;
    let mut profiles = Vec::new();
    for (object, src, _) in &sources {
        observe(Some(object));
        // A context per dataset: each registers its own `profiled` tables.
        let checker = contrakt_check::Checker::new();
        let result = runtime.handle().block_on(profile::profile(checker.context(), object, src, options.sample));
        observe(None);
        profiles.push(result?);
    }
    let now = options.now;
    let draft_options = DraftOptions { id: options.id, now, paths: sources.into_iter().map(|(_, _, p)| p).collect() };
    let yaml = format!(
        "# Drafted by `contrakt infer` at {}: every promise below held on the data it came from.\n# Review it, add owners and SLAs the data cannot tell, then register it.\n{}",
        now.format("%Y-%m-%dT%H:%M:%SZ"),
        to_yaml(&draft(&profiles, &draft_options))
    );
    Ok(Drafted { yaml, objects: profiles.len() })
}

/// `data/orders/*.parquet` → `orders`; `orders.parquet` → `orders`; `s3://b/orders/` → `orders`.
pub(crate) fn object_name(location: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options(data: &[&str]) -> Options {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        Options {
            data: data.iter().map(|d| d.to_string()).collect(),
            id: None,
            sample: None,
            now: crate::check::parse_time("2026-11-22T06:00:00Z").unwrap(),
            cwd: repo.join("fixtures/data"),
            contract_dir: repo.join("contracts"),
            as_of: None,
        }
    }

    #[test]
    fn a_draft_names_its_objects_and_points_its_servers_at_the_data_from_the_contract() {
        let mut seen = Vec::new();
        let drafted =
            infer(options(&["menu=weekly_menu/weekly_menu.parquet"]), &mut |o| seen.push(o.map(str::to_string)))
                .unwrap();
        assert_eq!(drafted.objects, 1);
        assert_eq!(seen, [Some("menu".to_string()), None]);
        assert!(drafted.yaml.starts_with("# Drafted by `contrakt infer` at 2026-11-22T06:00:00Z"), "{}", drafted.yaml);
        assert!(drafted.yaml.contains("id: urn:contrakt:inferred:menu"), "{}", drafted.yaml);
        // Relative to the contract's folder, where `check` reads it from.
        assert!(drafted.yaml.contains("../fixtures/data/weekly_menu/weekly_menu.parquet"), "{}", drafted.yaml);
    }

    #[test]
    fn two_datasets_of_one_name_are_refused() {
        let both = options(&["weekly_menu/weekly_menu.parquet", "weekly_menu/weekly_menu.parquet"]);
        match infer(both, &mut |_| {}) {
            Err(Error::Usage(m)) => assert!(m.contains("both named `weekly_menu`"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
