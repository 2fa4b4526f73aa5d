"""Raspberry Pi cameras through picamera2 (libcamera): an IR camera and a colour camera,
or one camera giving both a colour main stream and a grey low-resolution stream.

picamera2 only installs on Raspberry Pi OS, so it is imported when a profile
asks for it, and tests hand in a fake with the same interface through
``camera_factory``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterator

import numpy as np

from alpr_edge.capture.base import Backoff, CameraMissing, ReconnectingStatus
from alpr_edge.capture.frame import Frame

logger = logging.getLogger(__name__)


def _real_picamera2():
    try:
        from picamera2 import Picamera2  # type: ignore[import-not-found]
    except ImportError as error:
        raise CameraMissing(
            "picamera2 is not installed (install Raspberry Pi OS's python3-picamera2, or the 'pi' extra)"
        ) from error
    return Picamera2


class Picamera2Source:
    """IR (grey, read from the Y plane of YUV420) plus an optional colour camera."""

    def __init__(self, settings, name: str = "pi", profile: str = "", camera_factory: Callable | None = None):
        # settings: alpr_edge.profiles.CameraSettings
        self.settings = settings
        self.name = name
        self._profile = profile
        self._factory = camera_factory
        self._ir = None
        self._colour = None
        self._index = 0
        self._state = ReconnectingStatus(name)

    def open(self) -> None:
        factory = self._factory or _real_picamera2()
        cameras = factory.global_camera_info()
        wanted = [self.settings.picamera2.ir_camera]
        if self.settings.picamera2.colour_camera is not None:
            wanted.append(self.settings.picamera2.colour_camera)
        for index in wanted:
            if index >= len(cameras):
                raise CameraMissing(
                    f"profile {self._profile!r}: camera {index} not found (libcamera sees {len(cameras)} camera(s))"
                )
        self._start(factory)

    def _start(self, factory) -> None:
        pc = self.settings.picamera2
        size = (self.settings.width, self.settings.height)
        controls = {
            "AeEnable": False,
            "ExposureTime": pc.exposure_us,
            "AnalogueGain": pc.analogue_gain,
            "FrameRate": self.settings.fps,
        }
        self._ir = factory(pc.ir_camera)
        if pc.colour_camera is None:
            # One camera: colour main stream, grey from the Y plane of lores.
            config = self._ir.create_video_configuration(
                main={"size": size, "format": "RGB888"},
                lores={"size": size, "format": "YUV420"},
                controls=controls,
            )
        else:
            config = self._ir.create_video_configuration(main={"size": size, "format": "YUV420"}, controls=controls)
            self._colour = factory(pc.colour_camera)
            colour_config = self._colour.create_video_configuration(
                main={"size": size, "format": "RGB888"}, controls={"FrameRate": self.settings.fps}
            )
            self._colour.configure(colour_config)
            self._colour.start()
        self._ir.configure(config)
        self._ir.start()
        self._state.recovered()

    def _grab(self) -> tuple[np.ndarray, np.ndarray | None]:
        height = self.settings.height
        if self._colour is None:
            colour = self._ir.capture_array("main")
            grey = self._ir.capture_array("lores")[:height]
            return grey, colour
        grey = self._ir.capture_array("main")[:height]
        return grey, self._colour.capture_array("main")

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        backoff = Backoff(max_s=self.settings.reconnect_max_s)
        while not stop.is_set():
            try:
                grey, colour = self._grab()
            except Exception as error:  # libcamera raises various errors on cable loss
                self._state.lost(str(error))
                self.close()
                if not backoff.wait(stop):
                    return
                try:
                    self._start(self._factory or _real_picamera2())
                except Exception as restart_error:
                    self._state.lost(f"restart failed: {restart_error}")
                continue
            backoff.reset()
            yield Frame(self._index, np.ascontiguousarray(grey), colour, time.monotonic(), time.time(), self.name)
            self._index += 1

    def close(self) -> None:
        for camera in (self._ir, self._colour):
            if camera is not None:
                try:
                    camera.stop()
                    camera.close()
                except Exception:
                    pass
        self._ir = self._colour = None

    def status(self) -> dict:
        return {
            **self._state.as_dict(),
            "driver": "picamera2",
            "frames": self._index,
            "ir": True,
            "colour": True,  # a colour camera, or the colour main stream of the one camera
        }
