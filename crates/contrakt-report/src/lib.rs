//! One diagnostic model ([`contrakt_core::Finding`]) rendered as text (annotate-snippets) or
//! JSON, and the registry's static HTML site ([`site`]). Renderers are pure: they take findings
//! and return strings.

mod check;
mod ci;
mod diff;
mod json;
pub mod site;
mod text;

pub use check::{
    CHECK_JSON_VERSION, CheckTextOptions, check_to_json, check_to_junit, check_to_markdown, check_to_text,
};
pub use ci::{diff_to_junit, diff_to_sarif};
pub use diff::{diff_to_json, diff_to_markdown, diff_to_text, github_annotations};
pub use json::{JSON_SCHEMA_VERSION, Summary, to_json};
pub use text::{TextOptions, render_text};

/// Output formats for commands that report findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}
