"""Retention: purge by class, evidence holds, and crypto-shredding of day keys.

Classes (settings in `StoreSection`): reads without a hit ``retention_days``,
reads with a hit ``hit_retention_days``, images of reads without a hit
``image_retention_days`` (default: with their read), audit records
``audit_retention_days``; each within the policy bounds of
``alpr_edge.config.RETENTION_BOUNDS``. With an uplink, a read without a hit also goes
``on_device_hours`` after the broker acknowledged it; a read never goes
before upload unless it is past its class limit (counted as
``expired_not_uploaded``). An active hold keeps a read whatever its age.

Shredding. A purge that removes rows (or images) of a day marks the day in
``shred_pending``. Once the day is closed (older than yesterday, so that no
late read can still be written with its key), the next purge either destroys
the day's key (nothing of that day remains) or re-keys it: the survivors
(hits, held reads) are re-sealed under a fresh key and the old key destroyed.
Either way, copies of the database made before the purge hold ciphertext
whose key no longer exists. Order is chosen for crashes: new key saved,
survivors re-sealed and committed, old keys destroyed, then the mark
cleared; an interrupted run is simply repeated by the next purge.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from alpr_edge.ids import uuid7
from alpr_edge.logs import log
from alpr_edge.ops.layout import LAST_PURGE
from alpr_edge.store import audit as audit_trail
from alpr_edge.store.keys import KeyShredded, day_use, write_secret
from alpr_edge.store.records import recorded_text

logger = logging.getLogger(__name__)

PURGE_STEPS = ["reads", "images", "audit records", "day keys"]  # what purge(step=...) is told, in this order
HELD = "id IN (SELECT read_id FROM holds WHERE released_at IS NULL)"
IMAGE_GRACE_S = 3600  # hit matching happens within seconds; never strip images of a read that young


@dataclass
class PurgeReport:
    as_of: str
    expired_no_hit: int = 0
    expired_hit: int = 0
    expired_not_uploaded: int = 0  # purged past the class limit although never uploaded
    uploaded_window: int = 0  # purged after the on-device window following upload
    images_dropped: int = 0
    held_kept: int = 0  # reads past their limit kept by an evidence hold
    audit_records: int = 0
    days_rekeyed: list[str] = field(default_factory=list)
    days_shredded: list[str] = field(default_factory=list)

    @property
    def reads_purged(self) -> int:
        return self.expired_no_hit + self.expired_hit + self.uploaded_window

    def to_dict(self) -> dict:
        return {**asdict(self), "reads_purged": self.reads_purged}


def mark_days_for_shredding(db, days, now: datetime) -> None:
    """Record that rows of these days were deleted (call inside the deleting transaction)."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO shred_pending (day, since) VALUES (?, ?)", [(d, now.timestamp()) for d in days]
    )


def _delete(db, where: str, params: list) -> tuple[int, set[str]]:
    days = {r[0] for r in db.execute(f"SELECT DISTINCT day FROM reads WHERE {where}", params)}
    count = db.execute(f"DELETE FROM reads WHERE {where}", params).rowcount if days else 0
    return count, days


def _image_cut(settings, now: datetime) -> float | None:
    """Images of reads without a hit captured before this go; None: they stay with their read."""
    days = settings.image_retention_days
    if not settings.keep_no_hit_images:
        days = 0
    if days is None:
        return None
    return now.timestamp() - max(days * 86400, IMAGE_GRACE_S)


def purge(store, now: datetime, *, user: str = "system", role: str | None = None, trigger: str = "command",
          step: Callable[[str], None] | None = None) -> PurgeReport:
    """Apply retention as of ``now``; audited, and recorded for `status` (``trigger``: start, timer, command).
    ``step`` is told each of PURGE_STEPS as it begins (a progress bar on a terminal)."""
    step = step or (lambda name: None)
    settings = store.settings
    report = PurgeReport(as_of=audit_trail.timestamp(now))
    no_hit_cut = (now - timedelta(days=settings.retention_days)).timestamp()
    hit_cut = (now - timedelta(days=settings.hit_retention_days)).timestamp()
    expired = f"((has_hit = 0 AND captured_at < {no_hit_cut!r}) OR (has_hit = 1 AND captured_at < {hit_cut!r}))"
    touched: set[str] = set()
    with store.write() as db:
        step("reads")
        report.held_kept = db.execute(f"SELECT count(*) FROM reads WHERE {expired} AND {HELD}").fetchone()[0]
        if store.uplink_enabled:
            report.expired_not_uploaded = db.execute(
                f"SELECT count(*) FROM reads WHERE {expired} AND uploaded_at IS NULL AND NOT {HELD}"
            ).fetchone()[0]
        report.expired_no_hit, days = _delete(db, f"has_hit = 0 AND captured_at < ? AND NOT {HELD}", [no_hit_cut])
        touched |= days
        report.expired_hit, days = _delete(db, f"has_hit = 1 AND captured_at < ? AND NOT {HELD}", [hit_cut])
        touched |= days
        if store.uplink_enabled:
            window_cut = now.timestamp() - settings.on_device_hours * 3600
            report.uploaded_window, days = _delete(
                db, f"has_hit = 0 AND uploaded_at IS NOT NULL AND uploaded_at <= ? AND NOT {HELD}", [window_cut]
            )
            touched |= days
        step("images")
        image_cut = _image_cut(settings, now)
        if image_cut is not None:
            strip = f"has_hit = 0 AND (crop IS NOT NULL OR overview IS NOT NULL) AND captured_at < ? AND NOT {HELD}"
            if not settings.keep_no_hit_images and store.uplink_enabled:
                strip += " AND uploaded_at IS NOT NULL"  # the agency gets the images before they go
            params = [image_cut]
            touched |= {r[0] for r in db.execute(f"SELECT DISTINCT day FROM reads WHERE {strip}", params)}
            report.images_dropped = db.execute(f"UPDATE reads SET crop = NULL, overview = NULL WHERE {strip}", params).rowcount
        mark_days_for_shredding(db, touched, now)
        step("audit records")
        report.audit_records = audit_trail.purge_before(store, db, now - timedelta(days=settings.audit_retention_days))
    step("day keys")
    _shred(store, now, report)
    store.audit(user, role, "purge", data=report.to_dict())
    audit_trail.sign_head(store)
    _record_last_purge(store.data_dir, {"at": report.as_of, "by": user, "trigger": trigger, "removed": report.to_dict()})
    log(logger, logging.INFO, "purge_done", **{k: v for k, v in report.to_dict().items() if not isinstance(v, list)},
        rekeyed=len(report.days_rekeyed), shredded=len(report.days_shredded))
    return report


class PurgeSchedule:
    """When the daemon purges: at start-up, then every ``every_s`` (monotonic clock passed in)."""

    def __init__(self, every_s: float, clock):
        self._every_s = every_s
        self._clock = clock
        self._next: float | None = None

    def due(self) -> str | None:
        """"start" or "timer" when a purge is due now (and schedules the next), else None."""
        now = self._clock()
        if self._next is not None and now < self._next:
            return None
        trigger = "start" if self._next is None else "timer"
        self._next = now + self._every_s
        return trigger


def _record_last_purge(data_dir: Path, record: dict) -> None:
    """Keep what the last purge removed where `alpr-edge status` reads it (counts only, no plate)."""
    folder = Path(data_dir) / LAST_PURGE.parent
    try:
        folder.mkdir(exist_ok=True, mode=0o700)
        write_secret(folder / LAST_PURGE.name, json.dumps(record, allow_nan=False).encode())
        if os.geteuid() == 0:  # `sudo alpr-edge purge`: leave the files to the data folder's owner (the service)
            owner = os.stat(data_dir)
            for path in (folder, folder / LAST_PURGE.name):
                os.chown(path, owner.st_uid, owner.st_gid)
    except OSError as error:
        log(logger, logging.WARNING, "last_purge_not_recorded", error=str(error))


def _days_in_use(store) -> set[str]:
    days: set[str] = set()
    with store.lock:
        for spec in store.sealed_tables.values():
            if spec.table in store.db.table_names():
                days |= {r[0] for r in store.db.execute(f"SELECT DISTINCT [{spec.day_column}] FROM [{spec.table}]")}
    return days


def _shred(store, now: datetime, report: PurgeReport) -> None:
    last_closed = now.date() - timedelta(days=2)  # yesterday may still receive late reads
    in_use = _days_in_use(store)
    with store.lock:
        pending = [r[0] for r in store.db.execute("SELECT day FROM shred_pending ORDER BY day")]
    by_day: dict[str, set[str]] = {}
    for key_id, use in store.keys.key_ids().items():
        if use.startswith("day:"):
            by_day.setdefault(use[4:], set()).add(key_id)
    for day, key_ids in sorted(by_day.items()):
        if date.fromisoformat(day) <= last_closed and day not in in_use:
            store.keys.destroy(key_ids)
            report.days_shredded.append(day)
    for day in pending:
        if date.fromisoformat(day) > last_closed:
            continue
        if day in in_use:
            _rekey(store, date.fromisoformat(day))
            report.days_rekeyed.append(day)
        with store.write() as db:
            db.execute("DELETE FROM shred_pending WHERE day = ?", [day])


def _rekey(store, day: date) -> None:
    """Re-seal every row of ``day`` under a fresh key, then destroy the old ones."""
    use = day_use(day)
    new_id = store.keys.new_key(use)
    old_ids = {k for k, u in store.keys.key_ids().items() if u == use and k != new_id}
    with store.write() as db:
        for spec in store.sealed_tables.values():
            if spec.table not in db.table_names():
                continue
            columns = ", ".join(f"[{c}]" for c in (spec.id_column, *spec.blob_columns))
            rows = db.execute(f"SELECT {columns} FROM [{spec.table}] WHERE [{spec.day_column}] = ?", [day.isoformat()]).fetchall()
            for row in rows:
                row_id, blobs = row[0], row[1:]
                aad = str(row_id).encode()
                try:
                    plain = [store.keys.unseal(aad, b) if b else None for b in blobs]
                except (KeyShredded, ValueError) as error:
                    log(logger, logging.ERROR, "rekey_unreadable_row", table=spec.table, row_id=row_id, error=str(error))
                    continue
                values = {c: (store.keys.seal(new_id, aad, p) if p is not None else None) for c, p in zip(spec.blob_columns, plain)}
                if spec.table == "reads":
                    payload = json.loads(plain[0])
                    values["plate_hmac"] = store._hmac(new_id, payload["text"])
                    if payload.get("corrections"):
                        values["recorded_hmac"] = store._hmac(new_id, recorded_text(payload))
                assignments = ", ".join(f"[{c}] = ?" for c in values)
                db.execute(f"UPDATE [{spec.table}] SET {assignments} WHERE [{spec.id_column}] = ?", [*values.values(), row_id])
    store.keys.destroy(old_ids)


# -- evidence holds ---------------------------------------------------------------


class HoldError(ValueError):
    pass


def add_hold(store, read_id: str, *, case_number: str, reason: str, user: str, role: str | None) -> str:
    case_number, reason = (case_number or "").strip(), (reason or "").strip()
    if not case_number or not reason:
        store.audit(user, role, "hold.add", data={"read_id": read_id}, case_number=case_number or None, outcome="refused: case number and reason required")
        raise HoldError("a hold needs a case number and a reason")
    with store.write() as db:
        if not db.execute("SELECT 1 FROM reads WHERE id = ?", [read_id]).fetchone():
            raise HoldError(f"no stored read {read_id} (purged, or never stored)")
        hold_id = uuid7()
        db["holds"].insert({"id": hold_id, "read_id": read_id, "case_number": case_number, "reason": reason,
                            "created_by": user, "created_at": audit_trail.timestamp(store.now())})
        store.audit(user, role, "hold.add", data={"read_id": read_id, "hold_id": hold_id, "reason": reason}, case_number=case_number)
    return hold_id


def release_hold(store, hold_or_read_id: str, *, user: str, role: str | None, reason: str | None = None) -> int:
    """Release the active hold with this id, or every active hold on this read id; ``reason`` goes to the audit."""
    with store.write() as db:
        count = db.execute(
            "UPDATE holds SET released_at = ?, released_by = ? WHERE released_at IS NULL AND (id = ? OR read_id = ?)",
            [audit_trail.timestamp(store.now()), user, hold_or_read_id, hold_or_read_id],
        ).rowcount
        data = {"id": hold_or_read_id, "released": count, **({"reason": reason} if reason else {})}
        store.audit(user, role, "hold.release", data=data, outcome="ok" if count else "not found")
    if not count:
        raise HoldError(f"no active hold with id or read id {hold_or_read_id}")
    return count


def list_holds(store, *, include_released: bool = False, read_id: str | None = None) -> list[dict]:
    """Holds, oldest first: the active ones (``include_released``: all), of every read or of ``read_id``'s."""
    where = ([] if include_released else ["released_at IS NULL"]) + ([] if read_id is None else ["read_id = ?"])
    sql = "SELECT * FROM holds" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at"
    with store.lock:
        return list(store.db.query(sql, [] if read_id is None else [read_id]))
