"""``check(..., notify=True)``: the alerts of ``contrakt run``, delivered to a real webhook
receiver on loopback; and nothing at all without it."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

import contrakt
from conftest import CONTRACTS, DATA, NOW

ORDERS_ID = "urn:contrakt:meal-kit:orders"
SECRET = "hook-signing-secret"
TOKEN = "secret-path-token-123"


class Receiver:
    """An HTTP server on loopback that records every POST and answers 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


ALERTS = (
    "version: 1\n"
    'contracts: ["*.odcs.yaml"]\n'
    "alerts:\n"
    "  min-backoff: 10ms\n"
    "  channels:\n"
    "    - {name: hook, kind: webhook, url-env: CONTRAKT_TEST_HOOK_URL, secret-env: CONTRAKT_TEST_HOOK_SECRET}\n"
    "  routes:\n"
    f'    - {{name: errors, min-severity: error, match: {{contracts: ["{ORDERS_ID}"]}}, channels: [hook]}}\n'
)


@pytest.fixture
def registry(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example registry in a temp folder, its alerts routed to the receiver; the URL and the
    signing secret only in the environment."""
    (tmp_path / "consumers").mkdir()
    for f in [*CONTRACTS.glob("*.odcs.yaml"), *(CONTRACTS / "consumers").glob("*.yaml")]:
        shutil.copy(f, tmp_path / f.relative_to(CONTRACTS))
    (tmp_path / "contrakt.yaml").write_text(ALERTS)
    monkeypatch.setenv("CONTRAKT_TEST_HOOK_URL", receiver.url(f"/hooks/{TOKEN}"))
    monkeypatch.setenv("CONTRAKT_TEST_HOOK_SECRET", SECRET)
    return tmp_path


def check(registry: Path, **kwargs: Any) -> contrakt.CheckResult:
    return contrakt.check(
        DATA / "orders" / "orders.parquet", registry / "orders.odcs.yaml", object="orders", now=NOW, **kwargs
    )


def test_nothing_is_sent_without_notify(registry: Path, receiver: Receiver) -> None:
    result = check(registry)
    assert not result.passed
    assert result.alerts is None
    assert receiver.received == []
    assert not (registry / ".contrakt").exists(), "no incident recorded either"


def test_notify_delivers_each_alert_once(registry: Path, receiver: Receiver) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", contrakt.AlertWarning)
        result = check(registry, notify=True)
    assert not result.passed, "alerting does not change the result"
    got = receiver.received
    # The orders data's failed error-level checks (and the reference that could not run without
    # the customers), each to the owners and to the consumers.
    failed = {r.id for r in result.failures}
    assert failed and len(got) >= len(failed), (len(got), failed)
    assert result.alerts is not None
    assert result.alerts["delivered"] == {"delivered": len(got), "retried": 0, "dead": 0, "pending": 0}
    assert result.alerts["recorded"]["queued"] == len(got)
    assert f"delivered {len(got)}, failed attempts 0" in result.alerts["summary"]
    checks = set()
    for r in got:
        assert r["path"] == f"/hooks/{TOKEN}"
        payload = json.loads(r["body"])
        assert payload["schema"] == "contrakt.alert/v1"
        assert payload["contract"]["id"] == ORDERS_ID
        assert payload["severity"] == "error"
        assert payload["checked_at"] == NOW
        checks.add(payload["check"]["id"])
        # Signed with the secret from the environment (HMAC-SHA256 of the body).
        sig = "sha256=" + hmac.new(SECRET.encode(), r["body"], hashlib.sha256).hexdigest()
        assert r["headers"]["x-contrakt-signature"] == sig
    assert checks == failed, "every failure alerted, nothing else"

    # The same data again: the incidents are open, nobody is told twice.
    again = check(registry, notify=True)
    assert len(receiver.received) == len(got)
    assert again.alerts is not None and again.alerts["recorded"]["queued"] == 0
    for shown in (json.dumps(result.alerts), json.dumps(again.alerts), repr(result)):
        assert TOKEN not in shown and SECRET not in shown


def test_the_decorator_alerts_before_raising(registry: Path, receiver: Receiver) -> None:
    @contrakt.validates(registry / "orders.odcs.yaml", object="orders", now=NOW, notify=True)
    def orders() -> Path:
        return DATA / "orders" / "orders.parquet"

    @contrakt.validates(registry / "orders.odcs.yaml", object="orders", now=NOW)
    def quiet() -> Path:
        return DATA / "orders" / "orders.parquet"

    with pytest.raises(contrakt.ContractViolationError):
        quiet()
    assert receiver.received == []
    with pytest.raises(contrakt.ContractViolationError) as e:
        orders()
    assert receiver.received, "alerted before raising"
    assert e.value.result.alerts["delivered"]["delivered"] == len(receiver.received)


def test_an_unusable_alerts_section_warns_and_the_result_stands(registry: Path, receiver: Receiver) -> None:
    (registry / "contrakt.yaml").write_text(ALERTS.replace("min-backoff", "min-backof"))
    with pytest.warns(contrakt.AlertWarning, match="min-backof"):
        result = check(registry, notify=True)
    assert not result.passed and result.results
    assert result.alerts is not None and "min-backof" in result.alerts["error"]
    assert receiver.received == []


def test_an_unreachable_receiver_warns_with_what_is_pending(registry: Path, receiver: Receiver) -> None:
    (registry / "contrakt.yaml").write_text(ALERTS.replace("min-backoff: 10ms", "min-backoff: 1h"))
    receiver.stop()
    with pytest.warns(contrakt.AlertWarning, match="not every alert was delivered"):
        result = check(registry, notify=True)
    assert result.alerts is not None and result.alerts["delivered"]["pending"] > 0
    # The URL (with its token) is a secret: not in what the user sees.
    assert TOKEN not in json.dumps(result.alerts)


def test_notify_needs_a_contract_file() -> None:
    text = (CONTRACTS / "orders.odcs.yaml").read_text()
    with pytest.raises(contrakt.ContraktUsageError, match="contract read from a file"):
        contrakt.check(DATA / "orders" / "orders.parquet", text, object="orders", notify=True)
