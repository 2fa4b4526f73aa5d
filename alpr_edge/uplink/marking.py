"""Marking reads acknowledged or receipted, off the network thread, in group commits.

The store commits with fsync (synchronous=FULL): 5 to 30 ms on an SD card or a
busy disk. Done on the network thread after every few PUBACKs, those waits
capped the drain rate; here every acknowledgement that arrives during one
commit goes into the next, and publishing carries on meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from alpr_edge.logs import RateLimited

logger = logging.getLogger(__name__)

# At most one commit per interval: each holds the store's lock through an fsync,
# and the network thread needs that lock to read the next rows to send.
COMMIT_INTERVAL_S = 0.05


class Marker:
    """``mark(ids)`` (a store method: mark_uploaded, mark_acknowledged) on batches of ids.

    ``on_marked(count, result)`` after each commit: the batch size and what ``mark`` returned.
    """

    def __init__(self, mark: Callable[[list[str]], Any], on_marked: Callable[[int, Any], None],
                 on_error: Callable[[Exception], None]):
        self._mark = mark
        self._on_marked = on_marked
        self._on_error = on_error
        self._errors = RateLimited(logger, 60.0)
        self._cond = threading.Condition()
        self._queue: list[str] = []
        self._committing: list[str] = []
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="uplink-marker", daemon=True)
        self._thread.start()

    def add(self, read_id: str) -> None:
        with self._cond:
            self._queue.append(read_id)
            self._cond.notify_all()

    def pending(self) -> set[str]:
        """Acknowledged, not yet committed: the store still lists them as pending, so don't send them again."""
        with self._cond:
            return set(self._queue) | set(self._committing)

    def drain(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._committing, timeout)

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        last_commit = 0.0
        while True:
            pause = COMMIT_INTERVAL_S - (time.monotonic() - last_commit)
            if pause > 0 and not self._closing:
                time.sleep(pause)
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closing)
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
                self._committing = batch
            last_commit = time.monotonic()
            try:
                result = self._mark(batch)
            except Exception as error:  # left pending: they go again (receivers deduplicate)
                self._errors(logging.ERROR, "uplink_mark_failed", count=len(batch), error=str(error))
                self._on_error(error)
            else:
                self._on_marked(len(batch), result)
            finally:
                with self._cond:
                    self._committing = []
                    self._cond.notify_all()
