"""The position-source registry, fixed sites, no position, and the sim's replayed receiver."""

import os

import pytest

from alpr_edge.gps import (
    ClockTracker, GpsDeviceMissing, NoPosition, PositionSource, SerialNmeaReceiver, SurveyedPosition, SystemClock,
    open_position_source,
)
from alpr_edge.profiles import GpsSettings, load_profile
from tests.gps.gps_samples import wait_for


def open_source(settings, resolve=None, tracker=None):
    return open_position_source(settings, 3.0, tracker, resolve or (lambda p: p))


def test_a_surveyed_site_is_never_stale():
    source = open_source(GpsSettings(driver="fixed", latitude=37.8716, longitude=-122.2727, altitude_m=52.0))
    assert isinstance(source, SurveyedPosition) and isinstance(source, PositionSource)
    source.start()
    position = source.position(now_monotonic=1e9)
    assert position.source == "surveyed" and not position.stale and position.age_s is None
    data = position.to_dict()
    assert (data["lat"], data["lon"], data["alt_m"], data["fix_quality"]) == (37.8716, -122.2727, 52.0, 7)
    assert source.status()["has_fix"] and source.status()["source"] == "surveyed"
    source.stop()
    with pytest.raises(ValueError):
        SurveyedPosition(91.0, 0.0)


def test_no_position_says_so():
    source = open_source(GpsSettings(driver="none"))
    assert isinstance(source, NoPosition) and isinstance(source, PositionSource)
    position = source.position()
    assert position.source == "none" and position.fix is None
    assert position.to_dict()["lat"] is None and position.to_dict()["fix_quality"] == 0
    assert source.status()["has_fix"] is False


def test_a_missing_serial_device_is_named(tmp_path):
    missing = str(tmp_path / "ttyACM7")
    with pytest.raises(GpsDeviceMissing, match="ttyACM7"):
        open_source(GpsSettings(driver="serial", device=missing))


def test_an_existing_serial_device_gets_the_serial_receiver(device):
    tracker = ClockTracker(SystemClock())
    source = open_source(GpsSettings(driver="serial", device=str(device.path), baud=4800), tracker=tracker)
    assert isinstance(source, SerialNmeaReceiver) and isinstance(source, PositionSource)
    assert source.clock_tracker is tracker and source.status()["baud"] == 4800


def test_unknown_drivers_are_refused():
    with pytest.raises(ValueError, match="carrier-pigeon"):
        open_source(GpsSettings(driver="carrier-pigeon"))


def test_the_sim_profile_replays_the_drive_through_the_serial_code():
    profile = load_profile("sim")
    tracker = ClockTracker(SystemClock())
    source = open_position_source(profile.gps, 3.0, tracker, profile.resolve)
    assert isinstance(source, PositionSource)
    assert source.position().fix is None  # not started yet
    source.start()
    try:
        position = wait_for(lambda: (p := source.position()).has_position and p, timeout=4, what="a replayed fix")
        assert 37.85 < position.fix.lat < 37.89 and -122.29 < position.fix.lon < -122.25
        assert not position.stale
        status = source.status()
        assert status["driver"] == "nmea-replay" and status["replay"] == "drive.nmea"
        assert status["has_fix"] and status["counters"]["sentences_parsed"] >= 4
        assert tracker.status()["gps_time_known"]
        device = source.replay.device_path
    finally:
        source.stop()
    assert not os.path.exists(device)  # the pseudo-terminal is gone
    assert source.status()["state"] == "stopped"
