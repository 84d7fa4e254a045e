# Stubs for the native module. The public API is the Python package around it (`contrakt`).
from os import PathLike
from typing import Any, Protocol

__version__: str

class ArrowStreamExportable(Protocol):
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

class Contract:
    @property
    def file(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    def to_json(self) -> str: ...
    def to_yaml(self) -> str: ...
    def lint(self) -> str: ...
    def consumers(self, folder: str | PathLike[str] | None = None) -> str: ...
    def arrow_schema(self, object: str | None = None) -> tuple[object, list[str]]: ...

def load_path(path: str | PathLike[str]) -> Contract: ...
def load_text(text: str, name: str = "<string>") -> Contract: ...
def check(
    contract: Contract,
    frames: list[tuple[str | None, str, ArrowStreamExportable]],
    data: list[tuple[str | None, str]],
    objects: list[str],
    now: str | None = None,
    sample: int = 5,
    unmask: bool = False,
    filter: str | None = None,
    fail_on: str = "error",
    notify: bool = False,
    memory_limit: int | None = None,
    memory_budget: int | None = None,
    quarantine: str | None = None,
    quarantine_rows: str = "keys",
    quarantine_run: str | None = None,
    as_of: str | None = None,
    server: str | None = None,
) -> tuple[str, str | None, list[str]]: ...
def failure_cases(report_json: str) -> Any: ...
def diff(
    old: Contract | str | PathLike[str],
    new: Contract | str | PathLike[str],
    mode: str | None = None,
    consumers: str | PathLike[str] | None = None,
    strict_consumers: bool = False,
    fail_on: str = "error",
) -> str: ...
def publish(
    contract: str | PathLike[str],
    staged: str | PathLike[str],
    to: str | PathLike[str],
    object: str | None = None,
    canary: float | None = None,
    now: str | None = None,
    keep: int = 3,
    fail_on: str = "error",
    store: str | None = None,
    notify: bool = False,
    quarantine: str | None = None,
    quarantine_rows: str = "keys",
) -> tuple[str, list[str]]: ...
def rollback(
    to: str | PathLike[str], object: str | None = None, store: str | None = None
) -> tuple[str, list[str]]: ...
def lint(
    paths: list[str], ignore: list[str] = ..., fail_on: str | None = None
) -> tuple[str, str, bool, bool]: ...
def import_schema(
    file: str, format: str | None = None, id: str | None = None, models: list[str] = ...
) -> tuple[str, list[str]]: ...
def export(contract: str, to: str, object: str | None = None) -> tuple[bytes, bool, list[str]]: ...
def history_points(
    store: str | None = None,
    contract: str | None = None,
    object: str | None = None,
    metric: str | None = None,
    since: str | None = None,
) -> str: ...
def history_events(
    store: str | None = None, contract: str | None = None, object: str | None = None, since: str | None = None
) -> str: ...
def annotate(
    contract: str,
    start: str,
    note: str,
    end: str | None = None,
    object: str | None = None,
    metric: str | None = None,
    store: str | None = None,
) -> tuple[int, str]: ...
def route_alerts(
    paths: list[str],
    report: str,
    send: bool = False,
    state: str | None = None,
    now: str | None = None,
    deliver_for: float | None = None,
) -> str: ...
def incidents(paths: list[str], state: str | None = None) -> str: ...
def deliveries(paths: list[str], state: str | None = None, failed: bool = False) -> str: ...
def retry_alerts(
    paths: list[str], ids: list[int] = ..., state: str | None = None, deliver_for: float | None = None
) -> str: ...
def report(
    paths: list[str],
    output: str,
    history: str | None = None,
    alerts_state: str | None = None,
    now: str | None = None,
    runs: int = 90,
    commits: int = 30,
    title: str | None = None,
) -> tuple[str, int, int, int]: ...
def panic_for_tests() -> None: ...
