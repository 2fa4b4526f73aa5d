"""End-to-end receipts: the agency's signed word that it has committed reads.

A broker's PUBACK says the *broker* has a message; it may still lose it (no
subscriber on a plain topic, a full queue, a crash). So, when receipts are
on, a device deletes a read only after the agency's ingest service has
committed it to its database and said so on the device's receipts topic
``PREFIX/AGENCY/DEVICE/receipts``.

Format (one owner: this module signs and verifies): the MQTT payload is
``{"schema": "alpr-edge/signed-receipt/1", "document": B64, "signature": B64}``;
``document`` is the exact bytes signed, a UTF-8 JSON object
``{"schema": "alpr-edge/receipt/1", "agency", "device", "read_ids": [...],
"committed_at"}``; ``signature`` is Ed25519 over ``SIGNING_CONTEXT +
document`` with the agency key the device pins for hot lists. The context
prefix differs from the hot lists' one, so neither signature is valid as the
other. A receipt is accepted only for this device and agency: a receipt
relayed from another car's topic cannot release this car's reads.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ENVELOPE_SCHEMA = "alpr-edge/signed-receipt/1"
DOCUMENT_SCHEMA = "alpr-edge/receipt/1"
SIGNING_CONTEXT = b"alpr-edge receipt v1\n"
MAX_IDS = 4096  # one receipt; the ingest batches far fewer
MAX_RECEIPT_BYTES = 512 * 1024  # MAX_IDS ids of 64 characters, base64, with room to spare


class ReceiptRejected(Exception):
    """A receipt that must not release any read; the message is the reason."""


@dataclass(frozen=True)
class Receipt:
    agency: str
    device: str
    read_ids: tuple[str, ...]
    committed_at: str


def sign_receipt(private_key: Ed25519PrivateKey, *, agency: str, device: str, read_ids: list[str],
                 committed_at: str | None = None) -> bytes:
    """The agency side: a signed receipt ready to publish on the device's receipts topic."""
    if not read_ids or len(read_ids) > MAX_IDS:
        raise ValueError(f"read_ids: expected 1 to {MAX_IDS} ids, got {len(read_ids)}")
    document = json.dumps({
        "schema": DOCUMENT_SCHEMA, "agency": agency, "device": device, "read_ids": list(read_ids),
        "committed_at": committed_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, separators=(",", ":"), allow_nan=False).encode()
    signature = private_key.sign(SIGNING_CONTEXT + document)
    return json.dumps({
        "schema": ENVELOPE_SCHEMA,
        "document": base64.b64encode(document).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }, allow_nan=False).encode()


def _b64(text) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.b64decode(text.encode("ascii"), validate=True)


def verify_receipt(payload: bytes, public_key: Ed25519PublicKey, *, agency: str, device: str) -> Receipt:
    """The receipt inside a signed envelope, or ReceiptRejected saying why not.

    The signature is checked before the document is parsed: nothing an
    unauthenticated sender wrote is read beyond the envelope.
    """
    if len(payload) > MAX_RECEIPT_BYTES:
        raise ReceiptRejected(f"oversized receipt: {len(payload)} bytes, at most {MAX_RECEIPT_BYTES}")
    try:
        envelope = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ReceiptRejected(f"malformed receipt: not JSON ({error})") from None
    if not isinstance(envelope, dict) or envelope.get("schema") != ENVELOPE_SCHEMA:
        raise ReceiptRejected(f"malformed receipt: expected an object with schema {ENVELOPE_SCHEMA!r}")
    try:
        document_bytes = _b64(envelope.get("document"))
        signature = _b64(envelope.get("signature"))
    except (ValueError, binascii.Error):
        raise ReceiptRejected("malformed receipt: document or signature missing or not base64") from None
    try:
        public_key.verify(signature, SIGNING_CONTEXT + document_bytes)
    except InvalidSignature:
        raise ReceiptRejected("bad signature: not signed by the pinned agency key") from None
    try:
        document = json.loads(document_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReceiptRejected("malformed receipt: signed document is not JSON") from None
    if not isinstance(document, dict) or document.get("schema") != DOCUMENT_SCHEMA:
        raise ReceiptRejected(f"malformed receipt: expected document schema {DOCUMENT_SCHEMA!r}")
    if document.get("agency") != agency or document.get("device") != device:
        raise ReceiptRejected(f"receipt for {document.get('agency')!r}/{document.get('device')!r}, not this device")
    ids = document.get("read_ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_IDS or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in ids):
        raise ReceiptRejected(f"malformed receipt: read_ids must be 1 to {MAX_IDS} id strings")
    return Receipt(agency, device, tuple(ids), str(document.get("committed_at")))
