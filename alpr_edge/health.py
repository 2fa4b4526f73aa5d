"""Health thresholds shared by `alpr-edge status`, `selftest` and the touchscreen's shift check.

One definition, so the three never disagree about the same device.
"""

from __future__ import annotations

from typing import Literal

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
