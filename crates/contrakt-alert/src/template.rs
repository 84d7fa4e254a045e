//! Per-channel message templates: a YAML file with `title`, `text` and `html` (each optional),
//! whose `{{placeholder}}`s are filled from the alert; in `html` every value is escaped. The
//! file is read and checked when the configuration is resolved, so a typo in a placeholder
//! fails with its location before any alert is sent.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use contrakt_core::document::{Document, from_node};
use contrakt_core::{Error as CoreError, InputErrorKind};
use serde::Deserialize;

use crate::alert::Alert;
use crate::error::Result;
use crate::message::escape_html;

/// Every placeholder a template may use (`docs/alert-templates.md`).
pub const PLACEHOLDERS: &[&str] = &[
    "title",
    "text",
    "event",
    "audience",
    "severity",
    "status",
    "contract",
    "version",
    "object",
    "where",
    "check",
    "rule",
    "message",
    "value",
    "threshold",
    "checked_at",
    "fingerprint",
    "reproduce",
    "runbook",
    "samples",
];

#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Placeholder(&'static str),
}

/// A loaded template; `None` parts keep contrakt's own.
#[derive(Debug, Clone)]
pub struct Template {
    pub path: PathBuf,
    title: Option<Vec<Piece>>,
    text: Option<Vec<Piece>>,
    html: Option<Vec<Piece>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
}

/// Reads and checks a template file.
pub fn load(path: &Path) -> Result<Template> {
    let source = contrakt_core::registry::read_source(path)?;
    let doc = Document::parse(source.clone())?;
    let invalid = |span, message: String| CoreError::input(InputErrorKind::InvalidConfig, &source, span, message);
    let file: TemplateFile = from_node(&doc.root)
        .map_err(|e| invalid(e.span, format!("invalid alert template: {} (expected title, text, html)", e.message)))?;
    let compile = |key: &str, text: Option<String>| -> Result<Option<Vec<Piece>>> {
        let Some(text) = text else { return Ok(None) };
        let span = doc.root.get(key).map(|n| n.span);
        compile(&text).map(Some).map_err(|m| invalid(span, format!("alert template `{key}`: {m}")).into())
    };
    Ok(Template {
        path: path.to_path_buf(),
        title: compile("title", file.title)?,
        text: compile("text", file.text)?,
        html: compile("html", file.html)?,
    })
}

fn compile(text: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Literal(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("`{{` without its `}}`")?;
        let name = after[..end].trim();
        let known = PLACEHOLDERS
            .iter()
            .find(|p| **p == name)
            .ok_or_else(|| format!("unknown placeholder `{{{{{name}}}}}` (known: {})", PLACEHOLDERS.join(", ")))?;
        pieces.push(Piece::Placeholder(known));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_string()));
    }
    Ok(pieces)
}

impl Template {
    /// The alert with its title and text from the template (placeholders filled from the
    /// alert as contrakt wrote it), and the HTML body when the template has one.
    pub fn apply(&self, alert: &Alert) -> (Alert, Option<String>) {
        let mut out = alert.clone();
        if let Some(t) = &self.title {
            // A title is one line (an email subject, a card header).
            out.title = render(t, alert, false).split_whitespace().collect::<Vec<_>>().join(" ");
        }
        if let Some(t) = &self.text {
            out.text = render(t, alert, false);
        }
        let html = self.html.as_ref().map(|t| render(t, alert, true));
        (out, html)
    }
}

fn render(pieces: &[Piece], alert: &Alert, html: bool) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Literal(s) => out.push_str(s),
            Piece::Placeholder(name) => {
                let v = value(alert, name);
                out.push_str(&if html { escape_html(&v) } else { v });
            }
        }
    }
    out
}

/// A placeholder's value.
pub fn value(alert: &Alert, name: &str) -> String {
    let c = &alert.check;
    match name {
        "title" => alert.title.clone(),
        "text" => alert.text.clone(),
        "event" => alert.event.as_str().into(),
        "audience" => alert.audience_str().into(),
        "severity" => format!("{:?}", alert.severity).to_lowercase(),
        "status" => format!("{:?}", alert.status).to_lowercase(),
        "contract" => alert.contract.id.clone(),
        "version" => alert.contract.version.clone(),
        "object" => c.object.clone(),
        "where" => c.property.as_ref().map_or_else(|| c.object.clone(), |p| format!("{}.{p}", c.object)),
        "check" => format!("{} {}", c.code, c.kind),
        "rule" => c.id.clone(),
        "message" => c.message.clone(),
        "value" => c.value.map(|v| v.to_string()).unwrap_or_default(),
        "threshold" => c.threshold.clone().unwrap_or_default(),
        "checked_at" => alert.checked_at.clone(),
        "fingerprint" => alert.fingerprint.clone(),
        "reproduce" => alert.runbook.reproduce.clone(),
        "runbook" => {
            let mut s = String::new();
            for l in &alert.runbook.links {
                let _ = writeln!(s, "{}: {}", l.label, l.url);
            }
            for (i, step) in alert.runbook.steps.iter().enumerate() {
                let _ = writeln!(s, "{}. {step}", i + 1);
            }
            s
        }
        "samples" => alert.samples.iter().map(crate::message::shown_sample).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}
