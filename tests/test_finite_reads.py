"""A non-finite number in a read never reaches a strict JSON dump (issue 21).

Position values (GPS speed, latitude...) that are not finite are stored and
uploaded as null; a read whose own confidence is not finite is refused with a
logged reason; ``handle_reads`` never raises on either.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math

import pytest

from alpr_edge.config import Config, DeviceSection, StoreSection
from alpr_edge.daemon import Components, Daemon
from alpr_edge.finite import checked_read
from alpr_edge.gps.fix import Fix, Position
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.uplink.payloads import encode_read
from alpr_edge.vision.types import Candidate, Read
from tests.fakes import EndlessSource, ReadPerObservation, SlowRecognizer


@pytest.fixture
def world(tmp_path):
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True, uplink_enabled=True)
    config = Config(device=DeviceSection(data_dir=tmp_path / "data"))
    parts = Components(source=EndlessSource(), recognizer=SlowRecognizer(), aggregator=ReadPerObservation(), store=store)
    daemon = Daemon(config, load_profile("sim"), parts, max_frames=1)
    yield daemon, store
    store.close()


def _read(read_id: str, *, confidence: float = 0.9, speed: float = 42.0, lat: float = 37.5) -> Read:
    fix = Fix(time_utc=None, lat=lat, lon=-122.1, alt_m=math.nan, speed_kmh=speed, heading_deg=90.0, fix_quality=1,
              satellites=7, hdop=0.9, received_monotonic_s=0.0)
    return Read(read_id=read_id, text="7ABC123", confidence=confidence, candidates=(Candidate("7ABC123", 0.9),),
                camera="front", capture_monotonic_s=0.0, capture_wall_time=1_800_000_000.0, first_seen_monotonic_s=0.0,
                frames=3, box=(0, 0, 1, 1), state="CA", position=Position(fix, "gps", False, math.inf))


def test_non_finite_position_values_are_stored_and_uploaded_as_null(world):
    daemon, store = world
    daemon.handle_reads([_read("r-inf", speed=math.inf, lat=-math.inf)])
    stored = store.get_read("r-inf", images=False)
    assert stored is not None
    position = stored.position if isinstance(stored.position, dict) else stored.position.to_dict()
    assert position["speed_kmh"] is None and position["lat"] is None and position["alt_m"] is None
    assert position["age_s"] is None and position["heading_deg"] == 90.0
    [row] = store.pending_uploads(10)
    message = encode_read(row, "agency", "device")
    assert b"Infinity" not in message and b"NaN" not in message
    json.loads(message, parse_constant=lambda name: pytest.fail(f"{name} in the upload"))


def test_a_read_with_a_non_finite_confidence_is_refused_with_a_logged_reason(world, caplog):
    daemon, store = world
    with caplog.at_level(logging.WARNING):
        daemon.handle_reads([_read("r-nan", confidence=math.nan), _read("r-ok")])
    assert store.get_read("r-nan") is None and store.get_read("r-ok") is not None
    [refused] = [r for r in caplog.records if r.getMessage() == "read.refused"]
    assert refused.fields == {"read_id": "r-nan", "reason": "confidence is not a finite number"}
    assert "7ABC123" not in caplog.text


def test_a_finite_read_passes_the_check_uncopied():
    # The check runs once per read on the reads thread: the usual, all-finite read costs no copy.
    fix = Fix(time_utc=None, lat=37.5, lon=-122.1, alt_m=12.0, speed_kmh=42.0, heading_deg=90.0, fix_quality=1,
              satellites=7, hdop=0.9, received_monotonic_s=0.0)
    read = dataclasses.replace(_read("r-ok"), position=Position(fix, "gps", False, 0.4))
    checked, reason = checked_read(read)
    assert checked is read and reason is None
    nulled, _ = checked_read(dataclasses.replace(read, extra={"trigger_monotonic_s": math.nan}))
    assert nulled is not None and nulled.extra["trigger_monotonic_s"] is None and nulled.position is read.position
