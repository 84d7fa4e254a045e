//! contrakt-publish: write-audit-publish for a folder of data files.
//!
//! The published folder holds every release side by side and one pointer file:
//!
//! ```text
//! orders/
//!   _published.json          {"version": 1, "current": "v=20261122T060000Z-3f2a", "history": [...], ...}
//!   _publish_log.jsonl       one line per publish, failed audit and rollback
//!   v=20261121T060000Z-9c41/ the previous release, kept for readers still on it and for rollback
//!   v=20261122T060000Z-3f2a/ the current release
//! ```
//!
//! **Reader convention**: read `_published.json`, then read only the files under `current`.
//! A release folder is complete before the pointer names it (its files are copied into a
//! hidden `.incoming-*` folder, synced, and the folder renamed into place), and the pointer is
//! replaced by an atomic rename, so a reader sees the old release or the new one, never a mix
//! and never a partial one. A release stays on disk for `keep` further publishes, so a reader
//! that read the pointer just before a swap finishes reading what it started. `contrakt check`
//! follows the pointer when a contract's server path is such a folder. A pointer is untrusted
//! data: one that names anything but a release folder ([`is_release_name`]) is refused when
//! read, before anything is read, moved or deleted.
//!
//! An `s3://` prefix has the same layout, with the pointer moved by a conditional put: see
//! [`object`].
//!
//! The audit (running the contract's checks) is the caller's: this crate only moves data once
//! the audit passed, and records what happened.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use contrakt_core::redact;
use serde::{Deserialize, Serialize};

pub mod object;

pub const POINTER: &str = "_published.json";
pub const LOG: &str = "_publish_log.jsonl";
const LOCK: &str = "_publish.lock";
const INCOMING: &str = ".incoming-";

/// A test hook: `before-pointer` aborts the process after the release folder is in place and
/// before the pointer moves, which is where a crash would leave the most behind.
pub const FAULT_ENV: &str = "CONTRAKT_PUBLISH_FAULT";

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid pointer file: {message}")]
    CorruptPointer { path: PathBuf, message: String },
    #[error("{0} has no published release (no {POINTER})")]
    NotPublished(PathBuf),
    #[error("{0}: there is no earlier release to roll back to")]
    NothingToRollBack(PathBuf),
    #[error("{path}: the pointer names `{version}`, which is not a release folder on disk (missing, or a link)")]
    MissingVersion { path: PathBuf, version: String },
    #[error("another publish to {path} is running (process {pid}); if it is not, delete {path}/{LOCK}")]
    Locked { path: PathBuf, pid: String },
    #[error("{0}: no data files to publish")]
    Empty(PathBuf),
    /// An object store refused or failed a request. URLs (`url`, or quoted by the store in
    /// `message`) are shown masked ([`contrakt_core::redact`]).
    #[error("{}: {}", redact::redact_location(.url), redact::redact_text(.message, &[]))]
    Store { url: String, message: String },
    #[error(
        "another publish or rollback moved the pointer of {} first (it now names {current}); this release was not published",
        redact::redact_location(.url)
    )]
    Conflict { url: String, current: String },
    /// A location contrakt does not publish to, as given (masked when shown: `s3://key:secret@…`).
    #[error("{}: {message}", redact::redact_location(.url))]
    Unsupported { url: String, message: String },
    /// Staged data holds a symbolic link: a release is the producer's files, never what a link
    /// points to (`/etc/passwd`, `~/.aws/credentials`), so nothing is read, audited or copied.
    #[error(
        "{}: the staged data holds a symbolic link; contrakt publishes only regular files and follows no link in staged data (nothing was audited or published)",
        .0.display()
    )]
    StagedLink(PathBuf),
    /// A publish asked for a release folder name contrakt would refuse to read back.
    #[error("run id {run_id:?}: expected {RELEASE_NAME_RULE}")]
    BadRunId { run_id: String },
}

/// What a release folder name is; in errors.
const RELEASE_NAME_RULE: &str = "`v=` and a run id of 1 to 64 ASCII letters, digits, `-` or `_`";

/// Whether `name` is a release folder name of the shape contrakt writes (`v=<run id>`, the run
/// id of ASCII letters, digits, `-` and `_`, at most 64 of them). Such a name is one path
/// component: no `/`, `\`, `.`, NUL, nothing absolute, so `target.join(name)` stays directly
/// under `target`. Every name read from a pointer is checked against it.
pub fn is_release_name(name: &str) -> bool {
    name.strip_prefix("v=").is_some_and(|id| {
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// The pointer file: which release is current, and the releases before it, newest first.
///
/// A pointer is data someone else wrote: deserializing one refuses any `current` or `history`
/// entry that is not a release folder name ([`is_release_name`]), so no caller ever joins an
/// unchecked name to a path or a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawPointer")]
pub struct Pointer {
    /// The format of this file.
    pub version: u32,
    /// The current release's folder name (`v=<run id>`).
    pub current: String,
    /// Earlier releases still on disk, newest first: what `rollback` goes back to.
    pub history: Vec<String>,
    pub run_id: String,
    /// When the pointer last moved (RFC 3339).
    pub published_at: String,
    /// The contract the release was audited against, and its version.
    pub contract: String,
    pub contract_version: String,
    /// The schema object the release is (absent from pointers written before it was recorded).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub object: String,
}

/// The pointer as it is on disk, before its names are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPointer {
    version: u32,
    current: String,
    history: Vec<String>,
    run_id: String,
    published_at: String,
    contract: String,
    contract_version: String,
    #[serde(default)]
    object: String,
}

impl TryFrom<RawPointer> for Pointer {
    type Error = String;

    fn try_from(raw: RawPointer) -> Result<Pointer, String> {
        let named = std::iter::once(("current".to_string(), &raw.current))
            .chain(raw.history.iter().enumerate().map(|(i, h)| (format!("history[{i}]"), h)));
        for (field, name) in named {
            if !is_release_name(name) {
                // Debug formatting: a hostile name's control characters are escaped, not printed.
                return Err(format!(
                    "`{field}` names {name:?}, which is not a release folder (expected {RELEASE_NAME_RULE}); nothing was read, moved or deleted"
                ));
            }
        }
        let RawPointer { version, current, history, run_id, published_at, contract, contract_version, object } = raw;
        Ok(Pointer { version, current, history, run_id, published_at, contract, contract_version, object })
    }
}

impl Pointer {
    /// Parses a pointer file's bytes; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Pointer> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::CorruptPointer { path: path.to_path_buf(), message: e.to_string() })
    }

    /// What a rollback writes: the newest earlier release is current again, and the one rolled
    /// back from stays (last in `history`) for inspection. `None` when there is nothing earlier.
    pub fn rolled_back(&self, now: &str) -> Option<Pointer> {
        let (back, rest) = self.history.split_first()?;
        let mut history = rest.to_vec();
        history.push(self.current.clone());
        Some(Pointer {
            version: 1,
            current: back.clone(),
            history,
            run_id: back.trim_start_matches("v=").to_string(),
            published_at: now.to_string(),
            ..self.clone()
        })
    }
}

/// The current release folder of `dir`, if `dir` is a published folder.
pub fn resolve(dir: &Path) -> Result<Option<PathBuf>> {
    match read_pointer(dir)? {
        Some(p) => {
            let current = dir.join(&p.current);
            // A release contrakt wrote is a folder, never a link to one elsewhere.
            if !is_release_dir(&current) {
                return Err(Error::MissingVersion { path: dir.to_path_buf(), version: p.current });
            }
            Ok(Some(current))
        }
        None => Ok(None),
    }
}

pub fn read_pointer(dir: &Path) -> Result<Option<Pointer>> {
    let path = dir.join(POINTER);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Io { path, source: e }),
    };
    Pointer::parse(&bytes, &path).map(Some)
}

/// A real folder (not a symbolic link to one).
fn is_release_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Removes a folder of contrakt's (a release no reader can be on, an interrupted copy); a
/// symbolic link in its place (contrakt never writes one) is left alone, and nothing it points
/// to is touched.
fn remove_folder(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            if let Err(e) = fs::remove_dir_all(path) {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a folder");
            }
        }
        Ok(_) => tracing::warn!(path = %path.display(), "not a folder contrakt wrote (a link or a file): left alone"),
        Err(_) => {}
    }
}

/// What a release was audited against: the facts a publish records in the pointer, to a folder
/// ([`publish`]) or to an object-store prefix ([`object::Prefix::publish`]) alike.
#[derive(Debug, Clone)]
pub struct Release<'a> {
    pub run_id: &'a str,
    pub contract: &'a str,
    pub contract_version: &'a str,
    pub object: &'a str,
    /// RFC 3339.
    pub now: &'a str,
    /// Earlier releases kept after this one (at least 1, for rollback).
    pub keep: usize,
}

/// Holds `_publish.lock` in the target for the life of a publish or rollback: one writer at a
/// time. A lock left by a process that no longer runs is taken over.
struct Lock(PathBuf);

impl Lock {
    fn take(dir: &Path) -> Result<Lock> {
        let path = dir.join(LOCK);
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let _ = write!(f, "{}", std::process::id());
                    return Ok(Lock(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid = fs::read_to_string(&path).unwrap_or_default().trim().to_string();
                    let alive = !pid.is_empty() && Path::new("/proc").join(&pid).exists();
                    if alive || !Path::new("/proc/self").exists() {
                        return Err(Error::Locked { path: dir.to_path_buf(), pid });
                    }
                    tracing::warn!(pid, "taking over the lock of a publish that no longer runs");
                    let _ = fs::remove_file(&path);
                }
                Err(e) => return Err(Error::Io { path, source: e }),
            }
        }
        Err(Error::Locked { path: dir.to_path_buf(), pid: "unknown".into() })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Publishes an audited release: copies `staged` (a folder, with its sub-folders and hive
/// partitions, or one file) into its own version folder of `target`, then moves the pointer.
pub fn publish(staged: &Path, target: &Path, r: &Release<'_>) -> Result<Pointer> {
    let _span = tracing::info_span!("publish", target = %target.display(), run_id = r.run_id).entered();
    fs::create_dir_all(target).map_err(io(target))?;
    let name = format!("v={}", r.run_id);
    if !is_release_name(&name) {
        return Err(Error::BadRunId { run_id: r.run_id.to_string() });
    }
    refuse_links(staged)?;
    // A pointer with names contrakt would not write refuses the publish before anything moves.
    read_pointer(target)?;
    let _lock = Lock::take(target)?;
    clean_incoming(target);

    let incoming = target.join(format!("{INCOMING}{}", r.run_id));
    let copied = copy_tree(staged, &incoming)?;
    if copied == 0 {
        let _ = fs::remove_dir_all(&incoming);
        return Err(Error::Empty(staged.to_path_buf()));
    }
    let version_dir = target.join(&name);
    fs::rename(&incoming, &version_dir).map_err(io(&version_dir))?;
    sync_dir(target)?;
    if std::env::var(FAULT_ENV).as_deref() == Ok("before-pointer") {
        eprintln!("{FAULT_ENV}=before-pointer: aborting after {name} and before the pointer");
        std::process::abort();
    }

    let previous = read_pointer(target)?;
    let mut history: Vec<String> =
        previous.iter().flat_map(|p| std::iter::once(p.current.clone()).chain(p.history.clone())).collect();
    history.retain(|v| *v != name);
    let pruned: Vec<String> = history.split_off(history.len().min(r.keep.max(1)));
    let pointer = Pointer {
        version: 1,
        current: name,
        history,
        run_id: r.run_id.to_string(),
        published_at: r.now.to_string(),
        contract: r.contract.to_string(),
        contract_version: r.contract_version.to_string(),
        object: r.object.to_string(),
    };
    swap_pointer(target, &pointer)?;
    // Only after the swap: a reader may still be on any release the old pointer listed, so the
    // ones beyond `keep` go now, one publish later than they stopped being current.
    for old in pruned {
        remove_folder(&target.join(&old));
    }
    remove_orphans(target, &pointer);
    Ok(pointer)
}

/// Points back at the previous release (the newest in `history`).
pub fn rollback(target: &Path, now: &str) -> Result<Pointer> {
    let _span = tracing::info_span!("rollback", target = %target.display()).entered();
    if read_pointer(target)?.is_none() {
        return Err(Error::NotPublished(target.to_path_buf()));
    }
    let _lock = Lock::take(target)?;
    // Read again under the lock: a publish may have moved it meanwhile.
    let current = read_pointer(target)?.ok_or_else(|| Error::NotPublished(target.to_path_buf()))?;
    // The release rolled back from stays on disk (and last in history) for inspection.
    let Some(pointer) = current.rolled_back(now) else {
        return Err(Error::NothingToRollBack(target.to_path_buf()));
    };
    if !is_release_dir(&target.join(&pointer.current)) {
        return Err(Error::MissingVersion { path: target.to_path_buf(), version: pointer.current });
    }
    swap_pointer(target, &pointer)?;
    Ok(pointer)
}

/// Appends one JSON line to the target's log (`_publish_log.jsonl`), creating the folder.
pub fn log(target: &Path, entry: &serde_json::Value) -> Result<()> {
    fs::create_dir_all(target).map_err(io(target))?;
    let path = target.join(LOG);
    let mut f = OpenOptions::new().create(true).append(true).open(&path).map_err(io(&path))?;
    // One write per line: appends of one small buffer do not interleave between writers.
    let line = format!("{entry}\n");
    f.write_all(line.as_bytes()).map_err(io(&path))?;
    f.sync_data().map_err(io(&path))
}

/// Writes the pointer beside the old one and renames it over it: readers see one or the other.
fn swap_pointer(dir: &Path, pointer: &Pointer) -> Result<()> {
    let tmp = dir.join(format!(".{POINTER}.{}", std::process::id()));
    let text = serde_json::to_string_pretty(pointer)
        .map_err(|e| Error::CorruptPointer { path: tmp.clone(), message: e.to_string() })?;
    {
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(text.as_bytes()).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    let path = dir.join(POINTER);
    fs::rename(&tmp, &path).map_err(io(&path))?;
    sync_dir(dir)
}

/// Makes a rename durable: the directory entry itself must reach the disk.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Release folders no pointer ever named (a publish that died before moving the pointer):
/// no reader can be on them.
fn remove_orphans(dir: &Path, pointer: &Pointer) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("v=") && name != pointer.current && !pointer.history.contains(&name) {
            tracing::info!(release = name, "removing a release that was never published");
            remove_folder(&e.path());
        }
    }
}

/// Leftovers of a publish that died while copying: never named by a pointer, safe to remove.
fn clean_incoming(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(INCOMING) {
            tracing::info!(path = %e.path().display(), "removing the leftovers of an interrupted publish");
            remove_folder(&e.path());
        }
    }
}

/// Refuses staged data that holds a symbolic link anywhere under it (hidden and `_` files
/// too: the audit must read exactly what is published, and a link can point anywhere). `staged`
/// itself is the operator's to name, link or not. Nothing is opened: only folder entries are read.
pub fn refuse_links(staged: &Path) -> Result<()> {
    if !fs::metadata(staged).map_err(io(staged))?.is_dir() {
        return Ok(());
    }
    let mut stack = vec![staged.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).map_err(io(&dir))? {
            let e = e.map_err(io(&dir))?;
            let kind = e.file_type().map_err(io(&e.path()))?;
            if kind.is_symlink() {
                return Err(Error::StagedLink(e.path()));
            }
            if kind.is_dir() {
                stack.push(e.path());
            }
        }
    }
    Ok(())
}

/// Copies the data files under `from` (a folder, recursively, or one file) into `to`, syncing
/// each; hidden files and contrakt's own files are not data. Returns the number of files.
fn copy_tree(from: &Path, to: &Path) -> Result<usize> {
    fs::create_dir_all(to).map_err(io(to))?;
    let meta = fs::metadata(from).map_err(io(from))?;
    if meta.is_file() {
        let name = from.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data"));
        copy_file(from, &to.join(name))?;
        return Ok(1);
    }
    let mut n = 0;
    let mut entries: Vec<_> = fs::read_dir(from).map_err(io(from))?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let s = name.to_string_lossy();
        if s.starts_with('.') || s.starts_with('_') {
            continue;
        }
        let path = e.path();
        // The entry itself, not what it points to: a link is refused, never copied through.
        let kind = e.file_type().map_err(io(&path))?;
        if kind.is_symlink() {
            return Err(Error::StagedLink(path));
        }
        if kind.is_dir() {
            n += copy_tree(&path, &to.join(&name))?;
        } else {
            copy_file(&path, &to.join(&name))?;
            n += 1;
        }
    }
    sync_dir(to)?;
    Ok(n)
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to).map_err(io(from))?;
    File::open(to).and_then(|f| f.sync_all()).map_err(io(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(dir: &Path, tag: &str) -> PathBuf {
        let s = dir.join(format!("staged-{tag}"));
        fs::create_dir_all(s.join("day=1")).unwrap();
        fs::write(s.join("a.parquet"), format!("{tag}-a")).unwrap();
        fs::write(s.join("day=1/b.parquet"), format!("{tag}-b")).unwrap();
        fs::write(s.join("_SUCCESS"), "").unwrap();
        s
    }

    fn release(run_id: &str) -> Release<'_> {
        Release {
            run_id,
            contract: "urn:x",
            contract_version: "1.0.0",
            object: "orders",
            now: "2026-11-22T06:00:00Z",
            keep: 2,
        }
    }

    fn current_files(target: &Path) -> Vec<(String, String)> {
        let dir = resolve(target).unwrap().unwrap();
        let mut out = vec![];
        for f in ["a.parquet", "day=1/b.parquet"] {
            out.push((f.to_string(), fs::read_to_string(dir.join(f)).unwrap()));
        }
        out
    }

    #[test]
    fn publish_rollback_and_prune() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("orders");
        assert_eq!(resolve(&target).unwrap(), None);
        for (i, tag) in ["r1", "r2", "r3", "r4"].iter().enumerate() {
            let s = staged(tmp.path(), tag);
            let p = publish(&s, &target, &release(tag)).unwrap();
            assert_eq!(p.current, format!("v={tag}"));
            assert_eq!(p.history.len(), i.min(2), "keep bounds the history");
            assert_eq!(current_files(&target)[0].1, format!("{tag}-a"));
            assert!(!target.join(format!("v={tag}/_SUCCESS")).exists(), "markers are not data");
        }
        // keep = 2: r1 was pruned, r2 and r3 remain behind r4.
        assert!(!target.join("v=r1").exists());
        let p = rollback(&target, "2026-11-23T00:00:00Z").unwrap();
        assert_eq!((p.current.as_str(), p.history.clone()), ("v=r3", vec!["v=r2".to_string(), "v=r4".to_string()]));
        assert_eq!(
            current_files(&target),
            vec![("a.parquet".into(), "r3-a".into()), ("day=1/b.parquet".into(), "r3-b".into())]
        );
        rollback(&target, "t").unwrap();
        assert!(
            matches!(rollback(&target, "t"), Ok(p) if p.current == "v=r4"),
            "history ends with the releases rolled back from"
        );
    }

    #[test]
    fn nothing_to_roll_back_and_no_lock_left_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        assert!(matches!(rollback(&tmp.path().join("none"), "t"), Err(Error::NotPublished(_))));
        let s = staged(tmp.path(), "only");
        publish(&s, &target, &release("only")).unwrap();
        assert!(matches!(rollback(&target, "t"), Err(Error::NothingToRollBack(_))));
        assert!(!target.join(LOCK).exists());
        let empty = tmp.path().join("empty");
        fs::create_dir_all(&empty).unwrap();
        assert!(matches!(publish(&empty, &target, &release("e")), Err(Error::Empty(_))));
        assert_eq!(read_pointer(&target).unwrap().unwrap().current, "v=only");
    }

    #[test]
    fn a_live_lock_refuses_and_a_dead_one_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join(LOCK), std::process::id().to_string()).unwrap();
        let s = staged(tmp.path(), "x");
        assert!(matches!(publish(&s, &target, &release("x")), Err(Error::Locked { .. })));
        fs::write(target.join(LOCK), "999999999").unwrap();
        publish(&s, &target, &release("x")).unwrap();
    }

    #[test]
    fn a_corrupt_pointer_is_an_error_not_a_guess() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(POINTER), "{\"current\": 3}").unwrap();
        assert!(matches!(resolve(tmp.path()), Err(Error::CorruptPointer { .. })));
        fs::write(
            tmp.path().join(POINTER),
            serde_json::to_string(&Pointer {
                version: 1,
                current: "v=gone".into(),
                history: vec![],
                run_id: "gone".into(),
                published_at: "t".into(),
                contract: "c".into(),
                contract_version: "1".into(),
                object: String::new(),
            })
            .unwrap(),
        )
        .unwrap();
        assert!(matches!(resolve(tmp.path()), Err(Error::MissingVersion { .. })));
    }

    #[test]
    fn leftovers_of_an_interrupted_copy_are_removed_on_the_next_publish() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("t");
        fs::create_dir_all(target.join(".incoming-dead")).unwrap();
        let s = staged(tmp.path(), "y");
        publish(&s, &target, &release("y")).unwrap();
        assert!(!target.join(".incoming-dead").exists());
    }
    fn pointer_json(current: &str, history: &[&str]) -> String {
        serde_json::json!({
            "version": 1, "current": current, "history": history, "run_id": "x",
            "published_at": "t", "contract": "c", "contract_version": "1",
        })
        .to_string()
    }

    #[test]
    fn a_pointer_naming_anything_but_a_release_folder_is_refused_when_read() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = ["/tmp/v", "../victim", "v=../x", "v=a/b", "v=a\\b", "v=..", "v=a.b", "v=\u{0}", "", "v=", "x"];
        for name in bad {
            for (current, history) in [(name, vec![]), ("v=ok", vec!["v=ok2", name])] {
                fs::write(tmp.path().join(POINTER), pointer_json(current, &history)).unwrap();
                let err = read_pointer(tmp.path()).unwrap_err();
                let Error::CorruptPointer { path, message } = &err else { panic!("{name:?}: {err}") };
                assert_eq!(path, &tmp.path().join(POINTER));
                assert!(message.contains(&format!("{name:?}")), "{name:?}: {message}");
                assert!(matches!(resolve(tmp.path()), Err(Error::CorruptPointer { .. })));
            }
        }
        fs::write(tmp.path().join(POINTER), pointer_json("v=20261122T060000Z-3f2a", &["v=r_1"])).unwrap();
        assert_eq!(read_pointer(tmp.path()).unwrap().unwrap().history, ["v=r_1"]);
    }

    #[test]
    fn publish_and_rollback_refuse_a_hostile_pointer_and_delete_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        fs::create_dir_all(&victim).unwrap();
        fs::write(victim.join("keep.txt"), "precious").unwrap();
        let target = tmp.path().join("t");
        fs::create_dir_all(&target).unwrap();
        let abs = victim.display().to_string();
        for history in [vec!["../victim"], vec![abs.as_str()]] {
            fs::write(target.join(POINTER), pointer_json("v=a", &history)).unwrap();
            let s = staged(tmp.path(), "z");
            assert!(matches!(
                publish(&s, &target, &Release { keep: 1, ..release("z") }),
                Err(Error::CorruptPointer { .. })
            ));
            assert!(matches!(rollback(&target, "t"), Err(Error::CorruptPointer { .. })));
            assert_eq!(fs::read_to_string(victim.join("keep.txt")).unwrap(), "precious");
            assert!(!target.join("v=z").exists(), "nothing was copied in");
            assert!(!target.join(LOCK).exists());
        }
        assert!(matches!(publish(&tmp.path().join("x"), &target, &release("../x")), Err(Error::BadRunId { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn release_links_are_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("keep.txt"), "precious").unwrap();
        let target = tmp.path().join("t");
        publish(&staged(tmp.path(), "a"), &target, &release("a")).unwrap();
        // An unknown `v=` link is not an orphaned release: pruning leaves it and its target alone.
        std::os::unix::fs::symlink(&outside, target.join("v=evil")).unwrap();
        publish(&staged(tmp.path(), "b"), &target, &release("b")).unwrap();
        assert_eq!(fs::read_to_string(outside.join("keep.txt")).unwrap(), "precious");
        // A pointer whose current release is a link is not followed by readers or rollback.
        fs::write(target.join(POINTER), pointer_json("v=evil", &["v=evil"])).unwrap();
        assert!(matches!(resolve(&target), Err(Error::MissingVersion { .. })));
        assert!(matches!(rollback(&target, "t"), Err(Error::MissingVersion { .. })));
        assert_eq!(fs::read_to_string(outside.join("keep.txt")).unwrap(), "precious");
    }

    proptest::proptest! {
        /// Whatever names a pointer holds, reading it either refuses or yields names that are
        /// one folder directly under the target.
        #[test]
        fn accepted_names_stay_directly_under_the_target(
            current in "(v=)?[a-zA-Z0-9_./\\\\-]{0,8}|\\PC*",
            history in proptest::collection::vec("(v=)?[a-zA-Z0-9_./\\\\-]{0,8}|\\PC*", 0..4),
        ) {
            let text = serde_json::json!({
                "version": 1, "current": current, "history": history, "run_id": "x",
                "published_at": "t", "contract": "c", "contract_version": "1",
            })
            .to_string();
            let target = Path::new("/srv/data/orders");
            if let Ok(p) = Pointer::parse(text.as_bytes(), &target.join(POINTER)) {
                for name in std::iter::once(&p.current).chain(&p.history) {
                    proptest::prop_assert!(is_release_name(name));
                    let joined = target.join(name);
                    proptest::prop_assert_eq!(joined.parent(), Some(target));
                    let parts: Vec<_> = Path::new(name).components().collect();
                    proptest::prop_assert!(matches!(parts.as_slice(), [std::path::Component::Normal(_)]));
                }
            }
        }
    }
}
