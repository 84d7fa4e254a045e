"""Times `contrakt.check` on the shared orders benchmark (`../shared/bench/`) against the CLI on
the same Parquet files, alternating runs and reporting medians (these machines are noisy).

    python gen_data.py /tmp/benchdata --sizes 1m          # from ../shared/bench, once
    python python/bench/bench_check.py /tmp/benchdata --size 1m --cli target/debug/contrakt

Frames are read before timing: the check is what is measured, as the CLI's is (plus its start).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import contrakt

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
NOW = "2025-06-01T00:00:00Z"


def render(data: Path, size: str, rows: int, out: Path) -> Path:
    links = out / "data"
    for name, target in (("orders", data / f"orders_{size}"), ("customers", data / "customers")):
        (links / name).mkdir(parents=True, exist_ok=True)
        src = target if target.is_dir() else target.parent
        for f in sorted(src.glob("*.parquet")) if target.is_dir() else [data / "customers.parquet"]:
            dst = links / name / f.name
            if not dst.exists():
                dst.symlink_to(f)
    text = (BENCH / "orders.odcs.yaml.tmpl").read_text()
    text = text.replace("@DATA@", str(links)).replace("@MIN_ROWS@", str(int(rows * 0.9)))
    text = text.replace("@MAX_ROWS@", str(int(rows * 1.1)))
    contract = out / "orders.odcs.yaml"
    contract.write_text(text)
    return contract


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--size", default="1m")
    ap.add_argument("--cli", required=True, help="the contrakt binary to compare with")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rows = {"1m": 1_000_000, "10m": 10_000_000}[args.size]
    out = Path(tempfile.mkdtemp(prefix="contrakt-bench-"))
    contract = render(args.data, args.size, rows, out)
    import pyarrow.parquet as pq

    orders_files = sorted((out / "data" / "orders").glob("*.parquet"))
    table = pq.read_table(orders_files if len(orders_files) > 1 else orders_files[0])
    customers = pq.read_table(next((out / "data" / "customers").glob("*.parquet")))
    frames = {"pyarrow": table}
    try:
        import polars as pl

        frames["polars"] = pl.from_arrow(table)
    except ImportError:
        pass
    times: dict[str, list[float]] = {"cli": [], **{k: [] for k in frames}, "python-files": []}
    counts: dict[str, list] = {}
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([args.cli, "check", str(contract), "--now", NOW, "--format", "json"], capture_output=True)
        times["cli"].append(time.perf_counter() - t)
        for name, frame in frames.items():
            t = time.perf_counter()
            r = contrakt.check({"orders": frame, "customers": customers}, contract, now=NOW)
            times[name].append(time.perf_counter() - t)
            counts[name] = [(x.id, x.status, x.failed_rows) for x in r.results]
        t = time.perf_counter()
        r = contrakt.check(None, contract, now=NOW)
        times["python-files"].append(time.perf_counter() - t)
        counts["python-files"] = [(x.id, x.status, x.failed_rows) for x in r.results]
    same = len({json.dumps(v) for v in counts.values()}) == 1
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"size": args.size, "runs": args.runs, "median_s": medians, "same_results": same,
                      "ratio_to_cli": {k: round(v / medians["cli"], 3) for k, v in medians.items()}}, indent=2))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
