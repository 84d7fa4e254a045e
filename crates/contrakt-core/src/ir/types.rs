//! Logical types of the Schema IR, close to Arrow's.

use std::fmt;

use serde::Serialize;

use super::Field;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

/// A logical type. Widths are `None` where the source does not say (an ODCS `integer`
/// without `format`): the diff treats unknown widths as unknown, not as 64 bits.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DataType {
    Null,
    Boolean,
    Int {
        bits: Option<u8>,
        signed: bool,
    },
    Float {
        bits: Option<u8>,
    },
    Decimal {
        precision: Option<u8>,
        scale: Option<i8>,
    },
    String,
    Binary,
    FixedBinary {
        size: u32,
    },
    Uuid,
    Date,
    Time {
        unit: Option<TimeUnit>,
    },
    /// `timezone: true` when values carry or are normalised to a time zone (timestamptz).
    Timestamp {
        unit: Option<TimeUnit>,
        timezone: Option<bool>,
    },
    Duration,
    /// JSON or variant data: any value.
    Any,
    Struct(Vec<Field>),
    List(Box<Field>),
    Map {
        key: Box<Field>,
        value: Box<Field>,
    },
    /// A set of symbols (Avro, Protobuf enums). `default` is the symbol an Avro reader uses
    /// for unknown symbols; `open` enums (Protobuf 3) accept unknown values.
    Enum {
        symbols: Vec<String>,
        default: Option<String>,
        open: bool,
    },
    /// One of several types (Avro unions, JSON Schema `oneOf`), null excluded: nullability is
    /// the field's.
    Union(Vec<DataType>),
    /// A type contrakt could not interpret, kept verbatim so the diff can still compare it.
    Unknown(String),
}

impl DataType {
    pub const fn int(bits: u8) -> Self {
        DataType::Int { bits: Some(bits), signed: true }
    }

    pub const fn uint(bits: u8) -> Self {
        DataType::Int { bits: Some(bits), signed: false }
    }

    pub const fn float(bits: u8) -> Self {
        DataType::Float { bits: Some(bits) }
    }

    /// The nested fields, for structs (empty otherwise).
    pub fn children(&self) -> &[Field] {
        match self {
            DataType::Struct(fields) => fields,
            _ => &[],
        }
    }

    /// `primitive`, `struct`, `list`, `map`, `union`: a change across kinds is a kind change.
    pub fn kind(&self) -> &'static str {
        match self {
            DataType::Struct(_) => "struct",
            DataType::List(_) => "list",
            DataType::Map { .. } => "map",
            DataType::Union(_) => "union",
            _ => "primitive",
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Null => f.write_str("null"),
            DataType::Boolean => f.write_str("boolean"),
            DataType::Int { bits: Some(b), signed: true } => write!(f, "int{b}"),
            DataType::Int { bits: Some(b), signed: false } => write!(f, "uint{b}"),
            DataType::Int { bits: None, signed: true } => f.write_str("integer"),
            DataType::Int { bits: None, signed: false } => f.write_str("unsigned integer"),
            DataType::Float { bits: Some(b) } => write!(f, "float{b}"),
            DataType::Float { bits: None } => f.write_str("number"),
            DataType::Decimal { precision: Some(p), scale } => write!(f, "decimal({p},{})", scale.unwrap_or(0)),
            DataType::Decimal { precision: None, .. } => f.write_str("decimal"),
            DataType::String => f.write_str("string"),
            DataType::Binary => f.write_str("binary"),
            DataType::FixedBinary { size } => write!(f, "fixed({size})"),
            DataType::Uuid => f.write_str("uuid"),
            DataType::Date => f.write_str("date"),
            DataType::Time { unit } => write!(f, "time{}", unit_suffix(*unit)),
            DataType::Timestamp { unit, timezone } => {
                write!(f, "timestamp{}", unit_suffix(*unit))?;
                match timezone {
                    Some(true) => f.write_str(" with time zone"),
                    Some(false) => f.write_str(" without time zone"),
                    None => Ok(()),
                }
            }
            DataType::Duration => f.write_str("duration"),
            DataType::Any => f.write_str("any"),
            DataType::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, c) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", c.name, c.data_type)?;
                }
                f.write_str(">")
            }
            DataType::List(item) => write!(f, "list<{}>", item.data_type),
            DataType::Map { key, value } => write!(f, "map<{}, {}>", key.data_type, value.data_type),
            DataType::Enum { symbols, .. } => write!(f, "enum[{}]", symbols.join(", ")),
            DataType::Union(types) => {
                f.write_str("union<")?;
                for (i, t) in types.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(">")
            }
            DataType::Unknown(s) => write!(f, "unknown({s})"),
        }
    }
}

fn unit_suffix(unit: Option<TimeUnit>) -> &'static str {
    match unit {
        None => "",
        Some(TimeUnit::Second) => "[s]",
        Some(TimeUnit::Millisecond) => "[ms]",
        Some(TimeUnit::Microsecond) => "[us]",
        Some(TimeUnit::Nanosecond) => "[ns]",
    }
}
