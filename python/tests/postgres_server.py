"""A real PostgreSQL server on loopback for the tests that need one, as the Rust end-to-end
tests start theirs (`tests/it/postgres.rs`): `CONTRAKT_PG_URL` names a server to use, else
`initdb` and `postgres` from `CONTRAKT_PG_BIN`, the newest `/usr/lib/postgresql/*/bin`, or `PATH`
run in a temporary folder with trust authentication for the user `contrakt` (as the `postgres`
user when the tests run as root). A test that needs it fails saying how to provide one."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

_databases = itertools.count()


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str | None
    psql_bin: str
    admin_database: str = "postgres"

    def url(self, database: str) -> str:
        auth = self.user if self.password is None else f"{self.user}:{self.password}"
        return f"postgres://{auth}@{self.host}:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        out = subprocess.run(
            [self.psql_bin, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database), "-c", sql],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, f"psql failed on {sql!r}:\n{out.stderr}"
        return out.stdout

    def create_database(self, hint: str) -> str:
        name = f"py_{hint}_{os.getpid()}_{next(_databases)}"
        self.psql(self.admin_database, f"CREATE DATABASE {name}")
        return name

    def sign_in(self, monkeypatch: Any) -> None:
        """Sets the environment contrakt signs in with (`environment`) for one test."""
        for name, value in self.environment().items():
            monkeypatch.setenv(name, value)

    def entry(self, database: str, schema: str = "s") -> str:
        """A contract's server entry `warehouse` for `database`, as a YAML flow mapping."""
        return (
            f"{{server: warehouse, type: postgres, host: {self.host}, port: {self.port}, "
            f"database: {database}, schema: {schema}}}"
        )

    def environment(self) -> dict[str, str]:
        """What contrakt signs in with: the environment, never the contract."""
        env = {"CONTRAKT_PG_USER": self.user, "CONTRAKT_ALLOW_CONTRACT_ENDPOINTS": f"{self.host}:{self.port}"}
        if self.password is not None:
            env["CONTRAKT_PG_PASSWORD"] = self.password
        return env


def _bin_dir() -> Path | None:
    if os.environ.get("CONTRAKT_PG_BIN"):
        return Path(os.environ["CONTRAKT_PG_BIN"])
    versions = sorted(
        (int(p.name), p / "bin")
        for p in Path("/usr/lib/postgresql").glob("*")
        if p.name.isdigit() and (p / "bin" / "postgres").exists()
    )
    if versions:
        return versions[-1][1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("postgres") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve() -> Iterator[Server]:
    """Yields a server, stopped (with its folder) afterwards when this started it."""
    url = os.environ.get("CONTRAKT_PG_URL")
    if url:
        u = urlsplit(url)
        yield Server(
            u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres", u.password,
            shutil.which("psql") or "psql", (u.path or "/postgres").lstrip("/") or "postgres",
        )
        return
    bin_dir = _bin_dir()
    assert bin_dir is not None, (
        "these tests need PostgreSQL: install Debian's `postgresql` package, set CONTRAKT_PG_BIN to a "
        "folder holding initdb and postgres, or CONTRAKT_PG_URL to a server"
    )
    root = os.geteuid() == 0
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] if root else []
    folder = Path(tempfile.mkdtemp(prefix="contrakt-pypg-"))
    if root:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", "contrakt", "--auth=trust", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        check=True, capture_output=True,
    )
    psql = str(bin_dir / "psql") if (bin_dir / "psql").exists() else (shutil.which("psql") or "psql")
    port = _free_port()
    server = subprocess.Popen(
        [*as_postgres, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-c",
         "listen_addresses=127.0.0.1", "-c", "fsync=off", "-k", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    s = Server("127.0.0.1", port, "contrakt", None, psql)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"PostgreSQL exited with {server.returncode}"
            ok = subprocess.run([psql, "-X", "-q", "-d", s.url("postgres"), "-c", "SELECT 1"], capture_output=True)
            if ok.returncode == 0:
                break
            assert time.monotonic() < deadline, "PostgreSQL did not start within 60 s"
            time.sleep(0.1)
        yield s
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)
