"""Times `contrakt.check` on the shared orders benchmark (`../shared/bench/`) against the CLI on
the same Parquet files, alternating runs and reporting medians (these machines are noisy); then
the peak memory of each: the CLI's whole process (max RSS), and a Python process that loads the
frame and checks it (resident memory with the frame loaded, and the peak during the check alone).

    python gen_data.py /tmp/benchdata --sizes 1m          # from ../shared/bench, once
    python python/bench/bench_check.py /tmp/benchdata --size 1m --cli target/debug/contrakt

Frames are read before timing: the check is what is measured, as the CLI's is (plus its start).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    ap.add_argument("--memory-of", choices=["pyarrow", "polars"], help=argparse.SUPPRESS)
    ap.add_argument("--contract", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_of:
        return memory_of(args.memory_of, args.data, args.size, args.contract)
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
    rss: dict[str, list[float]] = {"cli": []}
    counts: dict[str, list] = {}
    for _ in range(args.runs):
        t = time.perf_counter()
        cli = subprocess.Popen([args.cli, "check", str(contract), "--now", NOW, "--format", "json"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(cli.pid, 0)
        times["cli"].append(time.perf_counter() - t)
        rss["cli"].append(usage.ru_maxrss / 1024)
        for name, frame in frames.items():
            t = time.perf_counter()
            r = contrakt.check({"orders": frame, "customers": customers}, contract, now=NOW, progress=False)
            times[name].append(time.perf_counter() - t)
            counts[name] = [(x.id, x.status, x.failed_rows) for x in r.results]
        t = time.perf_counter()
        r = contrakt.check(None, contract, now=NOW, progress=False)
        times["python-files"].append(time.perf_counter() - t)
        counts["python-files"] = [(x.id, x.status, x.failed_rows) for x in r.results]
    same = len({json.dumps(v) for v in counts.values()}) == 1
    medians = {k: statistics.median(v) for k, v in times.items()}
    # Peak memory, each frame kind in a fresh process (ru_maxrss never goes down).
    memory: dict[str, object] = {"cli_max_rss_mib": round(max(rss["cli"]))}
    for name in frames:
        child = subprocess.run([sys.executable, __file__, str(args.data), "--size", args.size, "--cli", args.cli,
                                "--memory-of", name, "--contract", str(contract)],
                               capture_output=True, text=True, check=True)
        memory[name] = json.loads(child.stdout)
    print(json.dumps({"size": args.size, "runs": args.runs, "median_s": medians, "same_results": same,
                      "ratio_to_cli": {k: round(v / medians["cli"], 3) for k, v in medians.items()},
                      "memory": memory}, indent=2))
    sys.exit(0 if same else 1)


def status_mib(field: str) -> float:
    """A `/proc/self/status` memory field (VmRSS: resident now; VmHWM: the peak since a reset)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_of(kind: str, data: Path, size: str, contract: Path) -> None:
    """In a fresh process: resident memory with the frame loaded, and the peak while checking it.

    The peak is reset (`/proc/self/clear_refs`, Linux) once the frame is loaded, so loading's own
    transient peak cannot hide what the check adds: `check_adds_mib` is the check's peak minus
    what was resident before it (the frame, the interpreter, pyarrow)."""
    import pyarrow.parquet as pq

    table = pq.read_table(sorted((data / f"orders_{size}").glob("*.parquet")))
    customers = pq.read_table(data / "customers.parquet")
    frame = table
    if kind == "polars":
        import polars as pl

        frame = pl.from_arrow(table)
        del table
    resident = status_mib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    contrakt.check({"orders": frame, "customers": customers}, contract, now=NOW, progress=False)
    peak = status_mib("VmHWM")
    print(json.dumps({"resident_before_check_mib": round(resident), "peak_during_check_mib": round(peak),
                      "check_adds_mib": round(peak - resident)}))


if __name__ == "__main__":
    main()
