//! Reads the common SQL/Spark/Arrow spellings of `physicalType` (`varchar(18)`,
//! `decimal(12,2)`, `timestamp with time zone`, `array<string>`, `map<string,int>`) into IR types.

use super::{DataType, Field, TimeUnit};

/// A physical type's IR type and, for character types, its declared maximum length.
#[derive(Debug, Clone, PartialEq)]
pub struct Physical {
    pub data_type: DataType,
    pub max_length: Option<u64>,
}

/// Parses a physical type name; `None` for names contrakt does not know (e.g. `table`).
pub fn parse_physical_type(text: &str) -> Option<Physical> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let (base, args) = split_args(&t);
    let nums: Vec<u64> = args.iter().filter_map(|a| a.trim().parse().ok()).collect();
    let simple = |data_type| Some(Physical { data_type, max_length: None });
    match base.as_str() {
        "tinyint" | "int1" | "byte" | "int8_t" => simple(DataType::int(8)),
        "smallint" | "int2" | "short" | "int16" => simple(DataType::int(16)),
        "int" | "integer" | "int4" | "int32" | "mediumint" | "serial" => simple(DataType::int(32)),
        "bigint" | "int8" | "long" | "int64" | "bigserial" => simple(DataType::int(64)),
        "hugeint" | "int128" => simple(DataType::int(128)),
        "utinyint" | "uint8" => simple(DataType::uint(8)),
        "usmallint" | "uint16" => simple(DataType::uint(16)),
        "uinteger" | "uint32" => simple(DataType::uint(32)),
        "ubigint" | "uint64" => simple(DataType::uint(64)),
        "real" | "float4" | "float32" => simple(DataType::float(32)),
        "float" if nums.first().is_some_and(|p| *p <= 24) => simple(DataType::float(32)),
        "float" | "double" | "double precision" | "float8" | "float64" => simple(DataType::float(64)),
        "decimal" | "numeric" | "number" | "bignumeric" | "dec" => simple(DataType::Decimal {
            precision: nums.first().and_then(|p| u8::try_from(*p).ok()),
            scale: nums.get(1).and_then(|s| i8::try_from(*s).ok()).or(nums.first().map(|_| 0)),
        }),
        "bool" | "boolean" | "bit" => simple(DataType::Boolean),
        "varchar" | "char" | "character" | "character varying" | "nvarchar" | "nchar" | "varchar2" | "nvarchar2"
        | "string" | "text" | "clob" | "tinytext" | "mediumtext" | "longtext" | "bpchar" | "citext" => Some(Physical {
            data_type: DataType::String,
            max_length: nums.first().copied().filter(|_| !matches!(base.as_str(), "text" | "string" | "clob")),
        }),
        "binary" | "varbinary" | "bytea" | "blob" | "bytes" | "longblob" => {
            simple(match (base.as_str(), nums.first()) {
                ("binary", Some(n)) => DataType::FixedBinary { size: u32::try_from(*n).unwrap_or(u32::MAX) },
                _ => DataType::Binary,
            })
        }
        "uuid" | "uniqueidentifier" => simple(DataType::Uuid),
        "json" | "jsonb" | "variant" | "object" | "super" => simple(DataType::Any),
        "date" | "date32" => simple(DataType::Date),
        "time" | "time without time zone" => simple(DataType::Time { unit: unit_of(nums.first()) }),
        "interval" | "duration" => simple(DataType::Duration),
        "timestamp" | "datetime" | "datetime2" | "timestamp without time zone" | "timestamp_ntz" | "smalldatetime" => {
            simple(DataType::Timestamp { unit: unit_of(nums.first()), timezone: Some(false) })
        }
        "timestamptz" | "timestamp with time zone" | "timestamp_tz" | "timestamp_ltz" | "datetimeoffset" => {
            simple(DataType::Timestamp { unit: unit_of(nums.first()), timezone: Some(true) })
        }
        "array" | "list" => {
            let inner = args.first().and_then(|a| parse_physical_type(a))?;
            simple(DataType::List(Box::new(element("item", inner.data_type))))
        }
        "map" => {
            let key = args.first().and_then(|a| parse_physical_type(a))?;
            let value = args.get(1).and_then(|a| parse_physical_type(a))?;
            simple(DataType::Map {
                key: Box::new(element("key", key.data_type)),
                value: Box::new(element("value", value.data_type)),
            })
        }
        "struct" | "row" | "record" => simple(DataType::Struct(Vec::new())),
        _ if base.ends_with("[]") => {
            let inner = parse_physical_type(&t[..t.len() - 2])?;
            simple(DataType::List(Box::new(element("item", inner.data_type))))
        }
        _ => None,
    }
}

fn element(name: &str, data_type: DataType) -> Field {
    Field::new(name, data_type)
}

/// Fractional-second precision (`timestamp(3)`) to a unit; no precision means unknown.
fn unit_of(precision: Option<&u64>) -> Option<TimeUnit> {
    precision.map(|p| match p {
        0 => TimeUnit::Second,
        1..=3 => TimeUnit::Millisecond,
        4..=6 => TimeUnit::Microsecond,
        _ => TimeUnit::Nanosecond,
    })
}

/// `decimal(12, 2)` → ("decimal", ["12", "2"]); `map<string,array<int>>` → ("map", ["string",
/// "array<int>"]); `timestamp(3) with time zone` → ("timestamp with time zone", ["3"]).
fn split_args(t: &str) -> (String, Vec<String>) {
    let Some(open) = t.find(['(', '<']) else { return (t.to_string(), Vec::new()) };
    let close_char = if t.as_bytes()[open] == b'(' { ')' } else { '>' };
    let mut depth = 0usize;
    let mut close = None;
    for (i, c) in t.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '(' | '<' => depth += 1,
            ')' | '>' => {
                depth = depth.saturating_sub(1);
                if depth == 0 && c == close_char {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else { return (t.to_string(), Vec::new()) };
    let inner = &t[open + 1..close];
    let mut args = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '(' | '<' => depth += 1,
            ')' | '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                args.push(inner[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(inner[start..].trim().to_string());
    let base = format!("{}{}", t[..open].trim(), t[close + 1..].trim_end()).trim().to_string();
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    (base, args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ty(s: &str) -> DataType {
        parse_physical_type(s).unwrap_or_else(|| panic!("{s} should parse")).data_type
    }

    #[test]
    fn common_spellings() {
        assert_eq!(ty("BIGINT"), DataType::int(64));
        assert_eq!(ty("int4"), DataType::int(32));
        assert_eq!(ty("decimal(12, 2)"), DataType::Decimal { precision: Some(12), scale: Some(2) });
        assert_eq!(ty("NUMERIC(10)"), DataType::Decimal { precision: Some(10), scale: Some(0) });
        assert_eq!(ty("double precision"), DataType::float(64));
        assert_eq!(ty("float(10)"), DataType::float(32));
        assert_eq!(
            ty("timestamp(3) with time zone"),
            DataType::Timestamp { unit: Some(TimeUnit::Millisecond), timezone: Some(true) }
        );
        assert_eq!(ty("TIMESTAMP_NTZ"), DataType::Timestamp { unit: None, timezone: Some(false) });
        assert_eq!(parse_physical_type("varchar(18)").unwrap().max_length, Some(18));
        assert_eq!(parse_physical_type("text").unwrap().max_length, None);
        assert_eq!(ty("array<string>").to_string(), "list<string>");
        assert_eq!(ty("MAP<STRING, ARRAY<INT>>").to_string(), "map<string, list<int32>>");
        assert_eq!(ty("integer[]").to_string(), "list<int32>");
        assert!(parse_physical_type("table").is_none());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_physical_type(&s);
        }

        #[test]
        fn never_panics_on_bracket_soup(s in "[a-z(<>),0-9 \\[\\]]{0,30}") {
            let _ = parse_physical_type(&s);
        }
    }
}
