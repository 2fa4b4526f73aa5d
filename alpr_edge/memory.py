"""Handing freed heap back to the operating system after a big, rare allocation.

glibc keeps freed memory in the process for reuse, and raises its threshold
for returning large blocks each time one is freed. Loading a two-million-entry
hot list builds tens of MB of numpy temporaries (packed keys, sort orders):
after a load they sit freed but resident, about 80 MB that a Pi with the
camera running cannot spare. `release_freed_memory` returns them; it is
called after rare events (a list loaded or replaced), never per frame.
"""

from __future__ import annotations

import ctypes
import functools
import gc


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    try:
        return ctypes.CDLL(None).malloc_trim  # the symbols already loaded: libc's, without a library search
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> bool:
    """Collect garbage and return freed heap pages to the OS; False where the C library cannot."""
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
