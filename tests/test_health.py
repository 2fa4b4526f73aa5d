"""One set of health thresholds: the touchscreen's shift check and the self-test agree on the same device."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from alpr_edge.config import Config, StoreSection
from alpr_edge.ops.checks_hardware import _clock_result, _gps_result
from alpr_edge.ops.checks_system import check_storage
from alpr_edge.pipeline import PipelineCounters
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from alpr_edge.types import Components, LiveFeed
from alpr_edge.ui import SessionUser
from alpr_edge.ui.services import DeviceServices

OFFICER = SessionUser("olive", "officer")

CLOCKS = [
    {"clock_ok": False, "offset_s": 600.0, "max_offset_s": 2.0, "time_source": "gps"},  # the shift check said warn
    {"clock_ok": None, "offset_s": None, "time_source": "unsynchronised"},
    {"clock_ok": True, "offset_s": 0.1, "time_source": "gps"},
]
FIXES = [
    {"source": "gps", "has_fix": True, "stale": False, "satellites": 9, "hdop": 0.9},
    {"source": "gps", "has_fix": False, "counters": {"sentences_parsed": 40}},  # the shift check said fail
    {"source": "gps", "has_fix": False, "counters": {"sentences_parsed": 0}, "device": "/dev/ttyAMA0"},
]


class Part:
    def __init__(self, status):
        self._status = status

    def status(self):
        return self._status


@pytest.fixture
def services(tmp_path):
    stores = []

    def make(clock=None, gps=None, free_mb=50_000.0):
        config = replace(Config(), device=replace(Config().device, data_dir=tmp_path))
        store = Store.open(tmp_path, StoreSection(), dev_keys=True)
        stores.append(store)
        parts = Components(source=Part({"connected": True}), recognizer=None, aggregator=None, store=store,  # type: ignore[arg-type]
                           clock=Part(clock) if clock else None, positions=Part(gps) if gps else None)
        return DeviceServices(config, load_profile("sim"), parts, feed=LiveFeed(), counters=PipelineCounters(),
                              disk_usage=lambda _path: SimpleNamespace(free=free_mb * 1e6))

    yield make
    for store in stores:
        store.close()


@pytest.mark.parametrize("clock", CLOCKS)
def test_the_clock_check_has_one_threshold(services, clock):
    shift = {c.name: c.status for c in services(clock=clock).start_of_shift(OFFICER)}
    assert shift["clock"] == _clock_result(clock).status


@pytest.mark.parametrize("gps", FIXES)
def test_the_gps_check_has_one_threshold(services, gps):
    shift = {c.name: c.status for c in services(gps=gps).start_of_shift(OFFICER)}
    assert shift["gps"] == _gps_result(gps, 5).status


@pytest.mark.parametrize("free_mb", [100.0, 800.0, 1500.0, 50_000.0])  # store.min_free_mb is 512 by default
def test_the_storage_check_has_one_threshold(services, tmp_path, free_mb):
    shift = {c.name: c.status for c in services(free_mb=free_mb).start_of_shift(OFFICER)}
    ctx = SimpleNamespace(layout=SimpleNamespace(data_dir=tmp_path), config=Config(),
                          probes=SimpleNamespace(free_bytes=lambda _folder: free_mb * 1e6))
    assert shift["storage"] == check_storage(ctx).status
