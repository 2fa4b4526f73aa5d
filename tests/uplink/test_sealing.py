"""End-to-end sealing: round trip, tamper detection, and ciphertext only on the broker."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from alpr_edge.uplink import SealError, Uplink, open_sealed, read_payload, seal_read

from .conftest import AGENCY, DEVICE, FakeStore, settings_for, wait_for

AGENCY_KEY = X25519PrivateKey.generate()


def a_read() -> dict:
    store = FakeStore()
    [read_id] = store.add(1, hit=True)
    return read_payload(store.rows[read_id], AGENCY, DEVICE)


def test_a_sealed_read_opens_to_the_same_payload():
    read = a_read()
    sealed = seal_read(AGENCY_KEY.public_key(), read)
    assert sealed["read_id"] == read["read_id"] and sealed["has_hit"] is True
    assert read["text"] not in json.dumps(sealed) and "crop_jpeg_b64" not in sealed
    assert open_sealed(AGENCY_KEY, json.dumps(sealed).encode()) == read


def test_each_message_has_its_own_ephemeral_key():
    read = a_read()
    first, second = seal_read(AGENCY_KEY.public_key(), read), seal_read(AGENCY_KEY.public_key(), read)
    assert first["epk"] != second["epk"] and first["ciphertext"] != second["ciphertext"]


def test_another_key_cannot_open_it():
    sealed = seal_read(AGENCY_KEY.public_key(), a_read())
    with pytest.raises(SealError, match="wrong key"):
        open_sealed(X25519PrivateKey.generate(), sealed)


@pytest.mark.parametrize("field, value", [("read_id", "01900000-0000-7000-8000-000000000000"),
                                          ("device", "another-car"), ("has_hit", False)])
def test_moving_the_ciphertext_under_other_routing_ids_is_detected(field, value):
    sealed = seal_read(AGENCY_KEY.public_key(), a_read())
    sealed[field] = value
    with pytest.raises(SealError):
        open_sealed(AGENCY_KEY, sealed)


def test_a_flipped_ciphertext_bit_is_detected():
    sealed = seal_read(AGENCY_KEY.public_key(), a_read())
    raw = bytearray(base64.b64decode(sealed["ciphertext"]))
    raw[10] ^= 1
    sealed["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SealError):
        open_sealed(AGENCY_KEY, sealed)


def test_the_broker_relays_only_ciphertext(broker, receiver, pki, tmp_path):
    store = FakeStore()
    ids = store.add(3) + store.add(1, hit=True)
    uplink = Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=store, tls=pki.device,
                    hotlist_sink=None, hotlist_public_key=None, seal_public_key=AGENCY_KEY.public_key(),
                    state_dir=tmp_path)
    uplink.start()
    try:
        assert wait_for(lambda: store.upload_backlog() == 0)
        assert wait_for(lambda: len(receiver.reads()) == 4)
    finally:
        uplink.stop()
    with receiver.lock:
        raw = b"".join(p for t, p, _ in receiver.messages if t.endswith(("/reads", "/hits")))
    assert b"ABC0000" not in raw and b"HIT0000" not in raw
    opened = [open_sealed(AGENCY_KEY, m) for m in receiver.reads()]
    assert {m["read_id"] for m in opened} == set(ids)
    by_id = {m["read_id"]: m for m in opened}
    assert base64.b64decode(by_id[ids[0]]["overview_jpeg_b64"]) == store.rows[ids[0]]["overview_jpeg"]
    assert by_id[ids[3]]["text"] == "HIT0000" and by_id[ids[3]]["has_hit"]
