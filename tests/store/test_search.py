"""Look-ups need a purpose and a case number; every one is audited. (Which roles may search is
decided above the store: tests/ui/test_lookups.py and the reads CLI tests.)"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from tests.store.store_fakes import make_read

from alpr_edge.store import AccessRefused, audit

GOOD = dict(user="sue", role="supervisor", purpose="stolen-wanted-or-suspect-vehicle", detail="stolen vehicle report 24-118",
            case_number="24-118")


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
    (dict(purpose=""), "no purpose given"),
    (dict(purpose="  Investigation "), "not one of this agency's authorised purposes"),
    (dict(purpose="INVESTIGATION."), "not one of this agency's authorised purposes"),
    (dict(detail="n/a"), "does not say why"),
    (dict(detail="Investigation"), "does not say why"),
    (dict(detail=""), "a detail is required"),
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


def test_the_purpose_and_detail_are_audited_and_one_field_reads_as_key_and_detail(store):
    store.search("7ABC123", **GOOD)
    (row,) = [r for r in audit.records(store) if r["action"] == "reads.search"]
    assert row["purpose"] == "stolen-wanted-or-suspect-vehicle: stolen vehicle report 24-118" and row["case_number"] == "24-118"
    one_field = {**GOOD, "purpose": "special-event: county fair traffic plan", "detail": None}
    assert len(store.search("7ABC123", **one_field)) == 2
    assert audit.records(store)[-1]["purpose"] == "special-event: county fair traffic plan"
    with pytest.raises(AccessRefused, match="not one of this agency's authorised purposes: special-event"):
        store.search("7ABC123", **{**GOOD, "purposes": ["special-event"]})


@pytest.mark.parametrize("change, law", [
    (dict(detail="immigration enforcement"), "civil immigration enforcement is not a permitted use"),
    (dict(detail="request from ICE ERO field office"), "civil immigration enforcement is not a permitted use"),
    (dict(detail="on behalf of the FBI, stolen truck"), "federal or out-of-state agency"),
    (dict(detail="request from an out-of-state agency (Nevada)"), "federal or out-of-state agency"),
])
def test_immigration_and_federal_or_out_of_state_requests_are_refused_citing_the_law_and_audited(store, change, law):
    with pytest.raises(AccessRefused, match=law) as refused:
        store.search("7ABC123", **{**GOOD, **change})
    assert "1798.90.55(b)" in str(refused.value) and "SB 54" in str(refused.value)
    row = audit.records(store)[-1]
    assert row["action"] == "reads.search" and row["outcome"].startswith("refused: search refused: ")
    assert row["data"]["plate"] == "7ABC123" and row["data"]["barred"] is True
    assert row["purpose"] == f"stolen-wanted-or-suspect-vehicle: {change['detail']}" and row["case_number"] == "24-118"


def test_a_purpose_with_personal_or_criminal_history_data_is_refused_and_not_stored(store):
    for detail in ("suspect John Smith, DOB 04/12/1988", "CII A12345678 shows priors", "CLETS return SMITH,JOHN"):
        with pytest.raises(AccessRefused, match="not stored"):
            store.search("7ABC123", **{**GOOD, "detail": detail})
        row = audit.records(store)[-1]
        assert row["purpose"] == "[withheld: personal or criminal-history data]" and row["data"]["plate"] == "7ABC123"
        unsealed = json.dumps(audit.records(store), default=str)
        assert "Smith" not in unsealed and "SMITH" not in unsealed and "A12345678" not in unsealed


def test_a_pattern_with_a_stray_character_is_refused_not_silently_changed(store):
    with pytest.raises(AccessRefused, match="'!' cannot be in a plate"):
        store.search("7AB!123", **GOOD)
    assert [r["text"] for r in store.search("7abc 123", **GOOD)] == ["7ABC123", "7ABC123"]  # separators are not strays
