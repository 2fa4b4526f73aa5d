"""One contract for every PositionSource the registry can build (STYLE 3)."""

import json

import pytest

from alpr_edge.gps import ClockTracker, Position, PositionSource, SystemClock, open_position_source
from alpr_edge.profiles import GpsSettings, load_profile
from tests.gps.gps_samples import epoch, wait_for

REQUIRED_STATUS = {"source", "device", "has_fix", "stale", "satellites", "counters"}
REQUIRED_COUNTERS = {"sentences_parsed", "bad_checksums", "unparseable_lines", "reopen_count"}


@pytest.fixture(params=["serial", "nmea-replay", "fixed", "none"])
def source(request, device):
    sim = load_profile("sim")
    settings = {
        "serial": GpsSettings(driver="serial", device=str(device.path)),
        "nmea-replay": sim.gps,
        "fixed": GpsSettings(driver="fixed", latitude=37.8716, longitude=-122.2727),
        "none": GpsSettings(driver="none"),
    }[request.param]
    source = open_position_source(settings, 3.0, ClockTracker(SystemClock()), sim.resolve)
    source.start()
    if request.param == "serial":
        wait_for(lambda: source.status()["state"] == "open", what="the port")
        device.write(epoch())
    yield request.param, source
    source.stop()
    source.stop()  # stopping twice is harmless


def test_every_source_keeps_the_contract(source):
    driver, source = source
    assert isinstance(source, PositionSource)
    if driver in ("serial", "nmea-replay"):
        wait_for(lambda: source.position().has_position, timeout=4, what="a fix")
    position = source.position()
    assert isinstance(position, Position)
    assert position.source == {"serial": "gps", "nmea-replay": "gps", "fixed": "surveyed", "none": "none"}[driver]
    data = json.loads(json.dumps(position.to_dict()))
    assert (data["lat"] is None) == (driver == "none")
    assert position.has_position == (driver != "none")
    status = json.loads(json.dumps(source.status()))
    assert REQUIRED_STATUS <= set(status)
    assert status["has_fix"] == (driver != "none")
    if driver in ("serial", "nmea-replay"):
        assert REQUIRED_COUNTERS <= set(status["counters"])
