"""The engine: atomic replacement, persistence, freshness, manual plates, matching."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest

from alpr_edge.config import HotlistSection
from alpr_edge.hotlist import (
    ActiveHours, CorruptList, EntryTable, FileListStorage, HotList, HotListEngine, HotListEntry, HotListError,
    MemoryListStorage, check_history, decode, encode, parse_csv, parse_ncic,
)
from alpr_edge.vision.types import Candidate
from tests.hotlist.conftest import SAMPLES

HOUR = 3600.0


@pytest.fixture
def engine(clock, audit, tmp_path):
    engine = HotListEngine(FileListStorage(tmp_path / "hotlists"), clock=clock, settings=HotlistSection(), audit=audit)
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock), actor="admin1", role="admin")
    engine.replace(parse_csv(SAMPLES / "agency-bolo.csv", clock=clock, name="bolo"), actor="admin1", role="admin")
    return engine


def _list(name, plates, clock, **options):
    entries = [HotListEntry(plate=p, state=s, list_type=t, reason="Stolen vehicle") for p, s, t in plates]
    return HotList(name=name, source="test", entries=EntryTable.from_entries(entries), version=options.pop("version", 1),
                   received_at=clock(), **options)


def test_replacement_is_atomic_when_the_new_file_is_bad(engine, clock, audit, tmp_path):
    stored = (tmp_path / "hotlists" / "ncic.hotlist").read_bytes()
    with pytest.raises(HotListError):
        engine.replace(parse_ncic(SAMPLES / "ncic-extract-bad.txt", clock=clock))
    assert engine.get("ncic").version == 20261122040000 and len(engine.get("ncic")) == 14
    assert (tmp_path / "hotlists" / "ncic.hotlist").read_bytes() == stored
    assert [m.entry.plate for m in engine.match("7XKM219", "CA")] == ["7XKM219"]


def test_newer_version_replaces_older_is_refused_and_both_audited(engine, clock, audit):
    newer = parse_ncic((SAMPLES / "ncic-extract.txt").read_text().replace("20261122 0400", "20261122 1000"), clock=clock)
    engine.replace(newer, actor="uplink", role="system")
    assert engine.get("ncic").version == 20261122100000
    with pytest.raises(HotListError) as caught:
        engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock), actor="admin1", role="admin")
    assert "is not newer than version 20261122100000 in force" in caught.value.problems[0]
    assert engine.get("ncic").version == 20261122100000
    replaced = [r for r in audit.records if r["action"] == "hotlist_replace"]
    assert [(r["user"], r["outcome"]) for r in replaced][-2:] == [("uplink", "applied"), ("admin1", "refused")]
    assert replaced[-2]["data"]["previous_version"] == 20261122040000


def test_lists_persist_with_private_files_and_a_broken_file_is_skipped(engine, clock, tmp_path):
    folder = tmp_path / "hotlists"
    assert stat.S_IMODE(os.stat(folder / "ncic.hotlist").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    (folder / "bolo.hotlist").write_bytes((folder / "bolo.hotlist").read_bytes()[:-10])  # cut short
    (folder / "junk.hotlist").write_bytes(b"not a list")
    restarted = HotListEngine(FileListStorage(folder), clock=clock)
    assert [s.name for s in restarted.lists()] == ["ncic"]
    assert len(restarted.get("ncic")) == 14 and restarted.match("7XKM219")
    health = restarted.health()
    assert not health.ok
    assert any("'bolo' could not be loaded (checksum mismatch" in p for p in health.problems)
    assert any("'junk' could not be loaded (not a stored hot list" in p for p in health.problems)


def test_storage_round_trip_keeps_every_field(engine):
    for name in ("ncic", "bolo"):
        original = engine.get(name)
        copy = decode(encode(original))
        assert list(copy.entries) == list(original.entries)
        assert (copy.version, copy.priority, copy.match_mode, copy.max_age_s) == (
            original.version, original.priority, original.match_mode, original.max_age_s)
    damaged = bytearray(encode(engine.get("ncic")))
    damaged[200] ^= 1
    with pytest.raises(CorruptList):
        decode(bytes(damaged))


def test_freshness_stale_then_not_alerting(engine, clock):
    assert engine.health().ok and not engine.match("7XKM219")[0].stale
    clock.advance(25 * HOUR)
    match = engine.match("7XKM219")[0]
    assert match.stale and match.list_name == "ncic"
    summary = {s.name: s for s in engine.lists()}
    assert summary["ncic"].stale and summary["ncic"].alerting
    assert not summary["bolo"].stale  # agency lists with per-entry expiry never go stale
    health = engine.health()
    assert health.ok and health.warnings == ("list 'ncic' is stale: 25.0 h old, maximum 24 h; its alerts say so",)
    clock.advance(48 * HOUR)  # 73 h: past the 72 h limit
    assert engine.match("7XKM219") == []
    health = engine.health()
    assert not health.ok
    assert health.problems == ("list 'ncic' is 73.0 h old, beyond the 72 h limit: it raises no alerts until a new version arrives",)
    assert not {s.name: s for s in engine.lists()}["ncic"].alerting


def test_exact_match_requires_same_state_when_both_known(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(_list("x", [("ABC1234", "CA", "V")], clock, match_mode="exact"))
    assert [m.kind for m in engine.match("ABC1234", "CA")] == ["exact"]
    assert [m.kind for m in engine.match("ABC1234")] == ["exact"]
    assert engine.match("ABC1234", "NV") == []
    assert engine.match("ABC1Z34", "CA") == []  # no confusables in exact mode


@pytest.mark.parametrize("listed, read", [
    ("0OB8Q1I", "OOB8Q1I"), ("0OB8Q1I", "DQ8BO1L"), ("2Z5S8B", "Z2S5B8"), ("6G1I1L", "G6ILTL"), ("AB1T0D", "AB7T0D"),
])
def test_lenient_matches_ocr_confusions(clock, listed, read):
    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(_list("x", [(listed, "CA", "V")], clock))
    matches = engine.match(read, "CA")
    if read == "AB7T0D":  # 7 is not in a confusable group: no match
        assert matches == []
    else:
        assert [(m.kind, m.entry.plate) for m in matches] == [("lenient", listed)]


def test_lenient_flags_a_state_difference_rather_than_missing_the_hit(engine):
    (match,) = engine.match("7XKM219", "NV")
    assert match.state_differs and match.kind == "exact"


def test_match_through_ocr_candidates(engine):
    candidates = (Candidate("7XKM2I9", 0.31), Candidate("ZZZ999", 0.2))
    (match,) = engine.match("7XKM2J9", "CA", candidates)
    assert (match.kind, match.matched_text, match.confidence, match.read_text) == ("candidate", "7XKM2I9", 0.31, "7XKM2J9")
    assert engine.match("7XKM2J9", "CA") == []


def test_wildcard_entries(engine):
    assert [(m.kind, m.entry.plate) for m in engine.match("7ABL330", "CA")] == [("wildcard", "7??L330")]
    assert [(m.kind, m.entry.plate) for m in engine.match("7AB1330", "CA")] == [("wildcard", "7??L330")]  # L read as 1
    assert engine.match("7ABL331", "CA") == []
    assert engine.match("7ABCL330", "CA") == []  # ? is exactly one character
    assert [m.entry.plate for m in engine.match("8FJK2XY9", "CA")] == ["8FJK2*"]
    assert [m.entry.plate for m in engine.match("XX", candidates=[Candidate("8FJK2A", 0.4)])] == ["8FJK2*"]


def test_one_missing_or_extra_character_only_where_the_list_allows(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(_list("strict", [("7XKM219", "CA", "V")], clock))
    engine.replace(_list("loose", [("7XKM219", "CA", "V")], clock, one_char_tolerance=True))
    for read in ("7XKM19", "7XKMM219", "XKM219", "7XKM2198", "7XKM2I9Q"):
        assert [(m.list_name, m.kind) for m in engine.match(read)] == [("loose", "edit")], read
    assert engine.match("7XK19") == []


def test_skip_list_suppresses_known_false_hits(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock, settings=HotlistSection(skip_plates=["7XKM-219"]))
    engine.replace(parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock))
    assert engine.match("7XKM219") == [] and engine.match("7 xkm 219") == []
    assert engine.match("8BRT552")


def test_higher_priority_first_and_type_overrides_list_priority(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(_list("routine", [("9ZZA114", None, "A")], clock, priority=4))
    engine.replace(_list("stolen", [("9ZZA114", None, "V")], clock, priority=3))
    engine.replace(_list("bolo", [("9ZZA114", None, "BOLO")], clock, priority=5, covert=True))
    matches = engine.match("9ZZA114")
    assert [(m.list_name, m.priority) for m in matches] == [("routine", 1), ("stolen", 2), ("bolo", 5)]
    assert matches[-1].covert and not matches[0].covert


def test_active_hours(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock)
    local = __import__("time").localtime(clock())
    minute = local.tm_hour * 60 + local.tm_min
    closed = ActiveHours((minute + 60) % 1440, (minute + 120) % 1440)
    engine.replace(replace(_list("night", [("ABC1234", None, "V")], clock), active_hours=closed))
    assert engine.match("ABC1234") == []
    assert engine.lists()[0].why_not_alerting == "list 'night' is outside its active hours"


def test_manual_plates_need_who_case_synopsis_and_expiry(engine, clock, audit):
    with pytest.raises(HotListError) as caught:
        engine.add_manual("4KDM2?1", "CA", "Armed robbery suspect vehicle", "", "", "", "")
    assert caught.value.problems == [
        "manual entry: entered_by: missing (required)", "manual entry: case_number: missing (required)",
        "manual entry: synopsis: missing (required)", "manual entry: expires: missing (required)"]
    with pytest.raises(HotListError) as caught:
        engine.add_manual("4KDM201", "CA", "investigation", "Ofc 5", "26-1", "DOB 01/02/1990", date(2027, 6, 1))
    assert [p.split(":")[1].strip() for p in caught.value.problems] == ["reason", "synopsis", "expires"]
    assert audit.records[-1]["outcome"] == "refused" and audit.records[-1]["case_number"] == "26-1"

    entry = engine.add_manual("4KDM2?1", "CA", "Armed robbery suspect vehicle", "Ofc #5120", "26-004700",
                              "Bank robbery; partial plate from witness", date(2026, 12, 1))
    assert entry.is_partial and audit.records[-1]["action"] == "hotlist_plate_add"
    assert audit.records[-1]["case_number"] == "26-004700" and audit.records[-1]["user"] == "Ofc #5120"
    (match,) = engine.match("4KDM2B1", "CA")
    assert (match.list_name, match.kind, match.entry.case_number) == ("manual", "wildcard", "26-004700")
    with pytest.raises(HotListError, match="already on 'manual'"):
        engine.add_manual("4KDM2?1", "CA", "Armed robbery suspect vehicle", "Ofc #5120", "26-004700", "Again", "2026-12-01")
    clock.advance(10 * 24 * HOUR)  # past 2026-12-01: expired entries stop matching
    assert engine.match("4KDM2B1", "CA") == []


def test_manual_removal(engine, audit):
    engine.add_manual("6ABC123", None, "Stolen from dealer lot", "Ofc 7", "26-77", "Theft of vehicle from dealer lot", "2026-12-01")
    assert engine.match("6ABC123")
    assert engine.remove_manual("6abc123", actor="Sgt 2", role="supervisor") == 1
    assert engine.match("6ABC123") == []
    assert audit.records[-1]["action"] == "hotlist_plate_delete" and audit.records[-1]["case_number"] == "26-77"
    with pytest.raises(HotListError, match="not on 'manual'"):
        engine.remove_manual("6ABC123")
    with pytest.raises(HotListError):
        engine.add_manual("6ABC123", None, "Stolen from lot", "Ofc 7", "26-77", "Theft of vehicle", "2026-12-01", list_name="ncic")


def test_removing_a_whole_list(engine, audit, tmp_path):
    engine.remove_list("bolo", actor="admin1")
    assert [s.name for s in engine.lists()] == ["ncic"] and not (tmp_path / "hotlists" / "bolo.hotlist").exists()
    assert audit.records[-1]["action"] == "hotlist_delete"


def test_historical_hits_checked_and_audited_as_a_search(clock, audit):
    entry = HotListEntry(plate="8FJK2*", state="CA", list_type="BOLO", reason="Robbery suspect vehicle",
                         entered_by="Sgt 1", case_number="26-9", synopsis="Robbery", expires=date(2026, 12, 1))
    reads = [SimpleNamespace(read_id="r1", text="8FJK2AB", state="CA", candidates=()),
             SimpleNamespace(read_id="r2", text="1ABC234", state="CA", candidates=(Candidate("8FJK2ZZ", 0.2),)),
             SimpleNamespace(read_id="r3", text="1ABC234", state="CA", candidates=())]
    found = check_history(entry, reads, audit, user="Sgt 1", role="supervisor", clock=clock)
    assert [(read_id, m.kind) for read_id, m in found] == [("r1", "wildcard"), ("r2", "wildcard")]
    assert audit.records[-1]["action"] == "read_search" and audit.records[-1]["case_number"] == "26-9"
    assert audit.records[-1]["purpose"] == "historical hits of a new hot plate"
    assert audit.records[-1]["data"]["reads_checked"] == 3


def test_large_list_matches_and_loads_from_storage(clock, tmp_path):
    import numpy as np

    rng = np.random.default_rng(3)
    alphabet = np.frombuffer(b"ABCDEFGHJKMNPRUVWXY34679", dtype=np.uint8)  # no confusable characters
    plates = alphabet[rng.integers(0, len(alphabet), (50000, 7))].copy().view("S7").ravel()
    plates = np.unique(plates)
    header = f"NCIC HOT FILE EXTRACT 20261122 0400 RECORDS={len(plates)}\n"
    lines = [f"VCA0430000{i:09d}20261101{p.decode():10}CA2027PC2018HONDCIV4DBLK" for i, p in enumerate(plates)]
    storage = FileListStorage(tmp_path)
    HotListEngine(storage, clock=clock).replace(parse_ncic(header + "\n".join(lines), clock=clock))
    engine = HotListEngine(storage, clock=clock)
    for index in (0, 777, len(plates) - 1):
        (match,) = engine.match(plates[index].decode(), "CA")
        assert match.entry.case_number == f"{index:09d}"
    assert all(not engine.match(p.decode()[::-1] + "Z") for p in plates[:100])


def test_category_columns_take_one_byte_an_entry_and_older_wider_files_still_load(clock):
    """Memory of a 2M-entry list (issue 19): a state or list type is one byte an entry, not two."""
    import numpy as np

    from alpr_edge.hotlist.model import Column

    hotlist = parse_ncic(SAMPLES / "ncic-extract.txt", clock=clock)
    for name in ("state", "list_type", "reason", "entered_on"):
        assert hotlist.entries.columns[name].codes.dtype == np.uint8, name
    assert Column.from_strings([f"A{i}" for i in range(300)] * 4).codes.dtype == np.uint16
    # A list stored before codes were narrowed (two bytes each) reads back the same.
    widened = {k: Column(codes=c.codes.astype(np.uint16), values=c.values) if c.codes is not None else c
               for k, c in hotlist.entries.columns.items()}
    older = replace(hotlist, entries=EntryTable(hotlist.entries.plates, widened))
    assert list(decode(encode(older)).entries) == list(hotlist.entries)


def test_plates_longer_than_eight_characters(clock):
    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(_list("long", [("ABCDEF1234", "ON", "R"), ("XYZ12", "ON", "R")], clock))
    assert [(m.kind, m.entry.plate) for m in engine.match("ABCDEF1234")] == [("exact", "ABCDEF1234")]
    assert [(m.kind, m.entry.plate) for m in engine.match("A8CDEFI234")] == [("lenient", "ABCDEF1234")]
    assert [m.kind for m in engine.match("QQQ", candidates=[Candidate("ABCDEF1234", 0.2)])] == ["candidate"]
    assert engine.match("ABCDEF12345") == [] and engine.match("ABCDEF123") == []


def test_area_limited_list(clock):
    from alpr_edge.hotlist import Area

    engine = HotListEngine(MemoryListStorage(), clock=clock)
    engine.replace(replace(_list("city", [("ABC1234", None, "V")], clock), area=Area(37.7, -122.6, 37.9, -122.3)))
    inside = SimpleNamespace(fix=SimpleNamespace(lat=37.8, lon=-122.4), stale=False)  # like alpr_edge.gps.Position
    outside = SimpleNamespace(fix=SimpleNamespace(lat=34.0, lon=-118.2), stale=False)
    no_fix = SimpleNamespace(fix=None, stale=False)
    stale = SimpleNamespace(fix=SimpleNamespace(lat=34.0, lon=-118.2), stale=True)
    assert engine.match("ABC1234", position=inside) and engine.match("ABC1234", position=SimpleNamespace(latitude=37.8, longitude=-122.4))
    assert engine.match("ABC1234", position=outside) == []
    assert engine.match("ABC1234", position=no_fix) and engine.match("ABC1234", position=stale)  # unknown: alert anyway
    assert engine.match("ABC1234")
