"""Replay of recorded input: a folder of images or a video file, at a chosen pace.

Used by the sim profile and by `alpr-edge run --source`. Timestamps are taken
when each frame is handed over, as a real camera's would be.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from alpr_edge.capture.base import CameraMissing, Pacer
from alpr_edge.capture.frame import Frame

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def split_grey_colour(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The grey image recognition needs, and the colour image if there is one."""
    if image.ndim == 2:
        return image, None
    if image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), image


class ReplaySource:
    """Frames from a folder of images (sorted by name) or a video file."""

    def __init__(self, path: Path, fps: float = 15.0, loop: bool = False, name: str = "replay", profile: str = ""):
        self.path = Path(path)
        self.fps = fps
        self.loop = loop
        self.name = name
        self._profile = profile
        self._images: list[Path] = []
        self._index = 0
        self.skipped_files = 0

    def open(self) -> None:
        where = f"profile {self._profile!r}: " if self._profile else ""
        if self.path.is_dir():
            self._images = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self._images:
                raise CameraMissing(f"{where}replay folder {self.path} holds no images")
        elif self.path.is_file():
            capture = cv2.VideoCapture(str(self.path))
            ok = capture.isOpened() and capture.read()[0]
            capture.release()
            if not ok:
                raise CameraMissing(f"{where}replay file {self.path} is not a readable video")
        else:
            raise CameraMissing(f"{where}replay source {self.path} does not exist")

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        pacer = Pacer(self.fps)
        for image in self._images_forever() if self.loop else self._images_once():
            if not pacer.wait(stop):
                return
            grey, colour = split_grey_colour(image)
            yield Frame(
                index=self._index,
                grey=grey,
                colour=colour,
                monotonic_s=time.monotonic(),
                wall_time=time.time(),
                camera=self.name,
            )
            self._index += 1

    def _images_forever(self) -> Iterator[np.ndarray]:
        while True:
            produced = False
            for image in self._images_once():
                produced = True
                yield image
            if not produced:
                return

    def _images_once(self) -> Iterator[np.ndarray]:
        if self._images:
            for path in self._images:
                image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
                if image is None:
                    self.skipped_files += 1
                    logger.warning("replay_unreadable_image", extra={"fields": {"file": str(path)}})
                    continue
                if image.dtype != np.uint8:
                    image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
                yield image
            return
        capture = cv2.VideoCapture(str(self.path))
        try:
            while True:
                ok, image = capture.read()
                if not ok:
                    return
                yield image
        finally:
            capture.release()

    def close(self) -> None:
        pass

    def status(self) -> dict:
        return {
            "camera": self.name,
            "driver": "replay",
            "source": str(self.path),
            "connected": True,
            "frames": self._index,
            "skipped_files": self.skipped_files,
        }
