"""Daily counts and read corrections ride with the audit feed to the agency."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from alpr_edge.config import StoreSection
from alpr_edge.store import Store
from alpr_edge.store.corrections import correct_read
from alpr_edge.uplink import Uplink
from alpr_edge.uplink.accountability import AccountabilityFeed
from alpr_edge.uplink.sealing import open_sealed
from tests.store.store_fakes import Clock, make_read

from .conftest import AGENCY, DEVICE, settings_for, wait_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _store(tmp_path, clock):
    store = Store.open(tmp_path / "data", StoreSection(), dev_keys=True, clock=clock, uplink_enabled=True)
    reads = [make_read("7A8C123", NOW - timedelta(days=d)) for d in (3, 3, 2, 1, 0)]
    store.add_reads(reads)
    correct_read(store, reads[0].read_id, text="7ABC123", reason="B misread as 8, checked on scene", user="sue", role="supervisor")
    return store, reads


def test_closed_days_and_corrections_go_once_each(tmp_path):
    clock = Clock(NOW)
    store, reads = _store(tmp_path, clock)
    feed = AccountabilityFeed(store, tmp_path / "state", AGENCY, DEVICE)
    messages = feed.next_messages()
    kinds = [key[0] for key, _ in messages]
    assert kinds == ["counts", "counts", "correction"]  # the 17th and 18th are closed; the 19th may still get late reads
    days = [json.loads(body) for key, body in messages if key[0] == "counts"]
    assert [(d["day"], d["counts"]["reads"]) for d in days] == [("2026-11-17", 2), ("2026-11-18", 1)]
    correction = json.loads(messages[-1][1])
    assert correction["schema"] == "alpr-edge/read-correction/1" and correction["read_id"] == reads[0].read_id
    assert correction["correction"]["from"]["text"] == "7A8C123" and correction["correction"]["to"]["text"] == "7ABC123"
    assert feed.next_messages() == []  # one batch at a time
    for key, _ in reversed(messages):  # acknowledged newest first: the cursor still waits for the oldest
        feed.acknowledged(key)
        if key == messages[1][0]:
            assert feed.counts_day == ""
    assert feed.counts_day == "2026-11-18"
    clock.advance(days=1)
    again = AccountabilityFeed(store, tmp_path / "state", AGENCY, DEVICE).next_messages()
    assert [json.loads(body)["day"] for _, body in again] == ["2026-11-19"]
    store.close()


def test_corrections_are_sealed_when_reads_are(tmp_path):
    store, reads = _store(tmp_path, Clock(NOW))
    agency_key = X25519PrivateKey.generate()
    feed = AccountabilityFeed(store, tmp_path / "state", AGENCY, DEVICE, seal_public_key=agency_key.public_key())
    [(key, body)] = [m for m in feed.next_messages() if m[0][0] == "correction"]
    assert b"7ABC123" not in body and b"7A8C123" not in body
    opened = open_sealed(agency_key, body)
    assert opened["read_id"] == reads[0].read_id and opened["correction"]["to"]["text"] == "7ABC123"
    store.close()


def test_counts_and_a_correction_reach_the_agency_with_the_audit_feed(broker, receiver, pki, tmp_path):
    store, reads = _store(tmp_path, Clock(NOW))
    uplink = Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device, hotlist_sink=None,
                    hotlist_public_key=None, seal_public_key=None, state_dir=tmp_path / "state")
    uplink.start()
    try:
        assert wait_for(lambda: any(m["schema"] == "alpr-edge/read-correction/1" for m in receiver.json_on("/audit")))
        assert wait_for(lambda: store.db.execute("SELECT count(*) FROM correction_outbox").fetchone()[0] == 0)
    finally:
        uplink.stop()
    days = [m["day"] for m in receiver.json_on("/audit") if m["schema"] == "alpr-edge/daily-counts/1"]
    assert days == ["2026-11-17", "2026-11-18"]
    store.close()
