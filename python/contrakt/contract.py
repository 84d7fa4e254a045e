"""Loaded contracts: :func:`load` and :class:`Contract`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from . import _contrakt

__all__ = ["Contract", "Finding", "SchemaObject", "load"]


def load(source: str | os.PathLike[str] | Contract) -> Contract:
    """Loads an ODCS contract from a path, or from its YAML/JSON text.

    A string with a line break, or one that starts like a document (``apiVersion:``, ``{``), is
    read as text; any other string is a path.

    >>> c = load("apiVersion: v3.1.0\\nkind: DataContract\\nid: urn:x\\nversion: 1.0.0\\nstatus: active\\n")
    >>> c.id, c.version
    ('urn:x', '1.0.0')
    """
    if isinstance(source, Contract):
        return source
    if isinstance(source, os.PathLike):
        return Contract(_contrakt.load_path(os.fspath(source)))
    if not isinstance(source, str):
        raise TypeError(f"contrakt.load: expected a path or contract text, got {type(source).__name__}")
    stripped = source.lstrip()
    if "\n" in source or stripped.startswith(("apiVersion", "{", "kind:", "---")):
        return Contract(_contrakt.load_text(source))
    return Contract(_contrakt.load_path(source))


@dataclass(frozen=True)
class Finding:
    """One lint finding: a rule code, where, and why."""

    code: str
    rule: str
    level: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    help: str | None = None

    @classmethod
    def _from_json(cls, f: dict[str, Any]) -> Finding:
        return cls(
            code=f.get("code", ""),
            rule=f.get("rule") or f.get("name") or "",
            level=f.get("level", ""),
            message=f.get("message", ""),
            file=f.get("file"),
            line=f.get("line"),
            column=f.get("column"),
            path=f.get("path"),
            help=f.get("help"),
        )

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        return f"{where}: {self.level}[{self.code}]: {self.message}" if where else f"{self.level}[{self.code}]: {self.message}"


@dataclass(frozen=True)
class SchemaObject:
    """One object (table) of a contract, with its properties and quality rules."""

    name: str
    properties: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [p.get("name", "") for p in self.properties]


class Contract:
    """An ODCS v3 contract, as contrakt reads it. ``to_dict()`` gives the typed fields."""

    def __init__(self, native: _contrakt.Contract) -> None:
        self._native = native
        self._dict: dict[str, Any] = json.loads(native.to_json())

    # Pickles as its source: the native model is rebuilt on load.
    def __reduce__(self) -> tuple[Any, ...]:
        path = self._native.path
        if path is not None:
            return (_load_path, (os.fspath(path),))
        return (_load_text, (self._native.text, self._native.file))

    @property
    def id(self) -> str:
        return self._dict.get("id", "")

    @property
    def version(self) -> str:
        return self._dict.get("version", "")

    @property
    def name(self) -> str | None:
        return self._dict.get("name")

    @property
    def status(self) -> str | None:
        return self._dict.get("status")

    @property
    def file(self) -> str:
        """The file it was read from (or ``<string>``)."""
        return self._native.file

    @property
    def objects(self) -> list[SchemaObject]:
        return [
            SchemaObject(name=o.get("name", ""), properties=o.get("properties", []), quality=o.get("quality", []))
            for o in self._dict.get("schema", [])
        ]

    def object(self, name: str) -> SchemaObject:
        for o in self.objects:
            if o.name == name:
                return o
        raise KeyError(f"the contract has no object {name!r} (it has: {', '.join(o.name for o in self.objects)})")

    @property
    def quality_rules(self) -> list[dict[str, Any]]:
        """Every quality rule, of objects and of properties, each with ``object`` (and ``property``)."""
        out = []
        for o in self._dict.get("schema", []):
            out += [{"object": o.get("name"), **q} for q in o.get("quality", [])]
            stack = [(p, p.get("name", "")) for p in o.get("properties", [])]
            while stack:
                p, path = stack.pop(0)
                out += [{"object": o.get("name"), "property": path, **q} for q in p.get("quality", [])]
                stack += [(c, f"{path}.{c.get('name', '')}") for c in p.get("properties", [])]
        return out

    @property
    def owners(self) -> list[dict[str, Any]]:
        """Team members (ODCS ``team``), each a dict with ``username``, ``role``, …"""
        team = self._dict.get("team")
        if isinstance(team, list):
            return team
        if isinstance(team, dict):
            return team.get("members", [])
        return []

    def consumers(self, folder: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
        """The registered consumers that use this contract (``id``, ``team``, ``contacts``,
        ``uses``), from ``folder`` or else the consumer folder of the contract's registry."""
        return json.loads(self._native.consumers(None if folder is None else os.fspath(folder)))

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._dict))

    def to_yaml(self) -> str:
        return self._native.to_yaml()

    def lint(self) -> list[Finding]:
        """``contrakt lint`` on this contract: JSON Schema validation and contrakt's rules."""
        report = json.loads(self._native.lint())
        return [Finding._from_json(f) for f in report.get("findings", [])]

    def __repr__(self) -> str:
        names = ", ".join(o.name for o in self.objects)
        return f"Contract(id={self.id!r}, version={self.version!r}, objects=[{names}])"


def _load_path(path: str) -> Contract:
    return Contract(_contrakt.load_path(path))


def _load_text(text: str, name: str) -> Contract:
    return Contract(_contrakt.load_text(text, name))
