"""The alert book: alerts and each step taken on them, stored and audited.

Stores ids and non-identifying fields only: no plate text, and no bare plate
hash. The matched entry's key and the suppression window's key are keyed
hashes (the store's lasting index key in the daemon, so the window holds
across a restart; else a key that lives only in this process), so the table
can be neither searched by plate nor brute-forced back to one.

The book writes only inside the store's transactions and owns its schema as
the store's "alerts" migrations. `alpr_edge.alerts.desk.AlertDesk` is the one
caller outside the tests: it adds the outputs and who may see what.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from alpr_edge.alerts.lifecycle import (
    ACKNOWLEDGED, CLOSED, RAISED, TIMED_OUT, VERIFIED, Alert, AlertError, AlertStep, UnknownAlert, check_transition, settles,
)
from alpr_edge.config import AlertsSection
from alpr_edge.ids import uuid7
from alpr_edge.logs import log

if TYPE_CHECKING:
    from sqlite_utils import Database

    from alpr_edge.hotlist.matching import Match
    from alpr_edge.store.migrations import Step
    from alpr_edge.store.audit import AuditSink
    from alpr_edge.store.transactions import Transactional

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    read_id TEXT NOT NULL,
    last_read_id TEXT NOT NULL,
    list_name TEXT NOT NULL,
    list_version INTEGER NOT NULL,
    list_type TEXT NOT NULL,
    priority INTEGER NOT NULL,
    covert INTEGER NOT NULL,
    stale INTEGER NOT NULL,
    match_kind TEXT NOT NULL,
    state_differs INTEGER NOT NULL,
    entry_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    case_number TEXT NOT NULL,
    vehicle TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    other_lists TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_seen_at REAL NOT NULL,
    repeats INTEGER NOT NULL,
    state TEXT NOT NULL,
    disposition TEXT,
    suppress_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_suppress_key ON alerts (suppress_key, last_seen_at);
CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state);
CREATE TABLE IF NOT EXISTS alert_steps (
    step_id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (alert_id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    at REAL NOT NULL,
    note TEXT,
    disposition TEXT
);
CREATE INDEX IF NOT EXISTS alert_steps_by_alert ON alert_steps (alert_id, at);
"""


def _v1_alerts(db: Database) -> None:
    # IF NOT EXISTS: books made before the alerts had migrations already hold these tables.
    db.executescript(SCHEMA)


def _v2_alerts_follow_their_reads(db: Database) -> None:
    # An alert (and its steps) lives as long as its hit reads: purged with them, kept by their holds.
    from alpr_edge.store.followers import declare

    declare(db, "alerts", "alert_id", ("read_id", "last_read_id"), children=(("alert_steps", "alert_id"),))


SIGHTINGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_sightings (
    read_id TEXT NOT NULL,
    alert_id TEXT NOT NULL REFERENCES alerts (alert_id),
    at REAL NOT NULL,
    PRIMARY KEY (read_id, alert_id)
)"""


def _v3_alert_sightings(db: Database) -> None:
    # Every read that matched an alert, the one that raised it and each re-sighting it
    # absorbed, so the live list can mark every hit. A sighting goes with its read, or its alert.
    from alpr_edge.store.followers import declare

    db.execute(SIGHTINGS_SCHEMA)
    db.execute("CREATE INDEX IF NOT EXISTS alert_sightings_by_alert ON alert_sightings (alert_id)")
    declare(db, "alert_sightings", "read_id", ("read_id",))
    declare(db, "alerts", "alert_id", ("read_id", "last_read_id"),
            children=(("alert_steps", "alert_id"), ("alert_sightings", "alert_id")))


def _v4_steps_say_why(db: Database) -> None:
    # The reason code of a closing step (lifecycle.REASONS); older steps keep NULL.
    db.execute("ALTER TABLE alert_steps ADD COLUMN reason TEXT")


ALERT_STEPS: list[Step] = [_v1_alerts, _v2_alerts_follow_their_reads, _v3_alert_sightings, _v4_steps_say_why]

_ALERT_COLUMNS = tuple(Alert.__dataclass_fields__)
_PROCESS_KEY = os.urandom(32)  # for read-text hashes when the caller gives none


def read_text_hash(text: str, key: bytes = _PROCESS_KEY) -> str:
    """A keyed hash of a plate text: equal plates, equal hashes; no way back to the plate."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class AlertBook:
    def __init__(self, transactions: Transactional, audit: AuditSink, clock: Callable[[], float] = time.time,
                 settings: AlertsSection | None = None, text_hasher: Callable[[str], str] | None = None):
        # text_hasher: a keyed plate hash that outlives this process (the store's), so the
        # suppression window holds across a restart; without one, a per-process key is used.
        self._tx = transactions
        self._text_hasher = text_hasher or read_text_hash
        self._audit = audit
        self._clock = clock
        self._settings = settings or AlertsSection()
        transactions.apply_migrations("alerts", ALERT_STEPS)

    def entry_token(self, entry_key: str) -> str:
        """The keyed form of a hot list entry's key, as stored in ``Alert.entry_key``."""
        return self._text_hasher(f"entry {entry_key}")

    # --- raising --------------------------------------------------------

    def raise_alert(self, read_id: str, matches: Iterable[Match], now: float | None = None, text_hash: str | None = None) -> Alert | None:
        """The alert for a read's matches (best first), or None when there are none.

        The most urgent in-car (overt) match raises the alert; a covert match
        raises a separate covert alert, stored but not returned when an overt
        one exists. If the same entry's latest alert for the same plate may
        absorb the sighting (`_holder`: open, or settled, and seen or stepped
        within ``suppress_window_s``), that alert is updated (``repeats``
        grows) and returned instead of a new one.
        """
        alerts = self.raise_alerts(read_id, matches, now, text_hash)
        return alerts[0] if alerts else None

    def raise_alerts(self, read_id: str, matches: Iterable[Match], now: float | None = None, text_hash: str | None = None) -> list[Alert]:
        """Like `raise_alert`, returning the overt alert (if any) then the covert one (if any)."""
        now = self._clock() if now is None else now
        matches = sorted(matches, key=lambda m: m.sort_key)
        out = []
        for covert in (False, True):
            group = [m for m in matches if m.covert == covert]
            if group:
                out.append(self._raise_one(read_id, group, now, text_hash))
        return out

    def _raise_one(self, read_id: str, group: list[Match], now: float, text_hash: str | None) -> Alert:
        best = group[0]
        digest = text_hash or self._text_hasher(best.read_text)
        entry_token = self.entry_token(best.entry_key)
        suppress_key = hashlib.sha256(f"{entry_token}:{digest}".encode()).hexdigest()
        with self._tx.write() as db:
            holder = self._holder(db, suppress_key, now)
            if holder is not None:
                db.execute(
                    "UPDATE alerts SET repeats = repeats + 1, last_seen_at = ?, last_read_id = ?, updated_at = ? WHERE alert_id = ?",
                    [now, read_id, now, holder],
                )
                self._insert_sighting(db, read_id, holder, now)
                alert = self.get(holder)
                log(logger, logging.INFO, "alert_repeat", alert_id=alert.alert_id, repeats=alert.repeats, state=alert.state)
                return alert
            entry = best.entry
            alert = Alert(
                alert_id=uuid7(int(now * 1000)), read_id=read_id, last_read_id=read_id, list_name=best.list_name,
                list_version=best.list_version, list_type=best.list_type, priority=best.priority, covert=best.covert,
                stale=best.stale, match_kind=best.kind, state_differs=best.state_differs, entry_key=entry_token,
                reason=entry.reason, case_number=entry.case_number, vehicle=entry.vehicle, entered_by=entry.entered_by,
                other_lists=tuple(sorted({m.list_name for m in group[1:]} - {best.list_name})),
                created_at=now, updated_at=now, last_seen_at=now, repeats=0, state=RAISED,
            )
            record = {name: getattr(alert, name) for name in _ALERT_COLUMNS}
            record["other_lists"] = json.dumps(list(alert.other_lists), allow_nan=False)
            record["suppress_key"] = suppress_key
            db.table("alerts").insert(record)
            self._insert_sighting(db, read_id, alert.alert_id, now)
            self._insert_step(alert.alert_id, None, RAISED, "system", "system", now, None, None)
        self._audit("system", "system", "alert_raised",
                    data={"alert_id": alert.alert_id, "read_id": read_id, "list": alert.list_name, "match_kind": alert.match_kind,
                          "priority": alert.priority, "covert": alert.covert, "stale": alert.stale},
                    case_number=alert.case_number, outcome=RAISED)
        log(logger, logging.WARNING, "alert_raised", alert_id=alert.alert_id, list=alert.list_name,
            priority=alert.priority, kind=alert.match_kind, covert=alert.covert, stale=alert.stale)
        return alert

    def _holder(self, db: Database, suppress_key: str, now: float) -> str | None:
        """The alert that absorbs this sighting of the plate on the entry, or None: raise a new one.

        Only the plate's latest alert may, and only within ``suppress_window_s``
        of its last sighting or step: while it is open (one passage, being
        worked), or once closed in a way that settles the plate
        (`alpr_edge.alerts.lifecycle.settles`). After "lost sight", "unable to
        locate" or a time-out the vehicle is still out there: a new alert.
        """
        window = self._settings.suppress_window_s
        if window <= 0:
            return None
        row = db.execute(
            "SELECT alert_id, state, disposition, updated_at FROM alerts WHERE suppress_key = ?"
            " ORDER BY created_at DESC, alert_id DESC LIMIT 1",
            [suppress_key],
        ).fetchone()
        if row is None or now - row[3] > window:
            return None
        alert_id, state, disposition = row[0], row[1], row[2]
        return alert_id if state not in CLOSED or settles(state, disposition) else None

    @staticmethod
    def _insert_sighting(db: Database, read_id: str, alert_id: str, at: float) -> None:
        db.execute("INSERT OR IGNORE INTO alert_sightings (read_id, alert_id, at) VALUES (?, ?, ?)", [read_id, alert_id, at])

    def _insert_step(self, alert_id: str, from_state: str | None, to_state: str, user: str, role: str, at: float,
                     note: str | None, disposition: str | None, reason: str | None = None) -> None:
        with self._tx.write() as db:
            db.table("alert_steps").insert({
                "step_id": uuid7(int(at * 1000)), "alert_id": alert_id, "from_state": from_state, "to_state": to_state,
                "user": user, "role": role, "at": at, "note": note, "disposition": disposition,
                "reason": reason,
            })

    # --- the lifecycle --------------------------------------------------

    def transition(self, alert_id: str, step: str, user: str, role: str, note: str | None = None,
                   disposition: str | None = None, reason: str | None = None) -> Alert:
        """Move an alert one step (see `alpr_edge.alerts.lifecycle`); AlertError when refused."""
        now = self._clock()
        if not (user or "").strip():
            raise AlertError("every step names who took it")
        with self._tx.write() as db:
            alert = self.get(alert_id)
            try:
                check_transition(alert.state, step, role, alert.covert, note, disposition, reason)
            except AlertError as error:
                refusal: AlertError | None = error
            else:
                refusal = None
                changed = db.execute(
                    "UPDATE alerts SET state = ?, disposition = COALESCE(?, disposition), updated_at = ? WHERE alert_id = ? AND state = ?",
                    [step, disposition, now, alert_id, alert.state],
                ).rowcount
                if changed != 1:
                    raise AlertError(f"alert {alert_id} changed meanwhile; reload it")
                self._insert_step(alert_id, alert.state, step, user, role, now, note, disposition, reason)
        outcome = "refused" if refusal else step
        self._audit(user, role, f"alert_{step}" if step in _STEP_ACTIONS else "alert_step",
                    data={"alert_id": alert_id, "from": alert.state, "to": step, "note": note, "disposition": disposition,
                          **({"reason": reason} if reason else {}), **({"why": str(refusal)} if refusal else {})},
                    case_number=alert.case_number, outcome=outcome)
        if refusal:
            raise refusal
        log(logger, logging.INFO, "alert_step", alert_id=alert_id, step=step, role=role)
        return self.get(alert_id)

    def time_out_unattended(self, now: float | None = None) -> list[Alert]:
        """Close alerts nobody acted on within the configured time (0: never)."""
        limit = self._settings.unattended_timeout_s
        if limit <= 0:
            return []
        now = self._clock() if now is None else now
        with self._tx.read() as db:
            rows = db.execute(
                "SELECT alert_id FROM alerts WHERE state IN (?, ?, ?) AND updated_at < ?",
                [RAISED, ACKNOWLEDGED, VERIFIED, now - limit],
            ).fetchall()
        return [self.transition(alert_id, TIMED_OUT, "system", "system", note=f"no step within {limit:g} s") for (alert_id,) in rows]

    # --- reading --------------------------------------------------------

    def get(self, alert_id: str) -> Alert:
        with self._tx.read() as db:
            rows = list(db.query("SELECT * FROM alerts WHERE alert_id = ?", [alert_id]))
        if not rows:
            raise UnknownAlert(f"no alert {alert_id!r}")
        return _alert(rows[0])

    def open_alerts(self, include_covert: bool = True) -> list[Alert]:
        """Alerts not closed, most urgent first, then oldest first."""
        closed = sorted(CLOSED)
        sql = f"SELECT * FROM alerts WHERE state NOT IN ({', '.join('?' * len(closed))})"
        if not include_covert:
            sql += " AND covert = 0"
        sql += " ORDER BY priority, created_at"
        with self._tx.read() as db:
            return [_alert(row) for row in db.query(sql, closed)]

    def recent(self, limit: int = 50, include_covert: bool = True) -> list[Alert]:
        sql = "SELECT * FROM alerts" + ("" if include_covert else " WHERE covert = 0") + " ORDER BY created_at DESC LIMIT ?"
        with self._tx.read() as db:
            return [_alert(row) for row in db.query(sql, [limit])]

    def sighted(self, read_ids: Iterable[str]) -> list[tuple[str, Alert]]:
        """(read id, alert) for each of these reads that matched an alert: raised it or was absorbed by it."""
        wanted = list(dict.fromkeys(read_ids))
        found: list[tuple[str, Alert]] = []
        with self._tx.read() as db:
            for start in range(0, len(wanted), 500):  # under SQLite's bound-parameter limit
                chunk = wanted[start:start + 500]
                rows = db.query(
                    "SELECT alert_sightings.read_id AS sighted_read_id, alerts.* FROM alert_sightings"
                    " JOIN alerts USING (alert_id)"
                    f" WHERE alert_sightings.read_id IN ({', '.join('?' * len(chunk))})", chunk)
                found += [(row.pop("sighted_read_id"), _alert(row)) for row in rows]
        return found

    def steps(self, alert_id: str) -> list[AlertStep]:
        with self._tx.read() as db:
            rows = db.query("SELECT * FROM alert_steps WHERE alert_id = ? ORDER BY at, step_id", [alert_id])
            return [AlertStep(**row) for row in rows]


_STEP_ACTIONS = frozenset({ACKNOWLEDGED, VERIFIED, "misread", "wrong_state", "confirmed", "not_confirmed", "disposed", "dismissed", TIMED_OUT})


def _alert(row: dict[str, Any]) -> Alert:
    values = {name: row[name] for name in _ALERT_COLUMNS}
    values["other_lists"] = tuple(json.loads(row["other_lists"]))
    for flag in ("covert", "stale", "state_differs"):
        values[flag] = bool(values[flag])
    return Alert(**values)
