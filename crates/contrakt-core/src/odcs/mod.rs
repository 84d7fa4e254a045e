//! ODCS v3 contracts: the typed model and the loader.

mod model;

use std::sync::Arc;

pub use model::*;

use crate::document::{Document, Node, from_node};
use crate::error::{Error, InputErrorKind, Result};
use crate::source::{SourceFile, Span};

/// The ODCS versions contrakt reads. The JSON Schema used to validate each is bundled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OdcsVersion {
    /// v3.0.0, v3.0.1 and v3.0.2, validated with the v3.0.2 schema.
    V3_0,
    V3_1,
    /// The unreleased v3.2 draft: read where it parses.
    V3_2Draft,
}

impl OdcsVersion {
    pub const SUPPORTED: &'static [&'static str] = &["v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0", "v3.2.0"];

    pub fn parse(api_version: &str) -> Option<Self> {
        match api_version {
            "v3.0.0" | "v3.0.1" | "v3.0.2" => Some(Self::V3_0),
            "v3.1.0" => Some(Self::V3_1),
            "v3.2.0" => Some(Self::V3_2Draft),
            _ => None,
        }
    }
}

/// A loaded contract: the typed model plus the document it came from, so any later finding can
/// point at any node (see [`ContractDocument::span_of`]).
#[derive(Debug, Clone)]
pub struct ContractDocument {
    pub document: Document,
    pub contract: Contract,
    pub version: OdcsVersion,
}

impl ContractDocument {
    pub fn source(&self) -> &Arc<SourceFile> {
        &self.document.source
    }

    /// Where a span starts, as `file:line:column`; `None` for an empty span (a node that was
    /// not written, such as a default).
    pub fn locate(&self, span: Span) -> Option<String> {
        if span.is_none() {
            return None;
        }
        let l = self.source().location(span.start as usize);
        Some(format!("{}:{}:{}", self.source().name(), l.line, l.column))
    }

    /// The span of the node at a JSON pointer, falling back to the nearest existing ancestor.
    pub fn span_of(&self, pointer: &str) -> Span {
        self.document.root.pointer(pointer).0.span
    }
}

/// Is this document an ODCS contract (as opposed to a consumer file, a config file, or
/// unrelated YAML)? Decided by `kind`/`apiVersion`, so a folder walk can sort files.
pub fn looks_like_contract(root: &Node) -> bool {
    root.get("kind").and_then(Node::as_str) == Some("DataContract")
        || root.get("apiVersion").and_then(Node::as_str).is_some_and(|v| v.starts_with("v3.") || v.starts_with("v2."))
}

/// Parses and types a contract. Does not validate against the JSON Schema: `lint` does that,
/// and reports every problem rather than the first.
pub fn load(source: Arc<SourceFile>) -> Result<ContractDocument> {
    load_document(Document::parse(source)?)
}

pub fn load_document(document: Document) -> Result<ContractDocument> {
    let version = check_header(&document)?;
    type_document(document, version)
}

/// Types a document whose header [`check_header`] accepted.
pub fn type_document(document: Document, version: OdcsVersion) -> Result<ContractDocument> {
    let contract: Contract = from_node(&document.root).map_err(|e| {
        let err = Error::input(InputErrorKind::InvalidValue, &document.source, e.span, e.message);
        match e.path {
            Some(p) if !p.is_empty() => err.with_path(p),
            _ => err,
        }
    })?;
    Ok(ContractDocument { document, contract, version })
}

/// Checks that a document is an ODCS contract of a version contrakt reads.
pub fn check_header(document: &Document) -> Result<OdcsVersion> {
    let root = &document.root;
    let file = &document.source;
    if !matches!(root.value, crate::document::Value::Map(_)) {
        return Err(Error::input(
            InputErrorKind::NotAContract,
            file,
            Some(root.span),
            format!(
                "expected a data contract (a mapping with `apiVersion` and `kind: DataContract`), found {}",
                root.kind_name()
            ),
        ));
    }
    let Some(api) = root.get("apiVersion") else {
        return Err(Error::input(
            InputErrorKind::NotAContract,
            file,
            Some(Span::new(root.span.start as usize, root.span.start as usize)),
            "missing `apiVersion`: an ODCS contract starts with `apiVersion: v3.1.0` and `kind: DataContract`",
        ));
    };
    let Some(text) = api.as_str() else {
        return Err(Error::input(
            InputErrorKind::UnsupportedApiVersion,
            file,
            Some(api.span),
            format!("`apiVersion` must be a string such as \"v3.1.0\", found {}", api.kind_name()),
        ));
    };
    OdcsVersion::parse(text).ok_or_else(|| {
        Error::input(
            InputErrorKind::UnsupportedApiVersion,
            file,
            Some(api.span),
            format!("unsupported apiVersion `{text}`; contrakt reads ODCS {}", OdcsVersion::SUPPORTED.join(", ")),
        )
    })
}

impl Contract {
    /// Writes the contract as YAML, leaving out empty values.
    pub fn to_yaml(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        prune(&mut value);
        crate::document::to_yaml(&value)
    }

    /// Every property of every object, depth first, with its JSON pointer.
    pub fn walk_properties(&self) -> Vec<PropertyRef<'_>> {
        let mut out = Vec::new();
        for (i, object) in self.schema.iter().enumerate() {
            let pointer = format!("/schema/{i}");
            for (j, p) in object.properties.iter().enumerate() {
                walk(object, p, format!("{pointer}/properties/{j}"), object.name.clone(), &mut out);
            }
        }
        out
    }

    pub fn object(&self, name: &str) -> Option<&SchemaObject> {
        self.schema.iter().find(|o| o.name == name)
    }
}

/// A property reached by [`Contract::walk_properties`].
#[derive(Debug, Clone)]
pub struct PropertyRef<'a> {
    pub object: &'a SchemaObject,
    pub property: &'a Property,
    /// JSON pointer into the document.
    pub pointer: String,
    /// Dotted field path as consumers write it: `orders.items[].sku`.
    pub path: String,
}

fn walk<'a>(
    object: &'a SchemaObject,
    p: &'a Property,
    pointer: String,
    parent: String,
    out: &mut Vec<PropertyRef<'a>>,
) {
    // Explicit stack: nesting depth is bounded by the parser, but stay iterative anyway.
    let mut todo = vec![(
        p,
        pointer,
        match &p.name {
            Some(n) => format!("{parent}.{n}"),
            None => parent.clone(),
        },
    )];
    while let Some((p, pointer, path)) = todo.pop() {
        let mut children = Vec::new();
        for (j, c) in p.properties.iter().enumerate() {
            let name = c.name.as_deref().unwrap_or("?");
            children.push((c, format!("{pointer}/properties/{j}"), format!("{path}.{name}")));
        }
        if let Some(items) = &p.items {
            let ip = format!("{pointer}/items");
            let ipath = format!("{path}[]");
            for (j, c) in items.properties.iter().enumerate() {
                let name = c.name.as_deref().unwrap_or("?");
                children.push((c, format!("{ip}/properties/{j}"), format!("{ipath}.{name}")));
            }
        }
        out.push(PropertyRef { object, property: p, pointer, path });
        todo.extend(children.into_iter().rev());
    }
}

/// Drops nulls and empty lists from mappings, so written contracts say only what they mean.
fn prune(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)));
            map.values_mut().for_each(prune);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
