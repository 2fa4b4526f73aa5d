"""The plumbing between the daemon's threads: bounded queues and counters.

Recognition is the slow stage. When it falls behind, the capture thread must
never stall (a camera that is not read overflows its own buffers) and memory
must never grow: the frame queue drops its *oldest* frame to make room and
counts it. Reads, in contrast, are never dropped: their queue blocks.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field


class DropOldestQueue:
    """A bounded FIFO whose ``put`` never blocks: when full, the oldest item goes."""

    def __init__(self, maxsize: int):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: collections.deque = collections.deque()
        self._maxsize = maxsize
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, item) -> bool:
        """Add an item; True if an older item was dropped to make room."""
        with self._ready:
            dropped = False
            if len(self._items) >= self._maxsize:
                self._items.popleft()
                self.dropped += 1
                dropped = True
            self._items.append(item)
            self._ready.notify()
            return dropped

    def get(self, timeout: float | None = None):
        """The oldest item, or None on timeout or when closed and empty."""
        with self._ready:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._items:
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._ready.wait(remaining)
            return self._items.popleft()

    def close(self) -> None:
        """No more items will come; ``get`` returns None once empty."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def clear(self) -> int:
        """Discard what is waiting (at shutdown); returns how many."""
        with self._ready:
            count = len(self._items)
            self._items.clear()
            return count

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)


@dataclass
class StageTimer:
    """Accumulated CPU-side wall time of one stage, for status and benchmarks."""

    calls: int = 0
    total_s: float = 0.0

    def add(self, seconds: float) -> None:
        self.calls += 1
        self.total_s += seconds

    @property
    def mean_ms(self) -> float:
        return 1000.0 * self.total_s / self.calls if self.calls else 0.0


@dataclass
class PipelineCounters:
    """What the daemon counts; read by status, the run summary and benchmarks."""

    started_monotonic: float = field(default_factory=time.monotonic)
    frames_in: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    frames_discarded_at_stop: int = 0
    observations: int = 0
    reads: int = 0
    reads_stored: int = 0
    alerts: int = 0
    errors: int = 0
    recognition: StageTimer = field(default_factory=StageTimer)
    storing: StageTimer = field(default_factory=StageTimer)
    capture_to_read_ms: list = field(default_factory=list)
    capture_to_alert_ms: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def uptime_s(self) -> float:
        return time.monotonic() - self.started_monotonic
