//! Protobuf (`.proto`) → Schema IR, compiled in pure Rust by protox (no `protoc`).
//!
//! - Each top-level message of the file becomes an [`Object`]: `name` is the message name,
//!   `physical_name` the full name `<package>.<Message>`, `kind` `message`.
//! - Fields carry `FieldId::Number(n)`. Message-typed fields are `Struct`s of the message's
//!   fields; a message that refers back to an enclosing message is not expanded again: that
//!   field's type is `DataType::Unknown("ref:<full name>")` with `metadata["recursive"]`.
//! - Nullability follows presence: proto3 singular scalars are not nullable (they read as zero,
//!   recorded as the field's `default`); message fields, proto3 `optional`, proto2 `optional`
//!   and oneof members are nullable; proto2 `required` fields are `required: true` and non-null.
//!   Every other field is `required: false` (a reader fills in a missing field).
//! - `repeated T` → `List<T>`, `map<K, V>` → `Map`; enums → `Enum` with `open: true` for
//!   proto3 enums and `false` for proto2 (closed) enums; value numbers in `Field::proto`.
//! - Well-known types: `Timestamp` → timestamp(ns, UTC), `Duration` → duration, the wrappers
//!   (`Int32Value`, …) → a nullable scalar, `Struct`/`Value`/`ListValue`/`Any` → any,
//!   `Empty` → an empty struct.
//! - The declaration is kept typed in `Field::proto` ([`ProtoFieldFacts`]): the declared type
//!   (`sint32`, `fixed64`, `pkg.Msg`), since the IR type does not keep the wire encoding; for
//!   messages and enums the name relative to the package (`Msg`); the label; an enum's values.
//!   `metadata["oneof"]` names a real oneof.
//! - Every definition of the file (nested and unused messages and enums, reserved numbers and
//!   names, json names, extensions, the package, edition features) is kept in
//!   `Schema::proto_files` for the whole-file comparison buf makes (see `facts`).
//! - `edition = "2023"` files are read through a proto2 rewrite (see `editions`).
//!
//! Pointers are `/messages/Order/fields/2` (0-based declaration index), nested messages
//! `/messages/Order/messages/Line/fields/0`; map keys and values add `/key` and `/value`, list
//! items `/items`. Spans come from the compiler's source info, for the file being read (types
//! from imported files have pointers into their own file and no span).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use contrakt_core::ir::proto::{ProtoFieldFacts, ProtoLabel};
use contrakt_core::ir::{DataType, Expresses, Field, FieldId, Object, RecordModel, Schema, TimeUnit};
use contrakt_core::{SourceFile, Span};
use miette::Diagnostic;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver};
use protox::prost_reflect::{Cardinality, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, Syntax};
use serde_json::Value as Json;

use crate::Format;
use crate::error::{Error, Kind as ErrorKind};
use crate::metadata as meta;
use crate::spans::{escape, offset_of_byte_column};

/// How many folders above the file's own are searched for imports.
const IMPORT_ANCESTORS: usize = 4;
/// Deepest nesting of message types that is lowered.
const MAX_DEPTH: usize = 64;
/// Most fields a schema may expand to (messages are expanded at every use).
const MAX_FIELDS: usize = 100_000;

/// Serves the text being read under its file name, so `load_str` needs no file on disk.
struct MainFile {
    name: String,
    text: String,
}

/// Opens a file's text for the compiler, rewriting an editions file as proto2 (see [`editions`]).
fn from_source(name: &str, text: &str) -> Result<File, protox::Error> {
    match editions::translate(name, text) {
        Some(t) => File::from_source(name, &t.text),
        None => File::from_source(name, text),
    }
}

impl FileResolver for MainFile {
    fn resolve_path(&self, path: &Path) -> Option<String> {
        (path == Path::new(&self.name)).then(|| self.name.clone())
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == self.name { from_source(name, &self.text) } else { Err(protox::Error::file_not_found(name)) }
    }
}

/// Compiles and lowers. `folder`: the file's folder, where imports are looked up (with its
/// parents and the well-known types).
pub(crate) fn load(display: &str, text: &str, folder: Option<&Path>) -> Result<Schema, Error> {
    let source = SourceFile::new(display, text);
    // protox names files by their path relative to an include folder: the bare file name.
    let proto_name = Path::new(display)
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or("input.proto")
        .to_string();
    // Before the compiler: its parser recurses on nesting, and it opens whatever path an
    // import names.
    if let Some(at) = too_deep(text) {
        return Err(Error::too_deep(&source, at, MAX_NESTING));
    }
    check_imports(&source, folder)?;
    let translated = editions::translate(&proto_name, text);
    let mut resolver = ChainFileResolver::new();
    resolver.add(MainFile { name: proto_name.clone(), text: text.to_string() });
    for dir in include_folders(folder) {
        resolver.add(Confined(IncludeFileResolver::new(dir.clone()), dir));
    }
    resolver.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(true).include_imports(true);
    compiler.open_file(&proto_name).map_err(|e| convert_error(&e, &source, &proto_name, folder))?;
    let pool = compiler.descriptor_pool();
    let Some(file) = pool.get_file_by_name(&proto_name) else {
        return Err(Error::at_line(
            ErrorKind::Invalid,
            Format::Protobuf,
            display,
            None,
            None,
            "the compiler produced no descriptor for this file",
        ));
    };
    let mut lower = Lower::new(&file, &source, translated.as_ref());
    let features = facts::Features {
        editions: translated.is_some(),
        written: translated.as_ref().map_or(&[][..], |t| &t.features[..]),
    };
    let facts = facts::collect(display, &file, &lower, &features);
    if translated.is_some() {
        // An editions file reads as proto2, whose enums are closed: openness comes from the features.
        lower.open_enums = Some(facts.enums.iter().filter(|e| !e.closed).map(|e| e.full_name.clone()).collect());
    }
    let mut objects = Vec::new();
    for msg in file.messages() {
        let pointer = message_pointer(&msg);
        let mut stack = vec![msg.full_name().to_string()];
        let fields = lower.fields(&msg, &mut stack, 1)?;
        let location = lower.location(msg.path());
        objects.push(Object {
            name: msg.name().to_string(),
            physical_name: Some(msg.full_name().to_string()),
            id: None,
            kind: Some("message".to_string()),
            fields,
            primary_key: Vec::new(),
            partitioning: Vec::new(),
            foreign_keys: Vec::new(),
            description: location.and_then(|l| l.comment.clone()),
            span: location.map_or(Span::NONE, |l| l.span),
            pointer,
            tags: Vec::new(),
            custom_properties: Default::default(),
            quality: Vec::new(),
            json_schema: None,
        });
    }
    // A file with only enums, extensions, a package or a syntax statement is still compared
    // (buf's file rules); one with no statement at all is no schema.
    const FILE_SYNTAX: i32 = 12;
    let empty = objects.is_empty() && facts.enums.is_empty() && facts.extensions.is_empty();
    if empty && facts.package.is_empty() && lower.location(&[FILE_SYNTAX]).is_none() {
        return Err(Error::at_line(
            ErrorKind::Unsupported,
            Format::Protobuf,
            display,
            None,
            None,
            "the file has no statement (no syntax, package, message, enum or extension)",
        ));
    }
    Ok(Schema {
        source: display.to_string(),
        record_model: RecordModel::ByNumber,
        // Comments, proto2 defaults and packages (as physical names); no keys, constraints,
        // classification or quality.
        expresses: Expresses { descriptions: true, defaults: true, physical_names: true, ..Expresses::NONE },
        qualified_paths: true,
        objects,
        proto_files: vec![facts],
        facts: Default::default(),
    })
}

/// Deepest nesting of braces, brackets and parentheses read (outside strings and comments).
const MAX_NESTING: usize = 64;

/// An include folder that serves only names inside it: an absolute name or one with a `..`
/// step (as an import of an imported file may write) is refused, never opened.
struct Confined(IncludeFileResolver, PathBuf);

impl FileResolver for Confined {
    fn resolve_path(&self, path: &Path) -> Option<String> {
        self.0.resolve_path(path)
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if escapes(name) {
            return Err(protox::Error::new(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("import `{name}` is outside the import folders; contrakt does not read it"),
            )));
        }
        // An imported editions file: read it as the main file is read (the compiler's own
        // reader would reject its `edition` statement).
        if let Ok(text) = std::fs::read_to_string(self.1.join(name))
            && editions::edition(&text).is_some()
        {
            return from_source(name, &text);
        }
        self.0.open_file(name)
    }
}

/// Whether an import names a file outside its include folder: absolute (`/etc/hostname`,
/// `C:\x`), or stepping up with `..`.
fn escapes(name: &str) -> bool {
    let path = Path::new(name);
    name.starts_with(['/', '\\'])
        || name.as_bytes().get(1) == Some(&b':')
        || path.components().any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
        || name.split(['/', '\\']).any(|seg| seg == "..")
}

/// Refuses, at the import statement, any import of the file that names a path outside the
/// folders imports are read from. The named file is never opened.
fn check_imports(source: &Arc<SourceFile>, folder: Option<&Path>) -> Result<(), Error> {
    let text = source.text();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("import") else { continue };
        if !rest.starts_with(char::is_whitespace) && !rest.starts_with(['"', '\'']) {
            continue;
        }
        let mut rest = rest.trim_start();
        for modifier in ["public", "weak"] {
            if let Some(r) = rest.strip_prefix(modifier).filter(|r| r.starts_with(char::is_whitespace)) {
                rest = r.trim_start();
            }
        }
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
        let Some(end) = rest[1..].find(quote) else { continue };
        let name = &rest[1..1 + end];
        if escapes(name) {
            let at = start + (line.len() - rest.len());
            let inside = match folder {
                Some(f) => format!("{} (and the {IMPORT_ANCESTORS} folders above it)", f.display()),
                None => "the well-known google/protobuf/*.proto files".to_string(),
            };
            return Err(Error::at_span(
                ErrorKind::Invalid,
                Format::Protobuf,
                source,
                Some(Span::new(at, at + end + 2)),
                format!(
                    "import `{name}` is outside {inside}: imports resolve only there (no absolute paths, no `..`), so contrakt does not read it"
                ),
            ));
        }
    }
    Ok(())
}

/// The byte offset of the first `{`, `[` or `(` that nests deeper than [`MAX_NESTING`],
/// outside strings and comments.
fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where imports are looked up: the file's folder, then up to [`IMPORT_ANCESTORS`] folders
/// above it, so `import "acme/common/v1/money.proto"` resolves from a `proto/` root too.
fn include_folders(folder: Option<&Path>) -> Vec<PathBuf> {
    let Some(folder) = folder else { return Vec::new() };
    folder.ancestors().take(IMPORT_ANCESTORS + 1).filter(|d| !d.as_os_str().is_empty()).map(Path::to_path_buf).collect()
}

/// A protox error, located in the file being read when it is there.
fn convert_error(e: &protox::Error, source: &Arc<SourceFile>, proto_name: &str, folder: Option<&Path>) -> Error {
    let mut message = e.to_string();
    // Point at the offending place: for "defined twice" errors that is the second label, and a
    // reserved range is context, not the culprit.
    let labels: Vec<miette::LabeledSpan> = e.labels().map(Iterator::collect).unwrap_or_default();
    let is_context = |l: &miette::LabeledSpan| {
        l.label().is_some_and(|t| t.starts_with("first ") || t.ends_with("range defined here"))
    };
    let offset = labels.iter().find(|l| !is_context(l)).or(labels.first()).map(|l| l.offset());
    let first = labels.iter().find(|l| l.label().is_some_and(|t| t.starts_with("first "))).map(|l| l.offset());
    let kind = if e.is_parse() { ErrorKind::Syntax } else { ErrorKind::Invalid };
    if e.is_file_not_found() {
        message.push_str(&match folder {
            Some(f) => format!(
                " (imports are looked up in {}, the {IMPORT_ANCESTORS} folders above it and among the well-known \
                 google/protobuf/*.proto files)",
                f.display()
            ),
            None => {
                " (text read without a folder can import only the well-known google/protobuf/*.proto files)".to_string()
            }
        });
    }
    match e.file() {
        Some(f) if f != proto_name => {
            // An error inside an imported file: locate it in that file's text.
            let file: PathBuf = folder.map_or_else(|| PathBuf::from(f), |d| d.join(f));
            let (line, column) = offset
                .and_then(|o| {
                    let code = e.source_code()?;
                    let contents = code.read_span(&miette::SourceSpan::from((o, 0)), 0, 0).ok()?;
                    Some((contents.line() + 1, contents.column() + 1))
                })
                .unzip();
            Error::at_line(kind, Format::Protobuf, &file.display().to_string(), line, column, message)
        }
        _ => {
            if let Some(first) = first.filter(|f| Some(*f) != offset) {
                message.push_str(&format!(" (first defined at line {})", source.location(first).line));
            }
            Error::at_span(kind, Format::Protobuf, source, offset.map(|o| Span::new(o, o)), message)
        }
    }
}

/// `/messages/Order/messages/Line` for `pkg.Order.Line`.
fn message_pointer(msg: &MessageDescriptor) -> String {
    let full = msg.full_name();
    let package = msg.package_name();
    let relative = if package.is_empty() {
        full
    } else {
        full.strip_prefix(package).and_then(|s| s.strip_prefix('.')).unwrap_or(full)
    };
    relative.split('.').map(|s| format!("/messages/{}", escape(s))).collect()
}

struct Located {
    span: Span,
    comment: Option<String>,
}

struct Lower {
    main: String,
    /// For an editions file, the open enums it defines (see [`editions`]).
    open_enums: Option<std::collections::HashSet<String>>,
    locations: HashMap<Vec<i32>, Located>,
    fields: usize,
    source: Arc<SourceFile>,
}

impl Lower {
    fn new(file: &FileDescriptor, source: &Arc<SourceFile>, translated: Option<&editions::Translated>) -> Self {
        let mut locations = HashMap::new();
        // Source info counts lines and columns in the text the compiler read.
        let compiled = translated.map(|t| SourceFile::new(source.name(), t.text.clone()));
        let read = compiled.as_ref().unwrap_or(source);
        let back = |offset: usize| translated.map_or(offset, |t| t.original(offset));
        if let Some(info) = &file.file_descriptor_proto().source_code_info {
            for loc in &info.location {
                let to_usize = |v: i32| usize::try_from(v).unwrap_or(0);
                let span = match loc.span.as_slice() {
                    [line, start, end] => Span::new(
                        back(offset_of_byte_column(read, to_usize(*line), to_usize(*start))),
                        back(offset_of_byte_column(read, to_usize(*line), to_usize(*end))),
                    ),
                    [line, start, end_line, end] => Span::new(
                        back(offset_of_byte_column(read, to_usize(*line), to_usize(*start))),
                        back(offset_of_byte_column(read, to_usize(*end_line), to_usize(*end))),
                    ),
                    _ => Span::NONE,
                };
                let comment = loc
                    .leading_comments
                    .as_deref()
                    .or(loc.trailing_comments.as_deref())
                    .map(|c| c.lines().map(str::trim).collect::<Vec<_>>().join("\n").trim().to_string())
                    .filter(|c| !c.is_empty());
                locations.entry(loc.path.clone()).or_insert(Located { span, comment });
            }
        }
        Lower { main: file.name().to_string(), open_enums: None, locations, fields: 0, source: Arc::clone(source) }
    }

    fn location(&self, path: &[i32]) -> Option<&Located> {
        self.locations.get(path)
    }

    fn limit(&self, pointer: &str, message: String) -> Error {
        Error::at_line(
            ErrorKind::Unsupported,
            Format::Protobuf,
            self.source.name(),
            None,
            None,
            format!("{message} (at {pointer})"),
        )
    }

    fn fields(&mut self, msg: &MessageDescriptor, stack: &mut Vec<String>, depth: usize) -> Result<Vec<Field>, Error> {
        let base = message_pointer(msg);
        let local = msg.parent_file().name() == self.main;
        msg.fields()
            .enumerate()
            .map(|(i, fd)| self.field(&fd, format!("{base}/fields/{i}"), local, stack, depth))
            .collect()
    }

    fn field(
        &mut self,
        fd: &FieldDescriptor,
        pointer: String,
        local: bool,
        stack: &mut Vec<String>,
        depth: usize,
    ) -> Result<Field, Error> {
        self.fields += 1;
        if self.fields > MAX_FIELDS {
            return Err(self.limit(
                &pointer,
                format!("the schema expands to more than {MAX_FIELDS} fields (messages are expanded at every use)"),
            ));
        }
        let (span, comment) = match self.location(fd.path()).filter(|_| local) {
            Some(l) => (l.span, l.comment.clone()),
            None => (Span::NONE, None),
        };
        let proto = fd.field_descriptor_proto();
        let mut metadata = BTreeMap::new();
        let mut facts = None;
        let (data_type, nullable) = if fd.is_map() {
            let Kind::Message(entry) = fd.kind() else {
                return Err(self.limit(&pointer, "a map field without a map entry type".to_string()));
            };
            let key =
                self.element("key", &entry.map_entry_key_field(), format!("{pointer}/key"), span, stack, depth)?;
            let value =
                self.element("value", &entry.map_entry_value_field(), format!("{pointer}/value"), span, stack, depth)?;
            (DataType::Map { key: Box::new(key), value: Box::new(value) }, false)
        } else if fd.is_list() {
            let item = self.element("item", fd, format!("{pointer}/items"), span, stack, depth)?;
            // The list keeps the declaration too, labelled `repeated`.
            let mut declared = item.proto.as_deref().cloned().unwrap_or_default();
            declared.label = Some(ProtoLabel::Repeated);
            facts = Some(declared);
            (DataType::List(Box::new(item)), false)
        } else {
            let (t, m, mut declared) = self.kind(fd.kind(), &pointer, stack, depth)?;
            metadata.extend(m);
            if fd.is_required() {
                declared.label = Some(ProtoLabel::Required);
            } else if proto.proto3_optional() || fd.parent_file().syntax() == Syntax::Proto2 {
                declared.label = Some(ProtoLabel::Optional);
            }
            facts = Some(declared);
            (t, fd.supports_presence() && !fd.is_required())
        };
        if let Some(oneof) = fd.containing_oneof().filter(|o| !o.is_synthetic()) {
            metadata.insert(meta::ONEOF.to_string(), oneof.name().to_string());
        }
        let default = if fd.is_list() || fd.is_map() {
            None
        } else if let Some(d) = proto.default_value.as_deref() {
            Some(declared_default(&fd.kind(), d))
        } else if !fd.supports_presence() {
            zero_value(&fd.kind())
        } else {
            None
        };
        let mut field = Field::new(fd.name(), data_type);
        field.id = Some(FieldId::Number(i64::from(fd.number())));
        field.nullable = nullable;
        field.required = fd.cardinality() == Cardinality::Required;
        field.default = default;
        field.description = comment;
        field.metadata = metadata;
        field.proto = facts.map(Box::new);
        field.span = span;
        field.pointer = pointer;
        Ok(field)
    }

    /// A list item, map key or map value: the field's type without the label.
    fn element(
        &mut self,
        name: &str,
        fd: &FieldDescriptor,
        pointer: String,
        span: Span,
        stack: &mut Vec<String>,
        depth: usize,
    ) -> Result<Field, Error> {
        let (data_type, metadata, declared) = self.kind(fd.kind(), &pointer, stack, depth)?;
        let mut field = Field::new(name, data_type);
        field.nullable = false;
        field.metadata = metadata;
        field.proto = Some(Box::new(declared));
        field.span = span;
        field.pointer = pointer;
        Ok(field)
    }

    fn kind(
        &mut self,
        kind: Kind,
        pointer: &str,
        stack: &mut Vec<String>,
        depth: usize,
    ) -> Result<(DataType, BTreeMap<String, String>, ProtoFieldFacts), Error> {
        let mut metadata = BTreeMap::new();
        let (t, name) = match kind {
            Kind::Double => (DataType::float(64), "double"),
            Kind::Float => (DataType::float(32), "float"),
            Kind::Int32 => (DataType::int(32), "int32"),
            Kind::Int64 => (DataType::int(64), "int64"),
            Kind::Uint32 => (DataType::uint(32), "uint32"),
            Kind::Uint64 => (DataType::uint(64), "uint64"),
            Kind::Sint32 => (DataType::int(32), "sint32"),
            Kind::Sint64 => (DataType::int(64), "sint64"),
            Kind::Fixed32 => (DataType::uint(32), "fixed32"),
            Kind::Fixed64 => (DataType::uint(64), "fixed64"),
            Kind::Sfixed32 => (DataType::int(32), "sfixed32"),
            Kind::Sfixed64 => (DataType::int(64), "sfixed64"),
            Kind::Bool => (DataType::Boolean, "bool"),
            Kind::String => (DataType::String, "string"),
            Kind::Bytes => (DataType::Binary, "bytes"),
            Kind::Enum(e) => {
                let declared = ProtoFieldFacts {
                    type_name: e.full_name().to_string(),
                    local_type: Some(local_name(e.full_name(), e.package_name())),
                    label: None,
                    enum_values: e.values().map(|v| (v.name().to_string(), v.number())).collect(),
                };
                let open = match &self.open_enums {
                    Some(open) if e.parent_file().name() == self.main => open.contains(e.full_name()),
                    _ => e.parent_file().syntax() == Syntax::Proto3,
                };
                let symbols = e.values().map(|v| v.name().to_string()).collect();
                return Ok((DataType::Enum { symbols, default: None, open }, metadata, declared));
            }
            Kind::Message(m) => {
                let full = m.full_name().to_string();
                let declared = ProtoFieldFacts {
                    type_name: full.clone(),
                    local_type: Some(local_name(&full, m.package_name())),
                    ..ProtoFieldFacts::default()
                };
                if let Some(t) = well_known(&full) {
                    return Ok((t, metadata, declared));
                }
                if stack.contains(&full) {
                    metadata.insert(meta::RECURSIVE.to_string(), "true".to_string());
                    return Ok((DataType::Unknown(format!("ref:{full}")), metadata, declared));
                }
                if depth >= MAX_DEPTH {
                    return Err(self.limit(pointer, format!("message types nest deeper than {MAX_DEPTH} levels")));
                }
                stack.push(full);
                let fields = self.fields(&m, stack, depth + 1);
                stack.pop();
                return Ok((DataType::Struct(fields?), metadata, declared));
            }
        };
        Ok((t, metadata, ProtoFieldFacts { type_name: name.to_string(), ..ProtoFieldFacts::default() }))
    }
}

/// A type's full name relative to its package: `Order.Line` for `acme.v1.Order.Line`.
fn local_name(full: &str, package: &str) -> String {
    if package.is_empty() {
        return full.to_string();
    }
    full.strip_prefix(package).and_then(|s| s.strip_prefix('.')).unwrap_or(full).to_string()
}

/// The well-known types that stand for a value rather than a structure.
fn well_known(full_name: &str) -> Option<DataType> {
    Some(match full_name {
        "google.protobuf.Timestamp" => DataType::Timestamp { unit: Some(TimeUnit::Nanosecond), timezone: Some(true) },
        "google.protobuf.Duration" => DataType::Duration,
        "google.protobuf.DoubleValue" => DataType::float(64),
        "google.protobuf.FloatValue" => DataType::float(32),
        "google.protobuf.Int64Value" => DataType::int(64),
        "google.protobuf.UInt64Value" => DataType::uint(64),
        "google.protobuf.Int32Value" => DataType::int(32),
        "google.protobuf.UInt32Value" => DataType::uint(32),
        "google.protobuf.BoolValue" => DataType::Boolean,
        "google.protobuf.StringValue" => DataType::String,
        "google.protobuf.BytesValue" => DataType::Binary,
        "google.protobuf.Struct" | "google.protobuf.Value" | "google.protobuf.ListValue" | "google.protobuf.Any" => {
            DataType::Any
        }
        "google.protobuf.Empty" => DataType::Struct(Vec::new()),
        _ => return None,
    })
}

/// What a reader sees for a proto3 field that was not written.
fn zero_value(kind: &Kind) -> Option<Json> {
    Some(match kind {
        Kind::Double | Kind::Float => Json::from(0.0),
        Kind::Bool => Json::Bool(false),
        Kind::String | Kind::Bytes => Json::String(String::new()),
        Kind::Enum(e) => Json::String(e.default_value().name().to_string()),
        Kind::Message(_) => return None,
        _ => Json::from(0),
    })
}

/// A proto2 `[default = …]` as JSON: numbers and booleans as such, the rest as text.
fn declared_default(kind: &Kind, text: &str) -> Json {
    match kind {
        Kind::Bool => Json::Bool(text == "true"),
        Kind::String | Kind::Bytes | Kind::Enum(_) | Kind::Message(_) => Json::String(text.to_string()),
        _ => match serde_json::from_str::<serde_json::Number>(text) {
            Ok(n) => Json::Number(n),
            Err(_) => Json::String(text.to_string()),
        },
    }
}

impl facts::Locate for Lower {
    fn span(&self, path: &[i32]) -> Option<Span> {
        self.location(path).map(|l| l.span).filter(|s| !s.is_none())
    }
}

mod editions;
mod facts;

#[cfg(test)]
mod tests;
