//! Thresholds: the ODCS operators and what they mean for a measured number.
//!
//! Decisions the standard leaves open, documented in `docs/check-rules.md`:
//! - `mustBeBetween: [a, b]` is inclusive at both ends (a ≤ v ≤ b), as SQL `BETWEEN`;
//!   `mustNotBeBetween: [a, b]` is its complement (v < a or v > b).
//! - A range is taken as written: reversed (`[10, 1]`, lint L204) it matches nothing, and
//!   `mustNotBeBetween` then matches everything.
//! - Comparison is on f64; counts up to 2^53 compare exactly.

use serde_json::Value as Json;

use crate::odcs::{Operator, QualityRule};

/// What a measured value must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub op: Operator,
    /// One value, or two for the range operators (as written: low, high).
    pub values: Vec<f64>,
}

impl Threshold {
    pub const fn zero() -> Threshold {
        Threshold { op: Operator::MustBe, values: Vec::new() }
    }

    /// `mustBe: 0`, the threshold of every property constraint (Q2xx).
    pub fn must_be_zero() -> Threshold {
        Threshold { op: Operator::MustBe, values: vec![0.0] }
    }

    pub fn new(op: Operator, values: Vec<f64>) -> Threshold {
        Threshold { op, values }
    }

    /// A range written with its larger bound first (lint L204): it matches nothing.
    pub fn is_reversed(&self) -> bool {
        matches!((self.op.is_range(), self.values.as_slice()), (true, [a, b]) if a > b)
    }

    /// The threshold a quality rule sets, or why it has none usable. Rules without an operator
    /// (linted as L201) get `fallback`.
    pub fn of_rule(rule: &QualityRule, fallback: Threshold) -> Result<Threshold, String> {
        let ops = rule.operators();
        let Some((op, value)) = ops.first() else { return Ok(fallback) };
        if ops.len() > 1 {
            return Err(format!(
                "the rule sets {} operators ({}); ODCS allows one",
                ops.len(),
                ops.iter().map(|(o, _)| o.key()).collect::<Vec<_>>().join(", ")
            ));
        }
        let values = numbers(value).ok_or_else(|| {
            format!(
                "`{}` must be {}, found {value}",
                op.key(),
                if op.is_range() { "a list of two numbers" } else { "a number" }
            )
        })?;
        match (op.is_range(), values.len()) {
            (true, 2) | (false, 1) => Ok(Threshold::new(*op, values)),
            (true, n) => Err(format!("`{}` takes two numbers, found {n}", op.key())),
            (false, _) => Err(format!("`{}` takes one number, found a list", op.key())),
        }
    }

    /// Does `v` satisfy the threshold?
    pub fn holds(&self, v: f64) -> bool {
        match (self.op, self.values.as_slice()) {
            (Operator::MustBe, [t]) => v == *t,
            (Operator::MustNotBe, [t]) => v != *t,
            (Operator::MustBeGreaterThan, [t]) => v > *t,
            (Operator::MustBeGreaterOrEqualTo, [t]) => v >= *t,
            (Operator::MustBeLessThan, [t]) => v < *t,
            (Operator::MustBeLessOrEqualTo, [t]) => v <= *t,
            (Operator::MustBeBetween, [a, b]) => *a <= v && v <= *b,
            (Operator::MustNotBeBetween, [a, b]) => v < *a || v > *b,
            _ => false,
        }
    }

    /// As written in the contract: `mustBeBetween: [900, 1100]`.
    pub fn written(&self) -> String {
        let shown: Vec<String> = self.values.iter().map(|v| format_number(*v)).collect();
        match shown.as_slice() {
            [one] => format!("{}: {one}", self.op.key()),
            many => format!("{}: [{}]", self.op.key(), many.join(", ")),
        }
    }

    /// The same threshold in compact words for reports: `= 0`, `<= 1`, `between 900 and 1100`.
    pub fn short(&self) -> String {
        let v: Vec<String> = self.values.iter().map(|v| format_number(*v)).collect();
        let one = v.first().cloned().unwrap_or_default();
        match self.op {
            Operator::MustBe => format!("= {one}"),
            Operator::MustNotBe => format!("!= {one}"),
            Operator::MustBeGreaterThan => format!("> {one}"),
            Operator::MustBeGreaterOrEqualTo => format!(">= {one}"),
            Operator::MustBeLessThan => format!("< {one}"),
            Operator::MustBeLessOrEqualTo => format!("<= {one}"),
            Operator::MustBeBetween if self.is_reversed() => {
                format!("between {} and {} (a reversed range: nothing is in it, L204)", one, v[1])
            }
            Operator::MustNotBeBetween if self.is_reversed() => {
                format!("not between {} and {} (a reversed range: everything is outside it, L204)", one, v[1])
            }
            Operator::MustBeBetween => format!("between {} and {}", one, v.get(1).cloned().unwrap_or_default()),
            Operator::MustNotBeBetween => {
                format!("not between {} and {}", one, v.get(1).cloned().unwrap_or_default())
            }
        }
    }
}

/// A number, or a list of numbers (numeric strings accepted: YAML authors quote them).
fn numbers(v: &Json) -> Option<Vec<f64>> {
    fn one(v: &Json) -> Option<f64> {
        match v {
            Json::Number(n) => n.as_f64(),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    match v {
        Json::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|n| vec![n]),
    }
}

/// `3` rather than `3.0`; up to 6 decimals otherwise.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn rule(key: &str, v: Json) -> QualityRule {
        let mut r = QualityRule::default();
        match key {
            "mustBe" => r.must_be = Some(v),
            "mustNotBe" => r.must_not_be = Some(v),
            "mustBeGreaterThan" => r.must_be_greater_than = Some(v),
            "mustBeGreaterOrEqualTo" => r.must_be_greater_or_equal_to = Some(v),
            "mustBeLessThan" => r.must_be_less_than = Some(v),
            "mustBeLessOrEqualTo" => r.must_be_less_or_equal_to = Some(v),
            "mustBeBetween" => r.must_be_between = Some(v),
            "mustNotBeBetween" => r.must_not_be_between = Some(v),
            _ => unreachable!(),
        }
        r
    }

    fn holds(key: &str, v: Json, x: f64) -> bool {
        Threshold::of_rule(&rule(key, v), Threshold::must_be_zero()).unwrap().holds(x)
    }

    #[test]
    fn every_operator_at_and_around_its_bounds() {
        assert!(holds("mustBe", json!(0), 0.0) && !holds("mustBe", json!(0), 1.0));
        assert!(holds("mustNotBe", json!(0), 1.0) && !holds("mustNotBe", json!(0), 0.0));
        assert!(holds("mustBeGreaterThan", json!(10), 11.0) && !holds("mustBeGreaterThan", json!(10), 10.0));
        assert!(holds("mustBeGreaterOrEqualTo", json!(10), 10.0) && !holds("mustBeGreaterOrEqualTo", json!(10), 9.9));
        assert!(holds("mustBeLessThan", json!(5), 4.0) && !holds("mustBeLessThan", json!(5), 5.0));
        assert!(holds("mustBeLessOrEqualTo", json!(5), 5.0) && !holds("mustBeLessOrEqualTo", json!(5), 5.1));
        // Inclusive at both ends.
        for x in [1.0, 5.0, 10.0] {
            assert!(holds("mustBeBetween", json!([1, 10]), x), "{x}");
            assert!(!holds("mustNotBeBetween", json!([1, 10]), x), "{x}");
        }
        for x in [0.9, 10.1] {
            assert!(!holds("mustBeBetween", json!([1, 10]), x), "{x}");
            assert!(holds("mustNotBeBetween", json!([1, 10]), x), "{x}");
        }
        // A reversed range matches nothing, as lint L204 says; its negation everything.
        for x in [0.0, 1.0, 5.0, 10.0, 11.0] {
            assert!(!holds("mustBeBetween", json!([10, 1]), x), "{x}");
            assert!(holds("mustNotBeBetween", json!([10, 1]), x), "{x}");
        }
        // Quoted numbers are numbers.
        assert!(holds("mustBe", json!("0"), 0.0));
    }

    #[test]
    fn unusable_thresholds_say_why() {
        let fallback = Threshold::must_be_zero();
        let err = |r: QualityRule| Threshold::of_rule(&r, fallback.clone()).unwrap_err();
        assert!(err(rule("mustBe", json!("lots"))).contains("must be a number"));
        assert!(err(rule("mustBeBetween", json!([1]))).contains("takes two numbers, found 1"));
        assert!(err(rule("mustBe", json!([1, 2]))).contains("takes one number"));
        let mut two = rule("mustBe", json!(0));
        two.must_be_less_than = Some(json!(3));
        assert!(err(two).contains("2 operators"));
        assert_eq!(Threshold::of_rule(&QualityRule::default(), fallback.clone()).unwrap(), fallback);
    }

    #[test]
    fn written_forms() {
        assert_eq!(
            Threshold::new(Operator::MustBeBetween, vec![900.0, 1100.0]).written(),
            "mustBeBetween: [900, 1100]"
        );
        assert_eq!(Threshold::new(Operator::MustBeLessOrEqualTo, vec![0.5]).short(), "<= 0.5");
        assert_eq!(format_number(1.0 / 3.0), "0.333333");
    }

    proptest! {
        // A range and its negation partition the line; so do each comparison and its opposite.
        #[test]
        fn complements_partition(a in -1e6f64..1e6, b in -1e6f64..1e6, x in -1e6f64..1e6) {
            let between = Threshold::new(Operator::MustBeBetween, vec![a, b]);
            let not_between = Threshold::new(Operator::MustNotBeBetween, vec![a, b]);
            prop_assert!(between.holds(x) != not_between.holds(x));
            let pairs = [
                (Operator::MustBe, Operator::MustNotBe),
                (Operator::MustBeGreaterThan, Operator::MustBeLessOrEqualTo),
                (Operator::MustBeLessThan, Operator::MustBeGreaterOrEqualTo),
            ];
            for (p, q) in pairs {
                prop_assert!(Threshold::new(p, vec![a]).holds(x) != Threshold::new(q, vec![a]).holds(x));
            }
        }
    }
}
