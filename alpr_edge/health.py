"""Health thresholds shared by `alpr-edge status`, `selftest` and the touchscreen's shift check.

One definition, so the three never disagree about the same device.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Level = Literal["pass", "warn", "fail"]

# Below the configured minimum (store.min_free_mb) the store starts refusing
# images; below this many times the minimum, the disk is filling up.
STORAGE_WARN_FACTOR = 2.0


def storage_level(free_mb: float, minimum_mb: float) -> Level:
    if free_mb < minimum_mb:
        return "fail"
    if free_mb < STORAGE_WARN_FACTOR * minimum_mb:
        return "warn"
    return "pass"


def clock_level(clock: Mapping[str, Any]) -> Level:
    """The clock tracker's status: off from GPS beyond the limit fails, unvouched warns."""
    if clock.get("clock_ok") is False:
        return "fail"  # reads carry GPS time meanwhile, but the system clock is wrong
    if clock.get("clock_ok") is None:
        return "warn"  # no NTP sync and no GPS time yet: nothing vouches for it
    return "pass"


def gps_level(gps: Mapping[str, Any]) -> Level:
    """A position source's status: a current fix passes; stale, or talking without a fix, warns; silence fails."""
    if gps.get("source") in ("surveyed", "fixed", "none"):
        return "pass"  # nothing to receive
    if gps.get("has_fix"):
        return "warn" if gps.get("stale") else "pass"
    heard = (gps.get("counters") or {}).get("sentences_parsed", 0) > 0
    return "warn" if heard else "fail"
