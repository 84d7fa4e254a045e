"""Measures a reconciliation across servers (docs/segments.md): a Parquet file of N order lines
against a PostgreSQL table of N orders, with and without the key comparison (the warehouse's
keys streamed). Needs pyarrow and PostgreSQL's binaries (as python/tests does); CONTRAKT_BIN
names the binary [default: target/release/contrakt].

    python python/bench/bench_reconcile.py 1000000
"""
import json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from postgres_server import serve
import pyarrow as pa, pyarrow.parquet as pq

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
BIN = os.environ.get("CONTRAKT_BIN", "target/release/contrakt")
gen = serve()
pg = next(gen)
try:
    db = pg.create_database("measure")
    pg.psql(db, f"CREATE SCHEMA s; CREATE TABLE s.orders (order_id int8, amount numeric(10,2));"
                f"INSERT INTO s.orders SELECT g, 10 FROM generate_series(1, {N}) g; ANALYZE s.orders;")
    d = Path(tempfile.mkdtemp(prefix="recon-measure-"))
    ids = pa.array(range(2, N + 2), pa.int64())  # order 1 missing, order N+1 extra
    pq.write_table(pa.table({"order_id": ids, "line_total": pa.array([10.0] * N)}), d / "items.parquet")
    (d / "contrakt.yaml").write_text('version: 1\ncontracts: ["*.odcs.yaml"]\n')
    (d / "orders.odcs.yaml").write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nstatus: active\nid: urn:t:orders\n"
        f"servers:\n  - {pg.entry(db)}\nschema:\n  - name: orders\n    properties:\n"
        "      - {name: order_id, logicalType: integer}\n      - {name: amount, logicalType: number}\n")
    def items(keys: bool) -> None:
        (d / "items.odcs.yaml").write_text(
            "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nstatus: active\nid: urn:t:items\n"
            "servers:\n  - {server: local, type: local, path: items.parquet, format: parquet}\n"
            "schema:\n  - name: items\n    properties:\n"
            "      - {name: order_id, logicalType: integer}\n      - {name: line_total, logicalType: number}\n"
            "    customProperties:\n      - property: contraktReconcile\n        value:\n"
            "          {id: m, with: orders, rowCount: true, sum: [{column: line_total, with: amount}]"
            + (", keys: order_id}\n" if keys else "}\n"))
    env = {**os.environ, **pg.environment()}
    for keys in (False, True):
        items(keys)
        walls, rss = [], []
        for _ in range(3):
            t = time.monotonic()
            out = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "check", "items.odcs.yaml", "--format", "json",
                                  "--no-history"], cwd=d, env=env, capture_output=True, text=True)
            walls.append(time.monotonic() - t)
            rss.append(int(out.stderr.strip().splitlines()[-1]))
            r = [x for x in json.loads(out.stdout)["reports"][0]["results"] if x["id"] == "m"][0]
        print(f"N={N} keys={keys}: median {statistics.median(walls):.2f}s (runs {', '.join(f'{w:.2f}' for w in walls)}), "
              f"max RSS {max(rss)/1024:.0f} MiB; {r['status']}: {r['message'][:200]}")
finally:
    gen.close()
