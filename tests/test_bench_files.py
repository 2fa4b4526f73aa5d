"""alpr-edge bench writes no plaintext hot list and leaves nothing in the temp folder (issue 21)."""

from __future__ import annotations

import tempfile

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
