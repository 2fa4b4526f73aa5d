"""Hostile downlink messages: none stops the uplink, each refusal is audited once, junk cannot fill the audit trail."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alpr_edge.uplink import (
    HotlistRejected,
    Uplink,
    VersionLedger,
    sign_hotlist,
    verify_hotlist,
)
from alpr_edge.uplink.hotlists import SIGNING_CONTEXT, HotlistReceiver

from .conftest import AGENCY, DEVICE, settings_for, wait_for

KEY = Ed25519PrivateKey.generate()
NESTED = b"[" * 100_000  # RecursionError in json.loads, once raised before the signature was looked at
HOTLIST_TOPIC = f"alpr/{AGENCY}/hotlists/stolen"
COMMANDS_TOPIC = f"alpr/{AGENCY}/{DEVICE}/commands"


@pytest.mark.parametrize("payload", [
    NESTED,
    b'{"schema": "alpr-edge/signed-hotlist/1", "document": ' + NESTED + b"}",
    b'{"schema": "alpr-edge/signed-hotlist/1", "document": "e30=", "signature": {"a": ' + b"[" * 5000 + b"}",
    b'{"schema": "alpr-edge/signed-hotlist/1", "schema": "x", "document": "e30=", "signature": "AA=="}',
    b'{"document": "e30=", "signature": "AA==", "schema": "alpr-edge/signed-hotlist/1"} trailing',
])
def test_a_hostile_envelope_is_refused_before_anything_is_parsed(payload):
    with pytest.raises(HotlistRejected, match="malformed envelope"):
        verify_hotlist(payload, KEY.public_key(), "stolen")


def test_a_list_versioned_beyond_any_stamp_is_refused_even_when_signed():
    # 2**70 was accepted once, and no later list could ever be newer.
    document = json.dumps({"schema": "alpr-edge/hotlist/1", "list": "stolen", "version": 2**70, "format": "csv",
                           "issued_at": "2026-11-22T19:00:00Z", "body_b64": "eAo="}).encode()
    envelope = json.dumps({"schema": "alpr-edge/signed-hotlist/1", "document": base64.b64encode(document).decode(),
                           "signature": base64.b64encode(KEY.sign(SIGNING_CONTEXT + document)).decode()}).encode()
    with pytest.raises(HotlistRejected, match="version"):
        verify_hotlist(envelope, KEY.public_key(), "stolen")
    with pytest.raises(ValueError, match="version"):
        sign_hotlist(KEY, list_name="stolen", version=2**70, fmt="csv", body=b"x\n")


def test_a_ledger_holding_an_unbounded_version_no_longer_blocks_the_list(tmp_path):
    path = tmp_path / "versions.json"
    path.write_text(json.dumps({"lists": {"stolen": {"version": 2**70}, "bolo": {"version": 5}}}))
    assert VersionLedger(path).versions() == {"bolo": 5}


def test_distinct_junk_is_audited_at_most_a_burst_per_window(tmp_path):
    audits = []
    receiver = HotlistReceiver(KEY.public_key(), VersionLedger(tmp_path / "v.json"), None,
                               audit=lambda *a, **k: audits.append(a[2]))
    for index in range(50):
        assert not receiver.handle("stolen", b"junk %d" % index)
    assert receiver.rejected == 50
    assert 1 <= len(audits) <= 10, audits


def test_suppressed_refusals_are_summarised_in_one_row_when_the_window_passes():
    from alpr_edge.uplink.downlink import Quarantine

    now = [1000.0]
    audits = []
    quarantine = Quarantine(None, lambda *a, **k: audits.append((a[2], k["data"])), clock=lambda: now[0],
                            burst=3, window_s=60.0)
    results = [quarantine.refuse("hotlist_rejected", {"reason": "bad signature"}, f"d{i}") for i in range(10)]
    assert results == [True] * 3 + [False] * 7
    assert quarantine.refuse("hotlist_rejected", {"reason": "bad signature"}, "d0") is False  # already audited
    now[0] += 61
    quarantine.flush()
    assert [action for action, _ in audits] == ["hotlist_rejected"] * 3 + ["downlink_refusals_summarised"]
    assert audits[-1][1]["suppressed"] == 7 and audits[-1][1]["by_action"] == {"hotlist_rejected": 7}
    quarantine.flush()
    assert len(audits) == 4


def test_a_refusal_seen_before_a_restart_is_not_audited_again(tmp_path):
    from alpr_edge.uplink.downlink import Quarantine

    audits = []
    first = Quarantine(tmp_path / "q.json", lambda *a, **k: audits.append(a[2]))
    assert first.refuse("hotlist_rejected", {"reason": "x"}, "abc")
    second = Quarantine(tmp_path / "q.json", lambda *a, **k: audits.append(a[2]))
    assert not second.refuse("hotlist_rejected", {"reason": "x"}, "abc")
    assert audits == ["hotlist_rejected"] and second.repeats == 1


@pytest.mark.parametrize("payload", [NESTED, b"{" * 3000, b'{"schema": "alpr-edge/command/1", "command": NaN}',
                                     b"\xff\xfe", b'{"schema": "alpr-edge/command/1", "id": [1], "command": "ping"}'])
def test_a_hostile_command_gets_a_refusal_and_never_raises(tmp_path, payload):
    from alpr_edge.uplink.downlink import Downlink, Quarantine
    from alpr_edge.uplink.payloads import Topics

    audits = []
    quarantine = Quarantine(None, lambda *a, **k: audits.append(a[2]))
    downlink = Downlink(Topics("alpr", AGENCY, DEVICE), None, dict, quarantine)
    reply = downlink.handle(COMMANDS_TOPIC, payload)
    assert json.loads(reply)["ok"] is False
    assert downlink.handle(COMMANDS_TOPIC, payload) is None  # the same junk again: no reply, no row
    assert audits == ["uplink_command_refused"] and downlink.failed == 0


def test_a_bug_in_a_handler_refuses_the_message_instead_of_raising():
    from alpr_edge.uplink.downlink import Downlink, Quarantine
    from alpr_edge.uplink.payloads import Topics

    class Broken:
        def handle(self, *args, **kwargs):
            raise MemoryError("out of memory")

    audits = []
    downlink = Downlink(Topics("alpr", AGENCY, DEVICE), Broken(), dict, Quarantine(None, lambda *a, **k: audits.append(a[2])))
    assert downlink.handle(HOTLIST_TOPIC, b"{}") is None
    assert audits == ["downlink_failed"] and downlink.failed == 1


def _device(broker, store, pki, tmp_path) -> Uplink:
    # No agency ingest runs here: with the key pinned, receipts would hold every read (test_receipts.py);
    # these tests are about the downlink, so the PUBACK releases reads as before receipts.
    return Uplink(settings_for(broker, require_receipts=False), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                  hotlist_sink=None, hotlist_public_key=KEY.public_key(), seal_public_key=None,
                  state_dir=tmp_path / "state")


def test_a_retained_poisoned_message_neither_stops_uploads_nor_fills_the_audit(broker, receiver, store, pki, tmp_path):
    receiver.publish(HOTLIST_TOPIC, NESTED, retain=True)  # sits on the broker for every device that subscribes
    receiver.publish(COMMANDS_TOPIC, NESTED, retain=True)
    before = store.add(20)
    uplink = _device(broker, store, pki, tmp_path)
    uplink.start()
    try:
        assert wait_for(lambda: store.uploaded == set(before), timeout=20), uplink.status()
        assert wait_for(lambda: uplink.status()["hotlists_rejected"] == 1)
        for _ in range(2):  # the broker goes away and comes back: the retained messages are delivered again
            reconnects = uplink.status()["reconnects"]
            broker.stop()
            broker.start()
            assert wait_for(lambda before=reconnects: uplink.status()["reconnects"] > before
                            and uplink.status()["state"] == "connected", timeout=20)
            more = store.add(5)
            uplink.wake()
            assert wait_for(lambda ids=more: set(ids) <= store.uploaded, timeout=20), uplink.status()
    finally:
        uplink.stop()
    restarted = _device(broker, store, pki, tmp_path)  # a restart: delivered again, still not audited again
    restarted.start()
    try:
        assert wait_for(lambda: restarted.status()["downlink_repeats"] >= 2, timeout=20), restarted.status()
        last = store.add(3)
        restarted.wake()
        assert wait_for(lambda: set(last) <= store.uploaded, timeout=20)
    finally:
        restarted.stop()
    actions = [audit[2] for audit in store.audits]
    assert actions.count("hotlist_rejected") == 1 and actions.count("uplink_command_refused") == 1, actions
    assert uplink.status()["hotlists_rejected"] >= 3 and uplink.status()["downlink_failed"] == 0


def test_a_flood_of_distinct_junk_writes_a_bounded_number_of_audit_rows(broker, receiver, store, pki, tmp_path):
    uplink = _device(broker, store, pki, tmp_path)
    uplink.start()
    try:
        assert wait_for(lambda: uplink.status()["downlink_subscribed"])
        for index in range(100):
            receiver.client.publish(HOTLIST_TOPIC if index % 2 else COMMANDS_TOPIC, b"junk %d" % index, qos=1)
        assert wait_for(lambda: uplink.status()["hotlists_rejected"] == 50, timeout=20)
        ids = store.add(5)
        uplink.wake()
        assert wait_for(lambda: store.uploaded == set(ids))
    finally:
        uplink.stop()
    rows = [audit for audit in store.audits if audit[4] == "rejected"]
    assert [row[2] for row in rows].count("downlink_refusals_summarised") == 1  # written at the stop
    assert len(rows) == 11 and rows[-1][3]["suppressed"] == 90 and uplink.status()["downlink_suppressed"] == 90
    replies = [m for m in receiver.json_on("/health") if "command_id" in m]
    assert len(replies) <= 10


def test_an_envelope_from_an_encoder_that_escapes_slashes_still_verifies():
    for body in (b"\xff" * 300, b"?>" * 200):  # base64 full of "/" and "+"
        envelope = sign_hotlist(KEY, list_name="stolen", version=3, fmt="csv", body=body, issued_at="2026-11-22T19:00:00Z")
        assert b"/" in envelope
        escaped = envelope.replace(b"/", b"\\/")  # the schema's slashes too
        assert verify_hotlist(escaped, KEY.public_key(), "stolen").body == body


def _strict(data: bytes):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(data, parse_constant=refuse)


def test_a_stored_row_with_infinite_or_nan_values_goes_out_as_strict_json_with_nulls():
    # Rows stored before the GPS refused them: four uplink messages once carried "speed_kmh": Infinity.
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from alpr_edge.uplink.payloads import encode_read
    from alpr_edge.uplink.sealing import open_sealed, seal_row

    row = {"read_id": "019a0000-0000-7000-8000-000000000001", "has_hit": False, "text": "ABC123",
           "position": {"lat": 37.87, "lon": -122.27, "speed_kmh": float("inf"), "heading_deg": float("nan")},
           "confidence": float("nan"), "candidates": [{"text": "ABC123", "confidence": float("-inf")}]}
    plain = _strict(encode_read(row, AGENCY, DEVICE))
    assert plain["position"] == {"lat": 37.87, "lon": -122.27, "speed_kmh": None, "heading_deg": None}
    assert plain["confidence"] is None and plain["candidates"][0]["confidence"] is None
    key = X25519PrivateKey.generate()
    sealed = seal_row(key.public_key(), row, AGENCY, DEVICE)
    _strict(sealed)
    assert open_sealed(key, sealed)["position"]["speed_kmh"] is None
