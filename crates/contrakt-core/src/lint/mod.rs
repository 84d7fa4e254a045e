//! `contrakt lint`: JSON Schema validation plus semantic rules over contracts and consumers.
//!
//! Entry point: [`lint`] over a [`Workspace`] of parsed documents. Every rule lives in the
//! [`registry`] with a stable code; the checks are grouped by what they look at.

mod consumers;
mod contract;
mod quality;
pub mod registry;
mod schema;

use std::collections::HashSet;
use std::sync::Arc;

use crate::consumer::{self, ConsumerDocument};
use crate::diagnostic::{Finding, Level};
use crate::document::{Document, display_pointer};
use crate::odcs::{self, ContractDocument};
use crate::source::{SourceFile, Span};

pub use registry::{RULES, Rule};

/// What to lint, and what to resolve references against.
#[derive(Debug, Default)]
pub struct Workspace {
    /// Contract documents to lint.
    pub contracts: Vec<Document>,
    /// Consumer documents to lint.
    pub consumers: Vec<Document>,
    /// Contracts that are not linted but that consumers and references may point into
    /// (the rest of the registry when only some files were named).
    pub context: Vec<ContractDocument>,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rule codes or names never reported.
    pub ignore: Vec<String>,
}

/// The outcome of a lint run.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The contracts that loaded, for later stages.
    pub contracts: Vec<ContractDocument>,
    pub consumers: Vec<ConsumerDocument>,
}

/// Collects findings for one file.
pub(crate) struct Emitter<'a> {
    file: &'a Arc<SourceFile>,
    out: &'a mut Vec<Finding>,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(file: &'a Arc<SourceFile>, out: &'a mut Vec<Finding>) -> Self {
        Emitter { file, out }
    }

    /// Reports `rule` at `span`; `pointer` is the JSON pointer of the node.
    pub(crate) fn emit(&mut self, rule: &'static Rule, span: Span, pointer: &str, message: String) -> &mut Finding {
        self.emit_at_level(rule, rule.level, span, pointer, message)
    }

    pub(crate) fn emit_at_level(
        &mut self,
        rule: &'static Rule,
        level: Level,
        span: Span,
        pointer: &str,
        message: String,
    ) -> &mut Finding {
        self.out.push(Finding {
            code: rule.code,
            name: rule.name,
            level,
            message,
            file: Some(Arc::clone(self.file)),
            span: Some(span),
            path: Some(display_pointer(pointer)),
            notes: Vec::new(),
            help: None,
            fatal: false,
        });
        self.out.last_mut().expect("just pushed")
    }
}

/// Lints every document of the workspace.
pub fn lint(workspace: Workspace, options: &Options) -> Report {
    let _span =
        tracing::info_span!("lint", contracts = workspace.contracts.len(), consumers = workspace.consumers.len())
            .entered();
    let mut findings = Vec::new();
    let mut contracts = Vec::new();
    for document in workspace.contracts {
        let mut own = Vec::new();
        if let Some(doc) = lint_contract_schema(document, &mut own) {
            contracts.push(doc);
        }
        findings.append(&mut own);
    }
    let every_contract: Vec<&ContractDocument> = contracts.iter().chain(&workspace.context).collect();
    for doc in &contracts {
        let _s = tracing::info_span!("rules", file = doc.source().name()).entered();
        contract::check(doc, &every_contract, &mut findings);
        quality::check(doc, &mut findings);
    }
    contract::check_unique_contract_ids(&contracts, &mut findings);

    let mut consumers = Vec::new();
    for document in workspace.consumers {
        let source = Arc::clone(&document.source);
        match consumer::load_document(document) {
            Ok(c) => consumers.push(c),
            Err(error) => consumers::report_invalid(&source, &error, &mut findings),
        }
    }
    consumers::check(&consumers, &every_contract, &mut findings);

    let ignored: HashSet<&str> = options.ignore.iter().filter_map(|s| registry::find(s).map(|r| r.code)).collect();
    findings.retain(|f| f.fatal || !ignored.contains(f.code));
    sort(&mut findings);
    Report { findings, contracts, consumers }
}

/// Header, JSON Schema and typed load of one contract. Returns the typed contract when it loads.
fn lint_contract_schema(document: Document, out: &mut Vec<Finding>) -> Option<ContractDocument> {
    let source = Arc::clone(&document.source);
    let version = match odcs::check_header(&document) {
        Ok(version) => version,
        Err(e) => {
            out.extend(Finding::from_error(&e, Some(source.name())));
            return None;
        }
    };
    let before = out.len();
    {
        let _s = tracing::info_span!("json_schema", file = source.name()).entered();
        schema::check(&document.root, version, &mut Emitter::new(&source, out));
    }
    let _s = tracing::info_span!("model", file = source.name()).entered();
    match odcs::type_document(document, version) {
        Ok(doc) => Some(doc),
        Err(e) => {
            // The schema explains a rejected value best; report the model's error only when
            // the schema found nothing (the model is stricter somewhere).
            if out.len() == before {
                out.extend(Finding::from_error(&e, Some(source.name())));
            }
            None
        }
    }
}

/// Findings in a stable order: by file, position, then code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.file_name(), a.span.map(|s| s.start), a.code, &a.message).cmp(&(
            b.file_name(),
            b.span.map(|s| s.start),
            b.code,
            &b.message,
        ))
    });
}
#[cfg(test)]
mod tests;
