"""Signed hot lists coming down: the document format, its checks, and the versions in force.

Format (README, "Uplink: topics and payloads"): the MQTT payload is a JSON
envelope ``{"schema": "alpr-edge/signed-hotlist/1", "document": B64,
"signature": B64}``. ``document`` is the exact bytes that were signed, a UTF-8
JSON object ``{"schema": "alpr-edge/hotlist/1", "list", "version", "format",
"issued_at", "body_b64"}``; ``signature`` is Ed25519 over
``SIGNING_CONTEXT + document``. Signing the bytes as sent (not a re-serialised
object) means no JSON canonicalisation can differ between signer and device;
the context prefix keeps a hot list signature from being valid for anything
else the agency key might sign.

The device accepts a document only when the signature verifies under the key
pinned at provisioning, the list name matches the topic, and the version is
newer than the one in force. Everything else is rejected with a reason and
the list in force stays.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from alpr_edge.fileio import write_atomically
from alpr_edge.hotlist.model import version_problem
from alpr_edge.logs import log
from alpr_edge.uplink.wire import WireError, dumps_strict, flat_strings, loads_bounded

logger = logging.getLogger(__name__)

ENVELOPE_SCHEMA = "alpr-edge/signed-hotlist/1"
DOCUMENT_SCHEMA = "alpr-edge/hotlist/1"
SIGNING_CONTEXT = b"alpr-edge hotlist v1\n"
FORMATS = ("csv", "ncic", "clew")
LEDGER_NAME = "hotlist-versions.json"
# The largest hot list message read (and the MQTT 5 maximum packet size the
# device asks its broker for): base64 twice over costs 1.8x, so about 36 MiB of
# list, 550,000 NCIC or 1.6 million CLEW records. Larger lists: `hotlist import`.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

HotlistSink = Callable[[str, int, str, bytes, str], None]


class HotlistRejected(Exception):
    """A hot list document that must not replace the list in force; the message is the reason."""


@dataclass(frozen=True)
class HotlistDocument:
    list: str
    version: int
    format: str
    issued_at: str
    body: bytes
    digest: str  # SHA-256 of the signed document bytes: recognises the same document delivered again


def _b64(text) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _valid_list_name(name) -> bool:
    return isinstance(name, str) and 0 < len(name) <= 64 and all(c.isalnum() or c in "-_" for c in name)


def sign_hotlist(
    private_key: Ed25519PrivateKey, *, list_name: str, version: int, fmt: str, body: bytes, issued_at: str | None = None
) -> bytes:
    """The agency side: a signed envelope ready to publish (retained) on the list's topic."""
    if fmt not in FORMATS:
        raise ValueError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if not _valid_list_name(list_name):
        raise ValueError(f"list: expected letters, digits, '-' or '_', got {list_name!r}")
    issued_at = issued_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if (problem := version_problem(version)) is not None:
        raise ValueError(problem)
    document = dumps_strict({
        "schema": DOCUMENT_SCHEMA, "list": list_name, "version": int(version), "format": fmt,
        "issued_at": issued_at, "body_b64": base64.b64encode(body).decode("ascii"),
    }, separators=(",", ":")).encode()
    signature = private_key.sign(SIGNING_CONTEXT + document)
    return dumps_strict({
        "schema": ENVELOPE_SCHEMA,
        "document": base64.b64encode(document).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }).encode()


def verify_hotlist(payload: bytes, public_key: Ed25519PublicKey | None, topic_list: str) -> HotlistDocument:
    """The document inside a signed envelope, or HotlistRejected saying why not.

    The signature is checked over the raw document bytes before anything in
    them is parsed; the envelope around them is cut apart without a JSON
    parser (``wire.flat_strings``), so no sender can reach the parser (or
    exhaust its recursion) without the agency's key.
    """
    try:
        envelope = flat_strings(payload, max_bytes=MAX_MESSAGE_BYTES)
    except WireError as error:
        raise HotlistRejected(f"malformed envelope: {error}") from None
    if envelope.get("schema") != ENVELOPE_SCHEMA.encode():
        raise HotlistRejected(f"malformed envelope: expected an object with schema {ENVELOPE_SCHEMA!r}")
    if "document" not in envelope:
        raise HotlistRejected("malformed envelope: no document")
    if not envelope.get("signature"):
        raise HotlistRejected("unsigned: the envelope has no signature")
    try:
        document_bytes = base64.b64decode(envelope["document"], validate=True)
        signature = base64.b64decode(envelope["signature"], validate=True)
    except (ValueError, binascii.Error):
        raise HotlistRejected("malformed envelope: document or signature is not base64") from None
    if public_key is None:
        raise HotlistRejected("no hot list signing key provisioned on this device")
    try:
        public_key.verify(signature, SIGNING_CONTEXT + document_bytes)
    except InvalidSignature:
        raise HotlistRejected("bad signature") from None
    return _parse_document(document_bytes, topic_list)


def _parse_document(document_bytes: bytes, topic_list: str) -> HotlistDocument:
    try:
        # Signed by the agency, yet still read under bounds: a signing tool's bug must not stop the uplink.
        doc = loads_bounded(document_bytes, max_bytes=MAX_MESSAGE_BYTES, max_depth=4)
    except WireError as error:
        raise HotlistRejected(f"malformed document: {error}") from None
    if not isinstance(doc, dict) or doc.get("schema") != DOCUMENT_SCHEMA:
        raise HotlistRejected(f"malformed document: expected schema {DOCUMENT_SCHEMA!r}")
    missing = [k for k in ("list", "version", "format", "issued_at", "body_b64") if k not in doc]
    if missing:
        raise HotlistRejected(f"malformed document: missing {', '.join(missing)}")
    if not _valid_list_name(doc["list"]):
        raise HotlistRejected(f"malformed document: list name {str(doc['list'])[:80]!r}")
    if doc["list"] != topic_list:
        raise HotlistRejected(f"list {doc['list']!r} arrived on the topic of list {topic_list!r}")
    version = doc["version"]
    if (problem := version_problem(version)) is not None:
        raise HotlistRejected(f"malformed document: {problem}")
    if doc["format"] not in FORMATS:
        raise HotlistRejected(f"malformed document: format must be one of {', '.join(FORMATS)}, got {str(doc['format'])[:40]!r}")
    try:
        datetime.fromisoformat(str(doc["issued_at"]).replace("Z", "+00:00"))
    except ValueError:
        raise HotlistRejected(f"malformed document: issued_at is not an ISO 8601 time: {str(doc['issued_at'])[:40]!r}") from None
    try:
        body = _b64(doc["body_b64"])
    except (ValueError, binascii.Error):
        raise HotlistRejected("malformed document: body_b64 is not base64") from None
    digest = hashlib.sha256(document_bytes).hexdigest()
    return HotlistDocument(doc["list"], version, doc["format"], str(doc["issued_at"]), body, digest)


def write_json_atomically(path: Path, data: dict) -> None:
    """Strict JSON (alpr_edge.uplink.wire), written by the one atomic write: old file or new, never half."""
    write_atomically(path, dumps_strict(data, indent=1, sort_keys=True).encode())


class VersionLedger:
    """The version in force of each list, kept durably so a restart cannot roll a list back."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lists: dict[str, dict] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._lists = {str(k): dict(v) for k, v in data["lists"].items()
                               if version_problem(v.get("version")) is None}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
                # Keep the damaged file for inspection; start afresh rather than refusing every list forever.
                aside = self.path.with_name(self.path.name + ".damaged")
                os.replace(self.path, aside)
                log(logger, logging.ERROR, "hotlist_ledger_damaged", path=str(self.path), moved_to=str(aside), error=str(error))

    def version(self, name: str) -> int:
        return int(self._lists.get(name, {}).get("version", 0))

    def digest(self, name: str) -> str | None:
        return self._lists.get(name, {}).get("digest")

    def versions(self) -> dict[str, int]:
        return {name: int(entry["version"]) for name, entry in sorted(self._lists.items())}

    def record(self, document: HotlistDocument) -> None:
        updated = dict(self._lists)
        updated[document.list] = {
            "version": document.version, "issued_at": document.issued_at, "format": document.format,
            "digest": document.digest,
            "accepted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_json_atomically(self.path, {"lists": updated})
        self._lists = updated


class HotlistReceiver:
    """Checks each incoming document, hands accepted ones to the sink, remembers versions in force.

    Refusals go to the ``quarantine`` (audited once, rate-limited; see downlink.py).
    """

    def __init__(self, public_key: Ed25519PublicKey | None, ledger: VersionLedger, sink: HotlistSink | None, audit=None,
                 quarantine=None):
        # Imported here: downlink.py imports this module.
        from alpr_edge.uplink.downlink import Quarantine

        self.public_key = public_key
        self.ledger = ledger
        self.sink = sink
        self.audit = audit
        self.quarantine = quarantine or Quarantine(None, audit)
        self.accepted = 0
        self.rejected = 0
        self.last_rejection: str | None = None

    def handle(self, topic_list: str, payload: bytes, topic: str | None = None) -> bool:
        """True when the document replaced the list in force."""
        try:
            document = verify_hotlist(payload, self.public_key, topic_list)
            in_force = self.ledger.version(document.list)
            if document.version == in_force and document.digest == self.ledger.digest(document.list):
                # The broker redelivers the retained list on every (re)subscription: not an event.
                log(logger, logging.DEBUG, "hotlist_already_in_force", list=document.list, version=in_force)
                return False
            if document.version <= in_force:
                raise HotlistRejected(f"version {document.version} is not newer than version {in_force} in force")
            if self.sink is None:
                raise HotlistRejected("no hot list engine to hand the list to")
            try:
                self.sink(document.list, document.version, document.format, document.body, document.issued_at)
            except Exception as error:  # the engine's parse errors, whatever their type
                raise HotlistRejected(f"hot list engine refused it: {type(error).__name__}: {error}") from None
            self.ledger.record(document)
        except HotlistRejected as rejection:
            from alpr_edge.uplink.downlink import refusal_digest

            self.rejected += 1
            reason = str(rejection)
            self.last_rejection = f"{topic_list}: {reason}"
            self.quarantine.refuse("hotlist_rejected", {"list": topic_list, "reason": reason,
                                                        "in_force": self.ledger.version(topic_list)},
                                   refusal_digest(topic or topic_list, payload, reason))
            return False
        self.accepted += 1
        log(logger, logging.INFO, "hotlist_accepted", list=document.list, version=document.version,
            format=document.format, issued_at=document.issued_at, bytes=len(document.body))
        self._audit("hotlist_accepted", document.list, {"version": document.version, "issued_at": document.issued_at}, "ok")
        return True

    def _audit(self, action: str, name: str, data: dict, outcome: str) -> None:
        if self.audit is None:
            return
        try:
            self.audit("uplink", "system", action, data={"list": name, **data}, outcome=outcome)
        except Exception as error:  # auditing must not decide whether a list is in force
            log(logger, logging.ERROR, "audit_failed", action=action, error=str(error))
