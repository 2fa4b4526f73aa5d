"""Daily counts that outlive the data: what an agency's yearly ALPR report needs.

One row per (day, counter) in ``daily_counts``: numbers and enumerated names
only (list of purposes, dispositions, permitted recipient agencies, export
formats), never a plate, a free-text purpose or a person. Retention never
deletes them (`retention.purge` does not know the table), so a report for
last year still adds up after last year's reads are gone.

Where the numbers come from, each in the transaction of the event itself:

- ``reads`` and ``hits``: SQLite triggers on the ``reads`` table (migration
  3), so every path that stores a read or marks a hit is counted.
- everything else: the audit trail. `count_audited` is called by
  `audit.append` for each record it writes, so a search, an export, an alert
  step or a purge is counted exactly when it is audited. A refused search is
  ``searches.refused``, never ``searches`` (a search made).

Days are UTC dates: a read's capture day, an audited event's day.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Mapping
from datetime import date

SEARCH_ACTIONS = re.compile(r"^reads\.(search|show|export\.(\w+))$")  # show: one read opened by its id
PURPOSE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
ALERT_STEP = re.compile(r"^alert_(\w+)$")
PURGE_FIGURES = ("reads_purged", "expired_no_hit", "expired_hit", "images_dropped", "held_kept", "audit_records")


def bump(db, day: str, name: str, amount: int = 1) -> None:
    """Add ``amount`` to counter ``name`` of ``day`` (inside the caller's transaction)."""
    if amount:
        db.execute(
            "INSERT INTO daily_counts (day, name, value) VALUES (?, ?, ?)"
            " ON CONFLICT (day, name) DO UPDATE SET value = value + excluded.value",
            [day, name, int(amount)],
        )


def purpose_key(purpose: str | None, authorised: frozenset[str] | None) -> str:
    """The authorised purpose a request named, or "other": free text never becomes a counter name.

    Purposes are written "KEY: detail" (the accounts stage's rule); a key
    outside the authorised list (a refused request may name anything) counts
    as "other".
    """
    key = (purpose or "").partition(":")[0].strip().lower()
    if authorised is None:
        from alpr_edge.accounts.purposes import DEFAULT_PURPOSES

        authorised = frozenset(DEFAULT_PURPOSES)
    return key if key in authorised and PURPOSE_KEY.match(key) else "other"


def count_audited(db, day: str, action: str, outcome: str | None, data, purpose: str | None,
                  authorised: frozenset[str] | None = None) -> None:
    """Count what one audit record says happened (called by `audit.append`, same transaction)."""
    refused = (outcome or "").startswith("refused")
    data = data if isinstance(data, Mapping) else {}
    if found := SEARCH_ACTIONS.match(action):
        kind = "searches.refused" if refused else "searches"
        bump(db, day, kind)
        bump(db, day, f"{kind}.purpose:{purpose_key(purpose, authorised)}")
        if found.group(2):
            bump(db, day, "exports.refused" if refused else "exports")
            if not refused:
                bump(db, day, f"exports.format:{found.group(2)}")
    elif action == "evidence.export":  # refused: a recipient outside the permitted list (not named here)
        bump(db, day, "exports.refused" if refused else f"exports.recipient:{data.get('recipient_agency') or 'unknown'}")
    elif action == "purge" and not refused:
        bump(db, day, "purges")
        for figure in PURGE_FIGURES:
            if isinstance(data.get(figure), int):
                bump(db, day, f"purge.{figure}", data[figure])
    elif action == "reads.correct" and not refused:
        bump(db, day, "corrections")
    elif action == "hotlist.historical_match":  # automatic, not a person's search: counted apart
        bump(db, day, "historical_checks")
    elif action == "alert_raised":
        bump(db, day, "alerts.historical" if data.get("match_kind") == "historical" else "alerts")
    elif (step := ALERT_STEP.match(action)) and outcome == step.group(1):
        bump(db, day, f"alerts.{step.group(1)}")
        if data.get("disposition"):
            bump(db, day, f"alerts.disposition:{data['disposition']}")


# -- reading back -------------------------------------------------------------------


def period_counts(conn: sqlite3.Connection, since: date | None, until: date | None) -> dict:
    """{"since", "until", "totals": {counter: n}, "days": {day: {counter: n}}}; ``until`` excluded."""
    where, params = [], []
    if since is not None:
        where.append("day >= ?")
        params.append(since.isoformat())
    if until is not None:
        where.append("day < ?")
        params.append(until.isoformat())
    sql = "SELECT day, name, value FROM daily_counts" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY day, name"
    try:
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # a store from before migration 3
        rows = []
    days: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for day, name, value in rows:
        days.setdefault(day, {})[name] = value
        totals[name] = totals.get(name, 0) + value
    return {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
            "totals": dict(sorted(totals.items())), "days": days}


def closed_days(store, after: str, upto: str, limit: int) -> dict[str, dict[str, int]]:
    """Counts of up to ``limit`` days with ``after < day <= upto`` (ISO dates), oldest first (the uplink's feed)."""
    with store.lock:
        rows = store.db.execute("SELECT day, name, value FROM daily_counts WHERE day > ? AND day <= ? ORDER BY day, name",
                                [after, upto]).fetchall()
    days: dict[str, dict[str, int]] = {}
    for day, name, value in rows:
        if len(days) == limit and day not in days:
            break
        days.setdefault(day, {})[name] = value
    return days


def kept(store) -> bool:
    """Whether this store keeps daily counts (a stand-in or an old store does not)."""
    try:
        with store.lock:
            return "daily_counts" in store.db.table_names()
    except Exception:
        return False


def to_csv(report: dict) -> str:
    """One row per day and counter, then one ``total`` row per counter."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["day", "counter", "value"])
    for day, counters in report["days"].items():
        for name, value in counters.items():
            writer.writerow([day, name, value])
    for name, value in report["totals"].items():
        writer.writerow(["total", name, value])
    return buffer.getvalue()
