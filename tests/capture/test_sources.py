"""One contract for every frame source that can run here, plus per-source behaviour."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from alpr_edge.capture import CameraMissing, Frame
from alpr_edge.capture.opencv_source import OpenCvSource
from alpr_edge.capture.picamera import Picamera2Source
from alpr_edge.capture.replay import ReplaySource
from alpr_edge.profiles import CameraSettings, Picamera2Settings


class FakePicamera2:
    """Stands in for picamera2.Picamera2 (no Pi camera can exist here).

    Same calls the real driver makes; remembers configurations and controls.
    Its YUV420 arrays are (height * 3/2, width) like the real ones.
    """

    cameras = [{"Model": "imx708_noir"}, {"Model": "imx708"}]
    instances: list["FakePicamera2"] = []
    fail_after: int | None = None

    def __init__(self, camera_num: int = 0):
        self.camera_num = camera_num
        self.config = None
        self.started = False
        self.captures = 0
        FakePicamera2.instances.append(self)

    @classmethod
    def global_camera_info(cls):
        return cls.cameras

    def create_video_configuration(self, main=None, lores=None, controls=None):
        return {"main": main, "lores": lores, "controls": controls}

    def configure(self, config):
        self.config = config

    def start(self):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        pass

    def capture_array(self, name="main"):
        self.captures += 1
        if FakePicamera2.fail_after is not None and self.captures > FakePicamera2.fail_after:
            FakePicamera2.fail_after = None
            raise RuntimeError("camera frontend timeout")
        width, height = self.config[name]["size"]
        if self.config[name]["format"] == "YUV420":
            array = np.zeros((height * 3 // 2, width), np.uint8)
            array[:height] = 100 + self.camera_num  # Y plane
            array[height:] = 7  # chroma, must not leak into the grey image
            return array
        return np.full((height, width, 3), 50, np.uint8)


def pi_settings(colour_camera=1) -> CameraSettings:
    return CameraSettings(
        driver="picamera2", width=64, height=48, fps=30, reconnect_max_s=0.01,
        picamera2=Picamera2Settings(colour_camera=colour_camera, exposure_us=500),
    )


@pytest.fixture
def each_source(request, image_folder, video_file):
    FakePicamera2.instances.clear()
    kind = request.param
    if kind == "replay-folder":
        return ReplaySource(image_folder, fps=0)
    if kind == "replay-video":
        return ReplaySource(video_file, fps=0)
    if kind == "opencv-file":
        return OpenCvSource(str(video_file), fps=0)
    if kind == "picamera2-fake":
        return Picamera2Source(pi_settings(), camera_factory=FakePicamera2)
    raise AssertionError(kind)


@pytest.mark.parametrize("each_source", ["replay-folder", "replay-video", "opencv-file", "picamera2-fake"], indirect=True)
def test_contract_frames_are_grey_uint8_with_increasing_times(each_source):
    each_source.open()
    stop = threading.Event()
    frames: list[Frame] = []
    for frame in each_source.frames(stop):
        frames.append(frame)
        if len(frames) == 4:
            stop.set()
    each_source.close()
    assert len(frames) == 4
    assert [f.index for f in frames] == [0, 1, 2, 3]
    for frame in frames:
        assert frame.grey.ndim == 2 and frame.grey.dtype == np.uint8
        assert frame.colour is None or frame.colour.shape[:2] == frame.grey.shape
    assert all(b.monotonic_s >= a.monotonic_s for a, b in zip(frames, frames[1:]))
    assert each_source.status()["frames"] == 4


def test_replay_folder_plays_in_name_order_once(image_folder):
    source = ReplaySource(image_folder, fps=0, loop=False)
    source.open()
    frames = list(source.frames(threading.Event()))
    assert len(frames) == 5
    means = [int(f.grey.mean()) for f in frames]
    assert means == sorted(means)  # frame-000 is darkest


def test_replay_loops_when_asked(image_folder):
    source = ReplaySource(image_folder, fps=0, loop=True)
    source.open()
    stop = threading.Event()
    count = 0
    for _ in source.frames(stop):
        count += 1
        if count == 12:
            stop.set()
    assert count == 12


def test_replay_paces_at_the_requested_rate(image_folder):
    import time

    source = ReplaySource(image_folder, fps=50)
    source.open()
    started = time.monotonic()
    frames = list(source.frames(threading.Event()))
    # 5 frames at 50 fps take at least 4 intervals (80 ms).
    assert time.monotonic() - started >= 0.075
    assert len(frames) == 5


def test_replay_skips_unreadable_files_and_counts_them(image_folder):
    (image_folder / "frame-002.png").write_bytes(b"not an image")
    source = ReplaySource(image_folder, fps=0)
    source.open()
    assert len(list(source.frames(threading.Event()))) == 4
    assert source.status()["skipped_files"] == 1


def test_replay_of_a_missing_or_empty_source_fails_at_open(tmp_path):
    with pytest.raises(CameraMissing, match="does not exist"):
        ReplaySource(tmp_path / "nothing", profile="sim").open()
    (tmp_path / "empty").mkdir()
    with pytest.raises(CameraMissing, match="holds no images"):
        ReplaySource(tmp_path / "empty").open()


def test_absent_v4l2_device_names_profile_and_device():
    source = OpenCvSource("/dev/video99", profile="usb-v4l2")
    with pytest.raises(CameraMissing, match=r"profile 'usb-v4l2': camera /dev/video99 not found"):
        source.open()


class FlakyCapture:
    """A stream that delivers some frames, drops, then comes back."""

    def __init__(self, frames: int, opened: bool = True):
        self.frames = frames
        self.opened = opened

    def isOpened(self):
        return self.opened

    def read(self):
        if self.frames <= 0:
            return False, None
        self.frames -= 1
        return True, np.zeros((24, 32, 3), np.uint8)

    def set(self, *args):
        return True

    def release(self):
        pass


def test_rtsp_drop_is_retried_with_backoff_not_fatal():
    attempts = []

    def open_capture(target):
        attempts.append(target)
        # 1st: 2 frames then drop; 2nd: fails to open; 3rd: 3 frames then drop.
        return [FlakyCapture(2), FlakyCapture(0, opened=False), FlakyCapture(3)][min(len(attempts) - 1, 2)]

    source = OpenCvSource("rtsp://192.0.2.1/stream", name="pole", reconnect_max_s=0.01, open_capture=open_capture)
    source.open()
    stop = threading.Event()
    frames = []
    for frame in source.frames(stop):
        frames.append(frame)
        if len(frames) == 5:
            stop.set()
    status = source.status()
    assert len(frames) == 5
    assert len(attempts) == 3
    assert status["failures"] == 2 and status["reconnects"] == 1
    assert status["connected"] is True


def test_picamera2_two_cameras_ir_grey_from_the_y_plane_only():
    FakePicamera2.instances.clear()
    source = Picamera2Source(pi_settings(colour_camera=1), camera_factory=FakePicamera2)
    source.open()
    frame = next(source.frames(threading.Event()))
    ir, colour = FakePicamera2.instances
    assert (ir.camera_num, colour.camera_num) == (0, 1)
    assert ir.config["controls"]["ExposureTime"] == 500 and ir.config["controls"]["AeEnable"] is False
    assert frame.grey.shape == (48, 64) and int(frame.grey.max()) == 100
    assert frame.colour.shape == (48, 64, 3)


def test_picamera2_one_camera_two_streams():
    FakePicamera2.instances.clear()
    source = Picamera2Source(pi_settings(colour_camera=None), camera_factory=FakePicamera2)
    source.open()
    frame = next(source.frames(threading.Event()))
    assert len(FakePicamera2.instances) == 1
    assert FakePicamera2.instances[0].config["lores"]["format"] == "YUV420"
    assert frame.grey.shape == (48, 64) and frame.colour.shape == (48, 64, 3)


def test_picamera2_missing_camera_fails_at_start_up():
    class OneCamera(FakePicamera2):
        cameras = [{"Model": "imx708_noir"}]

    with pytest.raises(CameraMissing, match=r"profile 'pi5-dual-camera': camera 1 not found"):
        Picamera2Source(pi_settings(), profile="pi5-dual-camera", camera_factory=OneCamera).open()


def test_picamera2_recovers_after_a_capture_error():
    FakePicamera2.instances.clear()
    FakePicamera2.fail_after = 2
    source = Picamera2Source(pi_settings(colour_camera=None), camera_factory=FakePicamera2)
    source.open()
    stop = threading.Event()
    frames = []
    for frame in source.frames(stop):
        frames.append(frame)
        if len(frames) == 3:
            stop.set()
    assert len(frames) == 3
    assert source.status()["failures"] == 1
    assert len(FakePicamera2.instances) == 2  # restarted the camera
