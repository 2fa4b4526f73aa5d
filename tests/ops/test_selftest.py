"""The self-test on a sim-like profile: passes, and fails with clear reasons one seam at a time."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from datetime import UTC
from functools import reduce
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr_edge.config import Config, DeviceSection, UplinkSection
from alpr_edge.ops.layout import Layout
from alpr_edge.ops.selftest import Probes, report, run_selftest
from alpr_edge.profiles import load_profile
from tests.conftest import run_cli

pytest.importorskip("alpr_edge.gps", reason="the GPS stage is not merged yet")


def nmea(body: str) -> str:
    checksum = reduce(lambda a, c: a ^ ord(c), body, 0)
    return f"${body}*{checksum:02X}"


def write_nmea_log(path: Path, seconds: int = 30) -> Path:
    lines = []
    for second in range(seconds):
        hhmmss = f"1200{second:02d}.00"
        lines.append(nmea(f"GNRMC,{hhmmss},A,3752.16404,N,12216.07994,W,0.0,,120626,,,A"))
        lines.append(nmea(f"GNGGA,{hhmmss},3752.16404,N,12216.07994,W,1,09,0.9,52.1,M,-29.9,M,,"))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_frames(folder: Path, level: int = 110, count: int = 6, noise: float = 30) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for index in range(count):
        image = np.clip(rng.normal(level, noise, (120, 160, 3)), 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"f{index:02d}.png"), image)
    return folder


def write_profile(folder: Path, frames: str = "frames", gps: str = 'driver = "nmea-replay"\nreplay = "drive.nmea"', fps: int = 15) -> Path:
    path = folder / "bench.toml"
    path.write_text(f"""name = "bench"
description = "sim-like bench profile for the self-test tests"
kind = "sim"
[camera]
driver = "replay"
source = "{frames}"
fps = {fps}
loop = true
[gps]
{gps}
""")
    return path


@pytest.fixture
def device(tmp_path):
    """A data dir with private keys, a sim-like profile (generated frames + NMEA) and its config."""
    data_dir = tmp_path / "data"
    keys = data_dir / "keys"
    keys.mkdir(parents=True, mode=0o700)
    data_dir.chmod(0o700)
    try:
        from alpr_edge.store import create_keys

        create_keys(data_dir)
    except ImportError:
        for name in ("kek", "device.key"):
            (keys / name).write_bytes(b"k" * 32)
            (keys / name).chmod(0o600)
    (data_dir / "uplink").mkdir(mode=0o700)
    (data_dir / "uplink" / "client.key").write_bytes(b"stand-in")
    (data_dir / "uplink" / "client.key").chmod(0o600)
    write_frames(tmp_path / "frames")
    write_nmea_log(tmp_path / "drive.nmea")
    profile_path = write_profile(tmp_path)
    config = Config(device=DeviceSection(profile=str(profile_path), data_dir=data_dir), uplink=UplinkSection(broker=""))
    return config, profile_path


def fresh_lists(config, layout):
    return [{"name": "ncic-stolen", "age_s": 3 * 3600, "stale": False}, {"name": "local-bolo", "age_s": 600, "stale": False}]


def probes(**overrides) -> Probes:
    base = {
        "camera_seconds": 1.0, "gps_wait_s": 6.0, "hotlists": fresh_lists,
        "load_models": lambda config: {"detector": "stand-in", "ocr": "stand-in"},
        "systemctl_show": lambda unit: {"LoadState": "loaded", "ActiveState": "active", "SubState": "running",
                                        "WatchdogUSec": "30s", "NRestarts": "0"},
        "systemd_units": Path("/nonexistent/etc/systemd/system"),  # not this host's units (tests/ops/test_kiosk.py stages them)
    }
    base.update(overrides)
    return Probes(**base)


def run(config, profile_path, **overrides):
    results = run_selftest(config, load_profile(str(profile_path)), probes(**overrides),
                           Layout(config_path=Path("config.toml"), data_dir=config.data_dir))
    return report(results), {r.name: r for r in results}


def test_passes_on_a_working_sim_profile(device):
    config, profile_path = device
    outcome, checks = run(config, profile_path)
    assert outcome["ok"], [c for c in outcome["checks"] if c["status"] != "pass"]
    assert checks["camera"].status == "pass" and "fps of the profile's 15" in checks["camera"].detail
    assert checks["gps"].status == "pass" and "9 satellites" in checks["gps"].detail
    assert checks["clock"].status == "pass"
    assert checks["exposure"].status == "pass" and checks["database"].status == "warn"
    assert [c["name"] for c in outcome["checks"]] == [
        "camera", "ir_colour", "exposure", "gps", "clock", "storage", "database", "keys", "key_protection", "hotlists",
        "broker", "models", "watchdog", "kiosk"]
    assert checks["key_protection"].detail.startswith("plain file (sim/test only)")


def test_fails_when_the_camera_source_is_missing(device, tmp_path):
    config, _ = device
    profile_path = write_profile(tmp_path, frames="no-such-folder")
    outcome, checks = run(config, profile_path)
    assert not outcome["ok"]
    assert checks["camera"].status == "fail"
    assert "camera missing" in checks["camera"].detail and "no-such-folder does not exist" in checks["camera"].detail


def test_fails_on_a_black_image(device, tmp_path):
    config, _ = device
    write_frames(tmp_path / "dark", level=3, noise=2)
    _, checks = run(config, write_profile(tmp_path, frames="dark"))
    assert checks["exposure"].status == "fail" and "black image" in checks["exposure"].detail


def test_fails_when_the_gps_device_is_absent(device, tmp_path):
    config, _ = device
    profile_path = write_profile(tmp_path, gps='driver = "serial"\ndevice = "/dev/ttyNOSUCHGPS"')
    outcome, checks = run(config, profile_path)
    assert not outcome["ok"]
    assert checks["gps"].status == "fail" and "/dev/ttyNOSUCHGPS does not exist" in checks["gps"].detail


class OffsetClock:
    """The real clocks, with the wall clock wrong by ``offset_s`` (a Pi without RTC after a cold boot)."""

    def __init__(self, offset_s: float):
        from alpr_edge.gps import SystemClock

        self._real = SystemClock()
        self.offset_s = offset_s

    def wall(self) -> float:
        return time.time() + self.offset_s

    def monotonic(self) -> float:
        return time.monotonic()

    def ntp_synchronised(self) -> bool:
        return False


def test_fails_when_the_clock_is_off(device):
    config, profile_path = device
    outcome, checks = run(config, profile_path, clock=lambda: OffsetClock(-3600.0))
    assert not outcome["ok"]
    assert checks["clock"].status == "fail"
    match = re.search(r"system clock off by ([-+0-9.]+) s from GPS", checks["clock"].detail)
    assert match and abs(float(match.group(1)) + 3600) < 1.0, checks["clock"].detail


def test_fails_when_the_disk_is_nearly_full(device):
    config, profile_path = device
    outcome, checks = run(config, profile_path, free_bytes=lambda path: 100 * 10**6)
    assert not outcome["ok"]
    assert checks["storage"].status == "fail"
    assert "disk nearly full: 100 MB free" in checks["storage"].detail and "minimum 512 MB" in checks["storage"].detail


def test_fails_when_a_hot_list_is_stale(device):
    config, profile_path = device
    def stale(config, layout):
        return [{"name": "ncic-stolen", "age_s": 50 * 3600, "stale": True}, {"name": "local-bolo", "age_s": 60}]

    outcome, checks = run(config, profile_path, hotlists=stale)
    assert not outcome["ok"]
    assert checks["hotlists"].status == "fail"
    assert "stale: ncic-stolen (50.0 h old)" in checks["hotlists"].detail and "fresh: local-bolo" in checks["hotlists"].detail


def test_unreachable_broker_and_missing_systemd_only_warn(device):
    config, profile_path = device
    config = dataclasses.replace(config, uplink=UplinkSection(broker="mqtt://127.0.0.1:9", allow_plaintext=True))
    outcome, checks = run(config, profile_path, systemctl_show=lambda unit: None, broker_timeout_s=1.0)
    assert checks["broker"].status == "warn" and "127.0.0.1:9 unreachable" in checks["broker"].detail
    assert checks["watchdog"].status == "warn" and "not under systemd" in checks["watchdog"].detail
    assert outcome["ok"]


def test_cli_json_reports_every_check_and_exits_1_on_failure(device, tmp_path):
    config, _ = device
    profile_path = write_profile(tmp_path, frames="no-such-folder")
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'[device]\nprofile = "{profile_path}"\ndata_dir = "{config.data_dir}"\n')
    result = run_cli("selftest", "--json", "--config", str(config_path), "--camera-seconds", "0.5", "--gps-wait", "3")
    assert result.returncode == 1, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["ok"] is False
    assert {c["status"] for c in outcome["checks"]} <= {"pass", "warn", "fail"}
    camera = next(c for c in outcome["checks"] if c["name"] == "camera")
    assert camera["status"] == "fail" and "no-such-folder" in camera["detail"]


def test_while_the_daemon_runs_the_camera_and_gps_checks_read_its_figures(device):
    """Opening the camera or the serial port a second time would disturb the running daemon."""
    from datetime import datetime

    config, profile_path = device
    status = {
        "updated_at": datetime.now(UTC).isoformat(), "pid": os.getpid(), "running": True, "fps_in": 14.6,
        "camera": {"camera": "bench", "connected": True}, "gps": {"source": "gps", "has_fix": True, "satellites": 8, "hdop": 1.1},
        "clock": {"clock_ok": True, "offset_s": 0.01, "time_source": "ntp", "max_offset_s": 2.0},
        "hotlists": [{"name": "ncic-stolen", "age_s": 90000.0, "stale": True}],
    }
    (config.data_dir / "run").mkdir()
    (config.data_dir / "run" / "status.json").write_text(json.dumps(status))

    def must_not_open(*args, **kwargs):
        raise AssertionError("opened a device the daemon holds")

    _, checks = run(config, profile_path, frame_source=must_not_open, position_source=must_not_open, hotlists=None)
    assert checks["camera"].status == "pass" and "measured by the running daemon" in checks["camera"].detail
    assert checks["exposure"].status == "warn" and "the running daemon holds the camera" in checks["exposure"].detail
    assert checks["gps"].status == "pass" and "8 satellites" in checks["gps"].detail
    assert checks["clock"].status == "pass"
    assert checks["hotlists"].status == "fail" and "ncic-stolen (25.0 h old)" in checks["hotlists"].detail
    status["camera"] = {"camera": "bench", "connected": False, "last_error": "USB camera unplugged"}
    (config.data_dir / "run" / "status.json").write_text(json.dumps(status))
    _, checks = run(config, profile_path, frame_source=must_not_open, position_source=must_not_open)
    assert checks["camera"].status == "fail" and "USB camera unplugged" in checks["camera"].detail


class TwoStreamCamera:
    """A stand-in for the Pi's IR + colour cameras (picamera2 cannot run here); ``colour`` False loses the colour stream."""

    name = "pi5-front"

    def __init__(self, colour: bool, fps: float = 30.0):
        self.colour, self.fps = colour, fps

    def open(self):
        pass

    def frames(self, stop):
        from alpr_edge.capture import Frame

        index = 0
        rng = np.random.default_rng(1)
        while not stop.wait(1.0 / self.fps):
            grey = rng.integers(40, 200, (72, 128), dtype=np.uint8)
            colour = np.dstack([grey] * 3) if self.colour else None
            yield Frame(index, grey, colour, time.monotonic(), time.time(), self.name)
            index += 1

    def close(self):
        pass


def test_ir_and_colour_must_both_arrive_when_the_profile_has_both(device):
    config, _ = device
    profile = load_profile("pi5-dual-camera")
    layout = Layout(config_path=Path("config.toml"), data_dir=config.data_dir)
    for colour, expected in ((True, "pass"), (False, "fail")):
        results = run_selftest(config, profile, probes(frame_source=lambda p, c=colour: TwoStreamCamera(c), gps_wait_s=0.5), layout)
        check = next(r for r in results if r.name == "ir_colour")
        assert check.status == expected, check.detail
    assert "lacked the colour image" in check.detail


def test_hot_lists_are_read_from_the_stage_storage_when_the_daemon_is_not_running(device):
    hotlist = pytest.importorskip("alpr_edge.hotlist")
    from alpr_edge.store import Store

    config, profile_path = device
    store = Store.open(config.data_dir, config.store, dev_keys=load_profile(str(profile_path)).is_sim)
    engine = hotlist.HotListEngine(hotlist.device_list_storage(config.data_dir, store), settings=config.hotlist)
    csv_text = ("plate,state,list,reason,vehicle,entered_by,case_number,synopsis,expires\n"
                "7ABC123,CA,BOLO,stolen,grey sedan,sgt.lee,C-1,seen downtown,2099-01-01\n")
    two_days_ago = time.time() - 48 * 3600
    engine.replace(hotlist.parse_csv(csv_text.encode(), name="agency-bolo", max_age_s=24 * 3600, clock=lambda: two_days_ago))
    store.close()
    layout = Layout(config_path=Path("config.toml"), data_dir=config.data_dir)
    results = run_selftest(config, load_profile(str(profile_path)), probes(hotlists=None, camera_seconds=0.3, gps_wait_s=0.5), layout)
    check = next(r for r in results if r.name == "hotlists")
    assert check.status == "fail" and "stale: agency-bolo (48.0 h old)" in check.detail
    assert "7ABC123" not in check.detail


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_keys_must_be_private_and_owned_by_the_service_user(device):
    import pwd

    from alpr_edge.ops.provision import give_to_service_user

    config, profile_path = device
    layout = Layout(config_path=Path("config.toml"), data_dir=config.data_dir)
    profile = load_profile(str(profile_path))

    def keys_check(user: str):
        results = run_selftest(config, profile, probes(service_user=user, camera_seconds=0.2, gps_wait_s=0.3), layout)
        return next(r for r in results if r.name == "keys")

    # "nobody" stands in for the service user: keys made by root fail until handed over.
    wrong_owner = keys_check("nobody")
    assert wrong_owner.status == "fail" and "keys/kek is owned by uid 0, not nobody" in wrong_owner.detail
    assert give_to_service_user(config.data_dir, "nobody") == "given to nobody"
    assert (config.data_dir / "keys/kek").stat().st_uid == pwd.getpwnam("nobody").pw_uid
    assert keys_check("nobody").status == "pass"
    (config.data_dir / "keys/kek").chmod(0o644)
    readable = keys_check("nobody")
    assert readable.status == "fail" and "keys/kek is mode 644 (others can read it" in readable.detail


def test_passes_on_the_shipped_sim_profile(device):
    """The real sim profile: its rendered drive as the camera, its NMEA log through a pseudo-terminal,
    and the real models when the recognition stage and its models are there."""
    from alpr_edge.profiles import CHECKOUT_PROFILES

    if not (CHECKOUT_PROFILES / "sim-data" / "frames").is_dir():
        pytest.skip("the sim profile's rendered frames have not landed yet")
    config, _ = device
    config = dataclasses.replace(config, device=dataclasses.replace(config.device, profile="sim"))
    overrides = {}
    try:
        from alpr_edge.ops.status import default_models_dir
        from alpr_edge.vision import load_recognizer  # noqa: F401

        if not list(default_models_dir().glob("*.tflite")):
            raise ImportError("no models")
    except ImportError:
        overrides["load_models"] = lambda config: {"recognizer": "stand-in"}
    else:
        overrides["load_models"] = Probes().load_models  # the real models, run once
    outcome, checks = run(config, load_profile("sim").path, **overrides)
    assert outcome["ok"], [c for c in outcome["checks"] if c["status"] == "fail"]
    assert checks["camera"].status == "pass" and checks["gps"].status == "pass" and checks["clock"].status == "pass"


class HungCamera(TwoStreamCamera):
    """Opens, then blocks in its first read for good (a stalled RTSP stream)."""

    def frames(self, stop):
        time.sleep(3600)
        yield from ()


def test_a_camera_that_hangs_fails_instead_of_hanging_the_selftest(device, monkeypatch):
    from alpr_edge.ops import checks_hardware

    monkeypatch.setattr(checks_hardware, "FIRST_FRAME_WAIT_S", 0.5)
    monkeypatch.setattr(checks_hardware, "READER_JOIN_S", 0.2)
    config, profile_path = device
    started = time.monotonic()
    _, checks = run(config, profile_path, frame_source=lambda profile: HungCamera(True), gps_wait_s=0.5)
    assert checks["camera"].status == "fail" and "no frame arrived within" in checks["camera"].detail
    assert time.monotonic() - started < 10
