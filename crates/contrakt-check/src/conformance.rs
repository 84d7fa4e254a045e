//! Schema conformance (Q101–Q103): the dataset's Arrow schema against the contract's Schema IR,
//! judged on the diff's type lattice.

use std::collections::BTreeSet;

use datafusion::arrow::datatypes::{DataType as Arrow, Field as ArrowField, Fields, Schema as ArrowSchema};

use contrakt_core::Level;
use contrakt_core::diff::lattice::widens;
use contrakt_core::expect::registry::{COLUMN_PRESENT, COLUMN_TYPE, EXTRA_COLUMN};
use contrakt_core::expect::{CheckKind, CheckResult, Status};
use contrakt_core::ir::{self, DataType, Field, Object};
use contrakt_core::odcs::ContractDocument;

pub use contrakt_formats::arrow::ir_type;

/// A column found in the data for a contract property.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Names as the data spells them, from the top-level column down.
    pub path: Vec<String>,
    pub data_type: Arrow,
    /// Found only by ignoring case.
    pub case_differs: bool,
}

/// Finds a property's column by its physical path: exact names first, then ignoring case.
pub fn resolve(schema: &ArrowSchema, physical: &[String]) -> Option<Column> {
    let mut fields: &Fields = schema.fields();
    let mut path = Vec::new();
    let mut case_differs = false;
    let mut found: Option<&ArrowField> = None;
    for name in physical {
        let f = fields
            .iter()
            .find(|f| f.name() == name)
            .or_else(|| {
                let f = fields.iter().find(|f| f.name().eq_ignore_ascii_case(name));
                case_differs |= f.is_some();
                f
            })?
            .as_ref();
        path.push(f.name().clone());
        found = Some(f);
        fields = match f.data_type() {
            Arrow::Struct(children) => children,
            _ => &EMPTY,
        };
    }
    found.map(|f| Column { path, data_type: f.data_type().clone(), case_differs })
}

static EMPTY: std::sync::LazyLock<Fields> = std::sync::LazyLock::new(Fields::empty);

/// Text types of SQL dialects: a contract whose `physicalType` is one of these stores any
/// logical type (a time, a date) as text, so a text column is what it promises.
pub fn physical_is_text(physical: Option<&str>) -> bool {
    let Some(p) = physical else { return false };
    let base = p.trim().to_ascii_lowercase();
    let base = base.split('(').next().unwrap_or("").trim();
    matches!(base, "string" | "text" | "varchar" | "char" | "character varying" | "nvarchar" | "character" | "utf8")
}

/// Does data of type `data` read as the contract's `contract` type? `Ok(note)` when it does,
/// `Err((level, why))` when it does not.
/// Array items, map keys and values, and the fields of structs inside them are judged the same
/// way, recursively: a list of int64 does not read as a list of strings.
pub fn judge_type(data: &DataType, contract: &DataType) -> Result<Option<String>, (Level, String)> {
    judge(data, contract, false)
}

/// [`judge_type`]; `nested`: inside an array or map, where a struct's fields have no column.
fn judge(data: &DataType, contract: &DataType, nested: bool) -> Result<Option<String>, (Level, String)> {
    use DataType as T;
    let ok = Ok(None);
    match (data, contract) {
        (_, T::Unknown(_) | T::Any) => ok,
        // Inferred from no values (a CSV with only a header): nothing contradicts the contract.
        (T::Null, _) => Ok(Some("the column holds no values, so any type reads it".into())),
        _ if data == contract => ok,
        (T::String | T::FixedBinary { size: 16 }, T::Uuid) => ok,
        (T::Int { .. }, T::Int { bits: None, .. }) | (T::Float { .. }, T::Float { bits: None }) => ok,
        // ODCS `number` with no format is any number, a decimal one too.
        (T::Int { .. } | T::Decimal { .. }, T::Float { bits: None }) => ok,
        (T::Decimal { .. }, T::Decimal { precision: None, .. }) => ok,
        (T::String, T::String) | (T::Binary, T::Binary) | (T::Date, T::Date) => ok,
        // A struct column's fields are columns of their own (`walk`); a struct inside an array
        // or map has no column, so its fields are judged here.
        (T::Struct(_), T::Struct(_)) if !nested => ok,
        (T::Struct(data), T::Struct(contract)) => {
            let mut notes = Vec::new();
            for c in contract {
                let name = c.physical_name.as_deref().unwrap_or(&c.name);
                let found = data
                    .iter()
                    .find(|d| d.name == name)
                    .or_else(|| data.iter().find(|d| d.name.eq_ignore_ascii_case(name)));
                let Some(d) = found else {
                    return Err((Level::Error, format!("field `{name}` is missing")));
                };
                match judge(&d.data_type, &c.data_type, true) {
                    Ok(note) => notes.extend(note.map(|n| format!("field `{name}`: {n}"))),
                    Err((level, why)) => return Err((level, format!("field `{name}`: {why}"))),
                }
            }
            Ok((!notes.is_empty()).then(|| notes.join("; ")))
        }
        (T::List(data), T::List(contract)) => match judge(&data.data_type, &contract.data_type, true) {
            Ok(note) => Ok(note.map(|n| format!("items: {n}"))),
            Err((level, why)) => Err((level, format!("items: {why}"))),
        },
        (T::Map { key: dk, value: dv }, T::Map { key: ck, value: cv }) => {
            let mut notes = Vec::new();
            for (side, d, c) in [("keys", dk, ck), ("values", dv, cv)] {
                match judge(&d.data_type, &c.data_type, true) {
                    Ok(note) => notes.extend(note.map(|n| format!("{side}: {n}"))),
                    Err((level, why)) => return Err((level, format!("{side}: {why}"))),
                }
            }
            Ok((!notes.is_empty()).then(|| notes.join("; ")))
        }
        (T::Timestamp { timezone: dz, .. }, T::Timestamp { timezone: cz, .. }) => match (dz, cz) {
            (Some(false), Some(true)) => Err((
                Level::Warning,
                "the column is a timestamp without time zone; the contract promises time-zone-aware values".into(),
            )),
            (Some(true), Some(false)) => {
                Ok(Some("the column carries a time zone the contract does not ask for".into()))
            }
            _ => ok,
        },
        (T::Time { .. }, T::Time { .. }) => ok,
        (T::Enum { .. } | T::String, T::Enum { .. }) => ok,
        _ => match widens(data, contract) {
            Some(false) => Ok(Some(format!("{} widens to {} without loss", show(data), show(contract)))),
            Some(true) => {
                Err((Level::Warning, format!("{} reads as {} with precision loss", show(data), show(contract))))
            }
            None => Err((Level::Error, format!("{} does not read as {}", show(data), show(contract)))),
        },
    }
}

/// A type in the words a data engineer uses: `int64`, `decimal(12,2)`, `timestamp[us, tz]`.
pub fn show(t: &DataType) -> String {
    use DataType as T;
    match t {
        T::Int { bits: Some(b), signed: true } => format!("int{b}"),
        T::Int { bits: Some(b), signed: false } => format!("uint{b}"),
        T::Int { bits: None, .. } => "integer".into(),
        T::Float { bits: Some(b) } => format!("float{b}"),
        T::Float { bits: None } => "number".into(),
        T::Decimal { precision: Some(p), scale } => format!("decimal({p},{})", scale.unwrap_or(0)),
        T::Decimal { .. } => "decimal".into(),
        T::FixedBinary { size } => format!("fixed_binary({size})"),
        T::Timestamp { timezone: Some(true), .. } => "timestamp with time zone".into(),
        T::Timestamp { .. } => "timestamp".into(),
        T::Unknown(s) => s.clone(),
        T::Null => "null".into(),
        T::Boolean => "boolean".into(),
        T::String => "string".into(),
        T::Binary => "binary".into(),
        T::Uuid => "uuid".into(),
        T::Date => "date".into(),
        T::Time { .. } => "time".into(),
        T::Duration => "duration".into(),
        T::Any => "any".into(),
        T::Struct(_) => "struct".into(),
        T::List(_) => "list".into(),
        T::Map { .. } => "map".into(),
        T::Enum { .. } => "enum".into(),
        T::Union(_) => "union".into(),
    }
}

/// Every field of an object with its logical and physical paths, depth first (struct children
/// only: list items and map values are checked through their parent's type).
pub fn walk(object: &Object) -> Vec<(Vec<String>, Vec<String>, &Field)> {
    let mut out = Vec::new();
    let mut todo: Vec<(Vec<String>, Vec<String>, &Field)> = object
        .fields
        .iter()
        .rev()
        .map(|f| (vec![f.name.clone()], vec![f.physical_name.clone().unwrap_or_else(|| f.name.clone())], f))
        .collect();
    while let Some((names, physical, f)) = todo.pop() {
        if let DataType::Struct(children) = &f.data_type {
            for c in children.iter().rev() {
                let mut n = names.clone();
                n.push(c.name.clone());
                let mut p = physical.clone();
                p.push(c.physical_name.clone().unwrap_or_else(|| c.name.clone()));
                todo.push((n, p, c));
            }
        }
        out.push((names, physical, f));
    }
    out
}

/// Q101–Q103 for one object of `ir`, whose data has `schema`.
pub(crate) fn results(doc: &ContractDocument, ir: &ir::Schema, object: &str, schema: &ArrowSchema) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let Some(ir_object) = ir.object(object) else { return out };
    let mut matched = BTreeSet::new();
    let mk = |kind: &'static CheckKind, names: &[String], field: &ir::Field, severity: Level| CheckResult {
        property: Some(names.join(".")),
        location: doc.locate(field.span),
        ..CheckResult::new(format!("{object}.{}.{}", names.join("."), kind.name), kind, object, Status::Pass, severity)
    };
    for (names, physical, field) in walk(ir_object) {
        let mut present = mk(&COLUMN_PRESENT, &names, field, Level::Error);
        match resolve(schema, &physical) {
            None => {
                present.status = Status::Fail;
                present.message = format!("no column `{}` in the data", physical.join("."));
                out.push(present);
            }
            Some(col) => {
                if names.len() == 1 {
                    matched.insert(col.path[0].clone());
                }
                let absent = names.len() == 1
                    && schema
                        .field_with_name(&col.path[0])
                        .is_ok_and(|f| f.metadata().contains_key(crate::dataset::json::ABSENT));
                present.message = if absent {
                    format!(
                        "none of the records the schema is read from holds `{}`: a JSON record may leave out an optional property, read as null",
                        col.path[0]
                    )
                } else if col.case_differs {
                    format!("found as `{}` (the case differs)", col.path.join("."))
                } else {
                    format!("found `{}`", col.path.join("."))
                };
                out.push(present);
                let data = ir_type(&col.data_type);
                let mut typed = mk(&COLUMN_TYPE, &names, field, Level::Error);
                let text_ok = matches!(data, ir::DataType::String)
                    && physical_is_text(field.metadata.get("physicalType").map(String::as_str));
                let judged = if text_ok {
                    // physicalType is the storage readers get, so it decides the column's type;
                    // a logicalType that disagrees is said, never silently dropped.
                    let physical = &field.metadata["physicalType"];
                    Ok(Some(match &field.data_type {
                        ir::DataType::String | ir::DataType::Uuid | ir::DataType::Enum { .. } => {
                            format!("a string column, as the physicalType `{physical}` says")
                        }
                        logical => format!(
                            "a string column, as the physicalType `{physical}` says; the logicalType ({}) disagrees, and the column's type is taken from the physicalType",
                            show(logical)
                        ),
                    }))
                } else {
                    judge_type(&data, &field.data_type)
                };
                match judged {
                    Ok(note) => {
                        typed.message =
                            note.unwrap_or_else(|| format!("{} matches {}", show(&data), show(&field.data_type)));
                    }
                    Err((level, why)) => {
                        typed.severity = level;
                        typed.status = Status::judged(false, level);
                        typed.message = why;
                    }
                }
                out.push(typed);
            }
        }
    }
    for f in schema.fields() {
        if !matched.contains(f.name()) {
            let mut extra = mk(
                &EXTRA_COLUMN,
                std::slice::from_ref(f.name()),
                &ir::Field::new(f.name().clone(), ir::DataType::Any),
                Level::Info,
            );
            extra.status = Status::Warn;
            extra.message = format!("column `{}` ({}) is not in the contract", f.name(), f.data_type());
            out.push(extra);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use contrakt_core::ir::TimeUnit;
    use datafusion::arrow::datatypes::Field as F;
    use std::sync::Arc;

    #[test]
    fn text_physical_types() {
        assert!(physical_is_text(Some("VARCHAR(16)")) && physical_is_text(Some("string")));
        assert!(!physical_is_text(Some("date")) && !physical_is_text(None));
    }

    #[test]
    fn narrower_data_passes_wider_data_fails() {
        assert!(judge_type(&DataType::int(32), &DataType::int(64)).is_ok());
        let (level, why) = judge_type(&DataType::int(64), &DataType::int(16)).unwrap_err();
        assert_eq!(level, Level::Error);
        assert_eq!(why, "int64 does not read as int16");
        assert!(judge_type(&DataType::String, &DataType::Uuid).is_ok());
        let decimal = DataType::Decimal { precision: Some(10), scale: Some(2) };
        assert_eq!(judge_type(&decimal, &DataType::Float { bits: None }), Ok(None), "a decimal is a number");
        assert!(judge_type(&decimal, &DataType::Float { bits: Some(32) }).is_err(), "but not a float32");
        let tz = DataType::Timestamp { unit: None, timezone: Some(true) };
        let naive = DataType::Timestamp { unit: Some(TimeUnit::Microsecond), timezone: Some(false) };
        assert_eq!(judge_type(&naive, &tz).unwrap_err().0, Level::Warning);
        assert_eq!(
            judge_type(&DataType::Float { bits: Some(64) }, &DataType::Decimal { precision: Some(12), scale: Some(2) })
                .unwrap_err()
                .0,
            Level::Error
        );
    }

    #[test]
    fn array_items_and_nested_fields_are_judged() {
        let list = |t: DataType| DataType::List(Box::new(contrakt_core::ir::Field::new("item", t)));
        let (level, why) = judge_type(&list(DataType::int(64)), &list(DataType::String)).unwrap_err();
        assert_eq!((level, why.as_str()), (Level::Error, "items: int64 does not read as string"));
        assert_eq!(judge_type(&list(DataType::String), &list(DataType::String)), Ok(None));
        assert!(
            judge_type(&list(DataType::int(32)), &list(DataType::int(64))).unwrap().unwrap().starts_with("items: ")
        );
        let item = |fields: Vec<(&str, DataType)>| {
            DataType::Struct(fields.into_iter().map(|(n, t)| contrakt_core::ir::Field::new(n, t)).collect())
        };
        let want = list(item(vec![("sku", DataType::String), ("qty", DataType::int(32))]));
        let wrong = list(item(vec![("sku", DataType::int(64)), ("qty", DataType::int(32))]));
        assert_eq!(judge_type(&wrong, &want).unwrap_err().1, "items: field `sku`: int64 does not read as string");
        let missing = list(item(vec![("SKU", DataType::String)]));
        assert_eq!(judge_type(&missing, &want).unwrap_err().1, "items: field `qty` is missing");
        let ok = list(item(vec![("SKU", DataType::String), ("qty", DataType::int(16)), ("extra", DataType::Boolean)]));
        assert!(judge_type(&ok, &want).is_ok());
        // A struct column's own fields are columns, judged one by one (`walk`), not here.
        assert_eq!(judge_type(&item(vec![]), &item(vec![("x", DataType::String)])), Ok(None));
    }

    #[test]
    fn columns_resolve_exactly_then_ignoring_case_then_nested() {
        let inner = Fields::from(vec![F::new("method", Arrow::Utf8, true)]);
        let schema = ArrowSchema::new(vec![
            Arc::new(F::new("ORDER_ID", Arrow::Utf8, false)),
            Arc::new(F::new("payment", Arrow::Struct(inner), true)),
        ]);
        let c = resolve(&schema, &["order_id".into()]).unwrap();
        assert_eq!((c.path, c.case_differs), (vec!["ORDER_ID".to_string()], true));
        let m = resolve(&schema, &["payment".into(), "method".into()]).unwrap();
        assert_eq!((m.path.join("."), m.data_type), ("payment.method".to_string(), Arrow::Utf8));
        assert_eq!(resolve(&schema, &["missing".into()]), None);
        assert_eq!(resolve(&schema, &["ORDER_ID".into(), "x".into()]), None);
    }
}
