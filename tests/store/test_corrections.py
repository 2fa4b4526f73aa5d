"""Corrections: the original kept, both shown, both audited, queued for the uplink, gone with the read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.store.store_fakes import all_bytes, make_read

from alpr_edge.config import StoreSection
from alpr_edge.store import add_hold, audit as audit_trail
from alpr_edge.store.corrections import CorrectionError, correct_read, full_read, pending, sent

CASE = dict(user="sue", role="supervisor", purpose="stolen-wanted-or-suspect-vehicle", detail="stolen vehicle report 24-1",
            case_number="24-1")
WHY = "officer compared the plate on scene: B misread as 8"


@pytest.fixture
def store(open_store):
    store = open_store()
    store.add_reads([make_read("7A8C123", state="NV")])
    return store


def _read_id(store, plate="7A8C123"):
    return store.iter_reads(plate_hmacs=store.read_hmacs(plate))[0]["id"]


def test_correction_keeps_the_original_and_both_are_shown_and_audited(store):
    read_id = _read_id(store)
    correction = correct_read(store, read_id, text="7abc 123", state="ca", reason=WHY, user="sue", role="supervisor")
    assert (correction["from"], correction["to"]) == ({"text": "7A8C123", "state": "NV"}, {"text": "7ABC123", "state": "CA"})
    read = full_read(store, read_id)
    assert (read["text"], read["state"]) == ("7ABC123", "CA")
    assert read["corrections"] == [correction] and read["crop_jpeg"] == b"\xff\xd8crop"
    [found] = store.search("7ABC123", **CASE)  # the plate index follows the correction
    assert found["id"] == read_id and found["corrections"][0]["from"]["text"] == "7A8C123"
    [audited] = [r for r in audit_trail.records(store) if r["action"] == "reads.correct"]
    assert audited["data"]["from"] == correction["from"] and audited["data"]["to"] == correction["to"]
    assert audited["data"]["reason"] == WHY and audited["user"] == "sue"
    assert b"7ABC123" not in all_bytes(store.data_dir) and b"7A8C123" not in all_bytes(store.data_dir)
    [(seq, queued_read, queued)] = pending(store, 0, 10)
    assert queued == correction and queued_read["id"] == read_id
    sent(store, seq)
    assert pending(store, 0, 10) == []


@pytest.mark.parametrize("kwargs, why", [
    (dict(text="7ABC123", reason=WHY, role="officer"), "role officer may not correct stored reads"),
    (dict(text="7ABC123", reason="", role="supervisor"), "a reason is required"),
    (dict(reason=WHY, role="supervisor"), "give the corrected --text, --state or both"),
    (dict(state="California", reason=WHY, role="supervisor"), "expected a two-letter state"),
    (dict(text="7ABC123XXXXX", reason=WHY, role="supervisor"), "expected 1 to 10 letters or digits"),
])
def test_refused_corrections_change_nothing_and_are_audited(store, kwargs, why):
    read_id = _read_id(store)
    with pytest.raises(CorrectionError, match=why):
        correct_read(store, read_id, user="ofc", **kwargs)
    assert full_read(store, read_id)["text"] == "7A8C123" and full_read(store, read_id)["corrections"] == []
    last = audit_trail.records(store)[-1]
    assert last["action"] == "reads.correct" and last["outcome"].startswith("refused: ") and why in last["outcome"]
    assert pending(store, 0, 10) == []


def test_corrections_are_governed_by_their_own_permission_not_the_holds(store, monkeypatch):
    """Issue 23: corrections borrowed ``hold.add``; a role that may hold evidence could rewrite it."""
    from alpr_edge.accounts.permissions import PERMISSIONS

    from alpr_edge.store.corrections import PERMISSION

    assert PERMISSION == "reads.correct"  # what the command line's login asks for
    monkeypatch.setitem(PERMISSIONS, "clerk", frozenset({"hold.add", "hold.release"}))
    monkeypatch.setitem(PERMISSIONS, "examiner", frozenset({"reads.correct"}))
    read_id = _read_id(store)
    with pytest.raises(CorrectionError, match="role clerk may not correct"):
        correct_read(store, read_id, text="7ABC123", reason=WHY, user="cal", role="clerk")
    correct_read(store, read_id, text="7ABC123", reason=WHY, user="eve", role="examiner")
    assert full_read(store, read_id)["text"] == "7ABC123"


def test_unknown_read_and_a_correction_that_changes_nothing(store):
    with pytest.raises(CorrectionError, match="no stored read nope"):
        correct_read(store, "nope", text="7ABC123", reason=WHY, user="sue", role="supervisor")
    with pytest.raises(CorrectionError, match="nothing to correct"):
        correct_read(store, _read_id(store), text="7A8C123", state="NV", reason=WHY, user="sue", role="supervisor")


def test_a_corrected_read_is_found_by_its_corrected_and_its_recorded_text(store):
    """Walkthrough: investigators hold either text; the misread one found nothing after a correction."""
    read_id = _read_id(store)
    correct_read(store, read_id, text="7ABC123", reason=WHY, user="sue", role="supervisor")
    correct_read(store, read_id, text="7ABC124", reason=WHY, user="sue", role="supervisor")
    for plate in ("7A8C123", "7ABC124"):  # as the camera read it, as corrected last
        [found] = store.search(plate, **CASE)
        assert found["id"] == read_id and found["text"] == "7ABC124"
    assert store.search("7ABC123", **CASE) == []  # an intermediate correction is neither
    for pattern in ("7A8C*", "7ABC12?"):
        assert [r["id"] for r in store.search(pattern, partial=True, **CASE)] == [read_id]


def test_a_correction_survives_re_keying_and_dies_with_its_read(open_store, clock):
    store = open_store(settings=StoreSection(retention_days=2, hit_retention_days=2))
    old = clock() - timedelta(days=5)
    held, gone = make_read("7A8C123", old), make_read("5XY7999", old)
    store.add_reads([held, gone])
    for read, text in ((held, "7ABC123"), (gone, "5XYZ999")):
        correct_read(store, read.read_id, text=text, reason=WHY, user="sue", role="supervisor")
    add_hold(store, held.read_id, case_number="24-1", reason="evidence", user="sue", role="supervisor")
    report = store.purge()
    assert report.days_rekeyed == [old.date().isoformat()] and report.expired_no_hit == 1
    read = full_read(store, held.read_id)  # re-sealed under the new day key, correction and all
    assert read["text"] == "7ABC123" and read["corrections"][0]["from"]["text"] == "7A8C123"
    assert [r["id"] for r in store.search("7ABC123", **CASE)] == [held.read_id]
    assert [r["id"] for r in store.search("7A8C123", **CASE)] == [held.read_id]  # the recorded text's index, re-keyed too
    assert [read["id"] for _, read, _ in pending(store, 0, 10)] == [held.read_id]  # the purged read's went with it
