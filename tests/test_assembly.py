"""The one wiring: build_daemon over the sim profile, with the benchmark's seams, and cleanly when it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpr_edge.assembly import build_daemon
from alpr_edge.config import Config, DeviceSection
from alpr_edge.hotlist import HotListEngine, MemoryListStorage
from alpr_edge.profiles import load_profile
from alpr_edge.store import Store
from tests.fakes import EndlessSource


def test_build_daemon_takes_a_source_and_hot_lists(tmp_path: Path):
    config = Config(device=DeviceSection(data_dir=tmp_path / "data"))
    engine = HotListEngine(MemoryListStorage())
    source = EndlessSource()
    daemon = build_daemon(config, load_profile("sim"), source=source, hotlists=engine, max_frames=5)
    summary = daemon.run()
    assert summary["frames_in"] == 5 and summary["camera"] == source.status()
    assert summary["hotlists"] == []  # the benchmark's engine, not the sim's demo list


def test_the_store_is_closed_when_a_later_build_step_fails(tmp_path: Path, monkeypatch):
    closed = []
    real_close = Store.close

    def close(store):
        closed.append(store)
        real_close(store)

    def broken(*args, **kwargs):
        raise RuntimeError("the alert desk could not be built")

    monkeypatch.setattr(Store, "close", close)
    monkeypatch.setattr("alpr_edge.alerts.AlertDesk", broken)
    config = Config(device=DeviceSection(data_dir=tmp_path / "data"))
    with pytest.raises(RuntimeError, match="alert desk"):
        build_daemon(config, load_profile("sim"), source=EndlessSource())
    assert len(closed) == 1


@pytest.mark.parametrize("profile, setting, logged", [("sim", True, True), ("sim", False, False), ("pole-rtsp", True, False)])
def test_plates_reach_the_logs_only_when_asked_for_and_only_in_simulation(profile, setting, logged):
    from alpr_edge.assembly import plates_in_logs
    from alpr_edge.config import LoggingSection

    config = Config(logging=LoggingSection(plates_in_logs=setting))
    assert plates_in_logs(config, load_profile(profile)) is logged
