"""The rest of the library, as the command line runs it: ``lint``, ``import_schema`` and
``export``, ``history``/``events``/``annotate``, the alert workflows (``route_alerts``,
``incidents``, ``deliveries``, ``retry_alerts``) and ``write_report`` (``contrakt report``). Each
calls the same Rust workflow as its ``contrakt`` command and returns, as data, what that
command's ``--format json`` prints.

Alerts are never sent unless asked: ``route_alerts`` is a dry run unless ``send=True``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from . import _contrakt
from .exceptions import ContraktUsageError
from .report import CheckResult

__all__ = [
    "Exported",
    "Imported",
    "LintResult",
    "SiteWritten",
    "annotate",
    "deliveries",
    "events",
    "export",
    "history",
    "import_schema",
    "incidents",
    "lint",
    "write_report",
    "retry_alerts",
    "route_alerts",
]

PathArg = str | os.PathLike[str]
_FAIL_ON = ("error", "warning", "info")


def _paths(paths: PathArg | Sequence[PathArg]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _opt(path: PathArg | None) -> str | None:
    return None if path is None else os.fspath(path)


def _time(t: _dt.datetime | _dt.date | str | None) -> str | None:
    if t is None or isinstance(t, str):
        return t
    if isinstance(t, (_dt.datetime, _dt.date)):
        return t.isoformat()
    raise TypeError(f"expected a datetime, a date or an RFC 3339 string, got {type(t).__name__}")


@dataclass(frozen=True)
class LintResult:
    """What :func:`lint` found: ``findings`` (each ``code``, ``level``, ``message``, ``file``,
    ``line``…, as ``contrakt lint --format json`` prints them) and their ``summary``."""

    findings: list[dict[str, Any]]
    summary: dict[str, Any]
    fail_on: str
    passed: bool
    #: A file could not be read at all (the command's exit code 2).
    fatal: bool

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        s = self.summary
        verdict = "passed" if self.passed else ("could not lint" if self.fatal else "failed")
        return (
            f"<LintResult {verdict}: {s.get('files', 0)} files, {s.get('errors', 0)} errors, "
            f"{s.get('warnings', 0)} warnings, {s.get('infos', 0)} infos>"
        )


def lint(
    paths: PathArg | Sequence[PathArg] = ".", *, ignore: Sequence[str] = (), fail_on: str | None = None
) -> LintResult:
    """Lints the contracts and consumer files at ``paths`` (files, or folders searched for them)
    as ``contrakt lint`` does, with the registry's ``lint:`` settings. ``fail_on`` defaults to
    ``lint.fail-on`` of ``contrakt.yaml``, else ``error``."""
    if fail_on is not None and fail_on not in _FAIL_ON:
        raise ContraktUsageError(f"fail_on: expected one of {', '.join(_FAIL_ON)}, found {fail_on!r}")
    text, level, passed, fatal = _contrakt.lint(_paths(paths), list(ignore), fail_on)
    doc = json.loads(text)
    return LintResult(doc.get("findings", []), doc.get("summary", {}), level, passed, fatal)


@dataclass(frozen=True)
class Imported:
    """A draft contract from :func:`import_schema`: its YAML, and what it could not say."""

    yaml: str
    warnings: list[str] = field(default_factory=list)

    def write(self, path: PathArg) -> Path:
        """Writes the draft to ``path`` (as ``contrakt import -o``) and returns it."""
        out = Path(path)
        out.write_text(self.yaml, encoding="utf-8")
        return out


def import_schema(
    file: PathArg, *, format: str | None = None, id: str | None = None, models: Sequence[str] = ()
) -> Imported:
    """A draft ODCS contract from a producer schema (JSON Schema, Avro, Protobuf, SQL DDL,
    Parquet, Arrow, a dbt manifest), as ``contrakt import`` writes it. ``format`` defaults to
    the file's; ``models`` picks a dbt manifest's models. Load it with :func:`contrakt.load`."""
    yaml, warnings = _contrakt.import_schema(os.fspath(file), format=format, id=id, models=list(models))
    return Imported(yaml, warnings)


@dataclass(frozen=True)
class Exported:
    """A contract exported by :func:`export`: the file's bytes, and what it could not say."""

    content: bytes
    is_text: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The file as text (every language but ``arrow``, which is binary)."""
        if not self.is_text:
            raise ContraktUsageError("this export is binary (an Arrow IPC file): use .content or .write()")
        return self.content.decode("utf-8")

    def write(self, path: PathArg) -> Path:
        """Writes the file to ``path`` (as ``contrakt export -o``) and returns it."""
        out = Path(path)
        out.write_bytes(self.content)
        return out


def export(contract: PathArg, to: str, object: str | None = None) -> Exported:
    """The contract file's schema (and, for the check languages, its rules) in language ``to``:
    ``jsonschema``, ``avro``, ``protobuf``, ``sql`` (``sql:snowflake``…), ``arrow``, ``dbt``,
    ``soda`` or ``great-expectations``, as ``contrakt export`` writes it."""
    content, is_text, warnings = _contrakt.export(os.fspath(contract), to, object)
    return Exported(bytes(content), is_text, warnings)


def history(
    contract: str | None = None,
    *,
    object: str | None = None,
    metric: str | None = None,
    since: _dt.datetime | _dt.date | str | None = None,
    store: PathArg | None = None,
) -> list[dict[str, Any]]:
    """The recorded metrics that match, oldest first (``at``, ``contract``, ``object``,
    ``property``, ``metric``, ``value``, ``segment``…), as ``contrakt history --format json``.
    ``store``: the history store [default: ``$CONTRAKT_HISTORY``, else the working folder's]."""
    text = _contrakt.history_points(_opt(store), contract, object, metric, _time(since))
    points: list[dict[str, Any]] = json.loads(text)
    return points


def events(
    contract: str | None = None,
    *,
    object: str | None = None,
    since: _dt.datetime | _dt.date | str | None = None,
    store: PathArg | None = None,
) -> list[dict[str, Any]]:
    """The recorded publish events (published, refused, rolled back) that match, as
    ``contrakt history --events --format json``."""
    text = _contrakt.history_events(_opt(store), contract, object, _time(since))
    found: list[dict[str, Any]] = json.loads(text)
    return found


def annotate(
    contract: str,
    start: _dt.datetime | _dt.date | str,
    note: str,
    *,
    end: _dt.datetime | _dt.date | str | None = None,
    object: str | None = None,
    metric: str | None = None,
    store: PathArg | None = None,
) -> int:
    """Marks a stretch of a contract's metrics as expected (a holiday, a backfill): adaptive
    checks neither learn from it nor flag it. A date alone names that whole day. Returns the
    annotation's id."""
    id, _ = _contrakt.annotate(contract, _time(start) or "", note, end=_time(end), object=object, metric=metric, store=_opt(store))
    return id


def _report_json(report: CheckResult | dict[str, Any] | PathArg) -> str:
    if isinstance(report, CheckResult):
        return json.dumps(report.to_dict())
    if isinstance(report, dict):
        return json.dumps(report)
    return Path(report).read_text(encoding="utf-8")


def route_alerts(
    report: CheckResult | dict[str, Any] | PathArg,
    paths: PathArg | Sequence[PathArg] = ".",
    *,
    send: bool = False,
    state: PathArg | None = None,
    now: _dt.datetime | _dt.date | str | None = None,
    deliver_for: float | None = None,
) -> dict[str, Any]:
    """Routes a check report (a :class:`CheckResult`, its dict, or a ``contrakt check --format
    json`` file) to the owners and consumers it concerns, over the registry at ``paths``.

    By default a dry run: ``{"checks": [...]}``, every alert planned with its deliveries, nothing
    sent or recorded. With ``send=True`` the alerts are recorded and delivered (for up to
    ``deliver_for`` seconds): ``{"recorded", "delivered", "dead_letters"}``."""
    now_text = _time(now)
    text = _contrakt.route_alerts(
        _paths(paths), _report_json(report), send=send, state=_opt(state), now=now_text, deliver_for=deliver_for
    )
    out: dict[str, Any] = json.loads(text)
    return out


def incidents(paths: PathArg | Sequence[PathArg] = ".", *, state: PathArg | None = None) -> list[dict[str, Any]]:
    """The incidents of the registry's alert state, open and resolved."""
    found: list[dict[str, Any]] = json.loads(_contrakt.incidents(_paths(paths), _opt(state)))["incidents"]
    return found


def deliveries(
    paths: PathArg | Sequence[PathArg] = ".", *, state: PathArg | None = None, failed: bool = False
) -> list[dict[str, Any]]:
    """The deliveries of the alert outbox; with ``failed``, only those given up."""
    rows: list[dict[str, Any]] = json.loads(_contrakt.deliveries(_paths(paths), _opt(state), failed))["deliveries"]
    return rows


def retry_alerts(
    paths: PathArg | Sequence[PathArg] = ".",
    ids: Sequence[int] = (),
    *,
    state: PathArg | None = None,
    deliver_for: float | None = None,
) -> dict[str, Any]:
    """Queues given-up deliveries (``ids``, or all) again and delivers the outbox:
    ``{"requeued", "delivered"}``."""
    out: dict[str, Any] = json.loads(_contrakt.retry_alerts(_paths(paths), list(ids), _opt(state), deliver_for))
    return out


@dataclass(frozen=True)
class SiteWritten:
    """The site :func:`write_report` wrote."""

    index: Path
    contracts: int
    failing: int
    files: int


def write_report(
    output: PathArg,
    paths: PathArg | Sequence[PathArg] = ".",
    *,
    history: PathArg | None = None,
    alerts_state: PathArg | None = None,
    now: _dt.datetime | _dt.date | str | None = None,
    runs: int = 90,
    commits: int = 30,
    title: str | None = None,
) -> SiteWritten:
    """Writes the registry at ``paths`` as a static HTML site into ``output``, as ``contrakt
    report`` does: contracts, consumers, the metrics history and its baselines, incidents and
    each contract's change history. Without ``now`` the same inputs give the same bytes."""
    index, contracts, failing, files = _contrakt.report(
        _paths(paths), os.fspath(output), history=_opt(history), alerts_state=_opt(alerts_state), now=_time(now),
        runs=runs, commits=commits, title=title,
    )
    return SiteWritten(Path(index), contracts, failing, files)
