"""Corrections: a supervisor fixes a stored read's plate text or state, and nothing is lost.

The correction lives inside the read's sealed payload: the payload's
``text``/``state`` become the corrected values (so look-ups, the plate index
and hot list matching use them; look-ups also find the read by the text the
camera read, indexed in ``recorded_hmac``), and ``corrections`` keeps every change with
what it replaced, who made it, when and why; the first one's ``from`` is the
read as the camera recorded it. Kept in the payload, a correction is sealed
with the read's day key, re-keyed with it and shredded with it: it cannot
outlive the read it corrects.

`full_read` gives a read with its corrections (evidence packages, the uplink).
Each correction is audited with both values, counted (``corrections``), and
queued for the uplink in ``correction_outbox`` (ids only; the message is
built from the read when it is sent, see `alpr_edge.uplink.audit_forward`).
"""

from __future__ import annotations

import json
import re

from alpr_edge.ids import uuid7
from alpr_edge.store import audit as audit_trail
from alpr_edge.store.keys import KeyRing, KeyShredded
from alpr_edge.store.records import recorded_text
from alpr_edge.store.store import normalise_plate

# Correcting a stored read is a supervisor's act on stored evidence: its own line of the table
# (alpr_edge.accounts.permissions), asked by the command line and the touchscreen alike.
PERMISSION = "reads.correct"
STATE = re.compile(r"^[A-Z]{2}$")
MAX_PLATE = 10
MIN_REASON_LETTERS = 4


def says_why(reason: str | None) -> bool:
    """Whether ``reason`` has enough letters to say why (a correction; a hold released, on the screen or the CLI)."""
    return sum(c.isalpha() for c in reason or "") >= MIN_REASON_LETTERS


class CorrectionError(ValueError):
    """A correction refused (role, missing reason, bad value) or a read that is not stored."""


def _checked(text: str | None, state: str | None, reason: str) -> tuple[str | None, str | None]:
    if text is None and state is None:
        raise CorrectionError("give the corrected --text, --state or both")
    if not says_why(reason):
        raise CorrectionError("a reason is required: say what was wrong and how it was established")
    if text is not None:
        text = normalise_plate(text)
        if not 1 <= len(text) <= MAX_PLATE:
            raise CorrectionError(f"text {text!r}: expected 1 to {MAX_PLATE} letters or digits")
    if state is not None:
        state = state.strip().upper()
        if not STATE.match(state):
            raise CorrectionError(f"state {state!r}: expected a two-letter state or province code")
    return text, state


def correct_read(store, read_id: str, *, text: str | None = None, state: str | None = None, reason: str,
                 user: str, role: str) -> dict:
    """Correct one stored read; returns the correction record. Refusals are audited."""
    from alpr_edge.accounts.permissions import can
    from alpr_edge.accounts.permissions import refusal as role_refusal

    reason = " ".join((reason or "").split())
    try:
        if not can(role, PERMISSION):
            raise CorrectionError(role_refusal(role, PERMISSION))
        text, state = _checked(text, state, reason)
    except CorrectionError as refusal:
        store.audit(user, role, "reads.correct", data={"read_id": read_id, "reason": reason}, outcome=f"refused: {refusal}")
        raise
    with store.write() as db:
        row = db.execute("SELECT day, payload FROM reads WHERE id = ?", [read_id]).fetchone()
        if row is None:
            raise CorrectionError(f"no stored read {read_id} (purged, or never stored)")
        day, sealed = row
        payload = json.loads(store.keys.unseal(read_id.encode(), sealed))
        before = {"text": payload["text"], "state": payload.get("state")}
        after = {"text": text or before["text"], "state": state or before["state"]}
        if after == before:
            raise CorrectionError("the read already says that: nothing to correct")
        correction = {"id": uuid7(), "at": audit_trail.timestamp(store.now()), "by": user, "role": role,
                      "reason": reason, "from": before, "to": after}
        payload.update(after)
        payload.setdefault("corrections", []).append(correction)
        blob = store.keys.seal(KeyRing.blob_key_id(sealed), read_id.encode(), json.dumps(payload, separators=(",", ":"), allow_nan=False).encode())
        # Indexed under the corrected text and the camera's text with the same day key, so an exact
        # search finds the read by either (an investigator may hold the plate as first read).
        key_id = KeyRing.blob_key_id(sealed)
        db.execute("UPDATE reads SET payload = ?, plate_hmac = ?, recorded_hmac = ? WHERE id = ?",
                   [blob, store._hmac(key_id, after["text"]), store._hmac(key_id, recorded_text(payload)), read_id])
        db.execute("INSERT INTO correction_outbox (read_id, correction_id, queued_at) VALUES (?, ?, ?)",
                   [read_id, correction["id"], store.now().timestamp()])
        store.audit(user, role, "reads.correct", data={"read_id": read_id, "correction_id": correction["id"],
                                                       "from": before, "to": after, "reason": reason})
    return correction


def full_read(store, read_id: str, *, images: bool = True) -> dict | None:
    """The stored read as a dict (`records.payload_dict`), its corrections included; None when not stored."""
    with store.lock:
        rows = list(store.db.query("SELECT * FROM reads WHERE id = ?", [read_id]))
    return store._decode(rows[0], images) if rows else None  # the store's own unsealing, as get_read does


def pending(store, after_seq: int, limit: int) -> list[tuple[int, dict, dict]]:
    """(seq, read, correction) queued after ``after_seq``, oldest first; a purged read's are gone with it."""
    with store.lock:
        rows = store.db.execute("SELECT seq, read_id, correction_id FROM correction_outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                                [after_seq, limit]).fetchall()
    out = []
    for seq, read_id, correction_id in rows:
        try:
            read = full_read(store, read_id, images=False)
        except (KeyShredded, ValueError):
            read = None
        found = [c for c in read.get("corrections", []) if c["id"] == correction_id] if read else []
        if read and found:
            out.append((seq, read, found[0]))
        else:  # its read is gone or unreadable: nothing left to send
            sent(store, seq)
    return out


def sent(store, seq: int) -> None:
    """The broker has it: the queue forgets it."""
    with store.write() as db:
        db.execute("DELETE FROM correction_outbox WHERE seq = ?", [seq])
