"""End-to-end sealing of reads to the agency's X25519 key (HPKE-style), and the agency's opener.

With sealing on, the broker (and whoever hosts it) relays ciphertext: only the
routing ids stay readable. Per message:

    eph      = fresh X25519 key pair
    shared   = X25519(eph.private, agency.public)
    key      = HKDF-SHA256(shared, length 32, salt = eph.public || agency.public, info = INFO)
    sealed   = AES-256-GCM(key, nonce = 12 random bytes, plaintext = the read's JSON without
               routing ids, associated data = the header fields, see ``_header_aad``)

The associated data binds the ciphertext to its read_id, agency, device and
hit flag, so a relay cannot move a sealed read under another id or device.
A fresh ephemeral key per message means a leaked message key exposes one read.
"""

from __future__ import annotations

import base64
import binascii
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from alpr_edge.uplink.wire import dumps_strict, finite_only

SEALED_SCHEMA = "alpr-edge/sealed-read/1"
ALGORITHM = "X25519-HKDF-SHA256-AES256GCM"
INFO = b"alpr-edge sealed read v1"
ROUTING_FIELDS = ("schema", "read_id", "agency", "device", "has_hit")


class SealError(Exception):
    """A sealed message that cannot be opened (wrong key, tampered, malformed)."""


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _derive(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + recipient_public, info=INFO).derive(shared)


def _header_aad(header: dict) -> bytes:
    fields = {k: header[k] for k in ("schema", "alg", "read_id", "agency", "device", "has_hit", "epk")}
    return dumps_strict(fields, sort_keys=True, separators=(",", ":")).encode()


def seal_read(recipient: X25519PublicKey, read: dict) -> dict:
    """The sealed form of a read payload (a dict from ``payloads.read_payload``)."""
    inner = {k: v for k, v in read.items() if k not in ROUTING_FIELDS}
    routing = {k: read[k] for k in ROUTING_FIELDS}
    return json.loads(seal_encoded(recipient, routing, dumps_strict(finite_only(inner), separators=(",", ":")).encode()))


def seal_row(recipient: X25519PublicKey, row: dict, agency: str, device: str) -> bytes:
    """A store row straight to the sealed message bytes (the uplink's fast path)."""
    from alpr_edge.uplink.payloads import encode_with_raw, read_parts

    routing, fields, images = read_parts(row, agency, device)
    return seal_encoded(recipient, routing, encode_with_raw(fields, images))


def seal_encoded(recipient: X25519PublicKey, routing: dict, plaintext: bytes) -> bytes:
    from alpr_edge.uplink.payloads import encode_with_raw

    ephemeral = X25519PrivateKey.generate()
    epk = _raw_public(ephemeral.public_key())
    key = _derive(ephemeral.exchange(recipient), epk, _raw_public(recipient))
    header = {
        "schema": SEALED_SCHEMA, "alg": ALGORITHM, "read_id": routing["read_id"], "agency": routing["agency"],
        "device": routing["device"], "has_hit": bool(routing["has_hit"]), "epk": base64.b64encode(epk).decode("ascii"),
    }
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _header_aad(header))
    return encode_with_raw(header, {"nonce": base64.b64encode(nonce), "ciphertext": base64.b64encode(ciphertext)})


def open_sealed(private_key: X25519PrivateKey | bytes, message: bytes | str | dict) -> dict:
    """The agency side: the read payload (schema ``alpr-edge/read/1``) inside a sealed message."""
    if isinstance(private_key, (bytes, bytearray)):
        private_key = X25519PrivateKey.from_private_bytes(bytes(private_key))
    if isinstance(message, (bytes, str)):
        try:
            message = json.loads(message)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SealError(f"not JSON: {error}") from None
    if not isinstance(message, dict) or message.get("schema") != SEALED_SCHEMA:
        raise SealError(f"not a sealed read: expected schema {SEALED_SCHEMA!r}")
    if message.get("alg") != ALGORITHM:
        raise SealError(f"unknown algorithm {message.get('alg')!r}")
    try:
        epk = base64.b64decode(message["epk"], validate=True)
        nonce = base64.b64decode(message["nonce"], validate=True)
        ciphertext = base64.b64decode(message["ciphertext"], validate=True)
        aad = _header_aad(message)
        ephemeral = X25519PublicKey.from_public_bytes(epk)
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise SealError(f"malformed sealed read: {error}") from None
    key = _derive(private_key.exchange(ephemeral), epk, _raw_public(private_key.public_key()))
    try:
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise SealError("cannot open: wrong key, or the message was altered") from None
    inner = json.loads(plaintext)
    from alpr_edge.uplink.payloads import READ_SCHEMA

    routing = {"schema": READ_SCHEMA, "read_id": message["read_id"], "agency": message["agency"],
               "device": message["device"], "has_hit": message["has_hit"]}
    return {**routing, **inner}


def load_x25519_private(data: bytes) -> X25519PrivateKey:
    """A private key from PEM (PKCS#8) or 32 raw bytes."""
    if len(data) == 32:
        return X25519PrivateKey.from_private_bytes(data)
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, X25519PrivateKey):
        raise ValueError("not an X25519 private key")
    return key


def load_x25519_public(data: bytes) -> X25519PublicKey:
    """A public key from PEM (SubjectPublicKeyInfo) or 32 raw bytes."""
    if len(data) == 32:
        return X25519PublicKey.from_public_bytes(data)
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, X25519PublicKey):
        raise ValueError("not an X25519 public key")
    return key
