"""alpr-edge bench writes no plaintext hot list and leaves nothing in the temp folder (issue 21)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from alpr_edge import bench


def test_the_bench_hot_list_is_sealed_and_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with bench.throwaway_list_storage() as storage:
        engine, _ = bench.hotlist_engine(500, ["7BNC123"], storage)
        assert engine.match("7BNC123", None, ())
        files = [path for path in tmp_path.rglob("*") if path.is_file()]
        lists = [path for path in files if "hotlists" in path.parts]
        assert lists  # the lists went to disk, as the daemon keeps them ...
        assert not any(b"7BNC123" in path.read_bytes() for path in files)  # ... sealed
    assert not list(tmp_path.glob("alpr-bench*"))


def test_the_replayed_drive_is_read_back_from_its_file_frame_by_frame(tmp_path):
    images = [b"\xff\xd8first", b"", b"\xff\xd8third frame"]
    recording = bench.DriveRecording(tmp_path / "drive.jpegs", images)
    assert len(recording) == 3 and [recording[i] for i in range(3)] == images
    assert (tmp_path / "drive.jpegs").read_bytes() == b"".join(images)


def test_cpu_per_frame_is_per_frame_offered_and_processed_and_none_when_unknown():
    assert bench.cpu_ms_per_frame({"capture": 3.0, "recognition": 12.0}, 600, 400) == {"capture": 5.0, "recognition": 30.0}
    assert bench.cpu_ms_per_frame({"capture": float("nan")}, 600, 0) == {"capture": None, "recognition": None}


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux's per-process peak RSS reset")
def test_each_pipeline_run_counts_its_own_peak_memory_not_the_list_imports():
    import numpy as np

    spike = np.ones(150 * 2**20, np.uint8)  # like the bench's hot list import, before the runs
    del spike
    assert bench.status_mb("VmHWM") > bench.status_mb("VmRSS") + 100
    assert bench.reset_high_water()
    assert bench.status_mb("VmHWM") < bench.status_mb("VmRSS") + 5
