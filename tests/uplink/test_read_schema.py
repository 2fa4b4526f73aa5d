"""docs/read-message.schema.json describes every read message the device really publishes."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from alpr_edge.gps import Fix, Position, Timestamp
from alpr_edge.uplink import Uplink, open_sealed
from alpr_edge.uplink.payloads import READ_SCHEMA
from alpr_edge.uplink.sealing import ALGORITHM, SEALED_SCHEMA

from .conftest import AGENCY, DEVICE, RealOutbox, make_read, settings_for, wait_for

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "read-message.schema.json").read_text())
SEAL = X25519PrivateKey.generate()


def validator():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def stored_reads(outbox: RealOutbox) -> list[str]:
    """Reads as the daemon stores them: with and without GPS, a hit, a read without images."""
    fix = Fix(time_utc=datetime(2026, 11, 22, 20, 0, 1, tzinfo=UTC), lat=37.8716, lon=-122.2727, alt_m=52.0,
              speed_kmh=43.5, heading_deg=271.0, fix_quality=1, satellites=9, hdop=0.9, received_monotonic_s=99.0)
    tagged = dataclasses.replace(
        make_read("7ABC123", 300, 2000),
        position=Position(fix=fix, source="gps", stale=False, age_s=0.4),
        timestamp=Timestamp(utc=datetime(2026, 11, 22, 20, 0, 1, 250000, tzinfo=UTC), source="gps", offset_s=0.012),
    )
    no_fix = dataclasses.replace(make_read("8XYZ999", 300, 0), position=Position(fix=None, source="none", stale=False, age_s=None))
    untagged = make_read("5DEF456", 0, 0)
    outbox.store.add_reads([tagged, no_fix, untagged])
    hit = outbox.add(1, hit=True)
    return [tagged.read_id, no_fix.read_id, untagged.read_id, *hit]


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
def test_every_published_read_validates(broker, receiver, pki, tmp_path, sealed):
    outbox = RealOutbox(tmp_path / "data")
    ids = stored_reads(outbox)
    uplink = Uplink(settings_for(broker), agency=AGENCY, device_id=DEVICE, store=outbox, tls=pki.device,
                    hotlist_sink=None, hotlist_public_key=None, seal_public_key=SEAL.public_key() if sealed else None,
                    state_dir=tmp_path / "uplink")
    uplink.start()
    try:
        assert wait_for(lambda: len(receiver.reads()) >= len(ids))
    finally:
        uplink.stop()
        outbox.close()
    check = validator()
    messages = receiver.reads()
    assert {m["read_id"] for m in messages} == set(ids)
    for message in messages:
        check.validate(message)
        assert message["schema"] == (SEALED_SCHEMA if sealed else READ_SCHEMA)
        if sealed:
            check.validate(open_sealed(SEAL, message))  # what the agency opens is a read/1 too
    opened = [open_sealed(SEAL, m) if sealed else m for m in messages]
    with_fix = next(m for m in opened if m["read_id"] == ids[0])
    assert with_fix["position"]["lat"] == 37.8716 and with_fix["clock"] == {"source": "gps", "offset_s": 0.012}


def test_the_schema_names_the_versions_the_code_sends():
    assert SCHEMA["$defs"]["read"]["properties"]["schema"]["const"] == READ_SCHEMA
    assert SCHEMA["$defs"]["sealedRead"]["properties"]["schema"]["const"] == SEALED_SCHEMA
    assert SCHEMA["$defs"]["sealedRead"]["properties"]["alg"]["const"] == ALGORITHM


def test_every_field_has_a_meaning():
    for name, spec in SCHEMA["$defs"]["read"]["properties"].items():
        referenced = SCHEMA["$defs"].get(spec.get("$ref", "").split("/")[-1], {})
        assert "description" in spec or "description" in referenced, f"read.{name} has no description"


@pytest.mark.parametrize("change", [
    lambda m: m.update(plate="7ABC123"),  # an undocumented field
    lambda m: m.pop("captured_at"),
    lambda m: m.update(read_id="42"),
    lambda m: m["position"].update(lat=123.0),
    lambda m: m.update(crop_jpeg_b64="not base64!"),
])
def test_a_message_off_the_schema_is_refused(change):
    message = {
        "schema": READ_SCHEMA, "read_id": "019a0000-0000-7000-8000-000000000000", "agency": AGENCY, "device": DEVICE,
        "has_hit": False, "captured_at": "2026-11-22T20:00:00Z", "clock": {"source": "gps", "offset_s": 0.1},
        "position": {"lat": 37.87, "lon": -122.27}, "text": "7ABC123", "confidence": 0.94, "candidates": [],
        "state": "CA", "state_confidence": 0.9, "format_ok": True, "camera": "front", "frames": 5,
        "crop_jpeg_b64": "", "overview_jpeg_b64": "",
    }
    check = validator()
    check.validate(message)
    change(message)
    with pytest.raises(jsonschema.ValidationError):
        check.validate(message)
