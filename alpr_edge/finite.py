"""Non-finite numbers stop at the boundary: every JSON the device writes is strict.

``float`` happily holds ``inf`` and ``nan`` (a parser reading "inf", a model
dividing by zero), and ``json.dumps(allow_nan=False)`` would then raise deep in
the store or the uplink. A read is checked once, as the daemon receives it:
where and how fast (position, GPS speed) become null, as a receiver that gave
no value; a read whose own numbers (confidence, capture times) are not finite
is refused with the reason, as recognition produced nothing usable.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from alpr_edge.vision.types import Read

FIX_FLOATS = ("lat", "lon", "alt_m", "speed_kmh", "heading_deg", "hdop")
READ_FLOATS = ("confidence", "state_confidence", "capture_monotonic_s", "capture_wall_time", "first_seen_monotonic_s")


def finite_or_none(value: Any) -> Any:
    """``value``, or None when it is a non-finite float."""
    return value if _finite(value) else None


def checked_read(read: Read) -> tuple[Read | None, str | None]:
    """The read with non-finite position values nulled, or (None, reason) when its own numbers are not finite."""
    for name in READ_FLOATS:
        if not math.isfinite(getattr(read, name)):
            return None, f"{name} is not a finite number"
    if not all(math.isfinite(candidate.confidence) for candidate in read.candidates):
        return None, "a candidate's confidence is not a finite number"
    position, extra = _finite_position(read.position), _finite_extra(read.extra)
    if position is read.position and extra is read.extra:
        return read, None  # the usual case, once per read: nothing to null, no copy
    return dataclasses.replace(read, position=position, extra=extra), None


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def _finite_position(position: Any) -> Any:
    """``position`` itself when every value is finite, else a copy with those values nulled."""
    if position is None:
        return None
    fix = position.fix
    if fix is not None and not all(_finite(getattr(fix, name)) for name in FIX_FLOATS):
        fix = dataclasses.replace(fix, **{name: finite_or_none(getattr(fix, name)) for name in FIX_FLOATS})
    if fix is position.fix and _finite(position.age_s):
        return position
    return dataclasses.replace(position, fix=fix, age_s=finite_or_none(position.age_s))


def _finite_extra(extra: Mapping[str, object]) -> Mapping[str, object]:
    """``extra`` itself when every value is finite, else a copy with those values nulled."""
    if all(_finite(value) for value in extra.values()):
        return extra
    return MappingProxyType({key: finite_or_none(value) for key, value in extra.items()})
