"""Shipping the audit trail off the device: each record as stored, with its chain hash and signature.

The store's audit trail is a SHA-256 chain signed now and then with the
device key (alpr_edge/store/audit.py). Its own limit: records cut from the
end after the last signature leave no trace on the device. A copy at the
agency closes that gap. Records go out as stored: the details stay sealed
with the device's records key (they may name a plate), yet the agency can
check the chain, because the hash covers the stored bytes, and the
signatures with the device's public key.

This reads the store's ``audit`` and ``audit_signatures`` tables through
the store's own queries (``alpr_edge.store.audit``); a store without them
(the in-memory fake) simply has nothing to ship. Progress is a cursor, the highest sequence
number acknowledged with all before it, kept in ``audit-cursor.json``.

Every signature also goes as its own message once its record is acknowledged,
one at a time, with its own cursor: the store signs the head when it closes,
after that record was shipped. (A signature made with its record goes twice,
inline and alone; receivers deduplicate by seq.)
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from alpr_edge.logs import RateLimited, log
from alpr_edge.store import audit as audit_trail
from alpr_edge.uplink.accountability import KINDS as EXTRA_KINDS
from alpr_edge.uplink.accountability import AccountabilityFeed
from alpr_edge.uplink.hotlists import write_json_atomically
from alpr_edge.uplink.wire import dumps_strict

logger = logging.getLogger(__name__)

AUDIT_SCHEMA = "alpr-edge/audit/1"
SIGNATURE_SCHEMA = "alpr-edge/audit-signature/1"
CURSOR_NAME = "audit-cursor.json"
FIELDS = ("seq", "id", "at", "user", "agency", "badge", "role", "action", "case_number", "outcome", "prev_hash", "hash")


def _b64(value) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


class AuditForwarder:
    def __init__(self, store, state_dir: Path, agency: str, device: str, window: int = 16, seal_public_key=None):
        self.store = store
        # Daily counts and read corrections ride along (alpr_edge/uplink/accountability.py).
        self.extra = AccountabilityFeed(store, state_dir, agency, device, seal_public_key, window)
        self.path = Path(state_dir) / CURSOR_NAME
        self.agency = agency
        self.device = device
        self.window = window
        self.enabled = self._has_tables()
        self.cursor, self.signature_cursor = self._load_cursor()
        self._signature_sent: int | None = None
        self._sent: set[int] = set()  # published, not yet acknowledged
        self._acked: set[int] = set()  # acknowledged above the cursor (a gap below them)
        self._errors = RateLimited(logger, 60.0)

    def _has_tables(self) -> bool:
        return audit_trail.has_trail(self.store)

    def _load_cursor(self) -> tuple[int, int]:
        try:
            data = json.loads(self.path.read_text())
            return int(data["acknowledged_seq"]), int(data.get("signature_seq", 0))
        except FileNotFoundError:
            return 0, 0
        except (OSError, ValueError, KeyError, TypeError) as error:
            # Starting again from 0 re-sends records (receivers deduplicate by seq); losing some would be worse.
            log(logger, logging.ERROR, "audit_cursor_damaged", path=str(self.path), error=str(error))
            return 0, 0

    def _save(self) -> None:
        try:
            write_json_atomically(self.path, {"acknowledged_seq": self.cursor, "signature_seq": self.signature_cursor})
        except OSError as error:
            self._errors(logging.ERROR, "audit_cursor_write_failed", error=str(error))

    def reset(self) -> None:
        """A new connection: whatever was not acknowledged goes again."""
        self._sent.clear()
        self._acked.clear()
        self._signature_sent = None
        self.extra.reset()

    def next_messages(self) -> list[tuple[tuple[str, int], bytes]]:
        """((kind, seq), payload) to publish now: records oldest first within the window, then a late signature."""
        if not self.enabled:
            return []
        return self._records() + self._late_signature() + self.extra.next_messages()

    def _late_signature(self) -> list[tuple[tuple[str, int], bytes]]:
        if self._signature_sent is not None:
            return []
        try:
            row = audit_trail.signature_between(self.store, self.signature_cursor, self.cursor)
        except Exception as error:
            self._errors(logging.WARNING, "audit_read_failed", error=str(error))
            return []
        if row is None:
            return []
        seq, digest, signature, signed_at = row
        self._signature_sent = seq
        message = {"schema": SIGNATURE_SCHEMA, "agency": self.agency, "device": self.device, "seq": seq,
                   "hash": digest, "signature_b64": _b64(signature), "signed_at": signed_at}
        return [(("signature", seq), dumps_strict(message, separators=(",", ":")).encode())]

    def _records(self) -> list[tuple[tuple[str, int], bytes]]:
        free = self.window - len(self._sent)
        if free <= 0:
            return []
        after = max([self.cursor, *self._sent, *self._acked])
        try:
            rows = audit_trail.records_after(self.store, after, free)
        except Exception as error:  # the store is busy or closing: try again at the next poll
            self._errors(logging.WARNING, "audit_read_failed", error=str(error))
            return []
        out = []
        for row in rows:
            message = {"schema": AUDIT_SCHEMA, "agency": self.agency, "device": self.device,
                       **{name: row.get(name) for name in FIELDS},
                       "details_sealed_b64": _b64(row.get("details")),
                       "signature_b64": _b64(row.get("signature")), "signed_at": row.get("signed_at")}
            self._sent.add(row["seq"])
            out.append((("record", row["seq"]), dumps_strict(message, separators=(",", ":")).encode()))
        return out

    def acknowledged(self, key: tuple[str, int]) -> None:
        kind, seq = key
        if kind in EXTRA_KINDS:
            self.extra.acknowledged(key)
            return
        if kind == "signature":
            self._signature_sent = None
            self.signature_cursor = max(self.signature_cursor, seq)
            self._save()
            return
        self._record_acknowledged(seq)

    def _record_acknowledged(self, seq: int) -> None:
        """The broker has record ``seq``; the cursor moves past every record acknowledged below the first still unacknowledged.

        Numbers never sent (purged by retention before they could be) are gaps
        the query skipped over, so they do not hold the cursor back.
        """
        self._sent.discard(seq)
        self._acked.add(seq)
        lowest_waiting = min(self._sent, default=None)
        done = {s for s in self._acked if lowest_waiting is None or s < lowest_waiting}
        if not done:
            return
        self._acked -= done
        self.cursor = max(self.cursor, max(done))
        self._save()
