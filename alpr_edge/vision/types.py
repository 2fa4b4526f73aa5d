"""What recognition produces: plates seen in one frame, and reads (one per passage)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from alpr_edge.gps.clock import Timestamp
    from alpr_edge.gps.fix import Position


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str
    confidence: float


@dataclass(frozen=True, slots=True, eq=False)
class PlateObservation:
    """One plate found in one frame."""

    text: str
    confidence: float
    candidates: tuple[Candidate, ...]
    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the frame
    corners: tuple[tuple[float, float], ...]  # 4 corners, clockwise from top-left
    crop: np.ndarray  # rectified grey crop
    char_confidences: tuple[float, ...] = ()
    state: str | None = None
    state_confidence: float = 0.0
    format_ok: bool = True  # False when the text fits no known format of its state


@dataclass(frozen=True, slots=True, eq=False)
class Read:
    """One vehicle passage: the plate voted over the frames it was seen in.

    Recognition fills the plate fields; the daemon's tagging step adds where
    and when (``position`` and ``timestamp``) with ``dataclasses.replace``.
    """

    read_id: str  # time-ordered UUID (UUIDv7), also the uplink's dedup key
    text: str
    confidence: float
    candidates: tuple[Candidate, ...]
    camera: str
    capture_monotonic_s: float  # of the best frame
    capture_wall_time: float  # system clock at the best frame
    first_seen_monotonic_s: float
    frames: int  # how many frames voted
    box: tuple[int, int, int, int]
    crop_jpeg: bytes = b""
    overview_jpeg: bytes = b""
    state: str | None = None
    state_confidence: float = 0.0
    format_ok: bool = True
    # Added by the daemon's tagging step (alpr_edge.gps):
    position: Position | None = None
    timestamp: Timestamp | None = None
    # Recognition's notes on the passage (early=True, trigger_monotonic_s): read-only, as the rest.
    extra: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


class Recognizer(Protocol):
    """Finds and reads plates in a grey image."""

    def recognize(self, grey: np.ndarray, zoom: bool = False) -> list[PlateObservation]: ...
