//! Reconciliation (`contraktReconcile`, check Q701): an object compared with another dataset (an
//! object of this contract or of another contract of the registry): row counts, sums and
//! distinct counts within a tolerance, and keys present on one side only. This module reads
//! the declaration; `contrakt-check` plans it over both sources.
//!
//! ```yaml
//! schema:
//!   - name: order_items
//!     customProperties:
//!       - property: contraktReconcile
//!         value:
//!           id: order_items_match_orders
//!           with: orders                       # the other object
//!           distinct: [order_id]               # count(DISTINCT) on both sides
//!           sum: [{column: line_total, with: total_amount}]
//!           rowCount: true
//!           keys: order_id                     # keys on one side only
//!           tolerance: 0.001                   # a fraction (0.1%); 0, exact, by default
//! ```

use serde::Deserialize;
use serde_json::Value as Json;

use crate::odcs::SchemaObject;

/// The `customProperties` name of a reconciliation.
pub const RECONCILE_PROPERTY: &str = "contraktReconcile";

/// One reconciliation, resolved against its object.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconcile {
    /// The rule's `id`, if written.
    pub id: Option<String>,
    /// The other object (by name: this contract's, else the registry's).
    pub with: String,
    pub comparisons: Vec<Comparison>,
    /// Key columns (this object's, the other's) whose values must be on both sides.
    pub keys: Option<(String, String)>,
    /// Allowed difference, as a fraction of the larger side (0: exact). For keys, the allowed
    /// one-sided keys as a fraction of that side's distinct keys.
    pub tolerance: f64,
    pub severity: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// One number measured on both sides.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    RowCount,
    /// `sum` of this object's column and of the other's.
    Sum(String, String),
    /// `count(DISTINCT …)`.
    Distinct(String, String),
}

impl Comparison {
    /// `rows`, `sum(line_total)`, `distinct order_id` (this side's column).
    pub fn label(&self) -> String {
        match self {
            Comparison::RowCount => "rows".into(),
            Comparison::Sum(a, b) if a == b => format!("sum({a})"),
            Comparison::Sum(a, b) => format!("sum({a}) vs sum({b})"),
            Comparison::Distinct(a, b) if a == b => format!("distinct {a}"),
            Comparison::Distinct(a, b) => format!("distinct {a} vs distinct {b}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Raw {
    id: Option<String>,
    with: String,
    #[serde(default)]
    row_count: bool,
    #[serde(default)]
    sum: Vec<Pair>,
    #[serde(default)]
    distinct: Vec<Pair>,
    keys: Option<Pair>,
    #[serde(default)]
    tolerance: f64,
    severity: Option<String>,
    name: Option<String>,
    description: Option<String>,
}

/// A column on both sides: one name for both, or `{column, with}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Pair {
    Same(String),
    Two { column: String, with: String },
}

/// The reconciliations declared on an object, each with its index among the object's
/// `customProperties`, or why one cannot be read.
pub fn declared(object: &SchemaObject) -> Vec<(usize, Result<Reconcile, String>)> {
    let mut out = Vec::new();
    for (k, c) in object.custom_properties.iter().enumerate().filter(|(_, c)| c.property == RECONCILE_PROPERTY) {
        let values = match &c.value {
            Json::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        for v in values {
            out.push((k, read(object, v)));
        }
    }
    out
}

fn read(object: &SchemaObject, v: Json) -> Result<Reconcile, String> {
    let raw: Raw = serde_json::from_value(v).map_err(|e| format!("`{RECONCILE_PROPERTY}` cannot be read: {e}"))?;
    if !(raw.tolerance.is_finite() && (0.0..1.0).contains(&raw.tolerance)) {
        return Err(format!(
            "`{RECONCILE_PROPERTY}` has tolerance {}: write a fraction from 0 (exact) up to, not including, 1 (0.01 is 1%)",
            raw.tolerance
        ));
    }
    let column = |name: &str| -> Result<String, String> {
        object
            .properties
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.physical_name.clone().unwrap_or_else(|| name.to_string()))
            .ok_or_else(|| {
                format!("`{RECONCILE_PROPERTY}` names `{name}`, which is not a property of `{}`", object.name)
            })
    };
    let pair = |p: &Pair| -> Result<(String, String), String> {
        match p {
            Pair::Same(c) => Ok((column(c)?, c.clone())),
            Pair::Two { column: c, with } => Ok((column(c)?, with.clone())),
        }
    };
    let mut comparisons = Vec::new();
    if raw.row_count {
        comparisons.push(Comparison::RowCount);
    }
    for p in &raw.sum {
        let (a, b) = pair(p)?;
        comparisons.push(Comparison::Sum(a, b));
    }
    for p in &raw.distinct {
        let (a, b) = pair(p)?;
        comparisons.push(Comparison::Distinct(a, b));
    }
    let keys = raw.keys.as_ref().map(pair).transpose()?;
    if comparisons.is_empty() && keys.is_none() {
        return Err(format!(
            "`{RECONCILE_PROPERTY}` with `{}` compares nothing: name `rowCount: true`, `sum`, `distinct` or `keys`",
            raw.with
        ));
    }
    Ok(Reconcile {
        id: raw.id,
        with: raw.with,
        comparisons,
        keys,
        tolerance: raw.tolerance,
        severity: raw.severity,
        name: raw.name,
        description: raw.description,
    })
}

/// Does `a` agree with `b` within `tolerance` (a fraction of the larger magnitude)?
pub fn within(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odcs::load;
    use crate::source::SourceFile;

    fn object(value: &str) -> SchemaObject {
        let yaml = format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: urn:x\nversion: 1.0.0\nstatus: active\nschema:\n  - name: items\n    properties:\n      - name: order_id\n      - name: total\n        physicalName: line_total\n    customProperties:\n      - property: contraktReconcile\n        value: {value}\n"
        );
        load(SourceFile::new("c.yaml", yaml)).expect("loads").contract.schema[0].clone()
    }

    #[test]
    fn reads_pairs_keys_and_tolerance() {
        let o = object(
            "{with: orders, rowCount: true, sum: [{column: total, with: amount}], distinct: [order_id], keys: order_id, tolerance: 0.01}",
        );
        let (k, r) = declared(&o).remove(0);
        let r = r.unwrap();
        assert_eq!(k, 0);
        assert_eq!(r.with, "orders");
        assert_eq!(
            r.comparisons,
            [
                Comparison::RowCount,
                Comparison::Sum("line_total".into(), "amount".into()),
                Comparison::Distinct("order_id".into(), "order_id".into())
            ]
        );
        assert_eq!(r.keys, Some(("order_id".into(), "order_id".into())));
        assert_eq!(r.tolerance, 0.01);
        assert_eq!(r.comparisons[1].label(), "sum(line_total) vs sum(amount)");
    }

    #[test]
    fn refuses_what_it_cannot_compare() {
        for (value, says) in [
            ("{with: orders}", "compares nothing"),
            ("{with: orders, distinct: [nope]}", "`nope`, which is not a property of `items`"),
            ("{with: orders, rowCount: true, tolerance: 2}", "tolerance 2"),
            ("{with: orders, rowCount: true, tolerence: 0.1}", "unknown field `tolerence`"),
            ("{rowCount: true}", "missing field `with`"),
        ] {
            let e = declared(&object(value)).remove(0).1.unwrap_err();
            assert!(e.contains(says), "{value}: {e}");
        }
    }

    #[test]
    fn tolerance_is_a_fraction_of_the_larger_side() {
        assert!(within(100.0, 100.0, 0.0) && !within(100.0, 101.0, 0.0));
        assert!(within(1000.0, 990.0, 0.01) && !within(1000.0, 989.0, 0.01));
        assert!(within(0.0, 0.0, 0.0) && within(-5.0, -5.0, 0.0));
    }
}
