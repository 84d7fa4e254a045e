//! The consumer registry: who reads which contract, what they rely on, and where to tell them.
//! One file per consuming application, owned by that team (see `design/consumers.md`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::document::{Document, Node, from_node};
use crate::error::{Error, InputErrorKind, Result};
use crate::source::{SourceFile, Span};

pub const API_VERSION: &str = "contrakt/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub uses: Vec<Use>,
}

/// Where this consumer's alerts go: a channel named in `contrakt.yaml`, or a channel type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    pub channel: String,
    pub target: String,
}

/// One contract this consumer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Use {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    /// The contract's ODCS `id`.
    pub contract: String,
    /// A semver range (`">=1.0.0, <2.0.0"`) this consumer is built against.
    #[serde(default)]
    pub versions: Option<String>,
    #[serde(default)]
    pub criticality: Criticality,
    /// Dotted paths: `orders.amount`, `orders.items[].sku`, `orders.*`, `*`.
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub relies_on: ReliesOn,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criticality {
    Low,
    #[default]
    Medium,
    High,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliesOn {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    /// Quality rule `id`s or names.
    #[serde(default)]
    pub rules: Vec<String>,
    /// SLA property names (`latency`, `freshness`, …).
    #[serde(default)]
    pub sla: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ConsumerDocument {
    pub document: Document,
    pub consumer: Consumer,
}

/// Is this document a consumer file?
pub fn looks_like_consumer(root: &Node) -> bool {
    root.get("kind").and_then(Node::as_str) == Some("Consumer")
}

pub fn load(source: Arc<SourceFile>) -> Result<ConsumerDocument> {
    load_document(Document::parse(source)?)
}

pub fn load_document(document: Document) -> Result<ConsumerDocument> {
    let consumer: Consumer = from_node(&document.root).map_err(|e| {
        let err = Error::input(InputErrorKind::InvalidValue, &document.source, e.span, e.message);
        match e.path {
            Some(p) if !p.is_empty() => err.with_path(p),
            _ => err,
        }
    })?;
    let bad_header = if consumer.api_version != API_VERSION {
        Some((
            "apiVersion",
            format!("consumer files use `apiVersion: {API_VERSION}`, found `{}`", consumer.api_version),
        ))
    } else if consumer.kind != "Consumer" {
        Some(("kind", format!("expected `kind: Consumer`, found `{}`", consumer.kind)))
    } else {
        None
    };
    if let Some((key, message)) = bad_header {
        let span = document.root.get(key).map(|n| n.span);
        return Err(Error::input(InputErrorKind::InvalidValue, &document.source, span, message));
    }
    Ok(ConsumerDocument { document, consumer })
}
