"""The camera seam: every frame source behaves the same way to the pipeline."""

from __future__ import annotations

import logging
import threading
import time
from typing import Iterator, Protocol

from alpr_edge.capture.frame import Frame
from alpr_edge.logs import RateLimited

logger = logging.getLogger(__name__)


class CameraMissing(Exception):
    """The profile asks for a camera that is not there (raised at start-up)."""


class FrameSource(Protocol):
    """A camera, stream or replay.

    ``open()`` checks the hardware and raises CameraMissing if it is absent,
    so a wrong profile fails at start-up. ``frames(stop)`` yields frames until
    ``stop`` is set or a finite source ends; losing the camera afterwards is
    retried with backoff inside ``frames`` and reported in ``status()``, never
    raised: a car's camera cable is unplugged and plugged back in.
    """

    name: str

    def open(self) -> None: ...

    def frames(self, stop: threading.Event) -> Iterator[Frame]: ...

    def close(self) -> None: ...

    def status(self) -> dict: ...


class Backoff:
    """Exponential backoff with a ceiling, for reconnecting cameras and ports."""

    def __init__(self, first_s: float = 0.5, max_s: float = 30.0):
        self.first_s = first_s
        self.max_s = max_s
        self.next_s = first_s

    def wait(self, stop: threading.Event) -> bool:
        """Sleep the current delay (or until stop); False when stopped."""
        delay = self.next_s
        self.next_s = min(self.max_s, self.next_s * 2)
        return not stop.wait(delay)

    def reset(self) -> None:
        self.next_s = self.first_s


class Pacer:
    """Holds a loop to a frame rate, measured on the monotonic clock."""

    def __init__(self, fps: float):
        self.interval = 1.0 / fps if fps > 0 else 0.0
        self._next = time.monotonic()

    def wait(self, stop: threading.Event) -> bool:
        if self.interval <= 0:
            return not stop.is_set()
        self._next += self.interval
        delay = self._next - time.monotonic()
        if delay < -self.interval:
            # Far behind (the machine was busy): resync rather than burst.
            self._next = time.monotonic()
            return not stop.is_set()
        return not stop.wait(max(0.0, delay))


class ReconnectingStatus:
    """Shared bookkeeping of camera loss and recovery, for status and logs."""

    def __init__(self, name: str):
        self.name = name
        self.connected = False
        self.reconnects = 0
        self.failures = 0
        self.last_error = ""
        self._rate_limited = RateLimited(logger)

    def lost(self, error: str) -> None:
        self.connected = False
        self.failures += 1
        self.last_error = error
        self._rate_limited(logging.WARNING, "camera_lost", camera=self.name, error=error, failures=self.failures)

    def recovered(self) -> None:
        if not self.connected and self.failures:
            self.reconnects += 1
            logger.info("camera_recovered", extra={"fields": {"camera": self.name, "reconnects": self.reconnects}})
        self.connected = True

    def as_dict(self) -> dict:
        return {
            "camera": self.name,
            "connected": self.connected,
            "reconnects": self.reconnects,
            "failures": self.failures,
            "last_error": self.last_error,
        }
