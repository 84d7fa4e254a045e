"""The workflows beside check, diff and publish, through Python: lint, import and export, the
history read back and annotated, alerts routed (a dry run unless asked) and the alert state
read, and the registry's site. `test_parity.py` compares each with the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import contrakt
from conftest import CONTRACTS, DATA, NOW, REPO

LINT = REPO / "fixtures" / "lint"
ORDERS_DATA = DATA / "orders" / "orders.parquet"


@pytest.fixture(autouse=True)
def allow_the_fixture_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registry copies sit outside the repository and read its fixture data."""
    monkeypatch.setenv("CONTRAKT_ALLOW_CONTRACT_PATHS", str(DATA))


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """The example registry in a folder of its own, recording history."""
    root = tmp_path / "registry"
    (root / "consumers").mkdir(parents=True)
    for f in [*CONTRACTS.glob("*.odcs.yaml"), *(CONTRACTS / "consumers").glob("*.yaml")]:
        shutil.copy(f, root / f.relative_to(CONTRACTS))
    (root / "contrakt.yaml").write_text(
        (CONTRACTS / "contrakt.yaml").read_text() + "history: {path: .contrakt/history.db}\n"
    )
    return root


def failing_check(root: Path) -> contrakt.CheckResult:
    result = contrakt.check(ORDERS_DATA, root / "orders.odcs.yaml", object="orders", now=NOW)
    assert not result.passed, "the example orders break their contract (fixtures/data/README.md)"
    return result


def test_lint_finds_a_duplicated_property_where_it_is() -> None:
    linted = contrakt.lint(LINT / "L101" / "fail")
    assert not linted and not linted.passed and not linted.fatal
    assert linted.fail_on == "error"
    [finding] = [f for f in linted.findings if f["code"] == "L101"]
    assert (finding["level"], finding["line"], finding["column"]) == ("error", 25, 15)
    assert finding["file"].endswith("orders.odcs.yaml")
    assert linted.summary["files"] == 1 and linted.summary["errors"] >= 1
    assert "failed" in repr(linted)


def test_lint_passes_a_clean_contract_and_fail_on_and_ignore_change_the_verdict() -> None:
    clean = contrakt.lint(LINT / "L101" / "pass")
    assert clean.passed and not clean.fatal
    assert not [f for f in clean.findings if f["level"] == "error"]
    ignored = contrakt.lint(LINT / "L101" / "fail", ignore=["L101"])
    assert all(f["code"] != "L101" for f in ignored.findings)
    with pytest.raises(contrakt.ContraktUsageError, match="fail_on"):
        contrakt.lint(LINT, fail_on="fatal")


def test_lint_of_a_missing_path_is_fatal_not_an_exception(tmp_path: Path) -> None:
    linted = contrakt.lint(tmp_path / "nowhere")
    assert linted.fatal and not linted.passed
    [finding] = linted.findings
    assert finding["code"] == "E100" and "cannot read" in finding["message"]


def test_import_drafts_a_contract_that_loads(tmp_path: Path) -> None:
    imported = contrakt.import_schema(REPO / "fixtures" / "formats" / "avro" / "orders.avsc", id="urn:test:orders")
    assert imported.yaml.startswith("apiVersion: v3.1.0\n")
    # What ODCS cannot say is said, path by path (the enum, the map, the union).
    assert any(w.startswith("com.freshbox.commerce.Order.referral: union") for w in imported.warnings)
    contract = contrakt.load(imported.write(tmp_path / "orders.odcs.yaml"))
    assert contract.id == "urn:test:orders"
    assert [o.name for o in contract.objects] == ["com.freshbox.commerce.Order"]
    with pytest.raises(contrakt.ContraktError):
        contrakt.import_schema(REPO / "fixtures" / "formats" / "avro" / "orders.avsc", format="cobol")


def test_export_writes_text_and_binary_languages(tmp_path: Path) -> None:
    ddl = contrakt.export(CONTRACTS / "orders.odcs.yaml", "sql", object="orders")
    assert ddl.is_text and "CREATE TABLE" in ddl.text
    arrow = contrakt.export(CONTRACTS / "orders.odcs.yaml", "arrow", object="orders")
    assert not arrow.is_text and arrow.content.startswith(b"ARROW1")
    with pytest.raises(contrakt.ContraktUsageError, match="binary"):
        arrow.text
    assert arrow.write(tmp_path / "orders.arrow").read_bytes() == arrow.content
    with pytest.raises(contrakt.ContraktUsageError, match="unknown language"):
        contrakt.export(CONTRACTS / "orders.odcs.yaml", "cobol")


def test_history_reads_back_what_a_check_recorded_and_annotations_mark_it(registry: Path) -> None:
    failing_check(registry)
    store = registry / ".contrakt" / "history.db"
    points = contrakt.history(store=store)
    assert points and {p["contract"] for p in points} == {"urn:contrakt:meal-kit:orders"}
    rows = contrakt.history("urn:contrakt:meal-kit:orders", metric="rowCount", store=store)
    assert [p["metric"] for p in rows] == ["rowCount"] and rows[0]["value"] > 0
    assert contrakt.history(metric="rowCount", since="2030-01-01", store=store) == []
    assert contrakt.events(store=store) == [], "a check is not a publish"

    id = contrakt.annotate("urn:contrakt:meal-kit:orders", "2026-11-22", "a backfill", store=store)
    assert id > 0
    marked = contrakt.history("urn:contrakt:meal-kit:orders", metric="rowCount", store=store)
    assert marked[0]["expected"] == "a backfill"
    with pytest.raises(contrakt.ContraktUsageError, match="since"):
        contrakt.history(since="not a time", store=store)


def test_alerts_are_a_dry_run_unless_sent(registry: Path) -> None:
    result = failing_check(registry)
    planned = contrakt.route_alerts(result, registry, now=NOW)
    checks = planned["checks"]
    assert checks and all(c["check"]["status"] in ("fail", "warn", "error") for c in checks)
    assert not (registry / ".contrakt" / "alerts.db").exists(), "a dry run records nothing"
    assert contrakt.incidents(registry) == [] and contrakt.deliveries(registry) == []

    # The report as a dict or a file routes alike.
    as_file = registry / "report.json"
    as_file.write_text(result.to_json())
    assert contrakt.route_alerts(as_file, registry, now=NOW) == planned
    assert contrakt.route_alerts(json.loads(result.to_json()), registry, now=NOW) == planned

    sent = contrakt.route_alerts(result, registry, now=NOW, send=True, deliver_for=5)
    assert sent["recorded"]["queued"] > 0 and sent["dead_letters"] == 0
    lines = (registry / ".contrakt" / "alerts.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["contract"]["id"] == "urn:contrakt:meal-kit:orders" for line in lines)
    opened = contrakt.incidents(registry)
    assert opened and {i["state"] for i in opened} == {"open"}
    assert {d["state"] for d in contrakt.deliveries(registry)} == {"delivered"}
    assert contrakt.deliveries(registry, failed=True) == []
    assert contrakt.retry_alerts(registry)["requeued"] == 0


def test_the_site_is_written_and_the_same_inputs_give_the_same_bytes(registry: Path, tmp_path: Path) -> None:
    failing_check(registry)
    store = registry / ".contrakt" / "history.db"
    first = contrakt.write_report(tmp_path / "a", registry, history=store)
    second = contrakt.write_report(tmp_path / "b", registry, history=store)
    assert first.index == tmp_path / "a" / "index.html" and first.index.is_file()
    assert first.contracts == len(list(CONTRACTS.glob("*.odcs.yaml")))
    assert first.failing == 1, "the orders failed their latest run"
    assert (first.contracts, first.failing, first.files) == (second.contracts, second.failing, second.files)
    for f in (tmp_path / "a").rglob("*"):
        if f.is_file():
            assert f.read_bytes() == (tmp_path / "b" / f.relative_to(tmp_path / "a")).read_bytes(), f
    with pytest.raises(contrakt.ContraktUsageError, match="runs"):
        contrakt.write_report(tmp_path / "c", registry, runs=0)
