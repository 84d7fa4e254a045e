"""``check``, ``diff``, ``publish``/``rollback`` and the ``validates`` decorator."""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.util
import json
import os
import sys
import threading
import warnings
from typing import Any, Callable, Literal, Mapping, TypeVar

from . import _contrakt
from .contract import Contract, load
from .exceptions import AlertWarning, ContraktError, ContraktUsageError, DataConversionError, HistoryWarning
from .report import CheckResult, DiffReport, PublishResult

__all__ = ["check", "diff", "publish", "rollback", "validates"]

F = TypeVar("F", bound=Callable[..., Any])
_FAIL_ON = ("error", "warning", "info")
# `memory_budget="none"`, as the binding takes it: the largest budget, which it reads as none.
_NO_BUDGET = 2**64 - 1


def _label(data: Any) -> str:
    t = type(data)
    return f"{t.__module__.split('.')[0]}.{t.__name__}"


def _arrow(data: Any) -> Any:
    """Something the native module reads as Arrow, without copying where the producer allows."""
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        return data
    module = type(data).__module__
    if module.startswith("polars") and hasattr(data, "collect"):  # a LazyFrame
        return data.collect()
    if module.startswith("pandas"):  # pandas before 2.2 exports no capsule
        import pyarrow as pa

        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(
        f"contrakt.check: cannot read a {_label(data)} as data; pass a pyarrow, polars or pandas frame (anything "
        "with __arrow_c_stream__), a path, or a dict of them by object name"
    )


def _is_path(data: Any) -> bool:
    return isinstance(data, (str, os.PathLike))


def _now(now: Any) -> str | None:
    if now is None or isinstance(now, str):
        return now
    if isinstance(now, (_dt.datetime, _dt.date)):
        return now.isoformat()
    raise TypeError(f"now: expected a datetime, a date or an RFC 3339 string, got {type(now).__name__}")


def _as_of(as_of: Any) -> str | None:
    if as_of is None or isinstance(as_of, str):
        return as_of
    if isinstance(as_of, int) and not isinstance(as_of, bool):
        if as_of < 0:
            raise ContraktUsageError(f"as_of: expected a table version (0 or more) or a time, found {as_of}")
        return str(as_of)
    if isinstance(as_of, (_dt.datetime, _dt.date)):
        return as_of.isoformat()
    raise TypeError(f"as_of: expected a version, a datetime, a date or an RFC 3339 string, got {type(as_of).__name__}")


def _interactive() -> bool:
    return "ipykernel" in sys.modules or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


T = TypeVar("T")


def _with_progress(call: Callable[[], T], label: str, progress: bool | None) -> T:
    """Runs ``call`` (which releases the GIL) on a worker thread while a tqdm bar shows the time
    taken, when tqdm is installed and ``progress`` is True (or None in a notebook or terminal).
    Waiting in short slices keeps the caller interruptible (Ctrl-C, a notebook's stop button)."""
    if progress is False or importlib.util.find_spec("tqdm") is None or (progress is None and not _interactive()):
        return call()
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm  # a notebook widget where there is one
    else:
        from tqdm import tqdm  # text (tqdm.auto would warn about missing widgets)

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as e:  # handed to the caller's thread
            box["error"] = e

    worker = threading.Thread(target=work, name="contrakt-check", daemon=True)
    with tqdm(total=None, desc=label, bar_format="{desc}: {elapsed}", leave=False) as bar:
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
            bar.update(0)
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _location(location: str | os.PathLike[str]) -> str:
    """A folder relative to the working folder made absolute; a URL as it is."""
    text = os.fspath(location)
    return text if "://" in text else os.path.abspath(text)


def check(
    data: Any,
    contract: str | os.PathLike[str] | Contract,
    object: str | None = None,
    *,
    now: _dt.datetime | _dt.date | str | None = None,
    sample: int = 5,
    fail_on: str = "error",
    where: str | None = None,
    unmask: bool = False,
    progress: bool | None = None,
    notify: bool = False,
    memory_limit: int | None = None,
    memory_budget: int | Literal["none"] | None = None,
    quarantine: str | os.PathLike[str] | None = None,
    quarantine_rows: str = "keys",
    quarantine_run: str | None = None,
    as_of: int | str | _dt.datetime | _dt.date | None = None,
    server: str | None = None,
) -> CheckResult:
    """Checks data against a contract: schema conformance, property constraints, quality rules,
    SLAs and references, in one fused DataFusion scan per object.

    ``data`` is a dataframe-like object (pyarrow, polars, pandas, DuckDB or anything exporting
    ``__arrow_c_stream__``, read without a copy), a path or folder of Parquet/CSV/NDJSON/Arrow
    files, a dict of either by object name, or ``None`` to read what the contract's servers name.
    ``object`` names the contract object a single frame is (needed when the contract has several).
    Failed checks are results, not exceptions: call ``raise_for_failures()`` to stop a pipeline.
    ``progress`` shows a tqdm bar while the check runs (default: in notebooks and terminals,
    when tqdm is installed).

    ``notify=True`` alerts as ``contrakt run`` does: failed checks open incidents and are sent
    over the routes and channels of the ``alerts:`` section of the contract's registry
    (``contrakt.yaml``; secrets from the environment variables it names), once per incident.
    Off by default, so exploring never pages anyone. What alerting did is ``result.alerts``; a
    failure to alert does not change the result and is reported as an :class:`AlertWarning`.

    ``memory_limit`` (bytes) keeps the engine within that memory, as ``contrakt check
    --memory-limit`` does: groupings spill to the temp folder, and exact uniqueness runs as a
    grouping instead of holding every distinct value (slower, same results).

    ``memory_budget`` (bytes, or ``"none"``) replaces the default budget (a quarter of the
    machine's or container's memory, 256 MiB to 1 GiB), as ``contrakt check --memory-budget``
    does: groupings and sorts spill beyond it, and exact uniqueness stays in the scan while it
    fits. Ignored when ``memory_limit`` is given.

    ``quarantine`` (a folder, or an ``s3://``/``gs://`` prefix) receives every row failing a
    row-level check while the scan runs, as ``contrakt check --quarantine`` writes it: one Parquet
    file per object at ``RUN/CONTRACT/OBJECT.parquet``, with the key columns (or, with
    ``quarantine_rows="full"``, the whole row, classified columns masked) and a
    ``failing_checks`` list. Where it went and how many rows: ``result.objects[i]["quarantine"]``.

    ``as_of`` checks an earlier snapshot of a Delta or Iceberg table, as ``contrakt check
    --as-of`` does: a Delta version or an Iceberg snapshot id (an ``int``), or a time (a
    ``datetime``, a date or an RFC 3339 string: the table as it was then). The version read is
    ``result.objects[i]["table_version"]``; on other data it is a :class:`ContraktUsageError`.

    ``server`` names the contract's server to read, as ``contrakt check --server`` does: on a
    PostgreSQL server the checks (and the quarantine's failing rows) run there, signed in from
    ``CONTRAKT_PG_USER`` and ``CONTRAKT_PG_PASSWORD``; ``data`` must then be ``None``.
    """
    if fail_on not in _FAIL_ON:
        raise ContraktUsageError(f"fail_on: expected one of {', '.join(_FAIL_ON)}, found {fail_on!r}")
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
        raise ContraktUsageError(f"sample: expected a count of rows (0 or more), found {sample!r}")
    if memory_limit is not None and (
        isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or memory_limit <= 0
    ):
        raise ContraktUsageError(f"memory_limit: expected a number of bytes above 0, found {memory_limit!r}")
    budget: int | None
    if memory_budget is None:
        budget = None
    elif memory_budget == "none":
        budget = _NO_BUDGET
    elif isinstance(memory_budget, bool) or not isinstance(memory_budget, int) or memory_budget <= 0:
        raise ContraktUsageError(
            f"memory_budget: expected a number of bytes above 0 or 'none', found {memory_budget!r}"
        )
    else:
        budget = memory_budget
    if quarantine_rows not in ("keys", "full"):
        raise ContraktUsageError(f"quarantine_rows: expected 'keys' or 'full', found {quarantine_rows!r}")
    c = load(contract)
    if notify and c._native.path is None:
        raise ContraktUsageError(
            "notify=True needs a contract read from a file: the alert routes are in its registry's contrakt.yaml"
        )
    frames: list[tuple[str | None, str, Any]] = []
    paths: list[tuple[str | None, str]] = []
    objects: list[str] = []
    if data is None:
        if object is not None:
            objects.append(object)
    elif isinstance(data, Mapping):
        if object is not None:
            raise ContraktUsageError("object: with a dict of data, the dict's keys name the objects")
        for name, d in data.items():
            if not isinstance(name, str):
                raise TypeError(f"data: dict keys must be object names, found {name!r}")
            if _is_path(d):
                paths.append((name, os.fspath(d)))
            else:
                frames.append((name, _label(d), _arrow(d)))
    elif _is_path(data):
        paths.append((object, os.fspath(data)))
    else:
        frames.append((object, _label(data), _arrow(data)))
    try:
        report, alerts, history_warnings = _with_progress(
            lambda: _contrakt.check(
                c._native, frames, paths, objects, now=_now(now), sample=sample, unmask=unmask, filter=where,
                fail_on=fail_on, notify=notify, memory_limit=memory_limit, memory_budget=budget,
                quarantine=None if quarantine is None else _location(quarantine),
                quarantine_rows=quarantine_rows, quarantine_run=quarantine_run, as_of=_as_of(as_of),
                server=server,
            ),
            f"checking {c.id}",
            progress,
        )
    except ContraktError:
        raise
    except Exception as e:
        # Anything else comes from exporting the frames (the producer's conversion to Arrow).
        names = ", ".join(label for _, label, _ in frames) or "the data"
        raise DataConversionError(f"cannot read {names} as Arrow: {e}") from e
    for w in history_warnings:
        warnings.warn(f"contrakt: {w}", HistoryWarning, stacklevel=2)
    result = CheckResult(json.loads(report), fail_on=fail_on)
    if alerts is not None:
        result.alerts = json.loads(alerts)
        _warn_about_alerts(result.alerts)
    return result


def _warn_about_alerts(alerts: dict[str, Any]) -> None:
    if "error" in alerts:
        warnings.warn(f"contrakt: alerts not sent: {alerts['error']}", AlertWarning, stacklevel=3)
        return
    delivered = alerts.get("delivered", {})
    if delivered.get("pending") or delivered.get("dead"):
        warnings.warn(f"contrakt: not every alert was delivered: {alerts.get('summary', '')}", AlertWarning, stacklevel=3)


def _store(history: str | os.PathLike[str] | bool | None) -> str | None:
    if history is None or history is True:
        return None
    if history is False:
        return ""
    return os.fspath(history)


def publish(
    contract: str | os.PathLike[str],
    staged: str | os.PathLike[str],
    to: str | os.PathLike[str],
    object: str | None = None,
    *,
    canary: float | None = None,
    now: _dt.datetime | _dt.date | str | None = None,
    keep: int = 3,
    fail_on: str = "error",
    history: str | os.PathLike[str] | bool | None = None,
    notify: bool = False,
    quarantine: str | os.PathLike[str] | None = None,
    quarantine_rows: str = "keys",
) -> PublishResult:
    """Write-audit-publish, as ``contrakt publish`` does: checks the ``staged`` data (a folder,
    a file or an ``s3://`` prefix) with the contract file and, only if it passes, makes it the
    release readers of ``to`` (a folder or ``s3://`` prefix) get. ``canary`` checks that
    fraction of the rows first. A refusal is a result (``result.published`` is false, with
    ``result.why`` and the audit in ``result.check``), not an exception. ``to`` may be a local
    Delta table (the staged data is appended in one commit) or a local Iceberg table (its folder
    or ``"sqlite:///catalog.db#ns.table"``), whose staged snapshot ``staged`` names as
    ``"@BRANCH"``, ``"@SNAPSHOT_ID"`` or ``"@wap.id=ID"``: ``main`` is fast-forwarded to it.

    ``history`` is where the publish is recorded: the registry's ``history:`` by default, a
    file or ``postgres://`` URL, or ``False`` for nowhere. ``notify=True`` alerts a refusal
    over the registry's routes (off by default).

    ``quarantine`` (a folder or ``s3://`` prefix) receives the rows failing row-level checks, as
    ``contrakt publish --quarantine``; when the contract allows partial publication
    (``contraktPartialPublish`` on the object), the rows that pass are published and
    ``result.partial`` says how many rows were published and held back, and where.
    """
    if fail_on not in _FAIL_ON:
        raise ContraktUsageError(f"fail_on: expected one of {', '.join(_FAIL_ON)}, found {fail_on!r}")
    result, publish_warnings = _contrakt.publish(
        os.fspath(contract), os.fspath(staged), os.fspath(to), object, canary=canary, now=_now(now), keep=keep,
        fail_on=fail_on, store=_store(history), notify=notify,
        quarantine=None if quarantine is None else _location(quarantine), quarantine_rows=quarantine_rows,
    )
    for w in publish_warnings:
        warnings.warn(f"contrakt: {w}", HistoryWarning, stacklevel=2)
    out = PublishResult(json.loads(result), fail_on=fail_on)
    if out.alerts is not None:
        _warn_about_alerts(out.alerts)
    return out


def rollback(
    to: str | os.PathLike[str], object: str | None = None, *, history: str | os.PathLike[str] | bool | None = None
) -> str:
    """Points the published folder or prefix ``to`` back at its previous release, as
    ``contrakt publish --rollback`` does, and returns the release readers now get."""
    current, rollback_warnings = _contrakt.rollback(os.fspath(to), object, store=_store(history))
    for w in rollback_warnings:
        warnings.warn(f"contrakt: {w}", HistoryWarning, stacklevel=2)
    return current


def diff(
    old: str | os.PathLike[str] | Contract,
    new: str | os.PathLike[str] | Contract,
    mode: str | None = "full",
    consumers: str | os.PathLike[str] | None = None,
    *,
    strict_consumers: bool = False,
    fail_on: str = "error",
) -> DiffReport:
    """Compares two schemas (ODCS contracts, JSON Schema, Avro, Protobuf, SQL DDL, Parquet or
    Arrow files) and judges which changes break whom under ``mode`` (``none``, ``backward``,
    ``forward``, ``full``; ``None`` picks the registry's default). ``consumers`` is a consumer
    registry folder; by default the one of the registry ``new`` sits in."""
    if fail_on not in _FAIL_ON:
        raise ContraktUsageError(f"fail_on: expected one of {', '.join(_FAIL_ON)}, found {fail_on!r}")

    def side(s: Any) -> Any:
        if isinstance(s, Contract):
            return s._native
        if isinstance(s, (str, os.PathLike)):
            text = os.fspath(s)
            # Contract text (not a path) is loaded first, as `load` would.
            return load(text)._native if "\n" in text else text
        raise TypeError(f"contrakt.diff: expected a path or a Contract, got {type(s).__name__}")

    report = _contrakt.diff(
        side(old),
        side(new),
        mode=mode,
        consumers=None if consumers is None else os.fspath(consumers),
        strict_consumers=strict_consumers,
        fail_on=fail_on,
    )
    return DiffReport(json.loads(report))


def validates(
    contract: str | os.PathLike[str] | Contract,
    object: str | None = None,
    *,
    fail_on: str = "error",
    now: _dt.datetime | _dt.date | str | None = None,
    sample: int = 5,
    notify: bool = False,
) -> Callable[[F], F]:
    """Decorates a function that returns a dataframe: the frame is checked against the contract
    on every call and returned unchanged, or :class:`ContractViolationError` is raised.

    The contract is loaded once, when the function is decorated, so a broken contract fails at
    import time rather than mid-pipeline. ``notify=True`` alerts as :func:`check` does, before
    raising.
    """
    c = load(contract)
    if notify and c._native.path is None:
        raise ContraktUsageError(
            "notify=True needs a contract read from a file: the alert routes are in its registry's contrakt.yaml"
        )

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = fn(*args, **kwargs)
            check(frame, c, object, now=now, sample=sample, fail_on=fail_on, notify=notify).raise_for_failures()
            return frame

        return wrapper  # type: ignore[return-value]

    return decorate
