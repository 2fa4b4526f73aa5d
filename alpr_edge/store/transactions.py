"""The store's transactions: the one way anything reads or writes the shared database.

The daemon's threads, the touchscreen and the uplink share one SQLite
connection. ``write()`` is one ``BEGIN IMMEDIATE`` transaction (nested uses
join the outer one), ``read()`` a consistent look under the same lock, and
``apply_migrations`` the versioned schema of a component (the store, the
accounts, the alert book). Callers never take the lock themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlite_utils import Database

from alpr_edge.store.migrations import Step, apply_migrations


class Transactional(Protocol):
    """What uses the store's transactions sees (``Store`` and ``Transactions`` both are)."""

    def write(self) -> AbstractContextManager[Database]: ...
    def read(self) -> AbstractContextManager[Database]: ...
    def apply_migrations(self, component: str, steps: list[Step]) -> int: ...


class Transactions:
    def __init__(self, db: Database, lock: threading.RLock | None = None):
        self.db = db
        self._lock = lock or threading.RLock()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        with self._lock:
            conn = self.db.conn
            if conn.in_transaction:
                yield self.db
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Database]:
        """Queries that must not interleave with another thread's transaction."""
        with self._lock:
            yield self.db

    def apply_migrations(self, component: str, steps: list[Step]) -> int:
        with self._lock:
            return apply_migrations(self.db, component, steps)
