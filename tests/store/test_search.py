"""Look-ups need a purpose and a case number; every one is audited. (Which roles may search is
decided above the store: tests/ui/test_lookups.py and the reads CLI tests.)"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from tests.store.store_fakes import make_read

from alpr_edge.store import AccessRefused

GOOD = dict(user="sue", role="supervisor", purpose="stolen vehicle report 24-118", case_number="24-118")


@pytest.fixture
def store(open_store):
    store = open_store()
    store.add_reads([
        make_read("7ABC123", datetime(2026, 11, 1, 8, tzinfo=UTC), position=(37.1, -122.1)),
        make_read("7ABC128", datetime(2026, 11, 1, 9, tzinfo=UTC), position=None, candidates=[("7ABC128", 0.8), ("7ABC123", 0.1)]),
        make_read("8XYZ999", datetime(2026, 11, 2, 9, tzinfo=UTC)),
        make_read("7ABC123", datetime(2026, 11, 3, 9, tzinfo=UTC)),
    ])
    return store


def last_audit(store):
    return next(iter(store.db.query("SELECT * FROM audit ORDER BY seq DESC LIMIT 1")))


@pytest.mark.parametrize("change, reason", [
    (dict(purpose=""), "purpose is required"),
    (dict(purpose="  Investigation "), "too vague"),
    (dict(purpose="INVESTIGATION."), "too vague"),
    (dict(purpose="n/a"), "too short"),
    (dict(case_number=""), "case number is required"),
    (dict(case_number="   "), "case number is required"),
])
def test_refused_searches_are_refused_and_audited(store, change, reason):
    before = store.db.execute("SELECT count(*) FROM audit").fetchone()[0]
    with pytest.raises(AccessRefused, match=reason):
        store.search("7ABC123", **{**GOOD, **change})
    record = last_audit(store)
    assert store.db.execute("SELECT count(*) FROM audit").fetchone()[0] == before + 1
    assert record["action"] == "reads.search" and record["outcome"].startswith("refused") and reason in record["outcome"]
    assert store.verify_audit()[0]


def test_exact_search_uses_the_index(store):
    results = store.search("7abc-123", **GOOD)
    assert [r["text"] for r in results] == ["7ABC123", "7ABC123"]
    record = last_audit(store)
    assert record["outcome"] == "ok" and record["user"] == "sue" and record["case_number"] == "24-118"


def test_partial_search_matches_text_and_candidates(store):
    assert len(store.search("7ABC12?", partial=True, **GOOD)) == 3
    assert {r["text"] for r in store.search("*XYZ*", partial=True, **GOOD)} == {"8XYZ999"}
    # A candidate of the second read is 7ABC123: partial search looks at candidates too.
    assert len(store.search("7ABC123", partial=True, **GOOD)) == 3
    since = datetime(2026, 11, 2, tzinfo=UTC)
    assert len(store.search("7ABC12?", partial=True, since=since, **GOOD)) == 1


def test_wildcards_need_partial_and_enough_characters(store):
    with pytest.raises(AccessRefused, match="need --partial"):
        store.search("7AB*", **GOOD)
    with pytest.raises(AccessRefused, match="at least 3"):
        store.search("*1*", partial=True, **GOOD)


def test_exports(store):
    geo = json.loads(store.export("geojson", "7ABC123", **GOOD))
    assert len(geo["features"]) == 2 and geo["features"][0]["geometry"]["coordinates"] == [-122.1, 37.1]
    rows = list(csv.DictReader(io.StringIO(store.export("csv", "7ABC12?", partial=True, **GOOD))))
    assert [r["text"] for r in rows] == ["7ABC123", "7ABC128", "7ABC123"] and rows[1]["lat"] == ""
    kml = store.export("kml", "7ABC123", **GOOD)
    assert kml.count("<Placemark>") == 2 and "<coordinates>-122.1,37.1</coordinates>" in kml
    assert last_audit(store)["action"] == "reads.export.kml"
    with pytest.raises(AccessRefused):
        store.export("csv", "7ABC123", **{**GOOD, "purpose": "investigation"})


def test_a_pattern_with_a_stray_character_is_refused_not_silently_changed(store):
    with pytest.raises(AccessRefused, match="'!' cannot be in a plate"):
        store.search("7AB!123", **GOOD)
    assert [r["text"] for r in store.search("7abc 123", **GOOD)] == ["7ABC123", "7ABC123"]  # separators are not strays
