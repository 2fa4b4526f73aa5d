"""Cameras through OpenCV: V4L2/USB devices, RTSP/HTTP streams and video files.

Live sources (a device or a URL) are reconnected with backoff when they drop;
a video file is played once at the profile's pace and then ends.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Iterator

import cv2

from alpr_edge.capture.base import Backoff, CameraMissing, Pacer, ReconnectingStatus
from alpr_edge.capture.frame import Frame
from alpr_edge.capture.replay import split_grey_colour

logger = logging.getLogger(__name__)


def _is_url(source: str) -> bool:
    return "://" in source


def _is_device(source: str) -> bool:
    return source.isdigit() or source.startswith("/dev/")


class OpenCvSource:
    """A V4L2 index ("0"), device path ("/dev/video0"), URL or video file."""

    def __init__(
        self,
        source: str,
        fps: float = 15.0,
        width: int = 1280,
        height: int = 720,
        name: str = "main",
        profile: str = "",
        reconnect_max_s: float = 30.0,
        open_capture: Callable[[str | int], "cv2.VideoCapture"] | None = None,
    ):
        self.source = source
        self.fps = fps
        self.width = width
        self.height = height
        self.name = name
        self._profile = profile
        self._reconnect_max_s = reconnect_max_s
        self._open_capture = open_capture or self._default_open
        self._capture = None
        self._index = 0
        self._state = ReconnectingStatus(name)
        self.live = _is_url(source) or _is_device(source)

    def _default_open(self, target):
        if isinstance(target, int) or str(target).startswith("/dev/"):
            capture = cv2.VideoCapture(target, cv2.CAP_V4L2)
        else:
            capture = cv2.VideoCapture(target)
        if _is_device(self.source):
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            capture.set(cv2.CAP_PROP_FPS, self.fps)
            # One buffered frame: latency matters more than smoothness here.
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return capture

    def _target(self):
        return int(self.source) if self.source.isdigit() else self.source

    def open(self) -> None:
        where = f"profile {self._profile!r}: camera {self.source}"
        if self.source.startswith("/dev/") and not os.path.exists(self.source):
            raise CameraMissing(f"{where} not found")
        if not self.live and not os.path.isfile(self.source):
            raise CameraMissing(f"{where}: no such file")
        capture = self._open_capture(self._target())
        if not capture.isOpened():
            capture.release()
            if _is_url(self.source):
                # A pole camera's stream may be briefly down at boot: retried in frames().
                self._state.lost("stream did not open at start-up")
                return
            raise CameraMissing(f"{where} could not be opened")
        self._capture = capture
        self._state.recovered()

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        backoff = Backoff(max_s=self._reconnect_max_s)
        pacer = Pacer(0 if self.live else self.fps)
        while not stop.is_set():
            if self._capture is None:
                if not self._reconnect(stop, backoff):
                    return
                continue
            ok, image = self._capture.read()
            if not ok or image is None:
                if not self.live:
                    return  # end of the file
                self._capture.release()
                self._capture = None
                self._state.lost("read failed")
                continue
            backoff.reset()
            self._state.recovered()
            if not pacer.wait(stop):
                return
            grey, colour = split_grey_colour(image)
            yield Frame(self._index, grey, colour, time.monotonic(), time.time(), self.name)
            self._index += 1

    def _reconnect(self, stop: threading.Event, backoff: Backoff) -> bool:
        if not backoff.wait(stop):
            return False
        capture = self._open_capture(self._target())
        if capture.isOpened():
            self._capture = capture
        else:
            capture.release()
            self._state.lost("reconnect failed")
        return True

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def status(self) -> dict:
        return {**self._state.as_dict(), "driver": "opencv", "source": self.source, "frames": self._index}
