"""Loaded contracts: :func:`load` and :class:`Contract`."""

from __future__ import annotations

import builtins
import json
import os
from dataclasses import dataclass, field
from typing import Any

from . import _contrakt
from .exceptions import ContraktUsageError

__all__ = ["ArrowSchema", "Contract", "Finding", "SchemaObject", "load"]


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


class ArrowSchema:
    """The Arrow schema of one contract object, through the Arrow PyCapsule interface:
    ``pyarrow.schema(s)``, ``arro3.core.Schema.from_arrow(s)``, ``nanoarrow.c_schema(s)``. It is
    the schema ``contrakt export --to arrow`` writes (types with widths, units and zones,
    nullability, descriptions in field metadata); ``losses`` lists what Arrow cannot say."""

    def __init__(self, native: _contrakt.Contract, object: str | None) -> None:
        self._native = native
        # Raises now, not in the consumer, when the object is missing or must be named.
        _, self.losses = native.arrow_schema(object)
        self.object = object

    def __arrow_c_schema__(self) -> object:
        return self._native.arrow_schema(self.object)[0]

    def __repr__(self) -> str:
        return f"ArrowSchema(object={self.object!r}, losses={len(self.losses)})"


@dataclass(frozen=True)
class SchemaObject:
    """One object (table) of a contract, with its properties and quality rules. Arrow libraries
    read it as its Arrow schema (``pyarrow.schema(contract.object("orders"))``)."""

    name: str
    properties: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)
    _native: _contrakt.Contract | None = field(default=None, repr=False, compare=False)

    @property
    def columns(self) -> list[str]:
        return [p.get("name", "") for p in self.properties]

    def __arrow_c_schema__(self) -> object:
        if self._native is None:
            raise ContraktUsageError(f"{self.name}: not an object of a loaded contract; use contract.object(name)")
        return self._native.arrow_schema(self.name)[0]


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
        return str(self._dict.get("id", ""))

    @property
    def version(self) -> str:
        return str(self._dict.get("version", ""))

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
            SchemaObject(
                name=o.get("name", ""),
                properties=o.get("properties", []),
                quality=o.get("quality", []),
                _native=self._native,
            )
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
            members: list[dict[str, Any]] = team.get("members", [])
            return members
        return []

    def consumers(self, folder: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
        """The registered consumers that use this contract (``id``, ``team``, ``contacts``,
        ``uses``), from ``folder`` or else the consumer folder of the contract's registry."""
        found: list[dict[str, Any]] = json.loads(self._native.consumers(None if folder is None else os.fspath(folder)))
        return found

    def arrow_schema(self, object: str | None = None) -> ArrowSchema:
        """The Arrow schema of ``object`` (needed when the contract has several objects), for
        Arrow libraries: ``pyarrow.schema(contract.arrow_schema("orders"))``."""
        if object is None:
            self._only_object()
        return ArrowSchema(self._native, object)

    def __arrow_c_schema__(self) -> builtins.object:  # `object` is a method here
        """The contract's object as an Arrow schema (``pyarrow.schema(contract)``), for a
        contract of one object; otherwise pick one with :meth:`arrow_schema` or :meth:`object`."""
        return self._native.arrow_schema(self._only_object())[0]

    def _only_object(self) -> str:
        names = [o.name for o in self.objects]
        if len(names) != 1:
            which = ", ".join(names) or "none"
            raise ContraktUsageError(
                f"{self.id}: an Arrow schema is of one object and the contract has {len(names)} ({which}); "
                f"pick one with contract.arrow_schema(name) or contract.object(name)"
            )
        return names[0]

    def to_dict(self) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(json.dumps(self._dict))
        return copy

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
