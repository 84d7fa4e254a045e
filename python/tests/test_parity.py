"""One library, two faces: the example registry checked through the command line (``contrakt
check``/``contrakt run``) and through ``contrakt.check`` gives the same results, records the same
history (and so judges the same adaptive checks) and sends the same alert payloads.

The command line is the debug build cargo made (``$CONTRAKT_BIN``, else ``contrakt`` in
``$CARGO_TARGET_DIR/debug`` or ``target/debug``); CI builds it before the Python stage.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import contrakt
from conftest import CONTRACTS, DATA, NOW, REPO

HISTORY = "history: {path: .contrakt/history.db}\n"

# An adaptive check (Q601) on the weekly menu's volume, warm after two runs.
MENU = f"""apiVersion: v3.1.0
kind: DataContract
id: urn:contrakt:test:menu
name: menu
version: 1.0.0
status: active
servers:
  - {{server: local, type: local, path: '{DATA / "weekly_menu"}', format: parquet}}
schema:
  - name: weekly_menu
    physicalType: table
    customProperties:
      - property: contraktAnomaly
        value: {{metric: rowCount, model: median, min_history: 2, sensitivity: 3, severity: error}}
    properties:
      - {{name: menu_slot, logicalType: integer, required: true}}
"""

# The menu on four days: two to warm up, an ordinary one, then a third of the usual rows.
DAYS = [("2026-11-01T06:00:00Z", None), ("2026-11-02T06:00:00Z", None), ("2026-11-03T06:00:00Z", None),
        ("2026-11-04T06:00:00Z", "menu_slot <= 10")]


@pytest.fixture(autouse=True)
def allow_the_fixture_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry copies sit in temporary folders outside any repository, and their contracts
    read the repository's fixture data: the operator (this test) allows that folder, for the
    command line and the library alike."""
    monkeypatch.setenv("CONTRAKT_ALLOW_CONTRACT_PATHS", str(DATA))


def binary() -> Path | None:
    given = os.environ.get("CONTRAKT_BIN")
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    found = target / "debug" / "contrakt"
    return found if found.is_file() else None


@pytest.fixture
def cli() -> Path:
    found = binary()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no contrakt binary to compare with: build it (cargo build) or set CONTRAKT_BIN")
        pytest.skip("no contrakt binary: build it (cargo build) or set CONTRAKT_BIN")
    return found


def registry(root: Path) -> Path:
    """The example registry with a history store and the menu contract."""
    (root / "consumers").mkdir(parents=True)
    for f in [*CONTRACTS.glob("*.odcs.yaml"), *(CONTRACTS / "consumers").glob("*.yaml")]:
        shutil.copy(f, root / f.relative_to(CONTRACTS))
    (root / "contrakt.yaml").write_text((CONTRACTS / "contrakt.yaml").read_text() + HISTORY)
    (root / "menu.odcs.yaml").write_text(MENU)
    return root


def comparable(value: Any, root: Path) -> Any:
    """The value without what differs between two runs of the same check: timings, and the
    folder each registry copy sits in."""
    if isinstance(value, dict):
        return {k: comparable(v, root) for k, v in value.items() if k != "duration_ms"}
    if isinstance(value, list):
        return [comparable(v, root) for v in value]
    if isinstance(value, str):
        return value.replace(str(root), "<registry>")
    return value


def run_cli(exe: Path, root: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([str(exe), *args, "--format", "json"], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), (done.returncode, done.stderr)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def history(exe: Path, root: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(exe), "history", "--store", ".contrakt/history.db", "--format", "json"],
        cwd=root, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    points: list[dict[str, Any]] = json.loads(done.stdout)
    return points


def test_the_cli_and_python_check_record_and_alert_alike(cli: Path, tmp_path: Path) -> None:
    by_cli, by_python = registry(tmp_path / "cli"), registry(tmp_path / "python")
    orders = DATA / "orders" / "orders.parquet"

    cli_reports, py_reports = [], []
    for now, where in DAYS:
        args = ["check", str(by_cli / "menu.odcs.yaml"), "--now", now] + (["--where", where] if where else [])
        cli_reports.append(run_cli(cli, by_cli, *args))
        result = contrakt.check(None, by_python / "menu.odcs.yaml", now=now, where=where)
        py_reports.append(json.loads(result.to_json()))
    # `contrakt run`: the check with its alerts; in Python, notify=True.
    cli_reports.append(run_cli(cli, by_cli, "run", str(by_cli / "orders.odcs.yaml"), "--data", f"orders={orders}", "--now", NOW))
    alerted = contrakt.check(orders, by_python / "orders.odcs.yaml", object="orders", now=NOW, notify=True)
    py_reports.append(json.loads(alerted.to_json()))

    # The same results, run for run.
    for c, p in zip(cli_reports, py_reports, strict=True):
        assert comparable(p, by_python) == comparable(c, by_cli)
    # Python judged the adaptive check from the history it recorded: warming up, then a pass,
    # then the drop fails.
    q601 = [next(r for r in rep["reports"][0]["results"] if r["code"] == "Q601") for rep in py_reports[:4]]
    assert [r["status"] for r in q601] == ["skipped", "skipped", "pass", "fail"], q601

    # The same history rows (metrics of every run, the orders' included).
    cli_points, py_points = history(cli, by_cli), history(cli, by_python)
    assert len(py_points) > len(DAYS), py_points
    assert {p["contract"] for p in py_points} == {"urn:contrakt:test:menu", "urn:contrakt:meal-kit:orders"}
    # Durations (the run's, each object's) are measured, not counted: compared by presence.
    timings = ("runDuration", "duration")
    timed = [[(p["contract"], p["object"], p["metric"]) for p in points if p["metric"] in timings] for points in (py_points, cli_points)]
    assert timed[0] == timed[1] and len(timed[0]) > len(DAYS)
    counted = [[p for p in points if p["metric"] not in timings] for points in (py_points, cli_points)]
    assert comparable(counted[0], by_python) == comparable(counted[1], by_cli)

    # The same alert payloads, written by the registry's file channel.
    cli_alerts = (by_cli / ".contrakt" / "alerts.jsonl").read_text().splitlines()
    py_alerts = (by_python / ".contrakt" / "alerts.jsonl").read_text().splitlines()
    assert py_alerts, "the failures alerted"
    assert [comparable(json.loads(a), by_python) for a in py_alerts] == [
        comparable(json.loads(a), by_cli) for a in cli_alerts
    ]
    assert alerted.alerts is not None and alerted.alerts["recorded"]["queued"] > 0


def test_an_unusable_history_store_warns_and_the_result_stands(tmp_path: Path) -> None:
    root = registry(tmp_path / "registry")
    # A folder where the database file should be.
    (root / ".contrakt" / "history.db").mkdir(parents=True)
    with pytest.warns(contrakt.HistoryWarning, match="history not recorded"):
        result = contrakt.check(None, root / "menu.odcs.yaml", now=DAYS[0][0])
    assert result.results and result.passed


def test_without_a_history_store_nothing_is_recorded(tmp_path: Path) -> None:
    root = registry(tmp_path / "registry")
    (root / "contrakt.yaml").write_text((CONTRACTS / "contrakt.yaml").read_text())
    result = contrakt.check(None, root / "menu.odcs.yaml", now=DAYS[0][0])
    assert result.passed
    assert all(r.code != "Q601" for r in result.results), "no history, no adaptive check judged"
    assert not (root / ".contrakt").exists()


def cli_json(exe: Path, root: Path, *args: str, codes: tuple[int, ...] = (0, 1)) -> Any:
    done = subprocess.run([str(exe), *args, "--format", "json"], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode in codes, (done.returncode, done.stderr)
    return json.loads(done.stdout)


def cli_text(exe: Path, root: Path, *args: str) -> str:
    done = subprocess.run([str(exe), *args], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr)
    return done.stdout


def test_the_cli_and_python_lint_convert_read_history_and_route_alerts_alike(cli: Path, tmp_path: Path) -> None:
    """The other workflows through both faces, on one registry: the same lint findings, the
    same imported and exported files, the same history rows and publish events read back, the
    same alerts planned for a report, and the same site, byte for byte."""
    root = registry(tmp_path / "registry")
    orders = DATA / "orders" / "orders.parquet"
    checked = contrakt.check(orders, root / "orders.odcs.yaml", object="orders", now=NOW)
    assert not checked.passed, "the example data breaks its contract (fixtures/data/README.md)"

    # lint: the registry, and a contract with two properties of one name (L101).
    for folder in (root, tmp_path / "duplicated"):
        if folder != root:
            folder.mkdir()
            shutil.copy(REPO / "fixtures" / "lint" / "L101" / "fail" / "orders.odcs.yaml", folder)
        by_cli = cli_json(cli, folder, "lint", str(folder))
        linted = contrakt.lint(folder)
        assert {"findings": linted.findings, "summary": linted.summary} == {k: by_cli[k] for k in ("findings", "summary")}
    assert any(f["code"] == "L101" for f in linted.findings) and not linted.passed

    # import and export: the same files.
    avro = REPO / "fixtures" / "formats" / "avro" / "orders.avsc"
    assert contrakt.import_schema(avro).yaml == cli_text(cli, root, "import", str(avro))
    for to in ("sql", "avro", "great-expectations"):
        exported = contrakt.export(root / "orders.odcs.yaml", to, object="orders")
        assert exported.text == cli_text(cli, root, "export", str(root / "orders.odcs.yaml"), "--to", to, "--object", "orders"), to

    # history: the rows Python recorded, read back by both.
    store = root / ".contrakt" / "history.db"
    points = contrakt.history(store=store)
    assert points and {p["contract"] for p in points} == {"urn:contrakt:meal-kit:orders"}
    assert points == cli_json(cli, root, "history", "--store", str(store))
    assert contrakt.events(store=store) == cli_json(cli, root, "history", "--events", "--store", str(store))
    assert contrakt.history("urn:contrakt:meal-kit:orders", metric="rowCount", store=store) == cli_json(
        cli, root, "history", "urn:contrakt:meal-kit:orders", "--metric", "rowCount", "--store", str(store)
    )

    # alerts: the same plan for the same report, nothing sent or recorded.
    report_file = tmp_path / "report.json"
    report_file.write_text(checked.to_json())
    planned = contrakt.route_alerts(checked, root, now=NOW)
    assert planned["checks"], "failed checks are routed"
    assert planned == cli_json(cli, root, "alerts", "route", str(root), "--report", str(report_file), "--explain", "--now", NOW)
    assert not (root / ".contrakt" / "alerts.db").exists()

    # report: the same site (no wall-clock time in it without `now`).
    by_python = contrakt.write_report(tmp_path / "site-python", root, history=store)
    cli_text(cli, root, "report", str(root), "-o", str(tmp_path / "site-cli"), "--history", str(store))
    files = sorted(p.relative_to(tmp_path / "site-cli") for p in (tmp_path / "site-cli").rglob("*") if p.is_file())
    assert by_python.files == len(files) and by_python.contracts > 0
    for f in files:
        assert (tmp_path / "site-python" / f).read_bytes() == (tmp_path / "site-cli" / f).read_bytes(), f
