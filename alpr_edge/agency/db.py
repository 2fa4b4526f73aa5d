"""The agency's read database: SQLite by default, PostgreSQL for agencies.

One small interface over both, so the ingest has one code path:
``open_database(url)`` returns a ``ReadDatabase`` whose ``commit(rows)``
inserts a batch in one transaction and says which ids were new and which it
already had (``read_id`` is the primary key: a read sent twice is committed
once, whichever worker gets each copy). The schema is created and migrated
by ``migrate()``; steps are only ever appended, each applied once in a
transaction with its row in ``agency_migrations``.

PostgreSQL comes through psycopg 3 (``pip install 'alpr-edge[agency]'``),
imported only when a postgresql:// URL asks for it: a device never loads it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Each step is (SQLite DDL, PostgreSQL DDL); the types differ, the columns do not.
MIGRATIONS: list[tuple[str, str]] = [
    (
        """CREATE TABLE reads (
            read_id TEXT PRIMARY KEY, agency TEXT NOT NULL, device TEXT NOT NULL, has_hit INTEGER NOT NULL,
            sealed INTEGER NOT NULL, captured_at TEXT, plate TEXT, state TEXT, latitude REAL, longitude REAL,
            confidence REAL, message TEXT NOT NULL, crop_jpeg BLOB, overview_jpeg BLOB,
            received_at REAL NOT NULL, committed_at REAL NOT NULL, worker TEXT NOT NULL);
        CREATE INDEX reads_device ON reads (agency, device, captured_at);
        CREATE INDEX reads_plate ON reads (plate);
        CREATE TABLE rejected (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, reason TEXT NOT NULL,
            read_id TEXT, received_at REAL NOT NULL, worker TEXT NOT NULL);""",
        """CREATE TABLE reads (
            read_id TEXT PRIMARY KEY, agency TEXT NOT NULL, device TEXT NOT NULL, has_hit BOOLEAN NOT NULL,
            sealed BOOLEAN NOT NULL, captured_at TEXT, plate TEXT, state TEXT, latitude DOUBLE PRECISION,
            longitude DOUBLE PRECISION, confidence DOUBLE PRECISION, message JSONB NOT NULL, crop_jpeg BYTEA,
            overview_jpeg BYTEA, received_at DOUBLE PRECISION NOT NULL, committed_at DOUBLE PRECISION NOT NULL,
            worker TEXT NOT NULL);
        CREATE INDEX reads_device ON reads (agency, device, captured_at);
        CREATE INDEX reads_plate ON reads (plate);
        CREATE TABLE rejected (id BIGSERIAL PRIMARY KEY, topic TEXT NOT NULL, reason TEXT NOT NULL,
            read_id TEXT, received_at DOUBLE PRECISION NOT NULL, worker TEXT NOT NULL);""",
    ),
]

COLUMNS = ("read_id", "agency", "device", "has_hit", "sealed", "captured_at", "plate", "state", "latitude",
           "longitude", "confidence", "message", "crop_jpeg", "overview_jpeg", "received_at", "committed_at", "worker")


class DatabaseError(Exception):
    """The database URL cannot be used (bad URL, psycopg missing, server refused)."""


@dataclass(frozen=True)
class Committed:
    new: list[str]  # committed by this batch
    known: list[str]  # already in the database: a resend; receipted again, not stored twice


class ReadDatabase:
    """Shared by both backends; subclasses set the placeholder and how to connect."""

    kind = ""
    placeholder = "?"

    def __init__(self, conn):
        self.conn = conn

    def migrate(self) -> int:
        """Create or bring the schema up to date; returns how many steps ran."""
        raise NotImplementedError

    def commit(self, rows: list[dict[str, Any]]) -> Committed:
        """Insert ``rows`` (dicts with COLUMNS) in one transaction, skipping ids already there."""
        raise NotImplementedError

    def reject(self, topic: str, reason: str, read_id: str | None, worker: str) -> None:
        p = self.placeholder
        self.conn.execute(f"INSERT INTO rejected (topic, reason, read_id, received_at, worker) VALUES ({p}, {p}, {p}, {p}, {p})",
                          [topic, reason, read_id, time.time(), worker])

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        cursor = self.conn.execute(sql, params)
        row = cursor.fetchone()
        return None if row is None else row[0]

    def counts(self) -> dict[str, int]:
        return {
            "reads": int(self.scalar("SELECT count(*) FROM reads")),
            "distinct_read_ids": int(self.scalar("SELECT count(DISTINCT read_id) FROM reads")),
            "rejected": int(self.scalar("SELECT count(*) FROM rejected")),
        }

    def close(self) -> None:
        self.conn.close()


def _insert_sql(placeholder: str) -> str:
    cast = "::jsonb" if placeholder == "%s" else ""
    values = ", ".join(placeholder + (cast if c == "message" else "") for c in COLUMNS)
    return f"INSERT INTO reads ({', '.join(COLUMNS)}) VALUES ({values}) ON CONFLICT (read_id) DO NOTHING"


class SqliteDatabase(ReadDatabase):
    kind = "sqlite"

    @classmethod
    def connect(cls, path: Path) -> SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Used by one thread at a time, not always the one that opened it (a worker built, then run).
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=60.0, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 60000")  # several workers share the file: wait, do not fail
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # a receipt promises the read survives a power cut
        return cls(conn)

    def migrate(self) -> int:
        self.conn.execute("CREATE TABLE IF NOT EXISTS agency_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        ran = 0
        for version, step in enumerate(MIGRATIONS, start=1):
            with self._immediate():
                if not self.conn.execute("SELECT 1 FROM agency_migrations WHERE version = ?", [version]).fetchone():
                    for statement in step[0].split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute("INSERT INTO agency_migrations VALUES (?, ?)", [version, time.time()])
                    ran += 1
        return ran

    def commit(self, rows: list[dict[str, Any]]) -> Committed:
        new, known = [], []
        sql = _insert_sql("?")
        with self._immediate():
            for row in rows:
                cursor = self.conn.execute(sql, [row[c] for c in COLUMNS])
                (new if cursor.rowcount == 1 else known).append(row["read_id"])
        return Committed(new, known)

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        # BEGIN IMMEDIATE takes the write lock up front: a worker waits for it
        # (busy_timeout) instead of failing to upgrade a read lock mid-batch.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


class PostgresDatabase(ReadDatabase):
    kind = "postgresql"
    placeholder = "%s"

    @classmethod
    def connect(cls, url: str) -> PostgresDatabase:
        try:
            import psycopg
        except ImportError:
            raise DatabaseError("postgresql:// needs psycopg 3: pip install 'alpr-edge[agency]'") from None
        try:
            conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as error:
            raise DatabaseError(f"cannot connect to PostgreSQL: {error}".strip()) from None
        return cls(conn)

    def migrate(self) -> int:
        ran = 0
        with self.conn.transaction():
            # One migrator at a time, even with several workers starting together.
            self.conn.execute("SELECT pg_advisory_xact_lock(7265)")
            self.conn.execute("CREATE TABLE IF NOT EXISTS agency_migrations (version INTEGER PRIMARY KEY,"
                              " applied_at DOUBLE PRECISION NOT NULL)")
            for version, step in enumerate(MIGRATIONS, start=1):
                if not self.conn.execute("SELECT 1 FROM agency_migrations WHERE version = %s", [version]).fetchone():
                    for statement in step[1].split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute("INSERT INTO agency_migrations VALUES (%s, %s)", [version, time.time()])
                    ran += 1
        return ran

    def commit(self, rows: list[dict[str, Any]]) -> Committed:
        new, known = [], []
        sql = _insert_sql("%s")
        with self.conn.transaction(), self.conn.cursor() as cursor:
            # In id order: two workers inserting overlapping batches (a resend reaching
            # another worker) then take the key locks in the same order and cannot deadlock.
            for row in sorted(rows, key=lambda r: r["read_id"]):
                values = [bool(row[c]) if c in ("has_hit", "sealed") else row[c] for c in COLUMNS]
                cursor.execute(sql, values)
                (new if cursor.rowcount == 1 else known).append(row["read_id"])
        return Committed(new, known)


def open_database(url: str) -> ReadDatabase:
    """A ReadDatabase for ``sqlite:///PATH`` or ``postgresql://...`` (not migrated: call migrate())."""
    if url.startswith("sqlite:///"):
        return SqliteDatabase.connect(Path(url[len("sqlite:///"):]))  # sqlite:////abs/path or sqlite:///relative
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase.connect(url)
    raise DatabaseError(f"database_url: expected sqlite:///PATH or postgresql://..., got {url.split('@')[-1]!r}")
