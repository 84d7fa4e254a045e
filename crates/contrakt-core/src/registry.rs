//! Finding and reading contract, consumer and config files on disk.
//!
//! Files are sorted by content, not by name: a document with `kind: DataContract` is a
//! contract, one with `kind: Consumer` a consumer, `contrakt.yaml` the config. Nothing that
//! fails to read is dropped: it comes back as an error for the caller to report.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{self, Config};
use crate::consumer::looks_like_consumer;
use crate::document::Document;
use crate::error::{Error, InputErrorKind, Result};
use crate::odcs::{self, ContractDocument, looks_like_contract};
use crate::source::{SourceFile, Span};

/// Files larger than this are refused before reading.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a file as text, refusing binary and oversized files with a clear error.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    let name = path.display().to_string();
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::input(
            InputErrorKind::TooLarge,
            &SourceFile::new(name, ""),
            None,
            format!(
                "file is {:.1} MiB; contrakt reads contracts up to {} MiB",
                meta.len() as f64 / 1048576.0,
                MAX_FILE_BYTES / 1048576
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    source_from_bytes(name, bytes)
}

/// Reads a file found inside the registry folder `root` (while walking it, or as its
/// `contrakt.yaml`): as [`read_source`], but a symbolic link whose target lies outside `root`
/// is refused ([`Error::LinkOutside`], naming the link) and never opened. Links that stay
/// inside `root` are read. Files the operator names directly are read with [`read_source`].
pub fn read_within(path: &Path, root: &Path) -> Result<Arc<SourceFile>> {
    check_link(path, root)?;
    read_source(path)
}

fn check_link(path: &Path, root: &Path) -> Result<()> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Ok(());
    }
    // A dangling link fails to read with an I/O error naming it; nothing to leak.
    let Ok(target) = std::fs::canonicalize(path) else { return Ok(()) };
    let root_real = std::fs::canonicalize(root).map_err(|source| Error::Io { path: root.to_path_buf(), source })?;
    if target.starts_with(&root_real) {
        Ok(())
    } else {
        Err(Error::LinkOutside { link: path.to_path_buf(), root: root.to_path_buf() })
    }
}

/// Resolves `rel`, a path written in a registry file (`contrakt.yaml`'s alert templates, CA
/// file, alert state, file channel, history store), against the registry folder `root`. Such a
/// file may come from a pull request, so the path must stay inside `root`: one that is absolute,
/// climbs above `root` with `..`, or leads out of it through a symbolic link (an existing one
/// anywhere on the way, or a dangling one that a write would create the target of) is refused
/// with the reason, before anything is opened. The path need not exist yet (a state file).
pub fn path_within(root: &Path, rel: &Path) -> std::result::Result<PathBuf, String> {
    use std::path::Component;
    let shown = rel.display();
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(format!("`{shown}` climbs out of the registry folder; give a path inside it"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("`{shown}` is absolute; give a path inside the registry folder"));
            }
        }
    }
    if parts.is_empty() {
        return Err(format!("`{shown}` names the registry folder itself, not a file in it"));
    }
    // `contrakt.yaml` named bare has the empty path as its folder.
    let base = if root.as_os_str().is_empty() { Path::new(".") } else { root };
    let root_real = std::fs::canonicalize(base).map_err(|e| format!("{}: {e}", base.display()))?;
    // Every prefix that exists must resolve inside the root: a link on the way counts too.
    let mut at = base.to_path_buf();
    for p in &parts {
        at.push(p);
        let Ok(meta) = std::fs::symlink_metadata(&at) else { break };
        let real = match std::fs::canonicalize(&at) {
            Ok(r) => r,
            Err(_) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "`{shown}` goes through a dangling symbolic link ({}); not followed",
                    at.display()
                ));
            }
            Err(e) => return Err(format!("{}: {e}", at.display())),
        };
        if !real.starts_with(&root_real) {
            return Err(format!(
                "`{shown}` leads out of the registry folder through a symbolic link ({}); contrakt does not follow links out of it",
                at.display()
            ));
        }
    }
    Ok(parts.iter().fold(root.to_path_buf(), |acc, p| acc.join(p)))
}

/// Text from bytes: UTF-8 (a BOM is dropped), or a located "not text" error.
pub fn source_from_bytes(name: String, bytes: Vec<u8>) -> Result<Arc<SourceFile>> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(SourceFile::new(name, text))
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let file = SourceFile::new(name, valid);
            Err(Error::input(
                InputErrorKind::NotText,
                &file,
                Some(Span::new(at, at)),
                format!("file is not UTF-8 text (invalid byte at offset {at}); is it binary?"),
            ))
        }
    }
}

/// What a set of paths holds.
#[derive(Debug, Default)]
pub struct Discovery {
    pub contracts: Vec<Document>,
    pub consumers: Vec<Document>,
    /// The first `contrakt.yaml` found (at a given folder's root, or above a given file).
    pub config: Option<(PathBuf, Config)>,
    /// Files that could not be read or parsed, and named files that are neither contracts
    /// nor consumers.
    pub errors: Vec<Error>,
    /// Documents skipped during folder walks because they are neither contracts nor consumers.
    pub skipped: Vec<PathBuf>,
    /// Registry roots (folders holding `contrakt.yaml`) above the files found.
    pub roots: Vec<PathBuf>,
}

/// Collects contracts and consumers from files and folders (recursively: `*.yaml`, `*.yml`, `*.json`).
pub fn discover(paths: &[PathBuf]) -> Result<Discovery> {
    let mut found = Discovery::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Io { path: path.clone(), source })?;
        if meta.is_dir() {
            let config_path = path.join(config::FILE_NAME);
            if config_path.is_file() && found.config.is_none() {
                match read_within(&config_path, path).and_then(config::load) {
                    Ok(c) => found.config = Some((config_path, c)),
                    Err(e) => return Err(e),
                }
            }
            let mut files = Vec::new();
            walk(path, &mut files).map_err(|source| Error::Io { path: path.clone(), source })?;
            for file in files {
                if file.file_name().is_some_and(|n| n == config::FILE_NAME) {
                    continue;
                }
                classify(&file, Some(path), &mut found);
            }
            // A folder belongs to a registry as a file does: the nearest folder at or above it
            // holding `contrakt.yaml` (`contrakt run contracts/` from the repository root, whose
            // `contrakt.yaml` names the history store).
            if let Some(root) = registry_root(&path.join(config::FILE_NAME)) {
                if found.config.is_none() {
                    let config_path = root.join(config::FILE_NAME);
                    found.config =
                        Some((config_path.clone(), read_within(&config_path, &root).and_then(config::load)?));
                }
                if !found.roots.contains(&root) {
                    found.roots.push(root);
                }
            }
        } else {
            if file_is_config(path) {
                continue;
            }
            classify(path, None, &mut found);
            if let Some(root) = registry_root(path) {
                if found.config.is_none() {
                    let config_path = root.join(config::FILE_NAME);
                    found.config =
                        Some((config_path.clone(), read_within(&config_path, &root).and_then(config::load)?));
                }
                if !found.roots.contains(&root) {
                    found.roots.push(root);
                }
            }
        }
    }
    Ok(found)
}

fn file_is_config(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == config::FILE_NAME)
}

/// The nearest folder at or above a file's folder that holds `contrakt.yaml`.
pub fn registry_root(file: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(file).ok()?;
    abs.ancestors().skip(1).find(|d| d.join(config::FILE_NAME).is_file()).map(Path::to_path_buf)
}

/// Reads and sorts one file: `walked` is the folder it was found in (None: the operator named it).
fn classify(path: &Path, walked: Option<&Path>, found: &mut Discovery) {
    let _s = tracing::info_span!("parse", file = %path.display()).entered();
    let named = walked.is_none();
    let read = match walked {
        Some(root) => read_within(path, root),
        None => read_source(path),
    };
    let document = match read.and_then(Document::parse) {
        Ok(d) => d,
        Err(e) => {
            found.errors.push(e);
            return;
        }
    };
    if looks_like_contract(&document.root) {
        found.contracts.push(document);
    } else if looks_like_consumer(&document.root) {
        found.consumers.push(document);
    } else if named {
        found.errors.push(Error::input(
            InputErrorKind::NotAContract,
            &document.source,
            Some(Span::new(document.root.span.start as usize, document.root.span.start as usize)),
            "not a data contract (`kind: DataContract`) or a consumer file (`kind: Consumer`)",
        ));
    } else {
        tracing::debug!(file = %path.display(), "skipped: neither a contract nor a consumer");
        found.skipped.push(path.to_path_buf());
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads every contract under a registry root, for resolving references from files linted
/// on their own. Contracts that fail to load are skipped here: linting them reports why.
pub fn load_contracts(root: &Path) -> Vec<ContractDocument> {
    let mut files = Vec::new();
    if walk(root, &mut files).is_err() {
        return Vec::new();
    }
    files
        .iter()
        .filter_map(|f| read_within(f, root).and_then(Document::parse).ok())
        .filter(|d| looks_like_contract(&d.root))
        .filter_map(|d| odcs::load_document(d).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary folder (core has no tempfile dependency).
    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("contrakt-within-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("registry/templates")).unwrap();
        dir
    }

    #[test]
    fn paths_inside_the_registry_resolve_and_paths_out_of_it_are_refused() {
        let dir = scratch("lexical");
        let root = dir.join("registry");
        assert_eq!(path_within(&root, Path::new("templates/a.yaml")).unwrap(), root.join("templates/a.yaml"));
        assert_eq!(path_within(&root, Path::new("./templates/../b.yaml")).unwrap(), root.join("b.yaml"));
        // Not yet existing (a state file to create) is fine.
        assert_eq!(path_within(&root, Path::new(".contrakt/alerts.db")).unwrap(), root.join(".contrakt/alerts.db"));
        for (bad, why) in [
            ("../outside.yaml", "climbs out"),
            ("templates/../../outside.yaml", "climbs out"),
            ("/etc/passwd", "absolute"),
            (".", "registry folder itself"),
        ] {
            let e = path_within(&root, Path::new(bad)).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_on_the_way_out_of_the_registry_is_refused_and_one_inside_is_followed() {
        use std::os::unix::fs::symlink;
        let dir = scratch("links");
        let root = dir.join("registry");
        std::fs::write(dir.join("secret"), "s").unwrap();
        symlink(dir.join("secret"), root.join("templates/t.yaml")).unwrap();
        symlink(&dir, root.join("up")).unwrap();
        symlink(dir.join("nowhere"), root.join("dangling.db")).unwrap();
        std::fs::write(root.join("real.yaml"), "x").unwrap();
        symlink(root.join("real.yaml"), root.join("templates/inside.yaml")).unwrap();
        for bad in ["templates/t.yaml", "up/secret", "up/new-file.db", "dangling.db"] {
            let e = path_within(&root, Path::new(bad)).unwrap_err();
            assert!(e.contains("symbolic link"), "{bad}: {e}");
        }
        assert!(path_within(&root, Path::new("templates/inside.yaml")).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
