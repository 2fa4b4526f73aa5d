"""Capture: frames from cameras, streams and replays, behind one FrameSource seam.

``open_frame_source`` picks the implementation named by the profile's
``[camera].driver`` from an explicit registry; picamera2 is imported only when
a profile asks for it.
"""

from __future__ import annotations

from pathlib import Path

from alpr_edge.capture.base import Backoff, CameraMissing, FrameSource, Pacer
from alpr_edge.capture.frame import Frame

__all__ = ["Backoff", "CameraMissing", "Frame", "FrameSource", "Pacer", "open_frame_source", "replay_source"]


def replay_source(path: Path, fps: float, loop: bool = False, name: str = "replay") -> FrameSource:
    """A replay of a folder of images or a video file (`alpr-edge run --source`)."""
    from alpr_edge.capture.replay import ReplaySource

    return ReplaySource(path, fps=fps, loop=loop, name=name)


def open_frame_source(profile, camera_factory=None) -> FrameSource:
    """The frame source the profile asks for (not yet opened)."""
    camera = profile.camera
    if camera.driver == "replay":
        from alpr_edge.capture.replay import ReplaySource

        return ReplaySource(profile.resolve(camera.source), camera.fps, camera.loop, camera.name, profile.name)
    if camera.driver == "opencv":
        from alpr_edge.capture.opencv_source import OpenCvSource

        return OpenCvSource(
            camera.source, camera.fps, camera.width, camera.height, camera.name, profile.name, camera.reconnect_max_s
        )
    if camera.driver == "picamera2":
        from alpr_edge.capture.picamera import Picamera2Source

        return Picamera2Source(camera, camera.name, profile.name, camera_factory)
    raise ValueError(f"unknown camera driver {camera.driver!r}")
