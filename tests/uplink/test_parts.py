"""The small pure pieces: broker URLs, backoff, topics, payload mapping, building from config."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alpr_edge.config import Config, DeviceSection, UplinkSection
from alpr_edge.uplink import (
    Topics,
    UplinkConfigError,
    backoff_delay,
    build_uplink,
    check_broker_override,
    parse_broker,
    read_payload,
)

from .conftest import FakeStore


def test_broker_urls():
    assert parse_broker("mqtts://broker.example:8884", False).port == 8884
    assert parse_broker("mqtts://broker.example", False).port == 8883
    assert parse_broker("mqtt://10.0.0.2", True).tls is False
    with pytest.raises(UplinkConfigError, match="allow_plaintext"):
        parse_broker("mqtt://10.0.0.2", False)
    with pytest.raises(UplinkConfigError, match="expected mqtts"):
        parse_broker("http://x", True)


def test_plain_broker_override_only_to_loopback():
    check_broker_override("mqtt://127.0.0.1:1883")
    check_broker_override("mqtt://localhost:1883")
    check_broker_override("mqtts://broker.example")
    with pytest.raises(UplinkConfigError, match="loopback"):
        check_broker_override("mqtt://192.168.1.5:1883")


def test_backoff_doubles_with_jitter_up_to_the_ceiling():
    rng = random.Random(7)
    delays = [backoff_delay(attempt, 1.0, 60.0, rng) for attempt in range(12)]
    for attempt, delay in enumerate(delays):
        ceiling = min(60.0, 2.0 ** attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(backoff_delay(5, 1.0, 60.0, rng), 6) for _ in range(20)}) > 10, "jittered"


def test_topics():
    topics = Topics("alpr", "agency", "car-1")
    assert topics.hits == "alpr/agency/car-1/hits" and topics.hotlists_filter == "alpr/agency/hotlists/+"
    assert topics.hotlist_name("alpr/agency/hotlists/stolen") == "stolen"
    assert topics.hotlist_name("alpr/other/hotlists/stolen") is None
    assert topics.hotlist_name("alpr/agency/hotlists/a/b") is None


def test_payload_from_the_stores_own_row_shape():
    row = {"id": "0190aaaa-0000-7000-8000-000000000001", "has_hit": True, "captured_at": "2026-11-22T20:00:00Z",
           "clock_source": "gps", "text": "7ABC123", "confidence": 0.9, "candidates": [], "crop_jpeg": b"\xff\xd8x",
           "overview_jpeg": b"", "camera": "front", "position": None}
    payload = read_payload(row, "ag", "dev")
    assert payload["read_id"] == row["id"] and payload["clock"]["source"] == "gps"
    assert payload["crop_jpeg_b64"] == "/9h4" and payload["overview_jpeg_b64"] == ""


def test_settings_are_validated():
    assert UplinkSection(broker="ftp://x").validate()
    assert UplinkSection(in_flight=0).validate()
    assert UplinkSection(reconnect_min_s=5, reconnect_max_s=1).validate()
    assert UplinkSection(broker="mqtts://x").validate() == []


def test_build_uplink_from_config_and_data_dir(tmp_path):
    folder = tmp_path / "uplink"
    folder.mkdir()
    key = Ed25519PrivateKey.generate().public_key()
    (folder / "hotlist-signing.pub").write_bytes(
        key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    config = Config(device=DeviceSection(agency="ag", id="car-2", data_dir=tmp_path))
    disabled = build_uplink(config, store=FakeStore(), hotlist_sink=None)
    assert disabled.status()["state"] == "disabled" and disabled.hotlists.public_key is not None
    overridden = build_uplink(config, store=FakeStore(), hotlist_sink=None, broker_override="mqtt://127.0.0.1:1883")
    assert overridden.status()["broker"] == "mqtt://127.0.0.1:1883"
    with pytest.raises(UplinkConfigError, match="ca file .* not found"):
        build_uplink(config, store=FakeStore(), hotlist_sink=None, broker_override="mqtts://broker.example")


def test_the_fast_encoding_is_the_same_json():
    import json

    from alpr_edge.uplink.payloads import encode_read

    store = FakeStore()
    [read_id] = store.add(1, hit=True)
    row = store.rows[read_id]
    assert json.loads(encode_read(row, "ag", "dev")) == read_payload(row, "ag", "dev")
    row["crop_jpeg"] = b""
    assert json.loads(encode_read(row, "ag", "dev"))["crop_jpeg_b64"] == ""
