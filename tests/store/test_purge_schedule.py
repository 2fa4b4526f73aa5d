"""When retention runs (start-up, then a timer) and what `status` shows of the last purge."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime

from tests.conftest import run_cli
from tests.store.store_fakes import make_read

from alpr_edge.config import StoreSection
from alpr_edge.ops.layout import LAST_PURGE, read_last_purge
from alpr_edge.store.retention import PurgeSchedule

DAY1 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Monotonic:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_purge_is_due_at_start_then_every_interval():
    clock = Monotonic()
    schedule = PurgeSchedule(600.0, clock)
    assert schedule.due() == "start"
    assert schedule.due() is None
    clock.now += 599.9
    assert schedule.due() is None
    clock.now += 0.2
    assert schedule.due() == "timer"
    assert schedule.due() is None
    clock.now += 600
    assert schedule.due() == "timer"


def test_the_purge_interval_is_bounded(tmp_path):
    assert StoreSection().purge_every_hours == 1.0
    assert StoreSection(purge_every_hours=0.05).validate() == ["purge_every_hours: expected 0.1 to 24, got 0.05"]
    assert StoreSection(purge_every_hours=25).validate() == ["purge_every_hours: expected 0.1 to 24, got 25"]


def test_each_purge_is_recorded_for_status_without_plates(open_store, clock, tmp_path):
    data = tmp_path / "data"
    assert read_last_purge(data) is None
    store = open_store(data_dir=data)
    store.add_reads([make_read("OLD0001", DAY1), make_read("OLD0002", DAY1)])
    clock.advance(days=31)
    store.purge(trigger="timer")
    record = read_last_purge(data)
    assert record["trigger"] == "timer" and record["by"] == "system"
    assert record["at"] == "2026-12-02T12:00:00.000000+00:00"
    assert record["removed"]["expired_no_hit"] == 2 and record["removed"]["reads_purged"] == 2
    path = data / LAST_PURGE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"OLD000" not in path.read_bytes()
    store.purge()  # the next one replaces it
    assert read_last_purge(data)["trigger"] == "command" and read_last_purge(data)["removed"]["reads_purged"] == 0


def test_status_json_shows_the_last_purge(open_store, clock, tmp_path):
    data = tmp_path / "data"
    store = open_store(data_dir=data)
    store.add_read(make_read("OLD0003", DAY1))
    clock.advance(days=40)
    store.purge(trigger="start")
    store.close()
    result = run_cli("status", "--json", "--data-dir", str(data))
    status = json.loads(result.stdout)
    assert status["last_purge"]["trigger"] == "start"
    assert status["last_purge"]["at"] == "2026-12-11T12:00:00.000000+00:00"
    assert status["last_purge"]["removed"]["expired_no_hit"] == 1


def test_an_unreadable_record_is_said_not_a_traceback(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / LAST_PURGE).write_text("{not json")
    assert read_last_purge(tmp_path)["error"].startswith(f"{tmp_path / LAST_PURGE}: ")
