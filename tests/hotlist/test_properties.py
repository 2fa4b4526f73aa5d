"""Properties over generated plates: lenient finds every confusion, exact none; storage round-trips."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from alpr_edge.hotlist import (
    CONFUSABLE_GROUPS, EntryTable, HotList, HotListEngine, HotListEntry, MemoryListStorage, decode, encode,
)

PLATE = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=10)
GROUP_OF = {ch: group for group in CONFUSABLE_GROUPS for ch in group}


def _engine(plate: str, mode: str) -> HotListEngine:
    entries = EntryTable.from_entries([HotListEntry(plate=plate, state=None, list_type="V", reason="Stolen vehicle")])
    engine = HotListEngine(MemoryListStorage(), clock=lambda: 0.0)
    engine.replace(HotList(name="x", source="test", entries=entries, version=1, received_at=0.0, match_mode=mode))
    return engine


@settings(max_examples=60, deadline=None)
@given(PLATE, st.data())
def test_any_confusion_of_a_listed_plate_is_found_leniently_never_exactly(plate, data):
    confused = "".join(data.draw(st.sampled_from(GROUP_OF.get(ch, ch))) for ch in plate)
    lenient = _engine(plate, "lenient").match(confused)
    assert [(m.entry.plate, m.kind) for m in lenient] == [(plate, "exact" if confused == plate else "lenient")]
    exact = _engine(plate, "exact").match(confused)
    assert [m.entry.plate for m in exact] == ([plate] if confused == plate else [])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(
    PLATE, st.sampled_from([None, "CA", "NV", "ON"]), st.text(max_size=30), st.text(max_size=40),
    st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2030, 1, 1)))), max_size=40))
def test_storage_round_trip(rows):
    entries = [HotListEntry(plate=p, state=s, list_type="BOLO", reason=r or "x", vehicle=v.strip(), expires=e)
               for p, s, r, v, e in rows]
    hotlist = HotList(name="r", source="test", entries=EntryTable.from_entries(entries), version=7, received_at=1.5)
    copy = decode(encode(hotlist))
    assert [(e.plate, e.state, e.vehicle, e.expires) for e in copy.entries] == [
        (e.plate, e.state, e.vehicle, e.expires) for e in entries]
    assert [e.reason.strip() for e in copy.entries] == [e.reason.strip() for e in entries]
