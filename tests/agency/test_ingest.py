"""The ingest's check of one message: what it commits, and what it refuses (and why)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from alpr_edge.agency import IngestSettings, Rejected, read_row
from alpr_edge.ids import uuid7
from alpr_edge.uplink.payloads import encode_read
from alpr_edge.uplink.sealing import seal_row

SEAL = X25519PrivateKey.generate()
SETTINGS = IngestSettings(prefix="alpr", agency="pd", worker="w1")
TOPIC = "alpr/pd/car-7/reads"


def row(**overrides) -> dict:
    values = {"read_id": uuid7(), "has_hit": False, "captured_at": "2026-11-22T20:00:00Z", "text": "7ABC123",
              "confidence": 0.9, "state": "CA", "position": {"lat": 37.87, "lon": -122.27},
              "crop_jpeg": b"\xff\xd8crop", "overview_jpeg": b""}
    values.update(overrides)
    return values


def test_a_sealed_read_opens_to_a_row_with_its_image():
    read = row()
    result = read_row(TOPIC, seal_row(SEAL.public_key(), read, "pd", "car-7"), SETTINGS, SEAL, 1.0)
    assert (result["read_id"], result["device"], result["plate"], result["sealed"]) == (read["read_id"], "car-7", "7ABC123", 1)
    assert (result["latitude"], result["longitude"], result["crop_jpeg"], result["overview_jpeg"]) == (37.87, -122.27, b"\xff\xd8crop", None)
    assert "crop_jpeg_b64" not in json.loads(result["message"])  # images in their columns, not twice


def test_a_clear_read_is_taken_unless_sealing_is_required():
    body = encode_read(row(), "pd", "car-7")
    assert read_row(TOPIC, body, SETTINGS, SEAL, 1.0)["sealed"] == 0
    strict = IngestSettings(prefix="alpr", agency="pd", worker="w1", require_sealed=True)
    with pytest.raises(Rejected, match="unsealed read refused"):
        read_row(TOPIC, body, strict, SEAL, 1.0)


@pytest.mark.parametrize("topic, body, reason", [
    ("alpr/pd/car-8/reads", lambda: seal_row(SEAL.public_key(), row(), "pd", "car-7"), "differ from the topic"),
    ("alpr/pd/car-7/reads", lambda: seal_row(X25519PrivateKey.generate().public_key(), row(), "pd", "car-7"), "wrong key"),
    ("alpr/pd/car-7/health", lambda: encode_read(row(), "pd", "car-7"), "topic is not"),
    ("alpr/pd/car-7/reads", lambda: b"\xff\xfe", "not JSON"),
    ("alpr/pd/car-7/reads", lambda: b"[1, 2]", "not a JSON object"),
    ("alpr/pd/car-7/reads", lambda: json.dumps({"schema": "alpr-edge/read/9"}).encode(), "schema"),
    ("alpr/pd/car-7/reads", lambda: encode_read(row(read_id="x" * 65), "pd", "car-7"), "read_id"),
])
def test_a_message_that_cannot_be_committed_is_refused_with_its_reason(topic, body, reason):
    with pytest.raises(Rejected, match=reason):
        read_row(topic, body(), SETTINGS, SEAL, 1.0)


def test_a_bad_image_is_refused_not_stored_broken():
    message = json.loads(encode_read(row(), "pd", "car-7"))
    message["crop_jpeg_b64"] = "not base64!"
    with pytest.raises(Rejected, match="crop_jpeg_b64: not base64"):
        read_row(TOPIC, json.dumps(message).encode(), SETTINGS, SEAL, 1.0)
