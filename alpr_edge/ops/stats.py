"""Counts for transparency reports: reads, hits by list, alert outcomes, dispositions.

Only counts and enumerated values (list names, verification outcomes,
dispositions) are read from the store's clear columns; sealed columns and
plate hashes are never touched, so nothing here can carry a plate.

The alerts tables belong to the alerts stage (``alerts``: one row per alert
with its current state and disposition; ``alert_steps``: every transition);
columns are discovered, and only whitelisted enumeration columns are grouped.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

DB_NAME = "alpr.db"
TIME_COLUMNS = ("raised_at", "created_at", "at", "captured_at")
# Enumerated columns an alerts table may have, and the report's name for each.
ALERT_GROUPS = {
    "list_name": "alerts_by_list",
    "status": "alerts_by_status",
    "state": "alerts_by_state",
    "verification": "verification",
    "verified": "verification",
    "outcome": "alerts_by_outcome",
    "disposition": "dispositions",
}
HIT_TABLES = ("hits", "alert_matches", "matches")


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _period_clause(conn, table: str, since: datetime | None, until: datetime | None = None) -> tuple[str, list]:
    """WHERE on the table's time column: at or after ``since``, before ``until`` (excluded, as for the daily counts)."""
    if since is None and until is None:
        return "", []
    column = next((c for c in TIME_COLUMNS if c in _columns(conn, table)), None)
    if column is None:
        return "", []
    sample = conn.execute(f"SELECT {_quote(column)} FROM {_quote(table)} WHERE {_quote(column)} IS NOT NULL LIMIT 1").fetchone()
    numeric = sample is None or isinstance(sample[0], (int, float))
    bounds = [(op, moment.timestamp() if numeric else moment.isoformat()) for op, moment in ((">=", since), ("<", until)) if moment]
    return " WHERE " + " AND ".join(f"{_quote(column)} {op} ?" for op, _ in bounds), [value for _, value in bounds]


def _tables(conn) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def transparency_counts(data_dir: Path, since: datetime | None = None, until: datetime | None = None,
                        now: datetime | None = None) -> dict:
    """The counts from ``since`` to ``until`` (excluded) as one JSON-ready dict; FileNotFoundError without a database."""
    path = Path(data_dir) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        tables = _tables(conn)
        report: dict = {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "generated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        }
        if "reads" in tables:
            where, args = _period_clause(conn, "reads", since, until)
            reads, hits = conn.execute(
                f"SELECT count(*), coalesce(sum(has_hit), 0) FROM reads{where}", args
            ).fetchone()
            report["reads"] = reads
            report["reads_with_hit"] = hits
            report["note"] = "reads purged under the retention policy are no longer counted"
        for table in HIT_TABLES:
            if table in tables and "list_name" in _columns(conn, table):
                report["hits_by_list"] = _grouped(conn, table, "list_name", since, until)
                break
        if "alerts" in tables:
            where, args = _period_clause(conn, "alerts", since, until)
            report["alerts"] = conn.execute(f"SELECT count(*) FROM alerts{where}", args).fetchone()[0]
            for column in _columns(conn, "alerts"):
                if column in ALERT_GROUPS:
                    report[ALERT_GROUPS[column]] = _grouped(conn, "alerts", column, since, until)
            if "hits_by_list" not in report and "alerts_by_list" in report:
                report["hits_by_list"] = report["alerts_by_list"]
        if "alert_steps" in tables and {"alert_id", "to_state"} <= set(_columns(conn, "alert_steps")):
            # An alert's current state hides the steps it went through (verified, then confirmed,
            # then disposed): count every alert that ever reached each state.
            where, args = _period_clause(conn, "alert_steps", since, until)
            rows = conn.execute(
                f"SELECT to_state, count(DISTINCT alert_id) FROM alert_steps{where} GROUP BY 1 ORDER BY 2 DESC", args
            ).fetchall()
            report["alerts_reaching"] = {str(state): count for state, count in rows}
        if "audit" in tables:
            report["audit_by_action"] = _grouped(conn, "audit", "action", since, until)
        return report
    finally:
        conn.close()


def _grouped(conn, table: str, column: str, since: datetime | None, until: datetime | None) -> dict:
    where, args = _period_clause(conn, table, since, until)
    rows = conn.execute(
        f"SELECT {_quote(column)}, count(*) FROM {_quote(table)}{where} GROUP BY 1 ORDER BY 2 DESC", args
    ).fetchall()
    return {("none" if value is None else str(value)): count for value, count in rows}


def stored_counts(data_dir: Path, since: datetime | None, until: datetime | None) -> dict:
    """The daily counts (`alpr_edge.store.counts`) of whole UTC days from ``since`` to ``until`` (excluded).

    Unlike the counts above, these outlive the reads: retention never purges them.
    """
    from alpr_edge.store.counts import period_counts

    path = Path(data_dir) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return period_counts(conn, since.astimezone(UTC).date() if since else None, until.astimezone(UTC).date() if until else None)
    finally:
        conn.close()
