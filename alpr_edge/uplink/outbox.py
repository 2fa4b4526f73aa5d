"""What to send next: reads the store's outbox in batches, lets new hits jump the queue.

The store's contract is ``pending_uploads(limit)``: pending rows, hits first,
then oldest first, decrypted. Rows already in flight (or acknowledged and
awaiting their commit) are still pending there, so each query returns them
again and they must be skipped; each costs a decryption (about 0.3 ms for a
read with 68 kB of images). To keep that waste small the reader fetches a
batch several windows deep into a local buffer and queries again only when
the buffer runs dry.

A buffer must not hold up a hit: on ``wake()`` (new rows stored) while the
buffer still holds backlog, the reader asks the store only for the head of
its queue (the pending hits) and puts new hits at the front.
"""

from __future__ import annotations

import collections
import logging
import time

from alpr_edge.logs import RateLimited
from alpr_edge.uplink.payloads import read_id_of

logger = logging.getLogger(__name__)

STORE_RETRY_S = 1.0


class OutboxReader:
    def __init__(self, store, batch: int, resend_after_s: float | None = None):
        self.store = store
        self.batch = batch
        # Receipts on: reads acknowledged by the broker less than this long ago
        # wait for the agency's receipt and are not offered again yet.
        self.resend_after_s = resend_after_s
        self._buffer: collections.deque[dict] = collections.deque()
        self._hits: set[str] = set()  # hits handed out or buffered, while they may still be pending
        self._more = True  # the last query was full: more rows are probably waiting
        self._retry_at = 0.0
        self._errors = RateLimited(logger, 60.0)
        self.last_error: str | None = None

    def reset(self) -> None:
        """A new connection: start again from the store (what was in flight is pending again)."""
        self._buffer.clear()
        self._hits.clear()
        self._more = True

    def take(self, count: int, *, woken: bool, active: set[str]) -> list[dict]:
        """Up to ``count`` rows to publish next; ``active``: ids in flight or awaiting their commit."""
        if time.monotonic() < self._retry_at:
            return []
        if woken and self._buffer:
            self._take_new_hits(active)
        fetch_allowed = woken or self._more
        out: list[dict] = []
        while len(out) < count:
            if not self._buffer:
                if not fetch_allowed:
                    break
                fetch_allowed = False
                skip = active | {read_id_of(row) for row in out}
                if not self._fetch(skip):
                    break
            out.append(self._buffer.popleft())
        return out

    def _query(self, limit: int) -> list[dict] | None:
        try:
            if self.resend_after_s is None:
                return self.store.pending_uploads(limit)
            return self.store.pending_uploads(limit, resend_after_s=self.resend_after_s)
        except Exception as error:  # e.g. the database is busy: try again shortly, keep the connection
            self._retry_at = time.monotonic() + STORE_RETRY_S
            self.last_error = f"store: {error}"
            self._errors(logging.ERROR, "uplink_store_read_failed", error=str(error))
            return None

    def _fetch(self, skip: set[str]) -> bool:
        limit = len(skip) + self.batch
        rows = self._query(limit)
        if rows is None:
            return False
        self._more = len(rows) >= limit
        for row in rows:
            read_id = read_id_of(row)
            if read_id not in skip:
                self._buffer.append(row)
                if row.get("has_hit"):
                    self._hits.add(read_id)
        return bool(self._buffer)

    def _take_new_hits(self, active: set[str]) -> None:
        buffered = {read_id_of(row) for row in self._buffer}
        self._hits &= active | buffered
        # Hits come first in the store's order: known pending hits plus one more row shows any new one.
        rows = self._query(len(self._hits) + 1)
        if not rows:
            return
        new_hits = [row for row in rows if row.get("has_hit") and read_id_of(row) not in self._hits
                    and read_id_of(row) not in active]
        for row in reversed(new_hits):
            self._buffer.appendleft(row)
            self._hits.add(read_id_of(row))
