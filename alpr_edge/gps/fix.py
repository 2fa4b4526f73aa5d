"""The values the GPS stage hands out: a receiver fix, and the position a read carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

# NMEA GGA quality 7 is "manual input mode": the right label for surveyed coordinates.
SURVEYED_FIX_QUALITY = 7


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z; milliseconds only when the time has a fraction."""
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Fix:
    """What the receiver said about one epoch (one second, usually).

    Fields the receiver did not give are None; without a fix (``fix_quality``
    0) there is no latitude or longitude at all, never 0,0.
    """

    time_utc: datetime | None
    lat: float | None
    lon: float | None
    alt_m: float | None
    speed_kmh: float | None
    heading_deg: float | None
    fix_quality: int
    satellites: int | None
    hdop: float | None
    # time.monotonic() (of the receiver's clock seam) when the sentence that
    # completed this value arrived: ages are measured against it, not against
    # the wall clock, which may be wrong or may jump.
    received_monotonic_s: float

    @property
    def has_position(self) -> bool:
        return self.fix_quality > 0 and self.lat is not None and self.lon is not None

    def age_s(self, now_monotonic: float) -> float:
        return max(0.0, now_monotonic - self.received_monotonic_s)

    def to_dict(self) -> dict:
        """The `alpr-edge gps --json` object: receiver time, position, quality."""
        position = self.has_position
        return {
            "time": iso_utc(self.time_utc),
            "lat": self.lat if position else None,
            "lon": self.lon if position else None,
            "alt_m": self.alt_m,
            "speed_kmh": self.speed_kmh,
            "heading_deg": self.heading_deg,
            "fix_quality": self.fix_quality,
            "satellites": self.satellites,
            "hdop": self.hdop,
        }


@dataclass(frozen=True)
class Position:
    """Where a read was taken, as far as we know, and how sure we are.

    ``fix`` is the latest fix that had a position (or, when there never was
    one, the latest fix the receiver gave, without position; or None).
    ``stale`` is True when a receiver should have given a current position and
    did not: the fix is older than the configured limit, or the receiver now
    reports no fix. Surveyed positions are never stale; "none" is not stale
    either, as nothing was expected.
    """

    fix: Fix | None
    source: Literal["gps", "surveyed", "none"]
    stale: bool
    age_s: float | None

    @property
    def has_position(self) -> bool:
        return self.fix is not None and self.fix.has_position

    def to_dict(self) -> dict:
        values = self.fix.to_dict() if self.fix is not None else {
            "time": None, "lat": None, "lon": None, "alt_m": None, "speed_kmh": None,
            "heading_deg": None, "fix_quality": 0, "satellites": None, "hdop": None,
        }
        return {
            "source": self.source,
            "stale": self.stale,
            "age_s": None if self.age_s is None else round(self.age_s, 3),
            **values,
        }
