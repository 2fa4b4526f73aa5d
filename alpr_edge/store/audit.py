"""The audit trail: append-only records chained by SHA-256, signed periodically.

Each record's hash covers its sequence number, its fields and the previous
record's hash, so editing, deleting or reordering a record breaks the chain
at that record. Every ``audit_sign_every`` records (and when the store
closes or purges) the head is signed with the device's Ed25519 key; a
signature naming a record that no longer exists reveals a truncated tail.
What the chain cannot show: records removed from the end after the last
signature, together with nothing else (sign often; ship signatures off the
device with the uplink to close that gap).

The data elements queried and the purpose (which may contain a plate) are
sealed with the long-lived records key, so no plate sits in the file in
clear; verification needs no key because it hashes the stored bytes.
Retention removes the oldest records and keeps the last removed one's hash
as a signed anchor the chain continues from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature

from alpr_edge.ids import uuid7
from alpr_edge.progress import Report
from alpr_edge.store import counts
from alpr_edge.store.keys import load_device_key, load_device_public_key

# Who did what, appended to the trail: (user, role, action, *, data=, purpose=, case_number=,
# outcome=). Components take it as a callable (Store.audit), so tests can hand in a recorder.
AuditSink = Callable[..., object]

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "id", "at", "user", "role", "action", "details", "case_number", "outcome", "prev_hash")
# Added later (store migration 2): hashed only when set, so records written before still verify.
IDENTITY_FIELDS = ("agency", "badge")


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def record_hash(record: dict) -> str:
    values = []
    for name in HASHED_FIELDS:
        value = record.get(name)
        values.append(value.hex() if isinstance(value, bytes) else value)
    identity = [record.get(name) for name in IDENTITY_FIELDS]
    if any(value is not None for value in identity):
        values.extend(identity)
    return hashlib.sha256(json.dumps(values, separators=(",", ":"), allow_nan=False).encode()).hexdigest()


def _signed_message(kind: str, seq: int, digest: str) -> bytes:
    return f"alpr-edge audit {kind} {seq} {digest}".encode()


def append(store, user: str, role: str | None, action: str, *, data=None, purpose=None, case_number=None, outcome="ok") -> int:
    """Append one record; returns its sequence number."""
    with store.write() as db:
        last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if last is None:
            last = db.execute("SELECT seq, hash FROM audit_anchor WHERE id = 1").fetchone() or (0, GENESIS)
        record = {
            "seq": last[0] + 1,
            "id": uuid7(),
            "at": timestamp(store.now()),
            "user": user,
            "role": role,
            "action": action,
            "details": None,
            "case_number": case_number,
            "outcome": outcome,
            "prev_hash": last[1],
            **_identity(db, user),
        }
        if data is not None or purpose is not None:
            details = json.dumps({"data": data, "purpose": purpose}, default=str, allow_nan=False).encode()
            record["details"] = store.seal(record["id"], None, details)
        record["hash"] = record_hash(record)
        db["audit"].insert(record)
        counts.count_audited(db, record["at"][:10], action, outcome, data, purpose)
        if record["seq"] % store.settings.audit_sign_every == 0:
            _sign(store, db, record["seq"], record["hash"])
    return record["seq"]


def _identity(db, user: str) -> dict:
    """The acting user's agency and badge number, when the user is an account on this device."""
    try:
        row = db.execute("SELECT agency, badge FROM users WHERE name = ?", [user]).fetchone()
    except sqlite3.OperationalError:  # no accounts table (yet): system and tool records
        row = None
    return {"agency": row[0], "badge": row[1]} if row else {}


def _sign(store, db, seq: int, digest: str) -> None:
    key = load_device_key(store.data_dir)
    if key is None:
        return
    db["audit_signatures"].insert(
        {"seq": seq, "hash": digest, "signature": key.sign(_signed_message("record", seq, digest)), "signed_at": timestamp(store.now())},
        replace=True,
    )


def sign_head(store) -> None:
    """Sign the newest record if it is not signed yet."""
    with store.write() as db:
        last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if last and not db.execute("SELECT 1 FROM audit_signatures WHERE seq = ?", [last[0]]).fetchone():
            _sign(store, db, last[0], last[1])


def purge_before(store, db, cutoff: datetime) -> int:
    """Remove records older than ``cutoff`` (inside the caller's transaction)."""
    doomed = db.execute("SELECT seq, hash FROM audit WHERE at < ? ORDER BY seq DESC LIMIT 1", [timestamp(cutoff)]).fetchone()
    if doomed is None:
        return 0
    seq, digest = doomed
    count = db.execute("DELETE FROM audit WHERE seq <= ?", [seq]).rowcount
    db.execute("DELETE FROM audit_signatures WHERE seq <= ?", [seq])
    key = load_device_key(store.data_dir)
    signature = key.sign(_signed_message("anchor", seq, digest)) if key else None
    db["audit_anchor"].insert({"id": 1, "seq": seq, "hash": digest, "purged_at": timestamp(store.now()), "signature": signature}, replace=True)
    return count


def _brief(row: dict) -> dict:
    return {k: row.get(k) for k in ("seq", "id", "at", "user", "agency", "badge", "role", "action", "outcome")}


def verify(db, data_dir: Path) -> tuple[bool, dict | None, str]:
    """(ok, first bad record or None, message). Needs no key but the public one."""
    public = load_device_public_key(data_dir)
    anchor = next(iter(db.query("SELECT * FROM audit_anchor WHERE id = 1")), None)
    expected_seq, expected_hash = 0, GENESIS
    if anchor:
        expected_seq, expected_hash = anchor["seq"], anchor["hash"]
        if public is not None and not _valid(public, anchor.get("signature"), _signed_message("anchor", anchor["seq"], anchor["hash"])):
            return False, {"seq": anchor["seq"]}, f"the retention anchor at record {anchor['seq']} has no valid device signature"
    hashes: dict[int, str] = {}
    count = 0
    for row in db.query("SELECT * FROM audit ORDER BY seq"):
        count += 1
        if row["seq"] != expected_seq + 1:
            return False, _brief(row), f"record {row['seq']} follows record {expected_seq}: records {expected_seq + 1} to {row['seq'] - 1} are missing"
        if row["prev_hash"] != expected_hash:
            return False, _brief(row), f"record {row['seq']} does not chain to the record before it (deleted, inserted or reordered records)"
        if record_hash(row) != row["hash"]:
            return False, _brief(row), f"record {row['seq']} was altered after it was written (hash mismatch)"
        hashes[row["seq"]] = row["hash"]
        expected_seq, expected_hash = row["seq"], row["hash"]
    signed = 0
    for sig in db.query("SELECT * FROM audit_signatures ORDER BY seq"):
        if sig["seq"] not in hashes:
            return False, {"seq": sig["seq"]}, f"signed record {sig['seq']} is missing: the trail was cut short after record {expected_seq}"
        if hashes[sig["seq"]] != sig["hash"]:
            return False, {"seq": sig["seq"]}, f"record {sig['seq']} differs from the version the device signed"
        if public is not None:
            if not _valid(public, sig["signature"], _signed_message("record", sig["seq"], sig["hash"])):
                return False, {"seq": sig["seq"]}, f"the device signature of record {sig['seq']} is not valid"
            signed += 1
    note = f", {signed} signatures checked" if public is not None else ", no device public key to check signatures"
    return True, None, f"audit trail intact: {count} records{note}"


def _valid(public, signature, message: bytes) -> bool:
    if not signature:
        return False
    try:
        public.verify(signature, message)
        return True
    except InvalidSignature:
        return False


def records(store, since: datetime | None = None, progress: Report | None = None) -> list[dict]:
    """Audit records with their details unsealed (for admins' review and export);
    ``progress`` is told (records unsealed, records to unseal)."""
    sql, params = "SELECT * FROM audit", []
    if since is not None:
        sql, params = sql + " WHERE at >= ?", [timestamp(since)]
    with store.read() as db:
        rows = list(db.query(sql + " ORDER BY seq", params))
    out = []
    for done, row in enumerate(rows, 1):
        if progress is not None:
            progress(done, len(rows))
        details = json.loads(store.unseal(row["id"], None, row["details"])) if row["details"] else {}
        out.append({**_brief(row), "data": details.get("data"), "purpose": details.get("purpose"),
                    "case_number": row["case_number"], "hash": row["hash"]})
    return out


def export(store, since: datetime | None, fmt: str, progress: Report | None = None) -> str:
    rows = records(store, since, progress)
    if fmt == "json":
        return json.dumps(rows, indent=1, default=str, allow_nan=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["seq", "id", "at", "user", "agency", "badge", "role", "action", "data", "purpose", "case_number", "outcome", "hash"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "data": json.dumps(row["data"], allow_nan=False) if row["data"] is not None else ""})
        return buffer.getvalue()
    raise ValueError(f"unknown audit export format {fmt!r}: expected csv or json")


# -- shipping the trail off the device (alpr_edge.uplink.audit_forward) ---------

def has_trail(store) -> bool:
    """True when this store keeps an audit trail that can be shipped."""
    try:
        with store.read() as db:
            return "audit" in db.table_names()
    except Exception:  # a closed store or a stand-in without a database
        return False


def records_after(store, after: int, limit: int) -> list[dict]:
    """Stored audit records (details still sealed) after ``after``, with their signatures where made."""
    with store.read() as db:
        return list(db.query(
            "SELECT a.*, s.signature AS signature, s.signed_at AS signed_at FROM audit a"
            " LEFT JOIN audit_signatures s ON s.seq = a.seq WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
            [after, limit]))


def signature_between(store, after: int, upto: int) -> tuple | None:
    """The first head signature (seq, hash, signature, signed_at) with after < seq <= upto, or None."""
    with store.read() as db:
        return db.execute(
            "SELECT seq, hash, signature, signed_at FROM audit_signatures WHERE seq > ? AND seq <= ?"
            " ORDER BY seq LIMIT 1", [after, upto]).fetchone()
