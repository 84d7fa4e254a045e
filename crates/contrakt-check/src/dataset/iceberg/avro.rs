//! A small reader of Avro object container files, as much as Iceberg's manifest lists and
//! manifests need: the writer's schema from the header, blocks uncompressed (`null`) or
//! `deflate`d (Iceberg's default manifest codec, `write.avro.compression-codec=gzip`, as
//! pyiceberg, Spark and iceberg-rust write it), decoded into [`Value`]s by the writer's schema.
//! Other codecs (`zstandard`, `snappy`) are refused by name.
//!
//! The file is someone else's: every length and count is checked against the bytes left,
//! decompression and the number of decoded values are bounded, and schemas nest at most
//! [`MAX_DEPTH`] levels, so a hostile file is an error, never a hang, a huge allocation or a
//! stack overflow. (The `apache-avro` crate would do this too, with some 30 more packages to
//! build; Iceberg's use of Avro is this small.)

use std::collections::HashMap;
use std::io::Read;

use contrakt_formats::AvroPrimitive;

/// How deep a schema nests (records in records, arrays of maps…); Iceberg's manifests need 4.
pub const MAX_DEPTH: usize = 32;
/// Decoded values per file, all blocks together: bounds the time a file of zero-byte items
/// (nulls) with huge counts could take.
pub const MAX_VALUES: usize = 50_000_000;
/// Values kept (not skipped) per file: bounds the memory they take (32 bytes each, besides
/// strings and bytes, which the file's own size bounds).
pub const MAX_KEPT: usize = 4_000_000;
/// Bytes after decompression, all blocks together.
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

/// A decoded Avro datum.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// `int` and `long`.
    Long(i64),
    /// `float` and `double`.
    Double(f64),
    /// `bytes` and `fixed`.
    Bytes(Vec<u8>),
    /// `string` and an `enum`'s symbol.
    Str(String),
    Array(Vec<Value>),
    Map(Vec<(String, Value)>),
    Record(Vec<(String, Value)>),
}

impl Value {
    /// A record's field (a union's branch is already unwrapped).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_long(&self) -> Option<i64> {
        match self {
            Value::Long(v) => Some(*v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Schema {
    Primitive(AvroPrimitive),
    Fixed(usize),
    Enum(Vec<String>),
    Array(Box<Schema>),
    Map(Box<Schema>),
    Union(Vec<Schema>),
    Record(Vec<(String, Schema)>),
}

/// The records of an object container file, decoded by the schema its header holds. Record
/// fields whose name `keep` refuses are read past and left out (a manifest's column statistics
/// are most of it and of no use here).
pub fn read(bytes: &[u8], keep: &dyn Fn(&str) -> bool) -> Result<Vec<Value>, String> {
    let mut input = Cursor { bytes, pos: 0 };
    if input.take(4)? != b"Obj\x01" {
        return Err("not an Avro object container file".into());
    }
    // The header's metadata: a map of bytes.
    let mut meta: HashMap<String, Vec<u8>> = HashMap::new();
    loop {
        let count = input.block_count()?;
        if count == 0 {
            break;
        }
        for _ in 0..count {
            let key = input.string()?;
            let value = input.bytes()?.to_vec();
            meta.insert(key, value);
        }
    }
    let sync: [u8; 16] = input.take(16)?.try_into().map_err(|_| "short sync marker")?;
    let schema_json = meta.get("avro.schema").ok_or("the file has no avro.schema")?;
    let schema_json: serde_json::Value =
        serde_json::from_slice(schema_json).map_err(|e| format!("its avro.schema is not JSON: {e}"))?;
    let schema = parse_schema(&schema_json, &mut HashMap::new(), 0)?;
    let codec = meta.get("avro.codec").map(|c| String::from_utf8_lossy(c).into_owned());
    let codec = codec.as_deref().unwrap_or("null");

    let mut out = Vec::new();
    let mut budget = Budget { values: MAX_VALUES, kept: MAX_KEPT, decompressed: MAX_DECOMPRESSED, keep };
    while input.pos < bytes.len() {
        let count = input.long()?;
        let size = input.long()?;
        if count < 0 || size < 0 {
            return Err(format!("a block of {count} records in {size} bytes"));
        }
        let data = input.take(size as usize)?;
        let block = decompress(codec, data, &mut budget)?;
        let mut block_input = Cursor { bytes: &block, pos: 0 };
        for _ in 0..count {
            out.push(decode(&schema, &mut block_input, &mut budget, true)?);
        }
        if input.take(16)? != sync {
            return Err("a block does not end with the file's sync marker".into());
        }
    }
    Ok(out)
}

struct Budget<'k> {
    values: usize,
    kept: usize,
    decompressed: u64,
    keep: &'k dyn Fn(&str) -> bool,
}

fn decompress(codec: &str, data: &[u8], budget: &mut Budget<'_>) -> Result<Vec<u8>, String> {
    let limit = budget.decompressed;
    let mut out = Vec::new();
    match codec {
        "null" => out.extend_from_slice(data),
        "deflate" => {
            flate2::read::DeflateDecoder::new(data)
                .take(limit + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("deflate: {e}"))?;
        }
        other => {
            return Err(format!(
                "the Avro codec `{other}` is not one contrakt reads (null, deflate); set the table's write.avro.compression-codec to gzip"
            ));
        }
    }
    if out.len() as u64 > limit {
        return Err(format!("the file decompresses to more than {MAX_DECOMPRESSED} bytes"));
    }
    budget.decompressed -= out.len() as u64;
    Ok(out)
}

fn parse_schema(json: &serde_json::Value, named: &mut HashMap<String, Schema>, depth: usize) -> Result<Schema, String> {
    use serde_json::Value as J;
    if depth > MAX_DEPTH {
        return Err(format!("its schema nests more than {MAX_DEPTH} levels"));
    }
    match json {
        J::String(name) => {
            primitive(name).or_else(|| named.get(name).cloned()).ok_or(format!("unknown Avro type `{name}`"))
        }
        J::Array(branches) => {
            Ok(Schema::Union(branches.iter().map(|b| parse_schema(b, named, depth + 1)).collect::<Result<_, _>>()?))
        }
        J::Object(o) => {
            let kind = o.get("type").ok_or("an Avro schema object without `type`")?;
            let name = o.get("name").and_then(J::as_str);
            let schema = match kind.as_str() {
                Some("record" | "error") => {
                    let fields = o.get("fields").and_then(J::as_array).ok_or("a record without `fields`")?;
                    let mut out = Vec::with_capacity(fields.len().min(1024));
                    for f in fields {
                        let fname = f.get("name").and_then(J::as_str).ok_or("a record field without `name`")?;
                        let ftype = f.get("type").ok_or("a record field without `type`")?;
                        out.push((fname.to_string(), parse_schema(ftype, named, depth + 1)?));
                    }
                    Schema::Record(out)
                }
                Some("enum") => {
                    let symbols = o.get("symbols").and_then(J::as_array).ok_or("an enum without `symbols`")?;
                    Schema::Enum(symbols.iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect())
                }
                Some("array") => Schema::Array(Box::new(parse_schema(
                    o.get("items").ok_or("an array without `items`")?,
                    named,
                    depth + 1,
                )?)),
                Some("map") => Schema::Map(Box::new(parse_schema(
                    o.get("values").ok_or("a map without `values`")?,
                    named,
                    depth + 1,
                )?)),
                Some("fixed") => {
                    let size = o.get("size").and_then(J::as_u64).ok_or("a fixed without `size`")?;
                    Schema::Fixed(usize::try_from(size).map_err(|_| "a fixed too large")?)
                }
                // `{"type": "long", "logicalType": …}` and the like.
                _ => return parse_schema(kind, named, depth + 1),
            };
            if let Some(name) = name {
                named.insert(name.to_string(), schema.clone());
            }
            Ok(schema)
        }
        other => Err(format!("`{other}` is not an Avro schema")),
    }
}

fn primitive(name: &str) -> Option<Schema> {
    AvroPrimitive::parse(name).map(Schema::Primitive)
}

/// One datum; with `keep` false it is read past and `Null` stands for it.
fn decode(schema: &Schema, input: &mut Cursor<'_>, budget: &mut Budget<'_>, keep: bool) -> Result<Value, String> {
    budget.values = budget.values.checked_sub(1).ok_or(format!("the file holds more than {MAX_VALUES} values"))?;
    if keep {
        budget.kept = budget.kept.checked_sub(1).ok_or(format!("the file holds more than {MAX_KEPT} values"))?;
    }
    let value = match schema {
        Schema::Primitive(p) => match p {
            AvroPrimitive::Null => Value::Null,
            AvroPrimitive::Boolean => Value::Bool(input.take(1)?[0] != 0),
            AvroPrimitive::Int | AvroPrimitive::Long => Value::Long(input.long()?),
            AvroPrimitive::Float => {
                Value::Double(f32::from_le_bytes(input.take(4)?.try_into().unwrap_or_default()).into())
            }
            AvroPrimitive::Double => Value::Double(f64::from_le_bytes(input.take(8)?.try_into().unwrap_or_default())),
            AvroPrimitive::Bytes => Value::Bytes(input.bytes()?.to_vec()),
            AvroPrimitive::String => Value::Str(input.string()?),
        },
        Schema::Fixed(n) => Value::Bytes(input.take(*n)?.to_vec()),
        Schema::Enum(symbols) => {
            let i = input.long()?;
            Value::Str(usize::try_from(i).ok().and_then(|i| symbols.get(i)).ok_or(format!("enum index {i}"))?.clone())
        }
        Schema::Union(branches) => {
            let i = input.long()?;
            let branch = usize::try_from(i).ok().and_then(|i| branches.get(i)).ok_or(format!("union branch {i}"))?;
            decode(branch, input, budget, keep)?
        }
        Schema::Record(fields) => {
            let mut out = Vec::new();
            for (name, field) in fields {
                let kept = keep && (budget.keep)(name);
                let value = decode(field, input, budget, kept)?;
                if kept {
                    out.push((name.clone(), value));
                }
            }
            Value::Record(out)
        }
        Schema::Array(items) => {
            let mut out = Vec::new();
            loop {
                let count = input.block_count()?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    let item = decode(items, input, budget, keep)?;
                    if keep {
                        out.push(item);
                    }
                }
            }
            Value::Array(out)
        }
        Schema::Map(values) => {
            let mut out = Vec::new();
            loop {
                let count = input.block_count()?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    let key = input.string()?;
                    let value = decode(values, input, budget, keep)?;
                    if keep {
                        out.push((key, value));
                    }
                }
            }
            Value::Map(out)
        }
    };
    Ok(if keep { value } else { Value::Null })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or_else(|| {
            format!(
                "the file ends early: {n} bytes wanted at offset {}, {} left",
                self.pos,
                self.bytes.len() - self.pos
            )
        })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// A zig-zag varint of at most 10 bytes.
    fn long(&mut self) -> Result<i64, String> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.take(1)?[0];
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        Err("a varint longer than 10 bytes".into())
    }

    /// An array's or map's block count; a negative count is followed by the block's size.
    fn block_count(&mut self) -> Result<u64, String> {
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        Ok(count.unsigned_abs())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.long()?;
        let len = usize::try_from(len).map_err(|_| format!("a negative length {len}"))?;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| "a string that is not UTF-8".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag(v: i64, out: &mut Vec<u8>) {
        let mut n = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn string(s: &str, out: &mut Vec<u8>) {
        zigzag(s.len() as i64, out);
        out.extend_from_slice(s.as_bytes());
    }

    /// An uncompressed container file of `schema` with one block of `count` records `body`.
    fn file(schema: &str, count: i64, body: &[u8]) -> Vec<u8> {
        let mut out = b"Obj\x01".to_vec();
        zigzag(1, &mut out);
        string("avro.schema", &mut out);
        string(schema, &mut out);
        zigzag(0, &mut out);
        let sync = [7u8; 16];
        out.extend_from_slice(&sync);
        zigzag(count, &mut out);
        zigzag(body.len() as i64, &mut out);
        out.extend_from_slice(body);
        out.extend_from_slice(&sync);
        out
    }

    #[test]
    fn records_decode_by_the_writers_schema() {
        let schema = r#"{"type":"record","name":"r","fields":[{"name":"path","type":"string"},{"name":"n","type":["null","long"]},{"name":"tags","type":{"type":"map","values":"int"}}]}"#;
        let mut body = Vec::new();
        string("a.parquet", &mut body);
        zigzag(1, &mut body); // union branch 1: long
        zigzag(-42, &mut body);
        zigzag(1, &mut body); // map block of 1
        string("k", &mut body);
        zigzag(7, &mut body);
        zigzag(0, &mut body);
        let values = read(&file(schema, 1, &body), &|_| true).unwrap();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].get("path").and_then(Value::as_str), Some("a.parquet"));
        assert_eq!(values[0].get("n").and_then(Value::as_long), Some(-42));
        assert_eq!(values[0].get("tags"), Some(&Value::Map(vec![("k".into(), Value::Long(7))])));
    }

    #[test]
    fn hostile_files_are_errors() {
        let nulls = r#"{"type":"array","items":"null"}"#;
        // An array of 2^62 nulls: zero bytes each, stopped by the value budget.
        let mut body = Vec::new();
        zigzag(1 << 62, &mut body);
        let err = read(&file(nulls, 1, &body), &|_| true).unwrap_err();
        assert!(err.contains("more than"), "{err}");
        // A string longer than the file.
        let mut body = Vec::new();
        zigzag(1 << 40, &mut body);
        assert!(read(&file(r#""string""#, 1, &body), &|_| true).unwrap_err().contains("ends early"));
        // More records than the block holds.
        assert!(read(&file(r#""long""#, 1000, &[2]), &|_| true).unwrap_err().contains("ends early"));
        // A schema nested too deep.
        let deep = format!("{}\"long\"{}", r#"{"type":"array","items":"#.repeat(40), "}".repeat(40));
        assert!(read(&file(&deep, 0, &[]), &|_| true).unwrap_err().contains("nests"));
        assert!(read(b"PAR1", &|_| true).is_err());
        assert!(read(&file(r#""nope""#, 0, &[]), &|_| true).unwrap_err().contains("nope"));
    }

    proptest::proptest! {
        /// Whatever the bytes after a valid header, reading ends in a value or an error.
        #[test]
        fn arbitrary_blocks_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), count in -3i64..50) {
            let schema = r#"{"type":"record","name":"r","fields":[{"name":"a","type":["null","string"]},{"name":"b","type":{"type":"array","items":{"type":"map","values":"bytes"}}}]}"#;
            let _ = read(&file(schema, count, &body), &|name| name != "b");
        }
    }
}
