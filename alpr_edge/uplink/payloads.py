"""Topics and the versioned JSON payloads the device publishes (schemas in the README).

Every read message carries its ``read_id`` (UUIDv7): the uplink re-sends
whatever was not acknowledged after a reconnection, so receivers deduplicate
by it. Images travel inside the message as base64 JPEG, which keeps a read
and its evidence in one QoS 1 delivery (one PUBACK marks the whole read).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from alpr_edge.uplink.wire import dumps_strict, finite_only

READ_SCHEMA = "alpr-edge/read/1"
HEALTH_SCHEMA = "alpr-edge/health/1"
COMMAND_SCHEMA = "alpr-edge/command/1"
REPLY_SCHEMA = "alpr-edge/command-reply/1"


@dataclass(frozen=True)
class Topics:
    prefix: str
    agency: str
    device: str

    @property
    def device_root(self) -> str:
        return f"{self.prefix}/{self.agency}/{self.device}"

    @property
    def reads(self) -> str:
        return f"{self.device_root}/reads"

    @property
    def hits(self) -> str:
        return f"{self.device_root}/hits"

    @property
    def health(self) -> str:
        return f"{self.device_root}/health"

    @property
    def audit(self) -> str:
        return f"{self.device_root}/audit"

    @property
    def receipts(self) -> str:
        """The agency's signed receipts for this device (uplink/receipts.py)."""
        return f"{self.device_root}/receipts"

    @property
    def commands(self) -> str:
        return f"{self.device_root}/commands"

    @property
    def hotlists_filter(self) -> str:
        return f"{self.prefix}/{self.agency}/hotlists/+"

    def hotlist(self, name: str) -> str:
        return f"{self.prefix}/{self.agency}/hotlists/{name}"

    def hotlist_name(self, topic: str) -> str | None:
        """The list name of a hot list topic, None for any other topic."""
        head = f"{self.prefix}/{self.agency}/hotlists/"
        if topic.startswith(head) and "/" not in topic[len(head):]:
            return topic[len(head):]
        return None


def utc_now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _clock(row: dict) -> dict:
    """Which clock stamped the read and its offset from GPS time (the store keeps it in ``timestamp``)."""
    for key in ("clock", "timestamp"):
        clock = row.get(key)
        if isinstance(clock, dict):
            return {"source": clock.get("source") or row.get("clock_source"), "offset_s": clock.get("offset_s")}
    return {"source": row.get("clock_source"), "offset_s": None}


def read_id_of(row: dict) -> str:
    """The read's id; the store may call it ``read_id`` or ``id``."""
    return str(row["read_id"] if "read_id" in row else row["id"])


ROUTING_FIELDS = ("schema", "read_id", "agency", "device", "has_hit")


def read_parts(row: dict, agency: str, device: str) -> tuple[dict, dict, dict[str, bytes]]:
    """A pending store row as (routing fields, other fields, base64 images as ASCII bytes)."""
    routing = {
        "schema": READ_SCHEMA, "read_id": read_id_of(row), "agency": agency, "device": device,
        "has_hit": bool(row.get("has_hit")),
    }
    fields = finite_only({
        "captured_at": row.get("captured_at"),
        "clock": _clock(row),
        "position": row.get("position"),
        "text": row.get("text"),
        "confidence": row.get("confidence"),
        "candidates": [{"text": c.get("text"), "confidence": c.get("confidence")} for c in row.get("candidates") or []],
        "state": row.get("state"),
        "state_confidence": row.get("state_confidence"),
        "format_ok": row.get("format_ok"),
        "camera": row.get("camera"),
        "frames": row.get("frames"),
    })
    images = {
        "crop_jpeg_b64": base64.b64encode(row.get("crop_jpeg") or b""),
        "overview_jpeg_b64": base64.b64encode(row.get("overview_jpeg") or b""),
    }
    return routing, fields, images


def read_payload(row: dict, agency: str, device: str) -> dict:
    """A pending store row as an ``alpr-edge/read/1`` object (images base64 JPEG, "" when absent)."""
    routing, fields, images = read_parts(row, agency, device)
    return {**routing, **fields, **{k: v.decode("ascii") for k, v in images.items()}}


def encode_with_raw(fields: dict, raw: dict[str, bytes]) -> bytes:
    """JSON of ``fields`` plus string fields whose values are already JSON-safe ASCII (base64).

    Splicing the base64 bytes in, instead of letting json.dumps scan and copy
    90 kB of image text per read, makes encoding about 6 times faster: it was
    the largest cost of draining a backlog (scripts/bench_uplink.py).
    """
    head = dumps_strict(fields, separators=(",", ":")).encode()
    parts = [head[:-1]]
    separator = b"," if fields else b""
    for key, value in raw.items():
        parts += [separator, b'"', key.encode("ascii"), b'":"', value, b'"']
        separator = b","
    parts.append(b"}")
    return b"".join(parts)


def encode_read(row: dict, agency: str, device: str) -> bytes:
    routing, fields, images = read_parts(row, agency, device)
    return encode_with_raw({**routing, **fields}, images)


def encode(message: dict) -> bytes:
    return dumps_strict(message, separators=(",", ":")).encode()


def health_payload(agency: str, device: str, state: str, **extra) -> bytes:
    return encode({"schema": HEALTH_SCHEMA, "agency": agency, "device": device, "state": state, "at": utc_now_iso(), **extra})
