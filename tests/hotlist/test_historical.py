"""Historical hits: a hot list entry that arrives is matched against the reads of the last hours."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta

import pytest
from tests.store.store_fakes import Clock, make_read

from argon2 import PasswordHasher

from alpr_edge.accounts import Accounts
from alpr_edge.alerts import AlertDesk
from alpr_edge.config import StoreSection
from alpr_edge.hotlist import EntryTable, HotList, HotListEngine, HotListEntry, MemoryListStorage
from alpr_edge.hotlist.historical import HistoricalHits, describe
from alpr_edge.hotlist.model import Area
from alpr_edge.store import Store, audit as audit_trail
from alpr_edge.store.counts import period_counts
from alpr_edge.store.historical import choose_plan

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def entry(plate, state="CA", case="26-9", reason="Stolen vehicle"):
    return HotListEntry(plate=plate, state=state, list_type="STOLEN", reason=reason, entered_by="Sgt 1", case_number=case,
                        synopsis="grey sedan", expires=None)


def hotlist(name, version, plates, **kwargs):
    return HotList(name=name, source="csv", entries=EntryTable.from_entries([entry(p) for p in plates]), version=version,
                   received_at=NOW.timestamp(), max_age_s=None, **kwargs)


@pytest.fixture
def world(tmp_path):
    clock = Clock(NOW)
    store = Store.open(tmp_path / "data", StoreSection(retention_days=3), dev_keys=True, clock=clock)
    now = lambda: clock().timestamp()  # noqa: E731
    desk = AlertDesk(store, clock=now)
    hits = HistoricalHits(store, desk.raise_for, window_hours=24, clock=now)
    engine = HotListEngine(MemoryListStorage(), clock=now, audit=store.audit, on_new_version=hits)
    hits.would_alert = engine.would_alert
    reads = {
        "hour_ago": make_read("7ABC123", NOW - timedelta(hours=1), position=(37.8044, -122.2712)),
        "day_and_half_ago": make_read("7ABC123", NOW - timedelta(hours=36)),
        "other": make_read("5XYZ999", NOW - timedelta(hours=2)),
        "partial_fit": make_read("8FJK2AB", NOW - timedelta(hours=3)),
    }
    store.add_reads(reads.values())
    yield dataclasses.make_dataclass("World", ["store", "engine", "hits", "desk", "reads", "clock"])(
        store, engine, hits, desk, reads, clock)
    store.close()


def test_a_plate_added_now_raises_a_historical_alert_for_the_read_an_hour_ago(world):
    world.engine.add_manual("7abc123", "CA", "Stolen vehicle", "Sgt 1", "26-9", "grey sedan", "2026-12-01")
    [report] = world.hits.reports
    assert (report.new_entries, report.plan, report.reads_in_window) == (1, "index", 3)
    [hit] = report.hits
    read = world.reads["hour_ago"]
    assert (hit.read_id, hit.captured_at, hit.position["lat"]) == (read.read_id, "2026-11-20T11:00:00Z", 37.8044)
    [alert] = world.desk.open_for("supervisor")
    assert (alert.read_id, alert.match_kind, alert.case_number, alert.covert) == (read.read_id, "historical", "26-9", False)
    assert alert.alert_id in hit.alert_ids and alert.sounding  # through the same verification flow
    assert world.store.get_read(read.read_id).has_hit
    assert not world.store.get_read(world.reads["day_and_half_ago"].read_id).has_hit  # outside the 24 h window
    audited = [r for r in audit_trail.records(world.store) if r["action"] == "hotlist.historical_match"][-1]
    assert audited["data"]["hits"] == 1 and audited["data"]["read_ids"] == [read.read_id] and audited["case_number"] == "26-9"
    with world.store.read() as db:
        totals = period_counts(db.conn, None, None)["totals"]
    assert totals["alerts.historical"] == 1 and totals["historical_checks"] == 1 and "searches" not in totals
    assert describe(report) == [
        f"historical hit on 'manual': read {read.read_id} at 2026-11-20T11:00:00Z (37.80440,-122.27120): HISTORICAL alert {alert.alert_id}",
        "checked 1 new entry against 3 read(s) of the last 24 h: 1 historical hit(s)"]


def test_the_check_is_audited_as_whoever_put_the_version_in_force(world):
    """Walkthrough: a person's import or plate was audited as ``system``; a signed list over the uplink is the system's."""
    world.engine.replace(hotlist("bolo", 1, ["5XYZ999"]), actor="sam", role="supervisor")
    world.engine.add_manual("7abc123", "CA", "Stolen vehicle", "ofc1", "26-9", "grey sedan", "2026-12-01", role="officer")
    world.engine.replace(hotlist("ncic", 1, ["8FJK2AB"]), actor="uplink", role="system")
    world.hits._queue = __import__("queue").Queue()  # the daemon's thread carries who it was too
    world.engine.replace(hotlist("bolo", 2, ["5XYZ999", "7ABC123"]), actor="sam", role="supervisor")
    world.hits.wait()
    world.hits.close()
    audited = [(r["user"], r["role"], r["data"]["list"]) for r in audit_trail.records(world.store)
               if r["action"] == "hotlist.historical_match"]
    assert audited == [("sam", "supervisor", "bolo"), ("ofc1", "officer", "manual"), ("system", "system", "ncic"),
                       ("sam", "supervisor", "bolo")]


def test_only_entries_new_in_a_version_are_matched(world):
    world.engine.replace(hotlist("ncic", 1, ["5XYZ999"]))
    assert [h.read_id for h in world.hits.reports[-1].hits] == [world.reads["other"].read_id]
    world.engine.replace(hotlist("ncic", 2, ["5XYZ999", "7ABC123"]))
    report = world.hits.reports[-1]
    assert report.new_entries == 1 and [h.read_id for h in report.hits] == [world.reads["hour_ago"].read_id]
    assert len(world.desk.open_for("supervisor")) == 2  # 5XYZ999 did not alert a second time


def test_partial_entries_decrypt_the_window(world):
    world.engine.add_manual("8FJK2*", "CA", "Robbery suspect vehicle", "Sgt 1", "26-10", "robbery", "2026-12-01")
    report = world.hits.reports[-1]
    assert report.plan == "decrypt" and [h.read_id for h in report.hits] == [world.reads["partial_fit"].read_id]


def test_a_covert_list_records_without_alerting(world):
    world.engine.replace(hotlist("quiet", 1, ["7ABC123"], covert=True))
    [hit] = world.hits.reports[-1].hits
    [alert] = world.desk.open_for("supervisor")
    assert world.desk.open_for("officer") == []  # a covert alert never reaches an officer
    assert hit.covert and alert.covert and not alert.sounding and alert.match_kind == "historical"


def test_a_list_limited_to_an_area_matches_only_reads_made_there(world):
    elsewhere = Area(south=34.0, west=-118.5, north=34.2, east=-118.2)  # Los Angeles; the read was in Oakland
    world.engine.replace(hotlist("la", 1, ["7ABC123"], area=elsewhere))
    assert world.hits.reports[-1].hits == () and world.desk.open_for("supervisor") == []


def test_the_window_never_goes_beyond_retention(world):
    store = world.store
    hits = HistoricalHits(store, lambda read_id, matches: [], window_hours=24 * 30, clock=lambda: NOW.timestamp())
    assert hits.window_hours == 72  # retention_days=3
    report = hits.check(None, hotlist("x", 1, ["7ABC123"]), None)
    assert sorted(h.captured_at for h in report.hits) == ["2026-11-19T00:00:00Z", "2026-11-20T11:00:00Z"]


def test_background_checks_leave_the_writer_free(world):
    world.hits._queue = __import__("queue").Queue()  # as the daemon builds it
    world.engine.replace(hotlist("ncic", 1, ["7ABC123"]))
    world.hits.wait()
    assert [h.read_id for h in world.hits.reports[-1].hits] == [world.reads["hour_ago"].read_id]
    world.hits.close()


def test_plan_choice():
    assert choose_plan(whole_plates=1, partial=0, day_keys=30, reads=300_000) == "index"
    assert choose_plan(whole_plates=2_000_000, partial=0, day_keys=30, reads=300_000) == "decrypt"
    assert choose_plan(whole_plates=1, partial=1, day_keys=30, reads=300_000) == "decrypt"


def test_an_entry_is_new_when_its_plate_or_its_state_is():
    from alpr_edge.hotlist.history import new_rows

    old = HotList(name="x", source="csv", entries=EntryTable.from_entries([entry("7ABC123", "CA"), entry("5XYZ999", None)]),
                  version=1, received_at=0.0, max_age_s=None)
    new = dataclasses.replace(old, version=2, entries=EntryTable.from_entries(
        [entry("5XYZ999", None), entry("7ABC123", "NV"), entry("7ABC123", "CA"), entry("7ABC12", "CA")]))
    assert new_rows(old, new).tolist() == [1, 3]
    assert new_rows(None, new).tolist() == [0, 1, 2, 3]


def test_from_the_command_line_a_plate_read_an_hour_ago_gets_a_historical_alert(tmp_path, monkeypatch, capsys):
    import alpr_edge.cli as cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["alpr_edge.cli.hotlist"])
    data = tmp_path / "data"
    with Store.open(data, StoreSection(), dev_keys=True) as store:
        store.add_reads([read := make_read("7ABC123", NOW - timedelta(hours=1), position=(37.8044, -122.2712))])
        Accounts(store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)).add("ofc1", "officer", "pin-4711")
    monkeypatch.setattr("sys.stdin", io.StringIO("pin-4711\n"))
    status = cli.main(["hotlist", "add", "7ABC123", "--state", "CA", "--reason", "Stolen vehicle", "--user", "ofc1",
                       "--password-stdin", "--case", "26-9", "--synopsis", "grey sedan", "--expires", "2026-12-01",
                       "--data-dir", str(data)], clock=NOW.timestamp)
    out, err = capsys.readouterr()
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"historical hit on 'manual': read {read.read_id} at 2026-11-20T11:00:00Z (37.80440,-122.27120):"
                               " HISTORICAL alert ")
    assert lines[1:] == ["checked 1 new entry against 1 read(s) of the last 24 h: 1 historical hit(s)",
                         "added 7ABC123 (CA) until 2026-12-01, case 26-9"]
    alert_id = lines[0].rsplit(" ", 1)[1]
    with Store.open(data, StoreSection(), dev_keys=True) as store:
        [audited] = [r for r in audit_trail.records(store) if r["action"] == "hotlist.historical_match"]
        assert (audited["user"], audited["role"]) == ("ofc1", "officer")  # the person whose plate set it off, not "system"
        alert = AlertDesk(store, clock=NOW.timestamp).get_for(alert_id, "supervisor")
        assert (alert.read_id, alert.match_kind, alert.state) == (read.read_id, "historical", "raised")
