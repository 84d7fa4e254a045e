"""``contrakt.publish`` and ``contrakt.rollback``: the library's write-audit-publish, the one
``contrakt publish`` runs, on the example registry's staged deliveries (``broken`` fails its
audit, ``fixed`` passes)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

import contrakt
from conftest import CONTRACTS, DATA, NOW, REPO
from test_parity import cli  # noqa: F401  (the fixture)

DELIVERIES = CONTRACTS / "deliveries.odcs.yaml"
STAGED = DATA / "staged"


def pointer(to: Path) -> dict:
    return json.loads((to / "_published.json").read_text())


def events(store: Path) -> list[tuple[str, str | None, str | None]]:
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT kind, from_version, to_version FROM publish_events ORDER BY id").fetchall()
    return [tuple(r) for r in rows]


def test_a_refused_release_publishes_nothing_and_a_passing_one_is_served_until_rolled_back(tmp_path: Path) -> None:
    to, store = tmp_path / "deliveries", tmp_path / "h.db"
    refused = contrakt.publish(DELIVERIES, STAGED / "deliveries-broken", to, now=NOW, history=store)
    assert not refused and refused.outcome == "refused" and refused.why == "the audit failed"
    assert refused.current is None and not (to / "_published.json").exists()
    assert not refused.check.passed and refused.check.failures

    first = contrakt.publish(DELIVERIES, STAGED / "deliveries-fixed", to, now=NOW, history=store)
    assert first.published and first.check.passed and first.previous is None
    assert pointer(to)["current"] == first.current
    second = contrakt.publish(DELIVERIES, STAGED / "deliveries-fixed", to, now=NOW, history=store)
    assert second.previous == first.current and pointer(to)["current"] == second.current

    assert contrakt.rollback(to, history=store) == first.current
    assert pointer(to)["current"] == first.current
    assert events(store) == [
        ("refuse", None, None),
        ("publish", None, first.current),
        ("publish", first.current, second.current),
        ("rollback", second.current, first.current),
    ]


def test_python_and_the_cli_judge_a_release_alike(cli: Path, tmp_path: Path) -> None:  # noqa: F811
    for staged in ("broken", "fixed"):
        by_python = contrakt.publish(DELIVERIES, STAGED / f"deliveries-{staged}", tmp_path / f"py-{staged}", now=NOW,
                                     history=False)
        done = subprocess.run(
            [str(cli), "publish", str(DELIVERIES), "--staged", str(STAGED / f"deliveries-{staged}"), "--to",
             str(tmp_path / f"cli-{staged}"), "--now", NOW, "--no-history", "--format", "json"],
            cwd=REPO, capture_output=True, text=True, timeout=300,
        )
        by_cli = json.loads(done.stdout)
        assert done.returncode == (0 if by_python.published else 1), done.stderr
        assert by_cli["published"] == by_python.published
        statuses = lambda results: sorted((r["id"], r["status"]) for r in results)  # noqa: E731
        assert statuses(by_cli["check"]["reports"][0]["results"]) == statuses(by_python.check.to_dict()["reports"][0]["results"])


def test_bad_arguments_raise_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(contrakt.ContraktUsageError, match="between 0 and 1"):
        contrakt.publish(DELIVERIES, STAGED / "deliveries-fixed", tmp_path / "t", canary=2.0, history=False)
    with pytest.raises(contrakt.ContraktError):
        contrakt.rollback(tmp_path / "never-published", history=False)
    assert not (tmp_path / "t").exists()
