"""Stand-ins for the GPS stage's Position and Timestamp, a read factory, a hand-moved clock."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from alpr_edge.ids import uuid7
from alpr_edge.vision.types import Candidate, Read


@dataclass(frozen=True)
class FakePosition:
    lat: float
    lon: float
    speed_mps: float | None = None

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class FakeTimestamp:
    utc: datetime
    source: str = "gps"
    offset_s: float = 0.0

    def to_dict(self):
        return {"utc": self.utc.isoformat(), "source": self.source, "offset_s": self.offset_s}


def make_read(text="ABC1234", when: datetime | None = None, *, crop=b"\xff\xd8crop", overview=b"\xff\xd8overview",
              position=(37.77, -122.42), candidates=None, state="CA") -> Read:
    when = when or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    return Read(
        read_id=uuid7(int(when.timestamp() * 1000)),
        text=text,
        confidence=0.93,
        candidates=tuple(Candidate(t, c) for t, c in (candidates or [(text, 0.93)])),
        camera="front",
        capture_monotonic_s=100.0,
        capture_wall_time=when.timestamp(),
        first_seen_monotonic_s=99.5,
        frames=5,
        box=(10, 20, 120, 40),
        crop_jpeg=crop,
        overview_jpeg=overview,
        state=state,
        position=FakePosition(*position) if position else None,
        timestamp=FakeTimestamp(when),
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)




def all_bytes(folder) -> bytes:
    out = b""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                out += handle.read()
    return out
