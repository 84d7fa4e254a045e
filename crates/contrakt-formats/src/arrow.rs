//! Arrow and Parquet: the schema in a Parquet file's footer or an Arrow IPC file (or stream),
//! as one object named after the file. Arrow types say types, nullability and nesting, nothing
//! more: constraints, keys and descriptions are not compared against them.
//!
//! The same type mapping is what the checker uses to compare a dataset's columns with a
//! contract, so a type judged compatible in a diff is judged the same way on the data.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use arrow_schema::{DataType as Arrow, Field as ArrowField, Schema as ArrowSchema, TimeUnit as ArrowUnit};
use contrakt_core::ir::{DataType, Expresses, Field, FieldId, Object, RecordModel, Schema, TimeUnit};

use crate::{Error, Format};

/// Lowers an Arrow type into the IR, so Arrow data and every schema language meet on one
/// lattice. Dictionary and run-end encodings are their value type.
pub fn ir_type(t: &Arrow) -> DataType {
    use Arrow as A;
    match t {
        A::Null => DataType::Null,
        A::Boolean => DataType::Boolean,
        A::Int8 => DataType::int(8),
        A::Int16 => DataType::int(16),
        A::Int32 => DataType::int(32),
        A::Int64 => DataType::int(64),
        A::UInt8 => DataType::uint(8),
        A::UInt16 => DataType::uint(16),
        A::UInt32 => DataType::uint(32),
        A::UInt64 => DataType::uint(64),
        A::Float16 => DataType::Float { bits: Some(16) },
        A::Float32 => DataType::Float { bits: Some(32) },
        A::Float64 => DataType::Float { bits: Some(64) },
        A::Decimal32(p, s) | A::Decimal64(p, s) | A::Decimal128(p, s) | A::Decimal256(p, s) => {
            DataType::Decimal { precision: Some(*p), scale: Some(*s) }
        }
        A::Utf8 | A::LargeUtf8 | A::Utf8View => DataType::String,
        A::Binary | A::LargeBinary | A::BinaryView => DataType::Binary,
        A::FixedSizeBinary(n) => DataType::FixedBinary { size: (*n).max(0) as u32 },
        A::Date32 | A::Date64 => DataType::Date,
        A::Time32(u) | A::Time64(u) => DataType::Time { unit: Some(unit(u)) },
        A::Timestamp(u, tz) => DataType::Timestamp { unit: Some(unit(u)), timezone: Some(tz.is_some()) },
        A::Duration(_) | A::Interval(_) => DataType::Duration,
        A::List(f) | A::LargeList(f) | A::FixedSizeList(f, _) | A::ListView(f) | A::LargeListView(f) => {
            DataType::List(Box::new(field(f, 0)))
        }
        A::Struct(fields) => DataType::Struct(fields.iter().enumerate().map(|(i, f)| field(f, i)).collect()),
        A::Map(entries, _) => match entries.data_type() {
            A::Struct(kv) if kv.len() == 2 => {
                DataType::Map { key: Box::new(field(&kv[0], 0)), value: Box::new(field(&kv[1], 1)) }
            }
            other => DataType::Unknown(other.to_string()),
        },
        A::Dictionary(_, v) => ir_type(v),
        A::RunEndEncoded(_, v) => ir_type(v.data_type()),
        other => DataType::Unknown(other.to_string()),
    }
}

fn unit(u: &ArrowUnit) -> TimeUnit {
    match u {
        ArrowUnit::Second => TimeUnit::Second,
        ArrowUnit::Millisecond => TimeUnit::Millisecond,
        ArrowUnit::Microsecond => TimeUnit::Microsecond,
        ArrowUnit::Nanosecond => TimeUnit::Nanosecond,
    }
}

/// An Arrow field as an IR field. Parquet field ids (`PARQUET:field_id`, written by Iceberg and
/// Spark) become field ids, so renames are recognised.
fn field(f: &ArrowField, index: usize) -> Field {
    let mut out = Field::new(f.name().clone(), ir_type(f.data_type()));
    out.nullable = f.is_nullable();
    out.id = f.metadata().get("PARQUET:field_id").and_then(|id| id.parse().ok()).map(FieldId::Number);
    out.pointer = format!("/fields/{index}");
    out
}

/// The IR of an Arrow schema, as one object.
pub fn from_arrow(source: &str, object: &str, schema: &ArrowSchema) -> Schema {
    let fields: Vec<Field> = schema.fields().iter().enumerate().map(|(i, f)| field(f, i)).collect();
    Schema {
        source: source.to_string(),
        record_model: RecordModel::ByNameStrict,
        expresses: Expresses::NONE,
        qualified_paths: true,
        objects: vec![Object {
            name: object.to_string(),
            physical_name: None,
            id: None,
            kind: Some("table".into()),
            fields,
            primary_key: vec![],
            partitioning: vec![],
            foreign_keys: vec![],
            description: None,
            span: Default::default(),
            pointer: String::new(),
            tags: vec![],
            custom_properties: Default::default(),
            quality: vec![],
            json_schema: None,
        }],
        proto_files: Vec::new(),
        facts: Default::default(),
    }
}

/// Checks the Parquet trailer (`<footer> <u32 length> PAR1`) before a reader sees the file:
/// parquet-rs 59 overflows on a footer length larger than the file instead of erroring.
pub fn parquet_footer_ok(path: &Path) -> Result<(), String> {
    let mut f = File::open(path).map_err(|e| e.to_string())?;
    let size = f.metadata().map_err(|e| e.to_string())?.len();
    if size == 0 {
        return Ok(()); // readers skip empty files
    }
    if size < 12 {
        return Err(format!("{size} bytes is too short for a Parquet file"));
    }
    let mut head = [0u8; 4];
    f.read_exact(&mut head).map_err(|e| e.to_string())?;
    let mut tail = [0u8; 8];
    f.seek(SeekFrom::End(-8)).and_then(|_| f.read_exact(&mut tail)).map_err(|e| e.to_string())?;
    if &head != b"PAR1" || &tail[4..] != b"PAR1" {
        return Err("no PAR1 magic at its start and end".into());
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer + 12 > size {
        return Err(format!("its footer claims {footer} bytes but the file has {size}"));
    }
    Ok(())
}

fn object_name(path: &Path) -> String {
    let stem = path.file_name().and_then(|n| n.to_str()).unwrap_or("data");
    stem.split('.').next().unwrap_or(stem).to_string()
}

fn invalid(format: Format, path: &Path, message: String) -> Error {
    Error::Invalid { format, file: path.display().to_string(), line: None, column: None, message }
}

/// The schema in a Parquet file's footer.
pub fn load_parquet(path: &Path) -> Result<Schema, Error> {
    parquet_footer_ok(path).map_err(|m| invalid(Format::Parquet, path, m))?;
    let file = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| invalid(Format::Parquet, path, e.to_string()))?;
    Ok(from_arrow(&path.display().to_string(), &object_name(path), builder.schema()))
}

/// The schema of an Arrow IPC file (`ARROW1` magic) or stream.
pub fn load_arrow(path: &Path) -> Result<Schema, Error> {
    let open = || File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source });
    let schema = match arrow_ipc::reader::FileReader::try_new(open()?, None) {
        Ok(r) => r.schema(),
        Err(file_err) => match arrow_ipc::reader::StreamReader::try_new(open()?, None) {
            Ok(r) => r.schema(),
            Err(_) => return Err(invalid(Format::Arrow, path, format!("not an Arrow IPC file or stream: {file_err}"))),
        },
    };
    Ok(from_arrow(&path.display().to_string(), &object_name(path), &schema))
}

/// Is this a binary columnar file, by name or magic bytes?
pub fn sniff(path: &Path) -> Option<Format> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    if name.ends_with(".parquet") || name.ends_with(".pq") {
        return Some(Format::Parquet);
    }
    if name.ends_with(".arrow") || name.ends_with(".feather") || name.ends_with(".ipc") || name.ends_with(".arrows") {
        return Some(Format::Arrow);
    }
    let mut head = [0u8; 6];
    let n = File::open(path).and_then(|mut f| f.read(&mut head)).ok()?;
    match &head[..n] {
        [b'P', b'A', b'R', b'1', ..] => Some(Format::Parquet),
        b"ARROW1" => Some(Format::Arrow),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn arrow_types_lower_onto_the_lattice() {
        assert_eq!(ir_type(&Arrow::Int16), DataType::int(16));
        assert_eq!(ir_type(&Arrow::Decimal128(12, 2)), DataType::Decimal { precision: Some(12), scale: Some(2) });
        assert_eq!(
            ir_type(&Arrow::Timestamp(ArrowUnit::Microsecond, Some("UTC".into()))),
            DataType::Timestamp { unit: Some(TimeUnit::Microsecond), timezone: Some(true) }
        );
        assert_eq!(ir_type(&Arrow::Dictionary(Box::new(Arrow::Int32), Box::new(Arrow::Utf8))), DataType::String);
    }

    #[test]
    fn parquet_and_arrow_files_round_trip_their_schema() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(ArrowSchema::new(vec![
            ArrowField::new("id", Arrow::Int64, false),
            ArrowField::new("email", Arrow::Utf8, true),
            ArrowField::new("tags", Arrow::List(Arc::new(ArrowField::new("item", Arrow::Utf8, true))), true),
        ]));
        let batch = arrow_array::RecordBatch::new_empty(schema.clone());
        let pq = dir.path().join("orders.parquet");
        let mut w = parquet::arrow::ArrowWriter::try_new(File::create(&pq).unwrap(), schema.clone(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let ipc = dir.path().join("orders.arrow");
        let mut w = arrow_ipc::writer::FileWriter::try_new(File::create(&ipc).unwrap(), &schema).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        for (path, format) in [(&pq, Format::Parquet), (&ipc, Format::Arrow)] {
            assert_eq!(sniff(path), Some(format));
            let ir = if format == Format::Parquet { load_parquet(path) } else { load_arrow(path) }.unwrap();
            let o = &ir.objects[0];
            assert_eq!(o.name, "orders");
            let names: Vec<_> = o.fields.iter().map(|f| (f.name.as_str(), f.nullable)).collect();
            assert_eq!(names, [("id", false), ("email", true), ("tags", true)]);
            assert!(matches!(o.fields[2].data_type, DataType::List(_)));
        }
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        assert!(parquet_footer_ok(&write("short.parquet", b"PAR1")).unwrap_err().contains("too short"));
        assert!(
            parquet_footer_ok(&write("text.parquet", b"this is not parquet at all")).unwrap_err().contains("magic")
        );
        let mut lying = b"PAR1xxxx".to_vec();
        lying.extend_from_slice(&1000u32.to_le_bytes());
        lying.extend_from_slice(b"PAR1");
        let lying = write("lying.parquet", &lying);
        assert!(load_parquet(&lying).unwrap_err().to_string().contains("claims 1000 bytes"));
        let mut garbage = b"PAR1".to_vec();
        garbage.extend_from_slice(&[7u8; 40]);
        garbage.extend_from_slice(&20u32.to_le_bytes());
        garbage.extend_from_slice(b"PAR1");
        assert!(load_parquet(&write("garbage.parquet", &garbage)).is_err());
        assert!(load_arrow(&write("x.arrow", b"ARROW1 nonsense")).is_err());
    }
}
