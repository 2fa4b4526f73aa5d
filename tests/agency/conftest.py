"""A real PostgreSQL on a temporary Unix socket (Debian's `postgresql` package), for the agency tests.

The server runs as the invoking user; PostgreSQL refuses to run as root, so
under root (containers) it runs as the `postgres` system user the package
creates. No TCP port is opened: ``listen_addresses = ''``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class Postgres:
    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.process: subprocess.Popen | None = None
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER") or "postgres"

    @property
    def url(self) -> str:
        return f"postgresql:///postgres?host={self.socket_dir}&user={self.user}"

    def start(self) -> None:
        self.socket_dir.mkdir(parents=True)
        if self._as:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        done = subprocess.run(self._as + [_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr}")
        self.process = subprocess.Popen(
            self._as + [_bin("postgres"), "-D", str(self.data), "-k", str(self.socket_dir), "-c", "listen_addresses=",
                        "-c", "fsync=off", "-c", "shared_buffers=16MB"],
            stdout=subprocess.DEVNULL, stderr=open(self.folder / "postgres.log", "wb"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if subprocess.run([_bin("pg_isready"), "-h", str(self.socket_dir), "-q"]).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not start: " + (self.folder / "postgres.log").read_text())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    if _bin("initdb") is None:
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh --dev installs it)")
    pytest.importorskip("psycopg", reason="psycopg 3 is not installed (the agency extra)")
    # Not under pytest's tmp folder: that one is private to the invoking user (0700).
    folder = Path(tempfile.mkdtemp(prefix="alpr-edge-pg-", dir="/tmp"))
    os.chmod(folder, 0o755)
    server = Postgres(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres, request):
    """A fresh database per test."""
    import psycopg

    name = "t_" + request.node.name.lower().translate({ord(c): "_" for c in "[]-."})[:50]
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres.url.replace("postgresql:///postgres", f"postgresql:///{name}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each test using it runs against both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'agency' / 'ingest.db'}"
    return request.getfixturevalue("postgres_url")
