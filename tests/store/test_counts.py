"""Daily counts: counted as things happen, never a plate, kept after the purge, refused searches apart."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from tests.store.store_fakes import all_bytes, make_read

from alpr_edge import cli
from alpr_edge.alerts import AlertDesk, AlertError
from alpr_edge.config import StoreSection
from alpr_edge.hotlist import HotListEngine, MemoryListStorage
from alpr_edge.store import AccessRefused
from alpr_edge.accounts import Accounts
from alpr_edge.store.counts import period_counts, purpose_key
from alpr_edge.store.evidence import write_package

CASE = dict(user="sue", role="supervisor", purpose="stolen-wanted-or-suspect-vehicle", detail="stolen vehicle report 24-1",
            case_number="24-1")


def totals(store, since=None, until=None) -> dict:
    with store.read() as db:
        return period_counts(db.conn, since, until)["totals"]


def test_reads_and_hits_are_counted_per_capture_day_and_outlive_the_purge(open_store, clock):
    store = open_store(settings=StoreSection(retention_days=30, hit_retention_days=30))
    old_day = clock() - timedelta(days=40)
    reads = [make_read("7ABC123", old_day), make_read("7ABC124", old_day), make_read("8XYZ999", clock() - timedelta(hours=1))]
    store.add_reads(reads)
    store.mark_hit(reads[0].read_id)
    store.mark_hit(reads[0].read_id)  # marking twice is one hit
    report = store.purge()
    assert report.reads_purged == 2 and store.get_read(reads[0].read_id) is None
    with store.read() as db:
        counted = period_counts(db.conn, None, None)
    assert counted["days"][old_day.date().isoformat()] == {"reads": 2, "hits": 1}
    assert counted["totals"]["reads"] == 3 and counted["totals"]["purge.reads_purged"] == 2 and counted["totals"]["purges"] == 1
    assert b"7ABC123" not in all_bytes(store.data_dir)


def test_refused_searches_are_never_searches_made(open_store):
    store = open_store()
    store.add_reads([make_read("7ABC123")])
    store.search("7ABC123", **CASE)
    for purpose in ("investigation", ""):
        with pytest.raises(AccessRefused):
            store.search("7ABC123", **{**CASE, "purpose": purpose})
    counted = totals(store)
    assert counted["searches"] == 1 and counted["searches.refused"] == 2
    assert counted["searches.purpose:stolen-wanted-or-suspect-vehicle"] == 1 and counted["searches.refused.purpose:other"] == 2


def test_free_text_never_becomes_a_counter_name():
    authorised = frozenset({"stolen-wanted-or-suspect-vehicle"})
    assert purpose_key("stolen-wanted-or-suspect-vehicle: report 24-1", authorised) == "stolen-wanted-or-suspect-vehicle"
    assert purpose_key("7abc123: looking", authorised) == "other"
    assert purpose_key("7ABC123", authorised) == "other"
    assert purpose_key(None, authorised) == "other"


def test_exports_are_counted_with_their_recipient_agency(open_store, tmp_path):
    store = open_store()
    store.add_reads([make_read("7ABC123")])
    write_package(store, tmp_path / "p", "7ABC123", recipient="Oakland PD / Det. Ortiz", permitted=["Oakland PD"], **CASE)
    with pytest.raises(AccessRefused):
        write_package(store, tmp_path / "q", "7ABC123", recipient="FBI / SA Doe", permitted=["Oakland PD"], **CASE)
    store.export("csv", "7ABC123", **CASE)
    counted = totals(store)
    assert counted["exports"] == 2 and counted["exports.refused"] == 1
    assert counted["exports.format:package"] == 1 and counted["exports.format:csv"] == 1
    assert counted["exports.recipient:Oakland PD"] == 1 and not any("FBI" in name for name in counted)
    assert counted["searches"] == 2 and "searches.refused" not in counted  # a refused recipient never searched


def test_alerts_are_counted_by_step_and_disposition(open_store, clock):
    store = open_store()
    now = lambda: clock().timestamp()  # noqa: E731
    engine = HotListEngine(MemoryListStorage(), clock=now, audit=store.audit)
    engine.add_manual("7ABC123", "CA", "Stolen vehicle", "sue", "24-1", "grey sedan", clock().date() + timedelta(days=5))
    store.add_reads([read := make_read("7ABC123")])
    desk = AlertDesk(store, clock=now)
    [alert] = desk.raise_for(read.read_id, engine.match("7ABC123", "CA"))
    for step, disposition in (("verified", None), ("confirmed", None), ("disposed", "arrest")):
        desk.step(alert.alert_id, step, "ofc", "officer", disposition=disposition)
    with pytest.raises(AlertError):
        desk.step(alert.alert_id, "verified", "ofc", "officer")  # refused: not counted
    counted = totals(store)
    assert {k: v for k, v in counted.items() if k.startswith("alerts")} == {
        "alerts": 1, "alerts.verified": 1, "alerts.confirmed": 1, "alerts.disposed": 1, "alerts.disposition:arrest": 1}


def test_stats_csv_for_a_month(open_store, clock, monkeypatch, capsys):
    store = open_store()
    november = clock().replace(day=1)
    store.add_reads([make_read("7ABC123", november + timedelta(days=d)) for d in (0, 0, 14, 29, 30)])  # the last is December
    Accounts(store).add("tech", "technician", "tech-pass")  # stats needs a login (every look is audited)
    store.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("tech-pass\n"))
    status = cli.main(["stats", "--csv", "--since", "2026-11-01", "--until", "2026-12-01", "--data-dir", str(store.data_dir),
                       "--user", "tech", "--password-stdin"], clock=lambda: clock().timestamp())
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out == ("day,counter,value\n2026-11-01,reads,2\n2026-11-15,reads,1\n2026-11-30,reads,1\ntotal,reads,4\n")
    assert cli.main(["stats", "--csv", "--until", "next month", "--data-dir", str(store.data_dir)]) == 2
    assert "--until 'next month': expected a date" in capsys.readouterr().err
