"""Keeping the daemon's resident memory close to what it uses (glibc's allocator).

glibc keeps freed memory in the process for reuse, and raises its threshold
for returning large blocks each time one is freed. Loading a two-million-entry
hot list builds tens of MB of numpy temporaries (packed keys, sort orders):
after a load they sit freed but resident, about 80 MB that a Pi with the
camera running cannot spare. `release_freed_memory` returns them; it is
called after rare events (a list loaded or replaced), never per frame.

glibc also gives each thread that allocates its own arena (up to 8 per
core); frames decoded in the capture thread and freed in the recognition
thread then leave each arena's high-water mark resident. `limit_arenas`
caps them before the daemon's threads start (measured in BENCHMARKS.md).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os


_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
DAEMON_ARENAS = 2  # one per core of a Pi-class board: the daemon's threads share them


@functools.cache
def _libc_function(name: str):
    """A glibc function, or None where the C library has none (musl, macOS)."""
    try:
        return getattr(ctypes.CDLL(None), name)  # the symbols already loaded: libc's, without a library search
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> bool:
    """Collect garbage and return freed heap pages to the OS; False where the C library cannot."""
    gc.collect()
    trim = _libc_function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True


def limit_arenas(count: int = DAEMON_ARENAS) -> bool:
    """Let threads started from now on share at most ``count`` malloc arenas; False where glibc cannot.

    An environment's MALLOC_ARENA_MAX (set by whoever runs the daemon) is left as it is."""
    mallopt = _libc_function("mallopt")
    if mallopt is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(mallopt(_M_ARENA_MAX, count))
