"""Turning a recognition `Read` into a stored row and back into a payload.

`position` and `timestamp` are duck-typed (``to_dict()``; ``timestamp.utc``
and ``.source``) and may be None: the GPS stage supplies them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

PAYLOAD_FIELDS = ("text", "candidates", "state", "state_confidence", "format_ok", "position", "timestamp", "box", "extra")


def capture_time(read) -> tuple[datetime, str]:
    """When the read was captured (UTC) and by which clock."""
    ts = getattr(read, "timestamp", None)
    utc = getattr(ts, "utc", None) if ts is not None else None
    if utc is not None:
        if utc.tzinfo is None:
            raise ValueError(f"read {read.read_id}: timestamp.utc must be timezone-aware")
        return utc.astimezone(UTC), str(getattr(ts, "source", None) or "unknown")
    return datetime.fromtimestamp(read.capture_wall_time, UTC), "system"


def _as_dict(value):
    if value is None:
        return None
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else dict(value)


def payload_of(read) -> bytes:
    """The identifying part of a read, as JSON bytes to be sealed."""
    document = {
        "text": read.text,
        "candidates": [[c.text, c.confidence] for c in read.candidates],
        "state": read.state,
        "state_confidence": read.state_confidence,
        "format_ok": read.format_ok,
        "position": _as_dict(read.position),
        "timestamp": _as_dict(read.timestamp),
        "box": list(read.box),
        "extra": dict(read.extra or {}),
        "capture_wall_time": read.capture_wall_time,
        "capture_monotonic_s": read.capture_monotonic_s,
        "first_seen_monotonic_s": read.first_seen_monotonic_s,
    }
    return json.dumps(document, separators=(",", ":"), default=str, allow_nan=False).encode()


def day_of(row_day: str) -> date:
    return date.fromisoformat(row_day)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def recorded_text(payload: dict) -> str:
    """The plate text as the camera recorded it: the first correction's ``from``, else the read's text."""
    corrections = payload.get("corrections") or []
    return corrections[0]["from"]["text"] if corrections else payload["text"]


def payload_dict(row: dict, payload: dict, crop: bytes | None, overview: bytes | None) -> dict:
    """The JSON-ready view of a stored read (images as bytes)."""
    return {
        "id": row["id"],
        "captured_at": iso(row["captured_at"]),
        "stored_at": iso(row["stored_at"]),
        "clock_source": row["clock_source"],
        "timestamp": payload.get("timestamp"),
        "position": payload.get("position"),
        "text": payload["text"],
        "confidence": row["confidence"],
        "candidates": [{"text": t, "confidence": c} for t, c in payload.get("candidates", [])],
        "state": payload.get("state"),
        "state_confidence": payload.get("state_confidence"),
        "format_ok": payload.get("format_ok"),
        "camera": row["camera"],
        "frames": row["frames"],
        "has_hit": bool(row["has_hit"]),
        "uploaded_at": iso(row["uploaded_at"]),
        # Supervisors' corrections, oldest first; the first one's "from" is the read as captured.
        "corrections": payload.get("corrections", []),
        "crop_jpeg": crop or b"",
        "overview_jpeg": overview or b"",
    }


@dataclass(frozen=True)
class StoredRead:
    """A read as the store gives it back: ``read_id`` as everywhere else, times as ISO 8601 UTC."""

    read_id: str
    captured_at: str | None
    stored_at: str | None
    clock_source: str
    text: str
    confidence: float
    candidates: tuple[tuple[str, float], ...]
    state: str | None
    state_confidence: float | None
    format_ok: bool | None
    camera: str
    frames: int
    has_hit: bool
    uploaded_at: str | None
    timestamp: Mapping[str, Any] | None = None
    position: Mapping[str, Any] | None = None
    crop_jpeg: bytes = b""
    overview_jpeg: bytes = b""

    @classmethod
    def from_dict(cls, view: Mapping[str, Any]) -> StoredRead:
        """From the JSON-ready view (``payload_dict``: what searches, exports and the uplink carry)."""
        return cls(
            read_id=view["id"], captured_at=view["captured_at"], stored_at=view["stored_at"],
            clock_source=view["clock_source"], text=view["text"], confidence=float(view["confidence"] or 0.0),
            candidates=tuple((c["text"], c["confidence"]) for c in view["candidates"]), state=view["state"],
            state_confidence=view["state_confidence"], format_ok=view["format_ok"], camera=view["camera"],
            frames=view["frames"], has_hit=view["has_hit"], uploaded_at=view["uploaded_at"],
            timestamp=view["timestamp"], position=view["position"], crop_jpeg=view.get("crop_jpeg") or b"",
            overview_jpeg=view.get("overview_jpeg") or b"",
        )

    @property
    def captured_epoch_s(self) -> float:
        return datetime.fromisoformat(self.captured_at.replace("Z", "+00:00")).timestamp() if self.captured_at else 0.0
