"""Time-ordered identifiers (UUIDv7, RFC 9562) for reads, alerts and audit records.

Ordered ids keep SQLite's B-tree inserts append-only and let the uplink drain
a backlog oldest first by id alone. Python gains uuid.uuid7 only in 3.14.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(unix_ms: int | None = None) -> str:
    """A new UUIDv7 string; monotonic within this process."""
    global _last_ms, _counter
    with _lock:
        ms = int(time.time() * 1000) if unix_ms is None else unix_ms
        if ms <= _last_ms:
            # Same or earlier millisecond: keep order with a 12-bit counter.
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last_ms = ms
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76
        value |= (_counter & 0xFFF) << 64
        value |= 0b10 << 62
        value |= rand_b
        return str(uuid.UUID(int=value))


def uuid7_time_ms(value: str) -> int:
    """The Unix milliseconds a UUIDv7 was made at."""
    return uuid.UUID(value).int >> 80
