//! The breaking-change engine: a structural diff of two [`Schema`]s into [`Change`]s, each
//! judged per direction by the [`rules`] catalog, then read under a compatibility [`Mode`].
//!
//! A change is detected once; BACKWARD asks whether a reader of the new schema reads old
//! data, FORWARD whether today's readers (the old schema) read new data. Modes compose the two.

mod avro;
pub mod contract;
mod detect;
pub mod gate;
pub mod lattice;
mod proto;
pub mod rules;

use std::fmt;

use serde::Serialize;

pub use detect::diff;
pub use rules::{BreakingRule, CATALOG, Verdict};

use crate::diagnostic::Level;
use crate::ir::Schema;
use crate::path::FieldPath;
use crate::source::Span;

/// Compatibility modes, as in Confluent Schema Registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    None,
    Backward,
    Forward,
    Full,
    BackwardTransitive,
    ForwardTransitive,
    FullTransitive,
}

impl Mode {
    pub const ALL: [Mode; 7] = [
        Mode::None,
        Mode::Backward,
        Mode::Forward,
        Mode::Full,
        Mode::BackwardTransitive,
        Mode::ForwardTransitive,
        Mode::FullTransitive,
    ];

    pub fn checks_backward(self) -> bool {
        matches!(self, Mode::Backward | Mode::Full | Mode::BackwardTransitive | Mode::FullTransitive)
    }

    pub fn checks_forward(self) -> bool {
        matches!(self, Mode::Forward | Mode::Full | Mode::ForwardTransitive | Mode::FullTransitive)
    }

    /// Transitive modes check the new schema against every earlier version, not just the last.
    pub fn is_transitive(self) -> bool {
        matches!(self, Mode::BackwardTransitive | Mode::ForwardTransitive | Mode::FullTransitive)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Backward => "backward",
            Mode::Forward => "forward",
            Mode::Full => "full",
            Mode::BackwardTransitive => "backward-transitive",
            Mode::ForwardTransitive => "forward-transitive",
            Mode::FullTransitive => "full-transitive",
        }
    }

    /// Accepts `full`, `FULL`, `full_transitive`, `FULL-TRANSITIVE`.
    pub fn parse(s: &str) -> Option<Mode> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Mode::ALL.into_iter().find(|m| m.as_str() == norm)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The directions a change breaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Directions {
    pub backward: bool,
    pub forward: bool,
}

impl Directions {
    pub const NONE: Directions = Directions { backward: false, forward: false };

    /// The swap: what the inverse change breaks.
    pub fn swapped(self) -> Directions {
        Directions { backward: self.forward, forward: self.backward }
    }

    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.backward {
            v.push("backward");
        }
        if self.forward {
            v.push("forward");
        }
        v
    }
}

/// One detected difference between two schemas.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub rule: &'static BreakingRule,
    /// Qualified path: object name first (`orders.items[].sku`).
    pub path: FieldPath,
    /// The path as users of this format write it (see [`Schema::qualified_paths`]).
    pub display_path: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub breaks: Directions,
    pub message: String,
    pub old_span: Option<Span>,
    pub new_span: Option<Span>,
    /// For metadata rules whose level depends on the change (classification downgrade).
    pub level: Option<Level>,
    pub hint: Option<String>,
}

impl Change {
    /// Does this change break a direction that `mode` checks?
    pub fn is_breaking(&self, mode: Mode) -> bool {
        (mode.checks_backward() && self.breaks.backward) || (mode.checks_forward() && self.breaks.forward)
    }

    /// The level under `mode`: the rule's level when it breaks the mode (or always, for
    /// metadata and version rules), info otherwise.
    pub fn level_under(&self, mode: Mode) -> Level {
        if let Some(level) = self.level {
            // Protobuf definition rules (buf's) are judged per file, not per reader direction;
            // mode `none` turns compatibility checking off, so they only inform there.
            if mode == Mode::None && self.rule.code.starts_with('P') {
                return Level::Info;
            }
            return level;
        }
        let metadata =
            self.rule.code.starts_with('M') || self.rule.code.starts_with('V') || self.rule.code.starts_with('G');
        if metadata && self.breaks == Directions::NONE {
            return self.rule.level;
        }
        if self.is_breaking(mode) { self.rule.level } else { Level::Info }
    }
}

/// Is `new` compatible with `old` (and, for transitive modes, every earlier version) under `mode`?
/// `history` holds the earlier versions, oldest first, excluding `old`.
pub fn compatible(history: &[&Schema], old: &Schema, new: &Schema, mode: Mode) -> bool {
    against(history, old, mode).iter().all(|s| diff(s, new).iter().all(|c| !c.is_breaking(mode)))
}

/// The versions a mode compares the new schema against: the last one, or all (newest first).
pub fn against<'a>(history: &[&'a Schema], old: &'a Schema, mode: Mode) -> Vec<&'a Schema> {
    if mode.is_transitive() { std::iter::once(old).chain(history.iter().rev().copied()).collect() } else { vec![old] }
}

#[cfg(test)]
mod tests;
