//! The type lattice: how a value of one type reads as another (breaking-rules.md §10.3).
//! `relate(old, new)` says what a change from `old` to `new` is; verdicts follow from it.

use crate::ir::{DataType, RecordModel, TimeUnit};

/// What changing a field's type from `old` to `new` amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Same,
    /// Every old value reads exactly as the new type (int32 → int64).
    Widened,
    /// Every old value reads as the new type, possibly with precision loss (int64 → float64).
    WidenedLossy,
    /// The inverse of a widening.
    Narrowed,
    /// The same on the wire in this format (Protobuf scalar groups, Avro string ↔ bytes).
    WireEquivalent,
    DecimalWidened,
    /// Any other decimal change: each direction reads only where its (p, s) dominates.
    DecimalChanged {
        backward_ok: bool,
        forward_ok: bool,
    },
    FixedSizeChanged,
    /// primitive ↔ struct/list/map.
    KindChanged,
    MapKeyChanged,
    /// Incomparable primitives.
    Changed,
}

/// Does a reader of `to` read every value of `from`? `Some(lossy)` if so.
pub fn widens(from: &DataType, to: &DataType) -> Option<bool> {
    use DataType::*;
    match (from, to) {
        _ if from == to => Some(false),
        (Int { bits: Some(a), signed: sa }, Int { bits: Some(b), signed: sb }) => match (sa, sb) {
            (true, true) | (false, false) => (a < b).then_some(false),
            // uN fits in int(2N) and wider.
            (false, true) => (*b >= a.saturating_mul(2)).then_some(false),
            (true, false) => None,
        },
        // A known width always fits an unbounded integer of the same signedness.
        (Int { bits: Some(_), signed: sa }, Int { bits: None, signed: sb }) if sa == sb => Some(false),
        (Int { bits, .. }, Decimal { precision: Some(p), scale }) => {
            let needed = match bits {
                Some(8 | 16 | 32) => 10,
                Some(64) => 20,
                _ => return None,
            };
            (*p >= needed && scale.unwrap_or(0) == 0).then_some(false)
        }
        (Int { bits: Some(b), .. }, Float { bits: Some(f) }) => match (b, f) {
            (8 | 16, _) => Some(false),
            (32, 64) => Some(false),
            (32, 32) | (64, _) => Some(true),
            _ => None,
        },
        (Int { .. }, Float { bits: None }) => Some(false),
        (Float { bits: Some(32) }, Float { bits: Some(64) }) => Some(false),
        (Float { bits: Some(_) }, Float { bits: None }) => Some(false),
        (Date, Timestamp { timezone: Some(false) | None, .. }) => Some(false),
        (Timestamp { unit: Some(a), timezone: ta }, Timestamp { unit: Some(b), timezone: tb }) if ta == tb => {
            (unit_rank(*a) < unit_rank(*b)).then_some(false)
        }
        (Time { unit: Some(a) }, Time { unit: Some(b) }) => (unit_rank(*a) < unit_rank(*b)).then_some(false),
        (Uuid, String) => Some(false),
        _ => None,
    }
}

fn unit_rank(u: TimeUnit) -> u8 {
    match u {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 2,
        TimeUnit::Nanosecond => 3,
    }
}

/// Decimal (p, s) → (p', s') reads without loss iff s' ≥ s and p' − s' ≥ p − s.
fn decimal_reads(from: (u8, i8), to: (u8, i8)) -> bool {
    to.1 >= from.1 && i16::from(to.0) - i16::from(to.1) >= i16::from(from.0) - i16::from(from.1)
}

/// Relates two types. Nested types (struct fields, list items, map values) are compared by the
/// caller field by field; here they only need the same kind.
pub fn relate(old: &DataType, new: &DataType, model: RecordModel) -> Relation {
    use DataType::*;
    if old == new {
        return Relation::Same;
    }
    // JSON Schema: the empty schema accepts every value, `false` (spelled `never`) none.
    if model == RecordModel::JsonContentModel {
        match (old, new) {
            (_, Any) => return Relation::Widened,
            (Any, _) => return Relation::Narrowed,
            (Unknown(n), _) if n == "never" => return Relation::Widened,
            (_, Unknown(n)) if n == "never" => return Relation::Narrowed,
            _ => {}
        }
    }
    match (old, new) {
        // A language that leaves the unit unsaid (ODCS `timestamp`, SQL `timestamptz`) says
        // nothing that a stated unit could contradict.
        (Timestamp { unit: None, timezone: a }, Timestamp { timezone: b, .. })
        | (Timestamp { timezone: a, .. }, Timestamp { unit: None, timezone: b })
            if a == b =>
        {
            return Relation::Same;
        }
        (Time { unit: None }, Time { .. }) | (Time { .. }, Time { unit: None }) => return Relation::Same,
        (Struct(_), Struct(_)) | (List(_), List(_)) => return Relation::Same,
        (Map { key: a, .. }, Map { key: b, .. }) => {
            return if a.data_type == b.data_type { Relation::Same } else { Relation::MapKeyChanged };
        }
        (Enum { .. }, Enum { .. }) => return Relation::Same,
        (Union(_), Union(_)) => return Relation::Same,
        _ => {}
    }
    if old.kind() != new.kind() {
        // A union that contains the other type is a union change, judged by branches.
        return Relation::KindChanged;
    }
    if let (Decimal { precision: Some(p1), scale: s1 }, Decimal { precision: Some(p2), scale: s2 }) = (old, new) {
        let (a, b) = ((*p1, s1.unwrap_or(0)), (*p2, s2.unwrap_or(0)));
        let (backward_ok, forward_ok) = (decimal_reads(a, b), decimal_reads(b, a));
        return match (backward_ok, forward_ok) {
            (true, false) => Relation::DecimalWidened,
            (true, true) => Relation::Same,
            (b, f) => Relation::DecimalChanged { backward_ok: b, forward_ok: f },
        };
    }
    if let (FixedBinary { .. }, FixedBinary { .. }) = (old, new) {
        return Relation::FixedSizeChanged;
    }
    if wire_equivalent(old, new, model) {
        return Relation::WireEquivalent;
    }
    match (widens(old, new), widens(new, old)) {
        (Some(false), _) => Relation::Widened,
        (Some(true), _) => Relation::WidenedLossy,
        (None, Some(_)) => Relation::Narrowed,
        (None, None) => Relation::Changed,
    }
}

/// Protobuf scalar groups share an encoding (Confluent `scalarKind`); Avro reads string ↔ bytes.
/// For Protobuf this is the fallback when a field carries no declared type: fields from the
/// Protobuf front end are compared on their declared types (`proto.type`, which tells `sint32`
/// and `fixed32` from `int32`) before the lattice is consulted (`detect.rs`, `proto_type`).
fn wire_equivalent(a: &DataType, b: &DataType, model: RecordModel) -> bool {
    use DataType::*;
    match model {
        RecordModel::ByNameWithDefaults => matches!((a, b), (String, Binary) | (Binary, String)),
        RecordModel::ByNumber => {
            let group = |t: &DataType| match t {
                Int { .. } | Boolean | Enum { .. } => 1,
                String | Binary => 3,
                Float { bits: Some(32) } => 6,
                Float { bits: Some(64) } => 7,
                _ => 0,
            };
            group(a) != 0 && group(a) == group(b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STRICT: RecordModel = RecordModel::ByNameStrict;

    #[test]
    fn the_catalog_examples() {
        assert_eq!(relate(&DataType::int(32), &DataType::int(64), STRICT), Relation::Widened);
        // An unsaid unit (ODCS `timestamp`, SQL `timestamptz`) is not contradicted by a stated one.
        let unsaid = DataType::Timestamp { unit: None, timezone: Some(true) };
        let micros = DataType::Timestamp { unit: Some(TimeUnit::Microsecond), timezone: Some(true) };
        assert_eq!(relate(&unsaid, &micros, STRICT), Relation::Same);
        assert_eq!(relate(&micros, &unsaid, STRICT), Relation::Same);
        let naive = DataType::Timestamp { unit: Some(TimeUnit::Microsecond), timezone: Some(false) };
        assert_ne!(relate(&unsaid, &naive, STRICT), Relation::Same);
        assert_eq!(relate(&DataType::int(64), &DataType::int(32), STRICT), Relation::Narrowed);
        assert_eq!(relate(&DataType::int(64), &DataType::float(64), STRICT), Relation::WidenedLossy);
        assert_eq!(relate(&DataType::int(32), &DataType::float(64), STRICT), Relation::Widened);
        assert_eq!(relate(&DataType::float(64), &DataType::int(64), STRICT), Relation::Narrowed);
        assert_eq!(relate(&DataType::uint(16), &DataType::int(32), STRICT), Relation::Widened);
        assert_eq!(relate(&DataType::uint(32), &DataType::int(32), STRICT), Relation::Changed);
        let dec = |p, s| DataType::Decimal { precision: Some(p), scale: Some(s) };
        assert_eq!(relate(&dec(10, 2), &dec(12, 2), STRICT), Relation::DecimalWidened);
        assert_eq!(relate(&dec(10, 2), &dec(12, 4), STRICT), Relation::DecimalWidened);
        assert_eq!(
            relate(&dec(10, 2), &dec(10, 3), STRICT),
            Relation::DecimalChanged { backward_ok: false, forward_ok: false }
        );
        assert_eq!(relate(&DataType::int(32), &dec(10, 0), STRICT), Relation::Widened);
        assert_eq!(
            relate(&DataType::Date, &DataType::Timestamp { unit: None, timezone: Some(false) }, STRICT),
            Relation::Widened
        );
        assert_eq!(
            relate(&DataType::Date, &DataType::Timestamp { unit: None, timezone: Some(true) }, STRICT),
            Relation::Changed
        );
        assert_eq!(relate(&DataType::String, &DataType::Struct(vec![]), STRICT), Relation::KindChanged);
        assert_eq!(
            relate(&DataType::String, &DataType::Binary, RecordModel::ByNameWithDefaults),
            Relation::WireEquivalent
        );
        assert_eq!(relate(&DataType::String, &DataType::Binary, STRICT), Relation::Changed);
        assert_eq!(relate(&DataType::int(32), &DataType::uint(64), RecordModel::ByNumber), Relation::WireEquivalent);
    }

    fn primitive() -> impl Strategy<Value = DataType> {
        prop_oneof![
            prop::sample::select(vec![8u8, 16, 32, 64]).prop_map(DataType::int),
            prop::sample::select(vec![8u8, 16, 32, 64]).prop_map(DataType::uint),
            prop::sample::select(vec![32u8, 64]).prop_map(DataType::float),
            (1u8..40, 0i8..10).prop_map(|(p, s)| DataType::Decimal { precision: Some(p.max(s as u8)), scale: Some(s) }),
            Just(DataType::String),
            Just(DataType::Date),
            prop::sample::select(vec![
                TimeUnit::Second,
                TimeUnit::Millisecond,
                TimeUnit::Microsecond,
                TimeUnit::Nanosecond
            ])
            .prop_flat_map(
                |u| any::<bool>().prop_map(move |tz| DataType::Timestamp { unit: Some(u), timezone: Some(tz) })
            ),
        ]
    }

    proptest! {
        /// Widening along the lattice is transitive: a ≤ b ≤ c ⇒ a ≤ c.
        #[test]
        fn widening_is_transitive(a in primitive(), b in primitive(), c in primitive()) {
            if widens(&a, &b).is_some() && widens(&b, &c).is_some() {
                prop_assert!(widens(&a, &c).is_some(), "{a} ≤ {b} ≤ {c} but not {a} ≤ {c}");
            }
        }

        /// Swapping old and new swaps widening and narrowing.
        #[test]
        fn relation_is_antisymmetric(a in primitive(), b in primitive()) {
            let forward = relate(&a, &b, STRICT);
            let back = relate(&b, &a, STRICT);
            match forward {
                Relation::Widened | Relation::WidenedLossy => prop_assert_eq!(back, Relation::Narrowed),
                Relation::Same => prop_assert_eq!(back, Relation::Same),
                Relation::DecimalWidened => {
                    let expected = Relation::DecimalChanged { backward_ok: false, forward_ok: true };
                    prop_assert_eq!(back, expected);
                }
                _ => {}
            }
        }
    }
}
