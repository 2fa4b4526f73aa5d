"""The audit chain catches edited, deleted, reordered and cut-off records."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alpr_edge.config import StoreSection


@pytest.fixture
def trail(open_store):
    store = open_store(settings=replace(StoreSection(), audit_sign_every=4))
    for i in range(10):
        store.audit(f"user{i}", "supervisor", "reads.search", data={"plate": f"PL{i}"}, purpose="stolen car 24-1", case_number=f"24-{i}")
    ok, bad, message = store.verify_audit()
    assert ok and bad is None, message
    assert "10 records, 2 signatures checked" in message
    return store


def test_edited_record_is_named(trail):
    trail.db.execute("UPDATE audit SET outcome = 'refused' WHERE seq = 5")
    ok, bad, message = trail.verify_audit()
    assert not ok and bad["seq"] == 5 and "altered" in message


def test_edited_hash_too_breaks_the_next_link(trail):
    from alpr_edge.store.audit import record_hash

    row = dict(next(iter(trail.db.query("SELECT * FROM audit WHERE seq = 6"))))
    row["user"] = "mallory"
    trail.db.execute("UPDATE audit SET user = ?, hash = ? WHERE seq = 6", [row["user"], record_hash(row)])
    ok, bad, message = trail.verify_audit()
    assert not ok and bad["seq"] == 7 and "does not chain" in message


def test_deleted_record_is_named(trail):
    trail.db.execute("DELETE FROM audit WHERE seq = 3")
    ok, bad, message = trail.verify_audit()
    assert not ok and bad["seq"] == 4 and "missing" in message


def test_deleted_and_renumbered_records_are_caught(trail):
    trail.db.execute("DELETE FROM audit WHERE seq = 3")
    trail.db.execute("UPDATE audit SET seq = seq - 1 WHERE seq > 3")
    ok, bad, message = trail.verify_audit()
    assert not ok and bad["seq"] == 3


def test_reordered_records_are_caught(trail):
    trail.db.execute("UPDATE audit SET seq = -1 WHERE seq = 2")
    trail.db.execute("UPDATE audit SET seq = 2 WHERE seq = 3")
    trail.db.execute("UPDATE audit SET seq = 3 WHERE seq = -1")
    ok, bad, message = trail.verify_audit()
    assert not ok and bad["seq"] == 2


def test_cut_off_tail_is_caught_by_the_signature(trail):
    trail.db.execute("DELETE FROM audit WHERE seq > 8")
    assert trail.verify_audit()[0]  # nothing signed after 8: undetectable, as documented
    trail.db.execute("DELETE FROM audit WHERE seq > 6")
    ok, bad, message = trail.verify_audit()
    assert not ok and bad["seq"] == 8 and "cut short" in message


def test_forged_signature_is_caught(trail):
    trail.db.execute("UPDATE audit_signatures SET signature = zeroblob(64) WHERE seq = 4")
    ok, bad, message = trail.verify_audit()
    assert not ok and bad["seq"] == 4 and "signature" in message


def test_details_are_sealed_but_exportable(trail):
    from alpr_edge.store.audit import export, records

    raw = trail.db.execute("SELECT details FROM audit WHERE seq = 1").fetchone()[0]
    assert b"PL0" not in raw
    rows = records(trail)
    assert rows[0]["data"] == {"plate": "PL0"} and rows[0]["purpose"] == "stolen car 24-1"
    assert "PL9" in export(trail, None, "csv") and '"PL9"' in export(trail, None, "json")
