"""The encrypted read store: one SQLite file, sealed columns, the uplink outbox.

Durability: WAL journal with ``synchronous=FULL``, so a read is on disk when
``add_read`` returns, even across power loss. One connection per process,
shared between threads under a lock (SQLite allows one writer at a time
anyway); writes take ``BEGIN IMMEDIATE`` so the daemon and a CLI command
writing at the same time wait for each other instead of failing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlite_utils import Database

from alpr_edge.logs import log
from alpr_edge.plates import normalise_plate
from alpr_edge.store import audit as audit_trail
from alpr_edge.store.keys import INDEX, RECORDS, KeyRing, KeyShredded, day_use
from alpr_edge.store.migrations import STORE_STEPS, Step
from alpr_edge.store.records import StoredRead, capture_time, payload_dict, payload_of
from alpr_edge.store.transactions import Transactions

logger = logging.getLogger(__name__)

DB_NAME = "alpr.db"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SealedTable:
    """A table whose blob columns are sealed with day keys (re-keyed on purge)."""

    table: str
    id_column: str
    day_column: str
    blob_columns: tuple[str, ...]


class Store:
    def __init__(self, db: Database, keyring: KeyRing, settings, data_dir: Path, clock, uplink_enabled: bool):
        self.db = db
        self.keys = keyring
        self.settings = settings
        self.data_dir = data_dir
        self.clock: Callable[[], datetime] = clock or utc_now
        self.uplink_enabled = uplink_enabled
        self.lock = threading.RLock()  # the store's own modules only: others use write() and read()
        self.transactions = Transactions(db, self.lock)
        self._index_keys: dict[str, bytes] = {}
        self.sealed_tables: dict[str, SealedTable] = {}
        self.register_sealed("reads", id_column="id", day_column="day", blob_columns=("payload", "crop", "overview"))

    @classmethod
    def open(cls, data_dir: Path, settings, *, dev_keys: bool = False, clock=None, uplink_enabled: bool = False) -> Store:
        """Open (creating when new) ``data_dir/alpr.db``; KeysMissing without a KEK."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        keyring = KeyRing.load(data_dir, dev_keys=dev_keys)
        path = data_dir / DB_NAME
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA busy_timeout = 30000")
        # Reads carry ~70 kB of images: bigger pages mean shorter overflow
        # chains (measured ~30% more batched reads/s than 4 kB). Only takes
        # effect on a new database.
        conn.execute("PRAGMA page_size = 16384")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        store = cls(Database(conn), keyring, settings, data_dir, clock, uplink_enabled)
        store.apply_migrations("store", STORE_STEPS)
        return store

    def close(self) -> None:
        with self.lock:
            try:
                audit_trail.sign_head(self)
            except sqlite3.Error:
                pass
            self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- schema and transactions -------------------------------------------------

    def apply_migrations(self, component: str, steps: list[Step]) -> int:
        return self.transactions.apply_migrations(component, steps)

    def register_sealed(self, table: str, *, id_column: str, day_column: str, blob_columns: Iterable[str]) -> None:
        """Declare a table sealed with ``seal(row[id], row[day], ...)``.

        Purge keeps a day's key while any registered table has rows of that
        day, and re-seals those rows under a fresh key when it destroys the
        old one. ``day_column`` holds ISO dates (YYYY-MM-DD).
        """
        self.sealed_tables[table] = SealedTable(table, id_column, day_column, tuple(blob_columns))

    def write(self) -> AbstractContextManager[Database]:
        """One write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        return self.transactions.write()

    def read(self) -> AbstractContextManager[Database]:
        """A consistent look at the database, not interleaved with another thread's writes."""
        return self.transactions.read()

    def now(self) -> datetime:
        return self.clock()

    # -- sealing -----------------------------------------------------------------

    def _key_id(self, day: date | None) -> str:
        return self._key(RECORDS if day is None else day_use(day))

    def _key(self, use: str) -> str:
        key_id = self.keys.key_for(use)  # made when absent: never None here
        assert key_id is not None, use
        return key_id

    def seal(self, row_id: str, day: date | None, plaintext: bytes) -> bytes:
        """AES-256-GCM under ``day``'s data key, bound to ``row_id``.

        ``day=None`` uses the long-lived records key (accounts, audit
        details): data that must outlive any retention class.
        """
        return self.keys.seal(self._key_id(day), row_id.encode(), plaintext)

    def unseal(self, row_id: str, day: date | None, blob: bytes) -> bytes:
        """The plaintext; KeyShredded when the day was purged."""
        return self.keys.unseal(row_id.encode(), blob)

    def plate_hmac(self, text: str) -> str:
        """Keyed hash of a plate for look-ups outside stored reads (hot lists, alerts)."""
        return self._hmac(self._key(INDEX), text)

    def _hmac(self, key_id: str, text: str) -> str:
        index_key = self._index_keys.get(key_id)
        if index_key is None:
            index_key = hmac.new(self.keys.raw_key(key_id), b"alpr-edge plate index", hashlib.sha256).digest()
            self._index_keys[key_id] = index_key
        return hmac.new(index_key, normalise_plate(text).encode(), hashlib.sha256).hexdigest()

    def read_hmacs(self, text: str) -> list[str]:
        """The plate's keyed hash under every day key (exact search)."""
        ids = [k for k, use in self.keys.key_ids().items() if use.startswith("day:")]
        return [self._hmac(k, text) for k in ids]

    # -- writing reads -----------------------------------------------------------

    def _row(self, read, stored_at: float) -> dict:
        captured, source = capture_time(read)
        day = captured.date()
        key_id = self._key_id(day)
        aad = read.read_id.encode()
        return {
            "id": read.read_id,
            "day": day.isoformat(),
            "captured_at": captured.timestamp(),
            "stored_at": stored_at,
            "clock_source": source,
            "camera": read.camera,
            "confidence": float(read.confidence),
            "frames": int(read.frames),
            "has_hit": 0,
            "uploaded_at": None,
            # Keyed with the day key (not a long-lived key) so that a purged
            # day's index dies with its key: plates are few enough to guess.
            "plate_hmac": self._hmac(key_id, read.text),
            "payload": self.keys.seal(key_id, aad, payload_of(read)),
            "crop": self.keys.seal(key_id, aad, read.crop_jpeg) if read.crop_jpeg else None,
            "overview": self.keys.seal(key_id, aad, read.overview_jpeg) if read.overview_jpeg else None,
        }

    _INSERT = (
        "INSERT INTO reads (id, day, captured_at, stored_at, clock_source, camera, confidence, frames,"
        " has_hit, uploaded_at, plate_hmac, payload, crop, overview) VALUES (:id, :day, :captured_at,"
        " :stored_at, :clock_source, :camera, :confidence, :frames, :has_hit, :uploaded_at, :plate_hmac,"
        " :payload, :crop, :overview)"
    )

    def add_read(self, read) -> None:
        """Store one read; durable (fsynced) when this returns."""
        self.add_reads([read])

    def add_reads(self, reads: Iterable) -> int:
        """Store reads in one transaction; all or none. Returns how many."""
        stored_at = self.now().timestamp()
        rows = [self._row(read, stored_at) for read in reads]  # sealing outside the lock
        if not rows:
            return 0
        with self.write() as db:
            db.conn.executemany(self._INSERT, rows)
        log(logger, logging.DEBUG, "reads_stored", count=len(rows), first=rows[0]["id"])
        return len(rows)

    def mark_hit(self, read_id: str) -> None:
        with self.write() as db:
            db.execute("UPDATE reads SET has_hit = 1 WHERE id = ?", [read_id])

    # -- reading back --------------------------------------------------------------

    def _decode(self, row: dict, images: bool = True) -> dict:
        aad = row["id"].encode()
        payload = json.loads(self.keys.unseal(aad, row["payload"]))
        crop = self.keys.unseal(aad, row["crop"]) if images and row.get("crop") else None
        overview = self.keys.unseal(aad, row["overview"]) if images and row.get("overview") else None
        return payload_dict(row, payload, crop, overview)

    def get_read(self, read_id: str, *, images: bool = True) -> StoredRead | None:
        with self.lock:
            rows = list(self.db.query("SELECT * FROM reads WHERE id = ?", [read_id]))
        return StoredRead.from_dict(self._decode(rows[0], images)) if rows else None

    def pending_uploads(self, limit: int, resend_after_s: float | None = None) -> list[dict]:
        """Reads the agency does not have yet: hits first, then oldest first.

        ``resend_after_s`` (receipts on): leave out reads the broker
        acknowledged less than that many seconds ago; they are awaiting the
        agency's receipt, and are sent again once it is overdue.
        """
        sql, params = "SELECT * FROM reads WHERE uploaded_at IS NULL", []
        if resend_after_s is not None:
            sql += " AND (acked_at IS NULL OR acked_at < ?)"
            params.append(self.now().timestamp() - resend_after_s)
        with self.lock:
            rows = list(self.db.query(sql + " ORDER BY has_hit DESC, id LIMIT ?", params + [int(limit)]))
        out = []
        for row in rows:
            try:
                out.append(self._decode(row))
            except (KeyShredded, ValueError) as error:
                log(logger, logging.ERROR, "read_unreadable", read_id=row["id"], error=str(error))
        return out

    def mark_acknowledged(self, read_ids: Iterable[str]) -> int:
        """The broker acknowledged these reads (receipts on): they wait for the agency's receipt."""
        at = self.now().timestamp()
        with self.write() as db:
            cursor = db.conn.executemany(
                "UPDATE reads SET acked_at = ? WHERE id = ? AND uploaded_at IS NULL", [(at, i) for i in read_ids]
            )
            return cursor.rowcount

    def mark_uploaded(self, read_ids: Iterable[str]) -> int:
        """The agency has these reads (its receipt, or the PUBACK when receipts are off)."""
        at = self.now().timestamp()
        ids = list(read_ids)
        with self.write() as db:
            cursor = db.conn.executemany(
                "UPDATE reads SET uploaded_at = ? WHERE id = ? AND uploaded_at IS NULL", [(at, i) for i in ids]
            )
            return cursor.rowcount

    def pending_by_kind(self) -> list[tuple[bool, int, float]]:
        """(is a hit, how many, oldest capture time) of the reads not yet acknowledged by the broker."""
        with self.read() as db:
            rows = db.execute(
                "SELECT has_hit, count(*), min(captured_at) FROM reads WHERE uploaded_at IS NULL GROUP BY has_hit"
            ).fetchall()
        return [(bool(hit), int(count), float(first)) for hit, count, first in rows]

    def upload_backlog(self) -> int:
        with self.lock:
            return self.db.execute("SELECT count(*) FROM reads WHERE uploaded_at IS NULL").fetchone()[0]

    def receipt_backlog(self) -> int:
        """Reads the broker acknowledged that the agency has not receipted yet."""
        with self.lock:
            return self.db.execute(
                "SELECT count(*) FROM reads WHERE uploaded_at IS NULL AND acked_at IS NOT NULL"
            ).fetchone()[0]

    def iter_reads(self, *, since: datetime | None = None, until: datetime | None = None, plate_hmacs=None):
        """Stored rows (still sealed) in capture order, optionally filtered."""
        where, params = [], []
        if since is not None:
            where.append("captured_at >= ?")
            params.append(since.timestamp())
        if until is not None:
            where.append("captured_at < ?")
            params.append(until.timestamp())
        if plate_hmacs is not None:
            where.append(f"plate_hmac IN ({','.join('?' * len(plate_hmacs))})")
            params += list(plate_hmacs)
        sql = "SELECT id, day, captured_at, stored_at, clock_source, camera, confidence, frames, has_hit, uploaded_at, payload FROM reads"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self.lock:
            rows = list(self.db.query(sql + " ORDER BY captured_at, id", params))
        return rows

    # -- audit, retention, search (thin delegates; logic in the modules) ------------

    def audit(self, user: str, role: str | None, action: str, *, data=None, purpose=None, case_number=None, outcome="ok") -> int:
        return audit_trail.append(self, user, role, action, data=data, purpose=purpose, case_number=case_number, outcome=outcome)

    def verify_audit(self):
        return audit_trail.verify(self.db, self.data_dir)

    def purge(self, now: datetime | None = None, *, trigger: str = "command"):
        """Apply retention; then rows that follow reads (alerts) go with their reads."""
        from alpr_edge.store.followers import purge_followers
        from alpr_edge.store.retention import purge

        report = purge(self, now or self.now(), trigger=trigger)
        with self.write() as db:
            removed = purge_followers(db)
        if any(removed.values()):
            self.audit("system", "system", "purge_followers", data=removed)
            log(logger, logging.INFO, "purge_followers", **removed)
        return report

    def search(self, plate_pattern: str, *, user: str, role: str, purpose: str, case_number: str, detail: str | None = None,
               purposes: Sequence[str] | None = None, partial: bool = False, since=None, until=None) -> list[dict]:
        from alpr_edge.store.search import search

        return search(self, plate_pattern, user=user, role=role, purpose=purpose, detail=detail, purposes=purposes,
                      case_number=case_number, partial=partial, since=since, until=until)

    def export(self, fmt: str, plate_pattern: str, *, user: str, role: str, purpose: str, case_number: str, detail: str | None = None,
               purposes: Sequence[str] | None = None, partial: bool = False, since=None, until=None, progress=None) -> str:
        from alpr_edge.store.search import export

        return export(self, fmt, plate_pattern, user=user, role=role, purpose=purpose, detail=detail, purposes=purposes,
                      case_number=case_number, partial=partial, since=since, until=until, progress=progress)
