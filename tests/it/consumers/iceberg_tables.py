"""Writes the Iceberg tables of tests/it/iceberg.rs with pyiceberg (pinned in
tests/requirements.txt) in a SQL catalog on SQLite (`OUT_DIR/catalog.db`, warehouse
`OUT_DIR/warehouse`), and prints, as JSON, each table's reference: per snapshot, the row count
and the null count of `note`, read by pyiceberg's own scan (`table.scan(snapshot_id=…)
.to_arrow()`, its manifest reader and pyarrow, not contrakt), beside the counts the writes
themselves imply, the snapshot's id and time, and the table's folder.

The table `deletes` gets position-delete files (merge-on-read), written by hand with pyiceberg's
manifest writers (pyiceberg itself deletes copy-on-write only, but reads them): three rows of
its first data file, then an append, then a second delete file over both data files (one
position deleted again). Its reference is pyiceberg's scan, which applies them. The table
`eqdeletes` gets an equality-delete file, which contrakt refuses.

usage: iceberg_tables.py OUT_DIR
"""

import json
import sys
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import DoubleType, LongType, NestedField, StringType


def rows(ids, day=None, note=False):
    cols = {"id": pa.array(ids, pa.int64()), "amount": pa.array([i * 1.5 for i in ids], pa.float64())}
    if day is not None:
        cols["day"] = pa.array([day] * len(ids), pa.string())
    if note:
        cols["note"] = pa.array([f"n{i}" for i in ids], pa.string())
    return pa.table(cols)


def schema(day=False):
    fields = [NestedField(1, "id", LongType(), required=False), NestedField(2, "amount", DoubleType(), required=False)]
    if day:
        fields.append(NestedField(3, "day", StringType(), required=False))
    return Schema(*fields)


def reference(table):
    """Per snapshot id: rows, null notes, rows per day, time, by pyiceberg's own scan."""
    out = {}
    for s in table.snapshots():
        t = table.scan(snapshot_id=s.snapshot_id).to_arrow()
        names = t.column_names
        notes = t.column("note").null_count if "note" in names else t.num_rows
        per_day = {}
        if "day" in names:
            for d in t.column("day").to_pylist():
                per_day[d] = per_day.get(d, 0) + 1
        out[str(s.snapshot_id)] = {
            "rows": t.num_rows,
            "nulls": {c: t.column(c).null_count for c in names},
            "null_notes": notes,
            "per_day": per_day,
            "timestamp_ms": s.timestamp_ms,
            "columns": names,
        }
    return out


def add_position_delete(catalog, table, file_path, positions, equality=False):
    """Commits a snapshot that adds one position-delete file: `positions` of `file_path`, a list
    of paths, one a position (or of one path). With `equality`, an equality-delete file on `id`
    deleting the ids `positions` instead."""
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat, ManifestContent, ManifestEntry, ManifestEntryStatus, write_manifest, write_manifest_list
    from pyiceberg.table.snapshots import Operation, Snapshot, Summary
    from pyiceberg.table.update import AddSnapshotUpdate, AssertRefSnapshotId, SetSnapshotRefUpdate

    io = table.io
    loc = table.location()
    dpath = f"{loc}/data/delete-{uuid.uuid4()}.parquet"
    paths = file_path if isinstance(file_path, list) else [file_path] * len(positions)
    if equality:
        written = pa.table({"id": pa.array(positions, pa.int64())})
    else:
        written = pa.table({"file_path": pa.array(paths), "pos": pa.array(positions, pa.int64())})
    pq.write_table(written, dpath.removeprefix("file://"))
    parent = table.current_snapshot()
    snap_id = int(uuid.uuid4().int % (2**62))
    seq = table.metadata.next_sequence_number()
    spec = table.spec()
    mpath = f"{loc}/metadata/{uuid.uuid4()}-m0.avro"
    extra = {"equality_ids": [1]} if equality else {}
    df = DataFile.from_args(
        **extra,
        content=DataFileContent.EQUALITY_DELETES if equality else DataFileContent.POSITION_DELETES,
        file_path=dpath,
        file_format=FileFormat.PARQUET,
        partition=pyiceberg_record(),
        record_count=len(positions),
        file_size_in_bytes=Path(dpath.removeprefix("file://")).stat().st_size,
    )
    with write_manifest(
        format_version=2, spec=spec, schema=table.schema(), output_file=io.new_output(mpath), snapshot_id=snap_id, avro_compression="deflate"
    ) as w:
        w.add(ManifestEntry.from_args(status=ManifestEntryStatus.ADDED, snapshot_id=snap_id, sequence_number=seq, file_sequence_number=seq, data_file=df))
    delete_manifest = w.to_manifest_file()
    # pyiceberg's writer marks every manifest as holding data; this one holds deletes.
    delete_manifest[3] = ManifestContent.DELETES
    manifests = parent.manifests(io) + [delete_manifest]
    lpath = f"{loc}/metadata/snap-{snap_id}-0-{uuid.uuid4()}.avro"
    with write_manifest_list(
        format_version=2, output_file=io.new_output(lpath), snapshot_id=snap_id, parent_snapshot_id=parent.snapshot_id, sequence_number=seq, avro_compression="deflate"
    ) as lw:
        lw.add_manifests(manifests)
    snapshot = Snapshot(
        snapshot_id=snap_id,
        parent_snapshot_id=parent.snapshot_id,
        sequence_number=seq,
        timestamp_ms=int(time.time() * 1000),
        manifest_list=lpath,
        summary=Summary(operation=Operation.DELETE),
        schema_id=table.schema().schema_id,
    )
    catalog.commit_table(
        table,
        requirements=(AssertRefSnapshotId(ref="main", snapshot_id=parent.snapshot_id),),
        updates=(AddSnapshotUpdate(snapshot=snapshot), SetSnapshotRefUpdate(ref_name="main", type="branch", snapshot_id=snap_id)),
    )


def pyiceberg_record():
    from pyiceberg.typedef import Record

    return Record()


def main(out):
    out = Path(out)
    (out / "warehouse").mkdir(parents=True, exist_ok=True)
    catalog = SqlCatalog("test", uri=f"sqlite:///{out / 'catalog.db'}", warehouse=f"file://{out / 'warehouse'}")
    catalog.create_namespace("db")
    tables = {}

    # History with removed files: two appends, then an overwrite.
    t = catalog.create_table("db.overwritten", schema=schema())
    t.append(rows(range(100)))
    time.sleep(1.1)
    t.append(rows(range(100, 150)))
    time.sleep(1.1)
    t.overwrite(rows(range(1000, 1030)))
    tables["overwritten"] = {"expected": [100, 150, 30]}

    # Partitioned by day (identity); then one day's partition overwritten.
    spec = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=IdentityTransform(), name="day"))
    t = catalog.create_table("db.partitioned", schema=schema(day=True), partition_spec=spec)
    for day, n in [("2025-01-01", 40), ("2025-01-02", 25), ("2025-01-03", 35)]:
        t.append(rows(range(n), day=day))
    t.overwrite(rows(range(7), day="2025-01-02"), overwrite_filter="day == '2025-01-02'")
    tables["partitioned"] = {"expected": [40, 65, 100, 82]}

    # Schema evolution: `amount` renamed to `price`, then a column `note` added.
    t = catalog.create_table("db.evolved", schema=schema())
    t.append(rows(range(60)))
    with t.update_schema() as u:
        u.rename_column("amount", "price")
        u.add_column("note", StringType())
    t = catalog.load_table("db.evolved")
    new = rows(range(60, 80), note=True).rename_columns(["id", "price", "note"])
    t.append(new)
    tables["evolved"] = {"expected": [60, 80], "null_notes": 60}

    # Merge-on-read deletions: a position-delete file over the first data file, an append, and
    # one more over both files (position 2 of the first again).
    # With a string column: a file with deleted rows is read with strings as views too.
    with_note = Schema(*schema().fields, NestedField(4, "note", StringType(), required=False))
    t = catalog.create_table("db.deletes", schema=with_note)
    t.append(rows(range(50), note=True))
    first = next(iter(t.scan().plan_files())).file.file_path
    add_position_delete(catalog, t, first, [0, 1, 2])
    t = catalog.load_table("db.deletes")
    t.append(rows(range(50, 60), note=True))
    t = catalog.load_table("db.deletes")
    second = next(f.file.file_path for f in t.scan().plan_files() if f.file.file_path != first)
    add_position_delete(catalog, t, [first, first, second], [2, 10, 0])
    tables["deletes"] = {"expected": [50, 47, 57, 55]}

    # A foreign key across two tables: orders name customers 0 to 14; customers 0 to 9 are
    # written a second after the orders, customers 10 to 19 a second after that.
    key = lambda name: NestedField(1, name, LongType(), required=False)  # noqa: E731
    o = catalog.create_table("db.refs_orders", schema=Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "customer_id", LongType(), required=False)))
    o.append(pa.table({"id": pa.array(range(15), pa.int64()), "customer_id": pa.array(range(15), pa.int64())}))
    c = catalog.create_table("db.refs_customers", schema=Schema(key("customer_id")))
    time.sleep(1.1)
    c.append(pa.table({"customer_id": pa.array(range(10), pa.int64())}))
    time.sleep(1.1)
    c.append(pa.table({"customer_id": pa.array(range(10, 20), pa.int64())}))
    tables["refs_orders"] = {"expected": [15]}
    tables["refs_customers"] = {"expected": [10, 20]}

    # An equality delete: refused.
    t = catalog.create_table("db.eqdeletes", schema=schema())
    t.append(rows(range(20)))
    add_position_delete(catalog, t, None, [3, 4], equality=True)
    tables["eqdeletes"] = {"expected": [20, 18]}

    for name, info in tables.items():
        t = catalog.load_table(f"db.{name}")
        info["location"] = t.location().removeprefix("file://")
        info["metadata_location"] = t.metadata_location.removeprefix("file://")
        info["snapshots"] = [str(s.snapshot_id) for s in t.snapshots()]
        info["current"] = str(t.current_snapshot().snapshot_id)
        if name != "eqdeletes":
            info["reference"] = reference(t)
    json.dump(tables, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
