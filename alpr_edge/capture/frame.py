"""The unit of work that flows out of every camera: one captured frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One captured frame.

    ``grey`` is the image recognition runs on: the IR stream where the camera
    has one, otherwise the luminance of the colour stream. ``colour`` is the
    overview image kept as context for a read (BGR), or None when the camera is
    monochrome. Times are taken at capture: ``monotonic_s`` (time.monotonic,
    for latency and ordering) and ``wall_time`` (time.time, the system clock's
    opinion, which the clock stage may later correct).
    """

    index: int
    grey: np.ndarray
    colour: np.ndarray | None
    monotonic_s: float
    wall_time: float
    camera: str = "main"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the grey image."""
        height, width = self.grey.shape[:2]
        return width, height
