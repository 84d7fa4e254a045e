"""Writes the Delta tables of tests/it/delta.rs with delta-rs's Python writer (`deltalake`,
pinned in tests/requirements.txt), and prints, as JSON, each table's reference: the row count
and null count of every version, read by pyarrow over the files `DeltaTable.file_uris()` lists
(the log read by the `deltalake` package, the data by pyarrow, not by contrakt), beside the
counts the writes themselves imply, and each version's commit time.

With ORDERS (a Parquet file of the orders fixture), also writes it as the Delta table
`orders` as deployed with a drift: `total_amount` dropped.

usage: delta_tables.py OUT_DIR [ORDERS]
"""

import json
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake


def rows(ids, day=None, note=False):
    cols = {"id": pa.array(ids, pa.int64()), "amount": pa.array([i * 1.5 for i in ids], pa.float64())}
    if day is not None:
        cols["day"] = pa.array([day] * len(ids), pa.string())
    if note:
        cols["note"] = pa.array([f"n{i}" for i in ids], pa.string())
    return pa.table(cols)


def reference(path):
    """Per version: rows and nulls of `note` (if any), by pyarrow over the active files."""
    latest = DeltaTable(path).version()
    commits = {c["version"]: c["timestamp"] for c in DeltaTable(path).history()}
    out = {}
    for v in range(latest + 1):
        dt = DeltaTable(path, version=v)
        partitions = dt.metadata().partition_columns
        n, notes, per_day = 0, 0, {}
        for uri in dt.file_uris():
            t = pq.read_table(uri.removeprefix("file://"))
            n += t.num_rows
            # A file written before `note` was added has none: all null there.
            notes += t.column("note").null_count if "note" in t.column_names else t.num_rows
            if partitions:
                # The partition value is in the folder name (hive style), not in the file.
                day = [p.split("=", 1)[1] for p in uri.split("/") if p.startswith("day=")][0]
                per_day[day] = per_day.get(day, 0) + t.num_rows
        out[str(v)] = {"rows": n, "null_notes": notes, "per_day": per_day, "timestamp_ms": commits[v], "files": len(dt.file_uris())}
    return out


def main(out, orders=None):
    out = Path(out)
    tables = {}
    if orders:
        write_deltalake(str(out / "orders"), pq.read_table(orders).drop_columns(["total_amount"]))

    # History with removed files: two appends, then an overwrite.
    p = str(out / "overwritten")
    # A second between commits: time travel finds a version by its commit's time.
    write_deltalake(p, rows(range(100)))
    time.sleep(1.1)
    write_deltalake(p, rows(range(100, 150)), mode="append")
    time.sleep(1.1)
    write_deltalake(p, rows(range(1000, 1030)), mode="overwrite")
    tables["overwritten"] = {"expected": {"0": 100, "1": 150, "2": 30}}

    # Partitioned by day; then one day's partition overwritten.
    p = str(out / "partitioned")
    for day, n in [("2025-01-01", 40), ("2025-01-02", 25), ("2025-01-03", 35)]:
        write_deltalake(p, rows(range(n), day=day), mode="append", partition_by=["day"])
    write_deltalake(p, rows(range(7), day="2025-01-02"), mode="overwrite", predicate="day = '2025-01-02'", partition_by=["day"])
    tables["partitioned"] = {"expected": {"2": 100, "3": 82}}

    # Schema evolution: a column added by a merge-schema append.
    p = str(out / "evolved")
    write_deltalake(p, rows(range(60)))
    write_deltalake(p, rows(range(60, 80), note=True), mode="append", schema_mode="merge")
    tables["evolved"] = {"expected": {"0": 60, "1": 80}, "null_notes": {"1": 60}}

    # A deletion: every tenth row deleted (delta-rs rewrites the files, removing the old ones).
    p = str(out / "deleted")
    write_deltalake(p, rows(range(100)))
    DeltaTable(p).delete("id % 10 = 0")
    tables["deleted"] = {"expected": {"0": 100, "1": 90}}

    for name, t in tables.items():
        t["reference"] = reference(str(out / name))
    json.dump(tables, sys.stdout, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])
