//! `--against REF`: a folder, a git reference (`main`, `origin/main`, `HEAD~1`, a commit), or
//! buf's form `.git#branch=main,subdir=contracts`. Files at a git reference are read through one
//! `git cat-file --batch` process, so a registry of thousands of contracts reads in one go.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What to compare against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    Folder(PathBuf),
    Git { reference: String, subdir: Option<String> },
}

impl Against {
    pub fn parse(text: &str) -> Against {
        if let Some(rest) = text.strip_prefix(".git#").or_else(|| text.strip_prefix(".git/#")) {
            let mut reference = "HEAD".to_string();
            let mut subdir = None;
            for part in rest.split(',') {
                match part.split_once('=') {
                    Some(("branch" | "tag" | "ref" | "commit", v)) => reference = v.to_string(),
                    Some(("subdir", v)) => subdir = Some(v.trim_matches('/').to_string()),
                    _ => {}
                }
            }
            return Against::Git { reference, subdir };
        }
        if text == ".git" {
            return Against::Git { reference: "HEAD".into(), subdir: None };
        }
        let path = Path::new(text);
        if path.is_dir() {
            Against::Folder(path.to_path_buf())
        } else {
            Against::Git { reference: text.to_string(), subdir: None }
        }
    }

    pub fn label(&self) -> String {
        match self {
            Against::Folder(p) => p.display().to_string(),
            Against::Git { reference, subdir: None } => reference.clone(),
            Against::Git { reference, subdir: Some(s) } => format!("{reference} ({s})"),
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git ({e}); --against REF needs git on the PATH, or pass a folder"))?;
    if !out.status.success() {
        return Err(format!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The files under `paths` (as they are at `reference`) with `*.yaml`, `*.yml` or `*.json`
/// names: (display name `REF:path`, bytes). `paths` are working-tree paths; `subdir` maps them
/// onto another folder of the reference.
pub fn read_files(reference: &str, subdir: Option<&str>, paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let anchor = paths
        .first()
        .map(|p| if p.is_dir() { p.clone() } else { p.parent().map(Path::to_path_buf).unwrap_or_default() });
    let anchor = anchor.filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| cwd.clone());
    let top = PathBuf::from(git(&anchor, &["rev-parse", "--show-toplevel"])?.trim());
    let commit = git(&top, &["rev-parse", "--verify", "--quiet", &format!("{reference}^{{commit}}")])
        .map_err(|_| format!("`{reference}` is not a git reference (branch, tag or commit) in {}", top.display()))?;
    let commit = commit.trim().to_string();
    let mut wanted: Vec<String> = Vec::new();
    for p in paths {
        let abs = std::path::absolute(cwd.join(p)).map_err(|e| e.to_string())?;
        let abs = abs.canonicalize().unwrap_or(abs);
        let top_c = top.canonicalize().unwrap_or_else(|_| top.clone());
        let rel = abs
            .strip_prefix(&top_c)
            .map_err(|_| format!("{} is outside the git repository {}", p.display(), top.display()))?;
        let rel = rel.to_string_lossy().replace('\\', "/");
        wanted.push(match subdir {
            Some(s) if rel.is_empty() => s.to_string(),
            Some(s) => format!("{s}/{rel}"),
            None => rel,
        });
    }
    let mut args = vec!["ls-tree", "-r", "-z", "--name-only", commit.as_str(), "--"];
    let specs: Vec<String> = wanted.iter().map(|w| if w.is_empty() { ".".to_string() } else { w.clone() }).collect();
    args.extend(specs.iter().map(String::as_str));
    let listing = git(&top, &args)?;
    let files: Vec<&str> = listing
        .split('\0')
        .filter(|f| !f.is_empty())
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml") || f.ends_with(".json"))
        .filter(|f| !f.split('/').any(|seg| seg.starts_with('.') || seg == "target"))
        .collect();
    cat_files(&top, &commit, reference, &files)
}

/// Reads blobs through one `git cat-file --batch` (see [`read_objects`]), named `LABEL:FILE`.
fn cat_files(top: &Path, commit: &str, label: &str, files: &[&str]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let specs: Vec<String> = files.iter().map(|f| format!("{commit}:{f}")).collect();
    read_objects(top, &specs)?
        .into_iter()
        .zip(files)
        .map(|(bytes, f)| {
            bytes.map(|b| (format!("{label}:{f}"), b)).ok_or_else(|| format!("git cat-file: {label}:{f} is missing"))
        })
        .collect()
}

/// A commit that changed a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCommit {
    pub commit: String,
    /// The first parent, if any.
    pub parent: Option<String>,
    /// Committer date, strict ISO 8601.
    pub date: String,
    pub author: String,
    pub subject: String,
    /// The file's path in this commit, and in its parent (they differ when the commit renamed
    /// it; `None` when the commit added it).
    pub path: String,
    pub parent_path: Option<String>,
}

/// A file's history in git: its repository and the commits that changed it, newest first,
/// across renames.
pub struct FileHistory {
    pub top: PathBuf,
    pub commits: Vec<FileCommit>,
}

/// The commits that changed `file`, following it back through renames and moves (`git log
/// --follow`), or why there are none to show: not in a repository, not committed, no git.
pub fn file_history(file: &Path) -> Result<FileHistory, String> {
    let abs = std::path::absolute(file).map_err(|e| e.to_string())?;
    let abs = abs.canonicalize().unwrap_or(abs);
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let top = match Command::new("git").args(["rev-parse", "--show-toplevel"]).current_dir(&dir).output() {
        Err(e) => return Err(format!("No breaking-change history: git cannot run ({e}).")),
        Ok(out) if !out.status.success() => {
            return Err("No breaking-change history: the contract is not in a git repository.".into());
        }
        Ok(out) => PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()),
    };
    let top_c = top.canonicalize().unwrap_or_else(|_| top.clone());
    let rel = abs.strip_prefix(&top_c).map_err(|_| format!("{} is outside {}", file.display(), top.display()))?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    // Fields split by unit separators, records by record separators: subjects may hold anything
    // else. Each record ends with the file's `--name-status` (NUL-separated by -z): `M path`,
    // `A path`, or `R100 old new` for the commit that renamed it.
    let log = git(
        &top,
        &[
            "log",
            "--follow",
            "--first-parent",
            "-z",
            "--name-status",
            "--format=%x1e%H%x1f%P%x1f%cI%x1f%an%x1f%s",
            "--",
            &rel,
        ],
    )
    .unwrap_or_default();
    // The path as of the commit being read, walking back from the current one.
    let mut path = rel.clone();
    let commits: Vec<FileCommit> = log
        .split('\x1e')
        .filter_map(|rec| {
            let (header, status) = rec.split_once('\0').unwrap_or((rec, ""));
            let f: Vec<&str> = header.split('\x1f').collect();
            let [commit, parents, date, author, subject] = f.as_slice() else { return None };
            let status: Vec<&str> = status.trim_start_matches('\n').split('\0').filter(|t| !t.is_empty()).collect();
            let (here, before) = match status.as_slice() {
                [s, old, new, ..] if s.starts_with('R') || s.starts_with('C') => {
                    (new.to_string(), Some(old.to_string()))
                }
                [s, p, ..] if s.starts_with('A') => (p.to_string(), None),
                [_, p, ..] => (p.to_string(), Some(p.to_string())),
                _ => (path.clone(), Some(path.clone())),
            };
            if let Some(before) = &before {
                path = before.clone();
            }
            Some(FileCommit {
                commit: commit.to_string(),
                parent: parents.split_whitespace().next().map(str::to_string),
                date: date.to_string(),
                author: author.to_string(),
                subject: subject.to_string(),
                path: here,
                parent_path: before,
            })
        })
        .collect();
    if commits.is_empty() {
        return Err(format!("No breaking-change history: {rel} is not committed to git yet."));
    }
    Ok(FileHistory { top, commits })
}

/// The bytes of `REV:PATH` objects, read through one `git cat-file --batch`; `None` for an
/// object that does not exist (a file added or removed by a commit).
pub fn read_objects(top: &Path, specs: &[String]) -> Result<Vec<Option<Vec<u8>>>, String> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(top)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git cat-file: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git cat-file: no stdin")?;
    let requests: String = specs.iter().map(|s| format!("{s}\n")).collect();
    // Write from a thread: git answers while we still write, and pipes are bounded.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(requests.as_bytes());
    });
    let mut out = BufReader::new(child.stdout.take().ok_or("git cat-file: no stdout")?);
    let mut result = Vec::with_capacity(specs.len());
    for spec in specs {
        let mut header = String::new();
        out.read_line(&mut header).map_err(|e| e.to_string())?;
        if header.trim_end().ends_with(" missing") || header.trim_end().ends_with(" ambiguous") {
            result.push(None);
            continue;
        }
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: unexpected answer `{}` for {spec}", header.trim()))?;
        let mut bytes = vec![0; size];
        out.read_exact(&mut bytes).map_err(|e| e.to_string())?;
        let mut newline = [0u8; 1];
        out.read_exact(&mut newline).map_err(|e| e.to_string())?;
        result.push(Some(bytes));
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buf_style_references() {
        assert_eq!(Against::parse(".git#branch=main"), Against::Git { reference: "main".into(), subdir: None });
        assert_eq!(
            Against::parse(".git#ref=HEAD~1,subdir=contracts/"),
            Against::Git { reference: "HEAD~1".into(), subdir: Some("contracts".into()) }
        );
        assert_eq!(Against::parse("origin/main"), Against::Git { reference: "origin/main".into(), subdir: None });
    }
}
