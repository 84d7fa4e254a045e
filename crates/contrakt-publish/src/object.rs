//! Publishing under an object-store prefix (`s3://bucket/prefix/`): the folder layout, with
//! the pointer moved by a conditional put instead of a rename.
//!
//! ```text
//! s3://lake/orders/
//!   _published.json                        the pointer, as for a folder
//!   _publish_log/<time>-<event>-<run>.json one object per publish, refusal and rollback (no appends on S3)
//!   v=20261122T060000Z-3f2a/…              each release under its own prefix
//! ```
//!
//! A publish copies the staged objects under `v=<run id>/` (server-side when the staged data is
//! in the same bucket), reads the pointer and its ETag, and writes the new pointer only if the
//! pointer is still that version (`If-Match`; `If-None-Match: *` for the first publish). Of two
//! publishers that read the same pointer, the second to write is refused, deletes its copy and
//! reports a [`Error::Conflict`]; the pointer is never written blindly. A reader reads the
//! pointer, then the objects under its `current` prefix; S3 is strongly consistent, and a
//! release's objects are all written before any pointer names them, so a reader sees a whole
//! release, the old one or the new one.
//!
//! Credentials, region and endpoint come from the environment as for `contrakt check`
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`); they never appear in errors or logs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion, WriteMultipart};
use tracing::Instrument;

use crate::{Error, FAULT_ENV, LOG, POINTER, Pointer, Release, Result};

/// Files larger than this are uploaded in parts, so memory stays bounded.
const SINGLE_PUT: u64 = 16 * 1024 * 1024;
const PART: usize = 8 * 1024 * 1024;

/// Whether a `--to` or `--staged` location is an object-store URL rather than a path.
pub fn is_url(location: &str) -> bool {
    location.contains("://")
}

/// A prefix of a bucket: a published dataset, or staged data.
#[derive(Clone)]
pub struct Prefix {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    /// The prefix inside the bucket, without slashes at either end (empty for the bucket).
    root: String,
    /// `s3://bucket/prefix`, for messages.
    url: String,
}

impl std::fmt::Debug for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Prefix({})", self.url)
    }
}

impl Prefix {
    /// An `s3://bucket/prefix` URL; the connection settings come from the environment.
    pub fn parse(url: &str) -> Result<Prefix> {
        Prefix::parse_with(url, |b| b)
    }

    /// As [`Prefix::parse`], with settings added to the environment's (an endpoint, keys).
    pub fn parse_with(url: &str, configure: impl FnOnce(AmazonS3Builder) -> AmazonS3Builder) -> Result<Prefix> {
        let unsupported = |message: &str| Error::Unsupported { url: url.to_string(), message: message.to_string() };
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(unsupported("contrakt publishes to local folders and s3:// so far"));
        };
        let (bucket, root) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains(['@', ':', '?']) {
            return Err(unsupported("expected s3://bucket/prefix (credentials come from AWS_* variables)"));
        }
        let root = root.trim_matches('/').to_string();
        if root.contains(['?', '#', '*']) {
            return Err(unsupported("a prefix names no query, fragment or glob"));
        }
        let store = configure(AmazonS3Builder::from_env())
            .with_bucket_name(bucket)
            // If-Match / If-None-Match on PutObject: what makes the pointer swap safe.
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .build()
            .map_err(|e| Error::Store { url: url.to_string(), message: format!("S3 configuration: {e}") })?;
        let url = if root.is_empty() { format!("s3://{bucket}") } else { format!("s3://{bucket}/{root}") };
        Ok(Prefix { store: Arc::new(store), bucket: bucket.to_string(), root, url })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn key(&self, rel: &str) -> Key {
        if self.root.is_empty() { Key::from(rel) } else { Key::from(format!("{}/{rel}", self.root)) }
    }

    fn fail(&self) -> impl Fn(object_store::Error) -> Error + '_ {
        |e| Error::Store { url: self.url.clone(), message: e.to_string() }
    }

    /// The pointer and the version of it a conditional put must match.
    pub async fn read_pointer(&self) -> Result<Option<(Pointer, UpdateVersion)>> {
        let key = self.key(POINTER);
        let got = match self.store.get(&key).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.fail()(e)),
        };
        let version = UpdateVersion { e_tag: got.meta.e_tag.clone(), version: got.meta.version.clone() };
        let bytes = got.bytes().await.map_err(self.fail())?;
        let pointer = Pointer::parse(&bytes, Path::new(&format!("{}/{POINTER}", self.url)))?;
        Ok(Some((pointer, version)))
    }

    /// The reader convention: the pointer, then every object under its `current` prefix
    /// (relative name → bytes). `None` when nothing is published.
    pub async fn read_current(&self) -> Result<Option<(String, BTreeMap<String, Vec<u8>>)>> {
        let Some((pointer, _)) = self.read_pointer().await? else { return Ok(None) };
        let files = self.read_release(&pointer.current).await?;
        if files.is_empty() {
            return Err(Error::MissingVersion { path: self.url.clone().into(), version: pointer.current });
        }
        Ok(Some((pointer.current, files)))
    }

    /// The release prefixes (`v=…`) present, in name order, named by a pointer or not.
    pub async fn releases(&self) -> Result<Vec<String>> {
        let prefix = if self.root.is_empty() { None } else { Some(Key::from(self.root.as_str())) };
        let listed = self.store.list_with_delimiter(prefix.as_ref()).await.map_err(self.fail())?;
        let mut out: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().filter(|n| n.starts_with("v=")).map(str::to_string))
            .collect();
        out.sort();
        Ok(out)
    }

    /// Every object of one release (`v=…`), by name relative to it.
    pub async fn read_release(&self, version: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        for (rel, key) in self.list(version).await? {
            let bytes = self.store.get(&key).await.map_err(self.fail())?.bytes().await.map_err(self.fail())?;
            out.insert(rel, bytes.to_vec());
        }
        Ok(out)
    }

    /// The data objects under `sub` (relative name, key), in name order; hidden and
    /// underscore-prefixed names (markers, contrakt's own files) are not data.
    async fn list(&self, sub: &str) -> Result<Vec<(String, Key)>> {
        let base = if sub.is_empty() { self.root.clone() } else { self.key(sub).to_string() };
        let prefix = Key::from(base.as_str());
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await.map_err(self.fail())?;
        let mut out: Vec<(String, Key)> = metas
            .into_iter()
            .filter_map(|m| {
                let rel: Vec<String> = m.location.prefix_match(&prefix)?.map(|p| p.as_ref().to_string()).collect();
                let hidden = rel.iter().any(|p| p.starts_with('.') || p.starts_with('_'));
                (!hidden && !rel.is_empty()).then(|| (rel.join("/"), m.location))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Copies the staged data into `v=<run id>/`, then moves the pointer to it if no other
    /// publish moved it meanwhile.
    pub async fn publish(&self, staged: &Staged, r: &Release<'_>) -> Result<Pointer> {
        let span = tracing::info_span!("publish", target = %self.url, run_id = r.run_id);
        self.publish_in_span(staged, r).instrument(span).await
    }

    async fn publish_in_span(&self, staged: &Staged, r: &Release<'_>) -> Result<Pointer> {
        let name = format!("v={}", r.run_id);
        if !crate::is_release_name(&name) {
            return Err(Error::BadRunId { run_id: r.run_id.to_string() });
        }
        // A pointer with names contrakt would not write refuses the publish before anything moves.
        self.read_pointer().await?;
        let copied = self.copy_in(staged, &name).await;
        match copied {
            Ok(0) => return Err(Error::Empty(staged.to_string().into())),
            Ok(_) => {}
            Err(e) => {
                self.remove_release(&name).await;
                return Err(e);
            }
        }
        if std::env::var(FAULT_ENV).as_deref() == Ok("before-pointer") {
            eprintln!("{FAULT_ENV}=before-pointer: aborting after {name} and before the pointer");
            std::process::abort();
        }

        let previous = match self.read_pointer().await {
            Ok(p) => p,
            Err(e) => {
                // Never named by a pointer: no reader can be on it.
                self.remove_release(&name).await;
                return Err(e);
            }
        };
        wait_at_gate();
        let (mut history, mode) = match &previous {
            Some((p, version)) => {
                let h: Vec<String> = std::iter::once(p.current.clone()).chain(p.history.clone()).collect();
                (h, PutMode::Update(version.clone()))
            }
            None => (vec![], PutMode::Create),
        };
        history.retain(|v| *v != name);
        let pruned: Vec<String> = history.split_off(history.len().min(r.keep.max(1)));
        let pointer = Pointer {
            version: 1,
            current: name.clone(),
            history,
            run_id: r.run_id.to_string(),
            published_at: r.now.to_string(),
            contract: r.contract.to_string(),
            contract_version: r.contract_version.to_string(),
            object: r.object.to_string(),
        };
        if let Err(e) = self.swap_pointer(&pointer, mode).await {
            // Never named by a pointer: no reader can be on it.
            self.remove_release(&name).await;
            return Err(e);
        }
        // Only after the swap, and one publish late: a reader may still be on any release the
        // old pointer listed.
        for old in pruned {
            self.remove_release(&old).await;
        }
        Ok(pointer)
    }

    /// Points back at the previous release, unless another publish or rollback moved the
    /// pointer meanwhile.
    pub async fn rollback(&self, now: &str) -> Result<Pointer> {
        self.rollback_in_span(now).instrument(tracing::info_span!("rollback", target = %self.url)).await
    }

    async fn rollback_in_span(&self, now: &str) -> Result<Pointer> {
        let (current, version) =
            self.read_pointer().await?.ok_or_else(|| Error::NotPublished(self.url.clone().into()))?;
        let Some(pointer) = current.rolled_back(now) else {
            return Err(Error::NothingToRollBack(self.url.clone().into()));
        };
        if self.list(&pointer.current).await?.is_empty() {
            return Err(Error::MissingVersion { path: self.url.clone().into(), version: pointer.current });
        }
        self.swap_pointer(&pointer, PutMode::Update(version)).await?;
        Ok(pointer)
    }

    /// Writes one log entry as its own object (objects cannot be appended to).
    pub async fn log(&self, entry: &serde_json::Value) -> Result<()> {
        let field = |k: &str| entry[k].as_str().unwrap_or("").to_string();
        let at: String = field("at").chars().filter(char::is_ascii_alphanumeric).collect();
        let run = field("run_id");
        let mut name = format!("{at}-{}", field("event"));
        if !run.is_empty() {
            name.push('-');
            name.push_str(&run);
        }
        let key = self.key(&format!("{}/{name}.json", LOG.trim_end_matches(".jsonl")));
        self.store.put(&key, PutPayload::from(format!("{entry}\n"))).await.map_err(self.fail())?;
        Ok(())
    }

    async fn swap_pointer(&self, pointer: &Pointer, mode: PutMode) -> Result<()> {
        let text = serde_json::to_string_pretty(pointer).map_err(|e| Error::CorruptPointer {
            path: format!("{}/{POINTER}", self.url).into(),
            message: e.to_string(),
        })?;
        let key = self.key(POINTER);
        let options = PutOptions { mode, ..PutOptions::default() };
        match self.store.put_opts(&key, PutPayload::from(text), options).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. }) => {
                let now = self.read_pointer().await.ok().flatten().map(|(p, _)| p.current);
                Err(Error::Conflict { url: self.url.clone(), current: now.unwrap_or_else(|| "nothing".into()) })
            }
            Err(e) => Err(self.fail()(e)),
        }
    }

    /// Copies every staged data object under `name/`; returns how many.
    async fn copy_in(&self, staged: &Staged, name: &str) -> Result<usize> {
        match staged {
            Staged::Local(path) => {
                let files = local_files(path)?;
                for (rel, file) in &files {
                    self.upload(file, &self.key(&format!("{name}/{rel}"))).await?;
                }
                Ok(files.len())
            }
            Staged::Object(from) => {
                let objects = from.list("").await?;
                for (rel, key) in &objects {
                    let to = self.key(&format!("{name}/{rel}"));
                    if from.bucket == self.bucket {
                        // Server-side: the bytes never leave the store.
                        self.store.copy(key, &to).await.map_err(self.fail())?;
                    } else {
                        let mut upload = WriteMultipart::new_with_chunk_size(
                            self.store.put_multipart(&to).await.map_err(self.fail())?,
                            PART,
                        );
                        let mut stream = from.store.get(key).await.map_err(from.fail())?.into_stream();
                        while let Some(chunk) = stream.try_next().await.map_err(from.fail())? {
                            upload.wait_for_capacity(4).await.map_err(self.fail())?;
                            upload.put(chunk);
                        }
                        upload.finish().await.map_err(self.fail())?;
                    }
                }
                Ok(objects.len())
            }
        }
    }

    async fn upload(&self, file: &Path, to: &Key) -> Result<()> {
        use std::io::Read;
        let io = |e: std::io::Error| Error::Io { path: file.to_path_buf(), source: e };
        let size = std::fs::metadata(file).map_err(io)?.len();
        if size <= SINGLE_PUT {
            let bytes = std::fs::read(file).map_err(io)?;
            self.store.put(to, PutPayload::from(bytes)).await.map_err(self.fail())?;
            return Ok(());
        }
        let mut upload =
            WriteMultipart::new_with_chunk_size(self.store.put_multipart(to).await.map_err(self.fail())?, PART);
        let mut f = std::fs::File::open(file).map_err(io)?;
        let mut buf = vec![0; PART];
        loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            upload.wait_for_capacity(4).await.map_err(self.fail())?;
            upload.write(&buf[..n]);
        }
        upload.finish().await.map_err(self.fail())?;
        Ok(())
    }

    /// Deletes every object of a release; best effort (what is left is named by no pointer).
    async fn remove_release(&self, name: &str) {
        let prefix = self.key(name);
        let Ok(metas) = self.store.list(Some(&prefix)).try_collect::<Vec<_>>().await else { return };
        for m in metas {
            if let Err(e) = self.store.delete(&m.location).await {
                tracing::warn!(release = name, error = %e, "could not delete an object of a release");
            }
        }
    }
}

/// A test hook for the race between two publishers: `wait-before-pointer:GATE` makes a publish
/// that has read the pointer create `GATE.<pid>` and wait until `GATE` exists before writing.
fn wait_at_gate() {
    let Ok(hook) = std::env::var(FAULT_ENV) else { return };
    let Some(gate) = hook.strip_prefix("wait-before-pointer:") else { return };
    let _ = std::fs::write(format!("{gate}.{}", std::process::id()), "");
    while !Path::new(gate).exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Where the staged data is.
#[derive(Debug, Clone)]
pub enum Staged {
    /// A local folder (its sub-folders, hive partitions included) or one file.
    Local(std::path::PathBuf),
    /// An object-store prefix.
    Object(Prefix),
}

impl std::fmt::Display for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Staged::Local(p) => write!(f, "{}", p.display()),
            Staged::Object(p) => f.write_str(&p.url),
        }
    }
}

/// The data files under a local folder (or the one file), by relative name, as the folder
/// publish copies them.
fn local_files(from: &Path) -> Result<Vec<(String, std::path::PathBuf)>> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| Error::Io { path: p, source: e }
    };
    let meta = std::fs::metadata(from).map_err(io(from))?;
    if meta.is_file() {
        let name = from.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
        return Ok(vec![(name, from.to_path_buf())]);
    }
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), from.to_path_buf())];
    while let Some((rel, dir)) = stack.pop() {
        for e in std::fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let kind = e.file_type().map_err(io(&e.path()))?;
            if kind.is_symlink() {
                return Err(Error::StagedLink(e.path()));
            }
            if kind.is_dir() {
                stack.push((rel, e.path()));
            } else {
                out.push((rel, e.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}
